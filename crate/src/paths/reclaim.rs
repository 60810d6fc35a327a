//! Memory reclaim: kswapd (a background actor, if the scenario enables it)
//! and the `reclaim` op evict clean, unlocked, unmapped, unpinned folios.

use super::invalidate::{evictable, invalidate_mapping_pages, referenced};
use super::Progress;
use crate::ops::Range;
use crate::world::{Need, Ret, World};

fn first_evictable(w: &World) -> Option<u8> {
    (0..w.st.pages).find(|&p| evictable(w, p) && !referenced(w, p))
}

pub fn kswapd_need(w: &World) -> Option<Need> {
    if !w.st.scenario.setup.reclaim {
        return None;
    }
    first_evictable(w).map(|_| Need::None)
}

pub fn kswapd_step(w: &mut World) -> &'static str {
    let p = first_evictable(w).expect("kswapd enabled without work");
    w.s.cache.folios[p as usize] = None;
    w.note(|_| format!("folio {p} evicted"));
    "shrink_folio_list"
}

/// The `reclaim [R]` op: one pass of shrink_folio_list over the range.
pub fn reclaim_op(w: &mut World, r: Option<Range>) -> (&'static str, Progress) {
    let r = r.unwrap_or(Range {
        lo: 0,
        hi: w.st.pages - 1,
    });
    let cached = w.s.cache.present(r.lo, r.hi);
    let gone = invalidate_mapping_pages(w, r.lo, r.hi);
    let kept = cached & !gone;
    w.note(|w| {
        let mut s = if gone == 0 {
            "nothing evictable".to_string()
        } else {
            format!("evicted {}", crate::util::fmt_set(gone))
        };
        for p in 0..w.st.pages {
            if kept & (1 << p) != 0 {
                let f = w.s.cache.get(p).unwrap();
                let why = if f.dirty() {
                    "dirty"
                } else if f.writeback() {
                    "under writeback"
                } else if f.locked() {
                    "locked"
                } else if f.pins > 0 {
                    "pinned"
                } else if referenced(w, p) {
                    "referenced by a read or fault"
                } else {
                    "mapped"
                };
                s += &format!("; kept {p} ({why})");
            }
        }
        s
    });
    ("shrink_folio_list", Progress::Return(Ret::Pages(0)))
}
