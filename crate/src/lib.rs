//! dioscope: a deterministic, step-wise model of how Linux moves file data
//! between user memory, the page cache and a block device — direct I/O,
//! mmap, iomap extent mapping and writeback — for teaching and for arguing
//! about kernel designs.
//!
//! See ARCHITECTURE.md at the repository root for the map of modules.

pub mod fs;
pub mod library;
pub mod ops;
pub mod outcome;
pub mod policy;
pub mod scenario;
pub mod util;

pub use outcome::{Outcome, Verdict};
pub use policy::Policy;
pub use scenario::{parse as parse_scenario, Scenario, ScenarioError};
