//! Fault injection: `fail-writes` (the device fails the next write to some
//! blocks) and `crash` (power failure, then mount and log recovery).

use super::Progress;
use crate::errseq::Errseq;
use crate::locks::Locks;
use crate::ops::Range;
use crate::pagecache::PageCache;
use crate::world::{Ret, World};

pub fn fail_writes(w: &mut World, r: Range) -> (&'static str, Progress) {
    w.s.dev.fail |= r.block_mask();
    w.note(|_| format!("the next write to block {r} will fail"));
    ("fail-writes (dm-flakey)", Progress::Return(Ret::Pages(0)))
}

/// The power fails: nothing runs any more but the device, which may still
/// get some of what it was given onto media before it loses power. A
/// volatile write cache may have written any of its blocks out, in any
/// order, and a write in flight may or may not have reached the media
/// (Documentation/block/writeback_cache_control.rst promises only what a
/// completed REQ_PREFLUSH or REQ_FUA write covers). So until the crashing
/// task's next step (mount and recovery), each such write is a `dev`
/// step the schedule may take: the explorer tries every subset.
pub fn power_fails(w: &mut World, t: u8) -> (&'static str, Progress) {
    w.s.crashing = t + 1;
    // every process dies: other tasks' ops in progress are abandoned (they
    // go on with their next op after recovery), and so is an asynchronous
    // write whose completion had not run
    let mut killed: Vec<u8> = Vec::new();
    for u in 0..w.st.ntasks() as u8 {
        let task = &mut w.s.tasks[u as usize];
        let mut abandoned = Vec::new();
        if u != t && task.path != super::Path::Idle {
            abandoned.push(task.op);
            task.path = super::Path::Idle;
            task.op += 1;
            task.res = (task.res ^ 0xdead).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
        if task.aio.active() {
            abandoned.push(task.aio.op - 1);
            task.aio = crate::world::Aio::default();
        }
        if !abandoned.is_empty() {
            killed.push(u);
        }
        if let Some(h) = &mut w.hist {
            for opi in abandoned {
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
    }
    // memory is gone: the page cache, the locks, the mappings, the errors
    w.s.locks = Locks::new(w.st.pages);
    w.s.cache = PageCache::new(w.st.pages);
    w.s.dio = 0;
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
        task.folio_ref = 0;
    }
    w.note(|w| {
        let n = pending(w).len();
        let mut s = if n == 0 {
            "power failure: the page cache is lost; nothing is waiting to reach the media".to_string()
        } else {
            format!("power failure: the page cache is lost; {n} write(s) may still reach the media before the lights go out (dev steps)")
        };
        for &u in &killed {
            s += &format!("; {}'s op in progress is abandoned", w.st.task_name(u));
        }
        s
    });
    ("power failure", Progress::Continue)
}

/// A write that may still reach the media after the power failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pending {
    /// The k-th in-flight bio (a write, a cache flush, a journal write).
    Bio(u8),
    /// A block in the volatile write cache.
    Cached(u8),
}

/// The writes that may still reach the media, in `dev@k` order: bios in
/// flight that carry data or a flush, then the volatile cache's blocks; at
/// most MAX_BIOS of them (the `dev@k` names the explorer can hold), the
/// rest are lost.
pub fn pending(w: &World) -> Vec<Pending> {
    use crate::device::BioKind;
    let bios = w.s.dev.inflight().iter().enumerate().filter(|(_, b)| {
        matches!(
            b.kind,
            BioKind::Writeback | BioKind::DioWrite | BioKind::Flush | BioKind::LogWrite
        )
    });
    let cached = (0..w.st.nblocks).filter(|&b| w.s.dev.vcache[b as usize].is_some());
    bios.map(|(k, _)| Pending::Bio(k as u8))
        .chain(cached.map(Pending::Cached))
        .take(crate::world::MAX_BIOS)
        .collect()
}

/// `dev@k` after the power failed: the k-th pending write reaches the
/// media.
pub fn persist(w: &mut World, k: u8) -> &'static str {
    use crate::device::BioKind;
    match pending(w)[k as usize] {
        Pending::Cached(b) => {
            let v = w.s.dev.vcache[b as usize].take().expect("a cached block");
            w.s.dev.media[b as usize] = v;
            w.note(|w| {
                format!(
                    "the write cache wrote block {b} ({}) to media in time",
                    w.st.dlabel(w.page_of_block(b).unwrap_or(0), v)
                )
            });
            "power failure: write cache to media"
        }
        Pending::Bio(i) => {
            let bio = w.s.dev.take(i);
            let b = bio.block as usize;
            match bio.kind {
                BioKind::Flush => {
                    w.s.dev.flush_cache();
                    w.note(|_| "the cache flush completed in time".to_string());
                }
                BioKind::LogWrite => {
                    // PREFLUSH | FUA: the cache reached media, then the log
                    w.s.dev.flush_cache();
                    let size = w.s.i_size;
                    w.s.ext.commit(size);
                    w.note(|_| {
                        "the journal write reached the media in time: the transaction is committed"
                            .to_string()
                    });
                }
                _ => {
                    w.s.dev.media[b] = bio.ver;
                    w.s.dev.vcache[b] = None;
                    w.note(|w| {
                        format!(
                            "the {} of block {b} ({}) reached the media in time",
                            bio.kind.name(),
                            w.st.dlabel(bio.page, bio.ver)
                        )
                    });
                }
            }
            "power failure: bio to media"
        }
    }
}

/// Mount after the power failure: whatever had not reached the media is
/// gone. Log recovery restores the committed extent map and size; every
/// open file was reopened (its errseq cursor sampled afresh).
pub fn crash(w: &mut World, t: u8) -> (&'static str, Progress) {
    let _ = t;
    w.s.crashing = 0;
    w.s.dev.power_fail();
    w.s.i_size = w.s.ext.recover();
    w.note(|_| "what had not reached the media is lost; the journal is replayed".to_string());
    w.oracle_crash();
    ("mount; log recovery", Progress::Return(Ret::Pages(0)))
}
