//! Text for a terminal: what the CLI prints passes through [`clean`], so
//! that no text from a scenario, a link or an argument can act on the
//! terminal (ESC starts escape sequences that recolour, move the cursor or
//! retitle the window; CR, BS and DEL overwrite what was printed; BEL
//! rings). The scenario validator refuses control characters already;
//! this is the second line, for everything else that reaches the output
//! (file names, arguments echoed in errors, link fields).

use std::borrow::Cow;

/// What stands for a control character: one column, like the character
/// would have taken, so that columns (the 72 of an email) stay aligned.
pub const REPLACEMENT: char = '\u{FFFD}';

/// `s` with every control character but the newline replaced: a tab by a
/// space (one column, as the layout counted it), CR LF by LF, anything
/// else (C0, DEL, C1) by U+FFFD.
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c.is_control() && c != '\n') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => out.push('\n'),
            '\t' => out.push(' '),
            '\r' if chars.peek() == Some(&'\n') => {}
            c if c.is_control() => out.push(REPLACEMENT),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_cannot_reach_the_terminal() {
        assert!(matches!(clean("plain\ntext é"), Cow::Borrowed(_)));
        let evil = "a\u{1b}]0;pwned\u{7}b\u{1b}[2J\rc\u{8}d\u{7f}e\u{0}f\u{9b}31mg\th\r\ni";
        let c = clean(evil);
        assert!(!c.chars().any(|c| c.is_control() && c != '\n'), "{c:?}");
        assert_eq!(
            c,
            "a\u{fffd}]0;pwned\u{fffd}b\u{fffd}[2J\u{fffd}c\u{fffd}d\u{fffd}e\u{fffd}f\u{fffd}31mg h\ni"
        );
        // one column per character, as laid out
        let line = "| A\tB |";
        assert_eq!(clean(line).chars().count(), line.chars().count());
    }
}
