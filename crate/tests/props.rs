//! Property tests over generated scenarios.

use std::collections::BTreeSet;

use dioscope::explore::{explore, Options};
use dioscope::gen::{scenario, Shape};
use dioscope::report::RunReport;
use dioscope::sched::{resolve, Then};
use dioscope::World;
use proptest::prelude::*;

fn world(seed: u64, shape: &Shape) -> (dioscope::Scenario, World) {
    let text = scenario(seed, shape);
    let sc = dioscope::scenario::parse("generated.toml", &text)
        .unwrap_or_else(|e| panic!("generated scenario does not parse:\n{e}\n{text}"));
    let pol = sc.policy(None).unwrap();
    let w = World::new(&sc, &pol);
    (sc, w)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    /// Random valid scenarios and schedules never panic, always end, keep
    /// the model's invariants after every step, and replay to the same
    /// trace and state.
    #[test]
    fn random_runs_end_keep_invariants_and_replay(seed in any::<u64>(), tasks in 1usize..=3, ops in 1usize..=4, pages in 1u8..=4) {
        let shape = Shape { tasks, ops, pages, exotic: true };
        let (_, start) = world(seed, &shape);
        run_and_replay(&start, seed, &scenario(seed, &shape))?;
    }

}

proptest! {
    // few cases, small bounds: the suite runs in debug, where a search of
    // a 64-page state costs ten times what it does in release
    #![proptest_config(ProptestConfig { cases: 10, .. ProptestConfig::default() })]

    /// Files of 17 to 64 pages (past the widths of the 16- and 32-bit masks
    /// that once held page and block sets): runs keep the invariants and
    /// replay, and no reduction (sleep sets, symmetry, forgetting) loses a
    /// distinct result or changes a verdict.
    #[test]
    fn wide_files_run_replay_and_lose_nothing_to_the_reductions(seed in any::<u64>(), tasks in 2usize..=3, twins in 1usize..=3, ops in 1usize..=2, pages in 17u8..=64) {
        let shape = Shape { tasks, ops, pages, exotic: true };
        let text = dioscope::gen::scenario_with_twins(seed, &shape, twins.min(tasks));
        let sc = dioscope::scenario::parse("generated.toml", &text)
            .unwrap_or_else(|e| panic!("generated scenario does not parse:\n{e}\n{text}"));
        let w = World::new(&sc, &sc.policy(None).unwrap());
        run_and_replay(&w, seed, &text)?;
        let bound = Some(6_000);
        let explore_with = |forget_history, reduction, symmetry| explore(&w, &Options { forget_history, reduction, symmetry, max_states: bound, ..Options::default() }, |_| true);
        let plain = explore_with(false, false, false);
        prop_assume!(plain.stats.complete);
        let all = explore_with(true, true, true);
        prop_assert!(all.stats.complete);
        prop_assert_eq!(result_set(&all), result_set(&plain), "\n{}", text);
        prop_assert_eq!(verdicts(&all), verdicts(&plain), "\n{}", text);
        witnesses_replay(&w, &all)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 100, .. ProptestConfig::default() })]

    /// The sleep-set reduction loses no terminal result: the same set of
    /// (outcomes, syscall results) with and without it.
    #[test]
    fn reduction_keeps_every_terminal_result(seed in any::<u64>(), tasks in 2usize..=3, ops in 1usize..=3) {
        let shape = Shape { tasks, ops, pages: 2, exotic: true };
        let (_, w) = world(seed, &shape);
        let bound = Some(60_000);
        let a = explore(&w, &Options { reduction: true, max_states: bound, ..Options::default() }, |_| true);
        let b = explore(&w, &Options { reduction: false, max_states: bound, ..Options::default() }, |_| true);
        prop_assume!(a.stats.complete && b.stats.complete);
        let set = |r: &dioscope::explore::Report| r.results.iter().map(|t| (t.fired, t.res)).collect::<BTreeSet<_>>();
        prop_assert_eq!(set(&a), set(&b), "\n{}", scenario(seed, &shape));
        // and it never explores more than the search without it
        prop_assert!(a.stats.transitions <= b.stats.transitions, "{} > {}", a.stats.transitions, b.stats.transitions);
    }
}

/// A seeded random run from `start` (of scenario `text`): it keeps the
/// model's invariants after every step, ends, and replays by actor names
/// to the same state and the same report.
fn run_and_replay(start: &World, seed: u64, text: &str) -> Result<(), TestCaseError> {
    let mut w = start.clone();
    let mut then = Then::seeded(seed);
    let mut names = Vec::new();
    while let Some(a) = then.pick(&w) {
        names.push(w.actor_name(a));
        w.step(a).unwrap();
        if let Err(e) = w.check_invariants() {
            prop_assert!(
                false,
                "invariant broken after {} steps: {e}\n{text}",
                names.len()
            );
        }
        prop_assert!(names.len() < 20_000, "the run did not end\n{text}");
    }
    prop_assert!(w.is_done());
    let mut again = start.clone();
    for n in &names {
        let a = resolve(&again, n).unwrap();
        again.step(a).unwrap();
    }
    prop_assert_eq!(again.s, w.s);
    let t1 = RunReport::new(&w, "p", &[], "").text();
    let t2 = RunReport::new(&again, "p", &[], "").text();
    prop_assert_eq!(t1, t2);
    Ok(())
}

/// The set of distinct terminal results of a report.
fn result_set(r: &dioscope::explore::Report) -> BTreeSet<(u16, [u64; 8])> {
    r.results.iter().map(|t| (t.fired, t.res)).collect()
}

fn verdicts(r: &dioscope::explore::Report) -> Vec<(dioscope::Outcome, dioscope::Verdict)> {
    r.verdicts.iter().map(|v| (v.outcome, v.verdict)).collect()
}

/// Every result's witness replays to that result.
fn witnesses_replay(start: &World, r: &dioscope::explore::Report) -> Result<(), TestCaseError> {
    for t in &r.results {
        let w = dioscope::explore::replay(start, &t.witness);
        prop_assert!(w.is_done(), "witness {:?} does not end the run", t.witness);
        prop_assert_eq!(w.fired(), t.fired);
        let res: Vec<u64> = (0..8).map(|i| w.s.tasks[i].res).collect();
        prop_assert_eq!(&res[..], &t.res[..], "witness {:?}", t.witness);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 60, .. ProptestConfig::default() })]

    /// The symmetry reduction, alone and with the sleep sets, loses no
    /// distinct result and changes no verdict, on scenarios whose first
    /// tasks are identical; every result it reports replays as a real run.
    #[test]
    fn symmetry_keeps_every_terminal_result(seed in any::<u64>(), tasks in 2usize..=3, twins in 2usize..=3, ops in 1usize..=3, exotic in any::<bool>()) {
        let shape = Shape { tasks, ops, pages: 2, exotic };
        let text = dioscope::gen::scenario_with_twins(seed, &shape, twins.min(tasks));
        let sc = dioscope::scenario::parse("generated.toml", &text).unwrap();
        let w = World::new_quiet(&sc, &sc.policy(None).unwrap());
        let bound = Some(40_000);
        let run = |reduction, symmetry| explore(&w, &Options { reduction, symmetry, max_states: bound, ..Options::default() }, |_| true);
        let plain = run(false, false);
        prop_assume!(plain.stats.complete);
        for (reduction, symmetry) in [(false, true), (true, true), (true, false)] {
            let r = run(reduction, symmetry);
            prop_assert!(r.stats.complete);
            prop_assert_eq!(result_set(&r), result_set(&plain), "reduction {} symmetry {}\n{}", reduction, symmetry, text);
            prop_assert_eq!(verdicts(&r), verdicts(&plain), "\n{}", text);
            prop_assert!(r.stats.states <= plain.stats.states);
            witnesses_replay(&w, &r)?;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 80, .. ProptestConfig::default() })]

    /// Forgetting the oracles' dead history (explore::Options::forget_history)
    /// loses no distinct result and changes no verdict, alone and with the
    /// other reductions; every result it reports replays as a real run.
    #[test]
    fn forgetting_dead_history_keeps_every_terminal_result(seed in any::<u64>(), tasks in 2usize..=3, twins in 1usize..=3, ops in 1usize..=3, exotic in any::<bool>()) {
        let shape = Shape { tasks, ops, pages: 2, exotic };
        let text = dioscope::gen::scenario_with_twins(seed, &shape, twins.min(tasks));
        let sc = dioscope::scenario::parse("generated.toml", &text).unwrap();
        let w = World::new_quiet(&sc, &sc.policy(None).unwrap());
        let bound = Some(40_000);
        let run = |forget_history, reduction, symmetry| explore(&w, &Options { forget_history, reduction, symmetry, max_states: bound, ..Options::default() }, |_| true);
        let plain = run(false, false, false);
        prop_assume!(plain.stats.complete);
        for (reduction, symmetry) in [(false, false), (true, true)] {
            let r = run(true, reduction, symmetry);
            prop_assert!(r.stats.complete);
            prop_assert_eq!(result_set(&r), result_set(&plain), "reduction {} symmetry {}\n{}", reduction, symmetry, text);
            prop_assert_eq!(verdicts(&r), verdicts(&plain), "\n{}", text);
            prop_assert!(r.stats.states <= plain.stats.states);
            witnesses_replay(&w, &r)?;
        }
    }
}

fn knob() -> impl Strategy<Value = (String, String)> {
    ("[a-z_]{1,24}", "[a-z0-9-]{1,16}")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, .. ProptestConfig::default() })]

    /// session → link → session is the identity.
    #[test]
    fn links_round_trip(
        scenario in "\\PC{0,400}",
        preset in proptest::option::of("[a-z0-9.-]{1,20}"),
        set in proptest::collection::vec(knob(), 0..4),
        schedule in "[A-Za-z@0-9: ]{0,80}",
        cursor in any::<u32>(),
        compare in proptest::option::of((proptest::option::of("[a-z0-9.-]{1,20}"), proptest::collection::vec(knob(), 0..3))),
    ) {
        let s = dioscope::link::Session {
            scenario,
            preset,
            set,
            schedule,
            cursor,
            compare: compare.map(|(preset, set)| dioscope::link::Compare { preset, set }),
        };
        let url = s.url("http://127.0.0.1:8080/").unwrap();
        prop_assert_eq!(dioscope::link::Session::decode(&url).unwrap(), s.clone());
        prop_assert_eq!(dioscope::link::Session::decode(&s.encode().unwrap()).unwrap(), s);
    }

    /// Random text never panics and gives an error or a session.
    #[test]
    fn random_links_never_panic(text in "\\PC{0,300}", bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = dioscope::link::Session::decode(&text);
        let b64 = base64_url(&bytes);
        let r = dioscope::link::Session::decode(&format!("1.{b64}"));
        // a valid session needs a size header, valid LZ4 and the magic: never by chance
        prop_assert!(r.is_err());
    }

    /// Every truncation of a real link is an error (never a panic, never a
    /// different session).
    #[test]
    fn truncated_links_are_errors(cut in 0usize..2000, which in 0usize..17) {
        let b = dioscope::library::bundled().nth(which % dioscope::library::bundled().count()).unwrap();
        let s = dioscope::link::Session { scenario: b.text.to_string(), schedule: "A:3 dev".into(), cursor: 3, ..Default::default() };
        let full = s.encode().unwrap();
        let cut = cut % full.len();
        match dioscope::link::Session::decode(&full[..cut]) {
            Ok(got) => prop_assert_eq!(got, s, "a truncated link decoded to another session"),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}

fn base64_url(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = c
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..=c.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    /// Any text is a scenario or an error with a position in it: the parser
    /// never panics (links carry untrusted scenario text).
    #[test]
    fn any_text_parses_or_errs_in_place(text in "\\PC{0,200}") {
        check_parse(&text)?;
    }

    /// Mutations of real scenarios (a cut, an inserted character) too.
    #[test]
    fn mutated_scenarios_parse_or_err_in_place(which in 0usize..64, cut in 0usize..4000, insert in "[\\[\\]{}=\",'#\\n\\\\a-z0-9 ]{0,3}") {
        let all: Vec<_> = dioscope::library::bundled().collect();
        let text = all[which % all.len()].text;
        let mut at = cut % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        check_parse(&text[..at])?;
        check_parse(&format!("{}{insert}{}", &text[..at], &text[at..]))?;
    }
}

fn check_parse(text: &str) -> Result<(), TestCaseError> {
    if let Err(e) = dioscope::scenario::parse("fuzz.toml", text) {
        let lines = text.split('\n').count() as u32;
        prop_assert!(e.line <= lines.max(1), "line {} of {}: {e}", e.line, lines);
        prop_assert!(!e.msg.is_empty());
        let _ = e.to_string();
    }
    Ok(())
}
