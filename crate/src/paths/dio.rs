//! What the direct read and direct write paths share: pinning the user
//! buffer with get_user_pages() (which may fault on an mmap of the same
//! file), i_dio_count, the 2019 proposals' markers and rwsem, and releasing
//! all of it when the I/O completes or backs off.

use crate::locks::{LockId, Mode};
use crate::ops::Op;
use crate::pagecache::DIRTY;
use crate::policy::DioCoherency;
use crate::world::{Holder, Need, World};

/// Whether the user page `u` of task `t`'s mapping can be pinned without a
/// fault: present, and writable if the I/O writes into it (FOLL_WRITE).
/// In a private mapping, only the task's anonymous copy of a page is
/// writable (FOLL_WRITE breaks COW).
pub fn gup_ok(w: &World, t: u8, u: u8, write: bool, private: bool) -> bool {
    let task = &w.s.tasks[t as usize];
    let bit: crate::world::Pages = 1 << u;
    match (write, private) {
        (true, false) => task.pte_rw & bit != 0,
        (false, false) => (task.pte_ro | task.pte_rw) & bit != 0,
        (true, true) => task.priv_anon & bit != 0,
        (false, true) => (task.priv_ro | task.priv_anon) & bit != 0,
    }
}

/// Pins user page `u` (FOLL_PIN): the folio cannot be reclaimed.
pub fn pin(w: &mut World, t: u8, u: u8) {
    let bit: crate::world::Pages = 1 << u;
    if w.s.tasks[t as usize].pinned & bit != 0 {
        return;
    }
    if let Some(f) = w.s.cache.get_mut(u) {
        f.pins += 1;
        w.s.tasks[t as usize].pinned |= bit;
        w.note(|_| format!("get_user_pages pins folio {u}"));
    }
}

/// bio_release_pages() / unpin_user_pages(): drop this task's pins.
pub fn unpin_all(w: &mut World, t: u8) {
    let task = w.s.tasks[t as usize];
    for u in 0..crate::world::MAX_PAGES as u8 {
        let bit: crate::world::Pages = 1 << u;
        if task.pinned & bit != 0 && task.orphan & bit == 0 {
            if let Some(f) = w.s.cache.get_mut(u) {
                f.pins = f.pins.saturating_sub(1);
            }
        }
    }
    w.s.tasks[t as usize].pinned = 0;
}

/// The user page that receives (or supplies) file page `p` of a direct
/// I/O whose buffer is the task's mapping starting at page `base`.
pub fn user_page(base: u8, lo: u8, p: u8) -> u8 {
    base + (p - lo)
}

/// A direct read into the task's mmap of the file: data for file page `p`
/// has been DMAed into the pinned user page; that page's folio now holds
/// the reader's new version, and is dirtied (bio_set_pages_dirty). If the
/// folio was removed while pinned, the data went to an orphan page.
pub fn dma_into_mmap(w: &mut World, t: u8, p: u8) {
    let opi = w.s.tasks[t as usize].op;
    dma_into_mmap_of(w, t, opi, p);
}

/// [`dma_into_mmap`] for op `opi` of the task (a bio's op).
pub fn dma_into_mmap_of(w: &mut World, t: u8, opi: u8, p: u8) {
    let opi = opi as usize;
    let Some(&Op::Read {
        range,
        into_mmap: Some(base),
        ..
    }) = w.st.scenario.tasks[t as usize].ops.get(opi)
    else {
        return;
    };
    let u = user_page(base, range.lo, p);
    if let Some(&Op::Read { private: true, .. }) = w.st.scenario.tasks[t as usize].ops.get(opi) {
        w.note(|w| {
            format!(
                "into {}'s private copy of page {u}: the file does not change",
                w.st.task_name(t)
            )
        });
        return;
    }
    let v = w.st.op_ver[t as usize][opi].expect("a read into mmap writes a version");
    let task = w.s.tasks[t as usize];
    if task.orphan & (1 << u) != 0 {
        w.note(|_| {
            format!(
                "the pinned page for user page {u} was removed from the cache: the data is lost"
            )
        });
        return;
    }
    if let Some(f) = w.s.cache.get_mut(u) {
        f.ver = crate::version::Data::all(v);
        f.flags |= DIRTY;
        w.note(|w| {
            format!(
                "folio {u} (the user buffer) now holds {} and is dirty",
                w.st.label(v)
            )
        });
    }
}

/// inode_dio_begin().
pub fn dio_begin(w: &mut World, t: u8) {
    w.s.dio |= 1 << t;
}

/// inode_dio_end().
pub fn dio_end(w: &mut World, t: u8) {
    w.s.dio &= !(1 << t);
}

/// The 2019 proposals' entry step: with Wilcox's rwsem and an empty
/// i_pages, take the rwsem shared; otherwise put a "DIO in progress" entry
/// at every uncached page (waiting out another I/O's entry) and serve the
/// cached pages through the cache.
pub fn coherency_need(w: &World, t: u8, lo: u8, hi: u8) -> Need {
    if w.st.policy.dio_coherency == DioCoherency::Rwsem && w.s.cache.is_empty() {
        return Need::Lock(LockId::DioRwsem, Mode::Shared);
    }
    for p in lo..=hi {
        if let Some(h) = w.s.cache.marker(p) {
            if h != Holder(t) {
                return Need::NoMarker(p);
            }
        }
    }
    Need::None
}

/// Returns the mask of pages to serve from the cache (the rest go direct).
pub fn coherency_enter(w: &mut World, t: u8, lo: u8, hi: u8) -> crate::world::Pages {
    if w.s.locks.dio_rwsem.held_by(Holder(t)) == Some(Mode::Shared) {
        w.note(|_| "i_pages is empty: dio_rwsem taken shared for the whole I/O".to_string());
        return 0;
    }
    if w.st.policy.dio_coherency == DioCoherency::ServeFromCache {
        let served = w.s.cache.present(lo, hi);
        w.note(|_| {
            if served == 0 {
                "nothing cached: the whole I/O goes direct".to_string()
            } else {
                format!(
                    "cached {} served through the page cache; nothing is invalidated",
                    crate::util::fmt_set(served)
                )
            }
        });
        return served;
    }
    let mut served: crate::world::Pages = 0;
    let mut marked: crate::world::Pages = 0;
    for p in lo..=hi {
        if w.s.cache.get(p).is_some() {
            served |= 1 << p;
        } else {
            w.s.cache.markers[p as usize] = t + 1;
            marked |= 1 << p;
        }
    }
    w.note(|_| {
        let mut s = String::new();
        if marked != 0 {
            s += &format!(
                "DIO-in-progress entries at {}",
                crate::util::fmt_set(marked)
            );
        }
        if served != 0 {
            if !s.is_empty() {
                s += "; ";
            }
            s += &format!(
                "cached {} served through the page cache",
                crate::util::fmt_set(served)
            );
        }
        s
    });
    served
}

/// Releases everything a direct I/O holds: i_dio_count, pins, markers, the
/// proposal rwsem, btrfs extent locks and i_rwsem.
pub fn release_all(w: &mut World, t: u8) {
    dio_end(w, t);
    unpin_all(w, t);
    for m in w.s.cache.markers.iter_mut() {
        if *m == t + 1 {
            *m = 0;
        }
    }
    w.s.locks.release_all(Holder(t));
}

/// What a btrfs direct I/O releases before faulting its buffer in and
/// retrying (btrfs_direct_read/_write, 5.16): everything but the inode
/// lock, which it keeps "to prevent races with truncate".
pub fn release_for_retry(w: &mut World, t: u8) {
    let keep = w.s.locks.i_rwsem;
    release_all(w, t);
    w.s.locks.i_rwsem = keep;
}

/// Whether this I/O pins its user pages with FOLL_NOFAULT and retries
/// (IOMAP_DIO_PARTIAL): btrfs (and gfs2) since 5.16. XFS and ext4 never
/// do: their get_user_pages() faults, which is safe because the fault takes
/// invalidate_lock / MMAPLOCK, not the I/O lock.
pub fn nofault(w: &World) -> bool {
    legacy_btrfs(w) == Some(false)
        && w.st.policy.dio_gup_fault == crate::policy::DioGupFault::NofaultRetry
}

/// For btrfs, whether it runs the old fs/direct-io.c code (up to released
/// 5.8) rather than iomap_dio_rw(); `None` for other filesystems.
pub fn legacy_btrfs(w: &World) -> Option<bool> {
    (w.st.fs == crate::fs::Fs::Btrfs)
        .then(|| w.st.policy.btrfs_dio_path == crate::policy::BtrfsDioPath::DirectIo)
}

/// What bio_iov_iter_get_pages() did with a user page.
pub enum Gup {
    /// Pinned (or already pinned by this I/O).
    Pinned,
    /// Not mapped as needed: get_user_pages() faults, holding the I/O's locks.
    Fault(super::fault::Fault),
    /// FOLL_NOFAULT (~5.16): stop here; the I/O completes short.
    Stop,
}

/// bio_iov_iter_get_pages() on user page `u` (`write`: FOLL_WRITE, the I/O
/// writes into the buffer).
pub fn get_user_page(w: &mut World, t: u8, u: u8, write: bool, private: bool) -> Gup {
    let pinned = w.s.tasks[t as usize].pinned & (1 << u) != 0;
    if pinned || gup_ok(w, t, u, write, private) {
        if !(write && private) {
            // an anonymous COW copy is no folio of the file's
            pin(w, t, u);
        }
        return Gup::Pinned;
    }
    let how = if write { "mapped writable" } else { "mapped" };
    if nofault(w) {
        w.note(|_| format!("get_user_pages(FOLL_NOFAULT): user page {u} is not {how}: stop here"));
        Gup::Stop
    } else {
        w.note(|_| {
            format!("get_user_pages: user page {u} is not {how}: fault, holding the I/O's locks")
        });
        Gup::Fault(super::fault::Fault::new(u, write).private(private))
    }
}

/// One step of the fault get_user_pages() takes. When it completes the
/// page is pinned in the same step: follow_page runs right after
/// faultin_page under the same mmap_lock hold, so the pin cannot lose the
/// race with writeback write-protecting the page again.
pub fn gup_fault_step(
    w: &mut World,
    t: u8,
    fault: &mut super::fault::Fault,
) -> (&'static str, super::Sub<Result<(), crate::world::Errno>>) {
    let (n, sub) = fault.step(w, Holder(t));
    if let super::Sub::Done(Ok(())) = sub {
        if !(fault.write && fault.private) {
            pin(w, t, fault.p);
        }
    }
    (n, sub)
}
