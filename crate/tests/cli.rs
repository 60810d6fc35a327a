//! The `dioscope` binary on hostile input (issue 12): what it prints,
//! where it says the error is, and how it exits.

use std::path::PathBuf;
use std::process::{Command, Output};

fn dioscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dioscope"))
        .args(args)
        .output()
        .expect("dioscope runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A scratch directory for this test binary.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dioscope-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn file(name: &str, contents: &[u8]) -> String {
    let p = scratch(name);
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(&p, contents).unwrap();
    p.to_string_lossy().into_owned()
}

/// No byte of the output acts on a terminal.
fn assert_no_control(out: &Output) {
    for (what, b) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let s = text(b);
        if let Some(c) = s.chars().find(|c| c.is_control() && *c != '\n') {
            panic!("{what} has control character {c:?}:\n{s}");
        }
    }
}

const GOOD: &str = "title = \"t\"\n[[task]]\nname = \"A\"\nops = [\"write 0\", \"fsync\"]\n";

#[test]
fn check_checks_the_file_it_is_given() {
    // a broken copy named like a bundled scenario
    let bundled = dioscope::library::find("dio-fallback-ext4").unwrap();
    let broken = bundled.text.replacen("fs = \"ext4\"", "fs = \"zfs\"", 1);
    assert_ne!(broken, bundled.text);
    let path = file("broken/dio-fallback-ext4.toml", broken.as_bytes());
    let out = dioscope(&["check", &path]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("unknown filesystem `zfs`"),
        "{}",
        text(&out.stderr)
    );
    // a path that does not exist is not the bundled scenario either
    let missing = scratch("nowhere/dio-fallback-ext4.toml");
    for cmd in ["check", "run", "explore"] {
        let out = dioscope(&[cmd, &missing.to_string_lossy()]);
        assert_eq!(out.status.code(), Some(2), "{cmd}");
        assert!(
            text(&out.stderr).contains("cannot read"),
            "{cmd}: {}",
            text(&out.stderr)
        );
    }
    // the bundled scenario, by its id, still works
    let out = dioscope(&["check", "dio-fallback-ext4"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn a_deeply_nested_scenario_is_an_error_with_its_place() {
    let nested = format!("title = \"t\"\nx = {}\n", "[".repeat(14_500));
    let path = file("nested.toml", nested.as_bytes());
    let out = dioscope(&["run", &path]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("nest more than 16 deep"), "{err}");
    assert!(err.contains("nested.toml:2:21"), "{err}");
    // through a link too
    let link = dioscope::link::Session {
        scenario: nested,
        ..Default::default()
    }
    .url("http://127.0.0.1:8080/")
    .unwrap();
    for cmd in ["run", "diagram"] {
        let out = dioscope(&[cmd, "--link", &link]);
        assert_eq!(out.status.code(), Some(2), "{cmd}");
        assert!(text(&out.stderr).contains(":2:21"), "{}", text(&out.stderr));
    }
}

#[test]
fn a_file_too_large_says_its_size() {
    let path = file("big.toml", &vec![b'#'; 200_000]);
    let out = dioscope(&["run", &path]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("scenario is 200000 bytes; at most 65536"),
        "{err}"
    );
    // a directory is not a scenario
    let dir = scratch("").to_string_lossy().into_owned();
    let out = dioscope(&["run", &dir]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot read"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_file_that_is_not_utf8_is_an_error_with_line_column_and_offset() {
    let mut b = b"title = \"t\"\n[setup]\nfs = \"x".to_vec();
    b.push(0xff);
    b.extend_from_slice(b"\"\n");
    let path = file("latin1.toml", &b);
    let out = dioscope(&["run", &path]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("latin1.toml:3:8"), "{err}");
    assert!(err.contains("byte offset 27"), "{err}");
    assert_no_control(&out);
}

#[test]
fn no_control_character_reaches_the_terminal() {
    let good = file("good.toml", GOOD.as_bytes());
    // in a schedule and a knob echoed in errors
    for args in [
        vec!["run", good.as_str(), "--schedule", "A\u{1b}[2J\u{7}"],
        vec![
            "diagram",
            good.as_str(),
            "--schedule",
            "\u{1b}]0;pwned\u{7}",
        ],
        vec!["run", good.as_str(), "--set", "fault_lock=\u{1b}[31m"],
        vec!["explore", good.as_str(), "--preset", "\u{8}\u{7f}\r"],
    ] {
        let out = dioscope(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_no_control(&out);
    }
    // in a scenario: refused where it is, and the echo is clean
    let evil = "title = \"x\\u001b[31mred\"\n[[task]]\nname = \"A\"\nops = [\"fsync\"]\n";
    let path = file("evil.toml", evil.as_bytes());
    let out = dioscope(&["run", &path]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("control character U+001B"));
    assert_no_control(&out);
    // raw in the file (TOML refuses it already)
    let raw = file("raw.toml", b"title = \"x\x1b[31m\x07\"\n");
    let out = dioscope(&["run", &raw]);
    assert_eq!(out.status.code(), Some(2));
    assert_no_control(&out);
    // a file name with control characters
    let odd = file("odd\u{1b}[1m.toml", b"title = 1\n");
    let out = dioscope(&["run", &odd]);
    assert_eq!(out.status.code(), Some(2));
    assert_no_control(&out);
    // and a link carrying them in its schedule and preset
    let link = dioscope::link::Session {
        scenario: GOOD.into(),
        preset: Some("x\u{1b}[31m".into()),
        schedule: "A\u{7}".into(),
        ..Default::default()
    }
    .url("http://x/")
    .unwrap();
    let out = dioscope(&["run", "--link", &link]);
    assert_eq!(out.status.code(), Some(2));
    assert_no_control(&out);
}

#[test]
fn the_email_text_keeps_72_columns_whatever_the_base_url() {
    let good = file("good72.toml", GOOD.as_bytes());
    let out = dioscope(&["diagram", &good, "--base-url", "http://x/\t\t\t\u{1b}/"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_no_control(&out);
    let s = text(&out.stdout);
    assert!(s.lines().all(|l| l.chars().count() <= 72), "{s}");
}

#[test]
fn a_run_that_hits_the_step_cap_exits_2_with_a_message() {
    let good = file("cap.toml", GOOD.as_bytes());
    for args in [
        vec!["run", good.as_str(), "--max-steps", "2"],
        vec!["run", good.as_str(), "--seed", "7", "--max-steps", "2"],
        vec!["run", good.as_str(), "--timed", "--max-steps", "2"],
        vec!["diagram", good.as_str(), "--seed", "7", "--max-steps", "2"],
    ] {
        let out = dioscope(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert!(
            err.contains("the run hit the step cap: it did not end within 2 steps"),
            "{args:?}: {err}"
        );
        assert!(
            out.stdout.is_empty(),
            "{args:?}: a run cut short is not reported"
        );
    }
    // the livelock of issue 12, item 6, ends in 4 steps on every clock
    let livelock = file(
        "livelock.toml",
        b"title = \"t\"\n[setup]\nreclaim = true\n[[task]]\nname = \"A\"\nops = [\"mmap-read 0\"]\n",
    );
    for args in [
        vec!["run", livelock.as_str(), "--timed"],
        vec![
            "run",
            livelock.as_str(),
            "--timed",
            "--device",
            "hdd",
            "--cpus",
            "1",
        ],
        vec!["run", livelock.as_str(), "--seed", "3"],
    ] {
        let out = dioscope(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stdout).contains("= 4096"),
            "{}",
            text(&out.stdout)
        );
    }
}

#[test]
fn a_link_version_has_one_spelling() {
    let link = dioscope::link::Session {
        scenario: GOOD.into(),
        ..Default::default()
    }
    .encode()
    .unwrap();
    let data = link.strip_prefix("1.").unwrap();
    for v in ["01", "00001", "+1"] {
        let out = dioscope(&["run", "--link", &format!("{v}.{data}")]);
        assert_eq!(out.status.code(), Some(2), "{v}");
        assert!(
            text(&out.stderr).contains("not a dioscope link"),
            "{v}: {}",
            text(&out.stderr)
        );
    }
}

/// `dioscope list | head -1`: a reader that closes the pipe early ends the
/// program quietly (exit 0, nothing on stderr), not with a panic.
#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    use std::process::Stdio;
    for args in [
        &["list"][..],
        &["explore", "scenarios/generic-547-btrfs-spurious-eio.toml"][..],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dioscope"))
            .args(args)
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dioscope runs");
        // close the pipe before the program writes (it has not even
        // started): its first write meets EPIPE
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        assert!(out.stderr.is_empty(), "{args:?}: {}", text(&out.stderr));
    }
}

/// A full disk is an error that says so, with exit 2.
#[test]
fn a_write_error_on_stdout_is_reported() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return;
    };
    let out = Command::new(env!("CARGO_BIN_EXE_dioscope"))
        .arg("list")
        .stdout(full)
        .output()
        .expect("dioscope runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot write to standard output"));
}

/// A read's result may be written page by page or as the runs the tool
/// prints (`init ×3 A1`, `init x3 A1` in email text); a wrong count fails.
#[test]
fn check_reads_results_written_as_runs() {
    let sc = "title = \"t\"\n[setup]\npages = 4\n[[task]]\nname = \"A\"\nops = [\"write 3\", \"read 0-3\"]\n";
    for (value, code) in [
        ("init init init A1", 0),
        ("init ×3 A1", 0),
        ("init x3 A1", 0),
        ("init x2 A1", 1),
        ("init ×4", 1),
    ] {
        let toml =
            format!("{sc}[[expect]]\nresult = \"A: read 0-3 = {value}\"\nverdict = \"always\"\n");
        let path = file(
            &format!("runs/{}.toml", value.replace(' ', "_")),
            toml.as_bytes(),
        );
        let out = dioscope(&["check", &path]);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{value}: {}",
            text(&out.stdout)
        );
    }
    let out = dioscope(&["run", &file("runs/run.toml", sc.as_bytes())]);
    assert!(
        text(&out.stdout).contains("read init ×3 A1"),
        "{}",
        text(&out.stdout)
    );
}
