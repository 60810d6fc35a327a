//! What of a scenario can run on a real kernel, and how its results are
//! named: the lab's plan, shared by the executor and the report.

use crate::observe::Returned;
use crate::ops::Op;
use crate::policy::{Kernel, PRESETS};
use crate::scenario::{OnDisk, Scenario};

/// Bytes in a page (the model's unit, and the kernel's on x86-64).
pub const PAGE: u64 = 4096;

/// Something of the scenario that cannot be done on a live kernel, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NotRun {
    /// What: an op as written (`A: crash`) or a setup field.
    pub what: String,
    pub why: String,
}

/// The file bytes an op reads or writes through its buffer or its
/// mapping, as (offset, length): its pages, or its `bytes A-B` counted from
/// its first page. `None` for ops that move no data.
pub fn span(op: &Op) -> Option<(u64, usize)> {
    let pages = match *op {
        Op::Read { range, .. } | Op::Write { range, .. } => range.len(),
        Op::MmapRead(..) | Op::MmapWrite(..) => 1,
        _ => return None,
    };
    let off = crate::observe::op_start(op)?;
    let len = match op.bytes() {
        Some((_, b)) => (b.hi - b.lo + 1) as usize,
        None => usize::from(pages) * PAGE as usize,
    };
    Some((off, len))
}

/// Pages an op may leave dirty in the page cache.
fn dirties(op: &Op) -> crate::world::Pages {
    match *op {
        Op::Write {
            range,
            direct: false,
            ..
        } => range.mask(),
        // a direct write may fall back to a buffered one
        Op::Write { range, .. } => range.mask(),
        Op::MmapWrite(p, _) => 1 << p,
        Op::Read {
            range,
            into_mmap: Some(base),
            ..
        } => crate::ops::Range {
            lo: base,
            hi: base.saturating_add(range.len() - 1),
        }
        .mask(),
        _ => 0,
    }
}

/// Everything of `sc` that cannot be done on a live kernel. Empty when the
/// scenario can run.
pub fn not_runnable(sc: &Scenario) -> Vec<NotRun> {
    let mut out = Vec::new();
    let s = &sc.setup;
    if s.dax {
        out.push(NotRun {
            what: "setup: dax = true".into(),
            why: "DAX needs persistent memory (pmem); this machine has none".into(),
        });
    }
    if s.poisoned != 0 {
        out.push(NotRun {
            what: "setup: poisoned".into(),
            why: "media errors cannot be planted in a real device".into(),
        });
    }
    let all = crate::ops::Range {
        lo: 0,
        hi: s.pages - 1,
    }
    .mask();
    // pages that may be dirty when task `ti`'s op `oi` runs: what any other
    // task's ops, or this task's earlier ops, may dirty
    let dirty_at = |ti: usize, oi: usize| -> crate::world::Pages {
        let mut m = 0;
        for (tj, t) in sc.tasks.iter().enumerate() {
            for (oj, o) in t.ops.iter().enumerate() {
                if tj != ti || oj < oi {
                    m |= dirties(o);
                }
            }
        }
        m & all
    };
    for (ti, t) in sc.tasks.iter().enumerate() {
        for (oi, op) in t.ops.iter().enumerate() {
            let why = match op {
                Op::Crash => Some(
                    "a power failure cannot be caused on a live machine (and device-mapper's \
                     flakey and log-writes targets are not available here)"
                        .to_string(),
                ),
                Op::FailWrites(_) => Some(
                    "failing writes need a device that fails them (dm-flakey or dm-error); \
                     device-mapper is not available here"
                        .to_string(),
                ),
                Op::Reclaim(r) => {
                    let dirtied = dirty_at(ti, oi);
                    let range = r.map_or(dirtied, |r| r.mask() & dirtied);
                    (range != 0).then(|| {
                        format!(
                            "reclaim is run as posix_fadvise(POSIX_FADV_DONTNEED), which evicts \
                             what the model's reclaim evicts (clean, unlocked, unmapped, unpinned \
                             folios: invalidate_mapping_pages) but first starts writeback of dirty \
                             pages, which reclaim does not; pages {} may be dirty here",
                            crate::util::fmt_set(range)
                        )
                    })
                }
                _ => None,
            };
            if let Some(why) = why {
                out.push(NotRun {
                    what: format!("{}: {op}", t.name),
                    why,
                });
            }
        }
    }
    out
}

/// What differs between the scenario and what the kernel run can set up,
/// without making the comparison unsound (the kernel then shows a subset
/// of what the model allows).
pub fn caveats(sc: &Scenario) -> Vec<String> {
    let mut out = Vec::new();
    let s = &sc.setup;
    if s.flusher {
        out.push(
            "flusher = true: the kernel's flusher runs on its own schedule (dirty_expire, 30 s); \
             runs this short do not see it"
                .to_string(),
        );
    }
    if s.reclaim {
        out.push(
            "reclaim = true: kswapd cannot be made to run; the kernel runs without memory pressure"
                .to_string(),
        );
    }
    if s.write_cache {
        out.push(
            "write_cache = true: the device's volatile cache matters only at a power failure, \
             which the lab cannot cause"
                .to_string(),
        );
    }
    out
}

/// `"A: fsync"`, or `"A: fsync #2"` when the task has more than one such op
/// (the spelling of `[[expect]] result = ...`).
pub fn result_name(sc: &Scenario, task: usize, op: usize) -> String {
    let t = &sc.tasks[task];
    let o = &t.ops[op];
    let same: Vec<usize> = t
        .ops
        .iter()
        .enumerate()
        .filter(|(_, x)| *x == o)
        .map(|(i, _)| i)
        .collect();
    if same.len() > 1 {
        let k = same.iter().position(|&i| i == op).unwrap() + 1;
        format!("{}: {o} #{k}", t.name)
    } else {
        format!("{}: {o}", t.name)
    }
}

/// What a syscall result is called: for a read that returned data, the
/// versions read (`A1 zero`); otherwise the return value (`8192`, `-EIO`);
/// `(no return)` if it never returned, `(not started)` if it never began.
pub fn value(ret: Option<&Returned>, began: bool, read: &[String]) -> String {
    match ret {
        _ if !began => "(not started)".into(),
        None => "(no return)".into(),
        Some(Returned::Ok(n)) if *n > 0 && !read.is_empty() => {
            crate::view::runs_text(read.iter().map(String::as_str))
        }
        Some(r) => r.to_string(),
    }
}

/// The kernel release from `uname -r` (`6.18.44-fc-v669`) as (major, minor).
pub fn parse_release(release: &str) -> Option<Kernel> {
    let mut it = release.split(|c: char| !c.is_ascii_digit());
    let major = it.next()?.parse().ok()?;
    let minor = it.next()?.parse().ok()?;
    Some(Kernel(major, minor))
}

/// The preset that models kernel `release`: the release preset of the same
/// version, else the newest release preset not newer than it.
pub fn preset_for_release(release: &str) -> Option<&'static str> {
    let k = parse_release(release)?;
    PRESETS
        .iter()
        .filter(|p| !p.proposal && p.kernel <= k)
        .max_by_key(|p| p.kernel)
        .map(|p| p.name)
}

/// How the scenario's setup is made on a real file, in words.
pub fn setup_words(sc: &Scenario) -> String {
    let s = &sc.setup;
    let how = match s.on_disk {
        OnDisk::Written => "written (pwrite, fsync)",
        OnDisk::Unwritten => "unwritten (fallocate)",
        OnDisk::Hole => "a hole (ftruncate)",
    };
    let cached = if s.cached == 0 {
        "nothing cached".to_string()
    } else {
        format!(
            "pages {} read into the cache",
            crate::util::fmt_set(s.cached)
        )
    };
    format!(
        "{} pages, size {} pages, {how}; evicted (POSIX_FADV_DONTNEED), {cached}",
        s.pages, s.size
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preset_follows_the_running_kernel() {
        assert_eq!(preset_for_release("6.18.44-fc-v669"), Some("linux-6.18"));
        assert_eq!(preset_for_release("6.17.1"), Some("linux-6.15"));
        assert_eq!(preset_for_release("5.10.0-28-amd64"), Some("linux-5.10"));
        assert_eq!(preset_for_release("5.9.16"), Some("linux-5.9"));
        assert_eq!(preset_for_release("5.14.21"), Some("linux-5.10"));
        assert_eq!(preset_for_release("7.1"), Some("linux-6.18"));
        assert_eq!(preset_for_release("4.19"), None);
        assert_eq!(preset_for_release("garbage"), None);
        assert_eq!(preset_for_release(""), None);
    }

    #[test]
    fn what_cannot_run_says_why() {
        let sc = crate::library::find("fsync-retry-after-error")
            .unwrap()
            .parse()
            .unwrap();
        let nr = not_runnable(&sc);
        assert!(nr.iter().any(|n| n.what == "A: crash"), "{nr:?}");
        assert!(nr.iter().any(|n| n.what == "A: fail-writes 0"), "{nr:?}");
        let sc = crate::library::find("dio-write-vs-mmap-store")
            .unwrap()
            .parse()
            .unwrap();
        assert!(not_runnable(&sc).is_empty());
        // A's reclaim may meet its own dirty page 0; B's, nothing dirty;
        // A's store to page 1 comes after A's reclaim... but B's reclaim 1
        // may meet it
        let text = "title = \"t\"\n[setup]\npages = 3\n[[task]]\nname = \"A\"\nops = [\"write 0\", \"reclaim\", \"mmap-write 1\"]\n[[task]]\nname = \"B\"\nops = [\"reclaim 2\", \"reclaim 1\"]\n";
        let sc = crate::scenario::parse("t.toml", text).unwrap();
        let nr = not_runnable(&sc);
        assert_eq!(nr.len(), 2, "{nr:?}");
        assert_eq!(nr[0].what, "A: reclaim");
        assert_eq!(nr[1].what, "B: reclaim 1");
        let text = "title = \"t\"\n[setup]\npages = 2\n[[task]]\nname = \"A\"\nops = [\"reclaim\", \"write 0\"]\n";
        let sc = crate::scenario::parse("t.toml", text).unwrap();
        assert!(not_runnable(&sc).is_empty());
    }

    #[test]
    fn results_are_named_as_expectations_name_them() {
        let sc = crate::library::find("fsync-retry-after-error")
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(result_name(&sc, 0, 2), "A: fsync #1");
        assert_eq!(result_name(&sc, 0, 3), "A: fsync #2");
        assert_eq!(result_name(&sc, 0, 1), "A: write 0");
        assert_eq!(value(Some(&Returned::Ok(4096)), true, &["A1".into()]), "A1");
        assert_eq!(value(Some(&Returned::Ok(0)), true, &[]), "0");
        assert_eq!(
            value(Some(&Returned::Err("-EIO".into())), true, &[]),
            "-EIO"
        );
        assert_eq!(value(None, true, &[]), "(no return)");
        assert_eq!(value(None, false, &[]), "(not started)");
    }
}
