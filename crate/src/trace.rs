//! A recorded run, as the UI's timeline needs it: the state after every
//! step (so that jumping to any step is a lookup, not a replay), the actors,
//! and the full history. Branching at a step and replaying the same
//! schedule under another policy are built on it.

use crate::policy::Policy;
use crate::scenario::Scenario;
use crate::sched::{self, Schedule, ScheduleError, Then};
use crate::world::{Actor, State, World};

#[derive(Clone)]
pub struct Trace {
    /// `states[0]` is the initial state; `states[i + 1]` follows step i.
    pub states: Vec<State>,
    /// The actor of each step.
    pub actors: Vec<Actor>,
    /// The world at the end, with the whole history.
    pub end: World,
}

/// Where a schedule stops being possible under another policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Divergence {
    /// The step that could not be taken.
    pub step: usize,
    pub actor: String,
    pub why: String,
}

impl Trace {
    /// Runs `scenario` under `policy`: the actors `names` first, then `then`
    /// to the end.
    pub fn record(
        scenario: &Scenario,
        policy: &Policy,
        names: &[String],
        then: Then,
    ) -> Result<Trace, ScheduleError> {
        let start = World::new(scenario, policy);
        Trace::from_world(start, names, then)
    }

    fn from_world(mut w: World, names: &[String], mut then: Then) -> Result<Trace, ScheduleError> {
        let mut states = vec![w.s];
        let mut actors = Vec::new();
        for (i, n) in names.iter().enumerate() {
            let a = sched::resolve(&w, n)
                .filter(|a| w.enabled().contains(*a))
                .ok_or_else(|| ScheduleError {
                    msg: format!(
                        "`{n}` cannot run: {}",
                        sched::why_not(&w, n, sched::resolve(&w, n))
                    ),
                    at: 0,
                    step: Some(i),
                })?;
            w.step_enabled(a);
            states.push(w.s);
            actors.push(a);
        }
        while let Some(a) = then.pick(&w) {
            if actors.len() >= sched::MAX_STEPS {
                return Err(ScheduleError {
                    msg: format!("the run did not end within {} steps", sched::MAX_STEPS),
                    at: 0,
                    step: Some(actors.len()),
                });
            }
            w.step_enabled(a);
            states.push(w.s);
            actors.push(a);
        }
        Ok(Trace {
            states,
            actors,
            end: w,
        })
    }

    /// Number of steps.
    pub fn len(&self) -> usize {
        self.actors.len()
    }

    pub fn is_empty(&self) -> bool {
        self.actors.is_empty()
    }

    /// The world after `i` steps (no history; `i` is clamped).
    pub fn world_at(&self, i: usize) -> World {
        self.end.with_state(self.states[i.min(self.len())])
    }

    /// The actor names of the whole run.
    pub fn names(&self) -> Vec<String> {
        self.actors
            .iter()
            .map(|a| self.end.actor_name(*a))
            .collect()
    }

    pub fn schedule(&self) -> Schedule {
        Schedule::from_actors(&self.names())
    }

    /// The same run up to step `i`, then `a`, then `then` to the end: a
    /// branch of history.
    pub fn branch(&self, i: usize, a: Actor, then: Then) -> Result<Trace, ScheduleError> {
        let mut names = self.names();
        names.truncate(i);
        let start = self.end.with_state(self.states[0]).recording();
        let mut prefix = names;
        prefix.push(self.end.actor_name(a));
        Trace::from_world(start, &prefix, then)
    }

    /// This trace's schedule replayed under `policy` as far as it goes (then
    /// stopped there: nothing runs past the divergence, so the two runs stay
    /// step for step comparable).
    pub fn replay_under(
        &self,
        scenario: &Scenario,
        policy: &Policy,
    ) -> (Trace, Option<Divergence>) {
        let mut w = World::new(scenario, policy);
        let mut states = vec![w.s];
        let mut actors = Vec::new();
        for (i, n) in self.names().iter().enumerate() {
            let a = sched::resolve(&w, n).filter(|a| w.enabled().contains(*a));
            let Some(a) = a else {
                let why = sched::why_not(&w, n, sched::resolve(&w, n));
                return (
                    Trace {
                        states,
                        actors,
                        end: w,
                    },
                    Some(Divergence {
                        step: i,
                        actor: n.clone(),
                        why,
                    }),
                );
            };
            w.step_enabled(a);
            states.push(w.s);
            actors.push(a);
        }
        (
            Trace {
                states,
                actors,
                end: w,
            },
            None,
        )
    }
}

impl Trace {
    /// Like [`Trace::replay_under`], but when the schedule stops being
    /// possible, the run goes on with `then` to its end (so both sides
    /// finish and their outcomes can be compared).
    pub fn replay_then(
        &self,
        scenario: &Scenario,
        policy: &Policy,
        then: Then,
    ) -> Result<(Trace, Option<Divergence>), ScheduleError> {
        let (t, div) = self.replay_under(scenario, policy);
        let full = Trace::record(scenario, policy, &t.names(), then)?;
        Ok((full, div))
    }
}

impl World {
    /// This world's scenario and policy at another state (no history).
    pub fn with_state(&self, s: State) -> World {
        World::from_parts(self.st.clone(), s)
    }

    /// The same world, recording history from here on.
    pub fn recording(mut self) -> World {
        self.hist = Some(Box::default());
        self
    }
}
