//! The explorer's memory, all of it accounted: every structure grows in
//! fixed-size chunks (or, for the visited table, by a doubling the caller
//! checks against the budget first), so no single allocation can overshoot
//! the budget, and the bytes in use are known exactly at every step.
//!
//! - nodes: per state its parent link, sleep set, depth (16 bytes);
//! - fingerprints: per state 16 bytes, and an open-addressing table of
//!   node ids over them (8 bytes a slot, at most 3/4 full);
//! - the frontier: the states still to expand, stored compactly as ids
//!   of their parts (the page cache, the extent map, the device, the
//!   oracle, the locks and small fields, each task): states of a search
//!   share most of their parts, and each distinct part is stored once
//!   (the "collapse" compression of SPIN). A frontier state takes 4 bytes
//!   a part instead of the whole state (6.5 KB at the 64-page capacity).

use std::hash::{Hash, Hasher};

use super::fp::Fp128;
use crate::device::Device;
use crate::errseq::Errseq;
use crate::extents::Extents;
use crate::locks::Locks;
use crate::oracle::Oracle;
use crate::pagecache::PageCache;
use crate::perm::Perm;
use crate::world::{State, Task, MAX_TASKS};

/// Bytes per chunk (about).
const CHUNK_BYTES: usize = 16 << 10;

/// A vector that grows one fixed-size chunk at a time, and can free the
/// chunks a reader has gone past.
pub(crate) struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
    /// Chunks before this one have been freed.
    freed: usize,
}

impl<T: Copy> Chunked<T> {
    /// Elements per chunk.
    const CHUNK: usize = if std::mem::size_of::<T>() >= CHUNK_BYTES {
        1
    } else {
        CHUNK_BYTES / std::mem::size_of::<T>()
    };

    pub fn new() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
            freed: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Bytes a push would allocate now.
    pub fn next_alloc(&self) -> usize {
        if self.len.is_multiple_of(Self::CHUNK) {
            Self::CHUNK * std::mem::size_of::<T>() + 2 * std::mem::size_of::<Vec<T>>()
        } else {
            0
        }
    }

    pub fn push(&mut self, x: T) {
        if self.len.is_multiple_of(Self::CHUNK) {
            self.chunks.push(Vec::with_capacity(Self::CHUNK));
        }
        self.chunks.last_mut().unwrap().push(x);
        self.len += 1;
    }

    #[inline]
    pub fn get(&self, i: usize) -> &T {
        &self.chunks[i / Self::CHUNK][i % Self::CHUNK]
    }

    #[inline]
    pub fn get_mut(&mut self, i: usize) -> &mut T {
        &mut self.chunks[i / Self::CHUNK][i % Self::CHUNK]
    }

    /// Frees the chunks wholly before element `i`.
    pub fn free_before(&mut self, i: usize) {
        while self.freed < i / Self::CHUNK {
            self.chunks[self.freed] = Vec::new();
            self.freed += 1;
        }
    }

    pub fn bytes(&self) -> usize {
        (self.chunks.len() - self.freed) * Self::CHUNK * std::mem::size_of::<T>()
            + self.chunks.capacity() * std::mem::size_of::<Vec<T>>()
    }
}

/// The visited set: fingerprint → node id, open addressing over the
/// fingerprints kept per node. A slot is the node id + 1 (0: empty) and 32
/// bits of the fingerprint, compared before the node's whole fingerprint.
pub(crate) struct FpTable {
    slots: Vec<u64>,
    len: usize,
}

impl FpTable {
    pub fn new() -> Self {
        FpTable {
            slots: vec![0; 1024],
            len: 0,
        }
    }

    fn tag(fp: u128) -> u64 {
        (fp >> 64) as u64 & 0xffff_ffff
    }

    pub fn get(&self, fp: u128, fps: &Chunked<u128>) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut i = fp as usize & mask;
        let tag = Self::tag(fp);
        loop {
            let s = self.slots[i];
            if s == 0 {
                return None;
            }
            let id = (s >> 32) as u32 - 1;
            if s & 0xffff_ffff == tag && *fps.get(id as usize) == fp {
                return Some(id);
            }
            i = (i + 1) & mask;
        }
    }

    /// Asks the CPU to bring `fp`'s first slot into the cache, for a
    /// [`FpTable::get`] soon after (a hint: it changes no result).
    #[inline]
    pub fn prefetch(&self, fp: u128) {
        let i = fp as usize & (self.slots.len() - 1);
        #[cfg(target_arch = "x86_64")]
        #[allow(unsafe_code)]
        // SAFETY: `i` is in bounds, and a prefetch never faults nor
        // changes memory; SSE is in the x86_64 baseline.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                self.slots.as_ptr().add(i).cast(),
            );
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = i;
    }

    /// Bytes an insert would allocate now (the new table; the old one is
    /// freed after the move).
    pub fn next_alloc(&self) -> usize {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.slots.len() * 2 * 8
        } else {
            0
        }
    }

    /// Inserts a fingerprint known to be absent.
    pub fn insert(&mut self, fp: u128, id: u32, fps: &Chunked<u128>) {
        if self.next_alloc() != 0 {
            let n = self.slots.len() * 2;
            let old = std::mem::replace(&mut self.slots, vec![0; n]);
            for s in old.into_iter().filter(|&s| s != 0) {
                let id = (s >> 32) as u32 - 1;
                self.put(*fps.get(id as usize), s);
            }
        }
        self.put(fp, u64::from(id + 1) << 32 | Self::tag(fp));
        self.len += 1;
    }

    fn put(&mut self, fp: u128, slot: u64) {
        let mask = self.slots.len() - 1;
        let mut i = fp as usize & mask;
        while self.slots[i] != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = slot;
    }

    pub fn bytes(&self) -> usize {
        self.slots.len() * 8
    }
}

/// The parts of a state besides the big ones and the tasks.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Core {
    i_size: u8,
    locks: Locks,
    dio: u8,
    wb_err: Errseq,
    as_eio: bool,
    over: bool,
    crashing: u8,
}

/// The hashes of a state's parts (core, cache, extents, device, oracle,
/// then each task).
#[derive(Clone, Copy, Default, PartialEq, Debug)]
pub(crate) struct Hashes {
    parts: [u128; FIXED],
    tasks: [u128; MAX_TASKS],
}

pub(crate) fn hash128<T: Hash + ?Sized>(x: &T) -> u128 {
    let mut h = Fp128::default();
    x.hash(&mut h);
    h.get()
}

/// The parts of `s` that agree with `parent`'s in all that their hashes
/// cover: bit k for part k of [`Hashes`] (core, cache, extents, device,
/// oracle), bit `FIXED + j` when `s`'s task `p(j)` is the parent's task
/// `j`. In the browser, none (smaller code; every part is hashed).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn same_parts(s: &State, parent: &State, p: &Perm, ntasks: usize) -> u32 {
    let (core, rest) = split(s);
    let (pcore, prest) = split(parent);
    let mut same = u32::from(core == pcore)
        | u32::from(rest.cache.hash_eq(prest.cache)) << 1
        | u32::from(rest.ext.hash_eq(prest.ext)) << 2
        | u32::from(rest.dev.hash_eq(prest.dev)) << 3
        | u32::from(rest.oracle == prest.oracle) << 4;
    for (j, &k) in p.task[..ntasks].iter().enumerate() {
        same |= u32::from(rest.tasks[k as usize] == prest.tasks[j]) << (FIXED + j);
    }
    same
}

#[cfg(target_arch = "wasm32")]
pub(crate) fn same_parts(_: &State, _: &State, _: &Perm, _: usize) -> u32 {
    0
}

impl Hashes {
    pub fn of(s: &State, ntasks: usize) -> Hashes {
        let (core, rest) = split(s);
        let mut h = Hashes {
            parts: [
                hash128(&core),
                hash128(rest.cache),
                hash128(rest.ext),
                hash128(rest.dev),
                hash128(rest.oracle),
            ],
            tasks: [0; MAX_TASKS],
        };
        for (k, t) in rest.tasks[..ntasks].iter().enumerate() {
            h.tasks[k] = hash128(t);
        }
        h
    }

    /// The hashes of `s`, a child of `parent` (whose hashes are `ph`)
    /// renamed by `p`, whose parts `same` ([`same_parts`], before the
    /// renaming) are the parent's: those keep the parent's hash (a step
    /// changes one task and a part or two; comparing is much cheaper than
    /// hashing), so the result is exactly [`Hashes::of`].
    #[cfg(not(target_arch = "wasm32"))]
    pub fn of_child(
        s: &State,
        parent: &State,
        ph: &Hashes,
        p: &Perm,
        same: u32,
        ntasks: usize,
    ) -> Hashes {
        // renamed, a part is compared again
        let same = if p.is_identity() {
            same
        } else {
            same_parts(s, parent, p, ntasks)
        };
        let (core, rest) = split(s);
        let keep = |k: usize, h: &dyn Fn() -> u128| {
            if same & 1 << k != 0 {
                ph.parts[k]
            } else {
                h()
            }
        };
        let mut h = Hashes {
            parts: [
                keep(0, &|| hash128(&core)),
                keep(1, &|| hash128(rest.cache)),
                keep(2, &|| hash128(rest.ext)),
                keep(3, &|| hash128(rest.dev)),
                keep(4, &|| hash128(rest.oracle)),
            ],
            tasks: [0; MAX_TASKS],
        };
        // the parent's task j is the child's p(j)
        for (j, &k) in p.task[..ntasks].iter().enumerate() {
            h.tasks[k as usize] = if same & 1 << (FIXED + j) != 0 {
                ph.tasks[j]
            } else {
                hash128(&rest.tasks[k as usize])
            };
        }
        debug_assert!(h == Hashes::of(s, ntasks), "a reused part hash is stale");
        h
    }

    /// In the browser, the hashes of every part (smaller code).
    #[cfg(target_arch = "wasm32")]
    pub fn of_child(s: &State, _: &State, _: &Hashes, _: &Perm, _: u32, n: usize) -> Hashes {
        Hashes::of(s, n)
    }

    pub fn fingerprint(&self, ntasks: usize) -> u128 {
        let mut f = Fp128::default();
        for x in self.parts.iter().chain(&self.tasks[..ntasks]) {
            f.write_u64(*x as u64);
            f.write_u64((*x >> 64) as u64);
        }
        f.get()
    }
}

/// A state's big parts, by reference.
struct Rest<'a> {
    cache: &'a PageCache,
    ext: &'a Extents,
    dev: &'a Device,
    oracle: &'a Oracle,
    tasks: &'a [Task; MAX_TASKS],
}

fn split(s: &State) -> (Core, Rest<'_>) {
    let State {
        i_size,
        cache,
        ext,
        dev,
        locks,
        dio,
        wb_err,
        as_eio,
        tasks,
        oracle,
        over,
        crashing,
    } = s;
    (
        Core {
            i_size: *i_size,
            locks: *locks,
            dio: *dio,
            wb_err: *wb_err,
            as_eio: *as_eio,
            over: *over,
            crashing: *crashing,
        },
        Rest {
            cache,
            ext,
            dev,
            oracle,
            tasks,
        },
    )
}

/// Distinct values, each stored once, by id. Values are told apart by
/// their 128-bit hash, as states are by their fingerprint.
struct Interner<T> {
    items: Chunked<T>,
    hashes: Chunked<u128>,
    /// Open addressing over the items: id + 1, 0 for empty.
    slots: Vec<u32>,
}

impl<T: Copy + Eq + Hash> Interner<T> {
    fn new() -> Self {
        Interner {
            items: Chunked::new(),
            hashes: Chunked::new(),
            slots: vec![0; 256],
        }
    }

    /// `h`: the value's hash ([`Hashes`]).
    fn intern(&mut self, x: &T, h: u128) -> u32 {
        let mask = self.slots.len() - 1;
        let mut i = h as usize & mask;
        loop {
            match self.slots[i] {
                0 => break,
                s => {
                    let id = s - 1;
                    if *self.hashes.get(id as usize) == h {
                        debug_assert!(self.items.get(id as usize) == x, "a 128-bit collision");
                        return id;
                    }
                }
            }
            i = (i + 1) & mask;
        }
        let id = self.items.len() as u32;
        self.items.push(*x);
        self.hashes.push(h);
        if (self.items.len()) * 4 > self.slots.len() * 3 {
            self.slots = vec![0; self.slots.len() * 2];
            let mask = self.slots.len() - 1;
            for k in 0..self.items.len() {
                let mut i = *self.hashes.get(k) as usize & mask;
                while self.slots[i] != 0 {
                    i = (i + 1) & mask;
                }
                self.slots[i] = k as u32 + 1;
            }
        } else {
            self.slots[i] = id + 1;
        }
        id
    }

    fn get(&self, id: u32) -> &T {
        self.items.get(id as usize)
    }

    /// Bytes a new value would allocate, at most.
    fn next_alloc(&self) -> usize {
        let grow = if (self.items.len() + 1) * 4 > self.slots.len() * 3 {
            self.slots.len() * 2 * 4
        } else {
            0
        };
        self.items.next_alloc() + self.hashes.next_alloc() + grow
    }

    fn bytes(&self) -> usize {
        self.items.bytes() + self.hashes.bytes() + self.slots.len() * 4
    }
}

/// The distinct parts of the stored states.
pub(crate) struct Parts {
    core: Interner<Core>,
    cache: Interner<PageCache>,
    ext: Interner<Extents>,
    dev: Interner<Device>,
    oracle: Interner<Oracle>,
    task: Interner<Task>,
    ntasks: usize,
}

/// Ids per stored state: core, cache, extents, device, oracle, then tasks.
pub(crate) const FIXED: usize = 5;

impl Parts {
    pub fn new(ntasks: usize) -> Self {
        Parts {
            core: Interner::new(),
            cache: Interner::new(),
            ext: Interner::new(),
            dev: Interner::new(),
            oracle: Interner::new(),
            task: Interner::new(),
            ntasks,
        }
    }

    fn ids(&self) -> usize {
        FIXED + self.ntasks
    }

    fn store(&mut self, s: &State, h: &Hashes, out: &mut Chunked<u32>) {
        let (core, rest) = split(s);
        debug_assert!(
            rest.tasks[self.ntasks..]
                .iter()
                .all(|t| *t == Task::default()),
            "a task slot past the scenario's tasks is in use"
        );
        out.push(self.core.intern(&core, h.parts[0]));
        out.push(self.cache.intern(rest.cache, h.parts[1]));
        out.push(self.ext.intern(rest.ext, h.parts[2]));
        out.push(self.dev.intern(rest.dev, h.parts[3]));
        out.push(self.oracle.intern(rest.oracle, h.parts[4]));
        for (k, t) in rest.tasks[..self.ntasks].iter().enumerate() {
            out.push(self.task.intern(t, h.tasks[k]));
        }
    }

    /// Loads the state stored at `at` into `out`, a state of the same
    /// scenario (only the parts the scenario uses are copied).
    fn load_into(&self, ids: &Chunked<u32>, at: usize, out: &mut State) {
        let id = |k: usize| *ids.get(at + k);
        let Core {
            i_size,
            locks,
            dio,
            wb_err,
            as_eio,
            over,
            crashing,
        } = *self.core.get(id(0));
        for (k, t) in out.tasks[..self.ntasks].iter_mut().enumerate() {
            *t = *self.task.get(id(FIXED + k));
        }
        out.i_size = i_size;
        out.cache.copy_from(self.cache.get(id(1)));
        out.ext.copy_from(self.ext.get(id(2)));
        out.dev.copy_from(self.dev.get(id(3)));
        out.locks = locks;
        out.dio = dio;
        out.wb_err = wb_err;
        out.as_eio = as_eio;
        out.oracle.copy_from(self.oracle.get(id(4)));
        out.over = over;
        out.crashing = crashing;
    }

    /// The part hashes of the state stored at `at`.
    fn hashes(&self, ids: &Chunked<u32>, at: usize) -> Hashes {
        let id = |k: usize| *ids.get(at + k) as usize;
        let mut h = Hashes {
            parts: [
                *self.core.hashes.get(id(0)),
                *self.cache.hashes.get(id(1)),
                *self.ext.hashes.get(id(2)),
                *self.dev.hashes.get(id(3)),
                *self.oracle.hashes.get(id(4)),
            ],
            tasks: [0; MAX_TASKS],
        };
        for (k, t) in h.tasks[..self.ntasks].iter_mut().enumerate() {
            *t = *self.task.hashes.get(id(FIXED + k));
        }
        h
    }

    /// Bytes storing a new state could allocate, at most.
    fn next_alloc(&self) -> usize {
        self.core.next_alloc()
            + self.cache.next_alloc()
            + self.ext.next_alloc()
            + self.dev.next_alloc()
            + self.oracle.next_alloc()
            + self.ntasks * self.task.next_alloc()
    }

    pub fn bytes(&self) -> usize {
        self.core.bytes()
            + self.cache.bytes()
            + self.ext.bytes()
            + self.dev.bytes()
            + self.oracle.bytes()
            + self.task.bytes()
    }
}

/// States to expand, in order, with what goes with each.
pub(crate) struct Frontier<E> {
    pub entries: Chunked<E>,
    ids: Chunked<u32>,
    /// Entries before this one have been taken.
    pub pos: usize,
}

impl<E: Copy> Frontier<E> {
    pub fn new() -> Self {
        Frontier {
            entries: Chunked::new(),
            ids: Chunked::new(),
            pos: 0,
        }
    }

    pub fn remaining(&self) -> usize {
        self.entries.len() - self.pos
    }

    pub fn next_alloc(&self, parts: &Parts) -> usize {
        let ch = Chunked::<u32>::CHUNK;
        let before = self.ids.len().div_ceil(ch);
        let after = (self.ids.len() + parts.ids()).div_ceil(ch);
        self.entries.next_alloc() + (after - before) * ch * 4 + parts.next_alloc()
    }

    pub fn push(&mut self, e: E, s: &State, h: &Hashes, parts: &mut Parts) {
        self.entries.push(e);
        parts.store(s, h, &mut self.ids);
    }

    /// Takes the next entry, and its index for [`Frontier::state`].
    pub fn pop(&mut self) -> Option<(E, usize)> {
        if self.pos >= self.entries.len() {
            return None;
        }
        self.pos += 1;
        Some((*self.entries.get(self.pos - 1), self.pos - 1))
    }

    /// Loads entry `i`'s state into `out` (a state of the same scenario),
    /// and returns its part hashes (read where it is expanded: a batch of
    /// states is not copied around).
    pub fn state_into(&self, i: usize, parts: &Parts, out: &mut State) -> Hashes {
        let at = i * parts.ids();
        parts.load_into(&self.ids, at, out);
        // the browser hashes every part (Hashes::of_child)
        if cfg!(target_arch = "wasm32") {
            Hashes::default()
        } else {
            parts.hashes(&self.ids, at)
        }
    }

    /// Frees the storage of the entries before `upto` (taken and done
    /// with: the explorer frees as it merges, so that what it accounts
    /// does not depend on how many states it takes at once).
    pub fn free_before(&mut self, upto: usize, parts: &Parts) {
        self.entries.free_before(upto);
        self.ids.free_before(upto * parts.ids());
    }

    pub fn bytes(&self) -> usize {
        self.entries.bytes() + self.ids.bytes()
    }
}
