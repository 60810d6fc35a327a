//! The timeline: one lane (column) per actor, one row per step, each step
//! labelled with the kernel function the core named and what it changed.
//! At the cursor, a "who goes next?" row: a button per runnable actor, and
//! what each blocked actor waits for. Lanes, steps and the next row are
//! the core's view (`dioscope::view`), as the email text and the SVG have
//! them.
//!
//! Rows are virtualized: only those in view (plus a margin) are in the
//! DOM, so a 10,000-step run scrolls and jumps as fast as a short one.
//! Scrolling reads and sets the scroller's position (`web_sys`).

use std::cell::RefCell;
use std::rc::Rc;

use dioscope::view::{LaneView, NextView, StepView};
use dioscope::Actor;
use wasm_bindgen::JsCast;
use web_sys::Element;
use yew::prelude::*;

use crate::components::h::{attr, cls, el, el_t, list};
use crate::session::Run;

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub run: Rc<Run>,
    pub lanes: Rc<Vec<LaneView>>,
    pub cursor: usize,
    /// One entry per lane; empty when the run is over.
    pub next: Rc<Vec<NextView>>,
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

/// Which part of the rows is in view, kept from scroll events.
struct Window {
    scroller: NodeRef,
    onscroll: Callback<Event>,
    /// The scroll position the rows are drawn for (pixels).
    top: i32,
    /// The viewport's height (pixels).
    height: i32,
}

/// Where the rows are and how tall, for one render.
#[derive(Clone, Copy)]
struct Layout {
    /// Row height.
    h: i32,
    /// The cursor (the next row sits above step `cur`).
    cur: usize,
    /// Steps drawn (the longer run's, when comparing).
    len: usize,
}

impl Layout {
    /// Step i's top: rows after the cursor are pushed down by the next-row.
    fn top_of_step(&self, i: usize) -> i32 {
        let r = i as i32 * self.h;
        if i >= self.cur {
            r + NEXT_ROWS as i32 * self.h
        } else {
            r
        }
    }
    fn next_top(&self) -> i32 {
        self.cur as i32 * self.h
    }
    fn total(&self) -> i32 {
        (self.len + NEXT_ROWS) as i32 * self.h
    }
}

/// The scroll window of the timeline. The view (scroll top, viewport
/// height) is kept here from scroll events and never read back from the
/// DOM while rendering (that would force a layout); a scroll re-renders
/// only when it brings other rows into view. When the cursor moves out of
/// view it is centred: the rows are drawn for the new position at once,
/// and the element is scrolled in the next animation frame, when the
/// layout is done anyway. A scroll by the user is left alone until the
/// cursor moves again.
#[hook]
fn use_window(lay: Layout, row_h: u32) -> Window {
    let scroller = use_node_ref();
    let view = use_mut_ref(|| (0i32, 480i32));
    let drawn_first = use_mut_ref(|| usize::MAX);
    let follow = use_mut_ref(|| (usize::MAX, 0usize, 0u32, None::<i32>));
    let redraw = use_force_update();
    let h = lay.h;
    let (st, vh) = *view.borrow();
    let target = {
        let mut f = follow.borrow_mut();
        if (f.0, f.1, f.2) != (lay.cur, lay.len, row_h) {
            *f = (lay.cur, lay.len, row_h, None);
            let next_top = lay.next_top();
            let lo_px = next_top - 2 * h;
            let hi_px = next_top + (NEXT_ROWS as i32 + 2) * h;
            if lo_px < st || hi_px > st + vh {
                f.3 = Some((next_top - vh / 2 + h).clamp(0, (lay.total() - vh).max(0)));
            }
        }
        f.3.unwrap_or(st)
    };
    {
        let (scroller, view, follow) = (scroller.clone(), view.clone(), follow.clone());
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
        let (scroller, view, redraw) = (scroller.clone(), view.clone(), redraw.clone());
        use_effect_with((), move |_| {
            if let Some(el) = scroller.cast::<Element>() {
                *view.borrow_mut() = (el.scroll_top(), el.client_height().max(h));
                redraw.force_update();
            }
        });
    }
    *drawn_first.borrow_mut() = (target / h) as usize;
    let onscroll = on_scroll(view.clone(), follow, drawn_first, redraw, h);
    Window {
        scroller,
        onscroll,
        top: target,
        height: vh,
    }
}

type Follow = Rc<RefCell<(usize, usize, u32, Option<i32>)>>;

/// Keeps the view from the scroller's scroll events; redraws when other
/// rows come into view.
fn on_scroll(
    view: Rc<RefCell<(i32, i32)>>,
    follow: Follow,
    drawn_first: Rc<RefCell<usize>>,
    redraw: UseForceUpdateHandle,
    h: i32,
) -> Callback<Event> {
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
}

/// What every row of one render needs.
struct Rows<'a> {
    p: &'a TimelineProps,
    lay: Layout,
    /// Row elements are keyed by slot (see [`step_row`]).
    slots: usize,
}

/// All lanes of a row are one element: each lane is a layer of its
/// background, chosen by class (`a2`: lane 2 takes the step, `b0`: task 0
/// is inside a syscall). Cheap to lay out at every step.
fn lanes_of(nl: usize, busy: u8, lane: usize) -> Html {
    let mut class = String::from("lanes");
    for l in 0..nl.min(8) {
        if l == lane {
            class.push_str(LANE_A[l]);
        } else if busy & (1 << l) != 0 {
            class.push_str(LANE_B[l]);
        }
    }
    el("div", class.into(), Vec::new())
}

/// A step of a run: who took it, the kernel function, what it changed.
fn step_cell(s: &StepView, class: AttrValue) -> Html {
    el(
        "div",
        class,
        vec![
            el_t("span", "who", s.actor.clone().into()),
            el_t("span", "fn", AttrValue::Static(s.func)),
            el_t("span", "notes", s.notes.clone().into()),
        ],
    )
}

fn ended(class: &'static str) -> Html {
    el_t("div", class, "(its run has ended)".into())
}

/// Step `i`'s row: its number, the lanes, what the step did (and, when
/// comparing, what the other run's step `i` did).
fn step_row(r: &Rows, i: usize) -> Html {
    let p = r.p;
    let mine = p.run.step(i);
    // Comparing: the other run's step i beside this one's, outlined when
    // who or which function differs, or when one run has ended.
    let vs = p.other.as_ref().map(|(o, _)| match o.step(i) {
        Some(s) => {
            let differs = mine.as_ref().map(|m| (&m.actor, m.func)) != Some((&s.actor, s.func));
            let lane = LANE_WHAT[s.lane.min(7)];
            let class = format!("{lane} vs{}", if differs { " differs" } else { "" });
            step_cell(&s, class.into())
        }
        None => ended("what vs ended differs"),
    });
    let nl = p.lanes.len();
    let (lanes, what) = match &mine {
        Some(s) => {
            let busy = p.run.busy.get(i).copied().unwrap_or(0);
            let class = AttrValue::Static(LANE_WHAT[s.lane.min(7)]);
            (lanes_of(nl, busy, s.lane), step_cell(s, class))
        }
        // Comparing: this run has ended, the other goes on.
        None if vs.is_some() => (lanes_of(nl, 0, usize::MAX), ended("what ended")),
        None => return Html::default(),
    };
    let cur = r.lay.cur;
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
    let style = format!("top:{}px;height:{}px", r.lay.top_of_step(i), r.lay.h);
    // Keyed by slot, not by step: after a jump the same elements show
    // other steps (patched, not rebuilt). At most `slots` consecutive
    // steps are drawn, so their keys are distinct, and a window of them
    // reuses (nearly) every key of the previous one.
    html! {
        <div {class} {style} {onclick} key={i % r.slots} data-step={i.to_string()}>
            { el_t("div", "num", i.to_string().into()) }
            { lanes }
            { what }
            { vs.unwrap_or_default() }
        </div>
    }
}

/// A button per runnable actor of a lane.
fn choose_buttons(p: &TimelineProps, l: usize, actors: &[dioscope::view::Runnable]) -> Vec<Html> {
    actors
        .iter()
        .map(|x| {
            let a = x.actor;
            let on_choose = p.on_choose.clone();
            let onclick = Callback::from(move |_| on_choose.emit(a));
            let class = cls(LANE_CHOOSE[l.min(7)], &[(x.recorded, "recorded")]);
            let title = if x.recorded {
                format!("key {}: {} takes the next step, as recorded", x.key, x.name)
            } else {
                format!(
                    "key {}: {} takes the next step instead: a new branch",
                    x.key, x.name
                )
            };
            html! {
                <button {class} {onclick} {title} data-actor={x.name.clone()}>
                    <kbd>{x.key}</kbd>{" "}{x.name.clone()}
                    if !x.what.is_empty() { <small>{" "}{x.what.clone()}</small> }
                </button>
            }
        })
        .collect()
}

/// The "who goes next?" row at the cursor (or why the run is over).
fn next_row(r: &Rows) -> Html {
    let p = r.p;
    let style = format!(
        "top:{}px;height:{}px",
        r.lay.next_top(),
        NEXT_ROWS as i32 * r.lay.h
    );
    let mut buttons = Vec::new();
    let mut waits = Vec::new();
    for (l, n) in p.next.iter().enumerate() {
        match n {
            NextView::Go(actors) => buttons.extend(choose_buttons(p, l, actors)),
            NextView::Waits(w) => waits.push(el_t("span", "waits", w.clone().into())),
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
    for l in 0..p.lanes.len().min(8) {
        match p.next.get(l) {
            Some(NextView::Go(_)) => marks.push_str(LANE_GO[l]),
            Some(NextView::Waits(_)) => marks.push_str(LANE_BLOCKED[l]),
            _ => {}
        }
    }
    html! {
        <div class="row next" {style} key="next" data-testid="next-row">
            { el_t("div", "num", "next".into()) }
            { el("div", marks.into(), Vec::new()) }
            { body }
        </div>
    }
}

/// The header: "step", the lanes' names, what the steps did.
fn head(p: &TimelineProps) -> Html {
    let heads = p
        .lanes
        .iter()
        .enumerate()
        .map(|(l, lane)| {
            attr(
                el_t("div", LANE_NAME[l.min(7)], lane.name.clone().into()),
                "title",
                format!("{}'s lane", lane.name).into(),
            )
        })
        .collect();
    html! {
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
    }
}

#[function_component]
pub fn Timeline(p: &TimelineProps) -> Html {
    // Comparing, the rows go on to the end of the longer run: the cursor
    // can follow either to its end.
    let len = match &p.other {
        Some((o, _)) => p.run.len().max(o.len()),
        None => p.run.len(),
    };
    let lay = Layout {
        h: p.row_h.max(1) as i32,
        cur: p.cursor.min(len),
        len,
    };
    let win = use_window(lay, p.row_h);
    let first_row = (win.top / lay.h) as usize;
    let rows_in_view = (win.height / lay.h) as usize + 1;
    let rows = Rows {
        p,
        lay,
        slots: rows_in_view + 2 * OVERSCAN + NEXT_ROWS + 2,
    };
    let lo = first_row.saturating_sub(OVERSCAN + NEXT_ROWS);
    let hi = (first_row + rows_in_view + OVERSCAN).min(len);
    let mut drawn = Vec::with_capacity(hi.saturating_sub(lo) + 1);
    for i in lo..hi.min(lay.cur) {
        drawn.push(step_row(&rows, i));
    }
    drawn.push(next_row(&rows));
    for i in lo.max(lay.cur)..hi {
        drawn.push(step_row(&rows, i));
    }
    // step number | one narrow column per lane | what happened (| what
    // happened under the other policy)
    let nl = p.lanes.len();
    let cols = if p.other.is_some() {
        format!("--cols: 3em calc({nl} * 2.4em) minmax(0, 1fr) minmax(0, 1fr); --nl: {nl}")
    } else {
        format!("--cols: 3em calc({nl} * 2.4em) minmax(0, 1fr); --nl: {nl}")
    };
    html! {
        <div class="timeline" data-testid="timeline" style={cols}>
            { head(p) }
            <div class="scroller" ref={win.scroller} onscroll={win.onscroll} data-testid="timeline-scroller">
                <div class="rows" style={format!("height:{}px", lay.total())}>
                    { list(drawn) }
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
