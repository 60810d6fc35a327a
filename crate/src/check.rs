//! `dioscope check`: evaluate a scenario's `[[expect]]` entries by
//! exploring every interleaving under each expectation's policy.

use crate::explore::{self, Options};
use crate::outcome::Verdict;
use crate::scenario::{Expect, Expected, Scenario};
use crate::world::World;

/// One expectation's result.
#[derive(Clone, Debug)]
pub struct Checked {
    pub expect: Expect,
    pub got: Verdict,
    pub proven: bool,
    pub witness: Option<Vec<String>>,
    pub states: usize,
    /// Why it could not be checked (an unreplayable schedule, a bad knob).
    pub error: Option<String>,
}

impl Checked {
    pub fn ok(&self) -> bool {
        self.error.is_none() && self.got == self.expect.verdict && self.proven
    }

    /// One line: `ok   linux-5.8  spurious-eio  sometimes` or a mismatch
    /// with what was found and how to see it.
    pub fn line(&self, file: &str) -> String {
        let e = &self.expect;
        let policy = if e.set.is_empty() {
            e.preset.clone()
        } else {
            let s: Vec<String> = e.set.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{} + {}", e.preset, s.join(", "))
        };
        if let Some(err) = &self.error {
            return format!(
                "FAILED  {file}:{}  {policy}: cannot check {}: {err}",
                e.line, e.what
            );
        }
        if self.ok() {
            format!(
                "ok      {file}:{}  {policy}: {} is {}",
                e.line, e.what, e.verdict
            )
        } else {
            let mut s = format!(
                "FAILED  {file}:{}  {policy}: expected {} to be {}, found {}{}",
                e.line,
                e.what,
                e.verdict,
                self.got,
                if self.proven {
                    ""
                } else {
                    " (search incomplete: not proven)"
                }
            );
            if let Some(wit) = &self.witness {
                let mut sets = String::new();
                for (k, v) in &e.set {
                    sets += &format!(" --set {k}={v}");
                }
                s += &format!(
                    "\n        see it: dioscope run {file} --preset {}{sets} --schedule \"{}\"",
                    e.preset,
                    crate::sched::Schedule::from_actors(wit)
                );
            }
            s
        }
    }
}

/// Checks every expectation of `sc`. An expectation that cannot be
/// checked (its schedule does not replay) is a failed result, not an abort.
pub fn check(sc: &Scenario, max_states: Option<usize>) -> Vec<Checked> {
    sc.expects
        .iter()
        .map(|e| check_one(sc, e, max_states))
        .collect()
}

pub fn check_one(sc: &Scenario, e: &Expect, max_states: Option<usize>) -> Checked {
    let failed = |err: String| Checked {
        expect: e.clone(),
        got: e.verdict,
        proven: false,
        witness: None,
        states: 0,
        error: Some(err),
    };
    let policy = match sc.policy(Some(&e.preset)).and_then(|mut p| {
        for (k, v) in &e.set {
            p.set(k, v)?;
        }
        Ok(p)
    }) {
        Ok(p) => p,
        Err(err) => return failed(err.to_string()),
    };
    let mut w = World::new(sc, &policy);
    let prefix: Vec<String> = match &e.schedule {
        None => Vec::new(),
        Some(text) => match crate::sched::Schedule::parse(text)
            .and_then(|sch| crate::sched::replay_prefix(&mut w, &sch))
        {
            Ok(p) => p,
            Err(err) => return failed(err.to_string()),
        },
    };
    let opts = Options {
        max_states,
        reduction: true,
        ..Options::default()
    };
    let mut r = explore::explore(&w, &opts, |_| true);
    r.prepend(&prefix);
    let (got, proven, witness) = match &e.what {
        Expected::Outcome(o) => {
            let v = r.verdict(*o);
            (v.verdict, v.proven, v.witness.clone())
        }
        Expected::Result(pat) => result_verdict(sc, &policy, &r, pat, e.verdict),
    };
    Checked {
        expect: e.clone(),
        got,
        proven,
        witness,
        states: r.stats.states,
        error: None,
    }
}

/// Always / sometimes / never for a syscall result, over the distinct final
/// results (each replayed from its witness). The witness returned is one
/// that contradicts the expectation if there is one, else one that shows it.
fn result_verdict(
    sc: &Scenario,
    policy: &crate::policy::Policy,
    r: &explore::Report,
    pat: &crate::scenario::ResultPattern,
    expected: Verdict,
) -> (Verdict, bool, Option<Vec<String>>) {
    let start = World::new(sc, policy);
    let (mut hit, mut miss): (Option<Vec<String>>, Option<Vec<String>>) = (None, None);
    let mut hits = 0;
    for t in &r.results {
        let w = explore::replay(&start, &t.witness);
        let h = w.hist.as_ref().expect("replay records history");
        let rec = h
            .syscalls
            .iter()
            .find(|c| c.task == pat.task && c.op == pat.op);
        let m = match rec {
            Some(c) => pat.matches(
                &w.st.scenario.tasks[c.task as usize].ops[c.op as usize],
                c.ret,
                &c.read,
            ),
            None => pat.value == "none",
        };
        if m {
            hits += 1;
            hit.get_or_insert_with(|| t.witness.clone());
        } else {
            miss.get_or_insert_with(|| t.witness.clone());
        }
    }
    let v = if hits == 0 {
        Verdict::Never
    } else if hits == r.results.len() {
        Verdict::Always
    } else {
        Verdict::Sometimes
    };
    let proven = r.stats.complete || v == Verdict::Sometimes;
    let wit = match expected {
        Verdict::Always => miss.or(hit),
        Verdict::Never => hit.or(miss),
        Verdict::Sometimes => hit.or(miss),
    };
    (v, proven, wit)
}
