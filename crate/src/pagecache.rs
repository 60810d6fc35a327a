//! The page cache of the file: one folio per page index (`i_pages`), with
//! the flags the kernel keeps in `folio->flags`, plus the non-folio entries
//! a policy may insert (the 2019 "DIO in progress" markers).

use crate::version::{Data, Version};
use crate::world::{Holder, MAX_PAGES};

pub const UPTODATE: u8 = 1 << 0;
pub const DIRTY: u8 = 1 << 1;
pub const WRITEBACK: u8 = 1 << 2;
/// PG_dropbehind (RWF_DONTCACHE, 6.14): drop when writeback completes.
pub const DROPBEHIND: u8 = 1 << 3;
/// btrfs: the folio's ordered extent has not finished yet (its private
/// state cannot be released, so invalidation fails on it).
pub const ORDERED: u8 = 1 << 4;

/// A folio (one page here). Its data is a version per fragment; it is
/// meaningful only when the folio is uptodate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Folio {
    pub ver: Data,
    pub flags: u8,
    /// Folio lock holder id + 1, 0 when unlocked.
    pub lock: u8,
    /// get_user_pages() pins (FOLL_PIN) held by direct I/O.
    pub pins: u8,
}

impl Folio {
    pub fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }
    pub fn set(&mut self, f: u8) {
        self.flags |= f;
    }
    pub fn clear(&mut self, f: u8) {
        self.flags &= !f;
    }
    pub fn locked(&self) -> bool {
        self.lock != 0
    }
    pub fn locked_by(&self, h: Holder) -> bool {
        self.lock == h.0 + 1
    }
    pub fn uptodate(&self) -> bool {
        self.has(UPTODATE)
    }
    pub fn dirty(&self) -> bool {
        self.has(DIRTY)
    }
    pub fn writeback(&self) -> bool {
        self.has(WRITEBACK)
    }
}

/// i_pages. Only the first `n` entries (the file's pages) are ever used:
/// the rest stay empty, and hashing, comparing, copying and renaming stop
/// at `n`, so a small file costs what it did before files could have 64
/// pages.
#[derive(Clone, Copy, Debug, Eq)]
pub struct PageCache {
    pub folios: [Option<Folio>; MAX_PAGES],
    /// "DIO in progress" entries (2019 proposal): holder id + 1, 0 for none.
    pub markers: [u8; MAX_PAGES],
    pub n: u8,
}

impl Default for PageCache {
    fn default() -> Self {
        PageCache::new(MAX_PAGES as u8)
    }
}

impl PartialEq for PageCache {
    fn eq(&self, o: &PageCache) -> bool {
        let n = usize::from(self.n);
        self.n == o.n && self.folios[..n] == o.folios[..n] && self.markers[..n] == o.markers[..n]
    }
}

impl Folio {
    /// The folio as one word (for hashing): never 0, unlike an empty slot.
    fn pack(&self) -> u64 {
        let d = &self.ver.0;
        1 << 63
            | u64::from(d[0].0)
            | u64::from(d[1].0) << 8
            | u64::from(d[2].0) << 16
            | u64::from(d[3].0) << 24
            | u64::from(self.flags) << 32
            | u64::from(self.lock) << 40
            | u64::from(self.pins) << 48
    }
}

impl std::hash::Hash for PageCache {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let n = usize::from(self.n);
        let mut words = [0u64; MAX_PAGES];
        for (w, f) in words.iter_mut().zip(self.folios[..n].iter()) {
            *w = f.as_ref().map_or(0, Folio::pack);
        }
        words[..n].hash(h);
        self.markers[..n].hash(h);
    }
}

impl PageCache {
    /// An empty cache of a file of `n` pages.
    pub fn new(n: u8) -> PageCache {
        PageCache {
            folios: [None; MAX_PAGES],
            markers: [0; MAX_PAGES],
            n,
        }
    }

    /// `*self = *o` for a cache of the same file (entries past `n` are
    /// empty in both).
    pub fn copy_from(&mut self, o: &PageCache) {
        if cfg!(target_arch = "wasm32") {
            // smaller code in the browser, whose searches are small
            *self = *o;
            return;
        }
        debug_assert_eq!(self.n, o.n);
        let n = usize::from(o.n);
        self.folios[..n].copy_from_slice(&o.folios[..n]);
        self.markers[..n].copy_from_slice(&o.markers[..n]);
    }

    /// Whether `self` and `o` agree in all that their hash covers (see
    /// `Device::hash_eq`).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn hash_eq(&self, o: &PageCache) -> bool {
        let n = usize::from(self.n);
        let w = |f: &Option<Folio>| f.as_ref().map_or(0, Folio::pack);
        let diff =
            (self.folios[..n].iter().zip(&o.folios[..n])).fold(0, |d, (a, b)| d | (w(a) ^ w(b)));
        diff == 0 && self.markers[..n] == o.markers[..n]
    }

    pub fn get(&self, p: u8) -> Option<&Folio> {
        self.folios[p as usize].as_ref()
    }

    pub fn get_mut(&mut self, p: u8) -> Option<&mut Folio> {
        self.folios[p as usize].as_mut()
    }

    /// Whether i_pages holds no folio at all (markers aside).
    pub fn is_empty(&self) -> bool {
        self.folios[..usize::from(self.n)]
            .iter()
            .all(Option::is_none)
    }

    /// Pages in `lo..=hi` with a folio, as a mask.
    pub fn present(&self, lo: u8, hi: u8) -> crate::world::Pages {
        (lo..=hi)
            .filter(|&p| self.folios[p as usize].is_some())
            .fold(0, |m, p| m | 1 << p)
    }

    /// filemap_add_folio(): a new locked, not-uptodate folio.
    pub fn add_locked(&mut self, p: u8, me: Holder) -> &mut Folio {
        debug_assert!(self.folios[p as usize].is_none());
        self.folios[p as usize] = Some(Folio {
            ver: Data::all(Version::ZERO),
            flags: 0,
            lock: me.0 + 1,
            pins: 0,
        });
        self.folios[p as usize].as_mut().unwrap()
    }

    /// The first page in `lo..=hi` (from `from`) whose folio passes `f`.
    pub fn find(&self, from: u8, hi: u8, f: impl Fn(&Folio) -> bool) -> Option<u8> {
        (from..=hi).find(|&p| self.folios[p as usize].as_ref().is_some_and(&f))
    }

    pub fn marker(&self, p: u8) -> Option<Holder> {
        let m = self.markers[p as usize];
        (m != 0).then(|| Holder(m - 1))
    }
}

/// Symmetry (see [`crate::perm`]): folio data and lock holders, markers.
impl PageCache {
    pub fn permute(&mut self, p: &crate::perm::Perm) {
        let PageCache { folios, markers, n } = self;
        let n = usize::from(*n);
        for f in folios[..n].iter_mut().flatten() {
            let Folio {
                ver,
                flags: _,
                lock,
                pins: _,
            } = f;
            *ver = p.data(*ver);
            *lock = p.holder1(*lock);
        }
        for m in markers[..n].iter_mut() {
            *m = p.holder1(*m);
        }
    }
}
