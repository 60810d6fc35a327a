//! Small helpers shared by the error messages.

/// The candidate closest to `word` by edit distance, if it is close enough
/// to be a plausible typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(word, c);
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    let limit = (word.chars().count() / 3).max(1);
    best.filter(|(d, _)| *d <= limit).map(|(_, c)| c)
}

/// Optimal string alignment distance: edits plus adjacent transpositions,
/// so `wirte` is one step from `write`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// Renders a set of small integers compactly: `0-3,5`.
pub fn fmt_set(mask: impl Into<u128>) -> String {
    let mask: u128 = mask.into();
    let mut out = String::new();
    let mut i = 0;
    while i < 128 {
        if mask & (1 << i) != 0 {
            let start = i;
            while i + 1 < 128 && mask & (1 << (i + 1)) != 0 {
                i += 1;
            }
            if !out.is_empty() {
                out.push(',');
            }
            if start == i {
                out.push_str(&start.to_string());
            } else {
                out.push_str(&format!("{start}-{i}"));
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn closest_finds_typos_only() {
        assert_eq!(closest("wirte", ["read", "write", "fsync"]), Some("write"));
        assert_eq!(closest("banana", ["read", "write", "fsync"]), None);
    }
    #[test]
    fn sets_render_as_ranges() {
        assert_eq!(fmt_set(0b1011_1101u64), "0,2-5,7");
        assert_eq!(fmt_set(1u128 << 127 | 3 << 62), "62-63,127");
        assert_eq!(fmt_set(0u64), "");
    }
}
