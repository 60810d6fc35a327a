//! Footprints: what an actor's next step may touch, for the explorer's
//! sleep-set reduction. Two steps whose footprints do not conflict commute
//! (either order gives the same state, oracles included) and neither
//! enables nor disables the other.
//!
//! Device completions are precise: a bio touches its block, its page (and
//! any page mapping that block), its owner task, and the error state if the
//! block is set to fail. Task steps are conservative: the whole op's pages
//! (all pages for ops that write back, since delalloc conversion reaches
//! past the range), every inode-wide object, the task itself. The flusher,
//! reclaim, journal commits and crashes conflict with everything.

use crate::device::{Bio, BioKind};
use crate::ops::Op;
use crate::policy::DioCoherency;
use crate::world::{Actor, Blocks, Pages, World, MAX_TASKS};

const TASK0: u32 = 0;
const I_RWSEM: u32 = TASK0 + MAX_TASKS as u32;
const INVALIDATE_LOCK: u32 = I_RWSEM + 1;
const DIO_RWSEM: u32 = I_RWSEM + 2;
const I_SIZE: u32 = I_RWSEM + 3;
const DIO_COUNT: u32 = I_RWSEM + 4;
const WB_ERR: u32 = I_RWSEM + 5;
const EXT_ALLOC: u32 = I_RWSEM + 6;
const QUEUE: u32 = I_RWSEM + 7;
const _: () = assert!(QUEUE < 32);

/// A footprint: exclusive objects, plus read/write pairs for state that
/// many steps update commutatively (the write-order bookkeeping of the
/// oracles; the extent sequence number).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fp {
    pages: Pages,
    blocks: Blocks,
    /// Tasks and the inode-wide objects.
    objs: u32,
    order_r: bool,
    order_w: bool,
    seq_r: bool,
    seq_w: bool,
    global: bool,
}

impl Fp {
    fn bit(&mut self, b: u32) {
        self.objs |= 1 << b;
    }
    fn block(&mut self, b: u8) {
        self.blocks |= 1 << b;
    }
    fn global() -> Fp {
        Fp {
            global: true,
            ..Fp::default()
        }
    }

    /// Whether two steps with these footprints may not commute.
    pub fn conflicts(&self, o: &Fp) -> bool {
        self.global
            || o.global
            || self.objs & o.objs != 0
            || self.pages & o.pages != 0
            || self.blocks & o.blocks != 0
            || (self.order_w && (o.order_r || o.order_w))
            || (o.order_w && self.order_r)
            || (self.seq_w && o.seq_r)
            || (o.seq_w && self.seq_r)
    }
}

/// A transition's identity across states: a task's next step (a task only
/// moves by its own steps, so it is the same step while it sleeps), a bio
/// by its content (its queue position shifts as others complete).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Tid {
    Task(u8),
    Bio(Bio),
    /// After a power failure, the k-th write that may still reach media.
    Pending(u8),
    Flush,
    Reclaim,
}

pub fn tid(w: &World, a: Actor) -> Tid {
    match a {
        Actor::Task(t) => Tid::Task(t),
        Actor::Dev(k) if w.s.crashing != 0 => Tid::Pending(k),
        Actor::Dev(k) => Tid::Bio(w.s.dev.inflight()[k as usize]),
        Actor::Flush => Tid::Flush,
        Actor::Reclaim => Tid::Reclaim,
    }
}

fn actor_of(w: &World, t: &Tid) -> Option<Actor> {
    match t {
        Tid::Task(i) => Some(Actor::Task(*i)),
        Tid::Bio(b) => {
            w.s.dev
                .inflight()
                .iter()
                .position(|x| x == b)
                .map(|k| Actor::Dev(k as u8))
        }
        Tid::Pending(k) => Some(Actor::Dev(*k)),
        Tid::Flush => Some(Actor::Flush),
        Tid::Reclaim => Some(Actor::Reclaim),
    }
}

/// Whether the sleeping transition `t` stays asleep after a step with
/// footprint `fa` from `w`: it must still be there and not conflict.
pub fn sleeps_through(w: &World, t: &Tid, fa: &Fp) -> bool {
    match actor_of(w, t) {
        Some(a) if w.enabled().contains(a) => !of(w, a).conflicts(fa),
        _ => false,
    }
}

fn pages_mapping(w: &World, b: u8) -> Pages {
    (0..w.st.pages)
        .filter(|&p| w.s.ext.get(p).block() == Some(b))
        .fold(0, |m, p| m | 1 << p)
}

/// The footprint of `a`'s next step in `w`.
pub fn of(w: &World, a: Actor) -> Fp {
    if w.s.crashing != 0 {
        // the power failed: the device's last writes and the recovery
        return Fp::global();
    }
    match a {
        Actor::Flush | Actor::Reclaim => Fp::global(),
        Actor::Dev(k) => bio(w, &w.s.dev.inflight()[k as usize]),
        Actor::Task(t) => task(w, t),
    }
}

fn bio(w: &World, b: &Bio) -> Fp {
    let mut f = Fp::default();
    match b.kind {
        BioKind::LogWrite | BioKind::AioComplete => return Fp::global(),
        BioKind::Flush => {
            for blk in 0..w.st.nblocks {
                f.block(blk);
            }
        }
        _ => {}
    }
    f.block(b.block);
    let mut pages = pages_mapping(w, b.block) | 1 << b.page;
    if matches!(
        b.kind,
        BioKind::DioRead | BioKind::DioWrite | BioKind::Flush | BioKind::ReadFolio
    ) {
        f.bit(TASK0 + u32::from(b.owner.0));
    }
    if b.kind == BioKind::DioRead {
        // the data may land in the reader's mmapped buffer
        let task = &w.s.tasks[b.owner.0 as usize];
        pages |= task.pinned;
    }
    if b.kind.is_write() {
        // unwritten → written conversion bumps the extent sequence
        f.seq_w = true;
        if w.s.dev.fail & (1 << b.block) != 0 {
            f.bit(WB_ERR);
        }
    }
    if w.s.dev.queue_full() {
        f.bit(QUEUE);
    }
    f.pages = pages;
    f
}

fn task(w: &World, t: u8) -> Fp {
    let task = &w.s.tasks[t as usize];
    let opi = task.op as usize;
    let Some(op) = w.st.scenario.tasks[t as usize].ops.get(opi) else {
        return Fp::global();
    };
    if w.st.policy.dio_coherency != DioCoherency::FlushInvalidate {
        // the proposals look at the whole of i_pages on every insertion
        return Fp::global();
    }
    let all = crate::ops::Range {
        lo: 0,
        hi: w.st.pages - 1,
    }
    .mask();
    let pages: Pages = match *op {
        Op::Crash | Op::FailWrites(_) if matches!(op, Op::Crash) => return Fp::global(),
        Op::FailWrites(r) => {
            let mut f = Fp::default();
            f.bit(TASK0 + u32::from(t));
            f.order_r = true;
            f.blocks = r.block_mask();
            return f;
        }
        Op::Read {
            range,
            direct: false,
            ..
        } => range.mask(),
        // a load or store alone touches its page; a fault reads around it
        // (do_sync_mmap_readahead), inserting any missing page
        Op::MmapRead(p, _) if (task.pte_ro | task.pte_rw) & (1 << p) != 0 => 1 << p,
        Op::MmapWrite(p, _) if task.pte_rw & (1 << p) != 0 => 1 << p,
        Op::Reclaim(Some(r)) => r.mask(),
        Op::Write {
            range,
            direct: false,
            dsync: false,
            uncached: false,
            ..
        } if w.st.fs != crate::fs::Fs::Xfs => range.mask(),
        _ => all,
    };
    let mut f = Fp {
        pages,
        ..Fp::default()
    };
    if w.st.dax {
        for b in 0..w.st.nblocks {
            f.block(b);
        }
    }
    f.bit(TASK0 + u32::from(t));
    // tasks whose pinned pages this op may remove (they become orphans)
    for u in 0..MAX_TASKS as u8 {
        if w.s.tasks[u as usize].pinned & pages != 0 {
            f.bit(TASK0 + u32::from(u));
        }
    }
    for o in [
        I_RWSEM,
        INVALIDATE_LOCK,
        DIO_RWSEM,
        I_SIZE,
        DIO_COUNT,
        WB_ERR,
        EXT_ALLOC,
        QUEUE,
    ] {
        f.bit(o);
    }
    f.order_r = true;
    f.order_w = true;
    // only a buffered write with the ~6.2 validity cookie reads the extent
    // sequence number (a direct write may fall back to a buffered one)
    f.seq_r = w.st.policy.iomap_validity == crate::policy::IomapValidity::Cookie
        && matches!(op, Op::Write { .. });
    f.seq_w = true;
    f
}
