//! The simulator's other parts: the policy bar, what the last change did
//! (with the runs to go back to), the state side (one run, or both sides
//! of a comparison), the run's counters and the command line.

use dioscope::sched::Schedule;
use dioscope::view::StateView;
use yew::html::Scope;
use yew::prelude::*;

use super::sharing::SharePanel;
use super::{Msg, PolicyMsg, Simulator};
use crate::components::panels::{knob_panel, outcomes_panel, preset_select, step_detail};
use crate::components::state_view::{state_view, Ctx};
use crate::session::{Event, Run, Simulation};

fn changed(n: usize) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(" ({n} changed)")
    }
}

/// The policy: preset, kernel, filesystem, knobs; the toggles (compare,
/// presentation) and the share buttons.
pub fn policy_bar(
    link: &Scope<Simulator>,
    sim: &Simulation,
    show_knobs: bool,
    present: bool,
) -> Html {
    let def = sim.choice.def();
    let approx = if def.approx { "~" } else { "" };
    let comparing = sim.cmp.is_some();
    let policy = |m: PolicyMsg| Msg::Policy(m);
    html! {
        <div class="policy-bar" data-testid="policy">
            <label for="preset" class="k">{"Policy"}</label>
            { preset_select("preset", sim.choice.preset, "preset", link.callback(move |p| policy(PolicyMsg::Preset(p)))) }
            <span class="kernel" title="the kernel release whose filesystem behaviour applies">
                { if def.proposal { "proposal against " } else { "kernel " } }{approx}{def.kernel.to_string()}
            </span>
            <span class="fs" data-testid="fs" title="the filesystem is part of the scenario">
                {"filesystem "}<b>{sim.sc.setup.fs.name()}</b>
            </span>
            <button class="toggle" aria-expanded={show_knobs.to_string()}
                onclick={link.callback(|_| Msg::Policy(PolicyMsg::ShowKnobs))} data-testid="knobs-toggle">
                {"Knobs"}{changed(sim.choice.set.len())}
            </button>
            <button class={classes!("toggle", comparing.then_some("on"))}
                aria-pressed={comparing.to_string()}
                onclick={link.callback(|_| Msg::Policy(PolicyMsg::Compare))} data-testid="compare-toggle"
                title="run the same schedule under a second policy, side by side">
                {"Compare"}
            </button>
            <button class={classes!("toggle", present.then_some("on"))}
                aria-pressed={present.to_string()}
                onclick={link.callback(|_| Msg::Present)} data-testid="present-toggle"
                title="larger type, less around it: for a lecture hall (Esc leaves it)">
                {"Presentation"}
            </button>
            { SharePanel::buttons(link) }
            <p class="summary">{def.summary}
                if !sim.choice.set.is_empty() { <b>{" Changed: "}{sim.choice.label()}</b> }
            </p>
        </div>
    }
}

/// The knob panel of the main policy.
pub fn knobs(link: &Scope<Simulator>, sim: &Simulation) -> Html {
    knob_panel(
        &sim.sc,
        &sim.choice,
        "main",
        link.callback(|(k, v)| Msg::Policy(PolicyMsg::Knob(k, v))),
    )
}

fn event(sim: &Simulation) -> Html {
    match &sim.event {
        Some(Event::Diverged(d)) => html! {
            <p class="event diverged" data-testid="divergence">
                <b>{"Under "}{sim.choice.label()}{" the schedule stops being possible at step "}{d.step}{": "}</b>
                {d.why.clone()}{". From there the first runnable actor goes."}
            </p>
        },
        Some(Event::Branched { step, actor }) => html! {
            <p class="event branched" data-testid="branched">
                <b>{"A new branch: "}</b>{actor.clone()}{" went next at step "}{*step}{"."}
            </p>
        },
        Some(Event::Error(e)) => html! { <p class="event error">{e.clone()}</p> },
        Some(Event::Link(problems)) => html! {
            <div class="event error" data-testid="link-problem">
                <b>{"Not everything in this link could be restored:"}</b>
                <ul>{ for problems.iter().map(|p| html! { <li>{p.clone()}</li> }) }</ul>
            </div>
        },
        None => Html::default(),
    }
}

/// What the last change did, and the runs to go back to.
pub fn history(link: &Scope<Simulator>, sim: &Simulation) -> Html {
    if sim.event.is_none() && sim.alts.is_empty() {
        return Html::default();
    }
    let alts = (!sim.alts.is_empty()).then(|| {
        html! {
            <div class="alts" data-testid="alternatives">
                <span class="k">{"Back to:"}</span>
                { for sim.alts.iter().enumerate().map(|(i, a)| html! {
                    <button class="alt" onclick={link.callback(move |_| Msg::Restore(i))}
                        title={format!("the run where {} — schedule {}", a.label, Schedule::from_actors(&a.names))}>
                        {"↩ "}{a.label.clone()}
                    </button>
                }) }
            </div>
        }
    });
    html! { <div class="history">{ event(sim) }{ alts.unwrap_or_default() }</div> }
}

/// What the outlines mean.
pub fn legend(comparing: bool) -> Html {
    html! {
        <p class="legend">
            <span class="lg-changed">{"orange"}</span>{": changed by the step just taken"}
            if comparing { {" · "}<span class="lg-differs">{"dashed purple"}</span>{": differs from the other side at the same step"} }
        </p>
    }
}

/// The run's counters, once the run is over (they are totals).
pub fn counters(run: &Run, cursor: usize) -> Html {
    if cursor < run.len() {
        return Html::default();
    }
    let c = run.counters();
    html! {
        <p class="counters" data-testid="counters">
            {"At the end: "}<b>{c.cpu_bytes}</b>{" bytes copied by the CPU, "}
            <b>{c.device_ios}</b>{" device I/Os, "}
            <b>{c.dio_fallbacks}</b>{" direct writes fell back to buffered, "}
            <b>{c.wait_steps}</b>{" steps spent waiting."}
        </p>
    }
}

/// The state before step `cursor` of a run, for the "changed" marks.
fn prev_state(run: &Run, cursor: usize) -> Option<StateView> {
    (cursor > 0).then(|| run.state_at(cursor - 1))
}

/// One run: its outcomes, the step just taken, the state, the counters.
pub fn single(link: &Scope<Simulator>, sim: &Simulation) -> Html {
    let cur = sim.at();
    let run = &sim.run;
    let on_jump = link.callback(Msg::Jump);
    let on_explore = link.callback(|()| Msg::Explore(super::explorer::ExploreMsg::Start));
    let prev = prev_state(run, cur);
    let returned = run.returned_at(cur);
    html! {
        <div class="single">
            { outcomes_panel(run, cur, &sim.sc.refs, &on_jump, Some(&on_explore)) }
            { step_detail(run, cur) }
            { legend(false) }
            { state_view(&run.state_at(cur), &Ctx { prev: prev.as_ref(), other: None, returned: &returned }) }
            { counters(run, cur) }
        </div>
    }
}

/// One side of a comparison, under its title.
fn side(
    title: Html,
    run: &Run,
    cursor: usize,
    on_jump: &Callback<usize>,
    mine: &StateView,
    other: &StateView,
) -> Html {
    let prev = prev_state(run, cursor);
    let returned = run.returned_at(cursor);
    let cx = Ctx {
        prev: prev.as_ref(),
        other: Some(other),
        returned: &returned,
    };
    html! {
        <>
            <h2 class="side-title">{title}</h2>
            { outcomes_panel(run, cursor, &[], on_jump, None) }
            { step_detail(run, cursor) }
            { state_view(mine, &cx) }
            { counters(run, cursor) }
        </>
    }
}

/// Both sides of a comparison, where their schedules part, and side B's
/// policy.
pub fn compare(link: &Scope<Simulator>, sim: &Simulation, show_knobs: bool) -> Html {
    let Some(c) = &sim.cmp else {
        return Html::default();
    };
    let on_jump = link.callback(Msg::Jump);
    let (ca, cb) = (sim.at(), sim.cursor.min(c.run.len()));
    let (va, vb) = (sim.run.state_at(ca), c.run.state_at(cb));
    let ended = |len: usize| {
        (sim.cursor > len).then(|| html! { <small>{" (its run ended at step "}{len}{")"}</small> })
    };
    let div = c.div.as_ref().map(|d| {
        let past = sim.cursor > d.step;
        html! {
            <p class={classes!("divergence", past.then_some("past"))} data-testid="compare-divergence">
                <b>{"The schedules part at step "}{d.step}{": "}</b>
                {"under "}{c.choice.label()}{", "}<code>{d.actor.clone()}</code>{" cannot take that step: "}{d.why.clone()}
                {". From there this side goes on with the first runnable actor."}
            </p>
        }
    });
    let tag_a = html! { <><span class="tag-a">{"A"}</span>{sim.choice.label()}{ended(sim.len()).unwrap_or_default()}</> };
    let tag_b = html! { <><span class="tag-b">{"B"}</span>{c.choice.label()}{ended(c.run.len()).unwrap_or_default()}</> };
    html! {
        <div class="compare-sides" data-testid="compare">
            { div.unwrap_or_default() }
            { legend(true) }
            <div class="sides">
                <div class="side side-a">
                    { side(tag_a, &sim.run, ca, &on_jump, &va, &vb) }
                </div>
                <div class="side side-b" data-testid="side-b">
                    { side(tag_b, &c.run, cb, &on_jump, &vb, &va) }
                </div>
            </div>
            <div class="compare-policy">
                <label for="cmp-preset">{"Side B policy: "}</label>
                { preset_select("cmp-preset", c.choice.preset, "compare-preset", link.callback(|p| Msg::Policy(PolicyMsg::ComparePreset(p)))) }
                <button class="toggle" aria-expanded={show_knobs.to_string()}
                    onclick={link.callback(|_| Msg::Policy(PolicyMsg::ShowCompareKnobs))} data-testid="compare-knobs-toggle">
                    {"Knobs of side B"}{changed(c.choice.set.len())}
                </button>
                if show_knobs {
                    { knob_panel(&sim.sc, &c.choice, "cmp", link.callback(|(k, v)| Msg::Policy(PolicyMsg::CompareKnob(k, v)))) }
                }
            </div>
        </div>
    }
}

/// The same run from the command line (not for very long runs: a line of
/// tens of kilobytes helps nobody, and costs layout time). `file`: what
/// the scenario is called on disk.
pub fn cli_line(sim: &Simulation, file: &str) -> Html {
    let line = if sim.run.schedule.len() <= 2000 {
        dioscope::view::command_line(file, sim.choice.preset, &sim.choice.set, &sim.run.schedule)
    } else {
        format!(
            "(a schedule of {} steps: too long to show as a command line)",
            sim.len()
        )
    };
    html! { <p class="cli" title="the same run from the command line"><code>{line}</code></p> }
}
