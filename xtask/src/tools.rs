//! The tools the build and the tests need, installed when missing, at
//! pinned versions, into the repository's git-ignored `.tools/` (never
//! globally), except the rustup target (per toolchain) and Chromium (apt).
//!
//! Each check runs the tool's `--version` and compares it with the pin, so a
//! wrong or broken binary is replaced and a good one is never rebuilt.

use std::fs;
use std::path::{Path, PathBuf};

use crate::proc::{self, cargo, cmd};
use crate::{repo_root, say, Result};

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
pub const TRUNK_VERSION: &str = "0.21.14";
/// Must equal the `wasm-bindgen` pin in web/Cargo.toml and Trunk.toml.
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// npm's binaryen; its `wasm-opt` runs on Node. Trunk.toml: `version_132`.
pub const BINARYEN_VERSION: &str = "132";
pub const BINARYEN_NPM: &str = "binaryen@132.0.0";
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMIUM_INSTALL: &str = "apt-get install -y chromium chromium-driver";

/// Where things live under `.tools/`.
pub struct Tools {
    pub root: PathBuf,
}

impl Tools {
    pub fn new() -> Tools {
        Tools {
            root: repo_root().join(".tools"),
        }
    }

    /// `cargo install --root .tools` puts binaries here.
    pub fn bin(&self) -> PathBuf {
        self.root.join("bin")
    }

    pub fn trunk(&self) -> PathBuf {
        self.bin().join("trunk")
    }

    pub fn wasm_bindgen(&self) -> PathBuf {
        self.bin().join("wasm-bindgen")
    }

    pub fn wasm_bindgen_test_runner(&self) -> PathBuf {
        self.bin().join("wasm-bindgen-test-runner")
    }

    fn npm_prefix(&self) -> PathBuf {
        self.root.join("npm")
    }

    /// binaryen's executables (`wasm-opt`).
    pub fn binaryen_bin(&self) -> PathBuf {
        self.npm_prefix().join("node_modules").join(".bin")
    }

    /// PATH with `.tools/bin` and binaryen's bin folder first, for trunk.
    pub fn path_env(&self) -> Result<std::ffi::OsString> {
        let mut dirs = vec![self.bin(), self.binaryen_bin()];
        if let Some(p) = std::env::var_os("PATH") {
            dirs.extend(std::env::split_paths(&p));
        }
        std::env::join_paths(dirs).map_err(|e| format!("cannot build PATH: {e}"))
    }

    /// Everything `trunk build` needs.
    pub fn ensure_build_tools(&self) -> Result<()> {
        ensure_wasm_target()?;
        self.ensure_trunk()?;
        self.ensure_wasm_bindgen()?;
        self.ensure_binaryen()
    }

    pub fn ensure_trunk(&self) -> Result<()> {
        let want = format!("trunk {TRUNK_VERSION}");
        if version_is(&self.trunk(), &want) {
            return Ok(());
        }
        say(&format!(
            "installing trunk {TRUNK_VERSION} into .tools/ (cargo install; about 8 minutes on 2 cores, once)"
        ));
        let root = self.root.clone();
        proc::run(
            cargo()
                .args(["install", "--locked", "--force", "trunk"])
                .args(["--version", TRUNK_VERSION, "--root"])
                .arg(&root),
        )?;
        check_installed(&self.trunk(), &want)
    }

    pub fn ensure_wasm_bindgen(&self) -> Result<()> {
        let want = format!("wasm-bindgen {WASM_BINDGEN_VERSION}");
        let want_runner = format!("wasm-bindgen-test-runner {WASM_BINDGEN_VERSION}");
        if version_is(&self.wasm_bindgen(), &want)
            && version_is(&self.wasm_bindgen_test_runner(), &want_runner)
        {
            return Ok(());
        }
        say(&format!(
            "installing wasm-bindgen-cli {WASM_BINDGEN_VERSION} into .tools/ (cargo install; about 4 minutes on 2 cores, once)"
        ));
        // Not --locked: the crate's own lock file does not build with the
        // toolchain we use (see design.md, Toolchain).
        let root = self.root.clone();
        proc::run(
            cargo()
                .args(["install", "--force", "wasm-bindgen-cli"])
                .args(["--version", WASM_BINDGEN_VERSION, "--root"])
                .arg(&root),
        )?;
        check_installed(&self.wasm_bindgen(), &want)?;
        check_installed(&self.wasm_bindgen_test_runner(), &want_runner)
    }

    pub fn ensure_binaryen(&self) -> Result<()> {
        let wasm_opt = self.binaryen_bin().join("wasm-opt");
        let want = format!("wasm-opt version {BINARYEN_VERSION} ");
        if version_starts(&wasm_opt, &want) {
            return Ok(());
        }
        ensure_node()?;
        say(&format!(
            "installing {BINARYEN_NPM} (wasm-opt) into .tools/npm (npm)"
        ));
        let prefix = self.npm_prefix();
        fs::create_dir_all(&prefix)
            .map_err(|e| format!("cannot create {}: {e}", prefix.display()))?;
        proc::run(
            cmd("npm")
                .args([
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--save-exact",
                    "--prefix",
                ])
                .arg(&prefix)
                .arg(BINARYEN_NPM),
        )?;
        if version_starts(&wasm_opt, &want) {
            Ok(())
        } else {
            Err(format!(
                "after installing {BINARYEN_NPM}, `{} --version` does not say version {BINARYEN_VERSION}",
                wasm_opt.display()
            ))
        }
    }

    /// The e2e suite's npm packages (playwright-core), installed with
    /// `npm ci` from the committed lock file when missing or stale. Never
    /// downloads a browser.
    pub fn ensure_e2e_packages(&self) -> Result<()> {
        let e2e = repo_root().join("e2e");
        let lock = e2e.join("package-lock.json");
        let lock_text = fs::read_to_string(&lock)
            .map_err(|e| format!("cannot read {}: {e}", lock.display()))?;
        // A copy of the lock file that `npm ci` last installed.
        let stamp = e2e
            .join("node_modules")
            .join(".dioscope-installed-lock.json");
        if fs::read_to_string(&stamp).is_ok_and(|s| s == lock_text) {
            return Ok(());
        }
        ensure_node()?;
        say("installing the e2e suite's npm packages (npm ci in e2e/)");
        proc::run(
            cmd("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&e2e)
                .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"),
        )?;
        fs::write(&stamp, lock_text).map_err(|e| format!("cannot write {}: {e}", stamp.display()))
    }
}

/// `--version` output of a program, if it runs.
fn version(program: &Path) -> Option<String> {
    if !program.is_file() {
        return None;
    }
    proc::probe(cmd(program).arg("--version"))
}

/// The program's `--version` prints exactly `want` (first line).
fn version_is(program: &Path, want: &str) -> bool {
    version(program).is_some_and(|v| v.lines().next() == Some(want))
}

fn version_starts(program: &Path, want: &str) -> bool {
    version(program).is_some_and(|v| v.starts_with(want))
}

fn check_installed(program: &Path, want: &str) -> Result<()> {
    match version(program) {
        Some(v) if v.lines().next() == Some(want) => Ok(()),
        Some(v) => Err(format!(
            "{} was installed but says `{v}`, not `{want}`",
            program.display()
        )),
        None => Err(format!(
            "{} was installed but does not run",
            program.display()
        )),
    }
}

/// The rustup target for the web app and the wasm tests.
pub fn ensure_wasm_target() -> Result<()> {
    let sysroot = proc::probe(cmd("rustc").args(["--print", "sysroot"]))
        .ok_or("cannot run `rustc --print sysroot`: is Rust installed?")?;
    let lib = Path::new(&sysroot).join("lib/rustlib").join(WASM_TARGET);
    if lib.is_dir() {
        return Ok(());
    }
    say(&format!("adding the rustup target {WASM_TARGET}"));
    proc::run(cmd("rustup").args(["target", "add", WASM_TARGET]))
}

pub fn ensure_node() -> Result<()> {
    for tool in ["node", "npm"] {
        if proc::probe(cmd(tool).arg("--version")).is_none() {
            return Err(format!(
                "`{tool}` is missing; install Node.js 20 or newer (Debian: apt-get install -y nodejs npm)"
            ));
        }
    }
    Ok(())
}

/// Debian's Chromium, which the e2e suite drives (never a downloaded one).
pub fn ensure_chromium() -> Result<()> {
    if proc::probe(cmd(CHROMIUM).arg("--version")).is_some() {
        Ok(())
    } else {
        Err(format!(
            "{CHROMIUM} is missing (the end-to-end tests drive it); install it with: {CHROMIUM_INSTALL}"
        ))
    }
}
