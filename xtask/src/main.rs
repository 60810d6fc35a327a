//! `cargo xtask serve|build|test`: the project's only build entry points.
//!
//! Every tool it needs is installed on first use, at pinned versions,
//! inside the repository's git-ignored `.tools/` (see `tools.rs`), and,
//! as root, the system packages with apt (`system.rs`), so that on a fresh
//! machine `cargo xtask serve` and `cargo xtask test` are the only two
//! commands a newcomer needs.

mod cli;
mod dist;
mod fuzz;
mod observe;
mod proc;
mod serve;
mod system;
mod test;
mod tools;

use std::path::PathBuf;
use std::process::ExitCode;

use cli::Command;

/// An error for the user: what went wrong, in a sentence or two.
pub type Error = String;
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The repository root (the workspace), whatever the current directory.
pub fn repo_root() -> PathBuf {
    let xtask = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().map(PathBuf::from).unwrap_or(xtask)
}

/// A progress line, set apart from the tools' own output.
pub fn say(msg: &str) {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() {
        eprintln!("\x1b[1m==> {msg}\x1b[0m");
    } else {
        eprintln!("==> {msg}");
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match cli::parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    let result = match command {
        Command::Help => {
            println!("{}", cli::USAGE);
            Ok(true)
        }
        Command::Build => dist::build_command().map(|()| true),
        Command::Serve { port } => serve::serve_command(port).map(|()| true),
        Command::Test => test::test_command(),
        Command::Fuzz(a) => fuzz::fuzz_command(&a),
        Command::Observe { args } => observe::observe_command(&args),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
