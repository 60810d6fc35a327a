use std::rc::Rc;

use yew::prelude::*;

use crate::catalog::Entry;
use crate::components::tags::Tags;
use crate::route::Route;

#[derive(Properties, PartialEq)]
pub struct ScenarioListProps {
    pub entries: Rc<Vec<Entry>>,
}

/// `#/`: every bundled scenario, with its title and tags.
#[function_component]
pub fn ScenarioList(props: &ScenarioListProps) -> Html {
    html! {
        <main>
            <h1 class="page-title">{"Scenarios"}</h1>
            <p class="lead">
                {"Each scenario is a small race between tasks, the page cache and a disk. \
                  Open one to see what it shows."}
            </p>
            <ul class="scenario-list" data-testid="scenario-list">
                { for props.entries.iter().map(entry) }
            </ul>
        </main>
    }
}

fn entry(e: &Entry) -> Html {
    let href = Route::Scenario(e.id.to_string()).href();
    match &e.scenario {
        Ok(s) => html! {
            <li class="scenario-card" key={e.id}>
                <a class="scenario-link" href={href}>{s.title.clone()}</a>
                <Tags tags={s.tags.clone()} />
            </li>
        },
        Err(err) => html! {
            <li class="scenario-card broken" key={e.id}>
                <a class="scenario-link" href={href}>{e.id}</a>
                <pre class="error">{err.clone()}</pre>
            </li>
        },
    }
}
