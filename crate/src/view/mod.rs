//! The view: what a front end shows of a run, as plain data (strings,
//! numbers, enums, vectors), with every label made here. The email text
//! (`diagram.rs`), the SVG (`svg.rs`) and the web app all draw from it, so
//! they cannot disagree on a lane, a bio's name or an errno: none of them
//! decodes a bit mask or names a kernel object itself.
//!
//! - the lanes of a scenario ([`lanes`], [`lane_of`]);
//! - the steps of a run: actor, kernel function, notes, the syscall that
//!   begins or returns there ([`step`], [`steps`]);
//! - syscalls and what they returned ([`calls`], [`returned`]), outcomes
//!   with their explanation and deadlock cycle ([`outcomes`]), counters;
//! - who can go next, and what the others wait for ([`next`]);
//! - the state at one step ([`state::StateView`]).
//!
//! Views of two states compare with `==` part by part: a front end marks
//! what changed since the previous step, or what differs from the other
//! side of a comparison, by comparing views, not states.

use serde::Serialize;

use crate::history::SyscallRecord;
use crate::outcome::Outcome;
use crate::scenario::Scenario;
use crate::version::Version;
use crate::world::{Actor, Errno, Lane, Ret, Wait, World};

pub mod state;

pub use state::StateView;

/// A version of the data (`init`, `zero`, `A1`): what a page, a block or
/// a read holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ver {
    /// The version's id: the same write has the same id in every run of a
    /// scenario (a front end may give each id its colour). 0 is `init`, 1
    /// the initial `zero`.
    pub id: u8,
    /// `init`, `zero`, `A1`.
    pub label: String,
    /// `A1 (A's write 0-1)`.
    pub long: String,
}

impl Ver {
    pub fn of(w: &World, v: Version) -> Ver {
        Ver {
            id: v.0,
            label: w.st.label(v).to_string(),
            long: w.st.long_label(v).to_string(),
        }
    }

    /// A page's data: one version, or (parts of the page written apart)
    /// the versions per byte range, `B1+init`, coloured by the first.
    pub fn of_data(w: &World, p: u8, d: crate::version::Data) -> Ver {
        Ver {
            id: d.get(0).0,
            label: w.st.dlabel(p, d),
            long: w.st.dlong(p, d),
        }
    }

    /// The version a history records by its label: the first with that
    /// label (zeroes from a punch read like the initial `zero`).
    fn by_label(w: &World, label: &str) -> Ver {
        let id =
            w.st.versions
                .iter()
                .position(|v| v.label == label)
                .unwrap_or(0);
        Ver::of(w, Version(id as u8))
    }
}

// ---- lanes ----

/// A column of a timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LaneView {
    /// A task's name, `dev`, `flush` or `reclaim`.
    pub name: String,
    /// The task whose lane it is (`None` for the device and the
    /// background actors).
    pub task: Option<u8>,
}

/// The lanes of a scenario: one per task, in declaration order, then the
/// device (all of its completions), then the flusher and reclaim if the
/// scenario has them. The same for every run of the scenario, whoever ran,
/// so that two runs compared side by side have the same columns.
pub fn lanes(sc: &Scenario) -> Vec<LaneView> {
    let mut out: Vec<LaneView> = sc
        .tasks
        .iter()
        .enumerate()
        .map(|(t, task)| LaneView {
            name: task.name.clone(),
            task: Some(t as u8),
        })
        .collect();
    let background = [
        (true, "dev"),
        (sc.setup.flusher, "flush"),
        (sc.setup.reclaim, "reclaim"),
    ];
    for (has, name) in background {
        if has {
            out.push(LaneView {
                name: name.into(),
                task: None,
            });
        }
    }
    out
}

/// The lane (index into [`lanes`]) an actor's steps are drawn in.
pub fn lane_of(sc: &Scenario, a: Actor) -> usize {
    let n = sc.tasks.len();
    match a.lane() {
        Lane::Task(t) => t as usize,
        Lane::Dev => n,
        Lane::Flush => n + 1,
        Lane::Reclaim => n + 1 + usize::from(sc.setup.flusher),
    }
}

// ---- steps ----

/// A syscall's return value: bytes or an errno, and for reads the version
/// each page returned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RetView {
    /// `8192`, `0`, `-EIO`, `SIGBUS`.
    pub value: String,
    pub err: bool,
    /// For reads: the version of each page read.
    pub read: Vec<Ver>,
}

/// Consecutive pages that read the same version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReadRun {
    pub ver: Ver,
    pub n: usize,
    /// `init`, or `init ×16` for a run of 16 pages.
    pub label: String,
}

impl RetView {
    fn of(w: &World, c: &crate::history::SyscallRecord, r: Ret) -> RetView {
        let op = &w.st.scenario.tasks[c.task as usize].ops[c.op as usize];
        let read = &c.read;
        RetView {
            value: r.text(op),
            err: r.is_err(),
            read: read.iter().map(|l| Ver::by_label(w, l)).collect(),
        }
    }

    /// The versions read, runs of the same one counted once (`init ×16`).
    pub fn read_runs(&self) -> Vec<ReadRun> {
        let mut out: Vec<ReadRun> = Vec::new();
        for v in &self.read {
            match out.last_mut() {
                Some(r) if r.ver.label == v.label => r.n += 1,
                _ => out.push(ReadRun {
                    ver: v.clone(),
                    n: 1,
                    label: String::new(),
                }),
            }
        }
        for r in &mut out {
            r.label = run_label(&r.ver.label, r.n);
        }
        out
    }

    /// The read's versions as runs, space-separated (`A1 ×60 init ×4`);
    /// empty if not a read.
    pub fn read_text(&self) -> String {
        runs_text(self.read.iter().map(|v| v.label.as_str()))
    }
}

/// `init`, or `init ×16` for a run of 16.
fn run_label(label: &str, n: usize) -> String {
    if n > 1 {
        format!("{label} ×{n}")
    } else {
        label.to_string()
    }
}

/// What a read returned, in the words every front end uses (the app, the
/// CLI's report, the email text, the SVG, the lab): consecutive pages that
/// read the same version counted once, so that a 64-page read is
/// `A1 ×60 init ×4` and not 64 labels.
pub fn runs_text<'a>(labels: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    let mut it = labels.into_iter().peekable();
    while let Some(l) = it.next() {
        let mut n = 1;
        while it.next_if_eq(&l).is_some() {
            n += 1;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out += &run_label(l, n);
    }
    out
}

/// A step's notes, `; `-separated, with a long repetition folded: where
/// the same clauses repeat for consecutive pages or blocks (a read-around
/// adding 16 folios, a direct read's bios), the first and the last
/// repetition are kept around `… 1-14 alike …`. Every front end prints
/// these words; a 64-page step is then a line, not 800 characters.
pub fn notes_text<S: AsRef<str>>(notes: &[S]) -> String {
    let clauses: Vec<&str> = notes.iter().flat_map(|n| n.as_ref().split("; ")).collect();
    let shapes: Vec<Shape> = clauses.iter().map(|c| shape(c)).collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < clauses.len() {
        let fold = (1..=3)
            .map(|k| (k, repetitions(&shapes[i..], k)))
            .find(|&(_, reps)| reps >= 5);
        let Some((k, reps)) = fold else {
            out.push(clauses[i].to_string());
            i += 1;
            continue;
        };
        // the first number that grows, at the second repetition
        let first = (0..k)
            .flat_map(|j| shapes[i + j].1.iter().zip(&shapes[i + k + j].1))
            .find(|(a, b)| a != b)
            .map_or(0, |(_, b)| *b);
        let last = i + (reps - 1) * k;
        out.extend(clauses[i..i + k].iter().map(|c| c.to_string()));
        let to = first.saturating_add(reps as u64 - 3);
        out.push(format!("… {first}-{to} alike …"));
        out.extend(clauses[last..last + k].iter().map(|c| c.to_string()));
        i += reps * k;
    }
    out.join("; ")
}

/// A clause's words, with each number as `#`, and its numbers. A number is
/// a run of digits that does not end a word: `A1` is a label.
type Shape = (Vec<u8>, Vec<u64>);

fn shape(c: &str) -> Shape {
    let (mut words, mut nums): Shape = (Vec::new(), Vec::new());
    let (mut in_num, mut in_word) = (false, false);
    for &b in c.as_bytes() {
        let digit = b.is_ascii_digit();
        if digit && in_num {
            if let Some(n) = nums.last_mut() {
                *n = n.saturating_mul(10).saturating_add(u64::from(b - b'0'));
            }
        } else if digit && !in_word {
            nums.push(u64::from(b - b'0'));
            words.push(b'#');
            in_num = true;
        } else {
            in_num = false;
            in_word = b.is_ascii_alphanumeric() || b >= 0x80;
            words.push(b);
        }
    }
    (words, nums)
}

/// How many times the `k` clauses at the start of `cs` repeat, each time
/// with the same words and each number either the same every time or one
/// more every time (and at least one of them one more: 1 otherwise).
fn repetitions(cs: &[Shape], k: usize) -> usize {
    let grows = |j: usize| cs[j].1.iter().zip(&cs[k + j].1).any(|(a, b)| a != b);
    if cs.len() < 2 * k || !(0..k).any(grows) {
        return 1;
    }
    let mut reps = 1;
    while (reps + 1) * k <= cs.len()
        && (0..k).all(|j| {
            let ((w0, n0), (w1, n1), (w, n)) = (&cs[j], &cs[k + j], &cs[reps * k + j]);
            let m = reps as u64;
            w1 == w0
                && w == w0
                && n0.iter().zip(n1).zip(n).all(|((a, b), x)| {
                    let d = b.wrapping_sub(*a);
                    d <= 1 && Some(*x) == a.checked_add(d * m)
                })
        })
    {
        reps += 1;
    }
    reps
}

/// One step of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepView {
    pub i: usize,
    /// `A`, `dev`, `dev@1`, `flush`, `reclaim`.
    pub actor: String,
    /// Its lane (see [`lanes`]).
    pub lane: usize,
    /// The kernel function or code point the step models.
    pub func: &'static str,
    /// What a lane's cell says: the function, after `dev@1: ` for a
    /// completion other than the oldest.
    pub label: String,
    /// What the step changed or decided, in words (`; `-separated).
    pub notes: String,
    /// For a task's step: the op it belongs to, as written.
    pub op: Option<String>,
    /// The op's syscall begins at this step.
    pub begins: bool,
    /// The op's syscall returns at this step, with this.
    pub returns: Option<RetView>,
    /// An outcome fired at this step.
    pub fired: bool,
}

/// Whether syscall `c` is drawn at step `i` (where it begins or ends): at
/// its own task's steps (a crash ends the syscalls it abandons at the
/// crashing task's step), and an asynchronous write also where its
/// completion ran.
fn drawn_at(w: &World, c: &SyscallRecord, i: usize) -> bool {
    let h = w.hist.as_ref().expect("a view of steps needs history");
    let s = &h.steps[i];
    let own = s.actor == Actor::Task(c.task) && s.op == Some(c.op);
    own || (matches!(s.actor, Actor::Dev(_))
        && c.end == Some(i)
        && matches!(
            w.st.scenario.tasks[c.task as usize].ops.get(c.op as usize),
            Some(crate::ops::Op::Write { aio: true, .. })
        ))
}

/// Where syscalls begin and end, by step (built once for a whole run).
struct CallIndex {
    begins: Vec<bool>,
    /// Per step: the index of the syscall that returns there.
    returns: Vec<Option<usize>>,
    fired: Vec<bool>,
}

impl CallIndex {
    fn new(w: &World) -> CallIndex {
        let h = w.hist.as_ref().expect("a view of steps needs history");
        let n = h.steps.len();
        let mut ix = CallIndex {
            begins: vec![false; n],
            returns: vec![None; n],
            fired: vec![false; n],
        };
        for (k, c) in h.syscalls.iter().enumerate() {
            if c.begin < n && drawn_at(w, c, c.begin) {
                ix.begins[c.begin] = true;
            }
            match c.end {
                Some(e) if e < n && drawn_at(w, c, e) => ix.returns[e] = Some(k),
                _ => {}
            }
        }
        for o in &h.outcomes {
            if let Some(f) = ix.fired.get_mut(o.step) {
                *f = true;
            }
        }
        ix
    }
}

fn step_view(w: &World, i: usize, begins: bool, ret: Option<usize>, fired: bool) -> StepView {
    let h = w.hist.as_ref().expect("a view of steps needs history");
    let s = &h.steps[i];
    let op = match (s.actor, s.op) {
        (Actor::Task(t), Some(o)) => w.st.scenario.tasks[t as usize]
            .ops
            .get(o as usize)
            .map(|op| op.to_string()),
        _ => None,
    };
    let label = match s.actor {
        Actor::Dev(k) if k > 0 => format!("dev@{k}: {}", s.name),
        _ => s.name.to_string(),
    };
    let returns = ret
        .map(|k| &h.syscalls[k])
        .and_then(|c| c.ret.map(|r| RetView::of(w, c, r)));
    StepView {
        i,
        actor: w.actor_name(s.actor),
        lane: lane_of(&w.st.scenario, s.actor),
        func: s.name,
        label,
        notes: notes_text(&s.notes),
        begins: begins && op.is_some(),
        op,
        returns,
        fired,
    }
}

/// Step `i` of a run (a world with history), if there is one.
pub fn step(w: &World, i: usize) -> Option<StepView> {
    let h = w.hist.as_ref().expect("a view of steps needs history");
    h.steps.get(i)?;
    let begins = h.syscalls.iter().any(|c| c.begin == i && drawn_at(w, c, i));
    let ret = h
        .syscalls
        .iter()
        .position(|c| c.end == Some(i) && drawn_at(w, c, i));
    let fired = h.outcomes.iter().any(|o| o.step == i);
    Some(step_view(w, i, begins, ret, fired))
}

/// The steps of a run, up to (not including) step `upto`.
pub fn steps(w: &World, upto: Option<usize>) -> Vec<StepView> {
    let ix = CallIndex::new(w);
    let n = upto.unwrap_or(usize::MAX).min(ix.begins.len());
    (0..n)
        .map(|i| step_view(w, i, ix.begins[i], ix.returns[i], ix.fired[i]))
        .collect()
}

/// Per step of a run: bit `t` is set when task `t` is inside a syscall.
pub fn in_syscall(w: &World) -> Vec<u8> {
    let h = w.hist.as_ref().expect("a view of steps needs history");
    let mut busy = vec![0u8; h.steps.len()];
    let last = busy.len().saturating_sub(1);
    for c in &h.syscalls {
        let end = c.end.unwrap_or(last);
        for b in busy.iter_mut().take(end + 1).skip(c.begin) {
            *b |= 1 << c.task;
        }
    }
    busy
}

// ---- syscalls, outcomes, counters ----

/// A syscall of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CallView {
    pub task: u8,
    pub task_name: String,
    /// The op as written (`write 0-1 direct`).
    pub text: String,
    pub begin: usize,
    /// The step it returned at; `None` if it never did (a deadlock, a crash).
    pub end: Option<usize>,
    pub ret: Option<RetView>,
}

fn call_view(w: &World, c: &SyscallRecord) -> CallView {
    CallView {
        task: c.task,
        task_name: w.st.task_name(c.task).to_string(),
        text: c.text.clone(),
        begin: c.begin,
        end: c.end,
        ret: c.ret.map(|r| RetView::of(w, c, r)),
    }
}

/// Every syscall of a run, in the order they began.
pub fn calls(w: &World) -> Vec<CallView> {
    let h = w.hist.as_ref().expect("a view of syscalls needs history");
    h.syscalls.iter().map(|c| call_view(w, c)).collect()
}

/// A task's syscalls that returned before a step: the last few of them,
/// and how many came earlier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Returned {
    pub earlier: usize,
    pub calls: Vec<CallView>,
}

/// Per task of a run: its last `last` syscalls that returned before step
/// `before`.
pub fn returned(w: &World, before: usize, last: usize) -> Vec<Returned> {
    let h = w.hist.as_ref().expect("a view of syscalls needs history");
    (0..w.st.ntasks())
        .map(|task| {
            let done: Vec<&SyscallRecord> = h
                .syscalls
                .iter()
                .filter(|c| c.task as usize == task && c.end.is_some_and(|e| e < before))
                .collect();
            let earlier = done.len().saturating_sub(last);
            Returned {
                earlier,
                calls: done[earlier..].iter().map(|c| call_view(w, c)).collect(),
            }
        })
        .collect()
}

/// An actor that cannot go on, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WaitView {
    pub actor: String,
    /// What it waits for (`i_rwsem (exclusive)`, `folio 0 writeback`).
    pub need: String,
    /// Who can release it.
    pub by: Vec<String>,
}

impl WaitView {
    pub fn of(w: &World, x: &Wait) -> WaitView {
        WaitView {
            actor: w.actor_name(x.actor),
            need: x.need.to_string(),
            by: x.by.iter().map(|b| w.actor_name(*b)).collect(),
        }
    }

    /// `i_rwsem (exclusive) (held by B)`.
    pub fn need_text(&self) -> String {
        if self.by.is_empty() {
            self.need.clone()
        } else {
            format!("{} (held by {})", self.need, self.by.join(", "))
        }
    }
}

/// A deadlock's wait-for cycle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CycleView {
    pub waits: Vec<WaitView>,
    /// The cycle in one sentence.
    pub text: String,
}

/// An outcome of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OutcomeView {
    #[serde(skip)]
    pub outcome: Outcome,
    /// `spurious-eio`.
    pub name: &'static str,
    pub step: usize,
    /// Why it fired, in this run's words.
    pub why: String,
    /// What the outcome means, for a student.
    pub meaning: &'static str,
    /// Informational outcomes (a syscall's error, a stale iomap) are not
    /// what a scenario is about; the others are.
    pub major: bool,
    /// For a deadlock: its wait-for cycle.
    pub cycle: Option<CycleView>,
}

/// Whether an outcome only informs (the README's outcomes: a syscall
/// returned an error; a stale iomap was used).
pub fn informational(o: Outcome) -> bool {
    matches!(o, Outcome::SyscallError | Outcome::StaleIomap)
}

/// The outcomes that fired before step `before` (every one for `None`).
pub fn outcomes(w: &World, before: Option<usize>) -> Vec<OutcomeView> {
    let h = w.hist.as_ref().expect("a view of outcomes needs history");
    let limit = before.unwrap_or(usize::MAX);
    h.outcomes
        .iter()
        .filter(|o| o.step < limit)
        .map(|o| OutcomeView {
            outcome: o.outcome,
            name: o.outcome.name(),
            step: o.step,
            why: o.why.clone(),
            meaning: o.outcome.meaning(),
            major: !informational(o.outcome),
            cycle: (o.outcome == Outcome::Deadlock)
                .then_some(h.deadlock.as_ref())
                .flatten()
                .map(|c| CycleView {
                    waits: c.iter().map(|x| WaitView::of(w, x)).collect(),
                    text: w.describe_cycle(c),
                }),
        })
        .collect()
}

/// A run's totals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CountersView {
    pub cpu_bytes: u64,
    pub device_ios: u64,
    pub dio_fallbacks: u64,
    /// Steps actors spent waiting, all locks and wait kinds together.
    pub wait_steps: u64,
}

pub fn counters(w: &World) -> CountersView {
    let c = &w.hist.as_ref().expect("counters need history").counters;
    CountersView {
        cpu_bytes: c.cpu_bytes,
        device_ios: c.device_ios,
        dio_fallbacks: c.dio_fallbacks,
        wait_steps: c.lock_waits.values().sum(),
    }
}

// ---- who goes next ----

/// An actor that can take the next step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Runnable {
    #[serde(skip)]
    pub actor: Actor,
    pub name: String,
    /// Its position among the runnable actors, from 1 (the keyboard key).
    pub key: usize,
    /// What it would do, when the name does not say (`page 0` for a bio).
    pub what: String,
    /// The recorded run has it go next.
    pub recorded: bool,
}

/// What a lane shows in a "who goes next?" row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum NextView {
    Go(Vec<Runnable>),
    /// Blocked: `B waits for i_rwsem (shared) (held by A)`.
    Waits(String),
    /// A task with no op left.
    Done,
    Idle,
}

/// Per lane of `w`'s scenario: who can go next, who waits and for what,
/// which tasks are done. `recorded`: the actor the recorded run has go
/// next, if any.
pub fn next(w: &World, recorded: Option<Actor>) -> Vec<NextView> {
    let sc = &w.st.scenario;
    let mut out = vec![NextView::Idle; lanes(sc).len()];
    for (k, a) in w.enabled().iter().enumerate() {
        let what = match a {
            Actor::Dev(i) => {
                w.s.dev
                    .inflight()
                    .get(i as usize)
                    .map(|b| format!("page {}", b.page))
                    .unwrap_or_default()
            }
            _ => String::new(),
        };
        let item = Runnable {
            actor: a,
            name: w.actor_name(a),
            key: k + 1,
            what,
            recorded: recorded == Some(a),
        };
        match &mut out[lane_of(sc, a)] {
            NextView::Go(v) => v.push(item),
            slot => *slot = NextView::Go(vec![item]),
        }
    }
    for x in w.waits() {
        let slot = &mut out[lane_of(sc, x.actor)];
        if *slot == NextView::Idle {
            let v = WaitView::of(w, &x);
            *slot = NextView::Waits(format!("{} waits for {}", v.actor, v.need_text()));
        }
    }
    for (t, slot) in out.iter_mut().enumerate().take(sc.tasks.len()) {
        if *slot == NextView::Idle && w.s.tasks[t].op as usize >= sc.tasks[t].ops.len() {
            *slot = NextView::Done;
        }
    }
    out
}

// ---- words ----

/// An errno by its (positive) number, as the kernel's name: `-EIO`;
/// `0` for none.
pub fn errno_name(code: u8) -> String {
    const ALL: [Errno; 6] = [
        Errno::EIO,
        Errno::EBUSY,
        Errno::ENOTBLK,
        Errno::EOPNOTSUPP,
        Errno::EFAULT,
        Errno::SIGBUS,
    ];
    if code == 0 {
        return "0".into();
    }
    ALL.iter()
        .find(|e| e.code() == code)
        .map_or_else(|| format!("-{code}"), |e| e.to_string())
}

/// The preset to compare `preset` with by default: the next kernel
/// release after it in the preset table (a proposal is compared with the
/// release after the one it was made against), else any other preset.
pub fn next_release(preset: &str) -> &'static str {
    let all = crate::policy::PRESETS;
    let pos = all.iter().position(|p| p.name == preset).unwrap_or(0);
    all.iter()
        .skip(pos + 1)
        .find(|p| !p.proposal)
        .or_else(|| all.iter().find(|p| p.name != preset))
        .map_or(all[0].name, |p| p.name)
}

/// A short key that tells one link's payload from another's (not a
/// defence: FNV-1a, the trace digest's hash).
pub fn link_key(payload: &str) -> String {
    crate::report::digest(payload).to_string()
}

/// The same run from the command line: `dioscope run FILE --preset P
/// [--set k=v]... --schedule "..."`.
pub fn command_line(file: &str, preset: &str, set: &[(&str, &str)], schedule: &str) -> String {
    let mut line = format!("dioscope run {file} --preset {preset}");
    for (k, v) in set {
        line.push_str(&format!(" --set {k}={v}"));
    }
    line.push_str(&format!(" --schedule \"{schedule}\""));
    line
}

#[cfg(test)]
mod tests;
