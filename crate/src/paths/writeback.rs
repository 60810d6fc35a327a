//! Writeback: `->writepages` of one folio (clear dirty, start writeback,
//! map blocks converting delalloc, submit), `filemap_write_and_wait_range`
//! as a sub-machine, the `writeback` op and the background flusher.

use super::{Progress, Sub};
use crate::device::{Bio, BioKind};
use crate::extents::Ext;
use crate::pagecache::{DIRTY, WRITEBACK};
use crate::world::{Holder, Need, World};

/// Writes back folio `p`, which the caller has locked and found dirty:
/// folio_clear_dirty_for_io(), folio_start_writeback(), ->map_blocks,
/// submit_bio(). The folio stays locked (the caller unlocks it).
pub fn writepage(w: &mut World, me: Holder, p: u8) {
    let bit: crate::world::Pages = 1 << p;
    // folio_clear_dirty_for_io(): write-protect every mapping before
    // cleaning, so the next store faults and dirties it again.
    for t in w.s.tasks.iter_mut() {
        if t.pte_rw & bit != 0 {
            t.pte_rw &= !bit;
            t.pte_ro |= bit;
        }
    }
    let f = w.s.cache.get_mut(p).expect("writepage of a missing folio");
    f.clear(DIRTY);
    f.set(WRITEBACK);
    let ver = f.ver;
    let block = match w.s.ext.get(p) {
        Ext::Delalloc(_) => convert_delalloc(w, p),
        Ext::Unwritten(b, _) | Ext::Written(b) => Some(b),
        Ext::Hole(_) => None,
    };
    match block {
        Some(b) => {
            w.s.dev.submit(Bio {
                kind: BioKind::Writeback,
                block: b,
                page: p,
                ver,
                fua: false,
                owner: me,
                op: 0,
            });
            w.note(|w| {
                format!(
                    "folio {p}: dirty → writeback; bio writes {} to block {b}",
                    w.st.dlabel(p, ver)
                )
            });
        }
        None => {
            // iomap_writepage_map() skips a hole: nothing is written and the
            // folio is clean now. The data exists only in this folio.
            w.s.cache.get_mut(p).unwrap().clear(WRITEBACK);
            w.note(|w| {
                format!(
                    "folio {p}: no block behind it (a hole); {} is not written anywhere",
                    w.st.dlabel(p, ver)
                )
            });
        }
    }
}

/// Delayed allocation: allocate blocks for the whole delalloc extent
/// around `p` (XFS converts an extent at a time, so post-EOF speculative
/// preallocation is allocated too, beyond the range being written: the
/// point of the 2019-12 thread). New blocks are unwritten until the write
/// completes.
fn convert_delalloc(w: &mut World, p: u8) -> Option<u8> {
    let cap = w.st.pages;
    let (lo, hi) = w.s.ext.delalloc_run(p, cap);
    let mut mine = None;
    for q in lo..=hi {
        let Ext::Delalloc(z) = w.s.ext.get(q) else {
            continue;
        };
        let Some(b) = w.s.ext.alloc(w.st.nblocks) else {
            break;
        };
        w.s.ext.set(q, Ext::Unwritten(b, z));
        if q == p {
            mine = Some(b);
        }
    }
    w.note(|w| {
        let what = if lo == hi {
            format!("page {lo}")
        } else {
            format!("pages {lo}-{hi}")
        };
        let beyond = if hi >= w.s.i_size {
            " (past EOF: speculative preallocation)"
        } else {
            ""
        };
        format!("delalloc conversion: {what} get unwritten blocks{beyond}")
    });
    mine
}

/// `filemap_write_and_wait_range()` (sync) or `filemap_fdatawrite_range()`
/// (not sync) over pages `lo..=hi`: write back every dirty folio, then (sync)
/// wait for writeback of every folio in the range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Flush {
    pub lo: u8,
    pub hi: u8,
    cur: u8,
    waiting: bool,
    /// WB_SYNC_ALL: wait for folios already under writeback, then wait for all.
    sync: bool,
    /// Whether a step has been taken (for naming a no-op first step).
    did: bool,
}

impl Flush {
    pub fn new(lo: u8, hi: u8, sync: bool) -> Flush {
        Flush {
            lo,
            hi,
            cur: lo,
            waiting: false,
            sync,
            did: false,
        }
    }

    fn next_dirty(&self, w: &World) -> Option<u8> {
        if self.waiting {
            return None;
        }
        w.s.cache.find(self.cur, self.hi, |f| {
            f.dirty() && (self.sync || !f.writeback())
        })
    }

    fn next_wb(&self, w: &World) -> Option<u8> {
        let from = if self.waiting { self.cur } else { self.lo };
        w.s.cache.find(from, self.hi, |f| f.writeback())
    }

    pub fn need(&self, w: &World) -> Need {
        if let Some(p) = self.next_dirty(w) {
            if w.s.dev.queue_full() {
                return Need::QueueSpace;
            }
            return if self.sync {
                Need::FolioLockNoWb(p)
            } else {
                Need::FolioLock(p)
            };
        }
        if !self.sync {
            return Need::None;
        }
        match self.next_wb(w) {
            Some(p) => Need::NoWriteback(p),
            None => Need::None,
        }
    }

    /// One step. `Done(())` when the range is written (and waited on).
    pub fn step(&mut self, w: &mut World, me: Holder) -> (&'static str, Sub<()>) {
        if let Some(p) = self.next_dirty(w) {
            // need() took the folio lock (and waited out writeback if sync)
            writepage(w, me, p);
            w.s.cache.get_mut(p).unwrap().lock = 0;
            self.cur = p + 1;
            self.did = true;
            let more = self.next_dirty(w).is_some() || (self.sync && self.next_wb(w).is_some());
            let name = w.st.fs.names().writepage;
            if !more && !self.sync {
                return (name, Sub::Done(()));
            }
            return (name, Sub::Running);
        }
        if !self.sync {
            return ("filemap_fdatawrite_range", Sub::Done(()));
        }
        if !self.waiting {
            self.waiting = true;
            self.cur = self.lo;
        }
        // need() waited for the first folio under writeback from `cur` (if
        // there was one): it is done; wait for the next one.
        let idle = !self.did;
        self.did = true;
        match w.s.cache.find(self.cur, self.hi, |f| f.writeback()) {
            Some(q) => {
                self.cur = q;
                ("folio_wait_writeback", Sub::Running)
            }
            None if idle => {
                w.note(|_| "nothing dirty, nothing under writeback".to_string());
                ("filemap_write_and_wait_range", Sub::Done(()))
            }
            None => ("folio_wait_writeback", Sub::Done(())),
        }
    }
}

/// filemap_check_errors(): test and clear AS_EIO (what
/// filemap_write_and_wait_range() returns).
pub fn check_as_eio(w: &mut World) -> bool {
    let e = w.s.as_eio;
    w.s.as_eio = false;
    if e {
        w.note(|_| "filemap_check_errors: AS_EIO was set → -EIO (and cleared)".to_string());
    }
    e
}

/// mapping_set_error(): a writeback error goes into `wb_err` (errseq) and
/// the legacy AS_EIO flag.
pub fn mapping_set_error(w: &mut World, errno: u8) {
    w.s.wb_err.set(errno);
    w.s.as_eio = true;
}

/// The `writeback` op: start writeback of every dirty folio (WB_SYNC_NONE,
/// like the flusher or `sync_file_range(SYNC_FILE_RANGE_WRITE)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WritebackOp {
    flush: Flush,
}

impl WritebackOp {
    pub fn new(w: &World) -> WritebackOp {
        WritebackOp {
            flush: Flush::new(0, w.st.pages - 1, false),
        }
    }
    pub fn need(&self, w: &World, _t: u8) -> Need {
        self.flush.need(w)
    }
    pub fn step(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        match self.flush.step(w, Holder(t)) {
            (n, Sub::Running) => (n, Progress::Continue),
            (n, Sub::Done(())) => (n, Progress::Return(crate::world::Ret::Pages(0))),
        }
    }
}

/// The flusher thread (wb_workfn) writes back the lowest dirty folio not
/// already under writeback, one folio per step, while tasks run.
pub fn flusher_need(w: &World) -> Option<Need> {
    if !w.st.scenario.setup.flusher {
        return None;
    }
    let p =
        w.s.cache
            .find(0, w.st.pages - 1, |f| f.dirty() && !f.writeback())?;
    Some(if w.s.dev.queue_full() {
        Need::QueueSpace
    } else {
        Need::FolioLock(p)
    })
}

pub fn flusher_step(w: &mut World) -> &'static str {
    let p =
        w.s.cache
            .find(0, w.st.pages - 1, |f| f.dirty() && !f.writeback())
            .expect("flusher enabled without work");
    // the engine took the folio lock
    writepage(w, Holder::FLUSH, p);
    w.s.cache.get_mut(p).unwrap().lock = 0;
    w.st.fs.names().writepage
}

/// Symmetry (see [`crate::perm`]): these path states keep no task id and
/// no version (they name them through the task index and `op_ver`); one
/// that stores either must rename it here.
impl Flush {
    pub fn permute(&mut self, _p: &crate::perm::Perm) {
        let Flush {
            lo: _,
            hi: _,
            cur: _,
            waiting: _,
            sync: _,
            did: _,
        } = self;
    }
}
impl WritebackOp {
    pub fn permute(&mut self, p: &crate::perm::Perm) {
        let WritebackOp { flush } = self;
        flush.permute(p);
    }
}
