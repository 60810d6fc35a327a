//! The root component: follows the URL fragment and shows the view for it.

use std::rc::Rc;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::catalog::{self, Entry};
use crate::components::editor::Editor;
use crate::components::header::Header;
use crate::components::link_page::{self, LinkPage};
use crate::components::not_found::NotFound;
use crate::components::scenario_list::ScenarioList;
use crate::components::scenario_page::ScenarioPage;
use crate::draft;
use crate::route::Route;

/// Name of the `performance.mark` set once the first view is on screen
/// (read by the e2e suite to measure time to interactive).
pub const READY_MARK: &str = "dioscope:ready";

/// The route of the page's fragment. `#/edit/<from>` starts a draft from
/// the template or a bundled scenario and becomes `#/edit` (so that a
/// reload keeps the draft instead of starting it again).
fn current_route() -> Route {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    let route = Route::parse(&hash);
    if let Route::Edit(Some(from)) = &route {
        if let Some(text) = draft::source(from) {
            draft::replace(text);
            let edit = Route::Edit(None);
            crate::browser::replace_fragment(&edit.href());
            return edit;
        }
    }
    route
}

#[function_component]
pub fn App() -> Html {
    let route = use_state(current_route);
    let entries: Rc<Vec<Entry>> = use_memo((), |_| catalog::load());
    // A link is decoded and validated once per link.
    let opened = use_memo((*route).clone(), |r| match r {
        Route::Link(p) => Some(Rc::new(link_page::open(p))),
        _ => None,
    });

    // Follow `hashchange` for as long as the app lives.
    {
        let route = route.clone();
        use_effect_with((), move |_| {
            let window = web_sys::window();
            let listener = Closure::<dyn Fn()>::new(move || route.set(current_route()));
            if let Some(w) = &window {
                let _ = w.add_event_listener_with_callback(
                    "hashchange",
                    listener.as_ref().unchecked_ref(),
                );
            }
            move || {
                if let Some(w) = &window {
                    let _ = w.remove_event_listener_with_callback(
                        "hashchange",
                        listener.as_ref().unchecked_ref(),
                    );
                }
                drop(listener);
            }
        });
    }

    // Mark the first render, for the time-to-interactive measurement.
    use_effect_with((), |_| {
        if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
            let _ = p.mark(READY_MARK);
        }
    });

    let (title, view) = match &*route {
        Route::List => (None, html! { <ScenarioList entries={entries.clone()} /> }),
        Route::Scenario(id) => match entries.iter().find(|e| e.id == id) {
            Some(e) => (
                e.scenario.as_ref().ok().map(|s| s.title.clone()),
                html! { <ScenarioPage entry={e.clone()} /> },
            ),
            None => (
                Some("Not found".to_string()),
                html! { <NotFound kind="scenario" what={id.clone()} /> },
            ),
        },
        Route::Link(_) => match opened.as_ref() {
            Some(o) => (Some(o.title()), html! { <LinkPage opened={o.clone()} /> }),
            None => (None, Html::default()),
        },
        Route::Edit(None) => (
            Some("Scenario editor".to_string()),
            html! { <Editor key={draft::generation()} /> },
        ),
        Route::Edit(Some(from)) => (
            Some("Not found".to_string()),
            html! { <NotFound kind="scenario" what={from.clone()} /> },
        ),
        #[cfg(feature = "e2e")]
        Route::NotFound(what) if what == "/debug/long" => (
            Some("Long run (test)".to_string()),
            html! {
                <main class="wide" data-testid="scenario-page">
                    <crate::components::simulator::Simulator key="debug-long"
                        scenario={Rc::new(crate::debug::long())} id="debug-long" />
                </main>
            },
        ),
        Route::NotFound(what) => (
            Some("Not found".to_string()),
            html! { <NotFound kind="page" what={what.clone()} /> },
        ),
    };

    // The tab's title follows the view; a new view starts at the top.
    {
        let title = title.clone();
        use_effect_with((*route).clone(), move |_| {
            if let Some(w) = web_sys::window() {
                if let Some(d) = w.document() {
                    d.set_title(&match title {
                        Some(t) => format!("{t} — dioscope"),
                        None => "dioscope".to_string(),
                    });
                }
                w.scroll_to_with_x_and_y(0.0, 0.0);
            }
        });
    }

    html! {
        <>
            <Header />
            {view}
        </>
    }
}
