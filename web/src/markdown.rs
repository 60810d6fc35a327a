//! Markdown of a scenario's `about`, rendered safely.
//!
//! The text is untrusted: scenarios will arrive in links. So:
//! - it is parsed by a small parser of a Markdown subset (below) into a
//!   tree ([`Node`]) that can only hold the elements listed in [`Elem`] —
//!   there is no way to express `<script>`, an event handler or a `style`
//!   in it;
//! - raw HTML is never interpreted: it is text, shown as written;
//! - a link is kept only if its destination is relative or its scheme is
//!   `http`, `https` or `mailto` ([`safe_href`]); otherwise its text stays,
//!   as plain text. Images become their alt text in brackets (no requests
//!   to hosts named by untrusted text);
//! - [`view`] turns the tree into Yew VNodes (text nodes are set as text,
//!   never parsed as HTML); nothing ever goes through `innerHTML`.
//!
//! The subset (CommonMark where it is supported; a size-conscious
//! replacement for pulldown-cmark, which cost ~64 KB of the download):
//! paragraphs, soft and hard line breaks, ATX headings (`#`), block quotes
//! (`>`), fenced code blocks (```` ``` ```` or `~~~`), thematic breaks,
//! bullet (`-`, `*`, `+`) and ordered (`1.`, `1)`) lists with indented or
//! lazy continuation lines (one level: deeper indentation is text of the
//! item), emphasis (`*a*`, `_a_`), strong (`**a**`, `__a__`),
//! strikethrough (`~~a~~`), code spans, inline links `[text](dest "title")`,
//! autolinks (`<https://…>`, `<a@b.c>`), images (`![alt](…)`, shown as
//! `[alt]`), backslash escapes, and numeric and basic named character
//! references (`&#9;`, `&#x6A;`, `&amp;` …). Not supported, and shown as
//! text: reference links and their definitions, setext headings, indented
//! code blocks, tables, footnotes.

use yew::prelude::*;

/// An element the renderer may produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem {
    P,
    /// `h2`..`h6`: Markdown levels shifted down by one, since the page's
    /// title is the `h1`.
    Heading(u8),
    BlockQuote,
    /// A code block: `<pre><code>`.
    Pre,
    Ul,
    Ol(Option<u64>),
    Li,
    Em,
    Strong,
    Del,
    Br,
    Hr,
}

/// The rendered tree of a Markdown text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    Text(String),
    /// Inline code.
    Code(String),
    Elem(Elem, Vec<Node>),
    /// A link whose destination passed [`safe_href`].
    Link {
        href: String,
        /// Absolute (`http`, `https`, `mailto`): opens in a new tab.
        external: bool,
        title: String,
        children: Vec<Node>,
    },
}

/// Parses Markdown into a safe tree. Never fails: any input is some text.
pub fn parse(markdown: &str) -> Vec<Node> {
    let lines: Vec<&str> = markdown.lines().collect();
    blocks(&lines, 0)
}

/// Nesting depth limit for block quotes and lists (deeper is text).
const MAX_DEPTH: usize = 8;

/// Leading spaces (a tab counts as 4).
fn indent(line: &str) -> usize {
    let mut n = 0;
    for c in line.chars() {
        match c {
            ' ' => n += 1,
            '\t' => n += 4,
            _ => break,
        }
    }
    n
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// `(level, text)` of an ATX heading.
fn heading(line: &str) -> Option<(usize, &str)> {
    if indent(line) > 3 {
        return None;
    }
    let t = line.trim_start();
    let level = t.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &t[level..];
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) {
        return None;
    }
    // A closing sequence of #s (preceded by a space) is not content.
    let mut text = rest.trim();
    let stripped = text.trim_end_matches('#');
    if stripped.is_empty() || stripped.ends_with([' ', '\t']) {
        text = stripped.trim_end();
    }
    Some((level, text))
}

fn is_hr(line: &str) -> bool {
    if indent(line) > 3 {
        return false;
    }
    let t: Vec<char> = line.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    t.len() >= 3 && matches!(t[0], '-' | '*' | '_') && t.iter().all(|&c| c == t[0])
}

/// `(char, length, indent)` of an opening code fence.
fn fence(line: &str) -> Option<(char, usize, usize)> {
    let ind = indent(line);
    if ind > 3 {
        return None;
    }
    let t = line.trim_start();
    let c = t.chars().next()?;
    if c != '`' && c != '~' {
        return None;
    }
    let n = t.chars().take_while(|&x| x == c).count();
    // A backtick fence's info string may not contain backticks.
    (n >= 3 && !(c == '`' && t[n..].contains('`'))).then_some((c, n, ind))
}

/// A list item marker: kind, start number, and the column its content
/// starts at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Marker {
    /// `-`, `*`, `+`, or `.` / `)` for ordered lists.
    kind: char,
    start: Option<u64>,
    content: usize,
}

fn marker(line: &str) -> Option<Marker> {
    let ind = indent(line);
    if ind > 3 || line.contains('\t') && ind != line.len() - line.trim_start().len() {
        return None;
    }
    let t = &line[ind..];
    let (kind, start, len) = match t.chars().next()? {
        c @ ('-' | '*' | '+') => (c, None, 1),
        '0'..='9' => {
            let digits = t.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 9 {
                return None;
            }
            let c = t[digits..].chars().next()?;
            if c != '.' && c != ')' {
                return None;
            }
            (c, t[..digits].parse().ok(), digits + 1)
        }
        _ => return None,
    };
    let rest = &t[len..];
    if rest.is_empty() {
        return Some(Marker {
            kind,
            start,
            content: ind + len + 1,
        });
    }
    let spaces = rest.bytes().take_while(|&b| b == b' ').count();
    if spaces == 0 {
        return None;
    }
    // Five or more spaces: the content starts after one (indented code).
    let spaces = if spaces > 4 { 1 } else { spaces };
    Some(Marker {
        kind,
        start,
        content: ind + len + spaces,
    })
}

/// Removes up to `n` columns of leading spaces.
fn dedent(line: &str, n: usize) -> &str {
    let k = line.bytes().take(n).take_while(|&b| b == b' ').count();
    &line[k..]
}

/// Whether `line` starts a block other than a paragraph continuation.
fn interrupts(line: &str) -> bool {
    heading(line).is_some()
        || is_hr(line)
        || fence(line).is_some()
        || line.trim_start().starts_with('>') && indent(line) <= 3
        || marker(line).is_some_and(|m| {
            // Only non-empty items interrupt a paragraph, and ordered ones
            // only when they start at 1 (CommonMark).
            line.len() > m.content.min(line.len())
                && !is_blank(&line[m.content.min(line.len())..])
                && m.start.is_none_or(|s| s == 1)
        })
}

fn blocks(lines: &[&str], depth: usize) -> Vec<Node> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if is_blank(line) {
            i += 1;
            continue;
        }
        if let Some((c, n, ind)) = fence(line) {
            let mut code = String::new();
            i += 1;
            while i < lines.len() {
                let l = lines[i];
                let t = l.trim_start();
                if indent(l) <= 3
                    && t.starts_with(c)
                    && t.chars().take_while(|&x| x == c).count() >= n
                    && t.trim_start_matches(c).trim().is_empty()
                {
                    i += 1;
                    break;
                }
                code.push_str(dedent(l, ind));
                code.push('\n');
                i += 1;
            }
            out.push(Node::Elem(Elem::Pre, vec![Node::Text(code)]));
            continue;
        }
        if let Some((level, text)) = heading(line) {
            let level = (level as u8 + 1).min(6);
            out.push(Node::Elem(Elem::Heading(level), inlines(text)));
            i += 1;
            continue;
        }
        if is_hr(line) {
            out.push(Node::Elem(Elem::Hr, Vec::new()));
            i += 1;
            continue;
        }
        if indent(line) <= 3 && line.trim_start().starts_with('>') && depth < MAX_DEPTH {
            let mut inner: Vec<&str> = Vec::new();
            while i < lines.len() && !is_blank(lines[i]) {
                let t = lines[i].trim_start();
                if let Some(rest) = t.strip_prefix('>') {
                    inner.push(rest.strip_prefix(' ').unwrap_or(rest));
                } else if interrupts(lines[i]) {
                    break;
                } else {
                    // lazy continuation of the quoted paragraph
                    inner.push(lines[i]);
                }
                i += 1;
            }
            out.push(Node::Elem(Elem::BlockQuote, blocks(&inner, depth + 1)));
            continue;
        }
        if let Some(first) = marker(line).filter(|_| depth < MAX_DEPTH) {
            let (list, next) = list(lines, i, first, depth);
            out.push(list);
            i = next;
            continue;
        }
        // A paragraph: up to a blank line or a line that starts a block.
        let start = i;
        i += 1;
        while i < lines.len() && !is_blank(lines[i]) && !interrupts(lines[i]) {
            i += 1;
        }
        let text: Vec<&str> = lines[start..i].iter().map(|l| l.trim_start()).collect();
        out.push(Node::Elem(Elem::P, inlines(&text.join("\n"))));
    }
    out
}

/// A list starting at `lines[i]`; returns it and the index after it.
fn list(lines: &[&str], mut i: usize, first: Marker, depth: usize) -> (Node, usize) {
    let same = |m: &Marker| m.kind == first.kind;
    let mut items: Vec<Vec<&str>> = Vec::new();
    let mut loose = false;
    while i < lines.len() {
        let Some(m) = marker(lines[i]).filter(same) else {
            break;
        };
        let line = lines[i];
        let mut item: Vec<&str> = vec![line.get(m.content..).unwrap_or("")];
        i += 1;
        let mut gap = false;
        while i < lines.len() {
            let l = lines[i];
            if is_blank(l) {
                gap = true;
                i += 1;
                continue;
            }
            if indent(l) >= m.content {
                if gap {
                    item.push("");
                    loose = true;
                    gap = false;
                }
                item.push(dedent(l, m.content));
                i += 1;
                continue;
            }
            if gap || interrupts(l) || marker(l).is_some() {
                break;
            }
            // lazy continuation line of the item's paragraph
            item.push(l.trim_start());
            i += 1;
        }
        items.push(item);
        if gap {
            // A blank line, then the next item: the list is loose.
            if i < lines.len() && marker(lines[i]).is_some_and(|m| same(&m)) {
                loose = true;
            }
        }
    }
    let children = items
        .iter()
        .map(|item| {
            let mut inner = blocks(item, depth + 1);
            if !loose {
                // A tight list's paragraphs are not wrapped in <p>.
                inner = inner
                    .into_iter()
                    .flat_map(|n| match n {
                        Node::Elem(Elem::P, c) => c,
                        n => vec![n],
                    })
                    .collect();
            }
            Node::Elem(Elem::Li, inner)
        })
        .collect();
    let elem = match first.start {
        None => Elem::Ul,
        Some(1) => Elem::Ol(None),
        Some(s) => Elem::Ol(Some(s)),
    };
    (Node::Elem(elem, children), i)
}

/// Inline content: text, code spans, emphasis, links, line breaks.
fn inlines(text: &str) -> Vec<Node> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    inline_into(&chars, &mut out, 0);
    out
}

fn push_text(out: &mut Vec<Node>, s: &str) {
    if s.is_empty() {
        return;
    }
    if let Some(Node::Text(prev)) = out.last_mut() {
        prev.push_str(s);
    } else {
        out.push(Node::Text(s.to_string()));
    }
}

fn push_char(out: &mut Vec<Node>, c: char) {
    let mut b = [0u8; 4];
    push_text(out, c.encode_utf8(&mut b));
}

fn run_len(s: &[char], i: usize, c: char) -> usize {
    s[i..].iter().take_while(|&&x| x == c).count()
}

/// The index after a code span opening at `i` (a run of backticks), and
/// its content, or `None` if it is not closed.
fn code_span(s: &[char], i: usize) -> Option<(usize, String)> {
    let n = run_len(s, i, '`');
    let mut j = i + n;
    while j < s.len() {
        if s[j] == '`' {
            let m = run_len(s, j, '`');
            if m == n {
                let mut content: String = s[i + n..j]
                    .iter()
                    .map(|&c| if c == '\n' { ' ' } else { c })
                    .collect();
                if content.len() >= 2
                    && content.starts_with(' ')
                    && content.ends_with(' ')
                    && !content.trim().is_empty()
                {
                    content = content[1..content.len() - 1].to_string();
                }
                return Some((j + m, content));
            }
            j += m;
        } else {
            j += 1;
        }
    }
    None
}

/// A character reference at `i` (`&…;`): the character and the index after.
fn entity(s: &[char], i: usize) -> Option<(char, usize)> {
    let end = (i + 1..s.len().min(i + 12)).find(|&j| s[j] == ';')?;
    let name: String = s[i + 1..end].iter().collect();
    let c = if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) if (1..=6).contains(&hex.len()) => u32::from_str_radix(hex, 16).ok()?,
            None if (1..=7).contains(&num.len()) && num.bytes().all(|b| b.is_ascii_digit()) => {
                num.parse().ok()?
            }
            _ => return None,
        };
        match code {
            0 => '\u{FFFD}',
            c => char::from_u32(c).unwrap_or('\u{FFFD}'),
        }
    } else {
        match name.as_str() {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "nbsp" => '\u{a0}',
            _ => return None,
        }
    };
    Some((c, end + 1))
}

/// Backslash escapes and character references resolved (link
/// destinations and titles).
fn unescape(s: &[char]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            '\\' if i + 1 < s.len() && s[i + 1].is_ascii_punctuation() => {
                out.push(s[i + 1]);
                i += 2;
            }
            '&' => match entity(s, i) {
                Some((c, next)) => {
                    out.push(c);
                    i = next;
                }
                None => {
                    out.push('&');
                    i += 1;
                }
            },
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// The index of the `]` closing the `[` at `i`, skipping code spans,
/// escapes and nested brackets.
fn close_bracket(s: &[char], i: usize) -> Option<usize> {
    let mut depth = 0;
    let mut j = i;
    while j < s.len() {
        match s[j] {
            '\\' => j += 1,
            '`' => {
                if let Some((next, _)) = code_span(s, j) {
                    j = next;
                    continue;
                }
                j += run_len(s, j, '`');
                continue;
            }
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(j);
                }
            }
            _ => {}
        }
        j += 1;
    }
    None
}

/// `(dest, title, index after ')')` of an inline link's `(…)` at `i`.
fn link_tail(s: &[char], i: usize) -> Option<(String, String, usize)> {
    if s.get(i) != Some(&'(') {
        return None;
    }
    let skip_ws = |mut j: usize| {
        while j < s.len() && s[j].is_ascii_whitespace() {
            j += 1;
        }
        j
    };
    let mut j = skip_ws(i + 1);
    let dest: String;
    if s.get(j) == Some(&'<') {
        let start = j + 1;
        let mut k = start;
        while k < s.len() && s[k] != '>' {
            if s[k] == '\n' || s[k] == '<' {
                return None;
            }
            if s[k] == '\\' {
                k += 1;
            }
            k += 1;
        }
        if k >= s.len() {
            return None;
        }
        dest = unescape(&s[start..k]);
        j = k + 1;
    } else {
        let start = j;
        let mut parens = 0;
        while j < s.len() && !s[j].is_ascii_whitespace() && !s[j].is_ascii_control() {
            match s[j] {
                '\\' => j += 1,
                '(' => parens += 1,
                ')' if parens == 0 => break,
                ')' => parens -= 1,
                _ => {}
            }
            j += 1;
        }
        if parens != 0 || j > s.len() {
            return None;
        }
        dest = unescape(&s[start..j.min(s.len())]);
    }
    let after_dest = j;
    j = skip_ws(j);
    let mut title = String::new();
    if j > after_dest && j < s.len() && matches!(s[j], '"' | '\'' | '(') {
        let close = if s[j] == '(' { ')' } else { s[j] };
        let start = j + 1;
        let mut k = start;
        while k < s.len() && s[k] != close {
            if s[k] == '\\' {
                k += 1;
            }
            k += 1;
        }
        if k >= s.len() {
            return None;
        }
        title = unescape(&s[start..k]);
        j = skip_ws(k + 1);
    }
    (s.get(j) == Some(&')')).then(|| (dest, title, j + 1))
}

/// An autolink at `i` (`<scheme:…>` or `<a@b>`): its destination, text and
/// the index after `>`.
fn autolink(s: &[char], i: usize) -> Option<(String, String, usize)> {
    let end =
        (i + 1..s.len()).find(|&j| s[j] == '>' || s[j] == '<' || s[j].is_ascii_whitespace())?;
    if s[end] != '>' || end == i + 1 {
        return None;
    }
    let text: String = s[i + 1..end].iter().collect();
    let scheme_len = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c)))
        .unwrap_or(text.len());
    let is_uri = (2..=32).contains(&scheme_len)
        && text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text[scheme_len..].starts_with(':');
    let dest = if is_uri {
        text.clone()
    } else {
        let (local, domain) = text.split_once('@')?;
        let ok = !local.is_empty()
            && !domain.is_empty()
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c))
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if !ok {
            return None;
        }
        format!("mailto:{text}")
    };
    Some((dest, text, end + 1))
}

/// A letter or digit, for the rule that `_` inside a word is not
/// emphasis (any non-ASCII character counts as a letter: no Unicode
/// tables in the download).
fn word(c: char) -> bool {
    c.is_ascii_alphanumeric() || !c.is_ascii()
}

fn flanking_open(s: &[char], i: usize, n: usize, c: char) -> bool {
    let next = s.get(i + n);
    let prev = i.checked_sub(1).map(|p| s[p]);
    next.is_some_and(|x| !x.is_ascii_whitespace()) && (c != '_' || !prev.is_some_and(word))
}

/// The index of a run of exactly `n` delimiters `c` that can close an
/// emphasis opened at `i`.
fn find_closer(s: &[char], i: usize, n: usize, c: char) -> Option<usize> {
    let mut j = i + n;
    while j < s.len() {
        match s[j] {
            '\\' => j += 2,
            '`' => match code_span(s, j) {
                Some((next, _)) => j = next,
                None => j += run_len(s, j, '`'),
            },
            x if x == c => {
                let m = run_len(s, j, c);
                let prev_ok = !s[j - 1].is_ascii_whitespace();
                let next = s.get(j + m);
                let next_ok = c != '_' || !next.is_some_and(|x| word(*x));
                if m == n && prev_ok && next_ok && j > i + n {
                    return Some(j);
                }
                j += m;
            }
            _ => j += 1,
        }
    }
    None
}

fn inline_into(s: &[char], out: &mut Vec<Node>, depth: usize) {
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        match c {
            '\\' if i + 1 < s.len() && s[i + 1] == '\n' => {
                out.push(Node::Elem(Elem::Br, Vec::new()));
                i += 2;
            }
            '\\' if i + 1 < s.len() && s[i + 1].is_ascii_punctuation() => {
                push_char(out, s[i + 1]);
                i += 2;
            }
            '\n' => {
                // Two trailing spaces make a hard break; else a space.
                let hard = matches!(out.last(), Some(Node::Text(t)) if t.ends_with("  "));
                if let Some(Node::Text(t)) = out.last_mut() {
                    let trimmed = t.trim_end_matches(' ').len();
                    t.truncate(trimmed);
                }
                if hard {
                    out.push(Node::Elem(Elem::Br, Vec::new()));
                } else {
                    push_text(out, " ");
                }
                i += 1;
            }
            '`' => match code_span(s, i) {
                Some((next, content)) => {
                    out.push(Node::Code(content));
                    i = next;
                }
                None => {
                    let n = run_len(s, i, '`');
                    push_text(out, &"`".repeat(n));
                    i += n;
                }
            },
            '&' => match entity(s, i) {
                Some((ch, next)) => {
                    push_char(out, ch);
                    i = next;
                }
                None => {
                    push_char(out, '&');
                    i += 1;
                }
            },
            '<' => match autolink(s, i) {
                Some((dest, text, next)) => {
                    match safe_href(&dest) {
                        Some((href, external)) => out.push(Node::Link {
                            href,
                            external,
                            title: String::new(),
                            children: vec![Node::Text(text)],
                        }),
                        None => push_text(out, &text),
                    }
                    i = next;
                }
                None => {
                    push_char(out, '<');
                    i += 1;
                }
            },
            '!' | '[' => {
                let image = c == '!';
                let open = if image { i + 1 } else { i };
                let parsed = (s.get(open) == Some(&'[') && depth < MAX_DEPTH)
                    .then(|| close_bracket(s, open))
                    .flatten()
                    .and_then(|close| link_tail(s, close + 1).map(|t| (close, t)));
                match parsed {
                    Some((close, (dest, title, next))) => {
                        let mut children = Vec::new();
                        inline_into(&s[open + 1..close], &mut children, depth + 1);
                        if image {
                            // The alt text, in brackets; never a request.
                            push_text(out, "[");
                            for n in children {
                                match n {
                                    Node::Text(t) => push_text(out, &t),
                                    n => out.push(n),
                                }
                            }
                            push_text(out, "]");
                        } else {
                            match safe_href(&dest) {
                                Some((href, external)) => out.push(Node::Link {
                                    href,
                                    external,
                                    title,
                                    children,
                                }),
                                // An unsafe link: its text, as text.
                                None => {
                                    for n in children {
                                        match n {
                                            Node::Text(t) => push_text(out, &t),
                                            n => out.push(n),
                                        }
                                    }
                                }
                            }
                        }
                        i = next;
                    }
                    None => {
                        push_char(out, c);
                        i += 1;
                    }
                }
            }
            '*' | '_' | '~' => {
                let n = run_len(s, i, c);
                let usable = if c == '~' { n == 2 } else { n <= 3 };
                let closer = (usable && depth < MAX_DEPTH && flanking_open(s, i, n, c))
                    .then(|| find_closer(s, i, n, c))
                    .flatten();
                match closer {
                    Some(j) => {
                        let mut inner = Vec::new();
                        inline_into(&s[i + n..j], &mut inner, depth + 1);
                        let node = match (c, n) {
                            ('~', _) => Node::Elem(Elem::Del, inner),
                            (_, 1) => Node::Elem(Elem::Em, inner),
                            (_, 2) => Node::Elem(Elem::Strong, inner),
                            _ => Node::Elem(Elem::Em, vec![Node::Elem(Elem::Strong, inner)]),
                        };
                        out.push(node);
                        i = j + n;
                    }
                    None => {
                        let mut b = String::new();
                        for _ in 0..n {
                            b.push(c);
                        }
                        push_text(out, &b);
                        i += n;
                    }
                }
            }
            _ => {
                // A run of plain characters at once.
                let start = i;
                while i < s.len() && !"\\\n`&<![*_~".contains(s[i]) {
                    i += 1;
                }
                if i == start {
                    push_char(out, c);
                    i += 1;
                } else {
                    let t: String = s[start..i].iter().collect();
                    push_text(out, &t);
                }
            }
        }
    }
}

/// The `href` to use for a link destination from untrusted text, and
/// whether it is absolute, or `None` when it must not be a link.
///
/// Allowed: `http:`, `https:`, `mailto:` (any case), and relative
/// references (`#/scenario/x`, `other.html`, `//host/path`, `?q`).
/// Browsers strip leading and trailing C0 controls and spaces and remove
/// tabs and newlines anywhere before reading a URL's scheme, so this does
/// the same first (`java\tscript:` is `javascript:`) and returns the
/// cleaned string.
pub fn safe_href(dest: &str) -> Option<(String, bool)> {
    let cleaned: String = dest
        .trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    // A scheme is ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) followed by ':'.
    let scheme_end = cleaned.find(|c: char| !(c.is_ascii_alphanumeric() || "+-.".contains(c)));
    let has_scheme = cleaned.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme_end.is_some_and(|i| cleaned[i..].starts_with(':'));
    if !has_scheme {
        // Anything else that contains a ':' before any '/', '?' or '#' is
        // not a relative reference a browser would read as one; refuse it.
        let first_delim = cleaned.find(['/', '?', '#']).unwrap_or(cleaned.len());
        if cleaned[..first_delim].contains(':') {
            return None;
        }
        return Some((cleaned, false));
    }
    let scheme = cleaned[..scheme_end.expect("has_scheme")].to_ascii_lowercase();
    matches!(scheme.as_str(), "http" | "https" | "mailto").then_some((cleaned, true))
}

/// Renders a tree as Yew VNodes.
pub fn view(nodes: &[Node]) -> Html {
    nodes.iter().map(view_node).collect::<Html>()
}

fn view_node(node: &Node) -> Html {
    match node {
        Node::Text(t) => html! { {t.clone()} },
        Node::Code(t) => html! { <code>{t.clone()}</code> },
        Node::Link {
            href,
            external,
            title,
            children,
        } => {
            let title = (!title.is_empty()).then(|| AttrValue::from(title.clone()));
            if *external {
                html! {
                    <a href={href.clone()} {title} target="_blank" rel="noopener noreferrer">
                        {view(children)}
                    </a>
                }
            } else {
                html! { <a href={href.clone()} {title}>{view(children)}</a> }
            }
        }
        Node::Elem(e, children) => {
            let inner = view(children);
            match *e {
                Elem::P => html! { <p>{inner}</p> },
                Elem::Heading(level) => {
                    let tag = match level {
                        0..=2 => "h2",
                        3 => "h3",
                        4 => "h4",
                        5 => "h5",
                        _ => "h6",
                    };
                    html! { <@{tag}>{inner}</@> }
                }
                Elem::BlockQuote => html! { <blockquote>{inner}</blockquote> },
                Elem::Pre => html! { <pre><code>{inner}</code></pre> },
                Elem::Ul => html! { <ul>{inner}</ul> },
                Elem::Ol(start) => {
                    let start = start.map(|s| AttrValue::from(s.to_string()));
                    html! { <ol {start}>{inner}</ol> }
                }
                Elem::Li => html! { <li>{inner}</li> },
                Elem::Em => html! { <em>{inner}</em> },
                Elem::Strong => html! { <strong>{inner}</strong> },
                Elem::Del => html! { <del>{inner}</del> },
                Elem::Br => html! { <br /> },
                Elem::Hr => html! { <hr /> },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders Markdown through [`view`] to an HTML string, the way the
    /// browser gets it (Yew's server renderer escapes text the same way the
    /// DOM holds it: as text).
    fn render(markdown: &str) -> String {
        #[derive(Properties, PartialEq)]
        struct Props {
            text: String,
        }
        #[function_component]
        fn Md(props: &Props) -> Html {
            view(&parse(&props.text))
        }
        crate::testing::render::<Md>(Props {
            text: markdown.to_string(),
        })
    }

    /// Every text in the tree, concatenated.
    fn text(nodes: &[Node]) -> String {
        nodes
            .iter()
            .map(|n| match n {
                Node::Text(t) | Node::Code(t) => t.clone(),
                Node::Elem(_, c) | Node::Link { children: c, .. } => text(c),
            })
            .collect()
    }

    fn links(nodes: &[Node]) -> Vec<String> {
        nodes
            .iter()
            .flat_map(|n| match n {
                Node::Link { href, children, .. } => {
                    let mut v = vec![href.clone()];
                    v.extend(links(children));
                    v
                }
                Node::Elem(_, c) => links(c),
                _ => vec![],
            })
            .collect()
    }

    #[test]
    fn basic_markdown() {
        let nodes = parse("Task **A** writes `page 0`, *then*:\n\n1. one\n2. two\n");
        assert_eq!(
            nodes,
            vec![
                Node::Elem(
                    Elem::P,
                    vec![
                        Node::Text("Task ".into()),
                        Node::Elem(Elem::Strong, vec![Node::Text("A".into())]),
                        Node::Text(" writes ".into()),
                        Node::Code("page 0".into()),
                        Node::Text(", ".into()),
                        Node::Elem(Elem::Em, vec![Node::Text("then".into())]),
                        Node::Text(":".into()),
                    ]
                ),
                Node::Elem(
                    Elem::Ol(None),
                    vec![
                        Node::Elem(Elem::Li, vec![Node::Text("one".into())]),
                        Node::Elem(Elem::Li, vec![Node::Text("two".into())]),
                    ]
                ),
            ]
        );
        assert_eq!(
            render("# Watch\n\nTask **A** and `fsync`"),
            "<h2>Watch</h2><p>Task <strong>A</strong> and <code>fsync</code></p>"
        );
    }

    #[test]
    fn script_tags_are_text() {
        let md = "Hello <script>alert(1)</script> there\n\n<script>\nalert(2)\n</script>\n";
        let nodes = parse(md);
        let t = text(&nodes);
        assert!(t.contains("<script>alert(1)</script>"), "{t:?}");
        assert!(t.contains("alert(2)"), "{t:?}");
        let html = render(md);
        assert!(!html.contains("<script"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
    }

    #[test]
    fn img_onerror_is_text() {
        let md = "<img src=x onerror=alert(1)>\n\nand inline <img src=y onerror=\"alert(2)\"> too";
        let t = text(&parse(md));
        assert!(t.contains("<img src=x onerror=alert(1)>"), "{t:?}");
        assert!(t.contains("<img src=y onerror=\"alert(2)\">"), "{t:?}");
        let html = render(md);
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{html}"
        );
    }

    #[test]
    fn markdown_images_become_alt_text() {
        let nodes = parse("![a diagram](http://tracker.example/x.png)");
        assert_eq!(links(&nodes), Vec::<String>::new());
        assert_eq!(text(&nodes), "[a diagram]");
        assert!(!render("![a diagram](http://tracker.example/x.png)").contains("<img"));
    }

    #[test]
    fn javascript_links_are_not_links() {
        for md in [
            "[click](javascript:alert(1))",
            "[click](JaVaScRiPt:alert(1))",
            "[click](  javascript:alert(1))",
            "[click](java&#9;script:alert(1))",
            "[click](&#x6A;avascript:alert(1))",
            "[click](<java\tscript:alert(1)>)",
            "[click](data:text/html,<script>alert(1)</script>)",
            "[click](vbscript:msgbox)",
            "[click](file:///etc/passwd)",
        ] {
            let nodes = parse(md);
            assert_eq!(links(&nodes), Vec::<String>::new(), "{md}");
            assert_eq!(text(&nodes), "click", "{md}");
            let html = render(md);
            assert!(!html.contains("<a"), "{md}: {html}");
        }
        // Reference links are not in the subset: they stay text, never a link.
        let nodes = parse("[click][r]\n\n[r]: javascript:alert(1)");
        assert_eq!(links(&nodes), Vec::<String>::new());
        assert!(!render("[click][r]\n\n[r]: javascript:alert(1)").contains("<a"));
        // An autolink with a bad scheme stays visible as text.
        let nodes = parse("<javascript:alert(1)>");
        assert_eq!(links(&nodes), Vec::<String>::new());
        assert_eq!(text(&nodes), "javascript:alert(1)");
    }

    #[test]
    fn safe_links_are_links() {
        let nodes = parse(
            "[lkml](https://lore.kernel.org/x \"thread\"), [h](HTTP://a.b), \
             <mailto:me@example.org>, <you@example.org>, [next](#/scenario/x), [rel](notes.html)",
        );
        assert_eq!(
            links(&nodes),
            vec![
                "https://lore.kernel.org/x",
                "HTTP://a.b",
                "mailto:me@example.org",
                "mailto:you@example.org",
                "#/scenario/x",
                "notes.html",
            ]
        );
        let html = render("[lkml](https://lore.kernel.org/x \"thread\") [next](#/scenario/x)");
        assert_eq!(
            html,
            "<p><a href=\"https://lore.kernel.org/x\" title=\"thread\" target=\"_blank\" \
             rel=\"noopener noreferrer\">lkml</a> <a href=\"#/scenario/x\">next</a></p>"
        );
    }

    #[test]
    fn safe_href_policy() {
        assert_eq!(safe_href("https://x"), Some(("https://x".into(), true)));
        assert_eq!(
            safe_href(" \u{1}https://x "),
            Some(("https://x".into(), true))
        );
        assert_eq!(safe_href("//host/p"), Some(("//host/p".into(), false)));
        assert_eq!(safe_href("a/b:c"), Some(("a/b:c".into(), false)));
        assert_eq!(safe_href("?q=a:b"), Some(("?q=a:b".into(), false)));
        assert_eq!(safe_href(""), Some(("".into(), false)));
        assert_eq!(safe_href("java\nscript:x"), None);
        assert_eq!(safe_href("\u{0}javascript:x"), None);
        assert_eq!(safe_href("1abc:x"), None);
        assert_eq!(safe_href("blob:https://x"), None);
    }

    #[test]
    fn attributes_cannot_be_injected() {
        // A title or href with quotes stays inside its attribute.
        let html = render("[x](https://a.b/\"onmouseover=alert(1) \"t\\\" onclick=x\")");
        assert_eq!(
            html,
            "<p><a href=\"https://a.b/&quot;onmouseover=alert(1)\" title=\"t&quot; onclick=x\" \
             target=\"_blank\" rel=\"noopener noreferrer\">x</a></p>"
        );
    }

    #[test]
    fn headings_shift_down_and_lists_keep_their_start() {
        let nodes = parse("###### six\n\n3. three\n4. four");
        assert!(matches!(nodes[0], Node::Elem(Elem::Heading(6), _)));
        assert!(matches!(nodes[1], Node::Elem(Elem::Ol(Some(3)), _)));
        assert_eq!(render("3. three"), "<ol start=\"3\"><li>three</li></ol>");
    }

    #[test]
    fn list_items_with_continuation_lines() {
        let md = "Each policy:\n\n- **linux-5.8** (`warn-eio`): log a warning,\n  carry on.\n- **fail**: the write fails.\n\nAfter.";
        let nodes = parse(md);
        assert_eq!(nodes.len(), 3, "{nodes:?}");
        let Node::Elem(Elem::Ul, items) = &nodes[1] else {
            panic!("{nodes:?}")
        };
        assert_eq!(items.len(), 2);
        assert_eq!(
            text(&items[0..1]),
            "linux-5.8 (warn-eio): log a warning, carry on."
        );
        assert_eq!(
            render("- a\n\n- b"),
            "<ul><li><p>a</p></li><li><p>b</p></li></ul>"
        );
    }

    #[test]
    fn blocks_of_the_subset() {
        assert_eq!(
            render("> quoted *text*\nlazy\n\n```toml\n<b>x</b> **y**\n```\n\n---\n\n## Title ##"),
            "<blockquote><p>quoted <em>text</em> lazy</p></blockquote>\
             <pre><code>&lt;b&gt;x&lt;/b&gt; **y**\n</code></pre><hr><h3>Title</h3>"
        );
        assert_eq!(render("a  \nb\\\nc"), "<p>a<br>b<br>c</p>");
        assert_eq!(
            render("***both*** ~~gone~~ __strong__"),
            "<p><em><strong>both</strong></em> <del>gone</del> <strong>strong</strong></p>"
        );
    }

    #[test]
    fn underscores_inside_words_and_unclosed_delimiters_are_text() {
        assert_eq!(
            text(&parse(
                "dio_warn_stale_pagecache and i_size, 2 * 3 * 4, **open, `tick, [x]("
            )),
            "dio_warn_stale_pagecache and i_size, 2 * 3 * 4, **open, `tick, [x]("
        );
        assert_eq!(
            text(&parse("\\*not em\\* &amp; &#65; &bogus; &#0;")),
            "*not em* & A &bogus; \u{FFFD}"
        );
    }

    #[test]
    fn every_bundled_about_renders_without_markdown_left_over() {
        for b in dioscope::library::bundled() {
            let s = b.parse().unwrap();
            let t = text(&parse(&s.about));
            assert!(!t.contains("**"), "{}: {t}", b.id());
            assert!(!t.contains('`'), "{}: {t}", b.id());
        }
    }

    #[test]
    fn any_input_parses_and_renders_without_markup() {
        // A small deterministic fuzz: strings over Markdown's special
        // characters, tabs and multi-byte characters never panic, and
        // never produce an element outside the subset.
        let alphabet: Vec<char> = "*_~`[]()<>!#>-+1.)\\&;:/ \t\nahé€😀\"'".chars().collect();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..3000 {
            let mut s = String::new();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = (x % 40) as usize;
            for _ in 0..n {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                s.push(alphabet[(x % alphabet.len() as u64) as usize]);
            }
            let html = render(&format!("{s}<script>x</script>[a](javascript:x)"));
            assert!(!html.contains("<script"), "{s:?}: {html}");
            assert!(!html.contains("href=\"javascript"), "{s:?}: {html}");
        }
    }
}
