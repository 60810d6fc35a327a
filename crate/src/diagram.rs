//! Plain text for email: one column per actor, at most 72 columns wide
//! (long step names wrap within their column), the steps in order, what
//! each syscall returned and each read saw, the outcomes with their
//! explanation, the schedule and the permalink. ASCII only, so it survives
//! any mail client. The CLI (`dioscope diagram`) and the app's "Copy as
//! text" produce exactly this.

use crate::trace::Divergence;
use crate::world::{Actor, Lane, Ret, World};

pub const WIDTH: usize = 72;

/// What the diagram is about, for the header.
pub struct Meta<'a> {
    pub preset: &'a str,
    /// Knob overrides as "knob=value".
    pub set: &'a [String],
    /// The permalink (wrapped in <> across lines), if any.
    pub link: Option<&'a str>,
}

fn ascii(s: &str) -> String {
    s.replace('→', "->")
        .replace('←', "<-")
        .replace('…', "...")
        .chars()
        .map(|c| if c.is_ascii() { c } else { '?' })
        .collect()
}

/// Wraps `text` to `width`, breaking after spaces, `_`, `(`, `,` or `-`
/// where it can, anywhere if it must.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(4);
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut rest: &str = para;
        if rest.is_empty() {
            out.push(String::new());
            continue;
        }
        while rest.chars().count() > width {
            let chars: Vec<(usize, char)> = rest.char_indices().collect();
            let limit = chars[width].0;
            let head = &rest[..limit];
            let cut = head
                .rfind(' ')
                .map(|i| (i, i + 1))
                .or_else(|| {
                    head.rfind(['_', '(', ',', '-'])
                        .filter(|&i| i > 0)
                        .map(|i| (i + 1, i + 1))
                })
                .unwrap_or((limit, limit));
            let (end, next) = if cut.0 == 0 { (limit, limit) } else { cut };
            out.push(rest[..end].trim_end().to_string());
            rest = rest[next..].trim_start();
        }
        out.push(rest.to_string());
    }
    out
}

/// Wraps with a hanging indent: the first line after `first`, the rest
/// at `indent` spaces; every line fits in [`WIDTH`].
fn hang(text: &str, first: &str, indent: usize) -> String {
    let first_w = WIDTH.saturating_sub(first.chars().count()).max(8);
    let rest_w = WIDTH.saturating_sub(indent).max(8);
    let mut lines = wrap(text, first_w);
    let mut out = String::new();
    if lines.is_empty() {
        return format!("{first}\n");
    }
    let head = lines.remove(0);
    out += &format!("{first}{head}\n");
    let rest = lines.join(" ");
    if !rest.is_empty() {
        for l in wrap(&rest, rest_w) {
            out += &format!("{}{l}\n", " ".repeat(indent));
        }
    }
    out
}

fn ret_text(r: Option<Ret>, read: &[String]) -> String {
    match (r, read.is_empty()) {
        (None, _) => "(no return)".into(),
        (Some(Ret::Err(e)), _) => e.to_string(),
        (Some(r), true) => r.to_string(),
        (Some(_), false) => format!("read {}", read.join(" ")),
    }
}

/// The step table of a run with history.
fn table(w: &World, upto: Option<usize>) -> String {
    let h = w
        .hist
        .as_ref()
        .expect("a diagram needs a world with history");
    let st = &w.st;
    let steps = &h.steps[..upto.unwrap_or(h.steps.len()).min(h.steps.len())];
    let mut cols: Vec<Lane> = (0..st.ntasks() as u8).map(Lane::Task).collect();
    for s in steps {
        let c = s.actor.lane();
        if !cols.contains(&c) {
            cols.push(c);
        }
    }
    cols.sort();
    let n = cols.len();
    let lead = 5; // "999* "
    let cw = ((WIDTH - lead - (n - 1)) / n).max(6);
    let name = |c: Lane| match c {
        Lane::Task(t) => st.task_name(t).to_string(),
        Lane::Dev => "dev".into(),
        Lane::Flush => "flush".into(),
        Lane::Reclaim => "reclaim".into(),
    };
    let row = |cells: &[(usize, String)], lead_text: &str| -> String {
        let mut line = format!("{lead_text:<lead$}");
        for (i, c) in cols.iter().enumerate() {
            let _ = c;
            let cell = cells
                .iter()
                .find(|(k, _)| *k == i)
                .map(|(_, s)| s.as_str())
                .unwrap_or("");
            line += &format!("{cell:<cw$}");
            if i + 1 < n {
                line.push(' ');
            }
        }
        line.trim_end().to_string() + "\n"
    };
    let mut out = String::new();
    let header: Vec<(usize, String)> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| (i, name(*c)))
        .collect();
    out += &row(&header, "step");
    let rule: Vec<(usize, String)> = (0..n).map(|i| (i, "-".repeat(cw.min(20)))).collect();
    out += &row(&rule, "----");
    let fired_at: Vec<usize> = h.outcomes.iter().map(|o| o.step).collect();
    for (i, s) in steps.iter().enumerate() {
        let col = cols.iter().position(|c| *c == s.actor.lane()).unwrap();
        let mut lines: Vec<String> = Vec::new();
        if let (Actor::Task(t), Some(op)) = (s.actor, s.op) {
            if h.syscalls
                .iter()
                .any(|c| c.task == t && c.op == op && c.begin == i)
            {
                let text = ascii(&st.scenario.tasks[t as usize].ops[op as usize].to_string());
                lines.extend(wrap(&format!("> {text}"), cw));
            }
        }
        let label = match s.actor {
            Actor::Dev(k) if k > 0 => format!("dev@{k}: {}", s.name),
            _ => s.name.to_string(),
        };
        lines.extend(wrap(&ascii(&label), cw));
        if let (Actor::Task(t), Some(op)) = (s.actor, s.op) {
            if let Some(c) = h
                .syscalls
                .iter()
                .find(|c| c.task == t && c.op == op && c.end == Some(i))
            {
                lines.extend(wrap(&format!("= {}", ascii(&ret_text(c.ret, &c.read))), cw));
            }
        }
        for (k, l) in lines.iter().enumerate() {
            let lead_text = if k == 0 {
                format!("{i:>3}{}", if fired_at.contains(&i) { "*" } else { "" })
            } else {
                String::new()
            };
            out += &row(&[(col, l.clone())], &lead_text);
        }
    }
    out
}

fn results_and_outcomes(w: &World, upto: Option<usize>) -> String {
    let h = w.hist.as_ref().unwrap();
    let st = &w.st;
    let limit = upto.unwrap_or(usize::MAX);
    let mut out = String::from("Results:\n");
    for c in &h.syscalls {
        if c.begin >= limit {
            continue;
        }
        let ret = if c.end.is_some_and(|e| e < limit) {
            ret_text(c.ret, &c.read)
        } else {
            "(no return)".into()
        };
        out += &hang(
            &format!(
                "{}: {} = {}",
                st.task_name(c.task),
                ascii(&c.text),
                ascii(&ret)
            ),
            "  ",
            6,
        );
    }
    let outs: Vec<_> = h.outcomes.iter().filter(|o| o.step < limit).collect();
    out += "Outcomes (* in the step column):\n";
    if outs.is_empty() {
        out += "  none\n";
    }
    for o in outs {
        out += &hang(
            &format!("{} at step {}: {}", o.outcome, o.step, ascii(&o.why)),
            "  ",
            4,
        );
    }
    out
}

fn link_block(link: Option<&str>) -> String {
    match link {
        None => String::new(),
        Some(l) => {
            let mut out = String::from("Open this run:\n");
            let wrapped = format!("<{l}>");
            let chars: Vec<char> = wrapped.chars().collect();
            for chunk in chars.chunks(WIDTH - 2) {
                out += &format!("  {}\n", chunk.iter().collect::<String>());
            }
            out
        }
    }
}

fn header(w: &World) -> String {
    let st = &w.st;
    let mut out = hang(&format!("dioscope: {}", ascii(&st.scenario.title)), "", 2);
    for t in &st.scenario.tasks {
        let ops: Vec<String> = t.ops.iter().map(|o| ascii(&o.to_string())).collect();
        out += &hang(
            &ops.join("; "),
            &format!("  {}: ", t.name),
            4 + t.name.len(),
        );
    }
    out
}

fn policy_line(w: &World, meta: &Meta) -> String {
    let set = if meta.set.is_empty() {
        String::new()
    } else {
        format!(" + {}", meta.set.join(", "))
    };
    hang(
        &format!("{}, {}{}", w.st.fs.name(), meta.preset, set),
        "",
        2,
    )
}

/// The email text of one run (a world with history).
pub fn email(w: &World, meta: &Meta, schedule: &str) -> String {
    let mut out = header(w);
    out += &policy_line(w, meta);
    out.push('\n');
    out += &table(w, None);
    out.push('\n');
    out += &results_and_outcomes(w, None);
    out += &hang(schedule, "Schedule: ", 10);
    out += &link_block(meta.link);
    out
}

/// The same schedule under two policies: two short diagrams, and what
/// differs named (knobs and outcomes).
pub fn compare(
    a: &World,
    ma: &Meta,
    b: &World,
    mb: &Meta,
    schedule: &str,
    div: Option<&Divergence>,
) -> String {
    let mut out = header(a);
    out += &hang(
        &format!("The same schedule under {} and {}.", ma.preset, mb.preset),
        "",
        2,
    );
    let knobs = a.st.policy.diff(&b.st.policy);
    if !knobs.is_empty() {
        let k: Vec<String> = knobs
            .iter()
            .map(|(k, x, y)| format!("{k} {x} -> {y}"))
            .collect();
        out += &hang(&k.join("; "), "Knobs that differ: ", 4);
    }
    let names = |w: &World| -> Vec<&'static str> {
        crate::outcome::Outcome::ALL
            .iter()
            .filter(|o| w.fired() & o.bit() != 0)
            .map(|o| o.name())
            .collect()
    };
    let (oa, ob) = (names(a), names(b));
    let only_a: Vec<&str> = oa.iter().filter(|o| !ob.contains(o)).copied().collect();
    let only_b: Vec<&str> = ob.iter().filter(|o| !oa.contains(o)).copied().collect();
    let mut diff = Vec::new();
    if !only_a.is_empty() {
        diff.push(format!("only under {}: {}", ma.preset, only_a.join(", ")));
    }
    if !only_b.is_empty() {
        diff.push(format!("only under {}: {}", mb.preset, only_b.join(", ")));
    }
    if diff.is_empty() {
        diff.push("the same outcomes".into());
    }
    out += &hang(&diff.join("; "), "Difference: ", 4);
    for (w, m, side_b) in [(a, ma, false), (b, mb, true)] {
        out += &format!("\n== {} ==\n", policy_line(w, m).trim_end());
        out += &table(w, None);
        if let (Some(d), true) = (div, side_b) {
            out += &hang(
                &format!(
                    "The schedule stops being possible at step {}: {}. From there on this side ran the first runnable actor.",
                    d.step,
                    ascii(&d.why)
                ),
                "",
                2,
            );
        }
        out += &results_and_outcomes(w, None);
    }
    out.push('\n');
    out += &hang(schedule, "Schedule: ", 10);
    out += &link_block(ma.link);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_word_and_identifier_boundaries() {
        assert_eq!(
            wrap("invalidate_inode_pages2_range", 12),
            vec!["invalidate_", "inode_", "pages2_range"]
        );
        assert_eq!(wrap("a b c", 3), vec!["a b", "c"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
    }
}
