use yew::prelude::*;

use crate::catalog::Entry;
use crate::components::tags::Tags;
use crate::markdown;
use crate::route::Route;

#[derive(Properties, PartialEq)]
pub struct ScenarioPageProps {
    pub entry: Entry,
}

/// `#/scenario/<id>`: what the scenario is about, its references, and the
/// place where its run will be shown.
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
    let about = markdown::view(&markdown::parse(&s.about));
    html! {
        <main data-testid="scenario-page">
            {back}
            <h1 class="page-title" data-testid="scenario-title">{s.title.clone()}</h1>
            <Tags tags={s.tags.clone()} />
            <div class="scenario-layout">
                <section class="about" aria-label="about this scenario" data-testid="about">
                    {about}
                </section>
                <section class="simulator-placeholder" aria-label="simulator" data-testid="simulator">
                    <h2>{"Simulator"}</h2>
                    <p>{"Not built yet. The step-by-step run of this scenario — its tasks, \
                        the page cache, the extent map and the device — will appear here."}</p>
                </section>
            </div>
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

/// A reference is text, or a link when it is exactly a safe absolute URL.
fn reference(r: &str) -> Html {
    match markdown::safe_href(r) {
        Some((href, true)) if !r.trim().contains(char::is_whitespace) => html! {
            <a href={href} target="_blank" rel="noopener noreferrer">{r.to_string()}</a>
        },
        _ => html! { {r.to_string()} },
    }
}
