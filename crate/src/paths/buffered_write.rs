//! A buffered write (`iomap_file_buffered_write`, under i_rwsem exclusive):
//! `->iomap_begin` maps the range once (reserving delalloc over holes, and
//! speculative preallocation past EOF on XFS), then per folio
//! `iomap_write_begin` (lock or create the folio; since ~6.2 revalidate the
//! cached mapping), the copy, `iomap_write_end` (mark dirty, extend
//! i_size). O_DSYNC adds `generic_write_sync`.
//!
//! RWF_UNCACHED / RWF_DONTCACHE, per the `uncached_write` knob (thread
//! 2019-12): Axboe's v1 writes back and drops each page inside the loop,
//! with the iomap still cached; Chinner's counter-proposal flushes and
//! invalidates once after the loop; 6.15 marks new folios dropbehind and
//! kicks writeback after the write.

use super::filemap::{add_for_write, create_need};
use super::fsync::Sync;
use super::invalidate::{invalidate_mapping_pages, Inval};
use super::writeback::Flush;
use super::{Progress, Sub};
use crate::extents::Ext;
use crate::fs::Fs;
use crate::locks::{LockId, Mode};
use crate::ops::Range;
use crate::pagecache::{DIRTY, UPTODATE};
use crate::policy::{IomapValidity, SpeculativePrealloc, UncachedWrite};
use crate::version::{Data, Version};
use crate::world::{Holder, Need, Ret, World};

/// The mapping `->iomap_begin` returned, kept across the folio loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Iomap {
    pub lo: u8,
    pub hi: u8,
    pub kind: &'static str,
    /// The data fork sequence number when it was looked up (the cookie).
    pub seq: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Pc {
    Lock,
    IomapBegin,
    /// iomap_write_iter over page `cur`.
    Copy,
    /// 2019 v1: write back page `drop` inside the loop, then drop it.
    DropFlush,
    DropEvict,
    /// Chinner's per-I/O flush and invalidate, under i_rwsem.
    IoFlush,
    IoInval,
    /// After i_rwsem is released:
    /// ext4/btrfs after a direct write fell back: write, wait, invalidate.
    FbFlush,
    /// O_DSYNC: generic_write_sync.
    Sync,
    /// RWF_DONTCACHE: filemap_fdatawrite_range_kick.
    Kick,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BufWrite {
    lo: u8,
    hi: u8,
    cur: u8,
    dsync: bool,
    uncached: bool,
    /// This is the buffered fallback of a direct write.
    fallback: bool,
    /// A write to part of its pages (`write P bytes A-B`), from `first`.
    bytes: Option<crate::ops::Bytes>,
    first: u8,
    /// The caller holds i_rwsem exclusive and keeps it until the op returns
    /// (btrfs's old direct I/O path falls back inside btrfs_file_write_iter).
    locked: bool,
    /// Pages to report as written (a fallback finishing a partial direct write).
    total: u8,
    pc: Pc,
    iomap: Iomap,
    flush: Flush,
    inval: Inval,
    sync: Sync,
}

impl BufWrite {
    pub fn new(r: Range, dsync: bool, uncached: bool) -> BufWrite {
        BufWrite {
            lo: r.lo,
            hi: r.hi,
            cur: r.lo,
            dsync,
            uncached,
            fallback: false,
            bytes: None,
            first: r.lo,
            locked: false,
            total: r.hi - r.lo + 1,
            pc: Pc::Lock,
            iomap: Iomap {
                lo: 0,
                hi: 0,
                kind: "",
                seq: 0,
            },
            flush: Flush::new(r.lo, r.hi, true),
            inval: Inval::new(r.lo, r.hi),
            sync: Sync::new(r.lo, r.hi, true),
        }
    }

    /// A write to part of one page.
    pub fn bytes(self, bytes: Option<crate::ops::Bytes>) -> BufWrite {
        BufWrite { bytes, ..self }
    }

    /// The fragments of page `p` the write covers, if not all of it.
    fn partial(&self, w: &World, p: u8) -> Option<u8> {
        let b = self.bytes.and_then(|b| b.within(self.first, p));
        let m = w.st.frags[p as usize].of(b);
        (m != crate::frags::Frags::ALL).then_some(m)
    }

    /// The buffered write a direct write of task `t` falls back to
    /// (-ENOTBLK). It runs with the same kiocb, so an RWF_DONTCACHE the
    /// direct write ignored applies now.
    pub fn fallback_of(w: &World, t: u8, r: Range, dsync: bool) -> BufWrite {
        let op = &w.st.scenario.tasks[t as usize].ops[w.s.tasks[t as usize].op as usize];
        let uncached = matches!(op, crate::ops::Op::Write { uncached: true, .. });
        BufWrite {
            fallback: true,
            ..BufWrite::new(r, dsync, uncached)
        }
    }

    /// The fallback of btrfs's old direct I/O path: i_rwsem is already held
    /// (exclusive) and stays held through the write-back that follows.
    pub fn fallback_locked(w: &World, t: u8, r: Range, dsync: bool) -> BufWrite {
        BufWrite {
            locked: true,
            pc: Pc::IomapBegin,
            ..BufWrite::fallback_of(w, t, r, dsync)
        }
    }

    /// Report `n` pages written (the direct part included).
    pub fn set_total(&mut self, n: u8) {
        self.total = n;
    }

    fn mode(&self, w: &World) -> UncachedWrite {
        if self.uncached {
            w.st.policy.uncached_write
        } else {
            UncachedWrite::Unsupported
        }
    }

    pub fn need(&self, w: &World, t: u8) -> Need {
        let me = Holder(t);
        match self.pc {
            Pc::Lock => Need::Lock(LockId::IRwsem, Mode::Excl),
            Pc::IomapBegin | Pc::DropEvict => Need::None,
            Pc::Copy => match w.s.cache.get(self.cur) {
                Some(f)
                    if !f.uptodate()
                        && self.partial(w, self.cur).is_some()
                        && self.maps_data(w, self.cur)
                        && w.s.dev.queue_full() =>
                {
                    Need::QueueSpace
                }
                Some(_) => Need::FolioLock(self.cur),
                // a partial write may have to read the page first
                None => create_need(w, me, self.cur, self.partial(w, self.cur).is_some()),
            },
            Pc::DropFlush | Pc::IoFlush | Pc::FbFlush | Pc::Kick => self.flush.need(w),
            Pc::IoInval => self.inval.need(w),
            Pc::Sync => self.sync.need(w),
        }
    }

    pub fn step(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let me = Holder(t);
        match self.pc {
            Pc::Lock => {
                self.pc = Pc::IomapBegin;
                (w.st.fs.names().ilock_excl, Progress::Continue)
            }
            Pc::IomapBegin => {
                self.iomap_begin(w);
                self.pc = Pc::Copy;
                (w.st.fs.names().buffered_iomap_begin, Progress::Continue)
            }
            Pc::Copy => self.copy(w, t),
            Pc::DropFlush => match self.flush.step(w, me) {
                (n, Sub::Running) => (n, Progress::Continue),
                (n, Sub::Done(())) => {
                    self.pc = Pc::DropEvict;
                    (n, Progress::Continue)
                }
            },
            Pc::DropEvict => {
                // lock_page(); if still clean and ours: delete_from_page_cache()
                let p = self.cur;
                if super::invalidate::evictable(w, p) {
                    w.s.cache.folios[p as usize] = None;
                    w.note(|_| {
                        format!("folio {p} dropped; the loop goes on with the cached iomap")
                    });
                } else {
                    w.note(|_| format!("folio {p} kept (busy)"));
                }
                self.cur += 1;
                let name = "write_drop_cached_pages";
                if self.cur > self.hi {
                    return (name, self.after_loop(w, t));
                }
                self.pc = Pc::Copy;
                (name, Progress::Continue)
            }
            Pc::IoFlush => match self.flush.step(w, me) {
                (n, Sub::Running) => (n, Progress::Continue),
                (n, Sub::Done(())) => {
                    self.pc = Pc::IoInval;
                    self.inval = Inval::new(self.lo, self.hi);
                    (n, Progress::Continue)
                }
            },
            Pc::IoInval => {
                match self.inval.step(w) {
                    (n, Sub::Running) => (n, Progress::Continue),
                    (n, Sub::Done(failed)) => {
                        if failed {
                            w.note(|_| "invalidation failed; ignored (clean cached pages are no corruption)".to_string());
                        }
                        (n, self.unlock(w, t))
                    }
                }
            }
            Pc::FbFlush => match self.flush.step(w, me) {
                (n, Sub::Running) => (n, Progress::Continue),
                (n, Sub::Done(())) => {
                    let gone = invalidate_mapping_pages(w, self.lo, self.hi);
                    w.note(|_| {
                        if gone == 0 {
                            // the note once read "dropped " with nothing
                            // after it (review 13)
                            "invalidate_mapping_pages: no folio could be dropped (dirty, under writeback, locked, mapped or in use); they stay cached".to_string()
                        } else {
                            format!(
                                "invalidate_mapping_pages: dropped {}",
                                crate::util::fmt_set(gone)
                            )
                        }
                    });
                    self.fallback = false;
                    (n, self.post_unlock(w, t))
                }
            },
            Pc::Sync => match self.sync.step(w, t) {
                (n, Sub::Running) => (n, Progress::Continue),
                (n, Sub::Done(Ok(()))) => {
                    let v = self.version(w, t);
                    w.oracle_dsync(v);
                    (n, Progress::Return(Ret::Pages(self.total)))
                }
                (n, Sub::Done(Err(e))) => (n, Progress::Return(Ret::Err(e))),
            },
            Pc::Kick => match self.flush.step(w, me) {
                (n, Sub::Running) => (n, Progress::Continue),
                (n, Sub::Done(())) => (n, Progress::Return(Ret::Pages(self.total))),
            },
        }
    }

    fn version(&self, w: &World, t: u8) -> crate::version::Version {
        let opi = w.s.tasks[t as usize].op as usize;
        w.st.op_ver[t as usize][opi].expect("a write has a version")
    }

    /// ->iomap_begin for the buffered write from page `cur`.
    fn iomap_begin(&mut self, w: &mut World) {
        let cur = self.cur;
        // decided on the map before this call's reservation, as
        // xfs_buffered_write_iomap_begin looks the extents up first
        let prealloc_end = if w.st.fs == Fs::Xfs {
            xfs_prealloc_end(w, cur, self.hi)
        } else {
            None
        };
        let mut reserved: crate::world::Pages = 0;
        for q in cur..=self.hi {
            if let Ext::Hole(z) = w.s.ext.get(q) {
                w.s.ext.set(q, Ext::Delalloc(z));
                reserved |= 1 << q;
            }
        }
        let mut prealloc: crate::world::Pages = 0;
        if let Some(end) = prealloc_end {
            for q in self.hi + 1..=end {
                if let Ext::Hole(z) = w.s.ext.get(q) {
                    w.s.ext.set(q, Ext::Delalloc(z));
                    prealloc |= 1 << q;
                }
            }
        }
        let kind = w.s.ext.get(cur).kind();
        let mut hi = cur;
        while hi < self.hi && w.s.ext.get(hi + 1).kind() == kind {
            hi += 1;
        }
        self.iomap = Iomap {
            lo: cur,
            hi,
            kind,
            seq: w.s.ext.seq,
        };
        w.note(|w| {
            let mut s = if w.st.fs == Fs::Xfs {
                format!("iomap {cur}-{hi}: {kind}, cookie {}", w.s.ext.seq)
            } else if cur == hi {
                format!("page {cur}: {kind}")
            } else {
                format!("pages {cur}-{hi}: {kind}")
            };
            if reserved != 0 {
                s += &format!(
                    "; delalloc reserved over {}",
                    crate::util::fmt_set(reserved)
                );
            }
            if prealloc != 0 {
                s += &format!(
                    "; speculative preallocation {} past EOF",
                    crate::util::fmt_set(prealloc)
                );
            }
            s
        });
    }

    /// Whether the mapping the write goes by says page `p` holds data on
    /// the device: on XFS the iomap looked up before the loop (stale, if
    /// writeback changed the extent map since and nothing revalidated it);
    /// ext4 and btrfs map each page as they reach it.
    fn maps_data(&self, w: &World, p: u8) -> bool {
        if w.st.fs == Fs::Xfs {
            self.iomap.kind == "written"
        } else {
            matches!(w.s.ext.get(p), Ext::Written(_))
        }
    }

    /// iomap_write_iter for page `cur`: write_begin, copy, write_end.
    fn copy(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let me = Holder(t);
        let p = self.cur;
        let dropbehind = self.mode(w) == UncachedWrite::Dropbehind;
        let created = w.s.cache.get(p).is_none();
        let partial = self.partial(w, p);
        if created {
            add_for_write(w, me, p, dropbehind);
        } else if !dropbehind {
            // __filemap_get_folio without FGP_DONTCACHE: "not an uncached
            // lookup, clear uncached if set"
            w.s.cache
                .get_mut(p)
                .unwrap()
                .clear(crate::pagecache::DROPBEHIND);
        }
        // iomap_write_begin: the folio is locked; is the cached mapping
        // still what the extent map says? Only XFS writes through iomap
        // with a mapping cached across folios: ext4 (ext4_da_write_begin)
        // and btrfs map each folio as they go, and have no ->iomap_valid.
        if w.st.fs == Fs::Xfs && w.s.ext.seq != self.iomap.seq {
            if w.st.policy.iomap_validity == IomapValidity::Cookie {
                w.s.cache.get_mut(p).unwrap().lock = 0;
                w.note(|w| {
                    format!(
                        "->iomap_valid: cookie {} != {}: mapping is stale, look it up again",
                        self.iomap.seq, w.s.ext.seq
                    )
                });
                self.pc = Pc::IomapBegin;
                return ("iomap_write_begin", Progress::Continue);
            }
            let now = w.s.ext.get(p).kind();
            w.note(|_| format!("the cached iomap says {} for page {p}, the extent map now says {now}: stale, used anyway", self.iomap.kind));
            if now != self.iomap.kind {
                let why = format!(
                    "{}'s buffered write reached page {p} with the iomap looked up before writeback changed the extent map ({} then, {now} now); nothing checked it (no ->iomap_valid)",
                    w.st.task_name(t),
                    self.iomap.kind
                );
                w.fire(crate::outcome::Outcome::StaleIomap, why);
            }
        }
        if partial.is_some() && !w.s.cache.get(p).unwrap().uptodate() && self.maps_data(w, p) {
            // __iomap_write_begin: a write to part of a block that holds
            // data reads the block in first. After ->iomap_valid, so that
            // a revalidated mapping decides (the folio a stale lookup
            // created stays in the cache, not uptodate).
            // the write holds a reference on the folio until it copies
            // (reclaim cannot free it under the read)
            w.s.tasks[t as usize].folio_ref |= 1 << p;
            let f = w.s.cache.get_mut(p).unwrap();
            f.lock = me.0 + 1;
            super::filemap::read_folio(w, me, p, if created { "added, " } else { "" });
            w.note(|_| format!("part of page {p} is written: read it first"));
            return ("iomap_write_begin: read the page", Progress::Continue);
        }
        let v = self.version(w, t);
        let before = w.s.cache.get(p).unwrap();
        let data = match partial {
            None => Data::all(v),
            Some(m) if before.uptodate() => before.ver.with(m, v),
            // not uptodate: the mapping says there is no data to read
            // (a hole, delalloc, unwritten): the rest of the page is zeroed.
            // With a stale cached iomap that is the 2022 XFS corruption
            // (xfs, iomap: fix data corruption due to stale cached iomaps):
            // the block has data by now, and the zeroes will overwrite it.
            Some(m) => Data::all(w.s.ext.get(p).zeroes().unwrap_or(Version::ZERO)).with(m, v),
        };
        let zeroed = partial.is_some() && !before.uptodate();
        let f = w.s.cache.get_mut(p).unwrap();
        f.ver = data;
        f.flags |= UPTODATE | DIRTY;
        f.lock = 0;
        let copied = self
            .bytes
            .and_then(|b| b.within(self.first, p))
            .map_or(4096, |b| u64::from(b.hi - b.lo + 1));
        if let Some(c) = w.counters() {
            c.cpu_bytes += copied;
        }
        if zeroed {
            w.note(|_| {
                format!("the mapping says page {p} holds no data: the rest of the page is zeroed")
            });
        }
        let extend = p + 1 > w.s.i_size;
        if extend {
            w.s.i_size = p + 1;
        }
        w.note(|w| {
            let mut s = format!(
                "{} folio {p}; copy {}; dirty",
                if created { "new" } else { "locked" },
                w.st.dlabel(p, data)
            );
            if extend {
                s += &format!("; i_size → {} pages", p + 1);
            }
            s
        });
        let name = w.st.fs.names().buffered_copy;
        if self.mode(w) == UncachedWrite::PerPageDrop {
            self.flush = Flush::new(p, p, true);
            self.pc = Pc::DropFlush;
            return (name, Progress::Continue);
        }
        self.cur += 1;
        if self.cur > self.hi {
            return (name, self.after_loop(w, t));
        }
        if self.cur > self.iomap.hi {
            self.pc = Pc::IomapBegin;
        }
        (name, Progress::Continue)
    }

    /// The folio loop is over, i_rwsem still held.
    fn after_loop(&mut self, w: &mut World, t: u8) -> Progress {
        if self.mode(w) == UncachedWrite::PerIoFlush {
            self.flush = Flush::new(self.lo, self.hi, true);
            self.pc = Pc::IoFlush;
            return Progress::Continue;
        }
        self.unlock(w, t)
    }

    fn unlock(&mut self, w: &mut World, t: u8) -> Progress {
        if !self.locked {
            w.s.locks.i_rwsem.release(Holder(t));
        }
        self.post_unlock(w, t)
    }

    /// What happens after i_rwsem is released, in order.
    fn post_unlock(&mut self, w: &mut World, t: u8) -> Progress {
        let n = self.total;
        if self.fallback && w.st.fs.syncs_after_fallback() {
            self.flush = Flush::new(self.lo, self.hi, true);
            self.pc = Pc::FbFlush;
            return Progress::Continue;
        }
        if self.dsync {
            self.sync = Sync::new(self.lo, self.hi, true);
            self.pc = Pc::Sync;
            return Progress::Continue;
        }
        if self.mode(w) == UncachedWrite::Dropbehind {
            self.flush = Flush::new(self.lo, self.hi, false);
            self.pc = Pc::Kick;
            return Progress::Continue;
        }
        let _ = t;
        Progress::Return(Ret::Pages(n))
    }
}

/// Symmetry (see [`crate::perm`]): these path states keep no task id and
/// no version (they name them through the task index and `op_ver`); one
/// that stores either must rename it here.
impl Iomap {
    pub fn permute(&mut self, _p: &crate::perm::Perm) {
        let Iomap {
            lo: _,
            hi: _,
            kind: _,
            seq: _,
        } = self;
    }
}
impl BufWrite {
    pub fn permute(&mut self, p: &crate::perm::Perm) {
        let BufWrite {
            lo: _,
            hi: _,
            cur: _,
            dsync: _,
            uncached: _,
            fallback: _,
            total: _,
            pc: _,
            iomap,
            flush,
            inval,
            sync,
            locked: _,
            bytes: _,
            first: _,
        } = self;
        iomap.permute(p);
        flush.permute(p);
        inval.permute(p);
        sync.permute(p);
    }
}

/// XFS speculative preallocation for a buffered write of `lo..=hi` whose
/// ->iomap_begin starts at `lo`: the last page reserved past the write,
/// if any (xfs_buffered_write_iomap_begin and xfs_iomap_prealloc_size,
/// measured on 6.18 in docs/kernel-facts.md, "Speculative preallocation").
///
/// - Only past the last extent of the file (`eof`: from the first page of
///   the write on which every page is a hole), and only when the write
///   ends past i_size (raised page by page as the write copies).
/// - Dynamic (the default): nothing while i_size < 64 KiB (m_allocsize);
///   then twice the extent run that ends where the reservation starts (a
///   delalloc run, or written and unwritten extents with consecutive
///   blocks), rounded down to a power of two, at least 16 pages; after a
///   hole, exactly 16.
/// - allocsize=16k: 4 pages, whatever the size.
/// - The end is aligned: it is `align_down(hi, A) + N - 1`, A being 16
///   pages (4 with allocsize), so a write ending on such a boundary
///   minus one may get nothing.
fn xfs_prealloc_end(w: &World, lo: u8, hi: u8) -> Option<u8> {
    let last = w.st.pages - 1;
    let hole = |q: u8| matches!(w.s.ext.get(q), Ext::Hole(_));
    // the first page from which the file has no extent left
    let mut start = last + 1;
    while start > lo && hole(start - 1) {
        start -= 1;
    }
    if start > hi {
        return None;
    }
    let i_size = if start > lo {
        w.s.i_size.max(start)
    } else {
        w.s.i_size
    };
    if hi < i_size {
        return None;
    }
    let (n, align): (u32, u8) = match w.st.policy.speculative_prealloc {
        SpeculativePrealloc::Off => return None,
        SpeculativePrealloc::Allocsize => (4, 4),
        SpeculativePrealloc::Dynamic if i_size < 16 => return None,
        SpeculativePrealloc::Dynamic => {
            let plen = if start == 0 || hole(start - 1) {
                0
            } else {
                let prev = start - 1;
                let delalloc = |q: u8| matches!(w.s.ext.get(q), Ext::Delalloc(_));
                let mut first = prev;
                if delalloc(prev) {
                    while first > 0 && delalloc(first - 1) {
                        first -= 1;
                    }
                } else {
                    // real extents, contiguous on disk (written or not)
                    while first > 0
                        && w.s
                            .ext
                            .get(first - 1)
                            .block()
                            .zip(w.s.ext.get(first).block())
                            .is_some_and(|(a, b)| u16::from(a) + 1 == u16::from(b))
                    {
                        first -= 1;
                    }
                }
                u32::from(prev - first + 1)
            };
            let twice = (plen * 2).max(1);
            ((1u32 << (31 - twice.leading_zeros())).max(16), 16)
        }
    };
    let end = u32::from(hi / align * align) + n - 1;
    let end = end.min(u32::from(last)) as u8;
    (end > hi).then_some(end)
}
