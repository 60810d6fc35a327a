//! The simulator: a scenario's run, step by step. A struct component that
//! owns the simulation (`session.rs`) and three parts with their own
//! state and messages: the player (`player.rs`: play loop, controls), the
//! explorer (`explorer.rs`: every interleaving, in time slices) and
//! sharing (`sharing.rs`: link, email text, SVG). It draws the policy bar,
//! the timeline, the state view(s) and the outcomes (`parts.rs`), and
//! listens to the keyboard. It calls browser APIs (keyboard listener,
//! timers, animation frames, scrolling, the clipboard) through
//! `crate::browser` and `web_sys`.

mod explorer;
mod parts;
mod player;
mod sharing;

use std::rc::Rc;

use dioscope::view::LaneView;
use dioscope::{Actor, Outcome, Scenario};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::browser;
use crate::components::timeline::Timeline;
use crate::session::{Event, Simulation};
use explorer::{ExploreMsg, ExplorePanel};
use player::{PlayMsg, Player};
use sharing::{ShareMsg, SharePanel};

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

/// Changes of policy, on either side.
pub enum PolicyMsg {
    Preset(String),
    Knob(&'static str, &'static str),
    ShowKnobs,
    /// Compare with the core's default (or stop comparing).
    Compare,
    ComparePreset(String),
    CompareKnob(&'static str, &'static str),
    ShowCompareKnobs,
}

pub enum Msg {
    Key(String),
    Jump(usize),
    Step(i64),
    Choose(Actor),
    /// The n-th runnable actor (keys 1..9).
    ChooseNth(usize),
    Play(PlayMsg),
    Policy(PolicyMsg),
    Seed(String),
    Random,
    Reset,
    Restore(usize),
    Explore(ExploreMsg),
    OpenWitness(Outcome),
    Present,
    Share(ShareMsg),
}

pub struct Simulator {
    sim: Simulation,
    lanes: Rc<Vec<LaneView>>,
    player: Player,
    explorer: ExplorePanel,
    sharing: SharePanel,
    show_knobs: bool,
    show_cmp_knobs: bool,
    seed_text: String,
    present: bool,
    keys: Option<Closure<dyn Fn(web_sys::KeyboardEvent)>>,
    on_jump: Callback<usize>,
    on_choose: Callback<Actor>,
    root: NodeRef,
    /// Bring the simulator into view after the next render (a witness
    /// opened from the verdicts, further down the page).
    scroll_up: bool,
}

thread_local! {
    /// Presentation mode outlives one scenario's page (a lecture goes from
    /// one to the next); the class on `<html>` only lives while a
    /// simulator is shown, so the other pages keep their header.
    static PRESENTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The keys the simulator takes (not while typing in a field or choosing
/// in a list): space, arrows, Home/End, Escape, digits.
fn listen_to_keys(link: html::Scope<Simulator>) -> Closure<dyn Fn(web_sys::KeyboardEvent)> {
    let keys = Closure::<dyn Fn(web_sys::KeyboardEvent)>::new(move |e: web_sys::KeyboardEvent| {
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
    if let Some(d) = browser::window().and_then(|w| w.document()) {
        let _ = d.add_event_listener_with_callback("keydown", keys.as_ref().unchecked_ref());
    }
    keys
}

impl Simulator {
    /// The message a key stands for.
    fn key_msg(&self, key: &str) -> Option<Msg> {
        Some(match key {
            " " => Msg::Play(PlayMsg::Toggle),
            "ArrowRight" => Msg::Step(1),
            "ArrowLeft" => Msg::Step(-1),
            "Home" => Msg::Jump(0),
            "End" => Msg::Jump(usize::MAX),
            "Escape" if self.present => Msg::Present,
            k if k.len() == 1 && k.as_bytes()[0].is_ascii_digit() && k != "0" => {
                Msg::ChooseNth(usize::from(k.as_bytes()[0] - b'1'))
            }
            _ => return None,
        })
    }

    /// The scenario's file name stem (for downloads).
    fn file_stem(&self, ctx: &Context<Self>) -> String {
        crate::share::file_stem(&ctx.props().id, &self.sim.sc.title)
    }

    /// Policy changes replay the run: the explorer's verdicts are moot.
    fn on_policy(&mut self, msg: PolicyMsg) {
        let s = &mut self.sim;
        match msg {
            PolicyMsg::Preset(p) => {
                s.set_preset(&p);
                self.explorer.invalidate();
            }
            PolicyMsg::Knob(k, v) => {
                s.set_knob(k, v);
                self.explorer.invalidate();
            }
            PolicyMsg::ShowKnobs => self.show_knobs = !self.show_knobs,
            PolicyMsg::Compare if s.cmp.is_some() => s.compare(None),
            PolicyMsg::Compare => s.compare(Some(s.default_comparison())),
            PolicyMsg::ComparePreset(p) => s.set_compare_preset(&p),
            PolicyMsg::CompareKnob(k, v) => s.set_compare_knob(k, v),
            PolicyMsg::ShowCompareKnobs => self.show_cmp_knobs = !self.show_cmp_knobs,
        }
    }

    /// A new run: random from the seed typed, back to the first run, or an
    /// earlier run.
    fn on_run(&mut self, msg: Msg) {
        self.player.stop();
        match msg {
            Msg::Random => {
                // an empty field is the next seed; a bad one is said at
                // the field (player.rs) and runs nothing
                let t = self.seed_text.trim();
                let seed = if t.is_empty() {
                    self.sim.seed.wrapping_add(1)
                } else if let Ok(s) = t.parse() {
                    s
                } else {
                    return;
                };
                self.sim.random(seed);
                self.seed_text = seed.to_string();
            }
            Msg::Reset => self.sim.reset(),
            Msg::Restore(i) => self.sim.restore(i),
            _ => {}
        }
    }

    /// Moves the cursor or chooses who goes next; false if nothing changed.
    fn on_cursor(&mut self, msg: Msg) -> bool {
        match msg {
            Msg::Jump(i) => self.sim.jump(i),
            Msg::Step(d) => {
                let c = self.sim.cursor as i64 + d;
                self.sim.jump(c.max(0) as usize);
            }
            Msg::Choose(a) => self.sim.choose(a),
            Msg::ChooseNth(n) => {
                let w = self.sim.world();
                if n >= w.enabled().len() {
                    return false;
                }
                self.sim.choose(w.enabled().get(n));
            }
            _ => return false,
        }
        self.player.stop();
        true
    }

    fn toggle_present(&mut self) {
        self.present = !self.present;
        PRESENTING.with(|p| p.set(self.present));
        browser::html_class("presenting", self.present);
    }

    /// The timeline of the run (and of side B when comparing).
    fn timeline(&self) -> Html {
        let s = &self.sim;
        let over = (s.at() >= s.len()).then(|| {
            AttrValue::from(if s.cursor < s.span() {
                "A's run is over; B's goes on."
            } else if s.run.trace.end.is_done() {
                "The run is over."
            } else {
                "End of the recorded run."
            })
        });
        let diverged_at = match &s.event {
            Some(Event::Diverged(d)) => Some(d.step),
            _ => None,
        };
        html! {
            <Timeline run={s.run.clone()} lanes={self.lanes.clone()} cursor={s.cursor} next={Rc::new(s.next())}
                {over} row_h={if self.present { 60 } else { 46 }} {diverged_at}
                other={s.cmp.as_ref().map(|c| (c.run.clone(), AttrValue::from(c.choice.label())))}
                on_jump={self.on_jump.clone()} on_choose={self.on_choose.clone()} />
        }
    }

    /// The file the CLI line names: the bundled id, or what a scenario
    /// from a link or the editor downloads as.
    fn cli_file(&self, ctx: &Context<Self>) -> String {
        match &ctx.props().id {
            id if !id.is_empty() => id.to_string(),
            _ => format!("{}.toml", self.file_stem(ctx)),
        }
    }
}

impl Component for Simulator {
    type Message = Msg;
    type Properties = SimulatorProps;

    fn create(ctx: &Context<Self>) -> Self {
        let sc = ctx.props().scenario.clone();
        let sim = match &ctx.props().init {
            Some(l) => Simulation::from_link(sc, l),
            None => Simulation::new(sc),
        };
        let present = PRESENTING.with(|p| p.get());
        browser::html_class("presenting", present);
        Simulator {
            lanes: Rc::new(sim.lanes()),
            seed_text: sim.seed.to_string(),
            sim,
            player: Player::new(),
            explorer: ExplorePanel::default(),
            sharing: SharePanel::default(),
            show_knobs: false,
            show_cmp_knobs: false,
            present,
            keys: None,
            on_jump: ctx.link().callback(Msg::Jump),
            on_choose: ctx.link().callback(Msg::Choose),
            root: NodeRef::default(),
            scroll_up: false,
        }
    }

    /// A new scenario (the editor's text changed): the run is made again
    /// with the same policy, compare mode and schedule, as far as the
    /// schedule still goes.
    fn changed(&mut self, ctx: &Context<Self>, old: &SimulatorProps) -> bool {
        let p = ctx.props();
        if p.scenario != old.scenario {
            self.player.stop();
            self.explorer.invalidate();
            let l = self.sim.to_link(self.sim.cursor as u32);
            let mut s = Simulation::from_link(p.scenario.clone(), &l);
            // An edit that makes the old schedule impossible is not news.
            if matches!(s.event, Some(Event::Link(_))) {
                s.event = None;
            }
            self.sim = s;
            self.lanes = Rc::new(self.sim.lanes());
            self.sharing.close();
        }
        true
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        self.sharing.rendered();
        if std::mem::take(&mut self.scroll_up) {
            if let Some(el) = self.root.cast::<web_sys::Element>() {
                el.scroll_into_view();
            }
        }
        self.explorer.rendered();
        if first_render {
            self.keys = Some(listen_to_keys(ctx.link().clone()));
        }
    }

    fn destroy(&mut self, _ctx: &Context<Self>) {
        browser::html_class("presenting", false);
        if let (Some(k), Some(d)) = (&self.keys, browser::window().and_then(|w| w.document())) {
            let _ = d.remove_event_listener_with_callback("keydown", k.as_ref().unchecked_ref());
        }
        self.player.stop();
        self.explorer.destroy();
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        let link = ctx.link();
        match msg {
            Msg::Key(k) => match self.key_msg(&k) {
                Some(m) => link.send_message(m),
                None => return false,
            },
            m @ (Msg::Jump(_) | Msg::Step(_) | Msg::Choose(_) | Msg::ChooseNth(_)) => {
                return self.on_cursor(m)
            }
            Msg::Play(m) => return self.player.update(&mut self.sim, link, m),
            Msg::Policy(m) => self.on_policy(m),
            Msg::Seed(t) => {
                // redrawn only to show or clear the field's error
                let redraw = player::seed_bad(&t) != player::seed_bad(&self.seed_text);
                self.seed_text = t;
                return redraw;
            }
            m @ (Msg::Random | Msg::Reset | Msg::Restore(_)) => self.on_run(m),
            Msg::Explore(m) => return self.explorer.update(&self.sim, link, m),
            Msg::OpenWitness(o) => {
                let Some(wit) = self.explorer.witness(o) else {
                    return false;
                };
                self.player.stop();
                self.sim.load(&wit, Some(o));
                self.scroll_up = true;
            }
            Msg::Present => self.toggle_present(),
            Msg::Share(m) => {
                let stem = self.file_stem(ctx);
                return self.sharing.update(&self.sim, link, &stem, m);
            }
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let s = &self.sim;
        let right = if s.cmp.is_some() {
            parts::compare(link, s, self.show_cmp_knobs)
        } else {
            parts::single(link, s)
        };
        html! {
            <section class={classes!("simulator", s.cmp.is_some().then_some("comparing"))}
                ref={self.root.clone()} data-testid="simulator" aria-label="simulator"
                data-cursor={s.cursor.to_string()} data-len={s.span().to_string()} data-playing={self.player.playing.to_string()}>
                { parts::policy_bar(link, s, self.show_knobs, self.present) }
                { self.sharing.view(link) }
                if self.show_knobs { { parts::knobs(link, s) } }
                { self.player.controls(link, s, &self.seed_text) }
                { parts::history(link, s) }
                <div class="sim-grid">
                    { self.timeline() }
                    <div class="right">{ right }</div>
                </div>
                { parts::cli_line(s, &self.cli_file(ctx)) }
                { self.explorer.view(link) }
            </section>
        }
    }
}
