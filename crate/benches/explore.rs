//! `cargo bench -p dioscope --bench explore [FILTER]`: the explorer's
//! benchmark table for every bundled scenario (under each of its
//! expectations' presets) and for generated scenarios of 2, 3 and 4 tasks
//! of growing length: states, transitions, engine steps per second, wall
//! time, the interleavings of the full state graph and the reduction ratio
//! (interleavings without the reduction / with it); then the engine's raw
//! step rate on seeded random runs.
//!
//! A bench binary rather than criterion: the figures are whole
//! explorations, printed as a table for the notes and the README.

use std::time::Instant;

use dioscope::explore::{explore, Options};
use dioscope::gen::{scenario, Shape};
use dioscope::scenario::Scenario;
use dioscope::sched::Then;
use dioscope::World;

struct Row {
    states: usize,
    transitions: usize,
    secs: f64,
    complete: bool,
    interleavings: Option<f64>,
}

fn run(
    sc: &Scenario,
    preset: Option<&str>,
    reduction: bool,
    max_states: Option<usize>,
    count: bool,
) -> Row {
    let pol = sc.policy(preset).expect("valid policy");
    let w = World::new_quiet(sc, &pol);
    let t0 = Instant::now();
    let opts = Options {
        reduction,
        max_states,
        count_interleavings: count,
        ..Options::default()
    };
    let r = explore(&w, &opts, |_| true);
    Row {
        states: r.stats.states,
        transitions: r.stats.transitions,
        secs: t0.elapsed().as_secs_f64(),
        complete: r.stats.complete,
        interleavings: r.stats.interleavings,
    }
}

/// One line: the timed run (reduction on, not counting), then the
/// interleavings with and without the reduction (separate runs).
fn row(name: &str, sc: &Scenario, preset: Option<&str>, max_states: Option<usize>) {
    let r = run(sc, preset, true, max_states, false);
    let (with, without) = if r.complete && r.states <= 300_000 {
        (
            run(sc, preset, true, max_states, true).interleavings,
            run(sc, preset, false, max_states, true).interleavings,
        )
    } else {
        (None, None)
    };
    let ratio = match (with, without) {
        (Some(a), Some(b)) if a > 0.0 => format!("{:.2}", b / a),
        _ => "-".into(),
    };
    let inter = without.map_or("-".into(), |b| format!("{b:.0}"));
    println!(
        "{:<44} {:>9} {:>10} {:>11.0} {:>9.1} {:>14} {:>7}{}",
        name,
        r.states,
        r.transitions,
        r.transitions as f64 / r.secs.max(1e-9),
        r.secs * 1000.0,
        inter,
        ratio,
        if r.complete { "" } else { "  (bounded)" }
    );
}

fn main() {
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    println!(
        "{:<44} {:>9} {:>10} {:>11} {:>9} {:>14} {:>7}",
        "scenario (preset)", "states", "transit.", "steps/s", "ms", "interleavings", "ratio"
    );
    let mut total = 0.0;
    for b in dioscope::library::bundled() {
        if filter.as_deref().is_some_and(|f| !b.id().contains(f)) {
            continue;
        }
        let sc = b.parse().expect("bundled scenarios parse");
        let mut presets: Vec<String> = sc.expects.iter().map(|e| e.preset.clone()).collect();
        presets.sort();
        presets.dedup();
        if presets.is_empty() {
            presets.push(sc.setup.preset.clone());
        }
        for p in presets {
            let t = Instant::now();
            row(&format!("{} ({p})", b.id()), &sc, Some(&p), None);
            total += t.elapsed().as_secs_f64();
        }
    }
    println!(
        "(bundled library: {:.0} ms for all the rows above, counting included)",
        total * 1000.0
    );
    println!("\ngenerated (tasks x ops, 3 pages, seed 7)");
    for tasks in 2..=4 {
        for ops in 1..=4 {
            let text = scenario(
                7,
                &Shape {
                    tasks,
                    ops,
                    pages: 3,
                    exotic: false,
                },
            );
            let sc = dioscope::scenario::parse("gen", &text).unwrap();
            row(
                &format!("{tasks} tasks x {ops} ops"),
                &sc,
                None,
                Some(2_000_000),
            );
        }
    }
    // raw engine speed: seeded random runs of generated scenarios
    let mut steps = 0usize;
    let t0 = Instant::now();
    let mut seed = 0u64;
    while t0.elapsed().as_secs_f64() < 2.0 {
        let text = scenario(
            seed,
            &Shape {
                tasks: 3,
                ops: 4,
                pages: 3,
                exotic: false,
            },
        );
        let sc = dioscope::scenario::parse("gen", &text).unwrap();
        let pol = sc.policy(None).unwrap();
        let mut w = World::new_quiet(&sc, &pol);
        let mut then = Then::seeded(seed);
        while let Some(a) = then.pick(&w) {
            w.step(a).unwrap();
            steps += 1;
        }
        seed += 1;
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "\nengine: {steps} steps in {secs:.2} s = {:.0} steps/s (seeded random runs, no history)",
        steps as f64 / secs
    );
}
