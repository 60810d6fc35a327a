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
    /// btrfs's own `BTRFS_I(inode)->i_mmap_lock` (~5.12): taken shared by
    /// btrfs_page_mkwrite, exclusive by fallocate and hole punching.
    BtrfsMmap,
    /// A task's `mm->mmap_lock`.
    MmapLock(u8),
}

impl LockId {
    pub fn name(self) -> String {
        match self {
            LockId::IRwsem => "i_rwsem".into(),
            LockId::InvalidateLock => "invalidate_lock".into(),
            LockId::DioRwsem => "dio_rwsem".into(),
            LockId::BtrfsMmap => "i_mmap_lock".into(),
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

    /// downgrade_write() (xfs_ilock_demote): the writer becomes a reader.
    pub fn demote(&mut self, me: Holder) {
        if self.writer == me.0 + 1 {
            self.writer = 0;
            self.readers |= 1 << me.0;
        }
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
/// Only the first `n` entries of `extent` (the file's pages) are used;
/// hashing, comparing and renaming stop there (see
/// [`crate::pagecache::PageCache`]).
#[derive(Clone, Copy, Debug, Eq)]
pub struct Locks {
    pub i_rwsem: RwSem,
    pub invalidate_lock: RwSem,
    pub dio_rwsem: RwSem,
    pub btrfs_mmap: RwSem,
    pub mmap_lock: [RwSem; MAX_TASKS],
    /// btrfs `lock_extent()` range locks, per page: holder id + 1, or a
    /// direct write's ordered extent ([`ordered_extent`]).
    pub extent: [u8; MAX_PAGES],
    pub n: u8,
}

impl PartialEq for Locks {
    fn eq(&self, o: &Locks) -> bool {
        self.n == o.n
            && self.i_rwsem == o.i_rwsem
            && self.invalidate_lock == o.invalidate_lock
            && self.dio_rwsem == o.dio_rwsem
            && self.btrfs_mmap == o.btrfs_mmap
            && self.mmap_lock == o.mmap_lock
            && self.extent[..usize::from(self.n)] == o.extent[..usize::from(o.n)]
    }
}

impl std::hash::Hash for Locks {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.i_rwsem.hash(h);
        self.invalidate_lock.hash(h);
        self.dio_rwsem.hash(h);
        self.btrfs_mmap.hash(h);
        self.mmap_lock.hash(h);
        self.extent[..usize::from(self.n)].hash(h);
    }
}

impl Default for Locks {
    fn default() -> Self {
        Locks::new(MAX_PAGES as u8)
    }
}

impl Locks {
    /// Nothing held, for a file of `n` pages.
    pub fn new(n: u8) -> Locks {
        Locks {
            i_rwsem: RwSem::default(),
            invalidate_lock: RwSem::default(),
            dio_rwsem: RwSem::default(),
            btrfs_mmap: RwSem::default(),
            mmap_lock: [RwSem::default(); MAX_TASKS],
            extent: [0; MAX_PAGES],
            n,
        }
    }
}

/// An `extent` entry held by task `h`'s direct write's ordered extent
/// rather than by a task: btrfs_dio_iomap_begin unlocks a write's range
/// once the ordered extent exists, but readers
/// (btrfs_lock_and_flush_ordered_range) still wait for it until
/// btrfs_finish_ordered_io has run after the bio.
pub fn ordered_extent(h: Holder) -> u8 {
    ORDERED | h.0
}

/// The bit of an `extent` entry that marks an ordered extent.
pub const ORDERED: u8 = 0x80;

/// The task whose direct write's ordered extent an `extent` entry is.
pub fn ordered_owner(e: u8) -> Option<Holder> {
    (e & ORDERED != 0).then_some(Holder(e & !ORDERED))
}

impl Locks {
    pub fn get(&self, id: LockId) -> &RwSem {
        match id {
            LockId::IRwsem => &self.i_rwsem,
            LockId::InvalidateLock => &self.invalidate_lock,
            LockId::DioRwsem => &self.dio_rwsem,
            LockId::BtrfsMmap => &self.btrfs_mmap,
            LockId::MmapLock(t) => &self.mmap_lock[t as usize],
        }
    }

    pub fn get_mut(&mut self, id: LockId) -> &mut RwSem {
        match id {
            LockId::IRwsem => &mut self.i_rwsem,
            LockId::InvalidateLock => &mut self.invalidate_lock,
            LockId::DioRwsem => &mut self.dio_rwsem,
            LockId::BtrfsMmap => &mut self.btrfs_mmap,
            LockId::MmapLock(t) => &mut self.mmap_lock[t as usize],
        }
    }

    /// Releases every lock `me` holds (a crash, or the end of an op).
    pub fn release_all(&mut self, me: Holder) {
        self.i_rwsem.release(me);
        self.invalidate_lock.release(me);
        self.dio_rwsem.release(me);
        self.btrfs_mmap.release(me);
        for l in &mut self.mmap_lock {
            l.release(me);
        }
        for e in &mut self.extent[..usize::from(self.n)] {
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

    /// The write's range is unlocked, its ordered extents stay (see
    /// [`ORDERED_EXTENT`]) for pages `mask`.
    pub fn extent_to_ordered(&mut self, lo: u8, hi: u8, mask: crate::world::Pages, me: Holder) {
        for p in lo..=hi {
            if self.extent[p as usize] == me.0 + 1 {
                self.extent[p as usize] = if mask & (1 << p) != 0 {
                    ordered_extent(me)
                } else {
                    0
                };
            }
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
            btrfs_mmap,
            mmap_lock,
            extent,
            n,
        } = self;
        i_rwsem.permute(p);
        invalidate_lock.permute(p);
        dio_rwsem.permute(p);
        btrfs_mmap.permute(p);
        for l in mmap_lock.iter_mut() {
            l.permute(p);
        }
        p.by_task(mmap_lock);
        for e in extent[..usize::from(*n)].iter_mut() {
            *e = match ordered_owner(*e) {
                Some(h) => ordered_extent(p.holder(h)),
                None => p.holder1(*e),
            };
        }
    }
}
