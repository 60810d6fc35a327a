//! The core compiled to wasm32 and run in Node (wasm-bindgen-test-runner),
//! as the web app runs it: `cargo xtask test` runs this file with
//! `cargo test -p dioscope --target wasm32-unknown-unknown
//! --no-default-features --test wasm`. Natively it is empty.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::wasm_bindgen_test;

/// Every bundled scenario parses in wasm too, to the same result as the
/// text says (title present, tasks present).
#[wasm_bindgen_test]
fn every_bundled_scenario_parses() {
    let mut n = 0;
    for b in dioscope::library::bundled() {
        match b.parse() {
            Ok(s) => {
                assert!(!s.title.is_empty(), "{}: empty title", b.id());
                assert!(!s.tasks.is_empty(), "{}: no task", b.id());
                assert_eq!(
                    dioscope::library::find(b.id()).map(|f| f.id()),
                    Some(b.id())
                );
            }
            Err(e) => panic!("\n{e}\n"),
        }
        n += 1;
    }
    assert!(n > 0, "no scenarios were embedded");
}

/// A broken scenario is an error with a line and column in wasm too (no
/// panic).
#[wasm_bindgen_test]
fn a_broken_scenario_is_an_error() {
    let e = dioscope::parse_scenario("broken.toml", "title = \"x\"\n[setup\n")
        .expect_err("a TOML syntax error");
    assert_eq!(e.line, 2);
    assert!(e.col >= 1);
}

/// The same traces as the native build, byte for byte: the digest of each
/// bundled scenario's default run matches the golden file made natively.
#[wasm_bindgen_test]
fn traces_match_the_native_digests() {
    let golden = include_str!("trace-digests.txt");
    assert_eq!(dioscope::golden::digests(), golden);
}
