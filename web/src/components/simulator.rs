//! The simulator: a scenario's run, step by step. Owns the session (see
//! `session.rs`), the play loop, the keyboard, and the explorer running in
//! slices; draws the policy bar, the controls, the timeline, the state
//! view(s), the outcomes and the verdicts; shares the run (a permalink,
//! the plain text for email, the SVG: see `share.rs`).

use std::rc::Rc;

use dioscope::explore::{Explorer, Options, Report};
use dioscope::world::Actor;
use dioscope::{Outcome, Scenario, World};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::html::Scope;
use yew::prelude::*;

use crate::components::panels::{knob_panel, outcomes_panel, preset_select, step_detail, verdicts};
use crate::components::state_view::{state_view, Ctx};
use crate::components::timeline::{Next, Timeline};
use crate::session::{lane_of, Choice, Event as SEvent, Run, Session};
use crate::{browser, share};

#[derive(Properties, PartialEq)]
pub struct SimulatorProps {
    pub scenario: Rc<Scenario>,
    /// The bundled scenario's id (for the CLI line and file names); empty
    /// for a scenario from a link or the editor.
    pub id: AttrValue,
    /// A permalink's session to open with (policy, schedule, cursor,
    /// compare mode), instead of the scenario's default run.
    #[prop_or_default]
    pub init: Option<Rc<dioscope::link::Session>>,
}

pub enum Msg {
    Key(String),
    Jump(usize),
    Step(i64),
    TogglePlay,
    Tick(f64),
    Speed(String),
    Choose(Actor),
    ChooseNth(usize),
    Preset(String),
    Knob(&'static str, &'static str),
    ShowKnobs,
    Compare,
    ComparePreset(String),
    CompareKnob(&'static str, &'static str),
    ShowCompareKnobs,
    Seed(String),
    Random,
    Reset,
    Restore(usize),
    Explore,
    ExploreSlice,
    ExploreCancel,
    OpenWitness(Outcome),
    Present,
    CopyLink,
    CopyText,
    Svg,
    /// The clipboard took the text (or not).
    Copied(u32, bool),
    CloseShare,
}

/// What the share panel shows: the text last copied, and whether the
/// clipboard took it (if not, the text is selected for Ctrl+C).
struct Shared {
    what: &'static str,
    text: String,
    /// None while the clipboard has not answered.
    copied: Option<bool>,
    /// Which copy this is (an answer for an older one is ignored).
    n: u32,
}

/// Speeds of play: steps per second, and how it reads (no float
/// formatting in the download).
const SPEEDS: [(f64, &str); 6] = [
    (0.5, "0.5/s"),
    (1.0, "1/s"),
    (2.0, "2/s"),
    (4.0, "4/s"),
    (10.0, "10/s"),
    (30.0, "30/s"),
];
const DEFAULT_SPEED: usize = 2;

/// Milliseconds as "123 ms" (integers only).
fn ms(t: f64) -> String {
    format!("{} ms", t.max(0.0) as u64)
}

struct Exploring {
    ex: Explorer,
    t0: f64,
    /// Time spent computing (the rest is the page's own work).
    busy: f64,
    label: String,
}

struct Explored {
    report: Rc<Report>,
    ms: f64,
    busy: f64,
    label: String,
}

pub struct Simulator {
    s: Session,
    lanes: Rc<Vec<String>>,
    playing: bool,
    speed: usize,
    last_tick: Option<f64>,
    acc: f64,
    show_knobs: bool,
    show_cmp_knobs: bool,
    seed_text: String,
    exploring: Option<Exploring>,
    explored: Option<Explored>,
    present: bool,
    keys: Option<Closure<dyn Fn(web_sys::KeyboardEvent)>>,
    on_jump: Callback<usize>,
    on_choose: Callback<Actor>,
    root: NodeRef,
    /// Bring the simulator into view after the next render (a witness
    /// opened from the verdicts, further down the page).
    scroll_up: bool,
    explore_ref: NodeRef,
    /// Bring the verdicts into view after the next render.
    scroll_explore: bool,
    share: Option<Shared>,
    /// A message about sharing (a run too long for a link, ...).
    share_error: Option<String>,
    share_ref: NodeRef,
    copies: u32,
    /// Select the shared text after the next render (the clipboard
    /// refused it: the user copies it by hand).
    select_share: bool,
}

/// The browser window; `None` natively (the views are also rendered in
/// native tests, where there is no browser).
fn window() -> Option<web_sys::Window> {
    if cfg!(target_arch = "wasm32") {
        web_sys::window()
    } else {
        None
    }
}

fn now() -> f64 {
    window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

fn root_element() -> Option<web_sys::Element> {
    window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
}

thread_local! {
    /// Presentation mode outlives one scenario's page (a lecture goes from
    /// one to the next); the class on `<html>` only lives while a
    /// simulator is shown, so the other pages keep their header.
    static PRESENTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn html_class(class: &str, on: bool) {
    if let Some(el) = root_element() {
        let list = el.class_list();
        let _ = if on {
            list.add_1(class)
        } else {
            list.remove_1(class)
        };
    }
}

fn after_frame(link: &Scope<Simulator>) {
    let link = link.clone();
    let f = Closure::once_into_js(move |ts: f64| link.send_message(Msg::Tick(ts)));
    if let Some(w) = window() {
        let _ = w.request_animation_frame(f.unchecked_ref());
    }
}

fn after_task(link: &Scope<Simulator>, msg: fn() -> Msg) {
    let link = link.clone();
    let f = Closure::once_into_js(move || link.send_message(msg()));
    if let Some(w) = window() {
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(f.unchecked_ref(), 0);
    }
}

/// What one lane shows in the timeline's "who goes next?" row.
fn next_of(s: &Session, w: &World) -> Vec<Next> {
    let sc = &s.sc;
    let lanes = s.lanes().len();
    let mut out: Vec<Next> = vec![Next::Idle; lanes];
    let recorded = s.run.trace.actors.get(s.cursor).copied();
    for (k, a) in w.enabled().iter().enumerate() {
        let l = lane_of(sc, a);
        let what = match a {
            Actor::Dev(i) => {
                w.s.dev
                    .inflight()
                    .get(i as usize)
                    .map(|b| format!("page {}", b.page))
                    .unwrap_or_default()
            }
            _ => String::new(),
        };
        let item = (a, w.actor_name(a), k + 1, what, recorded == Some(a));
        match &mut out[l] {
            Next::Go(v) => v.push(item),
            slot => *slot = Next::Go(vec![item]),
        }
    }
    for wt in w.waits() {
        let l = lane_of(sc, wt.actor);
        if matches!(out[l], Next::Idle) {
            let by: Vec<String> = wt.by.iter().map(|b| w.actor_name(*b)).collect();
            let text = if by.is_empty() {
                wt.need.to_string()
            } else {
                format!("{} (held by {})", wt.need, by.join(", "))
            };
            out[l] = Next::Waits(text);
        }
    }
    for (t, slot) in out.iter_mut().enumerate().take(sc.tasks.len()) {
        if matches!(slot, Next::Idle) && w.s.tasks[t].op as usize >= sc.tasks[t].ops.len() {
            *slot = Next::Done;
        }
    }
    out
}

impl Simulator {
    fn stop(&mut self) {
        self.playing = false;
        self.last_tick = None;
        self.acc = 0.0;
    }

    fn explore_invalidate(&mut self) {
        if let Some(e) = &mut self.exploring {
            e.ex.cancel();
        }
        self.exploring = None;
        self.explored = None;
    }

    fn on_key(&mut self, ctx: &Context<Self>, key: &str) -> bool {
        let link = ctx.link();
        match key {
            " " => link.send_message(Msg::TogglePlay),
            "ArrowRight" => link.send_message(Msg::Step(1)),
            "ArrowLeft" => link.send_message(Msg::Step(-1)),
            "Home" => link.send_message(Msg::Jump(0)),
            "End" => link.send_message(Msg::Jump(usize::MAX)),
            "Escape" if self.present => link.send_message(Msg::Present),
            k if k.len() == 1 && k.as_bytes()[0].is_ascii_digit() && k != "0" => {
                link.send_message(Msg::ChooseNth(usize::from(k.as_bytes()[0] - b'1')))
            }
            _ => return false,
        }
        true
    }

    fn file_stem(&self, ctx: &Context<Self>) -> String {
        share::file_stem(&ctx.props().id, &self.s.sc.title)
    }

    /// Copies `text` (a link or the email text) and shows it.
    fn copy(&mut self, ctx: &Context<Self>, what: &'static str, text: Result<String, String>) {
        match text {
            Ok(text) => {
                self.copies += 1;
                let n = self.copies;
                let link = ctx.link().clone();
                browser::copy(&text, move |ok| link.send_message(Msg::Copied(n, ok)));
                self.share = Some(Shared {
                    what,
                    text,
                    copied: None,
                    n,
                });
                self.share_error = None;
            }
            Err(e) => {
                self.share = None;
                self.share_error = Some(e);
            }
        }
    }

    fn share_view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let close = html! {
            <button class="close" onclick={link.callback(|_| Msg::CloseShare)} aria-label="close" title="close">{"×"}</button>
        };
        if let Some(e) = &self.share_error {
            return html! {
                <div class="share-out error" data-testid="share-out" role="alert">
                    <p>{e.clone()}</p>{close}
                </div>
            };
        }
        let Some(sh) = &self.share else {
            return Html::default();
        };
        let what = if sh.what == "link" {
            "The link"
        } else {
            "The text"
        };
        let (state, msg) = match sh.copied {
            None => ("pending", format!("{what}: copying…")),
            Some(true) => ("yes", format!("{what} is copied to the clipboard.")),
            Some(false) => (
                "no",
                format!("{what} is below, selected: the browser did not let the page use the clipboard, so press Ctrl+C (⌘C) to copy it."),
            ),
        };
        let field = if sh.what == "link" {
            html! { <input ref={self.share_ref.clone()} class="share-text" readonly=true value={sh.text.clone()}
            data-testid="share-text" aria-label="the link" /> }
        } else {
            let rows = sh.text.lines().count().clamp(4, 18);
            html! { <textarea ref={self.share_ref.clone()} class="share-text email" readonly=true rows={rows.to_string()}
            cols="74" wrap="off" data-testid="share-text" aria-label="the text for an email" value={sh.text.clone()} /> }
        };
        html! {
            <div class="share-out" data-testid="share-out" data-what={sh.what} data-copied={state} aria-live="polite">
                <p>{msg}</p>{close}
                {field}
            </div>
        }
    }

    fn compare_view(&self, ctx: &Context<Self>, w: &World) -> Html {
        let link = ctx.link();
        let s = &self.s;
        let Some(c) = &s.cmp else {
            return Html::default();
        };
        let cur = s.at();
        let len_a = s.len();
        let oc = s.cursor.min(c.run.len());
        let ow = c.run.world_at(oc);
        let prev_b = (oc > 0).then(|| &c.run.trace.states[oc - 1]);
        let side_a = state_view(
            w,
            &Ctx {
                prev: (cur > 0).then(|| &s.run.trace.states[cur - 1]),
                other: Some(&ow.s),
                syscalls: &s.run.hist().syscalls,
                cursor: cur,
            },
        );
        let side_b = state_view(
            &ow,
            &Ctx {
                prev: prev_b,
                other: Some(&w.s),
                syscalls: &c.run.hist().syscalls,
                cursor: oc,
            },
        );
        let div = c.div.as_ref().map(|d| {
            let past = s.cursor > d.step;
            html! {
                <p class={classes!("divergence", past.then_some("past"))} data-testid="compare-divergence">
                    <b>{"The schedules part at step "}{d.step}{": "}</b>
                    {"under "}{c.choice.label()}{", "}<code>{d.actor.clone()}</code>{" cannot take that step: "}{d.why.clone()}
                    {". From there this side goes on with the first runnable actor."}
                </p>
            }
        });
        let on_jump = self.on_jump.clone();
        html! {
            <div class="compare-sides" data-testid="compare">
                { div.unwrap_or_default() }
                { legend(true) }
                <div class="sides">
                    <div class="side side-a">
                        <h2 class="side-title"><span class="tag-a">{"A"}</span>{s.choice.label()}
                            if s.cursor > len_a { <small>{" (its run ended at step "}{len_a}{")"}</small> }
                        </h2>
                        { outcomes_panel(&s.run, cur, &[], &on_jump, None) }
                        { step_detail(&s.run, cur) }
                        { side_a }
                        { counters(&s.run, cur) }
                    </div>
                    <div class="side side-b" data-testid="side-b">
                        <h2 class="side-title"><span class="tag-b">{"B"}</span>{c.choice.label()}
                            if s.cursor > c.run.len() { <small>{" (its run ended at step "}{c.run.len()}{")"}</small> }
                        </h2>
                        { outcomes_panel(&c.run, oc, &[], &on_jump, None) }
                        { step_detail(&c.run, oc) }
                        { side_b }
                        { counters(&c.run, oc) }
                    </div>
                </div>
                <div class="compare-policy">
                    <label for="cmp-preset">{"Side B policy: "}</label>
                    { preset_select("cmp-preset", c.choice.preset, "compare-preset", link.callback(Msg::ComparePreset)) }
                    <button class="toggle" aria-expanded={self.show_cmp_knobs.to_string()}
                        onclick={link.callback(|_| Msg::ShowCompareKnobs)} data-testid="compare-knobs-toggle">
                        {"Knobs of side B"}{ if c.choice.set.is_empty() { String::new() } else { format!(" ({} changed)", c.choice.set.len()) } }
                    </button>
                    if self.show_cmp_knobs {
                        { knob_panel(&s.sc, &c.choice, "cmp", link.callback(|(k, v)| Msg::CompareKnob(k, v))) }
                    }
                </div>
            </div>
        }
    }
}

/// What the outlines mean.
fn legend(comparing: bool) -> Html {
    html! {
        <p class="legend">
            <span class="lg-changed">{"orange"}</span>{": changed by the step just taken"}
            if comparing { {" · "}<span class="lg-differs">{"dashed purple"}</span>{": differs from the other side at the same step"} }
        </p>
    }
}

/// The run's counters, once the run is over (they are totals).
fn counters(run: &Run, cursor: usize) -> Html {
    if cursor < run.len() {
        return Html::default();
    }
    let c = &run.hist().counters;
    let waits: u64 = c.lock_waits.values().sum();
    html! {
        <p class="counters" data-testid="counters">
            {"At the end: "}<b>{c.cpu_bytes}</b>{" bytes copied by the CPU, "}
            <b>{c.device_ios}</b>{" device I/Os, "}
            <b>{c.dio_fallbacks}</b>{" direct writes fell back to buffered, "}
            <b>{waits}</b>{" steps spent waiting."}
        </p>
    }
}

impl Component for Simulator {
    type Message = Msg;
    type Properties = SimulatorProps;

    fn create(ctx: &Context<Self>) -> Self {
        let sc = ctx.props().scenario.clone();
        let s = match &ctx.props().init {
            Some(l) => Session::from_link(sc, l),
            None => Session::new(sc),
        };
        let present = PRESENTING.with(|p| p.get());
        html_class("presenting", present);
        Simulator {
            lanes: Rc::new(s.lanes()),
            seed_text: s.seed.to_string(),
            s,
            playing: false,
            speed: DEFAULT_SPEED,
            last_tick: None,
            acc: 0.0,
            show_knobs: false,
            show_cmp_knobs: false,
            exploring: None,
            explored: None,
            present,
            keys: None,
            on_jump: ctx.link().callback(Msg::Jump),
            on_choose: ctx.link().callback(Msg::Choose),
            root: NodeRef::default(),
            scroll_up: false,
            explore_ref: NodeRef::default(),
            scroll_explore: false,
            share: None,
            share_error: None,
            share_ref: NodeRef::default(),
            copies: 0,
            select_share: false,
        }
    }

    /// A new scenario (the editor's text changed): the run is made again
    /// with the same policy, compare mode and schedule, as far as the
    /// schedule still goes.
    fn changed(&mut self, ctx: &Context<Self>, old: &SimulatorProps) -> bool {
        let p = ctx.props();
        if p.scenario != old.scenario {
            self.stop();
            self.explore_invalidate();
            let l = self.s.to_link(self.s.cursor as u32);
            let mut s = Session::from_link(p.scenario.clone(), &l);
            // An edit that makes the old schedule impossible is not news.
            if matches!(s.event, Some(SEvent::Link(_))) {
                s.event = None;
            }
            self.s = s;
            self.lanes = Rc::new(self.s.lanes());
            self.share = None;
        }
        true
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        // Text the clipboard did not take is selected, for Ctrl+C.
        if std::mem::take(&mut self.select_share) {
            if let Some(el) = self.share_ref.cast::<web_sys::HtmlInputElement>() {
                let _ = el.focus();
                el.select();
            } else if let Some(el) = self.share_ref.cast::<web_sys::HtmlTextAreaElement>() {
                let _ = el.focus();
                el.select();
            }
        }
        if std::mem::take(&mut self.scroll_up) {
            if let Some(el) = self.root.cast::<web_sys::Element>() {
                el.scroll_into_view();
            }
        }
        if std::mem::take(&mut self.scroll_explore) {
            if let Some(el) = self.explore_ref.cast::<web_sys::Element>() {
                el.scroll_into_view();
            }
        }
        if !first_render {
            return;
        }
        // Keyboard: space, arrows, Home/End, digits. Not while typing in a
        // field or choosing in a list.
        let link = ctx.link().clone();
        let keys =
            Closure::<dyn Fn(web_sys::KeyboardEvent)>::new(move |e: web_sys::KeyboardEvent| {
                if e.ctrl_key() || e.alt_key() || e.meta_key() {
                    return;
                }
                let tag = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .map(|el| el.tag_name())
                    .unwrap_or_default();
                if matches!(tag.as_str(), "INPUT" | "SELECT" | "TEXTAREA") {
                    return;
                }
                let key = e.key();
                let handled = matches!(
                    key.as_str(),
                    " " | "ArrowRight" | "ArrowLeft" | "Home" | "End" | "Escape"
                ) || key.len() == 1 && key.as_bytes()[0].is_ascii_digit();
                if handled {
                    e.prevent_default();
                    link.send_message(Msg::Key(key));
                }
            });
        if let Some(d) = window().and_then(|w| w.document()) {
            let _ = d.add_event_listener_with_callback("keydown", keys.as_ref().unchecked_ref());
        }
        self.keys = Some(keys);
    }

    fn destroy(&mut self, _ctx: &Context<Self>) {
        html_class("presenting", false);
        if let (Some(k), Some(d)) = (&self.keys, window().and_then(|w| w.document())) {
            let _ = d.remove_event_listener_with_callback("keydown", k.as_ref().unchecked_ref());
        }
        self.playing = false;
        if let Some(e) = &mut self.exploring {
            e.ex.cancel();
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        let link = ctx.link();
        match msg {
            Msg::Key(k) => return self.on_key(ctx, &k),
            Msg::Jump(i) => {
                self.stop();
                self.s.jump(i);
            }
            Msg::Step(d) => {
                self.stop();
                let c = self.s.cursor as i64 + d;
                self.s.jump(c.max(0) as usize);
            }
            Msg::TogglePlay => {
                if self.playing {
                    self.stop();
                } else {
                    if self.s.cursor >= self.s.span() {
                        self.s.jump(0);
                    }
                    self.playing = true;
                    self.last_tick = None;
                    // The first step comes at once: pressing play does something.
                    self.s.jump(self.s.cursor + 1);
                    after_frame(link);
                }
            }
            Msg::Tick(ts) => {
                if !self.playing {
                    return false;
                }
                let last = self.last_tick.replace(ts).unwrap_or(ts);
                self.acc += (ts - last).max(0.0) * SPEEDS[self.speed].0 / 1000.0;
                let n = self.acc.floor();
                self.acc -= n;
                let before = self.s.cursor;
                if n > 0.0 {
                    self.s.jump(before + n as usize);
                }
                if self.s.cursor >= self.s.span() {
                    self.stop();
                    return true;
                }
                after_frame(link);
                return self.s.cursor != before;
            }
            Msg::Speed(v) => {
                self.speed = v.parse().unwrap_or(DEFAULT_SPEED).min(SPEEDS.len() - 1);
                return false;
            }
            Msg::Choose(a) => {
                self.stop();
                self.s.choose(a);
            }
            Msg::ChooseNth(n) => {
                let w = self.s.world();
                if n < w.enabled().len() {
                    let a = w.enabled().get(n);
                    self.stop();
                    self.s.choose(a);
                } else {
                    return false;
                }
            }
            Msg::Preset(p) => {
                self.s.set_preset(&p);
                self.explore_invalidate();
            }
            Msg::Knob(k, v) => {
                self.s.set_knob(k, v);
                self.explore_invalidate();
            }
            Msg::ShowKnobs => self.show_knobs = !self.show_knobs,
            Msg::Compare => {
                if self.s.cmp.is_some() {
                    self.s.compare(None);
                } else {
                    // Default: the next kernel release after this one.
                    let cur = self.s.choice.preset;
                    let pos = dioscope::policy::PRESETS
                        .iter()
                        .position(|p| p.name == cur)
                        .unwrap_or(0);
                    let next = dioscope::policy::PRESETS
                        .iter()
                        .skip(pos + 1)
                        .find(|p| !p.proposal)
                        .or_else(|| dioscope::policy::PRESETS.iter().find(|p| p.name != cur))
                        .map_or(cur, |p| p.name);
                    self.s.compare(Some(Choice::preset(next)));
                }
            }
            Msg::ComparePreset(p) => self.s.set_compare_preset(&p),
            Msg::CompareKnob(k, v) => self.s.set_compare_knob(k, v),
            Msg::ShowCompareKnobs => self.show_cmp_knobs = !self.show_cmp_knobs,
            Msg::Seed(t) => {
                self.seed_text = t;
                return false;
            }
            Msg::Random => {
                self.stop();
                let seed = self
                    .seed_text
                    .trim()
                    .parse::<u64>()
                    .unwrap_or(self.s.seed.wrapping_add(1));
                self.s.random(seed);
                self.seed_text = seed.to_string();
            }
            Msg::Reset => {
                self.stop();
                self.s.reset();
            }
            Msg::Restore(i) => {
                self.stop();
                self.s.restore(i);
            }
            Msg::Explore => {
                self.explore_invalidate();
                let start = World::new_quiet(&self.s.sc, &self.s.policy);
                self.exploring = Some(Exploring {
                    ex: Explorer::new(
                        &start,
                        Options {
                            reduction: true,
                            ..Default::default()
                        },
                    ),
                    t0: now(),
                    busy: 0.0,
                    label: self.s.choice.label(),
                });
                self.scroll_explore = true;
                after_task(link, || Msg::ExploreSlice);
            }
            Msg::ExploreSlice => {
                let Some(e) = &mut self.exploring else {
                    return false;
                };
                // Compute for about 12 ms, then let the page breathe.
                let t = now();
                let mut done = false;
                while !done && now() - t < 12.0 {
                    done = e.ex.run(64);
                }
                e.busy += now() - t;
                if done {
                    let e = self.exploring.take().expect("checked above");
                    let ms = now() - e.t0;
                    self.explored = Some(Explored {
                        report: Rc::new(e.ex.finish()),
                        ms,
                        busy: e.busy,
                        label: e.label,
                    });
                } else {
                    after_task(link, || Msg::ExploreSlice);
                }
            }
            Msg::ExploreCancel => {
                if let Some(mut e) = self.exploring.take() {
                    e.ex.cancel();
                    let ms = now() - e.t0;
                    self.explored = Some(Explored {
                        report: Rc::new(e.ex.finish()),
                        ms,
                        busy: e.busy,
                        label: e.label,
                    });
                }
            }
            Msg::OpenWitness(o) => {
                let Some(x) = &self.explored else {
                    return false;
                };
                let Some(wit) = x.report.verdict(o).witness.clone() else {
                    return false;
                };
                self.stop();
                self.s.load(&wit, Some(o));
                self.scroll_up = true;
            }
            Msg::Present => {
                self.present = !self.present;
                PRESENTING.with(|p| p.set(self.present));
                html_class("presenting", self.present);
            }
            Msg::CopyLink => {
                let url = share::link_at(&self.s, &browser::base_url(), self.s.cursor);
                self.copy(ctx, "link", url);
            }
            Msg::CopyText => {
                let text = share::email_link(&self.s, &browser::base_url())
                    .map(|url| share::email(&self.s, Some(&url)));
                self.copy(ctx, "text", text);
            }
            Msg::Svg => {
                let name = format!("{}-{}.svg", self.file_stem(ctx), self.s.choice.preset);
                self.share = None;
                self.share_error =
                    (!browser::download(&name, "image/svg+xml", &share::svg(&self.s)))
                        .then(|| "This browser did not start the download.".to_string());
            }
            Msg::Copied(n, ok) => match &mut self.share {
                Some(sh) if sh.n == n => {
                    sh.copied = Some(ok);
                    self.select_share = !ok;
                }
                _ => return false,
            },
            Msg::CloseShare => {
                self.share = None;
                self.share_error = None;
            }
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let s = &self.s;
        let len = s.len();
        let span = s.span();
        // The main run's step (the cursor may run on, up to the end of a
        // longer compared run).
        let cur = s.at();
        let w = s.world();
        let over = (cur >= len).then(|| {
            let t = if s.cursor < span {
                "A's run is over; B's goes on."
            } else if w.is_done() {
                "The run is over."
            } else {
                "End of the recorded run."
            };
            AttrValue::from(t)
        });
        let next = Rc::new(if over.is_some() {
            Vec::new()
        } else {
            next_of(s, &w)
        });
        let def = s.choice.def();
        let approx = if def.approx { "~" } else { "" };

        // --- the policy bar ---
        let policy_bar = html! {
            <div class="policy-bar" data-testid="policy">
                <label for="preset" class="k">{"Policy"}</label>
                { preset_select("preset", s.choice.preset, "preset", link.callback(Msg::Preset)) }
                <span class="kernel" title="the kernel release whose filesystem behaviour applies">
                    { if def.proposal { "proposal against " } else { "kernel " } }{approx}{def.kernel.to_string()}
                </span>
                <span class="fs" data-testid="fs" title="the filesystem is part of the scenario">
                    {"filesystem "}<b>{s.sc.setup.fs.name()}</b>
                </span>
                <button class="toggle" aria-expanded={self.show_knobs.to_string()}
                    onclick={link.callback(|_| Msg::ShowKnobs)} data-testid="knobs-toggle">
                    {"Knobs"}{ if s.choice.set.is_empty() { String::new() } else { format!(" ({} changed)", s.choice.set.len()) } }
                </button>
                <button class={classes!("toggle", s.cmp.is_some().then_some("on"))}
                    aria-pressed={s.cmp.is_some().to_string()}
                    onclick={link.callback(|_| Msg::Compare)} data-testid="compare-toggle"
                    title="run the same schedule under a second policy, side by side">
                    {"Compare"}
                </button>
                <button class={classes!("toggle", self.present.then_some("on"))}
                    aria-pressed={self.present.to_string()}
                    onclick={link.callback(|_| Msg::Present)} data-testid="present-toggle"
                    title="larger type, less around it: for a lecture hall (Esc leaves it)">
                    {"Presentation"}
                </button>
                <span class="share-btns">
                    <button onclick={link.callback(|_| Msg::CopyLink)} data-testid="copy-link"
                        title="a link that reopens this run: scenario, policy, schedule, step and comparison">{"Copy link"}</button>
                    <button onclick={link.callback(|_| Msg::CopyText)} data-testid="copy-text"
                        title="the run as plain text for an email (72 columns), with its link">{"Copy as text"}</button>
                    <button onclick={link.callback(|_| Msg::Svg)} data-testid="download-svg"
                        title="the timeline as an SVG image, for slides">{"SVG ↓"}</button>
                </span>
                <p class="summary">{def.summary}
                    if !s.choice.set.is_empty() { <b>{" Changed: "}{s.choice.label()}</b> }
                </p>
            </div>
        };

        // --- controls ---
        let speed_opts = SPEEDS.iter().enumerate().map(|(i, (_, label))| {
            html! { <option value={i.to_string()} selected={i == self.speed}>{*label}</option> }
        });
        let scrub = link.callback(|e: InputEvent| {
            let el: web_sys::HtmlInputElement = e.target_unchecked_into();
            Msg::Jump(el.value().parse().unwrap_or(0))
        });
        let seed_input = link.callback(|e: InputEvent| {
            let el: web_sys::HtmlInputElement = e.target_unchecked_into();
            Msg::Seed(el.value())
        });
        let controls = html! {
            <div class="controls" data-testid="controls">
                <div class="transport">
                    <button onclick={link.callback(|_| Msg::Jump(0))} title="to the start (Home)" aria-label="to the start" data-testid="to-start">{"|◀"}</button>
                    <button onclick={link.callback(|_| Msg::Step(-1))} title="step back (←)" aria-label="step back" data-testid="step-back">{"◀"}</button>
                    <button class="play" onclick={link.callback(|_| Msg::TogglePlay)} title="play / pause (space)"
                        aria-label={if self.playing { "pause" } else { "play" }} data-testid="play">
                        { if self.playing { "❚❚ Pause" } else { "▶ Play" } }
                    </button>
                    <button onclick={link.callback(|_| Msg::Step(1))} title="step forward (→)" aria-label="step forward" data-testid="step-forward">{"▶"}</button>
                    <button onclick={link.callback(|_| Msg::Jump(usize::MAX))} title="to the end (End)" aria-label="to the end" data-testid="to-end">{"▶|"}</button>
                    <label class="speed"><span class="speed-label">{"speed "}</span>
                        <select onchange={link.callback(|e: Event| {
                            let el: web_sys::HtmlSelectElement = e.target_unchecked_into();
                            Msg::Speed(el.value())
                        })} data-testid="speed">{ for speed_opts }</select>
                    </label>
                </div>
                <input type="range" class="scrubber" min="0" max={span.to_string()} value={s.cursor.to_string()}
                    oninput={scrub} aria-label="step" data-testid="scrubber" />
                <span class="pos" data-testid="position"><b>{s.cursor}</b>{" / "}{span}{" steps"}</span>
                <div class="random">
                    <label><span class="seed-label">{"seed "}</span><input type="number" min="0" value={self.seed_text.clone()} oninput={seed_input}
                        data-testid="seed" aria-label="seed" title="seed of the random run" /></label>
                    <button onclick={link.callback(|_| Msg::Random)} data-testid="random"
                        title="a new run from the start, each step by a seeded random choice (like --seed)">{"Random run"}</button>
                    <button onclick={link.callback(|_| Msg::Explore)} data-testid="explore-top"
                        title="run every interleaving of this scenario: which outcomes happen always, sometimes, never">{"Explore"}</button>
                    <button onclick={link.callback(|_| Msg::Reset)} data-testid="reset"
                        title="back to the first run, at the start">{"Reset"}</button>
                </div>
            </div>
        };

        // --- what the last change did, and the runs to go back to ---
        let event = match &s.event {
            Some(SEvent::Diverged(d)) => html! {
                <p class="event diverged" data-testid="divergence">
                    <b>{"Under "}{s.choice.label()}{" the schedule stops being possible at step "}{d.step}{": "}</b>
                    {d.why.clone()}{". From there the first runnable actor goes."}
                </p>
            },
            Some(SEvent::Branched { step, actor }) => html! {
                <p class="event branched" data-testid="branched">
                    <b>{"A new branch: "}</b>{actor.clone()}{" went next at step "}{*step}{"."}
                </p>
            },
            Some(SEvent::Error(e)) => html! { <p class="event error">{e.clone()}</p> },
            Some(SEvent::Link(problems)) => html! {
                <div class="event error" data-testid="link-problem">
                    <b>{"Not everything in this link could be restored:"}</b>
                    <ul>{ for problems.iter().map(|p| html! { <li>{p.clone()}</li> }) }</ul>
                </div>
            },
            None => Html::default(),
        };
        let alts = (!s.alts.is_empty()).then(|| {
            html! {
                <div class="alts" data-testid="alternatives">
                    <span class="k">{"Back to:"}</span>
                    { for s.alts.iter().enumerate().map(|(i, a)| html! {
                        <button class="alt" onclick={link.callback(move |_| Msg::Restore(i))}
                            title={format!("the run where {} — schedule {}", a.label,
                                dioscope::sched::Schedule::from_actors(&a.names))}>
                            {"↩ "}{a.label.clone()}
                        </button>
                    }) }
                </div>
            }
        });
        let history = (s.event.is_some() || !s.alts.is_empty()).then(|| {
            html! { <div class="history">{ event }{ alts.unwrap_or_default() }</div> }
        });

        // --- the main grid: timeline, state ---
        let row_h = if self.present { 60 } else { 46 };
        let diverged_at = match &s.event {
            Some(SEvent::Diverged(d)) => Some(d.step),
            _ => None,
        };
        let timeline = html! {
            <Timeline run={s.run.clone()} lanes={self.lanes.clone()} cursor={s.cursor} next={next}
                {over} {row_h} {diverged_at}
                other={s.cmp.as_ref().map(|c| (c.run.clone(), AttrValue::from(c.choice.label())))}
                on_jump={self.on_jump.clone()} on_choose={self.on_choose.clone()} />
        };
        let right = if s.cmp.is_some() {
            self.compare_view(ctx, &w)
        } else {
            html! {
                <div class="single">
                    { outcomes_panel(&s.run, cur, &s.sc.refs, &self.on_jump, Some(&link.callback(|()| Msg::Explore))) }
                    { step_detail(&s.run, cur) }
                    { legend(false) }
                    { state_view(&w, &Ctx {
                        prev: (cur > 0).then(|| &s.run.trace.states[cur - 1]),
                        other: None,
                        syscalls: &s.run.hist().syscalls,
                        cursor: cur,
                    }) }
                    { counters(&s.run, cur) }
                </div>
            }
        };

        // --- explore ---
        let explore = {
            let body = if let Some(e) = &self.exploring {
                let p = e.ex.progress();
                let permille = p.states * 1000 / (p.states + p.frontier).max(1);
                html! {
                    <div class="exploring" data-testid="exploring">
                        <progress max="1000" value={permille.to_string()}></progress>
                        <span>{p.states}{" states, "}{p.frontier}{" still to expand"}</span>
                        <button onclick={link.callback(|_| Msg::ExploreCancel)} data-testid="explore-cancel">{"Cancel"}</button>
                    </div>
                }
            } else if let Some(x) = &self.explored {
                let st = &x.report.stats;
                html! {
                    <div class="explored" data-testid="explored" data-ms={(x.ms as u64).to_string()}
                        data-busy-ms={(x.busy as u64).to_string()}
                        data-states={st.states.to_string()} data-complete={st.complete.to_string()}>
                        <p class="ex-head">{"Every interleaving under "}<b>{x.label.clone()}</b>{": "}
                            {st.states}{" states, "}{st.terminal_states}{" final states, "}
                            {ms(x.ms)}
                            { match &st.stopped_by { Some(why) => format!(" — stopped: {why}, so NEVER and ALWAYS are not proven"), None => " — complete".into() } }
                        </p>
                        { verdicts(&x.report, &link.callback(Msg::OpenWitness)) }
                    </div>
                }
            } else {
                html! {
                    <p class="quiet">{"Run every possible interleaving of this scenario under the policy above, \
                        and see which outcomes happen always, sometimes or never."}</p>
                }
            };
            html! {
                <section class="explore" ref={self.explore_ref.clone()} data-testid="explore" aria-label="explore every interleaving">
                    <h2>{"Every interleaving"}
                        <button class="explore-btn" onclick={link.callback(|_| Msg::Explore)}
                            disabled={self.exploring.is_some()} data-testid="explore-run">{"Explore"}</button>
                    </h2>
                    { body }
                </section>
            }
        };

        // The same run from the command line (not for very long runs: a
        // line of tens of kilobytes helps nobody, and costs layout time).
        let cli = if s.run.schedule.len() <= 2000 {
            // A scenario from a link or the editor: the file it downloads as.
            let file = match &ctx.props().id {
                id if !id.is_empty() => id.to_string(),
                _ => format!("{}.toml", self.file_stem(ctx)),
            };
            let mut line = format!("dioscope run {file} --preset {}", s.choice.preset);
            for (k, v) in &s.choice.set {
                line.push_str(&format!(" --set {k}={v}"));
            }
            line.push_str(&format!(" --schedule \"{}\"", s.run.schedule));
            line
        } else {
            format!("(a schedule of {len} steps: too long to show as a command line)")
        };

        html! {
            <section class={classes!("simulator", s.cmp.is_some().then_some("comparing"))}
                ref={self.root.clone()} data-testid="simulator" aria-label="simulator"
                data-cursor={s.cursor.to_string()} data-len={span.to_string()} data-playing={self.playing.to_string()}>
                { policy_bar }
                { self.share_view(ctx) }
                if self.show_knobs {
                    { knob_panel(&s.sc, &s.choice, "main", link.callback(|(k, v)| Msg::Knob(k, v))) }
                }
                { controls }
                { history.unwrap_or_default() }
                <div class="sim-grid">
                    { timeline }
                    <div class="right">{ right }</div>
                </div>
                <p class="cli" title="the same run from the command line"><code>{cli}</code></p>
                { explore }
            </section>
        }
    }
}
