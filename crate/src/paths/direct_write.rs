//! A direct write (XFS `xfs_file_dio_write_aligned` → `iomap_dio_rw`), top
//! to bottom as the kernel does it:
//!
//! 1. the inode lock: XFS takes the IOLOCK shared for aligned writes, and
//!    exclusive (then `inode_dio_wait`) only to zero a gap past EOF
//!    (`xfs_file_write_checks`: `xfs_zero_range` from i_size), demoting it
//!    after; ext4 takes i_rwsem exclusive unless the write overwrites
//!    allocated blocks inside i_size (`ext4_dio_write_checks`), btrfs to
//!    extend the file (`btrfs_direct_write`) ([`crate::fs::Fs::dio_write_excl`]);
//! 2. `kiocb_write_and_wait`: write back and wait for dirty pages in range;
//! 3. `kiocb_invalidate_pages`: invalidate the range. If a page was dirtied
//!    again after the flush (an mmap store, a racing buffered write) this
//!    fails, and what happens is the `dio_pre_invalidate_fail` knob: warn
//!    and set -EIO in wb_err (5a9d929d6e13, ~4.18, to 5.8), return -ENOTBLK so the filesystem
//!    falls back to a buffered write (5.9), fail, or serve the cached pages
//!    through the cache (2020 proposal);
//! 4. `inode_dio_begin`; `->iomap_begin` (allocate unwritten blocks over
//!    holes and over delalloc reservations: `imap_needs_alloc()`);
//! 5. pin the user pages and submit bios (FUA for O_DSYNC overwrites);
//! 6. on completion `->end_io` (unwritten → written, i_size) and
//!    `kiocb_invalidate_post_direct_write` — in this order since the
//!    generic/418 fix; failure there warns with -EIO;
//! 7. `inode_dio_end`; `generic_write_sync` for O_DSYNC; unlock.
//!
//! btrfs up to released 5.8 (`btrfs_dio_path = direct-io`) ran the older
//! fs/direct-io.c code instead, through `generic_file_direct_write()`,
//! which this file follows too where `legacy` is set:
//! `btrfs_file_write_iter` takes `inode_lock` exclusive; the flush's error
//! is returned; a failed invalidation returns 0, "to fall back to
//! buffered write", which btrfs does still holding the lock; an overwrite
//! within EOF drops `inode_lock` around the I/O (`btrfs_direct_IO`,
//! `relock`); `dio_complete` invalidates after the write and warns on
//! failure, and `generic_file_direct_write` invalidates once more.
//! Since 6.15 btrfs writes a checksummed file (the default) through the
//! page cache instead of directly (968f19c5b1b7).

use super::buffered_write::BufWrite;
use super::dio::{self, gup_ok, user_page};
use super::direct_read::warn_stale_pagecache;
use super::fault::Fault;
use super::fsync::Sync;
use super::invalidate::Inval;
use super::writeback::{check_as_eio, Flush};
use super::{Path, Progress, Sub};
use crate::device::{Bio, BioKind};
use crate::extents::Ext;
use crate::fs::Fs;
use crate::locks::{LockId, Mode};
use crate::ops::Range;
use crate::policy::{
    DioCoherency, DioPostInvalidateFail, DioPostInvalidateOrder, DioPreInvalidateFail,
};
use crate::world::{Errno, Holder, Need, Ret, World, MAX_PAGES};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Pc {
    Lock,
    /// XFS, writing past EOF: xfs_file_write_checks() retakes the IOLOCK
    /// exclusive, waits for direct I/O, zeroes the gap, demotes it.
    Relock,
    DioWait,
    ZeroEof,
    Demote,
    Flush,
    Inval,
    Coherency,
    ServeCopy,
    ServeFlush,
    Begin,
    BtrfsFlush,
    /// btrfs lock_extent_direct: wait for the ordered extents of the range.
    BtrfsWait,
    Submit,
    GupFault,
    Wait,
    PostInval,
    EndIo,
    Sync,
    Retry,
    /// btrfs up to 5.9 (legacy, and iomap before ~5.10): btrfs_direct_IO
    /// takes inode_lock back after the I/O.
    LegacyRelock,
    /// legacy: generic_file_direct_write's invalidation after ->direct_IO.
    LegacyInval2,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DioWrite {
    base: u8,
    lo: u8,
    hi: u8,
    dsync: bool,
    from: Option<u8>,
    /// The buffer is a private mapping (MAP_PRIVATE).
    private: bool,
    pc: Pc,
    cur: u8,
    /// Pages written through the page cache (serve-from-cache, markers).
    served: crate::world::Pages,
    /// Pages written directly.
    direct: crate::world::Pages,
    /// Pages whose extent ->end_io must convert.
    unwritten: crate::world::Pages,
    /// Blocks ->iomap_begin mapped, per page (the iomap's addresses).
    blocks: [u8; MAX_PAGES],
    /// Pure overwrite with FUA: nothing left for generic_write_sync.
    fua: bool,
    partial: bool,
    /// `cur` when the last retry started (progress check).
    retried_at: Option<u8>,
    /// btrfs's old fs/direct-io.c path (up to 5.8).
    legacy: bool,
    /// Asynchronous (io_submit): returns once the bios are submitted.
    aio: bool,
    /// btrfs up to 5.9: inode_lock dropped around an overwrite's I/O.
    unlocked: bool,
    /// legacy: fall back to a buffered write once relocked.
    fallback_pending: bool,
    flush: Flush,
    inval: Inval,
    fault: Fault,
    sync: Sync,
}

impl DioWrite {
    pub fn new(w: &World, r: Range, dsync: bool, from: Option<u8>, private: bool) -> DioWrite {
        DioWrite {
            base: r.lo,
            lo: r.lo,
            hi: r.hi,
            dsync,
            from,
            private,
            pc: Pc::Lock,
            cur: r.lo,
            served: 0,
            direct: 0,
            unwritten: 0,
            blocks: [0; MAX_PAGES],
            fua: false,
            partial: false,
            retried_at: None,
            legacy: dio::legacy_btrfs(w) == Some(true),
            aio: false,
            unlocked: false,
            fallback_pending: false,
            flush: Flush::new(r.lo, r.hi, true),
            inval: Inval::new(r.lo, r.hi),
            fault: Fault::new(0, false),
            sync: Sync::new(r.lo, r.hi, true),
        }
    }

    /// An asynchronous write (`write R direct aio`).
    pub fn aio(self, aio: bool) -> DioWrite {
        DioWrite { aio, ..self }
    }

    fn range(&self) -> Range {
        Range {
            lo: self.lo,
            hi: self.hi,
        }
    }

    fn lock_mode(&self, w: &World) -> Mode {
        if self.legacy || w.st.fs.btrfs_dio_write_relocks(w.st.policy.kernel) {
            // btrfs_file_write_iter: inode_lock() for every write (shared
            // for overwrites only since the btrfs_inode_lock series, ~5.10)
            return Mode::Excl;
        }
        if w.st.policy.dio_coherency == DioCoherency::ServeFromCache
            && w.s.cache.present(self.lo, self.hi) != 0
        {
            // Chinner, 2020-07: with cached pages, a direct write "suddenly
            // serialises" like a buffered one
            return Mode::Excl;
        }
        let extending = self.hi >= w.s.i_size;
        let overwrite = (self.lo..=self.hi).all(|p| matches!(w.s.ext.get(p), Ext::Written(_)));
        if w.st.fs.dio_write_excl(extending, overwrite) {
            Mode::Excl
        } else {
            Mode::Shared
        }
    }

    pub fn need(&self, w: &World, t: u8) -> Need {
        match self.pc {
            // one asynchronous write in flight per task
            Pc::Lock if self.aio && w.s.tasks[t as usize].aio.active() => Need::NoAio,
            Pc::Lock => Need::Lock(LockId::IRwsem, self.lock_mode(w)),
            Pc::Relock | Pc::LegacyRelock => Need::Lock(LockId::IRwsem, Mode::Excl),
            Pc::LegacyInval2 => self.inval.need(w),
            Pc::DioWait => Need::DioIdle,
            Pc::ZeroEof | Pc::Demote => Need::None,
            Pc::Flush | Pc::ServeFlush | Pc::BtrfsFlush => self.flush.need(w),
            Pc::Inval | Pc::PostInval => self.inval.need(w),
            Pc::Coherency => dio::coherency_need(w, t, self.lo, self.hi),
            Pc::BtrfsWait => match self.busy_page(w) {
                Some((p, true)) => Need::NoWriteback(p),
                Some((p, false)) => Need::NoOrdered(p),
                None => Need::None,
            },
            Pc::ServeCopy => match w.s.cache.get(self.cur) {
                Some(_) => Need::FolioLock(self.cur),
                None => Need::None,
            },
            Pc::Begin => {
                if w.st.fs.dio_extent_lock() && self.range().mask() & !self.served != 0 {
                    Need::ExtentLock(self.lo, self.hi)
                } else {
                    Need::None
                }
            }
            Pc::Submit => self.submit_need(w, t),
            Pc::GupFault | Pc::Retry => self.fault.need(w, Holder(t)),
            Pc::Wait => Need::Bios,
            Pc::EndIo => Need::None,
            Pc::Sync => self.sync.need(w),
        }
    }

    fn submit_need(&self, w: &World, t: u8) -> Need {
        if let Some(base) = self.from {
            let u = user_page(base, self.base, self.cur);
            let pinned = w.s.tasks[t as usize].pinned & (1 << u) != 0;
            if !pinned && !gup_ok(w, t, u, false, self.private) {
                return if dio::nofault(w) {
                    Need::None
                } else {
                    Fault::new(u, false)
                        .private(self.private)
                        .need(w, Holder(t))
                };
            }
        }
        if w.s.dev.queue_full() {
            Need::QueueSpace
        } else {
            Need::None
        }
    }

    fn pages(&self) -> u8 {
        self.hi - self.base + 1
    }

    /// A step of get_user_pages()'s fault; back to submitting once pinned.
    fn gup_fault(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        match dio::gup_fault_step(w, t, &mut self.fault) {
            (n, Sub::Running) => (n, Progress::Continue),
            (n, Sub::Done(Ok(()))) => {
                self.pc = Pc::Submit;
                (n, Progress::Continue)
            }
            (n, Sub::Done(Err(_))) => (n, self.fail(w, t, Errno::EFAULT)),
        }
    }

    fn fail(&mut self, w: &mut World, t: u8, e: Errno) -> Progress {
        self.cancel_ordered(w, t);
        dio::release_all(w, t);
        Progress::Return(Ret::Err(e))
    }

    /// btrfs_dio_iomap_end: the ordered extent of the part no bio was
    /// submitted for is finished at once (cancelled), or faulting the
    /// buffer in would wait for it forever.
    fn cancel_ordered(&self, w: &mut World, t: u8) {
        let me = Holder(t);
        for p in self.cur..=self.hi {
            if self.direct & (1 << p) != 0
                && crate::locks::ordered_owner(w.s.locks.extent[p as usize]) == Some(me)
            {
                w.s.locks.extent[p as usize] = 0;
            }
        }
    }

    fn version(&self, w: &World, t: u8) -> crate::version::Version {
        let opi = w.s.tasks[t as usize].op as usize;
        w.st.op_ver[t as usize][opi].expect("a write has a version")
    }

    /// The filesystem writes the whole range through the page cache instead.
    /// `why` prefixes the note ("-ENOTBLK: ").
    fn fall_back(&mut self, w: &mut World, t: u8, why: &str) -> Progress {
        if w.st.fs.btrfs_dio_write_relocks(w.st.policy.kernel)
            && w.s.locks.i_rwsem.held_by(Holder(t)) == Some(Mode::Excl)
        {
            // 5.9: an extending write kept inode_lock through
            // iomap_dio_rw; btrfs_buffered_write runs under it
            let keep = w.s.locks.i_rwsem;
            dio::release_all(w, t);
            w.s.locks.i_rwsem = keep;
            if let Some(c) = w.counters() {
                c.dio_fallbacks += 1;
            }
            w.note(|w| {
                format!(
                    "{why}{} falls back to a buffered write, inode_lock still held",
                    w.st.fs.name()
                )
            });
            let r = Range {
                lo: self.base,
                hi: self.hi,
            };
            return Progress::Become(Path::BufWrite(BufWrite::fallback_locked(
                w, t, r, self.dsync,
            )));
        }
        dio::release_all(w, t);
        if let Some(c) = w.counters() {
            c.dio_fallbacks += 1;
        }
        w.note(|w| format!("{why}{} falls back to a buffered write", w.st.fs.name()));
        let r = Range {
            lo: self.base,
            hi: self.hi,
        };
        Progress::Become(Path::BufWrite(BufWrite::fallback_of(w, t, r, self.dsync)))
    }

    /// -ENOTBLK from iomap_dio_rw(): the filesystem falls back to a
    /// buffered write of the whole range, or passes the error up.
    fn enotblk(&mut self, w: &mut World, t: u8) -> Progress {
        let k = w.st.policy.kernel;
        if w.st.fs.falls_back_on_enotblk(k) {
            self.fall_back(w, t, "-ENOTBLK: ")
        } else {
            w.note(|w| format!("-ENOTBLK: {} (as of {}) has no buffered fallback; the direct writer gets the error", w.st.fs.name(), k));
            self.fail(w, t, Errno::ENOTBLK)
        }
    }

    pub fn step(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let pc = self.pc;
        let (n, p) = self.step_inner(w, t);
        (self.kiocb_name(w, pc, n), p)
    }

    /// Since 6.5 `__iomap_dio_rw` flushes and invalidates through
    /// Hellwig's kiocb helpers (kiocb_invalidate_pages before the write,
    /// kiocb_invalidate_post_direct_write after it): the steps say so
    /// (review 13). The inner calls are the same.
    fn kiocb_name(&self, w: &World, pc: Pc, n: &'static str) -> &'static str {
        if self.legacy || !crate::release::dio_write_flush_error_falls_back(w.st.policy.kernel) {
            return n;
        }
        match (pc, n) {
            (Pc::Flush, "filemap_write_and_wait_range") => {
                "kiocb_invalidate_pages: filemap_write_and_wait_range"
            }
            (Pc::Inval, "invalidate_inode_pages2_range") => {
                "kiocb_invalidate_pages: invalidate_inode_pages2_range"
            }
            (Pc::PostInval, "invalidate_inode_pages2_range") => {
                "kiocb_invalidate_post_direct_write"
            }
            _ => n,
        }
    }

    fn step_inner(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let me = Holder(t);
        match self.pc {
            Pc::Lock => self.inode_locked(w, t),
            Pc::Relock => {
                self.pc = if w.s.dio & !(1 << t) != 0 {
                    Pc::DioWait
                } else {
                    Pc::ZeroEof
                };
                (w.st.fs.names().ilock_excl, Progress::Continue)
            }
            Pc::DioWait => {
                self.pc = Pc::ZeroEof;
                ("inode_dio_wait", Progress::Continue)
            }
            Pc::ZeroEof => self.xfs_file_write_zero_eof(w),
            Pc::Demote => {
                // xfs_file_dio_write_aligned(): the exclusive lock is not
                // needed across the I/O
                w.s.locks.i_rwsem.demote(me);
                self.after_lock(w);
                ("xfs_ilock_demote(IOLOCK_EXCL)", Progress::Continue)
            }
            Pc::Flush => self.filemap_write_and_wait_range(w, t),
            Pc::Inval => self.invalidate_inode_pages2_range(w, t),
            Pc::Coherency => {
                self.served = dio::coherency_enter(w, t, self.lo, self.hi);
                self.start_serving(w);
                ("iomap_dio_rw: DIO-in-progress", Progress::Continue)
            }
            Pc::ServeCopy => self.serve_copy(w, t),
            Pc::ServeFlush => match self.flush.step(w, me) {
                (n, Sub::Running) => (n, Progress::Continue),
                (n, Sub::Done(())) => {
                    if self.range().mask() & !self.served == 0 {
                        w.note(|_| "every page was written through the cache".to_string());
                        return (n, self.complete(w, t));
                    }
                    self.pc = Pc::Begin;
                    (n, Progress::Continue)
                }
            },
            Pc::Begin => self.iomap_begin(w, t),
            Pc::BtrfsFlush => match self.flush.step(w, me) {
                (n, Sub::Running) => (n, Progress::Continue),
                (n, Sub::Done(())) => {
                    self.pc = Pc::BtrfsWait;
                    (n, Progress::Continue)
                }
            },
            Pc::BtrfsWait => {
                if self.busy_page(w).is_some() {
                    return ("btrfs_wait_ordered_range", Progress::Continue);
                }
                self.pc = Pc::Begin;
                ("btrfs_wait_ordered_range", Progress::Continue)
            }
            Pc::Submit => self.submit(w, t),
            Pc::GupFault => self.gup_fault(w, t),
            Pc::Wait => self.wait_done(w, t),
            Pc::PostInval => self.invalidate_post_direct_write(w, t),
            Pc::LegacyRelock => {
                self.unlocked = false;
                let p = if !self.legacy {
                    // 5.9: relocked after iomap_dio_rw; btrfs_direct_write
                    // returns (a fallback relocks in its buffered write)
                    self.finish(w, t)
                } else if self.fallback_pending {
                    self.legacy_fall_back(w, t)
                } else {
                    self.legacy_post_inval(w, t)
                };
                ("btrfs_direct_IO: inode_lock", p)
            }
            Pc::LegacyInval2 => match self.inval.step(w) {
                (n, Sub::Running) => (n, Progress::Continue),
                (n, Sub::Done(failed)) => {
                    if failed {
                        // "If this invalidation fails, tough, the write still
                        // worked..." and, since ~5.5, a warning with -EIO
                        warn_stale_pagecache(w);
                    }
                    (n, self.finish(w, t))
                }
            },
            Pc::EndIo => {
                self.end_io(w);
                (self.end_io_name(w), self.complete(w, t))
            }
            Pc::Sync => match self.sync.step(w, t) {
                (n, Sub::Running) => (n, Progress::Continue),
                (n, Sub::Done(Ok(()))) => {
                    let v = self.version(w, t);
                    w.oracle_dsync(v);
                    dio::release_all(w, t);
                    (n, Progress::Return(Ret::Pages(self.pages())))
                }
                (n, Sub::Done(Err(e))) => (n, self.fail(w, t, e)),
            },
            Pc::Retry => self.retry_after_fault(w, t),
        }
    }

    /// The inode lock is held: the checks each filesystem makes before it
    /// lets the direct write go on under that lock (or without it).
    fn inode_locked(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let me = Holder(t);
        let excl = w.s.locks.i_rwsem.held_by(me) == Some(Mode::Excl);
        let names = w.st.fs.names();
        let relocks = !self.legacy && w.st.fs.btrfs_dio_write_relocks(w.st.policy.kernel);
        let name = if self.legacy || relocks {
            "btrfs_file_write_iter: inode_lock"
        } else if excl {
            names.ilock_excl
        } else {
            names.ilock_shared
        };
        if !self.legacy && w.st.fs.dio_write_goes_buffered(w.st.policy.kernel) {
            // btrfs_direct_write: "if the inode requires data
            // checksum, just fallback to buffered IO"
            w.note(|_| {
                "the file has data checksums: btrfs writes it through the page cache".to_string()
            });
            return (name, self.fall_back(w, t, ""));
        }
        if w.st.fs == Fs::Xfs && !excl && self.lo > w.s.i_size {
            // xfs_file_write_checks(): the gap between EOF and the
            // write must be zeroed, which needs the IOLOCK exclusive
            w.s.locks.i_rwsem.release(me);
            w.note(|w| {
                format!(
                    "the write starts past EOF (page {}): drop the IOLOCK to retake it exclusive",
                    w.s.i_size
                )
            });
            self.pc = Pc::Relock;
            return (name, Progress::Continue);
        }
        self.after_lock(w);
        if relocks && self.hi < w.s.i_size {
            // btrfs_direct_IO (5.9, a43a67a2d715 and f85781fb505e):
            // "If the write DIO is beyond the EOF, we need update
            // the isize, but it is protected by i_mutex", so only a
            // write within i_size runs iomap_dio_rw() without it,
            // under down_read(dio_sem)
            w.s.locks.i_rwsem.release(me);
            self.unlocked = true;
            w.note(|_| {
                "within i_size: btrfs_direct_IO drops inode_lock; iomap_dio_rw runs under dio_sem (read)"
                    .to_string()
            });
        }
        (name, Progress::Continue)
    }

    /// xfs_file_write_zero_eof(), with the IOLOCK now exclusive.
    fn xfs_file_write_zero_eof(&mut self, w: &mut World) -> (&'static str, Progress) {
        // xfs_zero_range() over [EOF, write): holes and unwritten
        // extents past EOF read as zeroes already: nothing to write
        w.note(|w| {
            if self.lo > w.s.i_size {
                format!(
                    "xfs_zero_range over pages {}-{}: holes past EOF, nothing to write",
                    w.s.i_size,
                    self.lo - 1
                )
            } else {
                "EOF moved while relocking: no gap left".to_string()
            }
        });
        self.pc = Pc::Demote;
        ("xfs_file_write_zero_eof", Progress::Continue)
    }

    /// The flush before a direct write: on newer kernels a failed flush is
    /// -ENOTBLK (a buffered fallback where the filesystem has one).
    fn filemap_write_and_wait_range(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let me = Holder(t);
        match self.flush.step(w, me) {
            (n, Sub::Running) => (n, Progress::Continue),
            (n, Sub::Done(())) => {
                if check_as_eio(w) {
                    if !self.legacy
                        && crate::release::dio_write_flush_error_falls_back(w.st.policy.kernel)
                    {
                        w.note(|_| {
                            "kiocb_invalidate_pages: the flush failed → -ENOTBLK".to_string()
                        });
                        return (n, self.enotblk(w, t));
                    }
                    return (n, self.fail(w, t, Errno::EIO));
                }
                self.inval = Inval::new(self.lo, self.hi);
                self.pc = Pc::Inval;
                (n, Progress::Continue)
            }
        }
    }

    /// The invalidation before the write, so that no cached page is older
    /// than the data the write puts on the device.
    fn invalidate_inode_pages2_range(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let me = Holder(t);
        match self.inval.step(w) {
            (n, Sub::Running) => (n, Progress::Continue),
            (n, Sub::Done(false)) => {
                self.pc = Pc::Begin;
                if self.legacy && self.hi < w.s.i_size {
                    // btrfs_direct_IO: an overwrite within EOF runs
                    // without inode_lock
                    w.s.locks.i_rwsem.release(me);
                    self.unlocked = true;
                    w.note(|_| {
                        "overwrite within EOF: btrfs_direct_IO drops inode_lock for the I/O"
                            .to_string()
                    });
                }
                (n, Progress::Continue)
            }
            (n, Sub::Done(true)) if self.legacy => {
                // generic_file_direct_write: "If a page can not be
                // invalidated, return 0 to fall back to buffered write"
                (n, self.legacy_fall_back(w, t))
            }
            (n, Sub::Done(true)) => (n, self.pre_invalidate_failed(w, t)),
        }
    }

    /// The invalidation after the write (kiocb_invalidate_post_direct_write
    /// since 6.5): pages read in during the write (readahead, or a fault
    /// on a buffer mmapped from this file) may hold the old data.
    fn invalidate_post_direct_write(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        match self.inval.step(w) {
            (n, Sub::Running) => (n, Progress::Continue),
            (n, Sub::Done(failed)) => {
                if failed {
                    match w.st.policy.dio_post_invalidate_fail {
                        DioPostInvalidateFail::WarnEio => warn_stale_pagecache(w),
                        DioPostInvalidateFail::Ignore => {
                            w.note(|_| "post-write invalidation failed; ignored".to_string())
                        }
                    }
                }
                if w.st.policy.dio_post_invalidate_order == DioPostInvalidateOrder::BeforeEndIo {
                    self.pc = Pc::EndIo;
                    return (n, Progress::Continue);
                }
                (n, self.complete(w, t))
            }
        }
    }

    /// btrfs_direct_write after a short write: fault the rest of the buffer
    /// in, then go on from the first page not written (or return what was
    /// written if the fault fails).
    fn retry_after_fault(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let me = Holder(t);
        match self.fault.step(w, me) {
            (n, Sub::Running) => (n, Progress::Continue),
            (n, Sub::Done(Ok(()))) => {
                // btrfs_direct_write: `goto again`, the inode still locked
                self.lo = self.cur;
                self.partial = false;
                self.served = 0;
                self.after_lock(w);
                (n, Progress::Continue)
            }
            (n, Sub::Done(Err(_))) => {
                let done = self.cur - self.base;
                let r = if done > 0 {
                    Ret::Pages(done)
                } else {
                    Ret::Err(Errno::EFAULT)
                };
                (n, Progress::Return(r))
            }
        }
    }

    /// A page of the range under writeback (true) or with its ordered
    /// extent pending (false).
    fn busy_page(&self, w: &World) -> Option<(u8, bool)> {
        (self.lo..=self.hi).find_map(|p| {
            let f = w.s.cache.get(p)?;
            if f.writeback() {
                Some((p, true))
            } else if f.has(crate::pagecache::ORDERED) {
                Some((p, false))
            } else {
                None
            }
        })
    }

    fn after_lock(&mut self, w: &World) {
        if w.st.policy.dio_coherency == DioCoherency::FlushInvalidate {
            self.flush = Flush::new(self.lo, self.hi, true);
            self.pc = Pc::Flush;
        } else {
            self.pc = Pc::Coherency;
        }
    }

    fn pre_invalidate_failed(&mut self, w: &mut World, t: u8) -> Progress {
        match w.st.policy.dio_pre_invalidate_fail {
            DioPreInvalidateFail::Ignore => {
                w.note(|_| "invalidation failed; carry on with the direct write".to_string());
                self.pc = Pc::Begin;
                Progress::Continue
            }
            DioPreInvalidateFail::WarnEio => {
                warn_stale_pagecache(w);
                self.pc = Pc::Begin;
                Progress::Continue
            }
            DioPreInvalidateFail::FallbackBuffered => self.enotblk(w, t),
            DioPreInvalidateFail::Fail => {
                w.note(|_| "invalidation failed: the direct write fails".to_string());
                self.fail(w, t, Errno::EBUSY)
            }
            DioPreInvalidateFail::ReturnZero => {
                w.note(|_| "iomap_dio_rw returns 0: no direct I/O".to_string());
                if w.st.fs == Fs::Xfs {
                    // xfs_file_dio_write returns the short write as is
                    dio::release_all(w, t);
                    w.note(|_| {
                        "XFS has no buffered fallback: the write returns 0 bytes".to_string()
                    });
                    return Progress::Return(Ret::Pages(0));
                }
                self.fall_back(w, t, "")
            }
            DioPreInvalidateFail::NoStalePagecache => {
                if w.st.fs == Fs::Btrfs {
                    // IOMAP_DIO_RWF_NO_STALE_PAGECACHE: no I/O, return 0,
                    // and btrfs writes the range through the page cache
                    w.note(|_| {
                        "btrfs passed IOMAP_DIO_RWF_NO_STALE_PAGECACHE: no direct I/O".to_string()
                    });
                    self.fall_back(w, t, "")
                } else {
                    warn_stale_pagecache(w);
                    self.pc = Pc::Begin;
                    Progress::Continue
                }
            }
        }
    }

    fn start_serving(&mut self, w: &World) {
        let _ = w;
        match (self.lo..=self.hi).find(|p| self.served & (1 << p) != 0) {
            Some(p) => {
                self.cur = p;
                self.pc = Pc::ServeCopy;
            }
            None => self.pc = Pc::Begin,
        }
    }

    /// Copy into a cached page and dirty it (iomap_write_iter), as the
    /// 2020 serve-from-cache proposal and the 2019 marker scheme do.
    fn serve_copy(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let p = self.cur;
        if w.s.cache.get(p).is_none() {
            self.served &= !(1 << p);
            w.note(|_| format!("folio {p} went away: it will be written directly"));
        } else {
            let v = self.version(w, t);
            let f = w.s.cache.get_mut(p).unwrap();
            f.ver = crate::version::Data::all(v);
            f.flags |= crate::pagecache::UPTODATE | crate::pagecache::DIRTY;
            f.lock = 0;
            if let Some(c) = w.counters() {
                c.cpu_bytes += 4096;
            }
            w.note(|w| format!("folio {p}: copy {}; dirty", w.st.label(v)));
        }
        match (p + 1..=self.hi).find(|q| self.served & (1 << q) != 0) {
            Some(q) => self.cur = q,
            None => {
                self.flush = Flush::new(self.lo, self.hi, true);
                self.pc = Pc::ServeFlush;
            }
        }
        ("iomap_write_iter", Progress::Continue)
    }

    fn iomap_begin(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let name = if self.legacy {
            "btrfs_get_blocks_direct"
        } else {
            w.st.fs.names().dio_write_iomap_begin
        };
        let direct = self.range().mask() & !self.served;
        if w.st.fs.dio_extent_lock() {
            // btrfs lock_extent_direct(): pages in the range mean a buffered
            // write is in progress: wait for ordered extents (writeback) and
            // retry, or fall back (-ENOTBLK) if they are merely dirty.
            let present = w.s.cache.present(self.lo, self.hi) & direct;
            if present != 0 {
                w.s.locks.extent_release(self.lo, self.hi, Holder(t));
                let busy = (self.lo..=self.hi).any(|p| {
                    let f = w.s.cache.get(p);
                    present & (1 << p) != 0
                        && f.is_some_and(|f| f.writeback() || f.has(crate::pagecache::ORDERED))
                });
                if busy {
                    w.note(|_| {
                        "pages under writeback in the range: wait for the ordered extents, retry"
                            .to_string()
                    });
                    self.flush = Flush::new(self.lo, self.hi, true);
                    self.pc = Pc::BtrfsFlush;
                    return (name, Progress::Continue);
                }
                w.note(|_| {
                    format!(
                        "pages {} are in the page cache: lock_extent_direct → -ENOTBLK",
                        crate::util::fmt_set(present)
                    )
                });
                if self.legacy {
                    // do_blockdev_direct_IO: -ENOTBLK from get_block means
                    // "the rest is done with buffered I/O"
                    return (name, self.legacy_fall_back(w, t));
                }
                return (name, self.enotblk(w, t));
            }
        }
        dio::dio_begin(w, t);
        self.direct = direct;
        self.unwritten = 0;
        let mut allocated: crate::world::Pages = 0;
        for p in self.lo..=self.hi {
            if direct & (1 << p) == 0 {
                continue;
            }
            let b = match w.s.ext.get(p) {
                Ext::Written(b) => b,
                Ext::Unwritten(b, _) => {
                    self.unwritten |= 1 << p;
                    b
                }
                // imap_needs_alloc() is true for holes and for delalloc
                // (DELAYSTARTBLOCK): the write allocates over both
                Ext::Delalloc(z) | Ext::Hole(z) => match w.s.ext.alloc(w.st.nblocks) {
                    Some(b) => {
                        w.s.ext.set(p, Ext::Unwritten(b, z));
                        self.unwritten |= 1 << p;
                        allocated |= 1 << p;
                        b
                    }
                    None => return (name, self.fail(w, t, Errno::EIO)),
                },
            };
            self.blocks[p as usize] = b;
        }
        if w.st.fs.dio_extent_lock() {
            // btrfs_dio_iomap_begin: "writes only hold it for this part";
            // the ordered extent keeps readers out until it finishes
            w.s.locks
                .extent_to_ordered(self.lo, self.hi, direct, Holder(t));
        }
        let extending = self.hi >= w.s.i_size;
        // IOMAP_DIO_WRITE_THROUGH: an O_DSYNC pure overwrite uses FUA and
        // needs no generic_write_sync afterwards.
        self.fua =
            self.dsync && w.st.write_cache && self.unwritten == 0 && !extending && self.served == 0;
        w.note(|w| {
            // runs of pages on consecutive blocks (`0-63→blk 0-63`), not
            // page by page: a 64-page write is then one short line
            let mut maps: Vec<String> = Vec::new();
            let mut p = self.lo;
            while p <= self.hi {
                if direct & (1 << p) != 0 {
                    let (lo, blk) = (p, self.blocks[p as usize]);
                    while p < self.hi
                        && direct & (1 << (p + 1)) != 0
                        && self.blocks[p as usize + 1] == self.blocks[p as usize].wrapping_add(1)
                    {
                        p += 1;
                    }
                    maps.push(if lo == p {
                        format!("{p}→blk {blk}")
                    } else {
                        format!("{lo}-{p}→blk {blk}-{}", self.blocks[p as usize])
                    });
                }
                p += 1;
            }
            let mut s = format!("inode_dio_begin; iomap {}", maps.join(", "));
            if allocated != 0 {
                s += &format!(
                    "; unwritten blocks allocated for {}",
                    crate::util::fmt_set(allocated)
                );
            }
            let _ = w;
            s
        });
        self.cur = (self.lo..=self.hi)
            .find(|p| direct & (1 << p) != 0)
            .unwrap_or(self.hi + 1);
        self.pc = Pc::Submit;
        (name, Progress::Continue)
    }

    fn submit(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let me = Holder(t);
        let mut name = if self.legacy {
            "btrfs_submit_direct"
        } else {
            "iomap_dio_bio_iter: submit_bio"
        };
        let v = self.version(w, t);
        while self.cur <= self.hi {
            let p = self.cur;
            if self.direct & (1 << p) == 0 {
                self.cur += 1;
                continue;
            }
            if let Some(base) = self.from {
                let u = user_page(base, self.base, p);
                match dio::get_user_page(w, t, u, false, self.private) {
                    dio::Gup::Pinned => {}
                    dio::Gup::Fault(f) => {
                        self.fault = f;
                        self.pc = Pc::GupFault;
                        return self.gup_fault(w, t);
                    }
                    dio::Gup::Stop => {
                        self.partial = true;
                        self.pc = Pc::Wait;
                        return ("bio_iov_iter_get_pages", Progress::Continue);
                    }
                }
                name = "bio_iov_iter_get_pages; submit_bio";
            }
            if w.s.dev.queue_full() {
                return (name, Progress::Continue);
            }
            let b = self.blocks[p as usize];
            w.s.dev.submit(Bio {
                kind: BioKind::DioWrite,
                block: b,
                page: p,
                ver: crate::version::Data::all(v),
                fua: self.fua,
                owner: me,
                op: w.op_of(me),
            });
            w.note(|w| {
                format!(
                    "write bio: {} → block {b}{}",
                    w.st.label(v),
                    if self.fua { " (FUA)" } else { "" }
                )
            });
            self.cur += 1;
            if self.from.is_some() && self.cur <= self.hi {
                return (name, Progress::Continue);
            }
        }
        self.pc = Pc::Wait;
        if self.aio {
            return (name, self.submitted_aio(w, t));
        }
        (name, Progress::Continue)
    }

    /// iomap_dio_rw returns -EIOCBQUEUED: io_submit returns and the task
    /// goes on; the write completes when its last bio does
    /// ([`aio_bio_done`]).
    fn submitted_aio(&mut self, w: &mut World, t: u8) -> Progress {
        let opi = w.s.tasks[t as usize].op;
        let bios =
            w.s.dev
                .inflight()
                .iter()
                .filter(|b| b.owner == Holder(t) && b.op == opi && b.kind == BioKind::DioWrite)
                .count() as u8;
        if bios == 0 {
            // nothing went to the device: complete now
            return self.complete(w, t);
        }
        w.s.tasks[t as usize].aio = crate::world::Aio {
            op: opi + 1,
            bios,
            lo: self.lo,
            hi: self.hi,
            unwritten: self.unwritten,
            err: false,
        };
        // i_dio_count is the AIO's now (tasks[t].aio), not the task's
        dio::dio_end(w, t);
        w.note(|_| {
            "-EIOCBQUEUED: io_submit returns; the write completes when its bios do".to_string()
        });
        Progress::Detach
    }

    /// The bios completed: iomap_dio_complete.
    fn wait_done(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let name = if self.legacy {
            "dio_complete"
        } else {
            "iomap_dio_complete"
        };
        dio::unpin_all(w, t);
        if w.s.tasks[t as usize].dio_err {
            w.note(|_| "a bio failed: ->end_io skips the conversion; -EIO".to_string());
            return (name, self.fail(w, t, Errno::EIO));
        }
        if self.partial {
            // complete the part that was written, then retry the rest
            self.cancel_ordered(w, t);
            self.end_io_upto(w, self.cur);
            dio::release_for_retry(w, t);
            if self.retried_at == Some(self.cur) {
                // btrfs_direct_write: no progress since the last retry, so
                // finish with a buffered write
                w.note(|_| {
                    "no progress since the last retry: finish with a buffered write".to_string()
                });
                dio::release_all(w, t);
                if let Some(c) = w.counters() {
                    c.dio_fallbacks += 1;
                }
                let mut b = BufWrite::fallback_of(
                    w,
                    t,
                    Range {
                        lo: self.cur,
                        hi: self.hi,
                    },
                    self.dsync,
                );
                b.set_total(self.hi - self.base + 1);
                return (name, Progress::Become(Path::BufWrite(b)));
            }
            self.retried_at = Some(self.cur);
            let u = user_page(self.from.unwrap(), self.base, self.cur);
            w.note(|_| format!("short write; fault_in_iov_iter_readable(user page {u}) with the inode still locked, then retry from page {}", self.cur));
            self.fault = Fault::new(u, false).private(self.private);
            self.pc = Pc::Retry;
            return (name, Progress::Continue);
        }
        // serve-from-cache never invalidates (Wilcox, 2020-07: "not
        // invalidating the page cache at all for direct I/O")
        // the proposals do not invalidate after the write either: serving
        // the cached pages through the cache is their point, and the
        // 2019 schemes keep new pages out of the range with their
        // markers (or rwsem) while the I/O runs
        let cached = w.s.cache.present(self.lo, self.hi) != 0
            && w.st.policy.dio_coherency == DioCoherency::FlushInvalidate;
        match w.st.policy.dio_post_invalidate_order {
            DioPostInvalidateOrder::AfterEndIo => {
                self.end_io(w);
                if cached {
                    self.inval = Inval::new(self.lo, self.hi);
                    self.pc = Pc::PostInval;
                    return (self.end_io_name(w), Progress::Continue);
                }
                (self.end_io_name(w), self.complete(w, t))
            }
            DioPostInvalidateOrder::BeforeEndIo => {
                if cached {
                    self.inval = Inval::new(self.lo, self.hi);
                    self.pc = Pc::PostInval;
                    w.note(|_| "invalidate before ->end_io (the generic/418 order)".to_string());
                    return (name, Progress::Continue);
                }
                self.end_io(w);
                (self.end_io_name(w), self.complete(w, t))
            }
        }
    }

    fn end_io(&mut self, w: &mut World) {
        self.end_io_upto(w, self.hi + 1);
    }

    /// ->end_io: convert the unwritten extents written, extend i_size.
    fn end_io_upto(&mut self, w: &mut World, end: u8) {
        let mut conv: crate::world::Pages = 0;
        for p in self.lo..end.min(self.hi + 1) {
            if self.unwritten & (1 << p) != 0 {
                if let Ext::Unwritten(b, _) = w.s.ext.get(p) {
                    w.s.ext.set(p, Ext::Written(b));
                    conv |= 1 << p;
                }
            }
        }
        self.unwritten &= !conv;
        let new_size = end.min(self.hi + 1);
        let grew = new_size > w.s.i_size;
        if grew {
            w.s.i_size = new_size;
        }
        w.note(|_| {
            let mut s = String::new();
            if conv != 0 {
                s += &format!("unwritten → written: {}", crate::util::fmt_set(conv));
            }
            if grew {
                if !s.is_empty() {
                    s += "; ";
                }
                s += &format!("i_size → {new_size} pages");
            }
            if s.is_empty() {
                s = "nothing to convert".into();
            }
            s
        });
    }

    /// inode_dio_end, then O_DSYNC's generic_write_sync, then unlock.
    fn complete(&mut self, w: &mut World, t: u8) -> Progress {
        dio::dio_end(w, t);
        if w.st.fs.dio_extent_lock() {
            w.s.locks.extent_release(self.lo, self.hi, Holder(t));
        }
        if self.unlocked {
            // btrfs_direct_IO takes inode_lock back after the I/O
            self.pc = Pc::LegacyRelock;
            return Progress::Continue;
        }
        if self.legacy {
            return self.legacy_post_inval(w, t);
        }
        self.finish(w, t)
    }

    /// legacy: generic_file_direct_write() invalidates the range once more
    /// after ->direct_IO, if anything is cached.
    fn legacy_post_inval(&mut self, w: &mut World, t: u8) -> Progress {
        if w.s.cache.present(self.lo, self.hi) != 0 {
            self.inval = Inval::new(self.lo, self.hi);
            self.pc = Pc::LegacyInval2;
            return Progress::Continue;
        }
        self.finish(w, t)
    }

    /// legacy: a buffered write of what is left, inode_lock held (by
    /// btrfs_file_write_iter, for the whole write).
    fn legacy_fall_back(&mut self, w: &mut World, t: u8) -> Progress {
        if self.unlocked {
            self.fallback_pending = true;
            self.pc = Pc::LegacyRelock;
            return Progress::Continue;
        }
        let keep = w.s.locks.i_rwsem;
        dio::release_all(w, t);
        w.s.locks.i_rwsem = keep;
        if let Some(c) = w.counters() {
            c.dio_fallbacks += 1;
        }
        w.note(|_| {
            "btrfs writes the rest through the page cache (btrfs_buffered_write)".to_string()
        });
        let r = Range {
            lo: self.lo,
            hi: self.hi,
        };
        let mut b = BufWrite::fallback_locked(w, t, r, self.dsync);
        b.set_total(self.hi - self.base + 1);
        Progress::Become(Path::BufWrite(b))
    }

    /// The completion handler the filesystem gave the direct I/O code.
    fn end_io_name(&self, w: &World) -> &'static str {
        if self.legacy {
            // btrfs passes no ->end_io to __blockdev_direct_IO; its bios'
            // btrfs_endio_direct_write finished the ordered extent
            "dio_complete"
        } else {
            w.st.fs.names().dio_end_io
        }
    }

    /// O_DSYNC's generic_write_sync, then unlock.
    fn finish(&mut self, w: &mut World, t: u8) -> Progress {
        if self.dsync && !self.fua {
            self.sync = Sync::new(self.lo, self.hi, true);
            self.pc = Pc::Sync;
            return Progress::Continue;
        }
        if self.dsync {
            let v = self.version(w, t);
            w.oracle_dsync(v);
        }
        dio::release_all(w, t);
        Progress::Return(Ret::Pages(self.pages()))
    }
}

/// Symmetry (see [`crate::perm`]): these path states keep no task id and
/// no version (they name them through the task index and `op_ver`); one
/// that stores either must rename it here.
impl DioWrite {
    pub fn permute(&mut self, p: &crate::perm::Perm) {
        let DioWrite {
            base: _,
            lo: _,
            hi: _,
            dsync: _,
            from: _,
            pc: _,
            cur: _,
            served: _,
            direct: _,
            unwritten: _,
            blocks: _,
            fua: _,
            partial: _,
            retried_at: _,
            flush,
            inval,
            fault,
            sync,
            fallback_pending: _,
            unlocked: _,
            legacy: _,
            private: _,
            aio: _,
        } = self;
        flush.permute(p);
        inval.permute(p);
        fault.permute(p);
        sync.permute(p);
    }
}

/// A bio of task `t`'s asynchronous write completed. The last one
/// completes the write without invalidating anything (before 4.14: iomap
/// invalidated after the write only for sync I/O), or (since
/// 332391a9935d, if the file has cached pages) in a workqueue that also
/// invalidates the written range after ->end_io.
pub fn aio_bio_done(w: &mut World, t: u8, ok: bool) {
    let aio = &mut w.s.tasks[t as usize].aio;
    aio.bios -= 1;
    aio.err |= !ok;
    if aio.bios > 0 {
        return;
    }
    let deferred = w.st.policy.dio_aio_complete == crate::policy::DioAioComplete::Workqueue
        && !w.s.cache.is_empty()
        && !w.s.dev.queue_full();
    if deferred {
        let aio = w.s.tasks[t as usize].aio;
        w.s.dev.submit(Bio {
            kind: BioKind::AioComplete,
            block: 0,
            page: aio.lo,
            ver: crate::version::Data::all(crate::version::Version::INIT),
            fua: false,
            owner: Holder(t),
            op: aio.op - 1,
        });
        w.note(|_| {
            "the file has cached pages: the completion is deferred to a workqueue".to_string()
        });
    } else {
        aio_complete(w, t, false);
    }
}

/// Whether the deferred completion can run now: invalidate_inode_pages2
/// waits for locked folios and for writeback.
pub fn aio_complete_ready(w: &World, t: u8) -> bool {
    let aio = w.s.tasks[t as usize].aio;
    (aio.lo..=aio.hi).all(|p| {
        w.s.cache
            .get(p)
            .is_none_or(|f| !f.locked() && !f.writeback())
    })
}

/// The asynchronous write's completion: ->end_io (unwritten conversion,
/// i_size), the invalidation after the write if `invalidate`, then the
/// result is posted (ki_complete).
pub fn aio_complete(w: &mut World, t: u8, invalidate: bool) {
    let aio = w.s.tasks[t as usize].aio;
    let mut conv: crate::world::Pages = 0;
    if !aio.err {
        for p in aio.lo..=aio.hi {
            if aio.unwritten & (1 << p) != 0 {
                if let Ext::Unwritten(b, _) = w.s.ext.get(p) {
                    w.s.ext.set(p, Ext::Written(b));
                    conv |= 1 << p;
                }
            }
        }
        if aio.hi + 1 > w.s.i_size {
            w.s.i_size = aio.hi + 1;
        }
    }
    let mut failed = false;
    let mut dropped: crate::world::Pages = 0;
    if invalidate && !aio.err {
        for p in aio.lo..=aio.hi {
            match w.s.cache.get(p) {
                Some(f) if f.dirty() => failed = true,
                Some(_) => {
                    super::invalidate::remove_folio(w, p);
                    dropped |= 1 << p;
                }
                None => {}
            }
        }
    }
    w.note(|w| {
        let mut s = String::from("->end_io");
        if conv != 0 {
            s += &format!(": unwritten → written {}", crate::util::fmt_set(conv));
        }
        if invalidate {
            s += &format!(
                "; invalidated {}",
                if dropped == 0 {
                    "nothing".to_string()
                } else {
                    crate::util::fmt_set(dropped)
                }
            );
        } else if w.st.policy.dio_aio_complete == crate::policy::DioAioComplete::Irq {
            s += "; before 4.14 an AIO completion invalidates nothing";
        } else {
            s += "; no cached pages: nothing to invalidate";
        }
        s
    });
    if failed {
        match w.st.policy.dio_post_invalidate_fail {
            DioPostInvalidateFail::WarnEio => warn_stale_pagecache(w),
            DioPostInvalidateFail::Ignore => {
                w.note(|_| "post-write invalidation failed; ignored".to_string())
            }
        }
    }
    let r = if aio.err {
        Ret::Err(Errno::EIO)
    } else {
        Ret::Pages(aio.hi - aio.lo + 1)
    };
    w.finish_aio(t, r);
}
