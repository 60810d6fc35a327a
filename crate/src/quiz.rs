//! Lab questions (`dioscope quiz -s SEED [-c]`), in the manner of the
//! classic OS-course homework simulators: the seed picks one of the
//! library's curated expectations; the student predicts always, sometimes
//! or never; `-c` explores every interleaving and shows a run.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::scenario::{Expect, Expected, Scenario};

pub struct Question {
    pub seed: u64,
    pub id: String,
    pub scenario: Scenario,
    pub expect: Expect,
}

/// The question for `seed`.
pub fn question(seed: u64) -> Question {
    let mut all: Vec<(String, Scenario, Expect)> = Vec::new();
    for b in crate::library::bundled() {
        let Ok(sc) = b.parse() else { continue };
        for e in &sc.expects {
            all.push((b.id().to_string(), sc.clone(), e.clone()));
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (id, scenario, expect) = all.swap_remove(rng.random_range(0..all.len()));
    Question {
        seed,
        id,
        scenario,
        expect,
    }
}

impl Question {
    fn policy_text(&self) -> String {
        let e = &self.expect;
        let mut s = e.preset.clone();
        if !e.set.is_empty() {
            let set: Vec<String> = e.set.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            s += &format!(" with {}", set.join(", "));
        }
        s
    }

    pub fn text(&self) -> String {
        let sc = &self.scenario;
        let mut out = format!("Lab question {} — {}\n\n", self.seed, sc.title);
        out += &format!(
            "Filesystem {}, {} pages on disk ({}), ",
            sc.setup.fs.name(),
            sc.setup.pages,
            sc.setup.on_disk.name()
        );
        out += &format!(
            "{}.\n",
            if sc.setup.cached == 0 {
                "nothing cached".to_string()
            } else {
                format!("pages {} cached", crate::util::fmt_set(sc.setup.cached))
            }
        );
        for t in &sc.tasks {
            let ops: Vec<String> = t.ops.iter().map(|o| format!("`{o}`")).collect();
            out += &format!("  task {}: {}\n", t.name, ops.join(", then "));
        }
        out += &format!("\nKernel policy: {}.\n", self.policy_text());
        if let Some(s) = &self.expect.schedule {
            out += &format!("Consider only the runs that start with the schedule `{s}`.\n");
        }
        let q = match &self.expect.what {
            Expected::Outcome(o) => {
                format!("does the run end with `{}` ({})", o.name(), o.meaning())
            }
            Expected::Result(r) => {
                let (lhs, value) = r.text.split_once('=').unwrap_or((&r.text, ""));
                format!("does `{}` return `{}`", lhs.trim(), value.trim())
            }
        };
        out += &format!(
            "\nQ: Over every interleaving of these tasks, {q}: always, sometimes or never?\n"
        );
        out
    }

    pub fn answer(&self) -> String {
        let c = crate::check::check_one(&self.scenario, &self.expect, None);
        let mut out = format!("Answer: {}", c.got.name().to_uppercase());
        if !c.proven {
            out += " (the search was bounded: not proven)";
        }
        out += &format!("  ({} states explored)\n", c.states);
        if let Some(w) = &c.witness {
            let sched = crate::sched::Schedule::from_actors(w);
            let mut cmd = format!("dioscope run {} --preset {}", self.id, self.expect.preset);
            for (k, v) in &self.expect.set {
                cmd += &format!(" --set {k}={v}");
            }
            out += &format!("A run to look at:\n  {cmd} --schedule \"{sched}\"\n");
        }
        out += &format!(
            "Read about it: dioscope run {} --preset {} (and the scenario's notes).\n",
            self.id, self.expect.preset
        );
        out
    }
}
