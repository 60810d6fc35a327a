//! Each kernel path against what `docs/kernel-facts.md` says it does.

mod common;
use common::*;

const XFS: &str = "fs = \"xfs\"\npreset = \"linux-6.15\"\npages = 2\non_disk = \"written\"";

#[test]
fn buffered_read_reads_ahead_into_a_locked_folio_then_copies() {
    let w = run(&setup(XFS, &[("A", &["read 0"])]), None, "");
    let names = step_names(&w);
    assert_eq!(
        names,
        [
            "xfs_ilock(IOLOCK_SHARED)",
            "page_cache_ra_unbounded",
            "folio_end_read",
            "copy_folio_to_iter"
        ]
    );
    assert_eq!(result(&w, 0, 0), ("4096".into(), vec!["init".into()]));
    let f = w.s.cache.get(0).unwrap();
    assert!(f.uptodate() && !f.locked() && !f.dirty());
}

#[test]
fn buffered_read_stops_at_eof() {
    let w = run(
        &setup("pages = 2\nsize = 1", &[("A", &["read 0-1"])]),
        None,
        "",
    );
    assert_eq!(result(&w, 0, 0), ("4096".into(), vec!["init".into()]));
}

#[test]
fn buffered_write_reserves_delalloc_and_dirties_the_folio() {
    let w = run(
        &setup(
            "fs = \"xfs\"\npages = 4\nsize = 0\non_disk = \"hole\"\nwrite_cache = true",
            &[("A", &["write 0"])],
        ),
        None,
        "",
    );
    assert_eq!(w.s.ext.get(0).kind(), "delalloc");
    // no speculative preallocation for a file under 64 KiB
    // (xfs_iomap_prealloc_size: i_size < m_allocsize)
    assert_eq!(w.s.ext.get(1).kind(), "hole");
    assert_eq!(w.s.i_size, 1);
    let f = w.s.cache.get(0).unwrap();
    assert!(f.dirty() && f.uptodate());
    assert_eq!(w.st.dlabel(0, f.ver), "A1");
    // nothing reached the device
    assert_eq!(w.hist.as_ref().unwrap().counters.device_ios, 0);
    // -o allocsize=16k: up to the next 16 KiB boundary past the write,
    // whatever the size (measured on 6.18: a 4 KiB write at 0 reserves
    // pages 1-3, XFS_ALLOC_ALIGN rounds the end down before adding 4)
    let w = run(
        &setup(
            "fs = \"xfs\"\npages = 8\nsize = 0\non_disk = \"hole\"\n[policy]\nspeculative_prealloc = \"allocsize\"",
            &[("A", &["write 0"])],
        ),
        None,
        "",
    );
    assert!((1..=3).all(|p| w.s.ext.get(p).kind() == "delalloc"));
    assert_eq!(w.s.ext.get(4).kind(), "hole");
}

/// XFS speculative preallocation on files past 64 KiB, as measured on
/// 6.18 (docs/kernel-facts.md, "Speculative preallocation"): twice the
/// extent run before the write, aligned to 64 KiB; 16 pages after a gap;
/// none inside earlier preallocation; with allocsize=16k, up to the next
/// 4-page boundary.
#[test]
fn xfs_speculative_preallocation_follows_the_extents_before_the_write() {
    let delalloc = |w: &dioscope::World| -> Vec<u8> {
        (0..w.st.pages)
            .filter(|&p| w.s.ext.get(p).kind() == "delalloc")
            .collect()
    };
    let file = |policy: &str, ops: &[&str]| {
        run(
            &setup(
                &format!("fs = \"xfs\"\npages = 64\nsize = 0\non_disk = \"hole\"\n{policy}"),
                &[("A", ops)],
            ),
            None,
            "",
        )
    };
    // one 64 KiB write into an empty file: i_size was 0, nothing
    let w = file("", &["write 0-15"]);
    assert_eq!(delalloc(&w), (0..=15).collect::<Vec<_>>());
    // then an append at 64 KiB: twice the 16-page delalloc run, to 192 KiB
    let w = file("", &["write 0-15", "write 16"]);
    assert_eq!(delalloc(&w), (0..=47).collect::<Vec<_>>());
    // an append landing in that preallocation adds nothing
    let w = file("", &["write 0-15", "write 16", "write 17"]);
    assert_eq!(delalloc(&w), (0..=47).collect::<Vec<_>>());
    // after a gap: 16 pages, ending on a 64 KiB boundary
    let w = file("", &["write 0-15", "write 32"]);
    let want: Vec<u8> = (0..=15).chain(32..=47).collect();
    assert_eq!(delalloc(&w), want);
    // after fsync the 48 pages are real extents on consecutive blocks:
    // twice 48, rounded down to 64, from page 48 (clipped to the file)
    let w = file("", &["write 0-15", "write 16", "fsync", "write 48"]);
    assert_eq!(delalloc(&w), (48..=63).collect::<Vec<_>>());
    // allocsize=16k: up to the next 4-page boundary, whatever the size
    let alloc = "[policy]\nspeculative_prealloc = \"allocsize\"";
    let w = file(alloc, &["write 32"]);
    assert_eq!(delalloc(&w), (32..=35).collect::<Vec<_>>());
    let w = file(alloc, &["write 0-15", "write 16-31"]);
    assert_eq!(delalloc(&w), (0..=31).collect::<Vec<_>>());
    // off: never
    let w = file(
        "[policy]\nspeculative_prealloc = \"off\"",
        &["write 0-15", "write 16"],
    );
    assert_eq!(delalloc(&w), (0..=16).collect::<Vec<_>>());
}

#[test]
fn direct_read_flushes_dirty_pages_first_and_returns_the_buffered_data() {
    let w = run(
        &setup(XFS, &[("A", &["write 0", "read 0 direct"])]),
        None,
        "",
    );
    let names = step_names(&w);
    let flush = names
        .iter()
        .position(|n| *n == "iomap_writepage_map")
        .expect("the direct read writes the dirty page back");
    let bio = names
        .iter()
        .position(|n| *n == "iomap_dio_bio_iter")
        .expect("then submits its bio");
    assert!(flush < bio);
    assert_eq!(result(&w, 0, 1), ("4096".into(), vec!["A1".into()]));
    // 5.9+: the page stays cached
    assert!(w.s.cache.get(0).is_some());
    // up to 5.8 the read invalidated it
    let w = run(
        &setup(XFS, &[("A", &["write 0", "read 0 direct"])]),
        Some("linux-5.8"),
        "",
    );
    assert!(w.s.cache.get(0).is_none());
}

#[test]
fn direct_read_of_a_hole_zeroes_without_io() {
    let w = run(
        &setup(
            "fs = \"xfs\"\npages = 1\non_disk = \"hole\"",
            &[("A", &["read 0 direct"])],
        ),
        None,
        "",
    );
    assert_eq!(result(&w, 0, 0).1, vec!["zero"]);
    assert_eq!(w.hist.as_ref().unwrap().counters.device_ios, 0);
}

#[test]
fn direct_write_allocates_unwritten_and_end_io_converts_it() {
    let w = run(
        &setup(
            "fs = \"xfs\"\npages = 1\non_disk = \"hole\"",
            &[("A", &["write 0 direct"])],
        ),
        None,
        "",
    );
    let n = notes(&w);
    assert!(n.contains("unwritten blocks allocated for 0"), "{n}");
    assert!(n.contains("unwritten → written: 0"), "{n}");
    assert_eq!(w.s.ext.get(0).kind(), "written");
    assert_eq!(w.disk_content(0), w.content(0));
    assert_eq!(w.st.dlabel(0, w.content(0)), "A1");
}

#[test]
fn invalidation_of_a_page_dirtied_after_the_flush_fails_with_ebusy() {
    let toml = setup(
        "fs = \"xfs\"\npreset = \"linux-5.8\"\npages = 2\ncached = \"0-1\"",
        &[("A", &["write 0-1 direct"]), ("B", &["mmap-write 1"])],
    );
    // A: lock, flush (clean), invalidate folio 0; B: fault, mkwrite, store
    let w = run(&toml, None, "A:3 B:3 A");
    let n = notes(&w);
    assert!(
        n.contains("folio 1 is dirty again (B1): cannot drop it → -EBUSY"),
        "{n}"
    );
    assert!(n.contains("dio_warn_stale_pagecache"), "{n}");
    assert_eq!(w.s.wb_err.err, 5);
    // 5.9: -ENOTBLK and a buffered fallback instead
    let w = run(&toml, Some("linux-5.9"), "A:3 B:3 A");
    assert!(notes(&w).contains("-ENOTBLK: xfs falls back to a buffered write"));
    assert_eq!(w.hist.as_ref().unwrap().counters.dio_fallbacks, 1);
    assert_eq!(w.s.wb_err.err, 0);
}

#[test]
fn xfs_direct_write_allocates_over_delalloc_a_direct_read_fails_on_it() {
    // B's write fault creates delalloc over the hole between A's flush and
    // A's iomap_begin. A direct write allocates over it
    // (xfs_direct_write_iomap_begin: imap_needs_alloc); a direct read gets
    // the delalloc mapping and iomap_dio_iter fails it with -EIO.
    let toml = setup(
        "fs = \"xfs\"\npages = 1\non_disk = \"hole\"\ncached = \"0\"",
        &[("A", &["write 0 direct"]), ("B", &["mmap-write 0"])],
    );
    let w = run(&toml, None, "A:3 B:3 A");
    assert_eq!(result(&w, 0, 0).0, "4096", "{}", text(&w));
    assert!(!notes(&w).contains("Direct I/O collision"), "{}", text(&w));
    let toml = setup(
        "fs = \"xfs\"\npages = 1\non_disk = \"hole\"\ncached = \"0\"",
        &[("A", &["read 0 direct"]), ("B", &["mmap-write 0"])],
    );
    let w = run(&toml, None, "A:2 B:2 A B");
    assert!(
        notes(&w).contains("Direct I/O collision with buffered writes!"),
        "{}",
        text(&w)
    );
    assert_eq!(result(&w, 0, 0).0, "-EIO");
}

#[test]
fn mmap_write_fault_dirties_and_writeback_write_protects() {
    let w = run(
        &setup(XFS, &[("A", &["mmap-write 0", "writeback"])]),
        None,
        "",
    );
    let names = step_names(&w);
    assert!(
        names.contains(&"xfs_write_fault → iomap_page_mkwrite"),
        "{names:?}"
    );
    assert!(names.contains(&"store"));
    // after writeback started, the PTE is read-only again
    assert_eq!(w.s.tasks[0].pte_rw, 0);
    assert_eq!(w.s.tasks[0].pte_ro, 1);
    assert_eq!(w.st.dlabel(0, w.content(0)), "A1");
}

/// do_sync_mmap_readahead + page_cache_ra_order: 32 pages from
/// max(0, p - 16), clipped to EOF (measured on 6.18 with mincore). The
/// model reads one bio per page into a 16-slot queue, so each case leaves
/// at most 16 pages of the window missing (docs/kernel-facts.md).
#[test]
fn a_fault_reads_around_the_kernels_32_page_window() {
    // (fault, cached before, window)
    for (p, cached, lo, hi) in [
        (5u8, "0-4,6-16", 0u8, 31u8),
        (20, "4-19", 4, 35),
        (40, "24-39", 24, 55),
        (63, "47", 47, 63),
    ] {
        let w = run(
            &setup(
                &format!("fs = \"ext4\"\npages = 64\non_disk = \"written\"\ncached = \"{cached}\""),
                &[("A", &[&format!("mmap-read {p}")])],
            ),
            None,
            "",
        );
        let cached: Vec<u8> = (0..64).filter(|&q| w.s.cache.get(q).is_some()).collect();
        assert_eq!(cached, (lo..=hi).collect::<Vec<_>>(), "fault at {p}");
    }
}

#[test]
fn mmap_past_eof_is_sigbus() {
    let w = run(
        &setup("pages = 2\nsize = 1", &[("A", &["mmap-read 1"])]),
        None,
        "",
    );
    assert_eq!(result(&w, 0, 0).0, "SIGBUS");
}

#[test]
fn writeback_errors_go_to_wb_err_and_each_open_file_reports_once() {
    // A's fsync writes back and fails; B's fsync reports the same error
    // once; A's second fsync returns 0
    let toml = setup(
        XFS,
        &[
            ("A", &["fail-writes 0", "write 0", "fsync", "fsync"]),
            ("B", &["fsync"]),
        ],
    );
    let schedule = "A:5 dev A B";
    let w = run(&toml, None, schedule);
    assert!(notes(&w).contains("mapping_set_error(-EIO)"));
    assert_eq!(result(&w, 0, 2).0, "-EIO");
    assert_eq!(result(&w, 1, 0).0, "-EIO");
    assert_eq!(result(&w, 0, 3).0, "0");
    // the legacy AS_EIO flag: whoever looks first clears it
    let spec = dioscope::run::RunSpec {
        set: vec![("wb_error_report".into(), "as-eio-flag".into())],
        schedule: schedule.into(),
        ..Default::default()
    };
    let (w, _) = spec.run(&scenario(&toml)).unwrap();
    assert_eq!(result(&w, 0, 2).0, "-EIO");
    assert_eq!(
        result(&w, 1, 0).0,
        "0",
        "B never hears of the error\n{}",
        text(&w)
    );
}

#[test]
fn a_crash_loses_unsynced_buffered_data_but_not_fsynced_data() {
    let toml = setup(
        &format!("{XFS}\nwrite_cache = true"),
        &[("A", &["write 0", "fsync", "write 1", "crash", "read 0-1"])],
    );
    let w = run(&toml, None, "");
    assert_eq!(result(&w, 0, 4).1, vec!["A1", "init"]);
    assert!(!fired(&w, "lost-write"));
    assert!(!fired(&w, "stale-read"), "{}", text(&w));
}

#[test]
fn sync_range_writes_back_but_promises_nothing() {
    let toml = setup(
        &format!("{XFS}\nwrite_cache = true"),
        &[("A", &["write 0", "sync-range 0", "crash", "read 0"])],
    );
    let w = run(&toml, None, "");
    // written back, into the volatile cache, never flushed
    assert_eq!(result(&w, 0, 3).1, vec!["init"]);
    assert!(!fired(&w, "lost-write"));
}

#[test]
fn fdatasync_commits_the_allocation_of_delalloc_blocks() {
    let toml = setup(
        "fs = \"xfs\"\npages = 2\nsize = 0\non_disk = \"hole\"\nwrite_cache = true",
        &[("A", &["write 0", "fdatasync", "crash", "read 0"])],
    );
    let w = run(&toml, None, "");
    assert_eq!(result(&w, 0, 3).1, vec!["A1"], "{}", text(&w));
    assert!(step_names(&w).contains(&"xfs_log_force_seq"));
}

#[test]
fn an_o_dsync_direct_overwrite_uses_fua_and_needs_no_flush() {
    let toml = setup(
        &format!("{XFS}\nwrite_cache = true"),
        &[("A", &["write 0 direct dsync", "crash", "read 0"])],
    );
    let w = run(&toml, None, "");
    assert!(notes(&w).contains("(FUA)"));
    assert!(!step_names(&w).contains(&"blkdev_issue_flush"));
    assert_eq!(result(&w, 0, 2).1, vec!["A1"]);
}

#[test]
fn truncate_drops_the_cache_and_frees_blocks_past_the_new_size() {
    let toml = setup(
        &format!("{XFS}\ncached = \"0-1\""),
        &[(
            "A",
            &["write 1", "truncate 1", "read 0-1", "truncate 2", "read 1"],
        )],
    );
    let w = run(&toml, None, "");
    assert!(
        w.s.cache.get(1).is_some_and(|f| f.uptodate()),
        "re-read after extension"
    );
    assert_eq!(
        result(&w, 0, 2),
        ("4096".into(), vec!["init".into()]),
        "short read at the new EOF"
    );
    assert_eq!(
        result(&w, 0, 4).1,
        vec!["zero"],
        "the truncated page reads as a hole"
    );
    assert!(notes(&w).contains("dirty data A1 is discarded"));
}

#[test]
fn punch_writes_back_then_drops_then_frees() {
    let w = run(
        &setup(XFS, &[("A", &["write 0", "punch 0", "read 0"])]),
        None,
        "",
    );
    let names = step_names(&w);
    let wb = names
        .iter()
        .position(|n| *n == "iomap_writepage_map")
        .unwrap();
    let drop = names
        .iter()
        .position(|n| *n == "truncate_inode_pages_range")
        .unwrap();
    let free = names
        .iter()
        .position(|n| *n == "xfs_free_file_space")
        .unwrap();
    assert!(wb < drop && drop < free, "{names:?}");
    assert_eq!(result(&w, 0, 2).1, vec!["zero"]);
}

/// A hole punch writes its range back in steps of its own, each waiting
/// for room in the device queue like any writeback. It once wrote back
/// inside the step that took its last lock, and overflowed a full queue
/// (a panic in `dioscope run`; fuzz engine seed 796102671815).
#[test]
fn a_punch_waits_for_room_in_a_full_queue() {
    let text = setup(
        "fs = \"xfs\"\npages = 21",
        &[
            ("A", &["write 20", "punch 20"]),
            ("B", &["write 0-15", "writeback"]),
        ],
    );
    // B fills the 16-slot queue with writeback; then A dirties page 20
    // and punches it
    let sc = dioscope::scenario::parse("t.toml", &text).unwrap();
    let mut w = dioscope::World::new(&sc, &sc.policy(None).unwrap());
    for a in [(1, 34), (0, 5)] {
        for _ in 0..a.1 {
            w.step(dioscope::world::Actor::Task(a.0)).unwrap();
        }
    }
    assert_eq!(w.s.dev.inflight().len(), 16);
    assert!(
        w.waits()
            .iter()
            .any(|x| x.actor == dioscope::world::Actor::Task(0)
                && x.need == dioscope::world::Need::QueueSpace),
        "A waits for room: {:?}",
        w.waits()
    );
    let w = run(&text, None, "B:34");
    assert_eq!(result(&w, 0, 1).0, "0");
    assert!(notes(&w).contains("page 20 is a hole now"), "{}", notes(&w));
    dioscope::fuzz::check_scenario(&text, 1).unwrap();
}

/// A direct read submits page after page in one step until one must wait.
/// A page served from the cache (2020 proposal) that reclaim evicted is
/// read in again, and that needs room in the queue like any read: it once
/// overflowed a queue the read's own first bio had filled (fuzz engine
/// seed 796102817595).
#[test]
fn a_direct_read_stops_submitting_when_the_queue_fills() {
    let text = setup(
        "fs = \"xfs\"\npreset = \"2020-serve-from-cache\"\npages = 17\ncached = \"1\"",
        &[
            ("A", &["read 0-1 direct"]),
            // 15 writeback bios in flight, then page 1 evicted after A
            // decided to serve it from the cache
            ("B", &["write 2-16", "writeback"]),
            ("C", &["reclaim 1"]),
        ],
    );
    let w = run(&text, None, "B:32 A:2 C:1 A:2");
    assert_eq!(
        result(&w, 0, 0),
        ("8192".into(), vec!["init".into(), "init".into()])
    );
    assert!(notes(&w).contains("folio 1 added, locked; read bio for block 1"));
    dioscope::fuzz::check_scenario(&text, 1).unwrap();
}

#[test]
fn falloc_makes_unwritten_extents_that_read_as_zeroes() {
    let w = run(
        &setup(
            "fs = \"ext4\"\npages = 2\non_disk = \"hole\"",
            &[("A", &["falloc 0-1", "read 0 direct", "read 1"])],
        ),
        None,
        "",
    );
    assert_eq!(w.s.ext.get(0).kind(), "unwritten");
    assert_eq!(result(&w, 0, 1).1, vec!["zero"]);
    assert_eq!(result(&w, 0, 2).1, vec!["zero"]);
}

#[test]
fn reclaim_evicts_only_clean_unmapped_folios() {
    let w = run(
        &setup(
            &format!("{XFS}\ncached = \"0-1\""),
            &[("A", &["write 0", "mmap-read 1", "reclaim"])],
        ),
        None,
        "",
    );
    assert!(w.s.cache.get(0).is_some(), "dirty: kept");
    assert!(w.s.cache.get(1).is_some(), "mapped: kept");
    assert!(
        notes(&w).contains("kept 0 (dirty); kept 1 (mapped)"),
        "{}",
        notes(&w)
    );
    let w = run(
        &setup(
            &format!("{XFS}\ncached = \"0-1\""),
            &[("A", &["reclaim 1"])],
        ),
        None,
        "",
    );
    assert!(w.s.cache.get(0).is_some() && w.s.cache.get(1).is_none());
}

#[test]
fn the_flusher_writes_back_in_the_background() {
    let toml = setup(
        &format!("{XFS}\nflusher = true"),
        &[("A", &["write 0", "read 1"])],
    );
    let w = run(&toml, None, "A:3 flush dev");
    assert!(!w.s.cache.get(0).unwrap().dirty());
    assert_eq!(w.st.dlabel(0, w.disk_content(0)), "A1");
}

#[test]
fn dontcache_writes_drop_their_folios_when_writeback_completes() {
    let w = run(&setup(XFS, &[("A", &["write 0 dontcache"])]), None, "");
    assert!(w.s.cache.get(0).is_none(), "{}", text(&w));
    assert_eq!(w.st.dlabel(0, w.disk_content(0)), "A1");
    let w = run(
        &setup(XFS, &[("A", &["write 0 dontcache"])]),
        Some("linux-6.2"),
        "",
    );
    assert_eq!(result(&w, 0, 0).0, "-EOPNOTSUPP");
}

#[test]
fn btrfs_gup_fault_on_its_own_extent_lock_deadlocks_before_nofault() {
    let toml = setup(
        "fs = \"btrfs\"\npages = 1",
        &[("A", &["read 0 direct into-mmap 0"])],
    );
    let w = run(&toml, Some("linux-5.15"), "");
    assert!(fired(&w, "deadlock"));
    let cycle = w.hist.as_ref().unwrap().deadlock.clone().expect("a cycle");
    assert_eq!(cycle.len(), 1);
    assert_eq!(
        w.describe_cycle(&cycle),
        "A waits for extent lock 0 held by A"
    );
    let w = run(&toml, Some("linux-5.16"), "");
    assert!(!fired(&w, "deadlock"));
    assert_eq!(result(&w, 0, 0).1, vec!["init"]);
}

#[test]
fn a_dax_write_over_poison_fails_unless_recovery_write() {
    let toml = setup(
        "fs = \"xfs\"\npages = 2\ndax = true\npoisoned = \"0\"",
        &[("A", &["write 0", "read 0"])],
    );
    let w = run(&toml, Some("linux-5.7"), "");
    assert_eq!(result(&w, 0, 0).0, "-EIO");
    assert_eq!(result(&w, 0, 1).0, "-EIO");
    let w = run(&toml, Some("linux-6.2"), "");
    assert_eq!(result(&w, 0, 1).1, vec!["A1"]);
    assert_eq!(
        w.hist.as_ref().unwrap().counters.device_ios,
        0,
        "DAX is CPU copies"
    );
}

#[test]
fn unreported_loss_when_a_failed_page_is_evicted_without_fsync() {
    let toml = setup(
        XFS,
        &[("A", &["fail-writes 0", "write 0", "writeback", "reclaim 0"])],
    );
    let w = run(&toml, None, "A:5 dev A");
    assert!(fired(&w, "unreported-loss"), "{}", text(&w));
}

#[test]
fn misdirected_write_is_reported_when_a_bio_lands_on_a_remapped_block() {
    // no policy in the model lets a mapping change under an in-flight bio
    // (i_rwsem and inode_dio_wait prevent it); so move the extent by hand
    let toml = setup(XFS, &[("A", &["write 0 direct"])]);
    let sc = scenario(&toml);
    let mut w = dioscope::World::new(&sc, &sc.policy(None).unwrap());
    while w.s.dev.nbios == 0 {
        w.step(dioscope::Actor::Task(0)).unwrap();
    }
    w.s.ext.set(0, dioscope::extents::Ext::Written(3));
    w.step(dioscope::Actor::Dev(0)).unwrap();
    assert!(fired(&w, "misdirected-write"));
    assert!(w
        .outcomes()
        .iter()
        .any(|o| o.why.contains("block 0, which page 0 no longer maps")));
}

#[test]
fn a_blocked_actor_cannot_step_and_says_why() {
    let toml = setup(XFS, &[("A", &["write 0"]), ("B", &["write 1"])]);
    let sc = scenario(&toml);
    let mut w = dioscope::World::new(&sc, &sc.policy(None).unwrap());
    w.step(dioscope::Actor::Task(0)).unwrap(); // A takes i_rwsem exclusive
    let err = w.step(dioscope::Actor::Task(1)).unwrap_err();
    assert!(
        matches!(err, dioscope::world::StepError::Blocked { by, .. } if by == vec![dioscope::Actor::Task(0)])
    );
    let waits = w.waits();
    assert_eq!(waits.len(), 1);
    assert_eq!(waits[0].need.to_string(), "i_rwsem (exclusive)");
}

#[test]
fn a_trace_jumps_branches_and_replays_under_another_policy() {
    use dioscope::sched::Then;
    use dioscope::trace::Trace;
    let toml = setup(
        "fs = \"xfs\"\npages = 2\ncached = \"0-1\"",
        &[
            ("A", &["write 0-1 direct", "fsync"]),
            ("B", &["mmap-write 1"]),
        ],
    );
    let sc = scenario(&toml);
    let p58 = dioscope::Policy::preset("linux-5.8").unwrap();
    let names: Vec<String> = "A A A B B B".split(' ').map(String::from).collect();
    let t = Trace::record(&sc, &p58, &names, Then::First).unwrap();
    assert!(t.end.is_done());
    assert_eq!(t.states.len(), t.len() + 1);
    // the world at step 6 is the replayed world at step 6
    let w6 = t.world_at(6);
    let mut r = dioscope::World::new(&sc, &p58);
    for n in &names {
        let a = dioscope::sched::resolve(&r, n).unwrap();
        r.step(a).unwrap();
    }
    assert_eq!(w6.s, r.s);
    assert_eq!(w6.enabled(), r.enabled());
    // branch at step 3: A instead of B
    let b = t.branch(3, dioscope::Actor::Task(0), Then::First).unwrap();
    assert_eq!(&b.names()[..4], ["A", "A", "A", "A"]);
    assert!(b.end.hist.as_ref().unwrap().steps.len() == b.len());
    // the same schedule under 5.9: it stays possible here, and spurious-eio is gone
    let p59 = dioscope::Policy::preset("linux-5.9").unwrap();
    let (t59, div) = t.replay_under(&sc, &p59);
    let fired58 = t
        .end
        .outcomes()
        .iter()
        .any(|o| o.outcome.name() == "spurious-eio");
    let fired59 = t59
        .end
        .outcomes()
        .iter()
        .any(|o| o.outcome.name() == "spurious-eio");
    assert!(fired58 && !fired59, "{div:?}");
}

#[test]
fn timed_runs_put_the_threads_cost_arguments_in_figures() {
    use dioscope::timed::{run, Costs, PMEM};
    let sc = dioscope::library::find("dax-odirect-poison")
        .unwrap()
        .parse()
        .unwrap();
    let time = |preset: &str| {
        let t = run(
            &sc,
            &dioscope::Policy::preset(preset).unwrap(),
            Costs::new(PMEM, 4),
        );
        assert!(t.world.is_done());
        assert!(t.total_ns >= t.ops.iter().filter_map(|o| o.end_ns).max().unwrap());
        t.ops[0].end_ns.unwrap() - t.ops[0].start_ns
    };
    // Harrosh, 2016-05: O_DIRECT through the block layer is slower than
    // the DAX copy (under these costs; the figures follow the costs)
    assert!(time("2016-dax-direct-io") > 3 * time("linux-6.2"));
}
