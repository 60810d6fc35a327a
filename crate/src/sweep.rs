//! Timed sweeps (`dioscope sweep`): the scenario's template tasks
//! (`template = true` on a `[[task]]`) run as 1, 2, ... N copies on the
//! timed scheduler, under each preset, and what each run cost: throughput,
//! mean and p99 latency, CPU time, bytes copied, where the tasks waited.
//! Two threads argued about cost, not correctness: Chinner (2020-07,
//! serving direct I/O from the page cache copies and serialises) and
//! Harrosh (2016-05, O_DIRECT through the block layer on DAX is "4 times
//! slower", "specially the 1000 threads case").
//!
//! A scenario has at most [`limits::MAX_TASKS`] tasks, so the simulated
//! points stop there. Beyond, [`Spec::extrapolate`] asks for mean-value
//! analysis ([`crate::mva`]) calibrated on the one-thread run: the demand
//! per op at the CPUs, at the device and under each lock held exclusive.
//! Every extrapolated figure says so, in the data, the text and the plot.
//!
//! Everything here is plain data (`serde::Serialize`) with the words made
//! by the core, so that the CLI, the SVG ([`crate::plot::sweep`]) and the
//! app's Cost panel say the same.

use std::collections::BTreeMap;
use std::fmt;

use crate::mva::{self, Station};
use crate::scenario::{limits, template_copy_name, Scenario, TaskSpec};
use crate::timed::{self, Costs, Service, Timed};

/// What to sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    /// Presets, one line each; empty: the scenario's own.
    pub presets: Vec<String>,
    /// Thread counts to simulate; empty: 1 to the scenario's limit.
    pub threads: Vec<usize>,
    pub costs: Costs,
    /// Extrapolate to this many threads by mean-value analysis.
    pub extrapolate: Option<usize>,
}

/// The most threads an extrapolation goes to.
pub const MAX_EXTRAPOLATE: usize = 100_000;

/// Why a sweep cannot run, in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepError(pub String);

impl fmt::Display for SweepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SweepError {}

fn err(s: impl Into<String>) -> SweepError {
    SweepError(s.into())
}

/// The scenario's template tasks.
pub fn templates(sc: &Scenario) -> Vec<&TaskSpec> {
    sc.tasks.iter().filter(|t| t.template).collect()
}

/// The most threads one run can have: copies of every template, with the
/// other tasks, within the task and data-version limits.
pub fn limit(sc: &Scenario) -> usize {
    let tpl = templates(sc);
    if tpl.is_empty() {
        return 0;
    }
    let others = sc.tasks.len() - tpl.len();
    let by_tasks = limits::MAX_TASKS.saturating_sub(others) / tpl.len();
    let writes = |ts: &mut dyn Iterator<Item = &TaskSpec>| -> usize {
        ts.flat_map(|t| &t.ops).filter(|o| o.writes_data()).count()
    };
    let per_copy = writes(&mut tpl.iter().copied());
    let fixed = writes(&mut sc.tasks.iter().filter(|t| !t.template));
    let by_writes = limits::MAX_WRITES
        .saturating_sub(fixed)
        .checked_div(per_copy)
        .unwrap_or(usize::MAX);
    by_tasks.min(by_writes)
}

/// The scenario with `n` copies of each template task, each right after
/// the one before (names: [`template_copy_name`]). One copy is the
/// scenario itself. Its `[[expect]]` entries are dropped (they name tasks
/// by position).
pub fn instance(sc: &Scenario, n: usize) -> Result<Scenario, SweepError> {
    let tpl = templates(sc);
    if tpl.is_empty() {
        return Err(err(format!(
            "{}: no [[task]] is a template\n  = hint: mark the task(s) the sweep replicates with `template = true`",
            sc.file
        )));
    }
    if n == 0 {
        return Err(err(
            "0 threads: a sweep runs 1 or more copies of its template tasks",
        ));
    }
    let max = limit(sc);
    if n > max {
        let others = sc.tasks.len() - tpl.len();
        let tasks = others + n * tpl.len();
        let names: Vec<&str> = tpl.iter().map(|t| t.name.as_str()).collect();
        let each = if names.len() > 1 { " each" } else { "" };
        let why = if tasks > limits::MAX_TASKS {
            format!(
                "{n} copies{each} of {} and {others} other task{} make {tasks} tasks; a scenario has at most {}",
                names.join(" and "),
                if others == 1 { "" } else { "s" },
                limits::MAX_TASKS
            )
        } else {
            format!(
                "{n} copies{each} of {} create more than {} data versions (writes, stores, punches, truncates)",
                names.join(" and "),
                limits::MAX_WRITES
            )
        };
        let more = if others == 0 {
            "; --extrapolate N estimates more by mean-value analysis"
        } else {
            ""
        };
        return Err(err(format!(
            "{n} threads cannot be simulated: {why}\n  = hint: at most {max} thread{} here{more}",
            if max == 1 { "" } else { "s" }
        )));
    }
    let mut tasks: Vec<TaskSpec> = Vec::new();
    for t in &sc.tasks {
        if !t.template {
            tasks.push(t.clone());
            continue;
        }
        for k in 0..n {
            let mut c = t.clone();
            c.name = template_copy_name(&t.name, k);
            tasks.push(c);
        }
    }
    for (i, t) in tasks.iter().enumerate() {
        if let Some(other) = tasks[..i].iter().find(|o| o.name == t.name) {
            return Err(err(format!(
                "a copy of a template task is named `{}`, like task `{}`\n  = hint: rename the task: copies of template `W` are named W, Wb, Wc, ...",
                t.name, other.name
            )));
        }
    }
    let mut out = sc.clone();
    out.tasks = tasks;
    out.expects.clear();
    Ok(out)
}

/// Parses `--threads 1,2,4,8` (also ranges: `1-4`).
pub fn parse_threads(s: &str) -> Result<Vec<usize>, SweepError> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim) {
        let bad = || {
            err(format!(
                "--threads {s}: `{part}` is not a thread count\n  = hint: write counts and ranges like 1,2,4 or 1-4"
            ))
        };
        let (lo, hi) = match part.split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (part, part),
        };
        let lo: usize = lo.parse().map_err(|_| bad())?;
        let hi: usize = hi.parse().map_err(|_| bad())?;
        if lo == 0 {
            return Err(err(format!(
                "--threads {s}: 0 threads\n  = hint: a sweep runs 1 or more copies of its template tasks"
            )));
        }
        if lo > hi {
            return Err(err(format!(
                "--threads {s}: range `{part}` runs backwards\n  = hint: write it as {hi}-{lo}"
            )));
        }
        if hi > MAX_EXTRAPOLATE {
            return Err(bad());
        }
        out.extend(lo..=hi);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// One lock or wait kind and the time spent on it, per op.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PerOp {
    pub name: String,
    /// Nanoseconds per op (summed over the template tasks' ops).
    pub ns: f64,
}

/// One simulated run: `threads` copies of the templates.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Point {
    pub threads: usize,
    /// Tasks in the run (the copies and the other tasks).
    pub tasks: usize,
    /// The template copies' ops that returned, and those that failed
    /// (returned an error) among them.
    pub ops: usize,
    pub failed: usize,
    /// Ops that never returned (a deadlock).
    pub unfinished: usize,
    /// Until the last of those ops returned.
    pub span_ns: u64,
    /// `ops` per second of `span_ns`.
    pub ops_per_s: f64,
    pub mean_ns: f64,
    /// Nearest-rank 99th percentile (with fewer than 100 ops, the worst).
    pub p99_ns: u64,
    /// CPU time of every task, and per template op.
    pub cpu_busy_ns: u64,
    pub cpu_ns_per_op: f64,
    /// Bytes copied by the CPU in the kernel paths (page cache and DAX
    /// copies) and by the pmem driver, per template op.
    pub copied_bytes_per_op: f64,
    pub driver_copied_bytes_per_op: f64,
    pub device_ios: u64,
    /// Device service time per op (the sum over its bios).
    pub device_ns_per_op: f64,
    /// How long a bio waited for the device to take it, on average.
    pub device_queue_ns_per_bio: f64,
    /// Where the template tasks waited, per op, most first: each lock or
    /// wait kind, `a CPU` (runnable, no CPU free) and `wake-ups`.
    pub waits: Vec<PerOp>,
    /// Time they held each lock exclusive, per op.
    pub held: Vec<PerOp>,
    /// Direct writes that fell back to buffered I/O.
    pub fallbacks: u64,
    /// Outcomes the run showed (`spurious-eio`, ...).
    pub outcomes: Vec<String>,
}

/// The mean-value model of one preset, and its figures.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Model {
    /// Queueing stations: CPUs, the device, each lock held exclusive.
    pub stations: Vec<Station>,
    /// Time per op that no station holds (wake-ups, overlapped I/O).
    pub delay_ns: f64,
    /// The locks' handoff, fitted at a simulated thread count: (threads,
    /// wake-ups the lock stands idle for per exclusive acquisition).
    pub handoff: Option<(usize, f64)>,
    /// The busiest station and its bound in ops per second.
    pub bottleneck: Option<(String, f64)>,
    /// Thread counts from 1 to the extrapolation's end.
    pub curve: Vec<mva::Mean>,
    /// The model against the simulation at the simulated points: relative
    /// error of the throughput (0.05 = the model says 5% more).
    pub fit: Vec<(usize, f64)>,
}

/// One preset's line.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Series {
    pub preset: String,
    pub points: Vec<Point>,
    /// With `extrapolate`.
    pub model: Option<Model>,
}

/// A sweep's results.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Sweep {
    pub scenario: String,
    pub fs: String,
    /// The template tasks and their ops, as written.
    pub templates: Vec<(String, Vec<String>)>,
    /// The other tasks (run once in every point).
    pub others: Vec<String>,
    pub costs: Costs,
    /// The costs in words.
    pub assumptions: String,
    /// The most threads that can be simulated, and why no more.
    pub limit: usize,
    pub limit_why: String,
    pub series: Vec<Series>,
    /// The extrapolation's end, if any.
    pub extrapolated_to: Option<usize>,
}

/// Runs the sweep.
pub fn run(sc: &Scenario, spec: &Spec) -> Result<Sweep, SweepError> {
    let tpl = templates(sc);
    instance(sc, 1)?;
    let max = limit(sc);
    let threads: Vec<usize> = if spec.threads.is_empty() {
        (1..=max).collect()
    } else {
        spec.threads.clone()
    };
    for &n in &threads {
        instance(sc, n)?;
    }
    let others: Vec<String> = sc
        .tasks
        .iter()
        .filter(|t| !t.template)
        .map(|t| t.name.clone())
        .collect();
    if let Some(to) = spec.extrapolate {
        if !others.is_empty() {
            return Err(err(format!(
                "--extrapolate: task{} {} {} not a template\n  = hint: the extrapolation models N alike threads; mark every task `template = true`, or drop --extrapolate",
                if others.len() == 1 { "" } else { "s" },
                others.join(", "),
                if others.len() == 1 { "is" } else { "are" }
            )));
        }
        if to <= max {
            return Err(err(format!(
                "--extrapolate {to}: up to {max} threads can be simulated\n  = hint: extrapolate past {max}, or simulate with --threads"
            )));
        }
        if to > MAX_EXTRAPOLATE {
            return Err(err(format!(
                "--extrapolate {to}: at most {MAX_EXTRAPOLATE}"
            )));
        }
    }
    let presets: Vec<String> = if spec.presets.is_empty() {
        vec![sc.setup.preset.clone()]
    } else {
        spec.presets.clone()
    };
    let mut series = Vec::new();
    for preset in &presets {
        let policy = sc
            .policy(Some(preset))
            .map_err(|e| err(format!("--preset: {e}")))?;
        let mut points = Vec::new();
        let mut one: Option<(Point, Timed)> = None;
        for &n in &threads {
            let inst = instance(sc, n)?;
            let t = timed::run(&inst, &policy, spec.costs)
                .ended()
                .map_err(|e| err(format!("{preset}, {n} threads: {e}")))?;
            let p = point(&inst, n, &t);
            if n == 1 {
                one = Some((p.clone(), t));
            }
            points.push(p);
        }
        let model = match spec.extrapolate {
            None => None,
            Some(to) => {
                let (p1, t1) = match one {
                    Some(x) => x,
                    None => {
                        let inst = instance(sc, 1)?;
                        let t = timed::run(&inst, &policy, spec.costs)
                            .ended()
                            .map_err(|e| err(format!("{preset}, 1 thread: {e}")))?;
                        (point(&inst, 1, &t), t)
                    }
                };
                Some(model(&p1, &t1, &spec.costs, to, &points))
            }
        };
        series.push(Series {
            preset: preset.clone(),
            points,
            model,
        });
    }
    let limit_why = limit_why(sc, max);
    Ok(Sweep {
        scenario: sc.title.clone(),
        fs: sc.setup.fs.name().to_string(),
        templates: tpl
            .iter()
            .map(|t| {
                (
                    t.name.clone(),
                    t.ops.iter().map(|o| o.to_string()).collect(),
                )
            })
            .collect(),
        others,
        costs: spec.costs,
        assumptions: spec.costs.describe(),
        limit: max,
        limit_why,
        series,
        extrapolated_to: spec.extrapolate,
    })
}

fn limit_why(sc: &Scenario, max: usize) -> String {
    let tpl = templates(sc).len();
    let others = sc.tasks.len() - tpl;
    if (max + 1) * tpl + others > limits::MAX_TASKS {
        format!("a scenario has at most {} tasks", limits::MAX_TASKS)
    } else {
        format!(
            "a scenario creates at most {} data versions",
            limits::MAX_WRITES
        )
    }
}

/// The figures of one timed run of `inst` (`n` copies).
fn point(inst: &Scenario, n: usize, t: &Timed) -> Point {
    let is_copy: Vec<bool> = inst.tasks.iter().map(|t| t.template).collect();
    let ops: Vec<&timed::OpTime> = t
        .ops
        .iter()
        .filter(|o| is_copy[o.task_index as usize])
        .collect();
    let mut lat: Vec<u64> = ops
        .iter()
        .filter_map(|o| o.end_ns.map(|e| e - o.issued_ns))
        .collect();
    lat.sort_unstable();
    let done = lat.len();
    let expected: usize = inst
        .tasks
        .iter()
        .filter(|t| t.template)
        .map(|t| t.ops.len())
        .sum();
    let span_ns = ops.iter().filter_map(|o| o.end_ns).max().unwrap_or(0);
    let per = |x: f64| if done == 0 { 0.0 } else { x / done as f64 };
    let h = t.world.hist.as_ref().expect("timed runs record history");
    let mut waits: BTreeMap<String, u64> = BTreeMap::new();
    let mut held: BTreeMap<String, u64> = BTreeMap::new();
    for (i, u) in t.usage.tasks.iter().enumerate() {
        if !is_copy[i] {
            continue;
        }
        for (k, v) in &u.waits {
            *waits.entry(k.clone()).or_insert(0) += v;
        }
        *waits.entry("a CPU".into()).or_insert(0) += u.runqueue_ns;
        *waits.entry("wake-ups".into()).or_insert(0) += u.wakeup_ns;
        for (k, v) in &u.held_excl {
            *held.entry(k.clone()).or_insert(0) += v;
        }
    }
    let list = |m: BTreeMap<String, u64>| -> Vec<PerOp> {
        let mut v: Vec<PerOp> = m
            .into_iter()
            .filter(|(_, ns)| *ns > 0)
            .map(|(name, ns)| PerOp {
                name,
                ns: per(ns as f64),
            })
            .collect();
        v.sort_by(|a, b| b.ns.total_cmp(&a.ns).then(a.name.cmp(&b.name)));
        v
    };
    let dev = &t.usage.device;
    let mut outcomes: Vec<String> = Vec::new();
    for o in t.world.outcomes() {
        let name = o.outcome.name().to_string();
        if !outcomes.contains(&name) {
            outcomes.push(name);
        }
    }
    Point {
        threads: n,
        tasks: inst.tasks.len(),
        ops: done,
        failed: ops.iter().filter(|o| o.failed).count(),
        unfinished: expected - done,
        span_ns,
        ops_per_s: if span_ns == 0 {
            0.0
        } else {
            done as f64 * 1e9 / span_ns as f64
        },
        mean_ns: per(lat.iter().map(|&l| l as f64).sum()),
        p99_ns: if done == 0 {
            0
        } else {
            lat[(done * 99).div_ceil(100) - 1]
        },
        cpu_busy_ns: t.cpu_ns,
        cpu_ns_per_op: per(t.cpu_ns as f64),
        copied_bytes_per_op: per(h.counters.cpu_bytes as f64),
        driver_copied_bytes_per_op: per(dev.driver_copied_bytes as f64),
        device_ios: dev.bios,
        device_ns_per_op: per(dev.busy_ns as f64),
        device_queue_ns_per_bio: if dev.bios == 0 {
            0.0
        } else {
            dev.queue_ns as f64 / dev.bios as f64
        },
        waits: list(waits),
        held: list(held),
        fallbacks: h.counters.dio_fallbacks,
        outcomes,
    }
}

/// The mean-value model calibrated on the one-thread run: what the op
/// spends under each lock held exclusive is that lock's demand; CPU time
/// and device time outside those locks are the CPUs' and the device's;
/// the rest of its latency (wake-ups, I/O that overlaps) is a delay. At
/// one thread the model gives the simulated mean latency back.
fn model(p1: &Point, t1: &Timed, costs: &Costs, to: usize, points: &[Point]) -> Model {
    let ops = p1.ops.max(1) as f64;
    let u = &t1.usage;
    let mut stations = Vec::new();
    let mut locks: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let (mut cpu, mut cpu_held) = (0u64, 0u64);
    for tu in &u.tasks {
        cpu += tu.cpu_ns;
        cpu_held += tu.cpu_held_ns;
        for (k, v) in &tu.held_excl {
            locks.entry(k.clone()).or_insert((0, 0)).0 += v;
        }
        for (k, n) in &tu.acquired_excl {
            locks.entry(k.clone()).or_insert((0, 0)).1 += n;
        }
    }
    stations.push(Station {
        name: "CPU".into(),
        demand_ns: (cpu - cpu_held) as f64 / ops,
        servers: costs.cpus,
        handoff_ns: 0.0,
    });
    // an op's own bios are served side by side, so it waits about one
    // service time; what k channels queue is modelled as one server k
    // times as fast (on pmem the copies are CPU time, counted above)
    if let Service::Parallel(k) = costs.device.service {
        let k = k.max(1);
        stations.push(Station {
            name: if k == 1 {
                format!("{} device", costs.device.name)
            } else {
                format!("{} device ({k} bios at a time)", costs.device.name)
            },
            demand_ns: (u.device.busy_ns - u.device.busy_held_ns) as f64 / ops / k as f64,
            servers: 1,
            handoff_ns: 0.0,
        });
    }
    // a waiter sleeps, so an exclusive acquisition after a wait may cost
    // a wake-up while the lock stands idle (fitted below)
    let mut wake_per_op = Vec::new();
    for (k, (held, taken)) in locks {
        stations.push(Station {
            name: format!("{k} (exclusive)"),
            demand_ns: held as f64 / ops,
            servers: 1,
            handoff_ns: 0.0,
        });
        wake_per_op.push(taken as f64 / ops * costs.wakeup as f64);
    }
    // at one thread nobody queues: the op spends each demand once
    let delay_ns = (p1.mean_ns - stations.iter().map(|s| s.demand_ns).sum::<f64>()).max(0.0);
    let handoff = fit_handoff(&mut stations, &wake_per_op, delay_ns, points);
    stations.retain(|s| s.demand_ns > 0.0);
    let mut at: Vec<usize> = (1..=to.min(16)).collect();
    // then about 24 points per decade, for the plot's log scale
    let mut x = 16.0f64;
    while (x as usize) < to {
        x *= 1.1;
        at.push((x as usize).min(to));
    }
    at.push(to);
    at.extend(points.iter().map(|p| p.threads));
    let curve = mva::solve(&stations, delay_ns, to, &at);
    let fit = points
        .iter()
        .filter_map(|p| {
            let m = curve.iter().find(|m| m.threads == p.threads)?;
            (p.ops_per_s > 0.0).then(|| (p.threads, m.ops_per_s / p.ops_per_s - 1.0))
        })
        .collect();
    Model {
        bottleneck: mva::saturation(&stations),
        stations,
        delay_ns,
        handoff,
        curve,
        fit,
    }
}

/// The locks' handoff: how many wake-ups per exclusive acquisition the
/// lock stands idle for, fitted (bisection) so that the model meets the
/// simulation at its largest thread count, since one thread never waits
/// and cannot show it. `None` without a lock or a point to fit; 0 when
/// the model without handoffs is already at or below the simulation.
fn fit_handoff(
    stations: &mut [Station],
    wake_per_op: &[f64],
    delay_ns: f64,
    points: &[Point],
) -> Option<(usize, f64)> {
    let locks = stations.len() - wake_per_op.len();
    let target = points
        .iter()
        .filter(|p| p.threads > 1)
        .max_by_key(|p| p.threads)?;
    if wake_per_op.iter().all(|w| *w <= 0.0) || target.ops_per_s <= 0.0 {
        return None;
    }
    let n = target.threads;
    let at = |st: &mut [Station], f: f64| -> f64 {
        for (s, w) in st[locks..].iter_mut().zip(wake_per_op) {
            s.handoff_ns = f * w;
        }
        mva::solve(st, delay_ns, n, &[n])
            .first()
            .map_or(0.0, |m| m.ops_per_s)
    };
    let (mut lo, mut hi) = (0.0f64, 64.0f64);
    if at(stations, lo) <= target.ops_per_s {
        at(stations, 0.0);
        return Some((n, 0.0));
    }
    if at(stations, hi) >= target.ops_per_s {
        lo = hi;
    } else {
        for _ in 0..60 {
            let mid = (lo + hi) / 2.0;
            if at(stations, mid) > target.ops_per_s {
                lo = mid;
            } else {
                hi = mid;
            }
        }
    }
    at(stations, lo);
    Some((n, lo))
}

fn us(ns: f64) -> String {
    if ns >= 10_000_000.0 {
        format!("{:.1} ms", ns / 1e6)
    } else if ns >= 100_000.0 {
        format!("{:.0} us", ns / 1e3)
    } else {
        format!("{:.1} us", ns / 1e3)
    }
}

fn rate(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if x >= 1e4 {
        format!("{:.0}k", x / 1e3)
    } else {
        format!("{x:.0}")
    }
}

impl Sweep {
    /// The results as text, at most 72 columns (the wait lists wrap).
    pub fn text(&self) -> String {
        let mut head = vec![format!("sweep: {}", self.scenario)];
        for (name, ops) in &self.templates {
            head.push(format!("template {name}: {}", ops.join(", ")));
        }
        if !self.others.is_empty() {
            head.push(format!(
                "other tasks (once per run): {}",
                self.others.join(", ")
            ));
        }
        let mut o = String::new();
        for h in head {
            for l in crate::diagram::wrap(&h, 72) {
                o += &format!("{l}\n");
            }
        }
        o += &format!(
            "at most {} thread{} can be simulated ({})\n",
            self.limit,
            if self.limit == 1 { "" } else { "s" },
            self.limit_why
        );
        for l in crate::diagram::wrap(&format!("{} on {}", self.assumptions, self.fs), 72) {
            o += &format!("{l}\n");
        }
        for s in &self.series {
            o += &format!("\n{}\n", s.preset);
            o += "  threads     ops/s      mean       p99  CPU/op  KiB copied/op\n";
            for p in &s.points {
                let copied = (p.copied_bytes_per_op + p.driver_copied_bytes_per_op) / 1024.0;
                o += &format!(
                    "  {:>7} {:>9} {:>9} {:>9} {:>7} {:>14}\n",
                    p.threads,
                    rate(p.ops_per_s),
                    us(p.mean_ns),
                    us(p.p99_ns as f64),
                    us(p.cpu_ns_per_op),
                    format!("{copied:.1}")
                );
                let waits: Vec<String> = p
                    .waits
                    .iter()
                    .filter(|w| w.ns >= 50.0)
                    .map(|w| format!("{} {}", w.name, us(w.ns)))
                    .collect();
                if !waits.is_empty() {
                    for l in crate::diagram::wrap(&format!("waits/op: {}", waits.join(", ")), 60) {
                        o += &format!("            {l}\n");
                    }
                }
                if p.device_queue_ns_per_bio >= 1.0 {
                    o += &format!(
                        "            a bio waited {} for the device (service {}/op)\n",
                        us(p.device_queue_ns_per_bio),
                        us(p.device_ns_per_op)
                    );
                }
                let held: Vec<String> = p
                    .held
                    .iter()
                    .map(|w| format!("{} {}", w.name, us(w.ns)))
                    .collect();
                if !held.is_empty() {
                    o += &format!("            held exclusive/op: {}\n", held.join(", "));
                }
                let mut notes = Vec::new();
                if p.failed > 0 {
                    notes.push(format!("{} ops failed", p.failed));
                }
                if p.unfinished > 0 {
                    notes.push(format!("{} ops never returned", p.unfinished));
                }
                if p.fallbacks > 0 {
                    notes.push(format!("{} fell back to buffered", p.fallbacks));
                }
                if !p.outcomes.is_empty() {
                    notes.push(format!("outcomes: {}", p.outcomes.join(", ")));
                }
                if !notes.is_empty() {
                    for l in crate::diagram::wrap(&notes.join("; "), 60) {
                        o += &format!("            {l}\n");
                    }
                }
            }
            if let Some(m) = &s.model {
                o += &self.model_text(m);
            }
        }
        o
    }

    fn model_text(&self, m: &Model) -> String {
        let Some(to) = self.extrapolated_to else {
            return String::new();
        };
        let mut o = format!(
            "  EXTRAPOLATED past {} threads (mean-value analysis, not simulated):\n",
            self.limit
        );
        let mut show: Vec<usize> = [8, 16, 32, 64, 100, 1000, 10_000, to]
            .into_iter()
            .filter(|&n| n > self.limit && n <= to)
            .collect();
        show.dedup();
        o += "  threads     ops/s      mean\n";
        for n in show {
            if let Some(p) = m.curve.iter().find(|p| p.threads == n) {
                o += &format!("  {:>7} {:>9} {:>9}\n", n, rate(p.ops_per_s), us(p.mean_ns));
            }
        }
        let st: Vec<String> = m
            .stations
            .iter()
            .map(|s| {
                if s.servers > 1 {
                    format!("{} {} x{}", s.name, us(s.demand_ns), s.servers)
                } else {
                    format!("{} {}", s.name, us(s.demand_ns))
                }
            })
            .collect();
        let mut txt = format!(
            "demands per op at 1 thread: {}; delay {}.",
            st.join(", "),
            us(m.delay_ns)
        );
        if let Some((n, f)) = m.handoff {
            txt += &format!(
                " Lock handoff fitted at {n} threads: the lock stands idle {f:.2} wake-ups per exclusive acquisition."
            );
        }
        if let Some((b, x)) = &m.bottleneck {
            txt += &format!(" Bound: {b}, {} ops/s.", rate(*x));
        }
        if !m.fit.is_empty() {
            let f: Vec<String> = m
                .fit
                .iter()
                .map(|(n, e)| format!("{n}: {:+.0}%", e * 100.0))
                .collect();
            txt += &format!(" Model vs simulation (ops/s): {}.", f.join(", "));
        }
        for l in crate::diagram::wrap(&txt, 68) {
            o += &format!("  {l}\n");
        }
        o
    }

    /// One row per point (and per extrapolated thread count), with a
    /// header; the wait columns are the union of every point's.
    pub fn csv(&self) -> String {
        let mut keys: Vec<String> = Vec::new();
        for s in &self.series {
            for p in &s.points {
                for w in &p.waits {
                    if !keys.contains(&w.name) {
                        keys.push(w.name.clone());
                    }
                }
            }
        }
        keys.sort();
        let field = |s: &str| -> String {
            if s.contains([',', '"', '\n']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        };
        let mut o = String::from(
            "preset,kind,threads,tasks,ops,failed,unfinished,span_ns,ops_per_s,mean_ns,p99_ns,cpu_busy_ns,cpu_ns_per_op,copied_bytes_per_op,driver_copied_bytes_per_op,device_ios,device_ns_per_op,device_queue_ns_per_bio,fallbacks",
        );
        for k in &keys {
            o += &format!(",{}", field(&format!("wait_ns_per_op:{k}")));
        }
        o += "\n";
        for s in &self.series {
            for p in &s.points {
                o += &format!(
                    "{},simulated,{},{},{},{},{},{},{:.1},{:.1},{},{},{:.1},{:.1},{:.1},{},{:.1},{:.1},{}",
                    field(&s.preset),
                    p.threads,
                    p.tasks,
                    p.ops,
                    p.failed,
                    p.unfinished,
                    p.span_ns,
                    p.ops_per_s,
                    p.mean_ns,
                    p.p99_ns,
                    p.cpu_busy_ns,
                    p.cpu_ns_per_op,
                    p.copied_bytes_per_op,
                    p.driver_copied_bytes_per_op,
                    p.device_ios,
                    p.device_ns_per_op,
                    p.device_queue_ns_per_bio,
                    p.fallbacks
                );
                for k in &keys {
                    let v = p.waits.iter().find(|w| &w.name == k).map_or(0.0, |w| w.ns);
                    o += &format!(",{v:.1}");
                }
                o += "\n";
            }
            if let Some(m) = &s.model {
                for p in m.curve.iter().filter(|p| p.threads > self.limit) {
                    o += &format!(
                        "{},extrapolated,{},,,,,,{:.1},{:.1},,,,,,,,,",
                        field(&s.preset),
                        p.threads,
                        p.ops_per_s,
                        p.mean_ns
                    );
                    o += &",".repeat(keys.len());
                    o += "\n";
                }
            }
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SC: &str = "title = \"t\"\n[setup]\npages = 2\ncached = \"0-1\"\n\
        [[task]]\nname = \"W\"\ntemplate = true\nops = [\"write 0-1 direct\", \"read 0-1 direct\"]\n";

    fn sc(text: &str) -> Scenario {
        crate::scenario::parse("t.toml", text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn copies_are_named_and_counted_within_the_limits() {
        let s = sc(SC);
        assert_eq!(limit(&s), limits::MAX_TASKS.min(limits::MAX_WRITES));
        let i = instance(&s, 3).unwrap();
        let names: Vec<&str> = i.tasks.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["W", "Wb", "Wc"]);
        assert_eq!(instance(&s, 1).unwrap().tasks, s.tasks);
        let e = instance(&s, limits::MAX_TASKS + 1).unwrap_err().0;
        assert!(
            e.contains("cannot be simulated") && e.contains("--extrapolate"),
            "{e}"
        );
        assert!(instance(&s, 0).is_err());
        // with another task and a name clash
        let s = sc(&format!("{SC}[[task]]\nname = \"Wb\"\nops = [\"fsync\"]\n"));
        assert_eq!(limit(&s), limits::MAX_TASKS - 1);
        let e = instance(&s, 2).unwrap_err().0;
        assert!(e.contains("named `Wb`"), "{e}");
        let s = sc("title = \"t\"\n[[task]]\nname = \"A\"\nops = [\"fsync\"]\n");
        assert!(instance(&s, 1).unwrap_err().0.contains("template = true"));
    }

    #[test]
    fn the_data_version_limit_bounds_the_copies() {
        let ops = ["\"write 0\""; 8].join(", ");
        let s = sc(&format!(
            "title = \"t\"\n[[task]]\nname = \"W\"\ntemplate = true\nops = [{ops}]\n"
        ));
        assert_eq!(limit(&s), (limits::MAX_WRITES / 8).min(limits::MAX_TASKS));
    }

    #[test]
    fn thread_lists_parse_with_clear_errors() {
        assert_eq!(parse_threads("4,1,2,2").unwrap(), [1, 2, 4]);
        assert_eq!(parse_threads("1-3, 8").unwrap(), [1, 2, 3, 8]);
        for bad in ["", "0", "a", "3-1", "1,,2", "-1", "1.5"] {
            assert!(parse_threads(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_sweep_measures_every_point_and_extrapolates_only_when_asked() {
        let s = sc(SC);
        let spec = Spec {
            presets: vec!["linux-5.8".into(), "2020-serve-from-cache".into()],
            threads: vec![1, 2],
            costs: Costs::new(timed::NVME, 2),
            extrapolate: None,
        };
        let r = run(&s, &spec).unwrap();
        assert_eq!(r.series.len(), 2);
        for ser in &r.series {
            assert!(ser.model.is_none());
            for p in &ser.points {
                assert_eq!(p.ops, 2 * p.threads, "{p:?}");
                assert!(p.ops_per_s > 0.0 && p.mean_ns > 0.0);
                assert!(p.p99_ns as f64 >= p.mean_ns);
            }
        }
        // serving from the cache copies, mainline does not
        assert_eq!(r.series[0].points[1].copied_bytes_per_op, 0.0);
        assert!(r.series[1].points[1].copied_bytes_per_op > 0.0);
        let e = run(
            &s,
            &Spec {
                extrapolate: Some(2),
                ..spec.clone()
            },
        )
        .unwrap_err();
        assert!(e.0.contains("can be simulated"), "{e}");
        let r = run(
            &s,
            &Spec {
                extrapolate: Some(1000),
                ..spec
            },
        )
        .unwrap();
        let m = r.series[1].model.as_ref().unwrap();
        assert_eq!(m.curve.last().unwrap().threads, 1000);
        // the model gives the one-thread run back
        let p1 = &r.series[1].points[0];
        assert!(
            (m.curve[0].mean_ns - p1.mean_ns).abs() < 1e-6 * p1.mean_ns,
            "{m:?}"
        );
        assert!(r.text().contains("EXTRAPOLATED"));
        assert!(r.csv().lines().any(|l| l.contains(",extrapolated,1000,")));
    }
}
