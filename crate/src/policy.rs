//! Policies: one value per decision point the mailing-list threads argued
//! about, and presets (kernel releases and proposals) that fix them all.
//!
//! Every knob carries the thread or commit it comes from; the facts are in
//! `docs/kernel-facts.md`. A `~` in a version means it was inferred from a
//! date, not read from a tag, and the UI shows it as approximate.

use std::fmt;

/// Declares the knobs: an enum per knob, the `Policy` struct with one field
/// per knob, and the `KNOBS` table used by the CLI, the UI and the scenario
/// validator. One declaration keeps the three in step.
macro_rules! knobs {
    ($(
        $(#[$kmeta:meta])*
        $field:ident : $ty:ident = $kname:literal, $khelp:literal {
            $( $var:ident = $vname:literal, $vhelp:literal; )+
        }
    )+) => {
        $(
            $(#[$kmeta])*
            #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
            pub enum $ty { $($var),+ }

            impl $ty {
                pub const ALL: &'static [$ty] = &[$($ty::$var),+];
                pub fn name(self) -> &'static str {
                    match self { $($ty::$var => $vname),+ }
                }
                pub fn help(self) -> &'static str {
                    match self { $($ty::$var => $vhelp),+ }
                }
                pub fn parse(s: &str) -> Option<Self> {
                    match s { $($vname => Some($ty::$var),)+ _ => None }
                }
            }
        )+

        /// One value per decision point. Build one with [`Policy::preset`].
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub struct Policy {
            /// The release whose filesystem personalities apply (for a
            /// proposal: the release it was made against).
            pub kernel: Kernel,
            $( pub $field: $ty, )+
        }

        /// The knob table, in declaration order.
        pub static KNOBS: &[KnobDef] = &[
            $( KnobDef {
                name: $kname,
                help: $khelp,
                values: &[ $( ValueDef { name: $vname, help: $vhelp } ),+ ],
            }, )+
        ];

        impl Policy {
            /// The value of knob `name`, as its scenario-file spelling.
            pub fn get(&self, name: &str) -> Option<&'static str> {
                match name {
                    $( $kname => Some(self.$field.name()), )+
                    _ => None,
                }
            }

            /// Sets knob `name` to `value` (both as spelled in scenario files).
            pub fn set(&mut self, name: &str, value: &str) -> Result<(), KnobError> {
                match name {
                    $( $kname => {
                        self.$field = $ty::parse(value).ok_or_else(|| KnobError::UnknownValue {
                            knob: $kname,
                            value: value.to_string(),
                            expected: $ty::ALL.iter().map(|v| v.name()).collect(),
                        })?;
                        Ok(())
                    } )+
                    _ => Err(KnobError::UnknownKnob { knob: name.to_string() }),
                }
            }
        }
    };
}

knobs! {
    /// Does a direct read invalidate the cached pages it covers?
    dio_read_invalidate: DioReadInvalidate = "dio_read_invalidate",
        "Whether a direct read invalidates the page cache over its range after flushing it. \
         Removed by \"iomap: Only invalidate page cache pages on direct IO writes\" (54752de928c4, 5.9)." {
        Yes = "yes", "Direct reads flush and invalidate (up to 5.8).";
        No = "no", "Direct reads flush but leave clean pages cached (5.9 and later).";
    }

    /// What a direct write does when invalidation fails before the write.
    dio_pre_invalidate_fail: DioPreInvalidateFail = "dio_pre_invalidate_fail",
        "What iomap_dio_rw() does when invalidate_inode_pages2_range() fails before a direct \
         write (a page was dirtied again after the flush). Threads 2020-06 (generic/547) and \
         2020-07 (IOMAP_DIO_RWF_NO_STALE_PAGECACHE). btrfs's old direct I/O path (btrfs_dio_path \
         = direct-io) does not use iomap: generic_file_direct_write() always falls back to a \
         buffered write there." {
        Ignore = "ignore", "Carry on with the direct write; no error reaches user space (iomap only did WARN_ON_ONCE before 5a9d929d6e13, 2017).";
        WarnEio = "warn-eio", "dio_warn_stale_pagecache(): log, errseq_set(wb_err, -EIO), carry on (5a9d929d6e13, 2017, to 5.8).";
        ReturnZero = "return-zero", "Rodrigues, 2020-05-28 (not merged): return 0 without doing any I/O. ext4 and btrfs notice the short direct write and finish it with buffered I/O; XFS has no buffered fallback and returns the short write, 0 bytes, to the caller (Wong: \"now we make the direct writer lose\").";
        NoStalePagecache = "no-stale-pagecache", "Rodrigues' IOMAP_DIO_RWF_NO_STALE_PAGECACHE (2020-06, not merged): a caller that passes the flag gets no I/O and falls back to a buffered write; only btrfs passed it, so xfs and ext4 still warn and set -EIO.";
        FallbackBuffered = "fallback-buffered", "Return -ENOTBLK and every filesystem falls back to a buffered write (Hellwig, 60263d5889e6, with XFS's 80e543ae24db; 5.9).";
        Fail = "fail", "Fail the direct write with invalidation's -EBUSY (Manana, 2020-06: \"either return an error or fallback to buffered IO\"; never merged).";
    }

    /// What a direct write does when invalidation fails after the write.
    dio_post_invalidate_fail: DioPostInvalidateFail = "dio_post_invalidate_fail",
        "What a direct write does when invalidation fails after the data reached the device: \
         the cache now really is stale. Wong, 2020-06: set EIO only in this case." {
        Ignore = "ignore", "Say nothing: no error reaches user space (iomap only did WARN_ON_ONCE before 5a9d929d6e13, 2017; generic_file_direct_write() said nothing before ~5.5).";
        WarnEio = "warn-eio", "dio_warn_stale_pagecache(): errseq_set(wb_err, -EIO) (5a9d929d6e13, 2017, and later).";
    }

    /// Order of ->end_io and the post-write invalidation.
    dio_post_invalidate_order: DioPostInvalidateOrder = "dio_post_invalidate_order",
        "Order at direct-write completion of ->end_io (unwritten extent conversion, i_size) and \
         the post-write invalidation. The wrong order lets a racing buffered read cache zeroes \
         from a still-unwritten extent (fstests generic/418): fixed by c771c14baa33, broken again \
         by 332391a9935d (4.14-rc3), fixed for good by 5e25c269e17d (4.14)." {
        BeforeEndIo = "before-end-io", "Invalidate, then ->end_io (the generic/418 bug).";
        AfterEndIo = "after-end-io", "->end_io, then invalidate (the fix).";
    }

    /// Where an asynchronous direct write completes.
    dio_aio_complete: DioAioComplete = "dio_aio_complete",
        "Where an AIO direct write's completion (->end_io, and the invalidation after the write) \
         runs. fstests generic/451 (buffered readers against AIO direct writers); Czerner's \
         332391a9935d, 4.14." {
        Irq = "irq", "Before 4.14: nothing invalidates the page cache after an AIO write (iomap_dio_rw invalidated after iomap_dio_complete only for sync I/O; XFS's ->end_io already ran in a workqueue, s_dio_done_wq): a page read in while the write was in flight stays stale.";
        Workqueue = "workqueue", "332391a9935d (4.14): when the file has cached pages, the completion is deferred to a workqueue, which invalidates the written range after ->end_io.";
    }

    /// How direct I/O is kept coherent with the page cache.
    dio_coherency: DioCoherency = "dio_coherency",
        "How direct I/O stays coherent with the page cache. Thread 2019-01: \"DIO in progress\" \
         entries in i_pages (Lutomirski) and Wilcox's rwsem; Chinner's reply shows both deadlock \
         when get_user_pages() faults on an mmap of the same file." {
        FlushInvalidate = "flush-invalidate", "Mainline: flush and invalidate the range around the I/O.";
        ServeFromCache = "serve-from-cache", "Wilcox and Hellwig, 2020-07 (not merged): never invalidate for direct I/O. A direct read copies every cached page from the page cache; a direct write copies into the cached pages, writes them back and leaves them cached, serialised behind the page cache (i_rwsem exclusive); only uncached pages go direct.";
        DioMarker = "dio-marker", "2019 proposal: cached pages are served by the cache, uncached ones get a \"DIO in progress\" entry that buffered I/O and faults wait on.";
        Rwsem = "rwsem", "2019 proposal (Wilcox): with an empty i_pages, direct I/O holds a new rwsem shared and inserting a page takes it exclusive; otherwise markers.";
    }

    /// Whether get_user_pages() may fault while the I/O holds its locks.
    dio_gup_fault: DioGupFault = "dio_gup_fault",
        "How btrfs direct I/O pins a user buffer that is not mapped yet. Gruenbacher's nofault \
         series (5.16: FOLL_NOFAULT, IOMAP_DIO_PARTIAL; btrfs 51bd9563b678) fixed the gfs2 and \
         btrfs deadlocks. Only btrfs and gfs2 pass IOMAP_DIO_PARTIAL: XFS and ext4 always let \
         get_user_pages() fault, which is safe there because their faults take invalidate_lock \
         (MMAPLOCK), never the IOLOCK / i_rwsem the direct I/O holds." {
        Fault = "fault", "get_user_pages() faults the page in while the I/O holds its locks.";
        NofaultRetry = "nofault-retry", "btrfs (5.16): pin without faulting; on a miss complete the part done, fault the rest of the buffer in still holding the inode lock (\"to prevent races with truncate\"), retry; no progress → buffered.";
    }

    /// Which lock a page fault takes against truncate and hole punching.
    fault_lock: FaultLock = "fault_lock",
        "The lock that keeps page faults from re-instantiating pages while truncate or hole \
         punch removes them. XFS MMAPLOCK (4.1), ext4 i_mmap_sem (~4.5); generalised as \
         mapping->invalidate_lock in 5.15 (Jan Kara)." {
        None = "none", "Faults take no such lock.";
        FsPrivate = "fs-private", "Before 5.15: XFS takes MMAPLOCK shared in every fault (4.1), ext4 i_mmap_sem (~4.5); btrfs only takes its own i_mmap_lock in page_mkwrite (5.13).";
        InvalidateLock = "invalidate-lock", "5.15 and later: filemap_fault takes invalidate_lock shared to read a folio in, and XFS and ext4 page_mkwrite take it; btrfs page_mkwrite still takes its own i_mmap_lock (5.13).";
    }

    /// RWF_UNCACHED / RWF_DONTCACHE buffered writes.
    uncached_write: UncachedWrite = "uncached_write",
        "What a buffered write with RWF_UNCACHED / RWF_DONTCACHE does. Thread 2019-12 (Axboe, \
         Chinner); merged as RWF_DONTCACHE in 6.14, with iomap and XFS support in the same release \
         (ext4 ~6.17, btrfs not as of 6.18)." {
        Unsupported = "unsupported", "The flag is refused with -EOPNOTSUPP.";
        PerPageDrop = "per-page-drop", "2019 v1: inside the write loop, write back and drop each page, with the iomap still cached.";
        PerIoFlush = "per-io-flush", "Chinner's counter-proposal: after the whole I/O, write and wait the range, then invalidate it once.";
        Dropbehind = "dropbehind", "RWF_DONTCACHE (6.14): new folios are marked dropbehind, writeback of the range is kicked, folios are dropped when writeback completes.";
    }

    /// Revalidation of a cached iomap in the buffered write path.
    iomap_validity: IomapValidity = "iomap_validity",
        "Whether a buffered write revalidates its cached extent mapping after locking each \
         folio (->iomap_valid with the fork sequence number; Chinner, ~6.2)." {
        None = "none", "The mapping is trusted for the whole iteration (before ~6.2).";
        Cookie = "cookie", "->iomap_valid compares the sequence cookie; a stale mapping is looked up again (~6.2).";
    }

    /// XFS speculative post-EOF preallocation.
    speculative_prealloc: SpeculativePrealloc = "speculative_prealloc",
        "XFS speculative preallocation: a buffered write that extends the file at its last \
         extent reserves delalloc blocks beyond EOF, so writeback changes the extent map beyond \
         the written range (thread 2019-12). xfs_iomap_prealloc_size()." {
        Dynamic = "dynamic", "The default: nothing while the file is smaller than 64 KiB (16 pages, m_allocsize); then, on a write past the last extent and past EOF, delalloc for twice the extents before it (rounded down to a power of two, at least 16 pages; 16 after a hole), ending on a 64 KiB boundary.";
        Allocsize = "allocsize", "mount -o allocsize=16k: delalloc past EOF up to the next 16 KiB (4-page) boundary on every write past the last extent and past EOF, whatever the file's size.";
        Off = "off", "No speculative preallocation at all (as on ext4 and btrfs).";
    }

    /// O_DIRECT on a DAX mount.
    dax_odirect: DaxOdirect = "dax_odirect",
        "Where O_DIRECT goes on a DAX mount. Thread 2016-05 (Verma, Williams, Harrosh)." {
        DaxPath = "dax-path", "Mainline: O_DIRECT is ignored, all I/O is a CPU copy to and from pmem (dax_iomap_rw).";
        DirectIoPath = "direct-io-path", "2016 proposal: O_DIRECT submits bios to the pmem driver, whose writes clear media errors.";
    }

    /// A DAX write over a poisoned block.
    dax_poison_write: DaxPoisonWrite = "dax_poison_write",
        "A DAX write over a block with a media error (~5.19: DAX_RECOVERY_WRITE)." {
        Fail = "fail", "The write fails with -EIO and the poison stays.";
        RecoveryWrite = "recovery-write", "Retry with DAX_RECOVERY_WRITE, which clears the poison (~5.19).";
    }

    /// Which direct I/O code btrfs runs.
    btrfs_dio_path: BtrfsDioPath = "btrfs_dio_path",
        "The direct I/O code btrfs runs. btrfs moved to iomap_dio_rw() in the 5.8 merge window \
         (a43a67a2d715), was reverted before 5.8-rc1 (55e20bd12a56: \"fsync will fail, though \
         there's no real error\") and moved for good in 5.10 (f85781fb505e with 0eb79294dbe3, \
         5.10-rc1). Thread 2020-06." {
        DirectIo = "direct-io", "fs/direct-io.c: generic_file_direct_write() + __blockdev_direct_IO(); a failed pre-write invalidation falls back to a buffered write; direct reads take no i_rwsem and never invalidate (up to 5.9).";
        Iomap = "iomap", "iomap_dio_rw(), like xfs and ext4 (5.10; and the 5.8 merge-window tree).";
    }

    /// How writeback errors reach fsync.
    wb_error_report: WbErrorReport = "wb_error_report",
        "How writeback errors reach fsync: errseq_t in mapping->wb_err (Layton, 4.13) reports each \
         error once per open file; the legacy AS_EIO bit is cleared by whichever caller sees it first." {
        Errseq = "errseq", "Each open file description reports each new error once (4.13 and later).";
        AsEioFlag = "as-eio-flag", "One AS_EIO bit per mapping, test-and-cleared by the first caller (before 4.13).";
    }
}

/// A kernel release, as (major, minor).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kernel(pub u8, pub u8);

impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0, self.1)
    }
}

#[derive(Debug)]
pub struct KnobDef {
    pub name: &'static str,
    pub help: &'static str,
    pub values: &'static [ValueDef],
}

#[derive(Debug)]
pub struct ValueDef {
    pub name: &'static str,
    pub help: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KnobError {
    UnknownKnob {
        knob: String,
    },
    UnknownValue {
        knob: &'static str,
        value: String,
        expected: Vec<&'static str>,
    },
    UnknownPreset {
        preset: String,
    },
}

impl fmt::Display for KnobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KnobError::UnknownKnob { knob } => {
                write!(f, "unknown knob `{knob}`")?;
                if let Some(s) = crate::util::closest(knob, KNOBS.iter().map(|k| k.name)) {
                    write!(f, " (did you mean `{s}`?)")?;
                }
                Ok(())
            }
            KnobError::UnknownValue {
                knob,
                value,
                expected,
            } => {
                write!(
                    f,
                    "`{value}` is not a value of knob `{knob}`; expected one of: {}",
                    expected.join(", ")
                )
            }
            KnobError::UnknownPreset { preset } => {
                write!(f, "unknown preset `{preset}`")?;
                if let Some(s) = crate::util::closest(preset, PRESETS.iter().map(|p| p.name)) {
                    write!(f, " (did you mean `{s}`?)")?;
                }
                write!(
                    f,
                    "; presets are: {}",
                    PRESETS
                        .iter()
                        .map(|p| p.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        }
    }
}

impl std::error::Error for KnobError {}

/// A named set of knob values.
#[derive(Debug)]
pub struct PresetDef {
    pub name: &'static str,
    /// Which preset this one changes; `None` for the oldest release.
    pub base: Option<&'static str>,
    /// The release whose filesystem behaviour applies.
    pub kernel: Kernel,
    /// Whether `kernel` is inferred from a date rather than read from a tag.
    pub approx: bool,
    /// What it is, in one line, with its source.
    pub summary: &'static str,
    /// Knob values that differ from `base`.
    pub set: &'static [(&'static str, &'static str)],
    /// A proposal from a thread, never merged in this form.
    pub proposal: bool,
}

pub const DEFAULT_PRESET: &str = "linux-6.18";

/// Kernel trees first, oldest to newest (each a diff on its `base`; the 5.8
/// merge-window tree is a branch off 5.7 that released 5.8 did not keep),
/// then one preset per proposal in the threads.
pub static PRESETS: &[PresetDef] = &[
    PresetDef {
        name: "linux-5.7",
        base: None,
        kernel: Kernel(5, 7),
        approx: false,
        summary: "Before the 2020 threads: on xfs and ext4 (iomap) a failed pre-write invalidation warns and sets -EIO in wb_err, and direct reads invalidate too; btrfs runs the old fs/direct-io.c code, which falls back to a buffered write instead.",
        set: &[
            ("btrfs_dio_path", "direct-io"),
            ("dio_read_invalidate", "yes"),
            ("dio_pre_invalidate_fail", "warn-eio"),
            ("dio_post_invalidate_fail", "warn-eio"),
            ("dio_post_invalidate_order", "after-end-io"),
            ("dio_aio_complete", "workqueue"),
            ("dio_coherency", "flush-invalidate"),
            ("dio_gup_fault", "fault"),
            ("fault_lock", "fs-private"),
            ("uncached_write", "unsupported"),
            ("iomap_validity", "none"),
            ("speculative_prealloc", "dynamic"),
            ("dax_odirect", "dax-path"),
            ("dax_poison_write", "fail"),
            ("wb_error_report", "errseq"),
        ],
        proposal: false,
    },
    PresetDef {
        name: "linux-5.8-merge-window",
        base: Some("linux-5.7"),
        kernel: Kernel(5, 8),
        approx: false,
        summary: "Linus' tree in the 5.8 merge window (June 2020), never released: btrfs direct I/O on iomap_dio_rw() (a43a67a2d715) inherits iomap's answer to a failed invalidation, a warning and -EIO in wb_err, and generic/547 fails. Reverted before 5.8-rc1 (55e20bd12a56).",
        set: &[("btrfs_dio_path", "iomap")],
        proposal: false,
    },
    PresetDef {
        name: "linux-5.8",
        base: Some("linux-5.7"),
        kernel: Kernel(5, 8),
        approx: false,
        summary: "As released: the btrfs conversion to iomap_dio_rw() was reverted before -rc1 (55e20bd12a56), so btrfs still runs the old direct I/O code; nothing the model covers changed since 5.7.",
        set: &[],
        proposal: false,
    },
    PresetDef {
        name: "linux-5.9",
        base: Some("linux-5.8"),
        kernel: Kernel(5, 9),
        approx: false,
        summary: "A failed pre-write invalidation returns -ENOTBLK and xfs and ext4 fall back to buffered I/O (60263d5889e6 with 80e543ae24db); direct reads stop invalidating (54752de928c4). btrfs still runs fs/direct-io.c, which falls back too.",
        set: &[
            ("dio_read_invalidate", "no"),
            ("dio_pre_invalidate_fail", "fallback-buffered"),
        ],
        proposal: false,
    },
    PresetDef {
        name: "linux-5.10",
        base: Some("linux-5.9"),
        kernel: Kernel(5, 10),
        approx: false,
        summary: "btrfs direct I/O moves to iomap_dio_rw() for good (f85781fb505e, 0eb79294dbe3) and falls back on -ENOTBLK; it still drops inode_lock for a write within i_size (shared locking: 5.11).",
        set: &[("btrfs_dio_path", "iomap")],
        proposal: false,
    },
    PresetDef {
        name: "linux-5.15",
        base: Some("linux-5.10"),
        kernel: Kernel(5, 15),
        approx: false,
        summary: "mapping->invalidate_lock replaces XFS MMAPLOCK and ext4 i_mmap_sem, for every filesystem (Jan Kara).",
        set: &[("fault_lock", "invalidate-lock")],
        proposal: false,
    },
    PresetDef {
        name: "linux-5.16",
        base: Some("linux-5.15"),
        kernel: Kernel(5, 16),
        approx: false,
        summary: "btrfs and gfs2 direct I/O pins user pages without faulting and retries after faulting them in (Gruenbacher; btrfs 51bd9563b678); xfs and ext4 keep faulting, safely.",
        set: &[("dio_gup_fault", "nofault-retry")],
        proposal: false,
    },
    PresetDef {
        name: "linux-6.2",
        base: Some("linux-5.16"),
        kernel: Kernel(6, 2),
        approx: true,
        summary: "Buffered writes revalidate their cached iomap with a sequence cookie (Chinner, ->iomap_valid); DAX recovery writes (~5.19).",
        set: &[("iomap_validity", "cookie"), ("dax_poison_write", "recovery-write")],
        proposal: false,
    },
    PresetDef {
        name: "linux-6.15",
        base: Some("linux-6.2"),
        kernel: Kernel(6, 15),
        approx: false,
        summary: "RWF_DONTCACHE: folios a buffered read or write creates are dropped once clean (6.14, FOP_DONTCACHE on xfs; ext4 ~6.17; not btrfs). btrfs direct writes to checksummed files fall back to buffered writes (968f19c5b1b7, 6.15).",
        set: &[("uncached_write", "dropbehind")],
        proposal: false,
    },
    PresetDef {
        name: "linux-6.18",
        base: Some("linux-6.15"),
        kernel: Kernel(6, 18),
        approx: false,
        summary: "The kernel the project's machines run, which the kernel lab (`dioscope kernel`) compares the model with.",
        set: &[],
        proposal: false,
    },
    // ---- proposals from the threads ----
    PresetDef {
        name: "2016-dax-direct-io",
        base: Some("linux-5.7"),
        kernel: Kernel(4, 6),
        approx: true,
        summary: "Verma and Williams, 2016-05: O_DIRECT on DAX goes through the block direct_IO path so writes can clear media errors (not merged). XFS then used __blockdev_direct_IO (iomap_dio_rw came in 4.10) and only warned (WARN_ON_ONCE) when invalidation failed.",
        set: &[("dax_odirect", "direct-io-path"), ("dio_pre_invalidate_fail", "ignore")],
        proposal: true,
    },
    PresetDef {
        name: "2019-dio-marker",
        base: Some("linux-5.7"),
        kernel: Kernel(5, 0),
        approx: true,
        summary: "Lutomirski, 2019-01: cached pages are served by the cache, uncached ones get a \"DIO in progress\" entry in i_pages that others wait on (not merged).",
        set: &[("dio_coherency", "dio-marker")],
        proposal: true,
    },
    PresetDef {
        name: "2019-dio-rwsem",
        base: Some("linux-5.7"),
        kernel: Kernel(5, 0),
        approx: true,
        summary: "Wilcox, 2019-01: with i_pages empty, direct I/O holds a rwsem shared and page insertion takes it exclusive; markers otherwise (not merged).",
        set: &[("dio_coherency", "rwsem")],
        proposal: true,
    },
    PresetDef {
        name: "2019-uncached-per-page",
        base: Some("linux-5.7"),
        kernel: Kernel(5, 5),
        approx: true,
        summary: "Axboe, 2019-12, RWF_UNCACHED v1: write back and drop each page inside the iomap write loop (not merged).",
        set: &[("uncached_write", "per-page-drop")],
        proposal: true,
    },
    PresetDef {
        name: "2019-uncached-per-io",
        base: Some("linux-5.7"),
        kernel: Kernel(5, 5),
        approx: true,
        summary: "Chinner, 2019-12: flush and invalidate once per I/O after the write loop instead (not merged in this form).",
        set: &[("uncached_write", "per-io-flush")],
        proposal: true,
    },
    PresetDef {
        name: "2020-dio-return-zero",
        base: Some("linux-5.8-merge-window"),
        kernel: Kernel(5, 8),
        approx: false,
        summary: "Rodrigues, 2020-05-28, on the 5.8 merge-window tree: a failed invalidation makes iomap_dio_rw() return 0; ext4 and btrfs finish with a buffered write, XFS returns the short write (Wong: \"now we make the direct writer lose\"). Not merged.",
        set: &[("dio_pre_invalidate_fail", "return-zero")],
        proposal: true,
    },
    PresetDef {
        name: "2020-no-stale-pagecache",
        base: Some("linux-5.8-merge-window"),
        kernel: Kernel(5, 8),
        approx: false,
        summary: "Rodrigues, 2020-06: IOMAP_DIO_RWF_NO_STALE_PAGECACHE, on the 5.8 merge-window tree: btrfs passes the flag and falls back to a buffered write when invalidation fails; xfs and ext4 do not pass it and still warn and set -EIO (not merged).",
        set: &[("dio_pre_invalidate_fail", "no-stale-pagecache")],
        proposal: true,
    },
    PresetDef {
        name: "2020-serve-from-cache",
        base: Some("linux-5.8-merge-window"),
        kernel: Kernel(5, 8),
        approx: false,
        summary: "Wilcox and Hellwig, 2020-07: never invalidate for direct I/O; serve every cached part of a direct read from the page cache, write into the cached pages of a direct write, write them back and leave them cached (not merged).",
        set: &[("dio_coherency", "serve-from-cache")],
        proposal: true,
    },
    PresetDef {
        name: "2020-eio-after-write",
        base: Some("linux-5.8-merge-window"),
        kernel: Kernel(5, 8),
        approx: false,
        summary: "Wong, 2020-06: carry on quietly when invalidation fails before the write; set -EIO only when it fails after the write.",
        set: &[("dio_pre_invalidate_fail", "ignore"), ("dio_post_invalidate_fail", "warn-eio")],
        proposal: true,
    },
];

impl Policy {
    /// The policy of a preset (see [`PRESETS`]).
    pub fn preset(name: &str) -> Result<Policy, KnobError> {
        let def = preset_def(name).ok_or_else(|| KnobError::UnknownPreset {
            preset: name.to_string(),
        })?;
        let mut p = match def.base {
            Some(base) => Policy::preset(base)?,
            None => Policy::zero(),
        };
        p.kernel = def.kernel;
        for (k, v) in def.set {
            p.set(k, v)
                .expect("preset table names a knob or value that does not exist");
        }
        Ok(p)
    }

    /// An all-first-values policy that only the root preset starts from.
    fn zero() -> Policy {
        let mut p = Policy {
            kernel: Kernel(0, 0),
            dio_read_invalidate: DioReadInvalidate::ALL[0],
            dio_pre_invalidate_fail: DioPreInvalidateFail::ALL[0],
            dio_post_invalidate_fail: DioPostInvalidateFail::ALL[0],
            dio_post_invalidate_order: DioPostInvalidateOrder::ALL[0],
            dio_aio_complete: DioAioComplete::ALL[0],
            dio_coherency: DioCoherency::ALL[0],
            dio_gup_fault: DioGupFault::ALL[0],
            btrfs_dio_path: BtrfsDioPath::ALL[0],
            fault_lock: FaultLock::ALL[0],
            uncached_write: UncachedWrite::ALL[0],
            iomap_validity: IomapValidity::ALL[0],
            speculative_prealloc: SpeculativePrealloc::ALL[0],
            dax_odirect: DaxOdirect::ALL[0],
            dax_poison_write: DaxPoisonWrite::ALL[0],
            wb_error_report: WbErrorReport::ALL[0],
        };
        p.kernel = Kernel(0, 0);
        p
    }

    /// The knobs (in table order) whose values differ from `other`.
    pub fn diff(&self, other: &Policy) -> Vec<(&'static str, &'static str, &'static str)> {
        KNOBS
            .iter()
            .filter_map(|k| {
                let a = self.get(k.name).unwrap();
                let b = other.get(k.name).unwrap();
                (a != b).then_some((k.name, a, b))
            })
            .collect()
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy::preset(DEFAULT_PRESET).unwrap_or_else(|_| unreachable!("the default preset exists"))
    }
}

pub fn preset_def(name: &str) -> Option<&'static PresetDef> {
    PRESETS.iter().find(|p| p.name == name)
}

pub fn knob_def(name: &str) -> Option<&'static KnobDef> {
    KNOBS.iter().find(|k| k.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_builds_and_sets_every_knob() {
        for p in PRESETS {
            let pol = Policy::preset(p.name).unwrap();
            for k in KNOBS {
                assert!(pol.get(k.name).is_some(), "{} lacks {}", p.name, k.name);
            }
        }
    }

    #[test]
    fn releases_change_what_the_facts_say() {
        let p58 = Policy::preset("linux-5.8").unwrap();
        let p59 = Policy::preset("linux-5.9").unwrap();
        assert_eq!(p58.dio_pre_invalidate_fail, DioPreInvalidateFail::WarnEio);
        assert_eq!(
            p59.dio_pre_invalidate_fail,
            DioPreInvalidateFail::FallbackBuffered
        );
        assert_eq!(p58.dio_read_invalidate, DioReadInvalidate::Yes);
        assert_eq!(p59.dio_read_invalidate, DioReadInvalidate::No);
        let now = Policy::default();
        assert_eq!(now.uncached_write, UncachedWrite::Dropbehind);
        assert_eq!(now.iomap_validity, IomapValidity::Cookie);
        assert_eq!(now.dio_gup_fault, DioGupFault::NofaultRetry);
        assert_eq!(now.fault_lock, FaultLock::InvalidateLock);
    }

    #[test]
    fn unknown_knob_and_value_say_what_is_expected() {
        let mut p = Policy::default();
        let e = p.set("dio_read_invalidat", "yes").unwrap_err().to_string();
        assert!(e.contains("did you mean `dio_read_invalidate`"), "{e}");
        let e = p
            .set("dio_read_invalidate", "maybe")
            .unwrap_err()
            .to_string();
        assert!(e.contains("expected one of: yes, no"), "{e}");
    }
}
