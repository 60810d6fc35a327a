//! The exhaustive explorer: every distinct interleaving of a scenario under
//! one policy, as litmus-test tools do for memory models. For each outcome:
//! always / sometimes / never, with the shortest schedule that shows it;
//! the distinct final results with a witness each.
//!
//! Search: breadth-first over states (not depth-first as first sketched:
//! breadth-first makes every witness a shortest one, which the design asks
//! for, at the cost of keeping a frontier), one round at a time: the states
//! of a round are expanded in batches (in parallel natively, on the
//! browser's thread in slices), and their children are merged into the
//! visited set in a fixed order, so that the states, counts, verdicts and
//! witnesses are the same whatever the number of threads or the size of
//! the slices. States are identified by a 128-bit fingerprint of
//! [`crate::world::State`]; a witness is rebuilt from parent links, so no
//! trace is stored per state.
//!
//! Reductions:
//! - sleep sets ([`crate::footprint`]): after exploring actor `a` from a
//!   state, a sibling `b` whose step is independent of `a`'s does not
//!   explore `a` again. Sound because independent steps commute exactly
//!   and neither enables nor disables the other;
//! - symmetry ([`symmetry`]): tasks with identical op lists are
//!   interchangeable; one state is kept per class of states equal up to a
//!   renaming of them, and results are reported for every renaming.
//!
//! The property tests compare the terminal results with and without each.
//!
//! Memory is a bound like the others ([`Options::max_memory`]): every
//! structure is accounted ([`store`]) and the search stops, incomplete,
//! before an allocation would exceed the budget.
//!
//! A run ends in a terminal state (no actor can move). Outcome bits and the
//! tasks' result fingerprints are part of the state, so terminal states
//! carry everything the verdicts need.

mod fp;
mod store;
mod symmetry;

pub use fp::fingerprint;

use crate::footprint::{self, Fp};
use crate::oracle::Forget;
use crate::outcome::{Outcome, Verdict};
use crate::perm::Perm;
use crate::world::{Actor, State, World, MAX_TASKS};
use store::{Chunked, FpTable, Frontier, Hashes, Parts};
use symmetry::Symmetry;

/// The memory budget when none is given: well under a developer machine's
/// memory natively; in the browser, well under what a tab may use.
pub const DEFAULT_MAX_MEMORY: usize = if cfg!(target_arch = "wasm32") {
    256 << 20
} else {
    1 << 30
};

/// Search bounds; `None` is unbounded.
#[derive(Clone, Debug)]
pub struct Options {
    pub max_states: Option<usize>,
    pub max_depth: Option<usize>,
    /// Context switches away from an actor that could have gone on.
    pub max_preemptions: Option<u32>,
    /// Bytes of memory the explorer's own data may use (visited set,
    /// parent links, frontier); [`DEFAULT_MAX_MEMORY`] by default.
    pub max_memory: Option<usize>,
    /// Sleep-set reduction (on by default in the CLI).
    pub reduction: bool,
    /// Symmetry reduction over tasks with identical op lists (on by default).
    pub symmetry: bool,
    /// Forget the oracles' history that no future step can read
    /// ([`crate::oracle::Forget`]; on by default).
    pub forget_history: bool,
    /// Count the interleavings the search covered (keeps every edge: for
    /// benchmarks and statistics, not for the browser).
    pub count_interleavings: bool,
    /// Threads expanding states (natively; 0 = one per core). The output is
    /// the same for any number.
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_states: None,
            max_depth: None,
            max_preemptions: None,
            max_memory: Some(DEFAULT_MAX_MEMORY),
            reduction: false,
            symmetry: true,
            forget_history: true,
            count_interleavings: false,
            threads: 1,
        }
    }
}
/// Progress, for a progress bar.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub states: usize,
    pub transitions: usize,
    pub frontier: usize,
    pub depth: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutcomeVerdict {
    pub outcome: Outcome,
    pub verdict: Verdict,
    /// False when a bound stopped the search: `never` and `always` are then
    /// "not seen" and "in every run seen".
    pub proven: bool,
    /// Shortest schedule showing it (if it happens).
    pub witness: Option<Vec<String>>,
    /// Terminal states where it happens (up to symmetry).
    pub runs: usize,
}

/// A distinct final result: what the syscalls returned and reads saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terminal {
    pub fired: u16,
    /// Shortest schedule ending in this result (replay it for the details).
    pub witness: Vec<String>,
    /// Whether the run deadlocked.
    pub deadlock: bool,
    /// The tasks' result fingerprints (what identifies the result).
    pub res: [u64; MAX_TASKS],
}

#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    pub states: usize,
    pub transitions: usize,
    /// Transitions the sleep sets skipped.
    pub pruned: usize,
    pub terminal_states: usize,
    pub distinct_results: usize,
    pub max_depth: usize,
    pub complete: bool,
    /// What stopped the search, if it did not complete.
    pub stopped_by: Option<String>,
    /// Complete interleavings (maximal paths) in the graph the search
    /// explored, if counted; `None` also when the graph has a cycle.
    pub interleavings: Option<f64>,
    /// The most bytes the explorer's data took at once.
    pub memory: usize,
}

impl Stats {
    /// Bytes per stored state, at the peak.
    pub fn bytes_per_state(&self) -> f64 {
        self.memory as f64 / self.states.max(1) as f64
    }
}

#[derive(Clone, Debug)]
pub struct Report {
    pub verdicts: Vec<OutcomeVerdict>,
    pub results: Vec<Terminal>,
    pub stats: Stats,
}

impl Report {
    /// Puts `prefix` (the schedule the exploration started after) in
    /// front of every witness.
    pub fn prepend(&mut self, prefix: &[String]) {
        if prefix.is_empty() {
            return;
        }
        let fix = |w: &mut Vec<String>| {
            let mut v = prefix.to_vec();
            v.append(w);
            *w = v;
        };
        for v in &mut self.verdicts {
            if let Some(w) = &mut v.witness {
                fix(w);
            }
        }
        for t in &mut self.results {
            fix(&mut t.witness);
        }
    }

    pub fn verdict(&self, o: Outcome) -> &OutcomeVerdict {
        self.verdicts
            .iter()
            .find(|v| v.outcome == o)
            .expect("every outcome has a verdict")
    }
}

/// A state's parent link and search data.
#[derive(Clone, Copy, Default)]
struct Node {
    parent: u32,
    depth: u32,
    /// Sleep set the state was (last) expanded with ([`sleep_bit`]).
    sleep: u32,
    preemptions: u16,
    /// The step from the parent ([`encode`]), in the parent's names.
    actor: u8,
    /// Whether it has been expanded (a state still waiting in the frontier
    /// just has its sleep set shrunk when reached again).
    expanded: bool,
}

/// A state to expand: a new one (`only` = 0) or one reached again with
/// these transitions awake that were asleep when it was expanded. The
/// other fields are the node's, read when its round begins.
#[derive(Clone, Copy, Default)]
struct Entry {
    node: u32,
    only: u32,
    sleep: u32,
    depth: u32,
    preemptions: u16,
    last: u8,
}

#[derive(Clone, Copy)]
struct TermInfo {
    id: u32,
    fired: u16,
    res: [u64; MAX_TASKS],
}

/// A transition in a sleep set, by its place in the state the set belongs
/// to: tasks by index, bios by queue position, then flush and reclaim.
fn sleep_bit(a: Actor) -> u32 {
    match a {
        Actor::Task(t) => 1 << t,
        Actor::Dev(k) => 1 << (MAX_TASKS as u32 + u32::from(k)),
        Actor::Flush => 1 << 24,
        Actor::Reclaim => 1 << 25,
    }
}

fn bit_actor(b: u32) -> Actor {
    let m = MAX_TASKS as u32;
    match b {
        b if b < m => Actor::Task(b as u8),
        24 => Actor::Flush,
        25 => Actor::Reclaim,
        b => Actor::Dev((b - m) as u8),
    }
}

const _: () = assert!(MAX_TASKS + crate::world::MAX_BIOS <= 24);

fn encode(a: Actor) -> u8 {
    match a {
        Actor::Task(t) => t,
        Actor::Dev(k) => 16 + k,
        Actor::Flush => 40,
        Actor::Reclaim => 41,
    }
}

fn decode(x: u8) -> Actor {
    match x {
        40 => Actor::Flush,
        41 => Actor::Reclaim,
        x if x >= 16 => Actor::Dev(x - 16),
        x => Actor::Task(x),
    }
}

fn rename(a: Actor, p: &Perm) -> Actor {
    match a {
        Actor::Task(t) => Actor::Task(p.task(t)),
        a => a,
    }
}

/// A child found by expanding a state.
struct Child {
    fp: u128,
    hashes: Hashes,
    actor: u8,
    sleep: u32,
    preemptions: u16,
    done: bool,
    /// Its state's index in the pool of its expansion ([`Expanded::pool`]);
    /// None when the child is a
    /// state already seen that will not be expanded again (most children:
    /// their state need not be kept).
    state: Option<u32>,
    /// Its node, if it was in the visited set before the batch (saves
    /// the merge a lookup).
    old: Option<u32>,
}

/// What an expansion may look up: the visited set as it was before the
/// batch (only ever grows; a node's sleep set and preemptions only shrink).
struct Seen<'a> {
    table: &'a FpTable,
    fps: &'a Chunked<u128>,
    nodes: &'a Chunked<Node>,
}

impl Seen<'_> {
    /// Whether merging a child with these data into `old` (its node if
    /// seen already) can need its state (to expand it again).
    fn may_need(&self, old: Option<u32>, sleep: u32, preemptions: u16, opts: &Options) -> bool {
        match old {
            None => true,
            Some(id) => {
                let on = self.nodes.get(id as usize);
                (opts.reduction && on.sleep & !sleep != 0)
                    || (opts.max_preemptions.is_some() && preemptions < on.preemptions)
            }
        }
    }
}

/// What expanding one state gave.
struct Expanded {
    node: u32,
    depth: u32,
    transitions: usize,
    pruned: usize,
    bound: Option<String>,
    children: Vec<Child>,
    /// The pool ([`Bufs::pool`]) that holds the states of its children.
    pool: usize,
}

impl Expanded {
    /// Adds a computed child (its state in `buf`), once its fingerprint is
    /// looked up: its state is kept only if the merge may need it.
    fn take(&mut self, mut c: Child, buf: &World, pool: &mut Pool, seen: &Seen, ctx: &Ctx) {
        c.old = seen.table.get(c.fp, seen.fps);
        if seen.may_need(c.old, c.sleep, c.preemptions, &ctx.opts) {
            c.state = Some(pool.push(&buf.s, ctx.ntasks));
        }
        self.children.push(c);
    }
}

/// What an expansion needs, shared by the threads.
#[derive(Clone)]
struct Ctx {
    opts: Options,
    sym: Symmetry,
    forget: Option<Forget>,
    ntasks: usize,
}

impl Ctx {
    /// The state the search keeps for `s`: its dead history forgotten,
    /// renamed to its class's representative (the renaming is returned).
    fn canon(&self, st: &crate::world::Static, s: &mut State) -> Perm {
        if let Some(f) = &self.forget {
            f.apply(st, s);
        }
        self.sym.canon(s)
    }
}

/// The worlds one expanding thread works in, from state to state: a state
/// is 6.5 KB, and only the parts the scenario uses are copied into these.
struct Bufs {
    /// The state being expanded.
    parent: World,
    /// Two child worlds in turn: each child is looked up in the visited
    /// set only after the next one is computed, so that the lookup's
    /// cache miss (the set is hundreds of MB on big searches) overlaps
    /// with that work; its state stays in its buffer until then.
    child: [World; 2],
    /// For the symmetry reduction ([`Symmetry::canon_child`]).
    sym: [State; 3],
    /// The states of a batch's children that the merge may need, and the
    /// pool's index: pools are the explorer's and keep their memory from
    /// batch to batch (a thread's allocations, freed on another thread,
    /// made the allocator fault pages in again for every batch: 4 faults
    /// a state with 6.5 KB states).
    pool: Pool,
    id: usize,
}

/// The states of a batch's children, in slots reused from batch to batch:
/// a slot is overwritten with only the parts the scenario uses
/// ([`State::copy_from`]). Copying whole 6.5 KB states here was a fifth
/// of the family's search time (issue 15).
#[derive(Default)]
struct Pool {
    states: Vec<State>,
    len: usize,
}

impl Pool {
    fn clear(&mut self) {
        self.len = 0;
    }

    /// Keeps a copy of `s`; its index.
    fn push(&mut self, s: &State, ntasks: usize) -> u32 {
        match self.states.get_mut(self.len) {
            Some(slot) => slot.copy_from(s, ntasks),
            None => self.states.push(*s),
        }
        self.len += 1;
        self.len as u32 - 1
    }

    fn get(&self, i: u32) -> &State {
        &self.states[..self.len][i as usize]
    }
}

impl Bufs {
    fn new(base: &World, mut pool: Pool, id: usize) -> Bufs {
        pool.clear();
        Bufs {
            parent: base.clone(),
            child: [base.clone(), base.clone()],
            sym: [base.s, base.s, base.s],
            pool,
            id,
        }
    }

    /// Expands entry `i` of `cur`.
    fn expand(
        &mut self,
        ctx: &Ctx,
        seen: &Seen,
        e: &Entry,
        i: usize,
        cur: &Frontier<Entry>,
        parts: &store::Parts,
    ) -> Expanded {
        let h = cur.state_into(i, parts, &mut self.parent.s);
        self.parent.refresh_enabled();
        ctx.expand(self, seen, e, &h)
    }
}

impl Ctx {
    /// Expands the state in `bufs.parent` (pure: the same entry and state
    /// give the same result on any thread).
    fn expand(&self, bufs: &mut Bufs, seen: &Seen, e: &Entry, ph: &Hashes) -> Expanded {
        let opts = &self.opts;
        let Bufs {
            parent: w,
            child: bufs,
            sym: tmp,
            pool,
            id,
        } = bufs;
        let w = &*w;
        let mut out = Expanded {
            node: e.node,
            depth: e.depth,
            transitions: 0,
            pruned: 0,
            bound: None,
            children: Vec::with_capacity(w.enabled().len()),
            pool: *id,
        };
        if let Some(d) = opts.max_depth {
            if e.depth as usize >= d {
                out.bound = Some(format!("max depth {d}"));
                return out;
            }
        }
        let en: Vec<Actor> = w.enabled().iter().collect();
        let fps: Vec<Fp> = if opts.reduction {
            en.iter().map(|a| footprint::of(w, *a)).collect()
        } else {
            Vec::new()
        };
        let last = decode(e.last);
        let last_enabled = e.node != 0 && en.contains(&last) && matches!(last, Actor::Task(_));
        let mut sleep = e.sleep;
        let sigs = self.sym.sigs(&w.s);
        let mut pending: Option<(Child, usize)> = None;
        for (i, &a) in en.iter().enumerate() {
            let bit = sleep_bit(a);
            if e.only != 0 && e.only & bit == 0 {
                // re-expansion: only what was asleep before is new here
                continue;
            }
            if opts.reduction && sleep & bit != 0 {
                out.pruned += 1;
                continue;
            }
            let preempt = u32::from(e.preemptions)
                + u32::from(last_enabled && a != last && matches!(a, Actor::Task(_)));
            if let Some(m) = opts.max_preemptions {
                if preempt > m {
                    out.bound
                        .get_or_insert_with(|| format!("max preemptions {m}"));
                    continue;
                }
            }
            let k = out.transitions & 1;
            let child = &mut bufs[k];
            child.clone_from(w);
            child.step_enabled(a);
            out.transitions += 1;
            // the child's sleep set: what slept here, plus the siblings
            // explored before `a`, that are independent of `a`
            let mut child_sleep = if opts.reduction {
                sleep_through(w, sleep, &fps[i], a)
            } else {
                0
            };
            // the history nobody reads is gone before the parts are
            // compared: the parent's state was stored without it
            if let Some(f) = &self.forget {
                f.apply(&w.st, &mut child.s);
            }
            let same = store::same_parts(&child.s, &w.s, &Perm::identity(), self.ntasks);
            let p = self.sym.canon_child(&mut child.s, Some((&sigs, same)), tmp);
            if !p.is_identity() {
                let tasks = (1u32 << MAX_TASKS) - 1;
                child_sleep = child_sleep & !tasks | u32::from(p.tasks8(child_sleep as u8));
            }
            let hashes = Hashes::of_child(&child.s, &w.s, ph, &p, same, self.ntasks);
            let fp = hashes.fingerprint(self.ntasks);
            seen.table.prefetch(fp);
            let done = child.is_done();
            if let Some((c, j)) = pending.take() {
                out.take(c, &bufs[j], pool, seen, self);
            }
            pending = Some((
                Child {
                    fp,
                    hashes,
                    actor: encode(a),
                    sleep: child_sleep,
                    preemptions: preempt.min(u32::from(u16::MAX)) as u16,
                    done,
                    old: None,
                    state: None,
                },
                k,
            ));
            if opts.reduction {
                sleep |= bit;
            }
        }
        if let Some((c, j)) = pending.take() {
            out.take(c, &bufs[j], pool, seen, self);
        }
        out
    }
}

/// The sleep set after `a` (footprint `fa`) from `w`: the transitions of
/// `sleep` still enabled and independent of `a`, renumbered for the child
/// (bios behind a completed one move up the queue).
fn sleep_through(w: &World, sleep: u32, fa: &Fp, a: Actor) -> u32 {
    let mut out = 0u32;
    let mut rest = sleep;
    while rest != 0 {
        let b = rest.trailing_zeros();
        rest &= rest - 1;
        let t = bit_actor(b);
        if !w.enabled().contains(t) || footprint::of(w, t).conflicts(fa) {
            continue;
        }
        let moved = match (t, a) {
            (Actor::Dev(k), Actor::Dev(j)) if k > j => Actor::Dev(k - 1),
            (t, _) => t,
        };
        out |= sleep_bit(moved);
    }
    out
}

/// Explores every interleaving of `start` (its current state, history
/// dropped). `progress` is called every few thousand states; return false
/// from it to cancel.
pub fn explore(
    start: &World,
    opts: &Options,
    mut progress: impl FnMut(&Progress) -> bool,
) -> Report {
    let mut e = Explorer::new(start, opts.clone());
    while !e.run(4096) {
        if !progress(&e.progress()) {
            e.cancel();
            break;
        }
    }
    e.finish()
}

/// States expanded per batch (natively, a batch is split among threads).
const BATCH: usize = 512;

/// States expanded per batch on one thread: the batch's children stay in
/// the caches until they are merged (the results do not depend on it).
const BATCH_ONE: usize = 64;

/// What the budget keeps aside for data that is not accounted: a batch of
/// states and their children in flight, the allocator's slack.
fn reserve(budget: usize) -> usize {
    (budget / 16 + (32 << 20)).min(budget / 2)
}

/// A resumable exploration: `run` it in slices (the browser does, to keep
/// the page responsive and show progress), then `finish` it.
pub struct Explorer {
    ctx: Ctx,
    /// The start, as given (history dropped), and as explored (renamed).
    root: World,
    root_canon: State,
    root_perm: Perm,
    nodes: Chunked<Node>,
    fps: Chunked<u128>,
    seen: FpTable,
    /// The round being expanded, and the next one.
    cur: Frontier<Entry>,
    next: Frontier<Entry>,
    /// The distinct parts of the frontier's states.
    parts: Parts,
    terminals: Chunked<TermInfo>,
    stats: Stats,
    /// Explored edges, when counting interleavings.
    edges: Chunked<(u32, u32)>,
    /// Per thread, the states of a batch's children ([`Bufs::pool`]).
    pools: Vec<Pool>,
}

impl Explorer {
    pub fn new(start: &World, mut opts: Options) -> Explorer {
        let mut root = start.clone();
        root.hist = None;
        if opts.threads == 0 {
            opts.threads = default_threads();
        }
        let sym = Symmetry::new(&root.st, opts.symmetry);
        let forget = opts.forget_history.then(|| Forget::new(&root.st));
        let ntasks = root.st.ntasks();
        let ctx = Ctx {
            opts,
            sym,
            forget,
            ntasks,
        };
        let mut canon = root.s;
        let root_perm = ctx.canon(&root.st, &mut canon);
        let mut e = Explorer {
            ctx,
            root_canon: canon,
            root_perm,
            nodes: Chunked::new(),
            fps: Chunked::new(),
            seen: FpTable::new(),
            cur: Frontier::new(),
            next: Frontier::new(),
            parts: Parts::new(ntasks),
            terminals: Chunked::new(),
            stats: Stats {
                states: 1,
                transitions: 0,
                pruned: 0,
                terminal_states: 0,
                distinct_results: 0,
                max_depth: 0,
                complete: true,
                stopped_by: None,
                interleavings: None,
                memory: 0,
            },
            edges: Chunked::new(),
            pools: Vec::new(),
            root,
        };
        let hashes = Hashes::of(&canon, ntasks);
        let f = hashes.fingerprint(ntasks);
        e.nodes.push(Node::default());
        e.fps.push(f);
        e.seen.insert(f, 0, &e.fps);
        if e.root.is_done() {
            e.terminals.push(TermInfo {
                id: 0,
                fired: canon.oracle.fired,
                res: std::array::from_fn(|t| canon.tasks[t].res),
            });
        } else {
            e.next.push(Entry::default(), &canon, &hashes, &mut e.parts);
        }
        e.stats.memory = e.memory();
        e
    }

    pub fn progress(&self) -> Progress {
        Progress {
            states: self.stats.states,
            transitions: self.stats.transitions,
            frontier: self.cur.remaining() + self.next.remaining(),
            depth: self.stats.max_depth,
        }
    }

    /// Bytes the explorer's data take now.
    fn memory(&self) -> usize {
        self.nodes.bytes()
            + self.fps.bytes()
            + self.seen.bytes()
            + self.cur.bytes()
            + self.next.bytes()
            + self.parts.bytes()
            + self.terminals.bytes()
            + self.edges.bytes()
    }

    fn stop(&mut self, why: String) {
        self.stats.complete = false;
        self.stats.stopped_by.get_or_insert(why);
        self.cur = Frontier::new();
        self.next = Frontier::new();
    }

    /// Stops the search; the verdicts will say "not proven".
    pub fn cancel(&mut self) {
        if self.cur.remaining() + self.next.remaining() > 0 {
            self.stop("cancelled".into());
        }
    }

    /// Starts the next round: its entries take their nodes' data now.
    fn begin_round(&mut self) {
        self.cur = std::mem::replace(&mut self.next, Frontier::new());
        for i in 0..self.cur.entries.len() {
            let e = self.cur.entries.get_mut(i);
            let node = self.nodes.get_mut(e.node as usize);
            node.expanded = true;
            e.sleep = node.sleep;
            e.depth = node.depth;
            e.preemptions = node.preemptions;
            e.last = node.actor;
        }
    }

    /// Expands up to `budget` states; true when there is nothing left.
    pub fn run(&mut self, budget: usize) -> bool {
        let mut left = budget.max(1);
        while left > 0 {
            if self.cur.remaining() == 0 {
                if self.next.remaining() == 0 {
                    return true;
                }
                self.begin_round();
            }
            let batch = if self.ctx.opts.threads > 1 {
                BATCH
            } else {
                BATCH_ONE
            };
            let n = left.min(batch).min(self.cur.remaining());
            left -= n;
            let first = self.cur.pos;
            let batch: Vec<(Entry, usize)> = (0..n).filter_map(|_| self.cur.pop()).collect();
            let mut pools = std::mem::take(&mut self.pools);
            let expanded = self.expand_batch(batch, &mut pools);
            for (k, x) in expanded.into_iter().enumerate() {
                self.cur.free_before(first + k, &self.parts);
                if !self.merge(x, &pools) {
                    self.pools = pools;
                    return true;
                }
            }
            self.pools = pools;
        }
        self.cur.remaining() == 0 && self.next.remaining() == 0
    }

    /// Expands `batch`; the children's states go into `pools`.
    fn expand_batch(&self, batch: Vec<(Entry, usize)>, pools: &mut Vec<Pool>) -> Vec<Expanded> {
        let threads = self.ctx.opts.threads.max(1);
        if pools.len() < threads {
            pools.resize_with(threads, Pool::default);
        }
        #[cfg(not(target_arch = "wasm32"))]
        if threads > 1 && batch.len() >= 64 {
            return self.expand_parallel(batch, threads, pools);
        }
        let mut bufs = Bufs::new(&self.root, std::mem::take(&mut pools[0]), 0);
        let out = batch
            .iter()
            .map(|(e, i)| bufs.expand(&self.ctx, &self.seen(), e, *i, &self.cur, &self.parts))
            .collect();
        pools[0] = bufs.pool;
        out
    }

    fn seen(&self) -> Seen<'_> {
        Seen {
            table: &self.seen,
            fps: &self.fps,
            nodes: &self.nodes,
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn expand_parallel(
        &self,
        batch: Vec<(Entry, usize)>,
        threads: usize,
        pools: &mut [Pool],
    ) -> Vec<Expanded> {
        let per = batch.len().div_ceil(threads);
        let parts: Vec<&[(Entry, usize)]> = batch.chunks(per).collect();
        let (ctx, cur, store) = (&self.ctx, &self.cur, &self.parts);
        let seen = &self.seen();
        let sc = &self.root.st.scenario;
        let pol = &self.root.st.policy;
        std::thread::scope(|scope| {
            let handles: Vec<_> = parts
                .iter()
                .zip(pools.iter_mut())
                .enumerate()
                .map(|(id, (part, pool))| {
                    scope.spawn(move || {
                        let base = World::new_quiet(sc, pol);
                        let mut bufs = Bufs::new(&base, std::mem::take(pool), id);
                        let out = part
                            .iter()
                            .map(|(e, i)| bufs.expand(ctx, seen, e, *i, cur, store))
                            .collect::<Vec<_>>();
                        *pool = bufs.pool;
                        out
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("an explorer thread panicked"))
                .collect()
        })
    }

    /// Whether `extra` more bytes fit the budget; stops the search if not.
    fn fits(&mut self, extra: usize) -> bool {
        let now = self.memory();
        self.stats.memory = self.stats.memory.max(now);
        if let Some(m) = self.ctx.opts.max_memory {
            if now + extra > m.saturating_sub(reserve(m)) {
                self.stop(format!("max memory {} MB", m >> 20));
                return false;
            }
        }
        true
    }

    /// Adds an expansion's children to the visited set and the next round,
    /// in order; false when a bound stopped the search.
    fn merge(&mut self, x: Expanded, pools: &[Pool]) -> bool {
        let opts = &self.ctx.opts;
        let (reduction, count, max_pre) = (
            opts.reduction,
            opts.count_interleavings,
            opts.max_preemptions.is_some(),
        );
        self.stats.transitions += x.transitions;
        self.stats.pruned += x.pruned;
        if let Some(b) = x.bound {
            self.stats.complete = false;
            self.stats.stopped_by.get_or_insert(b);
        }
        let states = &pools[x.pool];
        for c in x.children {
            if count {
                let extra = self.edges.next_alloc();
                if extra > 0 && !self.fits(extra) {
                    return false;
                }
            }
            match c.old.or_else(|| self.seen.get(c.fp, &self.fps)) {
                Some(old) => {
                    if count {
                        self.edges.push((x.node, old));
                    }
                    // reached again: if it was expanded with transitions
                    // asleep that are awake now, expand it again with
                    // those (Godefroid's state caching rule)
                    let on = *self.nodes.get(old as usize);
                    let improve_pre = max_pre && c.preemptions < on.preemptions;
                    let woken = on.sleep & !c.sleep;
                    let again = if reduction && woken != 0 && !improve_pre {
                        self.nodes.get_mut(old as usize).sleep &= c.sleep;
                        Some(woken)
                    } else if improve_pre {
                        let n = self.nodes.get_mut(old as usize);
                        n.sleep &= c.sleep;
                        n.preemptions = c.preemptions;
                        Some(0)
                    } else {
                        None
                    };
                    if let Some(only) = again {
                        if on.expanded {
                            let state =
                                states.get(c.state.expect("a state to expand again is kept"));
                            if !self.fits(self.next.next_alloc(&self.parts)) {
                                return false;
                            }
                            self.next.push(
                                Entry {
                                    node: old,
                                    only,
                                    ..Entry::default()
                                },
                                state,
                                &c.hashes,
                                &mut self.parts,
                            );
                        }
                    }
                }
                None => {
                    if let Some(m) = self.ctx.opts.max_states {
                        if self.stats.states >= m {
                            self.stop(format!("max states {m}"));
                            return false;
                        }
                    }
                    let extra = self.nodes.next_alloc()
                        + self.fps.next_alloc()
                        + self.seen.next_alloc()
                        + if c.done {
                            self.terminals.next_alloc()
                        } else {
                            self.next.next_alloc(&self.parts)
                        };
                    if !self.fits(extra) {
                        return false;
                    }
                    let nid = self.nodes.len() as u32;
                    self.nodes.push(Node {
                        parent: x.node,
                        depth: x.depth + 1,
                        sleep: c.sleep,
                        preemptions: c.preemptions,
                        actor: c.actor,
                        expanded: false,
                    });
                    self.fps.push(c.fp);
                    self.seen.insert(c.fp, nid, &self.fps);
                    self.stats.states += 1;
                    self.stats.max_depth = self.stats.max_depth.max(x.depth as usize + 1);
                    if count {
                        self.edges.push((x.node, nid));
                    }
                    let state = states.get(c.state.expect("a new state is kept"));
                    if c.done {
                        self.terminals.push(TermInfo {
                            id: nid,
                            fired: state.oracle.fired,
                            res: std::array::from_fn(|t| state.tasks[t].res),
                        });
                    } else {
                        self.next.push(
                            Entry {
                                node: nid,
                                ..Entry::default()
                            },
                            state,
                            &c.hashes,
                            &mut self.parts,
                        );
                    }
                }
            }
        }
        true
    }

    /// The schedule to node `id`, in the start's names, and the renaming
    /// from those names to the explored state's.
    fn rebuild(&self, mut id: u32) -> (Vec<Actor>, Perm) {
        let mut acts = Vec::new();
        while id != 0 {
            let n = self.nodes.get(id as usize);
            acts.push(decode(n.actor));
            id = n.parent;
        }
        acts.reverse();
        let mut tau = self.root_perm;
        let mut w = World::from_parts(self.root.st.clone(), self.root_canon);
        let mut real = Vec::with_capacity(acts.len());
        for a in acts {
            real.push(rename(a, &tau.inverse()));
            w.step_enabled(a);
            let sigma = self.ctx.canon(&w.st, &mut w.s);
            if !sigma.is_identity() {
                w = World::from_parts(w.st.clone(), w.s);
                tau = tau.then(&sigma);
            }
        }
        (real, tau)
    }

    fn names(&self, acts: &[Actor]) -> Vec<String> {
        acts.iter().map(|a| self.root.actor_name(*a)).collect()
    }

    /// The verdicts, results and statistics.
    pub fn finish(mut self) -> Report {
        if self.cur.remaining() + self.next.remaining() > 0 && self.stats.complete {
            self.stats.complete = false;
        }
        self.stats.memory = self.stats.memory.max(self.memory());
        let mut stats = self.stats.clone();
        stats.terminal_states = self.terminals.len();
        // counting builds the graph's adjacency: only within the budget
        let counting = self.nodes.len() * 40 + self.edges.len() * 4;
        let fits = self
            .ctx
            .opts
            .max_memory
            .is_none_or(|m| self.memory() + counting <= m);
        if self.ctx.opts.count_interleavings && stats.complete && fits {
            stats.interleavings = count_paths(self.nodes.len(), &self.edges);
        }
        let depth = |id: u32| self.nodes.get(id as usize).depth;
        let mut term_list: Vec<TermInfo> = (0..self.terminals.len())
            .map(|i| *self.terminals.get(i))
            .collect();
        term_list.sort_by_key(|t| (depth(t.id), t.id));
        let mut fired_runs = [0usize; 9];
        let mut shortest: [Option<u32>; 9] = [None; 9];
        // the first terminal of each (outcomes, results), up to symmetry
        let mut firsts: Vec<&TermInfo> = Vec::new();
        let mut seen_res = ResultSet::new();
        for t in &term_list {
            for o in Outcome::ALL {
                if t.fired & o.bit() != 0 {
                    let k = o as usize;
                    fired_runs[k] += 1;
                    shortest[k].get_or_insert(t.id);
                }
            }
            if seen_res.insert(t.fired, &t.res) {
                firsts.push(t);
            }
        }
        let all = term_list.len();
        let mut verdicts = Vec::new();
        for o in Outcome::ALL {
            let k = o as usize;
            let verdict = if fired_runs[k] == 0 {
                Verdict::Never
            } else if fired_runs[k] == all {
                Verdict::Always
            } else {
                Verdict::Sometimes
            };
            let proven = stats.complete || verdict == Verdict::Sometimes;
            verdicts.push(OutcomeVerdict {
                outcome: o,
                verdict,
                proven,
                witness: shortest[k].map(|id| self.names(&self.rebuild(id).0)),
                runs: fired_runs[k],
            });
        }
        // every distinct result, with its images under the symmetry
        let mut results = Vec::new();
        let mut listed = ResultSet::new();
        for t in firsts {
            let (acts, tau) = self.rebuild(t.id);
            let res: [u64; MAX_TASKS] = std::array::from_fn(|i| t.res[tau.task[i] as usize]);
            for q in self.ctx.sym.images(&res) {
                let mut r = [0u64; MAX_TASKS];
                for (i, x) in res.iter().enumerate() {
                    r[q.task[i] as usize] = *x;
                }
                if !listed.insert(t.fired, &r) {
                    continue;
                }
                let renamed: Vec<Actor> = acts.iter().map(|a| rename(*a, &q)).collect();
                results.push(Terminal {
                    fired: t.fired,
                    witness: self.names(&renamed),
                    deadlock: t.fired & Outcome::Deadlock.bit() != 0,
                    res: r,
                });
            }
        }
        stats.distinct_results = results.len();
        Report {
            verdicts,
            results,
            stats,
        }
    }
}

/// Distinct results (outcome bits and the tasks' result fingerprints),
/// by their 128-bit fingerprint, as states are, in a table like the
/// visited set's (a `HashMap` of them was 2 KB of the browser's download;
/// a sorted list would be quadratic in the number of distinct results).
struct ResultSet {
    fps: Chunked<u128>,
    table: FpTable,
}

impl ResultSet {
    fn new() -> ResultSet {
        ResultSet {
            fps: Chunked::new(),
            table: FpTable::new(),
        }
    }

    /// Adds a result; false if it was there.
    fn insert(&mut self, fired: u16, res: &[u64; MAX_TASKS]) -> bool {
        let k = store::hash128(&(fired, res));
        if self.table.get(k, &self.fps).is_some() {
            return false;
        }
        self.fps.push(k);
        self.table.insert(k, self.fps.len() as u32 - 1, &self.fps);
        true
    }
}

fn default_threads() -> usize {
    if cfg!(target_arch = "wasm32") {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
}

/// Maximal paths from the root in the graph of `edges` (Kahn's
/// topological order); `None` if the graph has a cycle.
fn count_paths(n: usize, edges: &Chunked<(u32, u32)>) -> Option<f64> {
    let mut indeg = vec![0u32; n];
    let mut out: Vec<Vec<u32>> = vec![Vec::new(); n];
    for i in 0..edges.len() {
        let (a, b) = *edges.get(i);
        indeg[b as usize] += 1;
        out[a as usize].push(b);
    }
    let mut paths = vec![0f64; n];
    paths[0] = 1.0;
    let mut ready: Vec<u32> = (0..n as u32).filter(|&v| indeg[v as usize] == 0).collect();
    let mut seen = 0;
    let mut total = 0.0;
    while let Some(v) = ready.pop() {
        seen += 1;
        if out[v as usize].is_empty() {
            total += paths[v as usize];
        }
        for &c in &out[v as usize] {
            paths[c as usize] += paths[v as usize];
            indeg[c as usize] -= 1;
            if indeg[c as usize] == 0 {
                ready.push(c);
            }
        }
    }
    (seen == n).then_some(total)
}

/// Replays actor names from `start` with history on.
pub fn replay(start: &World, names: &[String]) -> World {
    let mut w = start.clone();
    w.hist = Some(Box::default());
    for n in names {
        let a = crate::sched::resolve(&w, n).expect("witness names resolve");
        w.step_enabled(a);
    }
    w
}
