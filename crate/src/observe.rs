//! The outcomes, computed from what an observer outside the kernel can see:
//! when each syscall began and returned, what it returned, what each read
//! saw, and at the end what the file, the page cache and the device hold.
//!
//! The kernel lab (`dioscope kernel`) records exactly that on a real
//! kernel; [`from_model`] makes the same record of a model run, and the
//! tests check that on model runs these definitions agree with the oracles
//! (`oracle.rs`) wherever the record decides them.
//!
//! Data is judged by what it *is*, not by who is believed to have written
//! it: an observer sees bytes. So what a read or the end state saw is a set
//! of candidate versions that all hold those bytes ([`Seen`]): all the
//! versions of zeroes (an initial hole, a punch, a truncate) read the
//! same, and a direct I/O between the file and a mapping of the same file
//! copies bytes, so its version holds the bytes of what it copied. Hence:
//! - a read is stale when *every* candidate for what it saw is stale (if
//!   the bytes are those of a write the read had to see, it saw it);
//! - a page is lost when *every* candidate for its content is superseded.
//!
//! Definitions that need the content at an instant in the middle of the
//! run (unreported-loss: "since the loss, no fsync reported an error";
//! spurious-eio: "nothing was lost when fsync returned, nor after") are
//! decided when the record pins that content down: when no syscall that
//! could change it ran after that instant. Otherwise the answer is
//! [`Decision::Unknown`], never a guess. A power failure, failing writes,
//! misdirected writes and stale iomaps are not observable this way.

use crate::ops::{Op, Range};
use crate::outcome::Outcome;
use crate::scenario::Scenario;
use crate::version::{iter_set, Version, VersionInfo};
use crate::world::{Ret, World};

/// A set of versions, as a bit set over version ids.
pub type VSet = u32;

/// What was seen in one fragment of the file (today: one page): the
/// candidate versions of each maximal byte range that one version's bytes
/// explain. Usually one segment; two or more when a read was torn between
/// writes; an empty set when the bytes are no version's; no segment at all
/// when the bytes could not be captured ([`Seen::unknown`]).
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

impl From<Ret> for Returned {
    fn from(r: Ret) -> Returned {
        match r {
            Ret::Pages(n) => Returned::Ok(u64::from(n) * 4096),
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
    /// never returned.
    pub begin: u64,
    pub end: Option<u64>,
    pub ret: Option<Returned>,
    /// For a read that returned data: what it saw, per fragment read.
    pub read: Vec<Seen>,
}

/// The state at the end of the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct End {
    /// Per fragment: what the file holds (what a read returns: the page
    /// cache where it is uptodate, else the device).
    pub content: Vec<Seen>,
    /// Per fragment: the page cache's data, for pages cached clean.
    pub cached: Vec<Option<Seen>>,
    /// Per fragment: what the device holds for it (zeroes for holes).
    pub device: Vec<Seen>,
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

/// The pages whose content an op may change when it runs (whatever it
/// returns).
pub fn touches(op: &Op, pages: u8) -> u32 {
    match *op {
        Op::Write { range, .. } | Op::Punch(range) => range.mask(),
        Op::MmapWrite(p) => 1 << p,
        Op::Read {
            range,
            into_mmap: Some(base),
            ..
        } => Range {
            lo: base,
            hi: (base + range.len() - 1).min(pages - 1),
        }
        .mask(),
        Op::Truncate(_) => Range {
            lo: 0,
            hi: pages - 1,
        }
        .mask(),
        _ => 0,
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

/// The name of what was seen, and every name the same bytes could have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub shown: String,
    pub alternatives: Vec<String>,
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

    /// The call that wrote version `v`, if it ran.
    fn call_of(&self, v: Version) -> Option<&'a Call> {
        let info = &self.vers.info[v.0 as usize];
        let t = info.task?;
        self.h.calls.iter().find(|c| c.task == t && c.op == info.op)
    }

    /// The pages a returned call wrote (as the model's oracles count them).
    fn wrote(&self, c: &Call) -> u32 {
        let Some(Returned::Ok(bytes)) = c.ret else {
            return 0;
        };
        let n = bytes.div_ceil(4096).min(u64::from(self.pages)) as u8;
        crate::paths::written_pages(self.op(c), Ret::Pages(n), 0, self.pages)
    }

    /// When version `v` returned (counting as a write): `None` if it never
    /// did.
    fn returned_at(&self, v: Version) -> Option<u64> {
        let c = self.call_of(v)?;
        if self.wrote(c) == 0 {
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

    /// Returned writes of page `p` (those that returned before `before`).
    fn written(&self, p: u8, before: Option<u64>) -> Vec<Version> {
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
            if self.wrote(c) & (1 << p) != 0 {
                out.push(x);
            }
        }
        out
    }

    /// The versions superseded at `p` at the end.
    fn sup(&self, p: u8) -> VSet {
        self.written(p, None)
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

    /// Nothing can have changed what pages `pages` hold, or which of their
    /// versions are superseded, after time `t`: every syscall that writes
    /// them or drops cached pages had returned by then, and nothing runs in
    /// the background that could.
    fn quiet_after(&self, pages: u32, t: u64) -> bool {
        if self.sc.setup.reclaim || self.has(|o| matches!(o, Op::FailWrites(_) | Op::Crash)) {
            return false;
        }
        self.sc.tasks.iter().enumerate().all(|(ti, task)| {
            task.ops.iter().enumerate().all(|(oi, op)| {
                if touches(op, self.pages) & pages == 0 && !evicts(op) {
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
        let seen = self.h.calls.iter().flat_map(|c| c.read.iter());
        let end = self.h.end.iter().flat_map(|e| {
            e.content
                .iter()
                .chain(e.device.iter())
                .chain(e.cached.iter().flatten())
        });
        seen.chain(end)
            .flat_map(|s| s.segments.iter())
            .any(|&set| self.possible(set, None).count_ones() > 1)
    }

    /// How `seen` is named, as the model names what a read returns: `A1`,
    /// `zero`, `init`, `A1+init` for a torn read, `other` for bytes no
    /// version wrote. `during` is when it was seen (a read's begin and
    /// end; `None`: at the end of the run); `exclude`, versions that cannot
    /// be it (a read into a mapping is not what that read returned).
    ///
    /// When the bytes are two versions' (a copy and what it copied), the
    /// name is the copy if it had returned before the bytes were seen
    /// (the latest such), else the original; `alternatives` lists every
    /// name the bytes could have.
    pub fn label(&self, seen: &Seen, during: Option<(u64, u64)>, exclude: VSet) -> Label {
        let mut shown = Vec::new();
        let mut alternatives: Vec<String> = Vec::new();
        for &seg in &seen.segments {
            let cands = self.possible(seg, during.map(|d| d.1)) & !exclude;
            let names: Vec<String> = {
                let mut n: Vec<String> = iter_set(cands)
                    .map(|v| self.vers.info[v.0 as usize].label.clone())
                    .collect();
                n.dedup();
                n.sort();
                n.dedup();
                n
            };
            let name = match names.len() {
                0 => "other".to_string(),
                1 => names[0].clone(),
                _ => {
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
            if seen.segments.len() == 1 {
                alternatives = names;
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
            shown.join("+")
        };
        if alternatives.is_empty() {
            alternatives.push(shown.clone());
        }
        Label {
            shown,
            alternatives,
        }
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
            let lo = match *op {
                Op::Read { range, .. } => range.lo,
                Op::MmapRead(p) => p,
                _ => unreachable!(),
            };
            match (&c.ret, c.end) {
                (Some(Returned::Ok(_)), Some(end)) => {
                    // the writes of each page that returned before the read began
                    for (i, seen) in c.read.iter().enumerate() {
                        let p = lo + i as u8;
                        if seen.is_unknown() {
                            unknown.get_or_insert("what a read into a mapping of the file returned could not be captured");
                            continue;
                        }
                        let must_see: Vec<Version> = self.written(p, Some(c.begin));
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
            if !same_data(self, c, d) {
                return Decision::Holds;
            }
        }
        Decision::Not
    }

    /// Pages whose content at the end is superseded.
    fn lost_at_end(&self, end: &End) -> u32 {
        let mut lost = 0;
        for p in 0..self.pages {
            let sup = self.sup(p);
            let Some(seen) = end.content.get(p as usize) else {
                continue;
            };
            // lost if some part of the page holds no intact version
            let gone = seen.segments.iter().any(|&seg| {
                let cands = self.possible(seg, None);
                cands & !sup == 0
            });
            if gone {
                lost |= 1 << p;
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
        if lost == 0 {
            return Decision::Not;
        }
        let errors = self.fsync_errors();
        let mut all_reported = true;
        for p in 0..self.pages {
            if lost & (1 << p) == 0 {
                continue;
            }
            // the page cannot have been lost before a write of it returned
            let first = self
                .written(p, None)
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
                .any(|e| e.end.is_some_and(|x| self.quiet_after(1 << p, x)));
            if !reported {
                all_reported = false;
            }
        }
        if all_reported {
            Decision::Not
        } else {
            Decision::Unknown(
                "a page may have been lost before or after an fsync reported an error",
            )
        }
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
        if self.lost_at_end(end) != 0 {
            return Decision::Not;
        }
        let all = if self.pages >= 32 {
            u32::MAX
        } else {
            (1u32 << self.pages) - 1
        };
        if eio
            .iter()
            .any(|c| c.end.is_some_and(|e| self.quiet_after(all, e)))
        {
            Decision::Holds
        } else {
            Decision::Unknown(
                "data may have been lost when fsync returned, and written again since",
            )
        }
    }
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
        .map(|c| Call {
            task: c.task,
            op: c.op,
            begin: c.begin as u64,
            // an op a power failure abandoned has an end and no return
            end: c.end.map(|e| e as u64),
            ret: c.ret.map(Returned::from),
            read: c.read.iter().map(|l| Seen::one(vers.by_label(l))).collect(),
        })
        .collect();
    let end = w.is_done().then(|| {
        let pages = w.st.pages;
        End {
            content: (0..pages).map(|p| vers.seen(w.content(p))).collect(),
            cached: (0..pages)
                .map(|p| {
                    w.s.cache
                        .get(p)
                        .filter(|f| f.uptodate() && !f.dirty() && !f.writeback())
                        .map(|f| vers.seen(f.ver))
                })
                .collect(),
            device: (0..pages).map(|p| vers.seen(w.disk_content(p))).collect(),
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
        h.calls[1].read = vec![Seen::one(init)];
        let obs = Observer::new(&sc, &h);
        assert_eq!(obs.decide(Outcome::StaleRead), Decision::Holds);
        // bytes nobody wrote cannot be judged
        h.calls[1].read = vec![Seen::one(0)];
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
        h.end.as_mut().unwrap().content[0] = Seen::one(Versions::of(&sc).zero);
        let obs = Observer::new(&sc, &h);
        assert_eq!(obs.decide(Outcome::UnreportedLoss), Decision::Holds);
    }
}
