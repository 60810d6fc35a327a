//! What leaves the app: the permalink, the plain text for email and the
//! SVG of a session. All three are made by the core (`dioscope::link`,
//! `diagram`, `svg`), exactly as the CLI makes them, so that the text the
//! app copies is what `dioscope diagram --link URL` prints. Pure Rust: the
//! browser side (clipboard, downloads) is in `browser.rs`.

use dioscope::{diagram, svg};

use crate::session::{Choice, Simulation};

/// The permalink of the session with the view at `cursor`, for the app at
/// `base` (its address without the fragment). A link is checked by
/// decoding it: a run too long for a link is an error, said in words,
/// rather than a link that would not open.
pub fn link_at(s: &Simulation, base: &str, cursor: usize) -> Result<String, String> {
    s.to_link(cursor.min(u32::MAX as usize) as u32)
        .url(base)
        .map_err(|e| e.to_string())
}

/// The link that goes into the email text: the view at the end of the
/// run, as `dioscope diagram` writes it (the text shows the whole run).
pub fn email_link(s: &Simulation, base: &str) -> Result<String, String> {
    link_at(s, base, s.len())
}

fn sets(c: &Choice) -> Vec<String> {
    c.set.iter().map(|(k, v)| format!("{k}={v}")).collect()
}

/// The plain text for an email: `dioscope::diagram::email` of the run, or
/// in compare mode `diagram::compare` of both sides; `url` is the
/// permalink printed at its end (see [`email_link`]).
pub fn email(s: &Simulation, url: Option<&str>) -> String {
    let set_a = sets(&s.choice);
    let ma = diagram::Meta {
        preset: s.choice.preset,
        set: &set_a,
        link: url,
    };
    match &s.cmp {
        None => diagram::email(&s.run.trace.end, &ma, &s.run.schedule),
        Some(c) => {
            let set_b = sets(&c.choice);
            let mb = diagram::Meta {
                preset: c.choice.preset,
                set: &set_b,
                link: None,
            };
            diagram::compare(
                &s.run.trace.end,
                &ma,
                &c.run.trace.end,
                &mb,
                &s.run.schedule,
                c.div.as_ref(),
            )
        }
    }
}

/// The SVG of the run's timeline, with the filesystem and the policy as
/// its subtitle (as `dioscope run --svg` writes it when no knob is
/// changed); in compare mode both sides, side by side.
pub fn svg(s: &Simulation) -> String {
    let sub = format!("{} · {}", s.sc.setup.fs.name(), s.choice.label());
    match &s.cmp {
        None => svg::timeline(&s.run.trace.end, &sub, None),
        Some(c) => {
            let sub_b = format!("{} · {}", s.sc.setup.fs.name(), c.choice.label());
            svg::compare(&s.run.trace.end, &sub, &c.run.trace.end, &sub_b)
        }
    }
}

/// A file name stem for a scenario: its bundled id, else its title in
/// lower case, letters and digits joined by `-` (never empty).
pub fn file_stem(id: &str, title: &str) -> String {
    if !id.is_empty() {
        return id.to_string();
    }
    let mut out = String::new();
    for w in title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if out.len() + 1 + w.len() > 48 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&w.to_ascii_lowercase());
    }
    if out.is_empty() {
        "scenario".into()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use dioscope::link;
    use dioscope::run::RunSpec;

    use super::*;

    const BASE: &str = "http://127.0.0.1:8080/";

    fn session(id: &str) -> Simulation {
        let sc = dioscope::library::find(id).unwrap().parse().unwrap();
        Simulation::new(Rc::new(sc))
    }

    /// What `dioscope diagram --link URL` prints, made the way the CLI
    /// makes it (crate/src/main.rs): from the link alone.
    fn cli_diagram(url: &str) -> String {
        let l = link::Session::decode(url).unwrap();
        let sc = dioscope::scenario::parse("link", &l.scenario).unwrap();
        let spec = RunSpec {
            preset: l.preset.clone(),
            set: l.set.clone(),
            schedule: l.schedule.clone(),
            seed: None,
        };
        let (w, taken) = spec.run(&sc).unwrap();
        let sched = taken.to_string();
        let again = link::Session {
            cursor: w.steps_taken() as u32,
            schedule: sched.clone(),
            ..l.clone()
        };
        let url = again.url(BASE).unwrap();
        let set_a = spec.set_strings();
        let ma = diagram::Meta {
            preset: spec.preset_name(&sc),
            set: &set_a,
            link: Some(&url),
        };
        match &l.compare {
            None => diagram::email(&w, &ma, &sched),
            Some(c) => {
                let spec_b = RunSpec {
                    preset: c.preset.clone().or_else(|| spec.preset.clone()),
                    set: c.set.clone(),
                    ..Default::default()
                };
                let names: Vec<String> = dioscope::sched::Schedule::parse(&sched)
                    .unwrap()
                    .0
                    .iter()
                    .flat_map(|t| std::iter::repeat_n(t.actor.clone(), t.times as usize))
                    .collect();
                let t = dioscope::trace::Trace::record(
                    &sc,
                    &spec.policy(&sc).unwrap(),
                    &names,
                    dioscope::sched::Then::First,
                )
                .unwrap();
                let (tb, div) = t
                    .replay_then(
                        &sc,
                        &spec_b.policy(&sc).unwrap(),
                        dioscope::sched::Then::First,
                    )
                    .unwrap();
                let set_b = spec_b.set_strings();
                let mb = diagram::Meta {
                    preset: spec_b.preset_name(&sc),
                    set: &set_b,
                    link: None,
                };
                diagram::compare(&w, &ma, &tb.end, &mb, &sched, div.as_ref())
            }
        }
    }

    fn names(s: &str) -> Vec<String> {
        dioscope::sched::Schedule::parse(s)
            .unwrap()
            .0
            .iter()
            .flat_map(|t| std::iter::repeat_n(t.actor.clone(), t.times as usize))
            .collect()
    }

    #[test]
    fn the_email_text_is_what_the_cli_prints_for_the_same_link() {
        let mut s = session("dio-write-vs-mmap-store");
        s.load(&names("A:3 B:3"), None);
        s.jump(4);
        let url = email_link(&s, BASE).unwrap();
        let text = email(&s, Some(&url));
        assert_eq!(text, cli_diagram(&link_at(&s, BASE, 4).unwrap()));
        assert!(
            text.lines().all(|l| l.chars().count() <= diagram::WIDTH),
            "{text}"
        );
        assert!(text.contains("spurious-eio"), "{text}");

        // A knob, then compare mode with a knob on side B.
        s.set_knob("wb_error_report", "as-eio-flag");
        s.compare(Some(Choice::preset("linux-5.9")));
        s.set_compare_knob("dio_read_invalidate", "yes");
        let url = email_link(&s, BASE).unwrap();
        let text = email(&s, Some(&url));
        assert_eq!(text, cli_diagram(&url));
        assert!(text.contains("linux-5.9"), "{text}");
        assert!(
            text.lines().all(|l| l.chars().count() <= diagram::WIDTH),
            "{text}"
        );
    }

    #[test]
    fn the_svg_is_the_core_s_and_escapes_the_scenario() {
        let s = session("dio-write-vs-mmap-store");
        let out = svg(&s);
        assert!(out.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(out.contains("xfs · linux-5.8"), "{out}");
        let evil = dioscope::library::TEMPLATE.replace(
            "title = \"My race\"",
            "title = \"<script>alert(1)</script>\"",
        );
        let sc = dioscope::scenario::parse("evil", &evil).unwrap();
        let out = svg(&Simulation::new(Rc::new(sc)));
        assert!(!out.contains("<script"), "{out}");
        assert!(out.contains("&lt;script&gt;"), "{out}");
    }

    #[test]
    fn a_run_too_long_for_a_link_says_so() {
        // Four tasks of 64 reads: the schedule alone is longer than a link
        // may carry.
        let ops = vec!["\"read 0-15 direct\""; 64].join(", ");
        let mut t = String::from(
            "title = \"long\"\n[setup]\nfs = \"xfs\"\npages = 16\non_disk = \"written\"\n",
        );
        for n in ["A", "B", "C", "D"] {
            t.push_str(&format!("[[task]]\nname = \"{n}\"\nops = [{ops}]\n"));
        }
        let sc = dioscope::scenario::parse("long", &t).unwrap();
        let mut s = Simulation::new(Rc::new(sc));
        s.random(3);
        match link_at(&s, BASE, 0) {
            Ok(u) => assert!(link::Session::decode(&u).is_ok()),
            Err(e) => assert!(e.contains("does not fit in a link"), "{e}"),
        }
    }

    #[test]
    fn file_stems() {
        assert_eq!(
            file_stem("dio-write-vs-mmap-store", "x"),
            "dio-write-vs-mmap-store"
        );
        assert_eq!(file_stem("", "My race: A vs. B!"), "my-race-a-vs-b");
        assert_eq!(file_stem("", "<script>"), "script");
        assert_eq!(file_stem("", "ü—ï"), "scenario");
        assert_eq!(file_stem("", "ünï"), "n");
        assert!(file_stem("", &"word ".repeat(40)).len() <= 48);
    }
}
