//! Symmetry reduction: tasks with identical op lists are interchangeable
//! (the model treats every task alike; only its ops and its index differ),
//! so the explorer keeps one state per class of states equal up to a
//! renaming of such tasks ([`crate::perm`]): N identical writers cost
//! about 1/N! of the states.
//!
//! The representative: members of each class are sorted by a signature
//! that does not depend on their names (their own data, the locks, bios,
//! pages and oracle entries that name them, with versions and holders
//! written relative to the member). Members with equal signatures are
//! usually exchangeable (swapping them gives the same state); when not,
//! the orders among them are tried and the least fingerprint wins. Any
//! renaming is sound (it is a real symmetry); a unique representative only
//! makes the reduction maximal.
//!
//! A task's `res` is a hash of what its syscalls returned, including the
//! versions reads returned; it cannot be renamed. So a class whose ops
//! write versions is symmetric only if no op of the scenario reads.

use std::hash::{Hash, Hasher};

use super::fp::{self, Fp128};
#[cfg(not(target_arch = "wasm32"))]
use super::store;
use crate::extents::Ext;
use crate::perm::Perm;
use crate::version::{Data, Version, FRAGS};
use crate::world::{State, Static, MAX_PAGES, MAX_TASKS};

/// Orders tried among members with equal signatures, at most.
const MAX_TRIES: usize = 720;

#[derive(Clone, Debug, Default)]
pub(crate) struct Symmetry {
    /// Classes of interchangeable tasks (two or more each), by index.
    pub classes: Vec<Vec<u8>>,
    /// Per task, per op: its version (from `Static::op_ver`).
    op_ver: Vec<Vec<Option<Version>>>,
    /// Per version: (writer, op), if a task writes it.
    writer: Vec<Option<(u8, u8)>>,
    /// Per task: its class, if any.
    class_of: [Option<u8>; MAX_TASKS],
    ntasks: usize,
    /// The pages, device blocks and versions of the scenario: the entries
    /// past them stay at their defaults ([`Symmetry::tail_is_default`]),
    /// which name no task, so the signatures skip them.
    pages: usize,
    blocks: usize,
    versions: usize,
}

impl Symmetry {
    pub fn new(st: &Static, on: bool) -> Symmetry {
        let tasks = &st.scenario.tasks;
        let mut sym = Symmetry {
            op_ver: st.op_ver.clone(),
            writer: vec![None; crate::perm::MAX_VERSIONS],
            ntasks: tasks.len(),
            pages: usize::from(st.pages),
            blocks: usize::from(st.nblocks),
            versions: st.versions.len(),
            ..Symmetry::default()
        };
        for (t, vs) in st.op_ver.iter().enumerate() {
            for (o, v) in vs.iter().enumerate() {
                if let Some(v) = v {
                    sym.writer[v.0 as usize] = Some((t as u8, o as u8));
                }
            }
        }
        if !on {
            return sym;
        }
        let reads = tasks.iter().any(|t| t.ops.iter().any(|o| o.is_read()));
        let mut taken = [false; MAX_TASKS];
        for i in 0..tasks.len() {
            if taken[i] {
                continue;
            }
            let class: Vec<u8> = (i..tasks.len())
                .filter(|&j| !taken[j] && tasks[j].ops == tasks[i].ops)
                .map(|j| j as u8)
                .collect();
            let writes = tasks[i].ops.iter().any(|o| o.writes_data());
            if class.len() >= 2 && !(writes && reads) {
                for &j in &class {
                    taken[j as usize] = true;
                    sym.class_of[j as usize] = Some(sym.classes.len() as u8);
                }
                sym.classes.push(class);
            }
        }
        sym
    }

    /// The renaming that puts, for each class, member `arr[c][j]` into
    /// the class's `j`-th slot.
    fn perm_of<A: AsRef<[u8]>>(&self, arr: &[A]) -> Perm {
        let mut p = Perm::identity();
        for (class, order) in self.classes.iter().zip(arr) {
            for (&slot, &old) in class.iter().zip(order.as_ref()) {
                p.task[old as usize] = slot;
                for (o, v) in self.op_ver[old as usize].iter().enumerate() {
                    if let (Some(v), Some(to)) = (v, self.op_ver[slot as usize][o]) {
                        p.ver[v.0 as usize] = to.0;
                    }
                }
            }
        }
        p
    }

    /// How member `me` sees version `v`: its own, another member's of its
    /// class, a member's of another class (by op), or any other version.
    fn rel_ver(&self, me: u8, v: Version) -> u32 {
        match self.writer.get(v.0 as usize).copied().flatten() {
            Some((t, o)) if t == me => 0x1000 | u32::from(o),
            Some((t, o)) => match self.class_of[t as usize] {
                Some(c) if Some(c) == self.class_of[me as usize] => 0x2000 | u32::from(o),
                Some(c) => 0x3000 | u32::from(c) << 8 | u32::from(o),
                None => u32::from(v.0),
            },
            None => u32::from(v.0),
        }
    }

    fn rel_set(&self, me: u8, s: u32) -> u64 {
        // order-free: a sum of mixed elements
        let mut acc = 0u64;
        let mut rest = s;
        while rest != 0 {
            let v = rest.trailing_zeros() as u8;
            rest &= rest - 1;
            acc = acc.wrapping_add(mix(u64::from(self.rel_ver(me, Version(v)))));
        }
        acc
    }

    /// A signature per class member that a renaming does not change: its
    /// own data, and every place that names it or holds one of its
    /// versions (what is the same for every member is left out). Order-free
    /// sums, so one pass over the state serves every member; kept per part
    /// of the state ([`Sigs`]), so that a child of `parent` recomputes only
    /// the parts its step changed.
    #[cfg(not(target_arch = "wasm32"))]
    fn signatures(&self, s: &State, parent: Option<(&Sigs, u32)>) -> [u64; MAX_TASKS] {
        let sigs = self.sigs_from(s, parent);
        let mut acc = sigs.task;
        for part in &sigs.parts {
            for (a, x) in acc.iter_mut().zip(part) {
                *a = a.wrapping_add(*x);
            }
        }
        acc
    }

    /// In the browser, in one pass (smaller code; no reuse).
    #[cfg(target_arch = "wasm32")]
    fn signatures(&self, s: &State, _: Option<(&Sigs, u32)>) -> [u64; MAX_TASKS] {
        let mut acc = Acc {
            sym: self,
            acc: [0; MAX_TASKS],
        };
        for &m in self.classes.iter().flatten() {
            acc.acc[m as usize] = self.task_term(s, m);
        }
        acc.locks(s);
        acc.cache(s);
        acc.ext(s);
        acc.dev(s);
        acc.oracle(s);
        acc.acc
    }

    /// The signatures' terms of a state, per part, for its children
    /// ([`Symmetry::canon_child`]).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn sigs(&self, s: &State) -> Sigs {
        if self.classes.is_empty() {
            return Sigs::default();
        }
        self.sigs_from(s, None)
    }

    /// In the browser, none ([`Symmetry::signatures`] does not reuse).
    #[cfg(target_arch = "wasm32")]
    pub fn sigs(&self, _: &State) -> Sigs {
        Sigs::default()
    }

    /// `parent`: the parent's terms, and which parts of `s` are the
    /// parent's ([`store::same_parts`]).
    #[cfg(not(target_arch = "wasm32"))]
    fn sigs_from(&self, s: &State, parent: Option<(&Sigs, u32)>) -> Sigs {
        let (mut out, same) = match parent {
            Some((pg, same)) => (*pg, same),
            None => (Sigs::default(), 0),
        };
        for class in &self.classes {
            for &m in class {
                let m = m as usize;
                if same & 1 << (store::FIXED + m) == 0 {
                    out.task[m] = self.task_term(s, m as u8);
                }
            }
        }
        for k in 0..store::FIXED {
            if same & 1 << k == 0 {
                out.parts[k] = {
                    let mut acc = Acc {
                        sym: self,
                        acc: [0; MAX_TASKS],
                    };
                    match k {
                        0 => acc.locks(s),
                        1 => acc.cache(s),
                        2 => acc.ext(s),
                        3 => acc.dev(s),
                        _ => acc.oracle(s),
                    }
                    acc.acc
                };
            }
        }
        out
    }

    /// Member `m`'s own data, as its signature term.
    fn task_term(&self, s: &State, m: u8) -> u64 {
        let mut task = s.tasks[m as usize];
        let began = task.began;
        task.began = 0;
        let mut h = Fp128::default();
        // rsum hashes the versions read: a class is only symmetric
        // when no op of the scenario reads (Symmetry::new)
        task.hash(&mut h);
        h.write_u64(self.rel_set(m, began));
        mix(h.get() as u64)
    }

    fn member(&self, t: u8) -> bool {
        (t as usize) < MAX_TASKS && self.class_of[t as usize].is_some()
    }

    /// The version's writer and op, if a class member writes it.
    fn own(&self, v: Version) -> Option<(u8, u64)> {
        let (t, o) = self.writer.get(v.0 as usize).copied().flatten()?;
        self.member(t).then_some((t, u64::from(o)))
    }

    /// Renames `s` into the representative of its class; returns the
    /// renaming applied (old task index → new).
    pub fn canon(&self, s: &mut State) -> Perm {
        let mut tmp = [*s, *s, *s];
        self.canon_child(s, None, &mut tmp)
    }

    /// [`Symmetry::canon`] of `s`, a child of `parent` (not yet renamed),
    /// whose signature terms ([`Symmetry::sigs`]) it reuses where equal.
    /// `tmp`: states of this scenario to work in (a state is 6.5 KB, and
    /// only the parts the scenario uses are copied into these).
    pub fn canon_child(
        &self,
        s: &mut State,
        parent: Option<(&Sigs, u32)>,
        tmp: &mut [State; 3],
    ) -> Perm {
        debug_assert!(
            self.tail_is_default(s),
            "an entry past the scenario's size is in use"
        );
        if self.classes.is_empty() {
            return Perm::identity();
        }
        // sort each class by signature
        let sigs = self.signatures(s, parent);
        let mut arr = [[0u8; MAX_TASKS]; MAX_TASKS];
        let mut ties: Vec<(usize, usize, usize)> = Vec::new(); // (class, from, len)
        for (c, class) in self.classes.iter().enumerate() {
            let n = class.len();
            let mut keyed = [(0u64, 0u8); MAX_TASKS];
            for (k, &m) in class.iter().enumerate() {
                keyed[k] = (sigs[m as usize], m);
            }
            keyed[..n].sort_unstable();
            let mut i = 0;
            while i < n {
                let mut j = i + 1;
                while j < n && keyed[j].0 == keyed[i].0 {
                    j += 1;
                }
                if j - i > 1 {
                    ties.push((c, i, j - i));
                }
                i = j;
            }
            for k in 0..n {
                arr[c][k] = keyed[k].1;
            }
        }
        let arr = &arr[..self.classes.len()];
        let p = self.perm_of(arr);
        if ties.is_empty() {
            if !p.is_identity() {
                s.permute(&p);
            }
            return p;
        }
        let [s0, t, best] = tmp;
        s0.copy_from(s, self.ntasks);
        if !p.is_identity() {
            s.permute(&p);
        }
        if self.exchangeable(s, &ties, t) {
            return p;
        }
        best.copy_from(s, self.ntasks);
        // try the orders among tied members; the least fingerprint wins
        let tries: usize = ties
            .iter()
            .map(|&(_, _, n)| (1..=n).product::<usize>())
            .try_fold(1usize, |a, b| a.checked_mul(b))
            .unwrap_or(usize::MAX);
        if tries > MAX_TRIES {
            return p;
        }
        let mut best_fp = fp::of_state(best, self.ntasks);
        let mut best_p = p;
        let mut cur: Vec<Vec<u8>> = arr
            .iter()
            .zip(&self.classes)
            .map(|(a, c)| a[..c.len()].to_vec())
            .collect();
        let mut counters: Vec<Vec<u8>> = ties
            .iter()
            .map(|&(c, from, n)| arr[c][from..from + n].to_vec())
            .collect();
        for _ in 1..tries {
            // next combination of permutations (odometer over the groups)
            for (g, &(c, from, _)) in ties.iter().enumerate() {
                if next_permutation(&mut counters[g]) {
                    cur[c][from..from + counters[g].len()].copy_from_slice(&counters[g]);
                    break;
                }
                cur[c][from..from + counters[g].len()].copy_from_slice(&counters[g]);
            }
            let q = self.perm_of(&cur);
            t.copy_from(s0, self.ntasks);
            t.permute(&q);
            let f = fp::of_state(t, self.ntasks);
            if f < best_fp {
                best_fp = f;
                best.copy_from(t, self.ntasks);
                best_p = q;
            }
        }
        s.copy_from(best, self.ntasks);
        best_p
    }

    /// Whether the entries past the scenario's pages, blocks and versions
    /// are at their defaults (the signatures rely on it).
    fn tail_is_default(&self, s: &State) -> bool {
        let (p, b, u, v) = (self.pages, self.blocks, self.pages * FRAGS, self.versions);
        s.cache.folios[p..].iter().all(Option::is_none)
            && s.cache.markers[p..].iter().all(|&m| m == 0)
            && s.locks.extent[p..].iter().all(|&e| e == 0)
            && s.dev.media[b..]
                .iter()
                .all(|d| *d == Data::all(Version::INIT))
            && s.dev.vcache[b..].iter().all(Option::is_none)
            && s.ext.map[p..].iter().all(|e| *e == Ext::default())
            && s.ext.disk[p..].iter().all(|e| *e == Ext::default())
            && s.oracle.written[u..].iter().all(|&x| x == 0)
            && s.oracle.sup[u..].iter().all(|&x| x == 0)
            && s.oracle.pred[v..].iter().all(|&x| x == 0)
    }

    /// Whether swapping any two neighbours of each tie leaves `s` as it is
    /// (then every order of the tied members gives the same state).
    fn exchangeable(&self, s: &State, ties: &[(usize, usize, usize)], t: &mut State) -> bool {
        ties.iter().all(|&(c, from, n)| {
            (from..from + n - 1).all(|k| {
                let mut arr = [[0u8; MAX_TASKS]; MAX_TASKS];
                for (a, class) in arr.iter_mut().zip(&self.classes) {
                    a[..class.len()].copy_from_slice(class);
                }
                arr[c].swap(k, k + 1);
                let q = self.perm_of(&arr[..self.classes.len()]);
                t.copy_from(s, self.ntasks);
                t.permute(&q);
                *t == *s
            })
        })
    }

    /// The renamings that map a terminal result onto the others of its
    /// class: every distinct arrangement of the members' results.
    pub fn images(&self, res: &[u64; MAX_TASKS]) -> Vec<Perm> {
        let mut per_class: Vec<Vec<Vec<u8>>> = Vec::new();
        for class in &self.classes {
            // distinct arrangements: permutations of the members, keeping
            // one per distinct sequence of results
            let mut seen = std::collections::BTreeSet::new();
            let mut out = Vec::new();
            let mut order = class.clone();
            loop {
                let key: Vec<u64> = order.iter().map(|&m| res[m as usize]).collect();
                if seen.insert(key) {
                    out.push(order.clone());
                }
                if !next_permutation(&mut order) {
                    break;
                }
            }
            per_class.push(out);
        }
        let mut perms = vec![Vec::<Vec<u8>>::new()];
        for arrs in &per_class {
            let mut next = Vec::new();
            for pre in &perms {
                for a in arrs {
                    let mut v = pre.clone();
                    v.push(a.clone());
                    next.push(v);
                }
            }
            perms = next;
        }
        // an arrangement lists, per slot, the member whose result goes
        // there: member arr[j] is renamed to slot j
        perms.iter().map(|arr| self.perm_of(arr)).collect()
    }
}

/// A state's terms of the signatures: each member's own data, and per
/// part of [`store::Hashes`] (the core: locks and i_dio_count; the page
/// cache, the extent map, the device, the oracle) what names the members.
#[derive(Clone, Copy, Default)]
#[cfg_attr(
    target_arch = "wasm32",
    allow(dead_code, reason = "the browser does not reuse them")
)]
pub(crate) struct Sigs {
    task: [u64; MAX_TASKS],
    parts: [[u64; MAX_TASKS]; 5],
}

/// Sums of terms per member.
struct Acc<'a> {
    sym: &'a Symmetry,
    acc: [u64; MAX_TASKS],
}

impl Acc<'_> {
    fn add(&mut self, t: u8, code: u64) {
        if self.sym.member(t) {
            self.acc[t as usize] = self.acc[t as usize].wrapping_add(mix(code));
        }
    }

    fn own(&self, v: Version) -> Option<(u8, u64)> {
        self.sym.own(v)
    }

    fn locks(&mut self, s: &State) {
        let l = &s.locks;
        for (k, sem) in [&l.i_rwsem, &l.invalidate_lock, &l.dio_rwsem]
            .into_iter()
            .enumerate()
        {
            if sem.writer != 0 {
                self.add(sem.writer - 1, 1 << 40 | k as u64);
            }
            for t in 0..MAX_TASKS as u8 {
                if sem.readers & (1 << t) != 0 {
                    self.add(t, 2 << 40 | k as u64);
                }
            }
        }
        for (t, sem) in l.mmap_lock.iter().enumerate() {
            self.add(
                t as u8,
                3 << 40 | u64::from(sem.writer != 0) << 1 | u64::from(sem.readers != 0),
            );
        }
        for (p, &e) in l.extent[..self.sym.pages].iter().enumerate() {
            if e != 0 {
                self.add(e - 1, 4 << 40 | p as u64);
            }
        }
        for t in 0..MAX_TASKS as u8 {
            if s.dio & (1 << t) != 0 {
                self.add(t, 8 << 40);
            }
        }
    }

    fn cache(&mut self, s: &State) {
        for (p, f) in s.cache.folios[..self.sym.pages].iter().enumerate() {
            let p = p as u64;
            if let Some(f) = f {
                if f.lock != 0 {
                    self.add(f.lock - 1, 5 << 40 | p);
                }
                for (fi, v) in f.ver.0.iter().enumerate() {
                    if let Some((t, o)) = self.own(*v) {
                        self.add(t, 6 << 40 | p << 16 | (fi as u64) << 8 | o);
                    }
                }
            }
            let m = s.cache.markers[p as usize];
            if m != 0 {
                self.add(m - 1, 7 << 40 | p);
            }
        }
    }

    fn dev(&mut self, s: &State) {
        for (k, b) in s.dev.inflight().iter().enumerate() {
            let k = k as u64;
            self.add(b.owner.0, 9 << 40 | k);
            for (fi, v) in b.ver.0.iter().enumerate() {
                if let Some((t, o)) = self.own(*v) {
                    self.add(t, 10 << 40 | k << 16 | (fi as u64) << 8 | o);
                }
            }
        }
        for (blk, d) in s.dev.media[..self.sym.blocks].iter().enumerate() {
            for (fi, v) in d.0.iter().enumerate() {
                if let Some((t, o)) = self.own(*v) {
                    self.add(t, 11 << 40 | (blk as u64) << 16 | (fi as u64) << 8 | o);
                }
            }
        }
        for (blk, d) in s.dev.vcache[..self.sym.blocks].iter().enumerate() {
            for (fi, v) in d.iter().flat_map(|d| d.0).enumerate() {
                if let Some((t, o)) = self.own(v) {
                    self.add(t, 12 << 40 | (blk as u64) << 16 | (fi as u64) << 8 | o);
                }
            }
        }
    }

    fn ext(&mut self, s: &State) {
        for (k, m) in [&s.ext.map, &s.ext.disk].into_iter().enumerate() {
            for (p, e) in m[..self.sym.pages].iter().enumerate() {
                if let Some((t, o)) = e.zeroes().and_then(|v| self.own(v)) {
                    let p = (k * MAX_PAGES + p) as u64;
                    self.add(t, 13 << 40 | p << 8 | o);
                }
            }
        }
    }

    fn oracle(&mut self, s: &State) {
        let o = &s.oracle;
        let units = self.sym.pages * FRAGS;
        let sets = [(14u64, o.returned), (15, o.durable)]
            .into_iter()
            .chain(
                o.written[..units]
                    .iter()
                    .enumerate()
                    .map(|(p, x)| (16 + p as u64, *x)),
            )
            .chain(
                o.sup[..units]
                    .iter()
                    .enumerate()
                    .map(|(p, x)| (48 + p as u64, *x)),
            );
        for (k, set) in sets {
            let mut rest = set;
            while rest != 0 {
                let v = Version(rest.trailing_zeros() as u8);
                rest &= rest - 1;
                if let Some((t, op)) = self.own(v) {
                    self.add(t, k << 40 | op);
                }
            }
        }
        for (u, set) in o.pred[..self.sym.versions].iter().enumerate() {
            let u = Version(u as u8);
            if let Some((t, op)) = self.own(u) {
                self.add(
                    t,
                    80 << 40 | op << 32 ^ self.sym.rel_set(t, *set) & 0xffff_ffff,
                );
            }
            let mut rest = *set;
            while rest != 0 {
                let v = Version(rest.trailing_zeros() as u8);
                rest &= rest - 1;
                if let Some((t, op)) = self.own(v) {
                    self.add(t, 81 << 40 | u64::from(self.sym.rel_ver(t, u)) << 8 | op);
                }
            }
        }
    }
}

fn mix(x: u64) -> u64 {
    let x = (x ^ (x >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    let x = (x ^ (x >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// The next lexicographic permutation; false (and sorted) after the last.
fn next_permutation(a: &mut [u8]) -> bool {
    if a.len() < 2 {
        return false;
    }
    let mut i = a.len() - 1;
    while i > 0 && a[i - 1] >= a[i] {
        i -= 1;
    }
    if i == 0 {
        a.reverse();
        return false;
    }
    let mut j = a.len() - 1;
    while a[j] <= a[i - 1] {
        j -= 1;
    }
    a.swap(i - 1, j);
    a[i..].reverse();
    true
}
