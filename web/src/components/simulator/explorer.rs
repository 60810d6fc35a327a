//! The explorer's panel: every interleaving of the scenario under the
//! policy on screen, computed in time slices between which the page draws
//! and takes clicks (the slicing is `session::Exploration`'s), with a
//! progress bar, a Cancel button, and the verdicts once done.

use dioscope::Outcome;
use yew::html::Scope;
use yew::prelude::*;

use super::{Msg, Simulator};
use crate::browser;
use crate::components::panels::verdicts;
use crate::session::{Exploration, Explored, Simulation};

pub enum ExploreMsg {
    Start,
    /// The next time slice.
    Slice,
    Cancel,
}

#[derive(Default)]
pub struct ExplorePanel {
    exploring: Option<Exploration>,
    explored: Option<Explored>,
    node: NodeRef,
    /// Bring the panel into view after the next render.
    scroll: bool,
    /// What the kernel lab saw running this scenario (bundled texts only).
    observed: Option<&'static dioscope::library::Observed>,
}

/// Milliseconds as "123 ms" (integers only).
fn ms(t: f64) -> String {
    format!("{} ms", t.max(0.0) as u64)
}

/// The kernel lab's observations beside the verdicts (issue 14): the
/// core's sentences, and the preset the kernel was compared with.
fn observed(o: &dioscope::library::Observed, report: &dioscope::explore::Report) -> Html {
    let rows = report.verdicts.iter().map(|v| {
        html! {
            <li data-outcome={v.outcome.name()}><span class="o-name">{v.outcome.name()}</span>{" "}{o.sentence(v.outcome)}</li>
        }
    });
    html! {
        <div class="observed" data-testid="observed">
            <p>{o.heading()}</p>
            <ul>{ for rows }</ul>
        </div>
    }
}

fn next_slice(link: &Scope<Simulator>) {
    let link = link.clone();
    browser::after_task(move || link.send_message(Msg::Explore(ExploreMsg::Slice)));
}

impl ExplorePanel {
    /// Forgets the search and its verdicts (the policy changed).
    pub fn invalidate(&mut self) {
        if let Some(e) = &mut self.exploring {
            e.cancel();
        }
        self.exploring = None;
        self.explored = None;
    }

    /// The shortest schedule showing `o`, from the verdicts on screen.
    pub fn witness(&self, o: Outcome) -> Option<Vec<String>> {
        self.explored.as_ref()?.report.verdict(o).witness.clone()
    }

    /// Whether the view changes.
    pub fn update(&mut self, sim: &Simulation, link: &Scope<Simulator>, msg: ExploreMsg) -> bool {
        match msg {
            ExploreMsg::Start => {
                self.invalidate();
                self.observed = dioscope::library::observed_for(&sim.sc);
                self.exploring = Some(Exploration::start(sim, browser::now()));
                self.scroll = true;
                next_slice(link);
            }
            ExploreMsg::Slice => {
                let Some(e) = &mut self.exploring else {
                    return false;
                };
                if e.slice(&mut browser::now) {
                    let e = self.exploring.take().expect("checked above");
                    self.explored = Some(e.finish(browser::now(), false));
                } else {
                    next_slice(link);
                }
            }
            ExploreMsg::Cancel => {
                if let Some(e) = self.exploring.take() {
                    self.explored = Some(e.finish(browser::now(), true));
                }
            }
        }
        true
    }

    /// After a render: brings a search just started into view.
    pub fn rendered(&mut self) {
        if std::mem::take(&mut self.scroll) {
            if let Some(el) = self.node.cast::<web_sys::Element>() {
                el.scroll_into_view();
            }
        }
    }

    /// Stops the search (the simulator goes away).
    pub fn destroy(&mut self) {
        if let Some(e) = &mut self.exploring {
            e.cancel();
        }
    }

    fn body(&self, link: &Scope<Simulator>) -> Html {
        if let Some(e) = &self.exploring {
            let p = e.progress();
            let permille = p.states * 1000 / (p.states + p.frontier).max(1);
            return html! {
                <div class="exploring" data-testid="exploring">
                    <progress max="1000" value={permille.to_string()}></progress>
                    <span>{p.states}{" states, "}{p.frontier}{" still to expand"}</span>
                    <button onclick={link.callback(|_| Msg::Explore(ExploreMsg::Cancel))} data-testid="explore-cancel">{"Cancel"}</button>
                </div>
            };
        }
        let Some(x) = &self.explored else {
            return html! {
                <p class="quiet">{"Run every possible interleaving of this scenario under the policy above, \
                    and see which outcomes happen always, sometimes or never."}</p>
            };
        };
        let st = &x.report.stats;
        let how = match &st.stopped_by {
            Some(why) => format!(" — stopped: {why}, so NEVER and ALWAYS are not proven"),
            None => " — complete".into(),
        };
        html! {
            <div class="explored" data-testid="explored" data-ms={(x.ms as u64).to_string()}
                data-busy-ms={(x.busy as u64).to_string()}
                data-states={st.states.to_string()} data-complete={st.complete.to_string()}>
                <p class="ex-head">{"Every interleaving under "}<b>{x.label.clone()}</b>{": "}
                    {st.states}{" states, "}{st.terminal_states}{" final states, "}
                    {ms(x.ms)}{how}
                </p>
                { verdicts(&x.report, &link.callback(Msg::OpenWitness)) }
                { self.observed.map(|o| observed(o, &x.report)).unwrap_or_default() }
            </div>
        }
    }

    pub fn view(&self, link: &Scope<Simulator>) -> Html {
        html! {
            <section class="explore" ref={self.node.clone()} data-testid="explore" aria-label="explore every interleaving">
                <h2>{"Every interleaving"}
                    <button class="explore-btn" onclick={link.callback(|_| Msg::Explore(ExploreMsg::Start))}
                        disabled={self.exploring.is_some()} data-testid="explore-run">{"Explore"}</button>
                </h2>
                { self.body(link) }
            </section>
        }
    }
}
