//! The kernel lab (`dioscope kernel`) on this machine's kernel: on /tmp
//! always, on loop-mounted xfs and btrfs when running as root with
//! mkfs.xfs and mkfs.btrfs (skipped with the reason otherwise). Run
//! counts are small: these check that the lab runs and compares, not the
//! kernel's odds.

#![cfg(all(feature = "cli", target_os = "linux"))]

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn dioscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dioscope"))
        .args(args)
        .output()
        .expect("dioscope runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs the lab with --json; returns the exit code and the report.
fn lab(args: &[&str]) -> (i32, serde_json::Value) {
    let mut a = vec!["kernel"];
    a.extend_from_slice(args);
    a.push("--json");
    let o = dioscope(&a);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", text(&o)));
    (o.status.code().unwrap_or(-1), v)
}

fn assert_agrees(code: i32, v: &serde_json::Value) {
    assert_eq!(
        code,
        0,
        "the kernel disagrees with the model:\n{}",
        serde_json::to_string_pretty(&v["disagreements"]).unwrap()
    );
    assert!(v["disagreements"].as_array().unwrap().is_empty());
}

/// A stress run on /tmp: every op kind the bundled scenarios use, with
/// the outcomes computed from what the kernel did.
#[test]
fn the_lab_runs_bundled_scenarios_on_tmp() {
    for id in [
        "dio-write-vs-mmap-store",
        "generic-451-dio-vs-buffered-read",
        "generic-418-end-io-order",
        "gup-dio-read-into-own-mmap",
        "punch-vs-mmap-fault",
        "uncached-stale-iomap",
    ] {
        let (code, v) = lab(&[id, "--runs", "25"]);
        assert_agrees(code, &v);
        assert_eq!(v["runs"], 25, "{id}");
        assert_eq!(v["mode"], "stress");
        assert!(!v["env"]["fs"].as_str().unwrap().is_empty());
        // every op returned in every run
        let results = v["results"].as_array().unwrap();
        assert!(!results.is_empty(), "{id}");
        for r in results {
            let res = r["result"].as_str().unwrap();
            assert!(
                !res.contains("(no return)") && !res.contains("(not started)"),
                "{id}: {res}"
            );
        }
        let deadlock = v["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["outcome"] == "deadlock")
            .unwrap();
        assert_eq!(deadlock["decided"], 25, "{id}");
    }
}

/// Sequential mode: whole ops in a given order, one to one with the
/// model's run of that order.
#[test]
fn sequential_runs_match_the_models_run_of_the_same_order() {
    for order in ["A B A", "B A A", "A A B"] {
        let (code, v) = lab(&[
            "dio-write-vs-mmap-store",
            "--schedule",
            order,
            "--runs",
            "3",
        ]);
        assert_agrees(code, &v);
        assert_eq!(v["mode"], "sequential");
        assert_eq!(v["order"], order.replace("A A", "A:2"));
        let fsync = v["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["result"] == "A: fsync = 0")
            .expect("the fsync's row");
        assert_eq!(fsync["seen"], 3, "{order}");
    }
}

/// Partial pages, a private mapping and an asynchronous write: the kernel
/// shows per 1 KiB fragment (and per byte range) exactly the versions the
/// model's run of the same order reads, in every order tried, and the
/// stress runs agree.
#[test]
fn partial_pages_private_mappings_and_aio_read_as_the_model_reads_them() {
    let dir =
        Scratch(std::env::temp_dir().join(format!("dioscope-lab-part-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let f = dir.0.join("part.toml");
    std::fs::write(
        &f,
        "title = \"t\"\n[setup]\npages = 2\n[[task]]\nname = \"A\"\nops = [\"write 0-1 bytes 100-4195\", \"mmap-write 1 bytes 1024-2047\", \"read 0-1\", \"write 0 direct aio\"]\n[[task]]\nname = \"B\"\nops = [\"read 0-1 direct\", \"read 1 direct into-mmap 0 private\", \"mmap-read 1 bytes 0-99\"]\n",
    )
    .unwrap();
    let f = f.to_str().unwrap();
    let wants: &[(&str, &[&str])] = &[
        (
            "A A A B B B A",
            &[
                "A: write 0-1 bytes 100-4195 = 4096",
                "A: mmap-write 1 bytes 1024-2047 = 1024",
                "A: read 0-1 = init+A1 A1+init+A2+init",
                "B: read 0-1 direct = init+A1 A1+init+A2+init",
                "B: read 1 direct into-mmap 0 private = A1+init+A2+init",
                "B: mmap-read 1 bytes 0-99 = A1",
            ],
        ),
        (
            "B A B A A A B",
            &[
                "B: read 0-1 direct = init ×2",
                "B: read 1 direct into-mmap 0 private = A1+init",
            ],
        ),
        (
            "A A A A B B B",
            &["B: read 0-1 direct = A3 A1+init+A2+init"],
        ),
    ];
    for (order, want) in wants {
        let (code, v) = lab(&[f, "--schedule", order, "--runs", "2"]);
        assert_agrees(code, &v);
        let results: Vec<(&str, u64)> = v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["result"].as_str().unwrap(), r["seen"].as_u64().unwrap()))
            .collect();
        for w in *want {
            assert!(results.contains(&(w, 2)), "{order}: {w} in {results:?}");
        }
    }
    let (code, v) = lab(&[f, "--runs", "20"]);
    assert_agrees(code, &v);
}

/// A policy that contradicts the running kernel: the lab says so, loudly,
/// and exits 1. (Since 6.15 every filesystem here but btrfs takes
/// RWF_DONTCACHE; the model is told it is refused.)
#[test]
fn a_policy_that_contradicts_the_kernel_makes_it_exit_1() {
    let o = dioscope(&[
        "kernel",
        "uncached-stale-iomap",
        "--set",
        "uncached_write=unsupported",
        "--runs",
        "3",
    ]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("DISAGREEMENT"), "{out}");
    assert!(
        out.contains("\"A: write 0-1 dontcache = 8192\": the model (linux-6.18 + uncached_write=unsupported) says NEVER; the kernel showed it in 3 of 3 runs"),
        "{out}"
    );
    // the same run under the running kernel's preset agrees
    let (code, v) = lab(&["uncached-stale-iomap", "--runs", "3"]);
    assert_agrees(code, &v);
}

/// A run that does not finish in time is a hang (the model's deadlock),
/// reported, and the lab returns instead of waiting forever.
#[test]
fn a_hang_is_reported_and_the_lab_returns() {
    let t0 = std::time::Instant::now();
    let (code, v) = lab(&["dio-write-vs-mmap-store", "--timeout", "0.000001"]);
    assert_eq!(code, 1);
    assert_eq!(v["runs"], 1);
    let hangs = v["hangs"].as_array().unwrap();
    assert_eq!(hangs.len(), 1);
    assert!(hangs[0].as_str().unwrap().contains("within"), "{hangs:?}");
    assert!(v["disagreements"][0]
        .as_str()
        .unwrap()
        .starts_with("deadlock: the model (linux-6.18) says NEVER"));
    assert!(t0.elapsed().as_secs() < 60);
}

/// Bad input is an error that says what is wrong (exit 2); a scenario that
/// needs what a live kernel cannot do is reported as not run (exit 3).
#[test]
fn bad_input_and_what_cannot_run() {
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "kernel",
                "dio-write-vs-mmap-store",
                "--dir",
                "/nonexistent/dir",
            ],
            "not a directory",
        ),
        (
            &["kernel", "dio-write-vs-mmap-store", "--runs", "0"],
            "--runs 0",
        ),
        (
            &["kernel", "dio-write-vs-mmap-store", "--schedule", "dev"],
            "names tasks only",
        ),
        (
            &["kernel", "dio-write-vs-mmap-store", "--schedule", "A A A"],
            "only 2 ops",
        ),
        (
            &["kernel", "dio-write-vs-mmap-store", "--set", "bogus=1"],
            "unknown knob",
        ),
        (
            &["kernel", "dio-write-vs-mmap-store", "--preset", "linux-9.9"],
            "unknown preset",
        ),
        (
            &["kernel", "dio-write-vs-mmap-store", "--timeout=0"],
            "--timeout",
        ),
        (
            &["kernel", "dio-write-vs-mmap-store", "--timeout=nan"],
            "--timeout",
        ),
        (&["kernel", "no-such-scenario"], "no bundled scenario"),
    ];
    for (args, want) in cases {
        let o = dioscope(args);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {out}");
        assert!(out.contains(want), "{args:?}: {out}");
    }
    let o = dioscope(&["kernel", "fsync-retry-after-error"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}");
    assert!(out.contains("not run on the kernel"), "{out}");
    assert!(
        out.contains("A: crash: a power failure cannot be caused"),
        "{out}"
    );
    assert!(
        out.contains("A: fail-writes 0: failing writes need"),
        "{out}"
    );
    let o = dioscope(&["kernel", "dax-odirect-poison"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(text(&o).contains("persistent memory"));
    // a file that is not a scenario
    let dir =
        Scratch(std::env::temp_dir().join(format!("dioscope-lab-test-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let f = dir.0.join("bad.toml");
    std::fs::write(
        &f,
        "title = \"t\"\n[[task]]\nname = \"A\"\nops = [\"wirte 0\"]\n",
    )
    .unwrap();
    let o = dioscope(&["kernel", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("did you mean `write`"));
    // a buffer in the mapping past the scenario's pages is refused when
    // the file is read
    std::fs::write(
        &f,
        "title = \"t\"\n[setup]\npages = 2\n[[task]]\nname = \"A\"\nops = [\"read 0-1 direct into-mmap 1\"]\n",
    )
    .unwrap();
    let o = dioscope(&["kernel", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("runs past EOF"), "{}", text(&o));
    // a direct read into the mapping past EOF after a truncate: the
    // kernel faults on pages past EOF (-EFAULT), as the model says; never
    // into other memory of the lab
    std::fs::write(
        &f,
        "title = \"t\"\n[setup]\npages = 2\n[[task]]\nname = \"A\"\nops = [\"truncate 1\", \"read 0 direct into-mmap 1\"]\n",
    )
    .unwrap();
    let (code, v) = lab(&[f.to_str().unwrap(), "--runs", "3"]);
    assert_agrees(code, &v);
    let results: Vec<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["result"].as_str().unwrap())
        .collect();
    assert!(
        results.contains(&"A: read 0 direct into-mmap 1 = -EFAULT"),
        "{results:?}"
    );
}

/// A directory removed when dropped (also when a test panics).
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A loop-mounted filesystem, unmounted and removed when dropped (also
/// when a test panics).
struct LoopFs {
    root: PathBuf,
    mnt: PathBuf,
    mounted: bool,
}

impl LoopFs {
    /// Makes and mounts a `fs` image, or says why it cannot.
    fn new(fs: &str) -> Result<LoopFs, String> {
        // /proc/self belongs to the process's effective user (no unsafe
        // geteuid in the tests)
        let euid = std::fs::metadata("/proc/self").map(|m| m.uid());
        if euid.map_err(|e| format!("/proc/self: {e}"))? != 0 {
            return Err("not running as root".into());
        }
        let mkfs = format!("mkfs.{fs}");
        let found = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
            .iter()
            .any(|d| Path::new(d).join(&mkfs).exists());
        if !found {
            return Err(format!(
                "{mkfs} is not installed (apt-get install -y xfsprogs btrfs-progs)"
            ));
        }
        let root = std::env::temp_dir().join(format!(
            "dioscope-lab-{fs}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("mnt")).map_err(|e| e.to_string())?;
        let mut me = LoopFs {
            mnt: root.join("mnt"),
            root,
            mounted: false,
        };
        let img = me.root.join("fs.img");
        let run = |c: &mut Command| -> Result<(), String> {
            let o = c.output().map_err(|e| format!("{c:?}: {e}"))?;
            if o.status.success() {
                Ok(())
            } else {
                Err(format!("{c:?}: {}", text(&o)))
            }
        };
        run(Command::new("truncate").args(["-s", "300M"]).arg(&img))?;
        run(Command::new(&mkfs).arg("-q").arg("-f").arg(&img))?;
        run(Command::new("mount")
            .args(["-o", "loop"])
            .arg(&img)
            .arg(&me.mnt))?;
        me.mounted = true;
        Ok(me)
    }
}

impl Drop for LoopFs {
    fn drop(&mut self) {
        if self.mounted {
            let ok = Command::new("umount")
                .arg(&self.mnt)
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                let _ = Command::new("umount").arg("-l").arg(&self.mnt).status();
            }
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn on_loop_fs(fs: &str, runs: &[(&str, &str)]) {
    let lfs = match LoopFs::new(fs) {
        Ok(l) => l,
        Err(why) => {
            println!("skipped: the lab on {fs}: {why}");
            return;
        }
    };
    let dir = lfs.mnt.to_str().unwrap().to_string();
    for (id, n) in runs {
        let (code, v) = lab(&[id, "--dir", &dir, "--runs", n]);
        assert_agrees(code, &v);
        assert_eq!(v["env"]["fs"], fs);
        assert!(v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| !w.as_str().unwrap().contains("the scenario models")));
    }
}

#[test]
fn the_lab_runs_on_xfs() {
    on_loop_fs(
        "xfs",
        &[
            ("dio-write-vs-mmap-store", "40"),
            ("generic-247-dio-vs-mmap", "20"),
        ],
    );
}

#[test]
fn the_lab_runs_on_btrfs() {
    on_loop_fs(
        "btrfs",
        &[
            ("generic-547-btrfs-spurious-eio", "20"),
            ("generic-647-btrfs-gup", "20"),
        ],
    );
}
