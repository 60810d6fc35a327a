//! Filling the page cache (mm/filemap.c): creating a folio and reading it
//! in, shared by buffered reads, page faults and buffered writes, with what
//! the coherency proposals of 2019 add to every page insertion.

use crate::device::{Bio, BioKind};
use crate::extents::Ext;
use crate::fs::Fs;
use crate::locks::{LockId, Mode};
use crate::pagecache::{DROPBEHIND, UPTODATE};
use crate::policy::DioCoherency;
use crate::world::{Holder, Need, World};

/// What inserting a folio at `p` waits for, beyond the caller's own locks:
/// a "DIO in progress" entry there (2019 proposals), Wilcox's rwsem taken
/// exclusive when i_pages is empty, btrfs's extent lock for the read, and
/// room in the device queue.
pub fn create_need(w: &World, me: Holder, p: u8, read: bool) -> Need {
    if read && w.s.dev.queue_full() && matches!(w.s.ext.get(p), Ext::Written(_)) {
        return Need::QueueSpace;
    }
    if w.s.cache.marker(p).is_some() {
        return Need::NoMarker(p);
    }
    if w.st.policy.dio_coherency == DioCoherency::Rwsem
        && w.s.cache.is_empty()
        && w.s.locks.dio_rwsem.held_by(me) != Some(Mode::Excl)
    {
        return Need::Lock(LockId::DioRwsem, Mode::Excl);
    }
    if read && w.st.fs == Fs::Btrfs {
        // btrfs_read_folio → btrfs_lock_and_flush_ordered_range → lock_extent;
        // not recursive: if this task's direct I/O holds it, that is the
        // btrfs GUP deadlock.
        return Need::ExtentLock(p, p);
    }
    Need::None
}

/// Pages mmap read-around reads for a fault at `p` that are not cached
/// yet: do_sync_mmap_readahead sets `ra->start = max(0, index -
/// ra_pages / 2)` and `ra->size = ra_pages`, and page_cache_ra_order reads
/// `start ..= min(start + size - 1, EOF)`, in order-0 folios on every
/// filesystem. `ra_pages` is 32 (read_ahead_kb = 128, the block layer's
/// default; a device may set more, and then a fault reads more). Measured
/// on 6.18 (ext4 and XFS): a fault at page 5 of a 64-page file reads 0-31,
/// at 20 reads 4-35, at 63 reads 47-63 (docs/kernel-facts.md).
///
/// Not modelled: the PG_readahead mark on page `start + 24`, whose fault
/// later starts an asynchronous readahead of the next 32 pages; and the
/// kernel's one bio per contiguous run (the model submits one per page).
fn read_around_pages(w: &World, p: u8) -> (u8, u8, crate::world::Pages) {
    const RA_PAGES: u8 = 32;
    let lo = p.saturating_sub(RA_PAGES / 2);
    let hi = lo
        .saturating_add(RA_PAGES - 1)
        .min(w.s.i_size.max(p + 1) - 1);
    let missing = (lo..=hi)
        .filter(|&q| w.s.cache.get(q).is_none())
        .fold(0, |m: crate::world::Pages, q| m | 1 << q);
    (lo, hi, missing)
}

/// What a fault's read-around waits for: what inserting each missing page
/// waits for ([`create_need`]), room in the device queue for all its
/// reads, and on btrfs the extent lock over the whole range
/// (btrfs_readahead → btrfs_lock_and_flush_ordered_range), which a
/// direct I/O of the same task may hold: the generic/647 deadlock.
pub fn read_around_need(w: &World, me: Holder, p: u8) -> Need {
    let (_, _, missing) = read_around_pages(w, p);
    let pages = || crate::version::iter_bits(missing);
    if w.s.dev.queue_full() && matches!(w.s.ext.get(p), Ext::Written(_)) {
        return Need::QueueSpace;
    }
    for q in pages() {
        match create_need(w, me, q, false) {
            Need::None => {}
            need => return need,
        }
    }
    if w.st.fs == Fs::Btrfs {
        let first = missing.trailing_zeros() as u8;
        let last = 63 - missing.leading_zeros() as u8;
        return Need::ExtentLock(first, last);
    }
    Need::None
}

/// The fault's read-around: inserts and starts reading every missing page
/// around `p` (page_cache_ra_order); the faulting task keeps a reference
/// on `p` only.
pub fn read_around(w: &mut World, me: Holder, p: u8) {
    let (_, _, missing) = read_around_pages(w, p);
    // in index order, as page_cache_ra_order reads; a neighbour is skipped
    // rather than take the queue slot the faulting page needs
    let p_reads = matches!(w.s.ext.get(p), Ext::Written(_));
    for q in crate::version::iter_bits(missing) {
        let free = crate::world::MAX_BIOS - w.s.dev.nbios as usize;
        let reserve = usize::from(p_reads && q < p);
        if q != p && matches!(w.s.ext.get(q), Ext::Written(_)) && free <= reserve {
            continue;
        }
        add_and_read(w, me, q, false);
        if q != p {
            if let Some(t) = w.s.tasks.get_mut(me.0 as usize) {
                t.folio_ref &= !(1 << q);
            }
        }
    }
    if w.st.fs == Fs::Btrfs && missing != 0 {
        let first = missing.trailing_zeros() as u8;
        let last = 63 - missing.leading_zeros() as u8;
        w.s.locks.extent_release(first, last, me);
    }
}

/// Inserts a locked folio at `p` and starts reading it: a bio for a written
/// block (the folio is unlocked when it completes), zeroes otherwise
/// (iomap_readahead zero-fills holes and unwritten extents without I/O).
/// Returns whether a bio was submitted.
pub fn add_and_read(w: &mut World, me: Holder, p: u8, dropbehind: bool) -> bool {
    // the reader's lookup will take a reference on the folio it inserted
    // (filemap_get_read_batch, __filemap_get_folio): reclaim cannot free
    // it before the read is copied or the fault maps it (fault.rs)
    if let Some(t) = w.s.tasks.get_mut(me.0 as usize) {
        t.folio_ref |= 1 << p;
    }
    let f = w.s.cache.add_locked(p, me);
    if dropbehind {
        f.flags |= DROPBEHIND;
    }
    let io = read_folio(w, me, p, "added, ");
    finish_insert(w, me, p);
    io
}

/// Starts reading the folio at `p`, which `me` holds locked: a bio for a
/// written block (the folio is unlocked when it completes), zeroes
/// otherwise. `how` says how the folio came to be locked, for the note.
pub fn read_folio(w: &mut World, me: Holder, p: u8, how: &str) -> bool {
    debug_assert_eq!(w.s.cache.get(p).map(|f| f.lock), Some(me.0 + 1));
    let ext = w.s.ext.get(p);
    match ext {
        Ext::Written(b) => {
            w.s.dev.submit(Bio {
                kind: BioKind::ReadFolio,
                block: b,
                page: p,
                ver: Default::default(),
                fua: false,
                owner: me,
                op: 0,
            });
            w.note(|_| format!("folio {p} {how}locked; read bio for block {b}"));
            true
        }
        e => {
            let z = crate::version::Data::all(e.zeroes().unwrap());
            let f = w.s.cache.get_mut(p).unwrap();
            f.ver = z;
            f.flags |= UPTODATE;
            f.lock = 0;
            w.note(|w| {
                format!(
                    "folio {p} {how}zero-filled ({}: {}), uptodate",
                    e.kind(),
                    w.st.dlabel(p, z)
                )
            });
            false
        }
    }
}

/// Inserts a locked, not uptodate folio to be overwritten whole (a
/// buffered write needs no read).
pub fn add_for_write(w: &mut World, me: Holder, p: u8, dropbehind: bool) {
    let f = w.s.cache.add_locked(p, me);
    if dropbehind {
        f.flags |= DROPBEHIND;
    }
    finish_insert(w, me, p);
}

/// Releases what insertion took for the proposals (the rwsem) and btrfs.
fn finish_insert(w: &mut World, me: Holder, p: u8) {
    if w.s.locks.dio_rwsem.held_by(me) == Some(Mode::Excl) {
        w.s.locks.dio_rwsem.release(me);
    }
    if w.st.fs == Fs::Btrfs && w.s.locks.extent[p as usize] == me.0 + 1 {
        w.s.locks.extent_release(p, p, me);
    }
}
