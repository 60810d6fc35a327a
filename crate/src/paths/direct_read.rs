//! A direct read (`iomap_dio_rw` for reads, under i_rwsem shared): return 0
//! past EOF; `kiocb_write_and_wait` (flush dirty pages so the device holds
//! the newest data); up to 5.8 also invalidate the range; `inode_dio_begin`;
//! `->iomap_begin`; per mapping: zero the user buffer for holes and
//! unwritten extents, or pin the user pages (get_user_pages, which may
//! fault) and submit bios; wait; `iomap_dio_complete`.
//!
//! When the user buffer is an mmap of the same file (`into-mmap P`), the
//! pin faults on the file itself while the read holds its locks: the 2019
//! proposals and btrfs before ~5.16 deadlock there. With nofault-retry
//! (btrfs 5.16, 51bd9563b678) the read stops short, ends the part done
//! (the extent lock goes with it), faults the rest of the buffer in still
//! holding the inode lock shared (`btrfs_direct_read`), and retries; no
//! progress finishes with a buffered read. XFS and ext4 fault with their
//! locks held, which is safe: their faults take invalidate_lock, not the
//! IOLOCK / i_rwsem.

use super::dio::{self, gup_ok, user_page};
use super::fault::Fault;
use super::invalidate::Inval;
use super::writeback::{check_as_eio, mapping_set_error, Flush};
use super::{Progress, Sub};
use crate::device::{Bio, BioKind};
use crate::extents::Ext;
use crate::locks::{LockId, Mode};
use crate::ops::Range;
use crate::policy::{DioCoherency, DioPreInvalidateFail, DioReadInvalidate, WbErrorReport};
use crate::world::{Errno, Holder, Need, Ret, World};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Pc {
    Lock,
    Flush,
    Inval,
    Coherency,
    Begin,
    Submit,
    GupFault,
    Wait,
    /// nofault-retry: fault the buffer in, the inode lock still held (the
    /// extent lock released), then retry.
    Retry,
    /// No progress since the last retry: finish with a buffered read into
    /// the buffer (btrfs_direct_read → filemap_read), faulting normally.
    Buffered,
    BufferedFault,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DioRead {
    /// First page of the whole read (for the return value).
    base: u8,
    lo: u8,
    hi: u8,
    into: Option<u8>,
    /// The buffer is a private mapping (MAP_PRIVATE).
    private: bool,
    pc: Pc,
    cur: u8,
    /// Pages served from the page cache rather than the device.
    served: crate::world::Pages,
    flush: Flush,
    inval: Inval,
    fault: Fault,
    partial: bool,
    /// `cur` when the last retry started (progress check).
    retried_at: Option<u8>,
    /// btrfs up to 5.8: generic_file_read_iter() → btrfs_direct_IO() →
    /// __blockdev_direct_IO(): no i_rwsem, no invalidation.
    legacy: bool,
}

impl DioRead {
    pub fn new(w: &World, r: Range, into: Option<u8>, private: bool) -> DioRead {
        DioRead {
            base: r.lo,
            lo: r.lo,
            hi: r.hi,
            into,
            private,
            pc: Pc::Lock,
            cur: r.lo,
            served: 0,
            flush: Flush::new(r.lo, r.hi, true),
            inval: Inval::new(r.lo, r.hi),
            fault: Fault::new(0, true),
            partial: false,
            retried_at: None,
            legacy: dio::legacy_btrfs(w) == Some(true),
        }
    }

    fn uses_extent_lock(&self, w: &World) -> bool {
        w.st.fs.dio_extent_lock()
    }

    pub fn need(&self, w: &World, t: u8) -> Need {
        match self.pc {
            Pc::Lock if self.legacy => Need::None,
            Pc::Lock => Need::Lock(LockId::IRwsem, Mode::Shared),
            Pc::Flush => self.flush.need(w),
            Pc::Inval => self.inval.need(w),
            Pc::Coherency => dio::coherency_need(w, t, self.lo, self.hi),
            Pc::Begin => {
                if self.uses_extent_lock(w) {
                    Need::ExtentLock(self.lo, self.hi)
                } else {
                    Need::None
                }
            }
            Pc::Submit => self.submit_need(w, t),
            Pc::GupFault | Pc::Retry | Pc::BufferedFault => self.fault.need(w, Holder(t)),
            Pc::Wait => Need::Bios,
            Pc::Buffered => self.buffered_need(w, t),
        }
    }

    fn buffered_need(&self, w: &World, t: u8) -> Need {
        let p = self.cur;
        if p > self.hi || p >= w.s.i_size {
            return Need::None;
        }
        match w.s.cache.get(p) {
            None => super::filemap::create_need(w, Holder(t), p, true),
            Some(f) if f.locked() => Need::FolioUnlocked(p),
            Some(_) => {
                let u = user_page(self.into.unwrap(), self.base, p);
                if gup_ok(w, t, u, true, self.private) {
                    Need::None
                } else {
                    Fault::new(u, true).private(self.private).need(w, Holder(t))
                }
            }
        }
    }

    /// filemap_read() into the mmapped buffer, no locks held: a copy_to_user
    /// that may fault like any store.
    fn buffered(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let me = Holder(t);
        let p = self.cur;
        if p > self.hi || p >= w.s.i_size {
            return ("filemap_read", Progress::Return(Ret::Pages(p - self.base)));
        }
        let Some(f) = w.s.cache.get(p).copied() else {
            super::filemap::add_and_read(w, me, p, false);
            return ("page_cache_ra_unbounded", Progress::Continue);
        };
        if !f.uptodate() {
            let r = if p > self.base {
                Ret::Pages(p - self.base)
            } else {
                Ret::Err(Errno::EIO)
            };
            return ("filemap_read", Progress::Return(r));
        }
        let u = user_page(self.into.unwrap(), self.base, p);
        if !gup_ok(w, t, u, true, self.private) {
            self.fault = Fault::new(u, true).private(self.private);
            self.pc = Pc::BufferedFault;
            return match self.fault.step(w, me) {
                (n, Sub::Running) => (n, Progress::Continue),
                (n, Sub::Done(Ok(()))) => {
                    self.pc = Pc::Buffered;
                    (n, Progress::Continue)
                }
                (n, Sub::Done(Err(_))) => (n, Progress::Return(Ret::Err(Errno::EFAULT))),
            };
        }
        w.read_value(t, p, f.ver);
        if let Some(c) = w.counters() {
            c.cpu_bytes += 4096;
        }
        if self.private {
            w.note(|w| {
                format!(
                    "copy page {p} = {} into user page {u}, a private copy",
                    w.st.dlabel(p, f.ver)
                )
            });
        } else {
            let opi = w.s.tasks[t as usize].op as usize;
            let v = w.st.op_ver[t as usize][opi].expect("a read into mmap writes a version");
            w.s.cache.get_mut(u).expect("writable PTE has a folio").ver =
                crate::version::Data::all(v);
            w.note(|w| {
                format!(
                    "copy page {p} = {} into user page {u} (folio {u} now {})",
                    w.st.dlabel(p, f.ver),
                    w.st.label(v)
                )
            });
        }
        self.cur += 1;
        if self.cur > self.hi || self.cur >= w.s.i_size {
            return (
                "copy_folio_to_iter",
                Progress::Return(Ret::Pages(self.cur - self.base)),
            );
        }
        ("copy_folio_to_iter", Progress::Continue)
    }

    fn submit_need(&self, w: &World, t: u8) -> Need {
        let p = self.cur;
        if let Some(base) = self.into {
            let u = user_page(base, self.base, p);
            let pinned = w.s.tasks[t as usize].pinned & (1 << u) != 0;
            if !pinned && !gup_ok(w, t, u, true, self.private) {
                return if dio::nofault(w) {
                    Need::None
                } else {
                    Fault::new(u, true).private(self.private).need(w, Holder(t))
                };
            }
        }
        if self.served & (1 << p) != 0 {
            return match w.s.cache.get(p) {
                None => super::filemap::create_need(w, Holder(t), p, true),
                Some(f) if f.locked() => Need::FolioUnlocked(p),
                _ => Need::None,
            };
        }
        if matches!(w.s.ext.get(p), Ext::Written(_)) && w.s.dev.queue_full() {
            return Need::QueueSpace;
        }
        Need::None
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
        dio::release_all(w, t);
        Progress::Return(Ret::Err(e))
    }

    pub fn step(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let me = Holder(t);
        match self.pc {
            Pc::Lock => {
                let name = if self.legacy {
                    "generic_file_read_iter"
                } else {
                    w.st.fs.names().ilock_shared
                };
                (name, self.start(w, t))
            }
            Pc::Flush => self.kiocb_write_and_wait(w, t),
            Pc::Inval => self.read_invalidate(w, t),
            Pc::Coherency => {
                self.served = dio::coherency_enter(w, t, self.lo, self.hi);
                self.pc = Pc::Begin;
                ("iomap_dio_rw: DIO-in-progress", Progress::Continue)
            }
            Pc::Begin => self.inode_dio_begin(w, t),
            Pc::Submit => self.submit(w, t),
            Pc::GupFault => self.gup_fault(w, t),
            Pc::Wait => self.dio_complete(w, t),
            Pc::Buffered => self.buffered(w, t),
            Pc::BufferedFault => match self.fault.step(w, me) {
                (n, Sub::Running) => (n, Progress::Continue),
                (n, Sub::Done(Ok(()))) => {
                    self.pc = Pc::Buffered;
                    (n, Progress::Continue)
                }
                (n, Sub::Done(Err(_))) => (n, Progress::Return(Ret::Err(Errno::EFAULT))),
            },
            Pc::Retry => match self.fault.step(w, me) {
                (n, Sub::Running) => (n, Progress::Continue),
                (n, Sub::Done(Ok(()))) => {
                    // btrfs_direct_read: `goto again`, the inode still locked
                    self.lo = self.cur;
                    self.partial = false;
                    (n, self.start(w, t))
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
            },
        }
    }

    /// kiocb_write_and_wait(): dirty pages over the range go to the device
    /// first, so that the read sees what the cache held.
    fn kiocb_write_and_wait(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let me = Holder(t);
        match self.flush.step(w, me) {
            (n, Sub::Running) => (n, Progress::Continue),
            (n, Sub::Done(())) => {
                // kiocb_write_and_wait() returns filemap_check_errors()
                if check_as_eio(w) {
                    return (n, self.fail(w, t, Errno::EIO));
                }
                if w.st.policy.dio_read_invalidate == DioReadInvalidate::Yes && !self.legacy {
                    self.inval = Inval::new(self.lo, self.hi);
                    self.pc = Pc::Inval;
                } else {
                    self.pc = Pc::Begin;
                }
                (n, Progress::Continue)
            }
        }
    }

    /// The invalidation before the read that `dio_read_invalidate` asks for,
    /// and what its failure does (`dio_pre_invalidate_fail`).
    fn read_invalidate(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        match self.inval.step(w) {
            (n, Sub::Running) => (n, Progress::Continue),
            (n, Sub::Done(failed)) => {
                if failed {
                    match w.st.policy.dio_pre_invalidate_fail {
                        DioPreInvalidateFail::Ignore => {
                            w.note(|_| "invalidation failed; ignored".to_string())
                        }
                        DioPreInvalidateFail::WarnEio => warn_stale_pagecache(w),
                        DioPreInvalidateFail::Fail => return (n, self.fail(w, t, Errno::EBUSY)),
                        DioPreInvalidateFail::NoStalePagecache
                            if w.st.fs != crate::fs::Fs::Btrfs =>
                        {
                            warn_stale_pagecache(w)
                        }
                        DioPreInvalidateFail::ReturnZero if w.st.fs != crate::fs::Fs::Btrfs => {
                            // xfs and ext4 return the 0 to the caller
                            dio::release_all(w, t);
                            w.note(|_| {
                                "iomap_dio_rw returns 0: the read returns 0 bytes".to_string()
                            });
                            return (n, Progress::Return(Ret::Pages(0)));
                        }
                        DioPreInvalidateFail::FallbackBuffered
                        | DioPreInvalidateFail::ReturnZero
                        | DioPreInvalidateFail::NoStalePagecache => {
                            self.served = w.s.cache.present(self.lo, self.hi);
                            w.note(|_| "pages still cached are read through the cache".to_string());
                        }
                    }
                }
                self.pc = Pc::Begin;
                (n, Progress::Continue)
            }
        }
    }

    /// inode_dio_begin() and ->iomap_begin: map the range; some kernels
    /// refuse a delalloc extent left after the flush.
    fn inode_dio_begin(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        dio::dio_begin(w, t);
        let name = if self.legacy {
            "btrfs_get_blocks_direct"
        } else {
            w.st.fs.names().dio_read_iomap_begin
        };
        if w.st.fs.dio_read_delalloc_is_eio(w.st.policy.kernel) {
            if let Some(p) = (self.lo..=self.hi).find(|&p| {
                self.served & (1 << p) == 0 && matches!(w.s.ext.get(p), Ext::Delalloc(_))
            }) {
                w.note(|_| format!("page {p} is delalloc after the flush: \"Direct I/O collision with buffered writes!\" → -EIO"));
                return (name, self.fail(w, t, Errno::EIO));
            }
        }
        w.note(|w| {
            // by kind (`0-62 written, 63 hole`), not page by page: a
            // 64-page read is then one short line
            let mut kinds: Vec<String> = Vec::new();
            let mut left = crate::ops::Range {
                lo: self.lo,
                hi: self.hi,
            }
            .mask();
            while left != 0 {
                let kind = w.s.ext.get(left.trailing_zeros() as u8).kind();
                let same = (self.lo..=self.hi)
                    .filter(|&p| left & (1 << p) != 0 && w.s.ext.get(p).kind() == kind)
                    .fold(0u64, |m, p| m | 1 << p);
                kinds.push(format!("{} {kind}", crate::util::fmt_set(same)));
                left &= !same;
            }
            format!("inode_dio_begin; mapping {}", kinds.join(", "))
        });
        self.pc = Pc::Submit;
        (name, Progress::Continue)
    }

    /// iomap_dio_complete() (dio_complete() on legacy btrfs), all bios done:
    /// return, or on btrfs retry a short read once the buffer is faulted in.
    fn dio_complete(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let err = w.s.tasks[t as usize].dio_err;
        let name = if self.legacy {
            "dio_complete"
        } else {
            "iomap_dio_complete"
        };
        if self.partial && !err && self.retried_at != Some(self.cur) {
            // IOMAP_DIO_PARTIAL: btrfs_direct_read faults the rest
            // of the buffer in, still holding the inode lock, and
            // retries
            dio::release_for_retry(w, t);
            self.retried_at = Some(self.cur);
            let u = user_page(self.into.unwrap(), self.base, self.cur);
            w.note(|_| format!("short read; fault_in_iov_iter_writeable(user page {u}) with the inode still locked, then retry from page {}", self.cur));
            self.fault = Fault::new(u, true).private(self.private);
            self.pc = Pc::Retry;
            return (name, Progress::Continue);
        }
        dio::release_all(w, t);
        if err {
            return (name, Progress::Return(Ret::Err(Errno::EIO)));
        }
        if self.partial {
            w.note(|_| "no progress since the last retry: finish with a buffered read".to_string());
            self.pc = Pc::Buffered;
            return (name, Progress::Continue);
        }
        w.note(|_| "inode_dio_end; unpin; unlock".to_string());
        (name, Progress::Return(Ret::Pages(self.hi - self.base + 1)))
    }

    /// iomap_dio_rw() from the top, i_rwsem held: EOF checks, then the
    /// flush (or the proposals' coherency step).
    fn start(&mut self, w: &mut World, t: u8) -> Progress {
        if self.lo >= w.s.i_size {
            w.s.locks.i_rwsem.release(Holder(t));
            w.note(|_| "read starts past EOF: 0 bytes".to_string());
            return Progress::Return(Ret::Pages(self.lo - self.base));
        }
        if self.hi >= w.s.i_size {
            self.hi = w.s.i_size - 1;
            w.note(|_| format!("clamped to EOF: pages {}-{}", self.lo, self.hi));
        }
        self.cur = self.lo;
        self.served = 0;
        if w.st.policy.dio_coherency == DioCoherency::FlushInvalidate {
            self.flush = Flush::new(self.lo, self.hi, true);
            self.pc = Pc::Flush;
        } else {
            self.pc = Pc::Coherency;
        }
        Progress::Continue
    }

    /// Pin and submit (or zero-fill, or copy from the cache) from `cur` on.
    fn submit(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let me = Holder(t);
        let mut name = "iomap_dio_bio_iter";
        let first = self.cur;
        loop {
            let p = self.cur;
            // one step submits page after page until one must wait: what
            // the step's need() granted covers only its first page (a
            // page served from the cache once read itself in past a full
            // queue: fuzz engine seed 796102817595)
            if p != first && self.submit_need(w, t) != Need::None {
                return (name, Progress::Continue);
            }
            if let Some(base) = self.into {
                let u = user_page(base, self.base, p);
                match dio::get_user_page(w, t, u, true, self.private) {
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
            if self.served & (1 << p) != 0 {
                // served through the page cache: read it in again if it went
                let Some(f) = w.s.cache.get(p).copied() else {
                    super::filemap::add_and_read(w, me, p, false);
                    return ("page_cache_ra_unbounded", Progress::Continue);
                };
                if !f.uptodate() {
                    return (name, self.fail(w, t, Errno::EIO));
                }
                w.read_value(t, p, f.ver);
                if let Some(c) = w.counters() {
                    c.cpu_bytes += 4096;
                }
                w.note(|w| {
                    format!(
                        "page {p} copied from the page cache: {}",
                        w.st.dlabel(p, f.ver)
                    )
                });
                super::dio::dma_into_mmap(w, t, p);
            } else {
                match w.s.ext.get(p) {
                    Ext::Written(b) => {
                        if w.s.dev.queue_full() {
                            return (name, Progress::Continue);
                        }
                        w.s.dev.submit(Bio {
                            kind: BioKind::DioRead,
                            block: b,
                            page: p,
                            ver: Default::default(),
                            fua: false,
                            owner: me,
                            op: w.op_of(me),
                        });
                        w.note(|_| format!("read bio: block {b} → page {p} of the buffer"));
                    }
                    e => {
                        // iomap_dio_hole_iter: zero the user buffer, no I/O
                        let z = crate::version::Data::all(e.zeroes().unwrap());
                        w.read_value(t, p, z);
                        w.note(|_| format!("page {p} is {}: the buffer is zeroed", e.kind()));
                        super::dio::dma_into_mmap(w, t, p);
                    }
                }
            }
            self.cur += 1;
            if self.cur > self.hi {
                self.pc = Pc::Wait;
                return (name, Progress::Continue);
            }
            if self.into.is_some() {
                return (name, Progress::Continue);
            }
        }
    }
}

/// dio_warn_stale_pagecache(): "Page cache invalidation failure on direct
/// I/O. Possible data corruption due to collision with buffered I/O!" and
/// errseq_set(&mapping->wb_err, -EIO) (5a9d929d6e13): the next fsync fails.
pub fn warn_stale_pagecache(w: &mut World) {
    match w.st.policy.wb_error_report {
        WbErrorReport::Errseq => w.s.wb_err.set(Errno::EIO.code()),
        WbErrorReport::AsEioFlag => mapping_set_error(w, Errno::EIO.code()),
    }
    w.note(|_| "dio_warn_stale_pagecache: \"Page cache invalidation failure on direct I/O. Possible data corruption\"; -EIO recorded in wb_err".to_string());
}

/// Symmetry (see [`crate::perm`]): these path states keep no task id and
/// no version (they name them through the task index and `op_ver`); one
/// that stores either must rename it here.
impl DioRead {
    pub fn permute(&mut self, p: &crate::perm::Perm) {
        let DioRead {
            base: _,
            lo: _,
            hi: _,
            into: _,
            pc: _,
            cur: _,
            served: _,
            flush,
            inval,
            fault,
            partial: _,
            retried_at: _,
            legacy: _,
            private: _,
        } = self;
        flush.permute(p);
        inval.permute(p);
        fault.permute(p);
    }
}
