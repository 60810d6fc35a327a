//! The operations a task runs, as written in scenario files:
//! `write 0-1 direct`, `mmap-write 1`, `fsync`, ...

use std::fmt;

/// An inclusive range of pages (or blocks, for `fail-writes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Range {
    pub lo: u8,
    pub hi: u8,
}

impl Range {
    pub fn one(p: u8) -> Range {
        Range { lo: p, hi: p }
    }
    #[allow(
        clippy::len_without_is_empty,
        reason = "an inclusive range holds at least one page"
    )]
    pub fn len(self) -> u8 {
        self.hi - self.lo + 1
    }
    pub fn contains(self, p: u8) -> bool {
        self.lo <= p && p <= self.hi
    }
    pub fn pages(self) -> impl Iterator<Item = u8> {
        self.lo..=self.hi
    }
    /// The pages of the range, as a set.
    pub fn mask(self) -> crate::world::Pages {
        let n = u32::from(self.len());
        let ones = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
        ones << self.lo
    }
    /// The blocks of the range (`fail-writes`), as a set.
    pub fn block_mask(self) -> crate::world::Blocks {
        let n = u32::from(self.len());
        let ones = if n >= 128 {
            u128::MAX
        } else {
            (1u128 << n) - 1
        };
        ones << self.lo
    }
}

/// An inclusive range of bytes, counted from the start of the op's first
/// page: `write 0 bytes 0-99`, `write 0-1 bytes 0-4195` (all of page 0,
/// the first 100 bytes of page 1). It starts in the first page and ends in
/// the last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Bytes {
    pub lo: u32,
    pub hi: u32,
}

impl Bytes {
    /// The part of page `p` these bytes cover, for an op whose first page
    /// is `first`, counted from the start of page `p`.
    pub fn within(self, first: u8, p: u8) -> Option<Bytes> {
        let size = u32::from(crate::frags::PAGE_SIZE);
        let start = u32::from(p.checked_sub(first)?) * size;
        let lo = self.lo.max(start);
        let hi = self.hi.min(start + size - 1);
        (lo <= hi).then(|| Bytes {
            lo: lo - start,
            hi: hi - start,
        })
    }
}

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bytes {}-{}", self.lo, self.hi)
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.lo == self.hi {
            write!(f, "{}", self.lo)
        } else {
            write!(f, "{}-{}", self.lo, self.hi)
        }
    }
}

/// One operation of a task.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// `read R [direct] [dontcache] [into-mmap P [private]]`, or
    /// `read P bytes A-B`
    Read {
        range: Range,
        /// Part of one page only (not with direct I/O).
        bytes: Option<Bytes>,
        direct: bool,
        dontcache: bool,
        into_mmap: Option<u8>,
        /// The buffer is a MAP_PRIVATE mapping of the file (fstests
        /// generic/647): writing it copies the page (COW) and never
        /// reaches the file.
        private: bool,
    },
    /// `write R [direct [aio]] [dsync] [dontcache|uncached] [from-mmap P [private]]`,
    /// or `write P bytes A-B [dsync] [dontcache]`
    Write {
        range: Range,
        bytes: Option<Bytes>,
        direct: bool,
        dsync: bool,
        uncached: bool,
        from_mmap: Option<u8>,
        private: bool,
        /// Asynchronous (io_submit): the call returns once the bios are
        /// submitted and the write completes later (fstests generic/451).
        aio: bool,
    },
    /// `mmap-read P [bytes A-B]`: a load through this task's shared mapping
    /// of the file.
    MmapRead(u8, Option<Bytes>),
    /// `mmap-write P [bytes A-B]`: a store through this task's shared
    /// mapping.
    MmapWrite(u8, Option<Bytes>),
    Fsync,
    Fdatasync,
    /// `sync-range R`: sync_file_range(WAIT_BEFORE | WRITE | WAIT_AFTER).
    SyncRange(Range),
    /// `truncate N`: set the size to N pages.
    Truncate(u8),
    /// `punch R`: fallocate(PUNCH_HOLE | KEEP_SIZE).
    Punch(Range),
    /// `falloc R`: fallocate(0): unwritten extents over holes.
    Falloc(Range),
    /// `writeback`: start background writeback of the file (WB_SYNC_NONE).
    Writeback,
    /// `reclaim [R]`: memory reclaim tries to evict the folios (all if no range).
    Reclaim(Option<Range>),
    /// `fail-writes R`: the device fails the next write to each of blocks R.
    FailWrites(Range),
    /// `crash`: power failure, then recovery.
    Crash,
}

impl Op {
    /// Whether this op creates a data version (a write in the oracles' sense).
    pub fn writes_data(&self) -> bool {
        matches!(
            self,
            Op::Write { .. }
                | Op::MmapWrite(..)
                | Op::Read {
                    into_mmap: Some(_),
                    private: false,
                    ..
                }
                | Op::Punch(_)
                | Op::Truncate(_)
        )
    }

    pub fn is_read(&self) -> bool {
        matches!(self, Op::Read { .. } | Op::MmapRead(..))
    }

    /// The first page and the bytes of an op on part of its pages.
    pub fn bytes(&self) -> Option<(u8, Bytes)> {
        match *self {
            Op::Read {
                range,
                bytes: Some(b),
                ..
            }
            | Op::Write {
                range,
                bytes: Some(b),
                ..
            } => Some((range.lo, b)),
            Op::MmapRead(p, Some(b)) | Op::MmapWrite(p, Some(b)) => Some((p, b)),
            _ => None,
        }
    }

    /// The bytes of page `p` an op with byte ranges covers (counted from
    /// the start of `p`); `None` for the whole page.
    pub fn page_bytes(&self, p: u8) -> Option<Bytes> {
        let (first, b) = self.bytes()?;
        b.within(first, p)
    }

    /// The bytes a return of `pages` pages stands for: what the syscall
    /// returns (a write of `bytes 0-4195` returns 4196, not 8192).
    pub fn ret_bytes(&self, pages: u8) -> u64 {
        match self.bytes() {
            None => u64::from(pages) * u64::from(crate::frags::PAGE_SIZE),
            Some((first, b)) => (first..first.saturating_add(pages))
                .filter_map(|p| b.within(first, p))
                .map(|b| u64::from(b.hi - b.lo + 1))
                .sum(),
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Read {
                range,
                bytes,
                direct,
                dontcache,
                into_mmap,
                private,
            } => {
                write!(f, "read {range}")?;
                if let Some(b) = bytes {
                    write!(f, " {b}")?;
                }
                if *direct {
                    write!(f, " direct")?;
                }
                if *dontcache {
                    write!(f, " dontcache")?;
                }
                if let Some(p) = into_mmap {
                    write!(f, " into-mmap {p}")?;
                }
                if *private {
                    write!(f, " private")?;
                }
                Ok(())
            }
            Op::Write {
                range,
                bytes,
                direct,
                dsync,
                uncached,
                from_mmap,
                private,
                aio,
            } => {
                write!(f, "write {range}")?;
                if let Some(b) = bytes {
                    write!(f, " {b}")?;
                }
                if *direct {
                    write!(f, " direct")?;
                }
                if *aio {
                    write!(f, " aio")?;
                }
                if *dsync {
                    write!(f, " dsync")?;
                }
                if *uncached {
                    write!(f, " dontcache")?;
                }
                if let Some(p) = from_mmap {
                    write!(f, " from-mmap {p}")?;
                }
                if *private {
                    write!(f, " private")?;
                }
                Ok(())
            }
            Op::MmapRead(p, b) => {
                write!(f, "mmap-read {p}")?;
                if let Some(b) = b {
                    write!(f, " {b}")?;
                }
                Ok(())
            }
            Op::MmapWrite(p, b) => {
                write!(f, "mmap-write {p}")?;
                if let Some(b) = b {
                    write!(f, " {b}")?;
                }
                Ok(())
            }
            Op::Fsync => write!(f, "fsync"),
            Op::Fdatasync => write!(f, "fdatasync"),
            Op::SyncRange(r) => write!(f, "sync-range {r}"),
            Op::Truncate(n) => write!(f, "truncate {n}"),
            Op::Punch(r) => write!(f, "punch {r}"),
            Op::Falloc(r) => write!(f, "falloc {r}"),
            Op::Writeback => write!(f, "writeback"),
            Op::Reclaim(None) => write!(f, "reclaim"),
            Op::Reclaim(Some(r)) => write!(f, "reclaim {r}"),
            Op::FailWrites(r) => write!(f, "fail-writes {r}"),
            Op::Crash => write!(f, "crash"),
        }
    }
}

/// A parse error inside one op string; `at` is a byte range of that string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpError {
    pub msg: String,
    pub hint: Option<String>,
    pub at: (usize, usize),
}

pub const OP_NAMES: &[&str] = &[
    "read",
    "write",
    "mmap-read",
    "mmap-write",
    "fsync",
    "fdatasync",
    "sync-range",
    "truncate",
    "punch",
    "falloc",
    "writeback",
    "reclaim",
    "fail-writes",
    "crash",
];

const GRAMMAR: &str = "read R [bytes A-B] [direct] [dontcache] [into-mmap P [private]] | write R [bytes A-B] [direct [aio]] [dsync] [dontcache|uncached] [from-mmap P [private]] | \
mmap-read P [bytes A-B] | mmap-write P [bytes A-B] | fsync | fdatasync | sync-range R | truncate N | punch R | falloc R | writeback | \
reclaim [R] | fail-writes R | crash   (R is a page P or a range P-Q)";

/// Words of `s` with their byte offsets.
fn words(s: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() {
            if let Some(st) = start.take() {
                out.push((st, &s[st..i]));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(st) = start {
        out.push((st, &s[st..]));
    }
    out
}

fn err(msg: impl Into<String>, hint: Option<String>, at: (usize, usize)) -> OpError {
    OpError {
        msg: msg.into(),
        hint,
        at,
    }
}

fn parse_num(w: &str, at: usize) -> Result<u8, OpError> {
    w.parse::<u8>().map_err(|_| {
        err(
            format!("`{w}` is not a page number"),
            Some("pages are numbered from 0, e.g. `3` or `0-3`".into()),
            (at, at + w.len()),
        )
    })
}

/// `A-B` after `bytes`: inclusive byte offsets from the start of the
/// first of `pages` pages; they start in the first page and end in the
/// last.
fn parse_bytes(w: &str, at: usize, pages: u8) -> Result<Bytes, OpError> {
    let size = u32::from(crate::frags::PAGE_SIZE);
    let span = u32::from(pages) * size;
    let bad = |msg: String| {
        err(
            msg,
            Some(format!(
                "bytes from the start of the op's first page, starting in it and ending in its last: `bytes 0-99`{}",
                if pages > 1 {
                    format!(", or up to {} here", span - 1)
                } else {
                    String::new()
                }
            )),
            (at, at + w.len()),
        )
    };
    let (a, b) = w
        .split_once('-')
        .ok_or_else(|| bad(format!("`{w}` is not a byte range")))?;
    let num = |x: &str| {
        (x.bytes().all(|c| c.is_ascii_digit()) && !x.is_empty() && x.len() <= 6)
            .then(|| x.parse::<u32>().ok())
            .flatten()
    };
    match (num(a), num(b)) {
        (Some(lo), Some(hi)) if lo > hi => Err(bad(format!("`{w}`: the range runs backwards"))),
        (Some(lo), Some(hi)) if lo < size && hi < span && hi >= span - size => Ok(Bytes { lo, hi }),
        (Some(_), Some(_)) => Err(bad(format!(
            "`{w}` does not start in the op's first page and end in its last"
        ))),
        _ => Err(bad(format!("`{w}` is not a byte range"))),
    }
}

fn parse_range(w: &str, at: usize) -> Result<Range, OpError> {
    match w.split_once('-') {
        None => parse_num(w, at).map(Range::one),
        // `-1`, `3-`: one side is missing (there are no negative pages)
        Some((a, b)) if a.is_empty() || b.is_empty() => Err(err(
            format!("`{w}` is not a page number or a range of pages"),
            Some("pages are numbered from 0, e.g. `3` or `0-3`".into()),
            (at, at + w.len()),
        )),
        Some((a, b)) => {
            let lo = parse_num(a, at)?;
            let hi = parse_num(b, at + a.len() + 1)?;
            if lo > hi {
                return Err(err(
                    format!("range `{w}` runs backwards"),
                    Some(format!("write it as `{hi}-{lo}`")),
                    (at, at + w.len()),
                ));
            }
            Ok(Range { lo, hi })
        }
    }
}

/// An op's words, with what the argument parsers share.
struct Args<'a> {
    s: &'a str,
    ws: Vec<(usize, &'a str)>,
    name: &'a str,
    name_at: usize,
}

impl Args<'_> {
    fn span(&self, i: usize) -> (usize, usize) {
        let (at, w) = self.ws[i];
        (at, at + w.len())
    }

    fn need_arg(&self, what: &str) -> OpError {
        err(
            format!("`{}` needs {what}", self.name),
            Some(GRAMMAR.into()),
            (
                self.name_at,
                self.s.len().max(self.name_at + self.name.len()),
            ),
        )
    }

    fn no_more(&self, from: usize) -> Result<(), OpError> {
        match self.ws.get(from) {
            Some(&(at, w)) => Err(err(
                format!("unexpected `{w}` after `{}`", self.name),
                Some(GRAMMAR.into()),
                (at, at + w.len()),
            )),
            None => Ok(()),
        }
    }

    fn range(&self, i: usize, what: &str) -> Result<Range, OpError> {
        let &(at, w) = self.ws.get(i).ok_or_else(|| self.need_arg(what))?;
        parse_range(w, at)
    }

    fn page(&self, i: usize, what: &str) -> Result<u8, OpError> {
        let &(at, w) = self.ws.get(i).ok_or_else(|| self.need_arg(what))?;
        parse_num(w, at)
    }

    /// `read R [flags]` and `write R [flags]`.
    fn read_write(&self) -> Result<Op, OpError> {
        let name = self.name;
        let range = self.range(1, "a page or range, e.g. `0-1`")?;
        let (mut direct, mut dsync, mut dontcache, mut mm) = (false, false, false, None);
        let mut private = false;
        let mut aio = false;
        let mut bytes = None;
        let mut i = 2;
        while i < self.ws.len() {
            let (at, w) = self.ws[i];
            let same = |x: &str| {
                x == w
                    || (x == "uncached" && w == "dontcache")
                    || (x == "dontcache" && w == "uncached")
            };
            if self.ws[2..i].iter().any(|&(_, x)| same(x)) {
                return Err(err(
                    format!("`{w}` is given twice"),
                    Some("each flag counts once: leave one out".into()),
                    (at, at + w.len()),
                ));
            }
            match (name, w) {
                (_, "bytes") if bytes.is_none() => {
                    let &(bat, bw) = self
                        .ws
                        .get(i + 1)
                        .ok_or_else(|| self.need_arg("a byte range after `bytes`, e.g. `0-99`"))?;
                    bytes = Some(parse_bytes(bw, bat, range.len())?);
                    i += 1;
                }
                (_, "direct") => direct = true,
                (_, "dontcache") => dontcache = true,
                ("write", "uncached") => dontcache = true,
                ("write", "dsync") => dsync = true,
                ("write", "aio") => aio = true,
                ("read", "into-mmap") | ("write", "from-mmap") => {
                    mm = Some(self.page(i + 1, &format!("a page after `{w}`"))?);
                    i += 1;
                }
                (_, "private") if mm.is_some() && !private => private = true,
                (_, "private") => {
                    return Err(err(
                        "`private` says how the buffer of `into-mmap P` / `from-mmap P` is mapped",
                        Some("write it after the page: `into-mmap 0 private`".to_string()),
                        (at, at + w.len()),
                    ))
                }
                _ => return Err(self.unknown_flag(w, at)),
            }
            i += 1;
        }
        if mm.is_some() && !direct {
            let which = if name == "read" {
                "into-mmap"
            } else {
                "from-mmap"
            };
            let at = self.ws.iter().position(|(_, w)| *w == which).unwrap_or(0);
            return Err(err(
                format!("`{which}` needs `direct`"),
                Some("the get_user_pages() case is a direct I/O whose buffer is this task's mmap of the file".into()),
                self.span(at),
            ));
        }
        if let Some(b) = bytes {
            let at = self.ws.iter().position(|(_, w)| *w == "bytes").unwrap_or(0);
            let why = if direct {
                Some("direct I/O covers whole pages here (sector alignment is not modelled)")
            } else if mm.is_some() {
                Some("a buffer in the mmap covers whole pages")
            } else {
                None
            };
            if let Some(why) = why {
                return Err(err(
                    format!("`{b}` is not for this op"),
                    Some(why.to_string()),
                    self.span(at),
                ));
            }
        }
        if aio && (!direct || dsync || mm.is_some()) {
            let at = self.ws.iter().position(|(_, w)| *w == "aio").unwrap_or(0);
            return Err(err(
                "`aio` is for a plain direct write",
                Some(
                    "`write R direct aio`: no `dsync` or `from-mmap` with it (not modelled)"
                        .to_string(),
                ),
                self.span(at),
            ));
        }
        Ok(if name == "read" {
            Op::Read {
                range,
                bytes,
                direct,
                dontcache,
                into_mmap: mm,
                private,
            }
        } else {
            Op::Write {
                range,
                bytes,
                direct,
                dsync,
                uncached: dontcache,
                from_mmap: mm,
                private,
                aio,
            }
        })
    }

    fn unknown_flag(&self, w: &str, at: usize) -> OpError {
        let name = self.name;
        let flags: &[&str] = if name == "read" {
            &["direct", "dontcache", "into-mmap", "bytes"]
        } else {
            &[
                "direct",
                "aio",
                "dsync",
                "dontcache",
                "uncached",
                "from-mmap",
            ]
        };
        let hint = match crate::util::closest(w, flags.iter().copied()) {
            Some(c) => format!("did you mean `{c}`? `{name}` takes: {}", flags.join(", ")),
            None => format!("`{name}` takes: {}", flags.join(", ")),
        };
        err(
            format!("unknown flag `{w}` for `{name}`"),
            Some(hint),
            (at, at + w.len()),
        )
    }

    /// The ops other than read and write.
    fn other(&self) -> Result<Op, OpError> {
        let name = self.name;
        let op = match name {
            "mmap-read" | "mmap-write" => {
                let p = self.page(1, "one page")?;
                let b = match self.ws.get(2) {
                    Some(&(_, "bytes")) => {
                        let &(bat, bw) = self.ws.get(3).ok_or_else(|| {
                            self.need_arg("a byte range after `bytes`, e.g. `0-99`")
                        })?;
                        Some(parse_bytes(bw, bat, 1)?)
                    }
                    _ => None,
                };
                self.no_more(if b.is_some() { 4 } else { 2 })?;
                return Ok(if name == "mmap-read" {
                    Op::MmapRead(p, b)
                } else {
                    Op::MmapWrite(p, b)
                });
            }
            "fsync" => Op::Fsync,
            "fdatasync" => Op::Fdatasync,
            "writeback" => Op::Writeback,
            "crash" => Op::Crash,
            "sync-range" | "punch" | "falloc" | "fail-writes" => {
                let r = self.range(1, "a page or range, e.g. `0-1`")?;
                match name {
                    "sync-range" => Op::SyncRange(r),
                    "punch" => Op::Punch(r),
                    "falloc" => Op::Falloc(r),
                    _ => Op::FailWrites(r),
                }
            }
            "truncate" => Op::Truncate(self.page(1, "a size in pages")?),
            "reclaim" if self.ws.len() > 1 => Op::Reclaim(Some(self.range(1, "a range")?)),
            "reclaim" => Op::Reclaim(None),
            _ => {
                let hint = match crate::util::closest(name, OP_NAMES.iter().copied()) {
                    Some(c) => format!("did you mean `{c}`?  ops: {GRAMMAR}"),
                    None => format!("ops: {GRAMMAR}"),
                };
                return Err(err(
                    format!("unknown op `{name}`"),
                    Some(hint),
                    (self.name_at, self.name_at + name.len()),
                ));
            }
        };
        let args = match op {
            Op::Fsync | Op::Fdatasync | Op::Writeback | Op::Crash | Op::Reclaim(None) => 1,
            _ => 2,
        };
        self.no_more(args)?;
        Ok(op)
    }
}

/// Parses one op string.
pub fn parse_op(s: &str) -> Result<Op, OpError> {
    let ws = words(s);
    let Some(&(name_at, name)) = ws.first() else {
        return Err(err("empty op", Some(GRAMMAR.into()), (0, s.len())));
    };
    let a = Args {
        s,
        ws,
        name,
        name_at,
    };
    match name {
        "read" | "write" => a.read_write(),
        _ => a.other(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_round_trip_through_display() {
        for s in [
            "read 0-3",
            "read 1 direct",
            "read 0-1 direct into-mmap 3",
            "write 0-1 direct dsync",
            "write 2 dontcache",
            "write 0 direct from-mmap 1",
            "mmap-read 1",
            "mmap-write 2",
            "fsync",
            "fdatasync",
            "sync-range 0-3",
            "truncate 2",
            "punch 1-2",
            "falloc 0-3",
            "writeback",
            "reclaim",
            "reclaim 1-2",
            "fail-writes 1",
            "crash",
        ] {
            let op = parse_op(s).unwrap_or_else(|e| panic!("{s}: {e:?}"));
            assert_eq!(op.to_string(), s);
        }
        assert_eq!(
            parse_op("write 0 uncached").unwrap().to_string(),
            "write 0 dontcache"
        );
    }

    #[test]
    fn errors_point_at_the_word() {
        let e = parse_op("wirte 0-1").unwrap_err();
        assert_eq!(e.at, (0, 5));
        assert!(e.hint.unwrap().contains("did you mean `write`"));
        let e = parse_op("write 0-1 drect").unwrap_err();
        assert_eq!(e.at, (10, 15));
        assert!(e.hint.unwrap().contains("`direct`"));
        let e = parse_op("read 3-1").unwrap_err();
        assert!(e.msg.contains("backwards"));
        let e = parse_op("read 0 into-mmap 1").unwrap_err();
        assert!(e.msg.contains("needs `direct`"));
        let e = parse_op("fsync now").unwrap_err();
        assert_eq!(e.at, (6, 9));
        assert!(parse_op("read").unwrap_err().msg.contains("needs"));
        assert!(parse_op("").is_err());
        assert!(parse_op("read 999")
            .unwrap_err()
            .msg
            .contains("not a page number"));
    }

    /// The browser fuzz of stop 24: `read -1` said "`` is not a page
    /// number", and a repeated flag was taken silently.
    #[test]
    fn a_half_range_or_a_repeated_flag_is_named() {
        for (op, msg, at) in [
            (
                "read -1",
                "`-1` is not a page number or a range of pages",
                (5, 7),
            ),
            (
                "read 3-",
                "`3-` is not a page number or a range of pages",
                (5, 7),
            ),
            ("write 0 direct direct", "`direct` is given twice", (15, 21)),
            (
                "write 0 dontcache uncached",
                "`uncached` is given twice",
                (18, 26),
            ),
            (
                "read 0 bytes 0-99 bytes 0-9",
                "`bytes` is given twice",
                (18, 23),
            ),
        ] {
            let e = parse_op(op).unwrap_err();
            assert_eq!((e.msg.as_str(), e.at), (msg, at), "{op}");
        }
        assert!(parse_op("write 0 direct dsync").is_ok());
    }
}
