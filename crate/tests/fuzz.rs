//! The fuzz targets on a fixed set of seeds (as `cargo xtask fuzz` runs
//! them on new ones), and one regression test for each thing the fuzzer
//! and the issue found: a panic, a livelock, a stack overflow, an SVG
//! that is not XML.

use dioscope::fuzz::{self, Target};
use dioscope::link::Session;

/// Seeds per target: enough to reach every op, flag, knob and mutation,
/// few enough for a debug build (a few seconds in all).
fn cases(t: Target) -> u64 {
    match t {
        Target::Scenario => 120,
        Target::Op => 400,
        Target::Link => 120,
        Target::Engine => 120,
    }
}

#[test]
fn fixed_cases_of_every_fuzz_target() {
    let mut failures = Vec::new();
    for t in Target::ALL {
        for seed in 0..cases(t) {
            if let Err(e) = fuzz::run(t, seed) {
                failures.push(format!("{} seed {seed}: {e}", t.name()));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

/// A direct read into the mmap (`into-mmap 4`) whose bio completed after
/// the read had returned, while the task was in its next direct read
/// (`into-mmap 3`): the completion looked up the task's *current* op and
/// computed user page 3 + (0 - 4): index 255 (pagecache.rs). The bio now
/// carries its op. Engine seed 22340.
const LATE_BIO_NEXT_OP: &str = r#"title = "fuzz"
[setup]
fs = "btrfs"
preset = "linux-5.9"
pages = 7
size = 5
on_disk = "written"
cached = "0,2,3,4"
write_cache = true
flusher = true
reclaim = true
[policy]
dio_post_invalidate_fail = "warn-eio"
iomap_validity = "none"
speculative_prealloc = "allocsize"
dax_poison_write = "recovery-write"
wb_error_report = "as-eio-flag"
[[task]]
name = "A"
ops = ["fsync", "mmap-write 3", "read 0-1 direct into-mmap 4", "read 4 direct into-mmap 3"]
[[task]]
name = "B"
ops = ["write 0-2 uncached", "mmap-read 5"]
[[task]]
name = "C"
ops = ["fdatasync", "write 0-2", "write 0-2 direct", "read 3 direct dontcache"]
[[task]]
name = "D"
ops = ["mmap-write 2", "read 2-4 dontcache", "punch 2-4", "fail-writes 6"]
"#;

/// Issue 12, item 3: a direct read into the mmap faults inside
/// get_user_pages (dio_gup_fault = "fault") on a user page that a truncate
/// put past EOF: SIGBUS, and the read returns with its first bio in
/// flight; the bio completed when the task had no op left, and dio.rs
/// indexed ops[1] of a task with one op.
const LATE_BIO_NO_OP: &str = r#"title = "a direct read into the mmap returns on SIGBUS with a bio in flight"
[setup]
pages = 4
[policy]
dio_gup_fault = "fault"
[[task]]
name = "A"
ops = ["read 0-1 direct into-mmap 2"]
[[task]]
name = "B"
ops = ["truncate 3"]
"#;

#[test]
fn a_direct_read_bio_completing_after_its_op_is_harmless() {
    for text in [LATE_BIO_NEXT_OP, LATE_BIO_NO_OP] {
        for seed in [5288842063369138954, 14468056044952949476, 0, 1, 2, 3] {
            fuzz::check_scenario(text, seed).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        }
    }
    // the run that panicked, and what the completion says now
    let sc = dioscope::scenario::parse("x.toml", LATE_BIO_NO_OP).unwrap();
    let spec = dioscope::run::RunSpec {
        schedule: "B:5 A:4 dev:3 A:4 dev".into(),
        ..Default::default()
    };
    let (w, _) = spec.run(&sc).unwrap();
    let h = w.hist.as_ref().unwrap();
    let last = h.steps.last().unwrap();
    assert_eq!(last.name, "iomap_dio_bio_end_io");
    assert!(
        last.notes
            .iter()
            .any(|n| n.contains("that read has returned")),
        "{:?}",
        last.notes
    );
    assert!(
        h.syscalls[0].ret.is_some(),
        "the read returned before its bio"
    );
    // some timed run of the other one (on one CPU, as the timed clock of
    // the cost work schedules it) completes a bio in the next op
    let sc = dioscope::scenario::parse("x.toml", LATE_BIO_NEXT_OP).unwrap();
    let pol = sc.policy(None).unwrap();
    let mut late = false;
    for (dev, cpus) in dioscope::timed::DEVICES
        .into_iter()
        .flat_map(|d| (1..=4).map(move |c| (d, c)))
    {
        let t = dioscope::timed::run(&sc, &pol, dioscope::timed::Costs::new(dev, cpus));
        let h = t.world.hist.as_ref().unwrap();
        late |= h
            .steps
            .iter()
            .flat_map(|s| &s.notes)
            .any(|n| n.contains("that read has returned"));
    }
    assert!(late, "no timed run completes a bio after its read returned");
}

/// Issue 12, item 6, and the same cycle for a buffered read (engine seed
/// 925): kswapd evicted the folio between the read's completion and the
/// task's next step, under the timed scheduler only, forever.
#[test]
fn reclaim_cannot_evict_a_folio_a_task_is_reading_or_faulting_in() {
    let fault =
        "title = \"t\"\n[setup]\nreclaim = true\n[[task]]\nname = \"A\"\nops = [\"mmap-read 0\"]\n";
    let read = "title = \"t\"\n[setup]\nfs = \"btrfs\"\npages = 4\ncached = \"3\"\nreclaim = true\n\
                [[task]]\nname = \"A\"\nops = [\"read 0\", \"write 3 direct\", \"mmap-write 2\", \"write 1 direct\"]\n";
    for text in [fault, read] {
        let sc = dioscope::scenario::parse("t.toml", text).unwrap();
        let pol = sc.policy(None).unwrap();
        for dev in [
            dioscope::timed::NVME,
            dioscope::timed::PMEM,
            dioscope::timed::HDD,
        ] {
            for cpus in 1..=4 {
                let costs = dioscope::timed::Costs::new(dev, cpus);
                let t = dioscope::timed::run(&sc, &pol, costs)
                    .ended()
                    .unwrap_or_else(|e| panic!("{}: {e}\n{text}", dev.name));
                assert!(t.schedule.len() < 40, "{} steps", t.schedule.len());
                assert!(t.ops.iter().all(|o| o.end_ns.is_some()));
            }
        }
        fuzz::check_scenario(text, 7).unwrap();
    }
}

/// Every scheduler stops at the step cap with an error that says so.
#[test]
fn every_scheduler_reports_the_step_cap_as_an_error() {
    let sc = dioscope::library::find("dio-write-vs-mmap-store")
        .unwrap()
        .parse()
        .unwrap();
    let pol = sc.policy(None).unwrap();
    let msg = "the run hit the step cap: it did not end within 5 steps";
    for seed in [None, Some(1)] {
        let spec = dioscope::run::RunSpec {
            seed,
            ..Default::default()
        };
        let e = spec.run_capped(&sc, 5).unwrap_err();
        assert!(e.to_string().contains(msg), "{e}");
        assert!(spec.run_capped(&sc, 100_000).is_ok());
    }
    let spec = dioscope::run::RunSpec {
        schedule: "A:3 B:3 A:3".into(),
        ..Default::default()
    };
    assert!(spec
        .run_capped(&sc, 5)
        .unwrap_err()
        .to_string()
        .contains(msg));
    let costs = dioscope::timed::Costs::new(dioscope::timed::NVME, 4);
    let e = dioscope::timed::run_capped(&sc, &pol, costs, 5)
        .ended()
        .err()
        .unwrap();
    assert!(e.to_string().contains(msg), "{e}");
    assert!(dioscope::timed::run_capped(&sc, &pol, costs, 100_000)
        .ended()
        .is_ok());
}

/// The nested scenario of issue 12, item 1: 14,500 arrays in a link of a
/// few hundred characters. The e2e test opens this very link.
fn nested_session() -> Session {
    Session {
        scenario: format!("title = \"t\"\nx = {}", "[".repeat(14_500)),
        ..Default::default()
    }
}

#[test]
fn a_short_link_to_a_deeply_nested_scenario_is_an_error_with_its_place() {
    let s = nested_session();
    let payload = s.encode().unwrap();
    assert!(payload.len() < 200, "{} characters", payload.len());
    let back = Session::decode(&payload).unwrap();
    assert_eq!(back, s);
    let e = dioscope::scenario::parse("link", &back.scenario).unwrap_err();
    assert_eq!((e.line, e.col), (2, 21), "{e}");
    assert!(e.msg.contains("nest more than 16 deep"), "{e}");
    // the e2e test opens the link the core makes
    let e2e = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../e2e/nesting.test.mjs"
    ))
    .unwrap();
    assert!(
        e2e.contains(&format!("'{payload}'")),
        "e2e/nesting.test.mjs should open the link {payload}"
    );
}

/// Issue 12, item 8: only characters XML allows reach the SVG, whatever
/// the title (the validator refuses control characters; the SVG escapes
/// them anyway, for scenarios built in code).
#[test]
fn the_svg_of_a_hostile_scenario_is_xml() {
    let base = dioscope::library::find("dio-write-vs-mmap-store")
        .unwrap()
        .parse()
        .unwrap();
    let hostile = [
        "\u{FFFE}\u{FFFF}",
        "<script>alert(1)</script>]]><!-- &amp; &#0; &#xFFFF;",
        "\u{1b}[31mred\u{7}\u{8}\r\u{0}\u{7f}\u{85}\u{9b}",
        "\u{202e}rtl\u{2028}\u{2029}\u{feff}\u{fdd0}\u{1fffe}\u{10ffff}",
        "\"quotes\" and 'apostrophes' & ampersands",
    ];
    for title in hostile {
        let mut sc = base.clone();
        sc.title = title.to_string();
        let pol = sc.policy(None).unwrap();
        let mut w = dioscope::World::new(&sc, &pol);
        dioscope::sched::run(&mut w, &Default::default(), dioscope::sched::Then::First).unwrap();
        for svg in [
            dioscope::svg::timeline(&w, title, None),
            dioscope::svg::compare(&w, title, &w, "b"),
        ] {
            fuzz::xml_well_formed(&svg).unwrap_or_else(|e| panic!("{title:?}: {e}"));
            roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{title:?}: {e}"));
        }
        // and through the validator: refused for its control characters,
        // or an SVG that parses
        let (first, rest) = base.source.split_once('\n').unwrap();
        assert!(first.starts_with("title = "));
        let text = format!("title = \"{}\"\n{rest}", toml_escape(title));
        match dioscope::scenario::parse("x.toml", &text) {
            Ok(sc) => {
                assert_eq!(sc.title, title);
                let pol = sc.policy(None).unwrap();
                let w = dioscope::World::new(&sc, &pol);
                roxmltree::Document::parse(&dioscope::svg::timeline(&w, "x", None)).unwrap();
            }
            Err(e) => {
                assert!(title.chars().any(char::is_control), "{title:?}: {e}");
                assert!(e.msg.contains("control character"), "{e}");
                assert_eq!(e.line, 1);
            }
        }
    }
}

/// A TOML basic string's content for `s`: escapes for what is not
/// printable ASCII.
fn toml_escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' => "\\\"".to_string(),
            '\\' => "\\\\".to_string(),
            ' '..='~' => c.to_string(),
            c if (c as u32) < 0x10000 => format!("\\u{:04X}", c as u32),
            c => format!("\\U{:08X}", c as u32),
        })
        .collect()
}
