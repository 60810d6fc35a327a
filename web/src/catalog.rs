//! The bundled scenario library, as the core gives it.

use dioscope::library;
use dioscope::Scenario;

/// One bundled scenario: its id and what parsing it gave.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub id: &'static str,
    /// A bundled scenario that does not parse is shown with its error
    /// (the core's tests keep this from happening in a release).
    pub scenario: Result<Scenario, String>,
}

/// Every bundled scenario, in the core's order (by file name).
pub fn load() -> Vec<Entry> {
    library::bundled()
        .map(|b| Entry {
            id: b.id(),
            scenario: b.parse().map_err(|e| e.to_string()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_is_the_core_library() {
        let entries = load();
        assert_eq!(entries.len(), library::bundled().count());
        assert!(!entries.is_empty());
        for e in &entries {
            let s = e.scenario.as_ref().expect("bundled scenarios parse");
            assert!(!s.title.is_empty(), "{}", e.id);
            assert!(library::find(e.id).is_some(), "{}", e.id);
        }
    }
}
