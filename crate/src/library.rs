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
