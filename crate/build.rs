//! Embeds every `scenarios/*.toml` into the library, so the CLI and the web
//! app ship the same scenario library.
use std::{env, fs, path::PathBuf};

fn main() {
    // read at run time: a build script binary can be reused from another
    // checkout sharing the target directory
    let manifest =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dir = manifest.join("../scenarios");
    println!("cargo:rerun-if-changed={}", dir.display());
    let rd = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read the scenario library {}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no *.toml in {}", dir.display());
    let mut out = String::from("/// Every bundled scenario: (file name, text), sorted by name.\npub static BUNDLED: &[(&str, &str)] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().unwrap().to_string_lossy();
        let abs = fs::canonicalize(f).unwrap();
        out += &format!(
            "    ({:?}, include_str!({:?})),\n",
            name,
            abs.display().to_string()
        );
    }
    out += "];\n";
    fs::write(
        PathBuf::from(env::var("OUT_DIR").unwrap()).join("bundled.rs"),
        out,
    )
    .unwrap();
    observed(&manifest.join("../scenarios/observed"));
}

/// Embeds the kernel lab's observations (`scenarios/observed/*.json`,
/// written by `cargo xtask observe`) as plain data: the web build gets them
/// without a JSON parser.
fn observed(dir: &std::path::Path) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut out = String::from("/// Every recorded observation, sorted by scenario id.\npub static OBSERVED: &[Observed] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let text = fs::read_to_string(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let v: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", f.display()));
        let s = |k: &str| -> String {
            format!(
                "{:?}",
                v[k].as_str()
                    .unwrap_or_else(|| panic!("{}: `{k}` is not a string", f.display()))
            )
        };
        let n = |x: &serde_json::Value, k: &str| -> u64 {
            x[k].as_u64()
                .unwrap_or_else(|| panic!("{}: `{k}` is not a number", f.display()))
        };
        let arr =
            |k: &str| -> Vec<serde_json::Value> { v[k].as_array().cloned().unwrap_or_default() };
        let outcomes: Vec<String> = arr("outcomes")
            .iter()
            .map(|o| {
                format!(
                    "({:?}, {}, {}, {}, {:?})",
                    o["outcome"].as_str().unwrap_or(""),
                    n(o, "seen"),
                    n(o, "undecided"),
                    o["observable"].as_bool().unwrap_or(false),
                    o["model"].as_str().unwrap_or("")
                )
            })
            .collect();
        let results: Vec<String> = arr("results")
            .iter()
            .map(|r| {
                format!(
                    "({:?}, {}, {:?})",
                    r["result"].as_str().unwrap_or(""),
                    n(r, "seen"),
                    r["model"].as_str().unwrap_or("")
                )
            })
            .collect();
        let dis: Vec<String> = arr("disagreements")
            .iter()
            .map(|d| format!("{:?}", d.as_str().unwrap_or("")))
            .collect();
        out += &format!(
            "    Observed {{ scenario: {}, digest: {}, kernel: {}, fs: {}, mount_options: {}, preset: {}, runs: {}, hangs: {}, outcomes: &[{}], results: &[{}], disagreements: &[{}] }},\n",
            s("scenario"),
            s("digest"),
            s("kernel"),
            s("fs"),
            s("mount_options"),
            s("preset"),
            n(&v, "runs"),
            n(&v, "hangs"),
            outcomes.join(", "),
            results.join(", "),
            dis.join(", ")
        );
    }
    out += "];\n";
    fs::write(
        PathBuf::from(env::var("OUT_DIR").unwrap()).join("observed.rs"),
        out,
    )
    .unwrap();
}
