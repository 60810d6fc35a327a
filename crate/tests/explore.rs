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

/// `n` direct writers (`write 0 direct`, `fsync`) and `m` mmap writers of
/// one page (the family of the explorer's benchmark).
fn family(n: usize, m: usize) -> dioscope::Scenario {
    let mut t = "title = \"family\"\n[setup]\nfs = \"xfs\"\npreset = \"linux-5.8\"\npages = 1\non_disk = \"written\"\n".to_string();
    for i in 0..n + m {
        let name = (b'A' + i as u8) as char;
        let ops = if i < n {
            "\"write 0 direct\", \"fsync\""
        } else {
            "\"mmap-write 0\""
        };
        t += &format!("[[task]]\nname = \"{name}\"\nops = [{ops}]\n");
    }
    dioscope::scenario::parse("family.toml", &t).unwrap()
}

#[test]
fn threads_give_identical_output() {
    for (sc, preset) in [
        (family(2, 1), "linux-5.8"),
        (
            dioscope::library::find("generic-247-dio-vs-mmap")
                .unwrap()
                .parse()
                .unwrap(),
            "linux-6.15",
        ),
    ] {
        let w = World::new_quiet(&sc, &sc.policy(Some(preset)).unwrap());
        let json = |threads| {
            let r = explore(
                &w,
                &Options {
                    reduction: true,
                    threads,
                    count_interleavings: true,
                    ..Default::default()
                },
                |_| true,
            );
            let out = dioscope::explore_report::ExploreOut::new(&r, &sc, preset, &[], 0.0);
            (serde_json::to_string(&out).unwrap(), r.stats)
        };
        let one = json(1);
        assert!(one.1.complete);
        assert_eq!(json(2), one);
        assert_eq!(json(4), one);
    }
}

#[test]
fn symmetry_reduces_identical_writers_and_keeps_every_result() {
    let sc = family(2, 1);
    let w = World::new_quiet(&sc, &sc.policy(Some("linux-5.8")).unwrap());
    let run = |symmetry| {
        explore(
            &w,
            &Options {
                reduction: true,
                symmetry,
                ..Default::default()
            },
            |_| true,
        )
    };
    let (with, without) = (run(true), run(false));
    assert!(with.stats.complete && without.stats.complete);
    // a class of two: about half of the states
    assert!(
        with.stats.states * 3 < without.stats.states * 2,
        "{} vs {}",
        with.stats.states,
        without.stats.states
    );
    same_results_and_verdicts(&with, &without);
}

/// A reduction keeps every distinct result, every verdict and whether it
/// is proven, and the length of every shortest witness.
fn same_results_and_verdicts(
    with: &dioscope::explore::Report,
    without: &dioscope::explore::Report,
) {
    let set = |r: &dioscope::explore::Report| {
        r.results
            .iter()
            .map(|t| (t.fired, t.res))
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(set(with), set(without));
    assert_eq!(with.results.len(), without.results.len());
    for (a, b) in with.verdicts.iter().zip(&without.verdicts) {
        assert_eq!(
            (a.outcome, a.verdict, a.proven),
            (b.outcome, b.verdict, b.proven)
        );
        // shortest witnesses have the same length
        assert_eq!(
            a.witness.as_ref().map(Vec::len),
            b.witness.as_ref().map(Vec::len)
        );
    }
}

/// Issue 15: on the family, who returned before whom is history that no
/// later step reads once the data it ordered is gone; forgetting it
/// merges states without changing a result, a verdict or the length of a
/// shortest witness.
#[test]
fn forgetting_dead_history_merges_states_and_keeps_every_result() {
    let sc = family(2, 2);
    let w = World::new_quiet(&sc, &sc.policy(Some("linux-5.8")).unwrap());
    let run = |forget_history| {
        explore(
            &w,
            &Options {
                reduction: true,
                forget_history,
                threads: 0,
                ..Default::default()
            },
            |_| true,
        )
    };
    let (with, without) = (run(true), run(false));
    assert!(with.stats.complete && without.stats.complete);
    assert!(
        with.stats.states * 2 < without.stats.states,
        "{} vs {}",
        with.stats.states,
        without.stats.states
    );
    same_results_and_verdicts(&with, &without);
}

/// A read still to come keeps the history it checks: generic/451's
/// stale read (an AIO direct write completed in interrupt context, a
/// buffered read behind it) is found with the history forgotten as
/// without it.
#[test]
fn a_read_still_to_come_keeps_the_history() {
    let id = "generic-451-dio-vs-buffered-read";
    let sc: dioscope::Scenario = dioscope::library::find(id).unwrap().parse().unwrap();
    let mut p = sc.policy(Some("linux-6.18")).unwrap();
    p.set("dio_aio_complete", "irq").unwrap();
    let w = World::new_quiet(&sc, &p);
    let run = |forget_history| {
        let r = explore(
            &w,
            &Options {
                reduction: true,
                forget_history,
                ..Default::default()
            },
            |_| true,
        );
        let v: Vec<_> = r.verdicts.iter().map(|v| (v.outcome, v.verdict)).collect();
        let res: std::collections::BTreeSet<_> =
            r.results.iter().map(|t| (t.fired, t.res)).collect();
        (v, res)
    };
    let with = run(true);
    assert_eq!(with, run(false));
    assert!(with
        .0
        .contains(&(dioscope::Outcome::StaleRead, dioscope::Verdict::Sometimes)));
}

#[test]
fn a_memory_bound_stops_the_search_and_proves_nothing() {
    let sc = family(2, 1);
    let w = World::new_quiet(&sc, &sc.policy(Some("linux-5.8")).unwrap());
    let r = explore(
        &w,
        &Options {
            reduction: true,
            symmetry: false,
            max_memory: Some(2 << 20),
            ..Default::default()
        },
        |_| true,
    );
    assert!(!r.stats.complete);
    assert_eq!(r.stats.stopped_by.as_deref(), Some("max memory 2 MB"));
    assert!(r.stats.memory <= 2 << 20, "{} bytes", r.stats.memory);
    for v in &r.verdicts {
        if v.verdict != Verdict::Sometimes {
            assert!(
                !v.proven,
                "{:?} claimed proven under a memory bound",
                v.outcome
            );
        }
    }
}

/// What `dioscope explore --json` says about its memory: (stopped_by,
/// accounted peak, peak RSS).
fn explore_memory(args: &[&str]) -> (Option<String>, u64, u64) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_dioscope"))
        .arg("explore")
        .args(args)
        .arg("--json")
        .output()
        .expect("the CLI runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v["stats"];
    (
        s["stopped_by"].as_str().map(str::to_string),
        s["memory_bytes"].as_u64().unwrap(),
        s["peak_rss_bytes"].as_u64().expect("Linux reports VmHWM"),
    )
}

/// The resource test of the maximal scenario (8 tasks x 64 ops, 64 pages,
/// flusher, reclaim, write cache): the search stops at its memory bound,
/// says so, and the process stays within the budget over its own
/// footprint (that of a trivial exploration). The budget is small so that
/// the debug build reaches it quickly; the bench reports the default bound.
#[test]
fn the_maximal_scenario_stays_within_its_memory_budget() {
    let maximal = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/maximal.toml");
    let (_, _, base_rss) = explore_memory(&["btrfs-dio-mmap-eio", "--threads", "1"]);
    let budget_mb = 40u64;
    let (stopped, accounted, rss) = explore_memory(&[
        maximal,
        "--max-memory",
        &budget_mb.to_string(),
        "--threads",
        "1",
    ]);
    assert_eq!(stopped.as_deref(), Some("max memory 40 MB"));
    assert!(accounted <= budget_mb << 20);
    assert!(
        rss <= (budget_mb << 20) + base_rss,
        "peak RSS {} MB over a budget of {budget_mb} MB (base {} MB)",
        rss >> 20,
        base_rss >> 20
    );
}
