//! Plain text for email: one column per actor, at most 72 columns wide
//! (long step names wrap within their column), the steps in order, what
//! each syscall returned and each read saw, the outcomes with their
//! explanation, the schedule and the permalink. ASCII only, so it survives
//! any mail client. The CLI (`dioscope diagram`) and the app's "Copy as
//! text" produce exactly this. Drawn from the core's view
//! (`crate::view`): the same lanes, steps and results as the app and the
//! SVG.

use crate::trace::Divergence;
use crate::view::{self, RetView};
use crate::world::World;

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
        .replace('×', "x")
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

fn ret_text(r: Option<&RetView>) -> String {
    match r {
        None => "(no return)".into(),
        Some(r) if r.err || r.read.is_empty() => r.value.clone(),
        Some(r) => format!("read {}", r.read_text()),
    }
}

/// The lines of one step's cell: the op it begins, its name, what the op
/// returned, each wrapped to `width`.
fn cell_lines(s: &view::StepView, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    if let (true, Some(op)) = (s.begins, &s.op) {
        lines.extend(wrap(&format!("> {}", ascii(op)), width));
    }
    lines.extend(wrap(&ascii(&s.label), width));
    if let Some(r) = &s.returns {
        lines.extend(wrap(&format!("= {}", ascii(&ret_text(Some(r)))), width));
    }
    lines
}

/// The width of the step number column: `999* ` for runs under 1000
/// steps, wider for longer ones, so that a number never runs into the
/// first lane.
fn lead_width(steps: &[view::StepView]) -> usize {
    let last = steps.iter().map(|s| s.i).max().unwrap_or(0);
    (last.to_string().len() + 2).max(5)
}

/// The step number column: `12*` when an outcome fired at step 12.
fn step_number(s: &view::StepView) -> String {
    format!("{:>3}{}", s.i, if s.fired { "*" } else { "" })
}

/// Narrowest lane column the table is drawn with; below it, and below
/// the longest lane name, the lanes do not fit in [`WIDTH`] (8 tasks,
/// dev, flush and reclaim are 11 lanes) and the steps are listed one
/// under the other instead, with their actor.
const MIN_COLUMN: usize = 6;

/// The step table of a run with history: one column per lane, or one
/// line per step when the lanes do not fit.
fn table(w: &World, upto: Option<usize>) -> String {
    render(&view::lanes(&w.st.scenario), &view::steps(w, upto))
}

fn render(lanes: &[view::LaneView], steps: &[view::StepView]) -> String {
    let n = lanes.len();
    let lead = lead_width(steps);
    let cw = (WIDTH - lead - (n - 1)) / n;
    let names: Vec<String> = lanes.iter().map(|l| ascii(&l.name)).collect();
    let widest = names.iter().map(|l| l.chars().count()).max().unwrap_or(1);
    if cw < widest.max(MIN_COLUMN) {
        return listed(&names, steps, widest, lead);
    }
    let row = |cells: &[(usize, String)], lead_text: &str| -> String {
        let mut line = format!("{lead_text:<lead$}");
        for i in 0..n {
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
    let header: Vec<(usize, String)> = lanes
        .iter()
        .enumerate()
        .map(|(i, l)| (i, ascii(&l.name)))
        .collect();
    out += &row(&header, "step");
    let rule: Vec<(usize, String)> = (0..n).map(|i| (i, "-".repeat(cw.min(20)))).collect();
    out += &row(&rule, "----");
    for s in steps {
        for (k, l) in cell_lines(s, cw).iter().enumerate() {
            let lead_text = if k == 0 {
                step_number(s)
            } else {
                String::new()
            };
            out += &row(&[(s.lane, l.clone())], &lead_text);
        }
    }
    out
}

/// The step table as a list: step, actor, what it did.
fn listed(names: &[String], steps: &[view::StepView], widest: usize, lead: usize) -> String {
    let aw = widest.max("actor".len());
    let tw = WIDTH - lead - aw - 1;
    let mut out = format!("{:<lead$}{:<aw$} what\n", "step", "actor");
    out += &format!("{:<lead$}{} {}\n", "----", "-".repeat(aw), "-".repeat(tw));
    for s in steps {
        for (k, l) in cell_lines(s, tw).iter().enumerate() {
            let (num, actor) = if k == 0 {
                (step_number(s), names[s.lane].as_str())
            } else {
                (String::new(), "")
            };
            let line = format!("{num:<lead$}{actor:<aw$} {l}");
            out += line.trim_end();
            out.push('\n');
        }
    }
    out
}

fn results_and_outcomes(w: &World, upto: Option<usize>) -> String {
    let limit = upto.unwrap_or(usize::MAX);
    let mut out = String::from("Results:\n");
    for c in view::calls(w) {
        if c.begin >= limit {
            continue;
        }
        let ret = if c.end.is_some_and(|e| e < limit) {
            ret_text(c.ret.as_ref())
        } else {
            "(no return)".into()
        };
        out += &hang(
            &format!("{}: {} = {}", c.task_name, ascii(&c.text), ascii(&ret)),
            "  ",
            6,
        );
    }
    let outs = view::outcomes(w, upto);
    out += "Outcomes (* in the step column):\n";
    if outs.is_empty() {
        out += "  none\n";
    }
    for o in outs {
        out += &hang(
            &format!("{} at step {}: {}", o.name, o.step, ascii(&o.why)),
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

    /// Up to `max` steps of the scenario's default preset, always the
    /// first enabled actor.
    fn first_actor_run(sc: &crate::scenario::Scenario, max: usize) -> World {
        let pol = sc.policy(None).unwrap();
        let mut w = World::new(sc, &pol);
        for _ in 0..max {
            if w.enabled().is_empty() {
                break;
            }
            let a = w.enabled().get(0);
            w.step(a).unwrap();
        }
        w
    }

    /// Eight tasks with eight-letter names, dev, flush and reclaim: eleven
    /// lanes cannot be columns in 72; the steps are listed, every line
    /// fits, and no step is lost.
    #[test]
    fn too_many_lanes_are_listed_within_72_columns() {
        let mut text = String::from(
            "title = \"eleven lanes\"\n[setup]\nfs = \"xfs\"\npreset = \"linux-5.8\"\npages = 2\nflusher = true\nreclaim = true\n",
        );
        let ops = [
            "write 0 direct",
            "write 1",
            "mmap-write 0",
            "read 0",
            "write 0",
            "fsync",
            "read 1 direct",
            "mmap-read 1",
        ];
        for (i, op) in ops.iter().enumerate() {
            let name: String = std::iter::repeat_n((b'a' + i as u8) as char, 8).collect();
            text += &format!("[[task]]\nname = \"{name}\"\nops = [\"{op}\"]\n");
        }
        let sc = crate::scenario::parse("eleven.toml", &text).unwrap();
        let w = first_actor_run(&sc, usize::MAX);
        let meta = Meta {
            preset: "linux-5.8",
            set: &[],
            link: None,
        };
        let mail = email(&w, &meta, "");
        for l in mail.lines() {
            assert!(l.chars().count() <= WIDTH && l.is_ascii(), "{l:?}\n{mail}");
        }
        assert!(mail.contains("step actor    what\n"), "{mail}");
        let steps = view::steps(&w, None);
        assert!(steps.len() > 10);
        let table = table(&w, None);
        let numbered = table
            .lines()
            .filter(|l| {
                l.get(..3)
                    .is_some_and(|n| n.trim().parse::<usize>().is_ok())
            })
            .count();
        assert_eq!(numbered, steps.len(), "{table}");
        for s in &steps {
            let first = wrap(&ascii(&s.label), WIDTH - 5 - 9)[0].clone();
            assert!(table.contains(&first), "{first:?} missing\n{table}");
        }
    }

    /// A run past step 999 widens the step column: a number never runs
    /// into the first lane.
    #[test]
    fn step_numbers_past_999_keep_their_space() {
        let ops = vec!["\"read 0 direct\""; 64].join(", ");
        let mut text = String::from(
            "title = \"long\"\n[setup]\nfs = \"xfs\"\npreset = \"linux-5.8\"\npages = 1\n",
        );
        for name in ["A", "B", "C", "D"] {
            text += &format!("[[task]]\nname = \"{name}\"\nops = [{ops}]\n");
        }
        let sc = crate::scenario::parse("long.toml", &text).unwrap();
        let w = first_actor_run(&sc, usize::MAX);
        let mut steps = view::steps(&w, None);
        assert!(steps.len() > 1000);
        // an outcome at step 1000 (none fires in this run): `1000*`
        steps[1000].fired = true;
        let t = render(&view::lanes(&sc), &steps);
        assert!(t.contains("\n1000* "), "{t}");
        let mut numbered = 0;
        for l in t.lines() {
            assert!(l.chars().count() <= WIDTH, "{l:?}");
            let digits = l.chars().take_while(char::is_ascii_digit).count();
            if digits == 0 {
                continue;
            }
            numbered += 1;
            let after = l[digits..].trim_start_matches('*');
            assert!(after.is_empty() || after.starts_with(' '), "{l:?}");
        }
        assert!(numbered > 1000);
        assert!(t.starts_with("step  A"), "{}", &t[..80]);
    }

    /// Every bundled scenario (at most four tasks, dev, flush and
    /// reclaim) keeps its columns, as it always had.
    #[test]
    fn the_bundled_scenarios_stay_columns() {
        for b in crate::library::bundled() {
            let sc = b.parse().unwrap();
            let w = first_actor_run(&sc, 3);
            let t = table(&w, None);
            assert!(
                t.starts_with("step ") && !t.starts_with("step actor"),
                "{}: {t}",
                b.id()
            );
        }
    }

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
