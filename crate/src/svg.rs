//! The timeline as SVG, for slides: one column per actor, one row per
//! step, each step a box with its kernel function, the op that starts
//! there and the value it returns; outcomes marked at their step and listed
//! below. Two runs side by side for a comparison. All text from the
//! scenario is XML-escaped: a scenario is untrusted.
//!
//! Coordinates are integers: formatting floats would pull float printing
//! into the web app's wasm (about 8 KB gzipped) for nothing.
//!
//! Drawn from the core's view (`crate::view`): the same lanes, steps and
//! results as the app and the email text.

use crate::view::{self, LaneView, OutcomeView, StepView};
use crate::world::World;

/// Scenario text as XML character data: the five special characters as
/// references, and only characters XML 1.0 allows (its `Char` production
/// has no C0 control but tab, LF and CR, and neither U+FFFE nor U+FFFF); a
/// character it does not allow, and DEL and the C1 controls, which it
/// allows but nobody means, become U+FFFD.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Okabe–Ito colours (colour-blind safe), one per task.
const TASK_COLOURS: [&str; 4] = ["#0072B2", "#E69F00", "#009E73", "#CC79A7"];
const DEV_COLOUR: &str = "#555555";
const OUTCOME_COLOUR: &str = "#D55E00";

const LEFT: i32 = 56;
const COLW: i32 = 300;
const ROWH: i32 = 42;
const TOP: i32 = 100;
/// Width of a monospace character at 14 px, in tenths of a pixel.
const CHAR_W10: i32 = 84;

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        s.chars()
            .take(max.saturating_sub(1))
            .chain(std::iter::once('…'))
            .collect()
    } else {
        s.to_string()
    }
}

fn lane_colour(lane: &LaneView) -> &'static str {
    match lane.task {
        Some(t) => TASK_COLOURS[t as usize % 4],
        None => DEV_COLOUR,
    }
}

/// The outcomes' lines under the steps, wrapped to the drawing's width.
fn outcome_lines(o: &OutcomeView, width: i32) -> Vec<String> {
    crate::diagram::wrap(
        &format!("{} (step {}): {}", o.name, o.step, o.why),
        ((width - 32) * 10 / CHAR_W10) as usize,
    )
}

/// The title, the subtitle and the lanes' heads and lines.
fn heads(w: &World, subtitle: &str, lanes: &[LaneView], rows: usize) -> String {
    let mut o = format!(
        "<text x=\"16\" y=\"30\" font-size=\"20\" font-weight=\"bold\" fill=\"#111\">{}</text>\n",
        esc(&w.st.scenario.title)
    );
    o += &format!(
        "<text x=\"16\" y=\"56\" font-size=\"16\" fill=\"#333\">{}</text>\n",
        esc(subtitle)
    );
    for (i, l) in lanes.iter().enumerate() {
        let x = LEFT + COLW * i as i32;
        let colour = lane_colour(l);
        o += &format!("<text x=\"{}\" y=\"{}\" font-size=\"18\" font-weight=\"bold\" fill=\"{colour}\">{}</text>\n", x + 8, TOP - 12, esc(&l.name));
        let mid = x + COLW / 2;
        o += &format!(
            "<line x1=\"{mid}\" y1=\"{}\" x2=\"{mid}\" y2=\"{}\" stroke=\"#ddd\"/>\n",
            TOP - 4,
            TOP + ROWH * rows as i32
        );
    }
    o
}

/// One step's box in its lane: the op that begins there, the step's
/// label, the value returned there (never cut: the label makes room).
fn step_box(s: &StepView, lanes: &[LaneView]) -> String {
    let x = LEFT + COLW * s.lane as i32 + 4;
    let y = TOP + ROWH * s.i as i32;
    let colour = lane_colour(&lanes[s.lane]);
    let (stroke, sw) = if s.fired {
        (OUTCOME_COLOUR, 3)
    } else {
        (colour, 1)
    };
    let mut o = format!(
        "<text x=\"12\" y=\"{}\" fill=\"#888\">{}</text>\n",
        y + 26,
        s.i
    );
    o += &format!(
        "<rect x=\"{x}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"5\" fill=\"{colour}\" fill-opacity=\"0.12\" stroke=\"{stroke}\" stroke-width=\"{sw}\"/>\n",
        y + 3,
        COLW - 8,
        ROWH - 6
    );
    if let (true, Some(op)) = (s.begins, &s.op) {
        o += &format!(
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"{colour}\">{}</text>\n",
            x + 6,
            y + 16,
            esc(&clip(op, 40))
        );
    }
    let result = match &s.returns {
        Some(r) if r.read.is_empty() => format!("= {}", r.value),
        Some(r) => format!("= {}", r.read_text()),
        None => String::new(),
    };
    let room = ((COLW - 20) * 10 / CHAR_W10) as usize;
    let name_room = room.saturating_sub(if result.is_empty() {
        0
    } else {
        result.chars().count() + 1
    });
    o += &format!(
        "<text x=\"{}\" y=\"{}\" fill=\"#111\">{}</text>\n",
        x + 6,
        y + 32,
        esc(&clip(&s.label, name_room.max(8)))
    );
    if !result.is_empty() {
        o += &format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-weight=\"bold\" fill=\"#111\">{}</text>\n",
            x + COLW - 14,
            y + 32,
            esc(&result)
        );
    }
    o
}

/// One run's timeline as SVG elements at horizontal offset `x0`; returns
/// the elements, the width and the height.
fn body(w: &World, subtitle: &str, upto: Option<usize>, x0: i32) -> (String, i32, i32) {
    let lanes = view::lanes(&w.st.scenario);
    let steps = view::steps(w, upto);
    let width = LEFT + COLW * lanes.len() as i32 + 24;
    let outcomes = view::outcomes(w, Some(steps.len()));
    let foot: i32 = 40
        + outcomes
            .iter()
            .map(|o| 22 * outcome_lines(o, width).len() as i32 + 6)
            .sum::<i32>();
    let height = TOP + ROWH * steps.len() as i32 + foot;
    let mut o = format!("<g transform=\"translate({x0},0)\">\n");
    o += &heads(w, subtitle, &lanes, steps.len());
    for s in &steps {
        o += &step_box(s, &lanes);
    }
    let mut y = TOP + ROWH * steps.len() as i32 + 32;
    for oc in &outcomes {
        for (k, line) in outcome_lines(oc, width).iter().enumerate() {
            let weight = if k == 0 { " font-weight=\"bold\"" } else { "" };
            o += &format!(
                "<text x=\"16\" y=\"{y}\" fill=\"{OUTCOME_COLOUR}\"{weight}>{}</text>\n",
                esc(line)
            );
            y += 22;
        }
        y += 6;
    }
    o += "</g>\n";
    (o, width, height)
}

fn document(parts: &[(String, i32, i32)]) -> String {
    let width: i32 = parts.iter().map(|p| p.1).sum();
    let height = parts.iter().map(|p| p.2).max().unwrap_or(0);
    let mut o = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"14\">\n"
    );
    o += &format!("<rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>\n");
    for p in parts {
        o += &p.0;
    }
    o += "</svg>\n";
    o
}

/// The timeline of a world with history, up to (not including) step `upto`.
pub fn timeline(w: &World, subtitle: &str, upto: Option<usize>) -> String {
    document(&[body(w, subtitle, upto, 0)])
}

/// Two runs side by side (compare mode), each with its subtitle.
pub fn compare(a: &World, sub_a: &str, b: &World, sub_b: &str) -> String {
    let left = body(a, sub_a, None, 0);
    let right = body(b, sub_b, None, left.1 + 24);
    document(&[left, (right.0, right.1 + 24, right.2)])
}

#[cfg(test)]
mod tests {
    #[test]
    fn text_is_escaped() {
        assert_eq!(super::esc("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#39;");
        assert_eq!(
            super::esc("a\u{FFFE}b\u{FFFF}c\u{1b}d\u{0}e\u{7f}f\u{85}g\th\ni"),
            "a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{FFFD}e\u{FFFD}f\u{FFFD}g\th\ni"
        );
    }
}
