//! `cargo xtask test`: every test suite, one summary line.
//!
//! Suites run in order and all of them run even when one fails; each
//! reports how many tests passed and failed (read from its runner's
//! output). A suite that cannot run at all (a build error, a missing tool)
//! counts as one failure. The last line is `N passed, N failed`.
//!
//! First, the system packages are checked (and installed, as root: see
//! `system.rs`); a user who lacks one is told the command and no suite
//! runs.

use std::fs;
use std::path::PathBuf;

use crate::proc::{cargo, cmd, run_tee};
use crate::tools::{self, Tools};
use crate::{dist, repo_root, say, serve, system, Result};

/// Test counts of one suite.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.passed += o.passed;
        self.failed += o.failed;
    }
}

type SuiteFn = fn() -> Result<Counts>;

/// The suites, in the order they run.
///
/// ADD NEW SUITES HERE: a name and a function that runs it and returns its
/// counts (see `cargo_suite` for runners that print libtest's
/// `test result:` lines). For example, the scenario checker:
/// `("scenarios", scenario_check)` running `dioscope check scenarios/*.toml`.
const SUITES: &[(&str, SuiteFn)] = &[
    ("fmt", fmt),
    ("clippy", clippy),
    ("native", native),
    ("scenarios", scenario_check),
    ("wasm", wasm),
    ("e2e", e2e),
];

pub fn test_command() -> Result<bool> {
    system::ensure(system::FOR_TEST)?;
    let version = |c: &mut std::process::Command| {
        crate::proc::probe(c).and_then(|v| v.lines().next().map(str::to_string))
    };
    say(&format!(
        "with {}, node {}, {}",
        version(cmd("rustc").arg("-V")).unwrap_or_default(),
        version(cmd("node").arg("--version")).unwrap_or_default(),
        version(cmd(system::chromium()).arg("--version")).unwrap_or_default(),
    ));
    let mut total = Counts::default();
    let mut lines = Vec::new();
    for (name, suite) in SUITES {
        say(&format!("test suite `{name}`"));
        let counts = match suite() {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: test suite `{name}` did not complete: {e}");
                Counts {
                    passed: 0,
                    failed: 1,
                }
            }
        };
        lines.push(format!(
            "  suite {name:<8} {} passed, {} failed",
            counts.passed, counts.failed
        ));
        total += counts;
    }
    println!();
    for l in lines {
        println!("{l}");
    }
    println!("{} passed, {} failed", total.passed, total.failed);
    Ok(total.failed == 0)
}

/// Counts from libtest-style `test result:` lines (cargo test, and
/// wasm-bindgen-test-runner, which prints the same), e.g.
/// `test result: ok. 12 passed; 0 failed; 1 ignored; ...`.
pub fn parse_test_result(line: &str) -> Option<Counts> {
    let rest = &line[line.find("test result: ")? + "test result: ".len()..];
    let mut c = Counts::default();
    let mut seen = 0;
    for part in rest.split(['.', ';']) {
        let mut words = part.split_whitespace();
        if let (Some(n), Some(what)) = (words.next(), words.next()) {
            match (n.parse::<u64>(), what) {
                (Ok(n), "passed") => {
                    c.passed = n;
                    seen += 1
                }
                (Ok(n), "failed") => {
                    c.failed = n;
                    seen += 1
                }
                _ => {}
            }
        }
    }
    (seen == 2).then_some(c)
}

/// Runs a cargo test command, adding up its `test result:` lines. A failing
/// exit with no failed test counted (a compile error) is one failure.
fn cargo_suite(c: &mut std::process::Command) -> Result<Counts> {
    let mut counts = Counts::default();
    let status = run_tee(c, |line| {
        if let Some(r) = parse_test_result(line) {
            counts += r;
        }
    })?;
    if !status.success() && counts.failed == 0 {
        return Err(format!(
            "cargo test failed ({status}) before reporting a failed test"
        ));
    }
    Ok(counts)
}

/// A command that passes or fails as a whole: one test.
fn one_test(c: &mut std::process::Command) -> Result<Counts> {
    let ok = crate::proc::status(c)?.success();
    Ok(Counts {
        passed: u64::from(ok),
        failed: u64::from(!ok),
    })
}

/// `cargo fmt --check`: the code is formatted (prints the diff if not).
fn fmt() -> Result<Counts> {
    one_test(cargo().args(["fmt", "--all", "--", "--check"]))
}

/// clippy with warnings as errors (and the lints of Cargo.toml's
/// `[workspace.lints]`), one test per run: every member and target
/// natively; then, since `cfg!(target_arch = "wasm32")` branches and
/// wasm32-only files are only compiled there, the web app (with its
/// test-only `e2e` feature) and the core's wasm tests for wasm32 (about
/// 1.5 CPU-minutes the first time, seconds after).
fn clippy() -> Result<Counts> {
    tools::ensure_wasm_target()?;
    let deny = ["--", "-D", "warnings"];
    let mut counts = one_test(
        cargo()
            .args(["clippy", "--workspace", "--all-targets"])
            .args(deny),
    )?;
    counts += one_test(
        cargo()
            .args(["clippy", "--target", tools::WASM_TARGET])
            .args(["-p", "dioscope-web", "--features", "e2e"])
            .args(deny),
    )?;
    counts += one_test(
        cargo()
            .args(["clippy", "--target", tools::WASM_TARGET])
            .args(["-p", "dioscope", "--no-default-features", "--test", "wasm"])
            .args(deny),
    )?;
    Ok(counts)
}

/// (a) Every workspace member's tests, natively (all of them, even after a
/// failure, so that the counts are complete).
fn native() -> Result<Counts> {
    cargo_suite(cargo().args(["test", "--workspace", "--no-fail-fast"]))
}

/// `dioscope check` on every file in scenarios/: each `[[expect]]` is one
/// test (the checker's last line: `N expectations hold, M do not`).
fn scenario_check() -> Result<Counts> {
    let root = repo_root();
    let mut files: Vec<String> = fs::read_dir(root.join("scenarios"))
        .map_err(|e| format!("cannot read scenarios/: {e}"))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| format!("scenarios/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    files.sort();
    let mut counts = None;
    let status = run_tee(
        cargo()
            .current_dir(&root)
            .args([
                "run",
                "--quiet",
                "--release",
                "-p",
                "dioscope",
                "--",
                "check",
            ])
            .args(&files),
        |line| {
            if let Some((ok, rest)) = line.split_once(" expectations hold, ") {
                if let (Ok(ok), Some(bad)) =
                    (ok.trim().parse::<u64>(), rest.split_whitespace().next())
                {
                    counts = bad.parse::<u64>().ok().map(|bad| Counts {
                        passed: ok,
                        failed: bad,
                    });
                }
            }
        },
    )?;
    match counts {
        Some(c) if c.passed + c.failed > 0 => Ok(c),
        _ => Err(format!(
            "dioscope check did not report its counts ({status})"
        )),
    }
}

/// (b) The core's wasm tests (crate/tests/wasm.rs), compiled to wasm32 and
/// run in Node by wasm-bindgen-test-runner. The `cli` feature is native only.
fn wasm() -> Result<Counts> {
    tools::ensure_wasm_target()?;
    let t = Tools::new();
    t.ensure_wasm_bindgen()?;
    let counts = cargo_suite(
        cargo()
            .args(["test", "-p", "dioscope", "--target", tools::WASM_TARGET])
            .args(["--no-default-features", "--test", "wasm"])
            .env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                t.wasm_bindgen_test_runner(),
            ),
    )?;
    if counts.passed + counts.failed == 0 {
        return Err("the wasm suite ran no test".into());
    }
    Ok(counts)
}

/// (c) The end-to-end suite: the release build of `dist/`, served by our
/// server on a loopback port, driven by Playwright (playwright-core) and
/// Debian's Chromium, with node's test runner. Also checks the download
/// budget (counted as one test). A second, test-only build (web feature
/// `e2e`: debug routes such as a long run) is served beside it for the
/// measurements that need it (`DIOSCOPE_DEBUG_URL`). Test files run one
/// at a time, so that timings are not taken while another file runs.
fn e2e() -> Result<Counts> {
    Tools::new().ensure_e2e_packages()?;
    dist::build()?;
    dist::build_into(&dist::e2e_dist_dir(), Some("e2e"))?;

    let mut counts = Counts::default();
    let sizes = dist::Sizes::measure(&dist::dist_dir())?;
    println!("{}", sizes.report());
    if sizes.within_budget() {
        counts.passed += 1;
    } else {
        eprintln!("FAIL: the download is over budget");
        counts.failed += 1;
    }

    let artifacts = repo_root().join("target").join("e2e");
    fs::create_dir_all(&artifacts)
        .map_err(|e| format!("cannot create {}: {e}", artifacts.display()))?;
    let tap = artifacts.join("report.tap");
    let _ = fs::remove_file(&tap);
    let metrics = artifacts.join("metrics.json");
    let _ = fs::remove_file(&metrics);

    let server = serve::Server::new(serve::bind(0)?, dist::dist_dir(), true).spawn()?;
    let debug_server = serve::Server::new(serve::bind(0)?, dist::e2e_dist_dir(), false).spawn()?;
    say(&format!(
        "end-to-end tests against {} (test-only build: {})",
        server.url, debug_server.url
    ));
    let files = e2e_files()?;
    let status = crate::proc::status(
        cmd("node")
            .arg("--test")
            .arg("--test-concurrency=1")
            .args(["--test-reporter=spec", "--test-reporter-destination=stdout"])
            .args(["--test-reporter=tap", "--test-reporter-destination"])
            .arg(&tap)
            .args(&files)
            .env("DIOSCOPE_URL", &server.url)
            .env("DIOSCOPE_DEBUG_URL", &debug_server.url)
            .env("DIOSCOPE_ARTIFACTS", &artifacts)
            .env("DIOSCOPE_CHROMIUM", system::chromium())
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"),
    )?;
    drop(server);
    drop(debug_server);

    let report = fs::read_to_string(&tap)
        .map_err(|e| format!("node's test runner wrote no report ({status}): {e}"))?;
    let c = parse_tap_summary(&report)
        .ok_or_else(|| format!("no summary in {} ({status})", tap.display()))?;
    if !status.success() && c.failed == 0 {
        return Err(format!("node --test failed ({status}) with no failed test"));
    }
    if c.passed + c.failed == 0 {
        return Err("the e2e suite ran no test".into());
    }
    counts += c;
    if let Ok(m) = fs::read_to_string(&metrics) {
        println!("e2e metrics ({}): {}", metrics.display(), m.trim());
    }
    Ok(counts)
}

/// `e2e/*.test.mjs`, sorted.
fn e2e_files() -> Result<Vec<PathBuf>> {
    let dir = repo_root().join("e2e");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("no *.test.mjs files in {}", dir.display()));
    }
    Ok(files)
}

/// Counts from the footer of node's TAP report (`# pass N`, `# fail N`,
/// `# cancelled N`; cancelled tests count as failed).
pub fn parse_tap_summary(tap: &str) -> Option<Counts> {
    let mut c = Counts::default();
    let mut seen = false;
    for line in tap.lines() {
        let mut w = line.split_whitespace();
        if w.next() != Some("#") {
            continue;
        }
        let (Some(key), Some(n)) = (w.next(), w.next().and_then(|n| n.parse::<u64>().ok())) else {
            continue;
        };
        match key {
            "pass" => {
                c.passed = n;
                seen = true
            }
            "fail" | "cancelled" => c.failed += n,
            _ => {}
        }
    }
    seen.then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libtest_result_lines() {
        assert_eq!(
            parse_test_result(
                "test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s"
            ),
            Some(Counts { passed: 12, failed: 0 })
        );
        assert_eq!(
            parse_test_result(
                "test result: FAILED. 3 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out"
            ),
            Some(Counts {
                passed: 3,
                failed: 2
            })
        );
        // wasm-bindgen-test-runner's line.
        assert_eq!(
            parse_test_result(
                "test result: ok. 1 passed; 0 failed; 0 ignored; 0 filtered out; finished in 0.02s"
            ),
            Some(Counts {
                passed: 1,
                failed: 0
            })
        );
        assert_eq!(parse_test_result("running 3 tests"), None);
        assert_eq!(parse_test_result("test foo ... ok"), None);
    }

    #[test]
    fn tap_footer() {
        let tap = "TAP version 13\n# Subtest: a\nok 1 - a\n1..1\n# tests 7\n# suites 0\n\
                   # pass 5\n# fail 1\n# cancelled 1\n# skipped 0\n# todo 0\n# duration_ms 812.5\n";
        assert_eq!(
            parse_tap_summary(tap),
            Some(Counts {
                passed: 5,
                failed: 2
            })
        );
        assert_eq!(parse_tap_summary("TAP version 13\n"), None);
    }
}
