//! Mean-value analysis of a closed queueing network (Reiser and
//! Lavenberg, 1980): N identical threads, each doing one op after another
//! with no think time between them, and per op a demand at each station.
//! It answers "what would the throughput and the mean latency be with
//! 1000 threads?" from demands measured with one, which the simulator
//! cannot run (a scenario has at most `limits::MAX_TASKS` tasks).
//!
//! A station is a queue with one server (a lock held exclusive), or with
//! `c` servers (CPUs, a device's parallel channels), which Seidmann's
//! approximation (1977) replaces by a one-server queue of demand `D/c`
//! followed by a pure delay of `D(c-1)/c`. What no station holds (wake-ups,
//! the part of an I/O that overlaps others) is a delay: time that grows
//! with nobody's load.
//!
//! The exact recursion, for n = 1..N, with Q_k(0) = 0:
//! R_k(n) = D_k (1 + Q_k(n-1)) at a queue, D_k at a delay;
//! X(n) = n / sum R_k(n); Q_k(n) = X(n) R_k(n).
//!
//! One addition for sleeping locks: a waiter that gets the lock must first
//! be woken, and the lock stands idle meanwhile, so each waiter ahead
//! costs its hold time plus that handoff `h_k`:
//! R_k(n) = D_k + (D_k + h_k) Q_k(n-1). One thread never waits, so the
//! one-thread figures are unchanged; many threads are bound by
//! 1 / (D_k + h_k) instead of 1 / D_k.
//!
//! What it cannot say: percentiles (only means), and anything that a
//! thread count changes in the path itself (more cached pages, other
//! fallbacks): those the simulated points show, and the fit between the
//! two says how far the model is from them.

/// A station: its demand per op and how many servers it has.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Station {
    /// What it is, for displays: `CPU`, `i_rwsem (exclusive)`, `device`.
    pub name: String,
    /// Nanoseconds of service per op.
    pub demand_ns: f64,
    /// Servers (1 for a lock held exclusive).
    pub servers: usize,
    /// A lock's handoff: nanoseconds per op that each waiter ahead adds
    /// to its hold time, the wake-up of the next owner while the lock
    /// stands idle (a convoy); 0 for CPUs and devices.
    pub handoff_ns: f64,
}

/// The network's mean throughput and latency at one thread count.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Mean {
    pub threads: usize,
    /// Ops per second.
    pub ops_per_s: f64,
    /// Mean latency of an op, in nanoseconds.
    pub mean_ns: f64,
}

/// Solves the network for 1..=`max` threads; returns the solutions at the
/// thread counts `at` asks for (sorted, those in 1..=max).
pub fn solve(stations: &[Station], delay_ns: f64, max: usize, at: &[usize]) -> Vec<Mean> {
    // Seidmann: c servers of demand D = a queue of D/c and a delay of the rest
    let mut queues: Vec<(f64, f64)> = Vec::new();
    let mut delay = delay_ns.max(0.0);
    for s in stations {
        let d = s.demand_ns.max(0.0);
        let c = s.servers.max(1) as f64;
        queues.push((d / c, s.handoff_ns.max(0.0)));
        delay += d - d / c;
    }
    let mut want: Vec<usize> = at.iter().copied().filter(|&n| n >= 1 && n <= max).collect();
    want.sort_unstable();
    want.dedup();
    let mut out = Vec::with_capacity(want.len());
    let mut q = vec![0.0f64; queues.len()];
    let mut next = want.iter().peekable();
    for n in 1..=max {
        let r: Vec<f64> = queues
            .iter()
            .zip(&q)
            .map(|((d, h), qk)| d + (d + h) * qk)
            .collect();
        let total = r.iter().sum::<f64>() + delay;
        if total <= 0.0 {
            break;
        }
        let x = n as f64 / total;
        for (qk, rk) in q.iter_mut().zip(&r) {
            *qk = x * rk;
        }
        if next.peek() == Some(&&n) {
            next.next();
            out.push(Mean {
                threads: n,
                ops_per_s: x * 1e9,
                mean_ns: total,
            });
        }
    }
    out
}

/// The busiest station and its capacity in ops per second, which many
/// threads approach (with a lock's handoff, from a hair above: the
/// thread first in line pays none), or `None` when there is no queue.
pub fn saturation(stations: &[Station]) -> Option<(String, f64)> {
    stations
        .iter()
        .filter(|s| s.demand_ns > 0.0)
        .map(|s| {
            let per_server = s.demand_ns / s.servers.max(1) as f64 + s.handoff_ns.max(0.0);
            (s.name.clone(), 1e9 / per_server)
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(name: &str, demand_ns: f64, servers: usize) -> Station {
        Station {
            name: name.into(),
            demand_ns,
            servers,
            handoff_ns: 0.0,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn one_queue_is_saturated_from_the_first_thread() {
        let m = solve(&[st("lock", 1000.0, 1)], 0.0, 8, &[1, 2, 8]);
        assert_eq!(m.len(), 3);
        for p in &m {
            assert!(close(p.ops_per_s, 1e6), "{p:?}");
            assert!(close(p.mean_ns, 1000.0 * p.threads as f64), "{p:?}");
        }
    }

    #[test]
    fn two_balanced_queues_follow_the_textbook_formula() {
        // X(n) = n / (D (n + 1)) for two queues of demand D (Lazowska et
        // al., Quantitative System Performance, ch. 6)
        let d = 500.0;
        let m = solve(&[st("a", d, 1), st("b", d, 1)], 0.0, 10, &[1, 3, 10]);
        for p in &m {
            let n = p.threads as f64;
            assert!(close(p.ops_per_s, 1e9 * n / (d * (n + 1.0))), "{p:?}");
            assert!(close(p.mean_ns, d * (n + 1.0)), "{p:?}");
        }
    }

    #[test]
    fn a_delay_alone_scales_linearly_and_one_thread_sees_the_sum() {
        let m = solve(&[], 2000.0, 1000, &[1, 1000]);
        assert!(close(m[0].ops_per_s, 5e5));
        assert!(close(m[1].ops_per_s, 5e8));
        assert!(close(m[1].mean_ns, 2000.0));
        let m = solve(&[st("cpu", 300.0, 4), st("lock", 200.0, 1)], 500.0, 1, &[1]);
        assert!(close(m[0].mean_ns, 1000.0), "{m:?}");
    }

    #[test]
    fn throughput_rises_to_the_bottleneck_and_never_past_it() {
        let stations = [
            st("cpu", 4000.0, 4),
            st("device", 20_000.0, 32),
            st("lock", 1500.0, 1),
        ];
        let (name, cap) = saturation(&stations).unwrap();
        assert_eq!(name, "lock");
        assert!(close(cap, 1e9 / 1500.0));
        let at: Vec<usize> = (1..=1000).collect();
        let m = solve(&stations, 3000.0, 1000, &at);
        assert_eq!(m.len(), 1000);
        for w in m.windows(2) {
            assert!(w[1].ops_per_s >= w[0].ops_per_s - 1e-6, "{w:?}");
            assert!(w[1].mean_ns >= w[0].mean_ns - 1e-6, "{w:?}");
        }
        let last = m.last().unwrap();
        assert!(last.ops_per_s <= cap * (1.0 + 1e-9));
        assert!(last.ops_per_s > 0.99 * cap, "{last:?}");
        // Little's law: N = X R
        assert!(close(last.ops_per_s * last.mean_ns / 1e9, 1000.0));
    }

    #[test]
    fn many_servers_look_like_a_delay_until_they_fill() {
        // 4 CPUs, 1 us each: 4 threads go at 4 M ops/s (Seidmann's split
        // makes it a little less), 1000 threads at the 4 CPUs' bound
        let m = solve(&[st("cpu", 1000.0, 4)], 0.0, 1000, &[1, 4, 1000]);
        assert!(close(m[0].ops_per_s, 1e6));
        assert!(m[1].ops_per_s > 2.5e6 && m[1].ops_per_s < 4e6, "{m:?}");
        assert!(m[2].ops_per_s > 0.99 * 4e6 && m[2].ops_per_s <= 4e6 + 1e-3);
    }

    #[test]
    fn a_lock_handoff_costs_nothing_alone_and_bounds_a_convoy() {
        let lock = Station {
            handoff_ns: 2000.0,
            ..st("i_rwsem", 1000.0, 1)
        };
        let m = solve(std::slice::from_ref(&lock), 0.0, 1000, &[1, 2, 1000]);
        assert!(close(m[0].mean_ns, 1000.0), "{m:?}");
        // two threads: the second waits for the first's hold and handoff
        // half the time: R = 1000 + 3000 * Q(1), Q(1) = 1
        assert!(close(m[1].mean_ns, 4000.0), "{m:?}");
        let (_, cap) = saturation(&[lock]).unwrap();
        assert!(close(cap, 1e9 / 3000.0));
        // the first in line pays no handoff, so many threads approach the
        // bound from a hair above
        assert!((m[2].ops_per_s / cap - 1.0).abs() < 1e-3, "{m:?} {cap}");
    }

    #[test]
    fn points_out_of_range_are_left_out() {
        let m = solve(&[st("a", 1.0, 1)], 0.0, 4, &[0, 2, 2, 9]);
        assert_eq!(m.iter().map(|p| p.threads).collect::<Vec<_>>(), [2]);
    }
}
