//! Scenario files: TOML (docs/scenario-format.md), parsed with the `toml`
//! crate into a tree of values with spans (`tomldoc.rs`) and then validated
//! here, so that every mistake is reported with its line, column and a
//! hint, and nothing panics.

use std::fmt;
use std::ops::Range as ByteRange;

use crate::tomldoc::{Kind, Table, Value};

use crate::fs::Fs;
use crate::ops::{parse_op, Op};
use crate::outcome::{Outcome, Verdict};
use crate::policy::{Policy, DEFAULT_PRESET};

/// Size limits. The explorer enumerates every interleaving, so scenarios
/// are small by design; these keep the state compact (bit masks).
pub mod limits {
    pub const MAX_PAGES: usize = 64;
    pub const MAX_TASKS: usize = 8;
    /// Ops per task: runs may be long (a lecture demo, a benchmark); the
    /// explorer has its own bounds.
    pub const MAX_OPS: usize = 64;
    /// Data versions other than `init` and `zero` (writes, stores, punches,
    /// truncates): versions are tracked in 32-bit masks.
    pub const MAX_WRITES: usize = 30;
    /// Bytes of scenario text accepted (links carry it too).
    pub const MAX_TEXT: usize = 64 * 1024;
}

/// Initial extents of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OnDisk {
    Written,
    Unwritten,
    Hole,
}

impl OnDisk {
    pub fn name(self) -> &'static str {
        match self {
            OnDisk::Written => "written",
            OnDisk::Unwritten => "unwritten",
            OnDisk::Hole => "hole",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Setup {
    pub fs: Fs,
    pub preset: String,
    pub pages: u8,
    /// Initial file size in pages (`pages` is the most it can grow to).
    pub size: u8,
    pub on_disk: OnDisk,
    /// Pages cached (clean, uptodate) at the start, as a bit mask.
    pub cached: crate::world::Pages,
    pub write_cache: bool,
    pub flusher: bool,
    pub reclaim: bool,
    pub dax: bool,
    /// Blocks with media errors, as a bit mask.
    pub poisoned: crate::world::Blocks,
}

impl Setup {
    /// Device blocks: the file's pages plus as many again to allocate from.
    pub fn blocks(&self) -> u8 {
        self.pages * 2
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TaskSpec {
    pub name: String,
    pub ops: Vec<Op>,
    /// `template = true`: `dioscope sweep` runs 1 to N copies of this task
    /// (see [`template_copy_name`]); every other command runs it once.
    pub template: bool,
}

/// The name of copy `k` (0-based) of template task `name` in a sweep: the
/// first copy keeps the name, so one thread is the scenario as written;
/// the others add a letter (`W`, `Wb`, `Wc`, ...). Task names have no
/// digits, which name data versions (`W1`, `Wb1`).
pub fn template_copy_name(name: &str, k: usize) -> String {
    if k == 0 {
        name.to_string()
    } else {
        format!("{name}{}", (b'a' + (k % 26) as u8) as char)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Expect {
    pub preset: String,
    /// Knob overrides on top of `preset` (and of the scenario's `[policy]`).
    pub set: Vec<(String, String)>,
    pub what: Expected,
    pub verdict: Verdict,
    /// Only runs that start with this schedule (actor names) count.
    pub schedule: Option<String>,
    /// Line of the `[[expect]]` header, for messages.
    pub line: u32,
}

/// What an expectation is about: an outcome, or a syscall's result
/// (litmus style: "some run has B's read return init").
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Expected {
    Outcome(Outcome),
    Result(ResultPattern),
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Outcome(o) => write!(f, "{o}"),
            Expected::Result(r) => write!(f, "\"{}\"", r.text),
        }
    }
}

/// `"B: fsync #2 = 0"`: task B's second `fsync` returns 0; for reads the
/// value may be the versions read (`"B: read 0-1 = A1 zero"`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResultPattern {
    pub text: String,
    pub task: u8,
    /// Index of the op in the task's op list.
    pub op: u8,
    /// The expected value, normalised: "-EIO", "4096", or versions "A1 zero".
    pub value: String,
}

impl ResultPattern {
    /// Whether a syscall record matches.
    pub fn matches(
        &self,
        op: &crate::ops::Op,
        ret: Option<crate::world::Ret>,
        read: &[String],
    ) -> bool {
        let Some(ret) = ret else {
            return self.value == "none";
        };
        if ret.text(op) == self.value {
            return true;
        }
        if read.is_empty() {
            return false;
        }
        // a read's versions page by page (`init init`), or as the runs every
        // front end prints (`init ×2`; `init x2` in email text)
        let runs = crate::view::runs_text(read.iter().map(String::as_str));
        [read.join(" "), runs.replace('×', "x"), runs].contains(&self.value)
    }
}

/// A validated scenario.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scenario {
    /// Where it came from (a file name), for messages.
    pub file: String,
    pub title: String,
    pub about: String,
    pub refs: Vec<String>,
    pub tags: Vec<String>,
    pub setup: Setup,
    /// `[policy]` overrides, applied on top of whatever preset is chosen.
    pub policy: Vec<(String, String)>,
    pub tasks: Vec<TaskSpec>,
    pub expects: Vec<Expect>,
    /// The text it was parsed from.
    pub source: String,
}

impl Scenario {
    /// The policy for `preset` (the scenario's own when `None`) with the
    /// scenario's `[policy]` overrides applied.
    pub fn policy(&self, preset: Option<&str>) -> Result<Policy, crate::policy::KnobError> {
        let mut p = Policy::preset(preset.unwrap_or(&self.setup.preset))?;
        for (k, v) in &self.policy {
            p.set(k, v)?;
        }
        Ok(p)
    }

    /// Number of data versions the scenario can create.
    pub fn writes(&self) -> usize {
        self.tasks
            .iter()
            .flat_map(|t| &t.ops)
            .filter(|o| o.writes_data())
            .count()
    }

    pub fn task_index(&self, name: &str) -> Option<usize> {
        self.tasks.iter().position(|t| t.name == name)
    }
}

/// A scenario error: where, what, and a hint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    pub file: String,
    /// 1-based; 0 when the error is about the file as a whole.
    pub line: u32,
    /// 1-based, in characters.
    pub col: u32,
    /// Characters to underline (at least 1).
    pub len: u32,
    pub msg: String,
    pub hint: Option<String>,
    /// The source line, for display.
    pub source_line: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.msg)?;
        if self.line == 0 {
            write!(f, "  --> {}", self.file)?;
        } else {
            let num = self.line.to_string();
            let pad = " ".repeat(num.len());
            writeln!(f, "{pad}--> {}:{}:{}", self.file, self.line, self.col)?;
            writeln!(f, "{pad} |")?;
            writeln!(f, "{num} | {}", self.source_line)?;
            let lead: String = self
                .source_line
                .chars()
                .take(self.col.saturating_sub(1) as usize)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(f, "{pad} | {lead}{}", "^".repeat(self.len.max(1) as usize))?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  = hint: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

// ---- the raw form: what the file says, with spans ----

/// A value and the byte span of its source text.
struct S<T> {
    v: T,
    span: ByteRange<usize>,
}

impl<T> S<T> {
    fn get_ref(&self) -> &T {
        &self.v
    }
    fn span(&self) -> ByteRange<usize> {
        self.span.clone()
    }
}

type Pairs = Vec<(S<String>, S<String>)>;

struct RawScenario {
    title: S<String>,
    about: String,
    refs: Vec<String>,
    tags: Vec<S<String>>,
    setup: Option<S<RawSetup>>,
    policy: Pairs,
    tasks: Vec<S<RawTask>>,
    expects: Vec<S<RawExpect>>,
}

#[derive(Default)]
struct RawSetup {
    fs: Option<S<String>>,
    preset: Option<S<String>>,
    pages: Option<S<i64>>,
    size: Option<S<i64>>,
    on_disk: Option<S<String>>,
    cached: Option<S<String>>,
    write_cache: bool,
    flusher: bool,
    reclaim: bool,
    dax: bool,
    poisoned: Option<S<String>>,
}

struct RawTask {
    name: S<String>,
    ops: Vec<S<String>>,
    template: bool,
}

struct RawExpect {
    preset: Option<S<String>>,
    set: Pairs,
    outcome: Option<S<String>>,
    result: Option<S<String>>,
    verdict: S<String>,
    schedule: Option<S<String>>,
}

/// Reads typed fields out of a table, with errors at the right place.
struct Fields<'a, 'c> {
    cx: &'c Ctx<'c>,
    t: &'a Table,
    /// How the table is called in messages: "the scenario", "[setup]".
    what: &'static str,
}

impl<'a> Fields<'a, '_> {
    fn new<'c>(
        cx: &'c Ctx<'c>,
        t: &'a Table,
        what: &'static str,
        allowed: &[&str],
    ) -> Result<Fields<'a, 'c>, ScenarioError> {
        for (k, _) in &t.entries {
            if !allowed.contains(&k.name.as_str()) {
                let hint = match crate::util::closest(&k.name, allowed.iter().copied()) {
                    Some(c) => format!(
                        "did you mean `{c}`? fields of {what}: {}",
                        allowed.join(", ")
                    ),
                    None => format!("fields of {what}: {}", allowed.join(", ")),
                };
                return Err(cx.at(
                    k.span.clone(),
                    format!("unknown field `{}` in {what}", k.name),
                    Some(hint),
                ));
            }
        }
        Ok(Fields { cx, t, what })
    }

    fn wrong(&self, key: &str, v: &Value, want: &str) -> ScenarioError {
        let hint = if want == "a string" {
            "strings are quoted: \"like this\""
        } else {
            "strings are quoted, numbers and true/false are not"
        };
        self.cx.at(
            v.span.clone(),
            format!(
                "`{key}` in {} should be {want}, not {}",
                self.what,
                v.kind.type_name()
            ),
            Some(hint.into()),
        )
    }

    fn str(&self, key: &str) -> Result<Option<S<String>>, ScenarioError> {
        match self.t.get(key) {
            None => Ok(None),
            Some(v) => match &v.kind {
                Kind::Str(s) => Ok(Some(S {
                    v: s.clone(),
                    span: v.span.clone(),
                })),
                _ => Err(self.wrong(key, v, "a string")),
            },
        }
    }

    fn int(&self, key: &str) -> Result<Option<S<i64>>, ScenarioError> {
        match self.t.get(key) {
            None => Ok(None),
            Some(v) => match v.kind {
                Kind::Int(n) => Ok(Some(S {
                    v: n,
                    span: v.span.clone(),
                })),
                _ => Err(self.wrong(key, v, "a number")),
            },
        }
    }

    fn bool(&self, key: &str) -> Result<bool, ScenarioError> {
        match self.t.get(key) {
            None => Ok(false),
            Some(v) => match v.kind {
                Kind::Bool(b) => Ok(b),
                _ => Err(self.wrong(key, v, "true or false")),
            },
        }
    }

    fn strings(&self, key: &str) -> Result<Vec<S<String>>, ScenarioError> {
        match self.t.get(key) {
            None => Ok(Vec::new()),
            Some(v) => match &v.kind {
                Kind::Array(items) => items
                    .iter()
                    .map(|it| match &it.kind {
                        Kind::Str(s) => Ok(S {
                            v: s.clone(),
                            span: it.span.clone(),
                        }),
                        _ => Err(self.wrong(key, it, "a string")),
                    })
                    .collect(),
                _ => Err(self.wrong(key, v, "an array of strings")),
            },
        }
    }

    /// A table of string values (`[policy]`, `set = { ... }`).
    fn pairs(&self, key: &str) -> Result<Pairs, ScenarioError> {
        match self.t.get(key) {
            None => Ok(Vec::new()),
            Some(v) => match &v.kind {
                Kind::Table(t) => t
                    .entries
                    .iter()
                    .map(|(k, val)| match &val.kind {
                        Kind::Str(s) => Ok((
                            S {
                                v: k.name.clone(),
                                span: k.span.clone(),
                            },
                            S {
                                v: s.clone(),
                                span: val.span.clone(),
                            },
                        )),
                        _ => Err(self.wrong(&k.name, val, "a string")),
                    })
                    .collect(),
                _ => Err(self.wrong(key, v, "a table of knob = \"value\"")),
            },
        }
    }

    fn table(&self, key: &str) -> Result<Option<(&'a Table, ByteRange<usize>)>, ScenarioError> {
        match self.t.get(key) {
            None => Ok(None),
            Some(v) => match &v.kind {
                Kind::Table(t) => Ok(Some((t, v.span.clone()))),
                _ => Err(self.wrong(key, v, &format!("a [{key}] table"))),
            },
        }
    }

    fn tables(&self, key: &str) -> Result<Vec<(&'a Table, ByteRange<usize>)>, ScenarioError> {
        match self.t.get(key) {
            None => Ok(Vec::new()),
            Some(v) => match &v.kind {
                Kind::Array(items) => items
                    .iter()
                    .map(|it| match &it.kind {
                        Kind::Table(t) => Ok((t, it.span.clone())),
                        _ => Err(self.wrong(key, it, &format!("a [[{key}]] table"))),
                    })
                    .collect(),
                _ => Err(self.wrong(key, v, &format!("[[{key}]] tables"))),
            },
        }
    }
}

/// The raw scenario of a parsed document.
fn raw_scenario(cx: &Ctx, doc: &Table) -> Result<RawScenario, ScenarioError> {
    let top = Fields::new(
        cx,
        doc,
        "the scenario",
        &[
            "title", "about", "refs", "tags", "setup", "policy", "task", "expect",
        ],
    )?;
    let title = top.str("title")?.ok_or_else(|| {
        cx.whole(
            "missing field `title`",
            Some("every scenario starts with title = \"...\"".into()),
        )
    })?;
    let setup = match top.table("setup")? {
        None => None,
        Some((t, span)) => {
            let f = Fields::new(
                cx,
                t,
                "[setup]",
                &[
                    "fs",
                    "preset",
                    "pages",
                    "size",
                    "on_disk",
                    "cached",
                    "write_cache",
                    "flusher",
                    "reclaim",
                    "dax",
                    "poisoned",
                ],
            )?;
            let v = RawSetup {
                fs: f.str("fs")?,
                preset: f.str("preset")?,
                pages: f.int("pages")?,
                size: f.int("size")?,
                on_disk: f.str("on_disk")?,
                cached: f.str("cached")?,
                write_cache: f.bool("write_cache")?,
                flusher: f.bool("flusher")?,
                reclaim: f.bool("reclaim")?,
                dax: f.bool("dax")?,
                poisoned: f.str("poisoned")?,
            };
            Some(S { v, span })
        }
    };
    let policy = top.pairs("policy")?;
    let mut tasks = Vec::new();
    for (t, span) in top.tables("task")? {
        let f = Fields::new(cx, t, "[[task]]", &["name", "ops", "template"])?;
        let name = f.str("name")?.ok_or_else(|| {
            cx.at(
                span.clone(),
                "this [[task]] has no name",
                Some("add name = \"A\"".into()),
            )
        })?;
        tasks.push(S {
            v: RawTask {
                name,
                ops: f.strings("ops")?,
                template: f.bool("template")?,
            },
            span,
        });
    }
    let mut expects = Vec::new();
    for (t, span) in top.tables("expect")? {
        let f = Fields::new(
            cx,
            t,
            "[[expect]]",
            &["preset", "set", "outcome", "result", "verdict", "schedule"],
        )?;
        let verdict = f.str("verdict")?.ok_or_else(|| {
            cx.at(
                span.clone(),
                "this [[expect]] has no verdict",
                Some("add verdict = \"always\", \"sometimes\" or \"never\"".into()),
            )
        })?;
        let v = RawExpect {
            preset: f.str("preset")?,
            set: f.pairs("set")?,
            outcome: f.str("outcome")?,
            result: f.str("result")?,
            verdict,
            schedule: f.str("schedule")?,
        };
        expects.push(S { v, span });
    }
    Ok(RawScenario {
        title,
        about: top.str("about")?.map(|s| s.v).unwrap_or_default(),
        refs: top.strings("refs")?.into_iter().map(|s| s.v).collect(),
        tags: top.strings("tags")?,
        setup,
        policy,
        tasks,
        expects,
    })
}

/// Reserved actor names: they name the device and the background actors in
/// schedules, or data versions.
pub const RESERVED_NAMES: &[&str] = &["dev", "flush", "reclaim", "init", "zero"];

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn at(
        &self,
        span: ByteRange<usize>,
        msg: impl Into<String>,
        hint: Option<String>,
    ) -> ScenarioError {
        // spans come from parsers that count bytes: snap them to characters
        let mut start = span.start.min(self.text.len());
        while !self.text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = span.end.clamp(start, self.text.len());
        while !self.text.is_char_boundary(end) {
            end += 1;
        }
        let before = &self.text[..start];
        let line = before.matches('\n').count() as u32 + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        let col = self.text[line_start..start].chars().count() as u32 + 1;
        let len = self.text[start..end.min(line_end)].chars().count() as u32;
        ScenarioError {
            file: self.file.to_string(),
            line,
            col,
            len: len.max(1),
            msg: msg.into(),
            hint,
            source_line: self.text[line_start..line_end]
                .trim_end_matches('\r')
                .to_string(),
        }
    }

    fn whole(&self, msg: impl Into<String>, hint: Option<String>) -> ScenarioError {
        ScenarioError {
            file: self.file.to_string(),
            line: 0,
            col: 0,
            len: 0,
            msg: msg.into(),
            hint,
            source_line: String::new(),
        }
    }

    /// A span inside a TOML string value: `inner` is a byte range of the
    /// string's contents; the span covers the quotes, so map through the
    /// raw text (escapes are rare in ops; fall back to the whole string).
    fn inside(&self, span: &ByteRange<usize>, inner: (usize, usize)) -> ByteRange<usize> {
        let raw = &self.text[span.start.min(self.text.len())..span.end.min(self.text.len())];
        let body_start = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
            return span.clone();
        } else if raw.starts_with('"') || raw.starts_with('\'') {
            span.start + 1
        } else {
            return span.clone();
        };
        if raw.contains('\\') {
            return span.clone();
        }
        (body_start + inner.0)..(body_start + inner.1)
    }
}

/// Parses a page (or block) set: `""`, `"3"`, `"0-3"`, `"0,2-3"`.
fn parse_set(s: &str, limit: u8, what: &str) -> Result<u128, (String, String)> {
    let mut mask = 0u128;
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (lo, hi) = match part.split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (part, part),
        };
        let lo: u8 = lo.parse().map_err(|_| {
            (
                format!("`{part}` is not a {what} or range"),
                format!("write {what}s like \"0-3\" or \"0,2\""),
            )
        })?;
        let hi: u8 = hi.parse().map_err(|_| {
            (
                format!("`{part}` is not a {what} or range"),
                format!("write {what}s like \"0-3\" or \"0,2\""),
            )
        })?;
        if lo > hi {
            return Err((
                format!("range `{part}` runs backwards"),
                format!("write it as \"{hi}-{lo}\""),
            ));
        }
        if hi >= limit {
            return Err((
                format!("{what} {hi} is past the end"),
                format!("{what}s are 0 to {}", limit - 1),
            ));
        }
        for i in lo..=hi {
            mask |= 1 << i;
        }
    }
    Ok(mask)
}

/// Parses and validates a scenario. `file` names it in messages.
pub fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let cx = Ctx { file, text };
    check_size(&cx, text.len())?;
    let doc = crate::tomldoc::parse(text).map_err(|e| cx.at(e.span, e.msg, e.hint))?;
    check_control_chars(&cx, &doc)?;
    let raw = raw_scenario(&cx, &doc)?;
    let default_setup = RawSetup::default();
    let setup = setup(
        &cx,
        raw.setup.as_ref().map_or(&default_setup, |s| s.get_ref()),
    )?;
    let policy = policy_overrides(&cx, &setup, &raw.policy)?;
    let tasks = tasks(&cx, &setup, &raw.tasks)?;
    let expects = raw
        .expects
        .iter()
        .map(|e| expect(&cx, &setup, &policy, &tasks, e))
        .collect::<Result<_, _>>()?;
    Ok(Scenario {
        file: file.to_string(),
        title: raw.title.get_ref().clone(),
        about: raw.about,
        refs: raw.refs,
        tags: raw.tags.iter().map(|t| t.get_ref().clone()).collect(),
        setup,
        policy,
        tasks,
        expects,
        source: text.to_string(),
    })
}

/// Parses a scenario file's bytes: text that is not UTF-8 is an error
/// with the line, column and byte offset of the first bad byte.
pub fn parse_bytes(file: &str, bytes: &[u8]) -> Result<Scenario, ScenarioError> {
    let cx = Ctx { file, text: "" };
    check_size(&cx, bytes.len())?;
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(file, text),
        Err(e) => {
            let bad = e.valid_up_to();
            let good = std::str::from_utf8(&bytes[..bad]).unwrap_or_default();
            let line_start = good.rfind('\n').map_or(0, |i| i + 1);
            let line_end = bytes[bad..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |i| bad + i);
            Err(ScenarioError {
                file: file.to_string(),
                line: good.matches('\n').count() as u32 + 1,
                col: good[line_start..].chars().count() as u32 + 1,
                len: 1,
                msg: format!(
                    "the file is not UTF-8 text: byte 0x{:02X} at byte offset {bad} is not valid UTF-8",
                    bytes[bad]
                ),
                hint: Some("save the scenario as UTF-8".into()),
                source_line: String::from_utf8_lossy(&bytes[line_start..line_end])
                    .trim_end_matches('\r')
                    .to_string(),
            })
        }
    }
}

/// Whether a scenario of `len` bytes is accepted (for a reader that
/// stops reading a file past the limit, and knows its size).
pub fn check_len(file: &str, len: u64) -> Result<(), ScenarioError> {
    check_size(
        &Ctx { file, text: "" },
        usize::try_from(len).unwrap_or(usize::MAX),
    )
}

fn check_size(cx: &Ctx, len: usize) -> Result<(), ScenarioError> {
    if len > limits::MAX_TEXT {
        return Err(cx.whole(
            format!(
                "scenario is {len} bytes; at most {} are accepted",
                limits::MAX_TEXT
            ),
            Some("scenarios are small by design: a few tasks of a few ops".into()),
        ));
    }
    Ok(())
}

/// Control characters (C0 but newline and tab, DEL, C1) are refused in
/// every key and string: a terminal acts on them (ESC starts an escape
/// sequence, CR and BS overwrite), and the CLI prints scenario text. Only
/// `about`, Markdown over several lines, keeps newlines and tabs.
fn check_control_chars(cx: &Ctx, doc: &Table) -> Result<(), ScenarioError> {
    let mut texts = Vec::new();
    texts_of(doc, true, &mut texts);
    for t in texts {
        let bad = t.text.char_indices().find(|&(i, c)| {
            c.is_control()
                && !(t.multiline
                    && (c == '\n' || c == '\t' || (c == '\r' && t.text[i + 1..].starts_with('\n'))))
        });
        let Some((i, c)) = bad else { continue };
        let hint = if c == '\n' || c == '\t' {
            "this text is one line: only `about` spans several lines"
        } else {
            "remove it: terminals act on control characters (escape sequences, bells, backspaces)"
        };
        return Err(cx.at(
            cx.inside(t.span, (i, i + c.len_utf8())),
            format!("control character U+{:04X} in {}", c as u32, t.what),
            Some(hint.into()),
        ));
    }
    Ok(())
}

/// A key or string of the document, for [`check_control_chars`].
struct Text<'a> {
    text: &'a str,
    span: &'a ByteRange<usize>,
    multiline: bool,
    what: &'static str,
}

fn texts_of<'a>(t: &'a Table, top: bool, out: &mut Vec<Text<'a>>) {
    for (k, v) in &t.entries {
        out.push(Text {
            text: &k.name,
            span: &k.span,
            multiline: false,
            what: "a key",
        });
        let mut stack = vec![(v, top && k.name == "about")];
        while let Some((v, multiline)) = stack.pop() {
            match &v.kind {
                Kind::Str(s) => out.push(Text {
                    text: s,
                    span: &v.span,
                    multiline,
                    what: "a string",
                }),
                Kind::Array(items) => stack.extend(items.iter().rev().map(|it| (it, false))),
                Kind::Table(t) => texts_of(t, false, out),
                Kind::Int(_) | Kind::Bool(_) => {}
            }
        }
    }
}

/// The `[setup]` table, validated.
fn setup(cx: &Ctx, rs: &RawSetup) -> Result<Setup, ScenarioError> {
    let fs = match &rs.fs {
        None => Fs::Xfs,
        Some(s) => Fs::parse(s.get_ref()).ok_or_else(|| {
            cx.at(
                s.span(),
                format!("unknown filesystem `{}`", s.get_ref()),
                Some("fs is one of: xfs, ext4, btrfs".into()),
            )
        })?,
    };
    let preset = match &rs.preset {
        None => DEFAULT_PRESET.to_string(),
        Some(p) => {
            crate::policy::Policy::preset(p.get_ref()).map_err(|e| {
                cx.at(
                    p.span(),
                    e.to_string(),
                    Some("`dioscope list` shows the presets".into()),
                )
            })?;
            p.get_ref().clone()
        }
    };
    let (pages, size) = setup_sizes(cx, rs)?;
    let on_disk = match &rs.on_disk {
        None => OnDisk::Written,
        Some(s) => match s.get_ref().as_str() {
            "written" => OnDisk::Written,
            "unwritten" => OnDisk::Unwritten,
            "hole" => OnDisk::Hole,
            other => {
                return Err(cx.at(
                    s.span(),
                    format!("unknown on_disk `{other}`"),
                    Some("on_disk is one of: written, unwritten, hole".into()),
                ))
            }
        },
    };
    let (cached, poisoned) = setup_masks(cx, rs, fs, pages, size)?;
    Ok(Setup {
        fs,
        preset,
        pages,
        size,
        on_disk,
        cached,
        write_cache: rs.write_cache,
        flusher: rs.flusher,
        reclaim: rs.reclaim,
        dax: rs.dax,
        poisoned,
    })
}

/// `pages` (the capacity) and `size`.
fn setup_sizes(cx: &Ctx, rs: &RawSetup) -> Result<(u8, u8), ScenarioError> {
    let pages = match &rs.pages {
        None => 4,
        Some(p) => {
            let v = *p.get_ref();
            if v < 1 || v > limits::MAX_PAGES as i64 {
                return Err(cx.at(
                    p.span(),
                    format!("pages = {v}: a file has 1 to {} pages", limits::MAX_PAGES),
                    Some("the explorer enumerates every interleaving, so files are small".into()),
                ));
            }
            v as u8
        }
    };
    let size = match &rs.size {
        None => pages,
        Some(s) => {
            let v = *s.get_ref();
            if v < 0 || v > i64::from(pages) {
                return Err(cx.at(
                    s.span(),
                    format!(
                        "size = {v}: the file's size is 0 to {pages} pages (pages is its capacity)"
                    ),
                    None,
                ));
            }
            v as u8
        }
    };
    Ok((pages, size))
}

/// `cached` and `poisoned`, and what DAX allows of them.
fn setup_masks(
    cx: &Ctx,
    rs: &RawSetup,
    fs: Fs,
    pages: u8,
    size: u8,
) -> Result<(crate::world::Pages, crate::world::Blocks), ScenarioError> {
    let cached = match &rs.cached {
        None => 0,
        Some(s) => parse_set(s.get_ref(), size.max(1), "page").map_err(|(m, h)| {
            let h = if size < pages {
                format!("{h}; pages past the size ({size}) cannot be cached")
            } else {
                h
            };
            cx.at(s.span(), m, Some(h))
        })? as crate::world::Pages, // pages < 64: parse_set checked
    };
    if size == 0 && cached != 0 {
        let span = rs.cached.as_ref().map(|s| s.span()).unwrap_or(0..0);
        return Err(cx.at(span, "an empty file (size = 0) has nothing to cache", None));
    }
    let blocks = pages * 2;
    let poisoned = match &rs.poisoned {
        None => 0,
        Some(s) => {
            parse_set(s.get_ref(), blocks, "block").map_err(|(m, h)| cx.at(s.span(), m, Some(h)))?
        }
    };
    if rs.dax {
        if fs == Fs::Btrfs {
            let span = rs.fs.as_ref().map(|s| s.span()).unwrap_or(0..0);
            return Err(cx.at(
                span,
                "btrfs has no DAX mode",
                Some("DAX is modelled for xfs and ext4".into()),
            ));
        }
        if cached != 0 {
            let span = rs.cached.as_ref().map(|s| s.span()).unwrap_or(0..0);
            return Err(cx.at(
                span,
                "a DAX file has no page cache for data",
                Some("remove `cached` or set dax = false".into()),
            ));
        }
    } else if poisoned != 0 {
        let span = rs.poisoned.as_ref().map(|s| s.span()).unwrap_or(0..0);
        return Err(cx.at(
            span,
            "media errors (poisoned blocks) are modelled for DAX (pmem) only",
            Some("set dax = true, or use `fail-writes` for a failing disk".into()),
        ));
    }
    Ok((cached, poisoned))
}

/// The `[policy]` overrides, checked against the scenario's preset.
fn policy_overrides(
    cx: &Ctx,
    setup: &Setup,
    raw: &Pairs,
) -> Result<Vec<(String, String)>, ScenarioError> {
    let mut policy_check = Policy::preset(&setup.preset)
        .unwrap_or_else(|_| unreachable!("the preset was checked above"));
    let mut policy = Vec::new();
    for (k, v) in raw {
        policy_check.set(k.get_ref(), v.get_ref()).map_err(|e| {
            let span = match e {
                crate::policy::KnobError::UnknownKnob { .. } => k.span(),
                _ => v.span(),
            };
            cx.at(
                span,
                e.to_string(),
                Some("`dioscope list` shows every knob and its values".into()),
            )
        })?;
        policy.push((k.get_ref().clone(), v.get_ref().clone()));
    }
    Ok(policy)
}

/// The `[[task]]` entries: names, ops, and the scenario's limits.
fn tasks(cx: &Ctx, setup: &Setup, raw: &[S<RawTask>]) -> Result<Vec<TaskSpec>, ScenarioError> {
    if raw.is_empty() {
        return Err(cx.whole(
            "the scenario has no tasks",
            Some("add a [[task]] with a name and ops, e.g. ops = [\"write 0\", \"fsync\"]".into()),
        ));
    }
    if raw.len() > limits::MAX_TASKS {
        return Err(cx.at(
            raw[limits::MAX_TASKS].span(),
            format!(
                "{} tasks; at most {} are allowed",
                raw.len(),
                limits::MAX_TASKS
            ),
            Some("every interleaving is enumerated; races need two or three tasks".into()),
        ));
    }
    let mut tasks: Vec<TaskSpec> = Vec::new();
    for t in raw {
        let name = task_name(cx, &t.get_ref().name, &tasks)?;
        if t.get_ref().template && name.len() >= 8 {
            return Err(cx.at(
                t.get_ref().name.span(),
                format!("template task name `{name}` is too long"),
                Some("a template task's name has at most 7 letters: `dioscope sweep` names its copies by adding one (W, Wb, Wc, ...)".into()),
            ));
        }
        let ops = task_ops(cx, setup, name, &t.get_ref().ops, t.get_ref().name.span())?;
        tasks.push(TaskSpec {
            name: name.clone(),
            ops,
            template: t.get_ref().template,
        });
    }
    // byte ranges cut pages into at most FRAGS fragments: point at the
    // op that cuts one too many
    let with_spans = raw
        .iter()
        .zip(&tasks)
        .flat_map(|(r, t)| r.get_ref().ops.iter().map(|o| o.span()).zip(&t.ops));
    let mut seen: Vec<&Op> = Vec::new();
    // the op that makes one data version too many, to point at
    let mut over = None;
    let mut writes = 0;
    for (span, op) in with_spans {
        seen.push(op);
        writes += usize::from(op.writes_data());
        if writes == limits::MAX_WRITES + 1 && over.is_none() {
            over = Some(span.clone());
        }
        if op.bytes().is_some() {
            if let Err((_, msg)) = crate::frags::cut(seen.iter().copied(), setup.pages) {
                return Err(cx.at(
                    span,
                    msg,
                    Some("use fewer distinct byte boundaries on this page".into()),
                ));
            }
        }
    }
    if let Some(span) = over {
        return Err(cx.at(
            span,
            format!(
                "{writes} ops create data versions; at most {} are allowed, and this is number {}",
                limits::MAX_WRITES,
                limits::MAX_WRITES + 1
            ),
            Some("writes, mmap stores, direct reads into mmap, punches and truncates each create one".into()),
        ));
    }
    Ok(tasks)
}

/// A task's name: letters, not reserved, not taken.
fn task_name<'a>(
    cx: &Ctx,
    name: &'a S<String>,
    earlier: &[TaskSpec],
) -> Result<&'a String, ScenarioError> {
    let nspan = name.span();
    let name = name.get_ref();
    let valid = !name.is_empty()
        && name.len() <= 8
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphabetic() || c == '_');
    if !valid {
        return Err(cx.at(
            nspan,
            format!("task name `{name}` is not allowed"),
            Some("a task name is 1 to 8 letters (or _), like \"A\" or \"writer\"; data versions are named after it (A1, A2)".into()),
        ));
    }
    if RESERVED_NAMES.contains(&name.as_str()) {
        return Err(cx.at(
            nspan,
            format!("`{name}` is reserved"),
            Some(format!("reserved names: {}", RESERVED_NAMES.join(", "))),
        ));
    }
    if earlier.iter().any(|x| &x.name == name) {
        return Err(cx.at(
            nspan,
            format!("duplicate task name `{name}`"),
            Some("each [[task]] needs its own name".into()),
        ));
    }
    Ok(name)
}

/// A task's ops, parsed and checked against the file.
fn task_ops(
    cx: &Ctx,
    setup: &Setup,
    name: &str,
    rops: &[S<String>],
    nspan: ByteRange<usize>,
) -> Result<Vec<Op>, ScenarioError> {
    if rops.is_empty() {
        return Err(cx.at(
            nspan,
            format!("task `{name}` has no ops"),
            Some("add ops = [\"write 0\", ...]".into()),
        ));
    }
    if rops.len() > limits::MAX_OPS {
        return Err(cx.at(
            rops[limits::MAX_OPS].span(),
            format!(
                "task `{name}` has {} ops; at most {} are allowed",
                rops.len(),
                limits::MAX_OPS
            ),
            None,
        ));
    }
    let mut ops = Vec::new();
    for o in rops {
        let s = o.get_ref();
        let op = parse_op(s).map_err(|e| cx.at(cx.inside(&o.span(), e.at), e.msg, e.hint))?;
        check_op_bounds(&op, setup).map_err(|(m, h)| cx.at(o.span(), m, Some(h)))?;
        ops.push(op);
    }
    Ok(ops)
}

/// One `[[expect]]`, checked against the policy, the tasks and the outcomes.
fn expect(
    cx: &Ctx,
    setup: &Setup,
    policy: &[(String, String)],
    tasks: &[TaskSpec],
    e: &S<RawExpect>,
) -> Result<Expect, ScenarioError> {
    let re = e.get_ref();
    let preset = match &re.preset {
        None => setup.preset.clone(),
        Some(p) => {
            Policy::preset(p.get_ref()).map_err(|err| cx.at(p.span(), err.to_string(), None))?;
            p.get_ref().clone()
        }
    };
    let mut check = Policy::preset(&preset).unwrap_or_else(|_| unreachable!("checked"));
    for (k, v) in policy {
        check.set(k, v).unwrap_or_else(|_| unreachable!("checked"));
    }
    let mut set = Vec::new();
    for (k, v) in &re.set {
        check.set(k.get_ref(), v.get_ref()).map_err(|err| {
            let span = match err {
                crate::policy::KnobError::UnknownKnob { .. } => k.span(),
                _ => v.span(),
            };
            cx.at(span, err.to_string(), None)
        })?;
        set.push((k.get_ref().clone(), v.get_ref().clone()));
    }
    let what = expected(cx, re, tasks, e.span())?;
    let verdict = Verdict::parse(re.verdict.get_ref()).ok_or_else(|| {
        cx.at(
            re.verdict.span(),
            format!("unknown verdict `{}`", re.verdict.get_ref()),
            Some("verdict is one of: always, sometimes, never".into()),
        )
    })?;
    let schedule = match &re.schedule {
        None => None,
        Some(sch) => {
            crate::sched::Schedule::parse(sch.get_ref()).map_err(|err| {
                cx.at(
                    sch.span(),
                    err.msg,
                    Some("actors: task names, dev, dev@K, flush, reclaim; A:3 repeats".into()),
                )
            })?;
            Some(sch.get_ref().clone())
        }
    };
    let line = cx.at(e.span(), "", None).line;
    Ok(Expect {
        preset,
        set,
        what,
        verdict,
        schedule,
        line,
    })
}

/// What an `[[expect]]` is about: its `outcome` or its `result`.
fn expected(
    cx: &Ctx,
    re: &RawExpect,
    tasks: &[TaskSpec],
    span: ByteRange<usize>,
) -> Result<Expected, ScenarioError> {
    Ok(match (&re.outcome, &re.result) {
        (Some(o), None) => Expected::Outcome(Outcome::parse(o.get_ref()).ok_or_else(|| {
            let names: Vec<&str> = Outcome::ALL.iter().map(|o| o.name()).collect();
            let hint = match crate::util::closest(o.get_ref(), names.iter().copied()) {
                Some(c) => format!("did you mean `{c}`? outcomes: {}", names.join(", ")),
                None => format!("outcomes: {}", names.join(", ")),
            };
            cx.at(
                o.span(),
                format!("unknown outcome `{}`", o.get_ref()),
                Some(hint),
            )
        })?),
        (None, Some(r)) => Expected::Result(
            parse_result(r.get_ref(), tasks).map_err(|(m, h)| cx.at(r.span(), m, Some(h)))?,
        ),
        (Some(_), Some(r)) => {
            return Err(cx.at(
                r.span(),
                "an [[expect]] has either `outcome` or `result`, not both",
                Some("split it in two [[expect]] entries".into()),
            ))
        }
        (None, None) => {
            return Err(cx.at(
                span,
                "this [[expect]] says neither `outcome` nor `result`",
                Some("add outcome = \"spurious-eio\" or result = \"B: read 0 = A1\"".into()),
            ))
        }
    })
}

/// Parses `"B: fsync #2 = 0"` against the tasks.
fn parse_result(s: &str, tasks: &[TaskSpec]) -> Result<ResultPattern, (String, String)> {
    let form =
        "write it as \"TASK: OP = VALUE\", e.g. \"B: read 0 = A1\" or \"A: fsync #2 = -EIO\""
            .to_string();
    let (lhs, value) = s
        .split_once('=')
        .ok_or_else(|| (format!("`{s}` has no `=`"), form.clone()))?;
    let (task, op) = lhs
        .split_once(':')
        .ok_or_else(|| (format!("`{s}` names no task"), form.clone()))?;
    let task = task.trim();
    let ti = tasks.iter().position(|t| t.name == task).ok_or_else(|| {
        let names: Vec<&str> = tasks.iter().map(|t| t.name.as_str()).collect();
        (
            format!("no task `{task}`"),
            format!("tasks are {}", names.join(", ")),
        )
    })?;
    let op = op.trim();
    let (op_text, ordinal) = match op.rsplit_once('#') {
        Some((o, n)) => {
            let n: usize = n.trim().parse().map_err(|_| {
                (
                    format!("`#{n}` is not an ordinal"),
                    "#1 is the first such op".to_string(),
                )
            })?;
            (o.trim(), Some(n))
        }
        None => (op, None),
    };
    let parsed = parse_op(op_text).map_err(|e| (e.msg, e.hint.unwrap_or_default()))?;
    let hits: Vec<usize> = tasks[ti]
        .ops
        .iter()
        .enumerate()
        .filter(|(_, o)| **o == parsed)
        .map(|(i, _)| i)
        .collect();
    let opi = match (hits.len(), ordinal) {
        (0, _) => {
            return Err((
                format!("task `{task}` has no op `{parsed}`"),
                "copy the op as written in the task's ops".into(),
            ))
        }
        (1, None) => hits[0],
        (n, None) => {
            return Err((
                format!("task `{task}` has {n} `{parsed}` ops"),
                format!("say which: `{parsed} #1` to `{parsed} #{n}`"),
            ))
        }
        (n, Some(k)) if k == 0 || k > n => {
            return Err((
                format!("`#{k}`: task `{task}` has {n} `{parsed}` ops"),
                format!("use #1 to #{n}"),
            ))
        }
        (_, Some(k)) => hits[k - 1],
    };
    let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
    if value.is_empty() {
        return Err(("the value after `=` is empty".into(), form));
    }
    Ok(ResultPattern {
        text: s.trim().to_string(),
        task: ti as u8,
        op: opi as u8,
        value,
    })
}

/// Checks an op's pages and blocks against the file.
fn check_op_bounds(op: &Op, s: &Setup) -> Result<(), (String, String)> {
    let pages = s.pages;
    let page = |p: u8| -> Result<(), (String, String)> {
        if p >= pages {
            Err((
                format!("page {p} is past EOF: the file has {pages} pages"),
                format!("pages are 0 to {}", pages - 1),
            ))
        } else {
            Ok(())
        }
    };
    // a direct I/O's buffer in the task's mmap of the file: one user page
    // per file page of the I/O, all of them inside the file
    let buffer = |p: u8, range: crate::ops::Range, flag: &str| -> Result<(), (String, String)> {
        if s.dax {
            // the DAX paths ignore the buffer, and the nofault-retry
            // fallback would go through a page cache a DAX file has not
            return Err((
                format!("`{flag}` is not modelled on a DAX file"),
                "a direct I/O whose buffer is an mmap of the file is modelled for the page cache: set dax = false, or drop the flag".into(),
            ));
        }
        page(p)?;
        let last = u16::from(p) + u16::from(range.len()) - 1;
        if last >= u16::from(pages) {
            return Err((
                format!(
                    "the buffer `{flag} {p}` runs past EOF: {} pages from page {p} need pages {p}-{last}, and the file has {pages}",
                    range.len()
                ),
                format!(
                    "the buffer starts at page 0 to {} for an I/O of {} pages",
                    pages - range.len(),
                    range.len()
                ),
            ));
        }
        Ok(())
    };
    match *op {
        Op::Read {
            range, into_mmap, ..
        } => {
            page(range.hi)?;
            if let Some(p) = into_mmap {
                buffer(p, range, "into-mmap")?;
            }
        }
        Op::Write {
            range, from_mmap, ..
        } => {
            page(range.hi)?;
            if let Some(p) = from_mmap {
                buffer(p, range, "from-mmap")?;
            }
        }
        Op::MmapRead(p, _) | Op::MmapWrite(p, _) => page(p)?,
        Op::SyncRange(r) | Op::Punch(r) | Op::Falloc(r) => page(r.hi)?,
        Op::Reclaim(Some(r)) => page(r.hi)?,
        Op::Truncate(n) => {
            if n > pages {
                return Err((
                    format!("truncate {n} is past the file's capacity of {pages} pages"),
                    format!("truncate to 0 to {pages} pages"),
                ));
            }
        }
        Op::FailWrites(r) => {
            if r.hi >= s.blocks() {
                return Err((
                    format!(
                        "block {} does not exist: the device has {} blocks",
                        r.hi,
                        s.blocks()
                    ),
                    format!(
                        "blocks are 0 to {}; page i starts on block i",
                        s.blocks() - 1
                    ),
                ));
            }
        }
        Op::Fsync | Op::Fdatasync | Op::Writeback | Op::Reclaim(None) | Op::Crash => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
title = "t"
[setup]
fs = "btrfs"
preset = "linux-5.8"
pages = 4
cached = "0-3"

[policy]
dio_pre_invalidate_fail = "warn-eio"

[[task]]
name = "A"
ops = ["write 0-1", "write 0-1 direct", "fsync"]

[[task]]
name = "B"
ops = ["mmap-write 1"]

[[expect]]
outcome = "spurious-eio"
verdict = "sometimes"
"#;

    #[test]
    fn parses_the_design_example() {
        let s = parse("x.toml", GOOD).unwrap();
        assert_eq!(s.setup.fs, Fs::Btrfs);
        assert_eq!(s.setup.cached, 0b1111);
        assert_eq!(s.tasks.len(), 2);
        assert_eq!(s.expects[0].preset, "linux-5.8");
        assert_eq!(s.expects[0].verdict, Verdict::Sometimes);
        assert_eq!(s.expects[0].what, Expected::Outcome(Outcome::SpuriousEio));
        assert_eq!(s.writes(), 3);
    }

    fn err_of(text: &str) -> ScenarioError {
        parse("bad.toml", text).unwrap_err()
    }

    #[test]
    fn unknown_op_points_at_the_op_word() {
        let e =
            err_of("title = \"t\"\n[[task]]\nname = \"A\"\nops = [\"write 0\", \"wirte 0-1\"]\n");
        assert_eq!((e.line, e.col, e.len), (4, 20, 5), "{e}");
        assert!(e.hint.as_deref().unwrap().contains("did you mean `write`"));
        let shown = e.to_string();
        assert!(shown.contains("bad.toml:4:20"), "{shown}");
        assert!(shown.contains("^^^^^"), "{shown}");
    }

    /// Too many writes: the error points at the op that goes one over
    /// (it named no place; the browser fuzz of stop 24).
    #[test]
    fn too_many_writes_points_at_the_first_op_over_the_limit() {
        let ops = vec!["\"write 0\""; limits::MAX_WRITES + 1].join(", ");
        let e = err_of(&format!(
            "title = \"t\"\n[[task]]\nname = \"A\"\nops = [\"fsync\"]\n[[task]]\nname = \"B\"\nops = [{ops}]\n"
        ));
        // B's ops are at line 7; op k (0-based) starts at 8 + 11 k
        let k = limits::MAX_WRITES as u32;
        assert_eq!((e.line, e.col, e.len), (7, 8 + 11 * k, 9), "{e}");
        assert!(e.msg.contains("this is number 31"), "{e}");
    }

    #[test]
    fn range_past_eof_is_reported_at_the_op() {
        let e = err_of(
            "title = \"t\"\n[setup]\npages = 2\n[[task]]\nname = \"A\"\nops = [\"read 0-3\"]\n",
        );
        assert_eq!(e.line, 6);
        assert!(e.msg.contains("past EOF"), "{e}");
    }

    #[test]
    fn unknown_knob_and_value() {
        let e = err_of("title = \"t\"\n[policy]\nfault_lok = \"none\"\n[[task]]\nname = \"A\"\nops = [\"fsync\"]\n");
        assert_eq!((e.line, e.col), (3, 1));
        assert!(e.msg.contains("did you mean `fault_lock`"), "{e}");
        let e = err_of("title = \"t\"\n[policy]\nfault_lock = \"sometimes\"\n[[task]]\nname = \"A\"\nops = [\"fsync\"]\n");
        assert_eq!((e.line, e.col), (3, 14));
        assert!(e.msg.contains("expected one of"), "{e}");
    }

    #[test]
    fn duplicate_task_and_syntax_errors() {
        let e = err_of("title = \"t\"\n[[task]]\nname = \"A\"\nops = [\"fsync\"]\n[[task]]\nname = \"A\"\nops = [\"fsync\"]\n");
        assert_eq!(e.line, 6);
        assert!(e.msg.contains("duplicate"));
        let e = err_of("title = \"t\"\n[[task]\nname = \"A\"\n");
        assert_eq!(e.line, 2, "{e}");
        let e = err_of("title = \"t\"\nbogus = 1\n[[task]]\nname = \"A\"\nops = [\"fsync\"]\n");
        assert_eq!(e.line, 2, "{e}");
        assert!(e.msg.contains("unknown field"), "{e}");
        let e = err_of("[[task]]\nname = \"A\"\nops = [\"fsync\"]\n");
        assert!(e.msg.contains("title"), "{e}");
    }

    #[test]
    fn limits_are_checked_with_a_message() {
        let e = err_of(
            "title = \"t\"\n[setup]\npages = 400\n[[task]]\nname = \"A\"\nops = [\"fsync\"]\n",
        );
        assert!(e.msg.contains("1 to 64 pages"), "{e}");
        let e = err_of(
            "title = \"t\"\n[setup]\npages = 65\n[[task]]\nname = \"A\"\nops = [\"fsync\"]\n",
        );
        assert!(
            e.msg.contains("pages = 65: a file has 1 to 64 pages"),
            "{e}"
        );
        let s = parse(
            "t.toml",
            "title = \"t\"\n[setup]\npages = 64\ncached = \"0-63\"\n[[task]]\nname = \"A\"\nops = [\"write 60-63\", \"fsync\"]\n",
        )
        .expect("64 pages");
        assert_eq!(s.setup.cached, u64::MAX);
        assert_eq!(s.setup.blocks(), 128);
        let mut t = String::from("title = \"t\"\n");
        for n in ["A", "B", "C", "D", "E", "F", "G", "H", "I"] {
            t += &format!("[[task]]\nname = \"{n}\"\nops = [\"fsync\"]\n");
        }
        assert!(err_of(&t).msg.contains("at most 8"));
        let e = err_of("title = \"t\"\n[[task]]\nname = \"dev\"\nops = [\"fsync\"]\n");
        assert!(e.msg.contains("reserved"));
        let e = err_of("title = \"t\"\n[[task]]\nname = \"A1\"\nops = [\"fsync\"]\n");
        assert!(e.msg.contains("not allowed"));
    }

    #[test]
    fn result_expectations_name_a_task_and_op() {
        let base = "title = \"t\"\n[[task]]\nname = \"A\"\nops = [\"fsync\", \"read 0\", \"fsync\"]\n[[expect]]\nverdict = \"always\"\n";
        let s = parse("x.toml", &format!("{base}result = \"A: read 0 = init\"\n")).unwrap();
        let Expected::Result(r) = &s.expects[0].what else {
            panic!()
        };
        assert_eq!((r.task, r.op, r.value.as_str()), (0, 1, "init"));
        let s = parse(
            "x.toml",
            &format!("{base}result = \"A: fsync #2 = -EIO\"\n"),
        )
        .unwrap();
        let Expected::Result(r) = &s.expects[0].what else {
            panic!()
        };
        assert_eq!(r.op, 2);
        let e = err_of(&format!("{base}result = \"A: fsync = 0\"\n"));
        assert!(e.hint.unwrap().contains("#1"), "{}", e.msg);
        let e = err_of(&format!("{base}result = \"B: fsync = 0\"\n"));
        assert!(e.msg.contains("no task `B`"));
        let e = err_of(&format!("{base}result = \"A: write 0 = 0\"\n"));
        assert!(e.msg.contains("no op"));
        let e = err_of(&format!("{base}\n"));
        assert!(e.msg.contains("neither"));
    }

    #[test]
    fn expectations_are_validated() {
        let e = err_of("title = \"t\"\n[[task]]\nname = \"A\"\nops = [\"fsync\"]\n[[expect]]\noutcome = \"stale-reed\"\nverdict = \"never\"\n");
        assert_eq!(e.line, 6);
        assert!(e.hint.unwrap().contains("stale-read"));
        let e = err_of("title = \"t\"\n[[task]]\nname = \"A\"\nops = [\"fsync\"]\n[[expect]]\noutcome = \"stale-read\"\nverdict = \"maybe\"\n");
        assert_eq!(e.line, 7);
    }
    #[test]
    fn any_toml_spelling_is_accepted() {
        let s = parse(
            "x.toml",
            "title = 'literal'\nsetup.fs = \"btrfs\"\nsetup.pages = 0x8\nsetup.size = 0o6\n\
             setup.cached = \"0-1\"\npolicy.dio_gup_fault = \"fault\"\n\
             task = [ { name = \"A\", ops = [\"write 0-1\"] },\n  { name = \"B\", ops = [\n\"fsync\", ] } ]\n\
             [[expect]]\noutcome = \"stale-read\"\nverdict = \"never\"\nset = { dio_gup_fault = \"nofault-retry\" }\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.title, "literal");
        assert_eq!((s.setup.fs, s.setup.pages, s.setup.size), (Fs::Btrfs, 8, 6));
        assert_eq!(
            s.policy,
            [("dio_gup_fault".to_string(), "fault".to_string())]
        );
        assert_eq!(s.tasks.len(), 2);
        assert_eq!(s.expects[0].set[0].1, "nofault-retry");
        let s = parse(
            "x.toml",
            "title = \"t\"\n[setup]\npages = 1_6\n[[task]]\nname = \"A\"\nops = [\"read 15\"]\n",
        )
        .unwrap();
        assert_eq!(s.setup.pages, 16);
        // errors in dotted keys point at them
        let e = err_of(
            "title = \"t\"\nsetup.fs = \"zfs\"\n[[task]]\nname = \"A\"\nops = [\"fsync\"]\n",
        );
        assert_eq!((e.line, e.col), (2, 12), "{e}");
        let e =
            err_of("title = \"t\"\nsetup.pags = 3\n[[task]]\nname = \"A\"\nops = [\"fsync\"]\n");
        assert_eq!((e.line, e.col), (2, 7), "{e}");
        assert!(e.hint.unwrap().contains("did you mean `pages`"));
        let e = err_of("title = \"t\"\n[setup]\npages = 2.5\n");
        assert_eq!((e.line, e.col), (3, 9), "{e}");
        assert!(e.msg.contains("whole number"), "{e}");
    }

    #[test]
    fn deep_nesting_is_an_error_at_its_line_and_column() {
        for (open, close) in [("[", "]"), ("{a=", "}")] {
            let n = 14_500;
            let text = format!("title = \"t\"\nx = {}{}\n", open.repeat(n), close.repeat(n));
            assert!(text.len() < limits::MAX_TEXT);
            let e = err_of(&text);
            assert_eq!((e.line, e.col), (2, 5 + open.len() as u32 * 16), "{e}");
            assert!(e.msg.contains("nest more than 16 deep"), "{e}");
        }
    }

    #[test]
    fn an_mmap_buffer_past_eof_is_refused_at_the_op() {
        let text = |pages: u8, op: &str| {
            format!("title = \"t\"\n[setup]\npages = {pages}\n[[task]]\nname = \"A\"\nops = [\"fsync\", \"{op}\"]\n")
        };
        for (pages, op) in [
            (16, "write 0-1 direct from-mmap 15"),
            (4, "read 0-1 direct into-mmap 3"),
            (4, "read 0-3 direct into-mmap 1"),
        ] {
            let e = err_of(&text(pages, op));
            assert_eq!((e.line, e.col), (6, 17), "{op}: {e}");
            assert!(e.msg.contains("runs past EOF"), "{e}");
            assert!(
                e.hint.as_deref().unwrap().contains("starts at page 0 to"),
                "{e}"
            );
        }
        for (pages, op) in [
            (16, "write 0-1 direct from-mmap 14"),
            (4, "read 0-1 direct into-mmap 2"),
            (4, "read 0-3 direct into-mmap 0"),
        ] {
            parse("x.toml", &text(pages, op)).unwrap_or_else(|e| panic!("{e}"));
        }
        // not on DAX (the fuzzer found the page cache used on a DAX file)
        let e = err_of(
            &text(4, "read 0 direct into-mmap 1").replace("[setup]\n", "[setup]\ndax = true\n"),
        );
        assert!(e.msg.contains("not modelled on a DAX file"), "{e}");
        assert_eq!((e.line, e.col), (7, 17), "{e}");
    }

    #[test]
    fn control_characters_are_refused_where_they_are() {
        let e = err_of("title = \"a\\u001b[2Jb\"\n[[task]]\nname = \"A\"\nops = [\"fsync\"]\n");
        assert_eq!(e.line, 1);
        assert!(
            e.msg.contains("control character U+001B in a string"),
            "{e}"
        );
        let e =
            err_of("title = \"t\"\n[[task]]\nname = \"A\"\nops = [\"fsync\", \"write 0\\r\"]\n");
        assert_eq!(e.line, 4);
        assert!(e.msg.contains("U+000D"), "{e}");
        for bad in [
            "\\u0007", "\\b", "\\u007f", "\\u009b", "\\u0000", "\\t", "\\n",
        ] {
            let e = err_of(&format!(
                "title = \"x{bad}y\"\n[[task]]\nname = \"A\"\nops = [\"fsync\"]\n"
            ));
            assert!(e.msg.contains("control character"), "{bad}: {e}");
            assert_eq!(e.line, 1);
        }
        // a raw control character is refused by the TOML parser already
        let e = err_of("title = \"x\u{7}y\"\n");
        assert_eq!((e.line, e.col), (1, 11), "{e}");
        // about keeps newlines and tabs
        let s = parse("x.toml", "title = \"t\"\nabout = \"\"\"\na\tb\r\nc\"\"\"\n[[task]]\nname = \"A\"\nops = [\"fsync\"]\n").unwrap();
        assert!(s.about.contains('\t'));
        let e = err_of(
            "title = \"t\"\nabout = \"a\\u001bb\"\n[[task]]\nname = \"A\"\nops = [\"fsync\"]\n",
        );
        assert_eq!(e.line, 2);
        // keys too
        let e = err_of("title = \"t\"\n\"a\\u001b\" = 1\n");
        assert!(e.msg.contains("in a key"), "{e}");
    }

    #[test]
    fn template_tasks_are_marked_and_checked() {
        let base = "title = \"t\"\n[[task]]\nname = \"W\"\nops = [\"fsync\"]\n";
        let s = parse("x.toml", &format!("{base}template = true\n")).unwrap();
        assert!(s.tasks[0].template);
        assert!(!parse("x.toml", base).unwrap().tasks[0].template);
        let e = err_of(&format!("{base}template = \"yes\"\n"));
        assert_eq!((e.line, e.col), (5, 12), "{e}");
        assert!(e.msg.contains("should be true or false"), "{e}");
        let e = err_of(
            "title = \"t\"\n[[task]]\nname = \"Writerss\"\ntemplate = true\nops = [\"fsync\"]\n",
        );
        assert_eq!((e.line, e.col), (3, 8), "{e}");
        assert!(e.hint.unwrap().contains("at most 7 letters"));
        assert_eq!(template_copy_name("W", 0), "W");
        assert_eq!(template_copy_name("W", 2), "Wc");
        let e = err_of(&format!("{base}templat = true\n"));
        assert!(
            e.hint.clone().unwrap().contains("did you mean `template`"),
            "{e}"
        );
    }

    #[test]
    fn text_that_is_not_utf8_is_an_error_with_its_place() {
        let mut b = b"title = \"t\"\n[setup]\nfs = \"x".to_vec();
        b.push(0xff);
        b.extend_from_slice(b"fs\"\n");
        let e = parse_bytes("bad.toml", &b).unwrap_err();
        assert_eq!((e.line, e.col), (3, 8), "{e}");
        assert!(
            e.msg.contains("not UTF-8")
                && e.msg.contains("0xFF")
                && e.msg.contains("byte offset 27"),
            "{e}"
        );
        assert!(e.to_string().contains("bad.toml:3:8"), "{e}");
        let e = parse_bytes(
            "é.toml",
            "titlé = 1\n\u{e9}".as_bytes().split_last().unwrap().1,
        )
        .unwrap_err();
        assert!(
            e.msg.contains("0xC3") && e.msg.contains("byte offset 11"),
            "{e}"
        );
        assert_eq!((e.line, e.col), (2, 1), "{e}");
        assert!(parse_bytes("x.toml", GOOD.as_bytes()).is_ok());
        let e = parse_bytes("big.toml", &vec![b' '; limits::MAX_TEXT + 1]).unwrap_err();
        assert!(e.msg.contains("at most"), "{e}");
    }
}
