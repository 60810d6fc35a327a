//! Data that says who wrote it: every byte a version writes is a keyed
//! hash of (run nonce, version id, the file offset it was written at),
//! never zero. A byte alone names its version with 8 bits of confidence;
//! a run of bytes, beyond doubt; and the boundary between two versions
//! inside a page (a torn read, a partial-page write) is found to the
//! byte. Zeroes are the zeroes of a hole, an unwritten extent, a punch or
//! a truncate.
//!
//! A direct I/O between the file and a mapping of the same file (`read ...
//! into-mmap P`, `write ... from-mmap P`) copies bytes: its version holds
//! the bytes of what it copied, which still carry the offset they were
//! first written at. [`Classifier`] follows those copies.

use crate::observe::{is_copy, Seen, VSet, Versions};
use crate::ops::Op;
use crate::scenario::Scenario;
use crate::version::Version;

use super::plan::PAGE;

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The eight bytes of version `v` at file offsets `8*word .. 8*word+8`.
#[inline]
fn word(nonce: u64, v: u8, word: u64) -> [u8; 8] {
    let mut b = splitmix(nonce ^ (u64::from(v) << 56) ^ word.wrapping_mul(0xd6e8_feb8_6659_fd93))
        .to_le_bytes();
    for x in &mut b {
        if *x == 0 {
            *x = 0xa5;
        }
    }
    b
}

/// The byte version `v` writes at file offset `off`.
#[inline]
pub fn byte_at(nonce: u64, v: u8, off: u64) -> u8 {
    word(nonce, v, off / 8)[(off % 8) as usize]
}

/// Fills `buf` with version `v`'s bytes for file offsets `off..`.
pub fn fill(nonce: u64, v: u8, off: u64, buf: &mut [u8]) {
    let mut i = 0;
    while i < buf.len() {
        let x = off + i as u64;
        if x.is_multiple_of(8) && i + 8 <= buf.len() {
            buf[i..i + 8].copy_from_slice(&word(nonce, v, x / 8));
            i += 8;
        } else {
            buf[i] = byte_at(nonce, v, x);
            i += 1;
        }
    }
}

/// The run nonce for run `run` of a lab session seeded with `seed`: each
/// run's data differs, so bytes left over from an earlier run (a block
/// exposed that should not be) are nobody's.
pub fn nonce(seed: u64, run: u64) -> u64 {
    splitmix(splitmix(seed) ^ run)
}

/// The shortest run of bytes taken as one version's inside a longer
/// fragment.
const MIN_SEGMENT: usize = 8;

/// Reads bytes back into versions, for one scenario and one run.
#[derive(Clone, Debug)]
pub struct Classifier {
    nonce: u64,
    pages: u8,
    /// Versions that write bytes of their own (init, writes, stores).
    own: Vec<u8>,
    zero: VSet,
    /// Per page q: the pages data written at q can be copied to (q too).
    reach: Vec<crate::world::Pages>,
    /// Per destination page: (source page, copy version).
    copies_into: Vec<Vec<(u8, Version)>>,
}

impl Classifier {
    pub fn new(sc: &Scenario, vers: &Versions, nonce: u64) -> Classifier {
        let pages = sc.setup.pages;
        let mut own = vec![Version::INIT.0];
        let mut copies_into: Vec<Vec<(u8, Version)>> = vec![Vec::new(); pages as usize];
        for (ti, t) in sc.tasks.iter().enumerate() {
            for (oi, op) in t.ops.iter().enumerate() {
                let Some(v) = vers.op_ver[ti][oi] else {
                    continue;
                };
                if vers.zero & v.bit() != 0 {
                    continue;
                }
                if !is_copy(op) {
                    own.push(v.0);
                    continue;
                }
                // file page f <-> user page base + (f - lo): a read copies
                // f to the user page, a write copies the user page to f
                match *op {
                    Op::Read {
                        range,
                        into_mmap: Some(base),
                        ..
                    } => {
                        for f in range.pages() {
                            let u = base + (f - range.lo);
                            if u < pages {
                                copies_into[u as usize].push((f, v));
                            }
                        }
                    }
                    Op::Write {
                        range,
                        from_mmap: Some(base),
                        ..
                    } => {
                        for f in range.pages() {
                            let u = base + (f - range.lo);
                            if u < pages {
                                copies_into[f as usize].push((u, v));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        // reach[q]: closure of the copy edges from q
        let mut reach: Vec<crate::world::Pages> = (0..pages).map(|q| 1 << q).collect();
        loop {
            let mut changed = false;
            for (dest, edges) in copies_into.iter().enumerate() {
                for &(src, _) in edges {
                    for r in reach.iter_mut() {
                        if *r & (1 << src) != 0 && *r & (1 << dest) == 0 {
                            *r |= 1 << dest;
                            changed = true;
                        }
                    }
                }
            }
            if !changed {
                break;
            }
        }
        Classifier {
            nonce,
            pages,
            own,
            zero: vers.zero,
            reach,
            copies_into,
        }
    }

    /// The versions whose bytes are version `v`'s as first written at
    /// page `origin`, found at page `p`.
    fn candidates(&self, v: u8, origin: u8, p: u8) -> VSet {
        let mut set = if origin == p { 1u32 << v } else { 0 };
        for &(src, c) in &self.copies_into[p as usize] {
            if self.reach[origin as usize] & (1 << src) != 0 {
                set |= c.bit();
            }
        }
        set
    }

    /// Zeroes at page `p`: any version of zeroes, or a copy of them.
    fn zero_candidates(&self, p: u8) -> VSet {
        self.copies_into[p as usize]
            .iter()
            .fold(self.zero, |m, &(_, c)| m | c.bit())
    }

    /// The hypotheses for bytes at page `p`: (version, page it was first
    /// written at).
    fn hypotheses(&self, p: u8) -> Vec<(u8, u8)> {
        let mut out = Vec::new();
        for q in 0..self.pages {
            if self.reach[q as usize] & (1 << p) != 0 {
                for &v in &self.own {
                    out.push((v, q));
                }
            }
        }
        out
    }

    /// What the bytes `data`, read at file offset `off` (inside page `p`),
    /// are: one segment per maximal range one hypothesis explains.
    pub fn classify(&self, off: u64, data: &[u8]) -> Seen {
        if data.is_empty() {
            return Seen::default();
        }
        let p = (off / PAGE) as u8;
        let within = off % PAGE;
        if p >= self.pages {
            return Seen::one(0);
        }
        let hyps = self.hypotheses(p);
        let origin_off = |q: u8, i: usize| u64::from(q) * PAGE + within + i as u64;
        // the common case: one hypothesis explains every byte
        if data.iter().all(|&b| b == 0) {
            return Seen::one(self.zero_candidates(p));
        }
        for &(v, q) in &hyps {
            if byte_at(self.nonce, v, origin_off(q, 0)) != data[0] {
                continue;
            }
            let mut buf = vec![0u8; data.len()];
            fill(self.nonce, v, origin_off(q, 0), &mut buf);
            if buf == data {
                return Seen::one(self.candidates(v, q, p));
            }
        }
        // torn or foreign: per byte, extend a segment while some
        // hypothesis explains every byte of it
        let explains = |i: usize| -> Vec<usize> {
            let b = data[i];
            (0..=hyps.len())
                .filter(|&h| {
                    if h == hyps.len() {
                        b == 0
                    } else {
                        let (v, q) = hyps[h];
                        byte_at(self.nonce, v, origin_off(q, i)) == b
                    }
                })
                .collect()
        };
        // (set, length) per segment; 0 is "no version's bytes"
        let mut segs: Vec<(VSet, usize)> = Vec::new();
        let mut live: Vec<usize> = Vec::new();
        let mut len = 0usize;
        let set_of = |live: &[usize]| -> VSet {
            live.iter().fold(0, |m, &h| {
                m | if h == hyps.len() {
                    self.zero_candidates(p)
                } else {
                    self.candidates(hyps[h].0, hyps[h].1, p)
                }
            })
        };
        for i in 0..data.len() {
            let here = explains(i);
            let both: Vec<usize> = live.iter().copied().filter(|h| here.contains(h)).collect();
            if len > 0 && (!both.is_empty() || (live.is_empty() && here.is_empty())) {
                live = both;
                len += 1;
                continue;
            }
            if len > 0 {
                segs.push((set_of(&live), len));
            }
            live = here;
            len = 1;
        }
        if len > 0 {
            segs.push((set_of(&live), len));
        }
        // a copy tears at 8 bytes or more: shorter runs inside a longer
        // fragment are chance matches of bytes no version wrote
        if data.len() >= MIN_SEGMENT {
            for s in &mut segs {
                if s.1 < MIN_SEGMENT {
                    s.0 = 0;
                }
            }
        }
        let mut segments: Vec<VSet> = Vec::new();
        for (set, _) in segs {
            if segments.last() != Some(&set) {
                segments.push(set);
            }
        }
        Seen { segments }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sc(text: &str) -> (Scenario, Versions) {
        let sc = crate::scenario::parse("t.toml", text).unwrap();
        let v = Versions::of(&sc);
        (sc, v)
    }

    const TWO: &str = "title = \"t\"\n[setup]\npages = 2\n[[task]]\nname = \"A\"\nops = [\"write 0-1\"]\n[[task]]\nname = \"B\"\nops = [\"mmap-write 1\", \"punch 0\"]\n";

    #[test]
    fn bytes_name_their_version() {
        let (s, v) = sc(TWO);
        let c = Classifier::new(&s, &v, nonce(7, 1));
        let a1 = v.by_label("A1");
        let b1 = v.by_label("B1");
        let mut page = vec![0u8; 4096];
        fill(nonce(7, 1), 2, 4096, &mut page);
        assert_eq!(c.classify(4096, &page), Seen::one(a1));
        // the same bytes at the other page are nobody's
        assert_eq!(c.classify(0, &page), Seen::one(0));
        // another run's bytes are nobody's
        fill(nonce(7, 2), 2, 4096, &mut page);
        assert_eq!(c.classify(4096, &page).segments, vec![0]);
        // zeroes: the initial hole's or the punch's
        let z = c.classify(0, &[0u8; 4096]);
        assert_eq!(z, Seen::one(v.zero));
        assert!(v.zero.count_ones() == 2);
        // torn: B1 then A1, split at byte 100
        fill(nonce(7, 1), 3, 4096, &mut page[..100]);
        fill(nonce(7, 1), 2, 4096 + 100, &mut page[100..]);
        let s = c.classify(4096, &page);
        assert_eq!(s.segments.len(), 2, "{s:?}");
        assert_eq!(s.segments[0] & b1, b1);
        assert_eq!(s.segments[1], a1);
        // a sub-page fragment (bytes 100-149 of page 1)
        let mut part = vec![0u8; 50];
        fill(nonce(7, 1), 2, 4096 + 100, &mut part);
        assert_eq!(c.classify(4096 + 100, &part), Seen::one(a1));
        // A1's bytes, then another run's: A1, then nobody's
        fill(nonce(7, 1), 2, 4096, &mut page[..2000]);
        fill(nonce(7, 9), 2, 4096 + 2000, &mut page[2000..]);
        assert_eq!(c.classify(4096, &page).segments, vec![a1, 0]);
    }

    #[test]
    fn copies_between_the_file_and_its_mapping_are_followed() {
        // generic/647: A reads 0-1 into its mapping of 0-1; B writes page
        // 1 from its mapping of page 0
        let (s, v) = sc("title = \"t\"\n[setup]\nfs = \"btrfs\"\npages = 2\n[[task]]\nname = \"A\"\nops = [\"read 0-1 direct into-mmap 0\"]\n[[task]]\nname = \"B\"\nops = [\"write 1 direct from-mmap 0\"]\n");
        let c = Classifier::new(&s, &v, 9);
        let (init, a1, b1) = (Version::INIT.bit(), v.by_label("A1"), v.by_label("B1"));
        let mut page = vec![0u8; 4096];
        // page 0's init bytes found at page 1: B's copy, or A's copy of it
        fill(9, 0, 0, &mut page);
        assert_eq!(c.classify(4096, &page), Seen::one(a1 | b1));
        // page 1's own init bytes: init, or A's copy of it in place
        fill(9, 0, 4096, &mut page);
        assert_eq!(c.classify(4096, &page), Seen::one(init | a1));
        // at page 0 only A copies (in place)
        fill(9, 0, 0, &mut page);
        assert_eq!(c.classify(0, &page), Seen::one(init | a1));
    }

    #[test]
    fn fill_is_byte_at_everywhere() {
        let mut buf = vec![0u8; 61];
        fill(3, 5, 13, &mut buf);
        for (i, b) in buf.iter().enumerate() {
            assert_eq!(*b, byte_at(3, 5, 13 + i as u64));
            assert_ne!(*b, 0);
        }
    }
}
