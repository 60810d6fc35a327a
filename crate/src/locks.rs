//! Sleeping locks: `i_rwsem` (XFS IOLOCK), `mapping->invalidate_lock` (XFS
//! MMAPLOCK), each task's `mmap_lock`, the 2019 proposal's DIO rwsem, btrfs
//! extent range locks. Folio locks live in the folio ([`crate::pagecache`]).
//!
//! Holders are state; waiters are not: an actor waits when the step it is at
//! needs a lock it cannot take ([`crate::world::Need`]), which is what the
//! wait-for graph is built from.

use crate::world::{Holder, MAX_PAGES, MAX_TASKS};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LockId {
    /// `inode->i_rwsem`; XFS calls it the IOLOCK.
    IRwsem,
    /// `mapping->invalidate_lock` (5.15); XFS MMAPLOCK, ext4 i_mmap_sem before.
    InvalidateLock,
    /// The rwsem of Wilcox's 2019 proposal (never merged).
    DioRwsem,
    /// A task's `mm->mmap_lock`.
    MmapLock(u8),
}

impl LockId {
    pub fn name(self) -> String {
        match self {
            LockId::IRwsem => "i_rwsem".into(),
            LockId::InvalidateLock => "invalidate_lock".into(),
            LockId::DioRwsem => "dio_rwsem".into(),
            LockId::MmapLock(t) => format!("mmap_lock[{t}]"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    Shared,
    Excl,
}

/// A reader-writer semaphore: the writer (holder id + 1, 0 for none) and a
/// mask of readers by holder id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RwSem {
    pub writer: u8,
    pub readers: u16,
}

impl RwSem {
    pub fn is_free(&self) -> bool {
        self.writer == 0 && self.readers == 0
    }

    /// Whether `me` may take it in `mode`. `writer_waiting`: a writer is
    /// queued, and Linux rwsems then make new readers wait behind it.
    pub fn can_take(&self, mode: Mode, writer_waiting: bool) -> bool {
        match mode {
            Mode::Excl => self.is_free(),
            Mode::Shared => self.writer == 0 && !writer_waiting,
        }
    }

    pub fn take(&mut self, mode: Mode, me: Holder) {
        match mode {
            Mode::Excl => {
                debug_assert!(self.is_free());
                self.writer = me.0 + 1;
            }
            Mode::Shared => {
                debug_assert!(self.writer == 0);
                self.readers |= 1 << me.0;
            }
        }
    }

    pub fn release(&mut self, me: Holder) {
        if self.writer == me.0 + 1 {
            self.writer = 0;
        }
        self.readers &= !(1 << me.0);
    }

    pub fn held_by(&self, me: Holder) -> Option<Mode> {
        if self.writer == me.0 + 1 {
            Some(Mode::Excl)
        } else if self.readers & (1 << me.0) != 0 {
            Some(Mode::Shared)
        } else {
            None
        }
    }

    /// Every holder.
    pub fn holders(&self) -> impl Iterator<Item = (Holder, Mode)> + '_ {
        let w = (self.writer != 0).then(|| (Holder(self.writer - 1), Mode::Excl));
        w.into_iter().chain(
            (0..16)
                .filter(move |i| self.readers & (1 << i) != 0)
                .map(|i| (Holder(i), Mode::Shared)),
        )
    }
}

/// All sleeping locks of the inode and of the tasks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Locks {
    pub i_rwsem: RwSem,
    pub invalidate_lock: RwSem,
    pub dio_rwsem: RwSem,
    pub mmap_lock: [RwSem; MAX_TASKS],
    /// btrfs `lock_extent()` range locks, per page: holder id + 1.
    pub extent: [u8; MAX_PAGES],
}

impl Locks {
    pub fn get(&self, id: LockId) -> &RwSem {
        match id {
            LockId::IRwsem => &self.i_rwsem,
            LockId::InvalidateLock => &self.invalidate_lock,
            LockId::DioRwsem => &self.dio_rwsem,
            LockId::MmapLock(t) => &self.mmap_lock[t as usize],
        }
    }

    pub fn get_mut(&mut self, id: LockId) -> &mut RwSem {
        match id {
            LockId::IRwsem => &mut self.i_rwsem,
            LockId::InvalidateLock => &mut self.invalidate_lock,
            LockId::DioRwsem => &mut self.dio_rwsem,
            LockId::MmapLock(t) => &mut self.mmap_lock[t as usize],
        }
    }

    /// Releases every lock `me` holds (a crash, or the end of an op).
    pub fn release_all(&mut self, me: Holder) {
        self.i_rwsem.release(me);
        self.invalidate_lock.release(me);
        self.dio_rwsem.release(me);
        for l in &mut self.mmap_lock {
            l.release(me);
        }
        for e in &mut self.extent {
            if *e == me.0 + 1 {
                *e = 0;
            }
        }
    }

    /// Extent locks are not recursive: a range its own holder locks again
    /// is not free (the btrfs direct I/O page-fault deadlock, fixed ~5.16).
    pub fn extent_free(&self, lo: u8, hi: u8) -> bool {
        (lo..=hi).all(|p| self.extent[p as usize] == 0)
    }

    pub fn extent_take(&mut self, lo: u8, hi: u8, me: Holder) {
        for p in lo..=hi {
            self.extent[p as usize] = me.0 + 1;
        }
    }

    pub fn extent_release(&mut self, lo: u8, hi: u8, me: Holder) {
        for p in lo..=hi {
            if self.extent[p as usize] == me.0 + 1 {
                self.extent[p as usize] = 0;
            }
        }
    }
}

/// Symmetry (see [`crate::perm`]): holders everywhere, and each task's
/// mmap_lock moves with its task.
impl RwSem {
    pub fn permute(&mut self, p: &crate::perm::Perm) {
        let RwSem { writer, readers } = self;
        *writer = p.holder1(*writer);
        *readers = p.holders16(*readers);
    }
}

impl Locks {
    pub fn permute(&mut self, p: &crate::perm::Perm) {
        let Locks {
            i_rwsem,
            invalidate_lock,
            dio_rwsem,
            mmap_lock,
            extent,
        } = self;
        i_rwsem.permute(p);
        invalidate_lock.permute(p);
        dio_rwsem.permute(p);
        for l in mmap_lock.iter_mut() {
            l.permute(p);
        }
        p.by_task(mmap_lock);
        for e in extent.iter_mut() {
            *e = p.holder1(*e);
        }
    }
}
