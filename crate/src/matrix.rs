//! The verdict matrix (`dioscope matrix`): one scenario explored under
//! every preset, kernel trees oldest first, then the proposals, so that
//! "which releases have this bug?" is one command. Each cell is the
//! outcome's verdict over every interleaving (ALWAYS, SOMETIMES, NEVER),
//! or "bound" when the search stopped at a bound before it covered them
//! all, with the shortest schedule that shows it (its witness) and why.
//!
//! Plain data (`serde::Serialize`) with every word made here: the email
//! text ([`Matrix::text`], at most 72 columns) and the app's "Across
//! kernels" panel draw the same cells. A front end that explores in time
//! slices builds the matrix a column at a time with [`column`].

use crate::explore::{self, Options, Report};
use crate::outcome::{Outcome, Verdict};
use crate::policy::{KnobError, PRESETS};
use crate::scenario::Scenario;
use crate::world::World;

/// Every kernel tree in order, oldest first, then every proposal.
pub fn default_presets() -> Vec<&'static str> {
    let releases = PRESETS.iter().filter(|p| !p.proposal);
    let proposals = PRESETS.iter().filter(|p| p.proposal);
    releases.chain(proposals).map(|p| p.name).collect()
}

/// The exploration a matrix runs for each preset.
pub fn options(max_states: Option<usize>) -> Options {
    Options {
        max_states,
        reduction: true,
        ..Options::default()
    }
}

/// An outcome: its name and what it means.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OutcomeInfo {
    pub name: String,
    pub meaning: String,
}

/// One outcome under one preset.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Cell {
    pub outcome: String,
    /// `always`, `sometimes`, `never`, or `bound` when the search was
    /// incomplete and the verdict is not proven.
    pub verdict: String,
    /// What the runs explored showed (the verdict, when proven).
    pub seen: String,
    /// Terminal states where it happens.
    pub runs: usize,
    /// The shortest schedule that shows it, for `--schedule` (with the
    /// column's preset).
    pub witness: Option<String>,
    /// The explanation, from replaying the witness.
    pub why: Option<String>,
}

/// One preset's column.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Column {
    pub preset: String,
    /// The release (`5.8`; `~6.2` when inferred from a date).
    pub kernel: String,
    pub proposal: bool,
    /// What the preset is, in one line, with its source.
    pub summary: String,
    /// Whether the search covered every interleaving.
    pub complete: bool,
    /// What stopped it, if not.
    pub stopped_by: Option<String>,
    pub states: usize,
    /// One per outcome, in the order of [`Matrix::outcomes`].
    pub cells: Vec<Cell>,
}

/// The matrix: outcomes × presets.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Matrix {
    pub scenario: String,
    /// The scenario as the command named it (a file or a bundled id).
    pub file: String,
    pub outcomes: Vec<OutcomeInfo>,
    pub columns: Vec<Column>,
    pub max_states: Option<usize>,
}

/// Replays a witness with history, for its explanation.
fn why(start: &World, witness: &[String], o: Outcome) -> Option<String> {
    let mut w = start.clone();
    for n in witness {
        let a = crate::sched::resolve(&w, n)?;
        w.step(a).ok()?;
    }
    w.outcomes()
        .iter()
        .find(|r| r.outcome == o)
        .map(|r| r.why.clone())
}

/// A preset's column from its exploration's report (`r` explored the
/// scenario under `sc.policy(Some(preset))`).
pub fn column(sc: &Scenario, preset: &str, r: &Report) -> Result<Column, KnobError> {
    let policy = sc.policy(Some(preset))?;
    let def = crate::policy::preset_def(preset).expect("the policy was found");
    let start = World::new(sc, &policy);
    let cells = Outcome::ALL
        .iter()
        .map(|&o| {
            let v = r.verdict(o);
            let verdict = if v.proven { v.verdict.name() } else { "bound" };
            Cell {
                outcome: o.name().to_string(),
                verdict: verdict.to_string(),
                seen: v.verdict.name().to_string(),
                runs: v.runs,
                witness: v
                    .witness
                    .as_ref()
                    .map(|w| crate::sched::Schedule::from_actors(w).to_string()),
                why: v.witness.as_ref().and_then(|w| why(&start, w, o)),
            }
        })
        .collect();
    Ok(Column {
        preset: preset.to_string(),
        kernel: format!("{}{}", if def.approx { "~" } else { "" }, def.kernel),
        proposal: def.proposal,
        summary: def.summary.to_string(),
        complete: r.stats.complete,
        stopped_by: r.stats.stopped_by.clone(),
        states: r.stats.states,
        cells,
    })
}

impl Matrix {
    /// A matrix of columns made one at a time with [`column`] (a front
    /// end that explores each preset in time slices).
    pub fn new(
        sc: &Scenario,
        file: &str,
        columns: Vec<Column>,
        max_states: Option<usize>,
    ) -> Matrix {
        Matrix {
            scenario: sc.title.clone(),
            file: file.to_string(),
            outcomes: Outcome::ALL
                .iter()
                .map(|o| OutcomeInfo {
                    name: o.name().to_string(),
                    meaning: o.meaning().to_string(),
                })
                .collect(),
            columns,
            max_states,
        }
    }
}

/// Explores `sc` under each preset.
pub fn matrix(
    sc: &Scenario,
    file: &str,
    presets: &[String],
    max_states: Option<usize>,
) -> Result<Matrix, KnobError> {
    let opts = options(max_states);
    let mut columns = Vec::new();
    for p in presets {
        let policy = sc.policy(Some(p))?;
        let r = explore::explore(&World::new_quiet(sc, &policy), &opts, |_| true);
        columns.push(column(sc, p, &r)?);
    }
    Ok(Matrix::new(sc, file, columns, max_states))
}

/// The email text's width.
const WIDTH: usize = 72;

impl Matrix {
    /// Outcomes that happen (or may: bound) under some preset.
    fn shown(&self) -> Vec<usize> {
        (0..self.outcomes.len())
            .filter(|&i| {
                self.columns
                    .iter()
                    .any(|c| c.cells[i].verdict != Verdict::Never.name())
            })
            .collect()
    }

    /// The matrix as plain text for email: one row per preset (kernel
    /// trees, then proposals), one column per outcome that happens under
    /// some preset; then the witnesses, one per distinct schedule.
    pub fn text(&self) -> String {
        let mut o = String::new();
        for l in crate::diagram::wrap(&format!("Across kernels: {}", self.scenario), WIDTH) {
            o += &format!("{l}\n");
        }
        for l in crate::diagram::wrap(
            &format!(
                "dioscope matrix {}: each outcome over every interleaving, per preset",
                self.file
            ),
            WIDTH,
        ) {
            o += &format!("{l}\n");
        }
        o += "\n";
        let shown = self.shown();
        let name_w = self
            .columns
            .iter()
            .map(|c| c.preset.len())
            .max()
            .unwrap_or(6)
            + 2;
        let word = |v: &str| v.to_uppercase();
        let letter = |v: &str| match v {
            "always" => "A",
            "sometimes" => "S",
            "never" => "N",
            _ => "b",
        };
        // full names if they fit, else numbered columns, else letters
        let full: usize = shown
            .iter()
            .map(|&i| self.outcomes[i].name.len().max(9) + 2)
            .sum();
        let tier = if name_w + full <= WIDTH {
            0
        } else if name_w + 11 * shown.len() <= WIDTH {
            1
        } else {
            2
        };
        let col_w = |i: usize| match tier {
            0 => self.outcomes[i].name.len().max(9) + 2,
            1 => 11,
            _ => 5,
        };
        if shown.is_empty() {
            o += "No outcome happens under any preset.\n";
        } else {
            let mut head = " ".repeat(name_w);
            for (k, &i) in shown.iter().enumerate() {
                let h = if tier == 0 {
                    self.outcomes[i].name.clone()
                } else {
                    format!("({})", k + 1)
                };
                head += &format!("{h:<w$}", w = col_w(i));
            }
            o += &format!("{}\n", head.trim_end());
            let mut proposals = false;
            for c in &self.columns {
                if c.proposal && !proposals {
                    proposals = true;
                    o += "proposals:\n";
                }
                let mut row = format!("{:<name_w$}", c.preset);
                for &i in &shown {
                    let v = &c.cells[i].verdict;
                    let cell = if tier == 2 {
                        letter(v).to_string()
                    } else {
                        word(v)
                    };
                    row += &format!("{cell:<w$}", w = col_w(i));
                }
                o += &format!("{}\n", row.trim_end());
            }
            if tier > 0 {
                let legend: Vec<String> = shown
                    .iter()
                    .enumerate()
                    .map(|(k, &i)| format!("({}) {}", k + 1, self.outcomes[i].name))
                    .collect();
                for l in crate::diagram::wrap(&legend.join("  "), WIDTH) {
                    o += &format!("{l}\n");
                }
            }
            if tier == 2 {
                o += "A always, S sometimes, N never, b bound\n";
            }
        }
        let never: Vec<&str> = (0..self.outcomes.len())
            .filter(|i| !shown.contains(i))
            .map(|i| self.outcomes[i].name.as_str())
            .collect();
        if !never.is_empty() && !shown.is_empty() {
            o += "\n";
            for l in crate::diagram::wrap(
                &format!("NEVER under any preset: {}", never.join(", ")),
                WIDTH,
            ) {
                o += &format!("{l}\n");
            }
        }
        let bound: Vec<&str> = self
            .columns
            .iter()
            .filter(|c| !c.complete)
            .map(|c| c.preset.as_str())
            .collect();
        if !bound.is_empty() {
            o += "\n";
            let by = match self.max_states {
                Some(n) => format!(" at {n} states (--max-states)"),
                None => String::new(),
            };
            for l in crate::diagram::wrap(
                &format!(
                    "bound: the search stopped{by} before covering every interleaving, so ALWAYS and NEVER are not proven under: {}",
                    bound.join(", ")
                ),
                WIDTH,
            ) {
                o += &format!("{l}\n");
            }
        }
        o += &self.witnesses_text();
        o
    }

    /// Each shown outcome's distinct witnesses, with the presets they
    /// replay under.
    fn witnesses_text(&self) -> String {
        let mut o = String::new();
        let shown = self.shown();
        if shown
            .iter()
            .all(|&i| self.columns.iter().all(|c| c.cells[i].witness.is_none()))
        {
            return o;
        }
        o += "\nWitnesses (the shortest schedule showing each), replayed with\n";
        for l in crate::diagram::wrap(
            &format!("dioscope run {} --preset P --schedule \"...\"", self.file),
            WIDTH - 2,
        ) {
            o += &format!("  {l}\n");
        }
        for &i in &shown {
            let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
            for c in &self.columns {
                if let Some(w) = &c.cells[i].witness {
                    match groups.iter_mut().find(|(g, _)| g == w) {
                        Some((_, ps)) => ps.push(&c.preset),
                        None => groups.push((w, vec![&c.preset])),
                    }
                }
            }
            if groups.is_empty() {
                continue;
            }
            o += &format!("{}\n", self.outcomes[i].name);
            for (w, ps) in groups {
                for l in crate::diagram::wrap(&format!("{}:", ps.join(", ")), WIDTH - 2) {
                    o += &format!("  {l}\n");
                }
                for l in crate::diagram::wrap(w, WIDTH - 4) {
                    o += &format!("    {l}\n");
                }
            }
        }
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_presets_are_the_releases_in_order_then_the_proposals() {
        let d = default_presets();
        assert_eq!(d.len(), PRESETS.len());
        let first_proposal = d
            .iter()
            .position(|p| crate::policy::preset_def(p).unwrap().proposal)
            .unwrap();
        assert!(d[..first_proposal]
            .iter()
            .all(|p| !crate::policy::preset_def(p).unwrap().proposal));
        assert!(d[first_proposal..]
            .iter()
            .all(|p| crate::policy::preset_def(p).unwrap().proposal));
        assert_eq!(d[0], "linux-5.7");
    }

    #[test]
    fn a_bound_search_says_bound_and_text_fits_email() {
        let sc = crate::library::find("dio-write-vs-mmap-store")
            .unwrap()
            .parse()
            .unwrap();
        let presets: Vec<String> = default_presets().iter().map(|p| p.to_string()).collect();
        let m = matrix(&sc, "dio-write-vs-mmap-store", &presets, Some(20)).unwrap();
        assert!(m.columns.iter().all(|c| !c.complete));
        let never = m.columns[0]
            .cells
            .iter()
            .find(|c| c.outcome == "deadlock")
            .unwrap();
        assert_eq!(
            (never.verdict.as_str(), never.seen.as_str()),
            ("bound", "never")
        );
        let text = m.text();
        assert!(
            text.contains("bound: the search stopped at 20 states"),
            "{text}"
        );
        for l in text.lines() {
            assert!(l.chars().count() <= WIDTH, "{l:?}");
        }
        let e = matrix(&sc, "x", &["linux-9.9".to_string()], None).unwrap_err();
        assert!(e.to_string().contains("unknown preset"), "{e}");
    }
}
