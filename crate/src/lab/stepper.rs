//! The model at syscall granularity: one task's whole op at a time, the
//! device completing what the op waits for, then everything it left in
//! flight (as a real device does long before the next syscall of a
//! sequential run). This is the model's side of the lab's sequential mode.

use crate::scenario::Scenario;
use crate::world::{Actor, World};

/// An order of whole ops: a task index per op, as `A B A` or `A:2 B`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order(pub Vec<u8>);

impl Order {
    /// Parses `A B:2 A` against the scenario's tasks, then completes it:
    /// after the given ops, the remaining ones run task by task in
    /// declaration order.
    pub fn parse(sc: &Scenario, text: &str) -> Result<Order, String> {
        let sched = crate::sched::Schedule::parse(text).map_err(|e| e.msg)?;
        let mut left: Vec<usize> = sc.tasks.iter().map(|t| t.ops.len()).collect();
        let mut out = Vec::new();
        for tok in &sched.0 {
            let Some(t) = sc.task_index(&tok.actor) else {
                let names: Vec<&str> = sc.tasks.iter().map(|t| t.name.as_str()).collect();
                let why = if ["dev", "flush", "reclaim"].contains(&tok.actor.as_str())
                    || tok.actor.starts_with("dev@")
                {
                    format!("`{}`: a kernel schedule names tasks only (each token runs one whole op; the kernel completes I/O by itself)", tok.actor)
                } else {
                    format!("`{}` is not a task", tok.actor)
                };
                return Err(format!("{why}; tasks are {}", names.join(", ")));
            };
            for _ in 0..tok.times {
                if left[t] == 0 {
                    return Err(format!(
                        "`{}`: task {} has only {} ops",
                        tok.actor,
                        sc.tasks[t].name,
                        sc.tasks[t].ops.len()
                    ));
                }
                left[t] -= 1;
                out.push(t as u8);
            }
        }
        for (t, n) in left.iter().enumerate() {
            out.extend(std::iter::repeat_n(t as u8, *n));
        }
        Ok(Order(out))
    }

    pub fn text(&self, sc: &Scenario) -> String {
        let names: Vec<String> = self
            .0
            .iter()
            .map(|&t| sc.tasks[t as usize].name.clone())
            .collect();
        crate::sched::Schedule::from_actors(&names).to_string()
    }
}

/// Why an op could not finish on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stuck {
    pub task: u8,
    pub op: u8,
    pub why: String,
}

/// Runs task `t`'s current op to its return: the task steps whenever it
/// can, and the device completes its oldest bio when the task waits.
/// Returns the actor names taken.
pub fn run_op(w: &mut World, t: u8) -> Result<Vec<String>, Stuck> {
    let start = w.s.tasks[t as usize].op;
    let me = Actor::Task(t);
    let mut taken = Vec::new();
    while w.s.tasks[t as usize].op == start && !w.is_done() {
        let a = if w.enabled().contains(me) {
            me
        } else if w.enabled().contains(Actor::Dev(0)) {
            Actor::Dev(0)
        } else {
            let why = match w.need_of(me) {
                Some(need) => format!("it waits for {need}, and only another task could give it"),
                None => "it cannot run".to_string(),
            };
            return Err(Stuck {
                task: t,
                op: start,
                why,
            });
        };
        taken.push(w.actor_name(a));
        w.step_enabled(a);
        if taken.len() > crate::sched::MAX_STEPS {
            return Err(Stuck {
                task: t,
                op: start,
                why: "it did not return".into(),
            });
        }
    }
    if w.s.tasks[t as usize].op == start {
        let why = match w.deadlock_cycle() {
            Some(c) => w.describe_cycle(&c),
            None => "nothing can run".into(),
        };
        return Err(Stuck {
            task: t,
            op: start,
            why,
        });
    }
    // what the op left in flight completes before the next op
    while !w.is_done() && w.enabled().contains(Actor::Dev(0)) {
        taken.push(w.actor_name(Actor::Dev(0)));
        w.step_enabled(Actor::Dev(0));
    }
    Ok(taken)
}

/// Runs the ops in `order` (each to its return). Returns the world (with
/// history) and the schedule taken, or where it got stuck (the world is
/// then at that point, and the schedule up to it).
pub fn run_order(w: &mut World, order: &Order) -> Result<Vec<String>, (Stuck, Vec<String>)> {
    let mut taken = Vec::new();
    for &t in &order.0 {
        match run_op(w, t) {
            Ok(mut s) => taken.append(&mut s),
            Err(e) => return Err((e, taken)),
        }
    }
    Ok(taken)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_op_at_a_time() {
        let sc = crate::library::find("dio-write-vs-mmap-store")
            .unwrap()
            .parse()
            .unwrap();
        let order = Order::parse(&sc, "B").unwrap();
        assert_eq!(order.0, vec![1, 0, 0]);
        assert_eq!(order.text(&sc), "B A:2");
        let pol = sc.policy(Some("linux-6.18")).unwrap();
        let mut w = World::new(&sc, &pol);
        run_order(&mut w, &order).unwrap();
        assert!(w.is_done());
        let h = w.hist.as_ref().unwrap();
        // no two syscalls overlap
        for (a, b) in h.syscalls.iter().zip(h.syscalls.iter().skip(1)) {
            assert!(a.end.unwrap() < b.begin);
        }
        assert!(Order::parse(&sc, "dev")
            .unwrap_err()
            .contains("names tasks only"));
        assert!(Order::parse(&sc, "B B").unwrap_err().contains("only 1 ops"));
        assert!(Order::parse(&sc, "C").unwrap_err().contains("not a task"));
    }

    #[test]
    fn an_op_that_waits_for_itself_is_stuck() {
        let sc = crate::library::find("gup-dio-read-into-own-mmap")
            .unwrap()
            .parse()
            .unwrap();
        let pol = sc.policy(Some("2019-dio-rwsem")).unwrap();
        let mut w = World::new(&sc, &pol);
        let (stuck, _) = run_order(&mut w, &Order(vec![0])).unwrap_err();
        assert_eq!(stuck.task, 0);
        let pol = sc.policy(Some("linux-6.18")).unwrap();
        let mut w = World::new(&sc, &pol);
        run_order(&mut w, &Order(vec![0])).unwrap();
    }
}
