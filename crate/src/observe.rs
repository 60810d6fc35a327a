//! The outcomes, computed from what an observer outside the kernel can see:
//! when each syscall began and returned, what it returned, what each read
//! saw, and at the end what the file, the page cache and the device hold.
//!
//! The kernel lab (`dioscope kernel`) records exactly that on a real
//! kernel; [`from_model`] makes the same record of a model run, and the
//! tests check that on model runs these definitions agree with the oracles
//! (`oracle.rs`) wherever the record decides them.
//!
//! Everything is per *unit*, as in the oracles: a fragment of a page (a
//! byte range no op's `bytes A-B` splits, [`crate::frags`]). A page no op
//! cuts is one unit.
//!
//! Data is judged by what it *is*, not by who is believed to have written
//! it: an observer sees bytes. So what a read or the end state saw is a set
//! of candidate versions that all hold those bytes ([`Seen`]): all the
//! versions of zeroes (an initial hole, a punch, a truncate) read the
//! same, and a direct I/O between the file and a mapping of the same file
//! copies bytes, so its version holds the bytes of what it copied. Hence:
//! - a read is stale when *every* candidate for what it saw is stale (if
//!   the bytes are those of a write the read had to see, it saw it);
//! - a unit is lost when *every* candidate for the data it keeps (the
//!   device's where its page is cached clean, else the file's) is
//!   superseded.
//!
//! Definitions that need the content at an instant in the middle of the
//! run (unreported-loss: "since the loss, no fsync reported an error";
//! spurious-eio: "nothing was lost when fsync returned, nor after") are
//! decided when the record pins that content down: when no syscall that
//! could change it ran after that instant. Otherwise the answer is
//! [`Decision::Unknown`], never a guess. A power failure, failing writes,
//! misdirected writes and stale iomaps are not observable this way.

use std::rc::Rc;

use crate::frags::PAGE_SIZE;
use crate::ops::Op;
use crate::oracle::{units, Units};
use crate::outcome::Outcome;
use crate::scenario::Scenario;
use crate::version::{iter_set, Version, VersionInfo, FRAGS};
use crate::world::{Ret, Static, World};

/// A set of versions, as a bit set over version ids.
pub type VSet = u32;

/// A unit: (page, fragment of the page).
pub type Unit = (u8, u8);

/// A unit's bit in a [`Units`] set.
pub fn unit_bit((p, f): Unit) -> Units {
    Units::bit(p as usize * FRAGS + f as usize)
}

/// What was seen in one unit: the candidate versions of each maximal byte
/// range that one version's bytes explain. Usually one segment; two or
/// more when a read was torn between writes inside the unit; an empty set
/// when the bytes are no version's; no segment at all when the bytes could
/// not be captured ([`Seen::unknown`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Seen {
    pub segments: Vec<VSet>,
}

impl Seen {
    pub fn one(set: VSet) -> Seen {
        Seen {
            segments: vec![set],
        }
    }

    /// Bytes the observer could not capture (a direct read into a mapping
    /// of the file that another task wrote meanwhile: what is there now
    /// may not be what the read returned).
    pub fn unknown() -> Seen {
        Seen {
            segments: Vec::new(),
        }
    }

    pub fn is_unknown(&self) -> bool {
        self.segments.is_empty()
    }
}

/// A syscall's return, as a kernel gives it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Returned {
    /// Success: bytes (0 for fsync and the like).
    Ok(u64),
    /// An error, spelled as the model spells it: `-EIO`, `SIGBUS`, `-EINVAL`.
    Err(String),
}

impl std::fmt::Display for Returned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Returned::Ok(n) => write!(f, "{n}"),
            Returned::Err(e) => f.write_str(e),
        }
    }
}

impl Returned {
    /// What op `op` returning `r` in the model returns as a syscall: the
    /// bytes of its pages (4196 for `bytes 0-4195`), or the error.
    pub fn of(r: Ret, op: &Op) -> Returned {
        match r {
            Ret::Pages(n) => Returned::Ok(op.ret_bytes(n)),
            Ret::Err(e) => Returned::Err(e.to_string()),
        }
    }
}

/// One syscall (or mmap access) of a task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub task: u8,
    /// Index of the op in the task's op list.
    pub op: u8,
    /// When it began and returned, on one clock shared by all tasks (model
    /// step indices, or CLOCK_MONOTONIC nanoseconds). `end` is `None` if it
    /// never returned. An asynchronous write returns when its completion
    /// is posted, not when io_submit returns.
    pub begin: u64,
    pub end: Option<u64>,
    pub ret: Option<Returned>,
    /// For a read that returned data: what it saw, per unit read, in file
    /// order ([`read_units`]).
    pub read: Vec<(Unit, Seen)>,
}

/// The state at the end of the run, per page and per fragment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct End {
    /// What the file holds (what a read returns: the page cache where it
    /// is uptodate, else the device).
    pub content: Vec<Vec<Seen>>,
    /// The page cache's data, for pages cached clean.
    pub cached: Vec<Option<Vec<Seen>>>,
    /// What the device holds (zeroes for holes).
    pub device: Vec<Vec<Seen>>,
}

/// What an observer recorded of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    pub calls: Vec<Call>,
    /// `None` when the run did not end (a task never returned).
    pub end: Option<End>,
}

/// Whether an outcome happened in a recorded run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    Holds,
    Not,
    /// The record does not pin it down (why).
    Unknown(&'static str),
    /// No record of syscalls and data can show it (why).
    NotObservable(&'static str),
}

impl Decision {
    pub fn decided(self) -> Option<bool> {
        match self {
            Decision::Holds => Some(true),
            Decision::Not => Some(false),
            _ => None,
        }
    }
}

/// The versions of a scenario (ids as the model assigns them) and what an
/// observer needs to know about each.
#[derive(Clone, Debug)]
pub struct Versions {
    pub info: Vec<VersionInfo>,
    /// Per task, per op: the version the op writes.
    pub op_ver: Vec<Vec<Option<Version>>>,
    /// Versions that are zeroes.
    pub zero: VSet,
    /// Versions written by a direct I/O between the file and a mapping of
    /// it: their bytes are a copy of what they copied.
    pub copies: VSet,
    /// The model's static tables (the fragments of each page, the version
    /// table): what an op writes is counted as the oracles count it.
    pub st: Rc<Static>,
}

impl Versions {
    pub fn of(sc: &Scenario) -> Versions {
        // the model's own table: the same ids in every interleaving
        let w = World::new_quiet(sc, &crate::Policy::default());
        let info = w.st.versions.clone();
        let op_ver = w.st.op_ver.clone();
        let mut zero = 0;
        let mut copies = 0;
        for (i, v) in info.iter().enumerate() {
            if v.zero {
                zero |= 1 << i;
            }
            if let Some(t) = v.task {
                if is_copy(&sc.tasks[t as usize].ops[v.op as usize]) {
                    copies |= 1 << i;
                }
            }
        }
        Versions {
            info,
            op_ver,
            zero,
            copies,
            st: w.st.clone(),
        }
    }

    /// The version with this label (`zero`: every version of zeroes).
    pub fn by_label(&self, label: &str) -> VSet {
        if label == "zero" {
            return self.zero;
        }
        self.info
            .iter()
            .position(|v| v.label == label)
            .map_or(0, |i| 1 << i)
    }

    /// What an observer sees of version `v`: its bytes, which all
    /// versions of zeroes share.
    pub fn seen(&self, v: Version) -> Seen {
        if self.zero & v.bit() != 0 {
            Seen::one(self.zero)
        } else {
            Seen::one(v.bit())
        }
    }

    /// Fragments of page `p`.
    pub fn nfrags(&self, p: u8) -> u8 {
        self.st.frags[p as usize].n
    }

    /// The file bytes `[a, z)` of unit `(p, f)`.
    pub fn unit_range(&self, (p, f): Unit) -> (u64, u64) {
        let (lo, hi) = self.st.frags[p as usize].range(f as usize);
        let base = u64::from(p) * u64::from(PAGE_SIZE);
        (base + u64::from(lo), base + u64::from(hi) + 1)
    }
}

/// A direct I/O whose user buffer is a mapping of the file.
pub fn is_copy(op: &Op) -> bool {
    matches!(
        op,
        Op::Read {
            into_mmap: Some(_),
            ..
        } | Op::Write {
            from_mmap: Some(_),
            ..
        }
    )
}

/// The fragments of page `p` that `op` covers (its bytes, or all), among
/// the page's fragments.
pub fn op_frags(st: &Static, op: &Op, p: u8) -> u8 {
    let fr = &st.frags[p as usize];
    fr.of(op.page_bytes(p)) & fr.used()
}

/// The file pages a read op reads.
fn read_pages(op: &Op) -> std::ops::RangeInclusive<u8> {
    match *op {
        Op::Read { range, .. } => range.lo..=range.hi,
        Op::MmapRead(p, _) => p..=p,
        // no pages: an empty range
        _ => std::ops::RangeInclusive::new(1, 0),
    }
}

/// The file byte offset where an op's data starts: its first page, plus
/// its `bytes` start.
pub fn op_start(op: &Op) -> Option<u64> {
    let first = match *op {
        Op::Read { range, .. } | Op::Write { range, .. } => range.lo,
        Op::MmapRead(p, _) | Op::MmapWrite(p, _) => p,
        _ => return None,
    };
    let lo = op.bytes().map_or(0, |(_, b)| u64::from(b.lo));
    Some(u64::from(first) * u64::from(PAGE_SIZE) + lo)
}

/// The units a read that returned `n` bytes delivered, in file order, with
/// their file bytes `[a, z)`: those of its pages (and bytes) that lie
/// wholly in the first `n` bytes it read.
pub fn read_units(vers: &Versions, op: &Op, n: u64) -> Vec<(Unit, u64, u64)> {
    let Some(start) = op_start(op) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for p in read_pages(op) {
        if p >= vers.st.pages {
            break;
        }
        let mask = op_frags(&vers.st, op, p);
        for f in 0..vers.nfrags(p) {
            if mask & (1 << f) == 0 {
                continue;
            }
            let (a, z) = vers.unit_range((p, f));
            if z <= start + n {
                out.push(((p, f), a, z));
            }
        }
    }
    out
}

/// The units whose content an op may change when it runs (whatever it
/// returns).
pub fn touches(st: &Static, op: &Op) -> Units {
    let whole = |lo: u8, hi: u8| {
        (lo..=hi.min(st.pages.saturating_sub(1)))
            .fold(Units::EMPTY, |m, p| m | units(p, crate::frags::Frags::ALL))
    };
    match *op {
        Op::Write { range, .. } => range
            .pages()
            .filter(|&p| p < st.pages)
            .fold(Units::EMPTY, |m, p| m | units(p, op_frags(st, op, p))),
        Op::MmapWrite(p, _) => units(p, op_frags(st, op, p)),
        Op::Punch(range) => whole(range.lo, range.hi),
        Op::Read {
            range,
            into_mmap: Some(base),
            private: false,
            ..
        } => whole(base, base.saturating_add(range.len() - 1)),
        Op::Truncate(_) => whole(0, st.pages.saturating_sub(1)),
        _ => Units::EMPTY,
    }
}

/// Ops that may drop cached pages (invalidation, eviction, dropbehind):
/// dropping a page changes what the file holds if the page and the device
/// differ.
fn evicts(op: &Op) -> bool {
    matches!(
        op,
        Op::Read { direct: true, .. }
            | Op::Read {
                dontcache: true,
                ..
            }
            | Op::Write { direct: true, .. }
            | Op::Write { uncached: true, .. }
            | Op::Reclaim(_)
            | Op::Truncate(_)
            | Op::Punch(_)
    )
}

fn is_fsync(op: &Op) -> bool {
    matches!(op, Op::Fsync | Op::Fdatasync)
}

/// The name of bytes that could not be captured.
pub const UNKNOWN: &str = "?";

/// How a tear *inside* a unit is written (`init|A1`): a read that got two
/// versions' bytes in one fragment, which the model, copying a fragment
/// whole, never gives. Between fragments, `+` (`B1+init`) is the model's.
pub const TEAR: &str = "|";

/// The name of what was seen, and every name the same bytes could have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub shown: String,
    pub alternatives: Vec<String>,
}

/// One unit's name: what is shown, and for untorn bytes the candidate
/// versions (for the alternatives).
struct UnitName {
    shown: String,
    cands: Option<VSet>,
}

/// A history read against its scenario.
pub struct Observer<'a> {
    pub sc: &'a Scenario,
    pub h: &'a History,
    pub vers: Versions,
    pages: u8,
}

impl<'a> Observer<'a> {
    pub fn new(sc: &'a Scenario, h: &'a History) -> Observer<'a> {
        Observer {
            sc,
            h,
            vers: Versions::of(sc),
            pages: sc.setup.pages,
        }
    }

    fn op(&self, c: &Call) -> &'a Op {
        &self.sc.tasks[c.task as usize].ops[c.op as usize]
    }

    /// Every unit of the file.
    fn all_units(&self) -> impl Iterator<Item = Unit> + '_ {
        (0..self.pages).flat_map(move |p| (0..self.vers.nfrags(p)).map(move |f| (p, f)))
    }

    /// The call that wrote version `v`, if it ran.
    fn call_of(&self, v: Version) -> Option<&'a Call> {
        let info = &self.vers.info[v.0 as usize];
        let t = info.task?;
        self.h.calls.iter().find(|c| c.task == t && c.op == info.op)
    }

    /// The units a returned call wrote (as the model's oracles count them,
    /// [`crate::paths::written_units`]).
    fn wrote(&self, c: &Call) -> Units {
        let Some(Returned::Ok(bytes)) = c.ret else {
            return Units::EMPTY;
        };
        let op = self.op(c);
        // the pages that many bytes stand for
        let most = match *op {
            Op::Read { range, .. } | Op::Write { range, .. } => range.len(),
            _ => 1,
        };
        let n = (0..=most)
            .find(|&k| op.ret_bytes(k) >= bytes)
            .unwrap_or(most);
        crate::paths::written_units(op, Ret::Pages(n), &self.vers.st)
    }

    /// When version `v` returned (counting as a write): `None` if it never
    /// did.
    fn returned_at(&self, v: Version) -> Option<u64> {
        let c = self.call_of(v)?;
        if self.wrote(c).is_empty() {
            return None;
        }
        c.end
    }

    /// `pred[W]`: the versions that had returned when W began, with init
    /// and zero (they precede every write).
    fn pred(&self, w: Version) -> VSet {
        let Some(c) = self.call_of(w) else {
            return 0b11;
        };
        let mut s = 0b11;
        for x in 0..self.vers.info.len() {
            let x = Version(x as u8);
            if self.returned_at(x).is_some_and(|e| e < c.begin) {
                s |= x.bit();
            }
        }
        s
    }

    /// Returned writes of unit `u` (those that returned before `before`).
    fn written(&self, u: Unit, before: Option<u64>) -> Vec<Version> {
        let mut out = Vec::new();
        for x in 0..self.vers.info.len() {
            let x = Version(x as u8);
            let Some(c) = self.call_of(x) else { continue };
            let Some(e) = self.returned_at(x) else {
                continue;
            };
            if before.is_some_and(|b| e >= b) {
                continue;
            }
            if !(self.wrote(c) & unit_bit(u)).is_empty() {
                out.push(x);
            }
        }
        out
    }

    /// The versions superseded at unit `u` at the end.
    fn sup(&self, u: Unit) -> VSet {
        self.written(u, None)
            .into_iter()
            .fold(0, |m, w| m | self.pred(w))
    }

    /// Candidates that could have been there by time `by` (their op had
    /// begun); init and the initial zeroes always could.
    fn possible(&self, set: VSet, by: Option<u64>) -> VSet {
        iter_set(set)
            .filter(|&v| {
                v.0 < Version::FIRST_WRITE
                    || self
                        .call_of(v)
                        .is_some_and(|c| by.is_none_or(|b| c.begin <= b))
            })
            .fold(0, |m, v| m | v.bit())
    }

    fn has(&self, f: impl Fn(&Op) -> bool) -> bool {
        self.sc.tasks.iter().flat_map(|t| &t.ops).any(f)
    }

    /// Nothing can have changed what units `us` hold, or which of their
    /// versions are superseded, after time `t`: every syscall that writes
    /// them or drops cached pages had returned by then, and nothing runs in
    /// the background that could.
    fn quiet_after(&self, us: Units, t: u64) -> bool {
        if self.sc.setup.reclaim || self.has(|o| matches!(o, Op::FailWrites(_) | Op::Crash)) {
            return false;
        }
        self.sc.tasks.iter().enumerate().all(|(ti, task)| {
            task.ops.iter().enumerate().all(|(oi, op)| {
                if (touches(&self.vers.st, op) & us).is_empty() && !evicts(op) {
                    return true;
                }
                match self
                    .h
                    .calls
                    .iter()
                    .find(|c| c.task as usize == ti && c.op as usize == oi)
                {
                    None => true,
                    Some(c) => c.end.is_some_and(|e| e < t),
                }
            })
        })
    }

    /// Whether some bytes seen were those of two or more versions (zeroes
    /// of a hole and of a punch; a copy and what it copied): a model run
    /// can then fire an oracle on *which* version it was, which no
    /// observer of bytes can tell.
    pub fn ambiguous(&self) -> bool {
        let seen = self
            .h
            .calls
            .iter()
            .flat_map(|c| c.read.iter().map(|r| &r.1));
        let end = self.h.end.iter().flat_map(|e| {
            e.content
                .iter()
                .chain(e.device.iter())
                .chain(e.cached.iter().flatten())
                .flatten()
        });
        seen.chain(end)
            .flat_map(|s| s.segments.iter())
            .any(|&set| self.possible(set, None).count_ones() > 1)
    }

    /// How one unit's `seen` is named, as the model names versions: `A1`,
    /// `zero`, `init`, `init|A1` for a read torn inside the unit, `other`
    /// for bytes no version wrote, `?` for bytes not captured.
    fn unit_name(&self, seen: &Seen, during: Option<(u64, u64)>, exclude: VSet) -> UnitName {
        let mut shown: Vec<String> = Vec::new();
        let mut cands_one = None;
        for &seg in &seen.segments {
            let cands = self.possible(seg, during.map(|d| d.1)) & !exclude;
            let mut names: Vec<String> = iter_set(cands)
                .map(|v| self.vers.info[v.0 as usize].label.clone())
                .collect();
            names.sort();
            names.dedup();
            let name = match names.len() {
                0 => "other".to_string(),
                1 => names[0].clone(),
                _ => {
                    // a copy and what it copied: the copy if it had
                    // returned before the bytes were seen (the latest
                    // such), else the original
                    let before = during.map_or(u64::MAX, |d| d.0);
                    let copy = iter_set(cands & self.vers.copies)
                        .filter_map(|v| {
                            let e = self.call_of(v)?.end?;
                            (e < before).then_some((e, v))
                        })
                        .max();
                    let v = match copy {
                        Some((_, v)) => v,
                        None => iter_set(cands & !self.vers.copies)
                            .next()
                            .or_else(|| iter_set(cands).next())
                            .expect("two names, some candidate"),
                    };
                    self.vers.info[v.0 as usize].label.clone()
                }
            };
            if seen.segments.len() == 1 && cands != 0 {
                cands_one = Some(cands);
            }
            if shown.last() != Some(&name) {
                shown.push(name);
            }
        }
        let shown = if seen.is_unknown() {
            UNKNOWN.to_string()
        } else if shown.is_empty() {
            "other".to_string()
        } else {
            shown.join(TEAR)
        };
        UnitName {
            shown,
            cands: cands_one,
        }
    }

    /// How what was seen in one page is named, as the model names a page's
    /// data: its units' names in file order, adjacent equal ones merged
    /// (`B1+init`). `during` is when it was seen (a read's begin and end;
    /// `None`: at the end of the run); `exclude`, versions that cannot be
    /// it (a read into a mapping is not what that read returned).
    ///
    /// When the bytes are two versions' (a copy and what it copied), the
    /// name is the copy if it had returned before the bytes were seen
    /// (the latest such), else the original; `alternatives` lists every
    /// name the bytes could have (bounded).
    pub fn label(&self, seen: &[&Seen], during: Option<(u64, u64)>, exclude: VSet) -> Label {
        let names: Vec<UnitName> = seen
            .iter()
            .map(|s| self.unit_name(s, during, exclude))
            .collect();
        let mut parts: Vec<&str> = Vec::new();
        for n in &names {
            if parts.last() != Some(&n.shown.as_str()) {
                parts.push(&n.shown);
            }
        }
        let shown = parts.join("+");
        if names.iter().any(|n| n.shown == UNKNOWN) {
            return Label {
                alternatives: vec![shown.clone()],
                shown,
            };
        }
        // every choice of a version per unit, named as the model names it
        // (adjacent fragments of the same version are one run)
        #[derive(Clone, PartialEq)]
        enum Tok {
            V(Version),
            Fixed(String),
        }
        let mut choices: Vec<Vec<Tok>> = vec![Vec::new()];
        for n in &names {
            let opts: Vec<Tok> = match n.cands {
                Some(c) => iter_set(c).map(Tok::V).collect(),
                None => vec![Tok::Fixed(n.shown.clone())],
            };
            let mut next = Vec::new();
            'outer: for c in &choices {
                for o in &opts {
                    if next.len() >= 64 {
                        break 'outer;
                    }
                    let mut c = c.clone();
                    c.push(o.clone());
                    next.push(c);
                }
            }
            choices = next;
        }
        let mut alternatives: Vec<String> = choices
            .iter()
            .map(|c| {
                let mut runs: Vec<&Tok> = Vec::new();
                for t in c {
                    if runs.last() != Some(&t) {
                        runs.push(t);
                    }
                }
                runs.iter()
                    .map(|t| match t {
                        Tok::V(v) => self.vers.info[v.0 as usize].label.clone(),
                        Tok::Fixed(s) => s.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join("+")
            })
            .collect();
        alternatives.sort();
        alternatives.dedup();
        if alternatives.is_empty() {
            alternatives.push(shown.clone());
        }
        Label {
            shown,
            alternatives,
        }
    }

    /// A read's units grouped by page, in file order.
    pub fn read_by_page(c: &Call) -> Vec<(u8, Vec<&Seen>)> {
        let mut out: Vec<(u8, Vec<&Seen>)> = Vec::new();
        for ((p, _), s) in &c.read {
            match out.last_mut() {
                Some((q, v)) if q == p => v.push(s),
                _ => out.push((*p, vec![s])),
            }
        }
        out
    }

    /// Every outcome, decided from the record where it can be.
    pub fn outcomes(&self) -> Vec<(Outcome, Decision)> {
        Outcome::ALL.iter().map(|&o| (o, self.decide(o))).collect()
    }

    pub fn decide(&self, o: Outcome) -> Decision {
        match o {
            Outcome::SyscallError => {
                if self
                    .h
                    .calls
                    .iter()
                    .any(|c| matches!(c.ret, Some(Returned::Err(_))))
                {
                    Decision::Holds
                } else {
                    Decision::Not
                }
            }
            Outcome::Deadlock => self.deadlock(),
            Outcome::StaleRead => self.stale_read(),
            Outcome::StaleCache => self.stale_cache(),
            Outcome::UnreportedLoss => self.unreported_loss(),
            Outcome::SpuriousEio => self.spurious_eio(),
            Outcome::LostWrite => {
                if self.has(|o| matches!(o, Op::Crash)) {
                    Decision::NotObservable(
                        "needs what the device held right after the power failure",
                    )
                } else {
                    Decision::Not
                }
            }
            Outcome::MisdirectedWrite => {
                Decision::NotObservable("needs to know which device block each write went to")
            }
            Outcome::StaleIomap => Decision::NotObservable(
                "happens inside the kernel's write loop; no syscall shows it",
            ),
        }
    }

    fn deadlock(&self) -> Decision {
        for (ti, task) in self.sc.tasks.iter().enumerate() {
            for oi in 0..task.ops.len() {
                let done = self
                    .h
                    .calls
                    .iter()
                    .any(|c| c.task as usize == ti && c.op as usize == oi && c.end.is_some());
                if !done {
                    return Decision::Holds;
                }
            }
        }
        Decision::Not
    }

    fn crashed(&self) -> bool {
        self.has(|o| matches!(o, Op::Crash))
    }

    fn stale_read(&self) -> Decision {
        if self.crashed() {
            return Decision::Unknown("a power failure drops data no fsync promised");
        }
        let mut unknown = None;
        for c in &self.h.calls {
            let op = self.op(c);
            if !op.is_read() {
                continue;
            }
            match (&c.ret, c.end) {
                (Some(Returned::Ok(_)), Some(end)) => {
                    // the writes of each unit that returned before the read began
                    for &(u, ref seen) in &c.read {
                        if seen.is_unknown() {
                            unknown.get_or_insert("what a read into a mapping of the file returned could not be captured");
                            continue;
                        }
                        let must_see: Vec<Version> = self.written(u, Some(c.begin));
                        let stale =
                            |v: Version| must_see.iter().any(|&w| self.pred(w) & v.bit() != 0);
                        for &seg in &seen.segments {
                            let own = self.own_copy(c);
                            let cands = self.possible(seg, Some(end)) & !own;
                            if cands == 0 {
                                unknown = Some("a read returned bytes no write explains");
                            } else if iter_set(cands).all(stale) {
                                return Decision::Holds;
                            }
                        }
                    }
                }
                (Some(Returned::Err(_)), _) => {
                    // a read that failed may have got stale data on the way
                    unknown.get_or_insert("a read failed after reading some data, maybe");
                }
                _ => {
                    unknown.get_or_insert("a read never returned");
                }
            }
        }
        match unknown {
            Some(why) => Decision::Unknown(why),
            None => Decision::Not,
        }
    }

    /// The version a read into a mapping of the file writes: not a
    /// candidate for what that read itself returned.
    fn own_copy(&self, c: &Call) -> VSet {
        match self.vers.op_ver[c.task as usize][c.op as usize] {
            Some(v) if self.vers.copies & v.bit() != 0 => v.bit(),
            _ => 0,
        }
    }

    fn end(&self) -> Option<&'a End> {
        self.h.end.as_ref()
    }

    fn stale_cache(&self) -> Decision {
        let Some(end) = self.end() else {
            return Decision::Unknown("the run did not end");
        };
        for p in 0..self.pages as usize {
            let (Some(Some(c)), Some(d)) = (end.cached.get(p), end.device.get(p)) else {
                continue;
            };
            if c.len() != d.len() || c.iter().zip(d).any(|(c, d)| !same_data(self, c, d)) {
                return Decision::Holds;
            }
        }
        Decision::Not
    }

    /// What unit `u` keeps at the end: the device's data where the page
    /// is cached clean (a clean folio is dropped sooner or later, and the
    /// device's copy is what stays), else what the file holds (a dirty
    /// folio's data, which writeback carries to the device) — the oracles'
    /// `surviving`.
    fn kept<'e>(&self, end: &'e End, (p, f): Unit) -> Option<&'e Seen> {
        let p = p as usize;
        let of = if matches!(end.cached.get(p), Some(Some(_))) {
            &end.device
        } else {
            &end.content
        };
        of.get(p).and_then(|x| x.get(f as usize))
    }

    /// Units whose data at the end is superseded.
    fn lost_at_end(&self, end: &End) -> Units {
        let mut lost = Units::EMPTY;
        for u in self.all_units() {
            let Some(seen) = self.kept(end, u) else {
                continue;
            };
            let sup = self.sup(u);
            // lost if some part of the unit holds no intact version
            let gone = seen.segments.iter().any(|&seg| {
                let cands = self.possible(seg, None);
                cands & !sup == 0
            });
            if gone {
                lost |= unit_bit(u);
            }
        }
        lost
    }

    fn fsync_errors(&self) -> Vec<&'a Call> {
        self.h
            .calls
            .iter()
            .filter(|c| is_fsync(self.op(c)) && matches!(c.ret, Some(Returned::Err(_))))
            .collect()
    }

    fn unreported_loss(&self) -> Decision {
        let Some(end) = self.end() else {
            return Decision::Unknown("the run did not end");
        };
        if self.crashed() {
            return Decision::Unknown("a power failure drops data no fsync promised");
        }
        let lost = self.lost_at_end(end);
        if lost.is_empty() {
            return Decision::Not;
        }
        let errors = self.fsync_errors();
        let mut all_reported = true;
        for u in self.all_units() {
            if (lost & unit_bit(u)).is_empty() {
                continue;
            }
            // the unit cannot have been lost before a write of it returned
            let first = self
                .written(u, None)
                .iter()
                .filter_map(|&w| self.returned_at(w))
                .min();
            let Some(first) = first else { continue };
            if errors.iter().all(|e| e.end.is_some_and(|x| x < first)) {
                return Decision::Holds;
            }
            // reported if lost, unchanged, since an fsync error returned
            let reported = errors
                .iter()
                .any(|e| e.end.is_some_and(|x| self.quiet_after(unit_bit(u), x)));
            if !reported {
                all_reported = false;
            }
        }
        if all_reported {
            Decision::Not
        } else {
            Decision::Unknown(
                "a unit may have been lost before or after an fsync reported an error",
            )
        }
    }

    /// Whether some unit may have been lost before time `t` and written
    /// again since, so that it looks intact: after a write of it that may
    /// leave older data where the unit's data stays ([`may_strand`])
    /// returned, another op that writes the unit still ran before `t`. The
    /// loss itself is invisible (the data in between was never read), and
    /// an fsync's -EIO then reports it: errseq tells each file of an error
    /// once, whatever was written after it (the oracles' `unseen`).
    fn maybe_repaired(&self, t: u64) -> bool {
        self.all_units().any(|u| {
            self.written(u, Some(t)).into_iter().any(|w| {
                let (Some(wc), Some(w_end)) = (self.call_of(w), self.returned_at(w)) else {
                    return false;
                };
                if !may_strand(self.op(wc)) {
                    return false;
                }
                self.h.calls.iter().any(|x| {
                    !std::ptr::eq(x, wc)
                        && x.begin < t
                        && x.end.is_none_or(|e| e > w_end)
                        && !(touches(&self.vers.st, self.op(x)) & unit_bit(u)).is_empty()
                })
            })
        })
    }

    fn spurious_eio(&self) -> Decision {
        let eio: Vec<&Call> = self
            .fsync_errors()
            .into_iter()
            .filter(|c| c.ret == Some(Returned::Err("-EIO".into())))
            .collect();
        if eio.is_empty() {
            return Decision::Not;
        }
        let Some(end) = self.end() else {
            return Decision::Unknown("the run did not end");
        };
        if self.crashed() {
            return Decision::Unknown("a power failure drops data no fsync promised");
        }
        if !self.lost_at_end(end).is_empty() {
            return Decision::Not;
        }
        let all = self.all_units().fold(Units::EMPTY, |m, u| m | unit_bit(u));
        if eio.iter().any(|c| {
            c.end
                .is_some_and(|e| self.quiet_after(all, e) && !self.maybe_repaired(e))
        }) {
            Decision::Holds
        } else {
            Decision::Unknown(
                "data may have been lost before fsync returned (or after), and written again since: errseq still reports such a loss",
            )
        }
    }
}

/// Whether a write may return while the unit it wrote keeps older data
/// (a transient loss, until another write repairs it). Without write
/// errors and power failures (under which nothing is decided) the kernel
/// never drops dirty data and the device changes only by writes, so data
/// written into the page cache stays where the unit's data stays: only an
/// op whose data goes around the folio may leave an older one there — a
/// direct write beside a folio its invalidation could not drop (or that
/// was dirtied again: dio_warn_stale_pagecache) — or an op that drops or
/// zeroes folios others may be using: punch, truncate, and a direct read
/// into a pinned page of the file's own mapping.
fn may_strand(op: &Op) -> bool {
    matches!(
        op,
        Op::Write { direct: true, .. }
            | Op::Punch(_)
            | Op::Truncate(_)
            | Op::Read {
                into_mmap: Some(_),
                private: false,
                ..
            }
    )
}

/// Whether two observations are the same bytes (they share a candidate, or
/// both are bytes no version explains).
fn same_data(o: &Observer, a: &Seen, b: &Seen) -> bool {
    a.segments.len() == b.segments.len()
        && a.segments.iter().zip(&b.segments).all(|(&x, &y)| {
            let (x, y) = (o.possible(x, None), o.possible(y, None));
            x & y != 0 || (x == 0 && y == 0)
        })
}

/// What the model's label of a page read (`B1+init`: one version per run
/// of fragments holding the same version) says of each of the `k` units
/// read: the versions each can hold. Runs merge adjacent fragments, so
/// with fewer names than units a unit may be one of several neighbours.
fn split_label(vers: &Versions, label: &str, k: usize) -> Vec<VSet> {
    let parts: Vec<VSet> = label.split('+').map(|l| vers.by_label(l)).collect();
    let m = parts.len();
    if m == 0 || m > k {
        let all = parts.iter().fold(0, |a, b| a | b);
        return vec![all; k];
    }
    (0..k)
        .map(|i| {
            // unit i is in run j iff j <= i and the runs after j fit in
            // the units after i
            let lo = i.saturating_sub(k - m);
            let hi = i.min(m - 1);
            (lo..=hi).fold(0, |a, j| a | parts[j])
        })
        .collect()
}

/// The record an observer would make of a model run: step indices for
/// times, the versions read and held as the bytes they are.
pub fn from_model(w: &World) -> History {
    let sc = &w.st.scenario;
    let vers = Versions::of(sc);
    let Some(h) = &w.hist else {
        return History::default();
    };
    let calls = h
        .syscalls
        .iter()
        .map(|c| {
            let op = &sc.tasks[c.task as usize].ops[c.op as usize];
            // the model records a read per page, from its first page
            let mut read = Vec::new();
            for (p, label) in read_pages(op).zip(&c.read) {
                let mask = op_frags(&w.st, op, p);
                let us: Vec<u8> = (0..vers.nfrags(p))
                    .filter(|f| mask & (1 << f) != 0)
                    .collect();
                for (f, set) in us.iter().zip(split_label(&vers, label, us.len())) {
                    read.push(((p, *f), Seen::one(set)));
                }
            }
            Call {
                task: c.task,
                op: c.op,
                begin: c.begin as u64,
                // an op a power failure abandoned has an end and no return
                end: c.end.map(|e| e as u64),
                ret: c.ret.map(|r| Returned::of(r, op)),
                read,
            }
        })
        .collect();
    let end = w.is_done().then(|| {
        let pages = w.st.pages;
        let frags = |p: u8, d: crate::version::Data| -> Vec<Seen> {
            (0..vers.nfrags(p))
                .map(|f| vers.seen(d.get(f as usize)))
                .collect()
        };
        End {
            content: (0..pages).map(|p| frags(p, w.content(p))).collect(),
            cached: (0..pages)
                .map(|p| {
                    w.s.cache
                        .get(p)
                        .filter(|f| f.uptodate() && !f.dirty() && !f.writeback())
                        .map(|f| frags(p, f.ver))
                })
                .collect(),
            device: (0..pages).map(|p| frags(p, w.disk_content(p))).collect(),
        }
    });
    History { calls, end }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sched::Then;

    fn run(text: &str, preset: &str, seed: u64) -> (Scenario, World) {
        let sc = crate::scenario::parse("t.toml", text).unwrap();
        let pol = sc.policy(Some(preset)).unwrap();
        let mut w = World::new(&sc, &pol);
        crate::sched::run(
            &mut w,
            &crate::sched::Schedule::default(),
            Then::seeded(seed),
        )
        .unwrap();
        (sc, w)
    }

    #[test]
    fn a_read_after_a_returned_write_that_sees_old_data_is_stale() {
        let text = "title = \"t\"\n[setup]\npages = 1\n[[task]]\nname = \"A\"\nops = [\"write 0\", \"read 0\"]\n";
        let (sc, w) = run(text, "linux-6.18", 1);
        let mut h = from_model(&w);
        let obs = Observer::new(&sc, &h);
        assert_eq!(obs.decide(Outcome::StaleRead), Decision::Not);
        // make the read see init: stale
        let init = Version::INIT.bit();
        h.calls[1].read = vec![((0, 0), Seen::one(init))];
        let obs = Observer::new(&sc, &h);
        assert_eq!(obs.decide(Outcome::StaleRead), Decision::Holds);
        // bytes nobody wrote cannot be judged
        h.calls[1].read = vec![((0, 0), Seen::one(0))];
        let obs = Observer::new(&sc, &h);
        assert!(matches!(
            obs.decide(Outcome::StaleRead),
            Decision::Unknown(_)
        ));
    }

    #[test]
    fn zeroes_are_judged_by_their_bytes() {
        // a punch after the write: zeroes at the end are the punch's, intact
        let text = "title = \"t\"\n[setup]\npages = 1\n[[task]]\nname = \"A\"\nops = [\"write 0\", \"punch 0\"]\n";
        let (sc, w) = run(text, "linux-6.18", 1);
        let h = from_model(&w);
        let obs = Observer::new(&sc, &h);
        assert_eq!(obs.decide(Outcome::UnreportedLoss), Decision::Not);
        // the same zeroes before the write returned would be lost
        let text = "title = \"t\"\n[setup]\npages = 1\non_disk = \"hole\"\n[[task]]\nname = \"A\"\nops = [\"write 0\"]\n";
        let (sc, w) = run(text, "linux-6.18", 1);
        let mut h = from_model(&w);
        h.end.as_mut().unwrap().content[0] = vec![Seen::one(Versions::of(&sc).zero)];
        let obs = Observer::new(&sc, &h);
        assert_eq!(obs.decide(Outcome::UnreportedLoss), Decision::Holds);
    }

    /// B's fault dirties page 2 with its old data (zero) before B's store,
    /// during A's direct write: when A returns, page 2 keeps zero (lost),
    /// then B's store lands. The fsync's -EIO reports that loss (errseq),
    /// so it is not spurious, and an observer, who never saw the zero in
    /// between, cannot call it spurious either.
    #[test]
    fn an_eio_after_a_loss_written_over_is_not_called_spurious() {
        let text = "title = \"t\"\n[setup]\nfs = \"ext4\"\npages = 3\non_disk = \"hole\"\ncached = \"0,1\"\nwrite_cache = true\n[[task]]\nname = \"A\"\nops = [\"write 1-2 direct\", \"read 0 direct\", \"fsync\"]\n[[task]]\nname = \"B\"\nops = [\"mmap-write 2\", \"read 2\", \"mmap-read 1\"]\n";
        let (sc, w) = run(text, "2020-no-stale-pagecache", 2659);
        assert_eq!(w.fired() & Outcome::SpuriousEio.bit(), 0);
        let h = from_model(&w);
        assert_eq!(
            h.calls.last().and_then(|c| c.ret.clone()),
            Some(Returned::Err("-EIO".into()))
        );
        let obs = Observer::new(&sc, &h);
        assert!(matches!(
            obs.decide(Outcome::SpuriousEio),
            Decision::Unknown(_)
        ));
    }

    const PARTIAL: &str = "title = \"t\"\n[setup]\npages = 2\n[[task]]\nname = \"A\"\nops = [\"write 0-1 bytes 100-4195\", \"read 0-1\"]\n";

    #[test]
    fn units_are_fragments_of_pages() {
        let (sc, w) = run(PARTIAL, "linux-6.18", 1);
        let h = from_model(&w);
        let v = Versions::of(&sc);
        // page 0: 0-99 | 100-4095; page 1: 0-99 | 100-4095
        assert_eq!((v.nfrags(0), v.nfrags(1)), (2, 2));
        assert_eq!(v.unit_range((1, 0)), (4096, 4196));
        let a1 = v.by_label("A1");
        let init = Version::INIT.bit();
        // the write returns its bytes, and the read sees it per unit
        assert_eq!(h.calls[0].ret, Some(Returned::Ok(4096)));
        let read: Vec<(Unit, VSet)> = h.calls[1]
            .read
            .iter()
            .map(|(u, s)| (*u, s.segments[0]))
            .collect();
        assert_eq!(
            read,
            vec![((0, 0), init), ((0, 1), a1), ((1, 0), a1), ((1, 1), init)]
        );
        let obs = Observer::new(&sc, &h);
        assert_eq!(obs.decide(Outcome::StaleRead), Decision::Not);
        assert_eq!(obs.decide(Outcome::UnreportedLoss), Decision::Not);
        let pages = Observer::read_by_page(&h.calls[1]);
        let names: Vec<String> = pages
            .iter()
            .map(|(_, s)| obs.label(s, None, 0).shown)
            .collect();
        assert_eq!(names, vec!["init+A1", "A1+init"]);
        // init where A1 returned is stale: per unit, not per page
        let mut h2 = h.clone();
        h2.calls[1].read[2].1 = Seen::one(init);
        assert_eq!(
            Observer::new(&sc, &h2).decide(Outcome::StaleRead),
            Decision::Holds
        );
        // page 1's first unit, which A's write covered, ending as init: lost
        let mut h3 = h.clone();
        h3.end.as_mut().unwrap().content[1][0] = Seen::one(init);
        assert_eq!(
            Observer::new(&sc, &h3).decide(Outcome::UnreportedLoss),
            Decision::Holds
        );
        // a read the units of which tear inside a unit is named with `|`
        let torn = Seen {
            segments: vec![init, a1],
        };
        let l = obs.label(&[&Seen::one(init), &torn], None, 0);
        assert_eq!(l.shown, "init+init|A1");
    }

    #[test]
    fn a_model_label_is_split_over_the_units_it_covers() {
        let sc = crate::scenario::parse("t.toml", PARTIAL).unwrap();
        let v = Versions::of(&sc);
        let (i, a) = (Version::INIT.bit(), v.by_label("A1"));
        assert_eq!(split_label(&v, "init+A1", 2), vec![i, a]);
        assert_eq!(split_label(&v, "A1", 3), vec![a, a, a]);
        // two names over three units: the middle one is either
        assert_eq!(split_label(&v, "init+A1", 3), vec![i, i | a, a]);
    }
}
