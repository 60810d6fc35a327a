//! Running other programs: with the environment cleaned of what `cargo run`
//! set for the xtask itself, and with a clear error when one is missing or
//! fails.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

use crate::Result;

/// A command to run from the repository root.
pub fn cmd(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = Command::new(program);
    c.current_dir(crate::repo_root());
    // `cargo run` describes the xtask package to it; the programs we run
    // (cargo, trunk) must not see that.
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
        ]
        .iter()
        .any(|p| k.starts_with(p))
            || k == "CARGO_PRIMARY_PACKAGE"
        {
            c.env_remove(&*k);
        }
    }
    c
}

/// Cargo: the one that runs the xtask (same toolchain), else `cargo`.
pub fn cargo() -> Command {
    cmd(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn describe(c: &Command) -> String {
    let mut s = Path::new(c.get_program())
        .file_name()
        .unwrap_or(c.get_program())
        .to_string_lossy()
        .into_owned();
    for a in c.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

fn spawn_error(c: &Command, e: std::io::Error) -> String {
    if e.kind() == std::io::ErrorKind::NotFound {
        format!(
            "`{}` was not found: is it installed and on PATH?",
            describe(c)
        )
    } else {
        format!("could not run `{}`: {e}", describe(c))
    }
}

/// Runs a command with inherited output; errors if it fails.
pub fn run(c: &mut Command) -> Result<()> {
    let status = status(c)?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(c)))
    }
}

/// Runs a command with inherited output and returns its exit status.
pub fn status(c: &mut Command) -> Result<ExitStatus> {
    c.status().map_err(|e| spawn_error(c, e))
}

/// Runs a command and returns its stdout and stderr, trimmed, if it ran
/// and succeeded; `None` otherwise (used to probe installed versions).
pub fn probe(c: &mut Command) -> Option<String> {
    let out = c.stdin(Stdio::null()).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
    s.push_str(&String::from_utf8_lossy(&out.stderr));
    Some(s.trim().to_string())
}

/// Runs a command, copying its stdout to ours line by line while calling
/// `on_line` with each line (stderr is inherited). Returns its status.
pub fn run_tee(c: &mut Command, mut on_line: impl FnMut(&str)) -> Result<ExitStatus> {
    c.stdout(Stdio::piped());
    let mut child = c.spawn().map_err(|e| spawn_error(c, e))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut out = std::io::stdout();
    for line in BufReader::new(stdout).split(b'\n') {
        let line = line.map_err(|e| format!("reading the output of `{}`: {e}", describe(c)))?;
        let line = String::from_utf8_lossy(&line);
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
        on_line(line.trim_end_matches('\r'));
    }
    child
        .wait()
        .map_err(|e| format!("waiting for `{}`: {e}", describe(c)))
}
