//! The TOML document of a scenario file: parsed by the `toml` crate (TOML
//! 1.0 and 1.1: dotted keys, hex/octal/binary and underscored integers,
//! every string kind), kept as a tree of values with their byte spans, and
//! its errors reworded for scenario authors with a hint.
//!
//! Scenario values nest two levels at most (`ops = [...]`, `set = {...}`),
//! so nesting deeper than [`MAX_NESTING`] is refused before any parser
//! runs: a 163-character link once carried 14,500 nested arrays that
//! overflowed the stack of a recursive parser (a dead page in the browser).
//! The check is ours, not the parser's, so it holds whatever parser and
//! features are built in (a crate's `unbounded` feature is additive).

use std::ops::Range;

use toml::de::{DeTable, DeValue};

/// Deepest nesting of arrays and inline tables accepted.
pub const MAX_NESTING: usize = 16;

/// A value with the byte span of its source text (strings: quotes included).
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub kind: Kind,
    pub span: Range<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Str(String),
    Int(i64),
    Bool(bool),
    Array(Vec<Value>),
    Table(Table),
}

impl Kind {
    pub fn type_name(&self) -> &'static str {
        match self {
            Kind::Str(_) => "a string",
            Kind::Int(_) => "a number",
            Kind::Bool(_) => "true or false",
            Kind::Array(_) => "an array",
            Kind::Table(_) => "a table",
        }
    }
}

/// A key with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub name: String,
    pub span: Range<usize>,
}

/// A table: entries in source order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub entries: Vec<(Key, Value)>,
}

impl Table {
    pub fn get(&self, k: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(key, _)| key.name == k)
            .map(|(_, v)| v)
    }
}

/// A syntax error: where (bytes), what, and a hint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub span: Range<usize>,
    pub msg: String,
    pub hint: Option<String>,
}

fn error(span: Range<usize>, msg: impl Into<String>, hint: Option<&str>) -> Error {
    Error {
        span,
        msg: msg.into(),
        hint: hint.map(Into::into),
    }
}

/// Parses a document into its root table.
pub fn parse(text: &str) -> Result<Table, Error> {
    let scan = Scan::new(text);
    if let Some(at) = scan.too_deep {
        return Err(error(
            at..at + 1,
            format!("arrays and inline tables nest more than {MAX_NESTING} deep here"),
            Some("scenario values nest two deep at most: ops = [\"...\"], set = { knob = \"value\" }"),
        ));
    }
    if let Some(at) = scan.long_key {
        return Err(error(
            at..at + 1,
            format!("a dotted key of more than {MAX_NESTING} parts"),
            Some("scenario keys have two parts at most: setup.fs = \"xfs\""),
        ));
    }
    let doc = DeTable::parse(text).map_err(|e| explain(text, &scan, &e))?;
    table(doc.get_ref())
}

fn table(t: &DeTable<'_>) -> Result<Table, Error> {
    let mut entries: Vec<_> = t.iter().collect();
    // the map is ordered by key; messages follow the file
    entries.sort_by_key(|(k, _)| k.span().start);
    let entries = entries
        .into_iter()
        .map(|(k, v)| {
            let key = Key {
                name: k.get_ref().to_string(),
                span: k.span(),
            };
            Ok((key, value(v.get_ref(), v.span())?))
        })
        .collect::<Result<_, Error>>()?;
    Ok(Table { entries })
}

fn value(v: &DeValue<'_>, span: Range<usize>) -> Result<Value, Error> {
    let kind = match v {
        DeValue::String(s) => Kind::Str(s.to_string()),
        DeValue::Integer(n) => match i64::from_str_radix(n.as_str(), n.radix()) {
            Ok(n) => Kind::Int(n),
            Err(_) => {
                return Err(error(
                    span,
                    "this number is too large",
                    Some("scenario numbers are small: pages, sizes"),
                ))
            }
        },
        DeValue::Float(_) | DeValue::Datetime(_) => {
            return Err(error(
                span,
                "this is not a whole number",
                Some("scenario files use whole numbers only (no floats or dates)"),
            ))
        }
        DeValue::Boolean(b) => Kind::Bool(*b),
        DeValue::Array(items) => Kind::Array(
            items
                .iter()
                .map(|it| value(it.get_ref(), it.span()))
                .collect::<Result<_, _>>()?,
        ),
        DeValue::Table(t) => Kind::Table(table(t)?),
    };
    Ok(Value { kind, span })
}

/// What a lexical pass over the text finds, for the nesting limit and for
/// better error positions: the open brackets and the open string at every
/// point, without parsing.
struct Scan {
    /// Where the nesting first goes past the limit.
    too_deep: Option<usize>,
    /// Where a dotted key first has more parts than the limit (each part
    /// is a table nested in the one before).
    long_key: Option<usize>,
    /// Offsets of `[`/`{` with the offset where each closes (or `None`).
    brackets: Vec<(usize, Option<usize>)>,
    /// A string that runs to the end of its line or of the text: its start.
    open_strings: Vec<usize>,
}

impl Scan {
    fn new(text: &str) -> Scan {
        let b = text.as_bytes();
        let mut s = Scan {
            too_deep: None,
            long_key: None,
            brackets: Vec::new(),
            open_strings: Vec::new(),
        };
        let mut stack: Vec<usize> = Vec::new();
        // whether the text here is a key (or a table header), and the dots
        // of that key so far
        let (mut key, mut header, mut dots, mut line_start) = (true, false, 0, true);
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            match c {
                b'#' => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                b'"' | b'\'' => {
                    i = s.string(b, i, c);
                    line_start = false;
                    continue;
                }
                b'\n' => {
                    line_start = true;
                    key |= stack.is_empty();
                    dots = 0;
                }
                b'[' | b'{' => {
                    let is_header = c == b'[' && stack.is_empty() && line_start;
                    let second = c == b'[' && header && stack.len() == 1 && b[i - 1] == b'[';
                    header |= is_header;
                    key = c == b'{' || is_header || second;
                    if c == b'{' || is_header {
                        dots = 0;
                    }
                    stack.push(s.brackets.len());
                    s.brackets.push((i, None));
                    if stack.len() > MAX_NESTING && s.too_deep.is_none() {
                        s.too_deep = Some(i);
                    }
                }
                b']' | b'}' => {
                    if let Some(k) = stack.pop() {
                        s.brackets[k].1 = Some(i);
                    }
                    header &= !stack.is_empty();
                    key = false;
                }
                b'=' => key = false,
                b',' => {
                    let in_table = stack.last().is_some_and(|&k| b[s.brackets[k].0] == b'{');
                    if in_table {
                        key = true;
                        dots = 0;
                    }
                }
                b'.' if key => {
                    dots += 1;
                    if dots >= MAX_NESTING && s.long_key.is_none() {
                        s.long_key = Some(i);
                    }
                }
                _ => {}
            }
            if !c.is_ascii_whitespace() {
                line_start = false;
            }
            i += 1;
        }
        s
    }

    /// Skips the string starting at `i` (quote `q`); returns where it ends.
    fn string(&mut self, b: &[u8], start: usize, q: u8) -> usize {
        let triple = b[start..].starts_with(&[q, q, q]);
        let mut i = start + if triple { 3 } else { 1 };
        while i < b.len() {
            let c = b[i];
            if q == b'"' && c == b'\\' {
                i += 2;
                continue;
            }
            if !triple && c == b'\n' {
                break;
            }
            if c == q {
                if !triple {
                    return i + 1;
                }
                if b[i..].starts_with(&[q, q, q]) {
                    // up to two more quotes belong to the content
                    let mut n = 3;
                    while n < 5 && b.get(i + n) == Some(&q) {
                        n += 1;
                    }
                    return i + n;
                }
            }
            i += 1;
        }
        self.open_strings.push(start);
        i
    }

    /// The innermost bracket opened before `at` and not closed before it.
    fn open_at(&self, at: usize, open: u8, text: &str) -> Option<usize> {
        self.brackets
            .iter()
            .filter(|(o, c)| *o < at && c.is_none_or(|c| c >= at))
            .map(|(o, _)| *o)
            .filter(|&o| text.as_bytes()[o] == open)
            .max()
    }

    /// The unclosed string that the error at `at` is in.
    fn string_at(&self, at: usize) -> Option<usize> {
        self.open_strings.iter().copied().filter(|&s| s <= at).max()
    }
}

/// The text at a byte range, snapped to characters.
fn text_at(text: &str, span: &Range<usize>) -> String {
    let mut start = span.start.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    text[start..end].to_string()
}

/// The character at byte `at`, in backquotes, or "the end".
fn char_at(text: &str, at: usize) -> String {
    match text.get(at..).and_then(|s| s.chars().next()) {
        None => "the end of the file".into(),
        Some('\n') | Some('\r') => "the end of the line".into(),
        Some(c) if c.is_control() => format!("control character U+{:04X}", c as u32),
        Some(c) => format!("`{c}`"),
    }
}

/// The line of `text` that byte `at` is on, trimmed.
fn line_at(text: &str, at: usize) -> &str {
    let at = at.min(text.len());
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    text[start..end].trim()
}

fn line_no(text: &str, at: usize) -> usize {
    text.as_bytes()[..at.min(text.len())]
        .iter()
        .filter(|&&c| c == b'\n')
        .count()
        + 1
}

/// A parser error, where it is: its description (the message without its
/// "expected" list), its span and the text there.
struct Found<'a> {
    text: &'a str,
    scan: &'a Scan,
    desc: &'a str,
    span: Range<usize>,
    at: usize,
    here: String,
}

/// A toml error in the words scenario authors get everywhere else: what is
/// wrong, at the place to fix, with a hint.
fn explain(text: &str, scan: &Scan, e: &toml::de::Error) -> Error {
    let span = e.span().unwrap_or(0..0);
    let span = span.start.min(text.len())..span.end.min(text.len());
    let full = e.message();
    let f = Found {
        text,
        scan,
        desc: full.split(", expected").next().unwrap_or(full),
        at: span.start,
        here: text_at(text, &span),
        span,
    };
    if let Some(e) = header_in_array(text, scan, f.at) {
        return e;
    }
    structure_error(&f)
        .or_else(|| value_error(&f))
        .or_else(|| string_error(&f))
        .unwrap_or_else(|| error(f.span.clone(), full.to_string(), None))
}

/// Tables, arrays, keys.
fn structure_error(f: &Found) -> Option<Error> {
    let (text, span, at) = (f.text, f.span.clone(), f.at);
    Some(match f.desc {
        "duplicate key" => duplicate(text, span, &f.here),
        "unclosed table" | "unclosed array table" => {
            let close = if f.desc == "unclosed table" {
                "]"
            } else {
                "]]"
            };
            error(
                span,
                format!("expected `{close}` to close the table header"),
                Some("a header is [setup], [policy], [[task]] or [[expect]]"),
            )
        }
        "unclosed array" => {
            let open = f.scan.open_at(at, b'[', text).unwrap_or(at);
            error(open..open + 1, "this array is not closed", Some("add `]`"))
        }
        "unclosed inline table" => {
            let open = f.scan.open_at(at, b'{', text).unwrap_or(at);
            error(
                open..open + 1,
                "this inline table is not closed",
                Some("add `}`"),
            )
        }
        "missing comma between array elements" => error(
            span,
            "expected `,` or `]` in the array",
            Some("values in an array are separated by `,`"),
        ),
        "missing comma between key-value pairs" | "invalid inline table element" => error(
            span,
            "expected `,` or `}` in the inline table",
            Some("write it as { key = \"value\", other = \"value\" }"),
        ),
        "key with no value" | "missing assignment between key-value pairs" => {
            let line = &text[..at.min(text.len())];
            let key = line[line.rfind('\n').map_or(0, |i| i + 1)..]
                .split_whitespace()
                .next();
            let msg = match key {
                // a key worth quoting: not 100 NULs (browser fuzz)
                Some(k) if k.len() <= 40 && !k.chars().any(char::is_control) => {
                    format!("expected `=` after the key `{k}`")
                }
                _ => "expected `=` after the key".into(),
            };
            error(
                span,
                msg,
                Some("a line is `key = value`, a [table] or a comment"),
            )
        }
        "unquoted keys cannot be empty" | "invalid unquoted key" => error(
            span,
            format!("expected a key, found {}", char_at(text, at)),
            Some("keys are letters, digits, `_` and `-` (or quoted)"),
        ),
        "cannot recurse further; max recursion depth met" => error(
            span,
            "arrays and inline tables nest too deep here",
            Some("scenario values nest two deep at most"),
        ),
        _ => return None,
    })
}

/// Values that are not one, what follows a value, numbers, comments.
fn value_error(f: &Found) -> Option<Error> {
    let (text, span, at, here) = (f.text, f.span.clone(), f.at, f.here.as_str());
    Some(match f.desc {
        "string values must be quoted" | "invalid value" | "invalid boolean" => {
            if here.trim().is_empty() {
                error(
                    span,
                    "a value is missing after `=`",
                    Some("strings are quoted: \"like this\""),
                )
            } else if here.contains(char::is_whitespace) {
                error(
                    span,
                    format!("`{here}` is not one value"),
                    Some("one key = value per line; strings are quoted: \"like this\""),
                )
            } else {
                error(
                    span,
                    format!("`{here}` is not a value"),
                    Some("strings are quoted: \"like this\"; true and false are lower case"),
                )
            }
        }
        "unexpected key or value" | "unexpected content" => {
            let rest = &text[at..];
            let skip = rest.len() - rest.trim_start_matches([' ', '\t']).len();
            let at = at + skip;
            error(
                at..at + 1,
                format!("unexpected {} after the value", char_at(text, at)),
                Some("one key = value per line"),
            )
        }
        "invalid comment character" => error(
            span.start..span.start + 1,
            format!("{} in a comment", char_at(text, at)),
            None,
        ),
        "unexpected leading zero" => error(
            span,
            "a number does not start with 0",
            Some("write it without the leading zero"),
        ),
        _ => return None,
    })
}

/// Strings: not closed, a control character, a bad escape.
fn string_error(f: &Found) -> Option<Error> {
    let (text, span, at) = (f.text, f.span.clone(), f.at);
    let control_at = |tab_ok: bool| {
        text[at..].starts_with(|c: char| {
            c.is_control() && c != '\n' && c != '\r' && !(tab_ok && c == '\t')
        })
    };
    let control = || {
        error(
            span.start..span.start + 1,
            format!("{} in a string", char_at(text, at)),
            Some("write it as an escape, like \\u0007"),
        )
    };
    let unclosed = |what: &str, hint: &str| {
        let start = f.scan.string_at(at).unwrap_or(at);
        error(start..start + 1, what, Some(hint))
    };
    Some(match f.desc {
        "invalid basic string" | "invalid literal string" => {
            if f.here.chars().any(char::is_control) || control_at(false) {
                control()
            } else {
                unclosed(
                    "this string is not closed on its line",
                    "add the closing quote; use \"\"\" for text over several lines",
                )
            }
        }
        "invalid multi-line basic string" | "invalid multi-line literal string" => {
            if control_at(true) {
                control()
            } else {
                let close = if f.desc.contains("basic") {
                    "\"\"\""
                } else {
                    "'''"
                };
                unclosed(
                    "this multi-line string is not closed",
                    &format!("close it with {close}"),
                )
            }
        }
        "missing escaped value" => match text[at..].chars().next().filter(|c| !c.is_control()) {
            Some(c) => error(
                at.saturating_sub(1)..at + c.len_utf8(),
                format!("unknown escape `\\{c}`"),
                Some("escapes: \\\" \\\\ \\n \\t \\uXXXX"),
            ),
            None => error(
                at.saturating_sub(1)..at,
                "a string ends in a backslash",
                Some("write \\\\ for a backslash"),
            ),
        },
        "too few unicode value digits"
        | "invalid unicode 4-digit hex code"
        | "invalid unicode 8-digit hex code" => error(
            span,
            "bad unicode escape (\\u needs 4 hex digits, \\U 8, of a valid character)",
            None,
        ),
        _ => return None,
    })
}

/// An error inside an array whose `]` is missing, so that the next table
/// header was read as part of it: the error is the unclosed array.
fn header_in_array(text: &str, scan: &Scan, at: usize) -> Option<Error> {
    let open = scan.open_at(at, b'[', text)?;
    let from = text[open..].find('\n')? + open + 1;
    let upto = (at + 1).min(text.len());
    let mut line_start = from;
    for line in text.get(from..upto)?.split_inclusive('\n') {
        let l = line.trim_end();
        let name = l
            .strip_prefix("[[")
            .and_then(|r| r.strip_suffix("]]"))
            .or_else(|| l.strip_prefix('[').and_then(|r| r.strip_suffix(']')));
        let header = name.is_some_and(|n| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        });
        if header {
            return Some(Error {
                span: open..open + 1,
                msg: "this array is not closed".into(),
                hint: Some(format!(
                    "add `]` before the header `{l}` on line {}",
                    line_no(text, line_start)
                )),
            });
        }
        line_start += line.len();
    }
    None
}

/// "duplicate key" from the parser: a key twice in a table, a table
/// defined twice, or a [[array]] over something else.
fn duplicate(text: &str, span: Range<usize>, key: &str) -> Error {
    let line = line_at(text, span.start);
    if line.starts_with("[[") {
        error(
            span,
            format!("`{key}` is already defined as something else than [[{key}]]"),
            Some(
                "a [[name]] header adds a table to the array `name`; nothing else may be called so",
            ),
        )
    } else if line.starts_with('[') {
        error(
            span,
            format!("table [{key}] is defined twice"),
            Some("merge the two sections (a table is defined once, by its [header] or by dotted keys)"),
        )
    } else {
        error(
            span,
            format!("duplicate key `{key}`"),
            Some("each key appears once per table"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &Value) -> &str {
        match &v.kind {
            Kind::Str(s) => s,
            k => panic!("not a string: {k:?}"),
        }
    }

    #[test]
    fn the_scenario_subset_parses() {
        let t = parse(
            "title = \"a \\\"b\\\" \\u00e9\" # c\n\
             about = \"\"\"\nline one\nline \\\n   two\"\"\"\n\
             lit = 'C:\\x'\n\
             [setup]\npages = 1_0\nflag = true\n\
             [policy]\n\"quoted-key\" = 'v'\n\
             [[task]]\nname = \"A\"\nops = [\n  \"read 0\", # first\n  \"fsync\",\n]\n\
             [[task]]\nname = \"B\"\nops = []\n\
             [[expect]]\nset = { a = \"1\", b = \"2\" }\n",
        )
        .unwrap();
        assert_eq!(s(t.get("title").unwrap()), "a \"b\" é");
        assert_eq!(s(t.get("about").unwrap()), "line one\nline two");
        assert_eq!(s(t.get("lit").unwrap()), "C:\\x");
        let Kind::Table(setup) = &t.get("setup").unwrap().kind else {
            panic!()
        };
        assert_eq!(setup.get("pages").unwrap().kind, Kind::Int(10));
        assert_eq!(setup.get("flag").unwrap().kind, Kind::Bool(true));
        let Kind::Array(tasks) = &t.get("task").unwrap().kind else {
            panic!()
        };
        assert_eq!(tasks.len(), 2);
        let Kind::Table(a) = &tasks[0].kind else {
            panic!()
        };
        let Kind::Array(ops) = &a.get("ops").unwrap().kind else {
            panic!()
        };
        assert_eq!(ops.len(), 2);
        // entries come in source order, and spans include the quotes
        let names: Vec<&str> = t.entries.iter().map(|(k, _)| k.name.as_str()).collect();
        assert_eq!(
            names,
            ["title", "about", "lit", "setup", "policy", "task", "expect"]
        );
        let text = "x = \"abc\"";
        let t = parse(text).unwrap();
        assert_eq!(&text[t.get("x").unwrap().span.clone()], "\"abc\"");
    }

    #[test]
    fn all_of_toml_is_accepted() {
        let t = parse(
            "setup.fs = \"xfs\"\nsetup.pages = 0x4\n\"a b\".c = 0o17\nbin = 0b101\n\
             big = 1_000_000\nneg = -3\nplus = +3\nml = '''\nraw \\n'''\n\
             inline = { x = [1, [2, { y = 3 }]] }\n",
        )
        .unwrap();
        let Kind::Table(setup) = &t.get("setup").unwrap().kind else {
            panic!()
        };
        assert_eq!(s(setup.get("fs").unwrap()), "xfs");
        assert_eq!(setup.get("pages").unwrap().kind, Kind::Int(4));
        let Kind::Table(ab) = &t.get("a b").unwrap().kind else {
            panic!()
        };
        assert_eq!(ab.get("c").unwrap().kind, Kind::Int(15));
        assert_eq!(t.get("bin").unwrap().kind, Kind::Int(5));
        assert_eq!(t.get("big").unwrap().kind, Kind::Int(1_000_000));
        assert_eq!(t.get("neg").unwrap().kind, Kind::Int(-3));
        assert_eq!(t.get("plus").unwrap().kind, Kind::Int(3));
        assert_eq!(s(t.get("ml").unwrap()), "raw \\n");
    }

    /// Each mistake: the message, where it points, the hint.
    #[test]
    fn errors_point_at_the_problem() {
        let at = |text: &str| {
            let e = parse(text).unwrap_err();
            (e.span.start, e.msg, e.hint.unwrap_or_default())
        };
        let (_, m, h) = at("a = 1.5\n");
        assert!(
            m.contains("not a whole number") && h.contains("no floats"),
            "{m}"
        );
        let (_, m, _) = at("a = 1979-05-27\n");
        assert!(m.contains("not a whole number"), "{m}");
        let (_, m, _) = at("a = 99999999999999999999\n");
        assert!(m.contains("too large"), "{m}");
        let (i, m, _) = at("[[task]\n");
        assert_eq!(i, 7);
        assert!(m.contains("`]]`"), "{m}");
        let (i, m, h) = at("a = \"x\nb = 1\n");
        assert_eq!(i, 4);
        assert!(m.contains("not closed") && h.contains("\"\"\""), "{m}");
        let (i, m, _) = at("a = \"\"\"x\n\n");
        assert_eq!(i, 4);
        assert!(m.contains("multi-line string is not closed"), "{m}");
        let (i, m, h) = at("a = 1\na = 2\n");
        assert_eq!(i, 6);
        assert!(m.contains("duplicate key `a`") && h.contains("once"), "{m}");
        let (_, m, h) = at("[setup]\n[setup]\n");
        assert!(
            m.contains("[setup] is defined twice") && h.contains("merge"),
            "{m}"
        );
        let (_, m, _) = at("task = 1\n[[task]]\n");
        assert!(m.contains("something else than [[task]]"), "{m}");
        let (i, m, h) = at("a = \"x\" b = 1\n");
        assert_eq!(i, 8);
        assert!(m.contains("unexpected `b`") && h.contains("one key"), "{m}");
        let (i, m, _) = at("a = [1, 2\n");
        assert_eq!(i, 4);
        assert!(m.contains("array is not closed"), "{m}");
        let (i, m, h) = at("title = \"t\"\nops = [\"fsync\",\n[[task]]\nname = \"A\"\n");
        assert_eq!(i, 18);
        assert!(
            m.contains("array is not closed") && h.contains("`[[task]]` on line 3"),
            "{m} {h}"
        );
        let (i, m, _) = at("a = [1 [2]]\n");
        assert_eq!(i, 7);
        assert!(m.contains("`,` or `]`"), "{m}");
        let (i, m, _) = at("a = {x = 1\n");
        assert_eq!(i, 4);
        assert!(m.contains("inline table is not closed"), "{m}");
        let (i, m, h) = at("a = \"\\q\"\n");
        assert_eq!(i, 5);
        assert!(
            m.contains("unknown escape `\\q`") && h.contains("\\n"),
            "{m}"
        );
        let (_, m, _) = at("a = \"\\u12\"\n");
        assert!(m.contains("unicode escape"), "{m}");
        let (i, m, h) = at("= 1\n");
        assert_eq!(i, 0);
        assert!(
            m.contains("expected a key, found `=`") && h.contains("letters"),
            "{m}"
        );
        let (i, m, h) = at("fs\n");
        assert_eq!(i, 2);
        assert!(
            m.contains("expected `=` after the key `fs`") && h.contains("[table]"),
            "{m}"
        );
        // a key not worth quoting (the browser fuzz pasted 100 NULs)
        let (_, m, _) = at(&format!("{}\n", "\0".repeat(100)));
        assert!(!m.contains('\0'), "{m:?}");
        let (_, m, _) = at(&format!("{}\n", "k".repeat(41)));
        assert_eq!(m, "expected `=` after the key", "{m:?}");
        let (i, m, h) = at("fs = zfs\n");
        assert_eq!(i, 5);
        assert!(
            m.contains("`zfs` is not a value") && h.contains("quoted"),
            "{m}"
        );
        let (_, m, _) = at("fs = \n");
        assert!(m.contains("value is missing"), "{m}");
        let (i, m, h) = at("a = \"x\u{1b}[31m\"\n");
        assert_eq!(i, 6);
        assert!(
            m.contains("U+001B in a string") && h.contains("escape"),
            "{m}"
        );
        let (_, m, _) = at("a = 1 # c\u{7}\n");
        assert!(m.contains("U+0007 in a comment"), "{m}");
        let (_, m, _) = at("a = 01\n");
        assert!(m.contains("start with 0"), "{m}");
        assert!(parse("").unwrap().entries.is_empty());
        assert!(parse("# only a comment\n\n").is_ok());
        assert!(parse("a = \"\"\"x\"\"\"\"\"\n").is_ok());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let ok = format!(
            "a = {}1{}\n",
            "[".repeat(MAX_NESTING),
            "]".repeat(MAX_NESTING)
        );
        assert!(parse(&ok).is_ok());
        for (open, close) in [("[", "]"), ("{a=", "}")] {
            let n = 14_500;
            let text = format!("a = {}{}\n", open.repeat(n), close.repeat(n));
            let e = parse(&text).unwrap_err();
            let at = 4 + open.len() * MAX_NESTING;
            assert_eq!(e.span.start, at, "{e:?}");
            assert!(e.msg.contains("nest more than 16 deep"), "{e:?}");
        }
        // unclosed, in a string, in a comment
        let e = parse(&format!("a = {}", "[".repeat(100_000))).unwrap_err();
        assert!(e.msg.contains("nest"), "{e:?}");
        assert!(parse(&format!(
            "a = \"{}\"\n# {}\n",
            "[".repeat(1000),
            "{".repeat(1000)
        ))
        .is_ok());
        assert!(parse(&format!(
            "a = '''{}'''\nb = \"\\\"{}\"\n",
            "[".repeat(1000),
            "[".repeat(1000)
        ))
        .is_ok());
    }

    #[test]
    fn long_dotted_keys_are_an_error_too() {
        let ok = format!(
            "{} = 1\n[{}]\nb = {{ {} = 1 }}\n",
            ["a"; 16].join("."),
            ["t"; 16].join("."),
            ["c"; 16].join(".")
        );
        parse(&ok).unwrap_or_else(|e| panic!("{e:?}"));
        for text in [
            format!("{} = 1\n", ["a"; 10_000].join(".")),
            format!("[{}]\n", ["a"; 10_000].join(".")),
            format!("[[{}]]\n", ["a"; 17].join(".")),
            format!("x = {{ y = 1, {} = 1 }}\n", ["a"; 17].join(".")),
        ] {
            let e = parse(&text).unwrap_err();
            assert!(e.msg.contains("more than 16 parts"), "{e:?}");
        }
        // dots in values and strings are not keys
        let e = parse(&format!("a = [{}]\n", vec!["1.5"; 40].join(", "))).unwrap_err();
        assert!(e.msg.contains("whole number"), "{e:?}");
        let e = parse("c = 1979-05-27T07:32:00.999Z\n").unwrap_err();
        assert!(e.msg.contains("whole number"), "{e:?}");
        assert!(parse("b = \"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r\"\n").is_ok());
        assert!(parse("'a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r' = 1\n").is_ok());
    }
}
