//! A renaming of tasks, for the explorer's symmetry reduction: tasks with
//! identical op lists are interchangeable, so a state and the state with
//! two of them swapped have the same futures up to that swap.
//!
//! Renaming task `i` to `j` renames everything that names `i`: its slot in
//! `State::tasks`, every holder id (locks, folio locks, markers, extent
//! locks, bio owners), every task bit (i_dio_count, rwsem readers), and
//! the versions it writes: version ids are assigned per (task, op), so the
//! version of `i`'s op `o` becomes the version of `j`'s op `o` wherever a
//! version is kept (folios, media, volatile cache, bios, extents' zeroes,
//! read buffers, the oracle's version sets, which are also indexed by
//! version). Each module renames its own data in a `permute` method kept
//! next to that data, so that a new field is seen where it is added.

use crate::version::Version;
use crate::world::{Holder, MAX_TASKS};

/// Versions are tracked in 32-bit sets (`scenario::limits::MAX_WRITES` + 2).
pub const MAX_VERSIONS: usize = 32;

/// A renaming: `task[i]` is the new index of task `i`, `ver[v]` the new id
/// of version `v`. Holders past the tasks (the flusher, reclaim) keep theirs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Perm {
    pub task: [u8; MAX_TASKS],
    pub ver: [u8; MAX_VERSIONS],
}

impl Default for Perm {
    fn default() -> Self {
        Perm::identity()
    }
}

impl Perm {
    pub fn identity() -> Perm {
        Perm {
            task: std::array::from_fn(|i| i as u8),
            ver: std::array::from_fn(|i| i as u8),
        }
    }

    pub fn is_identity(&self) -> bool {
        *self == Perm::identity()
    }

    /// The renaming that undoes this one.
    pub fn inverse(&self) -> Perm {
        let mut inv = Perm::identity();
        for (i, &j) in self.task.iter().enumerate() {
            inv.task[j as usize] = i as u8;
        }
        for (v, &u) in self.ver.iter().enumerate() {
            inv.ver[u as usize] = v as u8;
        }
        inv
    }

    /// `other` after `self`.
    pub fn then(&self, other: &Perm) -> Perm {
        Perm {
            task: std::array::from_fn(|i| other.task[self.task[i] as usize]),
            ver: std::array::from_fn(|v| other.ver[self.ver[v] as usize]),
        }
    }

    #[inline]
    pub fn task(&self, t: u8) -> u8 {
        self.task[t as usize]
    }

    #[inline]
    pub fn version(&self, v: Version) -> Version {
        Version(self.ver[v.0 as usize])
    }

    /// A page's data: each fragment's version.
    #[inline]
    pub fn data(&self, d: crate::version::Data) -> crate::version::Data {
        crate::version::Data(d.0.map(|v| self.version(v)))
    }

    #[inline]
    pub fn holder(&self, h: Holder) -> Holder {
        if (h.0 as usize) < MAX_TASKS {
            Holder(self.task[h.0 as usize])
        } else {
            h
        }
    }

    /// A "holder id + 1, 0 for none" byte (folio locks, markers, extent
    /// locks, rwsem writers).
    #[inline]
    pub fn holder1(&self, x: u8) -> u8 {
        if x == 0 {
            0
        } else {
            self.holder(Holder(x - 1)).0 + 1
        }
    }

    /// A set of holders by id (bits past the tasks stay).
    pub fn holders16(&self, m: u16) -> u16 {
        let tasks = (1u16 << MAX_TASKS) - 1;
        let mut out = m & !tasks;
        for i in 0..MAX_TASKS {
            if m & (1 << i) != 0 {
                out |= 1 << self.task[i];
            }
        }
        out
    }

    /// A set of tasks by index.
    pub fn tasks8(&self, m: u8) -> u8 {
        self.holders16(u16::from(m)) as u8
    }

    /// A set of versions.
    pub fn versions(&self, s: u32) -> u32 {
        let mut out = 0u32;
        let mut rest = s;
        while rest != 0 {
            let v = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            out |= 1 << self.ver[v];
        }
        out
    }

    /// An array indexed by task: element `i` moves to slot `task[i]`.
    pub fn by_task<T: Copy>(&self, a: &mut [T; MAX_TASKS]) {
        let old = *a;
        for (i, x) in old.into_iter().enumerate() {
            a[self.task[i] as usize] = x;
        }
    }

    /// An array indexed by version: element `v` moves to slot `ver[v]`.
    pub fn by_version<T: Copy>(&self, a: &mut [T; MAX_VERSIONS]) {
        let old = *a;
        for (v, x) in old.into_iter().enumerate() {
            a[self.ver[v] as usize] = x;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inverse_and_composition() {
        let mut p = Perm::identity();
        p.task[0] = 2;
        p.task[2] = 0;
        p.ver[3] = 5;
        p.ver[5] = 3;
        assert!(p.then(&p.inverse()).is_identity());
        assert_eq!(p.holder1(1), 3);
        assert_eq!(p.holder1(0), 0);
        assert_eq!(p.holder(Holder::FLUSH), Holder::FLUSH);
        assert_eq!(p.tasks8(0b001), 0b100);
        assert_eq!(p.holders16(1 << 8 | 1), 1 << 8 | 0b100);
        assert_eq!(p.versions(1 << 3 | 1), 1 << 5 | 1);
        let mut a = [10u8, 11, 12, 13, 14, 15, 16, 17];
        p.by_task(&mut a);
        assert_eq!(a[..3], [12, 11, 10]);
    }
}
