use std::rc::Rc;

use yew::prelude::*;

use crate::catalog::Entry;
use crate::components::simulator::Simulator;
use crate::components::tags::Tags;
use crate::markdown;
use crate::route::Route;

#[derive(Properties, PartialEq)]
pub struct ScenarioPageProps {
    pub entry: Entry,
}

/// `#/scenario/<id>`: what the scenario is about, the simulator, and its
/// references.
#[function_component]
pub fn ScenarioPage(props: &ScenarioPageProps) -> Html {
    let e = &props.entry;
    let back = html! { <a class="back" href={Route::List.href()}>{"← All scenarios"}</a> };
    let s = match &e.scenario {
        Ok(s) => s,
        Err(err) => {
            return html! {
                <main data-testid="scenario-page">
                    {back}
                    <h1 class="page-title">{e.id}</h1>
                    <p>{"This bundled scenario does not parse:"}</p>
                    <pre class="error">{err.clone()}</pre>
                </main>
            }
        }
    };
    let sc = Rc::new(s.clone());
    let edit = html! {
        <a class="button-link" href={Route::Edit(Some(e.id.to_string())).href()} data-testid="edit-scenario"
            title="open a copy of this scenario in the editor">{"✎ Edit a copy"}</a>
    };
    scenario_main(
        s,
        back,
        edit,
        html! { <Simulator key={e.id} scenario={sc} id={e.id} /> },
    )
}

/// A scenario's page: the title row (`back`, the title, the tags, then
/// `action`), what it is about (Markdown, rendered safely: the text may
/// come from a link), the simulator, and its references. Every piece of
/// the scenario's text is set as text.
pub fn scenario_main(s: &dioscope::Scenario, back: Html, action: Html, simulator: Html) -> Html {
    html! {
        <main class="wide" data-testid="scenario-page">
            <div class="title-row">
                {back}
                <h1 class="page-title" data-testid="scenario-title">{s.title.clone()}</h1>
                <Tags tags={s.tags.clone()} />
                {action}
            </div>
            { about(&s.about) }
            {simulator}
            if !s.refs.is_empty() {
                <section class="refs" aria-label="references">
                    <h2>{"References"}</h2>
                    <ul>
                        { for s.refs.iter().map(|r| html! { <li>{reference(r)}</li> }) }
                    </ul>
                </section>
            }
        </main>
    }
}

/// What a scenario is about: the first paragraph is the lead, always
/// shown; the rest opens.
pub fn about(text: &str) -> Html {
    let mut nodes = markdown::parse(text);
    let rest = if nodes.len() > 1 {
        nodes.split_off(1)
    } else {
        Vec::new()
    };
    html! {
        <section class="about" aria-label="about this scenario" data-testid="about">
            { markdown::view(&nodes) }
            if !rest.is_empty() {
                <details class="about-more">
                    <summary>{"More: what to watch for"}</summary>
                    { markdown::view(&rest) }
                </details>
            }
        </section>
    }
}

/// A reference is text, or a link when it is exactly a safe absolute URL.
pub fn reference(r: &str) -> Html {
    match markdown::safe_href(r) {
        Some((href, true)) if !r.trim().contains(char::is_whitespace) => html! {
            <a href={href} target="_blank" rel="noopener noreferrer">{r.to_string()}</a>
        },
        _ => html! { {r.to_string()} },
    }
}
