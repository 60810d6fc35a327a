//! truncate, hole punching and preallocation (`xfs_setattr_size`,
//! `xfs_file_fallocate`): i_rwsem and invalidate_lock exclusive, wait for
//! direct I/O to drain (`inode_dio_wait`), then:
//! - truncate: `truncate_setsize` (i_size, then drop the page cache past
//!   it), `xfs_itruncate_extents`;
//! - punch: `xfs_flush_unmap_range` (write back, then drop the cached
//!   range), `xfs_free_file_space`;
//! - falloc: `xfs_alloc_file_space` (unwritten extents over holes).
//!
//! invalidate_lock is what keeps a page fault from bringing a page back
//! between dropping the cache and freeing the blocks (fault_lock knob).

use super::invalidate::{unmap_mapping_folio, Inval};
use super::writeback::Flush;
use super::{Progress, Sub};
use crate::extents::Ext;
use crate::fs::Fs;
use crate::locks::{LockId, Mode};
use crate::ops::Range;
use crate::policy::FaultLock;
use crate::world::{Holder, Need, Ret, World};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Truncate(u8),
    Punch(Range),
    Falloc(Range),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Pc {
    ILock,
    MmapLock,
    DioWait,
    Act,
    Flush,
    Pagecache,
    Extents,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Truncate {
    kind: Kind,
    pc: Pc,
    flush: Flush,
    inval: Inval,
}

/// The lock that keeps faults out, which truncate, punch and falloc take
/// exclusive after i_rwsem: invalidate_lock (XFS MMAPLOCK, ext4
/// i_mmap_sem before 5.15); btrfs's own i_mmap_lock for punch and falloc
/// (BTRFS_ILOCK_MMAP, ~5.12; its truncate takes none); nothing otherwise.
fn fault_exclusion(w: &World, kind: Kind) -> Option<LockId> {
    if w.st.policy.fault_lock == FaultLock::None {
        return None;
    }
    match w.st.fs {
        Fs::Btrfs => (!matches!(kind, Kind::Truncate(_))
            && w.st.fs.btrfs_mmap_lock(w.st.policy.kernel))
        .then_some(LockId::BtrfsMmap),
        Fs::Xfs | Fs::Ext4 => Some(LockId::InvalidateLock),
    }
}

impl Truncate {
    fn with(kind: Kind) -> Truncate {
        Truncate {
            kind,
            pc: Pc::ILock,
            flush: Flush::new(0, 0, true),
            inval: Inval::truncate(0, 0),
        }
    }
    #[allow(
        clippy::self_named_constructors,
        reason = "named after the syscall, like punch and falloc"
    )]
    pub fn truncate(n: u8) -> Truncate {
        Truncate::with(Kind::Truncate(n))
    }
    pub fn punch(r: Range) -> Truncate {
        Truncate::with(Kind::Punch(r))
    }
    pub fn falloc(r: Range) -> Truncate {
        Truncate::with(Kind::Falloc(r))
    }

    pub fn need(&self, w: &World, _t: u8) -> Need {
        match self.pc {
            Pc::ILock => Need::Lock(LockId::IRwsem, Mode::Excl),
            Pc::MmapLock => Need::Lock(
                fault_exclusion(w, self.kind).unwrap_or(LockId::InvalidateLock),
                Mode::Excl,
            ),
            Pc::DioWait => Need::DioIdle,
            Pc::Act | Pc::Extents => Need::None,
            Pc::Flush => self.flush.need(w),
            Pc::Pagecache => self.inval.need(w),
        }
    }

    fn next_after_locks(&mut self, w: &World, t: u8) {
        if w.s.dio & !(1 << t) != 0 {
            self.pc = Pc::DioWait;
        } else {
            self.act_next();
        }
    }

    /// What comes once the locks are held and direct I/O has drained. A
    /// hole punch writes the range back first (xfs_flush_unmap_range,
    /// ext4_punch_hole: filemap_write_and_wait_range), as steps of their
    /// own: each waits for its folio lock and for room in the queue. (They
    /// once ran inside the step that took the last lock, without the folio
    /// lock, and a full queue overflowed: fuzz seed 796102671815.)
    fn act_next(&mut self) {
        self.pc = match self.kind {
            Kind::Punch(r) => {
                self.flush = Flush::new(r.lo, r.hi, true);
                Pc::Flush
            }
            _ => Pc::Act,
        };
    }

    pub fn step(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let me = Holder(t);
        match self.pc {
            Pc::ILock => {
                if fault_exclusion(w, self.kind).is_some() {
                    self.pc = Pc::MmapLock;
                } else {
                    self.next_after_locks(w, t);
                }
                (w.st.fs.names().ilock_excl, Progress::Continue)
            }
            Pc::MmapLock => {
                self.next_after_locks(w, t);
                let name = match w.st.fs {
                    Fs::Xfs => "xfs_ilock(MMAPLOCK_EXCL)",
                    Fs::Btrfs => "btrfs_inode_lock(BTRFS_ILOCK_MMAP)",
                    Fs::Ext4 if w.st.policy.fault_lock == FaultLock::FsPrivate => {
                        "down_write(i_mmap_sem)"
                    }
                    Fs::Ext4 => "filemap_invalidate_lock",
                };
                (name, Progress::Continue)
            }
            Pc::DioWait => {
                self.act_next();
                ("inode_dio_wait", Progress::Continue)
            }
            Pc::Act => self.act(w),
            Pc::Flush => match self.flush.step(w, me) {
                (n, Sub::Running) => (n, Progress::Continue),
                (n, Sub::Done(())) => {
                    let Kind::Punch(r) = self.kind else {
                        unreachable!()
                    };
                    self.inval = Inval::truncate(r.lo, r.hi);
                    self.pc = Pc::Pagecache;
                    (n, Progress::Continue)
                }
            },
            Pc::Pagecache => match self.inval.step(w) {
                (n, Sub::Running) => (n, Progress::Continue),
                (n, Sub::Done(_)) => {
                    self.pc = Pc::Extents;
                    (n, Progress::Continue)
                }
            },
            Pc::Extents => self.free_extents(w, t),
        }
    }

    fn act(&mut self, w: &mut World) -> (&'static str, Progress) {
        match self.kind {
            Kind::Truncate(n) => {
                let old = w.s.i_size;
                w.s.i_size = n;
                w.note(|_| format!("i_size {old} → {n} pages"));
                if n < w.st.pages {
                    self.inval = Inval::truncate(n, w.st.pages - 1);
                    self.pc = Pc::Pagecache;
                    ("truncate_setsize", Progress::Continue)
                } else {
                    ("truncate_setsize", Progress::Return(Ret::Pages(0)))
                }
            }
            Kind::Punch(_) => unreachable!("a punch goes from its locks to writeback"),
            Kind::Falloc(r) => {
                let mut got: crate::world::Pages = 0;
                for p in r.pages() {
                    if let Ext::Hole(z) = w.s.ext.get(p) {
                        if let Some(b) = w.s.ext.alloc(w.st.nblocks) {
                            w.s.ext.set(p, Ext::Unwritten(b, z));
                            got |= 1 << p;
                        }
                    }
                }
                if r.hi + 1 > w.s.i_size {
                    w.s.i_size = r.hi + 1;
                }
                w.note(|_| {
                    if got == 0 {
                        "nothing to allocate".to_string()
                    } else {
                        format!(
                            "unwritten extents allocated for {}",
                            crate::util::fmt_set(got)
                        )
                    }
                });
                (
                    w.st.fs.names().alloc_extents,
                    Progress::Return(Ret::Pages(0)),
                )
            }
        }
    }

    fn free_extents(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let opi = w.s.tasks[t as usize].op as usize;
        let z = w.st.op_ver[t as usize][opi].expect("punch and truncate write zeroes");
        let (lo, hi, name) = match self.kind {
            Kind::Truncate(n) => (n, w.st.pages - 1, w.st.fs.names().truncate_extents),
            Kind::Punch(r) => (r.lo, r.hi, w.st.fs.names().free_extents),
            Kind::Falloc(_) => unreachable!(),
        };
        let mut freed: crate::world::Pages = 0;
        for p in lo..=hi {
            // DAX mappings have no folio to unmap through; unmap directly
            unmap_mapping_folio(w, p);
            if w.s.ext.get(p) != Ext::Hole(z) {
                w.s.ext.set(p, Ext::Hole(z));
                freed |= 1 << p;
            }
        }
        w.note(|_| {
            let set = crate::util::fmt_set(freed);
            match freed.count_ones() {
                0 => "no extents to free".to_string(),
                1 => format!("page {set} is a hole now; its block freed"),
                _ => format!("pages {set} are holes now; their blocks freed"),
            }
        });
        (name, Progress::Return(Ret::Pages(0)))
    }
}

/// Symmetry (see [`crate::perm`]): these path states keep no task id and
/// no version (they name them through the task index and `op_ver`); one
/// that stores either must rename it here.
impl Truncate {
    pub fn permute(&mut self, p: &crate::perm::Perm) {
        let Truncate {
            kind: _,
            pc: _,
            flush,
            inval,
        } = self;
        flush.permute(p);
        inval.permute(p);
    }
}
