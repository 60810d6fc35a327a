//! Smaller views of the simulator: the policy controls, the outcomes of a
//! run, the step at the cursor, and the explorer's verdicts. Plain
//! functions of what they show (the simulator owns every state).

use dioscope::explore::Report;
use dioscope::policy::{PresetDef, KNOBS, PRESETS};
use dioscope::view::{CycleView, OutcomeView};
use dioscope::{Outcome, Scenario};
use yew::prelude::*;

use crate::session::{Choice, Run};

/// A `<select>` of every preset: kernel releases, then proposals. An
/// approximate kernel version is shown with "~".
pub fn preset_select(id: &str, current: &str, testid: &str, onchange: Callback<String>) -> Html {
    let option = |p: &PresetDef| {
        // An approximate release shows as "~": "linux-6.2 (~6.2)".
        let text = if p.approx && !p.proposal {
            format!("{} (~{})", p.name, p.kernel)
        } else {
            p.name.to_string()
        };
        html! { <option value={p.name} selected={p.name == current}>{text}</option> }
    };
    let onchange = Callback::from(move |e: Event| {
        let el: web_sys::HtmlSelectElement = e.target_unchecked_into();
        onchange.emit(el.value());
    });
    html! {
        <select id={id.to_string()} {onchange} data-testid={testid.to_string()}>
            <optgroup label="Kernel releases">
                { for PRESETS.iter().filter(|p| !p.proposal).map(option) }
            </optgroup>
            <optgroup label="Proposals from the threads">
                { for PRESETS.iter().filter(|p| p.proposal).map(option) }
            </optgroup>
        </select>
    }
}

/// Every knob as a labelled `<select>` with its help text and the help of
/// the value chosen. Knobs the user changed are marked.
pub fn knob_panel(
    sc: &Scenario,
    choice: &Choice,
    side: &str,
    on_set: Callback<(&'static str, &'static str)>,
) -> Html {
    let policy = choice.policy(sc);
    let base = choice.base(sc);
    let knobs = KNOBS.iter().map(|k| {
        let value = policy.get(k.name).unwrap_or_default();
        let changed = base.get(k.name) != Some(value);
        let id = format!("{side}-knob-{}", k.name);
        let on_set = on_set.clone();
        let onchange = Callback::from(move |e: Event| {
            let el: web_sys::HtmlSelectElement = e.target_unchecked_into();
            let v = el.value();
            if let Some(def) = KNOBS.iter().find(|d| d.name == k.name) {
                if let Some(val) = def.values.iter().find(|x| x.name == v) {
                    on_set.emit((def.name, val.name));
                }
            }
        });
        let vhelp = k
            .values
            .iter()
            .find(|v| v.name == value)
            .map(|v| v.help)
            .unwrap_or_default();
        html! {
            <div class={classes!("knob", changed.then_some("changed"))} data-knob={k.name}>
                <label for={id.clone()}><code>{k.name}</code>
                    if changed { <span class="b">{"changed"}</span> }
                </label>
                <select {id} {onchange}>
                    { for k.values.iter().map(|v| html! {
                        <option value={v.name} selected={v.name == value} title={v.help}>{v.name}</option>
                    }) }
                </select>
                <p class="vhelp">{vhelp}</p>
                <p class="khelp">{k.help}</p>
            </div>
        }
    });
    html! { <div class="knobs" data-testid={format!("{side}-knobs")}>{ for knobs }</div> }
}

/// Outcomes that have fired by the cursor, each with its step and the
/// core's explanation; a deadlock with its wait-for cycle drawn.
pub fn outcomes_panel(
    run: &Run,
    cursor: usize,
    refs: &[String],
    on_jump: &Callback<usize>,
    on_explore: Option<&Callback<()>>,
) -> Html {
    let fired = run.outcomes_at(cursor);
    let (main, info): (Vec<&OutcomeView>, Vec<&OutcomeView>) = fired.iter().partition(|o| o.major);
    let item = |o: &OutcomeView| {
        let step = o.step;
        let on_jump = on_jump.clone();
        let onclick = Callback::from(move |_| on_jump.emit(step + 1));
        html! {
            <li class={classes!("outcome", o.major.then_some("big"), format!("o-{}", o.name))}
                data-outcome={o.name}>
                <div class="o-head">
                    <span class="o-name">{o.name}</span>
                    <button class="linklike" {onclick} title="go to this step">{"at step "}{step}</button>
                </div>
                <p class="o-why">{o.why.clone()}</p>
                if o.major { <p class="o-meaning">{"("}{o.meaning}{")"}</p> }
                { o.cycle.as_ref().map(cycle_view).unwrap_or_default() }
            </li>
        }
    };
    html! {
        <section class="outcomes" data-testid="outcomes" aria-live="polite">
            if fired.is_empty() {
                <p class="quiet">{ if cursor >= run.len() { "No outcome: nothing went wrong in this run." } else { "No outcome yet." } }</p>
            }
            if main.is_empty() && cursor >= run.len() {
                if let Some(cb) = on_explore {
                    <p class="hint">{"Other orders may go wrong: "}
                        <button class="linklike" onclick={cb.reform(|_| ())} data-testid="explore-hint">
                            {"explore every interleaving"}
                        </button>
                        {", or go back and choose who goes next."}
                    </p>
                }
            }
            <ul>
                { for main.iter().map(|o| item(o)) }
                { for info.iter().map(|o| item(o)) }
            </ul>
            if !main.is_empty() && !refs.is_empty() {
                <p class="o-refs">{"Discussed in: "}
                    { for refs.iter().enumerate().map(|(i, r)| html! {
                        <>{ if i > 0 { "; " } else { "" } }{crate::components::scenario_page::reference(r)}</>
                    }) }
                </p>
            }
        </section>
    }
}

/// A wait-for cycle as boxes and arrows, back to the first.
pub fn cycle_view(cycle: &CycleView) -> Html {
    let first = cycle
        .waits
        .first()
        .map(|c| c.actor.clone())
        .unwrap_or_default();
    html! {
        <div class="cycle" data-testid="deadlock-cycle" title={cycle.text.clone()}>
            { for cycle.waits.iter().map(|c| html! {
                <>
                    <span class="c-actor">{c.actor.clone()}</span>
                    <span class="c-edge">{"waits for "}{c.need.clone()}{" held by "}{c.by.join(", ")}{" →"}</span>
                </>
            }) }
            <span class="c-actor">{first}</span>
            <span class="c-back">{"↺ a cycle: nobody can move"}</span>
        </div>
    }
}

/// The step just taken (the one that led to the state shown), in full.
pub fn step_detail(run: &Run, cursor: usize) -> Html {
    if cursor == 0 {
        return html! {
            <div class="step-detail" data-testid="step-detail">
                <span class="sd-num">{"start"}</span>
                <span class="sd-what">{"Nothing has happened yet. Press play, or pick who goes next."}</span>
            </div>
        };
    }
    let Some(s) = run.step(cursor - 1) else {
        return Html::default();
    };
    html! {
        <div class="step-detail" data-testid="step-detail">
            <span class="sd-num">{"step "}{s.i}</span>
            <span class="sd-actor">{s.actor}</span>
            if let Some(op) = s.op { <code class="sd-op">{op}</code> }
            <span class="sd-fn">{s.func}</span>
            <span class="sd-what">{ if s.notes.is_empty() { "—".to_string() } else { s.notes } }</span>
        </div>
    }
}

/// The explorer's verdicts: per outcome ALWAYS / SOMETIMES / NEVER (or
/// not proven when a bound or a cancel stopped the search), with a button
/// to open the shortest schedule that shows it.
pub fn verdicts(report: &Report, on_open: &Callback<Outcome>) -> Html {
    let terminals = report.stats.terminal_states;
    let rows = report.verdicts.iter().map(|v| {
        let word = v.verdict.name().to_ascii_uppercase();
        let o = v.outcome;
        let on_open = on_open.clone();
        let onclick = Callback::from(move |_| on_open.emit(o));
        html! {
            <tr class={classes!(format!("vd-{}", v.verdict.name()))} data-outcome={o.name()}>
                <th scope="row"><span class="o-name">{o.name()}</span><small>{o.meaning()}</small></th>
                <td class="verdict">
                    <b>{word}</b>
                    if !v.proven { <span class="b b-notproven" title="the search did not finish: this is what the runs explored show">{"not proven"}</span> }
                </td>
                <td class="runs">{v.runs}{" of "}{terminals}</td>
                <td>
                    if v.witness.is_some() {
                        <button class="show-me" {onclick} title="open the shortest schedule that shows it">{"Show me"}</button>
                    }
                </td>
            </tr>
        }
    });
    html! {
        <table class="verdicts" data-testid="verdicts">
            <thead><tr><th>{"outcome"}</th><th>{"verdict"}</th><th>{"final states"}</th><th></th></tr></thead>
            <tbody>{ for rows }</tbody>
        </table>
    }
}
