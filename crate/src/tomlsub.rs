//! The TOML subset scenario files are written in, parsed with exact byte
//! spans for error messages.
//!
//! Why not the `toml` crate: in the web app's wasm it cost about 62 KB
//! gzipped by itself (about 110 KB with serde-derived structs), more than
//! the whole user interface, against a 300 KB budget for the download. The
//! scenario format needs little of TOML: tables, arrays of tables, strings
//! (all four kinds), integers, booleans, arrays and inline tables. Anything
//! else (floats, dates, dotted keys) is reported as not supported, with
//! its line and column.

use std::ops::Range;

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

    fn get_mut(&mut self, k: &str) -> Option<&mut Value> {
        self.entries
            .iter_mut()
            .find(|(key, _)| key.name == k)
            .map(|(_, v)| v)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub span: Range<usize>,
    pub msg: String,
    pub hint: Option<String>,
}

fn err<T>(at: usize, msg: impl Into<String>, hint: Option<&str>) -> Result<T, Error> {
    Err(Error {
        span: at..at + 1,
        msg: msg.into(),
        hint: hint.map(Into::into),
    })
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
}

/// Parses a document into its root table.
pub fn parse(text: &str) -> Result<Table, Error> {
    let mut p = Parser {
        s: text,
        b: text.as_bytes(),
        i: 0,
    };
    let mut root = Table::default();
    // where key/value pairs go: the root, or the last [table] / [[array]]
    let mut path: Option<(String, bool)> = None;
    loop {
        p.skip_blank_lines()?;
        if p.i >= p.b.len() {
            return Ok(root);
        }
        let at = p.i;
        if p.b[p.i] == b'[' {
            let double = p.b.get(p.i + 1) == Some(&b'[');
            p.i += if double { 2 } else { 1 };
            p.ws();
            let key = p.key()?;
            p.ws();
            if p.peek() == Some(b'.') {
                return err(
                    p.i,
                    "dotted table names are not supported in scenario files",
                    Some("use [setup], [policy], [[task]] or [[expect]]"),
                );
            }
            let close: &[u8] = if double { b"]]" } else { b"]" };
            if !p.b[p.i..].starts_with(close) {
                let want = if double { "]]" } else { "]" };
                return err(
                    p.i,
                    format!("expected `{want}` to close the table header"),
                    None,
                );
            }
            p.i += close.len();
            p.end_of_line()?;
            let span = at..p.i;
            if double {
                match root.get_mut(&key.name) {
                    Some(Value {
                        kind: Kind::Array(items),
                        ..
                    }) => items.push(Value {
                        kind: Kind::Table(Table::default()),
                        span,
                    }),
                    Some(_) => {
                        return err(
                            at,
                            format!(
                                "`{}` is already defined as something else than [[{}]]",
                                key.name, key.name
                            ),
                            None,
                        )
                    }
                    None => root.entries.push((
                        key.clone(),
                        Value {
                            kind: Kind::Array(vec![Value {
                                kind: Kind::Table(Table::default()),
                                span: span.clone(),
                            }]),
                            span,
                        },
                    )),
                }
            } else {
                if root.get(&key.name).is_some() {
                    return Err(Error {
                        span,
                        msg: format!("table [{}] is defined twice", key.name),
                        hint: Some("merge the two sections".into()),
                    });
                }
                root.entries.push((
                    key.clone(),
                    Value {
                        kind: Kind::Table(Table::default()),
                        span,
                    },
                ));
            }
            path = Some((key.name, double));
            continue;
        }
        let key = p.key()?;
        p.ws();
        if p.peek() == Some(b'.') {
            return err(
                p.i,
                "dotted keys are not supported in scenario files",
                Some("write the key inside its [table]"),
            );
        }
        if p.peek() != Some(b'=') {
            return err(
                p.i,
                format!("expected `=` after the key `{}`", key.name),
                Some("a line is `key = value`, a [table] or a comment"),
            );
        }
        p.i += 1;
        p.ws();
        let value = p.value()?;
        p.end_of_line()?;
        let target: &mut Table = match &path {
            None => &mut root,
            Some((name, double)) => match root.get_mut(name) {
                Some(Value {
                    kind: Kind::Table(t),
                    ..
                }) if !double => t,
                Some(Value {
                    kind: Kind::Array(items),
                    ..
                }) => match items.last_mut() {
                    Some(Value {
                        kind: Kind::Table(t),
                        ..
                    }) => t,
                    _ => unreachable!("an array of tables ends with a table"),
                },
                _ => unreachable!("the current table exists"),
            },
        };
        if target.get(&key.name).is_some() {
            return Err(Error {
                span: key.span.clone(),
                msg: format!("duplicate key `{}`", key.name),
                hint: Some("each key appears once per table".into()),
            });
        }
        target.entries.push((key, value));
    }
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    fn comment(&mut self) -> Result<(), Error> {
        if self.peek() == Some(b'#') {
            while let Some(c) = self.peek() {
                if c == b'\n' {
                    break;
                }
                if c == b'\r' && self.b.get(self.i + 1) == Some(&b'\n') {
                    break;
                }
                if c < 0x20 && c != b'\t' {
                    return err(self.i, "control character in a comment", None);
                }
                self.i += 1;
            }
        }
        Ok(())
    }

    fn newline(&mut self) -> bool {
        if self.peek() == Some(b'\n') {
            self.i += 1;
            true
        } else if self.b[self.i..].starts_with(b"\r\n") {
            self.i += 2;
            true
        } else {
            false
        }
    }

    fn skip_blank_lines(&mut self) -> Result<(), Error> {
        loop {
            self.ws();
            self.comment()?;
            if !self.newline() {
                return Ok(());
            }
        }
    }

    /// After a value or a header: spaces, a comment, then a newline or the end.
    fn end_of_line(&mut self) -> Result<(), Error> {
        self.ws();
        self.comment()?;
        if self.i >= self.b.len() || self.newline() {
            Ok(())
        } else {
            err(
                self.i,
                format!(
                    "unexpected `{}` after the value",
                    self.s[self.i..].chars().next().unwrap()
                ),
                Some("one key = value per line"),
            )
        }
    }

    /// Blank space inside arrays: spaces, newlines, comments.
    fn array_space(&mut self) -> Result<(), Error> {
        loop {
            self.ws();
            self.comment()?;
            if !self.newline() {
                return Ok(());
            }
        }
    }

    fn key(&mut self) -> Result<Key, Error> {
        let start = self.i;
        match self.peek() {
            Some(b'"') | Some(b'\'') => {
                let v = self.string()?;
                let Kind::Str(name) = v.kind else {
                    unreachable!()
                };
                Ok(Key { name, span: v.span })
            }
            _ => {
                while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
                {
                    self.i += 1;
                }
                if self.i == start {
                    let what = self.s[start..]
                        .chars()
                        .next()
                        .map_or("the end".to_string(), |c| format!("`{c}`"));
                    return err(
                        start,
                        format!("expected a key, found {what}"),
                        Some("keys are letters, digits, `_` and `-`"),
                    );
                }
                Ok(Key {
                    name: self.s[start..self.i].to_string(),
                    span: start..self.i,
                })
            }
        }
    }

    fn value(&mut self) -> Result<Value, Error> {
        let start = self.i;
        match self.peek() {
            Some(b'"') | Some(b'\'') => self.string(),
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.array_space()?;
                    if self.peek() == Some(b']') {
                        self.i += 1;
                        break;
                    }
                    items.push(self.value()?);
                    self.array_space()?;
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            break;
                        }
                        None => return err(start, "this array is not closed", Some("add `]`")),
                        _ => return err(self.i, "expected `,` or `]` in the array", None),
                    }
                }
                Ok(Value {
                    kind: Kind::Array(items),
                    span: start..self.i,
                })
            }
            Some(b'{') => {
                self.i += 1;
                let mut t = Table::default();
                self.ws();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(Value {
                        kind: Kind::Table(t),
                        span: start..self.i,
                    });
                }
                loop {
                    self.ws();
                    let key = self.key()?;
                    self.ws();
                    if self.peek() != Some(b'=') {
                        return err(self.i, format!("expected `=` after `{}`", key.name), None);
                    }
                    self.i += 1;
                    self.ws();
                    let v = self.value()?;
                    if t.get(&key.name).is_some() {
                        return Err(Error {
                            span: key.span,
                            msg: format!("duplicate key `{}`", key.name),
                            hint: None,
                        });
                    }
                    t.entries.push((key, v));
                    self.ws();
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            break;
                        }
                        _ => {
                            return err(
                                self.i,
                                "expected `,` or `}` in the inline table",
                                Some("inline tables stay on one line"),
                            )
                        }
                    }
                }
                Ok(Value {
                    kind: Kind::Table(t),
                    span: start..self.i,
                })
            }
            Some(b't') if self.b[self.i..].starts_with(b"true") => {
                self.i += 4;
                Ok(Value {
                    kind: Kind::Bool(true),
                    span: start..self.i,
                })
            }
            Some(b'f') if self.b[self.i..].starts_with(b"false") => {
                self.i += 5;
                Ok(Value {
                    kind: Kind::Bool(false),
                    span: start..self.i,
                })
            }
            Some(c) if c.is_ascii_digit() || c == b'+' || c == b'-' => {
                while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'+' | b'-' | b'.' | b':'))
                {
                    self.i += 1;
                }
                let text: String = self.s[start..self.i]
                    .chars()
                    .filter(|c| *c != '_')
                    .collect();
                match text.parse::<i64>() {
                    Ok(n) => Ok(Value {
                        kind: Kind::Int(n),
                        span: start..self.i,
                    }),
                    Err(_) => Err(Error {
                        span: start..self.i,
                        msg: format!("`{}` is not a whole number", &self.s[start..self.i]),
                        hint: Some(
                            "scenario files use whole numbers only (no floats or dates)".into(),
                        ),
                    }),
                }
            }
            None => err(start, "a value is missing after `=`", None),
            Some(_) => {
                let c = self.s[start..].chars().next().unwrap();
                err(
                    start,
                    format!("`{c}` does not start a value"),
                    Some("strings are quoted: \"like this\""),
                )
            }
        }
    }

    fn string(&mut self) -> Result<Value, Error> {
        let start = self.i;
        let q = self.b[self.i];
        let triple = self.b[self.i..].starts_with(if q == b'"' { b"\"\"\"" } else { b"'''" });
        let mut out = String::new();
        if triple {
            self.i += 3;
            // a newline right after the opening quotes is dropped
            self.newline();
            loop {
                let Some(c) = self.peek() else {
                    return err(
                        start,
                        "this multi-line string is not closed",
                        Some(if q == b'"' {
                            "close it with \"\"\""
                        } else {
                            "close it with '''"
                        }),
                    );
                };
                if c == q && self.b[self.i..].starts_with(&[q, q, q]) {
                    // up to two more quotes may belong to the content
                    let mut n = 3;
                    while n < 5 && self.b.get(self.i + n) == Some(&q) {
                        n += 1;
                    }
                    for _ in 3..n {
                        out.push(q as char);
                    }
                    self.i += n;
                    break;
                }
                if q == b'"' && c == b'\\' {
                    // a line-ending backslash trims the newline and the indentation
                    let mut j = self.i + 1;
                    while matches!(self.b.get(j), Some(b' ' | b'\t')) {
                        j += 1;
                    }
                    if matches!(self.b.get(j), Some(b'\n' | b'\r')) {
                        self.i = j;
                        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                            self.i += 1;
                        }
                        continue;
                    }
                    out.push(self.escape()?);
                    continue;
                }
                let ch = self.s[self.i..].chars().next().unwrap();
                if (ch as u32) < 0x20 && !matches!(ch, '\n' | '\r' | '\t') {
                    return err(
                        self.i,
                        "control character in a string",
                        Some("write it as an escape, like \\u0007"),
                    );
                }
                if ch == '\r' && self.b.get(self.i + 1) == Some(&b'\n') {
                    self.i += 1;
                    continue;
                }
                out.push(ch);
                self.i += ch.len_utf8();
            }
        } else {
            self.i += 1;
            loop {
                let Some(c) = self.peek() else {
                    return err(
                        start,
                        "this string is not closed",
                        Some("add the closing quote"),
                    );
                };
                if c == b'\n' || c == b'\r' {
                    return err(
                        start,
                        "this string is not closed on its line",
                        Some("use \"\"\" for text over several lines"),
                    );
                }
                if c == q {
                    self.i += 1;
                    break;
                }
                if q == b'"' && c == b'\\' {
                    out.push(self.escape()?);
                    continue;
                }
                let ch = self.s[self.i..].chars().next().unwrap();
                if (ch as u32) < 0x20 && ch != '\t' {
                    return err(self.i, "control character in a string", None);
                }
                out.push(ch);
                self.i += ch.len_utf8();
            }
        }
        Ok(Value {
            kind: Kind::Str(out),
            span: start..self.i,
        })
    }

    /// A backslash escape at `i` in a basic string.
    fn escape(&mut self) -> Result<char, Error> {
        let at = self.i;
        let c = *self.b.get(self.i + 1).ok_or(Error {
            span: at..at + 1,
            msg: "a string ends in a backslash".into(),
            hint: None,
        })?;
        self.i += 2;
        let hex = |p: &mut Self, n: usize| -> Result<char, Error> {
            let digits =
                p.s.get(p.i..p.i + n)
                    .filter(|d| d.chars().all(|c| c.is_ascii_hexdigit()));
            let ch = digits
                .and_then(|d| u32::from_str_radix(d, 16).ok())
                .and_then(char::from_u32);
            match ch {
                Some(ch) => {
                    p.i += n;
                    Ok(ch)
                }
                None => err(
                    at,
                    format!(
                        "bad unicode escape (\\{} needs {n} hex digits of a valid character)",
                        c as char
                    ),
                    None,
                ),
            }
        };
        Ok(match c {
            b'b' => '\u{8}',
            b't' => '\t',
            b'n' => '\n',
            b'f' => '\u{c}',
            b'r' => '\r',
            b'"' => '"',
            b'\\' => '\\',
            b'u' => return hex(self, 4),
            b'U' => return hex(self, 8),
            _ => {
                return err(
                    at,
                    format!("unknown escape `\\{}`", c as char),
                    Some("escapes: \\\" \\\\ \\n \\t \\uXXXX"),
                )
            }
        })
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
        // spans include the quotes
        let text = "x = \"abc\"";
        let t = parse(text).unwrap();
        assert_eq!(&text[t.get("x").unwrap().span.clone()], "\"abc\"");
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = parse("a = 1.5\n").unwrap_err();
        assert!(e.msg.contains("not a whole number"), "{e:?}");
        let e = parse("[[task]\n").unwrap_err();
        assert_eq!(e.span.start, 6);
        let e = parse("a = \"x\nb = 1\n").unwrap_err();
        assert!(e.msg.contains("not closed"));
        let e = parse("a.b = 1\n").unwrap_err();
        assert!(e.msg.contains("dotted"));
        let e = parse("a = 1\na = 2\n").unwrap_err();
        assert!(e.msg.contains("duplicate"));
        let e = parse("a = 1 2\n").unwrap_err();
        assert!(e.msg.contains("unexpected"));
        let e = parse("a = [1, 2\n").unwrap_err();
        assert!(e.msg.contains("not closed"));
        let e = parse("a = \"\\q\"\n").unwrap_err();
        assert!(e.msg.contains("unknown escape"));
        let e = parse("= 1\n").unwrap_err();
        assert!(e.msg.contains("expected a key"));
        assert!(parse("").unwrap().entries.is_empty());
        assert!(parse("# only a comment\n\n").is_ok());
        assert!(parse("a = \"\"\"x\"\"\"\"\"\n").is_ok());
    }
}
