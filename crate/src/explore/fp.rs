//! State fingerprints: 128 bits of a state, so that the visited set keeps
//! 16 bytes per state instead of the state.

use std::hash::Hasher;

use crate::world::{State, World};

/// 128-bit state fingerprint: bytes are gathered eight at a time and mixed
/// into two independent multiply-rotate lanes (the explorer hashes every
/// state it reaches, so small writes must be cheap).
#[derive(Default)]
pub(crate) struct Fp128 {
    a: u64,
    b: u64,
    buf: u64,
    n: u32,
}

impl Hasher for Fp128 {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.word(u64::from_le_bytes(c.try_into().unwrap()));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut v = 0u64;
            for (i, &b) in rest.iter().enumerate() {
                v |= u64::from(b) << (8 * i);
            }
            self.bytes(v, rest.len() as u32);
        }
        self.word(bytes.len() as u64);
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.bytes(u64::from(i), 1);
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.bytes(u64::from(i), 2);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.word(u64::from(i) | 1 << 40);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.word(i);
    }
    #[inline]
    fn write_u128(&mut self, i: u128) {
        self.word(i as u64);
        self.word((i >> 64) as u64);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.word(i as u64);
    }
    fn finish(&self) -> u64 {
        self.a ^ self.b
    }
}

impl Fp128 {
    /// Appends the `k` (< 8) low bytes of `v` to the gathered bytes,
    /// mixing in a word when eight are gathered: the same as one byte at
    /// a time, in fewer steps.
    #[inline]
    fn bytes(&mut self, v: u64, k: u32) {
        let n = self.n;
        if n + k < 8 {
            self.buf |= v << (8 * n);
            self.n = n + k;
        } else {
            // n < 8: the first 8 - n bytes fill the word
            self.mix(self.buf | v << (8 * n));
            let used = 8 - n;
            self.buf = v >> (8 * used);
            self.n = k - used;
        }
    }
    #[inline]
    fn word(&mut self, v: u64) {
        if self.n > 0 {
            let w = self.buf | u64::from(self.n) << 60;
            self.buf = 0;
            self.n = 0;
            self.mix(w);
        }
        self.mix(v);
    }
    #[inline]
    fn mix(&mut self, v: u64) {
        self.a = (self.a.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
        self.b = (self.b ^ v)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .rotate_left(31)
            ^ (self.b >> 17);
    }
    pub(crate) fn get(mut self) -> u128 {
        self.word(0x0123_4567_89ab_cdef);
        let fin = |x: u64| {
            let x = (x ^ (x >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
            let x = (x ^ (x >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
            x ^ (x >> 33)
        };
        (u128::from(fin(self.a)) << 64) | u128::from(fin(self.b))
    }
}

/// The fingerprint of a state of a scenario with `ntasks` tasks (the task
/// slots past them are always empty and are not hashed): a hash of the
/// hashes of its parts, which the frontier's store reuses.
pub(crate) fn of_state(s: &State, ntasks: usize) -> u128 {
    super::store::Hashes::of(s, ntasks).fingerprint(ntasks)
}

/// The fingerprint of a world's state.
pub fn fingerprint(w: &World) -> u128 {
    of_state(&w.s, w.st.ntasks())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    /// The gathering one byte at a time, as first written: `Fp128::bytes`
    /// must give the same fingerprints (they order tied symmetric states).
    #[derive(Default)]
    struct Bytewise(Fp128);

    impl Hasher for Bytewise {
        fn write(&mut self, bytes: &[u8]) {
            let mut chunks = bytes.chunks_exact(8);
            for c in &mut chunks {
                self.0.word(u64::from_le_bytes(c.try_into().unwrap()));
            }
            for &b in chunks.remainder() {
                self.byte(b);
            }
            self.0.word(bytes.len() as u64);
        }
        fn write_u8(&mut self, i: u8) {
            self.byte(i);
        }
        fn write_u16(&mut self, i: u16) {
            self.byte(i as u8);
            self.byte((i >> 8) as u8);
        }
        fn write_u32(&mut self, i: u32) {
            self.0.write_u32(i);
        }
        fn write_u64(&mut self, i: u64) {
            self.0.word(i);
        }
        fn finish(&self) -> u64 {
            self.0.finish()
        }
    }

    impl Bytewise {
        fn byte(&mut self, b: u8) {
            let f = &mut self.0;
            f.buf |= u64::from(b) << (8 * f.n);
            f.n += 1;
            if f.n == 8 {
                let w = f.buf;
                f.buf = 0;
                f.n = 0;
                f.mix(w);
            }
        }
    }

    #[test]
    fn gathering_bytes_at_once_is_the_same_as_one_at_a_time() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(15);
        for _ in 0..2000 {
            let (mut a, mut b) = (Fp128::default(), Bytewise::default());
            for _ in 0..rng.random_range(0..40) {
                match rng.random_range(0..5) {
                    0 => {
                        let x = rng.random();
                        a.write_u8(x);
                        b.write_u8(x);
                    }
                    1 => {
                        let x = rng.random();
                        a.write_u16(x);
                        b.write_u16(x);
                    }
                    2 => {
                        let x = rng.random();
                        a.write_u32(x);
                        b.write_u32(x);
                    }
                    3 => {
                        let x = rng.random();
                        a.write_u64(x);
                        b.write_u64(x);
                    }
                    _ => {
                        let n = rng.random_range(0..20);
                        let v: Vec<u8> = (0..n).map(|_| rng.random()).collect();
                        a.write(&v);
                        b.write(&v);
                    }
                }
            }
            assert_eq!(a.get(), b.0.get());
        }
    }
}
