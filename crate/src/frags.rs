//! Fragments: the byte ranges of each page that no op's byte range splits.
//! Ops address whole pages unless they name bytes (`mmap-write 0 bytes
//! 0-99`); a page's fragments are cut at every boundary of those, so a
//! version per fragment says exactly which write each byte holds, and a
//! store to part of a page keeps the rest of the page's older data, which
//! is what makes a page faulted back in during a direct write dangerous
//! (dio_warn_stale_pagecache's "Possible data corruption").

use crate::ops::{Bytes, Op};
use crate::version::FRAGS;
use crate::world::MAX_PAGES;

pub const PAGE_SIZE: u16 = 4096;

/// One page's fragments: `n` ranges, fragment `f` is
/// `bounds[f]..bounds[f + 1]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frags {
    pub n: u8,
    pub bounds: [u16; FRAGS + 1],
}

impl Default for Frags {
    fn default() -> Self {
        let mut bounds = [PAGE_SIZE; FRAGS + 1];
        bounds[0] = 0;
        Frags { n: 1, bounds }
    }
}

impl Frags {
    /// The fragments bytes `b` cover (they never split one), with the
    /// unused tail fragments if the last one is covered.
    pub fn mask(&self, b: Bytes) -> u8 {
        let mut m = 0u8;
        for f in 0..self.n as usize {
            if u32::from(self.bounds[f]) >= b.lo && u32::from(self.bounds[f + 1]) <= b.hi + 1 {
                m |= 1 << f;
            }
        }
        if m & (1 << (self.n - 1)) != 0 {
            m |= !((1u8 << self.n) - 1) & ((1u8 << FRAGS) - 1);
        }
        m
    }

    /// Every fragment.
    pub const ALL: u8 = (1 << FRAGS) - 1;

    /// The mask of an op's bytes on this page, or every fragment.
    pub fn of(&self, b: Option<Bytes>) -> u8 {
        b.map_or(Frags::ALL, |b| self.mask(b))
    }

    /// The fragments that count (the tail ones repeat the last).
    pub fn used(&self) -> u8 {
        (1u8 << self.n) - 1
    }

    pub fn range(&self, f: usize) -> (u16, u16) {
        (self.bounds[f], self.bounds[f + 1] - 1)
    }
}

/// Cuts every page at the boundaries of the ops' byte ranges. Errs with
/// the page and the op that makes more than [`FRAGS`] fragments.
pub fn cut<'a>(
    ops: impl Iterator<Item = &'a Op>,
    pages: u8,
) -> Result<[Frags; MAX_PAGES], (u8, String)> {
    let mut cuts: [Vec<u16>; MAX_PAGES] = std::array::from_fn(|_| vec![0, PAGE_SIZE]);
    for op in ops {
        let Some((first, _)) = op.bytes() else {
            continue;
        };
        for p in first..pages {
            let Some(b) = op.page_bytes(p) else {
                continue;
            };
            let c = &mut cuts[p as usize];
            for x in [b.lo as u16, b.hi as u16 + 1] {
                if !c.contains(&x) {
                    c.push(x);
                }
            }
            if c.len() > FRAGS + 1 {
                return Err((
                    p,
                    format!(
                        "`{op}` cuts page {p} into more than {FRAGS} byte ranges (the ops' byte ranges may cut a page at most {} times)",
                        FRAGS - 1
                    ),
                ));
            }
        }
    }
    let mut out = [Frags::default(); MAX_PAGES];
    for (o, mut c) in out.iter_mut().zip(cuts) {
        c.sort_unstable();
        o.n = (c.len() - 1) as u8;
        for (i, x) in c.iter().enumerate() {
            o.bounds[i] = *x;
        }
        for i in c.len()..=FRAGS {
            o.bounds[i] = PAGE_SIZE;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_to_part_of_a_page_cuts_it() {
        let ops = [
            crate::ops::parse_op("mmap-write 0 bytes 0-99").unwrap(),
            crate::ops::parse_op("write 0 bytes 2048-4095").unwrap(),
            crate::ops::parse_op("write 0-1 direct").unwrap(),
        ];
        let f = cut(ops.iter(), 2).unwrap();
        assert_eq!(f[0].n, 3);
        assert_eq!(&f[0].bounds[..4], &[0, 100, 2048, 4096]);
        assert_eq!(f[1].n, 1);
        assert_eq!(f[0].mask(Bytes { lo: 0, hi: 99 }), 0b0001);
        // the last fragment takes the unused tail with it
        assert_eq!(f[0].mask(Bytes { lo: 2048, hi: 4095 }), 0b1100);
        assert_eq!(f[0].mask(Bytes { lo: 100, hi: 4095 }), 0b1110);
    }
}
