//! The state view: the page cache, the extent map, the device, locks and
//! counters, and each task's op and results, at one step. Only shows the
//! core's state: every value here is a field of `World` or of the run's
//! history, never something this module works out about the kernel.
//!
//! Marks what changed since the previous step (`changed`) and, when
//! comparing, what differs from the other side at the same step
//! (`differs`).

use dioscope::device::BioKind;
use dioscope::errseq::Errseq;
use dioscope::extents::Ext;
use dioscope::history::SyscallRecord;
use dioscope::locks::{LockId, RwSem};
use dioscope::pagecache::{DIRTY, DROPBEHIND, ORDERED, UPTODATE, WRITEBACK};
use dioscope::paths::Path;
use dioscope::version::Version;
use dioscope::world::{Actor, Holder, Need, State, Wait, World, MAX_TASKS};
use yew::prelude::*;

use crate::components::h::{attr, cls, el, el_t, t, ts};

/// The colour class of a version: `init` and `zero` are neutral, each
/// write gets the next colour of the (colour-blind safe) palette. The
/// label is always written in the cell: colour is never the only cue.
pub fn ver_class(v: Version) -> String {
    match v.0 {
        0 => "ver v-init".into(),
        1 => "ver v-zero".into(),
        n => format!("ver v{}", (n - 2) % 7),
    }
}

fn ver(w: &World, v: Version) -> Html {
    ver_with(w, v, "")
}

/// A version label with extra classes (`big` for a cell's content).
fn ver_with(w: &World, v: Version, extra: &str) -> Html {
    let h = el_t("span", "", AttrValue::from(w.st.label(v).to_string()));
    let h = attr(
        h,
        "class",
        AttrValue::from(format!("{}{extra}", ver_class(v))),
    );
    attr(h, "title", AttrValue::from(w.st.long_label(v).to_string()))
}

/// A cell's badges; nothing when there are none (the state view is laid
/// out again at every step: fewer elements, less work).
fn badges_of(badges: Vec<Html>) -> Html {
    if badges.is_empty() {
        Html::default()
    } else {
        el("div", "badges".into(), badges)
    }
}

fn holder_name(w: &World, h: u8) -> String {
    w.actor_name(Actor::of_holder(Holder(h)))
}

/// A badge.
fn badge(class: &'static str, text: AttrValue) -> Html {
    el_t("span", class, text)
}

fn bio_kind(k: BioKind) -> &'static str {
    match k {
        BioKind::Writeback => "writeback",
        BioKind::ReadFolio => "read",
        BioKind::DioRead => "direct read",
        BioKind::DioWrite => "direct write",
        BioKind::Flush => "cache flush",
        BioKind::LogWrite => "log write",
        BioKind::OrderedFinish => "ordered extent",
    }
}

fn errno(e: u8) -> String {
    match e {
        0 => "0".into(),
        5 => "-EIO".into(),
        n => format!("-{n}"),
    }
}

fn errseq(e: &Errseq) -> String {
    format!(
        "{} · {} · ctr {}",
        errno(e.err),
        if e.seen { "seen" } else { "unseen" },
        e.ctr
    )
}

fn sem(w: &World, s: &RwSem) -> String {
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

fn waiters(w: &World, waits: &[Wait], f: &dyn Fn(&Need) -> bool) -> String {
    let v: Vec<String> = waits
        .iter()
        .filter(|x| f(&x.need))
        .map(|x| w.actor_name(x.actor))
        .collect();
    v.join(", ")
}

/// A labelled value (a lock, a counter): `k`, `v`, and who waits.
fn kv(
    base: &'static str,
    k: String,
    v: String,
    waiting: String,
    marks: [bool; 3],
    tip: &'static str,
) -> Html {
    let mut kids = vec![el_t("span", "k", k.into()), el_t("span", "v", v.into())];
    if !waiting.is_empty() {
        kids.push(el_t(
            "span",
            "waiting",
            format!("waiting: {waiting}").into(),
        ));
    }
    let h = el(
        "div",
        cls(
            base,
            &[
                (marks[0], "held"),
                (marks[1], "changed"),
                (marks[2], "differs"),
            ],
        ),
        kids,
    );
    if tip.is_empty() {
        h
    } else {
        attr(h, "title", AttrValue::Static(tip))
    }
}

fn lock_row(
    w: &World,
    name: &str,
    cur: &RwSem,
    prev: Option<&RwSem>,
    other: Option<&RwSem>,
    waiting: String,
) -> Html {
    kv(
        "lock",
        name.to_string(),
        sem(w, cur),
        waiting,
        [
            !cur.is_free(),
            prev.is_some_and(|p| p != cur),
            other.is_some_and(|o| o != cur),
        ],
        "",
    )
}

/// Syscall results listed per task (the most recent ones).
const MAX_CALLS: usize = 3;

/// What a state view shows besides the world.
pub struct Ctx<'a> {
    pub prev: Option<&'a State>,
    pub other: Option<&'a State>,
    /// The run's syscalls (only those begun before the cursor are shown).
    pub syscalls: &'a [SyscallRecord],
    pub cursor: usize,
}

pub fn state_view(w: &World, cx: &Ctx) -> Html {
    let s = &w.s;
    let st = &w.st;
    let prev = cx.prev;
    let other = cx.other;
    let waits = w.waits();
    let ntasks = st.ntasks();
    let pages = st.pages;
    // (changed since the previous step, differs from the other side)
    let marks = |same: &dyn Fn(&State) -> bool| -> [(bool, &'static str); 2] {
        [
            (prev.is_some_and(|o| !same(o)), "changed"),
            (other.is_some_and(|o| !same(o)), "differs"),
        ]
    };

    // --- the page cache, one cell per page, the extent map under it ---
    let mut page_cells = Vec::new();
    let mut ext_cells = Vec::new();
    for p in 0..pages {
        let i = p as usize;
        let f = s.cache.folios[i];
        let mut mapped = String::new();
        for t in 0..ntasks {
            let task = &s.tasks[t];
            if (task.pte_ro | task.pte_rw) & (1 << p) != 0 {
                if !mapped.is_empty() {
                    mapped.push_str(", ");
                }
                mapped.push_str(st.task_name(t as u8));
                if task.pte_rw & (1 << p) != 0 {
                    mapped.push_str(" rw");
                }
            }
        }
        let same = |o: &State| {
            o.cache.folios[i] == f
                && o.cache.markers[i] == s.cache.markers[i]
                && (0..MAX_TASKS).all(|t| {
                    (o.tasks[t].pte_ro | o.tasks[t].pte_rw) & (1 << p)
                        == (s.tasks[t].pte_ro | s.tasks[t].pte_rw) & (1 << p)
                })
        };
        let [c, d] = marks(&same);
        let mut badges = Vec::new();
        let big;
        match f {
            Some(f) => {
                let up = f.has(UPTODATE);
                big = ver_with(w, f.ver, if up { " big" } else { " big stale" });
                if !up {
                    badges.push(badge("b b-notup", "not uptodate".into()));
                }
                if f.locked() {
                    badges.push(badge(
                        "b b-locked",
                        format!("locked {}", holder_name(w, f.lock - 1)).into(),
                    ));
                }
                for (flag, class, label) in [
                    (DIRTY, "b b-dirty", "dirty"),
                    (WRITEBACK, "b b-wb", "writeback"),
                    (ORDERED, "b b-ord", "ordered"),
                    (DROPBEHIND, "b b-drop", "dropbehind"),
                ] {
                    if f.has(flag) {
                        badges.push(badge(class, label.into()));
                    }
                }
                if f.pins > 0 {
                    badges.push(badge("b b-pin", "pinned".into()));
                }
            }
            None => {
                big = el_t("span", "big none", "—".into());
                badges.push(badge("b b-none", "not cached".into()));
            }
        }
        if !mapped.is_empty() {
            badges.push(badge("b b-map", format!("mapped {mapped}").into()));
        }
        if let Some(h) = s.cache.marker(p) {
            badges.push(badge(
                "b b-dio",
                format!("DIO in progress {}", holder_name(w, h.0)).into(),
            ));
        }
        let cell = el(
            "div",
            cls("cell page", &[(f.is_none(), "empty"), c, d]),
            vec![
                el_t("div", "idx", format!("page {p}").into()),
                big,
                badges_of(badges),
            ],
        );
        page_cells.push(attr(cell, "data-page", p.to_string().into()));

        let e = s.ext.get(p);
        let [c, d] = marks(&|o: &State| o.ext.get(p) == e);
        let mut kids = vec![el_t("span", "kind", e.kind().into())];
        if let Ext::Unwritten(b, _) | Ext::Written(b) = e {
            kids.push(el_t("span", "to", format!("→ block {b}").into()));
        }
        let kind_class = match e {
            Ext::Hole(_) => "cell ext e-hole",
            Ext::Delalloc(_) => "cell ext e-delalloc",
            Ext::Unwritten(..) => "cell ext e-unwritten",
            Ext::Written(_) => "cell ext e-written",
        };
        ext_cells.push(el("div", cls(kind_class, &[c, d]), kids));
    }

    // --- the device ---
    let mut blocks = Vec::new();
    for b in 0..st.nblocks {
        let i = b as usize;
        let bit = 1u32 << b;
        let key = |o: &State| {
            (
                o.dev.media[i],
                o.dev.vcache[i],
                o.dev.poison & bit,
                o.dev.fail & bit,
            )
        };
        let [c, d] = marks(&|o: &State| key(o) == key(s));
        let mut badges = Vec::new();
        if let Some(v) = s.dev.vcache[i] {
            badges.push(el(
                "span",
                "b b-vcache".into(),
                vec![t("volatile cache "), ver(w, v)],
            ));
        }
        if s.dev.poison & bit != 0 {
            badges.push(badge("b b-poison", "poisoned".into()));
        }
        if s.dev.fail & bit != 0 {
            badges.push(badge("b b-fail", "next write fails".into()));
        }
        let cell = el(
            "div",
            cls("cell block", &[c, d]),
            vec![
                el_t("div", "idx", format!("block {b}").into()),
                ver_with(w, s.dev.media[i], " big"),
                badges_of(badges),
            ],
        );
        blocks.push(attr(cell, "data-block", b.to_string().into()));
    }
    let mut bios = Vec::new();
    for (k, b) in s.dev.inflight().iter().enumerate() {
        let mut kids = vec![
            el_t("span", "who", w.actor_name(Actor::Dev(k as u8)).into()),
            el_t("span", "what", bio_kind(b.kind).into()),
        ];
        match b.kind {
            BioKind::Writeback | BioKind::DioWrite => {
                kids.push(ver(w, b.ver));
                kids.push(ts(format!(" → block {}", b.block)));
            }
            BioKind::ReadFolio | BioKind::DioRead => kids.push(ts(format!("block {}", b.block))),
            _ => {}
        }
        kids.push(el_t(
            "span",
            "page",
            format!("page {} · {}", b.page, holder_name(w, b.owner.0)).into(),
        ));
        if b.fua {
            kids.push(badge("b", "FUA".into()));
        }
        bios.push(el("li", cls("bio", &[(b.kind.is_write(), "write")]), kids));
    }

    // --- locks, and who waits ---
    let l = &s.locks;
    let pl = prev.map(|o| &o.locks);
    let ol = other.map(|o| &o.locks);
    let mut locks: Vec<Html> = Vec::new();
    let mut sems: Vec<(String, LockId, &RwSem, bool)> = vec![
        ("i_rwsem".into(), LockId::IRwsem, &l.i_rwsem, true),
        (
            "invalidate_lock".into(),
            LockId::InvalidateLock,
            &l.invalidate_lock,
            true,
        ),
        ("dio_rwsem".into(), LockId::DioRwsem, &l.dio_rwsem, false),
    ];
    for t in 0..ntasks {
        sems.push((
            format!("mmap_lock of {}", st.task_name(t as u8)),
            LockId::MmapLock(t as u8),
            &l.mmap_lock[t],
            false,
        ));
    }
    for (name, id, cur, always) in sems {
        let wt = waiters(w, &waits, &|n| matches!(n, Need::Lock(x, _) if *x == id));
        if always || !cur.is_free() || !wt.is_empty() {
            let get = |x: &dioscope::locks::Locks| *x.get(id);
            let p = pl.map(get);
            let o = ol.map(get);
            locks.push(lock_row(w, &name, cur, p.as_ref(), o.as_ref(), wt));
        }
    }
    let mut ext_held = Vec::new();
    for p in 0..pages {
        let o = l.extent[p as usize];
        if o != 0 {
            ext_held.push(format!("{p}: {}", holder_name(w, o - 1)));
        }
    }
    let ext_wait = waiters(w, &waits, &|n| matches!(n, Need::ExtentLock(..)));
    if !ext_held.is_empty() || !ext_wait.is_empty() {
        locks.push(kv(
            "lock",
            "extent locks".into(),
            if ext_held.is_empty() {
                "free".into()
            } else {
                ext_held.join(", ")
            },
            ext_wait,
            [
                !ext_held.is_empty(),
                pl.is_some_and(|x| x.extent != l.extent),
                ol.is_some_and(|x| x.extent != l.extent),
            ],
            "",
        ));
    }
    let mut wait_list = Vec::new();
    for x in &waits {
        let by: Vec<String> = x.by.iter().map(|b| w.actor_name(*b)).collect();
        let mut kids = vec![
            el_t("b", "", w.actor_name(x.actor).into()),
            ts(format!(" waits for {}", x.need)),
        ];
        if !by.is_empty() {
            kids.push(el_t(
                "span",
                "by",
                format!(" (held by {})", by.join(", ")).into(),
            ));
        }
        wait_list.push(el("li", "".into(), kids));
    }

    // --- numbers ---
    let num = |label: String, value: String, same: &dyn Fn(&State) -> bool, tip: &'static str| {
        let [c, d] = marks(same);
        kv(
            "num-cell",
            label,
            value,
            String::new(),
            [false, c.0, d.0],
            tip,
        )
    };
    let mut dio_tasks = Vec::new();
    for t in 0..MAX_TASKS as u8 {
        if s.dio & (1 << t) != 0 {
            dio_tasks.push(holder_name(w, t));
        }
    }
    let mut numbers = vec![
        num(
            "i_size".into(),
            format!("{} pages", s.i_size),
            &|o| o.i_size == s.i_size,
            "the file size",
        ),
        num(
            "i_dio_count".into(),
            if dio_tasks.is_empty() {
                "0".into()
            } else {
                format!("{} ({})", dio_tasks.len(), dio_tasks.join(", "))
            },
            &|o| o.dio == s.dio,
            "direct I/Os in flight (inode_dio_begin .. inode_dio_end)",
        ),
        num(
            "wb_err".into(),
            errseq(&s.wb_err),
            &|o| o.wb_err == s.wb_err,
            "mapping->wb_err: the errseq_t that fsync reports writeback errors from",
        ),
    ];
    for t in 0..ntasks {
        let c = s.tasks[t].cursor;
        numbers.push(num(
            format!("{}'s file cursor", st.task_name(t as u8)),
            errseq(&c),
            &|o| o.tasks[t].cursor == c,
            "file->f_wb_err: what this open file has already been told",
        ));
    }
    if st.policy.get("wb_error_report") == Some("as-eio-flag") || s.as_eio {
        numbers.push(num(
            "AS_EIO".into(),
            if s.as_eio { "set" } else { "clear" }.into(),
            &|o| o.as_eio == s.as_eio,
            "the legacy per-mapping error bit",
        ));
    }

    // --- tasks: the op each is in, what its syscalls returned ---
    let mut tasks = Vec::new();
    for ti in 0..ntasks {
        let task = &s.tasks[ti];
        let ops = &st.scenario.tasks[ti].ops;
        let now = match ops.get(task.op as usize) {
            Some(op) => el(
                "span",
                "op".into(),
                vec![
                    ts(format!(
                        "{} op {}/{}: ",
                        if task.path == Path::Idle {
                            "next"
                        } else {
                            "in"
                        },
                        task.op + 1,
                        ops.len()
                    )),
                    el_t("code", "", op.to_string().into()),
                ],
            ),
            None => el_t("span", "op done", "done".into()),
        };
        // What its syscalls returned: the last few (a long run would
        // otherwise list hundreds, at every step).
        let done: Vec<&SyscallRecord> = cx
            .syscalls
            .iter()
            .filter(|c| c.task as usize == ti && c.end.is_some_and(|e| e < cx.cursor))
            .collect();
        let mut calls = Vec::new();
        if done.len() > MAX_CALLS {
            calls.push(el_t(
                "li",
                "earlier",
                format!("… {} earlier", done.len() - MAX_CALLS).into(),
            ));
        }
        for c in &done[done.len().saturating_sub(MAX_CALLS)..] {
            let ret = c.ret.map(|r| r.to_string()).unwrap_or_default();
            let err = c.ret.is_some_and(|r| r.is_err());
            let mut kids = vec![
                el_t("code", "", c.text.clone().into()),
                t(" = "),
                el_t("b", "", ret.into()),
            ];
            if !c.read.is_empty() {
                // What each page read: runs of the same version once, with
                // a count ("init ×16").
                kids.push(t(" read "));
                let mut k = 0;
                while k < c.read.len() {
                    let v = &c.read[k];
                    let n = c.read[k..].iter().take_while(|x| *x == v).count();
                    let label = if n > 1 {
                        format!("{v} ×{n}")
                    } else {
                        v.clone()
                    };
                    kids.push(attr(
                        el_t("span", "", label.into()),
                        "class",
                        read_class(w, v).into(),
                    ));
                    kids.push(t(" "));
                    k += n;
                }
            }
            calls.push(el("li", cls("", &[(err, "err")]), kids));
        }
        tasks.push(el(
            "div",
            "task".into(),
            vec![
                el(
                    "div",
                    "task-head".into(),
                    vec![
                        el_t("b", "", st.task_name(ti as u8).to_string().into()),
                        t(" "),
                        now,
                    ],
                ),
                el("ul", "calls".into(), calls),
            ],
        ));
    }

    let h3 = |title: &'static str, small: &'static str| {
        el(
            "h3",
            "".into(),
            vec![t(title), el_t("small", "", small.into())],
        )
    };
    let testid = |h: Html, id: &'static str| attr(h, "data-testid", id.into());
    let bios_none = if s.dev.nbios == 0 {
        el_t("span", "none", "no bio".into())
    } else {
        Html::default()
    };
    let wait_ul = if waits.is_empty() {
        Html::default()
    } else {
        testid(el("ul", "waits".into(), wait_list), "waits")
    };
    let mut lock_kids = vec![
        h3("Errors, counts", ""),
        el("div", "numbers".into(), numbers),
        h3("Locks", ""),
    ];
    lock_kids.extend(locks);
    lock_kids.push(wait_ul);
    let mut task_kids = vec![h3("Tasks", "")];
    task_kids.extend(tasks);
    testid(
        el(
            "div",
            "state".into(),
            vec![
                el(
                    "section",
                    "pc".into(),
                    vec![
                        h3("Page cache", " (one folio per page)"),
                        testid(el("div", "cells".into(), page_cells), "page-cache"),
                        h3("Extent map", " (file page → disk block)"),
                        testid(el("div", "cells".into(), ext_cells), "extents"),
                    ],
                ),
                el(
                    "section",
                    "dev".into(),
                    vec![
                        h3(
                            "Device",
                            if st.write_cache {
                                " (with a volatile write cache)"
                            } else {
                                ""
                            },
                        ),
                        testid(el("div", "cells blocks".into(), blocks), "device"),
                        el(
                            "div",
                            "inflight".into(),
                            vec![
                                el_t("span", "k", "in flight: ".into()),
                                bios_none,
                                testid(el("ul", "bios".into(), bios), "bios"),
                            ],
                        ),
                    ],
                ),
                el("section", "locks".into(), lock_kids),
                el("section", "tasks".into(), task_kids),
            ],
        ),
        "state",
    )
}

/// A read's version label (as the history gives it) with its colour.
fn read_class(w: &World, label: &str) -> String {
    (0..w.st.versions.len())
        .find(|&i| w.st.versions[i].label == label)
        .map(|i| ver_class(Version(i as u8)))
        .unwrap_or_else(|| "ver".into())
}
