//! Plots of a timed sweep as SVG ([`sweep`]): throughput and mean latency
//! against the number of threads, one line per preset; the simulated
//! points as solid lines with dots (p99 as open squares), the mean-value
//! extrapolation as dashed lines past a marked limit; under the plots the
//! cost assumptions and, per preset, where the time went at the largest
//! simulated point (the mechanism: CPU, copies, locks, the device).
//!
//! Hand-written SVG 1.1 with integer coordinates and numbers printed in
//! integer arithmetic (float printing would grow the web app's wasm);
//! every text from a scenario is escaped to XML-safe characters.

use crate::sweep::{Point, Series, Sweep};

/// Okabe–Ito colours (colour-blind safe), one per preset.
const COLOURS: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000",
];

const W: i64 = 1000;
const PLOT_W: i64 = 400;
const PLOT_H: i64 = 280;
const LEFT1: i64 = 80;
const LEFT2: i64 = 580;
const TOP: i64 = 120;
/// Width of a character at 12 px, in tenths of a pixel (for wrapping).
const CHAR_W10: i64 = 66;

// XML escaping is svg.rs's: the same rules for every SVG the core makes.
use crate::svg::esc;

/// `v` rounded to `digits` significant-ish decimals, in integer
/// arithmetic: `12.5`, `3`, `0.25`.
fn dec(v: f64, decimals: u32) -> String {
    let scale = 10u64.pow(decimals);
    let n = (v.max(0.0) * scale as f64).round() as u64;
    let (int, frac) = (n / scale, n % scale);
    if frac == 0 {
        return int.to_string();
    }
    let mut f = format!("{frac:0w$}", w = decimals as usize);
    while f.ends_with('0') {
        f.pop();
    }
    format!("{int}.{f}")
}

/// A rate with a unit prefix: `950`, `12k`, `1.2M`.
pub fn rate(v: f64) -> String {
    if v >= 1e9 {
        format!("{}G", dec(v / 1e9, if v >= 1e10 { 0 } else { 1 }))
    } else if v >= 1e6 {
        format!("{}M", dec(v / 1e6, if v >= 1e7 { 0 } else { 1 }))
    } else if v >= 1e3 {
        format!("{}k", dec(v / 1e3, if v >= 1e4 { 0 } else { 1 }))
    } else {
        dec(v, 0)
    }
}

/// Nanoseconds as a duration: `850 ns`, `12 us`, `1.5 ms`, `2 s`.
pub fn duration(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{} s", dec(ns / 1e9, if ns >= 1e10 { 0 } else { 1 }))
    } else if ns >= 1e6 {
        format!("{} ms", dec(ns / 1e6, if ns >= 1e7 { 0 } else { 1 }))
    } else if ns >= 1e3 {
        format!("{} us", dec(ns / 1e3, if ns >= 1e4 { 0 } else { 1 }))
    } else {
        format!("{} ns", dec(ns, 0))
    }
}

/// The smallest of 1, 2, 5 × 10^k that is at least `v`.
fn nice(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powi(v.log10().floor() as i32);
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * p >= v * (1.0 - 1e-9) {
            return m * p;
        }
    }
    10.0 * p
}

/// An axis: value → pixel offset from the axis' start (0..len).
#[derive(Clone, Copy)]
enum Scale {
    Linear { max: f64 },
    Log { lo: f64, hi: f64 },
}

impl Scale {
    fn at(self, v: f64, len: i64) -> i64 {
        let f = match self {
            Scale::Linear { max } => v / max,
            Scale::Log { lo, hi } => (v.max(lo).log10() - lo.log10()) / (hi.log10() - lo.log10()),
        };
        (f.clamp(0.0, 1.0) * len as f64).round() as i64
    }

    /// Tick values.
    fn ticks(self) -> Vec<f64> {
        match self {
            Scale::Linear { max } => {
                let step = max / 5.0;
                (0..=5).map(|i| step * i as f64).collect()
            }
            Scale::Log { lo, hi } => {
                let mut t = Vec::new();
                let mut v = lo;
                while v <= hi * (1.0 + 1e-9) {
                    t.push(v);
                    v *= 10.0;
                }
                t
            }
        }
    }
}

/// The thread axis: log scale from 1 to the largest count.
fn x_scale(max: usize) -> Scale {
    Scale::Log {
        lo: 1.0,
        hi: (max.max(2)) as f64,
    }
}

fn is_power_of_ten(mut n: usize) -> bool {
    while n >= 10 && n.is_multiple_of(10) {
        n /= 10;
    }
    n == 1
}

/// The thread counts marked on the axis: the simulated ones, the powers
/// of ten and the end, leaving out any that would crowd its neighbours.
fn x_ticks(s: &Sweep, max: usize) -> Vec<usize> {
    let mut t: Vec<usize> = s
        .series
        .iter()
        .flat_map(|ser| ser.points.iter().map(|p| p.threads))
        .collect();
    t.push(1);
    let mut v = 10;
    while v <= max {
        t.push(v);
        v *= 10;
    }
    t.push(max);
    t.sort_unstable();
    t.dedup();
    let x = x_scale(max);
    let mut out: Vec<usize> = Vec::new();
    for n in t {
        // when two crowd each other, keep the later one unless the earlier
        // is a power of ten and the later is not the end
        match out.last() {
            Some(&prev) if x.at(n as f64, PLOT_W) - x.at(prev as f64, PLOT_W) < 18 => {
                if n == max || !is_power_of_ten(prev) {
                    out.pop();
                    out.push(n);
                }
            }
            _ => out.push(n),
        }
    }
    out
}

/// A latency axis: log when the values span more than 20x.
fn y_latency(lo: f64, hi: f64) -> Scale {
    if lo > 0.0 && hi / lo > 20.0 {
        Scale::Log {
            lo: 10f64.powi(lo.log10().floor() as i32),
            hi: 10f64.powi(hi.log10().ceil() as i32),
        }
    } else {
        Scale::Linear { max: nice(hi) }
    }
}

/// What one panel plots.
struct Panel<'a> {
    left: i64,
    title: &'a str,
    x: Scale,
    y: Scale,
    label: fn(f64) -> String,
}

impl Panel<'_> {
    fn px(&self, threads: usize) -> i64 {
        self.left + self.x.at(threads as f64, PLOT_W)
    }
    fn py(&self, v: f64) -> i64 {
        TOP + PLOT_H - self.y.at(v, PLOT_H)
    }

    /// The frame, grid, ticks and labels.
    fn axes(&self, xt: &[usize]) -> String {
        let (l, t, r, b) = (self.left, TOP, self.left + PLOT_W, TOP + PLOT_H);
        let mut o = format!(
            "<text x=\"{l}\" y=\"{}\" font-size=\"14\" font-weight=\"bold\">{}</text>\n",
            t - 12,
            esc(self.title)
        );
        for v in self.y.ticks() {
            let y = self.py(v);
            o += &format!(
                "<line x1=\"{l}\" y1=\"{y}\" x2=\"{r}\" y2=\"{y}\" stroke=\"#e4e4e4\"/>\n<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>\n",
                l - 6,
                y + 4,
                esc(&(self.label)(v))
            );
        }
        for &n in xt {
            let x = self.px(n);
            o += &format!(
                "<line x1=\"{x}\" y1=\"{t}\" x2=\"{x}\" y2=\"{b}\" stroke=\"#e4e4e4\"/>\n<text x=\"{x}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{n}</text>\n",
                b + 16
            );
        }
        o += &format!(
            "<rect x=\"{l}\" y=\"{t}\" width=\"{PLOT_W}\" height=\"{PLOT_H}\" fill=\"none\" stroke=\"#444\"/>\n<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">threads (copies of the template tasks)</text>\n",
            l + PLOT_W / 2,
            b + 34
        );
        o
    }

    fn line(&self, pts: &[(usize, f64)], colour: &str, dashed: bool) -> String {
        if pts.is_empty() {
            return String::new();
        }
        let coords: Vec<String> = pts
            .iter()
            .map(|&(n, v)| format!("{},{}", self.px(n), self.py(v)))
            .collect();
        format!(
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"{}\"{}/>\n",
            coords.join(" "),
            if dashed { "1.5" } else { "2" },
            if dashed {
                " stroke-dasharray=\"6 4\""
            } else {
                ""
            }
        )
    }

    fn dots(&self, pts: &[(usize, f64)], colour: &str, square: bool) -> String {
        let mut o = String::new();
        for &(n, v) in pts {
            let (x, y) = (self.px(n), self.py(v));
            if square {
                o += &format!(
                    "<rect x=\"{}\" y=\"{}\" width=\"7\" height=\"7\" fill=\"white\" stroke=\"{colour}\"/>\n",
                    x - 3,
                    y - 3
                );
            } else {
                o += &format!("<circle cx=\"{x}\" cy=\"{y}\" r=\"3.5\" fill=\"{colour}\"/>\n");
            }
        }
        o
    }
}

/// Greedy word wrap at `width` characters.
fn wrap(s: &str, width: usize) -> Vec<String> {
    crate::diagram::wrap(s, width)
}

/// Where the time of a point went, in one line.
fn mechanism(p: &Point, cpu_device: bool) -> String {
    let copied = (p.copied_bytes_per_op + p.driver_copied_bytes_per_op) / 1024.0;
    let mut parts = vec![
        format!("CPU {}/op", duration(p.cpu_ns_per_op)),
        format!("copied {} KiB/op", dec(copied, 1)),
    ];
    if p.device_ns_per_op > 0.0 {
        parts.push(if cpu_device {
            format!(
                "of which the driver's copies {}/op",
                duration(p.device_ns_per_op)
            )
        } else {
            format!("device service {}/op", duration(p.device_ns_per_op))
        });
    }
    if p.device_queue_ns_per_bio >= 1.0 {
        parts.push(format!(
            "a bio waited {} for the device",
            duration(p.device_queue_ns_per_bio)
        ));
    }
    let waits: Vec<String> = p
        .waits
        .iter()
        .filter(|w| w.ns >= 50.0)
        .take(4)
        .map(|w| format!("{} {}", w.name, duration(w.ns)))
        .collect();
    if !waits.is_empty() {
        parts.push(format!("waited for {}", waits.join(", ")));
    }
    let held: Vec<String> = p
        .held
        .iter()
        .map(|w| format!("{} {}", w.name, duration(w.ns)))
        .collect();
    if !held.is_empty() {
        parts.push(format!("held exclusive: {}", held.join(", ")));
    }
    if p.failed > 0 {
        parts.push(format!("{} ops failed", p.failed));
    }
    parts.join("; ")
}

/// The sweep as an SVG document.
pub fn sweep(s: &Sweep) -> String {
    let (left, right, xt) = panels(s);
    let mut body = String::new();
    heading(s, &mut body);
    body += &left.axes(&xt);
    body += &right.axes(&xt);
    if let Some(to) = s.extrapolated_to {
        for p in [&left, &right] {
            let lx = p.px(s.limit);
            body += &format!(
                "<line x1=\"{lx}\" y1=\"{TOP}\" x2=\"{lx}\" y2=\"{}\" stroke=\"#888\" stroke-dasharray=\"2 3\"/>\n<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"#555\">simulated up to {} | extrapolated to {to}</text>\n",
                TOP + PLOT_H,
                lx + 4,
                TOP + 14,
                s.limit
            );
        }
    }
    for (i, ser) in s.series.iter().enumerate() {
        series(ser, COLOURS[i % COLOURS.len()], &left, &right, &mut body);
    }
    let y = legend(s, &mut body);
    let y = key(s, y + 20, &mut body);
    let y = mechanisms(s, y + 6, &mut body);
    let h = y + 10;
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{h}\" viewBox=\"0 0 {W} {h}\" font-family=\"sans-serif\">\n<rect width=\"{W}\" height=\"{h}\" fill=\"white\"/>\n{body}</svg>\n"
    )
}

/// The throughput and latency panels, scaled to hold every simulated and
/// extrapolated value, and the thread counts marked on both.
fn panels(s: &Sweep) -> (Panel<'static>, Panel<'static>, Vec<usize>) {
    let simulated_max = s
        .series
        .iter()
        .flat_map(|ser| ser.points.iter().map(|p| p.threads))
        .max()
        .unwrap_or(1);
    let xmax = simulated_max.max(s.extrapolated_to.unwrap_or(0)).max(2);
    let x = x_scale(xmax);
    let xt = x_ticks(s, xmax);
    let mut tput = 0.0f64;
    let (mut lat_lo, mut lat_hi) = (f64::MAX, 0.0f64);
    for ser in &s.series {
        for p in &ser.points {
            tput = tput.max(p.ops_per_s);
            for v in [p.mean_ns, p.p99_ns as f64] {
                if v > 0.0 {
                    lat_lo = lat_lo.min(v);
                    lat_hi = lat_hi.max(v);
                }
            }
        }
        if let Some(m) = &ser.model {
            for p in &m.curve {
                tput = tput.max(p.ops_per_s);
                if p.mean_ns > 0.0 {
                    lat_lo = lat_lo.min(p.mean_ns);
                    lat_hi = lat_hi.max(p.mean_ns);
                }
            }
        }
    }
    if lat_hi == 0.0 {
        (lat_lo, lat_hi) = (1.0, 1.0);
    }
    let left = Panel {
        left: LEFT1,
        title: "Throughput (ops/s, higher is better)",
        x,
        y: Scale::Linear { max: nice(tput) },
        label: rate,
    };
    let right = Panel {
        left: LEFT2,
        title: "Mean latency (p99: squares; lower is better)",
        x,
        y: y_latency(lat_lo, lat_hi),
        label: duration,
    };
    (left, right, xt)
}

/// The scenario's name and, under it, what each thread runs.
fn heading(s: &Sweep, body: &mut String) {
    *body += &format!(
        "<text x=\"20\" y=\"32\" font-size=\"20\" font-weight=\"bold\">{}</text>\n",
        esc(&s.scenario)
    );
    let tpl: Vec<String> = s
        .templates
        .iter()
        .map(|(n, ops)| format!("{n}: {}", ops.join(", ")))
        .collect();
    let mut sub = format!(
        "{} on {}; each thread runs {}",
        s.fs,
        s.costs.device.name,
        tpl.join("; ")
    );
    if !s.others.is_empty() {
        sub += &format!("; once per run: {}", s.others.join(", "));
    }
    let mut y = 54;
    for l in wrap(&sub, ((W - 40) * 10 / CHAR_W10) as usize) {
        *body += &format!(
            "<text x=\"20\" y=\"{y}\" font-size=\"12\">{}</text>\n",
            esc(&l)
        );
        y += 16;
    }
}

/// One preset's lines and dots in both panels; the dashed extrapolation
/// goes first so the simulated points are drawn over it.
fn series(ser: &Series, c: &str, left: &Panel, right: &Panel, body: &mut String) {
    let tp: Vec<(usize, f64)> = ser
        .points
        .iter()
        .map(|p| (p.threads, p.ops_per_s))
        .collect();
    let mean: Vec<(usize, f64)> = ser.points.iter().map(|p| (p.threads, p.mean_ns)).collect();
    let p99: Vec<(usize, f64)> = ser
        .points
        .iter()
        .map(|p| (p.threads, p.p99_ns as f64))
        .collect();
    if let Some(m) = &ser.model {
        let mt: Vec<(usize, f64)> = m.curve.iter().map(|p| (p.threads, p.ops_per_s)).collect();
        let ml: Vec<(usize, f64)> = m.curve.iter().map(|p| (p.threads, p.mean_ns)).collect();
        *body += &left.line(&mt, c, true);
        *body += &right.line(&ml, c, true);
    }
    *body += &left.line(&tp, c, false);
    *body += &left.dots(&tp, c, false);
    *body += &right.line(&mean, c, false);
    *body += &right.dots(&mean, c, false);
    *body += &right.dots(&p99, c, true);
}

/// The presets' colours under the panels; returns the baseline of its
/// last row.
fn legend(s: &Sweep, body: &mut String) -> i64 {
    let mut y = TOP + PLOT_H + 62;
    let mut lx = LEFT1;
    for (i, ser) in s.series.iter().enumerate() {
        let c = COLOURS[i % COLOURS.len()];
        let label = esc(&ser.preset);
        *body += &format!(
            "<line x1=\"{lx}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{c}\" stroke-width=\"3\"/>\n<text x=\"{}\" y=\"{y}\" font-size=\"13\">{label}</text>\n",
            y - 4,
            lx + 24,
            y - 4,
            lx + 30
        );
        lx += 50 + ser.preset.chars().count() as i64 * 8;
        if lx > W - 200 {
            lx = LEFT1;
            y += 18;
        }
    }
    y
}

/// From `y` on: what is simulated and what extrapolated, then the cost
/// assumptions, so nobody reads a dashed line as a measurement; returns
/// the next free line.
fn key(s: &Sweep, mut y: i64, body: &mut String) -> i64 {
    let key = match s.extrapolated_to {
        Some(_) => format!(
            "Solid lines and dots: simulated on the timed scheduler, at most {} threads ({}). Dashed: EXTRAPOLATED by mean-value analysis of a closed system from the 1-thread run's demands per op (CPUs, device, each lock held exclusive){}.",
            s.limit,
            s.limit_why,
            if s.series.iter().any(|x| x.model.as_ref().is_some_and(|m| m.handoff.is_some())) {
                ", with the locks' handoff (wake-ups while a lock stands idle) fitted at the largest simulated point"
            } else {
                ""
            }
        ),
        None => format!(
            "Simulated on the timed scheduler. At most {} threads can be simulated ({}); not extrapolated.",
            s.limit, s.limit_why
        ),
    };
    let chars = ((W - 40) * 10 / CHAR_W10) as usize;
    for l in wrap(&key, chars) {
        *body += &format!(
            "<text x=\"20\" y=\"{y}\" font-size=\"12\">{}</text>\n",
            esc(&l)
        );
        y += 16;
    }
    y += 6;
    for l in wrap(&format!("Assumed {}", s.assumptions), chars) {
        *body += &format!(
            "<text x=\"20\" y=\"{y}\" font-size=\"12\" fill=\"#333\">{}</text>\n",
            esc(&l)
        );
        y += 16;
    }
    y
}

/// From `y` on, per preset in its colour: where the time went at its
/// largest simulated point and what bounds its extrapolation; returns the
/// next free line.
fn mechanisms(s: &Sweep, mut y: i64, body: &mut String) -> i64 {
    let chars = ((W - 40) * 10 / CHAR_W10) as usize;
    for (i, ser) in s.series.iter().enumerate() {
        let Some(p) = ser.points.last() else {
            continue;
        };
        let c = COLOURS[i % COLOURS.len()];
        let text = format!(
            "{} at {} thread{}: {}",
            ser.preset,
            p.threads,
            if p.threads == 1 { "" } else { "s" },
            mechanism(p, s.costs.device.service == crate::timed::Service::Cpu)
        );
        for (k, l) in wrap(&text, chars).into_iter().enumerate() {
            let fill = if k == 0 { c } else { "#333" };
            *body += &format!(
                "<text x=\"20\" y=\"{y}\" font-size=\"12\" fill=\"{fill}\">{}</text>\n",
                esc(&l)
            );
            y += 16;
        }
        if let Some(m) = &ser.model {
            if let Some((b, cap)) = &m.bottleneck {
                let text = format!("  extrapolated: bound by {b} at {} ops/s", rate(*cap));
                *body += &format!(
                    "<text x=\"20\" y=\"{y}\" font-size=\"12\" fill=\"#333\">{}</text>\n",
                    esc(&text)
                );
                y += 16;
            }
        }
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_printed_without_floats() {
        assert_eq!(rate(950.4), "950");
        assert_eq!(rate(12_345.0), "12k");
        assert_eq!(rate(1_250.0), "1.3k");
        assert_eq!(rate(2_000_000.0), "2M");
        assert_eq!(duration(850.0), "850 ns");
        assert_eq!(duration(2_500.0), "2.5 us");
        assert_eq!(duration(12_500.0), "13 us");
        assert_eq!(duration(1_500_000.0), "1.5 ms");
        assert_eq!(dec(0.25, 2), "0.25");
        assert_eq!(nice(0.0), 1.0);
        assert_eq!(nice(3.2e5), 5e5);
        assert_eq!(nice(1e6), 1e6);
        assert!(is_power_of_ten(1) && is_power_of_ten(1000));
        assert!(!is_power_of_ten(11) && !is_power_of_ten(20) && !is_power_of_ten(0));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("a<b & \"c\"\u{1b}"),
            "a&lt;b &amp; &quot;c&quot;\u{FFFD}"
        );
    }
}
