//! The scenario library as a whole: every expectation holds, and every
//! value of every knob is exercised by at least one expectation.

use std::collections::BTreeSet;

use dioscope::library::bundled;
use dioscope::policy::KNOBS;

#[test]
fn every_expectation_of_every_bundled_scenario_holds() {
    let mut failures = Vec::new();
    let mut n = 0;
    for b in bundled() {
        let sc = b.parse().unwrap_or_else(|e| panic!("\n{e}\n"));
        for c in dioscope::check::check(&sc, None) {
            n += 1;
            if !c.ok() {
                failures.push(c.line(&format!("scenarios/{}", b.file)));
            }
        }
    }
    assert!(n >= 40, "only {n} expectations in the library");
    assert!(failures.is_empty(), "\n{}\n", failures.join("\n"));
}

#[test]
fn every_knob_value_is_reached_by_an_expectation() {
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    for b in bundled() {
        let sc = b.parse().unwrap();
        for e in &sc.expects {
            let mut p = sc.policy(Some(&e.preset)).unwrap();
            for (k, v) in &e.set {
                p.set(k, v).unwrap();
            }
            for k in KNOBS {
                seen.insert((k.name.to_string(), p.get(k.name).unwrap().to_string()));
            }
        }
    }
    let missing: Vec<String> = KNOBS
        .iter()
        .flat_map(|k| k.values.iter().map(move |v| (k.name, v.name)))
        .filter(|(k, v)| !seen.contains(&(k.to_string(), v.to_string())))
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    assert!(
        missing.is_empty(),
        "knob values no scenario expectation uses: {}",
        missing.join(", ")
    );
}

#[test]
fn every_thread_and_fstests_port_has_a_scenario() {
    let tags: BTreeSet<String> = bundled().flat_map(|b| b.parse().unwrap().tags).collect();
    for t in [
        "thread-2020-07",
        "thread-2019-01",
        "thread-2016-05",
        "thread-2020-06",
        "thread-2019-12",
        "generic/247",
        "generic/418",
        "generic/441",
        "generic/451",
        "generic/547",
        "generic/647",
    ] {
        assert!(tags.contains(t), "no scenario tagged {t}");
    }
}
