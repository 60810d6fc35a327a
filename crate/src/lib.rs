//! dioscope: a deterministic, step-wise model of how Linux moves file data
//! between user memory, the page cache and a block device — direct I/O,
//! mmap, iomap extent mapping and writeback — for teaching and for arguing
//! about kernel designs.
//!
//! See ARCHITECTURE.md at the repository root for the map of modules.

pub mod frags;
pub mod fs;
pub mod library;
pub mod ops;
pub mod outcome;
pub mod policy;
pub mod release;
pub mod scenario;
pub mod util;

pub use outcome::{Outcome, Verdict};
pub use policy::Policy;
pub use scenario::{parse as parse_scenario, Scenario, ScenarioError};

pub mod device;
pub mod errseq;
pub mod extents;
pub mod history;
pub mod locks;
pub mod oracle;
pub mod pagecache;
pub mod paths;
pub mod perm;
pub mod version;
pub mod world;

pub use world::{Actor, Ret, World};
pub mod check;
pub mod diagram;
pub mod explore;
pub mod explore_report;
pub mod footprint;
pub mod fuzz;
pub mod gen;
pub mod golden;
pub mod lab;
pub mod link;
pub mod matrix;
pub mod mva;
pub mod observe;
pub mod plot;
pub mod quiz;
pub mod report;
pub mod run;
pub mod sched;
pub mod svg;
pub mod sweep;
pub mod term;
pub mod timed;
pub mod tomldoc;
pub mod trace;
pub mod view;
