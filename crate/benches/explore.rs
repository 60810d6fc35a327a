//! `cargo bench -p dioscope --bench explore [FILTER | library | family]`: the explorer's
//! benchmark table for every bundled scenario (under each of its
//! expectations' presets) and for generated scenarios of 2, 3 and 4 tasks
//! of growing length: states, transitions, engine steps per second, wall
//! time, the interleavings of the full state graph and the reduction ratio
//! (interleavings without the reduction / with it); then the engine's raw
//! step rate on seeded random runs.
//!
//! Then the family of issue 15: NW direct writers (`write 0 direct`,
//! `fsync`) and NM mmap writers (`mmap-write 0`) of one page, xfs,
//! linux-5.8 (can fsync return a spurious -EIO?), each size in a process
//! of its own (for its peak RSS): states, seconds, states/s, memory, bytes
//! per state; and, when `spin` is installed, the same family in Promela
//! (`benches/spin/family.pml`) run by SPIN in the same bench run, with the
//! time ratio; each size may take 60 s (`--limit SECS` to change it).
//! Finally the whole bundled library's explore time.
//!
//! A bench binary rather than criterion: the figures are whole
//! explorations, printed as a table for the notes and the README.

use std::time::Instant;

use dioscope::explore::{explore, Options};
use dioscope::gen::{scenario, Shape};
use dioscope::scenario::Scenario;
use dioscope::sched::Then;
use dioscope::World;

struct Row {
    states: usize,
    transitions: usize,
    secs: f64,
    complete: bool,
    interleavings: Option<f64>,
}

fn run(
    sc: &Scenario,
    preset: Option<&str>,
    reduction: bool,
    max_states: Option<usize>,
    count: bool,
) -> Row {
    let pol = sc.policy(preset).expect("valid policy");
    let w = World::new_quiet(sc, &pol);
    let t0 = Instant::now();
    let opts = Options {
        reduction,
        symmetry: reduction,
        max_states,
        count_interleavings: count,
        ..Options::default()
    };
    let r = explore(&w, &opts, |_| true);
    Row {
        states: r.stats.states,
        transitions: r.stats.transitions,
        secs: t0.elapsed().as_secs_f64(),
        complete: r.stats.complete,
        interleavings: r.stats.interleavings,
    }
}

/// One line: the timed run (reduction on, not counting), then the
/// interleavings with and without the reduction (separate runs).
fn row(name: &str, sc: &Scenario, preset: Option<&str>, max_states: Option<usize>) {
    let r = run(sc, preset, true, max_states, false);
    let (with, without) = if r.complete && r.states <= 300_000 {
        (
            run(sc, preset, true, max_states, true).interleavings,
            run(sc, preset, false, max_states, true).interleavings,
        )
    } else {
        (None, None)
    };
    let ratio = match (with, without) {
        (Some(a), Some(b)) if a > 0.0 => format!("{:.2}", b / a),
        _ => "-".into(),
    };
    let inter = without.map_or("-".into(), |b| format!("{b:.0}"));
    println!(
        "{:<44} {:>9} {:>10} {:>11.0} {:>9.1} {:>14} {:>7}{}",
        name,
        r.states,
        r.transitions,
        r.transitions as f64 / r.secs.max(1e-9),
        r.secs * 1000.0,
        inter,
        ratio,
        if r.complete { "" } else { "  (bounded)" }
    );
}

/// The family's scenario text.
fn family_text(nw: usize, nm: usize) -> String {
    let mut t = format!(
        "title = \"{nw} direct writers, {nm} mmap writers\"\n[setup]\nfs = \"xfs\"\npreset = \"linux-5.8\"\npages = 1\non_disk = \"written\"\n"
    );
    for i in 0..nw + nm {
        let name = (b'A' + i as u8) as char;
        let ops = if i < nw {
            "\"write 0 direct\", \"fsync\""
        } else {
            "\"mmap-write 0\""
        };
        t += &format!("[[task]]\nname = \"{name}\"\nops = [{ops}]\n");
    }
    t
}

/// Seconds a family size may take before it is reported as unanswered,
/// unless `--limit SECS` says otherwise (the whole table then takes up to
/// twice that per size: dioscope, then SPIN).
const FAMILY_LIMIT: f64 = 60.0;

/// Memory a family size may use: the default 1 GiB bound of
/// `Options::max_memory` would stop 3+3 and 4+2 long before the time
/// limit does; half the machine's memory, where Linux says what that is.
fn family_memory() -> usize {
    let total_kib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        })
        .unwrap_or(4 << 20);
    total_kib / 2 * 1024
}

/// `--limit SECS` from the command line, or [`FAMILY_LIMIT`].
fn family_limit(args: &[String]) -> f64 {
    match args.iter().position(|a| a == "--limit") {
        Some(i) => match args.get(i + 1).and_then(|s| s.parse::<f64>().ok()) {
            Some(l) if l > 0.0 && l.is_finite() => l,
            _ => {
                eprintln!("--limit: give the seconds each size may take, a number above 0");
                std::process::exit(2);
            }
        },
        None => FAMILY_LIMIT,
    }
}

/// One size of the family, in this process (`--family NW NM`): prints one
/// line of key=value figures for the parent.
fn family_child(nw: usize, nm: usize, limit: f64) {
    let sc = dioscope::scenario::parse("family.toml", &family_text(nw, nm)).unwrap();
    let pol = sc.policy(Some("linux-5.8")).unwrap();
    let w = World::new_quiet(&sc, &pol);
    let opts = Options {
        reduction: true,
        threads: 0,
        max_states: None,
        max_memory: Some(family_memory()),
        ..Options::default()
    };
    let t0 = Instant::now();
    let r = explore(&w, &opts, |_| t0.elapsed().as_secs_f64() < limit);
    let secs = t0.elapsed().as_secs_f64();
    let v = r.verdict(dioscope::Outcome::SpuriousEio);
    println!(
        "states={} secs={secs} cpu={} complete={} memory={} rss={} verdict={}",
        r.stats.states,
        cpu_seconds().unwrap_or(0.0),
        r.stats.complete,
        r.stats.memory,
        dioscope::explore_report::peak_rss().unwrap_or(0),
        v.verdict.name()
    );
}

/// This process's CPU time (user + system), where Linux tells it: on a
/// loaded machine, wall time says more about the machine than the search.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// What SPIN did on one size.
struct Spin {
    states: u64,
    secs: f64,
    cpu: f64,
    complete: bool,
    /// pan stopped at its memory limit (else, unfinished, at the time limit).
    out_of_memory: bool,
}

/// SPIN on the Promela model of one size, if `spin` and a C compiler are
/// installed. Its time is the pan process (its search and the setup of its
/// 128 MB hash table, about 0.06 s), not `spin -a`, not compiling.
fn spin(nw: usize, nm: usize, limit: f64) -> Option<Spin> {
    use std::process::Command;
    let pml = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/spin/family.pml");
    let dir = std::env::temp_dir().join(format!("dioscope-spin-{}-{nw}-{nm}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let ok = |c: &mut Command| {
        c.current_dir(&dir)
            .output()
            .ok()
            .filter(|o| o.status.success())
    };
    ok(Command::new("spin").args([&format!("-DNW={nw}"), &format!("-DNM={nm}"), "-a", pml]))?;
    // the same memory as dioscope's search gets
    let memlim = format!("-DMEMLIM={}", family_memory() >> 20);
    ok(Command::new("cc").args(["-O2", "-w", "-DSAFETY", &memlim, "-o", "pan", "pan.c"]))?;
    let limit = format!("{}", limit.ceil() as u64);
    let t0 = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "cpu=%U+%S", "timeout", &limit])
        // a hash table of 2^24 slots: 2^22 makes long chains past a few
        // million states (3+1: 29 s instead of 24 s with 2^26), 2^26 takes
        // 0.3 s to set up
        .args(["./pan", "-c0", "-n", "-w24", "-m100000"])
        .current_dir(&dir)
        .output()
        .ok()?;
    let secs = t0.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    std::fs::remove_dir_all(&dir).ok();
    let cpu = String::from_utf8_lossy(&out.stderr)
        .lines()
        .find_map(|l| l.strip_prefix("cpu="))
        .and_then(|c| {
            let (u, s) = c.split_once('+')?;
            Some(u.trim().parse::<f64>().ok()? + s.trim().parse::<f64>().ok()?)
        })
        .unwrap_or(secs);
    let states = text
        .lines()
        .find(|l| l.contains("states, stored"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    Some(Spin {
        states,
        secs,
        cpu,
        complete: out.status.success() && !text.contains("MEMLIM") && text.contains("elapsed time"),
        out_of_memory: text.contains("MEMLIM"),
    })
}

fn family_table(limit: f64) {
    println!(
        "\nfamily (issue 15): NW direct writers + NM mmap writers, one page, xfs, linux-5.8: spurious -EIO? ({limit:.0} s a size)"
    );
    println!(
        "{:<5} {:>8} {:>7} {:>7} {:>9} {:>7} {:>7} {:>6} {:>9} {:>9} {:>7} {:>7} {:>6} {:>6}",
        "size",
        "states",
        "s",
        "cpu s",
        "states/s",
        "mem MB",
        "RSS MB",
        "B/st.",
        "verdict",
        "SPIN st.",
        "SPIN s",
        "cpu s",
        "ratio",
        "cpu r."
    );
    let exe = std::env::current_exe().expect("the bench binary");
    let sizes = [
        (1, 1),
        (2, 1),
        (1, 2),
        (2, 2),
        (3, 1),
        (4, 1),
        (3, 2),
        (3, 3),
        (4, 2),
    ];
    for (nw, nm) in sizes {
        let out = std::process::Command::new(&exe)
            .args(["--family", &nw.to_string(), &nm.to_string()])
            .args(["--limit", &limit.to_string()])
            .output()
            .expect("the bench runs itself");
        let text = String::from_utf8_lossy(&out.stdout);
        let get = |k: &str| {
            text.split_whitespace()
                .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
                .unwrap_or("?")
                .to_string()
        };
        let num = |k: &str| get(k).parse::<f64>().unwrap_or(0.0);
        let (states, secs, cpu) = (num("states"), num("secs"), num("cpu"));
        let (mem, rss) = (num("memory"), num("rss"));
        let complete = get("complete") == "true";
        let sp = spin(nw, nm, limit);
        let cols: [String; 5] = match &sp {
            Some(x) if x.complete => [
                x.states.to_string(),
                format!("{:.2}", x.secs),
                format!("{:.2}", x.cpu),
                format!("{:.2}", x.secs / secs.max(1e-9)),
                format!("{:.2}", x.cpu / cpu.max(1e-2)),
            ],
            Some(x) => [
                format!("{}+", x.states),
                if x.out_of_memory { "memory" } else { "time" }.into(),
                "-".into(),
                "-".into(),
                "-".into(),
            ],
            None => std::array::from_fn(|_| "-".to_string()),
        };
        println!(
            "{:<5} {:>8} {:>7.2} {:>7.2} {:>9.0} {:>7.1} {:>7.1} {:>6.0} {:>9} {:>9} {:>7} {:>7} {:>6} {:>6}{}",
            format!("{nw}+{nm}"),
            states,
            secs,
            cpu,
            states / secs.max(1e-9),
            mem / 1048576.0,
            rss / 1048576.0,
            mem / states.max(1.0),
            get("verdict"),
            cols[0],
            cols[1],
            cols[2],
            cols[3],
            cols[4],
            if complete { "" } else { "  (dioscope: unanswered, bound or time limit)" }
        );
    }
    println!("(ratio: SPIN's time / dioscope's, wall and CPU; above 1, dioscope is faster)");
}

/// The whole bundled library explored once per preset of its expectations
/// (reduction and symmetry on, no counting, all cores): the total time.
fn library_total() {
    let t0 = Instant::now();
    let mut states = 0;
    let mut runs = 0;
    for b in dioscope::library::bundled() {
        let sc = b.parse().expect("bundled scenarios parse");
        let mut presets: Vec<String> = sc.expects.iter().map(|e| e.preset.clone()).collect();
        presets.sort();
        presets.dedup();
        if presets.is_empty() {
            presets.push(sc.setup.preset.clone());
        }
        for p in presets {
            let w = World::new_quiet(&sc, &sc.policy(Some(&p)).unwrap());
            let opts = Options {
                reduction: true,
                threads: 0,
                ..Options::default()
            };
            states += explore(&w, &opts, |_| true).stats.states;
            runs += 1;
        }
    }
    println!(
        "\nbundled library: {runs} explorations, {states} states, {:.3} s natively",
        t0.elapsed().as_secs_f64()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--family") {
        let n = |k: usize| {
            args.get(i + k)
                .and_then(|s| s.parse().ok())
                .expect("--family NW NM")
        };
        family_child(n(1), n(2), family_limit(&args));
        return;
    }
    let limit = family_limit(&args);
    let filter = args
        .iter()
        .enumerate()
        .find(|&(i, a)| !a.starts_with('-') && (i == 0 || args[i - 1] != "--limit"))
        .map(|(_, a)| a.clone());
    if filter.as_deref() == Some("family") {
        family_table(limit);
        library_total();
        return;
    }
    println!(
        "{:<44} {:>9} {:>10} {:>11} {:>9} {:>14} {:>7}",
        "scenario (preset)", "states", "transit.", "steps/s", "ms", "interleavings", "ratio"
    );
    let mut total = 0.0;
    for b in dioscope::library::bundled() {
        if filter
            .as_deref()
            .is_some_and(|f| f != "library" && !b.id().contains(f))
        {
            continue;
        }
        let sc = b.parse().expect("bundled scenarios parse");
        let mut presets: Vec<String> = sc.expects.iter().map(|e| e.preset.clone()).collect();
        presets.sort();
        presets.dedup();
        if presets.is_empty() {
            presets.push(sc.setup.preset.clone());
        }
        for p in presets {
            let t = Instant::now();
            row(&format!("{} ({p})", b.id()), &sc, Some(&p), None);
            total += t.elapsed().as_secs_f64();
        }
    }
    println!(
        "(bundled library: {:.0} ms for all the rows above, counting included)",
        total * 1000.0
    );
    println!("\ngenerated (tasks x ops, 3 pages, seed 7)");
    for tasks in 2..=4 {
        for ops in 1..=4 {
            let text = scenario(
                7,
                &Shape {
                    tasks,
                    ops,
                    pages: 3,
                    exotic: false,
                },
            );
            let sc = dioscope::scenario::parse("gen", &text).unwrap();
            row(
                &format!("{tasks} tasks x {ops} ops"),
                &sc,
                None,
                Some(2_000_000),
            );
        }
    }
    // raw engine speed: seeded random runs of generated scenarios
    let mut steps = 0usize;
    let t0 = Instant::now();
    let mut seed = 0u64;
    while t0.elapsed().as_secs_f64() < 2.0 {
        let text = scenario(
            seed,
            &Shape {
                tasks: 3,
                ops: 4,
                pages: 3,
                exotic: false,
            },
        );
        let sc = dioscope::scenario::parse("gen", &text).unwrap();
        let pol = sc.policy(None).unwrap();
        let mut w = World::new_quiet(&sc, &pol);
        let mut then = Then::seeded(seed);
        while let Some(a) = then.pick(&w) {
            w.step(a).unwrap();
            steps += 1;
        }
        seed += 1;
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "\nengine: {steps} steps in {secs:.2} s = {:.0} steps/s (seeded random runs, no history)",
        steps as f64 / secs
    );
    if filter.is_none() {
        family_table(limit);
        library_total();
    }
}
