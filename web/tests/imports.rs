//! The web app's boundary with the core (ARCHITECTURE.md, "The web app"):
//! it drives the engine, takes the scenario and policy types, and draws
//! the core's view; it never reaches into the model's internals (folio
//! flags, lock words, histories, kernel paths), so that it cannot
//! re-derive what the core already says. This test reads every source
//! file of the app and checks each path it names in `dioscope`.

use std::path::{Path, PathBuf};

/// What the app may name in `dioscope`: the first segment of the path.
const ALLOWED: &[&str] = &[
    // the engine: World (enabled, step, ...), actors, recorded runs,
    // schedules, run specs, the explorer, and what runs end in
    "World",
    "Actor",
    "trace",
    "sched",
    "run",
    "explore",
    "Outcome",
    "Verdict",
    // scenarios and policies
    "Scenario",
    "ScenarioError",
    "parse_scenario",
    "scenario",
    "library",
    "Policy",
    "policy",
    // the view, and what leaves the app made from it by the core
    "view",
    "link",
    "diagram",
    "svg",
    // what the core computes for the Cost and Across-kernels panels:
    // timed runs, sweeps and their SVG plots, outcome x preset matrices
    "timed",
    "sweep",
    "plot",
    "matrix",
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The first segment of every path after `dioscope::` in `text`
/// (`use dioscope::{a, b::c}` gives `a` and `b`).
fn first_segments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices("dioscope::") {
        // `dioscope::` inside another name (`my_dioscope::`) is not ours.
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &text[at + "dioscope::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Items at the group's own level: `{a::{x, y}, b}` gives a, b.
            let (mut depth, mut item_start) = (0usize, true);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && (c.is_alphanumeric() || c == '_') => {
                        item_start = false;
                        let seg: String = group[i..]
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        if seg != "self" {
                            out.push(seg);
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let seg: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push(seg);
        }
    }
    out
}

#[test]
fn the_app_names_only_the_engine_the_scenario_and_policy_types_and_the_view() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    assert!(files.len() > 10, "{files:?}");
    let mut bad = Vec::new();
    let mut seen = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for seg in first_segments(&text) {
            seen += 1;
            if !ALLOWED.contains(&seg.as_str()) {
                bad.push(format!("{}: dioscope::{seg}", f.display()));
            }
        }
    }
    assert!(seen > 20, "only {seen} paths into the core found");
    assert!(
        bad.is_empty(),
        "the web app reaches into the core's internals (see ARCHITECTURE.md):\n{}",
        bad.join("\n")
    );
}

#[test]
fn paths_are_found_in_groups_and_alone() {
    assert_eq!(
        first_segments(
            "use dioscope::{self, view::{StateView, Ver}, World};\nlet x = dioscope::pagecache::DIRTY;"
        ),
        ["view", "World", "pagecache"]
    );
    assert_eq!(first_segments("my_dioscope::x"), Vec::<String>::new());
}
