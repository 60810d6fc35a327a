//! `cargo xtask build`: the release web app in `dist/`, and its size.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;

use crate::proc::{self, cargo, cmd};
use crate::tools::Tools;
use crate::{repo_root, say, Result};

/// Download budget for wasm + JS + CSS, gzipped: 400 KB (README,
/// "Building for a static host"; the e2e suite counts it as a test).
pub const BUDGET_BYTES: u64 = 400 * 1000;

pub fn dist_dir() -> PathBuf {
    repo_root().join("dist")
}

pub fn build_command() -> Result<()> {
    build()?;
    let sizes = Sizes::measure(&dist_dir())?;
    println!("{}", sizes.report());
    Ok(())
}

/// The test-only build (web feature `e2e`: debug routes), which the
/// end-to-end suite serves beside `dist/` for its measurements. Never
/// shipped.
pub fn e2e_dist_dir() -> PathBuf {
    repo_root().join("target").join("e2e-dist")
}

/// Installs what is missing, then `trunk build --release --offline` into
/// `dist/` with relative asset URLs (Trunk.toml: `public_url = "./"`).
pub fn build() -> Result<()> {
    build_into(&dist_dir(), None)
}

/// Like [`build`], into `dist` with the web crate's `features` on.
pub fn build_into(dist: &Path, features: Option<&str>) -> Result<()> {
    let tools = Tools::new();
    tools.ensure_build_tools()?;
    // trunk runs cargo offline: fetch every crate the lock file names
    // (including the wasm32-only ones) while the registry is reachable.
    say("fetching crates (cargo fetch)");
    proc::run(cargo().arg("fetch"))?;
    say(&match features {
        Some(f) => format!("building the web app with `{f}` (trunk build --release)"),
        None => "building the web app (trunk build --release)".to_string(),
    });
    let mut trunk = cmd(tools.trunk());
    trunk.args([
        "build",
        "--release",
        "--offline",
        "--public-url",
        "./",
        "--dist",
    ]);
    trunk.arg(dist);
    if let Some(f) = features {
        trunk.args(["--features", f]);
    }
    proc::run(
        trunk
            .env("PATH", tools.path_env()?)
            // trunk colours its log only on a terminal; keep it readable.
            .env("NO_COLOR", "true"),
    )?;
    if !dist.join("index.html").is_file() {
        return Err(format!(
            "trunk reported success but {} is missing",
            dist.join("index.html").display()
        ));
    }
    minify_js(&tools, dist)
}

/// Minifies wasm-bindgen's JS glue in `dist` with terser (trunk 0.21's
/// minifier fails on it and ships it whole: 7.7 KB gzipped, 5.9 KB
/// minified). The module's exports keep their names; index.html loads it
/// without an integrity hash (`data-integrity="none"`), which would no
/// longer match.
fn minify_js(tools: &Tools, dist: &Path) -> Result<()> {
    let entries = fs::read_dir(dist).map_err(|e| format!("cannot read {}: {e}", dist.display()))?;
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot read {}: {e}", dist.display()))?
            .path();
        if path.extension().and_then(|e| e.to_str()) != Some("js") {
            continue;
        }
        proc::run(
            cmd(tools.terser())
                .arg(&path)
                .args(["--module", "--compress", "--mangle", "--output"])
                .arg(&path)
                .env("PATH", tools.path_env()?),
        )?;
    }
    Ok(())
}

/// Gzipped sizes of what a browser downloads to start the app.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sizes {
    pub wasm: u64,
    pub js: u64,
    pub css: u64,
}

impl Sizes {
    pub fn measure(dir: &Path) -> Result<Sizes> {
        let mut s = Sizes::default();
        let entries =
            fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry
                .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
                .path();
            let slot = match path.extension().and_then(|e| e.to_str()) {
                Some("wasm") => &mut s.wasm,
                Some("js") => &mut s.js,
                Some("css") => &mut s.css,
                _ => continue,
            };
            let bytes =
                fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            *slot += gzipped_len(&bytes);
        }
        if s.wasm == 0 || s.js == 0 {
            return Err(format!(
                "{} holds no built app (no .wasm or .js)",
                dir.display()
            ));
        }
        Ok(s)
    }

    pub fn total(&self) -> u64 {
        self.wasm + self.js + self.css
    }

    pub fn within_budget(&self) -> bool {
        self.total() < BUDGET_BYTES
    }

    pub fn report(&self) -> String {
        let kb = |b: u64| format!("{:>7.1} KB", b as f64 / 1000.0);
        format!(
            "download size (gzipped):\n  wasm  {}\n  js    {}\n  css   {}\n  total {}  (budget < {}: {})",
            kb(self.wasm),
            kb(self.js),
            kb(self.css),
            kb(self.total()),
            kb(BUDGET_BYTES).trim(),
            if self.within_budget() { "ok" } else { "OVER BUDGET" }
        )
    }
}

/// Size after `gzip -9`.
pub fn gzipped_len(bytes: &[u8]) -> u64 {
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(bytes).expect("writing to a Vec cannot fail");
    gz.finish().expect("writing to a Vec cannot fail").len() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_shrinks_repetitive_text() {
        let text = "page cache ".repeat(1000);
        let n = gzipped_len(text.as_bytes());
        assert!(n > 20 && n < 200, "{n}");
    }

    #[test]
    fn sizes_count_wasm_js_and_css_only() {
        let dir = std::env::temp_dir().join(format!("xtask-sizes-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("app_bg.wasm"), vec![7u8; 5000]).unwrap();
        fs::write(dir.join("app.js"), "export function f() {}\n").unwrap();
        fs::write(dir.join("style.css"), "body { margin: 0 }\n").unwrap();
        fs::write(dir.join("index.html"), "<!doctype html>".repeat(100)).unwrap();
        let s = Sizes::measure(&dir).unwrap();
        assert_eq!(s.wasm, gzipped_len(&[7u8; 5000]));
        assert_eq!(s.js, gzipped_len(b"export function f() {}\n"));
        assert_eq!(s.css, gzipped_len(b"body { margin: 0 }\n"));
        assert_eq!(s.total(), s.wasm + s.js + s.css);
        assert!(s.within_budget());
        assert!(s.report().contains("total"));
        fs::remove_file(dir.join("app_bg.wasm")).unwrap();
        assert!(Sizes::measure(&dir).unwrap_err().contains("no built app"));
        fs::remove_dir_all(&dir).unwrap();
    }
}
