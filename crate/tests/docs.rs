//! What the README shows is what the commands print today (issue 17): each
//! `<!-- docs: dioscope ARGS -->` marker in README.md is followed by the
//! command's output in a ```text block, or names with `--svg` a file in
//! docs/ that the command writes byte for byte. A change to the model
//! that changes them fails here;
//! `DIOSCOPE_UPDATE_DOCS=1 cargo test -p dioscope --test docs` rewrites
//! them (then review the diff).

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn update() -> bool {
    std::env::var_os("DIOSCOPE_UPDATE_DOCS").is_some()
}

/// Runs `dioscope args` in the repository's root; returns stdout.
fn dioscope(args: &[String]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_dioscope"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("dioscope runs");
    assert!(
        out.status.success(),
        "dioscope {} failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

struct Marker {
    /// Line index of the marker.
    line: usize,
    args: Vec<String>,
}

fn markers(readme: &str) -> Vec<Marker> {
    readme
        .lines()
        .enumerate()
        .filter_map(|(i, l)| {
            let cmd = l.trim().strip_prefix("<!-- docs: dioscope ")?;
            let cmd = cmd.strip_suffix("-->")?.trim();
            assert!(
                !cmd.contains(['"', '\'']),
                "README line {}: keep docs commands free of quotes",
                i + 1
            );
            Some(Marker {
                line: i,
                args: cmd.split_whitespace().map(String::from).collect(),
            })
        })
        .collect()
}

/// The ```text block right after line `at`: (first content line, end line).
fn block_after(lines: &[&str], at: usize) -> (usize, usize) {
    assert_eq!(
        lines.get(at + 1).copied(),
        Some("```text"),
        "README line {}: a ```text block follows a docs marker",
        at + 2
    );
    let end = (at + 2..lines.len())
        .find(|&i| lines[i] == "```")
        .unwrap_or_else(|| panic!("README line {}: the block is not closed", at + 2));
    (at + 2, end)
}

#[test]
fn the_readmes_matrices_and_plots_are_what_the_commands_give() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let ms = markers(&readme);
    assert!(
        ms.iter().filter(|m| m.args[0] == "matrix").count() >= 5,
        "one matrix per thread"
    );
    assert!(ms.iter().filter(|m| m.args[0] == "sweep").count() >= 2);
    let lines: Vec<&str> = readme.lines().collect();
    // replacements of README blocks, from the last one up
    let mut blocks: Vec<(usize, usize, String)> = Vec::new();
    let mut stale = Vec::new();
    for m in &ms {
        let cmd = format!("dioscope {}", m.args.join(" "));
        if let Some(k) = m.args.iter().position(|a| a == "--svg") {
            let file = m.args.get(k + 1).expect("--svg FILE").clone();
            assert!(file.starts_with("docs/"), "{cmd}: plots live in docs/");
            let tmp = std::env::temp_dir().join(format!(
                "dioscope-docs-{}-{}",
                std::process::id(),
                file.replace('/', "_")
            ));
            let mut args = m.args.clone();
            args[k + 1] = tmp.to_string_lossy().into_owned();
            let text = dioscope(&args);
            assert!(text.contains("EXTRAPOLATED") || !cmd.contains("--extrapolate"));
            let now = std::fs::read(&tmp).unwrap();
            std::fs::remove_file(&tmp).ok();
            let svg = String::from_utf8(now.clone()).unwrap();
            roxmltree::Document::parse(&svg)
                .unwrap_or_else(|e| panic!("{cmd}: the SVG is not XML: {e}"));
            let kept = root().join(&file);
            if std::fs::read(&kept).ok().as_deref() != Some(&now[..]) {
                if update() {
                    std::fs::create_dir_all(kept.parent().unwrap()).unwrap();
                    std::fs::write(&kept, &now).unwrap();
                } else {
                    stale.push(format!("{file} is not what `{cmd}` writes"));
                }
            }
            // the plot is shown where its command is
            assert!(
                readme.contains(&format!("]({file})")),
                "README shows {file}"
            );
        } else {
            let now = dioscope(&m.args);
            let (from, to) = block_after(&lines, m.line);
            let kept: String = lines[from..to].iter().map(|l| format!("{l}\n")).collect();
            if kept != now {
                if update() {
                    blocks.push((from, to, now));
                } else {
                    stale.push(format!(
                        "README line {}: the block is not what `{cmd}` prints today:\n{now}",
                        m.line + 1
                    ));
                }
            }
        }
    }
    if update() && !blocks.is_empty() {
        let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        blocks.sort_by_key(|b| std::cmp::Reverse(b.0));
        for (from, to, text) in blocks {
            out.splice(from..to, text.lines().map(String::from));
        }
        std::fs::write(&path, out.join("\n") + "\n").unwrap();
    }
    assert!(
        stale.is_empty(),
        "{}\n\nrun DIOSCOPE_UPDATE_DOCS=1 cargo test -p dioscope --test docs, then review the diff",
        stale.join("\n\n")
    );
}

#[test]
fn every_email_line_of_the_matrices_fits_72_columns() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines: Vec<&str> = readme.lines().collect();
    for m in markers(&readme).iter().filter(|m| m.args[0] == "matrix") {
        let (from, to) = block_after(&lines, m.line);
        for l in &lines[from..to] {
            assert!(l.chars().count() <= 72 && l.is_ascii(), "{l:?}");
        }
    }
}
