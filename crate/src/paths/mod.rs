//! The kernel paths, one module each, each a step machine whose steps are
//! named after the kernel functions they model. A path has:
//!
//! - a state (`Copy`, part of the world's state), starting at its first pc;
//! - `need()`: what its next step waits for (a lock to take, a flag to
//!   clear, a bio to complete) — pure, so the engine can tell who can run
//!   and draw the wait-for graph;
//! - `step()`: one atomic step; the engine has already taken the lock that
//!   `need()` named.
//!
//! Sub-machines used by several paths: [`writeback::Flush`]
//! (filemap_write_and_wait_range), [`invalidate::Inval`]
//! (invalidate_inode_pages2_range, truncate_inode_pages_range),
//! [`fault::Fault`] (filemap_fault + page_mkwrite), [`fsync::Sync`]
//! (vfs_fsync_range).

pub mod bio_end;
pub mod buffered_read;
pub mod buffered_write;
pub mod crash;
pub mod dax;
pub mod dio;
pub mod direct_read;
pub mod direct_write;
pub mod fault;
pub mod filemap;
pub mod fsync;
pub mod invalidate;
pub mod reclaim;
pub mod truncate;
pub mod writeback;

use crate::ops::Op;
use crate::world::{Need, Ret, World};

/// The state machine of the op a task is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Path {
    /// Between ops.
    Idle,
    BufRead(buffered_read::BufRead),
    BufWrite(buffered_write::BufWrite),
    DioRead(direct_read::DioRead),
    DioWrite(direct_write::DioWrite),
    Mmap(fault::MmapAccess),
    Fsync(fsync::FsyncOp),
    SyncRange(fsync::SyncRange),
    Truncate(truncate::Truncate),
    Writeback(writeback::WritebackOp),
    Dax(dax::DaxRw),
    /// Ops that are a single step: reclaim, fail-writes.
    Single,
    /// `crash`: power fails (true once it has), then mount and recovery.
    Crash(bool),
    /// kiocb_set_rw_flags() refused the op's RWF_ flags: one step,
    /// -EOPNOTSUPP.
    Refused,
}

/// What a step did to its op.
pub enum Progress {
    /// The op goes on.
    Continue,
    /// The op returned.
    Return(Ret),
    /// The op goes on as another path (a direct write falling back to a
    /// buffered one, a retry).
    Become(Path),
    /// io_submit returned: the task goes on with its next op while the
    /// asynchronous write completes later ([`crate::world::Aio`]).
    Detach,
}

/// What a step did to the task's op, for the engine.
pub enum StepEnd {
    Continue,
    Return(Ret),
    Detach,
}

/// A sub-machine's step: still running, or done with a value.
pub enum Sub<T> {
    Running,
    Done(T),
}

/// The path an op starts in.
pub fn initial(w: &World, t: u8) -> Path {
    let task = &w.s.tasks[t as usize];
    let op = &w.st.scenario.tasks[t as usize].ops[task.op as usize];
    let dax = w.st.dax;
    if rw_flags_refused(w, op).is_some() {
        return Path::Refused;
    }
    match *op {
        Op::Read {
            range,
            bytes: _,
            direct,
            dontcache,
            into_mmap,
            private,
        } => {
            if dax
                && !(direct && w.st.policy.dax_odirect == crate::policy::DaxOdirect::DirectIoPath)
            {
                Path::Dax(dax::DaxRw::new(range, false))
            } else if direct {
                Path::DioRead(direct_read::DioRead::new(w, range, into_mmap, private))
            } else {
                Path::BufRead(buffered_read::BufRead::new(w, range, dontcache))
            }
        }
        Op::Write {
            range,
            bytes,
            direct,
            dsync,
            uncached,
            from_mmap,
            private,
            aio,
        } => {
            if dax
                && !(direct && w.st.policy.dax_odirect == crate::policy::DaxOdirect::DirectIoPath)
            {
                Path::Dax(dax::DaxRw::new(range, true).dsync(dsync).bytes(bytes))
            } else if direct {
                Path::DioWrite(
                    direct_write::DioWrite::new(w, range, dsync, from_mmap, private).aio(aio),
                )
            } else {
                Path::BufWrite(buffered_write::BufWrite::new(range, dsync, uncached).bytes(bytes))
            }
        }
        Op::MmapRead(p, _) => Path::Mmap(fault::MmapAccess::new(p, false)),
        Op::MmapWrite(p, _) => Path::Mmap(fault::MmapAccess::new(p, true)),
        Op::Fsync => Path::Fsync(fsync::FsyncOp::new(w, false)),
        Op::Fdatasync => Path::Fsync(fsync::FsyncOp::new(w, true)),
        Op::SyncRange(r) => Path::SyncRange(fsync::SyncRange::new(r)),
        Op::Truncate(n) => Path::Truncate(truncate::Truncate::truncate(n)),
        Op::Punch(r) => Path::Truncate(truncate::Truncate::punch(r)),
        Op::Falloc(r) => Path::Truncate(truncate::Truncate::falloc(r)),
        Op::Writeback => Path::Writeback(writeback::WritebackOp::new(w)),
        Op::Reclaim(_) | Op::FailWrites(_) => Path::Single,
        Op::Crash => Path::Crash(false),
    }
}

/// What the path's next step waits for.
pub fn need(path: &Path, w: &World, t: u8) -> Need {
    match path {
        Path::Idle => unreachable!("need() of an idle task"),
        Path::BufRead(s) => s.need(w, t),
        Path::BufWrite(s) => s.need(w, t),
        Path::DioRead(s) => s.need(w, t),
        Path::DioWrite(s) => s.need(w, t),
        Path::Mmap(s) => s.need(w, t),
        Path::Fsync(s) => s.need(w, t),
        Path::SyncRange(s) => s.need(w, t),
        Path::Truncate(s) => s.need(w, t),
        Path::Writeback(s) => s.need(w, t),
        Path::Dax(s) => s.need(w, t),
        Path::Single | Path::Crash(_) | Path::Refused => Need::None,
    }
}

/// One step of the path; returns the step's name and, if the op returned,
/// its return value.
pub fn step(path: &mut Path, w: &mut World, t: u8) -> (&'static str, StepEnd) {
    let (name, prog) = match path {
        Path::Idle => unreachable!("step() of an idle task"),
        Path::BufRead(s) => s.step(w, t),
        Path::BufWrite(s) => s.step(w, t),
        Path::DioRead(s) => s.step(w, t),
        Path::DioWrite(s) => s.step(w, t),
        Path::Mmap(s) => s.step(w, t),
        Path::Fsync(s) => s.step(w, t),
        Path::SyncRange(s) => s.step(w, t),
        Path::Truncate(s) => s.step(w, t),
        Path::Writeback(s) => s.step(w, t),
        Path::Dax(s) => s.step(w, t),
        Path::Single => single_step(w, t),
        Path::Crash(false) => {
            *path = Path::Crash(true);
            crash::power_fails(w, t)
        }
        Path::Crash(true) => crash::crash(w, t),
        Path::Refused => {
            let opi = w.s.tasks[t as usize].op as usize;
            let op = &w.st.scenario.tasks[t as usize].ops[opi];
            let why = rw_flags_refused(w, op).expect("a refused op");
            w.note(|_| format!("{why}: -EOPNOTSUPP"));
            (
                "kiocb_set_rw_flags",
                Progress::Return(Ret::Err(crate::world::Errno::EOPNOTSUPP)),
            )
        }
    };
    match prog {
        Progress::Continue => (name, StepEnd::Continue),
        Progress::Return(r) => (name, StepEnd::Return(r)),
        Progress::Become(p) => {
            *path = p;
            (name, StepEnd::Continue)
        }
        Progress::Detach => (name, StepEnd::Detach),
    }
}

/// Why kiocb_set_rw_flags() refuses the op's RWF_DONTCACHE (RWF_UNCACHED
/// in the 2019 proposals), before any filesystem code runs: the kernel has
/// no such flag (unknown RWF_ flags are -EOPNOTSUPP), the filesystem does
/// not set FOP_DONTCACHE, or the file is DAX. Direct I/O on a filesystem
/// that sets it takes the flag and ignores it.
pub fn rw_flags_refused(w: &World, op: &Op) -> Option<String> {
    use crate::policy::UncachedWrite;
    let dontcache = match *op {
        Op::Read { dontcache, .. } => dontcache,
        Op::Write { uncached, .. } => uncached,
        _ => false,
    };
    if !dontcache {
        return None;
    }
    let k = w.st.policy.kernel;
    match w.st.policy.uncached_write {
        UncachedWrite::Unsupported => Some(format!("{k} has no RWF_DONTCACHE")),
        // Axboe's 2019 RWF_UNCACHED: the flag alone, no per-fs opt-in
        UncachedWrite::PerPageDrop | UncachedWrite::PerIoFlush => None,
        UncachedWrite::Dropbehind if !w.st.fs.dontcache(k) => Some(format!(
            "{} does not set FOP_DONTCACHE (as of {k})",
            w.st.fs.name()
        )),
        UncachedWrite::Dropbehind if w.st.dax => {
            Some("RWF_DONTCACHE is not supported on DAX files".to_string())
        }
        UncachedWrite::Dropbehind => None,
    }
}

fn single_step(w: &mut World, t: u8) -> (&'static str, Progress) {
    let opi = w.s.tasks[t as usize].op as usize;
    let op = w.st.scenario.tasks[t as usize].ops[opi].clone();
    match op {
        Op::Reclaim(r) => reclaim::reclaim_op(w, r),
        Op::FailWrites(r) => crash::fail_writes(w, r),
        _ => unreachable!("single-step op {op}"),
    }
}

/// The units (fragments of pages) a returning op wrote, for the oracles.
pub fn written_units(op: &Op, r: Ret, st: &crate::world::Static) -> crate::oracle::Units {
    use crate::oracle::{units, Units};
    let Ret::Pages(n) = r else {
        return Units::EMPTY;
    };
    let whole = |lo: u8, n: u8| {
        (lo..lo.saturating_add(n))
            .filter(|&p| p < st.pages)
            .fold(Units::EMPTY, |m, p| m | units(p, crate::frags::Frags::ALL))
    };
    match *op {
        Op::Write { range, .. } => (range.lo..range.lo.saturating_add(n))
            .filter(|&p| p < st.pages)
            .fold(Units::EMPTY, |m, p| {
                m | units(p, st.frags[p as usize].of(op.page_bytes(p)))
            }),
        Op::MmapWrite(p, _) => units(p, st.frags[p as usize].of(op.page_bytes(p))),
        // the direct read's data landed in the mmapped pages P.. (a store)
        Op::Read {
            into_mmap: Some(p),
            private: false,
            ..
        } => whole(p, n),
        Op::Punch(range) => whole(range.lo, range.len()),
        Op::Truncate(n) if n < st.pages => whole(n, st.pages - n),
        _ => Units::EMPTY,
    }
}

/// Symmetry (see [`crate::perm`]): each path renames what it keeps.
impl Path {
    pub fn permute(&mut self, p: &crate::perm::Perm) {
        match self {
            Path::Idle | Path::Single | Path::Crash(_) | Path::Refused => {}
            Path::BufRead(s) => s.permute(p),
            Path::BufWrite(s) => s.permute(p),
            Path::DioRead(s) => s.permute(p),
            Path::DioWrite(s) => s.permute(p),
            Path::Mmap(s) => s.permute(p),
            Path::Fsync(s) => s.permute(p),
            Path::SyncRange(s) => s.permute(p),
            Path::Truncate(s) => s.permute(p),
            Path::Writeback(s) => s.permute(p),
            Path::Dax(s) => s.permute(p),
        }
    }
}
