//! The model against the kernel facts of docs/kernel-facts.md: one test (or
//! more) per fact that issue 11 found the model contradicting. Each test
//! names the section of docs/kernel-facts.md that gives the source.

mod common;
use common::*;

use dioscope::explore::{explore, Options};
use dioscope::outcome::{Outcome, Verdict};
use dioscope::World;

/// Every verdict of `toml` under `preset` (the scenario's own if `None`).
fn verdicts(toml: &str, preset: Option<&str>) -> dioscope::explore::Report {
    let sc = scenario(toml);
    let w = World::new_quiet(&sc, &sc.policy(preset).unwrap());
    let r = explore(
        &w,
        &Options {
            reduction: true,
            ..Default::default()
        },
        |_| true,
    );
    assert!(r.stats.complete, "exploration did not complete");
    r
}

fn verdict(r: &dioscope::explore::Report, o: Outcome) -> Verdict {
    r.verdict(o).verdict
}

const XFS1: &str = "fs = \"xfs\"\npages = 1\non_disk = \"written\"";

/// kernel-facts.md "Writeback errors": a failed writeback leaves the folio
/// clean and uptodate with data the device never got, and
/// mapping_set_error() makes fsync return -EIO. That -EIO reports a real
/// loss: it is never spurious, and once it is reported the loss is not
/// unreported, even when the folio is evicted and the old data read back.
#[test]
fn a_failed_writeback_makes_fsync_eio_a_true_report() {
    let r = verdicts(
        &setup(XFS1, &[("A", &["fail-writes 0", "write 0", "fsync"])]),
        None,
    );
    assert_eq!(verdict(&r, Outcome::SpuriousEio), Verdict::Never);
    assert_eq!(verdict(&r, Outcome::UnreportedLoss), Verdict::Never);
    let r = verdicts(
        &setup(
            XFS1,
            &[(
                "A",
                &["fail-writes 0", "write 0", "fsync", "reclaim", "read 0"],
            )],
        ),
        None,
    );
    assert_eq!(verdict(&r, Outcome::SpuriousEio), Verdict::Never);
    assert_eq!(verdict(&r, Outcome::UnreportedLoss), Verdict::Never);
    // without the fsync nobody is told: that loss is unreported
    let r = verdicts(
        &setup(
            XFS1,
            &[("A", &["fail-writes 0", "write 0", "writeback", "reclaim"])],
        ),
        None,
    );
    assert_eq!(verdict(&r, Outcome::UnreportedLoss), Verdict::Always);
}

/// kernel-facts.md "Direct I/O over delalloc": a direct write never fails
/// on delalloc (xfs_direct_write_iomap_begin allocates over it); a direct
/// read does on XFS, and on ext4 since its delayed extents became
/// IOMAP_DELALLOC (6.12; zeroes before), never on btrfs.
#[test]
fn only_direct_reads_collide_with_delalloc() {
    for fs in ["xfs", "ext4", "btrfs"] {
        let toml = setup(
            &format!("fs = \"{fs}\"\npages = 1\non_disk = \"hole\"\ncached = \"0\""),
            &[("A", &["write 0 direct"]), ("B", &["mmap-write 0"])],
        );
        let r = verdicts(&toml, Some("linux-6.18"));
        assert_eq!(verdict(&r, Outcome::SyscallError), Verdict::Never, "{fs}");
    }
    let eio = |fs: &str, preset: &str| {
        let toml = setup(
            &format!("fs = \"{fs}\"\npages = 1\non_disk = \"hole\"\ncached = \"0\""),
            &[("A", &["read 0 direct"]), ("B", &["mmap-write 0"])],
        );
        verdict(&verdicts(&toml, Some(preset)), Outcome::SyscallError)
    };
    assert_eq!(eio("xfs", "linux-5.9"), Verdict::Sometimes);
    assert_eq!(eio("xfs", "linux-6.18"), Verdict::Sometimes);
    assert_eq!(eio("ext4", "linux-6.2"), Verdict::Never);
    assert_eq!(eio("ext4", "linux-6.18"), Verdict::Sometimes);
    assert_eq!(eio("btrfs", "linux-6.18"), Verdict::Never);
}

/// kernel-facts.md "Flush errors before a direct write": since the kiocb
/// helpers (6.5) a writeback error found by the direct write's flush
/// becomes -ENOTBLK and a buffered fallback: the write succeeds and the
/// error waits in wb_err for fsync. Before 6.5 the write returned it.
#[test]
fn a_flush_error_before_a_direct_write_falls_back_since_6_5() {
    let ops: &[&str] = &[
        "fail-writes 0",
        "write 0",
        "writeback",
        "write 0 direct",
        "fsync",
    ];
    for fs in ["xfs", "ext4"] {
        let toml = setup(
            &format!("fs = \"{fs}\"\npages = 1\non_disk = \"written\"\nwrite_cache = false"),
            &[("A", ops)],
        );
        let w = run(&toml, Some("linux-6.2"), "A:6 dev");
        assert_eq!(result(&w, 0, 3).0, "-EIO", "{fs}\n{}", text(&w));
        let w = run(&toml, Some("linux-6.18"), "A:6 dev");
        assert_eq!(result(&w, 0, 3).0, "4096", "{fs}\n{}", text(&w));
        assert!(notes(&w).contains("-ENOTBLK"), "{}", text(&w));
        // the error is still in wb_err: the next fsync reports it
        assert_eq!(result(&w, 0, 4).0, "-EIO", "{fs}\n{}", text(&w));
    }
}

/// The -EIO of a failed writeback is a true report even when a newer
/// write has replaced the lost data by the time fsync runs: errseq
/// reports the error once per open file (kernel-facts.md "errseq"). (If
/// the newer write replaced the data before the writeback failed, nothing
/// was ever lost, and the -EIO is spurious: SOMETIMES over all schedules.)
#[test]
fn an_eio_for_data_lost_and_then_rewritten_is_not_spurious() {
    let toml = setup(
        "fs = \"xfs\"\npages = 1\non_disk = \"written\"\nwrite_cache = false",
        &[(
            "A",
            &["fail-writes 0", "write 0", "writeback", "write 0", "fsync"],
        )],
    );
    // the writeback fails (dev) before A's second write
    let w = run(&toml, Some("linux-6.18"), "A:5 dev");
    assert_eq!(result(&w, 0, 4).0, "-EIO", "{}", text(&w));
    assert!(!fired(&w, "spurious-eio"), "{}", text(&w));
    // the writeback fails after A's second write replaced the data
    let w = run(&toml, Some("linux-6.18"), "A:8 dev");
    assert_eq!(result(&w, 0, 4).0, "-EIO", "{}", text(&w));
    assert!(fired(&w, "spurious-eio"), "{}", text(&w));
}

/// kernel-facts.md "btrfs direct I/O, 5.7 to 5.10": the conversion to
/// iomap_dio_rw() was in the 5.8 merge window, reverted, and came back in
/// 5.10-rc1; released 5.7, 5.8 and 5.9 ran fs/direct-io.c, which falls back to a buffered write when the
/// pre-write invalidation fails, takes no i_rwsem for direct reads and
/// never invalidates for them.
#[test]
fn released_5_8_btrfs_runs_the_old_direct_io_code() {
    use dioscope::policy::{BtrfsDioPath, Policy, PRESETS};
    let path = |p: &str| Policy::preset(p).unwrap().btrfs_dio_path;
    assert_eq!(path("linux-5.7"), BtrfsDioPath::DirectIo);
    assert_eq!(path("linux-5.8"), BtrfsDioPath::DirectIo);
    assert_eq!(path("linux-5.8-merge-window"), BtrfsDioPath::Iomap);
    assert_eq!(path("linux-5.9"), BtrfsDioPath::DirectIo);
    assert_eq!(path("linux-5.10"), BtrfsDioPath::Iomap);
    // no release's description says the conversion shipped in 5.8
    let p58 = PRESETS.iter().find(|p| p.name == "linux-5.8").unwrap();
    assert!(p58.summary.contains("reverted"), "{}", p58.summary);
    // a direct read: no inode lock, no invalidation
    let toml = setup(
        "fs = \"btrfs\"\npages = 1\non_disk = \"written\"\ncached = \"0\"",
        &[("A", &["read 0 direct"])],
    );
    let w = run(&toml, Some("linux-5.8"), "");
    let names = step_names(&w);
    assert_eq!(names[0], "generic_file_read_iter", "{names:?}");
    assert!(!names.iter().any(|n| n.contains("inode_lock")), "{names:?}");
    assert!(w.s.cache.get(0).is_some(), "the read invalidated the page");
    // the same read on the merge-window tree: iomap, which invalidated then
    let w = run(&toml, Some("linux-5.8-merge-window"), "");
    assert!(w.s.cache.get(0).is_none(), "{}", text(&w));
}

/// kernel-facts.md "2020-06/07 proposals": no preset lets -ENOTBLK reach
/// user space from the 2020 race on xfs, ext4 or btrfs.
#[test]
fn enotblk_never_reaches_user_space() {
    use dioscope::policy::PRESETS;
    for fs in ["xfs", "ext4", "btrfs"] {
        let toml = setup(
            &format!("fs = \"{fs}\"\npages = 2\non_disk = \"written\"\ncached = \"0-1\""),
            &[
                ("A", &["write 0-1 direct", "fsync"]),
                ("B", &["mmap-write 1"]),
            ],
        );
        let sc = scenario(&toml);
        for p in PRESETS.iter().filter(|p| !p.name.starts_with("2016")) {
            let r = verdicts(&toml, Some(p.name));
            let start = World::new(&sc, &sc.policy(Some(p.name)).unwrap());
            assert!(!r.results.is_empty());
            for t in &r.results {
                let w = dioscope::explore::replay(&start, &t.witness);
                let h = w.hist.as_ref().unwrap();
                assert!(h.syscalls.iter().all(|c| c.ret.is_some()));
                assert!(
                    !h.syscalls.iter().any(|c| c.ret
                        == Some(dioscope::world::Ret::Err(dioscope::world::Errno::ENOTBLK))),
                    "{fs} {}: {}",
                    p.name,
                    text(&w)
                );
            }
        }
    }
}

/// kernel-facts.md "nofault": only btrfs (and gfs2) pin with FOLL_NOFAULT
/// and retry; XFS and ext4 let get_user_pages() fault, without deadlock.
/// btrfs keeps the inode lock across the retry.
#[test]
fn only_btrfs_retries_without_faulting_and_keeps_its_inode_lock() {
    for fs in ["xfs", "ext4"] {
        let toml = setup(
            &format!("fs = \"{fs}\"\npages = 1\non_disk = \"written\""),
            &[("A", &["read 0 direct into-mmap 0"])],
        );
        let w = run(&toml, Some("linux-6.18"), "");
        assert!(!notes(&w).contains("FOLL_NOFAULT"), "{}", text(&w));
        assert!(
            notes(&w).contains("get_user_pages: user page 0"),
            "{}",
            text(&w)
        );
        assert_eq!(result(&w, 0, 0).0, "4096", "{}", text(&w));
        let r = verdicts(&toml, Some("linux-6.18"));
        assert_eq!(verdict(&r, Outcome::Deadlock), Verdict::Never, "{fs}");
    }
    let toml = setup(
        "fs = \"btrfs\"\npages = 2\non_disk = \"written\"",
        &[("A", &["read 1 direct into-mmap 0"])],
    );
    let sc = scenario(&toml);
    let mut w = World::new(&sc, &sc.policy(Some("linux-6.18")).unwrap());
    let mut held_during_retry = false;
    while !w.is_done() {
        let a = w.enabled().get(0);
        w.step(a).unwrap();
        let last = w.hist.as_ref().unwrap().steps.last().unwrap();
        if last.notes.iter().any(|n| n.contains("short read")) {
            held_during_retry =
                w.s.locks
                    .i_rwsem
                    .held_by(dioscope::world::Holder(0))
                    .is_some();
        }
    }
    assert!(notes(&w).contains("FOLL_NOFAULT"), "{}", text(&w));
    assert!(held_during_retry, "{}", text(&w));
}

/// kernel-facts.md "Direct-write i_rwsem modes": an aligned XFS direct
/// write holds the IOLOCK shared, also when it appends; one that starts
/// past EOF takes it exclusive to zero the gap and demotes it before the
/// I/O. ext4 holds it exclusive to extend the file.
#[test]
fn xfs_direct_writes_run_under_a_shared_iolock() {
    let mode_at_submit = |toml: &str| {
        let sc = scenario(toml);
        let mut w = World::new(&sc, &sc.policy(Some("linux-6.18")).unwrap());
        let mut mode = None;
        while !w.is_done() {
            let a = w.enabled().get(0);
            let info = w.step(a).unwrap();
            if info.name.contains("submit_bio") && mode.is_none() {
                mode = w.s.locks.i_rwsem.held_by(dioscope::world::Holder(0));
            }
        }
        (mode, step_names(&w).join(" "))
    };
    use dioscope::locks::Mode;
    // append (pos == EOF): shared, no upgrade
    let (m, names) = mode_at_submit(&setup(
        "fs = \"xfs\"\npages = 2\nsize = 1\non_disk = \"written\"",
        &[("A", &["write 1 direct"])],
    ));
    assert_eq!(m, Some(Mode::Shared), "{names}");
    assert!(!names.contains("xfs_ilock(IOLOCK_EXCL)"), "{names}");
    // past EOF (a gap): exclusive to zero it, then demoted
    let (m, names) = mode_at_submit(&setup(
        "fs = \"xfs\"\npages = 3\nsize = 1\non_disk = \"written\"",
        &[("A", &["write 2 direct"])],
    ));
    assert_eq!(m, Some(Mode::Shared), "{names}");
    assert!(names.contains("xfs_ilock(IOLOCK_EXCL)"), "{names}");
    assert!(names.contains("xfs_ilock_demote"), "{names}");
    // ext4 extends under the exclusive lock
    let (m, names) = mode_at_submit(&setup(
        "fs = \"ext4\"\npages = 2\nsize = 1\non_disk = \"written\"",
        &[("A", &["write 1 direct"])],
    ));
    assert_eq!(m, Some(Mode::Excl), "{names}");
}

/// kernel-facts.md "btrfs direct writes to checksummed files": since 6.15
/// btrfs writes them through the page cache (and then writes back and
/// invalidates the range); direct reads stay direct.
#[test]
fn btrfs_direct_writes_go_buffered_since_6_15() {
    let toml = setup(
        "fs = \"btrfs\"\npages = 1\non_disk = \"written\"",
        &[("A", &["write 0 direct", "read 0 direct"])],
    );
    let w = run(&toml, Some("linux-6.18"), "");
    assert_eq!(
        w.hist.as_ref().unwrap().counters.dio_fallbacks,
        1,
        "{}",
        text(&w)
    );
    assert!(notes(&w).contains("data checksums"), "{}", text(&w));
    assert!(
        step_names(&w).contains(&"iomap_dio_bio_iter"),
        "{}",
        text(&w)
    );
    assert_eq!(result(&w, 0, 1), ("4096".into(), vec!["A1".into()]));
    let w = run(&toml, Some("linux-6.2"), "");
    assert_eq!(
        w.hist.as_ref().unwrap().counters.dio_fallbacks,
        0,
        "{}",
        text(&w)
    );
}

/// kernel-facts.md "RWF_DONTCACHE": kiocb_set_rw_flags() wants
/// FOP_DONTCACHE, which XFS sets since 6.14, ext4 since ~6.17 and btrfs not
/// as of 6.18, and refuses DAX files; direct I/O takes the flag and
/// ignores it (-EOPNOTSUPP or not, buffered and direct, checked on the
/// 6.18 kernel with preadv2/pwritev2).
#[test]
fn rwf_dontcache_depends_on_the_filesystem_and_the_release() {
    let ret_dax = |fs: &str, preset: &str, op: &str, dax: bool| {
        let toml = setup(
            &format!("fs = \"{fs}\"\npages = 1\non_disk = \"written\"\ndax = {dax}"),
            &[("A", &[op])],
        );
        let w = run(&toml, Some(preset), "");
        if result(&w, 0, 0).0 == "-EOPNOTSUPP" {
            // refused at the syscall's entry, before any filesystem lock
            assert_eq!(step_names(&w), ["kiocb_set_rw_flags"], "{}", text(&w));
        }
        result(&w, 0, 0).0
    };
    let ret = |fs: &str, preset: &str, op: &str| ret_dax(fs, preset, op, false);
    for op in ["write 0 dontcache", "read 0 dontcache"] {
        assert_eq!(
            ret_dax("xfs", "linux-6.18", op, true),
            "-EOPNOTSUPP",
            "{op}"
        );
        assert_eq!(
            ret_dax("ext4", "linux-6.18", op, true),
            "-EOPNOTSUPP",
            "{op}"
        );
    }
    for op in ["write 0 direct dontcache", "read 0 direct dontcache"] {
        assert_eq!(ret("xfs", "linux-6.18", op), "4096", "{op}");
        assert_eq!(ret("ext4", "linux-6.18", op), "4096", "{op}");
        assert_eq!(ret("btrfs", "linux-6.18", op), "-EOPNOTSUPP", "{op}");
        assert_eq!(ret("xfs", "linux-6.2", op), "-EOPNOTSUPP", "{op}");
    }
    for op in ["write 0 dontcache", "read 0 dontcache"] {
        assert_eq!(ret("xfs", "linux-6.15", op), "4096", "{op}");
        assert_eq!(ret("ext4", "linux-6.15", op), "-EOPNOTSUPP", "{op}");
        assert_eq!(ret("ext4", "linux-6.18", op), "4096", "{op}");
        assert_eq!(ret("btrfs", "linux-6.18", op), "-EOPNOTSUPP", "{op}");
        assert_eq!(ret("xfs", "linux-6.2", op), "-EOPNOTSUPP", "{op}");
    }
}

/// kernel-facts.md "RWF_DONTCACHE": a dropbehind folio is dropped when
/// its writeback completes in task context (XFS; ext4 only when the
/// completion converts an unwritten extent, checked on 6.18), unmapped
/// first if it is mapped; a write fault's lookup clears the mark.
#[test]
fn dropbehind_folios_go_when_writeback_ends_in_task_context() {
    let cached_after = |fs: &str, on_disk: &str, ops: &[&str]| {
        let toml = setup(
            &format!("fs = \"{fs}\"\npages = 1\non_disk = \"{on_disk}\"\nwrite_cache = false"),
            &[("A", ops)],
        );
        let w = run(&toml, Some("linux-6.18"), "");
        (w.s.cache.get(0).is_some(), text(&w))
    };
    // an overwrite of a written block
    assert!(!cached_after("xfs", "written", &["write 0 dontcache"]).0);
    let (c, t) = cached_after("ext4", "written", &["write 0 dontcache"]);
    assert!(c, "{t}");
    // a new block (delalloc → unwritten → converted in a workqueue)
    let (c, t) = cached_after("ext4", "hole", &["write 0 dontcache"]);
    assert!(!c, "{t}");
    // mapped by a read fault (fault-around does not clear the mark): the
    // folio is unmapped and dropped when writeback ends
    let toml = setup(
        "fs = \"xfs\"\npages = 1\non_disk = \"written\"\nwrite_cache = false",
        &[("A", &["write 0 dontcache", "mmap-read 0", "writeback"])],
    );
    let w = run(&toml, Some("linux-6.18"), "A:6 dev");
    assert!(w.s.cache.get(0).is_none(), "{}", text(&w));
    assert_eq!(w.s.tasks[0].pte_ro, 0, "{}", text(&w));
    // a write fault clears the mark: the folio stays
    let (c, t) = cached_after(
        "xfs",
        "written",
        &["write 0 dontcache", "mmap-write 0", "fsync"],
    );
    assert!(c, "{t}");
}

/// kernel-facts.md "2020-07: serve from the page cache" (Wilcox, Hellwig):
/// never invalidate for direct I/O. A direct write copies into the pages
/// that are cached, writes them back and leaves them cached, serialised
/// like a buffered write; only the uncached pages go direct. A direct
/// read copies cached pages out of the cache with no flush.
#[test]
fn serve_from_cache_copies_cached_pages_and_never_invalidates() {
    use dioscope::locks::Mode;
    let toml = setup(
        "fs = \"xfs\"\npages = 2\non_disk = \"written\"\ncached = \"0\"",
        &[("A", &["write 0-1 direct"])],
    );
    let sc = scenario(&toml);
    let mut w = World::new(&sc, &sc.policy(Some("2020-serve-from-cache")).unwrap());
    let a = w.enabled().get(0);
    w.step(a).unwrap();
    assert_eq!(
        w.s.locks.i_rwsem.held_by(dioscope::world::Holder(0)),
        Some(Mode::Excl),
        "a cached page makes the direct write serialise"
    );
    while !w.is_done() {
        let a = w.enabled().get(0);
        w.step(a).unwrap();
    }
    let f = w.s.cache.get(0).expect("the cached page stays cached");
    assert!(!f.dirty() && w.st.dlabel(0, f.ver) == "A1", "{}", text(&w));
    assert!(w.s.cache.get(1).is_none(), "{}", text(&w));
    let c = &w.hist.as_ref().unwrap().counters;
    assert_eq!(
        c.cpu_bytes,
        4096,
        "one page copied by the CPU\n{}",
        text(&w)
    );
    assert!(!step_names(&w).contains(&"invalidate_inode_pages2_range"));
    assert_eq!(w.disk_content(0), w.disk_content(1));
    // mainline copies nothing and drops the page
    let w = run(&toml, Some("linux-5.8"), "");
    assert_eq!(w.hist.as_ref().unwrap().counters.cpu_bytes, 0);
    assert!(w.s.cache.get(0).is_none());
    // a direct read of a dirty cached page: copied from the cache, no flush
    let toml = setup(
        "fs = \"xfs\"\npages = 1\non_disk = \"written\"",
        &[("A", &["write 0", "read 0 direct"])],
    );
    let w = run(&toml, Some("2020-serve-from-cache"), "");
    assert_eq!(result(&w, 0, 1), ("4096".into(), vec!["A1".into()]));
    assert!(w.s.cache.get(0).unwrap().dirty(), "{}", text(&w));
    assert_eq!(
        w.hist.as_ref().unwrap().counters.device_ios,
        0,
        "{}",
        text(&w)
    );
}

/// Chinner's objection to serving direct I/O from the cache is cost: the
/// CPU copies and the serialisation show on the timed clock.
#[test]
fn serve_from_cache_costs_cpu_copies_on_the_timed_clock() {
    use dioscope::timed::{run as timed, Costs, NVME};
    let toml = setup(
        "fs = \"xfs\"\npages = 2\non_disk = \"written\"\ncached = \"0-1\"",
        &[("A", &["write 0-1 direct"]), ("B", &["write 0-1 direct"])],
    );
    let sc = scenario(&toml);
    let cpu = |p: &str| {
        let t = timed(&sc, &sc.policy(Some(p)).unwrap(), Costs::new(NVME, 2));
        (t.cpu_ns, t.world.hist.as_ref().unwrap().counters.cpu_bytes)
    };
    let (mainline_ns, mainline_bytes) = cpu("linux-5.8");
    let (served_ns, served_bytes) = cpu("2020-serve-from-cache");
    assert_eq!(mainline_bytes, 0);
    assert!(served_bytes >= 2 * 4096, "{served_bytes}");
    assert!(served_ns > mainline_ns, "{served_ns} vs {mainline_ns}");
}

/// kernel-facts.md "fstests generic/647": a fault on a missing page reads
/// around it (do_sync_mmap_readahead, 32 pages by default), and a write
/// fault on a private mapping copies the page (do_cow_fault) and never
/// dirties the file's folio.
#[test]
fn faults_read_around_and_private_write_faults_copy() {
    let toml = setup(
        "fs = \"xfs\"\npages = 4\non_disk = \"written\"",
        &[("A", &["read 2 direct into-mmap 1 private"])],
    );
    let w = run(&toml, Some("linux-6.18"), "");
    // every page of the small file was read in by the fault's read-around
    assert!((0..4).all(|p| w.s.cache.get(p).is_some()), "{}", text(&w));
    // the direct read landed in A's private copy of page 1: the file's
    // folio 1 is clean and still holds init
    let f = w.s.cache.get(1).unwrap();
    assert!(
        !f.dirty() && w.st.dlabel(1, f.ver) == "init",
        "{}",
        text(&w)
    );
    assert!(step_names(&w).contains(&"do_cow_fault"), "{}", text(&w));
    assert_eq!(w.s.tasks[0].priv_anon, 1 << 1);
    assert_eq!(result(&w, 0, 0), ("4096".into(), vec!["init".into()]));
}

/// kernel-facts.md "Crash and the volatile write cache": data that no
/// flush or FUA covered may or may not survive a power failure, whether
/// it sits in the device's cache or in a bio still in flight; data that
/// fsync promised always does.
#[test]
fn unflushed_data_may_or_may_not_survive_a_crash() {
    let toml = setup(
        "fs = \"xfs\"\npages = 2\non_disk = \"written\"\nwrite_cache = true",
        &[(
            "A",
            &[
                "write 0",
                "fsync",
                "write 1",
                "writeback",
                "crash",
                "read 0",
                "read 1",
            ],
        )],
    );
    let sc = scenario(&toml);
    let start = World::new(&sc, &sc.policy(Some("linux-6.18")).unwrap());
    let r = verdicts(&toml, Some("linux-6.18"));
    assert_eq!(verdict(&r, Outcome::LostWrite), Verdict::Never);
    let mut page1 = std::collections::BTreeSet::new();
    for t in &r.results {
        let w = dioscope::explore::replay(&start, &t.witness);
        assert_eq!(result(&w, 0, 5).1, vec!["A1".to_string()], "{}", text(&w));
        page1.insert(result(&w, 0, 6).1[0].clone());
    }
    assert_eq!(
        page1.into_iter().collect::<Vec<_>>(),
        ["A2", "init"],
        "page 1's unflushed write sometimes survives, sometimes not"
    );
}

/// kernel-facts.md "fstests generic/451" (332391a9935d, 4.14): before the
/// fix an AIO direct write completed in the bio's context and nothing
/// invalidated a page read in while it was in flight; since, the
/// completion runs in a workqueue and invalidates after ->end_io.
#[test]
fn an_aio_direct_write_invalidates_after_its_completion_since_4_14() {
    let toml = setup(
        "fs = \"xfs\"\npages = 1\non_disk = \"written\"",
        &[("A", &["write 0 direct aio"]), ("B", &["read 0", "read 0"])],
    );
    let r = verdicts(&toml, Some("linux-6.18"));
    assert_eq!(verdict(&r, Outcome::StaleCache), Verdict::Never);
    assert_eq!(verdict(&r, Outcome::StaleRead), Verdict::Never);
    let sc = scenario(&toml);
    let mut p = sc.policy(Some("linux-6.18")).unwrap();
    p.set("dio_aio_complete", "irq").unwrap();
    let w = World::new_quiet(&sc, &p);
    let r = explore(
        &w,
        &Options {
            reduction: true,
            ..Default::default()
        },
        |_| true,
    );
    assert_eq!(r.verdict(Outcome::StaleCache).verdict, Verdict::Sometimes);
    assert_eq!(r.verdict(Outcome::StaleRead).verdict, Verdict::Sometimes);
    // io_submit returns before the write completes: A is done with its
    // op, its write is still in flight while B reads
    let mut w = World::new(&sc, &sc.policy(Some("linux-6.18")).unwrap());
    for a in ["A", "A", "A", "A", "A", "B", "B"] {
        let a = dioscope::sched::resolve(&w, a).unwrap();
        w.step(a).unwrap();
    }
    assert!(notes(&w).contains("-EIOCBQUEUED"), "{}", text(&w));
    assert!(w.s.tasks[0].aio.active(), "{}", text(&w));
    assert_eq!(w.s.tasks[0].op, 1);
    assert_eq!(result(&w, 0, 0).0, "none", "{}", text(&w));
}

/// kernel-facts.md "Buffered write and read": a buffered write to part of
/// a folio that is not uptodate reads the block first when the mapping
/// says it holds data (`__iomap_write_begin`, `ext4_da_write_begin`,
/// btrfs `prepare_uptodate_folio`), and zeroes the rest when it is a hole;
/// the syscall returns the bytes written, not whole pages.
#[test]
fn a_partial_buffered_write_reads_the_block_or_zeroes_a_hole() {
    for fs in ["xfs", "ext4", "btrfs"] {
        for (on_disk, rest) in [("written", "init"), ("hole", "zero")] {
            let toml = setup(
                &format!("fs = \"{fs}\"\npages = 2\nsize = 2\non_disk = \"{on_disk}\""),
                &[("A", &["write 0-1 bytes 100-4195", "read 0-1"])],
            );
            let w = run(&toml, Some("linux-6.18"), "");
            assert_eq!(result(&w, 0, 0).0, "4096", "{fs}: {}", text(&w));
            assert_eq!(
                result(&w, 0, 1).1,
                vec![format!("{rest}+A1"), format!("A1+{rest}")],
                "{fs} {on_disk}: {}",
                text(&w)
            );
            assert_eq!(
                step_names(&w).contains(&"iomap_write_begin: read the page"),
                on_disk == "written",
                "{fs} {on_disk}: {}",
                text(&w)
            );
        }
    }
}

/// kernel-facts.md "Buffered write and read", the validity cookie
/// (d7b64041164c, 304a68b9c63b, 6.2): before it, XFS wrote a partial folio
/// by the iomap it looked up before the loop; writeback and reclaim in
/// between made it stale, and the rest of the folio was zeroed over the
/// data writeback had just written. ext4 maps each folio as it goes.
#[test]
fn a_stale_cached_iomap_zeroed_written_data_before_6_2() {
    let toml = |fs: &str| {
        setup(
            &format!(
                "fs = \"{fs}\"\npages = 2\nsize = 2\non_disk = \"hole\"\nflusher = true\nreclaim = true"
            ),
            &[("B", &["write 1"]), ("A", &["write 0-1 bytes 0-4195"])],
        )
    };
    let r = verdicts(&toml("xfs"), Some("linux-5.15"));
    assert_eq!(verdict(&r, Outcome::UnreportedLoss), Verdict::Sometimes);
    for preset in ["linux-6.2", "linux-6.18"] {
        let r = verdicts(&toml("xfs"), Some(preset));
        assert_eq!(
            verdict(&r, Outcome::UnreportedLoss),
            Verdict::Never,
            "{preset}"
        );
        assert_eq!(verdict(&r, Outcome::StaleIomap), Verdict::Never, "{preset}");
    }
    let r = verdicts(&toml("ext4"), Some("linux-5.15"));
    assert_eq!(verdict(&r, Outcome::UnreportedLoss), Verdict::Never);
    // with the cookie, the folio the stale lookup created is read once the
    // mapping is looked up again
    let w = run(
        &toml("xfs"),
        Some("linux-6.18"),
        "B:3 A:3 flush dev flush dev reclaim reclaim A:3",
    );
    assert!(notes(&w).contains("cookie 2 != 6"), "{}", text(&w));
    assert!(
        notes(&w).contains("part of page 1 is written: read it first"),
        "{}",
        text(&w)
    );
}

/// kernel-facts.md "Direct I/O and the page cache" (5a9d929d6e13): when
/// the invalidation after a direct write fails because a store through
/// mmap dirtied part of a folio read in while the write was in flight,
/// the folio's stale bytes overwrite the direct write: the warning's
/// "Possible data corruption" is real, and the -EIO reports it.
#[test]
fn a_partial_store_after_a_direct_write_can_lose_its_data() {
    let toml = setup(
        "fs = \"xfs\"\npages = 1\non_disk = \"written\"\ncached = \"0\"",
        &[
            ("A", &["write 0 direct", "fsync"]),
            ("B", &["mmap-write 0 bytes 0-99"]),
        ],
    );
    let w = run(&toml, Some("linux-6.18"), "A:5 B dev@1 B:3 dev A:3 dev A");
    assert_eq!(result(&w, 0, 1).0, "-EIO", "{}", text(&w));
    assert_eq!(w.st.dlabel(0, w.disk_content(0)), "B1+init", "{}", text(&w));
    assert!(!fired(&w, "spurious-eio"), "{}", text(&w));
    assert_eq!(result(&w, 1, 0).0, "100");
}

/// Runs task A (first runnable, devices held back) until folio `p` is under
/// writeback; returns the world.
fn a_until_writeback(toml: &str, preset: &str, p: u8) -> World {
    use dioscope::world::Actor;
    let sc = scenario(toml);
    let mut w = World::new(&sc, &sc.policy(Some(preset)).unwrap());
    while !w.s.cache.get(p).is_some_and(|f| f.writeback()) {
        assert!(w.enabled().contains(Actor::Task(0)), "{}", text(&w));
        w.step(Actor::Task(0)).unwrap();
    }
    w
}

/// Steps task B while it can move; whether folio `p` is dirty then.
fn b_dirties(w: &mut World, p: u8) -> bool {
    use dioscope::world::Actor;
    while w.enabled().contains(Actor::Task(1)) && !w.s.cache.get(p).unwrap().dirty() {
        w.step(Actor::Task(1)).unwrap();
    }
    w.s.cache.get(p).unwrap().dirty()
}

/// Completes the in-flight "bio" of kind `kind` for page `p`.
fn dev_completes(w: &mut World, p: u8, kind: dioscope::device::BioKind) {
    let k =
        w.s.dev
            .inflight()
            .iter()
            .position(|b| b.page == p && b.kind == kind)
            .unwrap_or_else(|| panic!("no {kind:?} for page {p}\n{}", text(w)));
    w.step(dioscope::world::Actor::Dev(k as u8)).unwrap();
}

/// kernel-facts.md "page_mkwrite and writeback" (review 13, finding 1):
/// btrfs_page_mkwrite waits for the folio's writeback, then for its
/// pending ordered extent, before it dirties the folio; XFS and ext4
/// (iomap_page_mkwrite, ext4_page_mkwrite: only folio_wait_stable) dirty a
/// folio under writeback on a device without stable pages.
#[test]
fn btrfs_page_mkwrite_waits_for_writeback_and_the_ordered_extent() {
    use dioscope::device::BioKind;
    for preset in [
        "linux-5.8-merge-window",
        "linux-5.9",
        "linux-6.2",
        "linux-6.18",
    ] {
        for fs in ["xfs", "ext4", "btrfs"] {
            let toml = setup(
                &format!("fs = \"{fs}\"\npages = 2\non_disk = \"written\"\ncached = \"0-1\""),
                &[
                    ("A", &["write 0-1", "sync-range 0-1"]),
                    ("B", &["mmap-write 1"]),
                ],
            );
            let mut w = a_until_writeback(&toml, preset, 1);
            let dirtied = b_dirties(&mut w, 1);
            if fs != "btrfs" {
                assert!(dirtied, "{fs} {preset}: {}", text(&w));
                continue;
            }
            assert!(!dirtied, "{preset}: dirtied under writeback\n{}", text(&w));
            dev_completes(&mut w, 1, BioKind::Writeback);
            assert!(
                !b_dirties(&mut w, 1),
                "{preset}: dirtied with the ordered extent pending\n{}",
                text(&w)
            );
            dev_completes(&mut w, 1, BioKind::OrderedFinish);
            assert!(b_dirties(&mut w, 1), "{preset}: {}", text(&w));
        }
    }
}

/// kernel-facts.md "btrfs direct I/O, 5.7 to 5.10" (review 13, finding 2):
/// on 5.10 and the 5.8 merge-window tree btrfs_file_write_iter takes
/// inode_lock exclusive and btrfs_direct_IO drops it for a write within
/// i_size, running iomap_dio_rw without it; an extending write keeps it.
/// The shared lock for direct overwrites came in 5.11.
#[test]
fn btrfs_direct_writes_take_inode_lock_exclusive_before_5_11() {
    use dioscope::locks::Mode;
    let at_submit = |toml: &str, preset: &str| {
        let sc = scenario(toml);
        let mut w = World::new(&sc, &sc.policy(Some(preset)).unwrap());
        let mut first = None;
        let mut mode = None;
        while !w.is_done() {
            let a = w.enabled().get(0);
            let info = w.step(a).unwrap();
            if first.is_none() {
                first = Some((
                    info.name,
                    w.s.locks.i_rwsem.held_by(dioscope::world::Holder(0)),
                ));
            }
            if info.name.contains("submit_bio") && mode.is_none() {
                mode = Some(w.s.locks.i_rwsem.held_by(dioscope::world::Holder(0)));
            }
        }
        (first.unwrap(), mode.unwrap(), text(&w))
    };
    let within = setup(
        "fs = \"btrfs\"\npages = 2\non_disk = \"written\"",
        &[("A", &["write 0 direct"])],
    );
    let extending = setup(
        "fs = \"btrfs\"\npages = 2\nsize = 1\non_disk = \"written\"",
        &[("A", &["write 1 direct"])],
    );
    for preset in [
        "linux-5.8-merge-window",
        "linux-5.10",
        "2020-eio-after-write",
    ] {
        let ((name, _), mode, t) = at_submit(&within, preset);
        assert_eq!(name, "btrfs_file_write_iter: inode_lock", "{t}");
        assert_eq!(mode, None, "{preset}: the overwrite runs unlocked\n{t}");
        assert!(t.contains("drops inode_lock"), "{t}");
        assert!(!t.contains("inode_lock_shared"), "{t}");
        let (_, mode, t) = at_submit(&extending, preset);
        assert_eq!(mode, Some(Mode::Excl), "{preset}\n{t}");
    }
    let ((name, m), mode, t) = at_submit(&within, "linux-5.15");
    assert_eq!(name, "btrfs_inode_lock(SHARED)", "{t}");
    assert_eq!(m, Some(Mode::Shared), "{t}");
    assert_eq!(mode, Some(Mode::Shared), "{t}");
}

/// kernel-facts.md "fsync's waits" (review 13, finding 8): fsync waits for
/// its journal write in the filesystem's own code; only a bare cache flush
/// sleeps in submit_bio_wait.
#[test]
fn fsync_waits_for_the_journal_in_each_filesystems_own_code() {
    for (fs, wait) in [
        ("xfs", "xlog_force_lsn"),
        ("ext4", "jbd2_log_wait_commit"),
        ("btrfs", "wait_dev_supers"),
    ] {
        let toml = setup(
            &format!("fs = \"{fs}\"\npages = 1\non_disk = \"hole\"\nwrite_cache = true"),
            &[("A", &["write 0", "fsync"])],
        );
        let w = run(&toml, Some("linux-6.18"), "");
        let names = step_names(&w);
        assert!(names.contains(&wait), "{fs}: {names:?}");
        assert!(!names.contains(&"submit_bio_wait"), "{fs}: {names:?}");
    }
    // fdatasync of an overwrite: no metadata, only the cache flush
    let toml = setup(
        "fs = \"xfs\"\npages = 1\non_disk = \"written\"\nwrite_cache = true",
        &[("A", &["write 0", "fdatasync"])],
    );
    let w = run(&toml, Some("linux-6.18"), "");
    let names = step_names(&w);
    assert!(names.contains(&"blkdev_issue_flush"), "{names:?}");
    assert!(names.contains(&"submit_bio_wait"), "{names:?}");
}

/// kernel-facts.md "DAX" (review 13, finding 5): a poisoned pmem block is
/// refused by dax_direct_access (the driver's badblocks list) before any
/// copy: -EIO up to 5.18, -EHWPOISON and a recovery write for writes since.
#[test]
fn dax_poison_is_refused_by_dax_direct_access_before_any_copy() {
    let toml = setup(
        "fs = \"xfs\"\ndax = true\npages = 2\non_disk = \"written\"\npoisoned = \"1\"",
        &[("A", &["write 1 direct", "read 1 direct"])],
    );
    let w = run(&toml, Some("linux-5.7"), "");
    let n = notes(&w);
    assert!(n.contains("dax_direct_access: badblocks → -EIO"), "{n}");
    assert!(!n.contains("machine check"), "{n}");
    assert_eq!(result(&w, 0, 0).0, "-EIO");
    let w = run(&toml, Some("linux-6.2"), "");
    let n = notes(&w);
    assert!(n.contains("-EHWPOISON"), "{n}");
    assert!(n.contains("DAX_RECOVERY_WRITE"), "{n}");
    assert_eq!(result(&w, 0, 0).0, "4096");
}

/// kernel-facts.md "Names by release" (review 13, findings 9-11).
#[test]
fn step_names_follow_the_release_review_13() {
    use dioscope::fs::Fs;
    use dioscope::policy::{DioPreInvalidateFail, Kernel, Policy};
    use dioscope::release::step_name;
    // __filemap_fdatawait_range called wait_on_page_writeback until ~6.2
    assert_eq!(
        step_name("folio_wait_writeback", Fs::Xfs, Kernel(5, 16)),
        "wait_on_page_writeback"
    );
    assert_eq!(
        step_name("folio_wait_writeback", Fs::Xfs, Kernel(6, 2)),
        "folio_wait_writeback"
    );
    // XFS's direct-write end_io before iomap_dio_rw (4.10)
    assert_eq!(
        step_name("xfs_dio_write_end_io", Fs::Xfs, Kernel(4, 6)),
        "xfs_end_io_direct_write"
    );
    // the 2016 preset (~4.6): XFS only warned on a failed invalidation
    assert_eq!(
        Policy::preset("2016-dax-direct-io")
            .unwrap()
            .dio_pre_invalidate_fail,
        DioPreInvalidateFail::Ignore
    );
    // 6.5+: the direct write flushes and invalidates through kiocb helpers
    let toml = setup(
        "fs = \"xfs\"\npages = 1\non_disk = \"written\"\ncached = \"0\"",
        &[("A", &["write 0", "write 0 direct"])],
    );
    let names = step_names(&run(&toml, Some("linux-6.18"), ""));
    assert!(
        names.contains(&"kiocb_invalidate_pages: invalidate_inode_pages2_range"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"invalidate_inode_pages2_range"),
        "{names:?}"
    );
    // nothing dirty: the flush is one step
    let clean = setup(
        "fs = \"xfs\"\npages = 1\non_disk = \"written\"\ncached = \"0\"",
        &[("A", &["write 0 direct"])],
    );
    let names = step_names(&run(&clean, Some("linux-6.18"), ""));
    assert!(
        names.contains(&"kiocb_invalidate_pages: filemap_write_and_wait_range"),
        "{names:?}"
    );
    let names = step_names(&run(&clean, Some("linux-6.2"), ""));
    assert!(names.contains(&"filemap_write_and_wait_range"), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("kiocb_")), "{names:?}");
}

/// review 13, finding 6: btrfs's iomap_dio_ops has no ->end_io, so no
/// btrfs end_io step follows the direct write's bios.
#[test]
fn btrfs_direct_writes_have_no_end_io_step() {
    let toml = setup(
        "fs = \"btrfs\"\npages = 1\non_disk = \"written\"",
        &[("A", &["write 0 direct"])],
    );
    for preset in ["linux-5.10", "linux-6.2"] {
        let names = step_names(&run(&toml, Some(preset), ""));
        assert!(!names.contains(&"btrfs_dio_end_io"), "{names:?}");
        assert!(names.contains(&"iomap_dio_complete"), "{names:?}");
    }
}

/// review 13, finding 12: invalidate_mapping_pages after a btrfs buffered
/// fallback that could drop nothing says so (its note once ended in
/// "dropped " with nothing after it).
#[test]
fn a_fallback_that_drops_nothing_says_so() {
    let sc = dioscope::library::find("btrfs-dio-mmap-eio")
        .unwrap()
        .parse()
        .unwrap();
    let mut seen = false;
    for p in dioscope::policy::PRESETS {
        let Ok(pol) = sc.policy(Some(p.name)) else {
            continue;
        };
        let mut w = World::new(&sc, &pol);
        while !w.is_done() {
            let a = w.enabled().get(0);
            w.step(a).unwrap();
        }
        let n = notes(&w);
        assert!(
            !n.lines().any(|l| l.trim_end().ends_with("dropped")),
            "{}: {n}",
            p.name
        );
        seen |= n.contains("invalidate_mapping_pages: no folio could be dropped");
    }
    assert!(seen, "no run of the scenario drops nothing");
}
