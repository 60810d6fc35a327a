//! The oracles: exact definitions (docs/outcomes.md, "The words"),
//! kept as bit sets over versions so that they are part of the state.
//!
//! - W1 *precedes* W2 when W1 returned before W2 began. `pred[W]` is the set
//!   of writes that had returned when W began (plus `init` and `zero`).
//! - All of this is per *unit*: a fragment of a page (a byte range no op
//!   splits, [`crate::frags`]); unit `p * FRAGS + f`. A page written whole
//!   writes all its units.
//! - `written[u]`: returned writes that wrote unit u. The versions
//!   superseded at u are the union of `pred[W]` over them (`sup[u]`).
//! - A read of u returning v is stale when v is in `pred[W]` for some W in
//!   `written[u]` that had returned when the read began.
//! - Unit u is intact when the data it will keep is not superseded. What it
//!   keeps is the folio's data while the folio is dirty or under writeback
//!   (writeback will carry it to the device), and otherwise the device's:
//!   a clean folio is dropped sooner or later. That matters when writeback
//!   fails: the folio ends clean and uptodate with data the device never got
//!   (iomap_finish_ioend → mapping_set_error, folio_end_writeback), so the
//!   -EIO that fsync reports is the truth, not a spurious error.

use crate::outcome::Outcome;
use crate::version::{iter_set, Data, Version, FRAGS};
use crate::world::{Static, World, MAX_PAGES};

/// Units: one per fragment of each page.
pub const MAX_UNITS: usize = MAX_PAGES * FRAGS;

/// A set of units (bit `p * FRAGS + f`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Units([u64; MAX_UNITS.div_ceil(64)]);
// a page's fragments are in one word
const _: () = assert!(64 % FRAGS == 0);

impl Units {
    pub const EMPTY: Units = Units([0; MAX_UNITS.div_ceil(64)]);
    pub fn bit(u: usize) -> Units {
        let mut s = Units::EMPTY;
        s.0[u / 64] = 1 << (u % 64);
        s
    }
    pub fn has(&self, u: usize) -> bool {
        self.0[u / 64] & 1 << (u % 64) != 0
    }
    pub fn insert(&mut self, u: usize) {
        self.0[u / 64] |= 1 << (u % 64);
    }
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&w| w == 0)
    }
    /// The units in the set, lowest first.
    pub fn iter(mut self) -> impl Iterator<Item = usize> {
        let mut k = 0;
        std::iter::from_fn(move || {
            while k < self.0.len() {
                let w = &mut self.0[k];
                if *w != 0 {
                    let i = w.trailing_zeros() as usize;
                    *w &= *w - 1;
                    return Some(k * 64 + i);
                }
                k += 1;
            }
            None
        })
    }
}

impl std::ops::BitOr for Units {
    type Output = Units;
    fn bitor(mut self, o: Units) -> Units {
        self |= o;
        self
    }
}
impl std::ops::BitOrAssign for Units {
    fn bitor_assign(&mut self, o: Units) {
        for (a, b) in self.0.iter_mut().zip(o.0) {
            *a |= b;
        }
    }
}
impl std::ops::BitAnd for Units {
    type Output = Units;
    fn bitand(mut self, o: Units) -> Units {
        for (a, b) in self.0.iter_mut().zip(o.0) {
            *a &= b;
        }
        self
    }
}
impl std::ops::Not for Units {
    type Output = Units;
    fn not(mut self) -> Units {
        for a in &mut self.0 {
            *a = !*a;
        }
        self
    }
}

/// The units of page `p`'s fragments in `mask`.
pub fn units(p: u8, mask: u8) -> Units {
    let u = p as usize * FRAGS;
    let mut s = Units::EMPTY;
    s.0[u / 64] = u64::from(mask) << (u % 64);
    s
}

const ALWAYS_OLDER: u32 = 0b11; // init and zero precede every write

/// Only the first `n` units (the file's) are ever used; hashing,
/// comparing, copying and renaming stop there (see
/// [`crate::pagecache::PageCache`]).
#[derive(Clone, Copy, Debug, Eq)]
pub struct Oracle {
    /// Writes that have returned successfully.
    pub returned: u32,
    /// Per version: the writes that had returned when it began.
    pub pred: [u32; 32],
    /// Per unit: returned writes that wrote it.
    pub written: [u32; MAX_UNITS],
    /// Per unit: superseded versions (derived from `written` and `pred`).
    pub sup: [u32; MAX_UNITS],
    /// Writes promised durable (fsync returned 0 after them, or O_DSYNC).
    pub durable: u32,
    /// Units not intact now.
    pub lost: Units,
    /// Lost units whose loss no fsync has reported since.
    pub unreported: Units,
    /// An fsync returned -EIO with every page intact, and nothing was lost since.
    pub spurious: bool,
    /// Tasks whose fsync has not reported an error since some page was
    /// last lost: their next -EIO reports that loss, even if a newer write
    /// has replaced the lost data since (errseq reports the error once per
    /// open file, whatever happened after it).
    pub unseen: u8,
    /// Outcomes that fired, as bits.
    pub fired: u16,
    /// Units in use: the file's pages times [`FRAGS`].
    pub n: u16,
}

impl PartialEq for Oracle {
    fn eq(&self, o: &Oracle) -> bool {
        let n = usize::from(self.n);
        self.n == o.n
            && self.returned == o.returned
            && self.pred == o.pred
            && self.written[..n] == o.written[..n]
            && self.sup[..n] == o.sup[..n]
            && self.durable == o.durable
            && self.lost == o.lost
            && self.unreported == o.unreported
            && self.spurious == o.spurious
            && self.unseen == o.unseen
            && self.fired == o.fired
    }
}

impl std::hash::Hash for Oracle {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let n = usize::from(self.n);
        self.returned.hash(h);
        self.pred.hash(h);
        self.written[..n].hash(h);
        self.sup[..n].hash(h);
        self.durable.hash(h);
        self.lost.hash(h);
        self.unreported.hash(h);
        self.spurious.hash(h);
        self.unseen.hash(h);
        self.fired.hash(h);
    }
}

impl Default for Oracle {
    fn default() -> Self {
        Oracle {
            returned: 0,
            pred: [0; 32],
            written: [0; MAX_UNITS],
            sup: [0; MAX_UNITS],
            durable: 0,
            lost: Units::EMPTY,
            unreported: Units::EMPTY,
            spurious: false,
            unseen: 0,
            fired: 0,
            n: MAX_UNITS as u16,
        }
    }
}

impl Oracle {
    pub(crate) fn init(&mut self, st: &Static) {
        self.n = (usize::from(st.pages) * FRAGS) as u16;
    }

    /// `*self = *o` for the same file.
    pub fn copy_from(&mut self, o: &Oracle) {
        if cfg!(target_arch = "wasm32") {
            // smaller code in the browser, whose searches are small
            *self = *o;
            return;
        }
        debug_assert_eq!(self.n, o.n);
        let n = usize::from(o.n);
        self.returned = o.returned;
        self.pred = o.pred;
        self.written[..n].copy_from_slice(&o.written[..n]);
        self.sup[..n].copy_from_slice(&o.sup[..n]);
        self.durable = o.durable;
        self.lost = o.lost;
        self.unreported = o.unreported;
        self.spurious = o.spurious;
        self.unseen = o.unseen;
        self.fired = o.fired;
    }

    pub(crate) fn write_begin(&mut self, v: Version) {
        self.pred[v.0 as usize] = self.returned | ALWAYS_OLDER;
    }
}

/// A unit's page and fragment.
fn unit_of(u: usize) -> (u8, usize) {
    ((u / FRAGS) as u8, u % FRAGS)
}

impl World {
    /// A write's syscall returned; `units` are the units it wrote.
    pub(crate) fn oracle_write_return(&mut self, v: Version, units: Units) {
        if units.is_empty() {
            return;
        }
        let o = &mut self.s.oracle;
        o.returned |= v.bit();
        let pred = o.pred[v.0 as usize];
        for u in units.iter() {
            o.written[u] |= v.bit();
            o.sup[u] |= pred;
        }
    }

    /// The fragments of page `p` that task `t`'s current op reads (its
    /// bytes, or the whole page).
    fn read_mask(&self, t: u8, p: u8) -> u8 {
        let opi = self.s.tasks[t as usize].op as usize;
        let bytes = self.st.scenario.tasks[t as usize]
            .ops
            .get(opi)
            .and_then(|o| o.page_bytes(p));
        self.st.frags[p as usize].of(bytes)
    }

    /// An O_DSYNC write returned: its data is promised durable.
    pub(crate) fn oracle_dsync(&mut self, v: Version) {
        self.s.oracle.durable |= v.bit();
    }

    /// Task `t`'s read got data `d` for page `p` (the part of it its op
    /// reads): record it, and check it.
    pub(crate) fn read_value(&mut self, t: u8, p: u8, d: Data) {
        let mask = self.read_mask(t, p);
        let used = self.st.frags[p as usize].used() & mask;
        let task = &mut self.s.tasks[t as usize];
        // what the op read, in any order of completion
        let mut h = u64::from(p).wrapping_add(0x51);
        for f in 0..FRAGS {
            if used & (1 << f) != 0 {
                h = (h.rotate_left(7) ^ u64::from(d.get(f).0)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            }
        }
        task.rsum = task.rsum.wrapping_add(h);
        let began = task.began;
        if let Some(hist) = &mut self.hist {
            let label = self.st.dlabel_of(p, d, mask, false);
            if let Some(rec) = hist
                .syscalls
                .iter_mut()
                .rev()
                .find(|c| c.task == t && c.end.is_none())
            {
                rec.got.push((p, label));
            }
        }
        let o = &self.s.oracle;
        let stale = (0..FRAGS).filter(|f| used & (1 << f) != 0).find_map(|f| {
            let v = d.get(f);
            let u = p as usize * FRAGS + f;
            iter_set(began & o.written[u])
                .find(|w| o.pred[w.0 as usize] & v.bit() != 0)
                .map(|w| (f, v, w))
        });
        if let Some((f, v, w)) = stale {
            let why = {
                let st = &self.st;
                let opi = self.s.tasks[t as usize].op as usize;
                let op = st.scenario.tasks[t as usize]
                    .ops
                    .get(opi)
                    .map_or(String::new(), |o| o.to_string());
                let fr = &st.frags[p as usize];
                let at = if fr.n > 1 {
                    let (lo, hi) = fr.range(f);
                    format!("page {p} bytes {lo}-{hi}")
                } else {
                    format!("page {p}")
                };
                format!(
                    "{}'s `{op}` got {} for {at}, but {} had already returned before the read began",
                    st.task_name(t),
                    st.long_label(v),
                    st.long_label(w)
                )
            };
            self.fire(Outcome::StaleRead, why);
        }
    }

    /// fsync/fdatasync returned `ok`; `began`: writes returned when it began.
    pub(crate) fn oracle_fsync_return(
        &mut self,
        t: u8,
        began: u32,
        err: Option<crate::world::Errno>,
    ) {
        match err {
            None => self.s.oracle.durable |= began,
            Some(e) => {
                let lost = self.lost_now();
                let told_before = self.s.oracle.unseen & (1 << t) == 0;
                self.s.oracle.unseen &= !(1 << t);
                self.s.oracle.unreported = Units::EMPTY;
                if e == crate::world::Errno::EIO && lost.is_empty() && told_before {
                    self.s.oracle.spurious = true;
                    if let Some(h) = &mut self.hist {
                        h.spurious_at = Some((h.steps.len().saturating_sub(1), t));
                    }
                }
            }
        }
    }

    /// What page `p` will hold if nothing else happens: the folio's data if
    /// writeback still has to carry it to the device (dirty, or under
    /// writeback), else the device's. A clean folio is dropped sooner or
    /// later; if its data differs from the device's (its writeback failed,
    /// or a direct write went around it), the device's copy is what stays.
    pub fn surviving(&self, p: u8) -> Data {
        if let Some(f) = self.s.cache.get(p) {
            if f.uptodate() && (f.dirty() || f.writeback()) {
                return f.ver;
            }
        }
        self.disk_content(p)
    }

    fn lost_now(&self) -> Units {
        let mut lost = Units::EMPTY;
        for p in 0..self.st.pages {
            let d = self.surviving(p);
            for f in 0..self.st.frags[p as usize].n as usize {
                let u = p as usize * FRAGS + f;
                if self.s.oracle.sup[u] & d.get(f).bit() != 0 {
                    lost.insert(u);
                }
            }
        }
        lost
    }

    /// After every step: which pages stopped being intact.
    pub(crate) fn oracle_track(&mut self) {
        let lost = self.lost_now();
        let o = &mut self.s.oracle;
        let new = lost & !o.lost;
        if !new.is_empty() {
            o.unseen = u8::MAX;
        }
        o.unreported = (o.unreported | new) & lost;
        o.lost = lost;
        if !lost.is_empty() {
            o.spurious = false;
        }
    }

    /// Power failure and recovery happened (the cache is empty): check what
    /// durable promises survived, then take the recovered state as the new
    /// baseline (non-durable data may be lost; that is not a bug).
    pub(crate) fn oracle_crash(&mut self) {
        let mut lost_units = Vec::new();
        for p in 0..self.st.pages {
            let c = self.disk_content(p);
            for f in 0..self.st.frags[p as usize].n as usize {
                let u = p as usize * FRAGS + f;
                let o = &self.s.oracle;
                let dsup =
                    iter_set(o.durable & o.written[u]).fold(0u32, |m, w| m | o.pred[w.0 as usize]);
                if dsup & c.get(f).bit() != 0 {
                    let promised = iter_set(o.durable & o.written[u]).last().unwrap();
                    lost_units.push((p, f, c.get(f), promised));
                }
            }
        }
        if !lost_units.is_empty() {
            let st = &self.st;
            let parts: Vec<String> = lost_units
                .iter()
                .map(|&(p, f, c, w)| {
                    let fr = &st.frags[p as usize];
                    let at = if fr.n > 1 {
                        let (lo, hi) = fr.range(f);
                        format!("page {p} bytes {lo}-{hi}")
                    } else {
                        format!("page {p}")
                    };
                    format!(
                        "{at} recovered as {} although {} was promised durable",
                        st.long_label(c),
                        st.long_label(w)
                    )
                })
                .collect();
            let why = parts.join("; ");
            self.fire(Outcome::LostWrite, why);
        }
        let o = &mut self.s.oracle;
        for u in 0..usize::from(o.n) {
            o.written[u] &= o.durable;
            o.sup[u] = iter_set(o.written[u]).fold(0u32, |m, w| m | o.pred[w.0 as usize]);
        }
        o.spurious = false;
        o.unseen = 0;
        let lost = self.lost_now();
        let o = &mut self.s.oracle;
        o.lost = lost;
        o.unreported = Units::EMPTY;
    }

    /// End of the run: stale-cache, unreported-loss, spurious-eio.
    pub(crate) fn oracle_end(&mut self) {
        for p in 0..self.st.pages {
            if let Some(f) = self.s.cache.get(p) {
                if f.uptodate() && !f.dirty() && !f.writeback() {
                    let disk = self.disk_content(p);
                    if f.ver != disk {
                        let why = format!(
                            "page {p} is cached clean as {} but the device holds {}",
                            self.st.dlong(p, f.ver),
                            self.st.dlong(p, disk)
                        );
                        self.fire(Outcome::StaleCache, why);
                        break;
                    }
                }
            }
        }
        let o = self.s.oracle;
        let gone = o.unreported & o.lost;
        if let Some(u) = gone.iter().next() {
            let (p, f) = unit_of(u);
            let u = p as usize * FRAGS + f;
            let c = self.surviving(p).get(f);
            let fr = &self.st.frags[p as usize];
            let at = if fr.n > 1 {
                let (lo, hi) = fr.range(f);
                format!("page {p} bytes {lo}-{hi}")
            } else {
                format!("page {p}")
            };
            let newest = iter_set(o.written[u])
                .filter(|w| o.pred[w.0 as usize] & c.bit() != 0)
                .last();
            let why = match newest {
                Some(w) => format!(
                    "{at} holds {} but {} returned after it; the newer data is gone and no fsync reported an error",
                    self.st.long_label(c),
                    self.st.long_label(w)
                ),
                None => format!("{at} lost its data and no fsync reported an error"),
            };
            self.fire(Outcome::UnreportedLoss, why);
        }
        if o.spurious {
            let (step, t) = self
                .hist
                .as_ref()
                .and_then(|h| h.spurious_at)
                .unwrap_or((0, 0));
            let why = format!(
                "{}'s fsync (step {step}) returned -EIO, yet every page still holds its newest data",
                self.st.task_name(t)
            );
            self.fire(Outcome::SpuriousEio, why);
        }
    }
}

/// Symmetry (see [`crate::perm`]): every version set, and `pred`, which
/// is also indexed by version.
impl Oracle {
    pub fn permute(&mut self, p: &crate::perm::Perm) {
        let Oracle {
            returned,
            pred,
            written,
            sup,
            durable,
            lost: _,
            unreported: _,
            spurious: _,
            unseen,
            fired: _,
            n,
        } = self;
        let n = usize::from(*n);
        *unseen = p.tasks8(*unseen);
        *returned = p.versions(*returned);
        for s in pred.iter_mut() {
            *s = p.versions(*s);
        }
        p.by_version(pred);
        for s in written[..n].iter_mut().chain(sup[..n].iter_mut()) {
            *s = p.versions(*s);
        }
        *durable = p.versions(*durable);
    }
}

/// What the explorer may forget: the history that no future step can
/// read. Two states that differ only there fire the same outcomes in every
/// continuation, so the explorer keeps one of them (issue 15: on the
/// family of direct and mmap writers, this history is what multiplied the
/// states: who returned before whom, for data that is gone).
///
/// - Once no task has a read or a `crash` left (in its current op or
///   later), nothing reads `written`, `durable`, the tasks' `began` or the
///   `pred` of a write that returned: only stale-read checks
///   ([`World::read_value`]) and crash recovery ([`World::oracle_crash`])
///   do. What is left is the *superseded* role of versions (`sup`, the
///   `pred` of writes still to return, `returned` for the writes still to
///   begin), and [`World::lost_now`] only asks it about the data a unit
///   keeps: a version that is nowhere now (cache, device, bios, extents)
///   and that no op still to return writes can go, and so can one that is
///   already superseded at every unit the write would supersede it at
///   (`sup` only grows).
/// - Once no op left can look at a writeback error (fsync and the sync of
///   O_DSYNC writes, direct I/O's filemap_check_errors), `wb_err`, AS_EIO
///   and the files' errseq cursors are dead too.
#[derive(Clone, Debug, Default)]
pub(crate) struct Forget {
    /// Per task: the first op from which on no op reads or crashes.
    quiet_from: Vec<u8>,
    /// Per task: the first op from which on no op checks writeback errors.
    errors_from: Vec<u8>,
    /// Per task, per op: the units its write may supersede at, at most.
    units: Vec<Vec<Units>>,
}

impl Forget {
    pub fn new(st: &Static) -> Forget {
        use crate::ops::Op;
        let after_last = |ops: &[Op], f: &dyn Fn(&Op) -> bool| {
            ops.iter().rposition(f).map_or(0, |i| i as u8 + 1)
        };
        let tasks = &st.scenario.tasks;
        Forget {
            quiet_from: tasks
                .iter()
                .map(|t| after_last(&t.ops, &|o| o.is_read() || matches!(o, Op::Crash)))
                .collect(),
            errors_from: tasks
                .iter()
                .map(|t| {
                    after_last(&t.ops, &|o| {
                        !matches!(
                            o,
                            Op::MmapRead(..)
                                | Op::MmapWrite(..)
                                | Op::Reclaim(_)
                                | Op::FailWrites(_)
                                | Op::Truncate(_)
                                | Op::Punch(_)
                                | Op::Falloc(_)
                                | Op::Writeback
                        )
                    })
                })
                .collect(),
            units: tasks
                .iter()
                .map(|t| {
                    t.ops
                        .iter()
                        .map(|o| {
                            crate::paths::written_units(o, crate::world::Ret::Pages(u8::MAX), st)
                        })
                        .collect()
                })
                .collect(),
        }
    }

    /// Forgets what of `s`'s history nothing can use any more.
    pub fn apply(&self, st: &Static, s: &mut crate::world::State) {
        if s.crashing != 0 {
            return;
        }
        let n = self.quiet_from.len();
        if (0..n).all(|t| s.tasks[t].op >= self.errors_from[t]) {
            s.wb_err = crate::errseq::Errseq::default();
            s.as_eio = false;
            for task in s.tasks.iter_mut() {
                task.cursor = crate::errseq::Errseq::default();
            }
        }
        if (0..n).any(|t| s.tasks[t].op < self.quiet_from[t]) {
            return;
        }
        let present = present_versions(st, s);
        // the units writes still to begin (at begin_syscall, or at the
        // store of an mmap-write) may supersede `returned` at; `unseen`
        // only matters to tasks with an fsync still to return
        let mut begins = Units::EMPTY;
        let mut syncs = 0u8;
        for (t, ops) in st.scenario.tasks.iter().enumerate() {
            let task = &s.tasks[t];
            let op = task.op as usize;
            for (i, o) in ops.ops.iter().enumerate().skip(op) {
                let not_begun = i > op
                    || task.path == crate::paths::Path::Idle
                    || matches!(o, crate::ops::Op::MmapWrite(..));
                if not_begun && st.op_ver[t][i].is_some() {
                    begins |= self.units[t][i];
                }
                if matches!(o, crate::ops::Op::Fsync | crate::ops::Op::Fdatasync) {
                    syncs |= 1 << t;
                }
            }
        }
        let o = &mut s.oracle;
        // versions superseded at every unit of `us` already
        let everywhere = |o: &Oracle, us: Units| us.iter().fold(u32::MAX, |m, u| m & o.sup[u]);
        for sup in o.sup.iter_mut().take(usize::from(st.pages) * FRAGS) {
            *sup &= present;
        }
        let mut pending = 0u32;
        for (t, vers) in st.op_ver.iter().enumerate() {
            for (i, v) in vers.iter().enumerate() {
                if let Some(v) = v {
                    if o.returned & v.bit() == 0 {
                        pending |= v.bit();
                        let keep = present & !everywhere(o, self.units[t][i]);
                        o.pred[v.0 as usize] &= keep;
                    }
                }
            }
        }
        // returned writes' `pred` is read by nothing now
        for (k, p) in o.pred.iter_mut().enumerate() {
            if pending & (1 << k) == 0 {
                *p = 0;
            }
        }
        o.returned &= if !begins.is_empty() {
            present & !everywhere(o, begins)
        } else {
            0
        };
        o.unseen &= syncs;
        o.written[..usize::from(o.n)].fill(0);
        o.durable = 0;
        for task in s.tasks.iter_mut() {
            task.began = 0;
        }
    }
}

/// The versions that are somewhere (cache, device, bios, extents), or
/// that an op still to return writes; `init` and `zero` always.
fn present_versions(st: &Static, s: &crate::world::State) -> u32 {
    let mut present = ALWAYS_OLDER;
    let data = |d: &Data| d.0.iter().fold(0u32, |m, v| m | v.bit());
    let pages = usize::from(st.pages);
    for f in s.cache.folios[..pages].iter().flatten() {
        present |= data(&f.ver);
    }
    let blocks = usize::from(st.nblocks);
    for (m, c) in s.dev.media[..blocks].iter().zip(&s.dev.vcache[..blocks]) {
        present |= data(m) | c.as_ref().map_or(0, data);
    }
    for b in s.dev.inflight() {
        present |= data(&b.ver);
    }
    for e in s.ext.map[..pages].iter().chain(&s.ext.disk[..pages]) {
        if let crate::extents::Ext::Hole(z)
        | crate::extents::Ext::Delalloc(z)
        | crate::extents::Ext::Unwritten(_, z) = *e
        {
            present |= z.bit();
        }
    }
    for (t, vers) in st.op_ver.iter().enumerate() {
        let task = &s.tasks[t];
        let aio = task.aio.active().then(|| vers[task.aio.op as usize - 1]);
        let still = vers.get(task.op as usize..).unwrap_or(&[]).iter();
        present |= still.chain(&aio).flatten().fold(0, |m, v| m | v.bit());
    }
    present
}
