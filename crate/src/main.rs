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
    }
}
