//! The explorer: verdicts, witnesses, bounds, cancellation, slices.

use dioscope::explore::{explore, Explorer, Options};
use dioscope::outcome::{Outcome, Verdict};
use dioscope::World;

fn start(id: &str, preset: &str) -> (dioscope::Scenario, World) {
    let sc = dioscope::library::find(id).unwrap().parse().unwrap();
    let w = World::new_quiet(&sc, &sc.policy(Some(preset)).unwrap());
    (sc, w)
}

#[test]
fn verdicts_and_shortest_witnesses() {
    let (sc, w) = start("btrfs-dio-mmap-eio", "linux-5.8");
    let r = explore(
        &w,
        &Options {
            reduction: true,
            ..Default::default()
        },
        |_| true,
    );
    assert!(r.stats.complete);
    let v = r.verdict(Outcome::SpuriousEio);
    assert_eq!(v.verdict, Verdict::Sometimes);
    assert!(v.proven);
    // the witness replays to the outcome
    let wit = v.witness.clone().unwrap();
    let mut replay = World::new(&sc, &sc.policy(Some("linux-5.8")).unwrap());
    for n in &wit {
        let a = dioscope::sched::resolve(&replay, n).unwrap();
        replay.step(a).unwrap();
    }
    assert!(replay.is_done());
    assert!(replay
        .outcomes()
        .iter()
        .any(|o| o.outcome == Outcome::SpuriousEio));
    // and it is a shortest one: no terminal state with the outcome is shallower
    let shortest = r
        .results
        .iter()
        .filter(|t| t.fired & Outcome::SpuriousEio.bit() != 0)
        .map(|t| t.witness.len())
        .min()
        .unwrap();
    assert_eq!(wit.len(), shortest);
    assert_eq!(r.verdict(Outcome::Deadlock).verdict, Verdict::Never);
    assert!(r.results.len() >= 2);
}

#[test]
fn a_bound_never_proves_never() {
    let (_, w) = start("generic-247-dio-vs-mmap", "linux-6.15");
    let r = explore(
        &w,
        &Options {
            reduction: true,
            max_states: Some(50),
            ..Default::default()
        },
        |_| true,
    );
    assert!(!r.stats.complete);
    assert_eq!(r.stats.stopped_by.as_deref(), Some("max states 50"));
    for v in &r.verdicts {
        if v.verdict != Verdict::Sometimes {
            assert!(!v.proven, "{:?} claimed proven under a bound", v.outcome);
        }
    }
    let r = explore(
        &w,
        &Options {
            max_depth: Some(5),
            ..Default::default()
        },
        |_| true,
    );
    assert!(!r.stats.complete && r.stats.stopped_by.unwrap().contains("depth"));
    let r = explore(
        &w,
        &Options {
            max_preemptions: Some(0),
            ..Default::default()
        },
        |_| true,
    );
    assert!(!r.stats.complete && r.stats.stopped_by.unwrap().contains("preemptions"));
    // with no preemption at all, the runs are the serial ones: fewer states
    let full = explore(&w, &Options::default(), |_| true);
    assert!(r.stats.states < full.stats.states);
}

#[test]
fn cancelling_stops_the_search() {
    let text = dioscope::gen::scenario(
        7,
        &dioscope::gen::Shape {
            tasks: 3,
            ops: 3,
            pages: 3,
            exotic: false,
        },
    );
    let sc = dioscope::scenario::parse("gen", &text).unwrap();
    let w = World::new_quiet(&sc, &sc.policy(None).unwrap());
    let mut calls = 0;
    let r = explore(&w, &Options::default(), |p| {
        calls += 1;
        assert!(p.states > 0);
        calls < 3
    });
    assert_eq!(calls, 3);
    assert!(!r.stats.complete);
    assert_eq!(r.stats.stopped_by.as_deref(), Some("cancelled"));
}

#[test]
fn running_in_slices_gives_the_same_report() {
    let (_, w) = start("dio-write-vs-mmap-store", "linux-5.8");
    let whole = explore(
        &w,
        &Options {
            reduction: true,
            ..Default::default()
        },
        |_| true,
    );
    let mut e = Explorer::new(
        &w,
        Options {
            reduction: true,
            ..Default::default()
        },
    );
    let mut slices = 0;
    while !e.run(7) {
        slices += 1;
    }
    assert!(slices > 10);
    let sliced = e.finish();
    assert_eq!(sliced.stats.states, whole.stats.states);
    assert_eq!(sliced.verdicts, whole.verdicts);
    assert_eq!(sliced.results, whole.results);
}
