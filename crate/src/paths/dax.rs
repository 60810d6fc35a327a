//! DAX (pmem): no page cache for data. Reads and writes are CPU copies to
//! and from the persistent memory (`dax_iomap_rw`), under i_rwsem (shared
//! to read, exclusive to write on XFS). O_DIRECT goes the same way unless
//! the 2016 proposal routes it through the block direct I/O path (see
//! `dax_odirect`). A poisoned block fails reads; a write over it fails
//! unless DAX_RECOVERY_WRITE (~5.19) clears the poison.

use super::fsync::Sync;
use super::{Progress, Sub};
use crate::extents::Ext;
use crate::locks::{LockId, Mode};
use crate::ops::Range;
use crate::policy::DaxPoisonWrite;
use crate::version::Data;
use crate::world::{Errno, Holder, Need, Ret, World};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Pc {
    Lock,
    Page,
    Sync,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DaxRw {
    lo: u8,
    hi: u8,
    cur: u8,
    write: bool,
    dsync: bool,
    /// A write to part of its pages, counted from page `lo0`.
    bytes: Option<crate::ops::Bytes>,
    lo0: u8,
    pc: Pc,
    sync: Sync,
}

impl DaxRw {
    pub fn new(r: Range, write: bool) -> DaxRw {
        DaxRw {
            lo: r.lo,
            hi: r.hi,
            cur: r.lo,
            write,
            dsync: false,
            bytes: None,
            lo0: r.lo,
            pc: Pc::Lock,
            sync: Sync::new(r.lo, r.hi, true),
        }
    }

    pub fn bytes(self, bytes: Option<crate::ops::Bytes>) -> DaxRw {
        DaxRw { bytes, ..self }
    }

    pub fn dsync(mut self, dsync: bool) -> DaxRw {
        self.dsync = dsync;
        self
    }

    pub fn need(&self, w: &World, _t: u8) -> Need {
        match self.pc {
            Pc::Lock => Need::Lock(
                LockId::IRwsem,
                if self.write && w.st.fs.dax_write_excl(w.st.policy.kernel) {
                    Mode::Excl
                } else {
                    Mode::Shared
                },
            ),
            Pc::Page => Need::None,
            Pc::Sync => self.sync.need(w),
        }
    }

    fn done(&mut self, w: &mut World, t: u8, r: Ret) -> Progress {
        w.s.locks.i_rwsem.release(Holder(t));
        if self.dsync && !r.is_err() {
            self.pc = Pc::Sync;
            return Progress::Continue;
        }
        Progress::Return(r)
    }

    pub fn step(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        match self.pc {
            Pc::Lock => {
                let names = w.st.fs.names();
                let name = if w.s.locks.i_rwsem.held_by(Holder(t)) == Some(crate::locks::Mode::Excl)
                {
                    names.ilock_excl
                } else {
                    names.ilock_shared
                };
                if !self.write {
                    if self.lo >= w.s.i_size {
                        w.s.locks.i_rwsem.release(Holder(t));
                        return (name, Progress::Return(Ret::Pages(0)));
                    }
                    self.hi = self.hi.min(w.s.i_size - 1);
                }
                self.pc = Pc::Page;
                (name, Progress::Continue)
            }
            Pc::Page => self.page(w, t),
            Pc::Sync => match self.sync.step(w, t) {
                (n, Sub::Running) => (n, Progress::Continue),
                (n, Sub::Done(Ok(()))) => {
                    let opi = w.s.tasks[t as usize].op as usize;
                    if let Some(v) = w.st.op_ver[t as usize][opi] {
                        w.oracle_dsync(v);
                    }
                    (n, Progress::Return(Ret::Pages(self.hi - self.lo + 1)))
                }
                (n, Sub::Done(Err(e))) => (n, Progress::Return(Ret::Err(e))),
            },
        }
    }

    fn short(&self, e: Errno) -> Ret {
        if self.cur > self.lo {
            Ret::Pages(self.cur - self.lo)
        } else {
            Ret::Err(e)
        }
    }

    fn page(&mut self, w: &mut World, t: u8) -> (&'static str, Progress) {
        let p = self.cur;
        if let Some(c) = w.counters() {
            c.cpu_bytes += 4096;
        }
        if self.write {
            let opi = w.s.tasks[t as usize].op as usize;
            let v = w.st.op_ver[t as usize][opi].expect("a write has a version");
            let b = match w.s.ext.get(p) {
                Ext::Written(b) => b,
                Ext::Unwritten(b, z) => {
                    // the block reads as zeroes until now
                    w.s.dev.media[b as usize] = Data::all(z);
                    w.s.ext.set(p, Ext::Written(b));
                    b
                }
                e => match w.s.ext.alloc(w.st.nblocks) {
                    Some(b) => {
                        w.s.dev.media[b as usize] = Data::all(e.zeroes().unwrap());
                        w.s.ext.set(p, Ext::Written(b));
                        w.note(|_| format!("page {p}: block {b} allocated, zeroed, written"));
                        b
                    }
                    None => return ("dax_iomap_iter", self.done(w, t, Ret::Err(Errno::EIO))),
                },
            };
            if w.s.dev.poison & (1 << b) != 0 {
                match w.st.policy.dax_poison_write {
                    DaxPoisonWrite::Fail => {
                        // __pmem_direct_access() checks the badblocks list
                        // before any copy: -EIO (-EHWPOISON since ~5.19)
                        w.note(|w| {
                            format!(
                                "block {b} is poisoned: {} → -EIO, nothing copied",
                                poison_refusal(w)
                            )
                        });
                        let r = self.short(Errno::EIO);
                        return ("dax_iomap_iter", self.done(w, t, r));
                    }
                    DaxPoisonWrite::RecoveryWrite => {
                        w.s.dev.poison &= !(1 << b);
                        w.note(|_| format!("block {b} is poisoned: dax_direct_access returns -EHWPOISON; the write retries with DAX_RECOVERY_WRITE, whose dax_recovery_write clears it"));
                    }
                }
            }
            let m = w.st.frags[p as usize].of(self.bytes.and_then(|b| b.within(self.lo0, p)));
            w.s.dev.media[b as usize] = w.s.dev.media[b as usize].with(m, v);
            if p + 1 > w.s.i_size {
                w.s.i_size = p + 1;
            }
            w.note(|w| format!("memcpy {} to pmem block {b}", w.st.dlabel(p, Data::all(v))));
        } else {
            let v = match w.s.ext.get(p) {
                Ext::Written(b) => {
                    if w.s.dev.poison & (1 << b) != 0 {
                        w.note(|w| {
                            format!(
                                "block {b} is poisoned: {} → -EIO, nothing copied",
                                poison_refusal(w)
                            )
                        });
                        let r = self.short(Errno::EIO);
                        return ("dax_iomap_iter", self.done(w, t, r));
                    }
                    w.s.dev.media[b as usize]
                }
                e => Data::all(e.zeroes().unwrap()),
            };
            w.read_value(t, p, v);
            w.note(|w| format!("memcpy page {p} = {} from pmem", w.st.dlabel(p, v)));
        }
        self.cur += 1;
        if self.cur > self.hi {
            let n = self.hi - self.lo + 1;
            return ("dax_iomap_iter", self.done(w, t, Ret::Pages(n)));
        }
        ("dax_iomap_iter", Progress::Continue)
    }
}

/// Symmetry (see [`crate::perm`]): these path states keep no task id and
/// no version (they name them through the task index and `op_ver`); one
/// that stores either must rename it here.
impl DaxRw {
    pub fn permute(&mut self, p: &crate::perm::Perm) {
        let DaxRw {
            lo: _,
            hi: _,
            cur: _,
            write: _,
            dsync: _,
            pc: _,
            sync,
            bytes: _,
            lo0: _,
        } = self;
        sync.permute(p);
    }
}

/// How dax_direct_access() refuses a poisoned range: __pmem_direct_access()
/// finds it in the pmem driver's badblocks list and returns -EIO before
/// dax_iomap_actor copies anything (no machine check is taken); since
/// ~5.19 (Jane Chu's recovery-write series) it returns -EHWPOISON, which a
/// read reports as -EIO and a write answers with DAX_RECOVERY_WRITE.
fn poison_refusal(w: &World) -> &'static str {
    if w.st.policy.kernel >= crate::policy::Kernel(5, 19) {
        "dax_direct_access: badblocks → -EHWPOISON"
    } else {
        "dax_direct_access: badblocks → -EIO"
    }
}
