//! The world: the whole modelled state, and the engine API every driver
//! (CLI, UI, explorer, tests) uses:
//! `World::new`, `enabled`, `step`, `is_done`, `outcomes`.
//!
//! Invariants (checked by `check_invariants`, run by the property tests):
//! - the state is deterministic: no clocks, no hash-map iteration order;
//! - one step is one scheduling point: a step never waits half-way;
//! - a folio under writeback is not dirty-and-locked by a writer, and its
//!   writeback bio is in flight;
//! - a writable PTE implies a dirty folio (page_mkwrite dirtied it; writeback
//!   write-protects before cleaning);
//! - no device block is mapped by two pages;
//! - locks are released when an op returns.

use std::fmt;
use std::rc::Rc;

use crate::device::{BioKind, Device};
use crate::errseq::Errseq;
use crate::extents::{Ext, Extents};
use crate::fs::Fs;
use crate::history::{Counters, History, OutcomeRecord, StepRecord, SyscallRecord};
use crate::locks::{LockId, Locks, Mode};
use crate::oracle::Oracle;
use crate::outcome::Outcome;
use crate::pagecache::{Folio, PageCache, UPTODATE};
use crate::paths::{self, Path};
use crate::policy::Policy;
use crate::scenario::{OnDisk, Scenario};
use crate::version::{Data, Version, VersionInfo};

pub const MAX_PAGES: usize = crate::scenario::limits::MAX_PAGES;
pub const MAX_TASKS: usize = crate::scenario::limits::MAX_TASKS;
pub const MAX_BLOCKS: usize = 2 * MAX_PAGES;
/// A set of pages: bit p for page p.
pub type Pages = u64;
/// A set of blocks: bit b for block b.
pub type Blocks = u128;
const _: () = assert!(MAX_PAGES <= Pages::BITS as usize && MAX_BLOCKS <= Blocks::BITS as usize);
/// Device queue depth: a submitter waits when it is full.
pub const MAX_BIOS: usize = 16;

/// Who holds a lock: tasks 0..MAX_TASKS, the flusher, reclaim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Holder(pub u8);

impl Holder {
    pub const FLUSH: Holder = Holder(MAX_TASKS as u8);
    pub const RECLAIM: Holder = Holder(MAX_TASKS as u8 + 1);
}

/// Something that can take a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Actor {
    Task(u8),
    /// The device completing its k-th in-flight bio (0 = oldest).
    Dev(u8),
    /// Background writeback (the flusher thread).
    Flush,
    /// Memory reclaim (kswapd).
    Reclaim,
}

/// A column of a timeline: one per task, one for all of the device's
/// completions, one per background actor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lane {
    Task(u8),
    Dev,
    Flush,
    Reclaim,
}

impl Actor {
    pub fn lane(self) -> Lane {
        match self {
            Actor::Task(t) => Lane::Task(t),
            Actor::Dev(_) => Lane::Dev,
            Actor::Flush => Lane::Flush,
            Actor::Reclaim => Lane::Reclaim,
        }
    }

    pub fn holder(self) -> Option<Holder> {
        match self {
            Actor::Task(t) => Some(Holder(t)),
            Actor::Flush => Some(Holder::FLUSH),
            Actor::Reclaim => Some(Holder::RECLAIM),
            Actor::Dev(_) => None,
        }
    }

    pub fn of_holder(h: Holder) -> Actor {
        match h {
            Holder::FLUSH => Actor::Flush,
            Holder::RECLAIM => Actor::Reclaim,
            Holder(t) => Actor::Task(t),
        }
    }
}

/// What an actor's next step waits for. The engine takes locks named here
/// as part of that step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Need {
    None,
    Lock(LockId, Mode),
    /// folio_lock() (nothing, if the folio is gone by then).
    FolioLock(u8),
    /// folio_lock() then folio_wait_writeback().
    FolioLockNoWb(u8),
    /// folio_wait_locked(): wait for a read to finish.
    FolioUnlocked(u8),
    /// folio_wait_writeback().
    NoWriteback(u8),
    /// btrfs: wait for the folio's ordered extent to finish.
    NoOrdered(u8),
    /// This actor's direct I/O or flush bios to complete.
    Bios,
    /// This task's asynchronous write in flight to complete (a task has one
    /// at a time).
    NoAio,
    /// inode_dio_wait(): i_dio_count == 0.
    DioIdle,
    /// A "DIO in progress" entry at this index to go away.
    NoMarker(u8),
    /// btrfs lock_extent() over pages lo..=hi.
    ExtentLock(u8, u8),
    /// Room in the device queue.
    QueueSpace,
}

impl Need {
    /// The name the run's counters (and the timed run's usage) count a
    /// wait for this under; `None` for no wait.
    pub fn wait_key(self) -> Option<String> {
        Some(match self {
            Need::Lock(l, _) => l.name(),
            Need::FolioLock(_) | Need::FolioLockNoWb(_) | Need::FolioUnlocked(_) => {
                "folio lock".into()
            }
            Need::NoWriteback(_) | Need::NoOrdered(_) => "folio writeback".into(),
            Need::Bios => "bio completion".into(),
            Need::QueueSpace => "device queue full".into(),
            Need::DioIdle => "i_dio_count".into(),
            Need::NoAio => "AIO completion".into(),
            Need::NoMarker(_) => "DIO marker".into(),
            Need::ExtentLock(..) => "extent lock".into(),
            Need::None => return None,
        })
    }
}

impl fmt::Display for Need {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Need::None => write!(f, "nothing"),
            Need::Lock(l, Mode::Shared) => write!(f, "{} (shared)", l.name()),
            Need::Lock(l, Mode::Excl) => write!(f, "{} (exclusive)", l.name()),
            Need::FolioLock(p) => write!(f, "folio {p} lock"),
            Need::FolioLockNoWb(p) => write!(f, "folio {p} lock and writeback"),
            Need::FolioUnlocked(p) => write!(f, "folio {p} unlock (read in progress)"),
            Need::NoWriteback(p) => write!(f, "folio {p} writeback"),
            Need::NoOrdered(p) => write!(f, "the ordered extent of page {p}"),
            Need::Bios => write!(f, "its bios to complete"),
            Need::NoAio => write!(f, "its asynchronous write to complete"),
            Need::DioIdle => write!(f, "i_dio_count to drop to 0"),
            Need::NoMarker(p) => write!(f, "the DIO-in-progress entry at {p}"),
            Need::ExtentLock(lo, hi) if lo == hi => write!(f, "extent lock {lo}"),
            Need::ExtentLock(lo, hi) => write!(f, "extent lock {lo}-{hi}"),
            Need::QueueSpace => write!(f, "room in the device queue"),
        }
    }
}

/// A syscall's return value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ret {
    /// Success, in pages (the bytes: [`Ret::text`]). 0 for fsync and friends.
    Pages(u8),
    Err(Errno),
}

impl Ret {
    pub fn is_err(self) -> bool {
        matches!(self, Ret::Err(_))
    }
}

impl Ret {
    /// What `op` returned, as the syscall says it: bytes or `-EIO`.
    pub fn text(self, op: &crate::ops::Op) -> String {
        match self {
            Ret::Pages(p) => op.ret_bytes(p).to_string(),
            Ret::Err(e) => e.to_string(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Errno {
    EIO,
    EBUSY,
    ENOTBLK,
    EOPNOTSUPP,
    /// get_user_pages() could not fault the user buffer in.
    EFAULT,
    /// Not an errno: the access was killed by SIGBUS (mmap past EOF, poison).
    SIGBUS,
}

impl Errno {
    pub fn code(self) -> u8 {
        match self {
            Errno::EIO => 5,
            Errno::EBUSY => 16,
            Errno::ENOTBLK => 15,
            Errno::EOPNOTSUPP => 95,
            Errno::EFAULT => 14,
            Errno::SIGBUS => 7,
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Errno::EIO => "-EIO",
            Errno::EBUSY => "-EBUSY",
            Errno::ENOTBLK => "-ENOTBLK",
            Errno::EOPNOTSUPP => "-EOPNOTSUPP",
            Errno::EFAULT => "-EFAULT",
            Errno::SIGBUS => "SIGBUS",
        })
    }
}

/// One task: its position in its op list, the state machine of the op it is
/// in, its open file description and its memory map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Task {
    /// Index of the current op; `ops.len()` when finished.
    pub op: u8,
    pub path: Path,
    /// `file->f_wb_err`: this open file description's errseq cursor.
    pub cursor: Errseq,
    /// Pages mapped in this task's shared mapping, read-only / writable.
    pub pte_ro: Pages,
    pub pte_rw: Pages,
    /// Pages of this task's private (MAP_PRIVATE) mapping of the file that
    /// map the page cache folio read-only, and those a write fault copied
    /// into an anonymous page (COW): those never reach the file again.
    pub priv_ro: Pages,
    pub priv_anon: Pages,
    /// What the current read delivered so far, as a sum of a hash per page
    /// (so that a direct read's bios may complete in any order).
    pub rsum: u64,
    /// A bio of this task's direct I/O failed.
    pub dio_err: bool,
    /// Pages whose folios this task's direct I/O has pinned (FOLL_PIN).
    pub pinned: Pages,
    /// Pinned folios that were removed from the cache while pinned: data
    /// DMAed into them is lost.
    pub orphan: Pages,
    /// Oracle: the writes that had returned when the current op began.
    pub began: u32,
    /// Fingerprint of the results of finished ops (ret and data read).
    pub res: u64,
    /// The asynchronous direct write in flight, if any.
    pub aio: Aio,
    /// Folios this task holds a reference on: those its read or fault
    /// looked up or created, until the fault maps them or the op returns.
    /// Reclaim cannot free a folio with an extra reference (see
    /// paths/fault.rs).
    pub folio_ref: Pages,
}

impl Default for Task {
    fn default() -> Self {
        Task {
            op: 0,
            path: Path::Idle,
            cursor: Errseq::default(),
            pte_ro: 0,
            pte_rw: 0,
            priv_ro: 0,
            priv_anon: 0,
            rsum: 0,
            dio_err: false,
            pinned: 0,
            orphan: 0,
            began: 0,
            res: 0,
            aio: Aio::default(),
            folio_ref: 0,
        }
    }
}

/// An asynchronous direct write (`write R direct aio`) between io_submit
/// returning and its completion: the bios still in flight and what
/// ->end_io will have to do. A task has one at a time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Aio {
    /// Index + 1 of the op, 0 when no AIO is in flight.
    pub op: u8,
    /// Bios not completed yet.
    pub bios: u8,
    pub lo: u8,
    pub hi: u8,
    /// Pages whose unwritten extents ->end_io converts.
    pub unwritten: Pages,
    /// A bio failed.
    pub err: bool,
}

impl Aio {
    pub fn active(&self) -> bool {
        self.op != 0
    }
}

/// The canonical state: everything that decides what can happen next and
/// what the oracles will say. Two worlds with equal states are the same
/// state to the explorer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct State {
    pub i_size: u8,
    pub cache: PageCache,
    pub ext: Extents,
    pub dev: Device,
    pub locks: Locks,
    /// Tasks between inode_dio_begin() and inode_dio_end() (i_dio_count is
    /// the number of bits).
    pub dio: u8,
    /// `mapping->wb_err`.
    pub wb_err: Errseq,
    /// The legacy AS_EIO mapping flag.
    pub as_eio: bool,
    pub tasks: [Task; MAX_TASKS],
    pub oracle: Oracle,
    /// The run is over (no actor can step); end-of-run oracles have run.
    pub over: bool,
    /// The power failed (task id + 1 of the `crash`, 0 otherwise): only
    /// that task's recovery and the device's last writes can happen.
    pub crashing: u8,
}

/// What does not change during a run: the scenario, the policy and the
/// version table.
#[derive(Debug)]
pub struct Static {
    pub scenario: Scenario,
    pub policy: Policy,
    pub fs: Fs,
    pub pages: u8,
    pub nblocks: u8,
    pub write_cache: bool,
    pub dax: bool,
    /// Index = version id.
    pub versions: Vec<VersionInfo>,
    /// Per task, per op: the version that op writes (if it writes data).
    pub op_ver: Vec<Vec<Option<Version>>>,
    /// Per page: its fragments (byte ranges no op splits).
    pub frags: [crate::frags::Frags; MAX_PAGES],
}

impl Static {
    pub fn label(&self, v: Version) -> &str {
        &self.versions[v.0 as usize].label
    }
    pub fn long_label(&self, v: Version) -> &str {
        &self.versions[v.0 as usize].long
    }

    /// Page `p`'s data in words: `A1`, or per byte range `B1+init` when
    /// parts of the page hold different writes.
    pub fn dlabel(&self, p: u8, d: Data) -> String {
        self.dlabel_of(p, d, self.frags[p as usize].used(), false)
    }

    /// Like [`Static::dlabel`] with the versions' long labels and byte
    /// ranges: `B1 (B's mmap-write 0 bytes 0-99) in bytes 0-99, init (the
    /// data at setup) in bytes 100-4095`.
    pub fn dlong(&self, p: u8, d: Data) -> String {
        self.dlabel_of(p, d, self.frags[p as usize].used(), true)
    }

    /// The data of the fragments in `mask` of page `p`.
    pub fn dlabel_of(&self, p: u8, d: Data, mask: u8, long: bool) -> String {
        let fr = &self.frags[p as usize];
        let mask = mask & fr.used();
        if let Some(v) = d.single(mask) {
            return if long {
                self.long_label(v).to_string()
            } else {
                self.label(v).to_string()
            };
        }
        // runs of fragments that hold the same version
        let mut runs: Vec<(Version, u16, u16)> = Vec::new();
        for f in (0..fr.n as usize).filter(|f| mask & (1 << f) != 0) {
            let (lo, hi) = fr.range(f);
            match runs.last_mut() {
                Some((v, _, h)) if *v == d.get(f) && *h + 1 == lo => *h = hi,
                _ => runs.push((d.get(f), lo, hi)),
            }
        }
        let parts: Vec<String> = runs
            .iter()
            .map(|&(v, lo, hi)| {
                if long {
                    format!("{} in bytes {lo}-{hi}", self.long_label(v))
                } else {
                    self.label(v).to_string()
                }
            })
            .collect();
        parts.join(if long { ", " } else { "+" })
    }
    pub fn task_name(&self, t: u8) -> &str {
        &self.scenario.tasks[t as usize].name
    }
    pub fn ntasks(&self) -> usize {
        self.scenario.tasks.len()
    }
}

/// The actors enabled in the current state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Enabled {
    n: u8,
    a: [Option<Actor>; MAX_TASKS + MAX_BIOS + 2],
}

impl Enabled {
    fn push(&mut self, a: Actor) {
        self.a[self.n as usize] = Some(a);
        self.n += 1;
    }
    pub fn len(&self) -> usize {
        self.n as usize
    }
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
    pub fn get(&self, i: usize) -> Actor {
        self.a[i].unwrap()
    }
    pub fn iter(&self) -> impl Iterator<Item = Actor> + '_ {
        self.a[..self.n as usize].iter().map(|a| a.unwrap())
    }
    pub fn contains(&self, a: Actor) -> bool {
        self.iter().any(|x| x == a)
    }
}

/// Why an actor cannot take a step now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepError {
    NoSuchActor,
    Finished,
    Blocked { on: Need, by: Vec<Actor> },
    NotRunning,
    RunOver,
}

/// What a step was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepInfo {
    pub actor: Actor,
    /// For tasks: the index of the op the step belongs to.
    pub op: Option<u8>,
    /// The kernel function or code point the step models.
    pub name: &'static str,
}

/// A wait-for edge: `actor` waits on `need`, which `by` can release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wait {
    pub actor: Actor,
    pub need: Need,
    pub by: Vec<Actor>,
}

pub struct World {
    pub st: Rc<Static>,
    pub s: State,
    /// The human-readable record of the run; `None` when exploring.
    pub hist: Option<Box<History>>,
    en: Enabled,
}

impl Clone for World {
    fn clone(&self) -> World {
        World {
            st: self.st.clone(),
            s: self.s,
            hist: self.hist.clone(),
            en: self.en,
        }
    }

    /// Field by field, in place: the explorer resets a child buffer to its
    /// parent for every transition, and the default (a clone, then a move)
    /// copies the 6.5 KB state twice. Within one scenario, only the parts
    /// its pages, blocks and tasks use are copied.
    fn clone_from(&mut self, o: &World) {
        if Rc::ptr_eq(&self.st, &o.st) {
            self.s.copy_from(&o.s, o.st.scenario.tasks.len());
        } else {
            self.st = o.st.clone();
            self.s = o.s;
        }
        self.hist.clone_from(&o.hist);
        self.en = o.en;
    }
}

impl PartialEq for World {
    fn eq(&self, other: &Self) -> bool {
        self.s == other.s
    }
}
impl Eq for World {}
impl std::hash::Hash for World {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.s.hash(h)
    }
}

impl fmt::Debug for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("World").field("s", &self.s).finish()
    }
}

impl World {
    /// A world at the start of `scenario` under `policy`, recording history.
    pub fn new(scenario: &Scenario, policy: &Policy) -> World {
        let mut w = World::new_quiet(scenario, policy);
        w.hist = Some(Box::default());
        w
    }

    /// Like [`World::new`] but without history (for the explorer).
    pub fn new_quiet(scenario: &Scenario, policy: &Policy) -> World {
        let setup = &scenario.setup;
        let mut versions = vec![
            VersionInfo {
                label: "init".into(),
                long: "init (the data at setup)".into(),
                task: None,
                op: 0,
                zero: false,
            },
            VersionInfo {
                label: "zero".into(),
                long: "zero (an initial hole)".into(),
                task: None,
                op: 0,
                zero: true,
            },
        ];
        let mut op_ver = Vec::new();
        for (ti, t) in scenario.tasks.iter().enumerate() {
            let mut n = 0;
            let mut per = Vec::new();
            for (oi, op) in t.ops.iter().enumerate() {
                if op.writes_data() {
                    let id = Version(versions.len() as u8);
                    let zero = matches!(op, crate::ops::Op::Punch(_) | crate::ops::Op::Truncate(_));
                    let (label, long) = if zero {
                        ("zero".to_string(), format!("zero ({}'s {op})", t.name))
                    } else {
                        n += 1;
                        let l = format!("{}{}", t.name, n);
                        (l.clone(), format!("{l} ({}'s {op})", t.name))
                    };
                    versions.push(VersionInfo {
                        label,
                        long,
                        task: Some(ti as u8),
                        op: oi as u8,
                        zero,
                    });
                    per.push(Some(id));
                } else {
                    per.push(None);
                }
            }
            op_ver.push(per);
        }
        let st = Static {
            scenario: scenario.clone(),
            policy: policy.clone(),
            fs: setup.fs,
            pages: setup.pages,
            nblocks: setup.blocks(),
            write_cache: setup.write_cache && !setup.dax,
            dax: setup.dax,
            versions,
            op_ver,
            // the validator refused a page cut into too many fragments
            frags: crate::frags::cut(
                scenario.tasks.iter().flat_map(|t| t.ops.iter()),
                setup.pages,
            )
            .unwrap_or_else(|_| [crate::frags::Frags::default(); MAX_PAGES]),
        };

        let mut s = State {
            i_size: setup.size,
            cache: PageCache::new(setup.pages),
            ext: Extents::new(setup.pages),
            dev: Device::new(setup.blocks()),
            locks: Locks::new(setup.pages),
            dio: 0,
            wb_err: Errseq::default(),
            as_eio: false,
            tasks: [Task::default(); MAX_TASKS],
            oracle: Oracle::default(),
            over: false,
            crashing: 0,
        };
        for p in 0..setup.size {
            let e = match setup.on_disk {
                OnDisk::Written => Ext::Written(p),
                OnDisk::Unwritten => Ext::Unwritten(p, Version::ZERO),
                OnDisk::Hole => Ext::Hole(Version::ZERO),
            };
            s.ext.map[p as usize] = e;
        }
        s.ext.commit(setup.size);
        s.dev.poison = setup.poisoned;
        for p in 0..setup.pages {
            if setup.cached & (1 << p) != 0 {
                let ver = match s.ext.map[p as usize] {
                    Ext::Written(b) => s.dev.content(b),
                    e => Data::all(e.zeroes().unwrap_or(Version::ZERO)),
                };
                s.cache.folios[p as usize] = Some(Folio {
                    ver,
                    flags: UPTODATE,
                    lock: 0,
                    pins: 0,
                });
            }
        }
        let mut w = World {
            st: Rc::new(st),
            s,
            hist: None,
            en: Enabled::default(),
        };
        w.s.oracle.init(&w.st);
        w.refresh();
        w
    }

    // ---- the engine API ----

    /// The actors that can take a step now, in a fixed order: tasks (in
    /// declaration order), the device's bios (oldest first), flush, reclaim.
    pub fn enabled(&self) -> &Enabled {
        &self.en
    }

    /// Whether the run is over: no actor can take a step.
    pub fn is_done(&self) -> bool {
        self.s.over
    }

    /// Outcomes that have fired so far, as a bit set of [`Outcome::bit`].
    pub fn fired(&self) -> u16 {
        self.s.oracle.fired
    }

    /// Outcomes with their step and explanation (needs history).
    pub fn outcomes(&self) -> &[OutcomeRecord] {
        self.hist.as_ref().map_or(&[], |h| &h.outcomes)
    }

    /// Takes one step of `a`.
    pub fn step(&mut self, a: Actor) -> Result<StepInfo, StepError> {
        if self.s.over {
            return Err(StepError::RunOver);
        }
        if !self.en.contains(a) {
            return Err(self.why_not(a));
        }
        if let Some(h) = &mut self.hist {
            h.begin_step(a);
            self.count_waits();
        }
        let info = match a {
            Actor::Task(t) => self.step_task(t),
            Actor::Dev(k) if self.s.crashing != 0 => StepInfo {
                actor: a,
                op: None,
                name: paths::crash::persist(self, k),
            },
            Actor::Dev(k) => StepInfo {
                actor: a,
                op: None,
                name: paths::bio_end::dev_complete(self, k),
            },
            Actor::Flush | Actor::Reclaim => {
                let need = self.need_of(a).expect("enabled background actor has work");
                self.acquire(need, a.holder().unwrap());
                let name = if a == Actor::Flush {
                    paths::writeback::flusher_step(self)
                } else {
                    paths::reclaim::kswapd_step(self)
                };
                StepInfo {
                    actor: a,
                    op: None,
                    name,
                }
            }
        };
        let info = if let Some(h) = &mut self.hist {
            // name the step as the preset's kernel spelled it
            let info = StepInfo {
                name: crate::release::step_name(info.name, self.st.fs, self.st.policy.kernel),
                ..info
            };
            h.end_step(info);
            info
        } else {
            info
        };
        self.after_step();
        Ok(info)
    }

    /// A step of `a`, which the caller knows to be enabled (schedulers,
    /// replays, the explorer). Its panic does not format the error: the
    /// Debug of [`StepError`] would bring the Debug of every model type
    /// into the browser's download.
    pub fn step_enabled(&mut self, a: Actor) -> StepInfo {
        match self.step(a) {
            Ok(info) => info,
            Err(_) => panic!("an enabled actor could not step"),
        }
    }

    /// The index of the next step (the number of steps taken).
    pub fn steps_taken(&self) -> usize {
        self.hist.as_ref().map_or(0, |h| h.steps.len())
    }

    pub fn actor_name(&self, a: Actor) -> String {
        match a {
            Actor::Task(t) => self.st.task_name(t).to_string(),
            Actor::Dev(0) => "dev".into(),
            Actor::Dev(k) => format!("dev@{k}"),
            Actor::Flush => "flush".into(),
            Actor::Reclaim => "reclaim".into(),
        }
    }

    /// The wait-for graph: every actor that wants to run but cannot.
    pub fn waits(&self) -> Vec<Wait> {
        let mut out = Vec::new();
        let ww = self.writers_waiting();
        for t in 0..self.st.ntasks() as u8 {
            if let Some(need) = self.need_of(Actor::Task(t)) {
                if !self.satisfied(need, Holder(t), ww) {
                    out.push(Wait {
                        actor: Actor::Task(t),
                        need,
                        by: self.blockers(need, Holder(t), ww),
                    });
                }
            }
        }
        for a in [Actor::Flush, Actor::Reclaim] {
            if let Some(need) = self.need_of(a) {
                let h = a.holder().unwrap();
                if !self.satisfied(need, h, ww) {
                    out.push(Wait {
                        actor: a,
                        need,
                        by: self.blockers(need, h, ww),
                    });
                }
            }
        }
        out
    }

    /// A cycle in the wait-for graph, if the tasks are deadlocked.
    pub fn deadlock_cycle(&self) -> Option<Vec<Wait>> {
        let waits = self.waits();
        let find = |a: Actor| waits.iter().find(|w| w.actor == a);
        for start in &waits {
            let mut path: Vec<&Wait> = vec![start];
            let mut cur = start;
            for _ in 0..waits.len() + 1 {
                let Some(next) = cur.by.iter().find_map(|b| find(*b)) else {
                    break;
                };
                if let Some(pos) = path.iter().position(|w| w.actor == next.actor) {
                    return Some(path[pos..].iter().map(|w| (*w).clone()).collect());
                }
                path.push(next);
                cur = next;
            }
        }
        None
    }

    // ---- scheduling internals ----

    fn step_task(&mut self, t: u8) -> StepInfo {
        let me = Holder(t);
        let need = self
            .need_of(Actor::Task(t))
            .expect("enabled task has a next step");
        self.acquire(need, me);
        let opi = self.s.tasks[t as usize].op;
        let mut path = self.s.tasks[t as usize].path;
        if path == Path::Idle {
            path = paths::initial(self, t);
            self.begin_syscall(t);
        }
        let (name, end) = paths::step(&mut path, self, t);
        match end {
            paths::StepEnd::Continue => self.s.tasks[t as usize].path = path,
            paths::StepEnd::Return(r) => {
                self.s.tasks[t as usize].path = Path::Idle;
                self.end_syscall(t, r);
            }
            paths::StepEnd::Detach => {
                // io_submit returned; the write's record stays open until
                // its completion (finish_aio)
                self.s.tasks[t as usize].path = Path::Idle;
                self.s.locks.release_all(Holder(t));
                let task = &mut self.s.tasks[t as usize];
                task.folio_ref = 0;
                task.op += 1;
            }
        }
        StepInfo {
            actor: Actor::Task(t),
            op: Some(opi),
            name,
        }
    }

    fn begin_syscall(&mut self, t: u8) {
        let task = &mut self.s.tasks[t as usize];
        task.rsum = 0;
        task.dio_err = false;
        task.orphan = 0;
        task.began = self.s.oracle.returned;
        let opi = task.op;
        if let Some(v) = self.st.op_ver[t as usize][opi as usize] {
            self.s.oracle.write_begin(v);
        }
        if let Some(h) = &mut self.hist {
            let text = self.st.scenario.tasks[t as usize].ops[opi as usize].to_string();
            let step = h.steps.len() - 1;
            h.syscalls.push(SyscallRecord {
                task: t,
                op: opi,
                text,
                begin: step,
                end: None,
                ret: None,
                read: Vec::new(),
                got: Vec::new(),
            });
        }
    }

    fn end_syscall(&mut self, t: u8, r: Ret) {
        self.s.locks.release_all(Holder(t));
        self.s.tasks[t as usize].folio_ref = 0;
        let opi = self.s.tasks[t as usize].op;
        let op = self.st.scenario.tasks[t as usize].ops[opi as usize].clone();
        // the pages a read returned (the first n of its range)
        let upto = match (&op, r) {
            (crate::ops::Op::Read { range, .. }, Ret::Pages(n)) => Some(range.lo + n),
            (crate::ops::Op::MmapRead(p, _), Ret::Pages(_)) => Some(p + 1),
            _ => None,
        };
        let task = &mut self.s.tasks[t as usize];
        let mut fp = task.res ^ 0x9e37_79b9_7f4a_7c15;
        let code: u64 = match r {
            Ret::Pages(n) => u64::from(n),
            Ret::Err(e) => 0x100 | u64::from(e.code()),
        };
        // a read's data: what it got (a short read's result is its length)
        let got = if upto.is_some() { task.rsum } else { 0 };
        for x in [code, got] {
            fp = (fp.rotate_left(5) ^ x).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
        task.res = fp;
        task.op += 1;
        self.close_syscall(t, opi, r, upto);
    }

    /// An asynchronous write's completion posted its result (ki_complete):
    /// for the record and the oracles the write returns at this step.
    pub(crate) fn finish_aio(&mut self, t: u8, r: Ret) {
        let opi = self.s.tasks[t as usize].aio.op - 1;
        self.s.tasks[t as usize].aio = Aio::default();
        let code: u64 = match r {
            Ret::Pages(n) => u64::from(n),
            Ret::Err(e) => 0x100 | u64::from(e.code()),
        };
        // folded in whatever the task has done since: the result does not
        // depend on when the completion came
        let task = &mut self.s.tasks[t as usize];
        task.res ^= (u64::from(opi) << 16 | code).wrapping_mul(0xa076_1d64_78bd_642f);
        self.close_syscall(t, opi, r, None);
    }

    /// The oracles and the record of op `opi` of task `t`, which returned
    /// `r` (a read: the pages below `upto` count).
    fn close_syscall(&mut self, t: u8, opi: u8, r: Ret, upto: Option<u8>) {
        let op = self.st.scenario.tasks[t as usize].ops[opi as usize].clone();
        if let Some(v) = self.st.op_ver[t as usize][opi as usize] {
            let units = paths::written_units(&op, r, &self.st);
            self.oracle_write_return(v, units);
        }
        if let Ret::Err(e) = r {
            let why = format!("{}'s `{op}` returned {e}", self.st.task_name(t));
            self.fire(Outcome::SyscallError, why);
        }
        if let Some(h) = &mut self.hist {
            let step = h.steps.len().saturating_sub(1);
            if let Some(rec) = h
                .syscalls
                .iter_mut()
                .rev()
                .find(|s| s.task == t && s.op == opi)
            {
                rec.end = Some(step);
                rec.ret = Some(r);
                if let Some(upto) = upto {
                    let mut got = std::mem::take(&mut rec.got);
                    got.sort_by_key(|(p, _)| *p);
                    got.dedup_by_key(|(p, _)| *p);
                    rec.read = got
                        .into_iter()
                        .filter(|(p, _)| *p < upto)
                        .map(|(_, l)| l)
                        .collect();
                }
                rec.got.clear();
            }
        }
    }

    /// The need of an actor's next step, or `None` if it has nothing to do.
    pub fn need_of(&self, a: Actor) -> Option<Need> {
        match a {
            Actor::Task(t) => {
                let task = &self.s.tasks[t as usize];
                if task.op as usize >= self.st.scenario.tasks[t as usize].ops.len() {
                    return None;
                }
                let path = if task.path == Path::Idle {
                    paths::initial(self, t)
                } else {
                    task.path
                };
                Some(paths::need(&path, self, t))
            }
            Actor::Dev(k) if self.s.crashing != 0 => {
                ((k as usize) < paths::crash::pending(self).len()).then_some(Need::None)
            }
            Actor::Dev(k) => (k < self.s.dev.nbios).then_some(Need::None),
            Actor::Flush => paths::writeback::flusher_need(self),
            Actor::Reclaim => paths::reclaim::kswapd_need(self),
        }
    }

    fn tasks_running(&self) -> bool {
        (0..self.st.ntasks())
            .any(|t| (self.s.tasks[t].op as usize) < self.st.scenario.tasks[t].ops.len())
    }

    /// Locks that a writer is queued on (Linux rwsems then block new readers).
    fn writers_waiting(&self) -> u16 {
        let mut ww = 0u16;
        let mut note = |need: Option<Need>, h: Holder| {
            if let Some(Need::Lock(l, Mode::Excl)) = need {
                let sem = self.s.locks.get(l);
                if !sem.is_free() && sem.held_by(h).is_none() {
                    ww |= lock_bit(l);
                }
            }
        };
        for t in 0..self.st.ntasks() as u8 {
            note(self.need_of(Actor::Task(t)), Holder(t));
        }
        ww
    }

    pub(crate) fn satisfied(&self, need: Need, me: Holder, ww: u16) -> bool {
        let folio = |p: u8| self.s.cache.get(p);
        match need {
            Need::None => true,
            Need::Lock(l, m) => {
                let sem = self.s.locks.get(l);
                sem.can_take(m, ww & lock_bit(l) != 0)
            }
            Need::FolioLock(p) => folio(p).is_none_or(|f| !f.locked()),
            Need::FolioLockNoWb(p) => folio(p).is_none_or(|f| !f.locked() && !f.writeback()),
            Need::FolioUnlocked(p) => folio(p).is_none_or(|f| !f.locked()),
            Need::NoWriteback(p) => folio(p).is_none_or(|f| !f.writeback()),
            Need::NoOrdered(p) => folio(p).is_none_or(|f| !f.has(crate::pagecache::ORDERED)),
            // the bios of the op the actor is in (not those of an earlier
            // asynchronous write)
            Need::Bios => !self
                .s
                .dev
                .inflight()
                .iter()
                .any(|b| b.owner == me && waits_on(b.kind) && b.op == self.op_of(me)),
            Need::DioIdle => {
                self.s.dio & !(1 << me.0) == 0 && self.s.tasks.iter().all(|t| !t.aio.active())
            }
            Need::NoAio => self
                .s
                .tasks
                .get(me.0 as usize)
                .is_none_or(|t| !t.aio.active()),
            Need::NoMarker(p) => self.s.cache.markers[p as usize] == 0,
            Need::ExtentLock(lo, hi) => self.s.locks.extent_free(lo, hi),
            Need::QueueSpace => !self.s.dev.queue_full(),
        }
    }

    fn blockers(&self, need: Need, me: Holder, ww: u16) -> Vec<Actor> {
        let mut by: Vec<Actor> = Vec::new();
        let dev_for = |p: u8, kinds: &[BioKind]| -> bool {
            self.s
                .dev
                .inflight()
                .iter()
                .any(|b| b.page == p && kinds.contains(&b.kind))
        };
        match need {
            Need::None => {}
            Need::Lock(l, m) => {
                let sem = self.s.locks.get(l);
                // a holder waiting for a lock it holds itself is a cycle of one
                by.extend(sem.holders().map(|(h, _)| Actor::of_holder(h)));
                if m == Mode::Shared && ww & lock_bit(l) != 0 {
                    for t in 0..self.st.ntasks() as u8 {
                        if Holder(t) != me
                            && self.need_of(Actor::Task(t)) == Some(Need::Lock(l, Mode::Excl))
                        {
                            by.push(Actor::Task(t));
                        }
                    }
                }
            }
            Need::FolioLock(p)
            | Need::FolioLockNoWb(p)
            | Need::FolioUnlocked(p)
            | Need::NoWriteback(p) => {
                if let Some(f) = self.s.cache.get(p) {
                    let wants_lock = !matches!(need, Need::NoWriteback(_));
                    if wants_lock && f.locked() {
                        if dev_for(p, &[BioKind::ReadFolio]) {
                            by.push(Actor::Dev(0));
                        } else {
                            by.push(Actor::of_holder(Holder(f.lock - 1)));
                        }
                    }
                    let wants_wb = matches!(need, Need::FolioLockNoWb(_) | Need::NoWriteback(_));
                    if wants_wb && f.writeback() {
                        by.push(Actor::Dev(0));
                    }
                }
            }
            Need::Bios | Need::QueueSpace | Need::NoOrdered(_) | Need::NoAio => {
                by.push(Actor::Dev(0))
            }
            Need::DioIdle => {
                for t in 0..MAX_TASKS as u8 {
                    if self.s.dio & (1 << t) != 0 && Holder(t) != me {
                        by.push(Actor::Task(t));
                    }
                }
                if self.s.tasks.iter().any(|t| t.aio.active()) {
                    by.push(Actor::Dev(0));
                }
            }
            Need::NoMarker(p) => {
                if let Some(h) = self.s.cache.marker(p) {
                    by.push(Actor::of_holder(h));
                }
            }
            Need::ExtentLock(lo, hi) => {
                for p in lo..=hi {
                    let o = self.s.locks.extent[p as usize];
                    if o != 0 {
                        let a = if let Some(h) = crate::locks::ordered_owner(o) {
                            // the ordered extent finishes once its bio and
                            // btrfs_finish_ordered_io ran; until the bio is
                            // submitted, that is up to its task
                            let queued = self.s.dev.inflight().iter().any(|b| {
                                b.page == p
                                    && b.owner == h
                                    && matches!(b.kind, BioKind::DioWrite | BioKind::OrderedFinish)
                            });
                            if queued {
                                Actor::Dev(0)
                            } else {
                                Actor::of_holder(h)
                            }
                        } else {
                            Actor::of_holder(Holder(o - 1))
                        };
                        if !by.contains(&a) {
                            by.push(a);
                        }
                    }
                }
            }
        }
        by.dedup();
        by
    }

    fn acquire(&mut self, need: Need, me: Holder) {
        match need {
            Need::Lock(l, m) => self.s.locks.get_mut(l).take(m, me),
            Need::FolioLock(p) | Need::FolioLockNoWb(p) => {
                if let Some(f) = self.s.cache.get_mut(p) {
                    f.lock = me.0 + 1;
                }
            }
            Need::ExtentLock(lo, hi) => self.s.locks.extent_take(lo, hi, me),
            _ => {}
        }
    }

    fn why_not(&self, a: Actor) -> StepError {
        match a {
            Actor::Task(t) if t as usize >= self.st.ntasks() => StepError::NoSuchActor,
            Actor::Task(t) => {
                let ww = self.writers_waiting();
                match self.need_of(a) {
                    None => StepError::Finished,
                    Some(need) => StepError::Blocked {
                        on: need,
                        by: self.blockers(need, Holder(t), ww),
                    },
                }
            }
            Actor::Dev(_) => StepError::NotRunning,
            Actor::Flush | Actor::Reclaim => {
                let ww = self.writers_waiting();
                match self.need_of(a) {
                    Some(need) if !self.satisfied(need, a.holder().unwrap(), ww) => {
                        StepError::Blocked {
                            on: need,
                            by: self.blockers(need, a.holder().unwrap(), ww),
                        }
                    }
                    _ => StepError::NotRunning,
                }
            }
        }
    }

    fn compute_enabled(&self) -> Enabled {
        let mut en = Enabled::default();
        if self.s.crashing != 0 {
            // the power failed: the crashing task's recovery, and the
            // writes that may still reach the media
            en.push(Actor::Task(self.s.crashing - 1));
            for k in 0..paths::crash::pending(self).len() {
                en.push(Actor::Dev(k as u8));
            }
            return en;
        }
        let ww = self.writers_waiting();
        for t in 0..self.st.ntasks() as u8 {
            if let Some(need) = self.need_of(Actor::Task(t)) {
                if self.satisfied(need, Holder(t), ww) {
                    en.push(Actor::Task(t));
                }
            }
        }
        for (k, b) in self.s.dev.inflight().iter().enumerate() {
            // the deferred AIO completion waits for locked folios and
            // writeback in its range (invalidate_inode_pages2_range)
            if b.kind == BioKind::AioComplete
                && !paths::direct_write::aio_complete_ready(self, b.owner.0)
            {
                continue;
            }
            en.push(Actor::Dev(k as u8));
        }
        if self.tasks_running() {
            for a in [Actor::Flush, Actor::Reclaim] {
                if let Some(need) = self.need_of(a) {
                    if self.satisfied(need, a.holder().unwrap(), ww) {
                        en.push(a);
                    }
                }
            }
        }
        en
    }

    /// Recomputes what can run; at the end of the run, runs the end-of-run
    /// oracles.
    fn refresh(&mut self) {
        self.en = self.compute_enabled();
        if self.en.is_empty() && !self.s.over {
            self.s.over = true;
            self.end_of_run();
        }
    }

    /// A world of this scenario and policy at state `s`, without history
    /// (cheap: no history is copied).
    pub(crate) fn from_parts(st: Rc<Static>, s: State) -> World {
        let mut w = World {
            st,
            s,
            hist: None,
            en: Enabled::default(),
        };
        w.refresh_enabled();
        w
    }

    /// Recomputes the enabled set for a state set from outside (a trace).
    pub(crate) fn refresh_enabled(&mut self) {
        self.en = self.compute_enabled();
    }

    fn after_step(&mut self) {
        self.oracle_track();
        self.refresh();
        if cfg!(debug_assertions) {
            if let Err(e) = self.check_invariants() {
                panic!(
                    "model invariant broken after {:?}: {e}\n{:#?}",
                    self.hist.as_ref().and_then(|h| h.steps.last()),
                    self.s
                );
            }
        }
    }

    fn end_of_run(&mut self) {
        if self.tasks_running() {
            let cycle = self.deadlock_cycle();
            let why = match &cycle {
                Some(c) => format!("nothing can run: {}", self.describe_cycle(c)),
                None => "nothing can run and a task is unfinished".to_string(),
            };
            if let Some(h) = &mut self.hist {
                h.deadlock = cycle;
            }
            self.fire(Outcome::Deadlock, why);
        }
        self.oracle_end();
    }

    pub fn describe_cycle(&self, c: &[Wait]) -> String {
        let parts: Vec<String> = c
            .iter()
            .map(|w| {
                let by: Vec<String> = w.by.iter().map(|b| self.actor_name(*b)).collect();
                format!(
                    "{} waits for {} held by {}",
                    self.actor_name(w.actor),
                    w.need,
                    by.join(" and ")
                )
            })
            .collect();
        parts.join("; ")
    }

    fn count_waits(&mut self) {
        let waits = self.waits();
        if let Some(h) = &mut self.hist {
            for w in waits {
                let Some(key) = w.need.wait_key() else {
                    continue;
                };
                *h.counters.lock_waits.entry(key).or_insert(0) += 1;
            }
        }
    }

    // ---- helpers for the paths ----

    /// Adds a note to the current step (only formatted when recording).
    pub fn note(&mut self, f: impl FnOnce(&World) -> String) {
        if self.hist.is_some() {
            let s = f(self);
            if let Some(h) = self.hist.as_mut() {
                h.note(s);
            }
        }
    }

    /// The op a holder is in, for the bios it submits (0 for the
    /// background actors).
    pub fn op_of(&self, h: Holder) -> u8 {
        self.s.tasks.get(h.0 as usize).map_or(0, |t| t.op)
    }

    /// Whether task `t` is still in op `op` (a bio's op, say).
    pub fn in_op(&self, t: u8, op: u8) -> bool {
        let task = &self.s.tasks[t as usize];
        task.op == op && task.path != Path::Idle
    }

    pub fn counters(&mut self) -> Option<&mut Counters> {
        self.hist.as_mut().map(|h| &mut h.counters)
    }

    /// Records that an outcome happened at this step.
    pub fn fire(&mut self, o: Outcome, why: String) {
        let first = self.s.oracle.fired & o.bit() == 0;
        self.s.oracle.fired |= o.bit();
        if let Some(h) = &mut self.hist {
            let step = h.steps.len().saturating_sub(1);
            if first || o == Outcome::SyscallError {
                h.outcomes.push(OutcomeRecord {
                    outcome: o,
                    step,
                    why,
                });
            }
        }
    }

    pub fn record_step_record(&self) -> Option<&StepRecord> {
        self.hist.as_ref().and_then(|h| h.steps.last())
    }

    /// What the file holds at page `p` now: the folio if cached and
    /// uptodate, else what the device holds for its block.
    pub fn content(&self, p: u8) -> Data {
        if let Some(f) = self.s.cache.get(p) {
            if f.uptodate() {
                return f.ver;
            }
        }
        self.disk_content(p)
    }

    /// The page that block `b` holds, if any.
    pub fn page_of_block(&self, b: u8) -> Option<u8> {
        (0..self.st.pages).find(|&p| self.s.ext.get(p).block() == Some(b))
    }

    /// What a read of page `p` from the device returns (zeroes for holes).
    pub fn disk_content(&self, p: u8) -> Data {
        match self.s.ext.get(p) {
            Ext::Written(b) => self.s.dev.content(b),
            e => Data::all(e.zeroes().unwrap()),
        }
    }

    /// Checks the model's invariants (see the module documentation).
    pub fn check_invariants(&self) -> Result<(), String> {
        let s = &self.s;
        for p in 0..self.st.pages {
            let Some(f) = s.cache.get(p) else { continue };
            if f.writeback()
                && !s
                    .dev
                    .inflight()
                    .iter()
                    .any(|b| b.kind == BioKind::Writeback && b.page == p)
            {
                return Err(format!("folio {p} under writeback without a writeback bio"));
            }
            for t in 0..MAX_TASKS {
                if s.tasks[t].pte_rw & (1 << p) != 0 && !f.dirty() {
                    return Err(format!("task {t} maps folio {p} writable but it is clean"));
                }
            }
        }
        for t in 0..MAX_TASKS {
            let mapped = s.tasks[t].pte_ro | s.tasks[t].pte_rw | s.tasks[t].priv_ro;
            for p in 0..self.st.pages {
                if mapped & (1 << p) != 0 && s.cache.get(p).is_none() && !self.st.dax {
                    return Err(format!("task {t} maps page {p} but it is not cached"));
                }
            }
        }
        let mut seen: Blocks = 0;
        for p in 0..self.st.pages {
            if let Some(b) = s.ext.get(p).block() {
                if seen & (1 << b) != 0 {
                    return Err(format!("block {b} mapped twice"));
                }
                seen |= 1 << b;
            }
        }
        if s.dio.count_ones() > MAX_TASKS as u32 {
            return Err("i_dio_count out of range".into());
        }
        Ok(())
    }
}

fn lock_bit(l: LockId) -> u16 {
    match l {
        LockId::IRwsem => 1,
        LockId::InvalidateLock => 2,
        LockId::DioRwsem => 4,
        LockId::BtrfsMmap => 8,
        LockId::MmapLock(t) => 16 << t,
    }
}

/// Bio kinds whose submitter sleeps on them by ownership (the others are
/// waited on through folio flags).
fn waits_on(k: BioKind) -> bool {
    matches!(
        k,
        BioKind::DioRead | BioKind::DioWrite | BioKind::Flush | BioKind::LogWrite
    )
}

/// Symmetry (see [`crate::perm`]). `res` is a hash of what the task's
/// syscalls returned and read, versions included, so it cannot be renamed:
/// the explorer only permutes tasks whose versions no read can return.
impl Task {
    pub fn permute(&mut self, p: &crate::perm::Perm) {
        let Task {
            op: _,
            path,
            cursor,
            pte_ro: _,
            pte_rw: _,
            priv_ro: _,
            priv_anon: _,
            folio_ref: _,
            rsum: _,
            dio_err: _,
            pinned: _,
            orphan: _,
            began,
            res: _,
            aio: _,
        } = self;
        path.permute(p);
        cursor.permute(p);

        *began = p.versions(*began);
    }
}

impl State {
    /// `*self = *o` for a state of the same scenario, which has `ntasks`
    /// tasks: what lies past the scenario's pages, blocks, units and tasks
    /// is at its default in both, and is not copied.
    pub fn copy_from(&mut self, o: &State, ntasks: usize) {
        if cfg!(target_arch = "wasm32") {
            // smaller code in the browser, whose searches are small
            *self = *o;
            return;
        }
        let State {
            i_size,
            cache,
            ext,
            dev,
            locks,
            dio,
            wb_err,
            as_eio,
            tasks,
            oracle,
            over,
            crashing,
        } = self;
        *i_size = o.i_size;
        cache.copy_from(&o.cache);
        ext.copy_from(&o.ext);
        dev.copy_from(&o.dev);
        *locks = o.locks;
        *dio = o.dio;
        *wb_err = o.wb_err;
        *as_eio = o.as_eio;
        tasks[..ntasks].copy_from_slice(&o.tasks[..ntasks]);
        oracle.copy_from(&o.oracle);
        *over = o.over;
        *crashing = o.crashing;
        debug_assert!(
            *self == *o,
            "a state part past the scenario's size is in use"
        );
    }

    /// The state with tasks and their versions renamed by `p`.
    pub fn permute(&mut self, p: &crate::perm::Perm) {
        let State {
            i_size: _,
            cache,
            ext,
            dev,
            locks,
            dio,
            wb_err,
            as_eio: _,
            tasks,
            oracle,
            over: _,
            crashing,
        } = self;
        *crashing = p.holder1(*crashing);
        cache.permute(p);
        ext.permute(p);
        dev.permute(p);
        locks.permute(p);
        *dio = p.tasks8(*dio);
        wb_err.permute(p);
        for t in tasks.iter_mut() {
            t.permute(p);
        }
        p.by_task(tasks);
        oracle.permute(p);
    }
}
