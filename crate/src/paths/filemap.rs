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
    let ext = w.s.ext.get(p);
    let io = match ext {
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
            w.note(|_| format!("folio {p} added, locked; read bio for block {b}"));
            true
        }
        e => {
            let z = e.zeroes().unwrap();
            let f = w.s.cache.get_mut(p).unwrap();
            f.ver = z;
            f.flags |= UPTODATE;
            f.lock = 0;
            w.note(|w| {
                format!(
                    "folio {p} added, zero-filled ({}: {}), uptodate",
                    e.kind(),
                    w.st.label(z)
                )
            });
            false
        }
    };
    finish_insert(w, me, p);
    io
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
