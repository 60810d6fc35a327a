//! Policies: one value per decision point the mailing-list threads argued
//! about, and presets (kernel releases and proposals) that fix them all.
//!
//! Every knob carries the thread or commit it comes from; the facts are in
//! `shared/kernel-facts.md`. A `~` in a version means it was inferred from a
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
        "What a direct write does when invalidate_inode_pages2_range() fails before the write \
         (a page was dirtied again after the flush). Threads 2020-06 (generic/547) and 2020-07 \
         (IOMAP_DIO_RWF_NO_STALE_PAGECACHE)." {
        Ignore = "ignore", "Carry on with the direct write and say nothing (before 2017).";
        WarnEio = "warn-eio", "dio_warn_stale_pagecache(): log, errseq_set(wb_err, -EIO), carry on (5a9d929d6e13, 2017 to 5.8).";
        FallbackBuffered = "fallback-buffered", "iomap returns -ENOTBLK and the filesystem falls back to a buffered write, if it can (60263d5889e6, 5.9).";
        Fail = "fail", "Fail the direct write with -EBUSY (one reading of Hellwig's 2020-07 suggestion).";
        ServeFromCache = "serve-from-cache", "Write the still-cached pages through the page cache and write them back, leaving them cached; the rest goes direct (Wilcox and Hellwig, 2020-07).";
    }

    /// What a direct write does when invalidation fails after the write.
    dio_post_invalidate_fail: DioPostInvalidateFail = "dio_post_invalidate_fail",
        "What a direct write does when invalidation fails after the data reached the device: \
         the cache now really is stale. Wong, 2020-06: set EIO only in this case." {
        Ignore = "ignore", "Say nothing.";
        WarnEio = "warn-eio", "dio_warn_stale_pagecache(): errseq_set(wb_err, -EIO) (2017 and later).";
    }

    /// Order of ->end_io and the post-write invalidation.
    dio_post_invalidate_order: DioPostInvalidateOrder = "dio_post_invalidate_order",
        "Order at direct-write completion of ->end_io (unwritten extent conversion, i_size) and \
         the post-write invalidation. The wrong order lets a racing buffered read cache zeroes \
         from a still-unwritten extent: fstests generic/418, fixed by c771c14baa33 (~4.15)." {
        BeforeEndIo = "before-end-io", "Invalidate, then ->end_io (the generic/418 bug).";
        AfterEndIo = "after-end-io", "->end_io, then invalidate (the fix).";
    }

    /// How direct I/O is kept coherent with the page cache.
    dio_coherency: DioCoherency = "dio_coherency",
        "How direct I/O stays coherent with the page cache. Thread 2019-01: \"DIO in progress\" \
         entries in i_pages (Lutomirski) and Wilcox's rwsem; Chinner's reply shows both deadlock \
         when get_user_pages() faults on an mmap of the same file." {
        FlushInvalidate = "flush-invalidate", "Mainline: flush and invalidate the range around the I/O.";
        DioMarker = "dio-marker", "2019 proposal: cached pages are served by the cache, uncached ones get a \"DIO in progress\" entry that buffered I/O and faults wait on.";
        Rwsem = "rwsem", "2019 proposal (Wilcox): with an empty i_pages, direct I/O holds a new rwsem shared and inserting a page takes it exclusive; otherwise markers.";
    }

    /// Whether get_user_pages() may fault while the I/O holds its locks.
    dio_gup_fault: DioGupFault = "dio_gup_fault",
        "How direct I/O pins a user buffer that is not mapped yet. Gruenbacher's nofault series \
         (~5.16: FOLL_NOFAULT, IOMAP_DIO_PARTIAL) fixed the gfs2 and btrfs deadlocks." {
        Fault = "fault", "get_user_pages() faults the page in while the I/O holds its locks.";
        NofaultRetry = "nofault-retry", "Pin without faulting; on a miss finish the part done, drop the locks, fault the buffer in, retry the rest (~5.16).";
    }

    /// Which lock a page fault takes against truncate and hole punching.
    fault_lock: FaultLock = "fault_lock",
        "The lock that keeps page faults from re-instantiating pages while truncate or hole \
         punch removes them. XFS MMAPLOCK (4.1), ext4 i_mmap_sem (4.10); generalised as \
         mapping->invalidate_lock in 5.15 (Jan Kara)." {
        None = "none", "Faults take no such lock.";
        FsPrivate = "fs-private", "XFS and ext4 take their private lock; btrfs takes none (before 5.15).";
        InvalidateLock = "invalidate-lock", "Every filesystem: faults and readahead take invalidate_lock shared (5.15 and later).";
    }

    /// RWF_UNCACHED / RWF_DONTCACHE buffered writes.
    uncached_write: UncachedWrite = "uncached_write",
        "What a buffered write with RWF_UNCACHED / RWF_DONTCACHE does. Thread 2019-12 (Axboe, \
         Chinner); merged as RWF_DONTCACHE in 6.14, for iomap and XFS in 6.15." {
        Unsupported = "unsupported", "The flag is refused with -EOPNOTSUPP.";
        PerPageDrop = "per-page-drop", "2019 v1: inside the write loop, write back and drop each page, with the iomap still cached.";
        PerIoFlush = "per-io-flush", "Chinner's counter-proposal: after the whole I/O, write and wait the range, then invalidate it once.";
        Dropbehind = "dropbehind", "RWF_DONTCACHE (6.14/6.15): new folios are marked dropbehind, writeback of the range is kicked, folios are dropped when writeback completes.";
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
        "XFS speculative preallocation: an extending buffered write reserves delalloc blocks \
         beyond EOF, so writeback changes the extent map beyond the written range (thread 2019-12)." {
        On = "on", "Reserve delalloc beyond EOF on extending writes (XFS default).";
        Off = "off", "No preallocation (allocsize=4k, or ext4 and btrfs).";
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

/// Kernel releases first (oldest to newest, each a diff on the one before),
/// then one preset per proposal in the threads.
pub static PRESETS: &[PresetDef] = &[
    PresetDef {
        name: "linux-5.7",
        base: None,
        kernel: Kernel(5, 7),
        approx: false,
        summary: "Before the 2020 threads: failed invalidation warns and sets -EIO in wb_err; direct reads invalidate too.",
        set: &[
            ("dio_read_invalidate", "yes"),
            ("dio_pre_invalidate_fail", "warn-eio"),
            ("dio_post_invalidate_fail", "warn-eio"),
            ("dio_post_invalidate_order", "after-end-io"),
            ("dio_coherency", "flush-invalidate"),
            ("dio_gup_fault", "fault"),
            ("fault_lock", "fs-private"),
            ("uncached_write", "unsupported"),
            ("iomap_validity", "none"),
            ("speculative_prealloc", "on"),
            ("dax_odirect", "dax-path"),
            ("dax_poison_write", "fail"),
            ("wb_error_report", "errseq"),
        ],
        proposal: false,
    },
    PresetDef {
        name: "linux-5.8",
        base: Some("linux-5.7"),
        kernel: Kernel(5, 8),
        approx: false,
        summary: "btrfs direct I/O moves to iomap_dio_rw() and inherits its answer to a failed invalidation: a warning and -EIO in wb_err (generic/547 fails).",
        set: &[],
        proposal: false,
    },
    PresetDef {
        name: "linux-5.9",
        base: Some("linux-5.8"),
        kernel: Kernel(5, 9),
        approx: false,
        summary: "Failed pre-write invalidation returns -ENOTBLK and filesystems fall back to buffered I/O (60263d5889e6, 80e543ae24db); direct reads stop invalidating (54752de928c4).",
        set: &[("dio_read_invalidate", "no"), ("dio_pre_invalidate_fail", "fallback-buffered")],
        proposal: false,
    },
    PresetDef {
        name: "linux-5.15",
        base: Some("linux-5.9"),
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
        approx: true,
        summary: "Direct I/O pins user pages without faulting and retries after faulting them in (Gruenbacher; gfs2 and btrfs).",
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
        summary: "Today: RWF_DONTCACHE buffered writes drop their folios when writeback completes (6.14; iomap and XFS 6.15).",
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
        summary: "Verma and Williams, 2016-05: O_DIRECT on DAX goes through the block direct_IO path so writes can clear media errors (not merged).",
        set: &[("dax_odirect", "direct-io-path")],
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
        name: "2020-no-stale-pagecache",
        base: Some("linux-5.8"),
        kernel: Kernel(5, 8),
        approx: false,
        summary: "Rodrigues, 2020-06/07: on failed invalidation return to the filesystem to fall back to buffered I/O; XFS of the time has no fallback, so its direct writer gets the error.",
        set: &[("dio_pre_invalidate_fail", "fallback-buffered")],
        proposal: true,
    },
    PresetDef {
        name: "2020-serve-from-cache",
        base: Some("linux-5.8"),
        kernel: Kernel(5, 8),
        approx: false,
        summary: "Wilcox and Hellwig, 2020-07: serve the cached part of a direct I/O from the page cache and write it back, leaving it cached (not merged).",
        set: &[("dio_pre_invalidate_fail", "serve-from-cache")],
        proposal: true,
    },
    PresetDef {
        name: "2020-eio-after-write",
        base: Some("linux-5.8"),
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
            dio_coherency: DioCoherency::ALL[0],
            dio_gup_fault: DioGupFault::ALL[0],
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
        Policy::preset(DEFAULT_PRESET).unwrap()
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
