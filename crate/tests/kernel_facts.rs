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
    let ops: &[&str] = &["fail-writes 0", "write 0", "writeback", "write 0 direct", "fsync"];
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
        &[("A", &["fail-writes 0", "write 0", "writeback", "write 0", "fsync"])],
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
