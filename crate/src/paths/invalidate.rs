//! `invalidate_inode_pages2_range()` and `truncate_inode_pages_range()`:
//! remove the folios of a range from the page cache, one folio per step.
//!
//! Both lock each folio (waiting for it) and wait for its writeback, and
//! unmap it from every process first (a writable PTE means the folio is
//! already dirty, see [`crate::world`]). invalidate2 then fails with -EBUSY
//! on a folio that is dirty (dirtied again after the caller's flush: an
//! mmap store or a racing buffered write; XFS and ext4 have no
//! ->launder_folio, btrfs's only frees a qgroup reservation), goes on
//! through the range and returns the last error.
//! Truncation removes dirty folios too: their data is discarded.
//! Neither looks at pins: a folio that get_user_pages() pinned is removed
//! all the same, and DMA into it goes nowhere.

use super::Sub;
use crate::world::{Need, World};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Inval {
    pub lo: u8,
    pub hi: u8,
    cur: u8,
    /// truncate_inode_pages_range(): remove even dirty folios.
    truncate: bool,
    /// -EBUSY seen.
    pub failed: bool,
    did: bool,
}

impl Inval {
    pub fn new(lo: u8, hi: u8) -> Inval {
        Inval {
            lo,
            hi,
            cur: lo,
            truncate: false,
            failed: false,
            did: false,
        }
    }

    pub fn truncate(lo: u8, hi: u8) -> Inval {
        Inval {
            truncate: true,
            ..Inval::new(lo, hi)
        }
    }

    fn next(&self, w: &World) -> Option<u8> {
        if self.cur > self.hi {
            return None;
        }
        w.s.cache.find(self.cur, self.hi, |_| true)
    }

    pub fn need(&self, w: &World) -> Need {
        match self.next(w) {
            Some(p) => Need::FolioLockNoWb(p),
            None => Need::None,
        }
    }

    fn name(&self) -> &'static str {
        if self.truncate {
            "truncate_inode_pages_range"
        } else {
            "invalidate_inode_pages2_range"
        }
    }

    /// One step; `Done(failed)` at the end of the range.
    pub fn step(&mut self, w: &mut World) -> (&'static str, Sub<bool>) {
        let name = self.name();
        let Some(p) = self.next(w) else {
            if !self.did {
                w.note(|_| "nothing cached in the range".to_string());
            }
            return (name, Sub::Done(self.failed));
        };
        self.did = true;
        // need() locked the folio and waited for its writeback
        unmap_mapping_folio(w, p);
        let f = *w.s.cache.get(p).unwrap();
        if f.dirty() && !self.truncate {
            self.failed = true;
            w.s.cache.get_mut(p).unwrap().lock = 0;
            w.note(|w| {
                format!(
                    "folio {p} is dirty again ({}): cannot drop it → -EBUSY",
                    w.st.dlabel(p, f.ver)
                )
            });
        } else if f.has(crate::pagecache::ORDERED) && !self.truncate {
            self.failed = true;
            w.s.cache.get_mut(p).unwrap().lock = 0;
            w.note(|_| format!("folio {p}: btrfs_release_folio fails, its ordered extent is still pending → -EBUSY"));
        } else {
            remove_folio(w, p);
            if f.dirty() {
                w.note(|w| {
                    format!(
                        "folio {p} removed; its dirty data {} is discarded",
                        w.st.dlabel(p, f.ver)
                    )
                });
            } else {
                w.note(|_| format!("folio {p} removed"));
            }
        }
        self.cur = p + 1;
        match self.next(w) {
            Some(_) => (name, Sub::Running),
            None => (name, Sub::Done(self.failed)),
        }
    }
}

/// unmap_mapping_folio(): remove every process's PTE for page `p`.
pub fn unmap_mapping_folio(w: &mut World, p: u8) {
    let bit: crate::world::Pages = 1 << p;
    for t in w.s.tasks.iter_mut() {
        t.pte_ro &= !bit;
        t.pte_rw &= !bit;
        // private mappings lose the file's folio, not their COW copies
        t.priv_ro &= !bit;
    }
}

/// __filemap_remove_folio(): drop folio `p` from the cache. A pinned folio
/// becomes an orphan for the tasks that pinned it.
pub fn remove_folio(w: &mut World, p: u8) {
    let bit: crate::world::Pages = 1 << p;
    if w.s.cache.get(p).is_some_and(|f| f.pins > 0) {
        for t in w.s.tasks.iter_mut() {
            if t.pinned & bit != 0 {
                t.orphan |= bit;
            }
        }
        w.note(|_| {
            format!(
                "folio {p} was pinned by get_user_pages(): the pinned page is no longer the file's"
            )
        });
    }
    unmap_mapping_folio(w, p);
    w.s.cache.folios[p as usize] = None;
}

/// Whether reclaim may evict folio `p` (mapping_evict_folio /
/// shrink_folio_list for an unmapped clean folio): clean, not under
/// writeback, unlocked, not pinned, mapped by no one.
pub fn evictable(w: &World, p: u8) -> bool {
    let bit: crate::world::Pages = 1 << p;
    let mapped =
        w.s.tasks
            .iter()
            .any(|t| (t.pte_ro | t.pte_rw | t.priv_ro) & bit != 0);
    w.s.cache.get(p).is_some_and(|f| {
        !f.dirty()
            && !f.writeback()
            && !f.has(crate::pagecache::ORDERED)
            && !f.locked()
            && f.pins == 0
    }) && !mapped
}

/// filemap_end_dropbehind(): a dropbehind folio goes when it is clean, not
/// under writeback and its lock can be taken; folio_unmap_invalidate()
/// unmaps it first if it is mapped (pins are not looked at).
pub fn dropbehind_droppable(w: &World, p: u8) -> bool {
    w.s.cache.get(p).is_some_and(|f| {
        !f.dirty() && !f.writeback() && !f.has(crate::pagecache::ORDERED) && !f.locked()
    })
}

/// Whether a task holds a reference on folio `p` (a read or a fault
/// between its lookup and its copy or mapping): reclaim and
/// invalidate_mapping_pages cannot free it (folio_ref_freeze in
/// __remove_mapping, the refcount check of mapping_evict_folio fail).
pub fn referenced(w: &World, p: u8) -> bool {
    w.s.tasks.iter().any(|t| t.folio_ref & (1 << p) != 0)
}

/// invalidate_mapping_pages(): evict what can be evicted in `lo..=hi`
/// without waiting; returns the mask of evicted pages.
pub fn invalidate_mapping_pages(w: &mut World, lo: u8, hi: u8) -> crate::world::Pages {
    let mut gone = 0;
    for p in lo..=hi {
        if evictable(w, p) && !referenced(w, p) {
            w.s.cache.folios[p as usize] = None;
            gone |= 1 << p;
        }
    }
    gone
}

/// Symmetry (see [`crate::perm`]): these path states keep no task id and
/// no version (they name them through the task index and `op_ver`); one
/// that stores either must rename it here.
impl Inval {
    pub fn permute(&mut self, _p: &crate::perm::Perm) {
        let Inval {
            lo: _,
            hi: _,
            cur: _,
            truncate: _,
            failed: _,
            did: _,
        } = self;
    }
}
