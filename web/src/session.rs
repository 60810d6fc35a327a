//! A simulation: one scenario, a policy, a recorded run (a [`Trace`]) and
//! a cursor into it, earlier runs kept as alternatives, optionally a
//! second policy to compare with, and the explorer run in time slices.
//!
//! Plain Rust over the core's API (`Trace::record`, `branch`,
//! `replay_then`, `Explorer::run`) and its view (`dioscope::view`): no
//! browser, no markup, tested natively. Everything the model says (steps,
//! notes, outcomes, state, why a schedule cannot go on) comes from the
//! core; this module only decides which run is on screen.

use std::rc::Rc;

use dioscope::explore::{Explorer, Options, Progress, Report};
use dioscope::link;
use dioscope::policy::{self, Policy, PresetDef};
use dioscope::sched::Then;
use dioscope::trace::{Divergence, Trace};
use dioscope::view::{self, CountersView, LaneView, OutcomeView, Returned, StateView, StepView};
use dioscope::{Actor, Scenario, World};

/// At most this many earlier runs are kept to go back to.
pub const MAX_ALTS: usize = 6;

/// A policy as the user chose it: a preset, then the scenario's
/// `[policy]` overrides, then knob settings of the user's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Choice {
    pub preset: &'static str,
    /// (knob, value) pairs the user set, each different from what the
    /// preset and the scenario give.
    pub set: Vec<(&'static str, &'static str)>,
}

impl Choice {
    /// The scenario's own preset, nothing changed.
    pub fn of(sc: &Scenario) -> Choice {
        Choice::preset(&sc.setup.preset)
    }

    pub fn preset(name: &str) -> Choice {
        let def = policy::preset_def(name)
            .or_else(|| policy::preset_def(policy::DEFAULT_PRESET))
            .expect("the default preset exists");
        Choice {
            preset: def.name,
            set: Vec::new(),
        }
    }

    pub fn def(&self) -> &'static PresetDef {
        policy::preset_def(self.preset).expect("a Choice names a preset")
    }

    /// The preset with the scenario's `[policy]` applied.
    pub fn base(&self, sc: &Scenario) -> Policy {
        sc.policy(Some(self.preset))
            .or_else(|_| Policy::preset(self.preset))
            .unwrap_or_default()
    }

    pub fn policy(&self, sc: &Scenario) -> Policy {
        let mut p = self.base(sc);
        for (k, v) in &self.set {
            // Names and values come from the core's tables.
            let _ = p.set(k, v);
        }
        p
    }

    /// Sets a knob; a value equal to the base's removes the override.
    pub fn set_knob(&mut self, sc: &Scenario, knob: &str, value: &str) {
        let Some(k) = policy::knob_def(knob) else {
            return;
        };
        let Some(v) = k.values.iter().find(|v| v.name == value) else {
            return;
        };
        self.set.retain(|(n, _)| *n != k.name);
        if self.base(sc).get(k.name) != Some(v.name) {
            self.set.push((k.name, v.name));
            // Keep the knob table's order, so labels read the same way.
            self.set.sort_by_key(|(n, _)| {
                policy::KNOBS
                    .iter()
                    .position(|d| d.name == *n)
                    .unwrap_or(usize::MAX)
            });
        }
    }

    /// "linux-5.8" or "linux-5.8 + dio_pre_invalidate_fail=fail".
    pub fn label(&self) -> String {
        let mut s = self.preset.to_string();
        for (i, (k, v)) in self.set.iter().enumerate() {
            s.push_str(if i == 0 { " + " } else { ", " });
            s.push_str(k);
            s.push('=');
            s.push_str(v);
        }
        s
    }
}

/// A recorded run, with what the views need precomputed.
pub struct Run {
    pub trace: Trace,
    /// Per step: bit t set when task t is inside a syscall at that step.
    pub busy: Vec<u8>,
    /// The schedule as the CLI takes it (`A:3 B dev`), made once.
    pub schedule: String,
    /// The run's world without its history, to put states into: jumping
    /// to a step is then a copy of a state, whatever the run's length
    /// (`Trace::world_at` clones the whole history first, then drops it).
    quiet: World,
}

/// Runs are compared by identity: a new run is a new value (views
/// re-render when the run changes, not when it is equal).
impl PartialEq for Run {
    fn eq(&self, other: &Run) -> bool {
        std::ptr::eq(self, other)
    }
}

/// Syscall results listed per task in the state view (the most recent).
pub const LAST_CALLS: usize = 3;

impl Run {
    pub fn new(trace: Trace) -> Run {
        let busy = view::in_syscall(&trace.end);
        let schedule = trace.schedule().to_string();
        let mut quiet = trace.end.clone();
        quiet.hist = None;
        Run {
            trace,
            busy,
            schedule,
            quiet,
        }
    }

    pub fn len(&self) -> usize {
        self.trace.len()
    }

    /// Outcomes that have fired once `cursor` steps are taken.
    pub fn outcomes_at(&self, cursor: usize) -> Vec<OutcomeView> {
        view::outcomes(&self.trace.end, Some(cursor))
    }

    /// The world after `cursor` steps (no history; clamped to the end).
    pub fn world_at(&self, cursor: usize) -> World {
        self.quiet
            .with_state(self.trace.states[cursor.min(self.trace.len())])
    }

    /// The state after `cursor` steps, as the view shows it.
    pub fn state_at(&self, cursor: usize) -> StateView {
        StateView::of(&self.world_at(cursor))
    }

    /// Step `i` (`None` past the end).
    pub fn step(&self, i: usize) -> Option<StepView> {
        view::step(&self.trace.end, i)
    }

    /// Per task: its last few syscalls that returned before `cursor`.
    pub fn returned_at(&self, cursor: usize) -> Vec<Returned> {
        view::returned(&self.trace.end, cursor, LAST_CALLS)
    }

    /// The run's totals.
    pub fn counters(&self) -> CountersView {
        view::counters(&self.trace.end)
    }
}

/// An earlier run the user can go back to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alt {
    /// What it was, in words ("before the branch at step 7").
    pub label: String,
    pub names: Vec<String>,
    pub cursor: usize,
}

/// The second side of a comparison.
pub struct Comparison {
    pub choice: Choice,
    pub policy: Policy,
    pub run: Rc<Run>,
    /// Where the main run's schedule stopped being possible on this side;
    /// from there on this side went on with the first runnable actor.
    pub div: Option<Divergence>,
}

/// What the last change did to the run, to say it on screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The schedule was replayed under a new policy and stopped being
    /// possible; the run went on with the first runnable actor.
    Diverged(Divergence),
    /// History was branched at this step (the old future is an [`Alt`]).
    Branched { step: usize, actor: String },
    /// Something could not be done (a message from the core).
    Error(String),
    /// A permalink asked for something this run could not give (an
    /// unknown preset or knob, a schedule that no longer replays): each
    /// problem in a sentence.
    Link(Vec<String>),
}

/// What is on screen (see the module's documentation).
pub struct Simulation {
    pub sc: Rc<Scenario>,
    pub choice: Choice,
    pub policy: Policy,
    pub run: Rc<Run>,
    /// Steps taken: the state shown is `run.trace.states[cursor]`.
    pub cursor: usize,
    pub seed: u64,
    pub event: Option<Event>,
    /// Earlier runs, newest first.
    pub alts: Vec<Alt>,
    /// After a branch, the steps from here on were not chosen by anyone
    /// (the first runnable actor went): branching again there replaces
    /// them without keeping them as another run.
    auto_from: Option<usize>,
    pub cmp: Option<Comparison>,
}

fn record(sc: &Scenario, policy: &Policy, names: &[String], then: Then) -> Result<Trace, String> {
    Trace::record(sc, policy, names, then).map_err(|e| e.to_string())
}

impl Simulation {
    /// The scenario under its own preset, run with the first runnable
    /// actor at every step (as `dioscope run` does with no schedule).
    pub fn new(sc: Rc<Scenario>) -> Simulation {
        let choice = Choice::of(&sc);
        let policy = choice.policy(&sc);
        let trace = record(&sc, &policy, &[], Then::First).unwrap_or_else(|_| {
            Trace::record(&sc, &policy, &[], Then::First)
                .unwrap_or_else(|_| unreachable!("a run with no schedule ends"))
        });
        Simulation {
            sc,
            choice,
            policy,
            run: Rc::new(Run::new(trace)),
            cursor: 0,
            seed: 1,
            event: None,
            alts: Vec::new(),
            auto_from: None,
            cmp: None,
        }
    }

    pub fn len(&self) -> usize {
        self.run.len()
    }

    pub fn names(&self) -> Vec<String> {
        self.run.trace.names()
    }

    pub fn world(&self) -> World {
        self.run.world_at(self.at())
    }

    /// How far the cursor goes: the end of the run, or of the compared
    /// run if that one is longer (so both can be followed to their end).
    pub fn span(&self) -> usize {
        let other = self.cmp.as_ref().map_or(0, |c| c.run.len());
        self.len().max(other)
    }

    /// The main run's step at the cursor (the cursor may be past its end
    /// when the compared run is longer).
    pub fn at(&self) -> usize {
        self.cursor.min(self.len())
    }

    pub fn jump(&mut self, cursor: usize) {
        self.cursor = cursor.min(self.span());
    }

    fn push_alt(&mut self, label: String) {
        let alt = Alt {
            label,
            names: self.names(),
            cursor: self.cursor,
        };
        if self.alts.first() != Some(&alt) {
            self.alts.insert(0, alt);
            self.alts.truncate(MAX_ALTS);
        }
    }

    fn set_trace(&mut self, trace: Trace) {
        self.run = Rc::new(Run::new(trace));
        self.recompare();
        self.cursor = self.cursor.min(self.span());
    }

    /// `a` takes the next step. If the recorded run has someone else go
    /// next, history branches here: the old run is kept as an alternative
    /// and the new one goes on with the first runnable actor.
    pub fn choose(&mut self, a: Actor) {
        let c = self.cursor;
        if c >= self.len() {
            return;
        }
        if self.run.trace.actors.get(c) == Some(&a) {
            self.cursor += 1;
            return;
        }
        if !self.world().enabled().contains(a) {
            return;
        }
        match self.run.trace.branch(c, a, Then::First) {
            Ok(t) => {
                let actor = self.run.trace.end.actor_name(a);
                let was = match self.run.trace.actors.get(c) {
                    Some(&b) => self.run.trace.end.actor_name(b),
                    None => "nobody".into(),
                };
                if self.auto_from.is_none_or(|k| c < k) {
                    self.push_alt(format!("step {c}: {was} went next"));
                }
                self.event = Some(Event::Branched { step: c, actor });
                self.set_trace(t);
                self.cursor = c + 1;
                self.auto_from = Some(c + 1);
            }
            Err(e) => self.event = Some(Event::Error(e.to_string())),
        }
    }

    /// Goes back to an earlier run; the current one becomes an alternative.
    pub fn restore(&mut self, i: usize) {
        let Some(alt) = self.alts.get(i).cloned() else {
            return;
        };
        match record(&self.sc, &self.policy, &alt.names, Then::First) {
            Ok(t) => {
                self.alts.remove(i);
                self.push_alt("the run before going back".into());
                self.event = None;
                self.auto_from = None;
                self.set_trace(t);
                self.cursor = alt.cursor.min(self.len());
            }
            Err(e) => self.event = Some(Event::Error(e)),
        }
    }

    /// A new run from the start with the seeded random scheduler (the
    /// CLI's `--seed`). The old run is kept as an alternative.
    pub fn random(&mut self, seed: u64) {
        self.seed = seed;
        if let Ok(t) = record(&self.sc, &self.policy, &[], Then::seeded(seed)) {
            self.push_alt("the run before a random one".into());
            self.event = None;
            self.auto_from = None;
            self.set_trace(t);
            self.cursor = 0;
        }
    }

    /// Back to the first-runnable-actor run at step 0 (policy kept).
    pub fn reset(&mut self) {
        if let Ok(t) = record(&self.sc, &self.policy, &[], Then::First) {
            self.event = None;
            self.auto_from = None;
            self.set_trace(t);
            self.cursor = 0;
        }
    }

    /// Makes the run of these actor names (an explorer's witness) the
    /// current one; the cursor goes to just after `outcome` fired, if it
    /// does, else to the end.
    pub fn load(&mut self, names: &[String], outcome: Option<dioscope::Outcome>) {
        match record(&self.sc, &self.policy, names, Then::First) {
            Ok(t) => {
                self.push_alt("the run before the witness".into());
                self.event = None;
                self.auto_from = None;
                self.set_trace(t);
                let at = outcome.and_then(|o| {
                    self.run
                        .outcomes_at(usize::MAX)
                        .iter()
                        .find(|r| r.outcome == o)
                        .map(|r| r.step + 1)
                });
                self.cursor = at.unwrap_or(self.len());
            }
            Err(e) => self.event = Some(Event::Error(e)),
        }
    }

    /// Changes the policy and replays the current schedule under it. If
    /// the schedule stops being possible, says where and why, and goes on
    /// from there with the first runnable actor.
    pub fn set_choice(&mut self, choice: Choice) {
        if choice == self.choice {
            return;
        }
        let policy = choice.policy(&self.sc);
        self.choice = choice;
        self.policy = policy;
        match self
            .run
            .trace
            .replay_then(&self.sc, &self.policy, Then::First)
        {
            Ok((t, div)) => {
                self.event = div.map(Event::Diverged);
                self.alts.clear();
                self.set_trace(t);
            }
            Err(e) => self.event = Some(Event::Error(e.to_string())),
        }
    }

    pub fn set_knob(&mut self, knob: &str, value: &str) {
        let mut c = self.choice.clone();
        c.set_knob(&self.sc, knob, value);
        self.set_choice(c);
    }

    pub fn set_preset(&mut self, preset: &str) {
        let mut c = Choice::preset(preset);
        // Knobs the user set stay set, unless the new preset has them.
        for (k, v) in self.choice.set.clone() {
            c.set_knob(&self.sc, k, v);
        }
        self.set_choice(c);
    }

    /// Compares with another policy (or stops comparing).
    pub fn compare(&mut self, choice: Option<Choice>) {
        self.cmp = choice.map(|choice| {
            let policy = choice.policy(&self.sc);
            Comparison {
                choice,
                policy,
                run: self.run.clone(),
                div: None,
            }
        });
        self.recompare();
        self.cursor = self.cursor.min(self.span());
    }

    pub fn set_compare_knob(&mut self, knob: &str, value: &str) {
        if let Some(c) = &self.cmp {
            let mut choice = c.choice.clone();
            choice.set_knob(&self.sc, knob, value);
            self.compare(Some(choice));
        }
    }

    pub fn set_compare_preset(&mut self, preset: &str) {
        if let Some(c) = &self.cmp {
            let mut choice = Choice::preset(preset);
            for (k, v) in c.choice.set.clone() {
                choice.set_knob(&self.sc, k, v);
            }
            self.compare(Some(choice));
        }
    }

    /// Replays the main run's schedule under the comparison's policy.
    fn recompare(&mut self) {
        let Some(c) = &mut self.cmp else { return };
        match self.run.trace.replay_then(&self.sc, &c.policy, Then::First) {
            Ok((t, div)) => {
                c.run = Rc::new(Run::new(t));
                c.div = div;
            }
            Err(e) => self.event = Some(Event::Error(e.to_string())),
        }
    }

    /// The lanes of the timeline (the core's, as the email text and the
    /// SVG have them).
    pub fn lanes(&self) -> Vec<LaneView> {
        view::lanes(&self.sc)
    }

    /// Who can go next at the cursor, per lane (nothing once the main run
    /// is over).
    pub fn next(&self) -> Vec<view::NextView> {
        if self.cursor >= self.len() {
            return Vec::new();
        }
        let recorded = self.run.trace.actors.get(self.cursor).copied();
        view::next(&self.world(), recorded)
    }

    /// The policy to compare with when the user asks for a comparison:
    /// the next kernel release after this one (the core's choice).
    pub fn default_comparison(&self) -> Choice {
        Choice::preset(view::next_release(self.choice.preset))
    }
}

/// A knob set from a link: the core's names for it, or why not.
fn knob_of(knob: &str, value: &str) -> Result<(&'static str, &'static str), String> {
    let k = policy::knob_def(knob).ok_or_else(|| format!("the link sets `{knob}`, which is not a knob of this version of dioscope; it is left out"))?;
    let v = k.values.iter().find(|v| v.name == value).ok_or_else(|| {
        format!(
            "the link sets `{knob}` to `{value}`, which is not one of its values; it is left out"
        )
    })?;
    Ok((k.name, v.name))
}

/// A policy from a link (`preset` over the scenario's own, then `set`);
/// what could not be applied is said in `problems`.
fn choice_of(
    sc: &Scenario,
    preset: Option<&str>,
    set: &[(String, String)],
    problems: &mut Vec<String>,
) -> Choice {
    let mut c = Choice::of(sc);
    if let Some(p) = preset {
        match policy::preset_def(p) {
            Some(_) => c = Choice::preset(p),
            None => problems.push(format!(
                "the link asks for the preset `{p}`, which this version of dioscope does not have; the scenario's own ({}) is used",
                c.preset
            )),
        }
    }
    for (k, v) in set {
        match knob_of(k, v) {
            Ok((k, v)) => c.set_knob(sc, k, v),
            Err(e) => problems.push(e),
        }
    }
    c
}

/// The actor names of a schedule, one per step; bounded, since a link's
/// schedule is untrusted (`A:100000 A:100000 ...`).
fn schedule_names(text: &str) -> Result<Vec<String>, String> {
    let s = dioscope::sched::Schedule::parse(text).map_err(|e| e.to_string())?;
    let n = s.len_steps();
    if n > dioscope::sched::MAX_STEPS {
        return Err(format!(
            "the schedule is {n} steps long; a run has at most {}",
            dioscope::sched::MAX_STEPS
        ));
    }
    Ok(s.0
        .iter()
        .flat_map(|t| std::iter::repeat_n(t.actor.clone(), t.times as usize))
        .collect())
}

impl Simulation {
    /// The session as a permalink carries it, the view at step `cursor`.
    /// The preset is left out when it is the scenario's own.
    pub fn to_link(&self, cursor: u32) -> link::Session {
        let set = |c: &Choice| -> Vec<(String, String)> {
            c.set
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        link::Session {
            scenario: self.sc.source.clone(),
            preset: (self.choice.preset != Choice::of(&self.sc).preset)
                .then(|| self.choice.preset.to_string()),
            set: set(&self.choice),
            schedule: self.run.schedule.clone(),
            cursor,
            compare: self.cmp.as_ref().map(|c| link::Compare {
                preset: Some(c.choice.preset.to_string()),
                set: set(&c.choice),
            }),
        }
    }

    /// The session a permalink describes, on `sc` (the scenario parsed
    /// from the link's text): its policy, its schedule replayed, compare
    /// mode, the cursor. Whatever cannot be restored (an unknown preset or
    /// knob, a schedule that no longer replays) is said in
    /// [`Event::Link`]; the rest is restored, and the run always ends.
    pub fn from_link(sc: Rc<Scenario>, l: &link::Session) -> Simulation {
        let mut problems = Vec::new();
        let choice = choice_of(&sc, l.preset.as_deref(), &l.set, &mut problems);
        let mut s = Simulation::new(sc);
        s.choice = choice;
        s.policy = s.choice.policy(&s.sc);
        let names = schedule_names(&l.schedule).unwrap_or_else(|e| {
            problems.push(format!(
                "the link's schedule cannot be read ({e}); the run goes with the first runnable actor"
            ));
            Vec::new()
        });
        let trace = match Trace::record(&s.sc, &s.policy, &names, Then::First) {
            Ok(t) => t,
            Err(e) => {
                // Follow it as far as it goes, then the first runnable.
                let upto = e.step.unwrap_or(0).min(names.len());
                problems.push(format!(
                    "the link's schedule no longer replays ({e}); the run follows it up to step {upto}, then the first runnable actor goes"
                ));
                Trace::record(&s.sc, &s.policy, &names[..upto], Then::First)
                    .or_else(|_| Trace::record(&s.sc, &s.policy, &[], Then::First))
                    .unwrap_or_else(|_| unreachable!("a run with the first runnable actor ends"))
            }
        };
        s.run = Rc::new(Run::new(trace));
        if let Some(c) = &l.compare {
            let cb = choice_of(&s.sc, c.preset.as_deref(), &c.set, &mut problems);
            s.compare(Some(cb));
        }
        let cursor = l.cursor as usize;
        if cursor > s.span() && problems.is_empty() {
            problems.push(format!(
                "the link points at step {cursor}, past the end of the run ({} steps)",
                s.span()
            ));
        }
        s.cursor = cursor.min(s.span());
        if !problems.is_empty() {
            s.event = Some(Event::Link(problems));
        }
        s
    }
}

/// Milliseconds of exploring per time slice, after which the page gets
/// the thread back (to draw, to take a click on Cancel).
pub const SLICE_MS: f64 = 12.0;
/// Transitions explored between two looks at the clock.
const SLICE_STEP: usize = 64;

/// The explorer at work on a simulation's scenario and policy, in slices
/// of about [`SLICE_MS`] of computing each. The clock is the caller's (the
/// page's `performance.now()`; a counter in the tests).
pub struct Exploration {
    ex: Explorer,
    t0: f64,
    /// Time spent computing (the rest is the page's own work).
    busy: f64,
    /// The policy explored, in words.
    pub label: String,
}

/// What an exploration found.
pub struct Explored {
    pub report: Rc<Report>,
    /// From start to finish, as the user waited.
    pub ms: f64,
    /// Of which computing.
    pub busy: f64,
    pub label: String,
}

impl Exploration {
    /// Every interleaving of the simulation's scenario under its policy
    /// (with the sleep-set reduction), from `now`.
    pub fn start(s: &Simulation, now: f64) -> Exploration {
        let start = World::new_quiet(&s.sc, &s.policy);
        let opts = Options {
            reduction: true,
            ..Default::default()
        };
        Exploration {
            ex: Explorer::new(&start, opts),
            t0: now,
            busy: 0.0,
            label: s.choice.label(),
        }
    }

    pub fn progress(&self) -> Progress {
        self.ex.progress()
    }

    /// Explores until the search is done or [`SLICE_MS`] have passed on
    /// `clock`; true when it is done ([`Exploration::finish`] then).
    pub fn slice(&mut self, clock: &mut dyn FnMut() -> f64) -> bool {
        let t = clock();
        let mut done = false;
        let mut now = t;
        while !done && now - t < SLICE_MS {
            done = self.ex.run(SLICE_STEP);
            now = clock();
        }
        self.busy += now - t;
        done
    }

    /// The verdicts so far: all of them once [`Exploration::slice`] said
    /// done, else what the runs explored show, marked not proven.
    pub fn finish(mut self, now: f64, cancel: bool) -> Explored {
        if cancel {
            self.ex.cancel();
        }
        Explored {
            ms: now - self.t0,
            busy: self.busy,
            label: self.label,
            report: Rc::new(self.ex.finish()),
        }
    }

    /// Stops the search (a policy change makes it moot).
    pub fn cancel(&mut self) {
        self.ex.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dioscope::Outcome;

    fn session(id: &str) -> Simulation {
        let sc = dioscope::library::find(id).unwrap().parse().unwrap();
        Simulation::new(Rc::new(sc))
    }

    fn names(s: &str) -> Vec<String> {
        dioscope::sched::Schedule::parse(s)
            .unwrap()
            .0
            .iter()
            .flat_map(|t| std::iter::repeat_n(t.actor.clone(), t.times as usize))
            .collect()
    }

    #[test]
    fn a_new_session_runs_the_scenario_to_its_end() {
        let s = session("dio-write-vs-mmap-store");
        assert_eq!(s.choice.preset, "linux-5.8");
        assert!(s.len() > 5);
        assert!(s.run.trace.end.is_done());
        assert_eq!(s.cursor, 0);
        let lanes: Vec<String> = s.lanes().into_iter().map(|l| l.name).collect();
        assert_eq!(lanes, ["A", "B", "dev"]);
        assert_eq!(s.run.busy.len(), s.len());
        assert!(s.run.busy[0] & 1 != 0, "A is in a syscall at step 0");
    }

    #[test]
    fn choosing_the_recorded_actor_steps_and_another_branches() {
        let mut s = session("dio-write-vs-mmap-store");
        let first = s.run.trace.actors[0];
        s.choose(first);
        assert_eq!(s.cursor, 1);
        assert!(s.alts.is_empty());
        // Step A to 3, then B instead of A: a branch, the old run kept.
        s.jump(3);
        let old = s.names();
        let b = Actor::Task(1);
        assert!(s.world().enabled().contains(b));
        assert_ne!(s.run.trace.actors[3], b);
        s.choose(b);
        assert_eq!(s.cursor, 4);
        assert_eq!(s.run.trace.actors[3], b);
        assert_eq!(&s.names()[..3], &old[..3]);
        assert_eq!(s.alts.len(), 1);
        assert_eq!(s.alts[0].names, old);
        assert_eq!(
            s.event,
            Some(Event::Branched {
                step: 3,
                actor: "B".into()
            })
        );
        // Choosing on from there does not pile up runs: what followed the
        // branch was nobody's choice.
        s.choose(Actor::Task(1));
        s.choose(Actor::Task(1));
        assert_eq!(s.alts.len(), 1, "{:?}", s.alts);
        assert_eq!(&s.names()[3..6], &["B", "B", "B"]);
        s.jump(4);
        // Going back restores the old run and keeps the branch.
        s.restore(0);
        assert_eq!(s.names(), old);
        assert_eq!(s.cursor, 3);
        assert_eq!(s.alts.len(), 1);
        assert_eq!(s.alts[0].names[3], "B");
        assert_eq!(s.alts[0].cursor, 4);
    }

    #[test]
    fn the_thread_2020_07_schedule_gives_spurious_eio_on_5_8_and_not_on_5_9() {
        let mut s = session("dio-write-vs-mmap-store");
        s.load(&names("A:3 B:3"), Some(Outcome::SpuriousEio));
        let fired: Vec<Outcome> = s
            .run
            .outcomes_at(usize::MAX)
            .iter()
            .map(|o| o.outcome)
            .collect();
        assert!(fired.contains(&Outcome::SpuriousEio), "{fired:?}");
        // The cursor is just after it fired.
        let o = s
            .run
            .outcomes_at(s.cursor)
            .into_iter()
            .find(|o| o.outcome == Outcome::SpuriousEio)
            .expect("visible at the cursor");
        assert_eq!(o.step + 1, s.cursor);
        assert!(o.major);
        assert!(s
            .run
            .outcomes_at(o.step)
            .iter()
            .all(|x| x.outcome != Outcome::SpuriousEio));

        s.compare(Some(Choice::preset("linux-5.9")));
        let c = s.cmp.as_ref().unwrap();
        assert_eq!(c.policy, Policy::preset("linux-5.9").unwrap());
        let other: Vec<Outcome> = c
            .run
            .outcomes_at(usize::MAX)
            .iter()
            .map(|o| o.outcome)
            .collect();
        assert!(!other.contains(&Outcome::SpuriousEio), "{other:?}");
        assert!(c.run.trace.end.is_done());
        // 5.9 falls back to a buffered write: the schedule cannot be
        // followed step for step, and the core says where and why.
        let d = c.div.as_ref().expect("the schedules part");
        assert!(d.step < s.len());
        assert!(!d.why.is_empty());
    }

    #[test]
    fn changing_the_policy_replays_the_schedule() {
        let mut s = session("dio-write-vs-mmap-store");
        s.load(&names("A:3 B:3"), None);
        s.jump(6);
        let before = s.names();
        s.set_knob("dio_pre_invalidate_fail", "fail");
        assert_eq!(s.choice.label(), "linux-5.8 + dio_pre_invalidate_fail=fail");
        assert_eq!(s.policy.get("dio_pre_invalidate_fail"), Some("fail"));
        assert_eq!(&s.names()[..6], &before[..6]);
        assert_eq!(s.cursor, 6);
        assert!(
            view::calls(&s.run.trace.end)
                .iter()
                .any(|c| c.text == "write 0-1 direct"
                    && c.ret.as_ref().is_some_and(|r| r.value == "-EBUSY")),
            "the direct write fails with -EBUSY"
        );
        // Setting the preset's value back removes the override.
        s.set_knob("dio_pre_invalidate_fail", "warn-eio");
        assert!(s.choice.set.is_empty());
        assert_eq!(s.names(), before);
        // Changing the preset keeps the user's knobs.
        s.set_knob("wb_error_report", "as-eio-flag");
        s.set_preset("linux-5.9");
        assert_eq!(s.choice.preset, "linux-5.9");
        assert_eq!(s.choice.set, vec![("wb_error_report", "as-eio-flag")]);
    }

    #[test]
    fn a_divergence_says_where_and_why() {
        let mut s = session("dio-write-vs-mmap-store");
        s.load(&names("A:3 B:3"), None);
        s.set_preset("linux-5.9");
        match &s.event {
            Some(Event::Diverged(d)) => {
                assert!(d.step >= 6, "{d:?}");
                assert!(!d.why.is_empty());
            }
            e => panic!("expected a divergence, got {e:?}"),
        }
        assert!(s.run.trace.end.is_done());
    }

    #[test]
    fn world_at_is_the_trace_s_world_at() {
        let s = session("btrfs-dio-mmap-eio");
        for i in [0, 1, s.len() / 2, s.len(), s.len() + 3] {
            let a = s.run.world_at(i);
            let b = s.run.trace.world_at(i);
            assert_eq!(a.s, b.s, "{i}");
            assert!(a.hist.is_none());
            assert_eq!(
                a.enabled().iter().collect::<Vec<_>>(),
                b.enabled().iter().collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn random_runs_are_reproducible_from_the_seed() {
        let mut s = session("btrfs-dio-mmap-eio");
        s.random(7);
        let a = s.names();
        s.random(8);
        s.random(7);
        assert_eq!(s.names(), a);
        assert_eq!(s.seed, 7);
        assert!(s.alts.len() >= 2);
        // The same run as the CLI's `run --seed 7`.
        let spec = dioscope::run::RunSpec {
            seed: Some(7),
            ..Default::default()
        };
        let (_, sched) = spec.run(&s.sc).unwrap();
        assert_eq!(sched.to_string(), s.run.trace.schedule().to_string());
        s.reset();
        assert_eq!(s.cursor, 0);
    }

    #[test]
    fn every_bundled_scenario_opens_and_explores() {
        for b in dioscope::library::bundled() {
            let s = Simulation::new(Rc::new(b.parse().unwrap()));
            assert!(s.run.trace.end.is_done(), "{}", b.id());
            for a in s.run.trace.actors.iter() {
                assert!(view::lane_of(&s.sc, *a) < s.lanes().len(), "{}", b.id());
            }
        }
    }

    #[test]
    fn a_session_round_trips_through_a_link() {
        let mut s = session("dio-write-vs-mmap-store");
        s.load(&names("A:3 B:3"), None);
        s.set_knob("wb_error_report", "as-eio-flag");
        s.compare(Some(Choice::preset("linux-5.9")));
        s.set_compare_knob("dio_read_invalidate", "yes");
        s.jump(7);
        let l = s.to_link(s.cursor as u32);
        assert_eq!(l.preset, None, "the scenario's own preset is left out");
        assert_eq!(
            l.set,
            vec![("wb_error_report".into(), "as-eio-flag".into())]
        );
        assert_eq!(l.schedule, s.run.schedule);
        let back = link::Session::decode(&l.url("http://x/").unwrap()).unwrap();
        assert_eq!(back, l);
        let t = Simulation::from_link(s.sc.clone(), &back);
        assert_eq!(t.event, None);
        assert_eq!(t.choice, s.choice);
        assert_eq!(t.names(), s.names());
        assert_eq!(t.cursor, 7);
        let (a, b) = (t.cmp.as_ref().unwrap(), s.cmp.as_ref().unwrap());
        assert_eq!(a.choice, b.choice);
        assert_eq!(a.run.trace.names(), b.run.trace.names());
        assert_eq!(a.div, b.div);
        // And again: the same link.
        assert_eq!(t.to_link(7), l);

        // Another preset is carried by name.
        s.set_preset("linux-6.15");
        assert_eq!(s.to_link(0).preset.as_deref(), Some("linux-6.15"));
        let u = Simulation::from_link(s.sc.clone(), &s.to_link(0));
        assert_eq!(u.choice, s.choice);
        assert!(u.cmp.is_some());
    }

    #[test]
    fn what_a_link_asks_for_and_cannot_have_is_said() {
        let s = session("dio-write-vs-mmap-store");
        let mut l = s.to_link(3);
        l.preset = Some("linux-9.9".into());
        l.set = vec![
            ("no_such_knob".into(), "x".into()),
            ("dio_pre_invalidate_fail".into(), "sometimes".into()),
            ("dio_pre_invalidate_fail".into(), "fail".into()),
        ];
        let t = Simulation::from_link(s.sc.clone(), &l);
        let Some(Event::Link(p)) = &t.event else {
            panic!("{:?}", t.event)
        };
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(
            p[0].contains("linux-9.9") && p[0].contains("linux-5.8"),
            "{p:?}"
        );
        assert!(p[1].contains("no_such_knob"), "{p:?}");
        assert!(p[2].contains("sometimes"), "{p:?}");
        // What could be applied was.
        assert_eq!(t.choice.label(), "linux-5.8 + dio_pre_invalidate_fail=fail");
        assert!(t.run.trace.end.is_done());
        assert_eq!(t.cursor, 3);
    }

    #[test]
    fn a_schedule_that_no_longer_replays_is_followed_as_far_as_it_goes() {
        let s = session("dio-write-vs-mmap-store");
        let mut l = s.to_link(50);
        // B has one op; a fourth step of B after three cannot be.
        l.schedule = "A:3 B:3 B:5 A".into();
        let t = Simulation::from_link(s.sc.clone(), &l);
        let Some(Event::Link(p)) = &t.event else {
            panic!("{:?}", t.event)
        };
        assert!(p[0].contains("no longer replays"), "{p:?}");
        assert!(p[0].contains("step 6"), "{p:?}");
        assert_eq!(&t.names()[..6], &names("A:3 B:3")[..]);
        assert!(t.run.trace.end.is_done());
        assert!(t.cursor <= t.span());

        // Unreadable, and absurdly long: said, never expanded.
        for bad in ["A:x", "A:100000 B:100000 A:100000"] {
            l.schedule = bad.into();
            let t = Simulation::from_link(s.sc.clone(), &l);
            let Some(Event::Link(p)) = &t.event else {
                panic!("{:?}", t.event)
            };
            assert!(p[0].contains("cannot be read"), "{p:?}");
            assert!(t.run.trace.end.is_done());
        }
    }

    /// A clock that advances `ms` at every look.
    fn ticking(ms: f64) -> impl FnMut() -> f64 {
        let mut t = 0.0;
        move || {
            t += ms;
            t
        }
    }

    #[test]
    fn the_explorer_runs_in_slices_and_finds_what_the_core_finds() {
        let s = session("dio-write-vs-mmap-store");
        // A slice looks at the clock after each batch of transitions:
        // with a clock that moves SLICE_MS at every look, a slice is one
        // batch.
        let mut clock = ticking(SLICE_MS);
        let mut e = Exploration::start(&s, clock());
        assert_eq!(e.label, "linux-5.8");
        let mut slices = 0;
        while !e.slice(&mut clock) {
            slices += 1;
            // A slice ends once SLICE_MS have passed on the clock.
            assert!(e.busy >= slices as f64 * SLICE_MS, "{}", e.busy);
            assert!(e.progress().states > 0);
        }
        assert!(slices > 0, "one batch explored it all");
        let x = e.finish(clock(), false);
        assert!(x.ms >= x.busy && x.busy > 0.0);
        // The same verdicts as the core's explorer run in one go.
        let start = World::new_quiet(&s.sc, &s.policy);
        let whole = dioscope::explore::explore(
            &start,
            &Options {
                reduction: true,
                ..Default::default()
            },
            |_| true,
        );
        assert!(x.report.stats.complete);
        assert_eq!(x.report.stats.states, whole.stats.states);
        for (a, b) in x.report.verdicts.iter().zip(&whole.verdicts) {
            assert_eq!(
                (a.outcome, a.verdict, a.proven),
                (b.outcome, b.verdict, b.proven)
            );
            assert_eq!(a.witness, b.witness);
        }
    }

    #[test]
    fn a_cancelled_exploration_says_what_it_saw_and_proves_nothing() {
        let s = session("dio-write-vs-mmap-store");
        let mut clock = ticking(SLICE_MS / 4.0);
        let mut e = Exploration::start(&s, clock());
        assert!(
            !e.slice(&mut clock),
            "four looks at the clock are not enough"
        );
        let x = e.finish(clock(), true);
        assert!(!x.report.stats.complete);
        assert!(x.report.stats.stopped_by.is_some());
        assert!(x
            .report
            .verdicts
            .iter()
            .all(|v| !v.proven || v.verdict == dioscope::Verdict::Sometimes));
    }

    #[test]
    fn the_default_comparison_is_the_core_s_next_release() {
        let s = session("dio-write-vs-mmap-store");
        assert_eq!(s.default_comparison().preset, "linux-5.9");
        assert_eq!(
            s.default_comparison().preset,
            view::next_release(s.choice.preset)
        );
    }
}
