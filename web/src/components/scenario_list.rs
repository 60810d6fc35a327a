use std::rc::Rc;

use yew::prelude::*;

use crate::catalog::Entry;
use crate::components::tags::Tags;
use crate::markdown;
use crate::route::Route;

#[derive(Properties, PartialEq)]
pub struct ScenarioListProps {
    pub entries: Rc<Vec<Entry>>,
}

/// Whether an entry matches a search: every word of the query is in its
/// title or one of its tags (case-insensitive for ASCII letters: Unicode's
/// case tables cost about 8 KB of the download, and the library's titles and
/// tags are English); an empty query matches all.
pub fn matches(e: &Entry, query: &str) -> bool {
    let q = query.trim().to_ascii_lowercase();
    if q.is_empty() {
        return true;
    }
    let (title, tags) = match &e.scenario {
        Ok(s) => (
            s.title.to_ascii_lowercase(),
            s.tags.join(" ").to_ascii_lowercase(),
        ),
        Err(_) => (e.id.to_ascii_lowercase(), String::new()),
    };
    q.split_whitespace()
        .all(|w| title.contains(w) || tags.contains(w) || e.id.contains(w))
}

/// `#/`: every bundled scenario, with its title, tags and what it is
/// about; a search by title and tag.
#[function_component]
pub fn ScenarioList(props: &ScenarioListProps) -> Html {
    let query = use_state(String::new);
    let oninput = {
        let query = query.clone();
        Callback::from(move |e: InputEvent| {
            let el: web_sys::HtmlInputElement = e.target_unchecked_into();
            query.set(el.value());
        })
    };
    let shown: Vec<&Entry> = props
        .entries
        .iter()
        .filter(|e| matches(e, &query))
        .collect();
    html! {
        <main>
            <h1 class="page-title">{"Scenarios"}</h1>
            <p class="lead">
                {"Each scenario is a small race between tasks, the page cache and a disk. \
                  Open one to watch it step by step, change the kernel policy, and compare two."}
            </p>
            <p class="write-own" data-testid="write-own">{"Or write your own: "}
                <a href={Route::Edit(Some("new".into())).href()} data-testid="new-scenario">{"a new scenario from a template"}</a>
                {", or "}<a href={Route::Edit(None).href()}>{"your draft"}</a>{" in the editor."}
            </p>
            <div class="search">
                <label for="search">{"Search by title or tag "}</label>
                <input id="search" type="search" value={(*query).clone()} {oninput}
                    placeholder="e.g. btrfs, generic/547, thread-2020-07" data-testid="search" />
                <span class="count" data-testid="search-count">
                    {shown.len()}{" of "}{props.entries.len()}
                </span>
            </div>
            if shown.is_empty() {
                <p class="quiet" data-testid="no-match">{"No scenario matches."}</p>
            }
            <ul class="scenario-list" data-testid="scenario-list">
                { for shown.into_iter().map(entry) }
            </ul>
        </main>
    }
}

fn entry(e: &Entry) -> Html {
    let href = Route::Scenario(e.id.to_string()).href();
    match &e.scenario {
        Ok(s) => {
            // The first paragraph of what the scenario is about.
            let mut about = markdown::parse(&s.about);
            about.truncate(1);
            html! {
                <li class="scenario-card" key={e.id}>
                    <a class="scenario-link" href={href}>{s.title.clone()}</a>
                    <div class="card-about">{markdown::view(&about)}</div>
                    <Tags tags={s.tags.clone()} />
                </li>
            }
        }
        Err(err) => html! {
            <li class="scenario-card broken" key={e.id}>
                <a class="scenario-link" href={href}>{e.id}</a>
                <pre class="error">{err.clone()}</pre>
            </li>
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_by_title_and_tag() {
        let entries = crate::catalog::load();
        let all = entries.iter().filter(|e| matches(e, "")).count();
        assert_eq!(all, entries.len());
        let by_tag: Vec<&str> = entries
            .iter()
            .filter(|e| matches(e, "thread-2020-07"))
            .map(|e| e.id)
            .collect();
        assert!(by_tag.contains(&"dio-write-vs-mmap-store"), "{by_tag:?}");
        let both: Vec<&str> = entries
            .iter()
            .filter(|e| matches(e, "BTRFS generic/547"))
            .map(|e| e.id)
            .collect();
        assert!(both.contains(&"generic-547-btrfs-spurious-eio"), "{both:?}");
        assert!(both
            .iter()
            .all(|id| id.contains("btrfs") || id.contains("547")));
        assert_eq!(
            entries
                .iter()
                .filter(|e| matches(e, "no-such-word"))
                .count(),
            0
        );
    }
}
