//! The timeline as SVG, for slides: one column per actor, one row per
//! step, each step a box with its kernel function; the op that starts and
//! the value it returns; outcomes marked at their step and listed below.
//! All text from the scenario is XML-escaped: a scenario is untrusted.

use crate::world::{Actor, Lane, World};

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Okabe–Ito colours (colour-blind safe), one per task.
const TASK_COLOURS: [&str; 4] = ["#0072B2", "#E69F00", "#009E73", "#CC79A7"];
const DEV_COLOUR: &str = "#555555";
const OUTCOME_COLOUR: &str = "#D55E00";

/// The timeline of a world with history, up to (not including) step `upto`.
pub fn timeline(w: &World, subtitle: &str, upto: Option<usize>) -> String {
    let h = w.hist.as_ref().expect("an SVG needs a world with history");
    let st = &w.st;
    let steps = &h.steps[..upto.unwrap_or(h.steps.len()).min(h.steps.len())];
    let mut cols: Vec<Lane> = (0..st.ntasks() as u8).map(Lane::Task).collect();
    for s in steps {
        if !cols.contains(&s.actor.lane()) {
            cols.push(s.actor.lane());
        }
    }
    cols.sort();
    let (left, colw, rowh, top) = (56.0, 300.0, 34.0, 96.0);
    let width = left + colw * cols.len() as f64 + 24.0;
    let outcomes: Vec<_> = h.outcomes.iter().filter(|o| o.step < steps.len()).collect();
    let foot = 40.0 + 26.0 * outcomes.len() as f64;
    let height = top + rowh * steps.len() as f64 + foot;
    let mut o = String::new();
    o += &format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"14\">\n"
    );
    o += &format!("<rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>\n");
    o += &format!(
        "<text x=\"16\" y=\"30\" font-size=\"20\" font-weight=\"bold\" fill=\"#111\">{}</text>\n",
        esc(&st.scenario.title)
    );
    o += &format!(
        "<text x=\"16\" y=\"54\" font-size=\"15\" fill=\"#333\">{}</text>\n",
        esc(subtitle)
    );
    for (i, c) in cols.iter().enumerate() {
        let x = left + colw * i as f64;
        let (name, colour) = match c {
            Lane::Task(t) => (st.task_name(*t).to_string(), TASK_COLOURS[*t as usize % 4]),
            Lane::Dev => ("dev".into(), DEV_COLOUR),
            Lane::Flush => ("flush".into(), DEV_COLOUR),
            Lane::Reclaim => ("reclaim".into(), DEV_COLOUR),
        };
        o += &format!(
            "<text x=\"{}\" y=\"{}\" font-size=\"17\" font-weight=\"bold\" fill=\"{colour}\">{}</text>\n",
            x + 8.0,
            top - 12.0,
            esc(&name)
        );
        o += &format!(
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#ddd\"/>\n",
            x + colw / 2.0,
            top - 4.0,
            x + colw / 2.0,
            top + rowh * steps.len() as f64
        );
    }
    for (i, s) in steps.iter().enumerate() {
        let ci = cols.iter().position(|c| *c == s.actor.lane()).unwrap();
        let x = left + colw * ci as f64 + 4.0;
        let y = top + rowh * i as f64;
        let colour = match s.actor {
            Actor::Task(t) => TASK_COLOURS[t as usize % 4],
            _ => DEV_COLOUR,
        };
        let fired = outcomes.iter().any(|o| o.step == i);
        o += &format!(
            "<text x=\"{}\" y=\"{}\" fill=\"#888\">{i}</text>\n",
            12.0,
            y + 21.0
        );
        o += &format!(
            "<rect x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"5\" fill=\"{colour}\" fill-opacity=\"0.12\" stroke=\"{}\" stroke-width=\"{}\"/>\n",
            y + 3.0,
            colw - 8.0,
            rowh - 6.0,
            if fired { OUTCOME_COLOUR } else { colour },
            if fired { 3 } else { 1 }
        );
        let mut label = s.name.to_string();
        if let (Actor::Task(t), Some(op)) = (s.actor, s.op) {
            if let Some(c) = h
                .syscalls
                .iter()
                .find(|c| c.task == t && c.op == op && c.end == Some(i))
            {
                let r = match (&c.ret, c.read.is_empty()) {
                    (Some(r), true) => r.to_string(),
                    (Some(_), false) => c.read.join(" "),
                    (None, _) => String::new(),
                };
                label += &format!(" = {r}");
            }
            if h.syscalls
                .iter()
                .any(|c| c.task == t && c.op == op && c.begin == i)
            {
                let op_text = st.scenario.tasks[t as usize].ops[op as usize].to_string();
                o += &format!(
                    "<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{colour}\">{}</text>\n",
                    x + 6.0,
                    y + 13.0,
                    esc(&op_text)
                );
            }
        }
        let max = ((colw - 20.0) / 8.4) as usize;
        let shown: String = if label.chars().count() > max {
            label
                .chars()
                .take(max - 1)
                .chain(std::iter::once('…'))
                .collect()
        } else {
            label
        };
        o += &format!(
            "<text x=\"{}\" y=\"{}\" fill=\"#111\">{}</text>\n",
            x + 6.0,
            y + 26.0,
            esc(&shown)
        );
    }
    let mut y = top + rowh * steps.len() as f64 + 30.0;
    for oc in outcomes {
        let text = format!("{} (step {}): {}", oc.outcome, oc.step, oc.why);
        o += &format!(
            "<text x=\"16\" y=\"{y}\" fill=\"{OUTCOME_COLOUR}\" font-weight=\"bold\">{}</text>\n",
            esc(&text)
        );
        y += 26.0;
    }
    o += "</svg>\n";
    o
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_is_escaped() {
        assert_eq!(super::esc("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;");
    }
}
