//! The block device: media per block, a volatile write cache (lost on power
//! failure unless flushed or written with FUA), in-flight bios that the
//! `dev` actor completes in any order, injected write failures and, for
//! pmem, poisoned blocks.

use crate::version::{Data, Version};
use crate::world::{Holder, MAX_BIOS, MAX_BLOCKS};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BioKind {
    /// Writeback of a dirty folio (completion: folio_end_writeback).
    Writeback,
    /// Reading a locked folio in (completion: uptodate, unlock).
    ReadFolio,
    /// A direct read into a user buffer.
    DioRead,
    /// A direct write from a user buffer.
    DioWrite,
    /// REQ_PREFLUSH: empty flush of the volatile cache.
    Flush,
    /// A journal write (REQ_PREFLUSH | REQ_FUA): flushes the cache, and its
    /// completion commits the metadata (extent map, i_size).
    LogWrite,
    /// Not a bio: btrfs's ordered-extent completion work
    /// (btrfs_finish_ordered_io), queued when a writeback bio ends and run
    /// later by the endio workqueue; modelled as device-side work.
    OrderedFinish,
    /// Not a bio: an asynchronous direct write's completion, deferred to a
    /// workqueue because the file has cached pages (iomap_dio_complete_work,
    /// 332391a9935d); `owner` is the task, `op` its op.
    AioComplete,
}

impl BioKind {
    /// What the bio is, in words, for displays.
    pub fn name(self) -> &'static str {
        match self {
            BioKind::Writeback => "writeback",
            BioKind::ReadFolio => "page read",
            BioKind::DioRead => "direct read",
            BioKind::DioWrite => "direct write",
            BioKind::Flush => "cache flush",
            BioKind::LogWrite => "journal write",
            BioKind::OrderedFinish => "ordered-extent completion",
            BioKind::AioComplete => "AIO completion work",
        }
    }

    pub fn is_write(self) -> bool {
        matches!(self, BioKind::Writeback | BioKind::DioWrite)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Bio {
    pub kind: BioKind,
    pub block: u8,
    /// The file page the I/O is for (the folio, or the user buffer's page).
    pub page: u8,
    /// Data written (writes only).
    pub ver: Data,
    /// REQ_FUA for writes. For `OrderedFinish`: the ordered extent is a
    /// direct write's (it holds the range against readers, see
    /// [`crate::locks::ordered_extent`]) rather than a folio's.
    pub fua: bool,
    /// Who submitted it (and, for direct I/O and flushes, who waits on it).
    pub owner: Holder,
    /// Direct I/O: the index of the owner task's op that submitted it (0
    /// for other bios): a direct read's completion fills the buffer of
    /// that op, whatever op the task is in by then.
    pub op: u8,
}

impl Default for Bio {
    fn default() -> Self {
        Bio {
            kind: BioKind::Flush,
            block: 0,
            page: 0,
            ver: Data::all(Version::INIT),
            fua: false,
            owner: Holder(0),
            op: 0,
        }
    }
}

/// The block device. Only its first `n` blocks exist (the rest stay `init`
/// and uncached), and hashing, comparing, copying and renaming stop there
/// (see [`crate::pagecache::PageCache`]).
#[derive(Clone, Copy, Debug, Eq)]
pub struct Device {
    pub media: [Data; MAX_BLOCKS],
    /// The volatile write cache: data written but not yet on media.
    pub vcache: [Option<Data>; MAX_BLOCKS],
    /// Blocks whose next write fails (dm-flakey style fault injection).
    pub fail: crate::world::Blocks,
    /// pmem blocks with media errors.
    pub poison: crate::world::Blocks,
    /// In-flight bios, in submission order.
    pub bios: [Bio; MAX_BIOS],
    pub nbios: u8,
    pub n: u8,
}

impl Default for Device {
    fn default() -> Self {
        Device::new(MAX_BLOCKS as u8)
    }
}

impl PartialEq for Device {
    fn eq(&self, o: &Device) -> bool {
        let n = usize::from(self.n);
        self.n == o.n
            && self.media[..n] == o.media[..n]
            && self.vcache[..n] == o.vcache[..n]
            && self.fail == o.fail
            && self.poison == o.poison
            && self.inflight() == o.inflight()
    }
}

/// What completing a bio did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Done {
    pub ok: bool,
    /// For reads: the data returned.
    pub data: Data,
}

impl std::hash::Hash for Device {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let n = usize::from(self.n);
        self.media[..n].hash(h);
        let mut vc = [0u32; MAX_BLOCKS];
        for (b, v) in vc.iter_mut().zip(self.vcache[..n].iter()) {
            *b = v.map_or(u32::MAX, |d| u32::from_le_bytes(d.0.map(|v| v.0)));
        }
        vc[..n].hash(h);
        h.write_u128(self.fail);
        h.write_u128(self.poison);
        // slots past nbios are always the default bio
        h.write_u8(self.nbios);
        for b in self.inflight() {
            b.hash(h);
        }
    }
}

impl Device {
    /// A device of `n` blocks of `init`, with nothing in flight.
    pub fn new(n: u8) -> Device {
        Device {
            media: [Data::all(Version::INIT); MAX_BLOCKS],
            vcache: [None; MAX_BLOCKS],
            fail: 0,
            poison: 0,
            bios: [Bio::default(); MAX_BIOS],
            nbios: 0,
            n,
        }
    }

    /// `*self = *o` for the same device (blocks past `n` and bios past
    /// `nbios` are at their defaults in both).
    pub fn copy_from(&mut self, o: &Device) {
        if cfg!(target_arch = "wasm32") {
            // smaller code in the browser, whose searches are small
            *self = *o;
            return;
        }
        debug_assert_eq!(self.n, o.n);
        let n = usize::from(o.n);
        self.media[..n].copy_from_slice(&o.media[..n]);
        self.vcache[..n].copy_from_slice(&o.vcache[..n]);
        self.fail = o.fail;
        self.poison = o.poison;
        let (k, ok) = (usize::from(self.nbios), usize::from(o.nbios));
        self.bios[..ok].copy_from_slice(&o.bios[..ok]);
        if k > ok {
            self.bios[ok..k].fill(Bio::default());
        }
        self.nbios = o.nbios;
    }

    /// Whether `self` and `o` agree in all that their hash covers: the
    /// explorer reuses a parent's hash for a child's part that does (whole
    /// words without early exits: cheaper than `==`).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn hash_eq(&self, o: &Device) -> bool {
        let word = |d: &Data| u32::from_le_bytes(d.0.map(|v| v.0));
        let vc = |v: &Option<Data>| v.as_ref().map_or(u32::MAX, word);
        let mut diff = 0;
        for b in 0..usize::from(self.n) {
            diff |= word(&self.media[b]) ^ word(&o.media[b]);
            diff |= vc(&self.vcache[b]) ^ vc(&o.vcache[b]);
        }
        diff == 0
            && self.fail == o.fail
            && self.poison == o.poison
            && self.inflight() == o.inflight()
    }

    /// The newest data of a block (what a read returns).
    pub fn content(&self, b: u8) -> Data {
        self.vcache[b as usize].unwrap_or(self.media[b as usize])
    }

    pub fn inflight(&self) -> &[Bio] {
        &self.bios[..self.nbios as usize]
    }

    pub fn queue_full(&self) -> bool {
        self.nbios as usize >= MAX_BIOS
    }

    pub fn submit(&mut self, bio: Bio) {
        debug_assert!(!self.queue_full());
        self.bios[self.nbios as usize] = bio;
        self.nbios += 1;
    }

    /// Removes the k-th in-flight bio.
    pub fn take(&mut self, k: u8) -> Bio {
        let k = k as usize;
        let n = self.nbios as usize;
        let bio = self.bios[k];
        self.bios.copy_within(k + 1..n, k);
        self.bios[n - 1] = Bio::default();
        self.nbios -= 1;
        bio
    }

    /// Carries out a bio on the device. `write_cache`: the device has a
    /// volatile write cache. `pmem`: writes clear poison (the pmem driver's
    /// pmem_clear_poison on the block I/O path).
    pub fn perform(&mut self, bio: &Bio, write_cache: bool, pmem: bool) -> Done {
        let b = bio.block as usize;
        let bit: crate::world::Blocks = 1 << bio.block;
        match bio.kind {
            BioKind::OrderedFinish | BioKind::AioComplete => Done {
                ok: true,
                data: Data::all(Version::INIT),
            },
            BioKind::Flush | BioKind::LogWrite => {
                self.flush_cache();
                Done {
                    ok: true,
                    data: Data::all(Version::INIT),
                }
            }
            BioKind::ReadFolio | BioKind::DioRead => {
                if self.poison & bit != 0 {
                    return Done {
                        ok: false,
                        data: Data::all(Version::INIT),
                    };
                }
                Done {
                    ok: true,
                    data: self.content(bio.block),
                }
            }
            BioKind::Writeback | BioKind::DioWrite => {
                if self.fail & bit != 0 {
                    self.fail &= !bit;
                    return Done {
                        ok: false,
                        data: Data::all(Version::INIT),
                    };
                }
                if pmem {
                    self.poison &= !bit;
                }
                if write_cache && !bio.fua {
                    self.vcache[b] = Some(bio.ver);
                } else {
                    self.media[b] = bio.ver;
                    self.vcache[b] = None;
                }
                Done {
                    ok: true,
                    data: bio.ver,
                }
            }
        }
    }

    /// Everything in the volatile cache reaches media.
    pub fn flush_cache(&mut self) {
        let n = usize::from(self.n);
        for (m, c) in self.media[..n].iter_mut().zip(self.vcache[..n].iter_mut()) {
            if let Some(v) = c.take() {
                *m = v;
            }
        }
    }

    /// Power failure: the volatile cache and every in-flight bio are lost.
    pub fn power_fail(&mut self) {
        self.vcache = [None; MAX_BLOCKS];
        self.bios = [Bio::default(); MAX_BIOS];
        self.nbios = 0;
    }
}

/// Symmetry (see [`crate::perm`]): data on media, in the volatile cache
/// and in flight, and who submitted each bio. Blocks and queue positions
/// stay: the same schedule renamed submits the same bios in the same order.
impl Device {
    pub fn permute(&mut self, p: &crate::perm::Perm) {
        let Device {
            media,
            vcache,
            fail: _,
            poison: _,
            bios,
            nbios,
            n,
        } = self;
        let n = usize::from(*n);
        for v in media[..n].iter_mut() {
            *v = p.data(*v);
        }
        for v in vcache[..n].iter_mut().flatten() {
            *v = p.data(*v);
        }
        for b in bios[..*nbios as usize].iter_mut() {
            let Bio {
                kind: _,
                block: _,
                page: _,
                ver,
                fua: _,
                owner,
                op: _,
            } = b;
            *ver = p.data(*ver);
            *owner = p.holder(*owner);
        }
    }
}
