//! The explorer's memory, all of it accounted: every structure grows in
//! fixed-size chunks (or, for the visited table, by a doubling the caller
//! checks against the budget first), so no single allocation can overshoot
//! the budget, and the bytes in use are known exactly at every step.
//!
//! - nodes: per state its parent link, sleep set, depth (16 bytes);
//! - fingerprints: per state 16 bytes, and an open-addressing table of
//!   node ids over them (8 bytes a slot, at most 3/4 full);
//! - the frontier: the states still to expand, stored compactly — the
//!   state without its task slots, then only the scenario's tasks (a state
//!   has room for `MAX_TASKS`; most scenarios have two or three).

use crate::device::Device;
use crate::errseq::Errseq;
use crate::extents::Extents;
use crate::locks::Locks;
use crate::oracle::Oracle;
use crate::pagecache::PageCache;
use crate::world::{State, Task, MAX_TASKS};

/// Bytes per chunk (about).
const CHUNK_BYTES: usize = 128 << 10;

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

/// A state without its task slots.
#[derive(Clone, Copy)]
pub(crate) struct Head {
    i_size: u8,
    cache: PageCache,
    ext: Extents,
    dev: Device,
    locks: Locks,
    dio: u8,
    wb_err: Errseq,
    as_eio: bool,
    oracle: Oracle,
    over: bool,
}

fn split(s: &State) -> (Head, &[Task; MAX_TASKS]) {
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
    } = s;
    (
        Head {
            i_size: *i_size,
            cache: *cache,
            ext: *ext,
            dev: *dev,
            locks: *locks,
            dio: *dio,
            wb_err: *wb_err,
            as_eio: *as_eio,
            oracle: *oracle,
            over: *over,
        },
        tasks,
    )
}

fn join(h: &Head, tasks: &[Task]) -> State {
    let Head {
        i_size,
        cache,
        ext,
        dev,
        locks,
        dio,
        wb_err,
        as_eio,
        oracle,
        over,
    } = *h;
    let mut all = [Task::default(); MAX_TASKS];
    all[..tasks.len()].copy_from_slice(tasks);
    State {
        i_size,
        cache,
        ext,
        dev,
        locks,
        dio,
        wb_err,
        as_eio,
        tasks: all,
        oracle,
        over,
    }
}

/// States to expand, in order, with what goes with each.
pub(crate) struct Frontier<E> {
    pub entries: Chunked<E>,
    heads: Chunked<Head>,
    tasks: Chunked<Task>,
    ntasks: usize,
    /// Entries before this one have been taken.
    pub pos: usize,
}

impl<E: Copy> Frontier<E> {
    pub fn new(ntasks: usize) -> Self {
        Frontier {
            entries: Chunked::new(),
            heads: Chunked::new(),
            tasks: Chunked::new(),
            ntasks,
            pos: 0,
        }
    }

    pub fn remaining(&self) -> usize {
        self.entries.len() - self.pos
    }

    pub fn next_alloc(&self) -> usize {
        let ch = Chunked::<Task>::CHUNK;
        let before = self.tasks.len().div_ceil(ch);
        let after = (self.tasks.len() + self.ntasks).div_ceil(ch);
        self.entries.next_alloc()
            + self.heads.next_alloc()
            + (after - before) * ch * std::mem::size_of::<Task>()
    }

    pub fn push(&mut self, e: E, s: &State) {
        let (head, tasks) = split(s);
        debug_assert!(
            tasks[self.ntasks..].iter().all(|t| *t == Task::default()),
            "a task slot past the scenario's tasks is in use"
        );
        self.entries.push(e);
        self.heads.push(head);
        for t in &tasks[..self.ntasks] {
            self.tasks.push(*t);
        }
    }

    /// Takes the next entry and its state.
    pub fn pop(&mut self) -> Option<(E, State)> {
        if self.pos >= self.entries.len() {
            return None;
        }
        let i = self.pos;
        self.pos += 1;
        let n = self.ntasks;
        let mut tasks = [Task::default(); MAX_TASKS];
        for (k, t) in tasks[..n].iter_mut().enumerate() {
            *t = *self.tasks.get(i * n + k);
        }
        let s = join(self.heads.get(i), &tasks[..n]);
        Some((*self.entries.get(i), s))
    }

    /// Frees the storage of the entries before `upto` (taken and done
    /// with: the explorer frees as it merges, so that what it accounts
    /// does not depend on how many states it takes at once).
    pub fn free_before(&mut self, upto: usize) {
        self.entries.free_before(upto);
        self.heads.free_before(upto);
        self.tasks.free_before(upto * self.ntasks);
    }

    pub fn bytes(&self) -> usize {
        self.entries.bytes() + self.heads.bytes() + self.tasks.bytes()
    }
}
