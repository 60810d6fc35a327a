//! Golden traces: the report and the email text of every bundled
//! scenario's default run (insta snapshots in tests/snapshots/), every
//! email line within 72 columns, and the digests that the wasm build must
//! reproduce (tests/trace-digests.txt; regenerate with
//! `UPDATE_DIGESTS=1 cargo test -p dioscope --test golden`).

use dioscope::golden::{digests, texts};
use dioscope::library::bundled;

#[test]
fn report_and_email_text_of_every_bundled_scenario() {
    for b in bundled() {
        let sc = b.parse().unwrap();
        let (report, email) = texts(&sc);
        for (i, line) in email.lines().enumerate() {
            assert!(
                line.chars().count() <= 72,
                "{}: email line {} is {} columns:\n{line}",
                b.id(),
                i + 1,
                line.chars().count()
            );
            assert!(
                line.is_ascii(),
                "{}: email line {} is not ASCII:\n{line}",
                b.id(),
                i + 1
            );
        }
        insta::assert_snapshot!(format!("trace-{}", b.id()), report);
        insta::assert_snapshot!(format!("email-{}", b.id()), email);
    }
}

#[test]
fn trace_digests_match_the_golden_file() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/trace-digests.txt");
    let now = digests();
    if std::env::var_os("UPDATE_DIGESTS").is_some() {
        std::fs::write(path, &now).unwrap();
    }
    let golden = std::fs::read_to_string(path)
        .expect("tests/trace-digests.txt (UPDATE_DIGESTS=1 to create it)");
    assert_eq!(
        now, golden,
        "traces changed: review the snapshots, then UPDATE_DIGESTS=1"
    );
}
