//! A buffered read (`filemap_read`): for each page, find the folio or read
//! it in (readahead inserts a locked folio and submits a read bio; the bio's
//! completion marks it uptodate and unlocks it), wait for it, copy it out.
//! XFS holds i_rwsem shared across the read (xfs_file_buffered_read); the
//! VFS does not.

use super::filemap::{add_and_read, create_need};
use super::Progress;
use crate::locks::{LockId, Mode};
use crate::ops::Range;
use crate::pagecache::DROPBEHIND;
use crate::policy::FaultLock;
use crate::world::{Errno, Holder, Need, Ret, World};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BufRead {
    lo: u8,
    hi: u8,
    cur: u8,
    locked: bool,
    /// i_rwsem still to take (XFS).
    lock_first: bool,
    dontcache: bool,
    /// invalidate_lock taken for readahead (5.15+).
    inval_held: bool,
}

impl BufRead {
    pub fn new(w: &World, r: Range, dontcache: bool) -> BufRead {
        BufRead {
            lo: r.lo,
            hi: r.hi,
            cur: r.lo,
            locked: false,
            lock_first: w.st.fs.buffered_read_locks(),
            dontcache,
            inval_held: false,
        }
    }

    /// page_cache_ra_unbounded() takes invalidate_lock shared (5.15+).
    fn readahead_locks(w: &World) -> bool {
        w.st.policy.fault_lock == FaultLock::InvalidateLock
    }

    pub fn need(&self, w: &World, t: u8) -> Need {
        if self.lock_first {
            return Need::Lock(LockId::IRwsem, Mode::Shared);
        }
        let p = self.cur;
        if p > self.hi || p >= w.s.i_size {
            return Need::None;
        }
        match w.s.cache.get(p) {
            None => {
                if Self::readahead_locks(w) && !self.inval_held {
                    Need::Lock(LockId::InvalidateLock, Mode::Shared)
                } else {
                    create_need(w, Holder(t), p, true)
                }
            }
            Some(f) if f.locked() => Need::FolioUnlocked(p),
            Some(_) => Need::None,
        }
    }

    fn ret(&mut self, w: &mut World, t: u8, r: Ret) -> Progress {
        if self.locked {
            w.s.locks.i_rwsem.release(Holder(t));
        }
        Progress::Return(r)
    }

    pub fn step(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let me = Holder(t);
        if self.lock_first {
            self.lock_first = false;
            self.locked = true;
            let name = w.st.fs.names().ilock_shared;
            if self.lo >= w.s.i_size {
                w.note(|_| "read starts past EOF: 0 bytes".to_string());
                return (name, self.ret(w, t, Ret::Pages(0)));
            }
            return (name, Progress::Continue);
        }
        let p = self.cur;
        if p > self.hi || p >= w.s.i_size {
            let n = p - self.lo;
            w.note(|_| format!("read stops at EOF after {n} pages"));
            return ("filemap_read", self.ret(w, t, Ret::Pages(n)));
        }
        match w.s.cache.get(p).copied() {
            None => {
                if Self::readahead_locks(w) && !self.inval_held {
                    self.inval_held = true;
                    if create_need(w, me, p, true) != Need::None {
                        return ("filemap_invalidate_lock_shared", Progress::Continue);
                    }
                }
                add_and_read(w, me, p, self.dontcache);
                if self.inval_held {
                    w.s.locks.invalidate_lock.release(me);
                    self.inval_held = false;
                }
                ("page_cache_ra_unbounded", Progress::Continue)
            }
            Some(f) if !f.uptodate() => {
                w.note(|_| format!("folio {p} is not uptodate after its read: I/O error"));
                let r = if p > self.lo {
                    Ret::Pages(p - self.lo)
                } else {
                    Ret::Err(Errno::EIO)
                };
                ("filemap_read", self.ret(w, t, r))
            }
            Some(f) => {
                // copy_folio_to_iter()
                w.read_value(t, p, f.ver);
                if let Some(c) = w.counters() {
                    c.cpu_bytes += 4096;
                }
                w.note(|w| {
                    format!(
                        "copy folio {p} = {} to the user buffer",
                        w.st.dlabel(p, f.ver)
                    )
                });
                if f.has(DROPBEHIND) && super::invalidate::dropbehind_droppable(w, p) {
                    // filemap_end_dropbehind_read() → folio_unmap_invalidate()
                    super::invalidate::remove_folio(w, p);
                    w.note(|_| format!("folio {p} dropped (dontcache read)"));
                }
                self.cur += 1;
                if self.cur > self.hi || self.cur >= w.s.i_size {
                    let n = self.cur - self.lo;
                    return ("copy_folio_to_iter", self.ret(w, t, Ret::Pages(n)));
                }
                ("copy_folio_to_iter", Progress::Continue)
            }
        }
    }
}

/// Symmetry (see [`crate::perm`]): these path states keep no task id and
/// no version (they name them through the task index and `op_ver`); one
/// that stores either must rename it here.
impl BufRead {
    pub fn permute(&mut self, _p: &crate::perm::Perm) {
        let BufRead {
            lo: _,
            hi: _,
            cur: _,
            locked: _,
            lock_first: _,
            dontcache: _,
            inval_held: _,
        } = self;
    }
}
