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

/// The fuzz targets on the fixed seeds of tests/fuzz.rs, in wasm: a stack
/// overflow there is a dead page.
#[wasm_bindgen_test]
fn fixed_cases_of_every_fuzz_target() {
    use dioscope::fuzz::{self, Target};
    let mut failures = Vec::new();
    for t in Target::ALL {
        let n = match t {
            Target::Op => 400,
            _ => 120,
        };
        for seed in 0..n {
            if let Err(e) = fuzz::run(t, seed) {
                failures.push(format!("{} seed {seed}: {e}", t.name()));
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

/// The 161-character link of 14,500 nested arrays: an error with its
/// place, not a stack overflow.
#[wasm_bindgen_test]
fn a_deeply_nested_scenario_is_an_error_in_wasm_too() {
    let s = dioscope::link::Session {
        scenario: format!("title = \"t\"\nx = {}", "[".repeat(14_500)),
        ..Default::default()
    };
    let back = dioscope::link::Session::decode(&s.encode().unwrap()).unwrap();
    let e = dioscope::parse_scenario("link", &back.scenario).expect_err("too deep");
    assert_eq!((e.line, e.col), (2, 21));
}
