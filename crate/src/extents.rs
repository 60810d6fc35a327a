//! The extent map (what iomap_begin looks up): per page a hole, a delalloc
//! reservation, an unwritten extent or a written one, each mapped extent
//! pointing at a device block. Also the block allocator and the committed
//! (journalled) copy that survives a crash.

use crate::version::Version;
use crate::world::MAX_PAGES;

/// One page's mapping. Holes and unwritten extents read as zeroes: the
/// version they carry says *which* zeroes (the initial hole, or a punch),
/// so that the oracles can order them like any other write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ext {
    Hole(Version),
    /// Delayed allocation: space reserved, no block yet (XFS, ext4).
    Delalloc(Version),
    /// Allocated but not written: reads as zeroes until ->end_io converts it.
    Unwritten(u8, Version),
    Written(u8),
}

impl Ext {
    pub fn block(self) -> Option<u8> {
        match self {
            Ext::Unwritten(b, _) | Ext::Written(b) => Some(b),
            _ => None,
        }
    }

    /// The version a read sees when it does not go to the block.
    pub fn zeroes(self) -> Option<Version> {
        match self {
            Ext::Hole(z) | Ext::Delalloc(z) | Ext::Unwritten(_, z) => Some(z),
            Ext::Written(_) => None,
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            Ext::Hole(_) => "hole",
            Ext::Delalloc(_) => "delalloc",
            Ext::Unwritten(..) => "unwritten",
            Ext::Written(_) => "written",
        }
    }
}

impl Default for Ext {
    fn default() -> Self {
        Ext::Hole(Version::ZERO)
    }
}

/// The file's extent map. Only the first `n` pages are ever mapped (the
/// rest stay holes of zeroes), and hashing, comparing, copying and renaming
/// stop at `n` (see [`crate::pagecache::PageCache`]).
#[derive(Clone, Copy, Debug, Eq)]
pub struct Extents {
    pub map: [Ext; MAX_PAGES],
    /// What the journal holds: the map after the last log force.
    pub disk: [Ext; MAX_PAGES],
    /// i_size as of the last log force.
    pub disk_size: u8,
    /// Blocks in use by `map` or `disk` (a freed block stays busy until the
    /// free is committed, like XFS busy extents).
    pub busy: crate::world::Blocks,
    /// The data fork sequence number (`if_seq`), bumped on every change: the
    /// iomap validity cookie of ~6.2 compares it.
    pub seq: u8,
    pub n: u8,
}

impl PartialEq for Extents {
    fn eq(&self, o: &Extents) -> bool {
        let n = usize::from(self.n);
        self.n == o.n
            && self.map[..n] == o.map[..n]
            && self.disk[..n] == o.disk[..n]
            && self.disk_size == o.disk_size
            && self.busy == o.busy
            && self.seq == o.seq
    }
}

impl Default for Extents {
    fn default() -> Self {
        Extents::new(MAX_PAGES as u8)
    }
}

impl Ext {
    /// The mapping as one word (for hashing).
    fn pack(self) -> u32 {
        match self {
            Ext::Hole(z) => u32::from(z.0),
            Ext::Delalloc(z) => 1 << 16 | u32::from(z.0),
            Ext::Unwritten(b, z) => 2 << 16 | u32::from(b) << 8 | u32::from(z.0),
            Ext::Written(b) => 3 << 16 | u32::from(b) << 8,
        }
    }
}

impl std::hash::Hash for Extents {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let n = usize::from(self.n);
        let mut words = [0u32; 2 * MAX_PAGES];
        for (w, e) in words
            .iter_mut()
            .zip(self.map[..n].iter().chain(self.disk[..n].iter()))
        {
            *w = e.pack();
        }
        words[..2 * n].hash(h);
        h.write_u128(self.busy);
        h.write_u16(u16::from(self.disk_size) | u16::from(self.seq) << 8);
    }
}

impl Extents {
    /// Holes everywhere, for a file of `n` pages.
    pub fn new(n: u8) -> Extents {
        Extents {
            map: [Ext::default(); MAX_PAGES],
            disk: [Ext::default(); MAX_PAGES],
            disk_size: 0,
            busy: 0,
            seq: 0,
            n,
        }
    }

    /// `*self = *o` for the map of the same file.
    pub fn copy_from(&mut self, o: &Extents) {
        if cfg!(target_arch = "wasm32") {
            // smaller code in the browser, whose searches are small
            *self = *o;
            return;
        }
        debug_assert_eq!(self.n, o.n);
        let n = usize::from(o.n);
        self.map[..n].copy_from_slice(&o.map[..n]);
        self.disk[..n].copy_from_slice(&o.disk[..n]);
        self.disk_size = o.disk_size;
        self.busy = o.busy;
        self.seq = o.seq;
    }

    /// Whether `self` and `o` agree in all that their hash covers (see
    /// `Device::hash_eq`).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn hash_eq(&self, o: &Extents) -> bool {
        let n = usize::from(self.n);
        let pairs = self.map[..n]
            .iter()
            .zip(&o.map[..n])
            .chain(self.disk[..n].iter().zip(&o.disk[..n]));
        let diff = pairs.fold(0, |d, (a, b)| d | (a.pack() ^ b.pack()));
        diff == 0 && self.disk_size == o.disk_size && self.busy == o.busy && self.seq == o.seq
    }

    pub fn get(&self, p: u8) -> Ext {
        self.map[p as usize]
    }

    /// Changes one page's mapping, keeping `busy` and `seq` right.
    pub fn set(&mut self, p: u8, e: Ext) {
        if self.map[p as usize] != e {
            self.map[p as usize] = e;
            self.seq = self.seq.wrapping_add(1);
            self.recompute_busy();
        }
    }

    fn recompute_busy(&mut self) {
        let mut busy: crate::world::Blocks = 0;
        let n = usize::from(self.n);
        for e in self.map[..n].iter().chain(self.disk[..n].iter()) {
            if let Some(b) = e.block() {
                busy |= 1 << b;
            }
        }
        self.busy = busy;
    }

    /// Lowest free block, if any (`nblocks` blocks exist).
    pub fn alloc(&mut self, nblocks: u8) -> Option<u8> {
        let b = (0..nblocks).find(|b| self.busy & (1 << b) == 0)?;
        self.busy |= 1 << b;
        Some(b)
    }

    /// The contiguous delalloc run around `p` within `0..cap` (XFS converts
    /// a whole delalloc extent at once, post-EOF preallocation included).
    pub fn delalloc_run(&self, p: u8, cap: u8) -> (u8, u8) {
        let is_da = |q: u8| matches!(self.map[q as usize], Ext::Delalloc(_));
        let mut lo = p;
        while lo > 0 && is_da(lo - 1) {
            lo -= 1;
        }
        let mut hi = p;
        while hi + 1 < cap && is_da(hi + 1) {
            hi += 1;
        }
        (lo, hi)
    }

    /// Log force: the journal now holds the in-memory map (delalloc
    /// reservations are in-memory only, so they commit as holes).
    pub fn commit(&mut self, i_size: u8) {
        let n = usize::from(self.n);
        for (d, m) in self.disk[..n].iter_mut().zip(self.map[..n].iter()) {
            *d = match *m {
                Ext::Delalloc(z) => Ext::Hole(z),
                e => e,
            };
        }
        self.disk_size = i_size;
        self.recompute_busy();
    }

    /// Log recovery after a crash: back to the committed map; returns i_size.
    pub fn recover(&mut self) -> u8 {
        let n = usize::from(self.n);
        self.map[..n].copy_from_slice(&self.disk[..n]);
        self.seq = self.seq.wrapping_add(1);
        self.recompute_busy();
        self.disk_size
    }
}

/// Symmetry (see [`crate::perm`]): the zeroes a hole, a reservation or an
/// unwritten extent reads as are versions (a punch writes one). Blocks are
/// not renamed: the same schedule allocates the same blocks.
impl Extents {
    pub fn permute(&mut self, p: &crate::perm::Perm) {
        let Extents {
            map,
            disk,
            disk_size: _,
            busy: _,
            seq: _,
            n,
        } = self;
        let n = usize::from(*n);
        for e in map[..n].iter_mut().chain(disk[..n].iter_mut()) {
            *e = match *e {
                Ext::Hole(z) => Ext::Hole(p.version(z)),
                Ext::Delalloc(z) => Ext::Delalloc(p.version(z)),
                Ext::Unwritten(b, z) => Ext::Unwritten(b, p.version(z)),
                Ext::Written(b) => Ext::Written(b),
            };
        }
    }
}
