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

/// A 64-page file, the largest a scenario may have: page, block and unit
/// sets past 16, 32 and 64 bits, preallocation, read-around and failing
/// blocks past 64, in the native and the wasm build alike.
pub const WIDE: &str = r#"title = "wide: 64 pages"
[setup]
fs = "xfs"
pages = 64
size = 40
on_disk = "written"
cached = "30-39"
write_cache = true
[[task]]
name = "A"
ops = ["write 16-47", "fail-writes 100-127", "fsync"]
[[task]]
name = "B"
ops = ["mmap-write 45", "read 36-63 direct", "write 40-63 direct"]
[[task]]
name = "C"
ops = ["mmap-read 20", "write 62-63 bytes 100-5000", "fsync"]
"#;

/// "id digest" lines for every bundled scenario, then [`WIDE`].
pub fn digests() -> String {
    let mut out = String::new();
    let wide = crate::scenario::parse("wide.toml", WIDE).expect("WIDE parses");
    let scenarios = crate::library::bundled()
        .map(|b| {
            (
                b.id().to_string(),
                b.parse().expect("bundled scenarios parse"),
            )
        })
        .chain([("wide-64".to_string(), wide)]);
    for (id, sc) in scenarios {
        let (report, email) = texts(&sc);
        out += &format!("{id} {:016x} {:016x}\n", digest(&report), digest(&email));
    }
    out
}
