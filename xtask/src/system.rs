//! The system packages the build and the tests need, from Debian's apt
//! (never a downloaded browser): Node.js and npm (binaryen's `wasm-opt`
//! runs on Node; the e2e suite is node's test runner), Chromium and its
//! driver (the e2e suite), and xfsprogs and btrfs-progs (the kernel lab
//! formats loop devices with them).
//!
//! Each is checked by running its program (`--version`, with a least
//! version where one matters), so nothing is installed twice and apt is
//! not run at all when everything is there. As root (CI, these machines)
//! the missing packages are installed with `apt-get install`; the package
//! lists are only refreshed (`apt-get update`) when there are none or when
//! the install cannot find a package. Otherwise the error gives the one
//! command to run.

use std::path::{Path, PathBuf};

use crate::proc::{self, cmd};
use crate::{say, Result};

/// A program the build or the tests run, and the Debian package that has
/// it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Need {
    pub package: &'static str,
    /// A name looked up on PATH (and in /usr/sbin, /sbin), or a path.
    pub program: &'static str,
    pub version_arg: &'static str,
    /// The least `major.minor` version.
    pub min: Option<(u64, u64)>,
    /// Only needed when running as root (the kernel lab mounts loop
    /// devices, which only root can): a user without it is not stopped.
    pub root_only: bool,
    pub used_by: &'static str,
}

/// Node.js: 20.10 is the first 20.x with `node --test --test-concurrency`.
pub const NODE: Need = Need {
    package: "nodejs",
    program: "node",
    version_arg: "--version",
    min: Some((20, 10)),
    root_only: false,
    used_by: "wasm-opt (binaryen) and the e2e suite",
};
/// npm (nodesource's nodejs has it; Debian's is a package of its own).
pub const NPM: Need = Need {
    package: "npm",
    program: "npm",
    version_arg: "--version",
    min: None,
    root_only: false,
    used_by: "installing binaryen and playwright-core",
};
pub const CHROMIUM: Need = Need {
    package: "chromium",
    program: "/usr/bin/chromium",
    version_arg: "--version",
    min: None,
    root_only: false,
    used_by: "the e2e suite",
};
pub const CHROMIUM_DRIVER: Need = Need {
    package: "chromium-driver",
    program: "chromedriver",
    version_arg: "--version",
    min: None,
    root_only: false,
    used_by: "the e2e suite",
};
pub const XFSPROGS: Need = Need {
    package: "xfsprogs",
    program: "mkfs.xfs",
    version_arg: "-V",
    min: None,
    root_only: true,
    used_by: "the kernel lab (xfs on a loop device)",
};
pub const BTRFS_PROGS: Need = Need {
    package: "btrfs-progs",
    program: "mkfs.btrfs",
    version_arg: "--version",
    min: None,
    root_only: true,
    used_by: "the kernel lab (btrfs on a loop device)",
};

/// What `cargo xtask build` and `serve` need.
pub const FOR_BUILD: &[Need] = &[NODE, NPM];
/// What `cargo xtask test` needs.
pub const FOR_TEST: &[Need] = &[NODE, NPM, CHROMIUM, CHROMIUM_DRIVER, XFSPROGS, BTRFS_PROGS];

/// How a need stands on this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    Missing,
    /// It runs, but its version is older than the least one.
    TooOld(String),
}

/// What to do about the needs that are not met.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Packages to install, in the order of the needs.
    pub install: Vec<&'static str>,
    /// Installed but too old: apt cannot be trusted to fix that.
    pub too_old: Vec<(Need, String)>,
    /// Missing, but only needed as root; a user is told, not stopped.
    pub optional: Vec<&'static str>,
}

impl Plan {
    pub fn new(needs: &[Need], root: bool, status: impl Fn(&Need) -> Status) -> Plan {
        let mut plan = Plan::default();
        for n in needs {
            match status(n) {
                Status::Ok => {}
                Status::TooOld(v) => plan.too_old.push((*n, v)),
                Status::Missing if n.root_only && !root => {
                    if !plan.optional.contains(&n.package) {
                        plan.optional.push(n.package)
                    }
                }
                Status::Missing => {
                    if !plan.install.contains(&n.package) {
                        plan.install.push(n.package)
                    }
                }
            }
        }
        plan
    }
}

/// The install command for a user to run.
pub fn install_command(packages: &[&str], root: bool) -> String {
    let sudo = if root { "" } else { "sudo " };
    format!("{sudo}apt-get install -y {}", packages.join(" "))
}

/// Checks `needs`, installs what is missing when root, and otherwise says
/// what to run.
pub fn ensure(needs: &[Need]) -> Result<()> {
    let root = is_root();
    let plan = Plan::new(needs, root, status);
    if let Some((n, v)) = plan.too_old.first() {
        let (major, minor) = n.min.unwrap_or_default();
        let hint = if n.package == NODE.package {
            " (Debian 12's nodejs is 18: use Debian 13's, or nodesource's nodejs 20 or newer)"
        } else {
            ""
        };
        return Err(format!(
            "{} is {v}; {} needs {major}.{minor} or newer{hint}",
            n.program, n.used_by
        ));
    }
    if !plan.optional.is_empty() {
        eprintln!(
            "note: {} missing; only the kernel lab uses them, as root ({})",
            plan.optional.join(" and "),
            install_command(&plan.optional, false)
        );
    }
    if plan.install.is_empty() {
        return Ok(());
    }
    let missing = plan.install.join(" ");
    if !root {
        return Err(format!(
            "missing system packages: {missing}; install them with:\n\n    {}\n",
            install_command(&plan.install, false)
        ));
    }
    if proc::probe(cmd("apt-get").arg("--version")).is_none() {
        return Err(format!(
            "missing system packages: {missing}, and there is no apt-get to install them with \
             (Debian or Ubuntu expected); install them with your system's package manager"
        ));
    }
    apt_install(&plan.install)?;
    let after = Plan::new(needs, root, status);
    if !after.install.is_empty() || !after.too_old.is_empty() {
        return Err(format!(
            "after `apt-get install`, still missing or too old: {}",
            after
                .install
                .iter()
                .copied()
                .chain(after.too_old.iter().map(|(n, _)| n.package))
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    Ok(())
}

fn apt(args: &[&str]) -> std::process::Command {
    let mut c = cmd("apt-get");
    // Wait for another apt (a neighbour's install) instead of failing.
    c.args(["-q", "-o", "DPkg::Lock::Timeout=600"])
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive");
    c
}

fn apt_install(packages: &[&str]) -> Result<()> {
    let mut updated = false;
    if !has_package_lists() {
        say("apt-get update (there are no package lists)");
        proc::run(&mut apt(&["update"]))?;
        updated = true;
    }
    let mut args = vec!["install", "-y"];
    args.extend_from_slice(packages);
    say(&format!("apt-get install -y {}", packages.join(" ")));
    if proc::run(&mut apt(&args)).is_ok() {
        return Ok(());
    }
    if updated {
        return Err(format!(
            "`apt-get install -y {}` failed",
            packages.join(" ")
        ));
    }
    // Stale lists name package versions the mirror no longer has.
    say("apt-get update, then the install again");
    proc::run(&mut apt(&["update"]))?;
    proc::run(&mut apt(&args))
}

/// apt has downloaded package lists at least once.
fn has_package_lists() -> bool {
    std::fs::read_dir("/var/lib/apt/lists").is_ok_and(|d| {
        d.filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().contains("_Packages"))
    })
}

fn is_root() -> bool {
    proc::probe(cmd("id").arg("-u")).is_some_and(|u| u == "0")
}

/// The program's path: as given if it has a `/`, else the first match on
/// PATH, /usr/sbin or /sbin (not on a user's PATH on Debian).
fn find(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return Some(PathBuf::from(program)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/sbin")])
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

fn status(n: &Need) -> Status {
    let Some(path) = find(n.program) else {
        return Status::Missing;
    };
    let Some(out) = proc::probe(cmd(&path).arg(n.version_arg)) else {
        return Status::Missing;
    };
    judge(n, &out)
}

/// A need's status from its version output.
fn judge(n: &Need, out: &str) -> Status {
    let Some((major, minor)) = n.min else {
        return Status::Ok;
    };
    match version_in(out) {
        Some(v) if v >= (major, minor) => Status::Ok,
        Some((a, b)) => Status::TooOld(format!("{a}.{b}")),
        None => Status::TooOld(format!("of unknown version (`{}`)", out.trim())),
    }
}

/// The first `major.minor` in a version output (`v20.19.2`,
/// `mkfs.xfs version 6.1.0`).
pub fn version_in(out: &str) -> Option<(u64, u64)> {
    out.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .find_map(|w| {
            let mut parts = w.split('.');
            let major = parts.next()?.parse().ok()?;
            let minor = parts.next()?.parse().ok()?;
            Some((major, minor))
        })
}

/// Debian's Chromium, which the e2e suite drives.
pub fn chromium() -> &'static Path {
    Path::new(CHROMIUM.program)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_the_output() {
        assert_eq!(version_in("v20.20.2"), Some((20, 20)));
        assert_eq!(version_in("mkfs.xfs version 6.1.0"), Some((6, 1)));
        assert_eq!(
            version_in("mkfs.btrfs, part of btrfs-progs v6.2"),
            Some((6, 2))
        );
        assert_eq!(version_in("11.19.1"), Some((11, 19)));
        assert_eq!(version_in("no digits"), None);
        assert_eq!(judge(&NODE, "v20.10.0"), Status::Ok);
        assert_eq!(judge(&NODE, "v22.1.0"), Status::Ok);
        assert_eq!(judge(&NODE, "v20.9.0"), Status::TooOld("20.9".into()));
        assert_eq!(judge(&NODE, "v18.19.0"), Status::TooOld("18.19".into()));
        assert_eq!(judge(&CHROMIUM, "Chromium 156.0"), Status::Ok);
    }

    #[test]
    fn nothing_to_do_when_everything_is_there() {
        for root in [false, true] {
            assert_eq!(Plan::new(FOR_TEST, root, |_| Status::Ok), Plan::default());
        }
    }

    #[test]
    fn only_the_missing_packages_are_installed() {
        // nodesource's nodejs brings npm: Debian's npm is not wanted then.
        let missing = [CHROMIUM, CHROMIUM_DRIVER, BTRFS_PROGS];
        let status = |n: &Need| {
            if missing.contains(n) {
                Status::Missing
            } else {
                Status::Ok
            }
        };
        let plan = Plan::new(FOR_TEST, true, status);
        assert_eq!(plan.install, ["chromium", "chromium-driver", "btrfs-progs"]);
        assert!(plan.too_old.is_empty() && plan.optional.is_empty());
        assert_eq!(
            install_command(&plan.install, true),
            "apt-get install -y chromium chromium-driver btrfs-progs"
        );
        // A user is given one command, and the kernel lab's packages are
        // not required of them.
        let plan = Plan::new(FOR_TEST, false, status);
        assert_eq!(plan.install, ["chromium", "chromium-driver"]);
        assert_eq!(plan.optional, ["btrfs-progs"]);
        assert_eq!(
            install_command(&plan.install, false),
            "sudo apt-get install -y chromium chromium-driver"
        );
        // The build needs only Node.js and npm.
        let plan = Plan::new(FOR_BUILD, true, |_| Status::Missing);
        assert_eq!(plan.install, ["nodejs", "npm"]);
    }

    #[test]
    fn a_too_old_node_is_reported_not_reinstalled() {
        let plan = Plan::new(FOR_BUILD, true, |n| {
            if n == &NODE {
                judge(n, "v18.19.0")
            } else {
                Status::Ok
            }
        });
        assert!(plan.install.is_empty());
        assert_eq!(plan.too_old, [(NODE, "18.19".to_string())]);
    }

    #[test]
    fn programs_are_found_in_sbin_too() {
        assert!(find("sh").is_some());
        assert_eq!(find("/no/such/program"), None);
        assert_eq!(find("no-such-program-dioscope"), None);
    }
}
