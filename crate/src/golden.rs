//! What the golden tests compare, natively and in wasm: each bundled
//! scenario's default run, as report text and email text, and a digest of
//! it (so that the wasm build can prove it computes the same trace).

use crate::diagram::{self, Meta};
use crate::link::Session;
use crate::report::{digest, RunReport};
use crate::run::RunSpec;
use crate::scenario::Scenario;

/// The base URL golden links use.
pub const BASE: &str = "https://dioscope.example/";

/// The default run of `sc` (its own preset, first runnable actor each step):
/// (report text, email text).
pub fn texts(sc: &Scenario) -> (String, String) {
    let spec = RunSpec::default();
    let (w, taken) = spec.run(sc).expect("a bundled scenario runs");
    let sched = taken.to_string();
    let report = RunReport::new(&w, &sc.setup.preset, &[], &sched).text();
    let session = Session {
        scenario: sc.source.clone(),
        schedule: sched.clone(),
        cursor: w.steps_taken() as u32,
        ..Default::default()
    };
    let url = session
        .url(BASE)
        .expect("a bundled scenario's run fits in a link");
    let email = diagram::email(
        &w,
        &Meta {
            preset: &sc.setup.preset,
            set: &[],
            link: Some(&url),
        },
        &sched,
    );
    (report, email)
}

/// "id digest" lines for every bundled scenario.
pub fn digests() -> String {
    let mut out = String::new();
    for b in crate::library::bundled() {
        let sc = b.parse().expect("bundled scenarios parse");
        let (report, email) = texts(&sc);
        out += &format!(
            "{} {:016x} {:016x}\n",
            b.id(),
            digest(&report),
            digest(&email)
        );
    }
    out
}
