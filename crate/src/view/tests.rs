use super::*;
use crate::device::BioKind;
use crate::run::RunSpec;
use crate::trace::Trace;

fn run(id: &str, schedule: &str) -> World {
    let sc = crate::library::find(id).unwrap().parse().unwrap();
    let spec = RunSpec {
        schedule: schedule.into(),
        ..Default::default()
    };
    spec.run(&sc).unwrap().0
}

#[test]
fn every_step_of_every_bundled_run_has_its_lane() {
    for b in crate::library::bundled() {
        let sc = b.parse().unwrap();
        let w = RunSpec::default().run(&sc).unwrap().0;
        let lanes = lanes(&sc);
        let names: Vec<&str> = lanes.iter().map(|l| l.name.as_str()).collect();
        let tasks: Vec<&str> = sc.tasks.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(&names[..sc.tasks.len()], &tasks[..], "{}", b.id());
        assert_eq!(names[sc.tasks.len()], "dev", "{}", b.id());
        for s in steps(&w, None) {
            assert!(s.lane < lanes.len(), "{}: {s:?}", b.id());
            let lane = &lanes[s.lane];
            match lane.task {
                Some(t) => assert_eq!(s.actor, sc.tasks[t as usize].name),
                None => assert!(s.actor.starts_with(&lane.name), "{s:?} in {lane:?}"),
            }
        }
    }
}

#[test]
fn one_step_is_the_same_as_in_the_whole_run() {
    for b in crate::library::bundled() {
        let sc = b.parse().unwrap();
        let w = RunSpec::default().run(&sc).unwrap().0;
        let all = steps(&w, None);
        assert_eq!(all.len(), w.steps_taken());
        for (i, s) in all.iter().enumerate() {
            assert_eq!(step(&w, i).as_ref(), Some(s), "{} step {i}", b.id());
        }
        assert_eq!(step(&w, all.len()), None);
        // Each syscall begins and returns at one of its task's steps.
        for c in calls(&w) {
            assert!(all[c.begin].begins, "{}: {c:?}", b.id());
            assert_eq!(all[c.begin].actor, c.task_name);
            if let Some(e) = c.end.filter(|_| c.ret.is_some()) {
                assert_eq!(all[e].returns, c.ret, "{}: {c:?}", b.id());
            }
        }
    }
}

#[test]
fn a_crash_ends_the_syscalls_it_abandons_at_its_own_step() {
    // A's direct write has begun when B crashes the machine: the power
    // fails at B's first step, where A's syscall ends without a return;
    // B's own op returns at its recovery.
    let text = crate::library::TEMPLATE.replace("ops = [\"mmap-write 1\"]", "ops = [\"crash\"]");
    let sc = crate::scenario::parse("t", &text).unwrap();
    let spec = RunSpec {
        schedule: "A B B".into(),
        ..Default::default()
    };
    let w = spec.run(&sc).unwrap().0;
    let all = steps(&w, None);
    let c = calls(&w);
    assert_eq!(
        (c[0].task_name.as_str(), c[0].end, &c[0].ret),
        ("A", Some(1), &None)
    );
    assert_eq!(all[1].actor, "B");
    assert_eq!(all[1].op.as_deref(), Some("crash"));
    assert!(all[1].begins);
    assert!(all[1].returns.is_none());
    assert_eq!(all[2].actor, "B");
    assert_eq!(all[2].returns, c[1].ret);
    assert!(all[2].returns.is_some());
    assert_eq!(step(&w, 2).as_ref(), Some(&all[2]));
}

#[test]
fn reads_are_counted_in_runs() {
    let w = run("dio-write-vs-mmap-store", "A:3 B:3");
    let r = RetView {
        value: "16384".into(),
        err: false,
        read: ["init", "init", "zero", "init"]
            .iter()
            .map(|l| Ver::by_label(&w, l))
            .collect(),
    };
    let runs: Vec<String> = r.read_runs().into_iter().map(|r| r.label).collect();
    assert_eq!(runs, ["init ×2", "zero", "init"]);
    assert_eq!(r.read_text(), "init ×2 zero init");
    assert_eq!(
        super::runs_text(["A1"; 60].into_iter().chain(["init"; 4])),
        "A1 ×60 init ×4"
    );
    assert_eq!(super::runs_text([]), "");
}

#[test]
fn errnos_by_number_have_the_kernel_s_names() {
    for e in [
        Errno::EIO,
        Errno::EBUSY,
        Errno::ENOTBLK,
        Errno::EOPNOTSUPP,
        Errno::EFAULT,
    ] {
        assert_eq!(errno_name(e.code()), e.to_string());
    }
    assert_eq!(errno_name(0), "0");
    assert_eq!(errno_name(5), "-EIO");
    assert_eq!(errno_name(99), "-99");
}

#[test]
fn the_next_release_is_a_kernel_release_after_the_preset() {
    let all = crate::policy::PRESETS;
    for (i, p) in all.iter().enumerate() {
        let n = next_release(p.name);
        assert_ne!(n, p.name);
        let j = all.iter().position(|q| q.name == n).unwrap();
        if all[i + 1..].iter().any(|q| !q.proposal) {
            assert!(j > i && !all[j].proposal, "{} -> {n}", p.name);
            assert!(
                all[i + 1..j].iter().all(|q| q.proposal),
                "{} -> {n}",
                p.name
            );
        }
    }
    assert_eq!(next_release("linux-5.8"), "linux-5.9");
}

#[test]
fn the_state_view_names_what_the_core_names() {
    // Every state of a run with bios in flight: each bio by the core's word.
    let sc = crate::library::find("dio-write-vs-mmap-store")
        .unwrap()
        .parse()
        .unwrap();
    let t = Trace::record(
        &sc,
        &sc.policy(None).unwrap(),
        &[],
        crate::sched::Then::First,
    )
    .unwrap();
    let mut kinds = Vec::new();
    let first = StateView::of(&t.world_at(0));
    for i in 0..=t.len() {
        let w = t.world_at(i);
        let v = StateView::of(&w);
        // The same lists, in the same order, at every step.
        assert_eq!(v.pages.len(), first.pages.len());
        assert_eq!(v.blocks.len(), first.blocks.len());
        let names = |v: &StateView| -> Vec<String> {
            v.locks
                .iter()
                .map(|l| l.name.clone())
                .chain(v.numbers.iter().map(|n| n.name.clone()))
                .collect()
        };
        assert_eq!(names(&v), names(&first));
        for (b, bv) in w.s.dev.inflight().iter().zip(&v.bios) {
            assert_eq!(bv.kind, b.kind.name());
            assert_eq!(bv.write, b.kind.is_write());
            kinds.push(b.kind);
        }
        assert_eq!(v.bios.len(), w.s.dev.inflight().len());
        assert_eq!(v.waits.len(), w.waits().len());
    }
    assert!(kinds.contains(&BioKind::DioWrite), "{kinds:?}");
    assert!(kinds.contains(&BioKind::ReadFolio), "{kinds:?}");
}

#[test]
fn a_page_s_flags_are_words() {
    // After A's direct write has begun, B faults page 1 in: a locked,
    // not-uptodate folio under a read bio.
    let sc = crate::library::find("dio-write-vs-mmap-store")
        .unwrap()
        .parse()
        .unwrap();
    let t = Trace::record(
        &sc,
        &sc.policy(None).unwrap(),
        &["A", "A", "A", "A", "A", "A", "B"].map(String::from),
        crate::sched::Then::First,
    )
    .unwrap();
    let v = StateView::of(&t.world_at(7));
    let p1 = &v.pages[1];
    let words: Vec<&str> = p1.badges.iter().map(|b| b.text.as_str()).collect();
    assert_eq!(words, ["not uptodate", "locked B"], "{p1:?}");
    assert!(!p1.uptodate);
    // the fault's read-around (do_sync_mmap_readahead) reads page 0 too
    assert_eq!(v.pages[0].badges[0].kind, state::BadgeKind::NotUptodate);
    let bio = v
        .bios
        .iter()
        .find(|b| b.kind == "page read" && b.page == 1)
        .unwrap();
    assert_eq!((bio.page, bio.owner.as_str(), bio.write), (1, "B", false));
    assert_eq!(v.bios.iter().filter(|b| b.kind == "page read").count(), 2);
    assert_eq!(bio.block, Some(1));
    assert_eq!(v.tasks[0].op.as_ref().unwrap().path, "direct write");
    assert!(v.tasks[0].op.as_ref().unwrap().running);
    // Views of two states compare part by part.
    let before = StateView::of(&t.world_at(6));
    assert_ne!(before.pages[1], v.pages[1]);
    assert_ne!(before.pages[0], v.pages[0]);
    // a fault's read-around changes no mapping and no block
    assert_eq!(before.extents, v.extents);
    assert_eq!(before.blocks, v.blocks);
}

#[test]
fn who_goes_next_is_per_lane() {
    let sc = crate::library::find("dio-write-vs-mmap-store")
        .unwrap()
        .parse()
        .unwrap();
    let t = Trace::record(
        &sc,
        &sc.policy(None).unwrap(),
        &[],
        crate::sched::Then::First,
    )
    .unwrap();
    let w = t.world_at(0);
    let n = next(&w, t.actors.first().copied());
    assert_eq!(n.len(), lanes(&sc).len());
    let NextView::Go(a) = &n[0] else {
        panic!("{n:?}")
    };
    assert_eq!(
        (a[0].name.as_str(), a[0].key, a[0].recorded),
        ("A", 1, true)
    );
    // At the end every task is done.
    let end = t.world_at(t.len());
    let n = next(&end, None);
    assert!(n[..2].iter().all(|x| *x == NextView::Done), "{n:?}");
}

#[test]
fn the_command_line_is_the_cli_s() {
    assert_eq!(
        command_line("x.toml", "linux-5.8", &[("a", "b")], "A:3 B"),
        "dioscope run x.toml --preset linux-5.8 --set a=b --schedule \"A:3 B\""
    );
}

/// The email text and the SVG have the view's lanes, in its order, for
/// every bundled scenario's run (runs where the device never completes
/// anything included), and its outcomes by name.
#[test]
fn the_text_and_the_svg_draw_the_view_s_lanes() {
    for b in crate::library::bundled() {
        let sc = b.parse().unwrap();
        let w = RunSpec::default().run(&sc).unwrap().0;
        let lanes: Vec<String> = lanes(&sc).into_iter().map(|l| l.name).collect();
        let meta = crate::diagram::Meta {
            preset: &sc.setup.preset,
            set: &[],
            link: None,
        };
        let text = crate::diagram::email(&w, &meta, "");
        let header = text.lines().find(|l| l.starts_with("step ")).unwrap();
        let cols: Vec<&str> = header.split_whitespace().skip(1).collect();
        assert_eq!(cols, lanes, "{}", b.id());
        let svg = crate::svg::timeline(&w, "", None);
        let heads: Vec<&str> = svg
            .lines()
            .filter(|l| l.contains("font-size=\"18\""))
            .map(|l| &l[l.find('>').unwrap() + 1..l.rfind("</text>").unwrap()])
            .collect();
        assert_eq!(heads, lanes, "{}", b.id());
        // Each outcome, with the view's name, in both.
        for o in outcomes(&w, None) {
            assert!(
                text.contains(&format!("{} at step {}", o.name, o.step)),
                "{}",
                b.id()
            );
            assert!(
                svg.contains(&format!("{} (step {})", o.name, o.step)),
                "{}",
                b.id()
            );
        }
    }
}

#[test]
fn each_task_s_last_results_before_a_step() {
    let w = run("dio-write-vs-mmap-store", "A:3 B:3");
    let all = calls(&w);
    let end = w.steps_taken();
    let r = returned(&w, end, 1);
    assert_eq!(r.len(), 2);
    // A: write, fsync; the last one shown, one earlier.
    assert_eq!((r[0].earlier, r[0].calls.len()), (1, 1));
    assert_eq!(r[0].calls[0].text, "fsync");
    assert_eq!(r[1].calls[0].task_name, "B");
    // Before anything returned: nothing.
    let first_end = all.iter().filter_map(|c| c.end).min().unwrap();
    assert!(returned(&w, first_end, 3)
        .iter()
        .all(|t| t.calls.is_empty()));
}

#[test]
fn long_repetitions_in_a_step_s_notes_are_folded() {
    let bios: Vec<String> = (0..16)
        .flat_map(|p| {
            [
                format!("folio {p} added, locked"),
                format!("read bio for block {}", 40 + p),
            ]
        })
        .collect();
    assert_eq!(
        super::notes_text(&bios),
        "folio 0 added, locked; read bio for block 40; … 1-14 alike …; folio 15 added, locked; read bio for block 55"
    );
    // labels (`A1`) are words, not numbers; a short run or a gap is not folded
    let writes: Vec<String> = (0..6)
        .map(|b| format!("write bio: A1 → block {b}"))
        .collect();
    assert_eq!(
        super::notes_text(&writes),
        "write bio: A1 → block 0; … 1-4 alike …; write bio: A1 → block 5"
    );
    let labels: Vec<String> = (1..7).map(|v| format!("store A{v} to page 0")).collect();
    assert_eq!(super::notes_text(&labels), labels.join("; "));
    let four: Vec<String> = (0..4).map(|b| format!("block {b}")).collect();
    assert_eq!(
        super::notes_text(&four),
        "block 0; block 1; block 2; block 3"
    );
    let gap: Vec<String> = [0, 1, 2, 4, 5, 6]
        .iter()
        .map(|b| format!("block {b}"))
        .collect();
    assert_eq!(super::notes_text(&gap), gap.join("; "));
    assert_eq!(
        super::notes_text(&["inode_dio_begin; mapping 0-3:written"]),
        "inode_dio_begin; mapping 0-3:written"
    );
    // numbers at and past u64::MAX (a task named by digits) do not overflow
    let top: Vec<String> = (0..6)
        .map(|i| format!("x {} y", u64::MAX - 5 + i))
        .collect();
    assert_eq!(
        super::notes_text(&top),
        format!(
            "{}; … {}-{} alike …; {}",
            top[0],
            u64::MAX - 4,
            u64::MAX - 1,
            top[5]
        )
    );
    let over: Vec<String> = [
        "18446744073709551614",
        "18446744073709551615",
        "18446744073709551616",
    ]
    .iter()
    .cycle()
    .take(6)
    .map(|n| format!("x {n}"))
    .collect();
    assert_eq!(super::notes_text(&over), over.join("; "));
    let past: Vec<String> = (0..6)
        .map(|i| format!("task 18446744073709551615{i} step {i}"))
        .collect();
    let folded = super::notes_text(&past);
    assert!(
        folded.starts_with(&past[0]) && folded.ends_with(&past[5]),
        "{folded}"
    );
}
