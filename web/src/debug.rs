//! Test-only views, compiled with the `e2e` feature (never shipped): the
//! end-to-end suite measures them.
//!
//! `#/debug/long`: four tasks of 64 uncached buffered reads of 16 pages
//! each (every page read from the device, copied, then dropped), whose run
//! (first runnable actor at every step) is 12,544 steps long, past the
//! 10,000 steps of the UI budget (ARCHITECTURE.md, Budgets): any step
//! reached in under 16 ms is measured on it. No library scenario comes
//! near that length.

use dioscope::Scenario;

/// The text of the long scenario.
pub fn long_text() -> String {
    let ops = vec!["\"read 0-15 dontcache\""; 64].join(", ");
    let mut t = String::from(
        "title = \"Long run: 4 tasks × 64 uncached reads of 16 pages\"\n\
         about = \"A test-only scenario for the end-to-end budgets.\"\n\
         [setup]\nfs = \"xfs\"\npreset = \"linux-6.15\"\npages = 16\n\
         on_disk = \"written\"\ncached = \"\"\n",
    );
    for name in ["A", "B", "C", "D"] {
        t.push_str(&format!("[[task]]\nname = \"{name}\"\nops = [{ops}]\n"));
    }
    t
}

pub fn long() -> Scenario {
    dioscope::parse_scenario("debug/long.toml", &long_text()).expect("the long scenario parses")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_long_scenario_is_long() {
        let s = crate::session::Session::new(std::rc::Rc::new(super::long()));
        assert!(s.len() >= 10_000, "{}", s.len());
    }
}
