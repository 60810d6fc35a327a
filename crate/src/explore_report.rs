//! What `dioscope explore` prints: the explorer's report with its
//! witnesses replayed into words (why each outcome happened, what each
//! distinct result's syscalls returned), as text and as stable JSON.

use crate::explore::{replay, Report};
use crate::outcome::Outcome;
use crate::world::World;

/// A result as printed by `dioscope explore`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ResultOut {
    /// Per syscall, "A: read 0 = 4096 [A1]" style lines.
    pub syscalls: Vec<String>,
    pub outcomes: Vec<String>,
    pub witness: String,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct VerdictOut {
    pub outcome: String,
    pub verdict: String,
    pub proven: bool,
    /// Terminal states where it happens.
    pub runs: usize,
    /// Shortest schedule showing it, replayable with `dioscope run --schedule`.
    pub witness: Option<String>,
    /// The explanation, from replaying the witness.
    pub why: Option<String>,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct StatsOut {
    pub states: usize,
    pub transitions: usize,
    pub pruned_by_reduction: usize,
    pub terminal_states: usize,
    pub distinct_results: usize,
    pub max_depth: usize,
    pub complete: bool,
    pub stopped_by: Option<String>,
    pub seconds: f64,
    pub states_per_second: f64,
    /// Complete interleavings the search covered (null if not counted or
    /// the state graph has a cycle).
    pub interleavings: Option<f64>,
    /// The most bytes the search's data (visited set, parent links,
    /// frontier) took at once, and per state.
    pub memory_bytes: usize,
    pub bytes_per_state: f64,
    /// The process's peak resident memory (Linux; set by the CLI).
    pub peak_rss_bytes: Option<u64>,
}

/// The peak resident set size of this process (VmHWM), where the system
/// tells it.
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct ExploreOut {
    pub scenario: String,
    pub preset: String,
    pub set: Vec<String>,
    pub verdicts: Vec<VerdictOut>,
    pub results: Vec<ResultOut>,
    pub stats: StatsOut,
}

impl ExploreOut {
    pub fn new(
        r: &Report,
        sc: &crate::scenario::Scenario,
        preset: &str,
        set: &[String],
        seconds: f64,
    ) -> ExploreOut {
        let mut spec = crate::run::RunSpec {
            preset: Some(preset.to_string()),
            ..Default::default()
        };
        for s in set {
            if let Ok(kv) = crate::run::parse_set(s) {
                spec.set.push(kv);
            }
        }
        let policy = spec
            .policy(sc)
            .expect("policy was valid for the exploration");
        let start = World::new(sc, &policy);
        let verdicts = r
            .verdicts
            .iter()
            .map(|v| {
                let why = v.witness.as_ref().and_then(|wit| {
                    let w = replay(&start, wit);
                    w.outcomes()
                        .iter()
                        .find(|o| o.outcome == v.outcome)
                        .map(|o| o.why.clone())
                });
                VerdictOut {
                    outcome: v.outcome.name().to_string(),
                    verdict: v.verdict.name().to_string(),
                    proven: v.proven,
                    runs: v.runs,
                    witness: v
                        .witness
                        .as_ref()
                        .map(|wit| crate::sched::Schedule::from_actors(wit).to_string()),
                    why,
                }
            })
            .collect();
        let results = r
            .results
            .iter()
            .map(|t| {
                let w = replay(&start, &t.witness);
                let h = w.hist.as_ref().unwrap();
                let syscalls = h
                    .syscalls
                    .iter()
                    .map(|c| {
                        let op = &w.st.scenario.tasks[c.task as usize].ops[c.op as usize];
                        let ret = c.ret.map_or("(no return)".to_string(), |r| r.text(op));
                        let read = if c.read.is_empty() {
                            String::new()
                        } else {
                            format!(
                                " [{}]",
                                crate::view::runs_text(c.read.iter().map(String::as_str))
                            )
                        };
                        format!("{}: {} = {ret}{read}", w.st.task_name(c.task), c.text)
                    })
                    .collect();
                let outcomes = Outcome::ALL
                    .iter()
                    .filter(|o| t.fired & o.bit() != 0)
                    .map(|o| o.name().to_string())
                    .collect();
                ResultOut {
                    syscalls,
                    outcomes,
                    witness: crate::sched::Schedule::from_actors(&t.witness).to_string(),
                }
            })
            .collect();
        let s = &r.stats;
        ExploreOut {
            scenario: sc.title.clone(),
            preset: preset.to_string(),
            set: set.to_vec(),
            verdicts,
            results,
            stats: StatsOut {
                states: s.states,
                transitions: s.transitions,
                pruned_by_reduction: s.pruned,
                terminal_states: s.terminal_states,
                distinct_results: s.distinct_results,
                max_depth: s.max_depth,
                complete: s.complete,
                stopped_by: s.stopped_by.clone(),
                seconds,
                states_per_second: if seconds > 0.0 {
                    s.states as f64 / seconds
                } else {
                    0.0
                },
                interleavings: s.interleavings,
                memory_bytes: s.memory,
                bytes_per_state: s.bytes_per_state(),
                peak_rss_bytes: None,
            },
        }
    }

    pub fn text(&self) -> String {
        let mut out = String::new();
        let policy = if self.set.is_empty() {
            self.preset.clone()
        } else {
            format!("{} + {}", self.preset, self.set.join(", "))
        };
        out += &format!("{}\n{policy}\n\n", self.scenario);
        for v in &self.verdicts {
            let verdict = if v.proven {
                v.verdict.to_uppercase()
            } else if v.verdict == "never" {
                "NOT SEEN (search incomplete)".to_string()
            } else {
                format!("{} (in the runs explored)", v.verdict.to_uppercase())
            };
            out += &format!("  {:<18} {}\n", v.outcome, verdict);
            if let (Some(wit), Some(why)) = (&v.witness, &v.why) {
                out += &format!(
                    "  {:<18}   e.g. --schedule \"{wit}\"\n  {:<18}   {why}\n",
                    "", ""
                );
            }
        }
        out += &format!("\n{} distinct results:\n", self.results.len());
        for (i, r) in self.results.iter().enumerate() {
            let o = if r.outcomes.is_empty() {
                "no outcome".to_string()
            } else {
                r.outcomes.join(", ")
            };
            out += &format!("  {}. {o}\n", i + 1);
            for s in &r.syscalls {
                out += &format!("       {s}\n");
            }
            out += &format!("       --schedule \"{}\"\n", r.witness);
        }
        let s = &self.stats;
        out += &format!(
            "\n{} states, {} transitions ({} pruned by the reduction), {} terminal states, {:.3} s ({:.0} states/s){}\n",
            s.states,
            s.transitions,
            s.pruned_by_reduction,
            s.terminal_states,
            s.seconds,
            s.states_per_second,
            if s.complete { ", complete".to_string() } else { format!(", INCOMPLETE: {}", s.stopped_by.clone().unwrap_or_default()) }
        );
        if let Some(n) = s.interleavings {
            out += &format!("{} interleavings covered\n", count_words(n));
        }
        out += &format!(
            "memory: {:.1} MB for the search at the peak ({:.0} bytes per state)",
            s.memory_bytes as f64 / 1048576.0,
            s.bytes_per_state
        );
        if let Some(rss) = s.peak_rss_bytes {
            out += &format!(", {:.1} MB peak RSS", rss as f64 / 1048576.0);
        }
        out += "\n";
        out
    }
}

/// A count of paths, exact while an f64 holds it exactly (below 2^53);
/// past that, three digits: printing all 77 digits of 3.63e76 would claim
/// a precision the count does not have.
pub fn count_words(n: f64) -> String {
    if n < 9_007_199_254_740_992.0 {
        format!("{n:.0}")
    } else {
        format!("about {n:.2e}")
    }
}

#[cfg(test)]
mod count_tests {
    use super::count_words;

    #[test]
    fn big_counts_keep_only_the_digits_they_have() {
        assert_eq!(count_words(0.0), "0");
        assert_eq!(count_words(123_456_789.0), "123456789");
        assert_eq!(count_words(9_007_199_254_740_991.0), "9007199254740991");
        assert_eq!(count_words(3.6299752e76), "about 3.63e76");
    }
}
