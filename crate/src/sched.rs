//! Schedules: which actor takes each step, written as actor names
//! (`"A A dev B"`, `A:3` for three steps of A, `dev@1` for the device's
//! second-oldest bio). A run replays a schedule, then goes on with the
//! seeded random scheduler (ChaCha8) or the first runnable actor.

use std::fmt;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::world::{Actor, StepError, World};

/// One schedule token: an actor name (as written) and a repeat count.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Token {
    pub actor: String,
    pub times: u32,
    /// Byte offset in the schedule text, for messages.
    pub at: usize,
}

/// A parsed schedule.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Schedule(pub Vec<Token>);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleError {
    pub msg: String,
    /// Byte offset of the token in the schedule text.
    pub at: usize,
    /// The step it failed at, if it failed while running.
    pub step: Option<usize>,
}

impl fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.step {
            Some(s) => write!(f, "schedule, step {s}: {}", self.msg),
            None => write!(f, "schedule: {}", self.msg),
        }
    }
}

impl std::error::Error for ScheduleError {}

/// Longest run a driver takes before giving up (a safety net: scenarios
/// are finite and every op ends, so runs end long before this). Every
/// scheduler (replay, first runnable, seeded, timed) stops here with an
/// error that says so: a run cut short is never reported as a run.
pub const MAX_STEPS: usize = 100_000;

/// The error of a run stopped at the step cap, at step `step`.
pub fn step_cap_error(max_steps: usize) -> ScheduleError {
    ScheduleError {
        msg: format!(
            "the run hit the step cap: it did not end within {max_steps} steps (a livelock?)"
        ),
        at: 0,
        step: Some(max_steps),
    }
}

impl Schedule {
    pub fn parse(text: &str) -> Result<Schedule, ScheduleError> {
        let mut out = Vec::new();
        let mut i = 0;
        for word in text.split(|c: char| c.is_whitespace() || c == ',') {
            let at = text[i..].find(word).map_or(i, |o| i + o);
            i = at + word.len();
            if word.is_empty() {
                continue;
            }
            let (name, times) = match word.split_once(':') {
                Some((n, k)) => {
                    let k: u32 = k.parse().map_err(|_| ScheduleError {
                        msg: format!("`{word}`: the count after `:` must be a number, like `A:3`"),
                        at,
                        step: None,
                    })?;
                    if k == 0 || k > MAX_STEPS as u32 {
                        return Err(ScheduleError {
                            msg: format!("`{word}`: the count must be 1 to {MAX_STEPS}"),
                            at,
                            step: None,
                        });
                    }
                    (n, k)
                }
                None => (word, 1),
            };
            if name.is_empty() {
                return Err(ScheduleError {
                    msg: format!("`{word}` names no actor"),
                    at,
                    step: None,
                });
            }
            out.push(Token {
                actor: name.to_string(),
                times,
                at,
            });
        }
        Ok(Schedule(out))
    }

    /// The schedule as text, with repeats compressed (`A:3 dev B`).
    pub fn from_actors(names: &[String]) -> Schedule {
        let mut out: Vec<Token> = Vec::new();
        for n in names {
            match out.last_mut() {
                Some(t) if &t.actor == n => t.times += 1,
                _ => out.push(Token {
                    actor: n.clone(),
                    times: 1,
                    at: 0,
                }),
            }
        }
        Schedule(out)
    }

    pub fn len_steps(&self) -> usize {
        self.0.iter().map(|t| t.times as usize).sum()
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|t| {
                if t.times == 1 {
                    t.actor.clone()
                } else {
                    format!("{}:{}", t.actor, t.times)
                }
            })
            .collect();
        f.write_str(&parts.join(" "))
    }
}

/// Resolves an actor name in the current world.
pub fn resolve(w: &World, name: &str) -> Option<Actor> {
    match name {
        "dev" => Some(Actor::Dev(0)),
        "flush" => Some(Actor::Flush),
        "reclaim" => Some(Actor::Reclaim),
        _ => {
            if let Some(k) = name.strip_prefix("dev@") {
                return k.parse::<u8>().ok().map(Actor::Dev);
            }
            w.st.scenario.task_index(name).map(|t| Actor::Task(t as u8))
        }
    }
}

/// Explains why `a` (named `name`) cannot take the next step.
pub fn why_not(w: &World, name: &str, a: Option<Actor>) -> String {
    let Some(a) = a else {
        let tasks: Vec<&str> =
            w.st.scenario
                .tasks
                .iter()
                .map(|t| t.name.as_str())
                .collect();
        return format!(
            "`{name}` is not an actor; actors are {}, dev, flush, reclaim",
            tasks.join(", ")
        );
    };
    let runnable: Vec<String> = w.enabled().iter().map(|x| w.actor_name(x)).collect();
    let alt = if runnable.is_empty() {
        "nothing can run".to_string()
    } else {
        format!("runnable: {}", runnable.join(", "))
    };
    let err = match a {
        Actor::Dev(k) if w.enabled().contains(a) => return format!("dev@{k} is runnable"),
        _ => {
            let mut probe = w.clone();
            probe.hist = None;
            probe.step(a).err()
        }
    };
    let reason = match err {
        Some(StepError::Finished) => format!("{name} has finished its ops"),
        Some(StepError::Blocked { on, by }) => {
            let by: Vec<String> = by.iter().map(|b| w.actor_name(*b)).collect();
            if by.is_empty() {
                format!("{name} is waiting for {on}")
            } else {
                format!("{name} is waiting for {on} (held by {})", by.join(", "))
            }
        }
        Some(StepError::NotRunning) => match a {
            Actor::Dev(_) if w.s.dev.nbios == 0 => "the device has no bio in flight".to_string(),
            Actor::Dev(k) => format!(
                "the device has only {} bios in flight (dev@{k} is the {}th)",
                w.s.dev.nbios,
                k + 1
            ),
            Actor::Flush if !w.st.scenario.setup.flusher => {
                "the scenario has no flusher (setup: flusher = true)".to_string()
            }
            Actor::Reclaim if !w.st.scenario.setup.reclaim => {
                "the scenario has no reclaim actor (setup: reclaim = true)".to_string()
            }
            Actor::Flush => "the flusher has nothing to write back".to_string(),
            Actor::Reclaim => "reclaim has nothing to evict".to_string(),
            Actor::Task(_) => format!("{name} cannot run"),
        },
        Some(StepError::RunOver) => "the run is over".to_string(),
        Some(StepError::NoSuchActor) => format!("`{name}` is not an actor"),
        None => format!("{name} is runnable"),
    };
    format!("{reason}; {alt}")
}

/// How to choose the next actor once the schedule is used up.
#[derive(Clone, Debug)]
pub enum Then {
    /// The first runnable actor in declaration order.
    First,
    /// A seeded random choice (ChaCha8).
    Random(Box<ChaCha8Rng>),
}

impl Then {
    pub fn seeded(seed: u64) -> Then {
        Then::Random(Box::new(ChaCha8Rng::seed_from_u64(seed)))
    }

    pub fn pick(&mut self, w: &World) -> Option<Actor> {
        let en = w.enabled();
        if en.is_empty() {
            return None;
        }
        Some(match self {
            Then::First => en.get(0),
            Then::Random(rng) => en.get(rng.random_range(0..en.len())),
        })
    }
}

/// Replays `sched` on `w`, then runs to the end with `then`. Returns the
/// actor names taken, in order (the full schedule of the run).
pub fn run(w: &mut World, sched: &Schedule, then: Then) -> Result<Vec<String>, ScheduleError> {
    run_capped(w, sched, then, MAX_STEPS)
}

/// [`run`], stopping with an error after `max_steps` steps.
pub fn run_capped(
    w: &mut World,
    sched: &Schedule,
    mut then: Then,
    max_steps: usize,
) -> Result<Vec<String>, ScheduleError> {
    let mut taken = Vec::new();
    for tok in &sched.0 {
        for _ in 0..tok.times {
            let step = taken.len();
            if step >= max_steps && !w.is_done() {
                return Err(step_cap_error(max_steps));
            }
            if w.is_done() {
                return Err(ScheduleError {
                    msg: format!(
                        "`{}`: the run is already over after {step} steps",
                        tok.actor
                    ),
                    at: tok.at,
                    step: Some(step),
                });
            }
            let a = resolve(w, &tok.actor);
            match a {
                Some(a) if w.enabled().contains(a) => {
                    let name = w.actor_name(a);
                    w.step_enabled(a);
                    taken.push(name);
                }
                _ => {
                    return Err(ScheduleError {
                        msg: format!("`{}` cannot run: {}", tok.actor, why_not(w, &tok.actor, a)),
                        at: tok.at,
                        step: Some(step),
                    })
                }
            }
        }
    }
    while let Some(a) = then.pick(w) {
        if taken.len() >= max_steps {
            return Err(step_cap_error(max_steps));
        }
        taken.push(w.actor_name(a));
        w.step_enabled(a);
    }
    Ok(taken)
}

/// Replays `sched` exactly (no continuation); returns the actor names.
pub fn replay_prefix(w: &mut World, sched: &Schedule) -> Result<Vec<String>, ScheduleError> {
    let mut taken = Vec::new();
    for tok in &sched.0 {
        for _ in 0..tok.times {
            let step = taken.len();
            let a = resolve(w, &tok.actor);
            match a {
                Some(a) if w.enabled().contains(a) => {
                    taken.push(w.actor_name(a));
                    w.step_enabled(a);
                }
                _ => {
                    return Err(ScheduleError {
                        msg: format!("`{}` cannot run: {}", tok.actor, why_not(w, &tok.actor, a)),
                        at: tok.at,
                        step: Some(step),
                    })
                }
            }
        }
    }
    Ok(taken)
}
