//! The app's views. Each is a function component that takes what it shows
//! as props and calls no browser API of its own.

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
        let entry = catalog::load()
            .into_iter()
            .find(|e| e.id == "dio-write-vs-mmap-store")
            .unwrap();
        let sc = entry.scenario.clone().unwrap();
        let html = render::<ScenarioPage>(ScenarioPageProps { entry });
        let t = Trace::record(&sc, &sc.policy(None).unwrap(), &[], Then::First).unwrap();
        let steps = &t.end.hist.as_ref().unwrap().steps;
        // The first rows (those in view) carry the core's names and notes.
        for s in &steps[..4] {
            assert!(
                html.contains(&format!("<span class=\"fn\">{}</span>", escape(s.name))),
                "{}: {html}",
                s.name
            );
            assert!(html.contains(&escape(&s.notes.join("; "))), "{html}");
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
