//! Data is versions, not bytes: every page-sized block holds a version tag.
//! `init` is what the file held at setup, `zero` is what a hole or an
//! unwritten extent reads as, and `A1` is the first write issued by task A.
//! Reads report versions, which keeps diagrams readable and the oracles
//! exact.

use std::fmt;

/// A version id. Ids index the run's version table ([`crate::world::Static`]);
/// they are assigned per task and op before the run starts, so the same
/// write has the same id in every interleaving (states can be compared).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
#[repr(transparent)]
pub struct Version(pub u8);

impl std::hash::Hash for Version {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write_u8(self.0);
    }
    /// Arrays of versions hash as one byte string (the explorer hashes
    /// every state it visits).
    #[allow(
        unsafe_code,
        reason = "a byte view of a repr(transparent) u8 array, on the explorer's hot path"
    )]
    fn hash_slice<H: std::hash::Hasher>(data: &[Self], h: &mut H) {
        // SAFETY: Version is repr(transparent) over u8.
        let bytes = unsafe { std::slice::from_raw_parts(data.as_ptr().cast::<u8>(), data.len()) };
        h.write(bytes);
    }
}

impl Version {
    pub const INIT: Version = Version(0);
    pub const ZERO: Version = Version(1);
    /// First id handed to a write.
    pub const FIRST_WRITE: u8 = 2;

    /// This version as a bit of a 32-bit version set.
    #[inline]
    pub fn bit(self) -> u32 {
        1u32 << self.0
    }
}

/// What a version is, for display and for the oracles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionInfo {
    /// Short label: `init`, `zero`, `A1`; zeroes written by a punch or a
    /// truncate are labelled `zero` as well (they read as zeroes).
    pub label: String,
    /// Long label for explanations: `zero (B's punch 1-2)`.
    pub long: String,
    /// The task that wrote it, if any.
    pub task: Option<u8>,
    /// The op of that task that wrote it.
    pub op: u8,
    /// Whether the data is zeroes (punch, truncate, or the initial hole).
    pub zero: bool,
}

impl fmt::Display for VersionInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

/// Iterates the versions of a version set.
pub fn iter_set(mut set: u32) -> impl Iterator<Item = Version> {
    std::iter::from_fn(move || {
        if set == 0 {
            None
        } else {
            let i = set.trailing_zeros();
            set &= set - 1;
            Some(Version(i as u8))
        }
    })
}

/// Iterates the set bits of a page (or block) set, lowest first.
pub fn iter_bits(set: impl Into<u128>) -> impl Iterator<Item = u8> {
    let mut set: u128 = set.into();
    std::iter::from_fn(move || {
        if set == 0 {
            None
        } else {
            let i = set.trailing_zeros();
            set &= set - 1;
            Some(i as u8)
        }
    })
}

/// Fragments a page can be cut into: the byte ranges that no op's byte
/// range splits (see [`crate::frags`]).
pub const FRAGS: usize = 4;

/// A page's data: the version of each of its fragments. A page written
/// whole holds one version in every fragment; a store or write to part of
/// a page changes the fragments it covers. Fragments past a page's last
/// one always hold the last one's version, so that equal data compares
/// equal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Data(pub [Version; FRAGS]);

impl Data {
    pub const fn all(v: Version) -> Data {
        Data([v; FRAGS])
    }

    #[inline]
    pub fn get(&self, f: usize) -> Version {
        self.0[f]
    }

    /// `v` over the fragments in `mask` (a [`crate::frags::Frags::mask`]).
    pub fn with(mut self, mask: u8, v: Version) -> Data {
        for (f, x) in self.0.iter_mut().enumerate() {
            if mask & (1 << f) != 0 {
                *x = v;
            }
        }
        self
    }

    /// The version every fragment in `mask` holds, if they hold one.
    pub fn single(&self, mask: u8) -> Option<Version> {
        let mut it = (0..FRAGS)
            .filter(|f| mask & (1 << f) != 0)
            .map(|f| self.0[f]);
        let first = it.next()?;
        it.all(|v| v == first).then_some(first)
    }

    /// The versions the fragments in `mask` hold, as a version set.
    pub fn bits(&self, mask: u8) -> u32 {
        (0..FRAGS)
            .filter(|f| mask & (1 << f) != 0)
            .fold(0, |m, f| m | self.0[f].bit())
    }
}
