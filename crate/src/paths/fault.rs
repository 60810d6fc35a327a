//! Page faults on the task's shared mapping of the file: `filemap_fault`
//! (find or read in the folio, map it) and, for a write fault,
//! `->page_mkwrite` (lock the folio, reserve delalloc over a hole, dirty it,
//! map it writable). Also the `mmap-read` / `mmap-write` ops, which are one
//! load or store, faulting first when the PTE does not allow it.
//!
//! Lock order: mmap_lock → invalidate_lock → folio lock. Which faults take
//! invalidate_lock is the `fault_lock` knob: XFS took its MMAPLOCK in every
//! fault (4.1), ext4 its i_mmap_sem; since 5.15 filemap_fault takes
//! invalidate_lock only to read a folio in, and page_mkwrite takes it.

use super::filemap::{add_and_read, create_need};
use super::{Progress, Sub};
use crate::extents::Ext;
use crate::fs::Fs;
use crate::locks::{LockId, Mode};
use crate::pagecache::DIRTY;
use crate::policy::FaultLock;
use crate::world::{Errno, Holder, Need, Ret, World};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Pc {
    Start,
    /// Waiting for the folio's read, or to insert it.
    Fill,
    /// ->page_mkwrite.
    Mkwrite,
}

/// A page fault on page `p` of the task's mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fault {
    pub p: u8,
    pub write: bool,
    pc: Pc,
    inval_held: bool,
}

fn takes_invalidate_lock(w: &World, p: u8, write: bool) -> bool {
    match w.st.policy.fault_lock {
        FaultLock::None => false,
        FaultLock::FsPrivate => matches!(w.st.fs, Fs::Xfs | Fs::Ext4),
        FaultLock::InvalidateLock => write || w.s.cache.get(p).is_none() || w.st.dax,
    }
}

impl Fault {
    pub fn new(p: u8, write: bool) -> Fault {
        Fault {
            p,
            write,
            pc: Pc::Start,
            inval_held: false,
        }
    }

    pub fn need(&self, w: &World, me: Holder) -> Need {
        let p = self.p;
        match self.pc {
            Pc::Start => {
                if takes_invalidate_lock(w, p, self.write) {
                    Need::Lock(LockId::InvalidateLock, Mode::Shared)
                } else {
                    Need::None
                }
            }
            Pc::Fill => match w.s.cache.get(p) {
                None => create_need(w, me, p, true),
                Some(f) if f.locked() => Need::FolioUnlocked(p),
                Some(_) => Need::None,
            },
            Pc::Mkwrite => {
                if w.s.cache.get(p).is_some() {
                    Need::FolioLock(p)
                } else {
                    Need::None
                }
            }
        }
    }

    fn finish(&mut self, w: &mut World, me: Holder) {
        if self.inval_held {
            w.s.locks.invalidate_lock.release(me);
            self.inval_held = false;
        }
        w.s.locks.mmap_lock[me.0 as usize].release(me);
    }

    fn map(&mut self, w: &mut World, me: Holder, writable: bool) {
        let bit = 1u16 << self.p;
        let t = &mut w.s.tasks[me.0 as usize];
        if writable {
            t.pte_rw |= bit;
            t.pte_ro &= !bit;
        } else {
            t.pte_ro |= bit;
        }
    }

    /// One step of the fault; `Done(Ok)` once the PTE allows the access.
    pub fn step(&mut self, w: &mut World, me: Holder) -> (&'static str, Sub<Result<(), Errno>>) {
        let p = self.p;
        match self.pc {
            Pc::Start => {
                w.s.locks.mmap_lock[me.0 as usize].take(Mode::Shared, me);
                self.inval_held = takes_invalidate_lock(w, p, self.write);
                if p >= w.s.i_size {
                    self.finish(w, me);
                    w.note(|_| format!("page {p} is past EOF → SIGBUS"));
                    return ("filemap_fault", Sub::Done(Err(Errno::SIGBUS)));
                }
                if w.st.dax {
                    return self.dax_fault(w, me);
                }
                match w.s.cache.get(p) {
                    Some(f) if f.uptodate() && !f.locked() => {
                        if self.write {
                            self.pc = Pc::Mkwrite;
                            w.note(|_| format!("folio {p} is cached; write fault → page_mkwrite"));
                            ("do_shared_fault", Sub::Running)
                        } else {
                            self.map(w, me, false);
                            self.finish(w, me);
                            w.note(|_| format!("folio {p} cached: mapped read-only"));
                            ("filemap_map_pages", Sub::Done(Ok(())))
                        }
                    }
                    Some(_) => {
                        self.pc = Pc::Fill;
                        ("filemap_fault", Sub::Running)
                    }
                    None => {
                        self.pc = Pc::Fill;
                        if create_need(w, me, p, true) == Need::None {
                            add_and_read(w, me, p, false);
                            ("filemap_fault: page_cache_ra_order", Sub::Running)
                        } else {
                            ("filemap_fault", Sub::Running)
                        }
                    }
                }
            }
            Pc::Fill => match w.s.cache.get(p).copied() {
                None => {
                    add_and_read(w, me, p, false);
                    ("filemap_fault: page_cache_ra_order", Sub::Running)
                }
                Some(f) if !f.uptodate() => {
                    self.finish(w, me);
                    w.note(|_| format!("folio {p} could not be read → SIGBUS"));
                    ("filemap_fault", Sub::Done(Err(Errno::SIGBUS)))
                }
                Some(_) => {
                    if self.write {
                        self.pc = Pc::Mkwrite;
                        ("filemap_fault: folio uptodate", Sub::Running)
                    } else {
                        self.map(w, me, false);
                        self.finish(w, me);
                        w.note(|_| format!("folio {p} mapped read-only"));
                        ("filemap_fault: finish_fault", Sub::Done(Ok(())))
                    }
                }
            },
            Pc::Mkwrite => {
                let name = w.st.fs.names().page_mkwrite;
                if w.s.cache.get(p).is_none() {
                    // truncated or invalidated under us: VM_FAULT_NOPAGE, retry
                    self.finish(w, me);
                    self.pc = Pc::Start;
                    w.note(|_| format!("folio {p} is gone: retry the fault"));
                    return (name, Sub::Running);
                }
                // need() locked the folio
                if p >= w.s.i_size {
                    w.s.cache.get_mut(p).unwrap().lock = 0;
                    self.finish(w, me);
                    return (name, Sub::Done(Err(Errno::SIGBUS)));
                }
                if let Ext::Hole(z) = w.s.ext.get(p) {
                    // iomap_page_mkwrite → ->iomap_begin(IOMAP_WRITE | IOMAP_FAULT)
                    w.s.ext.set(p, Ext::Delalloc(z));
                    w.note(|_| format!("page {p}: hole → delalloc"));
                }
                let f = w.s.cache.get_mut(p).unwrap();
                let was_dirty = f.dirty();
                f.flags |= DIRTY;
                f.lock = 0;
                self.map(w, me, true);
                self.finish(w, me);
                w.note(|_| {
                    if was_dirty {
                        format!("folio {p} already dirty; mapped writable")
                    } else {
                        format!("folio {p} dirtied (folio_mark_dirty); mapped writable")
                    }
                });
                (name, Sub::Done(Ok(())))
            }
        }
    }

    /// dax_iomap_fault(): map the pmem block itself (allocating it, zeroed,
    /// for a write over a hole); a poisoned block is SIGBUS.
    fn dax_fault(&mut self, w: &mut World, me: Holder) -> (&'static str, Sub<Result<(), Errno>>) {
        let p = self.p;
        let mut ext = w.s.ext.get(p);
        if self.write && !matches!(ext, Ext::Written(_)) {
            let b = match ext.block() {
                Some(b) => b,
                None => match w.s.ext.alloc(w.st.nblocks) {
                    Some(b) => b,
                    None => {
                        self.finish(w, me);
                        return ("dax_iomap_fault", Sub::Done(Err(Errno::SIGBUS)));
                    }
                },
            };
            let z = ext.zeroes().unwrap();
            w.s.dev.media[b as usize] = z;
            ext = Ext::Written(b);
            w.s.ext.set(p, ext);
            w.note(|_| format!("page {p}: block {b} allocated and zeroed"));
        }
        if let Some(b) = ext.block() {
            if w.s.dev.poison & (1 << b) != 0 {
                self.finish(w, me);
                w.note(|_| format!("block {b} is poisoned → SIGBUS"));
                return ("dax_iomap_fault", Sub::Done(Err(Errno::SIGBUS)));
            }
        }
        self.map(w, me, self.write);
        self.finish(w, me);
        w.note(|_| {
            format!(
                "page {p} mapped straight to pmem{}",
                if self.write { ", writable" } else { "" }
            )
        });
        ("dax_iomap_fault", Sub::Done(Ok(())))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MmapAccess {
    p: u8,
    write: bool,
    fault: Option<Fault>,
}

impl MmapAccess {
    pub fn new(p: u8, write: bool) -> MmapAccess {
        MmapAccess {
            p,
            write,
            fault: None,
        }
    }

    fn allowed(&self, w: &World, t: u8) -> bool {
        let task = &w.s.tasks[t as usize];
        let bit = 1u16 << self.p;
        if self.write {
            task.pte_rw & bit != 0
        } else {
            (task.pte_ro | task.pte_rw) & bit != 0
        }
    }

    pub fn need(&self, w: &World, t: u8) -> Need {
        match &self.fault {
            Some(f) => f.need(w, Holder(t)),
            None if self.allowed(w, t) => Need::None,
            None => Fault::new(self.p, self.write).need(w, Holder(t)),
        }
    }

    pub fn step(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let p = self.p;
        if self.fault.is_none() && self.allowed(w, t) {
            return self.access(w, t);
        }
        let f = self.fault.get_or_insert_with(|| Fault::new(p, self.write));
        match f.step(w, Holder(t)) {
            (n, Sub::Running) => (n, Progress::Continue),
            (n, Sub::Done(Ok(()))) => {
                self.fault = None;
                (n, Progress::Continue)
            }
            (n, Sub::Done(Err(e))) => (n, Progress::Return(Ret::Err(e))),
        }
    }

    /// The load or store itself: one step, which is when it begins and
    /// returns for the oracles.
    fn access(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let p = self.p;
        let opi = w.s.tasks[t as usize].op as usize;
        w.s.tasks[t as usize].began = w.s.oracle.returned;
        let dax_block = if w.st.dax {
            w.s.ext.get(p).block()
        } else {
            None
        };
        if self.write {
            let v = w.st.op_ver[t as usize][opi].expect("mmap-write writes a version");
            w.s.oracle.write_begin(v);
            match dax_block {
                Some(b) => w.s.dev.media[b as usize] = v,
                None => {
                    w.s.cache
                        .get_mut(p)
                        .expect("writable PTE without folio")
                        .ver = v
                }
            }
            w.note(|w| format!("store {} to page {p}", w.st.label(v)));
            ("store", Progress::Return(Ret::Pages(1)))
        } else {
            let v = match (dax_block, w.st.dax) {
                (Some(b), _) => w.s.dev.media[b as usize],
                (None, true) => w.disk_content(p),
                (None, false) => w.s.cache.get(p).expect("mapped PTE without folio").ver,
            };
            w.read_value(t, p, v);
            w.note(|w| format!("load page {p} = {}", w.st.label(v)));
            ("load", Progress::Return(Ret::Pages(1)))
        }
    }
}

/// Symmetry (see [`crate::perm`]): these path states keep no task id and
/// no version (they name them through the task index and `op_ver`); one
/// that stores either must rename it here.
impl Fault {
    pub fn permute(&mut self, _p: &crate::perm::Perm) {
        let Fault {
            p: _,
            write: _,
            pc: _,
            inval_held: _,
        } = self;
    }
}
impl MmapAccess {
    pub fn permute(&mut self, p: &crate::perm::Perm) {
        let MmapAccess {
            p: _,
            write: _,
            fault,
        } = self;
        if let Some(f) = fault {
            f.permute(p);
        }
    }
}
