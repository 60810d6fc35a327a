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

use super::filemap::{read_around, read_around_need};
use super::{Progress, Sub};
use crate::extents::Ext;
use crate::fs::Fs;
use crate::locks::{LockId, Mode};
use crate::pagecache::{DIRTY, ORDERED};
use crate::policy::FaultLock;
use crate::world::{Errno, Holder, Need, Ret, World};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Pc {
    Start,
    /// Waiting for the folio's read, or to insert it.
    Fill,
    /// ->page_mkwrite.
    Mkwrite,
    /// A write fault on a private mapping: do_cow_fault copies the file's
    /// folio into an anonymous page.
    Cow,
}

/// A page fault on page `p` of the task's mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fault {
    pub p: u8,
    pub write: bool,
    /// The task's private (MAP_PRIVATE) mapping rather than its shared one.
    pub private: bool,
    pc: Pc,
    inval_held: bool,
    /// btrfs: i_mmap_lock held shared by page_mkwrite.
    btrfs_mmap_held: bool,
}

/// Whether the fault takes invalidate_lock (XFS MMAPLOCK, ext4
/// i_mmap_sem) shared. Before 5.15 XFS and ext4 took their lock in every
/// fault; since, filemap_fault takes it only to read a folio in, and the
/// page_mkwrite of XFS and ext4 takes it (btrfs's takes its own
/// i_mmap_lock instead, see [`takes_btrfs_mmap_lock`]).
fn takes_invalidate_lock(w: &World, p: u8, mkwrite: bool) -> bool {
    match w.st.policy.fault_lock {
        FaultLock::None => false,
        FaultLock::FsPrivate => matches!(w.st.fs, Fs::Xfs | Fs::Ext4),
        FaultLock::InvalidateLock => {
            (mkwrite && w.st.fs != Fs::Btrfs) || w.s.cache.get(p).is_none() || w.st.dax
        }
    }
}

/// btrfs_page_mkwrite: down_read(&BTRFS_I(inode)->i_mmap_lock) (~5.12).
fn takes_btrfs_mmap_lock(w: &World) -> bool {
    w.st.policy.fault_lock != FaultLock::None && w.st.fs.btrfs_mmap_lock(w.st.policy.kernel)
}

/// A fault step's name and how the fault goes on.
type FaultStep = (&'static str, Sub<Result<(), Errno>>);

impl Fault {
    pub fn new(p: u8, write: bool) -> Fault {
        Fault {
            p,
            write,
            private: false,
            pc: Pc::Start,
            inval_held: false,
            btrfs_mmap_held: false,
        }
    }

    /// The fault is on the task's private mapping.
    pub fn private(self, private: bool) -> Fault {
        Fault { private, ..self }
    }

    /// A write fault that calls ->page_mkwrite (a shared mapping's).
    fn mkwrite(&self) -> bool {
        self.write && !self.private
    }

    /// What a filled folio leads to: page_mkwrite, a COW copy, or a
    /// read-only mapping.
    fn after_fill(&self) -> Option<Pc> {
        match (self.write, self.private) {
            (true, false) => Some(Pc::Mkwrite),
            (true, true) => Some(Pc::Cow),
            (false, _) => None,
        }
    }

    pub fn need(&self, w: &World, me: Holder) -> Need {
        let p = self.p;
        match self.pc {
            Pc::Start => {
                if takes_invalidate_lock(w, p, self.mkwrite()) {
                    Need::Lock(LockId::InvalidateLock, Mode::Shared)
                } else {
                    Need::None
                }
            }
            Pc::Fill => match w.s.cache.get(p) {
                None => read_around_need(w, me, p),
                Some(f) if f.locked() => Need::FolioUnlocked(p),
                Some(_) => Need::None,
            },
            Pc::Cow => {
                if w.s.cache.get(p).is_some() {
                    Need::FolioLock(p)
                } else {
                    Need::None
                }
            }
            Pc::Mkwrite => {
                if takes_btrfs_mmap_lock(w) && !self.btrfs_mmap_held {
                    return Need::Lock(LockId::BtrfsMmap, Mode::Shared);
                }
                match w.s.cache.get(p) {
                    None => Need::None,
                    Some(f) if w.st.fs.mkwrite_waits_for_writeback() => {
                        // btrfs_page_mkwrite: lock, wait for writeback, then
                        // wait for a pending ordered extent unlocked (and
                        // `goto again`)
                        if f.has(ORDERED) && !f.writeback() && !f.locked() {
                            Need::NoOrdered(p)
                        } else {
                            Need::FolioLockNoWb(p)
                        }
                    }
                    Some(_) => Need::FolioLock(p),
                }
            }
        }
    }

    /// filemap_fault holds a reference on the folio it found or created
    /// (__filemap_get_folio) while it waits for the read and takes the
    /// folio lock, until finish_fault maps it (then the page table holds
    /// it). Reclaim cannot free a folio with an extra reference
    /// (__remove_mapping: folio_ref_freeze(folio, 1 + nr) fails;
    /// mapping_evict_folio: the refcount is too high), so the folio a task
    /// is faulting in is not evicted under it. filemap_read holds its
    /// batch's references the same way (filemap.rs, add_and_read).
    ///
    /// Without these references the model livelocked under the timed
    /// scheduler (issue 12): kswapd's steps cost nothing and wait for no
    /// CPU, while a task woken from the folio lock pays a wake-up, so
    /// kswapd always ran between the read's completion and the task's next
    /// step, evicted the clean, unlocked, unmapped folio, and the task read
    /// it in again, forever. The first-runnable scheduler runs tasks before
    /// kswapd, and a random one breaks the cycle with probability 1/2 per
    /// round, which is why only the timed runs hit the step cap.
    fn hold_ref(&self, w: &mut World, me: Holder) {
        w.s.tasks[me.0 as usize].folio_ref |= 1 << self.p;
    }

    fn finish(&mut self, w: &mut World, me: Holder) {
        w.s.tasks[me.0 as usize].folio_ref &= !(1 << self.p);
        if self.inval_held {
            w.s.locks.invalidate_lock.release(me);
            self.inval_held = false;
        }
        if self.btrfs_mmap_held {
            w.s.locks.btrfs_mmap.release(me);
            self.btrfs_mmap_held = false;
        }
        w.s.locks.mmap_lock[me.0 as usize].release(me);
    }

    fn map(&mut self, w: &mut World, me: Holder, writable: bool) {
        let bit: crate::world::Pages = 1 << self.p;
        let t = &mut w.s.tasks[me.0 as usize];
        if self.private {
            // writable private pages are anonymous copies (Pc::Cow)
            t.priv_ro |= bit;
            return;
        }
        if writable {
            t.pte_rw |= bit;
            t.pte_ro &= !bit;
        } else {
            t.pte_ro |= bit;
        }
    }

    /// One step of the fault; `Done(Ok)` once the PTE allows the access.
    pub fn step(&mut self, w: &mut World, me: Holder) -> (&'static str, Sub<Result<(), Errno>>) {
        match self.pc {
            Pc::Start => self.filemap_fault(w, me),
            Pc::Fill => self.filemap_fault_fill(w, me),
            Pc::Cow => self.do_cow_fault(w, me),
            Pc::Mkwrite => self.page_mkwrite(w, me),
        }
    }

    /// filemap_fault(): under mmap_lock (and the invalidate lock where the
    /// kernel takes it), look the folio up; start its read if it is missing.
    fn filemap_fault(&mut self, w: &mut World, me: Holder) -> FaultStep {
        let p = self.p;
        w.s.locks.mmap_lock[me.0 as usize].take(Mode::Shared, me);
        self.inval_held = takes_invalidate_lock(w, p, self.mkwrite());
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
                if let Some(next) = self.after_fill() {
                    self.hold_ref(w, me);
                    self.pc = next;
                    if next == Pc::Cow {
                        w.note(|_| format!("folio {p} is cached; write fault on a private mapping → copy on write"));
                        return ("do_cow_fault", Sub::Running);
                    }
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
                self.hold_ref(w, me);
                self.pc = Pc::Fill;
                ("filemap_fault", Sub::Running)
            }
            None => {
                self.pc = Pc::Fill;
                if read_around_need(w, me, p) == Need::None {
                    read_around(w, me, p);
                    self.hold_ref(w, me);
                    ("filemap_fault: page_cache_ra_order", Sub::Running)
                } else {
                    ("filemap_fault", Sub::Running)
                }
            }
        }
    }

    /// filemap_fault() after the read: SIGBUS if it failed, else map the
    /// folio or go on to the write fault.
    fn filemap_fault_fill(&mut self, w: &mut World, me: Holder) -> FaultStep {
        let p = self.p;
        match w.s.cache.get(p).copied() {
            None => {
                read_around(w, me, p);
                self.hold_ref(w, me);
                ("filemap_fault: page_cache_ra_order", Sub::Running)
            }
            Some(f) if !f.uptodate() => {
                self.finish(w, me);
                w.note(|_| format!("folio {p} could not be read → SIGBUS"));
                ("filemap_fault", Sub::Done(Err(Errno::SIGBUS)))
            }
            Some(_) => {
                if let Some(next) = self.after_fill() {
                    self.pc = next;
                    ("filemap_fault: folio uptodate", Sub::Running)
                } else {
                    self.map(w, me, false);
                    self.finish(w, me);
                    w.note(|_| format!("folio {p} mapped read-only"));
                    ("filemap_fault: finish_fault", Sub::Done(Ok(())))
                }
            }
        }
    }

    /// do_cow_fault(): a write fault on a private mapping copies the locked
    /// folio to an anonymous page.
    fn do_cow_fault(&mut self, w: &mut World, me: Holder) -> FaultStep {
        let p = self.p;
        if w.s.cache.get(p).is_none() {
            self.finish(w, me);
            self.pc = Pc::Start;
            w.note(|_| format!("folio {p} is gone: retry the fault"));
            return ("do_cow_fault", Sub::Running);
        }
        // need() locked the folio: copy it to a new anonymous page
        let f = w.s.cache.get_mut(p).unwrap();
        f.lock = 0;
        let v = f.ver;
        let t = &mut w.s.tasks[me.0 as usize];
        t.priv_anon |= 1 << p;
        t.priv_ro &= !(1 << p);
        if let Some(c) = w.counters() {
            c.cpu_bytes += 4096;
        }
        self.finish(w, me);
        w.note(|w| {
            format!(
                "copy_mc_user_highpage: folio {p} ({}) copied to {}'s anonymous page; mapped writable",
                w.st.dlabel(p, v),
                w.st.task_name(me.0)
            )
        });
        ("do_cow_fault", Sub::Done(Ok(())))
    }

    /// do_shared_fault() → ->page_mkwrite on the locked folio: dirty it and
    /// map it writable, or retry if it went away meanwhile.
    fn page_mkwrite(&mut self, w: &mut World, me: Holder) -> FaultStep {
        let p = self.p;
        let name = w.st.fs.names().page_mkwrite;
        if takes_btrfs_mmap_lock(w) && !self.btrfs_mmap_held {
            // the engine took it shared; the folio lock is next
            self.btrfs_mmap_held = true;
            return ("btrfs_page_mkwrite: down_read(i_mmap_lock)", Sub::Running);
        }
        if w.s.cache.get(p).is_none() {
            // truncated or invalidated under us: VM_FAULT_NOPAGE, retry
            self.finish(w, me);
            self.pc = Pc::Start;
            w.note(|_| format!("folio {p} is gone: retry the fault"));
            return (name, Sub::Running);
        }
        // need() locked the folio (and, on btrfs, waited for its
        // writeback)
        if w.st.fs.mkwrite_waits_for_writeback() && w.s.cache.get(p).unwrap().has(ORDERED) {
            // btrfs_lookup_ordered_range found the ordered extent of
            // a writeback that has ended: unlock, wait, `goto again`
            w.s.cache.get_mut(p).unwrap().lock = 0;
            if self.btrfs_mmap_held {
                w.s.locks.btrfs_mmap.release(me);
                self.btrfs_mmap_held = false;
            }
            w.note(|_| format!("folio {p}: its ordered extent is still pending: unlock, btrfs_start_ordered_extent, goto again"));
            return (name, Sub::Running);
        }
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
        // filemap_fault's lookup (__filemap_get_folio, no
        // FGP_DONTCACHE) cleared a dropbehind mark
        f.clear(crate::pagecache::DROPBEHIND);
        f.flags |= DIRTY;
        f.lock = 0;
        self.map(w, me, true);
        self.finish(w, me);
        w.note(|w| {
            if was_dirty {
                format!("folio {p} already dirty; mapped writable")
            } else {
                format!(
                    "folio {p} dirtied ({}); mapped writable",
                    crate::release::mark_dirty(w.st.policy.kernel)
                )
            }
        });
        (name, Sub::Done(Ok(())))
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
            w.s.dev.media[b as usize] = crate::version::Data::all(z);
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
        let bit: crate::world::Pages = 1 << self.p;
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
            // the store covers the op's bytes, or the whole page
            let bytes = w.st.scenario.tasks[t as usize].ops[opi].page_bytes(p);
            let m = w.st.frags[p as usize].of(bytes);
            let data = match dax_block {
                Some(b) => {
                    let d = w.s.dev.media[b as usize].with(m, v);
                    w.s.dev.media[b as usize] = d;
                    d
                }
                None => {
                    let f = w.s.cache.get_mut(p).expect("writable PTE without folio");
                    f.ver = f.ver.with(m, v);
                    f.ver
                }
            };
            w.note(|w| {
                let what = match bytes {
                    Some(b) => format!(
                        "store {} to page {p} {b} (page {p} now {})",
                        w.st.label(v),
                        w.st.dlabel(p, data)
                    ),
                    None => format!("store {} to page {p}", w.st.label(v)),
                };
                what
            });
            ("store", Progress::Return(Ret::Pages(1)))
        } else {
            let v = match (dax_block, w.st.dax) {
                (Some(b), _) => w.s.dev.media[b as usize],
                (None, true) => w.disk_content(p),
                (None, false) => w.s.cache.get(p).expect("mapped PTE without folio").ver,
            };
            w.read_value(t, p, v);
            w.note(|w| format!("load page {p} = {}", w.st.dlabel(p, v)));
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
            btrfs_mmap_held: _,
            private: _,
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
