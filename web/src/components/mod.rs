//! The app's views. Most are function components or plain functions of
//! what they show (`panels`, `state_view`, `h`). The simulator is a
//! struct component with state of its own, and it, the timeline, the
//! editor, the link page and the app call browser APIs (timers, the
//! keyboard, scrolling, the clipboard, storage), mostly through
//! `crate::browser`.

pub mod editor;
pub mod h;
pub mod header;
pub mod link_page;
pub mod not_found;
pub mod panels;
pub mod scenario_list;
pub mod scenario_page;
pub mod simulator;
pub mod state_view;
pub mod tags;
pub mod timeline;

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use crate::catalog::{self, Entry};
    use crate::testing::render;

    use super::not_found::{NotFound, NotFoundProps};
    use super::scenario_list::{ScenarioList, ScenarioListProps};
    use super::scenario_page::{ScenarioPage, ScenarioPageProps};

    #[test]
    fn the_list_links_every_bundled_scenario_with_its_tags() {
        let entries = catalog::load();
        let html = render::<ScenarioList>(ScenarioListProps {
            entries: Rc::new(entries.clone()),
        });
        for e in &entries {
            let s = e.scenario.as_ref().unwrap();
            assert!(
                html.contains(&format!("href=\"#/scenario/{}\"", e.id)),
                "{html}"
            );
            assert!(html.contains(&escape(&s.title)), "{html}");
            for t in &s.tags {
                assert!(
                    html.contains(&format!("<li class=\"tag\">{}</li>", escape(t))),
                    "{html}"
                );
            }
        }
    }

    #[test]
    fn a_scenario_page_shows_title_about_refs_and_the_simulator() {
        let entry = catalog::load().remove(0);
        let s = entry.scenario.clone().unwrap();
        let html = render::<ScenarioPage>(ScenarioPageProps { entry });
        assert!(
            html.contains("<h1 data-testid=\"scenario-title\""),
            "{html}"
        );
        assert!(
            html.contains(&format!(">{}</h1>", escape(&s.title))),
            "{html}"
        );
        assert!(
            html.contains("data-testid=\"about\" class=\"about\"><p>"),
            "{html}"
        );
        for id in [
            "simulator",
            "timeline",
            "page-cache",
            "extents",
            "device",
            "preset",
            "outcomes",
            "explore",
        ] {
            assert!(
                html.contains(&format!("data-testid=\"{id}\"")),
                "{id}: {html}"
            );
        }
        assert!(
            html.contains(&format!("<b>{}</b>", s.setup.fs.name())),
            "the filesystem is shown"
        );
        for r in &s.refs {
            assert!(html.contains(&escape(r)), "{html}");
        }
    }

    #[test]
    fn the_timeline_shows_the_core_s_steps_and_who_can_go_next() {
        use dioscope::sched::Then;
        use dioscope::trace::Trace;
        use dioscope::view;
        let entry = catalog::load()
            .into_iter()
            .find(|e| e.id == "dio-write-vs-mmap-store")
            .unwrap();
        let sc = entry.scenario.clone().unwrap();
        let html = render::<ScenarioPage>(ScenarioPageProps { entry });
        let t = Trace::record(&sc, &sc.policy(None).unwrap(), &[], Then::First).unwrap();
        // The first rows (those in view) carry the core's names and notes.
        for s in &view::steps(&t.end, Some(4)) {
            assert!(
                html.contains(&format!("<span class=\"fn\">{}</span>", escape(s.func))),
                "{}: {html}",
                s.func
            );
            assert!(html.contains(&escape(&s.notes)), "{html}");
        }
        // Who can go first: a button per runnable actor, keyed 1, 2, ...
        let w = t.world_at(0);
        for (k, a) in w.enabled().iter().enumerate() {
            let name = w.actor_name(a);
            assert!(
                html.contains(&format!("data-actor=\"{name}\"")),
                "{name}: {html}"
            );
            assert!(html.contains(&format!("<kbd>{}</kbd>", k + 1)), "{html}");
        }
        // Nothing has happened yet: no outcome, the start is described.
        assert!(html.contains("No outcome yet."), "{html}");
        assert!(html.contains("Nothing has happened yet"), "{html}");
    }

    /// The page, the email text and the SVG draw the same lanes, in the
    /// same order: the core's (a flusher that never runs has its column
    /// in all three).
    #[test]
    fn the_page_the_text_and_the_svg_have_the_core_s_lanes() {
        use dioscope::view;
        let text = dioscope::library::TEMPLATE.replace("flusher = false", "flusher = true");
        let sc = dioscope::scenario::parse("t.toml", &text).unwrap();
        let html = crate::testing::render::<crate::components::simulator::Simulator>(
            crate::components::simulator::SimulatorProps {
                scenario: Rc::new(sc.clone()),
                id: "".into(),
                init: None,
            },
        );
        let sim = crate::session::Simulation::new(Rc::new(sc.clone()));
        assert!(
            !sim.run.trace.actors.contains(&dioscope::Actor::Flush),
            "the flusher never runs in the first run"
        );
        let lanes: Vec<String> = view::lanes(&sc).into_iter().map(|l| l.name).collect();
        assert_eq!(lanes, ["A", "B", "dev", "flush"]);
        let heads: Vec<&str> = html
            .split("class=\"lane-name lane")
            .skip(1)
            .map(|h| &h[h.find('>').unwrap() + 1..h.find("</div>").unwrap()])
            .collect();
        assert_eq!(heads, lanes);
        let email = crate::share::email(&sim, None);
        let header = email.lines().find(|l| l.starts_with("step ")).unwrap();
        assert_eq!(header.split_whitespace().skip(1).collect::<Vec<_>>(), lanes);
        let svg = crate::share::svg(&sim);
        let svg_lanes: Vec<&str> = svg
            .lines()
            .filter(|l| l.contains("font-size=\"18\""))
            .map(|l| &l[l.find('>').unwrap() + 1..l.rfind("</text>").unwrap()])
            .collect();
        assert_eq!(svg_lanes, lanes);
    }

    /// A bio in flight is named by the core's word in the page.
    #[test]
    fn the_state_view_names_bios_by_the_core_s_words() {
        use dioscope::view::StateView;
        let sc = dioscope::library::find("dio-write-vs-mmap-store")
            .unwrap()
            .parse()
            .unwrap();
        let mut sim = crate::session::Simulation::new(Rc::new(sc));
        let mut seen = Vec::new();
        for i in 0..=sim.len() {
            sim.jump(i);
            let v: StateView = sim.run.state_at(i);
            let html = crate::testing::render::<Probe>(ProbeProps {
                html: crate::components::state_view::state_view(
                    &v,
                    &crate::components::state_view::Ctx {
                        prev: None,
                        other: None,
                        returned: &[],
                    },
                ),
            });
            for b in &v.bios {
                assert!(
                    html.contains(&format!("<span class=\"what\">{}</span>", b.kind)),
                    "{}: {html}",
                    b.kind
                );
                seen.push(b.kind);
            }
        }
        assert!(seen.contains(&"page read"), "{seen:?}");
        assert!(seen.contains(&"direct write"), "{seen:?}");
    }

    #[derive(yew::Properties, PartialEq)]
    struct ProbeProps {
        html: yew::Html,
    }

    /// Renders a view function's output.
    #[yew::function_component]
    fn Probe(p: &ProbeProps) -> yew::Html {
        p.html.clone()
    }

    #[test]
    fn a_broken_entry_shows_its_error() {
        let entry = Entry {
            id: "broken",
            scenario: Err("error: expected `=`\n --> broken.toml:2:5".into()),
        };
        let html = render::<ScenarioPage>(ScenarioPageProps { entry });
        assert!(html.contains("does not parse"), "{html}");
        assert!(
            html.contains("error: expected `=`\n --&gt; broken.toml:2:5"),
            "{html}"
        );
    }

    #[test]
    fn not_found_shows_the_name_as_text() {
        let html = render::<NotFound>(NotFoundProps {
            what: "<b>x</b>".into(),
            kind: "scenario",
        });
        assert!(
            html.contains("No scenario named “&lt;b&gt;x&lt;/b&gt;”"),
            "{html}"
        );
        assert!(html.contains("href=\"#/\""), "{html}");
    }

    /// HTML escaping of text content, as Yew's server renderer does it
    /// (quotes are escaped only inside attributes).
    fn escape(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }
}
