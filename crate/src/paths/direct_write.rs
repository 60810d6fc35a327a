//! A direct write (XFS `xfs_file_dio_write_aligned` → `iomap_dio_rw`), top
//! to bottom as the kernel does it:
//!
//! 1. i_rwsem shared (exclusive to extend the file, then `inode_dio_wait`);
//! 2. `kiocb_write_and_wait`: write back and wait for dirty pages in range;
//! 3. `kiocb_invalidate_pages`: invalidate the range. If a page was dirtied
//!    again after the flush (an mmap store, a racing buffered write) this
//!    fails, and what happens is the `dio_pre_invalidate_fail` knob: warn
//!    and set -EIO in wb_err (2017–5.8), return -ENOTBLK so the filesystem
//!    falls back to a buffered write (5.9), fail, or serve the cached pages
//!    through the cache (2020 proposal);
//! 4. `inode_dio_begin`; `->iomap_begin` (allocate unwritten blocks over
//!    holes; XFS fails on a delalloc extent: "Direct I/O collision with
//!    buffered writes!");
//! 5. pin the user pages and submit bios (FUA for O_DSYNC overwrites);
//! 6. on completion `->end_io` (unwritten → written, i_size) and
//!    `kiocb_invalidate_post_direct_write` — in this order since the
//!    generic/418 fix; failure there warns with -EIO;
//! 7. `inode_dio_end`; `generic_write_sync` for O_DSYNC; unlock.

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
use crate::locks::{LockId, Mode};
use crate::ops::Range;
use crate::policy::{
    DioCoherency, DioGupFault, DioPostInvalidateFail, DioPostInvalidateOrder, DioPreInvalidateFail,
};
use crate::world::{Errno, Holder, Need, Ret, World, MAX_PAGES};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Pc {
    Lock,
    DioWait,
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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DioWrite {
    base: u8,
    lo: u8,
    hi: u8,
    dsync: bool,
    from: Option<u8>,
    pc: Pc,
    cur: u8,
    /// Pages written through the page cache (serve-from-cache, markers).
    served: u32,
    /// Pages written directly.
    direct: u32,
    /// Pages whose extent ->end_io must convert.
    unwritten: u32,
    /// Blocks ->iomap_begin mapped, per page (the iomap's addresses).
    blocks: [u8; MAX_PAGES],
    /// Pure overwrite with FUA: nothing left for generic_write_sync.
    fua: bool,
    partial: bool,
    /// `cur` when the last retry started (progress check).
    retried_at: Option<u8>,
    flush: Flush,
    inval: Inval,
    fault: Fault,
    sync: Sync,
}

impl DioWrite {
    pub fn new(_w: &World, r: Range, dsync: bool, from: Option<u8>) -> DioWrite {
        DioWrite {
            base: r.lo,
            lo: r.lo,
            hi: r.hi,
            dsync,
            from,
            pc: Pc::Lock,
            cur: r.lo,
            served: 0,
            direct: 0,
            unwritten: 0,
            blocks: [0; MAX_PAGES],
            fua: false,
            partial: false,
            retried_at: None,
            flush: Flush::new(r.lo, r.hi, true),
            inval: Inval::new(r.lo, r.hi),
            fault: Fault::new(0, false),
            sync: Sync::new(r.lo, r.hi, true),
        }
    }

    fn range(&self) -> Range {
        Range {
            lo: self.lo,
            hi: self.hi,
        }
    }

    fn lock_mode(&self, w: &World) -> Mode {
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
            Pc::Lock => Need::Lock(LockId::IRwsem, self.lock_mode(w)),
            Pc::DioWait => Need::DioIdle,
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
            if !pinned && !gup_ok(w, t, u, false) {
                return match w.st.policy.dio_gup_fault {
                    DioGupFault::Fault => Fault::new(u, false).need(w, Holder(t)),
                    DioGupFault::NofaultRetry => Need::None,
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
        dio::release_all(w, t);
        Progress::Return(Ret::Err(e))
    }

    fn version(&self, w: &World, t: u8) -> crate::version::Version {
        let opi = w.s.tasks[t as usize].op as usize;
        w.st.op_ver[t as usize][opi].expect("a write has a version")
    }

    /// -ENOTBLK from iomap_dio_rw(): the filesystem falls back to a
    /// buffered write of the whole range, or passes the error up.
    fn enotblk(&mut self, w: &mut World, t: u8) -> Progress {
        let k = w.st.policy.kernel;
        if w.st.fs.falls_back_on_enotblk(k) {
            dio::release_all(w, t);
            if let Some(c) = w.counters() {
                c.dio_fallbacks += 1;
            }
            w.note(|w| {
                format!(
                    "-ENOTBLK: {} falls back to a buffered write",
                    w.st.fs.name()
                )
            });
            let r = Range {
                lo: self.base,
                hi: self.hi,
            };
            Progress::Become(Path::BufWrite(BufWrite::fallback_of(r, self.dsync)))
        } else {
            w.note(|w| format!("-ENOTBLK: {} (as of {}) has no buffered fallback; the direct writer gets the error", w.st.fs.name(), k));
            self.fail(w, t, Errno::ENOTBLK)
        }
    }

    pub fn step(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let me = Holder(t);
        match self.pc {
            Pc::Lock => {
                let excl = w.s.locks.i_rwsem.held_by(me) == Some(Mode::Excl);
                let names = w.st.fs.names();
                let name = if excl {
                    names.ilock_excl
                } else {
                    names.ilock_shared
                };
                let extending = self.hi >= w.s.i_size;
                if excl && extending && w.s.dio & !(1 << t) != 0 {
                    self.pc = Pc::DioWait;
                } else {
                    self.after_lock(w);
                }
                (name, Progress::Continue)
            }
            Pc::DioWait => {
                self.after_lock(w);
                ("inode_dio_wait", Progress::Continue)
            }
            Pc::Flush => match self.flush.step(w, me) {
                (n, Sub::Running) => (n, Progress::Continue),
                (n, Sub::Done(())) => {
                    if check_as_eio(w) {
                        return (n, self.fail(w, t, Errno::EIO));
                    }
                    self.inval = Inval::new(self.lo, self.hi);
                    self.pc = Pc::Inval;
                    (n, Progress::Continue)
                }
            },
            Pc::Inval => match self.inval.step(w) {
                (n, Sub::Running) => (n, Progress::Continue),
                (n, Sub::Done(false)) => {
                    self.pc = Pc::Begin;
                    (n, Progress::Continue)
                }
                (n, Sub::Done(true)) => (n, self.pre_invalidate_failed(w, t)),
            },
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
            Pc::PostInval => match self.inval.step(w) {
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
                    if w.st.policy.dio_post_invalidate_order == DioPostInvalidateOrder::BeforeEndIo
                    {
                        self.pc = Pc::EndIo;
                        return (n, Progress::Continue);
                    }
                    (n, self.complete(w, t))
                }
            },
            Pc::EndIo => {
                self.end_io(w);
                (w.st.fs.names().dio_end_io, self.complete(w, t))
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
            Pc::Retry => match self.fault.step(w, me) {
                (n, Sub::Running) => (n, Progress::Continue),
                (n, Sub::Done(Ok(()))) => {
                    self.lo = self.cur;
                    self.partial = false;
                    self.served = 0;
                    self.pc = Pc::Lock;
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
            },
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
            DioPreInvalidateFail::ServeFromCache => {
                self.served = w.s.cache.present(self.lo, self.hi);
                w.note(|_| {
                    format!(
                        "pages {} still cached: write them through the cache",
                        crate::util::fmt_set(self.served)
                    )
                });
                self.start_serving(w);
                Progress::Continue
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
            f.ver = v;
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
        let name = w.st.fs.names().dio_write_iomap_begin;
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
                return (name, self.enotblk(w, t));
            }
        }
        dio::dio_begin(w, t);
        self.direct = direct;
        self.unwritten = 0;
        let mut allocated = 0u32;
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
                Ext::Delalloc(z) if !w.st.fs.dio_delalloc_is_eio() => {
                    match w.s.ext.alloc(w.st.nblocks) {
                        Some(b) => {
                            w.s.ext.set(p, Ext::Unwritten(b, z));
                            self.unwritten |= 1 << p;
                            allocated |= 1 << p;
                            b
                        }
                        None => return (name, self.fail(w, t, Errno::EIO)),
                    }
                }
                Ext::Delalloc(_) => {
                    w.note(|_| format!("page {p} is delalloc: \"Direct I/O collision with buffered writes!\" → -EIO"));
                    return (name, self.fail(w, t, Errno::EIO));
                }
                Ext::Hole(z) => match w.s.ext.alloc(w.st.nblocks) {
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
        let extending = self.hi >= w.s.i_size;
        // IOMAP_DIO_WRITE_THROUGH: an O_DSYNC pure overwrite uses FUA and
        // needs no generic_write_sync afterwards.
        self.fua =
            self.dsync && w.st.write_cache && self.unwritten == 0 && !extending && self.served == 0;
        w.note(|w| {
            let maps: Vec<String> = (self.lo..=self.hi)
                .filter(|p| direct & (1 << p) != 0)
                .map(|p| format!("{p}→blk {}", self.blocks[p as usize]))
                .collect();
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
        let mut name = "iomap_dio_bio_iter: submit_bio";
        let v = self.version(w, t);
        while self.cur <= self.hi {
            let p = self.cur;
            if self.direct & (1 << p) == 0 {
                self.cur += 1;
                continue;
            }
            if let Some(base) = self.from {
                let u = user_page(base, self.base, p);
                match dio::get_user_page(w, t, u, false) {
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
                ver: v,
                fua: self.fua,
                owner: me,
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
        (name, Progress::Continue)
    }

    /// The bios completed: iomap_dio_complete.
    fn wait_done(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let name = "iomap_dio_complete";
        dio::unpin_all(w, t);
        if w.s.tasks[t as usize].dio_err {
            w.note(|_| "a bio failed: ->end_io skips the conversion; -EIO".to_string());
            return (name, self.fail(w, t, Errno::EIO));
        }
        if self.partial {
            // complete the part that was written, then retry the rest
            self.end_io_upto(w, self.cur);
            dio::release_all(w, t);
            if self.retried_at == Some(self.cur) {
                // btrfs_direct_write: no progress since the last retry, so
                // finish with a buffered write
                w.note(|_| {
                    "no progress since the last retry: finish with a buffered write".to_string()
                });
                if let Some(c) = w.counters() {
                    c.dio_fallbacks += 1;
                }
                let mut b = BufWrite::fallback_of(
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
            w.note(|_| format!("short write; locks dropped; fault_in_iov_iter_readable(user page {u}), then retry from page {}", self.cur));
            self.fault = Fault::new(u, false);
            self.pc = Pc::Retry;
            return (name, Progress::Continue);
        }
        let cached = w.s.cache.present(self.lo, self.hi) != 0;
        match w.st.policy.dio_post_invalidate_order {
            DioPostInvalidateOrder::AfterEndIo => {
                self.end_io(w);
                if cached {
                    self.inval = Inval::new(self.lo, self.hi);
                    self.pc = Pc::PostInval;
                    return (w.st.fs.names().dio_end_io, Progress::Continue);
                }
                (w.st.fs.names().dio_end_io, self.complete(w, t))
            }
            DioPostInvalidateOrder::BeforeEndIo => {
                if cached {
                    self.inval = Inval::new(self.lo, self.hi);
                    self.pc = Pc::PostInval;
                    w.note(|_| "invalidate before ->end_io (the generic/418 order)".to_string());
                    return (name, Progress::Continue);
                }
                self.end_io(w);
                (w.st.fs.names().dio_end_io, self.complete(w, t))
            }
        }
    }

    fn end_io(&mut self, w: &mut World) {
        self.end_io_upto(w, self.hi + 1);
    }

    /// ->end_io: convert the unwritten extents written, extend i_size.
    fn end_io_upto(&mut self, w: &mut World, end: u8) {
        let mut conv = 0u32;
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
        } = self;
        flush.permute(p);
        inval.permute(p);
        fault.permute(p);
        sync.permute(p);
    }
}
