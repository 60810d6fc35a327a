//! A run's report: what `dioscope run` prints as text or JSON. The JSON
//! form is stable (documented in the README): keys are only ever added.

use serde::Serialize;

use crate::history::Counters;
use crate::ops::Op;
use crate::world::{Actor, Ret, World};

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct StepOut {
    pub i: usize,
    pub actor: String,
    /// The op the step belongs to (tasks), else null.
    pub op: Option<String>,
    pub step: String,
    pub note: String,
}

/// A return value: bytes as a number, or an errno name like "-EIO".
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum RetOut {
    Bytes(u64),
    Errno(String),
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SyscallOut {
    pub task: String,
    pub op: usize,
    pub text: String,
    pub begin: usize,
    /// null if it never returned (deadlock, crash).
    pub end: Option<usize>,
    pub ret: Option<RetOut>,
    /// For reads: the version per page, e.g. ["A1", "zero"].
    pub read: Option<Vec<String>>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct OutcomeOut {
    pub outcome: String,
    pub step: usize,
    pub why: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct WaitOut {
    pub actor: String,
    pub waits_for: String,
    pub held_by: Vec<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CountersOut {
    pub cpu_bytes_copied: u64,
    pub device_ios: u64,
    pub dio_fallbacks: u64,
    pub lock_wait_steps: std::collections::BTreeMap<String, u64>,
}

impl From<&Counters> for CountersOut {
    fn from(c: &Counters) -> Self {
        CountersOut {
            cpu_bytes_copied: c.cpu_bytes,
            device_ios: c.device_ios,
            dio_fallbacks: c.dio_fallbacks,
            lock_wait_steps: c.lock_waits.clone(),
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RunReport {
    pub scenario: String,
    pub fs: String,
    pub preset: String,
    /// Knobs set on top of the preset, as "knob=value".
    pub set: Vec<String>,
    /// The whole schedule of the run (replayable with --schedule).
    pub schedule: String,
    pub steps: Vec<StepOut>,
    pub syscalls: Vec<SyscallOut>,
    pub outcomes: Vec<OutcomeOut>,
    /// null, or the wait-for cycle.
    pub deadlock: Option<Vec<WaitOut>>,
    pub counters: CountersOut,
    /// Whether the run reached its end (no actor can move).
    pub done: bool,
}

pub fn ret_out(op: &crate::ops::Op, r: Ret) -> RetOut {
    match r {
        Ret::Pages(n) => RetOut::Bytes(op.ret_bytes(n)),
        Ret::Err(e) => RetOut::Errno(e.to_string()),
    }
}

impl RunReport {
    /// The report of `w`'s history. `preset` and `set` describe the policy.
    pub fn new(w: &World, preset: &str, set: &[String], schedule: &str) -> RunReport {
        let h = w
            .hist
            .as_ref()
            .expect("a report needs a world with history");
        let st = &w.st;
        let steps = h
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| StepOut {
                i,
                actor: w.actor_name(s.actor),
                op: match (s.actor, s.op) {
                    (Actor::Task(t), Some(o)) => {
                        Some(st.scenario.tasks[t as usize].ops[o as usize].to_string())
                    }
                    _ => None,
                },
                step: s.name.to_string(),
                note: crate::view::notes_text(&s.notes),
            })
            .collect();
        let syscalls = h
            .syscalls
            .iter()
            .map(|c| {
                let op = &st.scenario.tasks[c.task as usize].ops[c.op as usize];
                SyscallOut {
                    task: st.task_name(c.task).to_string(),
                    op: c.op as usize,
                    text: c.text.clone(),
                    begin: c.begin,
                    end: c.end,
                    ret: c.ret.map(|r| ret_out(op, r)),
                    read: op.is_read().then(|| c.read.clone()),
                }
            })
            .collect();
        let outcomes = h
            .outcomes
            .iter()
            .map(|o| OutcomeOut {
                outcome: o.outcome.name().to_string(),
                step: o.step,
                why: o.why.clone(),
            })
            .collect();
        let deadlock = h.deadlock.as_ref().map(|c| {
            c.iter()
                .map(|wt| WaitOut {
                    actor: w.actor_name(wt.actor),
                    waits_for: wt.need.to_string(),
                    held_by: wt.by.iter().map(|b| w.actor_name(*b)).collect(),
                })
                .collect()
        });
        RunReport {
            scenario: st.scenario.title.clone(),
            fs: st.fs.name().to_string(),
            preset: preset.to_string(),
            set: set.to_vec(),
            schedule: schedule.to_string(),
            steps,
            syscalls,
            outcomes,
            deadlock,
            counters: CountersOut::from(&h.counters),
            done: w.is_done(),
        }
    }

    /// The plain-text form: one line per step, then syscalls, outcomes,
    /// counters and the schedule.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let policy = if self.set.is_empty() {
            self.preset.clone()
        } else {
            format!("{} + {}", self.preset, self.set.join(", "))
        };
        out += &format!("{}\n{} · {}\n\n", self.scenario, self.fs, policy);
        let aw = self
            .steps
            .iter()
            .map(|s| s.actor.len())
            .max()
            .unwrap_or(5)
            .max(5);
        let ow = self
            .steps
            .iter()
            .map(|s| s.op.as_deref().map_or(0, str::len))
            .max()
            .unwrap_or(2)
            .clamp(2, 28);
        let sw = self
            .steps
            .iter()
            .map(|s| s.step.chars().count())
            .max()
            .unwrap_or(4)
            .clamp(4, 40);
        out += &format!(
            "{:>4}  {:<aw$}  {:<ow$}  {:<sw$}  {}\n",
            "#", "actor", "op", "step", "what happened"
        );
        for s in &self.steps {
            out += &format!(
                "{:>4}  {:<aw$}  {:<ow$}  {:<sw$}  {}\n",
                s.i,
                s.actor,
                s.op.as_deref().unwrap_or(""),
                s.step,
                s.note
            );
        }
        out += "\nsyscalls:\n";
        let tw = self
            .syscalls
            .iter()
            .map(|c| c.text.len())
            .max()
            .unwrap_or(4);
        for c in &self.syscalls {
            let ret = match &c.ret {
                Some(RetOut::Bytes(b)) => b.to_string(),
                Some(RetOut::Errno(e)) => e.clone(),
                None => "(did not return)".to_string(),
            };
            let read = c
                .read
                .as_ref()
                .filter(|r| !r.is_empty())
                .map(|r| {
                    format!(
                        "  read {}",
                        crate::view::runs_text(r.iter().map(String::as_str))
                    )
                })
                .unwrap_or_default();
            let when = match c.end {
                Some(e) => format!("steps {}-{}", c.begin, e),
                None => format!("from step {}", c.begin),
            };
            out += &format!(
                "  {:<6} {:<tw$}  = {:<10}{}   ({when})\n",
                c.task, c.text, ret, read
            );
        }
        out += "\noutcomes:\n";
        if self.outcomes.is_empty() {
            out += "  none\n";
        }
        for o in &self.outcomes {
            out += &format!("  {} (step {}): {}\n", o.outcome, o.step, o.why);
        }
        if let Some(c) = &self.deadlock {
            out += "\nwait-for cycle:\n";
            for wt in c {
                out += &format!(
                    "  {} waits for {}, held by {}\n",
                    wt.actor,
                    wt.waits_for,
                    wt.held_by.join(", ")
                );
            }
        }
        let c = &self.counters;
        out += &format!(
            "\ncounters: {} bytes copied by the CPU, {} device I/Os, {} direct writes fell back to buffered",
            c.cpu_bytes_copied, c.device_ios, c.dio_fallbacks
        );
        if !c.lock_wait_steps.is_empty() {
            let waits: Vec<String> = c
                .lock_wait_steps
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect();
            out += &format!("; waiting steps: {}", waits.join(", "));
        }
        out += &format!("\nschedule: {}\n", self.schedule);
        out
    }
}

/// Whether an op is one whose result includes data read.
pub fn op_reads(op: &Op) -> bool {
    op.is_read()
}

/// FNV-1a of a text: the trace digest the native and wasm builds compare.
pub fn digest(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}
