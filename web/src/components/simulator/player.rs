//! The player: play and pause at a speed, and the controls under the
//! policy bar (transport, speed, scrubber, position, random run, explore,
//! reset). Plays by moving the simulation's cursor on animation frames.

use yew::html::Scope;
use yew::prelude::*;

use super::{Msg, Simulator};
use crate::browser;
use crate::session::Simulation;

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

pub enum PlayMsg {
    Toggle,
    /// An animation frame, at this time (ms).
    Tick(f64),
    /// The speed chosen (its index in the list, as text).
    Speed(String),
}

pub struct Player {
    pub playing: bool,
    speed: usize,
    last_tick: Option<f64>,
    /// Steps due but not taken yet (a fraction of one).
    acc: f64,
}

fn next_frame(link: &Scope<Simulator>) {
    let link = link.clone();
    browser::after_frame(move |ts| link.send_message(Msg::Play(PlayMsg::Tick(ts))));
}

impl Player {
    pub fn new() -> Player {
        Player {
            playing: false,
            speed: DEFAULT_SPEED,
            last_tick: None,
            acc: 0.0,
        }
    }

    pub fn stop(&mut self) {
        self.playing = false;
        self.last_tick = None;
        self.acc = 0.0;
    }

    /// Whether the view changes.
    pub fn update(&mut self, sim: &mut Simulation, link: &Scope<Simulator>, msg: PlayMsg) -> bool {
        match msg {
            PlayMsg::Toggle if self.playing => self.stop(),
            PlayMsg::Toggle => {
                if sim.cursor >= sim.span() {
                    sim.jump(0);
                }
                self.playing = true;
                self.last_tick = None;
                // The first step comes at once: pressing play does something.
                sim.jump(sim.cursor + 1);
                next_frame(link);
            }
            PlayMsg::Tick(ts) => {
                if !self.playing {
                    return false;
                }
                let before = sim.cursor;
                let n = self.due(ts);
                if n > 0 {
                    sim.jump(before + n);
                }
                if sim.cursor >= sim.span() {
                    self.stop();
                    return true;
                }
                next_frame(link);
                return sim.cursor != before;
            }
            PlayMsg::Speed(v) => {
                self.speed = v.parse().unwrap_or(DEFAULT_SPEED).min(SPEEDS.len() - 1);
                return false;
            }
        }
        true
    }

    /// Whole steps due at frame time `ts` (ms) at this speed.
    fn due(&mut self, ts: f64) -> usize {
        let last = self.last_tick.replace(ts).unwrap_or(ts);
        self.acc += (ts - last).max(0.0) * SPEEDS[self.speed].0 / 1000.0;
        let n = self.acc.floor();
        self.acc -= n;
        n as usize
    }

    fn transport(&self, link: &Scope<Simulator>) -> Html {
        let speed_opts = SPEEDS.iter().enumerate().map(|(i, (_, label))| {
            html! { <option value={i.to_string()} selected={i == self.speed}>{*label}</option> }
        });
        let toggle = link.callback(|_| Msg::Play(PlayMsg::Toggle));
        html! {
            <div class="transport">
                <button onclick={link.callback(|_| Msg::Jump(0))} title="to the start (Home)" aria-label="to the start" data-testid="to-start">{"|◀"}</button>
                <button onclick={link.callback(|_| Msg::Step(-1))} title="step back (←)" aria-label="step back" data-testid="step-back">{"◀"}</button>
                <button class="play" onclick={toggle} title="play / pause (space)"
                    aria-label={if self.playing { "pause" } else { "play" }} data-testid="play">
                    { if self.playing { "❚❚ Pause" } else { "▶ Play" } }
                </button>
                <button onclick={link.callback(|_| Msg::Step(1))} title="step forward (→)" aria-label="step forward" data-testid="step-forward">{"▶"}</button>
                <button onclick={link.callback(|_| Msg::Jump(usize::MAX))} title="to the end (End)" aria-label="to the end" data-testid="to-end">{"▶|"}</button>
                <label class="speed"><span class="speed-label">{"speed "}</span>
                    <select onchange={link.callback(|e: Event| {
                        let el: web_sys::HtmlSelectElement = e.target_unchecked_into();
                        Msg::Play(PlayMsg::Speed(el.value()))
                    })} data-testid="speed">{ for speed_opts }</select>
                </label>
            </div>
        }
    }

    /// The controls: transport, scrubber, position, and new runs.
    pub fn controls(&self, link: &Scope<Simulator>, sim: &Simulation, seed_text: &str) -> Html {
        let span = sim.span();
        let scrub = link.callback(|e: InputEvent| {
            let el: web_sys::HtmlInputElement = e.target_unchecked_into();
            Msg::Jump(el.value().parse().unwrap_or(0))
        });
        let seed_input = link.callback(|e: InputEvent| {
            let el: web_sys::HtmlInputElement = e.target_unchecked_into();
            Msg::Seed(el.value())
        });
        html! {
            <div class="controls" data-testid="controls">
                { self.transport(link) }
                <input type="range" class="scrubber" min="0" max={span.to_string()} value={sim.cursor.to_string()}
                    oninput={scrub} aria-label="step" data-testid="scrubber" />
                <span class="pos" data-testid="position"><b>{sim.cursor}</b>{" / "}{span}{" steps"}</span>
                <div class="random">
                    <label><span class="seed-label">{"seed "}</span><input type="number" min="0" value={seed_text.to_string()} oninput={seed_input}
                        data-testid="seed" aria-label="seed" title="seed of the random run" /></label>
                    if seed_bad(seed_text) {
                        <span class="seed-bad" role="alert" data-testid="seed-bad">{"a seed is a whole number, 0 or more"}</span>
                    }
                    <button onclick={link.callback(|_| Msg::Random)} data-testid="random"
                        title="a new run from the start, each step by a seeded random choice (like --seed)">{"Random run"}</button>
                    <button onclick={link.callback(|_| Msg::Explore(super::explorer::ExploreMsg::Start))} data-testid="explore-top"
                        title="run every interleaving of this scenario: which outcomes happen always, sometimes, never">{"Explore"}</button>
                    <button onclick={link.callback(|_| Msg::Reset)} data-testid="reset"
                        title="back to the first run, at the start">{"Reset"}</button>
                </div>
            </div>
        }
    }
}

/// Whether the seed field holds something that is not a seed (empty is
/// the next seed).
pub fn seed_bad(t: &str) -> bool {
    !t.trim().is_empty() && t.trim().parse::<u64>().is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_come_at_the_speed_chosen() {
        let mut p = Player::new();
        p.speed = 1; // 1/s
        assert_eq!(p.due(1000.0), 0, "the first frame only starts the clock");
        assert_eq!(p.due(1400.0), 0);
        assert_eq!(p.due(2100.0), 1);
        assert_eq!(p.due(4100.0), 2);
        // A clock that goes back never takes a step back.
        assert_eq!(p.due(3000.0), 0);
        p.stop();
        assert_eq!(p.due(9000.0), 0, "stopping forgets the clock");
    }
}
