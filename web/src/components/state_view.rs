//! The state view: the page cache, the extent map, the device, locks and
//! counts, and each task's op and results, at one step. Draws the core's
//! view of the state (`dioscope::view::StateView`): every word in it, a
//! folio's flags, a bio's kind, an errno, who holds a lock, is the core's.
//!
//! Marks what changed since the previous step (`changed`) and, when
//! comparing, what differs from the other side at the same step
//! (`differs`), by comparing the views part by part.

use dioscope::view::state::{
    Badge, BadgeKind, BioView, BlockView, ExtKind, ExtentView, LockView, NumberView, PageView,
    TaskView,
};
use dioscope::view::{Returned, StateView, Ver, WaitView};
use yew::prelude::*;

use crate::components::h::{attr, cls, el, el_t, t, ts};

/// The colour class of a version: `init` and `zero` are neutral, each
/// write gets the next colour of the (colour-blind safe) palette. The
/// label is always written in the cell: colour is never the only cue.
pub fn ver_class(id: u8) -> String {
    match id {
        0 => "ver v-init".into(),
        1 => "ver v-zero".into(),
        n => format!("ver v{}", (n - 2) % 7),
    }
}

fn ver(v: &Ver) -> Html {
    ver_with(v, "")
}

/// A version label with extra classes (`big` for a cell's content).
fn ver_with(v: &Ver, extra: &str) -> Html {
    let h = el_t("span", "", AttrValue::from(v.label.clone()));
    let h = attr(
        h,
        "class",
        AttrValue::from(format!("{}{extra}", ver_class(v.id))),
    );
    attr(h, "title", AttrValue::from(v.long.clone()))
}

/// The style of a badge.
fn badge_class(k: BadgeKind) -> &'static str {
    match k {
        BadgeKind::NotUptodate => "b b-notup",
        BadgeKind::Locked => "b b-locked",
        BadgeKind::Dirty => "b b-dirty",
        BadgeKind::Writeback => "b b-wb",
        BadgeKind::Ordered => "b b-ord",
        BadgeKind::Dropbehind => "b b-drop",
        BadgeKind::Pinned => "b b-pin",
        BadgeKind::Mapped => "b b-map",
        BadgeKind::DioMarker => "b b-dio",
        BadgeKind::NotCached => "b b-none",
        BadgeKind::VolatileCache => "b b-vcache",
        BadgeKind::Poisoned => "b b-poison",
        BadgeKind::FailsNext => "b b-fail",
    }
}

fn badge(b: &Badge) -> Html {
    match &b.ver {
        None => el_t("span", badge_class(b.kind), b.text.clone().into()),
        Some(v) => el(
            "span",
            badge_class(b.kind).into(),
            vec![ts(format!("{} ", b.text)), ver(v)],
        ),
    }
}

/// A cell's badges; nothing when there are none (the state view is laid
/// out again at every step: fewer elements, less work).
fn badges_of(badges: &[Badge]) -> Html {
    if badges.is_empty() {
        Html::default()
    } else {
        el("div", "badges".into(), badges.iter().map(badge).collect())
    }
}

/// What a state view shows besides the state.
pub struct Ctx<'a> {
    /// The state before the step just taken.
    pub prev: Option<&'a StateView>,
    /// The other side's state at the same step, when comparing.
    pub other: Option<&'a StateView>,
    /// Per task: its last syscalls that returned before the cursor.
    pub returned: &'a [Returned],
}

impl Ctx<'_> {
    /// (changed since the previous step, differs from the other side) of
    /// the part `part` picks out of a view.
    fn marks<T: PartialEq>(
        &self,
        v: &StateView,
        part: impl Fn(&StateView) -> Option<&T>,
    ) -> [(bool, &'static str); 2] {
        let mine = part(v);
        let differs = |o: Option<&StateView>| o.is_some_and(|o| part(o) != mine);
        [
            (differs(self.prev), "changed"),
            (differs(self.other), "differs"),
        ]
    }
}

fn page_cell(p: &PageView, marks: [(bool, &'static str); 2]) -> Html {
    let big = match &p.ver {
        Some(v) => ver_with(v, if p.uptodate { " big" } else { " big stale" }),
        None => el_t("span", "big none", "—".into()),
    };
    let [c, d] = marks;
    let cell = el(
        "div",
        cls("cell page", &[(p.ver.is_none(), "empty"), c, d]),
        vec![
            el_t("div", "idx", format!("page {}", p.index).into()),
            big,
            badges_of(&p.badges),
        ],
    );
    attr(cell, "data-page", p.index.to_string().into())
}

fn extent_cell(e: &ExtentView, marks: [(bool, &'static str); 2]) -> Html {
    let mut kids = vec![el_t("span", "kind", e.name.into())];
    if let Some(b) = e.block {
        kids.push(el_t("span", "to", format!("→ block {b}").into()));
    }
    let kind_class = match e.kind {
        ExtKind::Hole => "cell ext e-hole",
        ExtKind::Delalloc => "cell ext e-delalloc",
        ExtKind::Unwritten => "cell ext e-unwritten",
        ExtKind::Written => "cell ext e-written",
    };
    el("div", cls(kind_class, &marks), kids)
}

fn block_cell(b: &BlockView, marks: [(bool, &'static str); 2]) -> Html {
    let cell = el(
        "div",
        cls("cell block", &marks),
        vec![
            el_t("div", "idx", format!("block {}", b.index).into()),
            ver_with(&b.media, " big"),
            badges_of(&b.badges),
        ],
    );
    attr(cell, "data-block", b.index.to_string().into())
}

fn bio_item(b: &BioView) -> Html {
    let mut kids = vec![
        el_t("span", "who", b.actor.clone().into()),
        el_t("span", "what", b.kind.into()),
    ];
    match (&b.ver, b.block) {
        (Some(v), Some(block)) => {
            kids.push(ver(v));
            kids.push(ts(format!(" → block {block}")));
        }
        (None, Some(block)) => kids.push(ts(format!("block {block}"))),
        _ => {}
    }
    kids.push(el_t(
        "span",
        "page",
        format!("page {} · {}", b.page, b.owner).into(),
    ));
    if b.fua {
        kids.push(el_t("span", "b", "FUA".into()));
    }
    el("li", cls("bio", &[(b.write, "write")]), kids)
}

/// A labelled value (a lock, a count): name, value, and who waits.
fn kv(base: &'static str, name: &str, value: &str, waiting: &[String], marks: [bool; 3]) -> Html {
    let mut kids = vec![
        el_t("span", "k", name.to_string().into()),
        el_t("span", "v", value.to_string().into()),
    ];
    if !waiting.is_empty() {
        kids.push(el_t(
            "span",
            "waiting",
            format!("waiting: {}", waiting.join(", ")).into(),
        ));
    }
    el(
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
    )
}

fn lock_row(l: &LockView, marks: [(bool, &'static str); 2]) -> Html {
    kv(
        "lock",
        &l.name,
        &l.value,
        &l.waiting,
        [l.held, marks[0].0, marks[1].0],
    )
}

fn number_cell(n: &NumberView, marks: [(bool, &'static str); 2]) -> Html {
    let h = kv(
        "num-cell",
        &n.name,
        &n.value,
        &[],
        [false, marks[0].0, marks[1].0],
    );
    attr(h, "title", AttrValue::Static(n.tip))
}

fn wait_item(x: &WaitView) -> Html {
    let mut kids = vec![
        el_t("b", "", x.actor.clone().into()),
        ts(format!(" waits for {}", x.need)),
    ];
    if !x.by.is_empty() {
        kids.push(el_t(
            "span",
            "by",
            format!(" (held by {})", x.by.join(", ")).into(),
        ));
    }
    el("li", "".into(), kids)
}

/// A task: the op it is at, and what its last syscalls returned.
fn task_block(task: &TaskView, returned: Option<&Returned>) -> Html {
    let now = match &task.op {
        Some(op) => {
            let h = el(
                "span",
                "op".into(),
                vec![
                    ts(format!(
                        "{} op {}/{}: ",
                        if op.running { "in" } else { "next" },
                        op.n,
                        op.of
                    )),
                    el_t("code", "", op.text.clone().into()),
                ],
            );
            if op.path.is_empty() {
                h
            } else {
                attr(h, "title", format!("path: {}", op.path).into())
            }
        }
        None => el_t("span", "op done", "done".into()),
    };
    let mut calls = Vec::new();
    if let Some(r) = returned {
        if r.earlier > 0 {
            calls.push(el_t(
                "li",
                "earlier",
                format!("… {} earlier", r.earlier).into(),
            ));
        }
        for c in &r.calls {
            let (value, err, runs) = match &c.ret {
                Some(r) => (r.value.clone(), r.err, r.read_runs()),
                None => (String::new(), false, Vec::new()),
            };
            let mut kids = vec![
                el_t("code", "", c.text.clone().into()),
                t(" = "),
                el_t("b", "", value.into()),
            ];
            if !runs.is_empty() {
                // What each page read: runs of the same version once, with
                // a count ("init ×16").
                kids.push(t(" read "));
                for run in runs {
                    kids.push(attr(
                        el_t("span", "", run.label.into()),
                        "class",
                        ver_class(run.ver.id).into(),
                    ));
                    kids.push(t(" "));
                }
            }
            calls.push(el("li", cls("", &[(err, "err")]), kids));
        }
    }
    el(
        "div",
        "task".into(),
        vec![
            el(
                "div",
                "task-head".into(),
                vec![el_t("b", "", task.name.clone().into()), t(" "), now],
            ),
            el("ul", "calls".into(), calls),
        ],
    )
}

fn h3(title: &'static str, small: &'static str) -> Html {
    el(
        "h3",
        "".into(),
        vec![t(title), el_t("small", "", small.into())],
    )
}

fn testid(h: Html, id: &'static str) -> Html {
    attr(h, "data-testid", id.into())
}

/// The page cache over the extent map.
fn cache_section(v: &StateView, cx: &Ctx) -> Html {
    let pages = v
        .pages
        .iter()
        .enumerate()
        .map(|(i, p)| page_cell(p, cx.marks(v, |s| s.pages.get(i))))
        .collect();
    let extents = v
        .extents
        .iter()
        .enumerate()
        .map(|(i, e)| extent_cell(e, cx.marks(v, |s| s.extents.get(i))))
        .collect();
    el(
        "section",
        "pc".into(),
        vec![
            h3("Page cache", " (one folio per page)"),
            testid(el("div", "cells".into(), pages), "page-cache"),
            h3("Extent map", " (file page → disk block)"),
            testid(el("div", "cells".into(), extents), "extents"),
        ],
    )
}

/// The device's blocks and the bios in flight.
fn device_section(v: &StateView, cx: &Ctx) -> Html {
    let blocks = v
        .blocks
        .iter()
        .enumerate()
        .map(|(i, b)| block_cell(b, cx.marks(v, |s| s.blocks.get(i))))
        .collect();
    let none = if v.bios.is_empty() {
        el_t("span", "none", "no bio".into())
    } else {
        Html::default()
    };
    let bios = v.bios.iter().map(bio_item).collect();
    el(
        "section",
        "dev".into(),
        vec![
            h3(
                "Device",
                if v.write_cache {
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
                    none,
                    testid(el("ul", "bios".into(), bios), "bios"),
                ],
            ),
        ],
    )
}

/// Errors and counts, the locks, and who waits for what.
fn locks_section(v: &StateView, cx: &Ctx) -> Html {
    let numbers = v
        .numbers
        .iter()
        .enumerate()
        .filter(|(_, n)| n.shown)
        .map(|(i, n)| number_cell(n, cx.marks(v, |s| s.numbers.get(i).map(|n| &n.value))))
        .collect();
    let mut kids = vec![
        h3("Errors, counts", ""),
        el("div", "numbers".into(), numbers),
        h3("Locks", ""),
    ];
    kids.extend(
        v.locks
            .iter()
            .enumerate()
            .filter(|(_, l)| l.shown)
            .map(|(i, l)| lock_row(l, cx.marks(v, |s| s.locks.get(i).map(|l| &l.value)))),
    );
    if !v.waits.is_empty() {
        kids.push(testid(
            el(
                "ul",
                "waits".into(),
                v.waits.iter().map(wait_item).collect(),
            ),
            "waits",
        ));
    }
    el("section", "locks".into(), kids)
}

fn tasks_section(v: &StateView, cx: &Ctx) -> Html {
    let mut kids = vec![h3("Tasks", "")];
    kids.extend(
        v.tasks
            .iter()
            .enumerate()
            .map(|(i, task)| task_block(task, cx.returned.get(i))),
    );
    el("section", "tasks".into(), kids)
}

pub fn state_view(v: &StateView, cx: &Ctx) -> Html {
    testid(
        el(
            "div",
            "state".into(),
            vec![
                cache_section(v, cx),
                device_section(v, cx),
                locks_section(v, cx),
                tasks_section(v, cx),
            ],
        ),
        "state",
    )
}
