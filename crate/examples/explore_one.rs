//! Explores one generated scenario (profiling aid): tasks ops seed.
fn main() {
    let a: Vec<u64> = std::env::args()
        .skip(1)
        .map(|s| s.parse().unwrap())
        .collect();
    let text = dioscope::gen::scenario(
        a[2],
        &dioscope::gen::Shape {
            tasks: a[0] as usize,
            ops: a[1] as usize,
            pages: 3,
            exotic: false,
        },
    );
    let sc = dioscope::scenario::parse("g", &text).unwrap();
    let w = dioscope::World::new_quiet(&sc, &sc.policy(None).unwrap());
    let t = std::time::Instant::now();
    let r = dioscope::explore::explore(
        &w,
        &dioscope::explore::Options {
            reduction: a.get(3).is_none_or(|x| *x == 1),
            ..Default::default()
        },
        |_| true,
    );
    let s = t.elapsed().as_secs_f64();
    println!(
        "{} states {} transitions {:.3}s {:.0} tr/s",
        r.stats.states,
        r.stats.transitions,
        s,
        r.stats.transitions as f64 / s
    );
}
