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
        let mut w = start.clone();
        let mut then = Then::seeded(seed);
        let mut names = Vec::new();
        while let Some(a) = then.pick(&w) {
            names.push(w.actor_name(a));
            w.step(a).unwrap();
            if let Err(e) = w.check_invariants() {
                prop_assert!(false, "invariant broken after {} steps: {e}\n{}", names.len(), scenario(seed, &shape));
            }
            prop_assert!(names.len() < 20_000, "the run did not end\n{}", scenario(seed, &shape));
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
