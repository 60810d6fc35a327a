//! `cargo xtask observe`: run the kernel lab (`dioscope kernel`) on every
//! bundled scenario whose ops can run, each on the filesystem it names —
//! xfs and btrfs on loop-mounted images made here, ext4 in /tmp — and keep
//! what the kernel showed in `scenarios/observed/ID.json`, which the core
//! embeds and the CLI and the web app show beside the model's verdicts.
//!
//! Needs root (mount) and mkfs.xfs / mkfs.btrfs (`apt-get install -y
//! xfsprogs btrfs-progs`). Mounts and images are removed whatever happens:
//! on success, on error and on panic (a guard's Drop), and a run that was
//! killed (Ctrl-C) is cleaned up by the next one.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::proc::cargo;
use crate::{repo_root, say, Result};

pub const USAGE: &str = "\
usage: cargo xtask observe [--runs N] [--only ID]... [--jitter-us N]

Runs `dioscope kernel` on every bundled scenario that can run on a live
kernel (as root), each on its filesystem: xfs and btrfs on loop-mounted
images, ext4 in /tmp. Writes scenarios/observed/ID.json.

  --runs N        runs per scenario (default 20000)
  --only ID       only this scenario (repeatable)
  --jitter-us N   passed to dioscope kernel (default: its own)";

/// Where the work happens: /tmp/dioscope-observe-PID.
const PREFIX: &str = "dioscope-observe-";

#[derive(Debug, PartialEq, Eq)]
pub struct Args {
    pub runs: usize,
    pub only: Vec<String>,
    pub jitter_us: Option<u64>,
}

pub fn parse(args: &[String]) -> Result<Args> {
    let mut a = Args {
        runs: 20_000,
        only: Vec::new(),
        jitter_us: None,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut val = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("`{name}` needs a value\n\n{USAGE}"))
        };
        match arg.as_str() {
            "--runs" => {
                let v = val("--runs")?;
                a.runs = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=10_000_000).contains(n))
                    .ok_or_else(|| format!("--runs needs 1 to 10000000, got `{v}`"))?;
            }
            "--only" => a.only.push(val("--only")?),
            "--jitter-us" => {
                let v = val("--jitter-us")?;
                a.jitter_us = Some(
                    v.parse()
                        .map_err(|_| format!("--jitter-us needs a number, got `{v}`"))?,
                );
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("`observe` does not take `{other}`\n\n{USAGE}")),
        }
    }
    Ok(a)
}

/// The filesystem a scenario names (`[setup] fs`, xfs when absent).
pub fn scenario_fs(text: &str) -> String {
    let mut in_setup = false;
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            in_setup = l == "[setup]";
            continue;
        }
        if in_setup {
            if let Some(v) = l.strip_prefix("fs") {
                let v = v.trim_start();
                if let Some(v) = v.strip_prefix('=') {
                    let v = v.split('#').next().unwrap_or("").trim().trim_matches('"');
                    return v.to_string();
                }
            }
        }
    }
    "xfs".into()
}

fn euid() -> Option<u32> {
    let s = fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

fn have(tool: &str) -> bool {
    ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        .iter()
        .any(|d| Path::new(d).join(tool).exists())
}

fn run(c: &mut Command) -> Result<()> {
    let o = c
        .output()
        .map_err(|e| format!("cannot run {:?}: {e}", c.get_program()))?;
    if o.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{:?} {:?} failed: {}{}",
            c.get_program(),
            c.get_args().collect::<Vec<_>>(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ))
    }
}

/// Mount points under `dir`, deepest first (from /proc/self/mountinfo).
fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let text = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut out: Vec<PathBuf> = text
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(|m| PathBuf::from(m.replace("\\040", " ")))
        .filter(|m| m.starts_with(dir))
        .collect();
    out.sort_by_key(|m| std::cmp::Reverse(m.components().count()));
    out
}

fn unmount(m: &Path) {
    let ok = Command::new("umount")
        .arg(m)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        let _ = Command::new("umount").arg("-l").arg(m).status();
    }
}

/// The work directory, its mounts and images: all gone when dropped.
struct Workspace {
    dir: PathBuf,
}

impl Workspace {
    fn new() -> Result<Workspace> {
        let dir = std::env::temp_dir().join(format!("{PREFIX}{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
        Ok(Workspace { dir })
    }

    /// Makes a `fs` image and mounts it; returns the mount point.
    fn mount(&self, fs_type: &str) -> Result<PathBuf> {
        let img = self.dir.join(format!("{fs_type}.img"));
        let mnt = self.dir.join(fs_type);
        fs::create_dir_all(&mnt).map_err(|e| e.to_string())?;
        run(Command::new("truncate").args(["-s", "1G"]).arg(&img))?;
        run(Command::new(format!("mkfs.{fs_type}"))
            .args(["-q", "-f"])
            .arg(&img))?;
        run(Command::new("mount")
            .args(["-o", "loop"])
            .arg(&img)
            .arg(&mnt))?;
        Ok(mnt)
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        for m in mounts_under(&self.dir) {
            unmount(&m);
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Removes what an earlier, killed `observe` left behind.
fn clean_stale() {
    let tmp = std::env::temp_dir();
    let Ok(rd) = fs::read_dir(&tmp) else { return };
    for e in rd.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix(PREFIX) else {
            continue;
        };
        let alive = pid
            .parse::<u32>()
            .is_ok_and(|p| Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            say(&format!(
                "cleaning up after an earlier run: {}",
                e.path().display()
            ));
            for m in mounts_under(&e.path()) {
                unmount(&m);
            }
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

pub fn observe_command(args: &[String]) -> Result<bool> {
    let a = parse(args)?;
    if euid() != Some(0) {
        return Err("`cargo xtask observe` mounts loop devices: run it as root".into());
    }
    for t in ["mkfs.xfs", "mkfs.btrfs", "mount", "umount", "truncate"] {
        if !have(t) {
            return Err(format!(
                "`{t}` is not installed (apt-get install -y xfsprogs btrfs-progs util-linux)"
            ));
        }
    }
    clean_stale();
    let root = repo_root();
    let mut scenarios: Vec<(String, String)> = fs::read_dir(root.join("scenarios"))
        .map_err(|e| format!("cannot read scenarios/: {e}"))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter_map(|p| {
            let id = p.file_stem()?.to_string_lossy().into_owned();
            let text = fs::read_to_string(&p).ok()?;
            Some((id, scenario_fs(&text)))
        })
        .filter(|(id, _)| a.only.is_empty() || a.only.contains(id))
        .collect();
    scenarios.sort();
    if scenarios.is_empty() {
        return Err(format!("no bundled scenario matches {:?}", a.only));
    }
    say("building dioscope (release)");
    crate::proc::run(cargo().args(["build", "--quiet", "--release", "-p", "dioscope"]))?;
    let lab = root.join("target").join("release").join("dioscope");
    let ws = Workspace::new()?;
    let out_dir = root.join("scenarios/observed");
    fs::create_dir_all(&out_dir).map_err(|e| format!("cannot make {}: {e}", out_dir.display()))?;
    let mut dirs: Vec<(String, PathBuf)> = Vec::new();
    let mut lines = Vec::new();
    let mut ok = true;
    for (id, fs_type) in &scenarios {
        let dir = match dirs.iter().find(|(f, _)| f == fs_type) {
            Some((_, d)) => d.clone(),
            None => {
                let d = match fs_type.as_str() {
                    "xfs" | "btrfs" => {
                        say(&format!("making and mounting a {fs_type} image"));
                        ws.mount(fs_type)?
                    }
                    _ => {
                        let d = ws.dir.join(fs_type);
                        fs::create_dir_all(&d).map_err(|e| e.to_string())?;
                        d
                    }
                };
                dirs.push((fs_type.clone(), d.clone()));
                d
            }
        };
        say(&format!("{id} on {fs_type}: {} runs", a.runs));
        let out = out_dir.join(format!("{id}.json"));
        let tmp_out = ws.dir.join(format!("{id}.json"));
        // the binary built above, not `cargo run`: each observation
        // written is embedded in the crate, and would rebuild it
        let mut c = Command::new(&lab);
        c.arg("kernel")
            .arg(id)
            .arg("--dir")
            .arg(&dir)
            .args(["--runs", &a.runs.to_string()])
            .arg("--save")
            .arg(&tmp_out);
        if let Some(j) = a.jitter_us {
            c.args(["--jitter-us", &j.to_string()]);
        }
        let status = crate::proc::status(&mut c)?;
        let line = match status.code() {
            Some(0) | Some(1) => {
                fs::copy(&tmp_out, &out)
                    .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
                if status.code() == Some(1) {
                    ok = false;
                    format!("  {id:<36} {fs_type:<6} DISAGREES (see {})", rel(&out))
                } else {
                    format!("  {id:<36} {fs_type:<6} agrees ({})", rel(&out))
                }
            }
            Some(3) => {
                // cannot run on a live kernel: no observation to keep
                let _ = fs::remove_file(&out);
                format!(
                    "  {id:<36} {fs_type:<6} not run on the kernel (see `dioscope kernel {id}`)"
                )
            }
            _ => {
                ok = false;
                format!("  {id:<36} {fs_type:<6} the lab failed ({status})")
            }
        };
        eprintln!("{line}");
        lines.push(line);
    }
    drop(ws);
    println!();
    for l in lines {
        println!("{l}");
    }
    Ok(ok)
}

fn rel(p: &Path) -> String {
    p.strip_prefix(repo_root())
        .unwrap_or(p)
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Args> {
        parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn arguments() {
        assert_eq!(p(&[]).unwrap().runs, 20_000);
        let a = p(&[
            "--runs",
            "5",
            "--only",
            "x",
            "--only",
            "y",
            "--jitter-us",
            "3",
        ])
        .unwrap();
        assert_eq!(
            a,
            Args {
                runs: 5,
                only: vec!["x".into(), "y".into()],
                jitter_us: Some(3)
            }
        );
        assert!(p(&["--runs", "0"]).unwrap_err().contains("1 to"));
        assert!(p(&["--runs"]).unwrap_err().contains("needs a value"));
        assert!(p(&["--bogus"]).unwrap_err().contains("does not take"));
    }

    #[test]
    fn the_filesystem_a_scenario_names() {
        assert_eq!(
            scenario_fs("title = \"t\"\n[setup]\nfs = \"btrfs\" # x\n"),
            "btrfs"
        );
        assert_eq!(scenario_fs("title = \"t\"\n[setup]\npages = 2\n"), "xfs");
        assert_eq!(scenario_fs("fs = \"ext4\"\n[setup]\n"), "xfs");
        for b in fs::read_dir(repo_root().join("scenarios"))
            .unwrap()
            .flatten()
        {
            if b.path().extension().is_some_and(|x| x == "toml") {
                let t = fs::read_to_string(b.path()).unwrap();
                assert!(["xfs", "ext4", "btrfs"].contains(&scenario_fs(&t).as_str()));
            }
        }
    }
}
