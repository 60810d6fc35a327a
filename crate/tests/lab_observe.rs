//! The observer's outcome definitions (`observe.rs`) against the model's
//! oracles: on model runs, what the record of the run decides must be what
//! the oracles fired.

use dioscope::gen::{scenario, Shape};
use dioscope::observe::{from_model, Decision, Observer};
use dioscope::outcome::Outcome;
use dioscope::sched::{self, Schedule, Then};
use dioscope::{Scenario, World};

#[derive(Default)]
struct Tally {
    runs: usize,
    decided: [usize; 9],
    fired: [usize; 9],
    /// Decided and fired: the comparison covers positives too.
    both: [usize; 9],
    mismatches: Vec<String>,
    /// Mismatches where the bytes seen were two versions' (the oracles
    /// judged which one it was).
    ambiguous: usize,
}

fn check_run(sc: &Scenario, preset: &str, seed: u64, t: &mut Tally) {
    let Ok(pol) = sc.policy(Some(preset)) else {
        return;
    };
    let mut w = World::new(sc, &pol);
    sched::run(&mut w, &Schedule::default(), Then::seeded(seed)).unwrap();
    let h = from_model(&w);
    let obs = Observer::new(sc, &h);
    t.runs += 1;
    for (o, d) in obs.outcomes() {
        let fired = w.fired() & o.bit() != 0;
        if fired {
            t.fired[o as usize] += 1;
        }
        if let Some(held) = d.decided() {
            t.decided[o as usize] += 1;
            if fired {
                t.both[o as usize] += 1;
            }
            if held != fired && obs.ambiguous() {
                t.ambiguous += 1;
            } else if held != fired {
                t.mismatches.push(format!(
                    "{o}: observed {d:?}, model fired {fired}; {} under {preset}, seed {seed}\n{}",
                    sc.title, sc.source
                ));
            }
        }
        if let Decision::NotObservable(_) = d {
            assert!(
                matches!(
                    o,
                    Outcome::MisdirectedWrite | Outcome::StaleIomap | Outcome::LostWrite
                ),
                "{o} is not observable?"
            );
        }
    }
}

#[test]
fn observed_outcomes_agree_with_the_oracles_on_bundled_scenarios() {
    let mut t = Tally::default();
    for b in dioscope::library::bundled() {
        let sc = b.parse().unwrap();
        for p in dioscope::policy::PRESETS {
            for seed in 0..20 {
                check_run(&sc, p.name, seed, &mut t);
            }
        }
    }
    report(&t);
    // the comparison must not be vacuous: positives were compared too
    for o in [
        Outcome::SpuriousEio,
        Outcome::Deadlock,
        Outcome::SyscallError,
    ] {
        assert!(t.both[o as usize] > 0, "no decided run where {o} fired");
    }
}

#[test]
fn observed_outcomes_agree_with_the_oracles_on_generated_scenarios() {
    let mut t = Tally::default();
    for seed in 0..5000u64 {
        let shape = Shape {
            tasks: 1 + (seed % 3) as usize,
            ops: 1 + (seed / 3 % 4) as usize,
            pages: 1 + (seed / 12 % 3) as u8,
            exotic: seed % 5 == 0,
        };
        let text = scenario(seed, &shape);
        let sc = dioscope::scenario::parse("generated.toml", &text).unwrap();
        let preset = sc.setup.preset.clone();
        check_run(&sc, &preset, seed, &mut t);
    }
    report(&t);
    assert_mostly_decided(&t);
    for o in [
        Outcome::StaleRead,
        Outcome::StaleCache,
        Outcome::UnreportedLoss,
        Outcome::SpuriousEio,
    ] {
        assert!(t.both[o as usize] > 0, "no decided run where {o} fired");
    }
}

fn report(t: &Tally) {
    for o in Outcome::ALL {
        eprintln!(
            "{:<18} decided in {:>6} of {} runs, fired in {} ({} of them decided)",
            o.name(),
            t.decided[o as usize],
            t.runs,
            t.fired[o as usize],
            t.both[o as usize]
        );
    }
    eprintln!(
        "{} disagreements on which of two versions of the same bytes was seen",
        t.ambiguous
    );
    for m in t.mismatches.iter().take(5) {
        eprintln!("\n{m}");
    }
    assert!(t.mismatches.is_empty(), "{} mismatches", t.mismatches.len());
}

/// Most runs are decided: the definitions are observable in practice.
fn assert_mostly_decided(t: &Tally) {
    for o in [
        Outcome::StaleRead,
        Outcome::StaleCache,
        Outcome::UnreportedLoss,
        Outcome::SpuriousEio,
        Outcome::Deadlock,
        Outcome::SyscallError,
    ] {
        assert!(
            t.decided[o as usize] * 10 >= t.runs * 7,
            "{o} decided in only {} of {} runs",
            t.decided[o as usize],
            t.runs
        );
    }
}
