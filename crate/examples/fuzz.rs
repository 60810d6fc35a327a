//! The fuzz driver (`cargo xtask fuzz --minutes N` runs it in release
//! mode): the targets of `dioscope::fuzz` in turn, each on its own seeds,
//! each case on its own thread under a time limit.
//!
//! ```text
//! cargo run --release -p dioscope --example fuzz -- [--minutes N | --cases N]
//!     [--target scenario,op,link,engine] [--start SEED] [--timeout SECS]
//! ```
//!
//! A failure or a panic is reported with its target and seed and the run
//! goes on; a case over its time limit is a hang: reported, then the
//! process exits (a thread cannot be stopped). Each case runs on a thread
//! named `fuzz-TARGET-SEED` with a 1 MiB stack, as small as wasm's, so a
//! stack overflow (an abort) names its case in Rust's message.
//!
//! Exit status: 0 all clean, 1 failures or panics, 3 a hang.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use dioscope::fuzz::{self, Target};

struct Args {
    minutes: Option<f64>,
    cases: Option<u64>,
    targets: Vec<Target>,
    start: u64,
    timeout: Duration,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        minutes: None,
        cases: None,
        targets: Target::ALL.to_vec(),
        start: 0,
        timeout: Duration::from_secs(20),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--minutes" => a.minutes = Some(value()?.parse().map_err(|_| "--minutes N")?),
            "--cases" => a.cases = Some(value()?.parse().map_err(|_| "--cases N")?),
            "--start" => a.start = value()?.parse().map_err(|_| "--start SEED")?,
            "--timeout" => {
                a.timeout = Duration::from_secs_f64(value()?.parse().map_err(|_| "--timeout SECS")?)
            }
            "--target" => {
                a.targets = value()?
                    .split(',')
                    .map(|t| Target::parse(t).ok_or(format!("no target `{t}`")))
                    .collect::<Result<_, _>>()?
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if a.minutes.is_none() && a.cases.is_none() {
        a.cases = Some(1000);
    }
    Ok(a)
}

enum Result1 {
    Ok,
    Failed(String),
    Panicked(String),
}

thread_local! {
    /// Where the last panic of this thread happened (the hook's record).
    static PANIC_AT: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

fn case(target: Target, seed: u64) -> Result1 {
    match std::panic::catch_unwind(|| fuzz::run(target, seed)) {
        Ok(Ok(())) => Result1::Ok,
        Ok(Err(e)) => Result1::Failed(e),
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "(no message)".into());
            let at = PANIC_AT.with(|a| a.borrow_mut().take()).unwrap_or_default();
            Result1::Panicked(format!("{msg} at {at}"))
        }
    }
}

fn main() {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    // panics are reported below with their case; the hook only notes where
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        PANIC_AT.with(|a| *a.borrow_mut() = Some(at));
    }));
    let t0 = Instant::now();
    let deadline = a.minutes.map(|m| Duration::from_secs_f64(m * 60.0));
    let mut done = vec![0u64; a.targets.len()];
    let (mut failed, mut panicked) = (0u64, 0u64);
    let mut last_report = Instant::now();
    let mut k = 0usize;
    loop {
        let total: u64 = done.iter().sum();
        if a.cases.is_some_and(|n| total >= n) || deadline.is_some_and(|d| t0.elapsed() >= d) {
            break;
        }
        let ti = k % a.targets.len();
        k += 1;
        let target = a.targets[ti];
        let seed = a.start + done[ti];
        let (tx, rx) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name(format!("fuzz-{}-{seed}", target.name()))
            .stack_size(1 << 20)
            .spawn(move || {
                let _ = tx.send(case(target, seed));
            });
        if let Err(e) = spawned {
            eprintln!("error: cannot start a thread: {e}");
            std::process::exit(2);
        }
        let reproduce = format!(
            "cargo run --release -p dioscope --example fuzz -- --target {} --start {seed} --cases 1",
            target.name()
        );
        match rx.recv_timeout(a.timeout) {
            Ok(Result1::Ok) => {}
            Ok(Result1::Failed(e)) => {
                failed += 1;
                println!(
                    "FAILED {} seed {seed}: {e}\n  reproduce: {reproduce}",
                    target.name()
                );
            }
            Ok(Result1::Panicked(e)) => {
                panicked += 1;
                println!(
                    "PANIC {} seed {seed}: {e}\n  reproduce: {reproduce}",
                    target.name()
                );
            }
            Err(_) => {
                println!(
                    "HANG {} seed {seed}: no result within {:?}\n  reproduce: {reproduce}",
                    target.name(),
                    a.timeout
                );
                summary(&a, &done, failed, panicked, 1, t0);
                std::process::exit(3);
            }
        }
        done[ti] += 1;
        if last_report.elapsed() > Duration::from_secs(30) {
            last_report = Instant::now();
            eprintln!(
                "fuzz: {} cases in {:.0} s, {failed} failed, {panicked} panicked",
                done.iter().sum::<u64>(),
                t0.elapsed().as_secs_f64()
            );
        }
    }
    summary(&a, &done, failed, panicked, 0, t0);
    std::process::exit(if failed + panicked > 0 { 1 } else { 0 });
}

fn summary(a: &Args, done: &[u64], failed: u64, panicked: u64, hangs: u64, t0: Instant) {
    let per: Vec<String> = a
        .targets
        .iter()
        .zip(done)
        .map(|(t, n)| format!("{} {n} (seeds {}..{})", t.name(), a.start, a.start + n))
        .collect();
    println!(
        "fuzz summary: {} cases in {:.0} s: {}; {failed} failed, {panicked} panics, {hangs} hangs",
        done.iter().sum::<u64>(),
        t0.elapsed().as_secs_f64(),
        per.join(", ")
    );
}
