//! `#/link/<payload>`: a permalink opened. The payload is untrusted (it
//! arrives by email): the core decodes it within its size limits, the
//! scenario it carries is validated like a file, and everything in it is
//! shown as text (the `about` through the safe Markdown renderer). A link
//! that cannot be opened says why, and the rest of the app still works.

use std::rc::Rc;

use dioscope::link;
use dioscope::scenario::{self, ScenarioError};
use dioscope::Scenario;
use yew::prelude::*;

use crate::components::scenario_page::scenario_main;
use crate::components::simulator::Simulator;
use crate::route::Route;
use crate::{browser, draft};

/// What opening a link gave.
#[derive(Debug, PartialEq)]
pub enum Opened {
    Ok {
        session: Rc<link::Session>,
        scenario: Rc<Scenario>,
        /// The bundled scenario with exactly this text, if any.
        bundled: Option<&'static str>,
        /// Tells this link's simulator from another's (a hash of the payload).
        key: String,
    },
    /// The link itself is damaged, truncated, from a newer version, ...
    BadLink(String),
    /// The link is fine but its scenario does not validate.
    BadScenario { error: ScenarioError, text: String },
}

/// The name a link's scenario has in messages.
pub const FILE: &str = "link";

/// Decodes and validates a payload (anything after `#/link/`).
pub fn open(payload: &str) -> Opened {
    let session = match link::Session::decode(payload) {
        Ok(s) => s,
        Err(e) => return Opened::BadLink(e.to_string()),
    };
    match scenario::parse(FILE, &session.scenario) {
        Ok(sc) => {
            let bundled = dioscope::library::bundled()
                .find(|b| b.text == session.scenario)
                .map(|b| b.id());
            Opened::Ok {
                session: Rc::new(session),
                scenario: Rc::new(sc),
                bundled,
                key: dioscope::view::link_key(payload),
            }
        }
        Err(error) => Opened::BadScenario {
            error,
            text: session.scenario,
        },
    }
}

impl Opened {
    /// The tab's title.
    pub fn title(&self) -> String {
        match self {
            Opened::Ok { scenario, .. } => scenario.title.clone(),
            _ => "A link that cannot be opened".into(),
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct LinkPageProps {
    pub opened: Rc<Opened>,
}

/// A button that starts a draft in the editor with `text`.
fn to_editor(text: &str, label: &'static str) -> Html {
    let text = text.to_string();
    let onclick = Callback::from(move |_| {
        draft::replace(&text);
        browser::go(&Route::Edit(None).href());
    });
    html! {
        <button class="button-link" {onclick} data-testid="link-to-editor"
            title="a copy of this link's scenario, to change it">{label}</button>
    }
}

#[function_component]
pub fn LinkPage(props: &LinkPageProps) -> Html {
    let back = html! { <a class="back" href={Route::List.href()}>{"← All scenarios"}</a> };
    match &*props.opened {
        Opened::Ok {
            session,
            scenario,
            bundled,
            key,
        } => {
            let action = html! {
                <>
                    { to_editor(&scenario.source, "✎ Edit a copy") }
                    <p class="link-note" data-testid="link-note">
                        {"Opened from a link: the scenario, the policy and the run came with it. "}
                        if let Some(id) = bundled {
                            {"It is the bundled scenario "}
                            <a href={Route::Scenario(id.to_string()).href()}>{*id}</a>{"."}
                        } else {
                            {"Its scenario is not one of the bundled ones."}
                        }
                    </p>
                </>
            };
            let id = AttrValue::from(bundled.unwrap_or_default());
            scenario_main(
                scenario,
                back,
                action,
                html! {
                    <Simulator key={key.clone()} scenario={scenario.clone()} {id} init={session.clone()} />
                },
            )
        }
        Opened::BadLink(msg) => problem(
            back,
            "This link cannot be opened",
            html! { {msg.clone()} },
            html! {
                <>
                    <p>{"A dioscope link holds the whole run, so it is long; mail programs and chat \
                        sometimes cut or change it. Ask for it again, or for the plain text that \
                        came with it. Everything else works as usual:"}</p>
                    <p><a href={Route::List.href()}>{"the scenarios"}</a>{" · "}
                        <a href={Route::Edit(None).href()}>{"the scenario editor"}</a></p>
                </>
            },
        ),
        Opened::BadScenario { error, text } => problem(
            back,
            "The scenario in this link has an error",
            html! {
                <>
                    if error.line > 0 { {format!("Line {}, column {}: ", error.line, error.col)} }
                    {error.msg.clone()}
                </>
            },
            html! {
                <>
                    <pre class="error">{error.to_string()}</pre>
                    <p>{"It may have been made by another version of dioscope, or by hand. \
                        Open it in the editor to see the error at its line and fix it."}</p>
                    <p>{ to_editor(text, "Open it in the editor") }</p>
                </>
            },
        ),
    }
}

/// A link that cannot be shown: what is wrong, and what to do.
fn problem(back: Html, title: &'static str, msg: Html, rest: Html) -> Html {
    html! {
        <main class="link-error" data-testid="link-error">
            {back}
            <h1 class="page-title">{title}</h1>
            <p class="problem" data-testid="link-error-message">{msg}</p>
            {rest}
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::render;

    fn payload(l: &link::Session) -> String {
        let u = l.url("http://x/").unwrap();
        u[u.find(link::ROUTE).unwrap() + link::ROUTE.len()..].to_string()
    }

    fn bundled_link() -> link::Session {
        link::Session {
            scenario: dioscope::library::find("dio-write-vs-mmap-store")
                .unwrap()
                .text
                .into(),
            schedule: "A:3 B:3".into(),
            cursor: 4,
            ..Default::default()
        }
    }

    #[test]
    fn a_link_opens_its_scenario() {
        let p = payload(&bundled_link());
        match open(&p) {
            Opened::Ok {
                scenario, bundled, ..
            } => {
                assert_eq!(bundled, Some("dio-write-vs-mmap-store"));
                assert!(scenario.title.starts_with("Direct write"));
            }
            o => panic!("{o:?}"),
        }
        let html = render::<LinkPage>(LinkPageProps {
            opened: Rc::new(open(&p)),
        });
        assert!(html.contains("data-testid=\"link-note\""), "{html}");
        assert!(
            html.contains("href=\"#/scenario/dio-write-vs-mmap-store\""),
            "{html}"
        );
        assert!(html.contains("data-cursor=\"4\""), "{html}");
    }

    #[test]
    fn bad_links_say_why() {
        let p = payload(&bundled_link());
        for (bad, what) in [
            ("", "carries no session"),
            (&p[..p.len() / 2], "damaged"),
            ("2.AAAA", "newer dioscope"),
            ("1.a*b", "not valid base64url"),
        ] {
            match open(bad) {
                Opened::BadLink(m) => assert!(m.contains(what), "{bad}: {m}"),
                o => panic!("{bad}: {o:?}"),
            }
        }
        let html = render::<LinkPage>(LinkPageProps {
            opened: Rc::new(open("2.AAAA")),
        });
        assert!(html.contains("This link cannot be opened"), "{html}");
        assert!(html.contains("href=\"#/\""), "{html}");
    }

    #[test]
    fn a_link_s_scenario_is_validated_and_shown_as_text() {
        let mut l = bundled_link();
        l.scenario = "title = \"x\"\n[setup]\nfs = \"zfs\"\n".into();
        match open(&payload(&l)) {
            Opened::BadScenario { error, .. } => {
                assert_eq!((error.line, error.col), (3, 6));
                assert!(error.msg.contains("zfs"));
            }
            o => panic!("{o:?}"),
        }
        // Markup in a link's scenario is text.
        l.scenario = dioscope::library::TEMPLATE
            .replace(
                "title = \"My race\"",
                "title = \"<script>window.__pwned=1</script><img src=x onerror=alert(1)>\"",
            )
            .replace(
                "What to watch for, in Markdown",
                // Inline: a line that starts with `<script>` is an HTML
                // block, all of it text (markdown.rs tests that).
                "See <script>x</script> [a](javascript:alert(1)) <img src=x onerror=alert(2)>",
            );
        let html = render::<LinkPage>(LinkPageProps {
            opened: Rc::new(open(&payload(&l))),
        });
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(
            html.contains("&lt;script&gt;window.__pwned=1&lt;/script&gt;"),
            "{html}"
        );
    }
}
