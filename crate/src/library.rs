//! The scenario library: `scenarios/*.toml`, embedded at compile time.

use crate::scenario::{self, Scenario, ScenarioError};

include!(concat!(env!("OUT_DIR"), "/bundled.rs"));

/// A bundled scenario's file name and text.
#[derive(Clone, Copy, Debug)]
pub struct Bundled {
    pub file: &'static str,
    pub text: &'static str,
}

impl Bundled {
    /// The file name without `.toml`: the scenario's id in URLs and the CLI.
    pub fn id(&self) -> &'static str {
        self.file.strip_suffix(".toml").unwrap_or(self.file)
    }

    pub fn parse(&self) -> Result<Scenario, ScenarioError> {
        scenario::parse(&format!("scenarios/{}", self.file), self.text)
    }
}

/// Every bundled scenario, sorted by file name.
pub fn bundled() -> impl Iterator<Item = Bundled> {
    BUNDLED.iter().map(|&(file, text)| Bundled { file, text })
}

/// A bundled scenario by id (file name with or without `.toml`).
pub fn find(id: &str) -> Option<Bundled> {
    let id = id.strip_suffix(".toml").unwrap_or(id);
    bundled().find(|b| b.id() == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bundled scenario that fails to parse fails the build's tests, with
    /// its file, line and column.
    #[test]
    fn every_bundled_scenario_parses() {
        let mut n = 0;
        for b in bundled() {
            if let Err(e) = b.parse() {
                panic!("\n{e}\n");
            }
            n += 1;
        }
        assert!(n > 0, "no scenarios were embedded");
    }
}

/// The text a new scenario starts from in the editor: every field, with
/// what it means, and a small race to start with.
pub const TEMPLATE: &str = r#"title = "My race"
tags = ["draft"]
about = """
What to watch for, in Markdown: *which step* decides the race.
"""
refs = []

[setup]
fs = "xfs"            # xfs | ext4 | btrfs
preset = "linux-6.15" # `dioscope list` shows the presets
pages = 2             # the file's capacity in pages (up to 64)
on_disk = "written"   # written | unwritten | hole
cached = "0-1"        # pages in the page cache at the start
write_cache = true    # the device has a volatile write cache
flusher = false       # background writeback
reclaim = false       # background memory reclaim

[policy]              # knob overrides on top of the preset
# dio_pre_invalidate_fail = "warn-eio"

[[task]]
name = "A"
ops = ["write 0-1 direct", "fsync"]

[[task]]
name = "B"
ops = ["mmap-write 1"]

[[expect]]            # checked by `dioscope check`: always | sometimes | never
outcome = "unreported-loss"
verdict = "never"
"#;

#[cfg(test)]
mod template_tests {
    #[test]
    fn the_template_parses_and_its_expectation_holds() {
        let sc = crate::scenario::parse("template.toml", super::TEMPLATE)
            .unwrap_or_else(|e| panic!("\n{e}\n"));
        for c in crate::check::check(&sc, None) {
            assert!(c.ok(), "{}", c.line("template.toml"));
        }
    }
}

/// The kernel lab's observations of a bundled scenario
/// (`scenarios/observed/ID.json`, written by `cargo xtask observe`), as
/// plain data; [`crate::lab::observation::Observed::sentence`] says them.
pub fn observed(id: &str) -> Option<&'static crate::lab::observation::Observed> {
    crate::lab::observation::find(id)
}

pub use crate::lab::observation::Observed;

/// The kernel lab's observation of a scenario with these tasks and setup
/// (a copy whose ops were edited has none: the kernel never ran them).
pub fn observed_for(sc: &crate::Scenario) -> Option<&'static crate::lab::observation::Observed> {
    crate::lab::observation::all().iter().find(|o| o.is_for(sc))
}
