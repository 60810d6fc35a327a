//! The human-readable record of a run: steps with notes, syscalls with their
//! results, outcomes with explanations, counters. Not part of the state:
//! the explorer runs without it and replays a witness to get one.

use std::collections::BTreeMap;

use crate::outcome::Outcome;
use crate::world::{Actor, Ret, StepInfo, Wait};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepRecord {
    pub actor: Actor,
    /// For task steps: the op index.
    pub op: Option<u8>,
    pub name: &'static str,
    /// What the step changed or decided, in words.
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyscallRecord {
    pub task: u8,
    pub op: u8,
    pub text: String,
    /// Step index of its first step.
    pub begin: usize,
    /// Step index of the step it returned at.
    pub end: Option<usize>,
    pub ret: Option<Ret>,
    /// For reads: the version per page, e.g. ["A1", "zero"] (per byte
    /// range where parts of a page differ: "B1+init").
    pub read: Vec<String>,
    /// While the read runs: what it got per page, in completion order.
    pub got: Vec<(u8, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutcomeRecord {
    pub outcome: Outcome,
    pub step: usize,
    pub why: String,
}

/// Counters kept for every run (docs/outcomes.md).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Bytes copied by the CPU (buffered copies, DAX memcpy).
    pub cpu_bytes: u64,
    /// Bios completed by the device (flushes included).
    pub device_ios: u64,
    /// Steps spent waiting, per lock or wait kind (one per blocked actor per step).
    pub lock_waits: BTreeMap<String, u64>,
    /// Direct writes that fell back to buffered I/O.
    pub dio_fallbacks: u64,
}

#[derive(Clone, Debug, Default)]
pub struct History {
    pub steps: Vec<StepRecord>,
    pub syscalls: Vec<SyscallRecord>,
    pub outcomes: Vec<OutcomeRecord>,
    pub counters: Counters,
    /// The wait-for cycle, if the run ended in a deadlock.
    pub deadlock: Option<Vec<Wait>>,
    /// Step and task of the fsync that a spurious-eio verdict points at.
    pub spurious_at: Option<(usize, u8)>,
}

impl History {
    pub(crate) fn begin_step(&mut self, a: Actor) {
        self.steps.push(StepRecord {
            actor: a,
            op: None,
            name: "",
            notes: Vec::new(),
        });
    }

    pub(crate) fn end_step(&mut self, info: StepInfo) {
        let s = self.steps.last_mut().unwrap();
        s.name = info.name;
        s.op = info.op;
    }

    pub(crate) fn note(&mut self, s: String) {
        if let Some(step) = self.steps.last_mut() {
            step.notes.push(s);
        }
    }
}
