//! What the kernel lab saw, kept in the repository: `cargo xtask observe`
//! writes `scenarios/observed/ID.json` per bundled scenario, and the build
//! embeds them (as the scenarios are), so that the CLI and the web app can
//! show "Linux 6.18, xfs: seen in 268 of 20,000 runs" beside the model's
//! verdicts without running anything.

use serde::Serialize;

use super::report::{seen_in, short_env, LabReport};
use crate::outcome::Outcome;
use crate::scenario::Scenario;

/// One observation file, as written (`scenarios/observed/ID.json`).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Observation {
    /// The scenario's id.
    pub scenario: String,
    /// FNV-1a of the scenario text it was run from: observations of an
    /// earlier text are not shown as this one's.
    pub digest: String,
    /// `uname -r`.
    pub kernel: String,
    pub fs: String,
    pub mount_options: String,
    /// The preset the model's verdicts below were computed under.
    pub preset: String,
    pub mode: String,
    pub runs: usize,
    pub seed: u64,
    pub jitter_us: u64,
    pub hangs: usize,
    pub outcomes: Vec<ObservedOutcome>,
    pub results: Vec<ObservedResult>,
    /// The disagreements the run found (empty when the kernel agreed).
    pub disagreements: Vec<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ObservedOutcome {
    pub outcome: String,
    /// Runs whose record shows it, and runs whose record cannot tell.
    pub seen: usize,
    pub undecided: usize,
    /// False when no record of syscalls and data can show it.
    pub observable: bool,
    /// The model's verdict when it was run.
    pub model: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ObservedResult {
    /// `A: write 0-1 direct = 8192`.
    pub result: String,
    pub seen: usize,
    pub model: String,
}

impl Observation {
    pub fn of(report: &LabReport, sc: &Scenario) -> Observation {
        Observation {
            scenario: report.scenario.clone(),
            digest: digest(sc),
            kernel: report.env.kernel.clone(),
            fs: report.env.fs.clone(),
            mount_options: report.env.mount_options.clone(),
            preset: report.preset.clone(),
            mode: report.mode.clone(),
            runs: report.runs,
            seed: report.seed,
            jitter_us: report.jitter_us,
            hangs: report.hangs.len(),
            outcomes: report
                .outcomes
                .iter()
                .map(|o| ObservedOutcome {
                    outcome: o.outcome.clone(),
                    seen: o.seen,
                    undecided: o.undecided,
                    observable: o.observable,
                    model: o.model.clone(),
                })
                .collect(),
            results: report
                .results
                .iter()
                .map(|r| ObservedResult {
                    result: r.result.clone(),
                    seen: r.seen,
                    model: r.model.clone(),
                })
                .collect(),
            disagreements: report.disagreements.clone(),
        }
    }
}

/// FNV-1a (64 bits), in hex, of what the kernel runs: the setup, the
/// `[policy]` overrides and the tasks' ops. Not of the title, the about
/// text, the references, the expectations, the story or the scenario's
/// default preset: editing those keeps an observation of thousands of
/// kernel runs, while changing an op or the setup discards it.
pub fn digest(sc: &Scenario) -> String {
    let s = &sc.setup;
    let mut text = format!(
        "fs={} pages={} size={} on_disk={} cached={:#x} write_cache={} flusher={} reclaim={} dax={} poisoned={:#x}\n",
        s.fs.name(),
        s.pages,
        s.size,
        s.on_disk.name(),
        s.cached,
        s.write_cache,
        s.flusher,
        s.reclaim,
        s.dax,
        s.poisoned
    );
    for (k, v) in &sc.policy {
        text += &format!("set {k}={v}\n");
    }
    for t in &sc.tasks {
        text += &format!(
            "task {}{}:",
            t.name,
            if t.template { " (template)" } else { "" }
        );
        for op in &t.ops {
            text += &format!(" {op};");
        }
        text += "\n";
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// An embedded observation (plain data).
#[derive(Debug)]
pub struct Observed {
    pub scenario: &'static str,
    pub digest: &'static str,
    pub kernel: &'static str,
    pub fs: &'static str,
    pub mount_options: &'static str,
    pub preset: &'static str,
    pub runs: usize,
    pub hangs: usize,
    /// (outcome, runs seen, runs undecided, observable, model verdict then).
    pub outcomes: &'static [(&'static str, usize, usize, bool, &'static str)],
    /// (result, runs seen, model verdict then).
    pub results: &'static [(&'static str, usize, &'static str)],
    pub disagreements: &'static [&'static str],
}

include!(concat!(env!("OUT_DIR"), "/observed.rs"));

/// Every embedded observation.
pub fn all() -> &'static [Observed] {
    OBSERVED
}

/// The observation of a bundled scenario, by id.
pub fn find(id: &str) -> Option<&'static Observed> {
    let id = id.strip_suffix(".toml").unwrap_or(id);
    OBSERVED.iter().find(|o| o.scenario == id)
}

impl Observed {
    /// "Linux 6.18, xfs".
    pub fn env(&self) -> String {
        short_env(self.kernel, self.fs)
    }

    /// What the sentences below it come from: "On the kernel: 20,000 runs
    /// on Linux 6.18, xfs (mount options ...), beside linux-6.18's
    /// verdicts".
    pub fn heading(&self) -> String {
        format!(
            "On the kernel: {} runs of `dioscope kernel` on {} (mount options {}), beside {}'s verdicts",
            super::report::thousands(self.runs),
            self.env(),
            self.mount_options,
            self.preset
        )
    }

    /// Whether the kernel ran this scenario's setup and tasks.
    pub fn is_for(&self, sc: &Scenario) -> bool {
        self.digest == digest(sc)
    }

    /// Runs where the outcome was seen, if it is observable.
    pub fn seen(&self, o: Outcome) -> Option<usize> {
        self.outcomes
            .iter()
            .find(|x| x.0 == o.name())
            .filter(|x| x.3)
            .map(|x| x.1)
    }

    /// "Linux 6.18, xfs: seen in 268 of 20,000 runs", or "…: not
    /// observable on the kernel".
    pub fn sentence(&self, o: Outcome) -> String {
        let Some(x) = self.outcomes.iter().find(|x| x.0 == o.name()) else {
            return format!("{}: not recorded", self.env());
        };
        if !x.3 {
            return format!("{}: not observable on the kernel", self.env());
        }
        let mut s = format!("{}: {}", self.env(), seen_in(x.1, self.runs));
        if x.2 > 0 {
            s += &format!(" (undecided in {})", super::report::thousands(x.2));
        }
        s
    }

    /// The same sentence for a syscall result (`A: fsync = -EIO`).
    pub fn result_sentence(&self, result: &str) -> String {
        let seen = self
            .results
            .iter()
            .find(|r| r.0 == result)
            .map_or(0, |r| r.1);
        format!("{}: {}", self.env(), seen_in(seen, self.runs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_observation_is_of_a_bundled_scenario() {
        for o in all() {
            let b = crate::library::find(o.scenario)
                .unwrap_or_else(|| panic!("observation of unknown scenario {}", o.scenario));
            assert!(o.runs > 0);
            for (name, seen, undecided, _, model) in o.outcomes {
                assert!(Outcome::parse(name).is_some(), "{name}");
                assert!(seen + undecided <= o.runs);
                assert!(crate::Verdict::parse(model).is_some(), "{model}");
            }
            // it was run on these tasks (re-run `cargo xtask observe` after changing them)
            let sc = b.parse().expect("a bundled scenario parses");
            assert!(
                o.is_for(&sc),
                "scenarios/observed/{}.json is for other tasks or setup than the scenario has now",
                o.scenario
            );
        }
    }

    #[test]
    fn an_observation_is_of_the_tasks_and_setup_not_of_the_prose() {
        let b = crate::library::find("dio-write-vs-mmap-store").unwrap();
        let sc = b.parse().unwrap();
        let o = crate::library::observed_for(&sc).expect("observed");
        // the title, the about text and an expectation change: still it
        let prose = b
            .text
            .replacen("title = \"", "title = \"Edited: ", 1)
            .replacen("about = \"\"\"", "about = \"\"\"\nA new first line.", 1)
            + "\n[[expect]]\noutcome = \"deadlock\"\nverdict = \"never\"\n";
        let edited = crate::scenario::parse("x.toml", &prose).unwrap();
        assert!(o.is_for(&edited));
        // an op changes: the kernel never ran that
        let ops = b.text.replacen(
            "ops = [\"mmap-write 1\"]",
            "ops = [\"mmap-write 1\", \"mmap-read 0\"]",
            1,
        );
        let other = crate::scenario::parse("x.toml", &ops).unwrap();
        assert_ne!(other.tasks, sc.tasks);
        assert!(!o.is_for(&other));
    }

    #[test]
    fn the_sentence() {
        let o = Observed {
            scenario: "x",
            digest: "0",
            kernel: "6.18.44-fc-v669",
            fs: "xfs",
            mount_options: "rw",
            preset: "linux-6.18",
            runs: 20000,
            hangs: 0,
            outcomes: &[
                ("spurious-eio", 268, 0, true, "sometimes"),
                ("stale-iomap", 0, 0, false, "never"),
            ],
            results: &[("A: fsync = -EIO", 268, "sometimes")],
            disagreements: &[],
        };
        assert_eq!(
            o.sentence(Outcome::SpuriousEio),
            "Linux 6.18, xfs: seen in 268 of 20,000 runs"
        );
        assert_eq!(
            o.sentence(Outcome::StaleIomap),
            "Linux 6.18, xfs: not observable on the kernel"
        );
        assert_eq!(
            o.result_sentence("A: fsync = 0"),
            "Linux 6.18, xfs: not seen in 20,000 runs"
        );
    }
}
