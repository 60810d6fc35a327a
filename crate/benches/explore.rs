//! `cargo bench -p dioscope --bench explore`: the explorer's benchmark
//! table (states, states/s, wall time, reduction ratio) for every bundled
//! scenario (under each of its expectations' presets) and for generated
//! scenarios of 2, 3 and 4 tasks of growing length; and the engine's raw
//! step rate on seeded random runs.
//!
//! A bench binary rather than criterion: the numbers are whole-exploration
//! figures, printed as a table for the notes and the README.

use std::time::Instant;

use dioscope::explore::{explore, Options};
use dioscope::gen::{scenario, Shape};
use dioscope::scenario::Scenario;
use dioscope::sched::Then;
use dioscope::World;

fn run(
    sc: &Scenario,
    preset: Option<&str>,
    reduction: bool,
    max_states: Option<usize>,
) -> (usize, usize, f64, bool) {
    let pol = sc.policy(preset).expect("valid policy");
    let w = World::new_quiet(sc, &pol);
    let t0 = Instant::now();
    let r = explore(
        &w,
        &Options {
            reduction,
            max_states,
            ..Options::default()
        },
        |_| true,
    );
    (
        r.stats.states,
        r.stats.transitions,
        t0.elapsed().as_secs_f64(),
        r.stats.complete,
    )
}

fn row(name: &str, sc: &Scenario, preset: Option<&str>, max_states: Option<usize>) {
    let (s1, t1, secs, complete) = run(sc, preset, true, max_states);
    let (_, t0, _, _) = run(sc, preset, false, max_states);
    println!(
        "{:<44} {:>9} {:>10} {:>12.0} {:>9.1} {:>8.2}{}",
        name,
        s1,
        t1,
        s1 as f64 / secs.max(1e-9),
        secs * 1000.0,
        t0 as f64 / t1.max(1) as f64,
        if complete { "" } else { "  (bounded)" }
    );
}

fn main() {
    let filter = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    println!(
        "{:<44} {:>9} {:>10} {:>12} {:>9} {:>8}",
        "scenario (preset)", "states", "transit.", "states/s", "ms", "red."
    );
    for b in dioscope::library::bundled() {
        if filter.as_deref().is_some_and(|f| !b.id().contains(f)) {
            continue;
        }
        let sc = b.parse().expect("bundled scenarios parse");
        let mut presets: Vec<String> = sc.expects.iter().map(|e| e.preset.clone()).collect();
        presets.dedup();
        if presets.is_empty() {
            presets.push(sc.setup.preset.clone());
        }
        for p in presets {
            row(&format!("{} ({p})", b.id()), &sc, Some(&p), None);
        }
    }
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
