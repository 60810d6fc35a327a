//! The executor: a scenario's tasks as processes making real syscalls on a
//! real file.
//!
//! Each task is a process of its own (forked once per session), because
//! the model gives each task its own open file description (its errseq
//! cursor) and its own memory map (its page tables and mmap_lock): threads
//! would share the map, so one task's fault would map the page for all.
//! Per run, the coordinator (this process) makes the file as the
//! scenario's setup says, the tasks open and map it, wait at a barrier,
//! sleep a random few microseconds each and run their ops, timing each
//! one on CLOCK_MONOTONIC. Then the coordinator reads back what the file,
//! the page cache and the device hold, and turns it all into an
//! [`observe::History`].
//!
//! The coordinator never waits forever: a run that does not finish within
//! the timeout is reported as a hang (the model's deadlock), the task
//! processes are killed, and the session ends. Shared state is a shared
//! anonymous mapping with atomics and futexes.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use libc::c_int;
use rand::SeedableRng;

use super::host::cpath;
use super::plan::{span, PAGE};
use super::stepper::Order;
use super::tag::{fill, nonce, Classifier};
use crate::observe::{Call, End, History, Returned, Seen, Versions};
use crate::ops::Op;
use crate::scenario::{OnDisk, Scenario};

const MAX_TASKS: usize = crate::scenario::limits::MAX_TASKS;
const MAX_OPS: usize = crate::scenario::limits::MAX_OPS;
/// The most pages an op covers.
const MAX_RANGE: usize = crate::scenario::limits::MAX_PAGES;
/// A return value that is not a syscall's: the access took SIGBUS.
const SIGBUS_RET: i64 = i64::MIN;

const CMD_OPEN: u32 = 1;
const CMD_RUN: u32 = 2;
const CMD_STEP: u32 = 3;
const CMD_CLOSE: u32 = 4;
const CMD_EXIT: u32 = 5;

/// What one op did, in shared memory.
#[repr(C)]
struct Rec {
    /// 0: not begun, 1: in the syscall, 2: returned.
    state: AtomicU32,
    begin: AtomicU64,
    end: AtomicU64,
    ret: AtomicI64,
    /// A direct read into the mapping: when its data had been copied out
    /// of the mapping (others may write the mapping until then).
    captured: AtomicU64,
}

#[repr(C)]
struct Ctl {
    /// Bumped for every command: the futex word the tasks sleep on.
    cmd_seq: AtomicU32,
    cmd: AtomicU32,
    step_task: AtomicU32,
    step_op: AtomicU32,
    nonce: AtomicU64,
    jitter: [AtomicU64; MAX_TASKS],
    /// The start barrier: tasks arrived, and the generation released.
    arrived: AtomicU32,
    go: AtomicU32,
    /// Tasks done with the current command (futex word).
    done: AtomicU32,
    /// A task's own failure (errno), outside any op: it cannot go on.
    fail: [AtomicI64; MAX_TASKS],
    recs: [[Rec; MAX_OPS]; MAX_TASKS],
}

fn now_ns() -> u64 {
    // SAFETY: clock_gettime fills the timespec.
    unsafe {
        let mut ts: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts);
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn futex_wait(word: &AtomicU32, expected: u32, timeout: Option<Duration>) {
    let ts = timeout.map(|d| libc::timespec {
        tv_sec: d.as_secs() as libc::time_t,
        tv_nsec: d.subsec_nanos() as libc::c_long,
    });
    let tsp = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: a shared (not FUTEX_PRIVATE) wait on a word in shared memory.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            expected,
            tsp,
        );
    }
}

fn futex_wake(word: &AtomicU32) {
    // SAFETY: waking waiters on a word in shared memory.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, i32::MAX);
    }
}

/// The errno's name as the model spells it.
pub fn errno_name(e: i32) -> String {
    let n = match e {
        libc::EIO => "EIO",
        libc::EBUSY => "EBUSY",
        libc::ENOTBLK => "ENOTBLK",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::EFAULT => "EFAULT",
        libc::EINVAL => "EINVAL",
        libc::ENOSPC => "ENOSPC",
        libc::EAGAIN => "EAGAIN",
        libc::EPERM => "EPERM",
        libc::EACCES => "EACCES",
        libc::ENOENT => "ENOENT",
        libc::EBADF => "EBADF",
        libc::EINTR => "EINTR",
        libc::EROFS => "EROFS",
        libc::EFBIG => "EFBIG",
        libc::ENOMEM => "ENOMEM",
        libc::ENODATA => "ENODATA",
        libc::EUCLEAN => "EUCLEAN",
        libc::ENOSYS => "ENOSYS",
        libc::ESPIPE => "ESPIPE",
        libc::ETXTBSY => "ETXTBSY",
        libc::EDQUOT => "EDQUOT",
        _ => return format!("-errno {e}"),
    };
    format!("-{n}")
}

// ---- the SIGBUS catcher of a task process ----
//
// A load or store through the mapping past EOF (after a truncate) takes
// SIGBUS, which the model reports as the access's result. The handler
// maps an anonymous page over the faulting one so that the access can
// finish, and notes it; the task then restores its mapping of the file.

static MAP_LO: AtomicUsize = AtomicUsize::new(0);
static MAP_HI: AtomicUsize = AtomicUsize::new(0);
static PMAP_LO: AtomicUsize = AtomicUsize::new(0);
static PMAP_HI: AtomicUsize = AtomicUsize::new(0);
static SIGBUS_HIT: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigbus(_sig: c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: only async-signal-safe work: raw syscalls and atomics.
    unsafe {
        let addr = (*info).si_addr() as usize;
        let within = |lo: &AtomicUsize, hi: &AtomicUsize| {
            addr >= lo.load(Ordering::Relaxed) && addr < hi.load(Ordering::Relaxed)
        };
        if within(&MAP_LO, &MAP_HI) || within(&PMAP_LO, &PMAP_HI) {
            let page = addr & !(PAGE as usize - 1);
            let r = libc::syscall(
                libc::SYS_mmap,
                page,
                PAGE as usize,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            );
            if r != -1 {
                SIGBUS_HIT.store(true, Ordering::Relaxed);
                return;
            }
        }
        // not ours: die of it
        libc::signal(libc::SIGBUS, libc::SIG_DFL);
    }
}

/// Page-aligned anonymous memory (O_DIRECT buffers).
fn anon(len: usize, shared: bool) -> Result<*mut u8, String> {
    let flags = libc::MAP_ANONYMOUS
        | if shared {
            libc::MAP_SHARED
        } else {
            libc::MAP_PRIVATE
        };
    // SAFETY: a fresh anonymous mapping.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len.max(1),
            libc::PROT_READ | libc::PROT_WRITE,
            flags,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        Err(format!(
            "cannot allocate {len} bytes: {}",
            std::io::Error::last_os_error()
        ))
    } else {
        Ok(p.cast())
    }
}

/// Where a read op's data goes in shared memory.
#[derive(Clone, Copy)]
struct Slot {
    off: usize,
    len: usize,
}

/// How a lab session runs.
#[derive(Clone, Debug)]
pub struct Config {
    pub dir: std::path::PathBuf,
    pub runs: usize,
    pub seed: u64,
    /// Each task waits a random delay of at most this after the barrier
    /// (see [`delay`]).
    pub jitter: Duration,
    /// A run (or an op, sequentially) that takes longer is a hang.
    pub timeout: Duration,
    /// Sequential mode: whole ops in this order.
    pub order: Option<Order>,
}

/// How a session went, besides the runs it reported.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub runs: usize,
    /// The hang that ended the session, in words.
    pub hang: Option<String>,
    /// Runs whose setup did not come out as asked (a page that would not
    /// leave or enter the cache).
    pub setup_misses: usize,
    /// Stopped by SIGINT or SIGTERM.
    pub interrupted: bool,
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_stop(_sig: c_int) {
    STOP.store(true, Ordering::Relaxed);
}

/// One lab session: the shared memory and the task processes.
struct Session<'a> {
    sc: &'a Scenario,
    vers: Versions,
    file: std::ffi::CString,
    shm: *mut u8,
    shm_len: usize,
    slots: Vec<Vec<Option<Slot>>>,
    pids: Vec<libc::pid_t>,
    pages: u8,
}

impl Session<'_> {
    fn ctl(&self) -> &Ctl {
        // SAFETY: the shared mapping starts with a Ctl, zero-initialised.
        unsafe { &*(self.shm as *const Ctl) }
    }

    /// Issues a command and waits for every task to finish it.
    fn command(&self, cmd: u32, timeout: Duration) -> Result<(), String> {
        let ctl = self.ctl();
        ctl.done.store(0, Ordering::SeqCst);
        ctl.arrived.store(0, Ordering::SeqCst);
        ctl.cmd.store(cmd, Ordering::SeqCst);
        ctl.cmd_seq.fetch_add(1, Ordering::SeqCst);
        futex_wake(&ctl.cmd_seq);
        let deadline = Instant::now() + timeout;
        let n = self.pids.len() as u32;
        loop {
            let d = ctl.done.load(Ordering::SeqCst);
            if d >= n {
                break;
            }
            for (t, &pid) in self.pids.iter().enumerate() {
                let mut status = 0;
                // SAFETY: polling our own child.
                let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
                if r == pid {
                    let how = if libc::WIFSIGNALED(status) {
                        format!("killed by signal {}", libc::WTERMSIG(status))
                    } else {
                        format!("exited with {}", libc::WEXITSTATUS(status))
                    };
                    return Err(format!(
                        "the process of task {} died ({how}); this is a bug of the lab",
                        self.sc.tasks[t].name
                    ));
                }
            }
            if Instant::now() >= deadline {
                return Err(String::from("timeout"));
            }
            futex_wait(&ctl.done, d, Some(Duration::from_millis(20)));
        }
        for (t, f) in ctl.fail.iter().enumerate().take(self.pids.len()) {
            let e = f.load(Ordering::SeqCst);
            if e != 0 {
                return Err(format!(
                    "task {} could not open or map the file: {}",
                    self.sc.tasks[t].name,
                    errno_name(e as i32)
                ));
            }
        }
        Ok(())
    }

    /// Waits up to `within` for the task processes to exit; returns those
    /// still there.
    fn reap(&self, mut left: Vec<libc::pid_t>, within: Duration) -> Vec<libc::pid_t> {
        let deadline = Instant::now() + within;
        loop {
            left.retain(|&pid| {
                let mut st = 0;
                // SAFETY: reaping our own children.
                let r = unsafe { libc::waitpid(pid, &mut st, libc::WNOHANG) };
                r == 0
            });
            if left.is_empty() || Instant::now() >= deadline {
                return left;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Kills the task processes (a hang, an error) and reaps them.
    fn kill_all(&mut self) {
        for &pid in &self.pids {
            // SAFETY: our children.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
        let left = self.reap(self.pids.clone(), Duration::from_secs(2));
        if !left.is_empty() {
            eprintln!(
                "warning: task processes {left:?} cannot be reaped: they are stuck in the kernel (uninterruptible sleep) and will go when the kernel lets them"
            );
        }
        self.pids.clear();
    }

    /// Asks the task processes to leave, then kills whoever did not.
    fn shutdown(&mut self) {
        let ctl = self.ctl();
        ctl.cmd.store(CMD_EXIT, Ordering::SeqCst);
        ctl.cmd_seq.fetch_add(1, Ordering::SeqCst);
        futex_wake(&ctl.cmd_seq);
        let left = self.reap(self.pids.clone(), Duration::from_secs(2));
        self.pids = left;
        if !self.pids.is_empty() {
            self.kill_all();
        }
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        if !self.pids.is_empty() {
            self.shutdown();
        }
        // SAFETY: our file and our mapping.
        unsafe {
            libc::unlink(self.file.as_ptr());
            libc::munmap(self.shm.cast(), self.shm_len);
        }
    }
}

/// A task process's own state.
struct Task {
    t: usize,
    ops: Vec<Op>,
    vers: Vec<Option<u8>>,
    file: std::ffi::CString,
    pages: u8,
    shm: *mut u8,
    slots: Vec<Option<Slot>>,
    /// Per op: a private page-aligned buffer of the op's range.
    bufs: Vec<*mut u8>,
    fd: c_int,
    /// The task's shared mapping of the file.
    map: *mut u8,
    /// Its private (MAP_PRIVATE) mapping, if an op uses one: one per task,
    /// as in the model, so a page copied on write stays the task's copy
    /// for its later ops.
    pmap: *mut u8,
    /// The task's AIO context (io_setup), if an op is `aio`.
    aio_ctx: libc::c_ulong,
    /// The thread waiting for the asynchronous write in flight
    /// (io_getevents): it stamps the write's completion.
    aio_wait: Option<std::thread::JoinHandle<()>>,
}

/// `struct iocb` (include/uapi/linux/aio_abi.h), little-endian: aio_key
/// comes before aio_rw_flags.
#[repr(C)]
#[derive(Default)]
struct Iocb {
    aio_data: u64,
    aio_key: u32,
    aio_rw_flags: u32,
    aio_lio_opcode: u16,
    aio_reqprio: i16,
    aio_fildes: u32,
    aio_buf: u64,
    aio_nbytes: u64,
    aio_offset: i64,
    aio_reserved2: u64,
    aio_flags: u32,
    aio_resfd: u32,
}

/// `struct io_event`.
#[repr(C)]
#[derive(Default)]
struct IoEvent {
    data: u64,
    obj: u64,
    res: i64,
    res2: i64,
}

const IOCB_CMD_PWRITE: u16 = 1;
const _: () = assert!(std::mem::size_of::<Iocb>() == 64);
const _: () = assert!(cfg!(target_endian = "little"));

/// Waits for the one event of an AIO context and records it as op
/// `rec`'s return: its time is when user space could first see the
/// completion, which is after the kernel posted it (aio_complete), never
/// before.
fn aio_reap(ctx: libc::c_ulong, rec: &Rec) {
    let mut ev = IoEvent::default();
    let res = loop {
        // SAFETY: io_getevents writes at most one event into `ev`.
        let r = unsafe {
            libc::syscall(
                libc::SYS_io_getevents,
                ctx,
                1 as libc::c_long,
                1 as libc::c_long,
                &mut ev as *mut IoEvent,
                std::ptr::null_mut::<libc::timespec>(),
            )
        };
        if r == 1 {
            break ev.res;
        }
        let e = errno();
        if r < 0 && e != libc::EINTR {
            break -i64::from(e);
        }
    };
    rec.end.store(now_ns(), Ordering::SeqCst);
    rec.ret.store(res, Ordering::SeqCst);
    rec.state.store(2, Ordering::SeqCst);
}

/// What [`Task::syscall`] did: returned (bytes, -errno or SIGBUS_RET),
/// or left an asynchronous write in flight, whose waiter records its
/// return.
enum Done {
    Ret(i64),
    InFlight,
}

impl Task {
    fn ctl(&self) -> &Ctl {
        // SAFETY: as for the session.
        unsafe { &*(self.shm as *const Ctl) }
    }

    /// The task's mappings: the file's pages, and as many again past them,
    /// so that a direct I/O into or out of the mapping that runs past the
    /// file (`read 0-3 direct into-mmap 3`) meets the file past EOF (a
    /// fault that fails: -EFAULT), never other memory of the process.
    fn map_len(&self) -> usize {
        (self.pages as usize + MAX_RANGE) * PAGE as usize
    }

    fn uses_private(&self) -> bool {
        self.ops.iter().any(|o| {
            matches!(
                o,
                Op::Read { private: true, .. } | Op::Write { private: true, .. }
            )
        })
    }

    fn uses_aio(&self) -> bool {
        self.ops
            .iter()
            .any(|o| matches!(o, Op::Write { aio: true, .. }))
    }

    /// Maps the file at `at` (or anywhere), shared or private.
    fn map_file(&self, at: *mut u8, shared: bool) -> Result<*mut u8, i32> {
        let mut flags = if shared {
            libc::MAP_SHARED
        } else {
            libc::MAP_PRIVATE
        };
        if !at.is_null() {
            flags |= libc::MAP_FIXED;
        }
        // SAFETY: maps our file over a range that is ours (or a new one).
        unsafe {
            let m = libc::mmap(
                at.cast(),
                self.map_len(),
                libc::PROT_READ | libc::PROT_WRITE,
                flags,
                self.fd,
                0,
            );
            if m == libc::MAP_FAILED {
                return Err(errno());
            }
            libc::madvise(m, self.map_len(), libc::MADV_RANDOM);
            Ok(m.cast())
        }
    }

    fn open(&mut self) -> Result<(), i32> {
        // SAFETY: open and fadvise on the scenario's file.
        unsafe {
            self.fd = libc::open(self.file.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC);
            if self.fd < 0 {
                return Err(errno());
            }
            // the model reads what it is asked, no more (no readahead)
            libc::posix_fadvise(self.fd, 0, 0, libc::POSIX_FADV_RANDOM);
        }
        self.map = self.map_file(std::ptr::null_mut(), true)?;
        MAP_LO.store(self.map as usize, Ordering::Relaxed);
        MAP_HI.store(self.map as usize + self.map_len(), Ordering::Relaxed);
        if self.uses_private() {
            self.pmap = self.map_file(std::ptr::null_mut(), false)?;
            PMAP_LO.store(self.pmap as usize, Ordering::Relaxed);
            PMAP_HI.store(self.pmap as usize + self.map_len(), Ordering::Relaxed);
        }
        if self.uses_aio() {
            let mut ctx: libc::c_ulong = 0;
            // SAFETY: io_setup writes the new context's id into `ctx`.
            let r = unsafe {
                libc::syscall(
                    libc::SYS_io_setup,
                    1 as libc::c_long,
                    &mut ctx as *mut libc::c_ulong,
                )
            };
            if r < 0 {
                return Err(errno());
            }
            self.aio_ctx = ctx;
        }
        // this run's data
        let nonce = self.ctl().nonce.load(Ordering::SeqCst);
        for (i, op) in self.ops.iter().enumerate() {
            if !matches!(
                op,
                Op::Write {
                    from_mmap: None,
                    ..
                } | Op::MmapWrite(..)
            ) {
                continue;
            }
            let (Some(v), Some((off, len))) = (self.vers[i], span(op)) else {
                continue;
            };
            // SAFETY: bufs[i] has MAX_RANGE pages, and an op spans at most
            // that many.
            let buf = unsafe { std::slice::from_raw_parts_mut(self.bufs[i], len) };
            fill(nonce, v, off, buf);
        }
        for r in &self.ctl().recs[self.t] {
            r.state.store(0, Ordering::SeqCst);
        }
        Ok(())
    }

    /// Restores the mappings after the SIGBUS catcher replaced a page.
    fn remap(&mut self) {
        // a failure leaves the catcher's anonymous page: later accesses
        // read it rather than the file, and the run's data says so
        let _ = self.map_file(self.map, true);
        if !self.pmap.is_null() {
            let _ = self.map_file(self.pmap, false);
        }
    }

    /// Waits for the asynchronous write in flight, if any.
    fn aio_join(&mut self) {
        if let Some(h) = self.aio_wait.take() {
            let _ = h.join();
        }
    }

    fn close(&mut self) {
        self.aio_join();
        let len = self.map_len();
        // SAFETY: ours.
        unsafe {
            for m in [&mut self.map, &mut self.pmap] {
                if !m.is_null() {
                    libc::munmap(m.cast(), len);
                    *m = std::ptr::null_mut();
                }
            }
            if self.aio_ctx != 0 {
                libc::syscall(libc::SYS_io_destroy, self.aio_ctx);
                self.aio_ctx = 0;
            }
            if self.fd >= 0 {
                libc::close(self.fd);
                self.fd = -1;
            }
        }
    }

    fn set_direct(&self, on: bool) -> Result<(), i32> {
        // SAFETY: fcntl on our fd.
        unsafe {
            let fl = libc::fcntl(self.fd, libc::F_GETFL);
            let want = if on {
                fl | libc::O_DIRECT
            } else {
                fl & !libc::O_DIRECT
            };
            if want != fl && libc::fcntl(self.fd, libc::F_SETFL, want) < 0 {
                return Err(errno());
            }
        }
        Ok(())
    }

    /// Copies `len` bytes through a mapping; SIGBUS if a page is past EOF.
    ///
    /// # Safety
    /// `dst` and `src` are valid for `len` bytes, except that a page of a
    /// mapping of the file past EOF may take SIGBUS, which the catcher
    /// turns into an anonymous page.
    unsafe fn copy_mapped(&mut self, dst: *mut u8, src: *const u8, len: usize) -> bool {
        SIGBUS_HIT.store(false, Ordering::SeqCst);
        std::sync::atomic::compiler_fence(Ordering::SeqCst);
        // SAFETY: as the caller promises
        unsafe { std::ptr::copy_nonoverlapping(src, dst, len) };
        std::sync::atomic::compiler_fence(Ordering::SeqCst);
        let hit = SIGBUS_HIT.swap(false, Ordering::SeqCst);
        if hit {
            self.remap();
        }
        hit
    }

    fn run_op(&mut self, i: usize) {
        let rec = &self.ctl().recs[self.t][i] as *const Rec;
        // SAFETY: the record lives in the shared mapping for the session.
        let rec = unsafe { &*rec };
        let op = self.ops[i].clone();
        // an asynchronous write waits for the task's one in flight (the
        // model's Need::NoAio)
        if matches!(op, Op::Write { aio: true, .. }) {
            self.aio_join();
        }
        rec.begin.store(now_ns(), Ordering::SeqCst);
        rec.state.store(1, Ordering::SeqCst);
        // SAFETY: the op's buffers and mappings are this task's.
        match unsafe { self.syscall(&op, i) } {
            Done::Ret(ret) => {
                rec.ret.store(ret, Ordering::SeqCst);
                rec.state.store(2, Ordering::SeqCst);
            }
            Done::InFlight => {}
        }
    }

    /// The user buffer of a direct I/O op `i` on `mm`: the task's shared
    /// or private mapping at page `base`, else the op's own buffer.
    fn user_buf(&self, i: usize, mm: Option<u8>, private: bool) -> *mut u8 {
        match mm {
            Some(b) => {
                let m = if private { self.pmap } else { self.map };
                // SAFETY: `b` is a page of the scenario: inside the mapping
                unsafe { m.add(usize::from(b) * PAGE as usize) }
            }
            None => self.bufs[i],
        }
    }

    /// Runs op `i`; stamps its end time in the record (an asynchronous
    /// write's waiter stamps it at the completion).
    ///
    /// # Safety
    /// Op `i`'s buffers, slot and the task's mappings are set up (`open`).
    unsafe fn syscall(&mut self, op: &Op, i: usize) -> Done {
        let rec = &self.ctl().recs[self.t][i] as *const Rec;
        // SAFETY: the record lives in the shared mapping for the session.
        let rec = unsafe { &*rec };
        let fd = self.fd;
        let sys = |r: isize| -> i64 {
            if r < 0 {
                -i64::from(errno())
            } else {
                r as i64
            }
        };
        let failed = |e: i32| {
            rec.end.store(now_ns(), Ordering::SeqCst);
            Done::Ret(-i64::from(e))
        };
        let slot = self.slots[i];
        let (off, len) = span(op).unwrap_or((0, 0));
        let r = match *op {
            Op::Read {
                direct,
                dontcache,
                into_mmap,
                private,
                ..
            } => {
                if let Err(e) = self.set_direct(direct) {
                    return failed(e);
                }
                let buf = self.user_buf(i, into_mmap, private);
                let iov = libc::iovec {
                    iov_base: buf.cast(),
                    iov_len: len,
                };
                let flags = if dontcache { libc::RWF_DONTCACHE } else { 0 };
                rec.begin.store(now_ns(), Ordering::SeqCst);
                // SAFETY: the iovec is `len` bytes of our buffer or mapping
                let r = sys(unsafe { libc::preadv2(fd, &iov, 1, off as libc::off_t, flags) });
                rec.end.store(now_ns(), Ordering::SeqCst);
                if r > 0 {
                    if let Some(s) = slot {
                        // SAFETY: the slot is inside the shared memory
                        let dst = unsafe { self.shm.add(s.off) };
                        let n = (r as usize).min(s.len);
                        if into_mmap.is_some() {
                            // read back through the mapping
                            // SAFETY: `n` bytes of the slot and the mapping
                            unsafe { self.copy_mapped(dst, buf, n) };
                            rec.captured.store(now_ns(), Ordering::SeqCst);
                        } else {
                            // SAFETY: our buffer and the slot, `n` bytes each
                            unsafe { std::ptr::copy_nonoverlapping(buf, dst, n) };
                        }
                    }
                }
                return Done::Ret(r);
            }
            Op::Write {
                direct,
                dsync,
                uncached,
                from_mmap,
                private,
                aio,
                ..
            } => {
                if let Err(e) = self.set_direct(direct) {
                    return failed(e);
                }
                let buf = self.user_buf(i, from_mmap, private);
                let mut flags = 0;
                if dsync {
                    flags |= libc::RWF_DSYNC;
                }
                if uncached {
                    flags |= libc::RWF_DONTCACHE;
                }
                if aio {
                    return self.submit(rec, buf, len, off, flags);
                }
                let iov = libc::iovec {
                    iov_base: buf.cast(),
                    iov_len: len,
                };
                rec.begin.store(now_ns(), Ordering::SeqCst);
                // SAFETY: the iovec is `len` bytes of our buffer or mapping
                sys(unsafe { libc::pwritev2(fd, &iov, 1, off as libc::off_t, flags) })
            }
            Op::MmapRead(..) => {
                // SAFETY: `off` is inside the file's pages: inside the mapping
                let src = unsafe { self.map.add(off as usize) };
                let dst = match slot {
                    // SAFETY: the slot is inside the shared memory
                    Some(s) => unsafe { self.shm.add(s.off) },
                    None => self.bufs[i],
                };
                rec.begin.store(now_ns(), Ordering::SeqCst);
                // SAFETY: `len` bytes of the mapping and of the slot
                let bus = unsafe { self.copy_mapped(dst, src, len) };
                if bus {
                    SIGBUS_RET
                } else {
                    len as i64
                }
            }
            Op::MmapWrite(..) => {
                // SAFETY: `off` is inside the file's pages: inside the mapping
                let dst = unsafe { self.map.add(off as usize) };
                rec.begin.store(now_ns(), Ordering::SeqCst);
                // SAFETY: `len` bytes of the mapping and of our buffer
                let bus = unsafe { self.copy_mapped(dst, self.bufs[i], len) };
                if bus {
                    SIGBUS_RET
                } else {
                    len as i64
                }
            }
            _ => plain(fd, op),
        };
        rec.end.store(now_ns(), Ordering::SeqCst);
        Done::Ret(r)
    }

    /// `write R direct aio`: io_submit of one IOCB_CMD_PWRITE on the
    /// O_DIRECT descriptor. The call returns once the bios are submitted;
    /// a thread waits for the completion and records it as the write's
    /// return, while the task goes on with its next op.
    fn submit(&mut self, rec: &Rec, buf: *mut u8, len: usize, off: u64, flags: c_int) -> Done {
        let mut cb = Iocb {
            aio_rw_flags: flags as u32,
            aio_lio_opcode: IOCB_CMD_PWRITE,
            aio_fildes: self.fd as u32,
            aio_buf: buf as u64,
            aio_nbytes: len as u64,
            aio_offset: off as i64,
            ..Iocb::default()
        };
        let mut list = [&mut cb as *mut Iocb];
        rec.begin.store(now_ns(), Ordering::SeqCst);
        // SAFETY: io_submit reads one iocb, which describes our buffer;
        // the buffer outlives the write (the waiter is joined before the
        // task unmaps or exits)
        let r = unsafe {
            libc::syscall(
                libc::SYS_io_submit,
                self.aio_ctx,
                1 as libc::c_long,
                list.as_mut_ptr(),
            )
        };
        if r != 1 {
            let e = if r < 0 { errno() } else { libc::EAGAIN };
            rec.end.store(now_ns(), Ordering::SeqCst);
            return Done::Ret(-i64::from(e));
        }
        let ctx = self.aio_ctx;
        let at = rec as *const Rec as usize;
        self.aio_wait = Some(std::thread::spawn(move || {
            // SAFETY: the record lives in the shared mapping, which
            // outlives the task process's threads
            let rec = unsafe { &*(at as *const Rec) };
            aio_reap(ctx, rec);
        }));
        Done::InFlight
    }

    /// The task process's loop: never returns.
    fn serve(mut self) -> ! {
        let mut seen = 0u32;
        loop {
            let ctl = self.ctl() as *const Ctl;
            // SAFETY: the shared mapping outlives the process.
            let ctl = unsafe { &*ctl };
            let mut seq = ctl.cmd_seq.load(Ordering::SeqCst);
            while seq == seen {
                futex_wait(&ctl.cmd_seq, seq, Some(Duration::from_secs(1)));
                seq = ctl.cmd_seq.load(Ordering::SeqCst);
                // the coordinator is gone: so are we
                // SAFETY: getppid cannot fail.
                if unsafe { libc::getppid() } == 1 {
                    // SAFETY: _exit ends this process without running
                    // anything of the parent's (atexit, destructors).
                    unsafe { libc::_exit(0) };
                }
            }
            seen = seq;
            match ctl.cmd.load(Ordering::SeqCst) {
                CMD_OPEN => {
                    if let Err(e) = self.open() {
                        ctl.fail[self.t].store(i64::from(e), Ordering::SeqCst);
                    }
                }
                CMD_RUN => {
                    let n = ctl.step_task.load(Ordering::SeqCst); // number of tasks
                    if ctl.arrived.fetch_add(1, Ordering::SeqCst) + 1 == n {
                        ctl.go.store(seq, Ordering::SeqCst);
                        futex_wake(&ctl.go);
                    } else {
                        loop {
                            let g = ctl.go.load(Ordering::SeqCst);
                            if g == seq {
                                break;
                            }
                            futex_wait(&ctl.go, g, Some(Duration::from_millis(100)));
                        }
                    }
                    let wait = ctl.jitter[self.t].load(Ordering::SeqCst);
                    let t0 = now_ns();
                    while now_ns() - t0 < wait {
                        std::hint::spin_loop();
                    }
                    for i in 0..self.ops.len() {
                        self.run_op(i);
                    }
                    // the run ends when the asynchronous write completes
                    self.aio_join();
                }
                CMD_STEP => {
                    if ctl.step_task.load(Ordering::SeqCst) as usize == self.t {
                        let i = ctl.step_op.load(Ordering::SeqCst) as usize;
                        self.run_op(i);
                        // the model completes what an op left in flight
                        // before the next op
                        self.aio_join();
                    }
                }
                CMD_CLOSE => self.close(),
                _ => {
                    self.close();
                    // SAFETY: leaving the task process.
                    unsafe { libc::_exit(0) };
                }
            }
            ctl.done.fetch_add(1, Ordering::SeqCst);
            futex_wake(&ctl.done);
        }
    }
}

/// The ops that pass no memory to the kernel: their return (or -errno).
fn plain(fd: c_int, op: &Op) -> i64 {
    let int = |r: c_int| -> i64 {
        if r < 0 {
            -i64::from(errno())
        } else {
            i64::from(r)
        }
    };
    let bytes = |r: crate::ops::Range| {
        (
            (u64::from(r.lo) * PAGE) as libc::off_t,
            (u64::from(r.len()) * PAGE) as libc::off_t,
        )
    };
    // SAFETY: syscalls on our own descriptor; no memory is passed
    unsafe {
        match *op {
            Op::Fsync => int(libc::fsync(fd)),
            Op::Fdatasync => int(libc::fdatasync(fd)),
            Op::SyncRange(r) => {
                let (off, len) = bytes(r);
                int(libc::sync_file_range(
                    fd,
                    off,
                    len,
                    libc::SYNC_FILE_RANGE_WAIT_BEFORE
                        | libc::SYNC_FILE_RANGE_WRITE
                        | libc::SYNC_FILE_RANGE_WAIT_AFTER,
                ))
            }
            Op::Truncate(n) => int(libc::ftruncate(fd, (u64::from(n) * PAGE) as libc::off_t)),
            Op::Punch(r) => {
                let (off, len) = bytes(r);
                int(libc::fallocate(
                    fd,
                    libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
                    off,
                    len,
                ))
            }
            Op::Falloc(r) => {
                let (off, len) = bytes(r);
                int(libc::fallocate(fd, 0, off, len))
            }
            Op::Writeback => int(libc::sync_file_range(fd, 0, 0, libc::SYNC_FILE_RANGE_WRITE)),
            Op::Reclaim(r) => {
                let (off, len) = r.map_or((0, 0), bytes);
                // posix_fadvise returns the error number itself
                let e = libc::posix_fadvise(fd, off, len, libc::POSIX_FADV_DONTNEED);
                if e != 0 {
                    -i64::from(e)
                } else {
                    0
                }
            }
            // refused by plan::not_runnable before any task starts; the
            // data ops are Task::syscall's
            _ => -i64::from(libc::ENOSYS),
        }
    }
}

impl<'a> Session<'a> {
    /// Lays out the shared memory: the control block, then a slot per read
    /// op, where the task leaves the bytes it read for this process to
    /// classify after the run.
    fn new(sc: &'a Scenario, dir: &std::path::Path) -> Result<Self, String> {
        let vers = Versions::of(sc);
        let mut off = std::mem::size_of::<Ctl>().next_multiple_of(PAGE as usize);
        let mut slots = Vec::new();
        for t in &sc.tasks {
            let mut per = Vec::new();
            for op in &t.ops {
                let len = match op {
                    Op::Read { .. } | Op::MmapRead(..) => span(op).map_or(0, |s| s.1),
                    _ => 0,
                };
                if len == 0 {
                    per.push(None);
                } else {
                    per.push(Some(Slot { off, len }));
                    off += len;
                }
            }
            slots.push(per);
        }
        let shm_len = off;
        let shm = anon(shm_len, true)?;
        let file = cpath(&dir.join(format!("dioscope-lab-{}.dat", std::process::id())))?;
        Ok(Session {
            sc,
            vers,
            file,
            shm,
            shm_len,
            slots,
            pids: Vec::new(),
            pages: sc.setup.pages,
        })
    }

    /// Forks the task processes once for the whole session: a fork per run
    /// would cost more than the ops it races.
    fn fork_tasks(&mut self) -> Result<(), String> {
        let sc = self.sc;
        for (ti, t) in sc.tasks.iter().enumerate() {
            let mut bufs = Vec::new();
            for _ in &t.ops {
                bufs.push(anon(MAX_RANGE * PAGE as usize, false)?);
            }
            let task = Task {
                t: ti,
                ops: t.ops.clone(),
                vers: self.vers.op_ver[ti]
                    .iter()
                    .map(|v| v.map(|v| v.0))
                    .collect(),
                file: self.file.clone(),
                pages: self.pages,
                shm: self.shm,
                slots: self.slots[ti].clone(),
                bufs,
                fd: -1,
                map: std::ptr::null_mut(),
                pmap: std::ptr::null_mut(),
                aio_ctx: 0,
                aio_wait: None,
            };
            // SAFETY: the child runs only syscalls and its own loop, and leaves
            // with _exit; this process is single-threaded.
            let pid = unsafe { libc::fork() };
            if pid < 0 {
                return Err(format!("fork: {}", std::io::Error::last_os_error()));
            }
            if pid == 0 {
                // SAFETY: the child's own signal setup.
                unsafe {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    libc::signal(libc::SIGINT, libc::SIG_IGN);
                    libc::signal(libc::SIGTERM, libc::SIG_DFL);
                    let mut sa: libc::sigaction = std::mem::zeroed();
                    sa.sa_sigaction = on_sigbus as *const () as usize;
                    sa.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER;
                    libc::sigaction(libc::SIGBUS, &sa, std::ptr::null_mut());
                }
                task.serve();
            }
            self.pids.push(pid);
        }
        Ok(())
    }

    /// Stress mode: every task runs all its ops, each after its own random
    /// delay past the barrier. Returns the hang, if the run did not end.
    fn release_all(
        &self,
        cfg: &Config,
        rng: &mut rand_chacha::ChaCha8Rng,
    ) -> Result<Option<String>, String> {
        let ctl = self.ctl();
        let ntasks = self.sc.tasks.len();
        for t in 0..ntasks {
            let j = delay(rng, cfg.jitter);
            ctl.jitter[t].store(j, Ordering::SeqCst);
        }
        ctl.step_task.store(ntasks as u32, Ordering::SeqCst);
        if let Err(e) = self.command(CMD_RUN, cfg.timeout) {
            if e != "timeout" {
                return Err(e);
            }
            return Ok(Some(stuck(self, cfg.timeout)));
        }
        Ok(None)
    }

    /// Sequential mode: one whole op at a time, in `order`, each settled
    /// before the next starts. Returns the hang, if an op did not end.
    fn step_order(
        &self,
        order: &Order,
        timeout: Duration,
        fd: c_int,
    ) -> Result<Option<String>, String> {
        let ctl = self.ctl();
        let mut next = vec![0u32; self.sc.tasks.len()];
        for &t in &order.0 {
            ctl.step_task.store(u32::from(t), Ordering::SeqCst);
            ctl.step_op.store(next[t as usize], Ordering::SeqCst);
            next[t as usize] += 1;
            if let Err(e) = self.command(CMD_STEP, timeout) {
                if e != "timeout" {
                    return Err(e);
                }
                return Ok(Some(stuck(self, timeout)));
            }
            settle(fd);
        }
        Ok(None)
    }
}

/// Runs the scenario on the kernel: `each` gets every run's record as it
/// ends (return false from it to stop). Call this from a single-threaded
/// process: it forks.
pub fn run(
    sc: &Scenario,
    cfg: &Config,
    mut each: impl FnMut(usize, History) -> bool,
) -> Result<Summary, String> {
    let not = super::plan::not_runnable(sc);
    if let Some(n) = not.first() {
        return Err(format!("{} cannot run on the kernel: {}", n.what, n.why));
    }
    super::host::probe_odirect(&cfg.dir)?;
    let mut s = Session::new(sc, &cfg.dir)?;
    // SAFETY: handlers that only set a flag.
    unsafe {
        STOP.store(false, Ordering::SeqCst);
        libc::signal(libc::SIGINT, on_stop as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_stop as *const () as libc::sighandler_t);
    }
    s.fork_tasks()?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut sum = Summary::default();
    for run in 0..cfg.runs {
        if STOP.load(Ordering::Relaxed) {
            sum.interrupted = true;
            break;
        }
        let nonce = nonce(cfg.seed, run as u64);
        s.ctl().nonce.store(nonce, Ordering::SeqCst);
        let (fd, missed) = setup(&s, nonce)?;
        let guard = FdGuard(fd);
        if missed {
            sum.setup_misses += 1;
        }
        let admin = cfg.timeout.max(Duration::from_secs(10));
        s.command(CMD_OPEN, admin)
            .map_err(|e| format!("opening and mapping the file in the task processes: {e}"))?;
        let hang = match &cfg.order {
            None => s.release_all(cfg, &mut rng)?,
            Some(order) => s.step_order(order, cfg.timeout, fd)?,
        };
        if let Some(h) = hang {
            let hist = history(&s, nonce, None);
            sum.hang = Some(h);
            sum.runs += 1;
            each(run, hist);
            s.kill_all();
            drop(guard);
            return Ok(sum);
        }
        s.command(CMD_CLOSE, admin)
            .map_err(|e| format!("unmapping and closing the file in the task processes: {e}"))?;
        let end = end_state(&s, fd, nonce)?;
        drop(guard);
        let hist = history(&s, nonce, Some(end));
        sum.runs += 1;
        if !each(run, hist) {
            break;
        }
    }
    Ok(sum)
}

struct FdGuard(c_int);

impl Drop for FdGuard {
    fn drop(&mut self) {
        // SAFETY: ours.
        unsafe {
            libc::close(self.0);
        }
    }
}

/// A task's random delay after the start barrier: none a quarter of the
/// time, else log-uniform from 1 µs to `max`, so that races a few
/// nanoseconds wide and orders a millisecond apart are both hit.
pub fn delay(rng: &mut rand_chacha::ChaCha8Rng, max: Duration) -> u64 {
    use rand::RngExt;
    let max = max.as_nanos() as f64;
    if max < 1000.0 || rng.random_range(0..4) == 0 {
        return if max >= 1.0 {
            rng.random_range(0..=max as u64)
        } else {
            0
        };
    }
    let (lo, hi) = (1000f64.ln(), max.ln());
    rng.random_range(lo..=hi).exp() as u64
}

/// Lets what an op left in flight complete before the next op of a
/// sequential run (the model's device completes it): waits for pages under
/// writeback, then a moment for completion work (btrfs ordered extents).
fn settle(fd: c_int) {
    // SAFETY: a wait on our own descriptor.
    unsafe {
        libc::sync_file_range(fd, 0, 0, libc::SYNC_FILE_RANGE_WAIT_BEFORE);
    }
    std::thread::sleep(Duration::from_millis(2));
}

/// Which ops were in their syscall when the run hung.
fn stuck(s: &Session, timeout: Duration) -> String {
    let ctl = s.ctl();
    let mut parts = Vec::new();
    for (t, task) in s.sc.tasks.iter().enumerate() {
        for (i, op) in task.ops.iter().enumerate() {
            if ctl.recs[t][i].state.load(Ordering::SeqCst) == 1 {
                parts.push(format!("{}'s `{op}`", task.name));
            }
        }
    }
    let who = if parts.is_empty() {
        "no op had begun: the tasks had not passed the start barrier".to_string()
    } else {
        format!("{} did not return", parts.join(" and "))
    };
    format!(
        "{who} within {} s (the model's deadlock; the task processes were killed)",
        timeout.as_secs_f64()
    )
}

/// Makes the file as the scenario's setup says. Returns the coordinator's
/// descriptor and whether the cache came out differently than asked.
fn setup(s: &Session, nonce: u64) -> Result<(c_int, bool), String> {
    let su = &s.sc.setup;
    let size = u64::from(su.size) * PAGE;
    let fail = |what: &str| format!("setup: {what}: {}", std::io::Error::last_os_error());
    // SAFETY: syscalls on our own file.
    unsafe {
        libc::unlink(s.file.as_ptr());
        let fd = libc::open(
            s.file.as_ptr(),
            libc::O_RDWR | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC,
            0o600,
        );
        if fd < 0 {
            return Err(fail("create the file"));
        }
        let g = FdGuard(fd);
        match su.on_disk {
            OnDisk::Written if size > 0 => {
                let mut buf = vec![0u8; size as usize];
                fill(nonce, crate::version::Version::INIT.0, 0, &mut buf);
                let mut done = 0usize;
                while done < buf.len() {
                    let r = libc::pwrite(
                        fd,
                        buf[done..].as_ptr().cast(),
                        buf.len() - done,
                        done as libc::off_t,
                    );
                    if r <= 0 {
                        return Err(fail("write the initial data"));
                    }
                    done += r as usize;
                }
            }
            OnDisk::Unwritten if size > 0 => {
                if libc::fallocate(fd, 0, 0, size as libc::off_t) != 0 {
                    return Err(fail("fallocate"));
                }
            }
            _ => {
                if libc::ftruncate(fd, size as libc::off_t) != 0 {
                    return Err(fail("ftruncate"));
                }
            }
        }
        if libc::fsync(fd) != 0 {
            return Err(fail("fsync"));
        }
        libc::posix_fadvise(fd, 0, 0, libc::POSIX_FADV_RANDOM);
        let want = su.cached;
        let mut missed = false;
        for attempt in 0..3 {
            libc::posix_fadvise(fd, 0, 0, libc::POSIX_FADV_DONTNEED);
            let mut page = [0u8; PAGE as usize];
            for p in 0..s.pages {
                if want & (1 << p) != 0 {
                    libc::pread(
                        fd,
                        page.as_mut_ptr().cast(),
                        PAGE as usize,
                        (u64::from(p) * PAGE) as libc::off_t,
                    );
                }
            }
            let got = resident(fd, s.pages)?;
            if got == want {
                missed = false;
                break;
            }
            missed = attempt == 2;
        }
        std::mem::forget(g);
        Ok((fd, missed))
    }
}

/// Which pages of the file are in the page cache (mincore).
fn resident(fd: c_int, pages: u8) -> Result<crate::world::Pages, String> {
    let len = usize::from(pages) * PAGE as usize;
    // SAFETY: a read-only map of our file, never touched, only asked.
    unsafe {
        let m = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_SHARED,
            fd,
            0,
        );
        if m == libc::MAP_FAILED {
            return Err(format!(
                "mmap for mincore: {}",
                std::io::Error::last_os_error()
            ));
        }
        let mut vec = vec![0u8; usize::from(pages)];
        let r = libc::mincore(m, len, vec.as_mut_ptr());
        libc::munmap(m, len);
        if r != 0 {
            return Err(format!("mincore: {}", std::io::Error::last_os_error()));
        }
        Ok(vec
            .iter()
            .enumerate()
            .fold(0, |m, (i, b)| if b & 1 != 0 { m | 1 << i } else { m }))
    }
}

/// Raw bytes of the file's end state.
struct EndBytes {
    resident: crate::world::Pages,
    content: Vec<u8>,
    device: Vec<u8>,
}

/// Reads what the file holds at the end: which pages are cached, what a
/// read returns, then (after fsync: dirty pages become what the device
/// holds, clean ones stay as they are) what the device holds, by O_DIRECT.
fn end_bytes(s: &Session, fd: c_int) -> Result<EndBytes, String> {
    let cap = usize::from(s.pages) * PAGE as usize;
    let resident = resident(fd, s.pages)?;
    let mut content = vec![0u8; cap];
    let dev = anon(cap, false)?;
    // SAFETY: our descriptor, our buffers.
    unsafe {
        read_full(fd, content.as_mut_ptr(), cap)?;
        // its error, if any, is the run's (wb_err sampled at setup), not ours
        libc::fsync(fd);
        let fl = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, fl | libc::O_DIRECT);
        let r = read_full(fd, dev, cap);
        libc::fcntl(fd, libc::F_SETFL, fl);
        let device = std::slice::from_raw_parts(dev, cap).to_vec();
        libc::munmap(dev.cast(), cap);
        r?;
        Ok(EndBytes {
            resident,
            content,
            device,
        })
    }
}

/// Reads `len` bytes from offset 0 (short at EOF: the rest stays zero).
unsafe fn read_full(fd: c_int, buf: *mut u8, len: usize) -> Result<(), String> {
    let mut done = 0;
    while done < len {
        let r = libc::pread(fd, buf.add(done).cast(), len - done, done as libc::off_t);
        if r < 0 {
            return Err(format!(
                "end state: read: {}",
                std::io::Error::last_os_error()
            ));
        }
        if r == 0 {
            break;
        }
        done += r as usize;
    }
    std::ptr::write_bytes(buf.add(done), 0, len - done);
    Ok(())
}

fn end_state(s: &Session, fd: c_int, nonce: u64) -> Result<End, String> {
    let b = end_bytes(s, fd)?;
    let c = Classifier::new(s.sc, &s.vers, nonce);
    // per page, per fragment
    let seen = |bytes: &[u8], p: u8| -> Vec<Seen> {
        (0..s.vers.nfrags(p))
            .map(|f| {
                let (a, z) = s.vers.unit_range((p, f));
                c.classify(a, &bytes[a as usize..z as usize])
            })
            .collect()
    };
    Ok(End {
        content: (0..s.pages).map(|p| seen(&b.content, p)).collect(),
        cached: (0..s.pages)
            .map(|p| (b.resident & (1 << p) != 0).then(|| seen(&b.content, p)))
            .collect(),
        device: (0..s.pages).map(|p| seen(&b.device, p)).collect(),
    })
}

/// Whether another task than `t` ran an op that may write file page `u`
/// at some time in `from..until`.
fn overwritten(s: &Session, t: usize, u: u8, from: u64, until: u64) -> bool {
    let ctl = s.ctl();
    let page = crate::oracle::units(u, crate::frags::Frags::ALL);
    s.sc.tasks.iter().enumerate().any(|(tj, task)| {
        tj != t
            && task.ops.iter().enumerate().any(|(i, op)| {
                let rec = &ctl.recs[tj][i];
                let state = rec.state.load(Ordering::SeqCst);
                if state == 0 || (crate::observe::touches(&s.vers.st, op) & page).is_empty() {
                    return false;
                }
                let b = rec.begin.load(Ordering::SeqCst);
                let e = if state == 2 {
                    rec.end.load(Ordering::SeqCst)
                } else {
                    u64::MAX
                };
                b < until && e > from
            })
    })
}

/// The run's record from the shared memory.
fn history(s: &Session, nonce: u64, end: Option<End>) -> History {
    let ctl = s.ctl();
    let c = Classifier::new(s.sc, &s.vers, nonce);
    let mut calls = Vec::new();
    for (t, task) in s.sc.tasks.iter().enumerate() {
        for (i, op) in task.ops.iter().enumerate() {
            let rec = &ctl.recs[t][i];
            let state = rec.state.load(Ordering::SeqCst);
            if state == 0 {
                continue;
            }
            let begin = rec.begin.load(Ordering::SeqCst);
            let (end_t, ret) = if state == 2 {
                let r = rec.ret.load(Ordering::SeqCst);
                let ret = if r == SIGBUS_RET {
                    Returned::Err("SIGBUS".into())
                } else if r < 0 {
                    Returned::Err(errno_name((-r) as i32))
                } else {
                    Returned::Ok(r as u64)
                };
                (Some(rec.end.load(Ordering::SeqCst)), Some(ret))
            } else {
                (None, None)
            };
            let mut read = Vec::new();
            if let (Some(Returned::Ok(n)), Some(slot), Some(start)) =
                (&ret, s.slots[t][i], crate::observe::op_start(op))
            {
                let n = (*n).min(slot.len as u64);
                // SAFETY: the slot is inside the shared mapping.
                let data = unsafe { std::slice::from_raw_parts(s.shm.add(slot.off), slot.len) };
                for (u, a, z) in crate::observe::read_units(&s.vers, op, n) {
                    let bytes = &data[(a - start) as usize..(z - start) as usize];
                    let seen = match *op {
                        Op::Read {
                            range,
                            into_mmap: Some(base),
                            private: false,
                            ..
                        } => {
                            // the data was read back through the shared
                            // mapping: valid unless another task may have
                            // written that page since the read began (a
                            // private mapping's copy is the task's own)
                            let user = base + (u.0 - range.lo);
                            let until = rec.captured.load(Ordering::SeqCst);
                            if overwritten(s, t, user, begin, until) {
                                Seen::unknown()
                            } else {
                                c.classify(a, bytes)
                            }
                        }
                        _ => c.classify(a, bytes),
                    };
                    read.push((u, seen));
                }
            }
            calls.push(Call {
                task: t as u8,
                op: i as u8,
                begin,
                end: end_t,
                ret,
                read,
            });
        }
    }
    History { calls, end }
}
