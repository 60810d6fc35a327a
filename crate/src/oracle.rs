//! The oracles: exact definitions (docs/outcomes.md, "The words"),
//! kept as bit sets over versions so that they are part of the state.
//!
//! - W1 *precedes* W2 when W1 returned before W2 began. `pred[W]` is the set
//!   of writes that had returned when W began (plus `init` and `zero`).
//! - `written[p]`: returned writes that wrote page p. The versions
//!   superseded at p are the union of `pred[W]` over them (`sup[p]`).
//! - A read of p returning v is stale when v is in `pred[W]` for some W in
//!   `written[p]` that had returned when the read began.
//! - Page p is intact when the data it will keep is not superseded. What it
//!   keeps is the folio's data while the folio is dirty or under writeback
//!   (writeback will carry it to the device), and otherwise the device's:
//!   a clean folio is dropped sooner or later. That matters when writeback
//!   fails: the folio ends clean and uptodate with data the device never got
//!   (iomap_finish_ioend → mapping_set_error, folio_end_writeback), so the
//!   -EIO that fsync reports is the truth, not a spurious error.

use crate::outcome::Outcome;
use crate::version::{iter_set, Version};
use crate::world::{Static, World, MAX_PAGES};

const ALWAYS_OLDER: u32 = 0b11; // init and zero precede every write

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Oracle {
    /// Writes that have returned successfully.
    pub returned: u32,
    /// Per version: the writes that had returned when it began.
    pub pred: [u32; 32],
    /// Per page: returned writes that wrote it.
    pub written: [u32; MAX_PAGES],
    /// Per page: superseded versions (derived from `written` and `pred`).
    pub sup: [u32; MAX_PAGES],
    /// Writes promised durable (fsync returned 0 after them, or O_DSYNC).
    pub durable: u32,
    /// Pages not intact now.
    pub lost: u16,
    /// Lost pages whose loss no fsync has reported since.
    pub unreported: u16,
    /// An fsync returned -EIO with every page intact, and nothing was lost since.
    pub spurious: bool,
    /// Tasks whose fsync has not reported an error since some page was
    /// last lost: their next -EIO reports that loss, even if a newer write
    /// has replaced the lost data since (errseq reports the error once per
    /// open file, whatever happened after it).
    pub unseen: u8,
    /// Outcomes that fired, as bits.
    pub fired: u16,
}

impl Oracle {
    pub(crate) fn init(&mut self, _st: &Static) {}

    pub(crate) fn write_begin(&mut self, v: Version) {
        self.pred[v.0 as usize] = self.returned | ALWAYS_OLDER;
    }

    fn superseded(&self, p: u8) -> u32 {
        self.sup[p as usize]
    }
}

impl World {
    /// A write's syscall returned; `pages` is the mask of pages it wrote.
    pub(crate) fn oracle_write_return(&mut self, v: Version, pages: u32) {
        if pages == 0 {
            return;
        }
        let o = &mut self.s.oracle;
        o.returned |= v.bit();
        let pred = o.pred[v.0 as usize];
        for p in 0..MAX_PAGES {
            if pages & (1 << p) != 0 {
                o.written[p] |= v.bit();
                o.sup[p] |= pred;
            }
        }
    }

    /// An O_DSYNC write returned: its data is promised durable.
    pub(crate) fn oracle_dsync(&mut self, v: Version) {
        self.s.oracle.durable |= v.bit();
    }

    /// Task `t`'s read got version `v` for page `p`: record it, and check it.
    pub(crate) fn read_value(&mut self, t: u8, p: u8, v: Version) {
        let task = &mut self.s.tasks[t as usize];
        task.rbuf[p as usize] = v;
        task.rgot |= 1 << p;
        let began = task.began;
        let o = &self.s.oracle;
        let newer =
            iter_set(began & o.written[p as usize]).find(|w| o.pred[w.0 as usize] & v.bit() != 0);
        if let Some(w) = newer {
            let why = {
                let st = &self.st;
                let opi = self.s.tasks[t as usize].op as usize;
                let op = st.scenario.tasks[t as usize]
                    .ops
                    .get(opi)
                    .map_or(String::new(), |o| o.to_string());
                format!(
                    "{}'s `{op}` got {} for page {p}, but {} had already returned before the read began",
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
                self.s.oracle.unreported = 0;
                if e == crate::world::Errno::EIO && lost == 0 && told_before {
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
    pub fn surviving(&self, p: u8) -> Version {
        if let Some(f) = self.s.cache.get(p) {
            if f.uptodate() && (f.dirty() || f.writeback()) {
                return f.ver;
            }
        }
        self.disk_content(p)
    }

    fn lost_now(&self) -> u16 {
        let mut lost = 0u16;
        for p in 0..self.st.pages {
            if self.s.oracle.superseded(p) & self.surviving(p).bit() != 0 {
                lost |= 1 << p;
            }
        }
        lost
    }

    /// After every step: which pages stopped being intact.
    pub(crate) fn oracle_track(&mut self) {
        let lost = self.lost_now();
        let o = &mut self.s.oracle;
        let new = lost & !o.lost;
        if new != 0 {
            o.unseen = u8::MAX;
        }
        o.unreported = (o.unreported | new) & lost;
        o.lost = lost;
        if lost != 0 {
            o.spurious = false;
        }
    }

    /// Power failure and recovery happened (the cache is empty): check what
    /// durable promises survived, then take the recovered state as the new
    /// baseline (non-durable data may be lost; that is not a bug).
    pub(crate) fn oracle_crash(&mut self) {
        let mut lost_pages = Vec::new();
        for p in 0..self.st.pages {
            let o = &self.s.oracle;
            let dsup = iter_set(o.durable & o.written[p as usize])
                .fold(0u32, |m, w| m | o.pred[w.0 as usize]);
            let c = self.disk_content(p);
            if dsup & c.bit() != 0 {
                let promised = iter_set(o.durable & o.written[p as usize]).last().unwrap();
                lost_pages.push((p, c, promised));
            }
        }
        if !lost_pages.is_empty() {
            let st = &self.st;
            let parts: Vec<String> = lost_pages
                .iter()
                .map(|(p, c, w)| {
                    format!(
                        "page {p} recovered as {} although {} was promised durable",
                        st.long_label(*c),
                        st.long_label(*w)
                    )
                })
                .collect();
            let why = parts.join("; ");
            self.fire(Outcome::LostWrite, why);
        }
        let o = &mut self.s.oracle;
        for p in 0..MAX_PAGES {
            o.written[p] &= o.durable;
            o.sup[p] = iter_set(o.written[p]).fold(0u32, |m, w| m | o.pred[w.0 as usize]);
        }
        o.spurious = false;
        o.unseen = 0;
        let lost = self.lost_now();
        let o = &mut self.s.oracle;
        o.lost = lost;
        o.unreported = 0;
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
                            self.st.long_label(f.ver),
                            self.st.long_label(disk)
                        );
                        self.fire(Outcome::StaleCache, why);
                        break;
                    }
                }
            }
        }
        let o = self.s.oracle;
        let gone = o.unreported & o.lost;
        if gone != 0 {
            let p = gone.trailing_zeros() as u8;
            let c = self.surviving(p);
            let newest = iter_set(o.written[p as usize])
                .filter(|w| o.pred[w.0 as usize] & c.bit() != 0)
                .last();
            let why = match newest {
                Some(w) => format!(
                    "page {p} holds {} but {} returned after it; the newer data is gone and no fsync reported an error",
                    self.st.long_label(c),
                    self.st.long_label(w)
                ),
                None => format!("page {p} lost its data and no fsync reported an error"),
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
        } = self;
        *unseen = p.tasks8(*unseen);
        *returned = p.versions(*returned);
        for s in pred.iter_mut() {
            *s = p.versions(*s);
        }
        p.by_version(pred);
        for s in written.iter_mut().chain(sup.iter_mut()) {
            *s = p.versions(*s);
        }
        *durable = p.versions(*durable);
    }
}
