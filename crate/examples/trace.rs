//! Prints the first N steps of a seeded run of a scenario file (debugging aid).
use dioscope::sched::Then;
use dioscope::world::World;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let text = std::fs::read_to_string(&a[1]).unwrap();
    let sc = dioscope::scenario::parse(&a[1], &text).unwrap();
    let seed: u64 = a[2].parse().unwrap();
    let n: usize = a.get(3).map(|s| s.parse().unwrap()).unwrap_or(60);
    let pol = sc.policy(None).unwrap();
    let mut w = World::new(&sc, &pol);
    let mut then = Then::seeded(seed);
    for i in 0..n {
        let Some(act) = then.pick(&w) else { break };
        let name = w.actor_name(act);
        let info = w.step(act).unwrap();
        let notes = w
            .hist
            .as_ref()
            .unwrap()
            .steps
            .last()
            .unwrap()
            .notes
            .join("; ");
        println!("{i:3} {name:6} {:?} {} | {notes}", info.op, info.name);
    }
}
