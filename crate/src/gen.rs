//! Generated scenarios: random valid scenario text from a seed, for the
//! property tests, the explorer benchmark and lab questions.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Shape of a generated scenario.
#[derive(Clone, Debug)]
pub struct Shape {
    pub tasks: usize,
    pub ops: usize,
    pub pages: u8,
    /// Allow crash, fail-writes, DAX, background actors.
    pub exotic: bool,
}

impl Default for Shape {
    fn default() -> Self {
        Shape {
            tasks: 2,
            ops: 3,
            pages: 3,
            exotic: true,
        }
    }
}

fn range(rng: &mut ChaCha8Rng, pages: u8) -> String {
    let lo = rng.random_range(0..pages);
    // a file past 16 pages sometimes gets ranges across the old mask
    // widths (16, 32 and 64 bits) and across the whole file
    let span = if pages > 16 && rng.random_bool(0.4) {
        pages
    } else {
        2
    };
    let hi = rng.random_range(lo..pages.min(lo.saturating_add(span)));
    if lo == hi {
        lo.to_string()
    } else {
        format!("{lo}-{hi}")
    }
}

fn op(rng: &mut ChaCha8Rng, pages: u8, exotic: bool, dax: bool) -> String {
    let page = |rng: &mut ChaCha8Rng| rng.random_range(0..pages);
    loop {
        let k = rng.random_range(0..19);
        let s = match k {
            0 | 1 => format!("read {}", range(rng, pages)),
            2 | 3 => format!("write {}", range(rng, pages)),
            4 => format!("read {} direct", range(rng, pages)),
            5 | 6 => format!("write {} direct", range(rng, pages)),
            7 => format!("mmap-read {}", page(rng)),
            8 | 9 => format!("mmap-write {}", page(rng)),
            10 => "fsync".into(),
            11 => format!("write {} dsync", range(rng, pages)),
            12 => format!("write {} direct dsync", range(rng, pages)),
            13 => format!("write {} dontcache", range(rng, pages)),
            14 => {
                let p = page(rng);
                format!("read {p} direct into-mmap {}", page(rng))
            }
            15 => match rng.random_range(0..4) {
                0 => format!("truncate {}", rng.random_range(0..=pages)),
                1 => format!("punch {}", range(rng, pages)),
                2 => format!("falloc {}", range(rng, pages)),
                _ => format!("sync-range {}", range(rng, pages)),
            },
            16 => match rng.random_range(0..3) {
                0 => "writeback".into(),
                1 => "fdatasync".into(),
                _ => format!("reclaim {}", range(rng, pages)),
            },
            17 if exotic => format!("fail-writes {}", page(rng)),
            18 if exotic => "crash".into(),
            _ => continue,
        };
        if dax && (s.contains("dontcache") || s.contains("into-mmap")) {
            continue;
        }
        return s;
    }
}

/// A random valid scenario.
pub fn scenario(seed: u64, shape: &Shape) -> String {
    scenario_with_twins(seed, shape, 1)
}

/// A random valid scenario whose first `twins` tasks have the same ops
/// (interchangeable tasks, for the symmetry reduction).
pub fn scenario_with_twins(seed: u64, shape: &Shape, twins: usize) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let fs = ["xfs", "ext4", "btrfs"][rng.random_range(0..3)];
    let presets: Vec<&str> = crate::policy::PRESETS.iter().map(|p| p.name).collect();
    let preset = presets[rng.random_range(0..presets.len())];
    let pages = shape.pages;
    let dax = shape.exotic && fs != "btrfs" && rng.random_range(0..6) == 0;
    let on_disk = ["written", "unwritten", "hole"][rng.random_range(0..3)];
    let mut cached = String::new();
    if !dax {
        for p in 0..pages {
            if rng.random_range(0..2) == 0 {
                if !cached.is_empty() {
                    cached.push(',');
                }
                cached += &p.to_string();
            }
        }
    }
    let mut t = format!("title = \"generated {seed}\"\n[setup]\nfs = \"{fs}\"\npreset = \"{preset}\"\npages = {pages}\non_disk = \"{on_disk}\"\ncached = \"{cached}\"\n");
    t += &format!("write_cache = {}\n", rng.random_range(0..2) == 0);
    if shape.exotic {
        t += &format!(
            "flusher = {}\nreclaim = {}\n",
            rng.random_range(0..4) == 0,
            rng.random_range(0..5) == 0
        );
    }
    if dax {
        t += "dax = true\n";
        if rng.random_range(0..2) == 0 {
            t += &format!("poisoned = \"{}\"\n", rng.random_range(0..pages));
        }
    }
    let mut first: Vec<String> = Vec::new();
    for i in 0..shape.tasks {
        let name = ["A", "B", "C", "D", "E", "F", "G", "H"][i];
        let ops: Vec<String> = if i > 0 && i < twins {
            first.clone()
        } else {
            (0..shape.ops)
                .map(|_| format!("\"{}\"", op(&mut rng, pages, shape.exotic, dax)))
                .collect()
        };
        if i == 0 {
            first = ops.clone();
        }
        t += &format!("[[task]]\nname = \"{name}\"\nops = [{}]\n", ops.join(", "));
    }
    t
}
