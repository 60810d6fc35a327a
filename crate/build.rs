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
}
