//! Filesystem personalities: which locks each path takes and what a
//! filesystem does with `-ENOTBLK` or a short direct write, as of a release.

use crate::policy::Kernel;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fs {
    Xfs,
    Ext4,
    Btrfs,
}

impl Fs {
    pub const ALL: [Fs; 3] = [Fs::Xfs, Fs::Ext4, Fs::Btrfs];

    pub fn name(self) -> &'static str {
        match self {
            Fs::Xfs => "xfs",
            Fs::Ext4 => "ext4",
            Fs::Btrfs => "btrfs",
        }
    }

    pub fn parse(s: &str) -> Option<Fs> {
        Fs::ALL.into_iter().find(|f| f.name() == s)
    }
}

/// Step names that differ per filesystem, so a trace reads like that
/// filesystem's code.
pub struct Names {
    pub ilock_shared: &'static str,
    pub ilock_excl: &'static str,
    pub writepage: &'static str,
    pub buffered_iomap_begin: &'static str,
    /// A buffered write's copy into one folio: iomap's write loop on XFS;
    /// ext4 and btrfs write through their own loops, not iomap.
    pub buffered_copy: &'static str,
    pub dio_read_iomap_begin: &'static str,
    pub dio_write_iomap_begin: &'static str,
    pub dio_end_io: &'static str,
    pub page_mkwrite: &'static str,
    pub fsync_commit: &'static str,
    /// The completion of the journal (log) write that commits an fsync.
    pub log_done: &'static str,
    /// Where fsync sleeps until that journal write is done.
    pub log_wait: &'static str,
    /// The completion of a writeback bio.
    pub wb_done: &'static str,
    pub free_extents: &'static str,
    pub alloc_extents: &'static str,
    /// Freeing the blocks past a truncate's new size.
    pub truncate_extents: &'static str,
}

impl Fs {
    pub fn names(self) -> &'static Names {
        match self {
            Fs::Xfs => &Names {
                ilock_shared: "xfs_ilock(IOLOCK_SHARED)",
                ilock_excl: "xfs_ilock(IOLOCK_EXCL)",
                writepage: "iomap_writepage_map",
                buffered_iomap_begin: "xfs_buffered_write_iomap_begin",
                buffered_copy: "iomap_write_iter",
                dio_read_iomap_begin: "xfs_read_iomap_begin",
                dio_write_iomap_begin: "xfs_direct_write_iomap_begin",
                dio_end_io: "xfs_dio_write_end_io",
                page_mkwrite: "xfs_write_fault → iomap_page_mkwrite",
                fsync_commit: "xfs_log_force_seq",
                log_done: "xlog_ioend_work",
                log_wait: "xlog_force_lsn",
                wb_done: "iomap_finish_ioend",
                free_extents: "xfs_free_file_space",
                alloc_extents: "xfs_alloc_file_space",
                truncate_extents: "xfs_itruncate_extents",
            },
            Fs::Ext4 => &Names {
                ilock_shared: "inode_lock_shared",
                ilock_excl: "inode_lock",
                writepage: "mpage_submit_folio",
                buffered_iomap_begin: "ext4_da_write_begin",
                buffered_copy: "generic_perform_write",
                dio_read_iomap_begin: "ext4_iomap_begin",
                dio_write_iomap_begin: "ext4_iomap_overwrite_begin",
                dio_end_io: "ext4_dio_write_end_io",
                page_mkwrite: "ext4_page_mkwrite",
                fsync_commit: "jbd2_complete_transaction",
                log_done: "journal_end_buffer_io_sync",
                log_wait: "jbd2_log_wait_commit",
                wb_done: "ext4_end_bio",
                free_extents: "ext4_punch_hole",
                alloc_extents: "ext4_alloc_file_blocks",
                truncate_extents: "ext4_truncate",
            },
            Fs::Btrfs => &Names {
                ilock_shared: "btrfs_inode_lock(SHARED)",
                ilock_excl: "btrfs_inode_lock",
                writepage: "extent_writepage",
                buffered_iomap_begin: "btrfs_buffered_write",
                buffered_copy: "btrfs_copy_from_user",
                dio_read_iomap_begin: "btrfs_dio_iomap_begin",
                dio_write_iomap_begin: "btrfs_dio_iomap_begin",
                // btrfs's iomap_dio_ops has no ->end_io (5.10: only
                // .submit_io; 6.x: .submit_io and .bio_set): its ordered
                // extent is finished from the bio's completion
                dio_end_io: "iomap_dio_complete",
                page_mkwrite: "btrfs_page_mkwrite",
                fsync_commit: "btrfs_sync_log",
                log_done: "btrfs_end_super_write",
                log_wait: "wait_dev_supers",
                wb_done: "end_bbio_data_write",
                free_extents: "btrfs_punch_hole",
                alloc_extents: "btrfs_fallocate",
                truncate_extents: "btrfs_truncate",
            },
        }
    }

    /// What the filesystem does when iomap_dio_rw() returns -ENOTBLK
    /// (failed invalidation) as of `k`: fall back to a buffered write, or
    /// pass the error to the caller.
    ///
    /// iomap_dio_rw() returns -ENOTBLK for a failed invalidation only
    /// since 5.9 (60263d5889e6), which landed with XFS's handling of it
    /// (80e543ae24db, "xfs: use ENOTBLK for direct I/O to buffered I/O
    /// fallback"), and ext4's and gfs2's in the same commit: no release
    /// passed it to user space. The answer for XFS before 5.9 only matters
    /// for a knob set by hand: that XFS did not know -ENOTBLK (its CoW
    /// fallback used -EREMCHG).
    pub fn falls_back_on_enotblk(self, k: Kernel) -> bool {
        match self {
            Fs::Xfs => k >= Kernel(5, 9),
            Fs::Ext4 | Fs::Btrfs => true,
        }
    }

    /// Whether a buffered fallback of a direct write is followed by a
    /// write-and-wait and an invalidation of the range, to keep O_DIRECT's
    /// "on the device when it returns" (ext4_dio_write_iter, btrfs_direct_write).
    pub fn syncs_after_fallback(self) -> bool {
        matches!(self, Fs::Ext4 | Fs::Btrfs)
    }

    /// Whether an aligned direct write takes i_rwsem exclusive from the
    /// start. XFS never (xfs_file_dio_write_aligned takes the IOLOCK shared,
    /// also to extend the file; xfs_file_write_checks upgrades only to zero
    /// a gap past EOF, and demotes before the I/O); ext4 unless it is an
    /// overwrite of allocated blocks within EOF (ext4_dio_write_checks),
    /// held through the I/O; btrfs (iomap, ~5.10 on) to extend the file
    /// (btrfs_direct_write: shared only if pos + count <= i_size; before,
    /// see [`Fs::btrfs_dio_write_relocks`]).
    pub fn dio_write_excl(self, extending: bool, overwrite: bool) -> bool {
        match self {
            Fs::Xfs => false,
            Fs::Btrfs => extending,
            Fs::Ext4 => extending || !overwrite,
        }
    }

    /// Whether ->page_mkwrite waits for the folio's writeback (and, on
    /// btrfs, for a pending ordered extent over it) before dirtying it.
    /// btrfs_page_mkwrite always has: lock the page,
    /// wait_on_page_writeback() (folio_wait_writeback() in 6.x), lock the
    /// extent range, and if btrfs_lookup_ordered_range() finds an ordered
    /// extent, drop the locks, btrfs_start_ordered_extent() and `goto
    /// again` ("we can't set the delalloc bits if there are pending ordered
    /// extents"): fs/btrfs/inode.c (5.x), fs/btrfs/file.c (6.x). XFS
    /// (iomap_page_mkwrite) and ext4 (ext4_page_mkwrite, also
    /// data=ordered) dirty the folio and then only folio_wait_stable(),
    /// which waits for writeback only when the device needs stable pages
    /// (checksums/integrity on the block device, SB_I_STABLE_WRITES); the
    /// model's device does not, so on XFS and ext4 a store may redirty a
    /// folio under writeback.
    pub fn mkwrite_waits_for_writeback(self) -> bool {
        self == Fs::Btrfs
    }

    /// Whether a btrfs direct write on iomap takes inode_lock exclusive
    /// and drops it for a write within i_size (btrfs_direct_IO in 5.10 and
    /// in the 5.8 merge-window tree, a43a67a2d715, f85781fb505e: "inode_unlock(inode);
    /// relock = true", iomap_dio_rw under down_read(dio_sem), inode_lock
    /// again after it). The shared inode lock for direct writes within EOF
    /// came with the btrfs_inode_lock series (Rodrigues, e9adabb9712e,
    /// 5.11: too large for 5.10.y, Sterba on stable@).
    pub fn btrfs_dio_write_relocks(self, k: Kernel) -> bool {
        self == Fs::Btrfs && k < Kernel(5, 11)
    }

    /// Whether buffered reads take i_rwsem shared (XFS does; the VFS does not).
    pub fn buffered_read_locks(self) -> bool {
        self == Fs::Xfs
    }

    /// Whether direct I/O holds a range lock over the extent across the I/O
    /// (btrfs lock_extent()): a page fault on that range deadlocks.
    pub fn dio_extent_lock(self) -> bool {
        self == Fs::Btrfs
    }

    /// Whether a DAX write takes i_rwsem exclusive. XFS since 4.9
    /// (17879e8f865f, "xfs: fix locking for DAX writes": they had
    /// "inherited the locking from direct I/O writes", shared for aligned
    /// ones); ext4's ext4_dax_write_iter takes inode_lock. btrfs has no
    /// DAX.
    pub fn dax_write_excl(self, k: Kernel) -> bool {
        match self {
            Fs::Xfs => k >= Kernel(4, 9),
            Fs::Ext4 | Fs::Btrfs => true,
        }
    }

    /// Whether btrfs_page_mkwrite takes btrfs's own i_mmap_lock (Bacik,
    /// "btrfs: add a i_mmap_lock to our inode", the 5.13 btrfs pull), which
    /// hole punching and fallocate take exclusive. It was not replaced by
    /// invalidate_lock in 5.15: btrfs still has it in 6.18.
    pub fn btrfs_mmap_lock(self, k: Kernel) -> bool {
        self == Fs::Btrfs && k >= Kernel(5, 13)
    }

    /// Whether the filesystem sets FOP_DONTCACHE, without which
    /// RWF_DONTCACHE reads and writes fail with -EOPNOTSUPP
    /// (kiocb_set_rw_flags): XFS since the flag exists (6.14,
    /// 974c5e6139db), ext4 since ~6.17; btrfs not as of 6.18 (checked on
    /// the 6.18 kernel: -EOPNOTSUPP for both).
    pub fn dontcache(self, k: Kernel) -> bool {
        match self {
            Fs::Xfs => k >= Kernel(6, 14),
            Fs::Ext4 => k >= Kernel(6, 17),
            Fs::Btrfs => false,
        }
    }

    /// Whether writeback completion runs in task context for a folio whose
    /// extent needed no conversion, so that a dropbehind folio can be
    /// dropped there (folio_end_dropbehind() only acts in_task()): XFS
    /// completes its ioends in a workqueue; ext4 only defers completions
    /// that convert unwritten extents, a pure overwrite ends in the bio's
    /// interrupt (checked on 6.18: an ext4 RWF_DONTCACHE overwrite stays
    /// cached).
    pub fn wb_end_in_task(self, converts: bool) -> bool {
        match self {
            Fs::Xfs => true,
            Fs::Ext4 | Fs::Btrfs => converts,
        }
    }

    /// Whether an O_DIRECT write goes through the page cache instead. btrfs
    /// since 6.15 (968f19c5b1b7, "btrfs: always fallback to buffered write
    /// if the inode requires checksum"; stable 6.12.77): a user buffer can
    /// change under the I/O and no longer match the checksum. The model's
    /// files have data checksums (the default; no NOCOW files).
    pub fn dio_write_goes_buffered(self, k: Kernel) -> bool {
        self == Fs::Btrfs && k >= Kernel(6, 15)
    }

    /// Whether a direct read that finds a delalloc extent after its flush
    /// (an mmap store dirtied the page in between) fails with -EIO: iomap's
    /// "Direct I/O collision with buffered writes!" (iomap_dio_iter,
    /// IOMAP_DELALLOC). XFS hands delalloc mappings to direct reads
    /// (xfs_read_iomap_begin); ext4 does since its delalloc became
    /// IOMAP_DELALLOC in ext4_set_iomap (in 6.12, not in 6.1; older ext4
    /// maps it as a hole and the read returns zeroes); btrfs never
    /// (btrfs_dio_iomap_begin returns holes or mapped extents only). Direct
    /// *writes* never see delalloc: xfs_direct_write_iomap_begin allocates
    /// over it (imap_needs_alloc), ext4 and btrfs allocate too.
    pub fn dio_read_delalloc_is_eio(self, k: Kernel) -> bool {
        match self {
            Fs::Xfs => true,
            Fs::Ext4 => k >= Kernel(6, 12),
            Fs::Btrfs => false,
        }
    }
}
