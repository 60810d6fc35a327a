//! The `dioscope` command-line tool.

use std::path::Path;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
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

#[derive(Subcommand)]
enum Cmd {
    /// List the bundled scenarios, the presets and the knobs.
    List,
    /// Run a scenario: one line per step, syscall results, outcomes.
    Run {
        /// A scenario file, or the id of a bundled scenario.
        file: String,
        #[command(flatten)]
        policy: PolicyArgs,
        /// Actors to run, in order: task names, dev (dev@K: K-th bio), flush, reclaim; A:3 = A three times.
        #[arg(long, value_name = "ACTORS", default_value = "")]
        schedule: String,
        /// After the schedule, pick actors at random from this seed (else: the first runnable).
        #[arg(long)]
        seed: Option<u64>,
        /// Print the stable JSON report (see README).
        #[arg(long)]
        json: bool,
    },
    /// Explore every interleaving: always / sometimes / never per outcome, with the shortest witness.
    Explore {
        /// A scenario file, or the id of a bundled scenario.
        file: String,
        #[command(flatten)]
        policy: PolicyArgs,
        /// Stop after this many distinct states (the verdicts then say "not proven").
        #[arg(long, value_name = "N")]
        max_states: Option<usize>,
        /// Stop at this depth (steps).
        #[arg(long, value_name = "N")]
        max_depth: Option<usize>,
        /// Bound context switches away from a task that could go on.
        #[arg(long, value_name = "N")]
        max_preemptions: Option<u32>,
        /// Explore without the sleep-set reduction (for comparison).
        #[arg(long)]
        no_reduction: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check every [[expect]] of the scenario files; exit 1 on a mismatch.
    Check {
        /// Scenario files (or bundled ids); none = every bundled scenario.
        files: Vec<String>,
        /// Bound each exploration.
        #[arg(long, value_name = "N")]
        max_states: Option<usize>,
    },
}

fn load(file: &str) -> Result<Scenario, String> {
    let path = Path::new(file);
    if path.exists() || file.ends_with(".toml") && file.contains('/') {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("error: cannot read {file}: {e}"))?;
        return dioscope::scenario::parse(file, &text).map_err(|e| e.to_string());
    }
    match dioscope::library::find(file) {
        Some(b) => b.parse().map_err(|e| e.to_string()),
        None => {
            let ids: Vec<&str> = dioscope::library::bundled().map(|b| b.id()).collect();
            Err(format!("error: no file `{file}`, and no bundled scenario of that name\n  = hint: bundled scenarios: {}", ids.join(", ")))
        }
    }
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
        Cmd::List => {
            println!("Scenarios (bundled):");
            for b in dioscope::library::bundled() {
                match b.parse() {
                    Ok(s) => println!("  {:<36} {}", b.id(), s.title),
                    Err(e) => println!("  {:<36} (does not parse: {})", b.id(), e.msg),
                }
            }
            println!("\nPresets:");
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
        Cmd::Run {
            file,
            policy,
            schedule,
            seed,
            json,
        } => {
            let sc = load(&file)?;
            let spec = RunSpec {
                preset: policy.preset,
                set: policy.set,
                schedule,
                seed,
            };
            let (w, taken) = spec.run(&sc).map_err(|e| format!("error: {e}"))?;
            let report = RunReport::new(
                &w,
                spec.preset_name(&sc),
                &spec.set_strings(),
                &taken.to_string(),
            );
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
        Cmd::Explore {
            file,
            policy,
            max_states,
            max_depth,
            max_preemptions,
            no_reduction,
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
                max_states,
                max_depth,
                max_preemptions,
                reduction: !no_reduction,
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
            let out = dioscope::explore::ExploreOut::new(
                &r,
                &sc,
                spec.preset_name(&sc),
                &spec.set_strings(),
                secs,
            );
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
        Cmd::Check { files, max_states } => {
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
                let results = dioscope::check::check(&sc, max_states);
                for c in results {
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
    }
}
