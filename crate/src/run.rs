//! One run of a scenario under a policy and a schedule: the entry point the
//! CLI and the web app share.

use std::fmt;

use crate::policy::{KnobError, Policy};
use crate::scenario::Scenario;
use crate::sched::{self, Schedule, ScheduleError, Then};
use crate::world::World;

/// Everything that determines a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunSpec {
    /// The preset; `None` for the scenario's own.
    pub preset: Option<String>,
    /// Knob overrides, applied after the scenario's `[policy]`.
    pub set: Vec<(String, String)>,
    pub schedule: String,
    /// Continue with a seeded random scheduler after the schedule.
    pub seed: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunError {
    Policy(KnobError),
    Schedule(ScheduleError),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Policy(e) => write!(f, "{e}"),
            RunError::Schedule(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for RunError {}

impl RunSpec {
    pub fn preset_name<'a>(&'a self, sc: &'a Scenario) -> &'a str {
        self.preset.as_deref().unwrap_or(&sc.setup.preset)
    }

    /// The policy: preset, then the scenario's `[policy]`, then `set`.
    pub fn policy(&self, sc: &Scenario) -> Result<Policy, RunError> {
        let mut p = sc
            .policy(self.preset.as_deref())
            .map_err(RunError::Policy)?;
        for (k, v) in &self.set {
            p.set(k, v).map_err(RunError::Policy)?;
        }
        Ok(p)
    }

    /// Runs to the end. Returns the world (with history) and the full
    /// schedule taken.
    pub fn run(&self, sc: &Scenario) -> Result<(World, Schedule), RunError> {
        self.run_capped(sc, sched::MAX_STEPS)
    }

    /// [`RunSpec::run`], with a step cap: a run that does not end within
    /// `max_steps` steps is an error.
    pub fn run_capped(
        &self,
        sc: &Scenario,
        max_steps: usize,
    ) -> Result<(World, Schedule), RunError> {
        let policy = self.policy(sc)?;
        let sched = Schedule::parse(&self.schedule).map_err(RunError::Schedule)?;
        let mut w = World::new(sc, &policy);
        let then = match self.seed {
            Some(s) => Then::seeded(s),
            None => Then::First,
        };
        let taken =
            sched::run_capped(&mut w, &sched, then, max_steps).map_err(RunError::Schedule)?;
        Ok((w, Schedule::from_actors(&taken)))
    }

    /// The `--set` overrides as "knob=value" strings.
    pub fn set_strings(&self) -> Vec<String> {
        self.set.iter().map(|(k, v)| format!("{k}={v}")).collect()
    }
}

/// Parses `knob=value`.
pub fn parse_set(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => {
            Ok((k.trim().to_string(), v.trim().to_string()))
        }
        _ => Err(format!(
            "`{s}`: expected knob=value, e.g. dio_gup_fault=nofault-retry"
        )),
    }
}
