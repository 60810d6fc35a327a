//! `dioscope sweep` and `dioscope matrix` (issue 17): what they print,
//! their exit codes and errors, the plots as XML, the witnesses replaying,
//! and the cost scenarios showing the mechanism each thread argued about.

use std::path::PathBuf;
use std::process::{Command, Output};

use dioscope::sweep::{self, Spec};
use dioscope::timed::{Costs, NVME, PMEM};

fn dioscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dioscope"))
        .args(args)
        .output()
        .expect("dioscope runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dioscope-sweep-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn file(name: &str, contents: &str) -> String {
    let p = scratch(name);
    std::fs::write(&p, contents).unwrap();
    p.to_string_lossy().into_owned()
}

/// Exit code 2 and `want` in the error.
fn refused(args: &[&str], want: &str) {
    let out = dioscope(args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{args:?}: {}",
        text(&out.stdout)
    );
    let err = text(&out.stderr);
    assert!(err.contains(want), "{args:?}: wanted {want:?} in:\n{err}");
    assert!(out.stdout.is_empty(), "{args:?} printed a result");
}

const SFC: &str = "cost-dio-serve-from-cache";

#[test]
fn sweep_prints_every_preset_and_thread_count() {
    let out = dioscope(&[
        "sweep",
        SFC,
        "--threads",
        "1,2",
        "--preset",
        "linux-5.8",
        "--preset",
        "2020-serve-from-cache",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(
        t.contains("\nlinux-5.8\n") && t.contains("\n2020-serve-from-cache\n"),
        "{t}"
    );
    assert!(t.contains("costs: 250 ns per step"), "{t}");
    assert!(!t.contains("EXTRAPOLATED"), "{t}");
    assert!(t.contains("held exclusive/op: i_rwsem"), "{t}");
    for l in t.lines() {
        assert!(l.chars().count() <= 72, "{l:?}");
    }
    // CSV: a header and one row per point
    let out = dioscope(&["sweep", SFC, "--threads", "1-3", "--csv"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0].starts_with("preset,kind,threads,"), "{csv}");
    assert_eq!(rows.len(), 4, "{csv}");
    let cols = rows[0].split(',').count();
    assert!(rows.iter().all(|r| r.split(',').count() == cols), "{csv}");
    assert!(rows[3].starts_with("linux-5.8,simulated,3,"), "{csv}");
    // JSON
    let out = dioscope(&[
        "sweep",
        SFC,
        "--threads",
        "1,2",
        "--extrapolate",
        "1000",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["series"][0]["points"].as_array().unwrap().len(), 2);
    assert_eq!(v["extrapolated_to"], 1000);
    let curve = v["series"][0]["model"]["curve"].as_array().unwrap();
    assert_eq!(curve.last().unwrap()["threads"], 1000);
    assert_eq!(v["costs"]["device"]["service"]["parallel"], 32);
}

#[test]
fn sweep_refuses_bad_flags_with_a_clear_message() {
    refused(&["sweep", SFC, "--threads", "0"], "0 threads");
    refused(
        &["sweep", SFC, "--threads", "1,x"],
        "`x` is not a thread count",
    );
    refused(&["sweep", SFC, "--threads", "3-1"], "runs backwards");
    refused(
        &["sweep", SFC, "--threads", "1,99"],
        "99 threads cannot be simulated",
    );
    refused(&["sweep", SFC, "--threads", "1,99"], "--extrapolate");
    refused(&["sweep", SFC, "--extrapolate", "2"], "can be simulated");
    refused(&["sweep", SFC, "--extrapolate", "100000000"], "at most");
    refused(&["sweep", SFC, "--cpus", "0"], "--cpus");
    refused(&["sweep", SFC, "--device", "floppy"], "floppy");
    refused(&["sweep", SFC, "--csv", "--json"], "--json");
    refused(
        &["sweep", SFC, "--preset", "linux-9.9"],
        "unknown preset `linux-9.9`",
    );
    refused(&["sweep", "no-such-scenario"], "no bundled scenario");
    refused(
        &["sweep", "dio-write-vs-mmap-store"],
        "mark the task(s) the sweep replicates with `template = true`",
    );
    let mixed = file(
        "mixed.toml",
        "title = \"t\"\n[[task]]\nname = \"W\"\ntemplate = true\nops = [\"read 0 direct\"]\n\
         [[task]]\nname = \"B\"\nops = [\"read 0\"]\n",
    );
    refused(
        &["sweep", &mixed, "--extrapolate", "100"],
        "task B is not a template",
    );
    let svg = scratch("no/such/dir/x.svg");
    refused(
        &[
            "sweep",
            SFC,
            "--threads",
            "1",
            "--svg",
            svg.to_str().unwrap(),
        ],
        "cannot write",
    );
    // a template's copies that clash with a task's name
    let clash = file(
        "clash.toml",
        "title = \"t\"\n[[task]]\nname = \"W\"\ntemplate = true\nops = [\"read 0\"]\n\
         [[task]]\nname = \"Wb\"\nops = [\"read 0\"]\n",
    );
    refused(
        &["sweep", &clash, "--threads", "2"],
        "named `Wb`, like task `Wb`",
    );
    // a template key that is not a boolean, at its line and column
    let bad = file(
        "bad.toml",
        "title = \"t\"\n[[task]]\nname = \"W\"\ntemplate = 1\nops = [\"read 0\"]\n",
    );
    refused(&["sweep", bad.as_str()], "bad.toml:4:12");
}

#[test]
fn the_plot_is_xml_and_escapes_what_the_scenario_says() {
    let hostile = file(
        "hostile.toml",
        "title = \"<script>&amp; \\\"quotes\\\" ]]> \\u00e9\"\n[setup]\npages = 2\n\
         [[task]]\nname = \"W\"\ntemplate = true\nops = [\"write 0-1 direct\", \"read 0-1\"]\n",
    );
    let svg = scratch("hostile.svg");
    let out = dioscope(&[
        "sweep",
        &hostile,
        "--preset",
        "linux-5.8",
        "--preset",
        "2020-serve-from-cache",
        "--device",
        "hdd",
        "--extrapolate",
        "50",
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = std::fs::read_to_string(&svg).unwrap();
    let doc = roxmltree::Document::parse(&s).unwrap_or_else(|e| panic!("{e}\n{s}"));
    let texts: String = doc
        .descendants()
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        texts.contains("<script>&amp; \"quotes\" ]]> \u{e9}"),
        "{texts}"
    );
    assert!(texts.contains("EXTRAPOLATED"), "{texts}");
    assert!(
        texts.contains("Assumed costs") && texts.contains("hdd device"),
        "the assumptions: {texts}"
    );
    assert!(!s.contains("<script>"));
    // every preset has a line, and no number is printed as a float
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("polyline"))
            .count(),
        2 * 2 * 2
    );
    for n in doc.descendants().filter(|n| n.is_element()) {
        for a in n.attributes() {
            let ints: Vec<&str> = match a.name() {
                "x" | "y" | "x1" | "y1" | "x2" | "y2" | "cx" | "cy" | "width" | "height" => {
                    vec![a.value()]
                }
                "points" => a.value().split([' ', ',']).collect(),
                _ => continue,
            };
            for v in ints {
                assert!(v.parse::<i64>().is_ok(), "{}={:?}", a.name(), a.value());
            }
        }
    }
}

#[test]
fn matrix_prints_presets_in_order_with_witnesses_that_replay() {
    let out = dioscope(&["matrix", "dio-write-vs-mmap-store"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    for l in t.lines() {
        assert!(l.chars().count() <= 72 && l.is_ascii(), "{l:?}");
    }
    // every preset, releases in order, then the proposals
    let rows: Vec<&str> = t
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| dioscope::policy::preset_def(w).is_some())
        .collect();
    assert_eq!(rows, dioscope::matrix::default_presets());
    assert!(t.contains("proposals:\n2016-dax-direct-io"), "{t}");
    // JSON: each cell, and each witness shows its outcome under its preset
    let out = dioscope(&[
        "matrix",
        "dio-write-vs-mmap-store",
        "--preset",
        "linux-5.8",
        "--preset",
        "2020-serve-from-cache",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cols = v["columns"].as_array().unwrap();
    assert_eq!(cols.len(), 2);
    let cell = |c: usize, o: &str| -> serde_json::Value {
        cols[c]["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["outcome"] == o)
            .unwrap()
            .clone()
    };
    assert_eq!(cell(0, "spurious-eio")["verdict"], "sometimes");
    assert_eq!(cell(1, "spurious-eio")["verdict"], "never");
    assert!(cell(1, "spurious-eio")["witness"].is_null());
    let w = cell(0, "spurious-eio")["witness"]
        .as_str()
        .unwrap()
        .to_string();
    let out = dioscope(&[
        "run",
        "dio-write-vs-mmap-store",
        "--preset",
        "linux-5.8",
        "--schedule",
        &w,
        "--json",
    ]);
    let run: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        run["outcomes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["outcome"] == "spurious-eio"),
        "{run}"
    );
    assert!(cell(0, "spurious-eio")["why"]
        .as_str()
        .unwrap()
        .contains("fsync"));
}

#[test]
fn matrix_says_bound_and_refuses_bad_input() {
    let out = dioscope(&[
        "matrix",
        "generic-547-btrfs-spurious-eio",
        "--preset",
        "linux-5.8-merge-window",
        "--max-states",
        "3",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(t.contains("bound"), "{t}");
    assert!(t.contains("at 3 states (--max-states)"), "{t}");
    refused(
        &[
            "matrix",
            "dio-write-vs-mmap-store",
            "--preset",
            "linux-5.99",
        ],
        "unknown preset",
    );
    refused(&["matrix", "nope.toml"], "cannot read nope.toml");
    refused(
        &["matrix", "dio-write-vs-mmap-store", "--max-states", "x"],
        "--max-states",
    );
    let bad = file(
        "bad-matrix.toml",
        "title = \"t\"\n[[task]]\nname = \"A\"\nops = [\"wirte 0\"]\n",
    );
    refused(&["matrix", &bad], "did you mean `write`");
}

fn points(name: &str, presets: &[&str], costs: Costs) -> Vec<Vec<sweep::Point>> {
    let sc = dioscope::library::find(name).unwrap().parse().unwrap();
    let r = sweep::run(
        &sc,
        &Spec {
            presets: presets.iter().map(|p| p.to_string()).collect(),
            threads: Vec::new(),
            costs,
            extrapolate: None,
        },
    )
    .unwrap();
    r.series.into_iter().map(|s| s.points).collect()
}

fn wait(p: &sweep::Point, lock: &str) -> f64 {
    p.waits
        .iter()
        .find(|w| w.name == lock)
        .map_or(0.0, |w| w.ns)
}

/// Chinner, 2020-07: serving direct I/O from the cache copies with the
/// CPU, and direct writes serialise on i_rwsem; mainline copies nothing
/// and its threads overlap. (Virtual time: deterministic.)
#[test]
fn serving_direct_io_from_the_cache_copies_and_serialises() {
    let s = points(
        SFC,
        &["linux-5.8", "2020-serve-from-cache"],
        Costs::new(NVME, 4),
    );
    let (main, served) = (&s[0], &s[1]);
    let (m1, mn) = (&main[0], main.last().unwrap());
    let (s1, sn) = (&served[0], served.last().unwrap());
    assert!(mn.threads >= 4);
    assert_eq!(mn.copied_bytes_per_op, 0.0);
    assert!(sn.copied_bytes_per_op >= 16.0 * 1024.0, "{sn:?}");
    assert!(sn.cpu_ns_per_op > 2.0 * mn.cpu_ns_per_op, "{sn:?} {mn:?}");
    // mainline's threads overlap; the proposal's wait for i_rwsem
    assert!(mn.ops_per_s > 3.0 * m1.ops_per_s, "{m1:?} {mn:?}");
    assert_eq!(wait(mn, "i_rwsem"), 0.0);
    assert!(mn.held.is_empty(), "{mn:?}");
    assert!(sn.ops_per_s < 1.1 * s1.ops_per_s, "{s1:?} {sn:?}");
    assert!(wait(sn, "i_rwsem") > wait(&served[1], "i_rwsem"));
    assert!(wait(&served[1], "i_rwsem") > 0.0);
    assert!(sn.held.iter().any(|h| h.name == "i_rwsem"), "{sn:?}");
    assert!(sn.mean_ns > 2.0 * s1.mean_ns);
}

/// Harrosh, 2016-05: the block path costs more per op than the DAX copy;
/// in the model the DAX path's writers serialise on i_rwsem (exclusive,
/// as since 4.9) while the block path's run side by side.
#[test]
fn odirect_on_dax_costs_more_per_op_and_the_dax_path_serialises_writers() {
    let s = points(
        "cost-dax-odirect",
        &["linux-5.7", "2016-dax-direct-io"],
        Costs::new(PMEM, 4),
    );
    let (dax, bio) = (&s[0], &s[1]);
    assert!(
        bio[0].mean_ns > 2.5 * dax[0].mean_ns,
        "{:?} {:?}",
        bio[0],
        dax[0]
    );
    // both copy the same bytes: the DAX memcpy, the pmem driver's
    assert_eq!(dax[0].copied_bytes_per_op, 8192.0);
    assert_eq!(dax[0].driver_copied_bytes_per_op, 0.0);
    assert_eq!(bio[0].driver_copied_bytes_per_op, 8192.0);
    // nobody sleeps on a pmem bio
    assert_eq!(wait(&bio[0], "bio completion"), 0.0);
    let (d1, dn) = (&dax[0], dax.last().unwrap());
    let (b1, bn) = (&bio[0], bio.last().unwrap());
    assert!(dn.held.iter().any(|h| h.name == "i_rwsem"), "{dn:?}");
    assert!(dn.ops_per_s < 1.1 * d1.ops_per_s, "{d1:?} {dn:?}");
    assert!(bn.ops_per_s > 3.0 * b1.ops_per_s, "{b1:?} {bn:?}");
    assert!(bn.held.is_empty(), "{bn:?}");
}

/// Every bundled scenario, its first task made a template, sweeps and
/// plots without a panic, on every device (deadlocks, crashes, errors and
/// fallbacks included), and the plot is XML.
#[test]
fn every_bundled_scenario_sweeps_and_plots() {
    for b in dioscope::library::bundled() {
        let mut sc = b.parse().unwrap();
        sc.tasks[0].template = true;
        let alike = sc.tasks.len() == 1;
        for dev in dioscope::timed::DEVICES {
            let spec = Spec {
                presets: vec!["linux-5.8".into(), "linux-6.18".into()],
                threads: Vec::new(),
                costs: Costs::new(dev, 2),
                extrapolate: alike.then_some(64),
            };
            let r = sweep::run(&sc, &spec).unwrap_or_else(|e| panic!("{}: {e}", b.id()));
            assert!(!r.series[0].points.is_empty());
            let svg = dioscope::plot::sweep(&r);
            roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{}: {e}", b.id()));
            assert!(!r.text().is_empty() && r.csv().lines().count() > 1);
        }
    }
}
