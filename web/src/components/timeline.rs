//! The timeline: one lane (column) per actor, one row per step, each step
//! labelled with the kernel function the core named and what it changed.
//! At the cursor, a "who goes next?" row: a button per runnable actor, and
//! what each blocked actor waits for.
//!
//! Rows are virtualized: only those in view (plus a margin) are in the
//! DOM, so a 10,000-step run scrolls and jumps as fast as a short one.

use std::rc::Rc;

use dioscope::history::StepRecord;
use dioscope::world::Actor;
use wasm_bindgen::JsCast;
use web_sys::Element;
use yew::prelude::*;

use crate::components::h::{attr, cls, el, el_t, list};
use crate::session::{lane_of, Run};

/// What a lane shows in the "who goes next?" row.
#[derive(Clone, Debug, PartialEq)]
pub enum Next {
    /// Runnable actors of this lane: (actor, name, key number, what it is,
    /// whether the recorded run takes it next).
    Go(Vec<(Actor, String, usize, String, bool)>),
    /// Blocked: what it waits for (the core's words).
    Waits(String),
    Done,
    Idle,
}

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub run: Rc<Run>,
    pub lanes: Rc<Vec<String>>,
    pub cursor: usize,
    /// One entry per lane; empty when the run is over.
    pub next: Rc<Vec<Next>>,
    /// Why the run is over, shown in the next-row when it is.
    pub over: Option<AttrValue>,
    /// Row height in pixels (larger in presentation mode).
    pub row_h: u32,
    /// A step where the schedule stopped being possible, marked.
    pub diverged_at: Option<usize>,
    /// Comparing: the same schedule under the other policy, and that
    /// policy's name. Each row then shows that run's step beside this
    /// one's, marked where the two differ.
    #[prop_or_default]
    pub other: Option<(Rc<Run>, AttrValue)>,
    pub on_jump: Callback<usize>,
    pub on_choose: Callback<Actor>,
}

/// Rows drawn beyond the visible ones, above and below.
const OVERSCAN: usize = 2;
/// The "who goes next?" row is this many rows tall.
const NEXT_ROWS: usize = 2;

#[function_component]
pub fn Timeline(p: &TimelineProps) -> Html {
    let scroller = use_node_ref();
    // The view: (scroll top, viewport height) in pixels, kept here from
    // scroll events and never read back from the DOM while rendering
    // (that would force a layout). Not a state: a scroll re-renders only
    // when it brings other rows into view.
    let view = use_mut_ref(|| (0i32, 480i32));
    let drawn_first = use_mut_ref(|| usize::MAX);
    let redraw = use_force_update();
    // Comparing, the rows go on to the end of the longer run: the cursor
    // can follow either to its end.
    let len = match &p.other {
        Some((o, _)) => p.run.len().max(o.len()),
        None => p.run.len(),
    };
    let h = p.row_h.max(1) as i32;
    let cur = p.cursor.min(len);
    // Row r's top: rows after the cursor are pushed down by the next-row.
    let top_of_step = |i: usize| -> i32 {
        let r = i as i32 * h;
        if i >= cur {
            r + NEXT_ROWS as i32 * h
        } else {
            r
        }
    };
    let next_top = cur as i32 * h;
    let total = (len + NEXT_ROWS) as i32 * h;

    let (st, vh) = *view.borrow();
    // When the cursor moves out of view, centre it: the rows are drawn for
    // the new position at once, and the element is scrolled in the next
    // animation frame, when the layout is done anyway. A scroll by the
    // user is left alone until the cursor moves again.
    let follow = use_mut_ref(|| (usize::MAX, 0usize, 0u32, None::<i32>));
    let target = {
        let mut f = follow.borrow_mut();
        if (f.0, f.1, f.2) != (cur, len, p.row_h) {
            *f = (cur, len, p.row_h, None);
            let lo_px = next_top - 2 * h;
            let hi_px = next_top + (NEXT_ROWS as i32 + 2) * h;
            if lo_px < st || hi_px > st + vh {
                f.3 = Some((next_top - vh / 2 + h).clamp(0, (total - vh).max(0)));
            }
        }
        f.3.unwrap_or(st)
    };
    {
        let scroller = scroller.clone();
        let view = view.clone();
        let follow = follow.clone();
        use_effect_with((target, vh), move |&(target, vh)| {
            if follow.borrow().3.is_some() {
                let f = wasm_bindgen::closure::Closure::once_into_js(move || {
                    *view.borrow_mut() = (target, vh);
                    follow.borrow_mut().3 = None;
                    if let Some(el) = scroller.cast::<Element>() {
                        el.set_scroll_top(target);
                    }
                });
                if let Some(w) = web_sys::window() {
                    let _ = w.request_animation_frame(f.unchecked_ref());
                }
            }
        });
    }
    // The viewport's height, once mounted.
    {
        let scroller = scroller.clone();
        let view = view.clone();
        let redraw = redraw.clone();
        use_effect_with((), move |_| {
            if let Some(el) = scroller.cast::<Element>() {
                *view.borrow_mut() = (el.scroll_top(), el.client_height().max(h));
                redraw.force_update();
            }
        });
    }
    let onscroll = {
        let view = view.clone();
        let follow = follow.clone();
        let drawn_first = drawn_first.clone();
        Callback::from(move |e: Event| {
            let el: Element = e.target_unchecked_into();
            let st = el.scroll_top();
            let vh = el.client_height().max(1);
            {
                let mut f = follow.borrow_mut();
                // A scroll the user made (not ours): follow it.
                if f.3.is_some_and(|t| t != st) {
                    f.3 = None;
                }
            }
            let old = std::mem::replace(&mut *view.borrow_mut(), (st, vh));
            if (st / h) as usize != *drawn_first.borrow() || old.1 != vh {
                redraw.force_update();
            }
        })
    };

    let first_row = (target / h) as usize;
    *drawn_first.borrow_mut() = first_row;
    let rows_in_view = (vh / h.max(1)) as usize + 1;
    let slots = rows_in_view + 2 * OVERSCAN + NEXT_ROWS + 2;
    let lo = first_row.saturating_sub(OVERSCAN + NEXT_ROWS);
    let hi = (first_row + rows_in_view + OVERSCAN).min(len);
    let hist = p.run.hist();
    let sc = &p.run.trace.end.st.scenario;
    let nl = p.lanes.len();
    let other = p.other.as_ref().map(|(o, _)| &**o);
    // step number | one narrow column per lane | what happened (| what
    // happened under the other policy)
    let cols = if p.other.is_some() {
        format!("--cols: 3em calc({nl} * 2.4em) minmax(0, 1fr) minmax(0, 1fr); --nl: {nl}")
    } else {
        format!("--cols: 3em calc({nl} * 2.4em) minmax(0, 1fr); --nl: {nl}")
    };

    // All lanes of a row are one element: each lane is a layer of its
    // background, chosen by class (`a2`: lane 2 takes the step, `b0`:
    // task 0 is inside a syscall). Cheap to lay out at every step.
    let lanes_of = |busy: u8, lane: usize| -> Html {
        let mut class = String::from("lanes");
        for l in 0..nl.min(8) {
            if l == lane {
                class.push_str(LANE_A[l]);
            } else if busy & (1 << l) != 0 {
                class.push_str(LANE_B[l]);
            }
        }
        el("div", class.into(), Vec::new())
    };

    // A step of a run: who took it, the kernel function, what it changed.
    let step_cell = |run: &Run, rec: &StepRecord, class: AttrValue| -> Html {
        el(
            "div",
            class,
            vec![
                el_t("span", "who", run.trace.end.actor_name(rec.actor).into()),
                el_t("span", "fn", AttrValue::Static(rec.name)),
                el_t("span", "notes", rec.notes.join("; ").into()),
            ],
        )
    };
    let ended = |class: &'static str| el_t("div", class, "(its run has ended)".into());

    let step_row = |i: usize| -> Html {
        let mine = hist.steps.get(i);
        // Comparing: the other run's step i beside this one's, outlined
        // when who or which function differs, or when one run has ended.
        let vs = other.map(|o| match o.hist().steps.get(i) {
            Some(rec) => {
                let differs = mine.map(|m| (m.actor, m.name)) != Some((rec.actor, rec.name));
                let lane = LANE_WHAT[lane_of(sc, rec.actor).min(7)];
                let class = format!("{lane} vs{}", if differs { " differs" } else { "" });
                step_cell(o, rec, class.into())
            }
            None => ended("what vs ended differs"),
        });
        let (lanes, what) = match mine {
            Some(rec) => {
                let lane = lane_of(sc, rec.actor);
                let busy = p.run.busy.get(i).copied().unwrap_or(0);
                let class = AttrValue::Static(LANE_WHAT[lane.min(7)]);
                (lanes_of(busy, lane), step_cell(&p.run, rec, class))
            }
            // Comparing: this run has ended, the other goes on.
            None if vs.is_some() => (lanes_of(0, usize::MAX), ended("what ended")),
            None => return Html::default(),
        };
        let class = cls(
            if i < cur {
                "row step past"
            } else {
                "row step future"
            },
            &[
                (i + 1 == cur, "current"),
                (p.diverged_at == Some(i), "diverged"),
            ],
        );
        let on_jump = p.on_jump.clone();
        let onclick = Callback::from(move |_| on_jump.emit(i + 1));
        let style = format!("top:{}px;height:{}px", top_of_step(i), h);
        // Keyed by slot, not by step: after a jump the same elements show
        // other steps (patched, not rebuilt). At most `slots` consecutive
        // steps are drawn, so their keys are distinct, and a window of
        // them reuses (nearly) every key of the previous one.
        html! {
            <div {class} {style} {onclick} key={i % slots} data-step={i.to_string()}>
                { el_t("div", "num", i.to_string().into()) }
                { lanes }
                { what }
                { vs.unwrap_or_default() }
            </div>
        }
    };

    let next_row = {
        let style = format!("top:{next_top}px;height:{}px", NEXT_ROWS as i32 * h);
        let mut buttons = Vec::new();
        let mut waits = Vec::new();
        let mut busy = 0u8;
        for (l, n) in p.next.iter().enumerate() {
            match n {
                Next::Go(actors) => {
                    if l < 8 {
                        busy |= 1 << l;
                    }
                    for (a, name, k, what, recorded) in actors {
                        let a = *a;
                        let on_choose = p.on_choose.clone();
                        let onclick = Callback::from(move |_| on_choose.emit(a));
                        let class = cls(LANE_CHOOSE[l.min(7)], &[(*recorded, "recorded")]);
                        let title = if *recorded {
                            format!("key {k}: {name} takes the next step, as recorded")
                        } else {
                            format!("key {k}: {name} takes the next step instead: a new branch")
                        };
                        buttons.push(html! {
                            <button {class} {onclick} {title} data-actor={name.clone()}>
                                <kbd>{*k}</kbd>{" "}{name.clone()}
                                if !what.is_empty() { <small>{" "}{what.clone()}</small> }
                            </button>
                        });
                    }
                }
                Next::Waits(w) => waits.push(el_t(
                    "span",
                    "waits",
                    format!("{} waits for {w}", p.lanes[l]).into(),
                )),
                _ => {}
            }
        }
        let body = match &p.over {
            Some(why) => el_t("div", "over", why.clone()),
            None => el(
                "div",
                "who-next".into(),
                vec![
                    el_t("span", "q", "Who goes next?".into()),
                    list(buttons),
                    list(waits),
                ],
            ),
        };
        let mut marks = String::from("lanes");
        for l in 0..nl.min(8) {
            match p.next.get(l) {
                Some(Next::Go(_)) => marks.push_str(LANE_GO[l]),
                Some(Next::Waits(_)) => marks.push_str(LANE_BLOCKED[l]),
                _ => {}
            }
        }
        let _ = busy;
        html! {
            <div class="row next" {style} key="next" data-testid="next-row">
                { el_t("div", "num", "next".into()) }
                { el("div", marks.into(), Vec::new()) }
                { body }
            </div>
        }
    };

    let mut heads = Vec::with_capacity(nl);
    for (l, n) in p.lanes.iter().enumerate() {
        heads.push(attr(
            el_t("div", LANE_NAME[l.min(7)], n.clone().into()),
            "title",
            format!("{n}'s lane").into(),
        ));
    }
    let mut rows = Vec::with_capacity(hi.saturating_sub(lo) + 1);
    for i in lo..hi.min(cur) {
        rows.push(step_row(i));
    }
    rows.push(next_row);
    for i in lo.max(cur)..hi {
        rows.push(step_row(i));
    }
    html! {
        <div class="timeline" data-testid="timeline" style={cols}>
            <div class="lanes-head">
                { el_t("div", "num", "step".into()) }
                { el("div", "lane-names".into(), heads) }
                if let Some((_, label)) = &p.other {
                    { el_t("div", "what-head", "A: what the step did".into()) }
                    <div class="what-head vs-head">{"B: under "}<b>{label.clone()}</b></div>
                } else {
                    { el_t("div", "what-head", "what the step did".into()) }
                }
            </div>
            <div class="scroller" ref={scroller} {onscroll} data-testid="timeline-scroller">
                <div class="rows" style={format!("height:{total}px")}>
                    { list(rows) }
                </div>
            </div>
        </div>
    }
}

const LANE_A: [&str; 8] = [" a0", " a1", " a2", " a3", " a4", " a5", " a6", " a7"];
const LANE_B: [&str; 8] = [" b0", " b1", " b2", " b3", " b4", " b5", " b6", " b7"];
const LANE_GO: [&str; 8] = [" g0", " g1", " g2", " g3", " g4", " g5", " g6", " g7"];
const LANE_BLOCKED: [&str; 8] = [" k0", " k1", " k2", " k3", " k4", " k5", " k6", " k7"];
const LANE_WHAT: [&str; 8] = [
    "what lane0",
    "what lane1",
    "what lane2",
    "what lane3",
    "what lane4",
    "what lane5",
    "what lane6",
    "what lane7",
];
const LANE_CHOOSE: [&str; 8] = [
    "choose lane0",
    "choose lane1",
    "choose lane2",
    "choose lane3",
    "choose lane4",
    "choose lane5",
    "choose lane6",
    "choose lane7",
];
const LANE_NAME: [&str; 8] = [
    "lane-name lane0",
    "lane-name lane1",
    "lane-name lane2",
    "lane-name lane3",
    "lane-name lane4",
    "lane-name lane5",
    "lane-name lane6",
    "lane-name lane7",
];
