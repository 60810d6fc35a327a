fn main() {
    let a: Vec<u64> = std::env::args()
        .skip(1)
        .map(|s| s.parse().unwrap())
        .collect();
    let text = dioscope::gen::scenario(
        a[0],
        &dioscope::gen::Shape {
            tasks: a[1] as usize,
            ops: a[2] as usize,
            pages: 2,
            exotic: true,
        },
    );
    let sc = dioscope::scenario::parse("g", &text).unwrap();
    let w = dioscope::World::new_quiet(&sc, &sc.policy(None).unwrap());
    for red in [true, false] {
        let r = dioscope::explore::explore(
            &w,
            &dioscope::explore::Options {
                reduction: red,
                ..Default::default()
            },
            |_| true,
        );
        println!(
            "reduction {red}: {} states {} transitions pruned {}",
            r.stats.states, r.stats.transitions, r.stats.pruned
        );
    }
    println!("{text}");
}
