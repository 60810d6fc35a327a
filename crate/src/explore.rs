//! The exhaustive explorer: every distinct interleaving of a scenario under
//! one policy, as litmus-test tools do for memory models. For each outcome:
//! always / sometimes / never, with the shortest schedule that shows it;
//! the distinct final results with a witness each.
//!
//! Search: breadth-first over states (not depth-first as first sketched:
//! breadth-first makes every witness a shortest one, which the design asks
//! for, at the cost of keeping a frontier). States are identified by a
//! 128-bit fingerprint of [`crate::world::State`]; a witness is rebuilt from
//! parent links, so no trace is stored per state.
//!
//! Reduction: sleep sets ([`crate::footprint`]): after exploring actor `a`
//! from a state, a sibling `b` whose step is independent of `a`'s does not
//! explore `a` again. Sound because independent steps commute exactly and
//! neither enables nor disables the other; the property tests compare the
//! terminal results with and without it.
//!
//! A run ends in a terminal state (no actor can move). Outcome bits and the
//! tasks' result fingerprints are part of the state, so terminal states
//! carry everything the verdicts need.

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};

use crate::footprint::{self, Fp};
use crate::outcome::{Outcome, Verdict};
use crate::world::{Actor, World, MAX_TASKS};

/// Search bounds; `None` is unbounded.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub max_states: Option<usize>,
    pub max_depth: Option<usize>,
    /// Context switches away from an actor that could have gone on.
    pub max_preemptions: Option<u32>,
    /// Sleep-set reduction (on by default in the CLI).
    pub reduction: bool,
    /// Count the interleavings the search covered (keeps every edge: for
    /// benchmarks and statistics, not for the browser).
    pub count_interleavings: bool,
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
    /// Terminal states where it happens / all terminal states.
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

/// 128-bit state fingerprint: bytes are gathered eight at a time and mixed
/// into two independent multiply-rotate lanes (the explorer hashes every
/// state it reaches, so small writes must be cheap).
#[derive(Default)]
struct Fp128 {
    a: u64,
    b: u64,
    buf: u64,
    n: u32,
}

impl Hasher for Fp128 {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.word(u64::from_le_bytes(c.try_into().unwrap()));
        }
        for &b in chunks.remainder() {
            self.byte(b);
        }
        self.word(bytes.len() as u64);
    }
    fn write_u8(&mut self, i: u8) {
        self.byte(i);
    }
    fn write_u16(&mut self, i: u16) {
        self.byte(i as u8);
        self.byte((i >> 8) as u8);
    }
    fn write_u32(&mut self, i: u32) {
        self.word(u64::from(i) | 1 << 40);
    }
    fn write_u64(&mut self, i: u64) {
        self.word(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.word(i as u64);
    }
    fn finish(&self) -> u64 {
        self.a ^ self.b
    }
}

impl Fp128 {
    #[inline]
    fn byte(&mut self, b: u8) {
        self.buf |= u64::from(b) << (8 * self.n);
        self.n += 1;
        if self.n == 8 {
            let w = self.buf;
            self.buf = 0;
            self.n = 0;
            self.mix(w);
        }
    }
    #[inline]
    fn word(&mut self, v: u64) {
        if self.n > 0 {
            let w = self.buf | u64::from(self.n) << 60;
            self.buf = 0;
            self.n = 0;
            self.mix(w);
        }
        self.mix(v);
    }
    #[inline]
    fn mix(&mut self, v: u64) {
        self.a = (self.a.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
        self.b = (self.b ^ v)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(31)
            ^ (self.b >> 17);
    }
    fn get(mut self) -> u128 {
        self.word(0x0123_4567_89ab_cdef);
        let fin = |x: u64| {
            let x = (x ^ (x >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
            let x = (x ^ (x >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
            x ^ (x >> 33)
        };
        (u128::from(fin(self.a)) << 64) | u128::from(fin(self.b))
    }
}

/// The state fingerprints are already well mixed: use them as hash keys
/// as they are.
#[derive(Default)]
struct Passthrough(u64);

impl Hasher for Passthrough {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u128(&mut self, i: u128) {
        self.0 = i as u64 ^ (i >> 64) as u64;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FpMap<V> = HashMap<u128, V, std::hash::BuildHasherDefault<Passthrough>>;

/// The fingerprint of a world's state.
pub fn fingerprint(w: &World) -> u128 {
    let mut h = Fp128::default();
    w.s.hash(&mut h);
    h.get()
}

struct Node {
    parent: u32,
    actor: Actor,
    depth: u32,
    /// Sleep set the state was (last) expanded with.
    sleep: Sleep,
    preemptions: u32,
    /// Whether it has been expanded (a state still waiting in the queue
    /// just has its sleep set shrunk when reached again).
    expanded: bool,
}

/// A sleep set: transitions identified so that they keep their identity
/// from state to state (a bio by its content, not its queue position).
type Sleep = Vec<footprint::Tid>;

/// Explores every interleaving of `start` (its current state, history
/// dropped). `progress` is called every few thousand states; return false
/// from it to cancel.
pub fn explore(
    start: &World,
    opts: &Options,
    mut progress: impl FnMut(&Progress) -> bool,
) -> Report {
    let mut e = Explorer::new(start, opts.clone());
    while !e.run(2048) {
        if !progress(&e.progress()) {
            e.cancel();
            break;
        }
    }
    e.finish()
}

/// A resumable exploration: `run` it in slices (the browser does, to keep
/// the page responsive and show progress), then `finish` it.
pub struct Explorer {
    opts: Options,
    nodes: Vec<Node>,
    seen: FpMap<u32>,
    /// (state, node, only these transitions if re-expanding)
    queue: VecDeque<(World, u32, Option<Sleep>)>,
    terminals: FpMap<TermInfo>,
    root: World,
    stats: Stats,
    /// Explored edges, when counting interleavings.
    edges: Vec<(u32, u32)>,
}

impl Explorer {
    pub fn new(start: &World, opts: Options) -> Explorer {
        let mut start = start.clone();
        start.hist = None;
        let mut e = Explorer {
            opts,
            nodes: vec![Node {
                parent: u32::MAX,
                actor: Actor::Task(0),
                depth: 0,
                sleep: Vec::new(),
                preemptions: 0,
                expanded: false,
            }],
            seen: FpMap::default(),
            queue: VecDeque::new(),
            terminals: FpMap::default(),
            root: start.clone(),
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
            },
            edges: Vec::new(),
        };
        e.seen.insert(fingerprint(&start), 0);
        e.queue.push_back((start, 0, None));
        e
    }

    pub fn progress(&self) -> Progress {
        Progress {
            states: self.stats.states,
            transitions: self.stats.transitions,
            frontier: self.queue.len(),
            depth: self.stats.max_depth,
        }
    }

    /// Stops the search; the verdicts will say "not proven".
    pub fn cancel(&mut self) {
        if !self.queue.is_empty() {
            self.stats.complete = false;
            self.stats.stopped_by = Some("cancelled".into());
            self.queue.clear();
        }
    }

    /// Expands up to `budget` states; true when there is nothing left.
    pub fn run(&mut self, budget: usize) -> bool {
        let Explorer {
            opts,
            nodes,
            seen,
            queue,
            terminals,
            stats,
            edges,
            ..
        } = self;
        for _ in 0..budget {
            let Some((w, id, only)) = queue.pop_front() else {
                return true;
            };
            if w.is_done() {
                let res = std::array::from_fn(|t| w.s.tasks[t].res);
                terminals.entry(fingerprint(&w)).or_insert(TermInfo {
                    id,
                    fired: w.fired(),
                    res,
                });
                continue;
            }
            let depth = nodes[id as usize].depth;
            if opts.max_depth.is_some_and(|d| depth as usize >= d) {
                stats.complete = false;
                stats
                    .stopped_by
                    .get_or_insert_with(|| format!("max depth {}", opts.max_depth.unwrap()));
                continue;
            }
            let en: Vec<Actor> = w.enabled().iter().collect();
            let fps: Vec<Fp> = if opts.reduction {
                en.iter().map(|a| footprint::of(&w, *a)).collect()
            } else {
                Vec::new()
            };
            let tids: Vec<footprint::Tid> = en.iter().map(|a| footprint::tid(&w, *a)).collect();
            let mut sleep = nodes[id as usize].sleep.clone();
            nodes[id as usize].expanded = true;
            let last = nodes[id as usize].actor;
            let last_enabled = id != 0 && en.contains(&last) && matches!(last, Actor::Task(_));
            let pre = nodes[id as usize].preemptions;
            for (i, &a) in en.iter().enumerate() {
                if only.as_ref().is_some_and(|o| !o.contains(&tids[i])) {
                    // re-expansion: only what was asleep before is new here
                    continue;
                }
                if opts.reduction && sleep.contains(&tids[i]) {
                    stats.pruned += 1;
                    continue;
                }
                let preempt =
                    pre + u32::from(last_enabled && a != last && matches!(a, Actor::Task(_)));
                if opts.max_preemptions.is_some_and(|m| preempt > m) {
                    stats.complete = false;
                    stats.stopped_by.get_or_insert_with(|| {
                        format!("max preemptions {}", opts.max_preemptions.unwrap())
                    });
                    continue;
                }
                let mut child = w.clone();
                child.step(a).expect("enabled actor steps");
                stats.transitions += 1;
                let edge_from = id;
                // the child's sleep set: what slept here, plus the siblings
                // explored before `a`, that are independent of `a`
                let child_sleep: Sleep = if opts.reduction {
                    sleep
                        .iter()
                        .filter(|t| footprint::sleeps_through(&w, t, &fps[i]))
                        .cloned()
                        .collect()
                } else {
                    Vec::new()
                };
                let f = fingerprint(&child);
                match seen.get(&f) {
                    Some(&old) => {
                        if opts.count_interleavings {
                            edges.push((edge_from, old));
                        }
                        // reached again: if it was expanded with transitions
                        // asleep that are awake now, expand it again with
                        // the intersection (Godefroid's state caching rule)
                        let on = &mut nodes[old as usize];
                        let improve_pre =
                            opts.max_preemptions.is_some() && preempt < on.preemptions;
                        let woken: Sleep = on
                            .sleep
                            .iter()
                            .filter(|t| !child_sleep.contains(t))
                            .cloned()
                            .collect();
                        if opts.reduction && !woken.is_empty() && !improve_pre {
                            on.sleep.retain(|t| child_sleep.contains(t));
                            if on.expanded {
                                queue.push_back((child, old, Some(woken)));
                            }
                        } else if improve_pre {
                            on.sleep.retain(|t| child_sleep.contains(t));
                            on.preemptions = on.preemptions.min(preempt);
                            queue.push_back((child, old, None));
                        }
                    }
                    None => {
                        if opts.max_states.is_some_and(|m| stats.states >= m) {
                            stats.complete = false;
                            stats.stopped_by.get_or_insert_with(|| {
                                format!("max states {}", opts.max_states.unwrap())
                            });
                            continue;
                        }
                        let nid = nodes.len() as u32;
                        nodes.push(Node {
                            parent: id,
                            actor: a,
                            depth: depth + 1,
                            sleep: child_sleep,
                            preemptions: preempt,
                            expanded: false,
                        });
                        seen.insert(f, nid);
                        stats.states += 1;
                        stats.max_depth = stats.max_depth.max(depth as usize + 1);
                        queue.push_back((child, nid, None));
                        if opts.count_interleavings {
                            edges.push((edge_from, nid));
                        }
                    }
                }
                if opts.reduction {
                    sleep.push(tids[i].clone());
                }
            }
        }
        queue.is_empty()
    }

    /// The verdicts, results and statistics.
    pub fn finish(self) -> Report {
        let self_count = self.opts.count_interleavings;
        let Explorer {
            nodes,
            queue,
            terminals,
            root,
            mut stats,
            edges,
            ..
        } = self;
        if !queue.is_empty() && stats.complete {
            stats.complete = false;
        }
        // verdicts from the terminal states
        let names_of = |mut id: u32| -> Vec<String> {
            let mut acts = Vec::new();
            while id != 0 {
                let n = &nodes[id as usize];
                acts.push(n.actor);
                id = n.parent;
            }
            acts.reverse();
            acts.into_iter().map(|a| root.actor_name(a)).collect()
        };
        stats.terminal_states = terminals.len();
        if self_count && stats.complete {
            stats.interleavings = count_paths(nodes.len(), &edges);
        }
        let mut term_list: Vec<&TermInfo> = terminals.values().collect();
        term_list.sort_by_key(|t| (nodes[t.id as usize].depth, t.id));
        let mut per_result: HashMap<(u16, [u64; MAX_TASKS]), u32> = HashMap::new();
        let mut fired_runs = [0usize; 9];
        let mut shortest: [Option<u32>; 9] = [None; 9];
        for t in &term_list {
            for o in Outcome::ALL {
                if t.fired & o.bit() != 0 {
                    let k = o as usize;
                    fired_runs[k] += 1;
                    shortest[k].get_or_insert(t.id);
                }
            }
            per_result.entry((t.fired, t.res)).or_insert(t.id);
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
                witness: shortest[k].map(names_of),
                runs: fired_runs[k],
            });
        }
        let mut results: Vec<(u16, [u64; MAX_TASKS], u32)> = per_result
            .into_iter()
            .map(|((fired, res), id)| (fired, res, id))
            .collect();
        results.sort_by_key(|(_, _, id)| (nodes[*id as usize].depth, *id));
        stats.distinct_results = results.len();
        let results = results
            .into_iter()
            .map(|(fired, res, id)| Terminal {
                fired,
                witness: names_of(id),
                deadlock: fired & Outcome::Deadlock.bit() != 0,
                res,
            })
            .collect();
        Report {
            verdicts,
            results,
            stats,
        }
    }
}

/// Maximal paths from the root in the graph of `edges` (Kahn's
/// topological order); `None` if the graph has a cycle.
fn count_paths(n: usize, edges: &[(u32, u32)]) -> Option<f64> {
    let mut indeg = vec![0u32; n];
    let mut out: Vec<Vec<u32>> = vec![Vec::new(); n];
    for &(a, b) in edges {
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

struct TermInfo {
    id: u32,
    fired: u16,
    res: [u64; MAX_TASKS],
}

/// A result as printed by `dioscope explore`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ResultOut {
    /// Per syscall, "A: read 0 = 4096 [A1]" style lines.
    pub syscalls: Vec<String>,
    pub outcomes: Vec<String>,
    pub witness: String,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct VerdictOut {
    pub outcome: String,
    pub verdict: String,
    pub proven: bool,
    /// Terminal states where it happens.
    pub runs: usize,
    /// Shortest schedule showing it, replayable with `dioscope run --schedule`.
    pub witness: Option<String>,
    /// The explanation, from replaying the witness.
    pub why: Option<String>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct StatsOut {
    pub states: usize,
    pub transitions: usize,
    pub pruned_by_reduction: usize,
    pub terminal_states: usize,
    pub distinct_results: usize,
    pub max_depth: usize,
    pub complete: bool,
    pub stopped_by: Option<String>,
    pub seconds: f64,
    pub states_per_second: f64,
    /// Complete interleavings the search covered (null if not counted or
    /// the state graph has a cycle).
    pub interleavings: Option<f64>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct ExploreOut {
    pub scenario: String,
    pub preset: String,
    pub set: Vec<String>,
    pub verdicts: Vec<VerdictOut>,
    pub results: Vec<ResultOut>,
    pub stats: StatsOut,
}

/// Replays actor names from `start` with history on.
pub fn replay(start: &World, names: &[String]) -> World {
    let mut w = start.clone();
    w.hist = Some(Box::default());
    for n in names {
        let a = crate::sched::resolve(&w, n).expect("witness names resolve");
        w.step(a).expect("witness replays");
    }
    w
}

impl ExploreOut {
    pub fn new(
        r: &Report,
        sc: &crate::scenario::Scenario,
        preset: &str,
        set: &[String],
        seconds: f64,
    ) -> ExploreOut {
        let mut spec = crate::run::RunSpec {
            preset: Some(preset.to_string()),
            ..Default::default()
        };
        for s in set {
            if let Ok(kv) = crate::run::parse_set(s) {
                spec.set.push(kv);
            }
        }
        let policy = spec
            .policy(sc)
            .expect("policy was valid for the exploration");
        let start = World::new(sc, &policy);
        let verdicts = r
            .verdicts
            .iter()
            .map(|v| {
                let why = v.witness.as_ref().and_then(|wit| {
                    let w = replay(&start, wit);
                    w.outcomes()
                        .iter()
                        .find(|o| o.outcome == v.outcome)
                        .map(|o| o.why.clone())
                });
                VerdictOut {
                    outcome: v.outcome.name().to_string(),
                    verdict: v.verdict.name().to_string(),
                    proven: v.proven,
                    runs: v.runs,
                    witness: v
                        .witness
                        .as_ref()
                        .map(|wit| crate::sched::Schedule::from_actors(wit).to_string()),
                    why,
                }
            })
            .collect();
        let results = r
            .results
            .iter()
            .map(|t| {
                let w = replay(&start, &t.witness);
                let h = w.hist.as_ref().unwrap();
                let syscalls = h
                    .syscalls
                    .iter()
                    .map(|c| {
                        let ret = c.ret.map_or("(no return)".to_string(), |r| r.to_string());
                        let read = if c.read.is_empty() {
                            String::new()
                        } else {
                            format!(" [{}]", c.read.join(" "))
                        };
                        format!("{}: {} = {ret}{read}", w.st.task_name(c.task), c.text)
                    })
                    .collect();
                let outcomes = Outcome::ALL
                    .iter()
                    .filter(|o| t.fired & o.bit() != 0)
                    .map(|o| o.name().to_string())
                    .collect();
                ResultOut {
                    syscalls,
                    outcomes,
                    witness: crate::sched::Schedule::from_actors(&t.witness).to_string(),
                }
            })
            .collect();
        let s = &r.stats;
        ExploreOut {
            scenario: sc.title.clone(),
            preset: preset.to_string(),
            set: set.to_vec(),
            verdicts,
            results,
            stats: StatsOut {
                states: s.states,
                transitions: s.transitions,
                pruned_by_reduction: s.pruned,
                terminal_states: s.terminal_states,
                distinct_results: s.distinct_results,
                max_depth: s.max_depth,
                complete: s.complete,
                stopped_by: s.stopped_by.clone(),
                seconds,
                states_per_second: if seconds > 0.0 {
                    s.states as f64 / seconds
                } else {
                    0.0
                },
                interleavings: s.interleavings,
            },
        }
    }

    pub fn text(&self) -> String {
        let mut out = String::new();
        let policy = if self.set.is_empty() {
            self.preset.clone()
        } else {
            format!("{} + {}", self.preset, self.set.join(", "))
        };
        out += &format!("{}\n{policy}\n\n", self.scenario);
        for v in &self.verdicts {
            let verdict = if v.proven {
                v.verdict.to_uppercase()
            } else if v.verdict == "never" {
                "NOT SEEN (search incomplete)".to_string()
            } else {
                format!("{} (in the runs explored)", v.verdict.to_uppercase())
            };
            out += &format!("  {:<18} {}\n", v.outcome, verdict);
            if let (Some(wit), Some(why)) = (&v.witness, &v.why) {
                out += &format!(
                    "  {:<18}   e.g. --schedule \"{wit}\"\n  {:<18}   {why}\n",
                    "", ""
                );
            }
        }
        out += &format!("\n{} distinct results:\n", self.results.len());
        for (i, r) in self.results.iter().enumerate() {
            let o = if r.outcomes.is_empty() {
                "no outcome".to_string()
            } else {
                r.outcomes.join(", ")
            };
            out += &format!("  {}. {o}\n", i + 1);
            for s in &r.syscalls {
                out += &format!("       {s}\n");
            }
            out += &format!("       --schedule \"{}\"\n", r.witness);
        }
        let s = &self.stats;
        out += &format!(
            "\n{} states, {} transitions ({} pruned by the reduction), {} terminal states, {:.3} s ({:.0} states/s){}\n",
            s.states,
            s.transitions,
            s.pruned_by_reduction,
            s.terminal_states,
            s.seconds,
            s.states_per_second,
            if s.complete { ", complete".to_string() } else { format!(", INCOMPLETE: {}", s.stopped_by.clone().unwrap_or_default()) }
        );
        if let Some(n) = s.interleavings {
            out += &format!("{n:.0} interleavings covered\n");
        }
        out
    }
}
