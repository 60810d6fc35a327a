//! The `dioscope` command-line tool.

use std::path::Path;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use dioscope::link::{Compare, Session};
use dioscope::policy::{KNOBS, PRESETS};
use dioscope::report::RunReport;
use dioscope::run::{parse_set, RunSpec};
use dioscope::scenario::Scenario;

// Everything printed passes through term::clean: text from scenarios,
// links and arguments must not act on the terminal.
macro_rules! out {
    ($($t:tt)*) => { emit(&dioscope::term::clean(&format!($($t)*)), false) };
}
macro_rules! outln {
    ($($t:tt)*) => { emit(&dioscope::term::clean(&format!($($t)*)), true) };
}

/// Writes to stdout. A closed pipe (`dioscope list | head`) ends the
/// program quietly, as SIGPIPE would a C tool; print! would panic.
fn emit(s: &str, newline: bool) {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    let r = o
        .write_all(s.as_bytes())
        .and_then(|()| if newline { o.write_all(b"\n") } else { Ok(()) })
        .and_then(|()| o.flush());
    match r {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("error: cannot write to standard output: {e}");
            std::process::exit(2);
        }
    }
}

#[derive(Parser)]
#[command(
    name = "dioscope",
    version,
    about = "A teaching simulator of the Linux page cache, direct I/O, mmap, iomap and writeback"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Args)]
struct PolicyArgs {
    /// Policy preset (a kernel release or a proposal); `dioscope list` shows them.
    #[arg(long, value_name = "PRESET")]
    preset: Option<String>,
    /// Override one knob: --set knob=value (repeatable).
    #[arg(long = "set", value_name = "KNOB=VALUE", value_parser = parse_set)]
    set: Vec<(String, String)>,
}

#[derive(clap::Args)]
struct RunArgs {
    /// A scenario file, or the id of a bundled scenario.
    #[arg(required_unless_present = "link")]
    file: Option<String>,
    /// Replay a permalink (what the app's "Copy link" gives) instead.
    #[arg(long, value_name = "URL", conflicts_with_all = ["file", "schedule", "seed", "preset", "set"])]
    link: Option<String>,
    #[command(flatten)]
    policy: PolicyArgs,
    /// Actors to run, in order: task names, dev (dev@K: the K-th bio in flight), flush, reclaim; A:3 = A three times.
    #[arg(long, value_name = "ACTORS", default_value = "")]
    schedule: String,
    /// After the schedule, pick actors at random from this seed (else: the first runnable).
    #[arg(long)]
    seed: Option<u64>,
    /// Stop a run that has not ended after this many steps (an error).
    #[arg(long, value_name = "N", default_value_t = dioscope::sched::MAX_STEPS, value_parser = clap::value_parser!(usize))]
    max_steps: usize,
}

/// What a permalink holds (see `link.rs`), for `dioscope link`.
#[derive(clap::Args)]
struct LinkArgs {
    /// A scenario file, or the id of a bundled scenario: its text goes into the link as it is.
    scenario: String,
    /// The preset (default: the scenario's own).
    #[arg(long, value_name = "PRESET")]
    preset: Option<String>,
    /// A knob override (repeatable).
    #[arg(long = "set", value_name = "KNOB=VALUE", value_parser = parse_set)]
    set: Vec<(String, String)>,
    /// The run's schedule.
    #[arg(long, value_name = "ACTORS", default_value = "")]
    schedule: String,
    /// The step the view opens at.
    #[arg(long, value_name = "N", default_value_t = 0)]
    cursor: u32,
    /// Compare mode: the second side's preset.
    #[arg(long, value_name = "PRESET")]
    compare: Option<String>,
    /// Compare mode: a knob override of the second side (repeatable).
    #[arg(long = "compare-set", value_name = "KNOB=VALUE", value_parser = parse_set)]
    compare_set: Vec<(String, String)>,
    /// Print the whole link for the app at this address (else only the payload, what follows `#/link/`).
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
}

#[derive(Subcommand)]
enum Cmd {
    /// List the bundled scenarios, the presets and the knobs.
    List,
    /// Run a scenario: one line per step, syscall results, outcomes.
    Run {
        #[command(flatten)]
        run: RunArgs,
        /// Print the stable JSON report (see README).
        #[arg(long)]
        json: bool,
        /// Also write the timeline as SVG to this file.
        #[arg(long, value_name = "FILE")]
        svg: Option<String>,
        /// Run on a virtual clock (costs per step, device latency, CPUs) and print latencies.
        #[arg(long, conflicts_with_all = ["schedule", "seed", "link"])]
        timed: bool,
        /// With --timed: how many CPUs the tasks share.
        #[arg(long, value_name = "N", default_value_t = 4, requires = "timed")]
        cpus: usize,
        /// With --timed: the device's latencies (nvme, pmem, hdd).
        #[arg(long, value_name = "KIND", default_value = "nvme", requires = "timed", value_parser = ["nvme", "pmem", "hdd"])]
        device: String,
    },
    /// Plain text of a run for email (one column per actor, at most 72 columns) with its permalink.
    Diagram {
        #[command(flatten)]
        run: RunArgs,
        /// Also run the same schedule under this preset and show both.
        #[arg(long, value_name = "PRESET")]
        compare: Option<String>,
        /// Knob overrides for the compared side (repeatable).
        #[arg(long = "compare-set", value_name = "KNOB=VALUE", value_parser = parse_set)]
        compare_set: Vec<(String, String)>,
        /// Where the app is served, for the permalink.
        #[arg(long, value_name = "URL", default_value = "http://127.0.0.1:8080/")]
        base_url: String,
    },
    /// Explore every interleaving: always / sometimes / never per outcome, with the shortest witness.
    Explore {
        /// A scenario file, or the id of a bundled scenario.
        file: String,
        #[command(flatten)]
        policy: PolicyArgs,
        /// Stop after this many distinct states (the verdicts then say "not proven"); 0 = no bound.
        #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_STATES)]
        max_states: usize,
        /// Stop at this depth (steps).
        #[arg(long, value_name = "N")]
        max_depth: Option<usize>,
        /// Bound context switches away from a task that could go on.
        #[arg(long, value_name = "N")]
        max_preemptions: Option<u32>,
        /// Stop before the explorer's data would take more than this many MiB
        /// (visited set, parent links, frontier); 0 = no bound.
        #[arg(long, value_name = "MIB", default_value_t = (dioscope::explore::DEFAULT_MAX_MEMORY >> 20) as u64)]
        max_memory: u64,
        /// Explore without the sleep-set reduction (for comparison).
        #[arg(long)]
        no_reduction: bool,
        /// Explore without the symmetry reduction (tasks with identical ops).
        #[arg(long)]
        no_symmetry: bool,
        /// Keep the oracles' history that no future step can read (for comparison)
        #[arg(long)]
        no_forget: bool,
        /// Threads expanding states (0 = one per core); the output is the same for any number.
        #[arg(long, value_name = "N", default_value_t = 0)]
        threads: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check every [[expect]] of the scenario files; exit 1 on a mismatch.
    Check {
        /// Scenario files (or bundled ids); none = every bundled scenario.
        files: Vec<String>,
        /// Bound each exploration (distinct states); 0 = no bound.
        #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_STATES)]
        max_states: usize,
    },
    /// Encode a permalink from its parts, as given and unchecked (for tests and hand-made links; `diagram` and the app write checked ones).
    Link(LinkArgs),
    /// Timed sweep: 1 to N copies of the scenario's template tasks under each preset; throughput, latency, CPU, copies, waits.
    Sweep(SweepArgs),
    /// Verdict matrix: each outcome under each preset (ALWAYS / SOMETIMES / NEVER, or bound), with witnesses.
    Matrix(MatrixArgs),
    /// Run the scenario on this machine's kernel, beside the model (the kernel lab).
    Kernel(KernelArgs),
    /// A lab question from the scenario library: predict, then check with -c.
    Quiz {
        /// Which question (any number; the same seed asks the same question).
        #[arg(short = 's', long = "seed", default_value_t = 0)]
        seed: u64,
        /// Compute and show the answer, with a run that shows it.
        #[arg(short = 'c', long = "compute")]
        compute: bool,
    },
}

#[derive(clap::Args)]
struct KernelArgs {
    /// A scenario file, or the id of a bundled scenario.
    file: String,
    /// Where to make the file (default: a new directory under /tmp, removed after).
    #[arg(long, value_name = "DIR")]
    dir: Option<String>,
    /// Runs (default: 1,000 in stress mode, 1 with --schedule).
    #[arg(long, value_name = "N")]
    runs: Option<usize>,
    /// The model's policy (default: the preset of the running kernel).
    #[command(flatten)]
    policy: PolicyArgs,
    /// Sequential mode: whole ops in this order (task names, A:2 = two ops of A); the rest follow in declaration order.
    #[arg(long, value_name = "TASKS")]
    schedule: Option<String>,
    /// Stress mode: each task waits a random delay of at most N microseconds after the start barrier (log-uniform from 1 µs, or none).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    jitter_us: u64,
    /// Seed of the random delays and of the data's tags.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// A run (sequentially: an op) that takes longer than this many seconds is a hang.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    timeout: f64,
    /// Bound the model's exploration (distinct states); 0 = no bound.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_STATES)]
    max_states: usize,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Also write the observation file (what `cargo xtask observe` keeps in scenarios/observed/).
    #[arg(long, value_name = "FILE")]
    save: Option<String>,
}

/// Explorations stop here unless told otherwise: a large scenario would
/// otherwise run until memory runs out (about 2 GB at this bound).
const DEFAULT_MAX_STATES: usize = 2_000_000;

fn bound(n: usize) -> Option<usize> {
    (n > 0).then_some(n)
}

/// Whether FILE names a file rather than a bundled scenario: one that
/// exists, or anything that looks like a path (a bundled id is one word).
fn is_path(file: &str) -> bool {
    Path::new(file).exists()
        || file.contains(['/', '\\'])
        || file.ends_with(".toml")
        || file.starts_with('.')
}

/// The scenario FILE names: the file if it is a path (never a bundled
/// scenario of the same name instead), else the bundled scenario.
fn load(file: &str) -> Result<Scenario, String> {
    if is_path(file) {
        let path = Path::new(file);
        let cannot = |e: std::io::Error| format!("error: cannot read {file}: {e}");
        let f = std::fs::File::open(path).map_err(cannot)?;
        let len = f.metadata().map_err(cannot)?.len();
        dioscope::scenario::check_len(file, len).map_err(|e| e.to_string())?;
        // bounded read all the same (a file can grow, or be a pipe)
        let limit = dioscope::scenario::limits::MAX_TEXT as u64 + 1;
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::Read::take(f, limit), &mut bytes)
            .map_err(cannot)?;
        return dioscope::scenario::parse_bytes(file, &bytes).map_err(|e| e.to_string());
    }
    match dioscope::library::find(file) {
        Some(b) => b.parse().map_err(|e| e.to_string()),
        None => {
            let ids: Vec<&str> = dioscope::library::bundled().map(|b| b.id()).collect();
            Err(format!(
                "error: no file `{file}`, and no bundled scenario of that name\n  = hint: bundled scenarios: {}",
                ids.join(", ")
            ))
        }
    }
}

/// What `run`-like arguments (a file, or a link) say: the scenario, the
/// run and, for a link, its compare side.
type Resolved = (Scenario, RunSpec, Option<Compare>, usize);

fn resolve_run(a: RunArgs) -> Result<Resolved, String> {
    if let Some(link) = a.link {
        let s = Session::decode(&link).map_err(|e| format!("error: --link: {e}"))?;
        let sc = dioscope::scenario::parse("(the link's scenario)", &s.scenario)
            .map_err(|e| e.to_string())?;
        let spec = RunSpec {
            preset: s.preset,
            set: s.set,
            schedule: s.schedule,
            seed: None,
        };
        return Ok((sc, spec, s.compare, a.max_steps));
    }
    let file = a.file.expect("clap requires FILE or --link");
    let sc = load(&file)?;
    Ok((
        sc,
        RunSpec {
            preset: a.policy.preset,
            set: a.policy.set,
            schedule: a.schedule,
            seed: a.seed,
        },
        None,
        a.max_steps,
    ))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("{}", dioscope::term::clean(&msg));
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.cmd {
        Cmd::List => list(),
        Cmd::Run {
            run,
            json,
            svg,
            timed,
            cpus,
            device,
        } => {
            let (sc, spec, _, max_steps) = resolve_run(run)?;
            if timed {
                let dev = match device.as_str() {
                    "pmem" => dioscope::timed::PMEM,
                    "hdd" => dioscope::timed::HDD,
                    _ => dioscope::timed::NVME,
                };
                let pol = spec.policy(&sc).map_err(|e| format!("error: {e}"))?;
                let costs = dioscope::timed::Costs::new(dev, cpus);
                let t = dioscope::timed::run_capped(&sc, &pol, costs, max_steps)
                    .ended()
                    .map_err(|e| format!("error: {e}"))?;
                let sched = dioscope::sched::Schedule::from_actors(&t.schedule).to_string();
                let report =
                    RunReport::new(&t.world, spec.preset_name(&sc), &spec.set_strings(), &sched);
                if json {
                    outln!(
                        "{}",
                        serde_json::to_string_pretty(&report).expect("report serialises")
                    );
                } else {
                    out!("{}\n{}", report.text(), t.text());
                }
                return Ok(ExitCode::SUCCESS);
            }
            let (w, taken) = spec
                .run_capped(&sc, max_steps)
                .map_err(|e| format!("error: {e}"))?;
            let report = RunReport::new(
                &w,
                spec.preset_name(&sc),
                &spec.set_strings(),
                &taken.to_string(),
            );
            if let Some(path) = svg {
                let sub = format!("{} · {}", sc.setup.fs.name(), spec.preset_name(&sc));
                std::fs::write(&path, dioscope::svg::timeline(&w, &sub, None))
                    .map_err(|e| format!("error: cannot write {path}: {e}"))?;
            }
            if json {
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("report serialises")
                );
            } else {
                out!("{}", report.text());
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Diagram {
            run,
            compare,
            compare_set,
            base_url,
        } => diagram(run, compare, compare_set, &base_url),
        Cmd::Explore {
            file,
            policy,
            max_states,
            max_depth,
            max_preemptions,
            max_memory,
            no_reduction,
            no_symmetry,
            no_forget,
            threads,
            json,
        } => {
            let sc = load(&file)?;
            let spec = RunSpec {
                preset: policy.preset,
                set: policy.set,
                schedule: String::new(),
                seed: None,
            };
            let pol = spec.policy(&sc).map_err(|e| format!("error: {e}"))?;
            let w = dioscope::World::new_quiet(&sc, &pol);
            let opts = dioscope::explore::Options {
                max_states: bound(max_states),
                max_depth,
                max_preemptions,
                max_memory: (max_memory > 0).then(|| {
                    usize::try_from(max_memory.saturating_mul(1 << 20)).unwrap_or(usize::MAX)
                }),
                reduction: !no_reduction,
                symmetry: !no_symmetry,
                forget_history: !no_forget,
                count_interleavings: true,
                threads,
            };
            let t0 = std::time::Instant::now();
            let mut last = t0;
            let r = dioscope::explore::explore(&w, &opts, |p| {
                if !json && last.elapsed().as_secs_f64() > 1.0 {
                    last = std::time::Instant::now();
                    eprintln!(
                        "  … {} states, {} transitions, frontier {}",
                        p.states, p.transitions, p.frontier
                    );
                }
                true
            });
            let secs = t0.elapsed().as_secs_f64();
            let mut out = dioscope::explore_report::ExploreOut::new(
                &r,
                &sc,
                spec.preset_name(&sc),
                &spec.set_strings(),
                secs,
            );
            out.stats.peak_rss_bytes = dioscope::explore_report::peak_rss();
            let obs = observed_for(&file, &sc);
            if json {
                let mut v = serde_json::to_value(&out).expect("serialises");
                if let (Some(o), Some(map)) = (obs, v.as_object_mut()) {
                    map.insert("observed".into(), observed_json(o));
                }
                outln!("{}", serde_json::to_string_pretty(&v).expect("serialises"));
            } else {
                out!("{}", out.text());
                if let Some(o) = obs {
                    out!("{}", observed_text(o, &out));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Check { files, max_states } => check(files, bound(max_states)),
        Cmd::Quiz { seed, compute } => quiz(seed, compute),
        Cmd::Link(a) => link(a),
        Cmd::Sweep(a) => sweep(a),
        Cmd::Matrix(a) => matrix(a),
        Cmd::Kernel(args) => kernel(args),
    }
}

/// `dioscope sweep` (issue 17).
#[derive(clap::Args)]
struct SweepArgs {
    /// A scenario file with `template = true` on the task(s) to replicate, or a bundled scenario's id.
    file: String,
    /// Thread counts to simulate: 1,2,4 or 1-4 (default: 1 to the most the scenario allows).
    #[arg(long, value_name = "LIST")]
    threads: Option<String>,
    /// A preset to run (repeatable; default: the scenario's own).
    #[arg(long = "preset", value_name = "PRESET")]
    presets: Vec<String>,
    /// How many CPUs the tasks share.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=1024))]
    cpus: u16,
    /// The device's latencies and queue (nvme, pmem, hdd).
    #[arg(long, value_name = "KIND", default_value = "nvme", value_parser = ["nvme", "pmem", "hdd"])]
    device: String,
    /// Also estimate up to N threads by mean-value analysis (marked as extrapolated).
    #[arg(long, value_name = "N")]
    extrapolate: Option<usize>,
    /// Print CSV (one row per point).
    #[arg(long, conflicts_with = "json")]
    csv: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Also write the plots (throughput and latency against threads) as SVG to this file.
    #[arg(long, value_name = "FILE")]
    svg: Option<String>,
}

fn sweep(a: SweepArgs) -> Result<ExitCode, String> {
    let sc = load(&a.file)?;
    let threads = match &a.threads {
        Some(t) => dioscope::sweep::parse_threads(t).map_err(|e| format!("error: {e}"))?,
        None => Vec::new(),
    };
    let device = dioscope::timed::device(&a.device).expect("clap checks the device");
    let spec = dioscope::sweep::Spec {
        presets: a.presets,
        threads,
        costs: dioscope::timed::Costs::new(device, a.cpus as usize),
        extrapolate: a.extrapolate,
    };
    let r = dioscope::sweep::run(&sc, &spec).map_err(|e| format!("error: {e}"))?;
    if let Some(path) = &a.svg {
        std::fs::write(path, dioscope::plot::sweep(&r))
            .map_err(|e| format!("error: cannot write {path}: {e}"))?;
    }
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&r).expect("serialises"));
    } else if a.csv {
        out!("{}", r.csv());
    } else {
        out!("{}", r.text());
    }
    Ok(ExitCode::SUCCESS)
}

/// `dioscope matrix` (issue 17).
#[derive(clap::Args)]
struct MatrixArgs {
    /// A scenario file, or the id of a bundled scenario.
    file: String,
    /// A preset (repeatable; default: every kernel tree, oldest first, then every proposal).
    #[arg(long = "preset", value_name = "PRESET")]
    presets: Vec<String>,
    /// Bound each exploration (distinct states); a cell whose search stopped says "bound". 0 = no bound.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_STATES)]
    max_states: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

fn matrix(a: MatrixArgs) -> Result<ExitCode, String> {
    let sc = load(&a.file)?;
    let presets: Vec<String> = if a.presets.is_empty() {
        dioscope::matrix::default_presets()
            .iter()
            .map(|p| p.to_string())
            .collect()
    } else {
        a.presets
    };
    let m = dioscope::matrix::matrix(&sc, &a.file, &presets, bound(a.max_states))
        .map_err(|e| format!("error: {e}"))?;
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&m).expect("serialises"));
    } else {
        out!("{}", m.text());
    }
    Ok(ExitCode::SUCCESS)
}

fn link(a: LinkArgs) -> Result<ExitCode, String> {
    let compare = (a.compare.is_some() || !a.compare_set.is_empty()).then_some(Compare {
        preset: a.compare,
        set: a.compare_set,
    });
    let s = Session {
        scenario: scenario_text(&a.scenario)?,
        preset: a.preset,
        set: a.set,
        schedule: a.schedule,
        cursor: a.cursor,
        compare,
    };
    let out = match a.base_url {
        Some(base) => s.url(&base),
        None => s.encode(),
    };
    outln!("{}", out.map_err(|e| format!("error: {e}"))?);
    Ok(ExitCode::SUCCESS)
}

/// A scenario's text, unparsed: a file's, or a bundled scenario's.
fn scenario_text(file: &str) -> Result<String, String> {
    let path = Path::new(file);
    if path.exists() {
        return std::fs::read_to_string(path)
            .map_err(|e| format!("error: cannot read {file}: {e}"));
    }
    dioscope::library::find(file)
        .map(|b| b.text.to_string())
        .ok_or_else(|| format!("error: no file `{file}`, and no bundled scenario of that name"))
}

fn list() -> Result<ExitCode, String> {
    outln!("Scenarios (bundled):");
    for b in dioscope::library::bundled() {
        match b.parse() {
            Ok(s) => outln!("  {:<36} {}", b.id(), s.title),
            Err(e) => outln!("  {:<36} (does not parse: {})", b.id(), e.msg),
        }
    }
    outln!("\nPresets (~ marks a version inferred from a date):");
    for p in PRESETS {
        let k = format!("{}{}", if p.approx { "~" } else { "" }, p.kernel);
        outln!("  {:<26} {:<6} {}", p.name, k, p.summary);
        let pol = dioscope::Policy::preset(p.name).expect("preset table is valid");
        let vals: Vec<String> = KNOBS
            .iter()
            .map(|k| format!("{}={}", k.name, pol.get(k.name).unwrap()))
            .collect();
        outln!("  {:<26} {:<6} {}", "", "", vals.join(" "));
    }
    outln!("\nKnobs:");
    for k in KNOBS {
        outln!("  {}: {}", k.name, k.help);
        for v in k.values {
            outln!("      {:<18} {}", v.name, v.help);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn diagram(
    run: RunArgs,
    compare: Option<String>,
    compare_set: Vec<(String, String)>,
    base_url: &str,
) -> Result<ExitCode, String> {
    let (sc, spec, link_cmp, max_steps) = resolve_run(run)?;
    let policy = spec.policy(&sc).map_err(|e| format!("error: {e}"))?;
    let (w, taken) = spec
        .run_capped(&sc, max_steps)
        .map_err(|e| format!("error: {e}"))?;
    let sched = taken.to_string();
    let cmp = if compare.is_some() || !compare_set.is_empty() {
        Some(Compare {
            preset: compare,
            set: compare_set,
        })
    } else {
        link_cmp
    };
    let session = Session {
        scenario: sc.source.clone(),
        preset: spec.preset.clone(),
        set: spec.set.clone(),
        schedule: sched.clone(),
        // the text shows the whole run, so its link opens at the end (as
        // the app's "copy as text" does)
        cursor: w.steps_taken() as u32,
        compare: cmp.clone(),
    };
    let url = session.url(base_url).map_err(|e| format!("error: {e}"))?;
    let set_a = spec.set_strings();
    let ma = dioscope::diagram::Meta {
        preset: spec.preset_name(&sc),
        set: &set_a,
        link: Some(&url),
    };
    let text = match cmp {
        None => dioscope::diagram::email(&w, &ma, &sched),
        Some(c) => {
            let spec_b = RunSpec {
                preset: c.preset.clone().or_else(|| spec.preset.clone()),
                set: c.set.clone(),
                ..Default::default()
            };
            let pol_b = spec_b
                .policy(&sc)
                .map_err(|e| format!("error: compared policy: {e}"))?;
            let names =
                dioscope::sched::Schedule::parse(&sched).map_err(|e| format!("error: {e}"))?;
            let names: Vec<String> = names
                .0
                .iter()
                .flat_map(|t| std::iter::repeat_n(t.actor.clone(), t.times as usize))
                .collect();
            let trace =
                dioscope::trace::Trace::record(&sc, &policy, &names, dioscope::sched::Then::First)
                    .map_err(|e| format!("error: {e}"))?;
            let (tb, div) = trace
                .replay_then(&sc, &pol_b, dioscope::sched::Then::First)
                .map_err(|e| format!("error: {e}"))?;
            let set_b = spec_b.set_strings();
            let mb = dioscope::diagram::Meta {
                preset: spec_b.preset_name(&sc),
                set: &set_b,
                link: None,
            };
            dioscope::diagram::compare(&w, &ma, &tb.end, &mb, &sched, div.as_ref())
        }
    };
    out!("{text}");
    Ok(ExitCode::SUCCESS)
}

fn check(files: Vec<String>, max_states: Option<usize>) -> Result<ExitCode, String> {
    // FILE is resolved as by every other command (a path is the file, never
    // the bundled scenario of the same name); no FILE: the bundled ones.
    let scenarios: Vec<(String, Result<Scenario, String>)> = if files.is_empty() {
        dioscope::library::bundled()
            .map(|b| {
                (
                    format!("scenarios/{}", b.file),
                    b.parse().map_err(|e| e.to_string()),
                )
            })
            .collect()
    } else {
        files.iter().map(|f| (f.clone(), load(f))).collect()
    };
    let (mut ok, mut bad) = (0, 0);
    for (f, sc) in &scenarios {
        let sc = sc.clone()?;
        if sc.expects.is_empty() {
            outln!("-       {f}: no [[expect]] entries");
            continue;
        }
        for c in dioscope::check::check(&sc, max_states) {
            outln!("{}", c.line(f));
            if c.ok() {
                ok += 1;
            } else {
                bad += 1;
            }
        }
    }
    outln!("\n{ok} expectations hold, {bad} do not");
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn quiz(seed: u64, compute: bool) -> Result<ExitCode, String> {
    let q = dioscope::quiz::question(seed);
    out!("{}", q.text());
    if compute {
        out!("\n{}", q.answer());
    } else {
        outln!("\n(run again with -c to see the answer)");
    }
    Ok(ExitCode::SUCCESS)
}

/// The kernel lab's observation of this scenario, if it is a bundled one
/// and the observation was made on its text.
fn observed_for(
    file: &str,
    sc: &Scenario,
) -> Option<&'static dioscope::lab::observation::Observed> {
    let id = Path::new(file).file_stem()?.to_str()?;
    dioscope::library::observed(id).filter(|o| o.is_for(sc))
}

fn observed_text(
    o: &dioscope::lab::observation::Observed,
    out: &dioscope::explore_report::ExploreOut,
) -> String {
    let mut s = format!(
        "\nOn the kernel (scenarios/observed/{}.json: {}, {} runs; mount options {}):\n",
        o.scenario,
        o.env(),
        dioscope::lab::report::thousands(o.runs),
        o.mount_options
    );
    let other = out.preset != o.preset || !out.set.is_empty();
    if other {
        s += &format!(
            "  (the verdicts here are {}'s; the kernel was compared with {}, whose verdicts then are in brackets)\n",
            if out.set.is_empty() {
                out.preset.clone()
            } else {
                format!("{} + {}", out.preset, out.set.join(", "))
            },
            o.preset
        );
    }
    for v in &out.verdicts {
        if let Some(oc) = dioscope::Outcome::parse(&v.outcome) {
            let then = o
                .outcomes
                .iter()
                .find(|x| x.0 == v.outcome)
                .filter(|_| other)
                .map(|x| format!("  [{}: {}]", o.preset, x.4))
                .unwrap_or_default();
            s += &format!(
                "  {:<18} {:<10} {}{then}\n",
                v.outcome,
                v.verdict.to_uppercase(),
                o.sentence(oc)
            );
        }
    }
    for d in o.disagreements {
        s += &format!("  DISAGREED when observed: {d}\n");
    }
    s
}

fn observed_json(o: &dioscope::lab::observation::Observed) -> serde_json::Value {
    serde_json::json!({
        "file": format!("scenarios/observed/{}.json", o.scenario),
        "kernel": o.kernel,
        "fs": o.fs,
        "mount_options": o.mount_options,
        "runs": o.runs,
        "outcomes": dioscope::Outcome::ALL.iter().map(|oc| serde_json::json!({
            "outcome": oc.name(),
            "seen": o.seen(*oc),
            "sentence": o.sentence(*oc),
        })).collect::<Vec<_>>(),
        "disagreements": o.disagreements,
    })
}

#[cfg(target_os = "linux")]
fn kernel(a: KernelArgs) -> Result<ExitCode, String> {
    use dioscope::lab::{host, plan, report};
    let sc = load(&a.file)?;
    let id = Path::new(&a.file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(&a.file)
        .to_string();
    let release = host::kernel_release();
    let p = kernel_plan(&a, &sc, &release)?;
    // `_tmp` is removed when it drops: it must outlive the runs
    let (_tmp, dir) = kernel_dir(&a)?;
    let fsi = host::fs_of(&dir).map_err(|e| format!("error: {e}"))?;
    let env = report::Env {
        kernel: release.clone(),
        fs: fsi.fstype.clone(),
        mount_options: fsi.options.clone(),
        dir: dir.display().to_string(),
    };
    let mut warnings = plan::caveats(&sc);
    if fsi.fstype != sc.setup.fs.name() {
        warnings.insert(
            0,
            format!(
                "the scenario models {}, but {} is {}: the model's verdicts are {}'s",
                sc.setup.fs.name(),
                dir.display(),
                fsi.fstype,
                sc.setup.fs.name()
            ),
        );
    }
    let set_strings = p.spec.set_strings();
    let not_run = plan::not_runnable(&sc);
    if !not_run.is_empty() {
        return Ok(kernel_not_run(&a, &sc, id, &p, set_strings, env, not_run));
    }
    let model = kernel_model(&a, &sc, &p, &set_strings)?;
    let t0 = std::time::Instant::now();
    let (tally, sum) = kernel_runs(&a, &sc, &p, dir, t0)?;
    if sum.setup_misses > 0 {
        warnings.push(format!(
            "in {} runs the page cache did not come out as the setup asks (a page would not leave or enter it)",
            sum.setup_misses
        ));
    }
    if sum.interrupted {
        warnings.push(format!("interrupted after {} runs", sum.runs));
    }
    let meta = report::Meta {
        id: &id,
        env: &env,
        mode: if p.order.is_some() {
            "sequential"
        } else {
            "stress"
        },
        order: p.order.as_ref().map(|o| o.text(&sc)),
        seed: a.seed,
        jitter_us: a.jitter_us,
        warnings,
    };
    let r = match &model {
        KernelModel::Stress(m) => report::compare(&sc, m, &tally, meta),
        KernelModel::Seq(m) => {
            report::compare_sequential(&sc, m, &tally, &p.preset, &set_strings, meta)
        }
    };
    if let Some(path) = &a.save {
        let o = dioscope::lab::observation::Observation::of(&r, &sc);
        let text = serde_json::to_string_pretty(&o).expect("serialises") + "\n";
        std::fs::write(path, text).map_err(|e| format!("error: cannot write {path}: {e}"))?;
    }
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&r).expect("serialises"));
    } else {
        out!("{}", r.text());
        eprintln!("({:.1} s)", t0.elapsed().as_secs_f64());
    }
    Ok(if sum.interrupted {
        ExitCode::from(130)
    } else if r.agrees() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// What `dioscope kernel`'s flags ask for, checked before anything is
/// made on disk.
#[cfg(target_os = "linux")]
struct KernelPlan {
    preset: String,
    spec: RunSpec,
    policy: dioscope::Policy,
    runs: usize,
    order: Option<dioscope::lab::stepper::Order>,
}

#[cfg(target_os = "linux")]
fn kernel_plan(a: &KernelArgs, sc: &Scenario, release: &str) -> Result<KernelPlan, String> {
    use dioscope::lab::{plan, stepper};
    let preset = match a.policy.preset.clone() {
        Some(p) => p,
        None => plan::preset_for_release(release)
            .ok_or_else(|| {
                format!("error: no preset models kernel {release}\n  = hint: choose one with --preset (`dioscope list`)")
            })?
            .to_string(),
    };
    let spec = RunSpec {
        preset: Some(preset.clone()),
        set: a.policy.set.clone(),
        schedule: String::new(),
        seed: None,
    };
    let policy = spec.policy(sc).map_err(|e| format!("error: {e}"))?;
    let runs = a
        .runs
        .unwrap_or(if a.schedule.is_some() { 1 } else { 1000 });
    if runs == 0 || runs > 10_000_000 {
        return Err(format!("error: --runs {runs}: give 1 to 10,000,000"));
    }
    if !(a.timeout > 0.0 && a.timeout <= 86_400.0) {
        return Err(format!(
            "error: --timeout {}: give more than 0 and at most 86,400 seconds",
            a.timeout
        ));
    }
    if a.jitter_us > 1_000_000 {
        return Err(format!(
            "error: --jitter-us {}: at most 1,000,000",
            a.jitter_us
        ));
    }
    let order = match &a.schedule {
        None => None,
        Some(text) => {
            Some(stepper::Order::parse(sc, text).map_err(|e| format!("error: --schedule: {e}"))?)
        }
    };
    Ok(KernelPlan {
        preset,
        spec,
        policy,
        runs,
        order,
    })
}

/// The directory the lab's file goes in: --dir, or a new one under /tmp
/// that lives as long as the returned `TempDir`.
#[cfg(target_os = "linux")]
fn kernel_dir(
    a: &KernelArgs,
) -> Result<(Option<dioscope::lab::host::TempDir>, std::path::PathBuf), String> {
    match &a.dir {
        Some(d) => {
            let p = std::path::PathBuf::from(d);
            if !p.is_dir() {
                return Err(format!("error: --dir {d}: not a directory"));
            }
            Ok((None, p))
        }
        None => {
            let tmp = dioscope::lab::host::TempDir::new(Path::new("/tmp"))
                .map_err(|e| format!("error: {e}"))?;
            let p = tmp.path.clone();
            Ok((Some(tmp), p))
        }
    }
}

/// The report of a scenario the kernel cannot run (exit 3): which ops,
/// and why, with no runs and no model side.
#[cfg(target_os = "linux")]
fn kernel_not_run(
    a: &KernelArgs,
    sc: &Scenario,
    id: String,
    p: &KernelPlan,
    set_strings: Vec<String>,
    env: dioscope::lab::report::Env,
    not_run: Vec<dioscope::lab::plan::NotRun>,
) -> ExitCode {
    use dioscope::lab::{plan, report};
    let r = report::LabReport {
        scenario: id,
        title: sc.title.clone(),
        scenario_fs: sc.setup.fs.name().into(),
        preset: p.preset.clone(),
        set: set_strings,
        env,
        mode: if p.order.is_some() {
            "sequential"
        } else {
            "stress"
        }
        .into(),
        order: None,
        runs: 0,
        seed: a.seed,
        jitter_us: a.jitter_us,
        setup: plan::setup_words(sc),
        not_run,
        warnings: Vec::new(),
        model_complete: false,
        model_results: 0,
        outcomes: Vec::new(),
        results: Vec::new(),
        combined: Vec::new(),
        hangs: Vec::new(),
        disagreements: Vec::new(),
    };
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&r).expect("serialises"));
    } else {
        out!("{}", r.text());
    }
    ExitCode::from(3)
}

/// The model's side of a kernel lab session: its verdicts over all
/// interleavings (stress), or its one run of the order asked (sequential).
#[cfg(target_os = "linux")]
enum KernelModel {
    Stress(dioscope::lab::report::ModelSide),
    Seq(dioscope::lab::report::SeqModel),
}

#[cfg(target_os = "linux")]
fn kernel_model(
    a: &KernelArgs,
    sc: &Scenario,
    p: &KernelPlan,
    set_strings: &[String],
) -> Result<KernelModel, String> {
    use dioscope::lab::{report, stepper};
    // a panic of the model is its bug; the lab reports it rather than dying
    // with it
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match &p.order {
        None => {
            if !a.json {
                eprintln!("exploring the model ({}) …", p.preset);
            }
            KernelModel::Stress(report::ModelSide::new(
                sc,
                &p.policy,
                &p.preset,
                set_strings,
                bound(a.max_states),
            ))
        }
        Some(o) => {
            let mut w = dioscope::World::new(sc, &p.policy);
            let stuck = stepper::run_order(&mut w, o).err().map(|(s, _)| {
                format!(
                    "{}'s `{}` cannot finish: {}",
                    sc.tasks[s.task as usize].name,
                    sc.tasks[s.task as usize].ops[s.op as usize],
                    s.why
                )
            });
            KernelModel::Seq(report::SeqModel {
                values: report::model_values(&w),
                fired: w.fired(),
                stuck,
            })
        }
    }))
    .map_err(|_| {
        "error: the model failed on this scenario (a bug of the model, not of the scenario: please report it)".to_string()
    })
}

/// The kernel's side: the runs, tallied as they end, with the hang that
/// ended them, if one did.
#[cfg(target_os = "linux")]
fn kernel_runs(
    a: &KernelArgs,
    sc: &Scenario,
    p: &KernelPlan,
    dir: std::path::PathBuf,
    t0: std::time::Instant,
) -> Result<(dioscope::lab::report::Tally, dioscope::lab::kernel::Summary), String> {
    use dioscope::lab::{kernel as lab, report};
    let cfg = lab::Config {
        dir,
        runs: p.runs,
        seed: a.seed,
        jitter: std::time::Duration::from_micros(a.jitter_us),
        timeout: std::time::Duration::from_secs_f64(a.timeout),
        order: p.order.clone(),
    };
    let mut tally = report::Tally::new(sc);
    let mut last = t0;
    let quiet = a.json;
    let runs = p.runs;
    let sum = lab::run(sc, &cfg, |i, h| {
        tally.add(sc, &h);
        if !quiet && last.elapsed().as_secs_f64() > 2.0 {
            last = std::time::Instant::now();
            eprintln!("  … {} of {} runs", i + 1, runs);
        }
        true
    })
    .map_err(|e| format!("error: {e}"))?;
    if let Some(h) = &sum.hang {
        tally.hangs.push(h.clone());
    }
    Ok((tally, sum))
}

#[cfg(not(target_os = "linux"))]
fn kernel(_: KernelArgs) -> Result<ExitCode, String> {
    Err("error: the kernel lab runs on Linux only".into())
}
