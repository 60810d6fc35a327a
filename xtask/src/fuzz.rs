//! `cargo xtask fuzz --minutes N [--target T,...] [--start SEED]`: the
//! core's fuzz targets (crate/src/fuzz.rs) on new seeds for N minutes,
//! built in release mode and run `nice`d by crate/examples/fuzz.rs, each
//! case under a time limit. A failure, a panic or a hang is printed with
//! its reproducer; an abort (a stack overflow names its case's thread,
//! `fuzz-TARGET-SEED`) stops the run.

use std::os::unix::process::ExitStatusExt;

use crate::proc::{self, cargo, cmd};
use crate::{say, Result};

/// What `fuzz` was asked.
#[derive(Debug, PartialEq, Eq)]
pub struct FuzzArgs {
    /// How long, in seconds.
    pub seconds: u64,
    pub targets: Option<String>,
    pub start: Option<u64>,
}

/// Parses the arguments after `fuzz`.
pub fn parse(args: &[String]) -> std::result::Result<FuzzArgs, String> {
    let mut a = FuzzArgs {
        seconds: 0,
        targets: None,
        start: None,
    };
    let mut minutes = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("`{flag}` needs a value"));
        match flag.as_str() {
            "--minutes" => {
                let v = value()?;
                match v.parse::<f64>() {
                    Ok(m) if m > 0.0 && m <= 24.0 * 60.0 => minutes = Some(m),
                    _ => return Err(format!("--minutes needs a number of minutes, got `{v}`")),
                }
            }
            "--target" => a.targets = Some(value()?.clone()),
            "--start" => {
                let v = value()?;
                a.start = Some(
                    v.parse()
                        .map_err(|_| format!("--start needs a seed, got `{v}`"))?,
                );
            }
            other => return Err(format!("`fuzz` does not take `{other}`")),
        }
    }
    let minutes: f64 = minutes.ok_or("`fuzz` needs --minutes N")?;
    a.seconds = ((minutes * 60.0).round() as u64).max(1);
    Ok(a)
}

/// Builds the driver in release mode, runs it `nice`d; Ok(false) if it
/// found anything.
pub fn fuzz_command(a: &FuzzArgs) -> Result<bool> {
    say("building the fuzz driver (release)");
    proc::run(cargo().args(["build", "--release", "-p", "dioscope", "--example", "fuzz"]))?;
    let driver = crate::repo_root()
        .join("target")
        .join("release")
        .join("examples")
        .join("fuzz");
    let minutes = a.seconds as f64 / 60.0;
    say(&format!("fuzzing for {minutes} minutes"));
    let mut c = cmd("nice");
    c.arg(driver).args(["--minutes", &minutes.to_string()]);
    if let Some(t) = &a.targets {
        c.args(["--target", t]);
    }
    if let Some(s) = a.start {
        c.args(["--start", &s.to_string()]);
    } else {
        // new seeds each run, reproducible from the printed range
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        c.args(["--start", &(now % 1_000_000_000 * 1000).to_string()]);
    }
    let status = proc::status(&mut c)?;
    match (status.code(), status.signal()) {
        (Some(0), _) => Ok(true),
        (Some(1), _) => Err("the fuzzer found failures or panics (above, with their reproducers)".into()),
        (Some(3), _) => Err("the fuzzer found a hang (above, with its reproducer)".into()),
        (_, Some(sig)) => Err(format!(
            "the fuzzer aborted (signal {sig}): a stack overflow names its case's thread above (fuzz-TARGET-SEED)"
        )),
        _ => Err(format!("the fuzzer failed ({status})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> std::result::Result<FuzzArgs, String> {
        parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn arguments() {
        assert_eq!(
            p(&["--minutes", "5"]),
            Ok(FuzzArgs {
                seconds: 300,
                targets: None,
                start: None
            })
        );
        let a = p(&[
            "--minutes",
            "0.5",
            "--target",
            "link,engine",
            "--start",
            "7",
        ])
        .unwrap();
        assert_eq!(
            (a.targets.as_deref(), a.start),
            (Some("link,engine"), Some(7))
        );
        assert!(p(&[]).unwrap_err().contains("needs --minutes"));
        assert!(p(&["--minutes", "-1"])
            .unwrap_err()
            .contains("number of minutes"));
        assert!(p(&["--minutes"]).unwrap_err().contains("needs a value"));
        assert!(p(&["--minutes", "1", "--fast"])
            .unwrap_err()
            .contains("does not take"));
    }
}
