//! The timed scheduler: a virtual clock, a cost per step and N CPUs, for
//! latency and throughput figures ("DIO writes suddenly serialise",
//! Chinner 2020-07; "4 times slower", Harrosh 2016-05).
//!
//! Every actor has the time at which it can take its next step. A task's
//! step costs CPU time (more if it copies data); a task that was blocked
//! pays a wake-up; at most `cpus` tasks run at once. The device serves
//! bios as its [`Service`] says: a disk or an SSD serves a few at a time
//! and queues the rest in order; the pmem driver copies with the
//! submitting CPU inside `submit_bio` and completes the bio there, so a
//! pmem bio is CPU time of its submitter, and nobody sleeps on it. The
//! next step is always the earliest one (ties in declaration order), so a
//! timed run is as deterministic as any other.
//!
//! The costs are assumptions, printed with every result: change them and
//! the figures change. What the model shows is how the *shape* of a path
//! (copies, waits, serialisation) turns into time. [`Usage`] says where
//! each task's time went (CPU, run queue, wake-ups, each lock or wait,
//! the time it held a lock exclusive), which is what `dioscope sweep`
//! reports and what its mean-value extrapolation is calibrated on.

use std::collections::BTreeMap;

use crate::device::{Bio, BioKind};
use crate::locks::{LockId, Mode};
use crate::policy::Policy;
use crate::scenario::Scenario;
use crate::sched::ScheduleError;
use crate::world::{Actor, Enabled, Holder, Need, Wait, World};

/// How a device serves bios.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Service {
    /// At most this many bios at a time (an SSD's internal parallelism, a
    /// disk's one head); the others wait their turn, in submission order.
    Parallel(u32),
    /// The driver copies the data with the submitting CPU and ends the
    /// bio before `submit_bio` returns (drivers/nvdimm/pmem.c:
    /// pmem_submit_bio → pmem_do_write/pmem_do_read → bio_endio). The
    /// latency is CPU time of the submitter; it never sleeps on the bio.
    Cpu,
}

/// The device's latencies, in nanoseconds, and how it serves bios.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct DeviceCost {
    pub name: &'static str,
    pub read: u64,
    pub write: u64,
    pub flush: u64,
    pub service: Service,
}

pub const NVME: DeviceCost = DeviceCost {
    name: "nvme",
    read: 80_000,
    write: 20_000,
    flush: 200_000,
    service: Service::Parallel(32),
};
/// The pmem driver: a bio is a memcpy plus the block layer, on the CPU
/// that submits it.
pub const PMEM: DeviceCost = DeviceCost {
    name: "pmem",
    read: 2_500,
    write: 2_500,
    flush: 1_000,
    service: Service::Cpu,
};
pub const HDD: DeviceCost = DeviceCost {
    name: "hdd",
    read: 4_000_000,
    write: 4_000_000,
    flush: 8_000_000,
    service: Service::Parallel(1),
};

/// The devices by name, for command lines and forms.
pub const DEVICES: [DeviceCost; 3] = [NVME, PMEM, HDD];

/// A device by name (`nvme`, `pmem`, `hdd`).
pub fn device(name: &str) -> Option<DeviceCost> {
    DEVICES.iter().copied().find(|d| d.name == name)
}

/// What a step costs, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
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

    /// The service time of a bio.
    fn bio(&self, b: &Bio) -> u64 {
        match b.kind {
            BioKind::ReadFolio | BioKind::DioRead => self.device.read,
            BioKind::Writeback | BioKind::DioWrite => self.device.write,
            BioKind::Flush | BioKind::LogWrite => self.device.flush,
            BioKind::OrderedFinish | BioKind::AioComplete => self.step * 4,
        }
    }

    pub fn describe(&self) -> String {
        let service = match self.device.service {
            Service::Parallel(1) => ", one bio at a time".to_string(),
            Service::Parallel(n) => format!(", {n} bios at a time"),
            Service::Cpu => ", copied by the submitting CPU".to_string(),
        };
        format!(
            "costs: {} ns per step, {} ns per page copied, {} ns per wake-up; {} device: read {} us, write {} us, flush {} us{service}; {} CPU{}",
            self.step,
            self.copy_page,
            self.wakeup,
            self.device.name,
            us_int(self.device.read),
            us_int(self.device.write),
            us_int(self.device.flush),
            self.cpus,
            if self.cpus == 1 { "" } else { "s" }
        )
    }
}

/// Nanoseconds as microseconds, with one decimal when not whole, in
/// integer arithmetic (no float printing in the web app's wasm).
fn us_int(ns: u64) -> String {
    let tenths = (ns + 50) / 100;
    if tenths.is_multiple_of(10) {
        format!("{}", tenths / 10)
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

/// One syscall's timing.
#[derive(Clone, Debug, PartialEq)]
pub struct OpTime {
    pub task: String,
    /// The task's index in the scenario.
    pub task_index: u8,
    pub text: String,
    /// When the task asked for it: when its previous op returned (0 for
    /// its first). The op's latency runs from here: waiting for a CPU or
    /// for the lock its first step takes is part of it.
    pub issued_ns: u64,
    /// When its first step ran.
    pub start_ns: u64,
    pub end_ns: Option<u64>,
    /// It returned an error.
    pub failed: bool,
}

/// Where one task's time went, in nanoseconds. Every instant of a task
/// with work left is in exactly one of `cpu_ns`, `runqueue_ns`,
/// `wakeup_ns` and `waits`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct TaskUsage {
    /// Running its steps on a CPU (with the pmem driver's copies).
    pub cpu_ns: u64,
    /// Runnable, waiting for a CPU.
    pub runqueue_ns: u64,
    /// Being woken up after a sleep.
    pub wakeup_ns: u64,
    /// Blocked, per lock or wait kind (the names of the run's counters:
    /// `i_rwsem`, `folio lock`, `folio writeback`, `bio completion`, ...).
    pub waits: BTreeMap<String, u64>,
    /// Time it held each sleeping lock exclusive (part of the above).
    pub held_excl: BTreeMap<String, u64>,
    /// The part of `cpu_ns` spent holding some lock exclusive.
    pub cpu_held_ns: u64,
    /// How many times it took each lock exclusive.
    pub acquired_excl: BTreeMap<String, u64>,
}

/// The device's side of a timed run.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DeviceUsage {
    /// Bios served (flushes and journal writes included).
    pub bios: u64,
    /// Sum of their service times.
    pub busy_ns: u64,
    /// The part of `busy_ns` for bios submitted by a task that held a lock
    /// exclusive at the time.
    pub busy_held_ns: u64,
    /// Sum of the times bios waited for the device to take them.
    pub queue_ns: u64,
    /// Bytes the driver copied with the CPU (pmem).
    pub driver_copied_bytes: u64,
}

/// Where the time of a timed run went.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Usage {
    /// Per task, in scenario order.
    pub tasks: Vec<TaskUsage>,
    pub device: DeviceUsage,
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
    pub usage: Usage,
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

/// The name a wait is counted under (as the run's counters name it).
pub fn wait_key(need: Need) -> Option<String> {
    need.wait_key()
}

/// The inode's sleeping locks a task can hold exclusive, in the order
/// they are named when it holds several.
const INODE_LOCKS: [LockId; 4] = [
    LockId::IRwsem,
    LockId::InvalidateLock,
    LockId::DioRwsem,
    LockId::BtrfsMmap,
];

/// The first inode lock `t` holds exclusive.
fn held_excl(w: &World, t: usize) -> Option<LockId> {
    INODE_LOCKS
        .into_iter()
        .find(|&l| w.s.locks.get(l).held_by(Holder(t as u8)) == Some(Mode::Excl))
}

/// The device's queue: which bio completes when.
struct DeviceClock {
    /// In-flight bios (by content, in submission order) and when each
    /// completes.
    due: Vec<(Bio, u64)>,
    /// When each of the device's servers is free.
    servers: Vec<u64>,
}

impl DeviceClock {
    /// When the k-th in-flight bio of `w` completes.
    fn due_of(&self, w: &World, k: usize) -> Option<u64> {
        let inflight = w.s.dev.inflight();
        let b = inflight.get(k)?;
        // the j-th of identical bios in flight is the j-th one we timed
        let j = inflight[..k].iter().filter(|x| *x == b).count();
        self.due
            .iter()
            .filter(|(x, _)| x == b)
            .nth(j)
            .map(|&(_, d)| d)
    }

    fn remove(&mut self, b: &Bio) {
        if let Some(i) = self.due.iter().position(|(x, _)| x == b) {
            self.due.remove(i);
        }
    }

    /// The bios in flight that have no due time yet, in submission order.
    fn new_bios(&self, w: &World) -> Vec<Bio> {
        let mut seen: Vec<(Bio, usize)> = Vec::new();
        let mut out = Vec::new();
        for b in w.s.dev.inflight() {
            let n = match seen.iter_mut().find(|(x, _)| x == b) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    seen.push((*b, 1));
                    1
                }
            };
            if self.due.iter().filter(|(x, _)| x == b).count() < n {
                out.push(*b);
            }
        }
        out
    }
}

/// [`run`] with a step cap.
pub fn run_capped(scenario: &Scenario, policy: &Policy, costs: Costs, max_steps: usize) -> Timed {
    let mut w = World::new(scenario, policy);
    let mut c = Clocks::new(costs, w.st.ntasks());
    let mut stopped = None;
    for step in 0.. {
        if step >= max_steps && !w.is_done() {
            stopped = Some(crate::sched::step_cap_error(max_steps));
            break;
        }
        // bios nobody timed yet (none, unless a step of no task made them)
        c.serve_new_bios(&w);
        let en = w.enabled();
        if en.is_empty() {
            break;
        }
        let waits = w.waits();
        c.note_wakeups(&w, en);
        let (a, next) = c.next_actor(&w, en);
        c.advance(&w, &waits, a, next);
        c.step(&mut w, a);
    }
    c.finish(w, stopped)
}

/// The time side of a timed run, beside its world: the virtual clock, when
/// each task and the device can go next, which CPUs are busy, and where
/// the time went.
struct Clocks {
    costs: Costs,
    now: u64,
    // when each task can take its next step, whether it was blocked, and
    // when its last CPU step ends
    ready: Vec<u64>,
    was_blocked: Vec<bool>,
    cpu_end: Vec<u64>,
    dev: DeviceClock,
    usage: Usage,
    // when each step started and when it was over
    step_of: Vec<u64>,
    step_end: Vec<u64>,
    names: Vec<String>,
    cpu_ns: u64,
    /// (task, busy until)
    running: Vec<(usize, u64)>,
}

impl Clocks {
    fn new(costs: Costs, ntasks: usize) -> Clocks {
        let servers = match costs.device.service {
            Service::Parallel(n) => n.max(1) as usize,
            Service::Cpu => 0,
        };
        Clocks {
            costs,
            now: 0,
            ready: vec![0u64; ntasks],
            was_blocked: vec![false; ntasks],
            cpu_end: vec![0u64; ntasks],
            dev: DeviceClock {
                due: Vec::new(),
                servers: vec![0; servers],
            },
            usage: Usage {
                tasks: vec![TaskUsage::default(); ntasks],
                device: DeviceUsage::default(),
            },
            step_of: Vec::new(),
            step_end: Vec::new(),
            names: Vec::new(),
            cpu_ns: 0,
            running: Vec::new(),
        }
    }

    /// Times the bios in flight that have no due time yet, as submitted
    /// now by nobody holding a lock.
    fn serve_new_bios(&mut self, w: &World) {
        for b in self.dev.new_bios(w) {
            serve(
                &mut self.dev,
                &mut self.usage.device,
                &self.costs,
                b,
                self.now,
                false,
            );
        }
    }

    /// A task that becomes runnable after sleeping pays a wake-up; one
    /// that waited for its own bios on a CPU-served device never slept.
    fn note_wakeups(&mut self, w: &World, en: &Enabled) {
        for t in 0..self.ready.len() {
            let runnable = en.contains(Actor::Task(t as u8));
            if runnable && self.was_blocked[t] {
                self.ready[t] = self.ready[t].max(self.now + self.costs.wakeup);
                self.was_blocked[t] = false;
            } else if !runnable {
                let need = w.need_of(Actor::Task(t as u8));
                let own_sync_io =
                    need == Some(Need::Bios) && self.costs.device.service == Service::Cpu;
                if need.is_some() && !own_sync_io {
                    self.was_blocked[t] = true;
                }
            }
        }
    }

    /// The enabled actor that can step earliest (ties in declaration
    /// order), and when it steps.
    fn next_actor(&mut self, w: &World, en: &Enabled) -> (Actor, u64) {
        let now = self.now;
        self.running.retain(|&(_, until)| until > now);
        let cpu_free = self.running.len() < self.costs.cpus;
        let a = en
            .iter()
            .min_by_key(|a| self.time_of(w, en, cpu_free, *a))
            .expect("something is enabled");
        (a, now.max(self.time_of(w, en, cpu_free, a)))
    }

    /// When actor `a` can take its next step.
    fn time_of(&self, w: &World, en: &Enabled, cpu_free: bool, a: Actor) -> u64 {
        let (ready, running, now) = (&self.ready, &self.running, self.now);
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
            Actor::Dev(k) => self.dev.due_of(w, k as usize).unwrap_or(now),
            // the flusher writes back what was dirtied long ago
            // (dirty_expire_centisecs, 30 s), never a folio a write
            // fault dirtied a moment before the store it was for:
            // it waits for a task that has that folio mapped
            // writable. Without this the free flusher cleaned and
            // write-protected the folio before every store, and a
            // btrfs store (whose page_mkwrite waits for writeback and
            // the ordered extent) faulted forever (review 13).
            Actor::Flush => {
                let target =
                    w.s.cache
                        .find(0, w.st.pages - 1, |f| f.dirty() && !f.writeback());
                target
                    .and_then(|p| {
                        (0..w.st.ntasks())
                            .filter(|&t| w.s.tasks[t].pte_rw & (1 << p) != 0)
                            .filter(|&t| en.contains(Actor::Task(t as u8)))
                            .map(|t| ready[t])
                            .max()
                    })
                    .map_or(now, |r| r.max(now))
            }
            Actor::Reclaim => now,
        }
    }

    /// Books the time until `next` and moves the clock there; a device
    /// actor about to complete a bio takes it off the device's queue.
    fn advance(&mut self, w: &World, waits: &[Wait], a: Actor, next: u64) {
        account(
            w,
            waits,
            &self.ready,
            &self.cpu_end,
            self.now,
            next,
            &mut self.usage,
        );
        self.now = next;
        if let Actor::Dev(k) = a {
            if w.s.crashing == 0 {
                let b = w.s.dev.inflight()[k as usize];
                self.dev.remove(&b);
            }
        }
    }

    /// Steps `a` now; a task's step is then costed.
    fn step(&mut self, w: &mut World, a: Actor) {
        let copied_before = w.hist.as_ref().map_or(0, |h| h.counters.cpu_bytes);
        let lock_before = match a {
            Actor::Task(t) => held_excl(w, t as usize),
            _ => None,
        };
        self.names.push(w.actor_name(a));
        w.step_enabled(a);
        self.step_of.push(self.now);
        self.step_end.push(self.now);
        let Actor::Task(t) = a else {
            self.serve_new_bios(w);
            return;
        };
        let copied = w.hist.as_ref().map_or(0, |h| h.counters.cpu_bytes) - copied_before;
        self.cost_task_step(w, t as usize, copied, lock_before);
    }

    /// What task `t`'s step, just taken, cost: CPU, its copies, and on a
    /// CPU-served device the bios it submitted; books it and keeps the
    /// task on its CPU until then.
    fn cost_task_step(&mut self, w: &World, t: usize, copied: u64, lock_before: Option<LockId>) {
        let now = self.now;
        let costs = self.costs;
        let mut cost = costs.step + copied / 4096 * costs.copy_page;
        // a step that takes or releases a lock runs under it
        let lock = held_excl(w, t).or(lock_before);
        let held = lock.is_some();
        // the bios the step submitted: on a CPU-served device the step
        // copies their data before it is over
        for b in self.dev.new_bios(w) {
            if costs.device.service == Service::Cpu && b.kind != BioKind::OrderedFinish {
                let service = serve(&mut self.dev, &mut self.usage.device, &costs, b, now, held);
                cost += service;
                // the bio ends when the copy does
                if let Some(e) = self.dev.due.iter_mut().rev().find(|(x, _)| *x == b) {
                    e.1 = now + cost;
                }
            } else {
                serve(
                    &mut self.dev,
                    &mut self.usage.device,
                    &costs,
                    b,
                    now + cost,
                    held,
                );
            }
        }
        self.cpu_ns += cost;
        let u = &mut self.usage.tasks[t];
        u.cpu_ns += cost;
        if let Some(l) = lock {
            u.cpu_held_ns += cost;
            *u.held_excl.entry(l.name()).or_insert(0) += cost;
        }
        if let Some(l) = held_excl(w, t).filter(|l| Some(*l) != lock_before) {
            *u.acquired_excl.entry(l.name()).or_insert(0) += 1;
        }
        self.ready[t] = now + cost;
        self.cpu_end[t] = now + cost;
        self.running.retain(|&(r, _)| r != t);
        self.running.push((t, now + cost));
        *self.step_end.last_mut().unwrap() = now + cost;
    }

    /// The run's result: each syscall's times from the steps' times.
    fn finish(self, w: World, stopped: Option<ScheduleError>) -> Timed {
        let h = w.hist.as_ref().expect("timed runs record history");
        let mut last_end = vec![0u64; self.ready.len()];
        let ops: Vec<OpTime> = h
            .syscalls
            .iter()
            .map(|c| {
                let end_ns = c.end.and_then(|e| self.step_end.get(e)).copied();
                let issued_ns = last_end[c.task as usize];
                if let Some(e) = end_ns {
                    last_end[c.task as usize] = e;
                }
                OpTime {
                    task: w.st.task_name(c.task).to_string(),
                    task_index: c.task,
                    text: c.text.clone(),
                    issued_ns,
                    start_ns: self.step_of.get(c.begin).copied().unwrap_or(0),
                    end_ns,
                    failed: c.ret.is_some_and(|r| r.is_err()),
                }
            })
            .collect();
        let total_ns = self.step_end.iter().copied().max().unwrap_or(0);
        Timed {
            world: w,
            schedule: self.names,
            ops,
            total_ns,
            cpu_ns: self.cpu_ns,
            costs: self.costs,
            stopped,
            usage: self.usage,
        }
    }
}

/// Times bio `b`, submitted at `at`: returns its service time.
fn serve(
    dev: &mut DeviceClock,
    u: &mut DeviceUsage,
    costs: &Costs,
    b: Bio,
    at: u64,
    held: bool,
) -> u64 {
    let service = costs.bio(&b);
    let due = if b.kind == BioKind::OrderedFinish {
        // work queued by the bio's end, not the device's
        at + service
    } else {
        u.bios += 1;
        u.busy_ns += service;
        if held {
            u.busy_held_ns += service;
        }
        if costs.device.service == Service::Cpu
            && matches!(
                b.kind,
                BioKind::ReadFolio | BioKind::DioRead | BioKind::Writeback | BioKind::DioWrite
            )
        {
            u.driver_copied_bytes += 4096;
        }
        match dev.servers.iter_mut().min_by_key(|s| **s) {
            Some(s) => {
                let start = at.max(*s);
                u.queue_ns += start - at;
                *s = start + service;
                start + service
            }
            None => at + service,
        }
    };
    dev.due.push((b, due));
    service
}

/// Books the time from `from` to `to` to each task with work left: its
/// CPU step (booked when it ran), then a wake-up, a wait or the run queue.
fn account(
    w: &World,
    waits: &[Wait],
    ready: &[u64],
    cpu_end: &[u64],
    from: u64,
    to: u64,
    usage: &mut Usage,
) {
    if to <= from {
        return;
    }
    for t in 0..ready.len() {
        let actor = Actor::Task(t as u8);
        if w.need_of(actor).is_none() {
            continue;
        }
        let start = from.max(cpu_end[t]);
        if start >= to {
            continue;
        }
        let u = &mut usage.tasks[t];
        let held = held_excl(w, t);
        if let Some(l) = held {
            *u.held_excl.entry(l.name()).or_insert(0) += to - start;
        }
        match waits.iter().find(|x| x.actor == actor) {
            Some(wait) => {
                let key = wait_key(wait.need).unwrap_or_else(|| "other".into());
                *u.waits.entry(key).or_insert(0) += to - start;
            }
            None => {
                let wake_end = ready[t].clamp(start, to);
                u.wakeup_ns += wake_end - start;
                u.runqueue_ns += to - wake_end;
            }
        }
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
                        us(e - o.issued_ns),
                        us(o.issued_ns),
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
        let mut waits: BTreeMap<&str, u64> = BTreeMap::new();
        for u in &self.usage.tasks {
            for (k, v) in &u.waits {
                *waits.entry(k).or_insert(0) += v;
            }
            if u.runqueue_ns > 0 {
                *waits.entry("a CPU").or_insert(0) += u.runqueue_ns;
            }
        }
        if !waits.is_empty() {
            let parts: Vec<String> = waits
                .iter()
                .map(|(k, v)| format!("{k} {}", us(*v)))
                .collect();
            out += &format!("  tasks waited for: {}\n", parts.join(", "));
        }
        out
    }
}
