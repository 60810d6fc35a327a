//! fsync, fdatasync, sync_file_range, and the `generic_write_sync()` of
//! O_DSYNC writes. XFS's xfs_file_fsync: write and wait the range, check
//! and advance the file's errseq cursor (returning at once on error), force
//! the log (a PREFLUSH|FUA journal write that commits the metadata), and
//! flush the device cache.

use super::writeback::{check_as_eio, Flush};
use super::{Progress, Sub};
use crate::device::{Bio, BioKind};
use crate::extents::Ext;
use crate::ops::Range;
use crate::policy::WbErrorReport;
use crate::world::{Errno, Holder, Need, Ret, World};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Pc {
    Flush,
    Commit,
    Wait,
}

/// vfs_fsync_range() as a sub-machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sync {
    flush: Flush,
    datasync: bool,
    pc: Pc,
    /// A journal (log) write was submitted, not just a cache flush: the
    /// wait is the filesystem's own (review 13: only blkdev_issue_flush
    /// waits in submit_bio_wait).
    log: bool,
}

/// file_check_and_advance_wb_err() (errseq, 4.13+) or the legacy AS_EIO
/// test-and-clear: is there a writeback error for this file to report?
pub fn check_wb_err(w: &mut World, t: u8) -> bool {
    match w.st.policy.wb_error_report {
        WbErrorReport::Errseq => {
            let mut cursor = w.s.tasks[t as usize].cursor;
            let err = w.s.wb_err.check_and_advance(&mut cursor);
            w.s.tasks[t as usize].cursor = cursor;
            w.s.as_eio = false;
            if err != 0 {
                w.note(|w| {
                    format!(
                        "file_check_and_advance_wb_err: {}'s cursor is behind wb_err → -EIO",
                        w.st.task_name(t)
                    )
                });
            }
            err != 0
        }
        WbErrorReport::AsEioFlag => check_as_eio(w),
    }
}

impl Sync {
    pub fn new(lo: u8, hi: u8, datasync: bool) -> Sync {
        Sync {
            flush: Flush::new(lo, hi, true),
            datasync,
            pc: Pc::Flush,
            log: false,
        }
    }

    pub fn need(&self, w: &World) -> Need {
        match self.pc {
            Pc::Flush => self.flush.need(w),
            Pc::Commit => {
                if w.s.dev.queue_full() {
                    Need::QueueSpace
                } else {
                    Need::None
                }
            }
            Pc::Wait => Need::Bios,
        }
    }

    /// Whether the journal holds something fdatasync must commit: an
    /// allocation, an unwritten conversion, a size change.
    fn metadata_dirty(w: &World) -> bool {
        let e = &w.s.ext;
        w.s.i_size != e.disk_size
            || e.map
                .iter()
                .zip(e.disk.iter())
                .any(|(m, d)| match (*m, *d) {
                    (Ext::Delalloc(_), Ext::Hole(_)) => false,
                    (m, d) => m != d,
                })
    }

    pub fn step(&mut self, w: &mut World, t: u8) -> (&'static str, Sub<Result<(), Errno>>) {
        let me = Holder(t);
        match self.pc {
            Pc::Flush => match self.flush.step(w, me) {
                (n, Sub::Running) => (n, Sub::Running),
                (n, Sub::Done(())) => {
                    if check_wb_err(w, t) {
                        return (n, Sub::Done(Err(Errno::EIO)));
                    }
                    self.pc = Pc::Commit;
                    (n, Sub::Running)
                }
            },
            Pc::Commit => {
                let log = !self.datasync || Self::metadata_dirty(w);
                if log {
                    w.s.dev.submit(Bio {
                        kind: BioKind::LogWrite,
                        block: 0,
                        page: 0,
                        ver: Default::default(),
                        fua: true,
                        owner: me,
                        op: w.op_of(me),
                    });
                    w.note(|_| "journal write (PREFLUSH | FUA) submitted".to_string());
                    self.pc = Pc::Wait;
                    self.log = true;
                    (w.st.fs.names().fsync_commit, Sub::Running)
                } else if w.st.write_cache {
                    w.s.dev.submit(Bio {
                        kind: BioKind::Flush,
                        block: 0,
                        page: 0,
                        ver: Default::default(),
                        fua: false,
                        owner: me,
                        op: w.op_of(me),
                    });
                    self.pc = Pc::Wait;
                    self.log = false;
                    ("blkdev_issue_flush", Sub::Running)
                } else {
                    w.note(|_| "no metadata to commit, no volatile cache to flush".to_string());
                    ("fdatasync", Sub::Done(Ok(())))
                }
            }
            // XFS waits for the iclog (xlog_force_lsn), ext4 for the jbd2
            // commit (jbd2_log_wait_commit), btrfs for its super block
            // writes (write_all_supers → wait_dev_supers); only
            // blkdev_issue_flush sleeps in submit_bio_wait
            Pc::Wait if self.log => (w.st.fs.names().log_wait, Sub::Done(Ok(()))),
            Pc::Wait => ("submit_bio_wait", Sub::Done(Ok(()))),
        }
    }
}

/// The `fsync` and `fdatasync` ops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FsyncOp {
    sync: Sync,
}

impl FsyncOp {
    pub fn new(w: &World, datasync: bool) -> FsyncOp {
        FsyncOp {
            sync: Sync::new(0, w.st.pages - 1, datasync),
        }
    }
    pub fn need(&self, w: &World, _t: u8) -> Need {
        self.sync.need(w)
    }
    pub fn step(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let began = w.s.tasks[t as usize].began;
        match self.sync.step(w, t) {
            (n, Sub::Running) => (n, Progress::Continue),
            (n, Sub::Done(r)) => {
                w.oracle_fsync_return(t, began, r.err());
                (
                    n,
                    Progress::Return(r.map_or_else(Ret::Err, |()| Ret::Pages(0))),
                )
            }
        }
    }
}

/// `sync_file_range(WAIT_BEFORE | WRITE | WAIT_AFTER)`: write and wait the
/// range; no journal commit, no cache flush, no durability promise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SyncRange {
    flush: Flush,
}

impl SyncRange {
    pub fn new(r: Range) -> SyncRange {
        SyncRange {
            flush: Flush::new(r.lo, r.hi, true),
        }
    }
    pub fn need(&self, w: &World, _t: u8) -> Need {
        self.flush.need(w)
    }
    pub fn step(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        match self.flush.step(w, Holder(t)) {
            (n, Sub::Running) => (n, Progress::Continue),
            (n, Sub::Done(())) => {
                let r = if check_wb_err(w, t) {
                    Ret::Err(Errno::EIO)
                } else {
                    Ret::Pages(0)
                };
                (n, Progress::Return(r))
            }
        }
    }
}

/// Symmetry (see [`crate::perm`]): these path states keep no task id and
/// no version (they name them through the task index and `op_ver`); one
/// that stores either must rename it here.
impl Sync {
    pub fn permute(&mut self, p: &crate::perm::Perm) {
        let Sync {
            flush,
            datasync: _,
            pc: _,
            log: _,
        } = self;
        flush.permute(p);
    }
}
impl FsyncOp {
    pub fn permute(&mut self, p: &crate::perm::Perm) {
        let FsyncOp { sync } = self;
        sync.permute(p);
    }
}
impl SyncRange {
    pub fn permute(&mut self, p: &crate::perm::Perm) {
        let SyncRange { flush } = self;
        flush.permute(p);
    }
}
