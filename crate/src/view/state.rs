//! The state at one step, as a front end shows it: the page cache (each
//! folio's flags in words), the extent map, the device's blocks and write
//! cache and the bios in flight, the locks with their holders and
//! waiters, the errors and counts (errseq values, i_dio_count), and each
//! task's op.
//!
//! Every list has the same length and order for every state of a
//! scenario (a lock nobody holds is in it, marked not `shown`), so that
//! two views compare entry by entry.

use serde::Serialize;

use super::{errno_name, Ver, WaitView};
use crate::device::BioKind;
use crate::errseq::Errseq;
use crate::extents::Ext;
use crate::locks::{LockId, RwSem};
use crate::pagecache::{Folio, DIRTY, DROPBEHIND, ORDERED, UPTODATE, WRITEBACK};
use crate::paths::Path;
use crate::world::{Actor, Holder, Need, World, MAX_TASKS};

/// The state of a world, as words and numbers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StateView {
    /// One per page of the file.
    pub pages: Vec<PageView>,
    /// One per page of the file.
    pub extents: Vec<ExtentView>,
    /// One per device block.
    pub blocks: Vec<BlockView>,
    /// The device has a volatile write cache.
    pub write_cache: bool,
    /// In submission order (the oldest is `dev`, the next `dev@1`).
    pub bios: Vec<BioView>,
    pub locks: Vec<LockView>,
    /// Every actor that wants to run but cannot.
    pub waits: Vec<WaitView>,
    /// Errors and counts: i_size, i_dio_count, wb_err, each task's file
    /// cursor, AS_EIO.
    pub numbers: Vec<NumberView>,
    pub tasks: Vec<TaskView>,
}

/// What kind of mark a [`Badge`] is (a front end styles each kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum BadgeKind {
    NotUptodate,
    Locked,
    Dirty,
    Writeback,
    Ordered,
    Dropbehind,
    Pinned,
    Mapped,
    DioMarker,
    NotCached,
    VolatileCache,
    Poisoned,
    FailsNext,
}

/// A flag or a fact about a page or a block, in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Badge {
    pub kind: BadgeKind,
    /// `dirty`, `locked A`, `mapped A rw, B`, `volatile cache`.
    pub text: String,
    /// The version it is about, if any (the write cache's content).
    pub ver: Option<Ver>,
}

fn badge(kind: BadgeKind, text: impl Into<String>) -> Badge {
    Badge {
        kind,
        text: text.into(),
        ver: None,
    }
}

/// A page of the file in the page cache.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PageView {
    pub index: u8,
    /// The folio's data; `None` when the page is not cached.
    pub ver: Option<Ver>,
    /// The folio's data is valid (PG_uptodate).
    pub uptodate: bool,
    /// get_user_pages() pins held by direct I/O.
    pub pins: u8,
    /// Its flags and facts, in the order a reader checks them.
    pub badges: Vec<Badge>,
}

/// What an extent maps a page to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum ExtKind {
    Hole,
    Delalloc,
    Unwritten,
    Written,
}

/// A page's extent mapping.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExtentView {
    pub page: u8,
    pub kind: ExtKind,
    /// `hole`, `delalloc`, `unwritten`, `written`.
    pub name: &'static str,
    /// The device block it maps to (unwritten and written extents).
    pub block: Option<u8>,
    /// What a read sees when it does not go to the block (which zeroes).
    pub zeroes: Option<Ver>,
}

/// A device block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BlockView {
    pub index: u8,
    /// What the media holds.
    pub media: Ver,
    /// The write cache's content, poison, an injected failure.
    pub badges: Vec<Badge>,
}

/// A bio in flight (or btrfs's ordered-extent work, which the device
/// actor runs too).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BioView {
    /// The actor that completes it: `dev`, `dev@1`, ...
    pub actor: String,
    /// What it is: `writeback`, `page read`, `journal write`, ...
    pub kind: &'static str,
    /// It carries data to the device.
    pub write: bool,
    /// The data it writes.
    pub ver: Option<Ver>,
    /// The block it writes or reads (data bios only).
    pub block: Option<u8>,
    /// The file page it is for.
    pub page: u8,
    /// Who submitted it.
    pub owner: String,
    /// REQ_FUA.
    pub fua: bool,
}

/// A sleeping lock (or the btrfs extent locks, as one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LockView {
    /// `i_rwsem`, `mmap_lock of A`, `extent locks`.
    pub name: String,
    /// Who holds it: `free`, `A (exclusive)`, `A, B (shared)`, `0: A, 1: A`.
    pub value: String,
    pub held: bool,
    /// Who waits for it.
    pub waiting: Vec<String>,
    /// Worth a line: the filesystem's own locks always, the others while
    /// held or waited for.
    pub shown: bool,
}

/// A labelled value: a size, a count, an errseq.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NumberView {
    pub name: String,
    pub value: String,
    /// What it is, in a sentence.
    pub tip: &'static str,
    /// Worth a line (AS_EIO only where the policy uses it, or once set).
    pub shown: bool,
}

/// The op a task is at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TaskOp {
    /// 1-based position in the task's list.
    pub n: usize,
    pub of: usize,
    /// The op as written.
    pub text: String,
    /// Inside the op's syscall (else it is the next to start).
    pub running: bool,
    /// The kernel path it is in (a direct write that fell back is in the
    /// buffered write path); empty between ops.
    pub path: &'static str,
}

/// A task.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TaskView {
    pub name: String,
    /// `None` when every op has returned.
    pub op: Option<TaskOp>,
    /// Pages its direct I/O has pinned (FOLL_PIN).
    pub pinned: Vec<u8>,
    /// Pages its shared mapping maps: (page, writable).
    pub mapped: Vec<(u8, bool)>,
}

impl StateView {
    pub fn of(w: &World) -> StateView {
        let waits = w.waits();
        StateView {
            pages: (0..w.st.pages).map(|p| page(w, p)).collect(),
            extents: (0..w.st.pages).map(|p| extent(w, p)).collect(),
            blocks: (0..w.st.nblocks).map(|b| block(w, b)).collect(),
            write_cache: w.st.write_cache,
            bios: bios(w),
            locks: locks(w, &waits),
            waits: waits.iter().map(|x| WaitView::of(w, x)).collect(),
            numbers: numbers(w),
            tasks: (0..w.st.ntasks()).map(|t| task(w, t)).collect(),
        }
    }
}

fn holder_name(w: &World, h: u8) -> String {
    w.actor_name(Actor::of_holder(Holder(h)))
}

fn bits(mask: crate::world::Pages, n: u8) -> impl Iterator<Item = u8> {
    (0..n).filter(move |p| mask & (1 << p) != 0)
}

fn folio_badges(w: &World, f: &Folio, out: &mut Vec<Badge>) {
    if !f.uptodate() {
        out.push(badge(BadgeKind::NotUptodate, "not uptodate"));
    }
    if f.locked() {
        out.push(badge(
            BadgeKind::Locked,
            format!("locked {}", holder_name(w, f.lock - 1)),
        ));
    }
    for (flag, kind, text) in [
        (DIRTY, BadgeKind::Dirty, "dirty"),
        (WRITEBACK, BadgeKind::Writeback, "writeback"),
        (ORDERED, BadgeKind::Ordered, "ordered"),
        (DROPBEHIND, BadgeKind::Dropbehind, "dropbehind"),
    ] {
        if f.has(flag) {
            out.push(badge(kind, text));
        }
    }
    if f.pins > 0 {
        out.push(badge(BadgeKind::Pinned, "pinned"));
    }
}

fn page(w: &World, p: u8) -> PageView {
    let f = w.s.cache.get(p);
    let mut badges = Vec::new();
    match f {
        Some(f) => folio_badges(w, f, &mut badges),
        None => badges.push(badge(BadgeKind::NotCached, "not cached")),
    }
    let mapped: Vec<String> = (0..w.st.ntasks())
        .filter_map(|t| {
            let task = &w.s.tasks[t];
            let name = w.st.task_name(t as u8);
            if task.pte_rw & (1 << p) != 0 {
                Some(format!("{name} rw"))
            } else {
                (task.pte_ro & (1 << p) != 0).then(|| name.to_string())
            }
        })
        .collect();
    if !mapped.is_empty() {
        badges.push(badge(
            BadgeKind::Mapped,
            format!("mapped {}", mapped.join(", ")),
        ));
    }
    if let Some(h) = w.s.cache.marker(p) {
        badges.push(badge(
            BadgeKind::DioMarker,
            format!("DIO in progress {}", holder_name(w, h.0)),
        ));
    }
    PageView {
        index: p,
        ver: f.map(|f| Ver::of_data(w, p, f.ver)),
        uptodate: f.is_some_and(|f| f.has(UPTODATE)),
        pins: f.map_or(0, |f| f.pins),
        badges,
    }
}

fn extent(w: &World, p: u8) -> ExtentView {
    let e = w.s.ext.get(p);
    let kind = match e {
        Ext::Hole(_) => ExtKind::Hole,
        Ext::Delalloc(_) => ExtKind::Delalloc,
        Ext::Unwritten(..) => ExtKind::Unwritten,
        Ext::Written(_) => ExtKind::Written,
    };
    ExtentView {
        page: p,
        kind,
        name: e.kind(),
        block: e.block(),
        zeroes: e.zeroes().map(|v| Ver::of(w, v)),
    }
}

fn block(w: &World, b: u8) -> BlockView {
    let d = &w.s.dev;
    let bit: crate::world::Blocks = 1 << b;
    let mut badges = Vec::new();
    if let Some(v) = d.vcache[b as usize] {
        badges.push(Badge {
            kind: BadgeKind::VolatileCache,
            text: "volatile cache".into(),
            ver: Some(Ver::of_data(w, w.page_of_block(b).unwrap_or(0), v)),
        });
    }
    if d.poison & bit != 0 {
        badges.push(badge(BadgeKind::Poisoned, "poisoned"));
    }
    if d.fail & bit != 0 {
        badges.push(badge(BadgeKind::FailsNext, "next write fails"));
    }
    BlockView {
        index: b,
        media: Ver::of_data(w, w.page_of_block(b).unwrap_or(0), d.media[b as usize]),
        badges,
    }
}

fn bios(w: &World) -> Vec<BioView> {
    let inflight = w.s.dev.inflight();
    inflight
        .iter()
        .enumerate()
        .map(|(k, b)| {
            let data = matches!(
                b.kind,
                BioKind::Writeback | BioKind::DioWrite | BioKind::ReadFolio | BioKind::DioRead
            );
            BioView {
                actor: w.actor_name(Actor::Dev(k as u8)),
                kind: b.kind.name(),
                write: b.kind.is_write(),
                ver: b.kind.is_write().then(|| Ver::of_data(w, b.page, b.ver)),
                block: data.then_some(b.block),
                page: b.page,
                owner: holder_name(w, b.owner.0),
                fua: b.fua,
            }
        })
        .collect()
}

/// `free`, `A (exclusive)`, `A, B (shared)`.
fn holders(w: &World, s: &RwSem) -> String {
    if s.is_free() {
        return "free".into();
    }
    let mut out = String::new();
    if s.writer != 0 {
        out = format!("{} (exclusive)", holder_name(w, s.writer - 1));
    }
    let readers: Vec<String> = (0..8u8)
        .filter(|i| s.readers & (1 << i) != 0)
        .map(|i| holder_name(w, i))
        .collect();
    if !readers.is_empty() {
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str(&readers.join(", "));
        out.push_str(" (shared)");
    }
    out
}

fn waiting(w: &World, waits: &[crate::world::Wait], f: impl Fn(&Need) -> bool) -> Vec<String> {
    waits
        .iter()
        .filter(|x| f(&x.need))
        .map(|x| w.actor_name(x.actor))
        .collect()
}

fn locks(w: &World, waits: &[crate::world::Wait]) -> Vec<LockView> {
    let l = &w.s.locks;
    let mut sems: Vec<(String, LockId, bool)> = vec![
        ("i_rwsem".into(), LockId::IRwsem, true),
        ("invalidate_lock".into(), LockId::InvalidateLock, true),
        ("dio_rwsem".into(), LockId::DioRwsem, false),
        ("i_mmap_lock (btrfs)".into(), LockId::BtrfsMmap, false),
    ];
    for t in 0..w.st.ntasks() as u8 {
        sems.push((
            format!("mmap_lock of {}", w.st.task_name(t)),
            LockId::MmapLock(t),
            false,
        ));
    }
    let mut out: Vec<LockView> = sems
        .into_iter()
        .map(|(name, id, always)| {
            let sem = l.get(id);
            let waiting = waiting(w, waits, |n| matches!(n, Need::Lock(x, _) if *x == id));
            LockView {
                name,
                value: holders(w, sem),
                held: !sem.is_free(),
                shown: always || !sem.is_free() || !waiting.is_empty(),
                waiting,
            }
        })
        .collect();
    let held: Vec<String> = (0..w.st.pages)
        .filter(|&p| l.extent[p as usize] != 0)
        .map(|p| {
            let e = l.extent[p as usize];
            match crate::locks::ordered_owner(e) {
                Some(h) => format!("{p}: {}'s ordered extent", holder_name(w, h.0)),
                None => format!("{p}: {}", holder_name(w, e - 1)),
            }
        })
        .collect();
    let waiting = waiting(w, waits, |n| matches!(n, Need::ExtentLock(..)));
    out.push(LockView {
        name: "extent locks".into(),
        value: if held.is_empty() {
            "free".into()
        } else {
            held.join(", ")
        },
        held: !held.is_empty(),
        shown: !held.is_empty() || !waiting.is_empty(),
        waiting,
    });
    out
}

/// `-EIO · unseen · ctr 1`.
fn errseq(e: &Errseq) -> String {
    format!(
        "{} · {} · ctr {}",
        errno_name(e.err),
        if e.seen { "seen" } else { "unseen" },
        e.ctr
    )
}

fn number(name: impl Into<String>, value: String, tip: &'static str) -> NumberView {
    NumberView {
        name: name.into(),
        value,
        tip,
        shown: true,
    }
}

fn numbers(w: &World) -> Vec<NumberView> {
    let s = &w.s;
    let dio: Vec<String> = (0..MAX_TASKS as u8)
        .filter(|t| s.dio & (1 << t) != 0)
        .map(|t| holder_name(w, t))
        .collect();
    let mut out = vec![
        number("i_size", format!("{} pages", s.i_size), "the file size"),
        number(
            "i_dio_count",
            if dio.is_empty() {
                "0".into()
            } else {
                format!("{} ({})", dio.len(), dio.join(", "))
            },
            "direct I/Os in flight (inode_dio_begin .. inode_dio_end)",
        ),
        number(
            "wb_err",
            errseq(&s.wb_err),
            "mapping->wb_err: the errseq_t that fsync reports writeback errors from",
        ),
    ];
    for t in 0..w.st.ntasks() {
        out.push(number(
            format!("{}'s file cursor", w.st.task_name(t as u8)),
            errseq(&s.tasks[t].cursor),
            "file->f_wb_err: what this open file has already been told",
        ));
    }
    out.push(NumberView {
        shown: w.st.policy.get("wb_error_report") == Some("as-eio-flag") || s.as_eio,
        ..number(
            "AS_EIO",
            if s.as_eio { "set" } else { "clear" }.into(),
            "the legacy per-mapping error bit",
        )
    });
    out
}

/// The kernel path an op is in, in words.
fn path_name(p: &Path) -> &'static str {
    match p {
        Path::Idle => "",
        Path::BufRead(_) => "buffered read",
        Path::BufWrite(_) => "buffered write",
        Path::DioRead(_) => "direct read",
        Path::DioWrite(_) => "direct write",
        Path::Mmap(_) => "page fault",
        Path::Fsync(_) => "fsync",
        Path::SyncRange(_) => "sync_file_range",
        Path::Truncate(_) => "truncate, punch or fallocate",
        Path::Writeback(_) => "writeback",
        Path::Dax(_) => "DAX read or write",
        Path::Single => "one step",
        Path::Crash(_) => "power failure and recovery",
        Path::Refused => "refused",
    }
}

fn task(w: &World, t: usize) -> TaskView {
    let task = &w.s.tasks[t];
    let ops = &w.st.scenario.tasks[t].ops;
    let pages = w.st.pages;
    TaskView {
        name: w.st.task_name(t as u8).to_string(),
        op: ops.get(task.op as usize).map(|op| TaskOp {
            n: task.op as usize + 1,
            of: ops.len(),
            text: op.to_string(),
            running: task.path != Path::Idle,
            path: path_name(&task.path),
        }),
        pinned: bits(task.pinned, pages).collect(),
        mapped: bits(task.pte_ro | task.pte_rw, pages)
            .map(|p| (p, task.pte_rw & (1 << p) != 0))
            .collect(),
    }
}
