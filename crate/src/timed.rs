//! The timed scheduler: a virtual clock, a cost per step and N CPUs, for
//! latency and throughput figures ("DIO writes suddenly serialise",
//! Chinner 2020-07; "4 times slower", Harrosh 2016-05).
//!
//! Every actor has the time at which it can take its next step. A task's
//! step costs CPU time (more if it copies data); a task that was blocked
//! pays a wake-up; at most `cpus` tasks run at once. A bio completes its
//! device latency after it was submitted, independently of the others (a
//! multi-queue device). The next step is always the earliest one (ties in
//! declaration order), so a timed run is as deterministic as any other.
//!
//! The costs are assumptions, printed with every result: change them and
//! the figures change. What the model shows is how the *shape* of a path
//! (copies, waits, serialisation) turns into time.

use std::collections::HashMap;

use crate::device::{Bio, BioKind};
use crate::policy::Policy;
use crate::scenario::Scenario;
use crate::sched::ScheduleError;
use crate::world::{Actor, World};

/// The device's latencies, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeviceCost {
    pub name: &'static str,
    pub read: u64,
    pub write: u64,
    pub flush: u64,
}

pub const NVME: DeviceCost = DeviceCost {
    name: "nvme",
    read: 80_000,
    write: 20_000,
    flush: 200_000,
};
/// The pmem driver: a bio is a memcpy plus the block layer.
pub const PMEM: DeviceCost = DeviceCost {
    name: "pmem",
    read: 2_500,
    write: 2_500,
    flush: 1_000,
};
pub const HDD: DeviceCost = DeviceCost {
    name: "hdd",
    read: 4_000_000,
    write: 4_000_000,
    flush: 8_000_000,
};

/// What a step costs, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Costs {
    /// A kernel step that copies no data.
    pub step: u64,
    /// Copying one 4 KiB page with the CPU.
    pub copy_page: u64,
    /// Waking a task that slept on a lock or an I/O.
    pub wakeup: u64,
    pub device: DeviceCost,
    /// CPUs: at most this many tasks run at once.
    pub cpus: usize,
}

impl Costs {
    pub fn new(device: DeviceCost, cpus: usize) -> Costs {
        Costs {
            step: 250,
            copy_page: 700,
            wakeup: 2_000,
            device,
            cpus: cpus.max(1),
        }
    }

    fn bio(&self, b: &Bio) -> u64 {
        match b.kind {
            BioKind::ReadFolio | BioKind::DioRead => self.device.read,
            BioKind::Writeback | BioKind::DioWrite => self.device.write,
            BioKind::Flush | BioKind::LogWrite => self.device.flush,
            BioKind::OrderedFinish | BioKind::AioComplete => self.step * 4,
        }
    }

    pub fn describe(&self) -> String {
        format!(
            "costs: {} ns per step, {} ns per page copied, {} ns per wake-up; {} device: read {} us, write {} us, flush {} us; {} CPU{}",
            self.step,
            self.copy_page,
            self.wakeup,
            self.device.name,
            self.device.read / 1000,
            self.device.write / 1000,
            self.device.flush / 1000,
            self.cpus,
            if self.cpus == 1 { "" } else { "s" }
        )
    }
}

/// One syscall's timing.
#[derive(Clone, Debug, PartialEq)]
pub struct OpTime {
    pub task: String,
    pub text: String,
    pub start_ns: u64,
    pub end_ns: Option<u64>,
}

/// A timed run: the world (with history), its schedule, and the times.
pub struct Timed {
    pub world: World,
    pub schedule: Vec<String>,
    pub ops: Vec<OpTime>,
    /// When the last step happened.
    pub total_ns: u64,
    /// CPU time the tasks used.
    pub cpu_ns: u64,
    pub costs: Costs,
    /// Why the run stopped before its end: the step cap.
    pub stopped: Option<ScheduleError>,
}

impl Timed {
    /// The run, or the error of a run that hit the step cap.
    pub fn ended(self) -> Result<Timed, ScheduleError> {
        match self.stopped {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }
}

/// Runs `scenario` under `policy` on the virtual clock, for at most
/// [`crate::sched::MAX_STEPS`] steps (`stopped` says if it hit them).
pub fn run(scenario: &Scenario, policy: &Policy, costs: Costs) -> Timed {
    run_capped(scenario, policy, costs, crate::sched::MAX_STEPS)
}

/// [`run`] with a step cap.
pub fn run_capped(scenario: &Scenario, policy: &Policy, costs: Costs, max_steps: usize) -> Timed {
    let mut w = World::new(scenario, policy);
    let ntasks = w.st.ntasks();
    let mut now: u64 = 0;
    // when each task can take its next step, and whether it was blocked
    let mut ready = vec![0u64; ntasks];
    let mut was_blocked = vec![false; ntasks];
    // when each in-flight bio completes, by content (queue positions shift)
    let mut due: HashMap<Bio, u64> = HashMap::new();
    // when each step started and when it was over
    let mut step_of: Vec<u64> = Vec::new();
    let mut step_end: Vec<u64> = Vec::new();
    let mut names = Vec::new();
    let mut cpu_ns = 0u64;
    let mut running: Vec<(usize, u64)> = Vec::new(); // (task, busy until)
    let mut stopped = None;
    for step in 0.. {
        if step >= max_steps && !w.is_done() {
            stopped = Some(crate::sched::step_cap_error(max_steps));
            break;
        }
        for b in w.s.dev.inflight() {
            due.entry(*b).or_insert(now + costs.bio(b));
        }
        let en = w.enabled();
        if en.is_empty() {
            break;
        }
        // a task that becomes runnable after sleeping pays a wake-up
        for t in 0..ntasks {
            let runnable = en.contains(Actor::Task(t as u8));
            if runnable && was_blocked[t] {
                ready[t] = ready[t].max(now + costs.wakeup);
                was_blocked[t] = false;
            } else if !runnable && w.need_of(Actor::Task(t as u8)).is_some() {
                was_blocked[t] = true;
            }
        }
        running.retain(|&(_, until)| until > now);
        let cpu_free = running.len() < costs.cpus;
        let time_of = |a: Actor| -> u64 {
            match a {
                Actor::Task(t) => {
                    let t = t as usize;
                    if running.iter().any(|&(r, _)| r == t) || cpu_free {
                        ready[t]
                    } else {
                        // wait for the earliest CPU
                        ready[t].max(running.iter().map(|&(_, u)| u).min().unwrap_or(now))
                    }
                }
                // after a power failure the timed run persists nothing
                // more: the recovery (a task) goes first
                Actor::Dev(_) if w.s.crashing != 0 => u64::MAX,
                Actor::Dev(k) => due
                    .get(&w.s.dev.inflight()[k as usize])
                    .copied()
                    .unwrap_or(now),
                Actor::Flush | Actor::Reclaim => now,
            }
        };
        let a = en
            .iter()
            .min_by_key(|a| time_of(*a))
            .expect("something is enabled");
        now = now.max(time_of(a));
        if let Actor::Dev(k) = a {
            if w.s.crashing == 0 {
                due.remove(&w.s.dev.inflight()[k as usize]);
            }
        }
        let copied_before = w.hist.as_ref().map_or(0, |h| h.counters.cpu_bytes);
        names.push(w.actor_name(a));
        w.step(a).expect("enabled actor steps");
        step_of.push(now);
        step_end.push(now);
        if let Actor::Task(t) = a {
            let copied = w.hist.as_ref().map_or(0, |h| h.counters.cpu_bytes) - copied_before;
            let cost = costs.step + copied / 4096 * costs.copy_page;
            cpu_ns += cost;
            ready[t as usize] = now + cost;
            running.retain(|&(r, _)| r != t as usize);
            running.push((t as usize, now + cost));
            *step_end.last_mut().unwrap() = now + cost;
        }
    }
    let h = w.hist.as_ref().expect("timed runs record history");
    let ops: Vec<OpTime> = h
        .syscalls
        .iter()
        .map(|c| OpTime {
            task: w.st.task_name(c.task).to_string(),
            text: c.text.clone(),
            start_ns: step_of.get(c.begin).copied().unwrap_or(0),
            end_ns: c.end.and_then(|e| step_end.get(e)).copied(),
        })
        .collect();
    let total_ns = step_end.iter().copied().max().unwrap_or(0);
    Timed {
        world: w,
        schedule: names,
        ops,
        total_ns,
        cpu_ns,
        costs,
        stopped,
    }
}

fn us(ns: u64) -> String {
    if ns >= 10_000_000 {
        format!("{:.1} ms", ns as f64 / 1e6)
    } else {
        format!("{:.1} us", ns as f64 / 1e3)
    }
}

impl Timed {
    pub fn text(&self) -> String {
        let mut out = format!("timed run ({})\n", self.costs.describe());
        let w = self
            .ops
            .iter()
            .map(|o| o.text.len() + o.task.len())
            .max()
            .unwrap_or(10)
            + 2;
        for o in &self.ops {
            let label = format!("{}: {}", o.task, o.text);
            match o.end_ns {
                Some(e) => {
                    out += &format!(
                        "  {label:<w$} {:>10}  (from {} to {})\n",
                        us(e - o.start_ns),
                        us(o.start_ns),
                        us(e)
                    )
                }
                None => out += &format!("  {label:<w$} {:>10}\n", "no return"),
            }
        }
        let done = self.ops.iter().filter(|o| o.end_ns.is_some()).count();
        out += &format!(
            "  total {}, CPU busy {}, {} ops done: {:.0} ops/s\n",
            us(self.total_ns),
            us(self.cpu_ns),
            done,
            if self.total_ns > 0 {
                done as f64 * 1e9 / self.total_ns as f64
            } else {
                0.0
            }
        );
        out
    }
}
