//! Fault injection: `fail-writes` (the device fails the next write to some
//! blocks) and `crash` (power failure, then mount and log recovery).

use super::Progress;
use crate::errseq::Errseq;
use crate::locks::Locks;
use crate::ops::Range;
use crate::pagecache::PageCache;
use crate::world::{Ret, World};

pub fn fail_writes(w: &mut World, r: Range) -> (&'static str, Progress) {
    w.s.dev.fail |= r.mask();
    w.note(|_| format!("the next write to block {r} will fail"));
    ("fail-writes (dm-flakey)", Progress::Return(Ret::Pages(0)))
}

/// Power failure: every process dies (other tasks' ops in progress are
/// abandoned; they go on with their next op after recovery), the page
/// cache, the device's volatile cache and in-flight bios are lost. Mount:
/// log recovery restores the committed extent map and size; every open
/// file is reopened (its errseq cursor sampled afresh).
pub fn crash(w: &mut World, t: u8) -> (&'static str, Progress) {
    let killed: Vec<u8> = (0..w.st.ntasks() as u8)
        .filter(|&u| u != t && w.s.tasks[u as usize].path != super::Path::Idle)
        .collect();
    for &u in &killed {
        let task = &mut w.s.tasks[u as usize];
        let opi = task.op;
        task.path = super::Path::Idle;
        task.op += 1;
        task.res = (task.res ^ 0xdead).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        if let Some(h) = &mut w.hist {
            if let Some(rec) = h
                .syscalls
                .iter_mut()
                .rev()
                .find(|s| s.task == u && s.op == opi && s.end.is_none())
            {
                rec.end = Some(h.steps.len() - 1);
            }
        }
    }
    w.s.locks = Locks::default();
    w.s.cache = PageCache::default();
    w.s.dio = 0;
    w.s.dev.power_fail();
    w.s.i_size = w.s.ext.recover();
    w.s.wb_err = Errseq::default();
    w.s.as_eio = false;
    for task in w.s.tasks.iter_mut() {
        task.cursor = Errseq::default();
        task.pte_ro = 0;
        task.pte_rw = 0;
        task.priv_ro = 0;
        task.priv_anon = 0;
        task.pinned = 0;
        task.orphan = 0;
    }
    w.note(|w| {
        let mut s = "page cache and volatile write cache lost; journal replayed".to_string();
        for &u in &killed {
            s += &format!("; {}'s op in progress is abandoned", w.st.task_name(u));
        }
        s
    });
    w.oracle_crash();
    (
        "power failure; mount; log recovery",
        Progress::Return(Ret::Pages(0)),
    )
}
