//! The tools the build and the tests need, installed when missing, at
//! pinned versions, into the repository's git-ignored `.tools/` (never
//! globally), except the rustup target (per toolchain) and the system
//! packages (apt, `system.rs`).
//!
//! Each check runs the tool's `--version` and compares it with the pin, so a
//! wrong or broken binary is replaced and a good one is never rebuilt.
//!
//! trunk and wasm-bindgen-cli take ~12 minutes to build on 2 cores, and a
//! fresh clone has no `.tools/`: their binaries are also kept in a cache
//! outside the clone (`$DIOSCOPE_TOOLS_CACHE`, else
//! `$XDG_CACHE_HOME/dioscope-tools`, else `~/.cache/dioscope-tools`), which
//! seeds `.tools/bin` when a binary there is missing or wrong and the
//! cached one has the pinned version, and which gets every good binary
//! back.

use std::fs;
use std::path::{Path, PathBuf};

use crate::proc::{self, cargo, cmd};
use crate::{repo_root, say, system, Result};

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
pub const TRUNK_VERSION: &str = "0.21.14";
/// Must equal the `wasm-bindgen` pin in web/Cargo.toml and Trunk.toml.
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// npm's binaryen; its `wasm-opt` runs on Node. Trunk.toml: `version_132`.
pub const BINARYEN_VERSION: &str = "132";
pub const BINARYEN_NPM: &str = "binaryen@132.0.0";
/// npm's terser, which minifies wasm-bindgen's JS glue after trunk (trunk
/// 0.21's minifier fails on it: "Failed to minify JS").
pub const TERSER_VERSION: &str = "5.51.2";
pub const TERSER_NPM: &str = "terser@5.51.2";

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

    pub fn wasm_bindgen_test_runner(&self) -> PathBuf {
        self.bin().join("wasm-bindgen-test-runner")
    }

    fn npm_prefix(&self) -> PathBuf {
        self.root.join("npm")
    }

    /// `terser`'s command.
    pub fn terser(&self) -> PathBuf {
        self.binaryen_bin().join("terser")
    }

    /// binaryen's executables (`wasm-opt`), and terser's.
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

    /// Everything `trunk build` needs (Node.js runs binaryen's wasm-opt).
    pub fn ensure_build_tools(&self) -> Result<()> {
        system::ensure(system::FOR_BUILD)?;
        ensure_wasm_target()?;
        self.ensure_trunk()?;
        self.ensure_wasm_bindgen()?;
        self.ensure_binaryen()?;
        self.ensure_terser()
    }

    pub fn ensure_trunk(&self) -> Result<()> {
        self.ensure_cargo_tool(&CargoTool {
            krate: "trunk",
            version: TRUNK_VERSION,
            bins: &["trunk"],
            locked: true,
            minutes: 8,
        })
    }

    pub fn ensure_wasm_bindgen(&self) -> Result<()> {
        self.ensure_cargo_tool(&CargoTool {
            krate: "wasm-bindgen-cli",
            version: WASM_BINDGEN_VERSION,
            bins: &["wasm-bindgen", "wasm-bindgen-test-runner", "wasm2es6js"],
            // Not --locked: the crate's own lock file does not build with
            // the toolchain we use.
            locked: false,
            minutes: 4,
        })
    }

    /// A tool from `cargo install`: already in `.tools/bin` at its pinned
    /// version, else from the cache, else built (and then cached).
    fn ensure_cargo_tool(&self, t: &CargoTool) -> Result<()> {
        let bin = self.bin();
        let good = |dir: &Path| t.bins.iter().all(|b| version_is(&dir.join(b), &t.want(b)));
        let cache = cache_dir();
        if !good(&bin) {
            if let Some(cache) = cache.as_deref().filter(|c| good(c)) {
                say(&format!(
                    "{} {} into .tools/ from {}",
                    t.krate,
                    t.version,
                    cache.display()
                ));
                copy_bins(cache, &bin, t.bins)?;
            }
        }
        if !good(&bin) {
            say(&format!(
                "installing {} {} into .tools/ (cargo install; about {} minutes on 2 cores, once)",
                t.krate, t.version, t.minutes
            ));
            let mut c = cargo();
            c.arg("install");
            if t.locked {
                c.arg("--locked");
            }
            c.args(["--force", t.krate, "--version", t.version, "--root"])
                .arg(&self.root);
            proc::run(&mut c)?;
            for b in t.bins {
                check_installed(&bin.join(b), &t.want(b))?;
            }
        }
        if let Some(cache) = cache.filter(|c| !good(c)) {
            // Not fatal: the next fresh clone builds them again.
            match copy_bins(&bin, &cache, t.bins) {
                Ok(()) => say(&format!(
                    "{} {} saved to {}",
                    t.krate,
                    t.version,
                    cache.display()
                )),
                Err(e) => eprintln!("warning: cannot keep {} in the cache: {e}", t.krate),
            }
        }
        Ok(())
    }

    pub fn ensure_binaryen(&self) -> Result<()> {
        let wasm_opt = self.binaryen_bin().join("wasm-opt");
        let want = format!("wasm-opt version {BINARYEN_VERSION} ");
        self.ensure_npm_tool(&wasm_opt, &want, BINARYEN_NPM, "wasm-opt")
    }

    pub fn ensure_terser(&self) -> Result<()> {
        let want = format!("terser {TERSER_VERSION}");
        self.ensure_npm_tool(&self.terser(), &want, TERSER_NPM, "terser")
    }

    /// Installs npm package `pkg` into `.tools/npm` unless `bin --version`
    /// already starts with `want`.
    fn ensure_npm_tool(&self, bin: &Path, want: &str, pkg: &str, what: &str) -> Result<()> {
        if version_starts(bin, want) {
            return Ok(());
        }
        say(&format!("installing {pkg} ({what}) into .tools/npm (npm)"));
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
                .arg(pkg),
        )?;
        if version_starts(bin, want) {
            Ok(())
        } else {
            Err(format!(
                "after installing {pkg}, `{} --version` does not say {want}",
                bin.display()
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
        system::ensure(system::FOR_BUILD)?;
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

/// A tool that `cargo install` builds.
struct CargoTool {
    krate: &'static str,
    version: &'static str,
    /// Its binaries, each printing `<name> <version>` for `--version`.
    bins: &'static [&'static str],
    locked: bool,
    minutes: u32,
}

impl CargoTool {
    fn want(&self, bin: &str) -> String {
        format!("{bin} {}", self.version)
    }
}

/// The cache of built tools outside the clone (see the module's comment).
pub fn cache_dir() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = env("DIOSCOPE_TOOLS_CACHE") {
        return Some(dir.join("bin"));
    }
    let base = env("XDG_CACHE_HOME").or_else(|| env("HOME").map(|h| h.join(".cache")))?;
    Some(base.join("dioscope-tools").join("bin"))
}

/// Copies `bins` from `from` to `to`, each through a temporary file and a
/// rename, so that a reader never sees half a binary.
fn copy_bins(from: &Path, to: &Path, bins: &[&str]) -> Result<()> {
    fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    for b in bins {
        let (src, dst) = (from.join(b), to.join(b));
        let tmp = to.join(format!(".{b}.{}.tmp", std::process::id()));
        fs::copy(&src, &tmp)
            .and_then(|_| fs::rename(&tmp, &dst))
            .map_err(|e| {
                let _ = fs::remove_file(&tmp);
                format!("cannot copy {} to {}: {e}", src.display(), dst.display())
            })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binaries_are_copied_whole() {
        let dir = std::env::temp_dir().join(format!("xtask-tools-{}", std::process::id()));
        let (a, b) = (dir.join("a"), dir.join("b").join("bin"));
        fs::create_dir_all(&a).unwrap();
        fs::write(a.join("x"), "#!/bin/sh\necho x 1.0\n").unwrap();
        copy_bins(&a, &b, &["x"]).unwrap();
        assert_eq!(
            fs::read(b.join("x")).unwrap(),
            fs::read(a.join("x")).unwrap()
        );
        assert_eq!(
            fs::read_dir(&b).unwrap().count(),
            1,
            "no temporary file left"
        );
        assert!(copy_bins(&a, &b, &["missing"])
            .unwrap_err()
            .contains("missing"));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn each_binary_has_its_version_line() {
        let t = CargoTool {
            krate: "wasm-bindgen-cli",
            version: "0.2.130",
            bins: &["wasm-bindgen"],
            locked: false,
            minutes: 4,
        };
        assert_eq!(
            t.want("wasm-bindgen-test-runner"),
            "wasm-bindgen-test-runner 0.2.130"
        );
    }
}
