//! The `dioscope` command-line tool.

use std::path::Path;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use dioscope::link::{Compare, Session};
use dioscope::policy::{KNOBS, PRESETS};
use dioscope::report::RunReport;
use dioscope::run::{parse_set, RunSpec};
use dioscope::scenario::Scenario;

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

/// Explorations stop here unless told otherwise: a large scenario would
/// otherwise run until memory runs out (about 2 GB at this bound).
const DEFAULT_MAX_STATES: usize = 2_000_000;

fn bound(n: usize) -> Option<usize> {
    (n > 0).then_some(n)
}

fn load(file: &str) -> Result<Scenario, String> {
    let path = Path::new(file);
    if path.exists() || (file.ends_with(".toml") && file.contains('/')) {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("error: cannot read {file}: {e}"))?;
        return dioscope::scenario::parse(file, &text).map_err(|e| e.to_string());
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
type Resolved = (Scenario, RunSpec, Option<Compare>);

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
        return Ok((sc, spec, s.compare));
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
    ))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("{msg}");
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
            let (sc, spec, _) = resolve_run(run)?;
            if timed {
                let dev = match device.as_str() {
                    "pmem" => dioscope::timed::PMEM,
                    "hdd" => dioscope::timed::HDD,
                    _ => dioscope::timed::NVME,
                };
                let pol = spec.policy(&sc).map_err(|e| format!("error: {e}"))?;
                let t = dioscope::timed::run(&sc, &pol, dioscope::timed::Costs::new(dev, cpus));
                let sched = dioscope::sched::Schedule::from_actors(&t.schedule).to_string();
                let report =
                    RunReport::new(&t.world, spec.preset_name(&sc), &spec.set_strings(), &sched);
                if json {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&report).expect("report serialises")
                    );
                } else {
                    print!("{}\n{}", report.text(), t.text());
                }
                return Ok(ExitCode::SUCCESS);
            }
            let (w, taken) = spec.run(&sc).map_err(|e| format!("error: {e}"))?;
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
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("report serialises")
                );
            } else {
                print!("{}", report.text());
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
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&out).expect("serialises")
                );
            } else {
                print!("{}", out.text());
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Check { files, max_states } => check(files, bound(max_states)),
        Cmd::Quiz { seed, compute } => quiz(seed, compute),
    }
}

fn list() -> Result<ExitCode, String> {
    println!("Scenarios (bundled):");
    for b in dioscope::library::bundled() {
        match b.parse() {
            Ok(s) => println!("  {:<36} {}", b.id(), s.title),
            Err(e) => println!("  {:<36} (does not parse: {})", b.id(), e.msg),
        }
    }
    println!("\nPresets (~ marks a version inferred from a date):");
    for p in PRESETS {
        let k = format!("{}{}", if p.approx { "~" } else { "" }, p.kernel);
        println!("  {:<26} {:<6} {}", p.name, k, p.summary);
        let pol = dioscope::Policy::preset(p.name).expect("preset table is valid");
        let vals: Vec<String> = KNOBS
            .iter()
            .map(|k| format!("{}={}", k.name, pol.get(k.name).unwrap()))
            .collect();
        println!("  {:<26} {:<6} {}", "", "", vals.join(" "));
    }
    println!("\nKnobs:");
    for k in KNOBS {
        println!("  {}: {}", k.name, k.help);
        for v in k.values {
            println!("      {:<18} {}", v.name, v.help);
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
    let (sc, spec, link_cmp) = resolve_run(run)?;
    let policy = spec.policy(&sc).map_err(|e| format!("error: {e}"))?;
    let (w, taken) = spec.run(&sc).map_err(|e| format!("error: {e}"))?;
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
    print!("{text}");
    Ok(ExitCode::SUCCESS)
}

fn check(files: Vec<String>, max_states: Option<usize>) -> Result<ExitCode, String> {
    let files: Vec<String> = if files.is_empty() {
        dioscope::library::bundled()
            .map(|b| format!("scenarios/{}", b.file))
            .collect()
    } else {
        files
    };
    let (mut ok, mut bad) = (0, 0);
    for f in &files {
        let sc = load(f).or_else(|e| {
            let id = Path::new(f)
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or(f);
            dioscope::library::find(id)
                .map(|b| b.parse().map_err(|e| e.to_string()))
                .unwrap_or(Err(e))
        })?;
        if sc.expects.is_empty() {
            println!("-       {f}: no [[expect]] entries");
            continue;
        }
        for c in dioscope::check::check(&sc, max_states) {
            println!("{}", c.line(f));
            if c.ok() {
                ok += 1;
            } else {
                bad += 1;
            }
        }
    }
    println!("\n{ok} expectations hold, {bad} do not");
    Ok(if bad == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn quiz(seed: u64, compute: bool) -> Result<ExitCode, String> {
    let q = dioscope::quiz::question(seed);
    print!("{}", q.text());
    if compute {
        print!("\n{}", q.answer());
    } else {
        println!("\n(run again with -c to see the answer)");
    }
    Ok(ExitCode::SUCCESS)
}
