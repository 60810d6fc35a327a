//! Fuzz targets: the scenario parser, the op parser, the link decoder and
//! the engine, each a function of one seed (ChaCha8), so that any failure
//! is reproduced by its target and seed alone.
//!
//! There is no nightly toolchain for libFuzzer here, and the inputs worth
//! trying are structured (TOML, ops, links, schedules): seeded generators
//! and mutators reach deep cases that byte flipping alone does not.
//!
//! - `cargo test` runs a fixed set of seeds natively (tests/fuzz.rs) and in
//!   wasm (tests/wasm.rs);
//! - `cargo xtask fuzz --minutes N` runs new seeds in release mode, each
//!   case under a time limit, through `examples/fuzz.rs`.
//!
//! A case returns `Err` for a wrong answer (an invariant broken, a run
//! that does not end, a link that decodes to another session, an SVG that
//! is not XML); a panic is left to the driver to catch and report.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::link::Session;
use crate::policy::{KNOBS, PRESETS};
use crate::sched::Then;
use crate::world::World;

/// What a fuzz case exercises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// Mutated scenario text (and bytes) through the validator; what it
    /// accepts is run.
    Scenario,
    /// Op strings from words and garbage through `parse_op`.
    Op,
    /// Sessions through the link encoder, damaged links and crafted
    /// payloads through the decoder.
    Link,
    /// Random valid scenarios under every preset and knob value, random
    /// schedules (seeded, first runnable, timed), invariants after every
    /// step, and everything made from the runs (report, email, SVG).
    Engine,
}

impl Target {
    pub const ALL: [Target; 4] = [Target::Scenario, Target::Op, Target::Link, Target::Engine];

    pub fn name(self) -> &'static str {
        match self {
            Target::Scenario => "scenario",
            Target::Op => "op",
            Target::Link => "link",
            Target::Engine => "engine",
        }
    }

    pub fn parse(s: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.name() == s)
    }
}

/// Steps a fuzzed run may take: generated scenarios end long before.
pub const MAX_FUZZ_STEPS: usize = 50_000;

/// Runs one case.
pub fn run(target: Target, seed: u64) -> Result<(), String> {
    match target {
        Target::Scenario => scenario_case(seed),
        Target::Op => op_case(seed),
        Target::Link => link_case(seed),
        Target::Engine => engine_case(seed),
    }
}

fn rng(seed: u64, target: Target) -> ChaCha8Rng {
    // one stream per target, so that seed n of two targets differ
    ChaCha8Rng::seed_from_u64(seed ^ (target as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

fn pick<'a, T>(r: &mut ChaCha8Rng, xs: &'a [T]) -> &'a T {
    &xs[r.random_range(0..xs.len())]
}

fn chance(r: &mut ChaCha8Rng, n: u32) -> bool {
    r.random_range(0..n) == 0
}

// ---- valid scenarios ----

/// A random valid scenario: every setup field, every op and flag, the
/// buffers of direct I/O into and from the mmap, any preset, any knob
/// values in `[policy]`.
pub fn valid_scenario(r: &mut ChaCha8Rng) -> String {
    let fs = *pick(r, &["xfs", "ext4", "btrfs"]);
    let pages: u8 = if chance(r, 12) {
        // past 16, 32 and 63: the widths of the page, block and unit sets
        r.random_range(17..=64)
    } else if chance(r, 6) {
        r.random_range(1..=16)
    } else {
        r.random_range(1..=4)
    };
    let size = if chance(r, 4) {
        r.random_range(0..=pages)
    } else {
        pages
    };
    let dax = fs != "btrfs" && chance(r, 8);
    let mut t = format!("title = \"fuzz\"\n[setup]\nfs = \"{fs}\"\n");
    t += &format!("preset = \"{}\"\n", pick(r, PRESETS).name);
    t += &format!("pages = {pages}\nsize = {size}\n");
    t += &format!(
        "on_disk = \"{}\"\n",
        pick(r, &["written", "unwritten", "hole"])
    );
    if !dax && size > 0 {
        let cached: Vec<String> = (0..size)
            .filter(|_| chance(r, 2))
            .map(|p| p.to_string())
            .collect();
        t += &format!("cached = \"{}\"\n", cached.join(","));
    }
    for flag in ["write_cache", "flusher", "reclaim"] {
        if chance(r, 3) {
            t += &format!("{flag} = true\n");
        }
    }
    if dax {
        t += "dax = true\n";
        if chance(r, 2) {
            t += &format!("poisoned = \"{}\"\n", r.random_range(0..pages * 2));
        }
    }
    t += "[policy]\n";
    for k in KNOBS {
        if chance(r, 3) {
            t += &format!("{} = \"{}\"\n", k.name, pick(r, k.values).name);
        }
    }
    // up to the limit of 8 tasks, sometimes with the longest names: the
    // email text must still fit 11 lanes in 72 columns
    let ntasks = if chance(r, 6) {
        r.random_range(5..=crate::scenario::limits::MAX_TASKS)
    } else {
        r.random_range(1..=4usize)
    };
    let names: &[&str] = if chance(r, 4) {
        &[
            "writer_a", "reader", "mapper_c", "syncer", "puncher", "zzzzzzzz", "B", "dio",
        ]
    } else {
        &["A", "B", "C", "D", "E", "F", "G", "H"]
    };
    let nops = if chance(r, 10) { 24 } else { 6 };
    let mut writes = 0;
    for name in &names[..ntasks] {
        let n = r.random_range(1..=nops);
        let ops: Vec<String> = (0..n)
            .map(|_| {
                let op = valid_op(r, pages, dax);
                let writes_data = crate::ops::parse_op(&op).is_ok_and(|o| o.writes_data());
                if writes_data && writes >= crate::scenario::limits::MAX_WRITES {
                    "\"fsync\"".to_string()
                } else {
                    writes += usize::from(writes_data);
                    format!("\"{op}\"")
                }
            })
            .collect();
        t += &format!("[[task]]\nname = \"{name}\"\nops = [{}]\n", ops.join(", "));
    }
    t
}

fn range(r: &mut ChaCha8Rng, pages: u8) -> (u8, u8) {
    let lo = r.random_range(0..pages);
    let span = match r.random_range(0..8) {
        0 => 64,
        1 | 2 => 16,
        _ => 3,
    };
    let hi = r.random_range(lo..pages.min(lo + span));
    (lo, hi)
}

fn fmt_range((lo, hi): (u8, u8)) -> String {
    if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}-{hi}")
    }
}

fn valid_op(r: &mut ChaCha8Rng, pages: u8, dax: bool) -> String {
    let page = |r: &mut ChaCha8Rng| r.random_range(0..pages);
    match r.random_range(0..16) {
        0..=2 => {
            let (lo, hi) = range(r, pages);
            let mut s = format!("read {}", fmt_range((lo, hi)));
            let direct = chance(r, 2);
            if direct {
                s += " direct";
            }
            if chance(r, 4) {
                s += " dontcache";
            }
            if direct && !dax && chance(r, 3) {
                s += &format!(" into-mmap {}", r.random_range(0..pages - (hi - lo)));
            }
            s
        }
        3..=6 => {
            let (lo, hi) = range(r, pages);
            let mut s = format!("write {}", fmt_range((lo, hi)));
            let direct = chance(r, 2);
            if direct {
                s += " direct";
            }
            if chance(r, 4) {
                s += " dsync";
            }
            if !direct && chance(r, 4) {
                s += if chance(r, 2) {
                    " dontcache"
                } else {
                    " uncached"
                };
            }
            if direct && !dax && chance(r, 3) {
                s += &format!(" from-mmap {}", r.random_range(0..pages - (hi - lo)));
            }
            s
        }
        7 => format!("mmap-read {}", page(r)),
        8 | 9 => format!("mmap-write {}", page(r)),
        10 => (*pick(r, &["fsync", "fdatasync", "writeback", "crash"])).to_string(),
        11 => format!(
            "{} {}",
            pick(r, &["sync-range", "punch", "falloc"]),
            fmt_range(range(r, pages))
        ),
        12 => format!("truncate {}", r.random_range(0..=pages)),
        13 => {
            if chance(r, 2) {
                "reclaim".to_string()
            } else {
                format!("reclaim {}", fmt_range(range(r, pages)))
            }
        }
        14 => {
            let lo = r.random_range(0..pages * 2);
            let hi = r.random_range(lo..pages * 2);
            format!("fail-writes {}", fmt_range((lo, hi)))
        }
        _ => "fsync".to_string(),
    }
}

// ---- the engine ----

/// The input of engine case `seed`: the scenario text and the scheduler
/// (`None`: the first runnable; else the seed of the random one), for
/// reproducing a failure with `dioscope run FILE [--seed N]`.
pub fn engine_input(seed: u64) -> (String, Option<u64>) {
    let mut r = rng(seed, Target::Engine);
    engine_input_from(&mut r)
}

fn engine_input_from(r: &mut ChaCha8Rng) -> (String, Option<u64>) {
    let text = valid_scenario(r);
    let then = if chance(r, 4) { None } else { Some(r.random()) };
    (text, then)
}

fn engine_case(seed: u64) -> Result<(), String> {
    let mut r = rng(seed, Target::Engine);
    let (text, then) = engine_input_from(&mut r);
    let sc = crate::scenario::parse("fuzz.toml", &text)
        .map_err(|e| format!("a generated scenario does not parse:\n{e}\n{text}"))?;
    let schedule = then.map_or(Then::First, Then::seeded);
    let seed_arg = then.map(|s| format!(" --seed {s}")).unwrap_or_default();
    run_checked(&sc, schedule, &mut r)
        .map_err(|e| format!("{e}\n(dioscope run FILE{seed_arg})\n{text}"))
}

/// Everything the engine target does to a scenario, each phase every
/// time: a run with the random scheduler of `seed` (invariants after every
/// step, the replay, the report, the email, the SVG), timed runs on every
/// device with 1 and 4 CPUs, and a bounded exploration. For regression
/// tests of what the fuzzer found.
pub fn check_scenario(text: &str, seed: u64) -> Result<(), String> {
    let sc = crate::scenario::parse("regression.toml", text).map_err(|e| e.to_string())?;
    let policy = sc.policy(None).map_err(|e| format!("policy: {e}"))?;
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    run_checked(&sc, Then::seeded(seed), &mut r)?;
    for dev in [crate::timed::NVME, crate::timed::PMEM, crate::timed::HDD] {
        for cpus in [1, 4] {
            let costs = crate::timed::Costs::new(dev, cpus);
            let t = crate::timed::run_capped(&sc, &policy, costs, MAX_FUZZ_STEPS);
            if let Some(e) = t.stopped {
                return Err(format!("timed run ({}, {cpus} CPUs): {e}", dev.name));
            }
            t.world
                .check_invariants()
                .map_err(|e| format!("timed run ({}): {e}", dev.name))?;
        }
    }
    let quiet = World::new_quiet(&sc, &policy);
    let opts = crate::explore::Options {
        max_states: Some(2000),
        reduction: true,
        ..Default::default()
    };
    crate::explore::explore(&quiet, &opts, |_| true);
    Ok(())
}

/// Runs `sc` with `then`, checking the invariants after every step, then
/// everything made from the run; sometimes a timed run and a bounded
/// exploration of the same scenario.
fn run_checked(sc: &crate::Scenario, mut then: Then, r: &mut ChaCha8Rng) -> Result<(), String> {
    let policy = sc.policy(None).map_err(|e| format!("policy: {e}"))?;
    let start = World::new(sc, &policy);
    let mut w = start.clone();
    let mut names = Vec::new();
    while let Some(a) = then.pick(&w) {
        if names.len() >= MAX_FUZZ_STEPS {
            return Err(format!("the run did not end within {MAX_FUZZ_STEPS} steps"));
        }
        names.push(w.actor_name(a));
        w.step(a)
            .map_err(|e| format!("an enabled actor did not step: {e:?}"))?;
        w.check_invariants()
            .map_err(|e| format!("invariant broken after {} steps: {e}", names.len()))?;
    }
    if !w.is_done() {
        return Err("nothing can run but the run is not over".into());
    }
    // the same schedule replays to the same state
    let mut again = start.clone();
    for n in &names {
        let a =
            crate::sched::resolve(&again, n).ok_or_else(|| format!("`{n}` does not resolve"))?;
        again.step(a).map_err(|e| format!("replay: {e:?}"))?;
    }
    if again.s != w.s {
        return Err("the replay ended in another state".into());
    }
    check_outputs(sc, &w, &names)?;
    if chance(r, 3) {
        let dev = *pick(
            r,
            &[crate::timed::NVME, crate::timed::PMEM, crate::timed::HDD],
        );
        let costs = crate::timed::Costs::new(dev, r.random_range(1..=4));
        let t = crate::timed::run_capped(sc, &policy, costs, MAX_FUZZ_STEPS);
        if let Some(e) = t.stopped {
            return Err(format!("timed run ({}): {e}", dev.name));
        }
    }
    if chance(r, 16) {
        let opts = crate::explore::Options {
            max_states: Some(300),
            reduction: chance(r, 2),
            ..Default::default()
        };
        let quiet = World::new_quiet(sc, &policy);
        let rep = crate::explore::explore(&quiet, &opts, |_| true);
        for t in rep.results.iter().take(3) {
            let w = crate::explore::replay(&start, &t.witness);
            w.check_invariants()
                .map_err(|e| format!("explorer witness: {e}"))?;
        }
    }
    Ok(())
}

/// The report, the email text (72 columns) and the SVG (XML) of a run.
fn check_outputs(sc: &crate::Scenario, w: &World, names: &[String]) -> Result<(), String> {
    let sched = crate::sched::Schedule::from_actors(names).to_string();
    let preset = sc.setup.preset.as_str();
    let report = crate::report::RunReport::new(w, preset, &[], &sched);
    let _ = report.text();
    let meta = crate::diagram::Meta {
        preset,
        set: &[],
        link: None,
    };
    let email = crate::diagram::email(w, &meta, &sched);
    if let Some(l) = email.lines().find(|l| l.chars().count() > 72) {
        return Err(format!("an email line is over 72 columns: {l:?}"));
    }
    if let Some(c) = email.chars().find(|c| c.is_control() && *c != '\n') {
        return Err(format!("a control character in the email text: {c:?}"));
    }
    let svg = crate::svg::timeline(w, "fuzz", None);
    xml_well_formed(&svg).map_err(|e| format!("the SVG is not XML: {e}"))
}

// ---- scenario text ----

/// Pieces of TOML and of scenarios that mutations insert.
const TOKENS: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    "[[",
    "]]",
    "\"",
    "'",
    "\"\"\"",
    "'''",
    "\\",
    "\n",
    "\r\n",
    "\r",
    "=",
    ",",
    ".",
    "#",
    " ",
    "\t",
    "[[task]]\n",
    "[setup]\n",
    "[policy]\n",
    "[[expect]]\n",
    "ops = [",
    "name = \"B\"\n",
    "0x1f",
    "0o7",
    "0b1",
    "1_0",
    "-1",
    "+3",
    "1e5",
    "1.5",
    "nan",
    "inf",
    "1979-05-27",
    "07:32:00",
    "true",
    "false",
    "\u{1b}[31m",
    "\u{7}",
    "\u{0}",
    "\u{8}",
    "\u{7f}",
    "\u{85}",
    "\u{9b}",
    "\u{feff}",
    "\u{fffe}",
    "\u{ffff}",
    "\u{202e}",
    "é",
    "😀",
    "\\u0000",
    "\\u001b",
    "\\U0010FFFF",
    "\\uD800",
    "\\e",
    "\\x1b",
    "pages = ",
    "size = ",
    "cached = ",
    "poisoned = ",
    "dax = true\n",
    "reclaim = true\n",
    "flusher = true\n",
    "write_cache = true\n",
    "fs = \"btrfs\"\n",
    "preset = \"linux-5.8\"\n",
    "outcome = \"stale-read\"\n",
    "verdict = \"sometimes\"\n",
    "result = \"A: read 0 = init\"\n",
    "schedule = \"A:3 dev\"\n",
    "set = { dio_gup_fault = \"fault\" }\n",
    "setup.pages = 16\n",
    "setup.pages = 64\n",
    "read ",
    "write ",
    "mmap-read ",
    "mmap-write ",
    "direct",
    " direct",
    " dsync",
    " dontcache",
    " into-mmap ",
    " from-mmap ",
    "fsync",
    "truncate ",
    "punch ",
    "falloc ",
    "reclaim",
    "fail-writes ",
    "crash",
    "sync-range ",
    "0",
    "1",
    "3",
    "15",
    "16",
    "31",
    "32",
    "63",
    "64",
    "65",
    "127",
    "128",
    "255",
    "256",
    "65536",
    "0-15",
    "15-0",
    "0-255",
    "3-",
    "-",
    "dev",
    "flush",
    "A1",
    "init",
    "zero",
];

/// A scenario to mutate: bundled, generated, or a template with traps.
fn seed_text(r: &mut ChaCha8Rng) -> String {
    match r.random_range(0..4) {
        0 | 1 => {
            let all: Vec<_> = crate::library::bundled().collect();
            pick(r, &all).text.to_string()
        }
        2 => valid_scenario(r),
        _ => crate::library::TEMPLATE.to_string(),
    }
}

fn mutate(r: &mut ChaCha8Rng, b: &mut Vec<u8>) {
    let at = |r: &mut ChaCha8Rng, b: &Vec<u8>| r.random_range(0..=b.len());
    match r.random_range(0..9) {
        0 => {
            if !b.is_empty() {
                let i = r.random_range(0..b.len());
                b[i] = r.random();
            }
        }
        1..=3 => {
            let i = at(r, b);
            let tok = pick(r, TOKENS).as_bytes().to_vec();
            b.splice(i..i, tok);
        }
        4 => {
            let i = at(r, b);
            let j = (i + r.random_range(0..64)).min(b.len());
            b.drain(i..j);
        }
        5 => {
            let i = at(r, b);
            let j = (i + r.random_range(0..200)).min(b.len());
            let piece = b[i..j].to_vec();
            let k = at(r, b);
            b.splice(k..k, piece);
        }
        6 => {
            // deep nesting, closed or not
            let n = *pick(r, &[17, 100, 14_500, 30_000]);
            let (open, close) = *pick(r, &[("[", "]"), ("{a=", "}"), ("[{a=", "}]"), ("a.", "")]);
            let mut s = if open == "a." {
                // a dotted key: each part nests a table
                let head = if chance(r, 2) { "\n[" } else { "\n" };
                format!("{head}{}b", open.repeat(n))
            } else {
                format!("\nx = {}1", open.repeat(n))
            };
            if chance(r, 2) {
                s += &close.repeat(n);
            }
            let i = at(r, b);
            b.splice(i..i, s.into_bytes());
        }
        7 => {
            // a number somewhere becomes an edge value
            if let Some(i) = (0..8)
                .map(|_| r.random_range(0..b.len().max(1)))
                .find(|&i| b.get(i).is_some_and(u8::is_ascii_digit))
            {
                let n = pick(
                    r,
                    &[
                        "0",
                        "15",
                        "16",
                        "17",
                        "63",
                        "64",
                        "65",
                        "128",
                        "255",
                        "256",
                        "99999999999999999999",
                    ],
                );
                b.splice(i..i + 1, n.bytes());
            }
        }
        _ => {
            // a long string
            let s = format!("\ntitle2 = \"{}\"\n", "x".repeat(r.random_range(0..70_000)));
            let i = at(r, b);
            b.splice(i..i, s.into_bytes());
        }
    }
}

fn scenario_case(seed: u64) -> Result<(), String> {
    let mut r = rng(seed, Target::Scenario);
    let mut b = seed_text(&mut r).into_bytes();
    for _ in 0..r.random_range(1..=6) {
        mutate(&mut r, &mut b);
    }
    let parsed = crate::scenario::parse_bytes("fuzz.toml", &b);
    if let Ok(text) = std::str::from_utf8(&b) {
        let again = crate::scenario::parse("fuzz.toml", text);
        if again.is_ok() != parsed.is_ok() {
            return Err("parse and parse_bytes disagree".into());
        }
    }
    match parsed {
        Err(e) => check_error(&e),
        Ok(sc) => {
            let then = Then::seeded(r.random());
            let text = String::from_utf8_lossy(&b).into_owned();
            run_checked(&sc, then, &mut r).map_err(|e| format!("{e}\n{text}"))
        }
    }
}

/// A scenario error says where and what, on one line.
fn check_error(e: &crate::ScenarioError) -> Result<(), String> {
    if e.msg.is_empty() {
        return Err("an error without a message".into());
    }
    if e.line > 0 && (e.col == 0 || e.len == 0) {
        return Err(format!("a line without a column: {e:?}"));
    }
    if e.source_line.contains('\n') {
        return Err(format!("the source line spans lines: {e:?}"));
    }
    let shown = e.to_string();
    if shown.is_empty() {
        return Err("an empty error".into());
    }
    Ok(())
}

// ---- ops ----

const OP_WORDS: &[&str] = &[
    "read",
    "write",
    "mmap-read",
    "mmap-write",
    "fsync",
    "fdatasync",
    "sync-range",
    "truncate",
    "punch",
    "falloc",
    "writeback",
    "reclaim",
    "fail-writes",
    "crash",
    "wirte",
    "raed",
    "direct",
    "dsync",
    "dontcache",
    "uncached",
    "into-mmap",
    "from-mmap",
    "drect",
    "0",
    "1",
    "15",
    "16",
    "255",
    "256",
    "-1",
    "+3",
    "0-1",
    "1-0",
    "0-15",
    "0-255",
    "3-",
    "-3",
    "-",
    "0--1",
    "1-2-3",
    "٣",
    "é",
    "\u{0}",
    "\u{1b}",
    "",
    "🦀",
];

fn op_case(seed: u64) -> Result<(), String> {
    let mut r = rng(seed, Target::Op);
    let n = r.random_range(0..6);
    let mut s = String::new();
    for i in 0..n {
        if i > 0 || chance(&mut r, 8) {
            s += *pick(&mut r, &[" ", "  ", "\t", "\u{a0}", "\u{3000}", "\n"]);
        }
        s += *pick(&mut r, OP_WORDS);
    }
    match crate::ops::parse_op(&s) {
        Ok(op) => {
            let shown = op.to_string();
            match crate::ops::parse_op(&shown) {
                Ok(back) if back == op => Ok(()),
                other => Err(format!("{s:?} → `{shown}` → {other:?}")),
            }
        }
        Err(e) => {
            let (a, b) = e.at;
            if a > b || b > s.len() || !s.is_char_boundary(a) || !s.is_char_boundary(b) {
                return Err(format!("{s:?}: error span {:?} is not in the text", e.at));
            }
            if e.msg.is_empty() {
                return Err(format!("{s:?}: an error without a message"));
            }
            Ok(())
        }
    }
}

// ---- links ----

fn random_session(r: &mut ChaCha8Rng) -> Session {
    let scenario = match r.random_range(0..4) {
        0 => valid_scenario(r),
        1 => {
            let all: Vec<_> = crate::library::bundled().collect();
            pick(r, &all).text.to_string()
        }
        2 => format!(
            "title = \"t\"\nx = {}\n",
            "[".repeat(r.random_range(0..20_000))
        ),
        _ => (0..r.random_range(0..200))
            .map(|_| char::from_u32(r.random_range(0..0x11_0000)).unwrap_or('x'))
            .collect(),
    };
    let name = |r: &mut ChaCha8Rng| -> String {
        (0..r.random_range(1..20))
            .map(|_| *pick(r, &['a', 'z', '-', '.', '0', '_', 'é', '\u{1b}']))
            .collect()
    };
    let set = |r: &mut ChaCha8Rng| {
        (0..r.random_range(0..4))
            .map(|_| (name(r), name(r)))
            .collect()
    };
    Session {
        scenario,
        preset: chance(r, 2).then(|| name(r)),
        set: set(r),
        schedule: (0..r.random_range(0..40))
            .map(|_| *pick(r, &["A", "B:3", "dev", "dev@1", "flush", " "]))
            .collect(),
        cursor: r.random(),
        compare: chance(r, 3).then(|| crate::link::Compare {
            preset: chance(r, 2).then(|| name(r)),
            set: set(r),
        }),
    }
}

fn link_case(seed: u64) -> Result<(), String> {
    let mut r = rng(seed, Target::Link);
    let s = random_session(&mut r);
    let Ok(link) = s.url("http://127.0.0.1:8080/") else {
        return Ok(());
    };
    match Session::decode(&link) {
        Ok(back) if back == s => {}
        other => return Err(format!("a link does not decode to its session: {other:?}")),
    }
    // what opening the link does
    let _ = crate::scenario::parse("link", &s.scenario).map_err(|e| check_error(&e));
    // damaged in transit: characters changed, cut, wrapped, version edited
    let mut bad: Vec<char> = link.chars().collect();
    let route = link.find(crate::link::ROUTE).unwrap_or(0) + crate::link::ROUTE.len();
    let mut changed = false;
    for _ in 0..r.random_range(1..4) {
        let i = r.random_range(route.min(bad.len())..=bad.len());
        match r.random_range(0..5) {
            0 if i < bad.len() => {
                let c = *pick(&mut r, &['A', 'z', '-', '_', '0', '.', '+', '/', '=', 'é']);
                changed |= bad[i] != c;
                bad[i] = c;
            }
            1 => {
                changed |= i < bad.len();
                bad.truncate(i);
            }
            2 => bad.insert(i, *pick(&mut r, &['\n', ' ', '>', '<'])),
            3 => {
                let v = *pick(&mut r, &["01.", "00001.", "+1.", "2.", "1..", "."]);
                bad.splice(route..route, v.chars());
                changed = true;
            }
            _ => {
                if i < bad.len() {
                    bad.remove(i);
                    changed = true;
                }
            }
        }
    }
    let bad: String = bad.into_iter().collect();
    match Session::decode(&bad) {
        Ok(got) if changed && got != s => {
            Err(format!("a damaged link decoded to another session: {bad}"))
        }
        Ok(got) if !changed && got != s => Err(format!("a wrapped link decoded wrongly: {bad}")),
        _ => crafted_payload(&mut r),
    }
}

/// Bytes with a valid checksum and magic behind them: the field decoder
/// itself, past the checksum.
fn crafted_payload(r: &mut ChaCha8Rng) -> Result<(), String> {
    let mut b = b"DS1".to_vec();
    for _ in 0..r.random_range(0..40) {
        match r.random_range(0..4) {
            0 => b.push(r.random()),
            1 => b.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]),
            2 => b.push(*pick(r, &[0, 1, 2, 0x7f, 0x80])),
            _ => b.extend_from_slice(b"title = \"x\"\n"),
        }
    }
    let sum = b.iter().fold(0x811c_9dc5u32, |h, &x| {
        (h ^ u32::from(x)).wrapping_mul(0x0100_0193)
    });
    b.extend_from_slice(&sum.to_le_bytes());
    let packed = lz4_flex::block::compress_prepend_size(&b);
    use base64::Engine;
    let link = format!(
        "1.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(packed)
    );
    if let Ok(s) = Session::decode(&link) {
        let _ = crate::scenario::parse("link", &s.scenario);
    }
    Ok(())
}

// ---- XML ----

/// Whether `s` is a well-formed XML document of the kind svg.rs writes:
/// only characters XML 1.0 allows, balanced tags, quoted attributes, and
/// `&` only in the predefined or numeric references. Not a full parser:
/// enough to catch what escaping could get wrong.
pub fn xml_well_formed(s: &str) -> Result<(), String> {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r')
            || ('\u{20}'..='\u{D7FF}').contains(&c)
            || ('\u{E000}'..='\u{FFFD}').contains(&c)
            || c >= '\u{10000}'
    };
    if let Some(c) = s.chars().find(|&c| !allowed(c)) {
        return Err(format!(
            "character U+{:04X} is not allowed in XML",
            c as u32
        ));
    }
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find(['<', '&']) {
        let text = &rest[..i];
        if text.contains('>') && stack.is_empty() && !text.trim().is_empty() {
            return Err("text outside the root".into());
        }
        rest = &rest[i..];
        if rest.starts_with('&') {
            let end = rest.find(';').ok_or("an unterminated reference")?;
            let name = &rest[1..end];
            let ok = matches!(name, "lt" | "gt" | "amp" | "quot" | "apos")
                || name
                    .strip_prefix("#x")
                    .map(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| name.strip_prefix('#').map(|d| d.parse().ok()))
                    .flatten()
                    .and_then(char::from_u32)
                    .is_some_and(allowed);
            if !ok {
                return Err(format!("a bad reference &{name};"));
            }
            rest = &rest[end + 1..];
            continue;
        }
        let end = tag_end(rest).ok_or("an unterminated tag")?;
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            if stack.pop() != Some(name.trim()) {
                return Err(format!("</{name}> closes nothing open"));
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let body = tag.trim_end_matches('/');
        let name = body.split_whitespace().next().ok_or("an empty tag")?;
        check_attributes(&body[name.len()..])?;
        if !self_closing {
            stack.push(name);
        }
    }
    if !stack.is_empty() {
        return Err(format!("<{}> is not closed", stack.join("> <")));
    }
    Ok(())
}

/// The `>` that ends the tag at the start of `s`, outside quotes.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            (None, '<') => return None,
            _ => {}
        }
    }
    None
}

fn check_attributes(mut s: &str) -> Result<(), String> {
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return Ok(());
        }
        let eq = s
            .find('=')
            .ok_or_else(|| format!("an attribute without a value: {s}"))?;
        let rest = s[eq + 1..].trim_start();
        let q = rest.chars().next().filter(|c| *c == '"' || *c == '\'');
        let q = q.ok_or_else(|| format!("an unquoted attribute: {s}"))?;
        let end = rest[1..].find(q).ok_or("an unterminated attribute")? + 1;
        let value = &rest[1..end];
        if value.contains('<') {
            return Err(format!("`<` in an attribute: {value}"));
        }
        if let Some(i) = value.find('&') {
            let r = &value[i..];
            if !["&lt;", "&gt;", "&amp;", "&quot;", "&apos;", "&#"]
                .iter()
                .any(|p| r.starts_with(p))
            {
                return Err(format!("a bare `&` in an attribute: {value}"));
            }
        }
        s = &rest[end + 1..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_xml_check_tells_good_from_bad() {
        assert!(xml_well_formed("<svg a=\"1\"><text>x &amp; &#39;y</text><g/></svg>").is_ok());
        for bad in [
            "<svg><text>x</svg>",
            "<svg>\u{FFFE}</svg>",
            "<svg>\u{1b}</svg>",
            "<svg>a & b</svg>",
            "<svg a=1></svg>",
            "<svg a=\"<\"></svg>",
            "<svg><g></svg>",
            "<svg>&#0;</svg>",
            "<svg>&#xFFFF;</svg>",
        ] {
            assert!(xml_well_formed(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn generated_scenarios_are_valid() {
        for seed in 0..200 {
            let text = valid_scenario(&mut rng(seed, Target::Engine));
            if let Err(e) = crate::scenario::parse("gen.toml", &text) {
                panic!("seed {seed}:\n{e}\n{text}");
            }
        }
    }
}
