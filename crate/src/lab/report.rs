//! The lab's comparison: the model's verdicts under a preset beside what
//! the kernel showed, per outcome and per result, with every disagreement
//! named. Text for people, and a stable JSON form.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::plan::{result_name, value};
use crate::explore::{self, Options};
use crate::observe::{Decision, History, Observer, Returned, UNKNOWN};

/// An alternative that stands for every value: the bytes were not captured.
pub const ANY: &str = "*";
use crate::outcome::{Outcome, Verdict};
use crate::policy::Policy;
use crate::scenario::Scenario;
use crate::world::World;

/// `20,000`.
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "1 run", "20,000 runs".
pub fn n_runs(n: usize) -> String {
    if n == 1 {
        "1 run".into()
    } else {
        format!("{} runs", thousands(n))
    }
}

/// "seen in 268 of 20,000 runs", "not seen in 20,000 runs".
pub fn seen_in(seen: usize, runs: usize) -> String {
    let run_s = if runs == 1 { "run" } else { "runs" };
    if seen == 0 {
        format!("not seen in {} {run_s}", thousands(runs))
    } else if seen == runs && runs > 1 {
        format!("seen in every run ({})", thousands(runs))
    } else {
        format!("seen in {} of {} {run_s}", thousands(seen), thousands(runs))
    }
}

/// What one syscall of one run returned, as results are spelled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallResult {
    /// `A: write 0-1 direct` (with `#2` for a repeated op).
    pub key: String,
    /// `8192`, `-EIO`, `A1 zero`, `(no return)`.
    pub value: String,
    /// Every spelling the same bytes allow (see [`Observer::label`]).
    pub alternatives: Vec<String>,
}

/// The results of a recorded run, one per op of every task, in scenario
/// order.
pub fn results(obs: &Observer) -> Vec<CallResult> {
    let sc = obs.sc;
    let mut out = Vec::new();
    for (ti, t) in sc.tasks.iter().enumerate() {
        for (oi, op) in t.ops.iter().enumerate() {
            let key = result_name(sc, ti, oi);
            let call = obs
                .h
                .calls
                .iter()
                .find(|c| c.task as usize == ti && c.op as usize == oi);
            let Some(c) = call else {
                out.push(CallResult {
                    key,
                    value: value(None, false, &[]),
                    alternatives: Vec::new(),
                });
                continue;
            };
            let ret = if c.end.is_some() {
                c.ret.as_ref()
            } else {
                None
            };
            let exclude = match obs.vers.op_ver[ti][oi] {
                Some(v) if obs.vers.copies & v.bit() != 0 && op.is_read() => v.bit(),
                _ => 0,
            };
            let during = c.end.map(|e| (c.begin, e));
            // one label per page read, as the model names a page's data
            let labels: Vec<crate::observe::Label> = Observer::read_by_page(c)
                .iter()
                .map(|(_, s)| obs.label(s, during, exclude))
                .collect();
            let shown: Vec<String> = labels.iter().map(|l| l.shown.clone()).collect();
            let v = value(ret, true, &shown);
            // every combination the bytes allow (bounded)
            let mut alts: Vec<Vec<String>> = vec![Vec::new()];
            for l in &labels {
                let mut next = Vec::new();
                for a in &alts {
                    for x in &l.alternatives {
                        if next.len() < 64 {
                            let mut a = a.clone();
                            a.push(x.clone());
                            next.push(a);
                        }
                    }
                }
                alts = next;
            }
            let mut alternatives: Vec<String> = if labels.iter().any(|l| l.shown == UNKNOWN) {
                // not captured: any value
                vec![ANY.to_string()]
            } else {
                alts.iter()
                    .map(|a| value(ret, true, a))
                    .filter(|a| *a != v)
                    .collect()
            };
            alternatives.sort();
            alternatives.dedup();
            out.push(CallResult {
                key,
                value: v,
                alternatives,
            });
        }
    }
    out
}

/// The model's side: verdicts over every interleaving, and the results it
/// allows.
#[derive(Clone, Debug)]
pub struct ModelSide {
    pub preset: String,
    pub set: Vec<String>,
    pub verdicts: Vec<explore::OutcomeVerdict>,
    pub complete: bool,
    pub states: usize,
    /// Result names, in scenario order.
    pub keys: Vec<String>,
    /// Per key: each value and the number of distinct model results with it.
    pub values: Vec<BTreeMap<String, usize>>,
    /// Every combination of values (one per key) the model allows.
    pub tuples: BTreeSet<Vec<String>>,
    pub results: usize,
}

impl ModelSide {
    pub fn new(
        sc: &Scenario,
        policy: &Policy,
        preset: &str,
        set: &[String],
        max_states: Option<usize>,
    ) -> ModelSide {
        let w = World::new_quiet(sc, policy);
        let opts = Options {
            max_states,
            reduction: true,
            ..Options::default()
        };
        let r = explore::explore(&w, &opts, |_| true);
        let start = World::new(sc, policy);
        let keys: Vec<String> = sc
            .tasks
            .iter()
            .enumerate()
            .flat_map(|(ti, t)| (0..t.ops.len()).map(move |oi| (ti, oi)))
            .map(|(ti, oi)| result_name(sc, ti, oi))
            .collect();
        let mut values = vec![BTreeMap::new(); keys.len()];
        let mut tuples = BTreeSet::new();
        for t in &r.results {
            let w = explore::replay(&start, &t.witness);
            let tuple = model_values(&w);
            for (i, v) in tuple.iter().enumerate() {
                *values[i].entry(v.clone()).or_insert(0) += 1;
            }
            tuples.insert(tuple);
        }
        ModelSide {
            preset: preset.to_string(),
            set: set.to_vec(),
            verdicts: r.verdicts.clone(),
            complete: r.stats.complete,
            states: r.stats.states,
            keys,
            values,
            tuples,
            results: r.results.len(),
        }
    }

    pub fn verdict(&self, o: Outcome) -> (Verdict, bool) {
        let v = self
            .verdicts
            .iter()
            .find(|v| v.outcome == o)
            .expect("every outcome has a verdict");
        (v.verdict, v.proven)
    }

    /// The model's verdict on result `key` having value `value`.
    pub fn value_verdict(&self, key: usize, value: &str) -> (Verdict, bool) {
        let n = self.values[key].get(value).copied().unwrap_or(0);
        let v = if n == 0 {
            Verdict::Never
        } else if n == self.results {
            Verdict::Always
        } else {
            Verdict::Sometimes
        };
        (v, self.complete || v == Verdict::Sometimes)
    }
}

/// The value of every op of a finished model run, in scenario order.
pub fn model_values(w: &World) -> Vec<String> {
    let sc = &w.st.scenario;
    let h = w.hist.as_ref().expect("a replay has history");
    let mut out = Vec::new();
    for (ti, t) in sc.tasks.iter().enumerate() {
        for oi in 0..t.ops.len() {
            let rec = h
                .syscalls
                .iter()
                .find(|c| c.task as usize == ti && c.op as usize == oi);
            out.push(match rec {
                None => value(None, false, &[]),
                Some(c) => {
                    let op = &t.ops[oi];
                    let ret = c.ret.map(|r| Returned::of(r, op));
                    value(ret.as_ref(), true, &c.read)
                }
            });
        }
    }
    out
}

/// What the kernel showed over many runs.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub runs: usize,
    /// Per outcome: runs where it held, did not, was undecided.
    pub held: [usize; 9],
    pub not: [usize; 9],
    pub undecided: [usize; 9],
    pub undecided_why: [Option<&'static str>; 9],
    pub not_observable: [Option<&'static str>; 9],
    /// Per key: value → (runs, other spellings of the same bytes).
    pub values: Vec<BTreeMap<String, (usize, BTreeSet<String>)>>,
    /// Per combination of values: runs, and per key the other spellings.
    pub tuples: BTreeMap<Vec<String>, (usize, Vec<BTreeSet<String>>)>,
    /// Runs where a task never returned: what was stuck.
    pub hangs: Vec<String>,
}

impl Tally {
    pub fn new(sc: &Scenario) -> Tally {
        let n: usize = sc.tasks.iter().map(|t| t.ops.len()).sum();
        Tally {
            values: vec![BTreeMap::new(); n],
            ..Tally::default()
        }
    }

    /// Adds one recorded run.
    pub fn add(&mut self, sc: &Scenario, h: &History) {
        let obs = Observer::new(sc, h);
        self.runs += 1;
        for (o, d) in obs.outcomes() {
            let i = o as usize;
            match d {
                Decision::Holds => self.held[i] += 1,
                Decision::Not => self.not[i] += 1,
                Decision::Unknown(why) => {
                    self.undecided[i] += 1;
                    self.undecided_why[i].get_or_insert(why);
                }
                Decision::NotObservable(why) => {
                    self.not_observable[i] = Some(why);
                }
            }
        }
        let res = results(&obs);
        for (i, r) in res.iter().enumerate() {
            let e = self.values[i]
                .entry(r.value.clone())
                .or_insert((0, BTreeSet::new()));
            e.0 += 1;
            e.1.extend(r.alternatives.iter().cloned());
        }
        let tuple: Vec<String> = res.iter().map(|r| r.value.clone()).collect();
        let e = self
            .tuples
            .entry(tuple)
            .or_insert_with(|| (0, vec![BTreeSet::new(); res.len()]));
        e.0 += 1;
        for (i, r) in res.iter().enumerate() {
            e.1[i].extend(r.alternatives.iter().cloned());
        }
    }
}

/// Where the kernel ran.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Env {
    /// `uname -r`.
    pub kernel: String,
    /// The filesystem type of DIR (`xfs`, `ext4`, `btrfs`, `tmpfs`).
    pub fs: String,
    pub mount_options: String,
    pub dir: String,
}

impl Env {
    /// "Linux 6.18, xfs".
    pub fn short(&self) -> String {
        short_env(&self.kernel, &self.fs)
    }
}

/// "Linux 6.18, xfs" from a release and a filesystem type.
pub fn short_env(kernel: &str, fs: &str) -> String {
    match super::plan::parse_release(kernel) {
        Some(k) => format!("Linux {k}, {fs}"),
        None => format!("Linux {kernel}, {fs}"),
    }
}

/// One outcome's row.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct OutcomeRow {
    pub outcome: String,
    /// `always` | `sometimes` | `never`.
    pub model: String,
    pub proven: bool,
    /// Runs where the kernel's record shows it; where it shows it did not
    /// happen; where the record cannot tell.
    pub seen: usize,
    pub decided: usize,
    pub undecided: usize,
    /// Why the record could not tell, or why no record can.
    pub note: Option<String>,
    pub observable: bool,
    pub agree: bool,
}

/// One syscall result's row.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ResultRow {
    /// `A: write 0-1 direct = 8192`.
    pub result: String,
    /// `always` | `sometimes` | `never`, or `not captured` when the value
    /// holds bytes the lab could not capture (`?`).
    pub model: String,
    pub proven: bool,
    pub seen: usize,
    /// Other names the same bytes had (a copy and what it copied).
    pub also: Vec<String>,
    pub agree: bool,
}

/// One combination of results (a whole run's syscalls).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CombinedRow {
    pub syscalls: Vec<String>,
    /// Whether some interleaving of the model gives it.
    pub model: bool,
    pub seen: usize,
    pub agree: bool,
}

/// The lab's report (`dioscope kernel --json`; keys are only added).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct LabReport {
    /// The scenario's id (file stem) and title.
    pub scenario: String,
    pub title: String,
    /// The filesystem the scenario models.
    pub scenario_fs: String,
    pub preset: String,
    pub set: Vec<String>,
    pub env: Env,
    /// `stress` or `sequential`.
    pub mode: String,
    /// Sequential mode: the order of whole ops (`A B A`).
    pub order: Option<String>,
    pub runs: usize,
    pub seed: u64,
    pub jitter_us: u64,
    pub setup: String,
    /// What could not run, and why (then nothing ran).
    pub not_run: Vec<super::plan::NotRun>,
    pub warnings: Vec<String>,
    pub model_complete: bool,
    pub model_results: usize,
    pub outcomes: Vec<OutcomeRow>,
    pub results: Vec<ResultRow>,
    pub combined: Vec<CombinedRow>,
    pub hangs: Vec<String>,
    pub disagreements: Vec<String>,
}

/// What the report needs besides the two sides.
pub struct Meta<'a> {
    pub id: &'a str,
    pub env: &'a Env,
    pub mode: &'a str,
    pub order: Option<String>,
    pub seed: u64,
    pub jitter_us: u64,
    pub warnings: Vec<String>,
}

fn verdict_word(v: Verdict, proven: bool) -> String {
    if proven {
        v.name().to_uppercase()
    } else if v == Verdict::Never {
        "NOT SEEN (model search incomplete)".into()
    } else {
        format!("{} (model search incomplete)", v.name().to_uppercase())
    }
}

/// The comparison of many runs with every interleaving of the model.
pub fn compare(sc: &Scenario, m: &ModelSide, t: &Tally, meta: Meta) -> LabReport {
    let mut dis = Vec::new();
    let policy = policy_words(m);
    let mut outcomes = Vec::new();
    for o in Outcome::ALL {
        let i = o as usize;
        let (v, proven) = m.verdict(o);
        let (seen, not, und) = (t.held[i], t.not[i], t.undecided[i]);
        let observable = t.not_observable[i].is_none();
        let mut agree = true;
        if observable && proven {
            if v == Verdict::Never && seen > 0 {
                agree = false;
                dis.push(format!(
                    "{o}: the model ({policy}) says NEVER; the kernel showed it in {} of {}",
                    thousands(seen),
                    n_runs(t.runs)
                ));
            }
            if v == Verdict::Always && not > 0 {
                agree = false;
                dis.push(format!(
                    "{o}: the model ({policy}) says ALWAYS; the kernel showed runs without it ({} of {})",
                    thousands(not),
                    thousands(t.runs)
                ));
            }
        }
        let note = if let Some(why) = t.not_observable[i] {
            Some(format!("not observable on the kernel: {why}"))
        } else if o == Outcome::LostWrite && !has_crash(sc) {
            Some("cannot happen: it needs a power failure, and the scenario has none".into())
        } else if und > 0 {
            Some(format!(
                "undecided in {} runs: {}",
                thousands(und),
                t.undecided_why[i].unwrap_or("")
            ))
        } else {
            None
        };
        outcomes.push(OutcomeRow {
            outcome: o.name().into(),
            model: v.name().into(),
            proven,
            seen,
            decided: seen + not,
            undecided: und,
            note,
            observable,
            agree,
        });
    }
    let mut rows = Vec::new();
    for (k, key) in m.keys.iter().enumerate() {
        let mut vals: BTreeSet<&String> = m.values[k].keys().collect();
        vals.extend(t.values[k].keys());
        for val in vals {
            let (seen, also) = t.values[k]
                .get(val)
                .map_or((0, Vec::new()), |(n, a)| (*n, a.iter().cloned().collect()));
            let (v, proven) = m.value_verdict(k, val);
            let mut agree = true;
            if proven && seen > 0 && v == Verdict::Never {
                let rescued = also
                    .iter()
                    .any(|a: &String| a == ANY || m.values[k].contains_key(a));
                if !rescued {
                    agree = false;
                    dis.push(format!(
                        "\"{key} = {val}\": the model ({policy}) says NEVER; the kernel showed it in {} of {}",
                        thousands(seen),
                        n_runs(t.runs)
                    ));
                }
            }
            if proven && v == Verdict::Always && seen == 0 && t.runs > 0 {
                agree = false;
                dis.push(format!(
                    "\"{key} = {val}\": the model ({policy}) says ALWAYS; the kernel never showed it in {}",
                    n_runs(t.runs)
                ));
            }
            let model = if also.iter().any(|a| a == ANY) {
                "not captured".to_string()
            } else {
                v.name().to_string()
            };
            rows.push(ResultRow {
                result: format!("{key} = {val}"),
                model,
                proven,
                seen,
                also,
                agree,
            });
        }
    }
    let mut combined = Vec::new();
    for (tuple, (seen, alts)) in &t.tuples {
        let possible = m.tuples.contains(tuple) || alt_tuple_possible(m, tuple, alts);
        let agree = possible || !m.complete;
        if !agree {
            dis.push(format!(
                "the combination [{}]: the model ({policy}) never gives it; the kernel showed it in {} of {}",
                named(&m.keys, tuple).join("; "),
                thousands(*seen),
                n_runs(t.runs)
            ));
        }
        combined.push(CombinedRow {
            syscalls: named(&m.keys, tuple),
            model: possible,
            seen: *seen,
            agree,
        });
    }
    combined.sort_by_key(|c| std::cmp::Reverse(c.seen));
    LabReport {
        scenario: meta.id.to_string(),
        title: sc.title.clone(),
        scenario_fs: sc.setup.fs.name().to_string(),
        preset: m.preset.clone(),
        set: m.set.clone(),
        env: meta.env.clone(),
        mode: meta.mode.into(),
        order: meta.order,
        runs: t.runs,
        seed: meta.seed,
        jitter_us: meta.jitter_us,
        setup: super::plan::setup_words(sc),
        not_run: Vec::new(),
        warnings: meta.warnings,
        model_complete: m.complete,
        model_results: m.results,
        outcomes,
        results: rows,
        combined,
        hangs: t.hangs.clone(),
        disagreements: dis,
    }
}

fn has_crash(sc: &Scenario) -> bool {
    sc.tasks
        .iter()
        .flat_map(|t| &t.ops)
        .any(|o| matches!(o, crate::ops::Op::Crash))
}

fn alt_tuple_possible(m: &ModelSide, tuple: &[String], alts: &[BTreeSet<String>]) -> bool {
    // each position: its value, one of its other spellings, or anything
    // when it was not captured
    m.tuples.iter().any(|t| {
        t.len() == tuple.len()
            && t.iter().enumerate().all(|(i, mv)| {
                *mv == tuple[i]
                    || alts
                        .get(i)
                        .is_some_and(|a| a.contains(ANY) || a.contains(mv))
            })
    })
}

fn named(keys: &[String], tuple: &[String]) -> Vec<String> {
    keys.iter()
        .zip(tuple)
        .map(|(k, v)| format!("{k} = {v}"))
        .collect()
}

fn policy_words(m: &ModelSide) -> String {
    if m.set.is_empty() {
        m.preset.clone()
    } else {
        format!("{} + {}", m.preset, m.set.join(", "))
    }
}

/// A sequential run: the model's run of the same order, one to one.
pub struct SeqModel {
    pub values: Vec<String>,
    pub fired: u16,
    /// Set when the model could not finish an op in this order.
    pub stuck: Option<String>,
}

/// The comparison of sequential kernel runs with the model's run of the
/// same order.
pub fn compare_sequential(
    sc: &Scenario,
    m: &SeqModel,
    t: &Tally,
    preset: &str,
    set: &[String],
    meta: Meta,
) -> LabReport {
    let mut dis = Vec::new();
    let policy = if set.is_empty() {
        preset.to_string()
    } else {
        format!("{preset} + {}", set.join(", "))
    };
    let keys: Vec<String> = sc
        .tasks
        .iter()
        .enumerate()
        .flat_map(|(ti, t)| (0..t.ops.len()).map(move |oi| (ti, oi)))
        .map(|(ti, oi)| result_name(sc, ti, oi))
        .collect();
    let mut outcomes = Vec::new();
    for o in Outcome::ALL {
        let i = o as usize;
        let fired = m.fired & o.bit() != 0;
        let (seen, not, und) = (t.held[i], t.not[i], t.undecided[i]);
        let observable = t.not_observable[i].is_none();
        let mut agree = true;
        if observable && ((fired && not > 0) || (!fired && seen > 0)) {
            agree = false;
            dis.push(format!(
                "{o}: the model's run of this order ({policy}) {}; the kernel {}",
                if fired {
                    "shows it"
                } else {
                    "does not show it"
                },
                if fired {
                    format!("did not in {} of {}", thousands(not), n_runs(t.runs))
                } else {
                    format!("did in {} of {}", thousands(seen), n_runs(t.runs))
                }
            ));
        }
        let note = if let Some(why) = t.not_observable[i] {
            Some(format!("not observable on the kernel: {why}"))
        } else if o == Outcome::LostWrite && !has_crash(sc) {
            Some("cannot happen: it needs a power failure, and the scenario has none".into())
        } else if und > 0 {
            Some(format!(
                "undecided in {} runs: {}",
                thousands(und),
                t.undecided_why[i].unwrap_or("")
            ))
        } else {
            None
        };
        outcomes.push(OutcomeRow {
            outcome: o.name().into(),
            model: if fired { "always" } else { "never" }.into(),
            proven: true,
            seen,
            decided: seen + not,
            undecided: und,
            note,
            observable,
            agree,
        });
    }
    let mut rows = Vec::new();
    for (k, key) in keys.iter().enumerate() {
        let model_val = m.values.get(k).cloned().unwrap_or_default();
        let mut vals: BTreeSet<String> = t.values[k].keys().cloned().collect();
        vals.insert(model_val.clone());
        for val in vals {
            let (seen, also) = t.values[k]
                .get(&val)
                .map_or((0, Vec::new()), |(n, a)| (*n, a.iter().cloned().collect()));
            let is_model = val == model_val;
            let agree =
                is_model || seen == 0 || also.contains(&model_val) || also.iter().any(|a| a == ANY);
            if !agree {
                dis.push(format!(
                    "\"{key}\": the model's run of this order ({policy}) gives {model_val}; the kernel gave {val} in {} of {}",
                    thousands(seen),
                    n_runs(t.runs)
                ));
            }
            rows.push(ResultRow {
                result: format!("{key} = {val}"),
                model: if is_model { "always" } else { "never" }.into(),
                proven: true,
                seen,
                also,
                agree,
            });
        }
    }
    if let Some(s) = &m.stuck {
        dis.push(format!("the model cannot run this order: {s}"));
    }
    let combined = t
        .tuples
        .iter()
        .map(|(tuple, (seen, _))| CombinedRow {
            syscalls: named(&keys, tuple),
            model: *tuple == m.values,
            seen: *seen,
            agree: true,
        })
        .collect();
    LabReport {
        scenario: meta.id.to_string(),
        title: sc.title.clone(),
        scenario_fs: sc.setup.fs.name().to_string(),
        preset: preset.to_string(),
        set: set.to_vec(),
        env: meta.env.clone(),
        mode: meta.mode.into(),
        order: meta.order,
        runs: t.runs,
        seed: meta.seed,
        jitter_us: meta.jitter_us,
        setup: super::plan::setup_words(sc),
        not_run: Vec::new(),
        warnings: meta.warnings,
        model_complete: true,
        model_results: 1,
        outcomes,
        results: rows,
        combined,
        hangs: t.hangs.clone(),
        disagreements: dis,
    }
}

impl LabReport {
    pub fn agrees(&self) -> bool {
        self.disagreements.is_empty()
    }

    pub fn text(&self) -> String {
        let mut out = format!("{}: {}\n", self.scenario, self.title);
        out += &format!(
            "kernel: Linux {}, {} on {} ({})\n",
            self.env.kernel, self.env.fs, self.env.dir, self.env.mount_options
        );
        // a scenario the kernel cannot run has no model side to compare: the
        // reasons are the whole report
        if !self.not_run.is_empty() {
            out += "\nnot run on the kernel:\n";
            for n in &self.not_run {
                out += &format!("  {}: {}\n", n.what, n.why);
            }
            return out;
        }
        let policy = self.policy();
        out += &self.text_how(&policy);
        out += &self.text_outcomes();
        out += &self.text_results();
        out += &self.text_combined();
        out += &self.text_verdict(&policy);
        out
    }

    fn policy(&self) -> String {
        if self.set.is_empty() {
            self.preset.clone()
        } else {
            format!("{} + {}", self.preset, self.set.join(", "))
        }
    }

    /// A sequential run has one model run to compare with, so its column
    /// is that run's, not a verdict over all interleavings.
    fn model_head(&self) -> &'static str {
        if self.mode == "stress" {
            "model"
        } else {
            "model (this order)"
        }
    }

    /// The model, the setup, the mode and the warnings: what was compared
    /// with what, before any figure.
    fn text_how(&self, policy: &str) -> String {
        let mut out = format!(
            "model:  {policy}, {} personality{}\n",
            self.scenario_fs,
            if self.mode == "stress" {
                format!(
                    ", {} distinct results{}",
                    thousands(self.model_results),
                    if self.model_complete {
                        ""
                    } else {
                        " (search incomplete)"
                    }
                )
            } else {
                String::new()
            }
        );
        out += &format!("setup:  {}\n", self.setup);
        match &self.order {
            Some(o) => out += &format!(
                "mode:   sequential, whole ops in the order {o}, {} {}\n",
                thousands(self.runs),
                if self.runs == 1 { "run" } else { "runs" }
            ),
            None => out += &format!(
                "mode:   stress, {} runs, tasks released together, then each a random delay of up to {} µs (log-uniform)\n",
                thousands(self.runs),
                self.jitter_us
            ),
        }
        for w in &self.warnings {
            out += &format!("warning: {w}\n");
        }
        out
    }

    fn text_outcomes(&self) -> String {
        let mut out = format!("\n  {:<20} {:<20} kernel\n", "outcome", self.model_head());
        for r in &self.outcomes {
            let k = if !r.observable {
                "not observable".to_string()
            } else {
                seen_in(r.seen, self.runs)
            };
            let flag = if r.agree { "" } else { "   <-- DISAGREES" };
            let m = if self.mode == "stress" {
                verdict_word(Verdict::parse(&r.model).unwrap_or(Verdict::Never), r.proven)
            } else if r.model == "always" {
                "YES".into()
            } else {
                "NO".into()
            };
            out += &format!("  {:<20} {:<20} {k}{flag}\n", r.outcome, m);
            if let Some(n) = &r.note {
                if r.observable {
                    out += &format!("  {:<20} {:<20} ({n})\n", "", "");
                }
            }
        }
        out
    }

    fn text_results(&self) -> String {
        let mut out = format!("\n  {:<44} {:<20} kernel\n", "result", self.model_head());
        for r in &self.results {
            let flag = if r.agree { "" } else { "   <-- DISAGREES" };
            let m = if r.also.iter().any(|a| a == ANY) {
                "(not captured)".into()
            } else if self.mode == "stress" {
                verdict_word(Verdict::parse(&r.model).unwrap_or(Verdict::Never), r.proven)
            } else if r.model == "always" {
                "GIVES IT".into()
            } else {
                "-".into()
            };
            out += &format!(
                "  {:<44} {:<20} {}{flag}\n",
                r.result,
                m,
                seen_in(r.seen, self.runs)
            );
            if r.also.iter().any(|a| a == ANY) {
                out += &format!(
                    "  {:<44} {:<20} (? = not captured: a direct read into a mapping of the file that another task wrote meanwhile)\n",
                    "", ""
                );
            } else if !r.also.is_empty() {
                out += &format!(
                    "  {:<44} {:<20} (the same bytes are also {})\n",
                    "",
                    "",
                    r.also.join(", ")
                );
            }
        }
        out
    }

    /// One combined result says nothing the per-syscall table did not, so
    /// the section shows only when the kernel gave several.
    fn text_combined(&self) -> String {
        let mut out = String::new();
        if self.combined.len() > 1 {
            out += &format!(
                "\n{} distinct combined results on the kernel:\n",
                self.combined.len()
            );
            for c in &self.combined {
                out += &format!(
                    "  {} ({}){}\n",
                    seen_in(c.seen, self.runs),
                    if c.model {
                        "the model allows it"
                    } else {
                        "the model never gives it"
                    },
                    if c.agree { "" } else { "   <-- DISAGREES" }
                );
                for s in &c.syscalls {
                    out += &format!("      {s}\n");
                }
            }
        }
        out
    }

    /// The hangs and the verdict; a disagreement is fenced so that it cannot
    /// be missed at the end of a long report.
    fn text_verdict(&self, policy: &str) -> String {
        let mut out = String::new();
        for h in &self.hangs {
            out += &format!("\nHANG: {h}\n");
        }
        if self.disagreements.is_empty() {
            out += &format!(
                "\nThe kernel agrees with the model ({policy}) in {}.\n",
                n_runs(self.runs)
            );
        } else {
            out += "\n";
            out += &"!".repeat(72);
            out += &format!(
                "\n!! {} DISAGREEMENT{} BETWEEN THE KERNEL AND THE MODEL\n",
                self.disagreements.len(),
                if self.disagreements.len() == 1 {
                    ""
                } else {
                    "S"
                }
            );
            out += &"!".repeat(72);
            out += "\n";
            for d in &self.disagreements {
                out += &format!("  - {d}\n");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_the_issue() {
        assert_eq!(thousands(20000), "20,000");
        assert_eq!(thousands(268), "268");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(seen_in(268, 20000), "seen in 268 of 20,000 runs");
        assert_eq!(seen_in(0, 20000), "not seen in 20,000 runs");
        assert_eq!(seen_in(5, 5), "seen in every run (5)");
        assert_eq!(seen_in(1, 1), "seen in 1 of 1 run");
        assert_eq!(short_env("6.18.44-fc-v669", "xfs"), "Linux 6.18, xfs");
    }
}
