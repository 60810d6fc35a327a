//! Runs many generated scenarios with random schedules (debug build: the
//! model's invariants are checked after every step).
use dioscope::gen::{scenario, Shape};
use dioscope::run::RunSpec;

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let start: u64 = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    for seed in start..start + n {
        let shape = Shape {
            tasks: 1 + (seed % 3) as usize,
            ops: 1 + (seed % 4) as usize,
            pages: 1 + (seed % 4) as u8,
            exotic: true,
        };
        let text = scenario(seed, &shape);
        let sc = match dioscope::scenario::parse("gen", &text) {
            Ok(s) => s,
            Err(e) => panic!("seed {seed}: generated scenario does not parse:\n{e}\n{text}"),
        };
        let spec = RunSpec {
            seed: Some(seed),
            ..Default::default()
        };
        let r = std::panic::catch_unwind(|| spec.run(&sc));
        match r {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                println!("seed {seed}: run error {e}\n{text}");
                std::process::exit(1)
            }
            Err(_) => {
                println!("seed {seed}: PANIC\n{text}");
                std::process::exit(1)
            }
        }
    }
    println!("ok {n}");
}
