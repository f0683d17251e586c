//! A deterministic, demo-like history: what a Prometheus scraping the three PromLabs demo
//! service instances every 5 s would have stored, with the untidy parts real scrapes have.
//!
//! - Scrape timestamps jitter around a per-instance phase and never fall on a whole second, so
//!   no sample sits exactly on a range or lookback boundary (queries are evaluated on whole
//!   seconds), which is where Prometheus 2.x (left-closed) and 3.x (left-open) differ.
//! - `demo_intermittent_metric` exists only in even minutes and gets a staleness marker at the
//!   first scrape of each odd minute.
//! - Instance `:10002` is down for two scrapes at [`Timeline::restart`] (staleness markers for all
//!   its series) and comes back with its counters reset.
//! - `demo_memory_usage_bytes{type="buffers"}` of `:10001` is NaN during [`Timeline::nan_from`]
//!   .. [`Timeline::nan_to`].
//! - Two series stop at [`Timeline::stop`]: a staleness marker, then nothing.
//!
//! Samples come out in batches of whole scrape rounds, each batch later than the one before, so a
//! receiver without out-of-order ingestion accepts all of them.

use crate::prng::Rng;
use crate::prom::Labels;

/// The scraped targets (job `demo`).
pub const INSTANCES: [&str; 3] = [
    "demo.promlabs.com:10000",
    "demo.promlabs.com:10001",
    "demo.promlabs.com:10002",
];

/// Scrape interval of the simulated Prometheus.
pub const SCRAPE_INTERVAL_MS: i64 = 5_000;

/// Prometheus's staleness marker: a NaN with this exact bit pattern.
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// Whether `v` is a staleness marker (not just any NaN).
pub fn is_stale(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}

const MINUTE: i64 = 60_000;
const METHODS: [&str; 2] = ["GET", "POST"];
const PATHS: [&str; 2] = ["/api/foo", "/api/bar"];
const STATUSES: [&str; 2] = ["200", "500"];
/// Classic buckets: 25 exponential upper bounds from 0.0001 by 1.5, then `+Inf`.
const BUCKETS: usize = 25;
const INSTANCE_PHASE_MS: [i64; 3] = [1_234, 2_871, 4_012];
const NUM_CPUS: [f64; 3] = [4.0, 8.0, 4.0];
/// Index of the instance that restarts.
const RESTARTING: usize = 2;
/// Scrapes the restarting instance misses.
const DOWN_SCRAPES: i64 = 2;

/// When the special events happen; every instant is a whole second `≡ 3 s (mod 10 s)` so query
/// times derived from it stay off the 10 s subquery grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeline {
    /// Base time of the first scrape round.
    pub start: i64,
    /// No sample at or after this instant (the data end).
    pub end: i64,
    /// `:10002` fails its scrapes from here for two rounds, then restarts with reset counters.
    pub restart: i64,
    /// The stopping series get a staleness marker at their first scrape at or after this.
    pub stop: i64,
    /// Start of the NaN stretch of `:10001`'s buffers gauge.
    pub nan_from: i64,
    /// End (exclusive) of the NaN stretch.
    pub nan_to: i64,
}

impl Timeline {
    /// A timeline of `hours` (at least 1) ending at the last `≡ 3 s (mod 10 s)` second at or
    /// before `now_ms`.
    pub fn ending_at(now_ms: i64, hours: u64) -> Self {
        let end = (now_ms - 3_000).div_euclid(10_000) * 10_000 + 3_000;
        let hours = hours.max(1) as i64;
        Timeline {
            start: end - hours * 60 * MINUTE,
            end,
            restart: end - 17 * MINUTE,
            stop: end - 40 * MINUTE,
            nan_from: end - 21 * MINUTE,
            nan_to: end - 19 * MINUTE,
        }
    }

    /// The first minute boundary after `t` whose minute is odd (the intermittent metric goes
    /// stale at its first scrape).
    pub fn next_odd_minute(t: i64) -> i64 {
        let m = t.div_euclid(MINUTE) + 1;
        if m % 2 == 1 {
            m * MINUTE
        } else {
            (m + 1) * MINUTE
        }
    }
}

/// Series that stop at [`Timeline::stop`]: (instance index, metric name, extra label).
pub const STOPPING: [(usize, &str, (&str, &str)); 2] = [
    (0, "demo_memory_usage_bytes", ("type", "cached")),
    (1, "demo_disk_usage_bytes", ("", "")),
];

/// A batch of series with their samples, oldest first within each series.
pub type Batch = Vec<(Labels, Vec<(i64, f64)>)>;

/// Produces the history batch by batch.
#[derive(Debug)]
pub struct Generator {
    timeline: Timeline,
    rng: Rng,
    instances: Vec<Instance>,
    round: i64,
}

impl Generator {
    /// A generator for `timeline`; the same seed gives the same history.
    pub fn new(timeline: Timeline, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let instances = (0..INSTANCES.len())
            .map(|i| Instance::new(i, &timeline, &mut rng))
            .collect();
        Generator {
            timeline,
            rng,
            instances,
            round: 0,
        }
    }

    /// The next batch: whole scrape rounds until it holds at least `max_samples` samples (or
    /// the data ends). `None` when the history is complete.
    pub fn next_batch(&mut self, max_samples: usize) -> Option<Batch> {
        let mut buffers: Vec<Vec<Vec<(i64, f64)>>> = self
            .instances
            .iter()
            .map(|i| vec![Vec::new(); i.series.len()])
            .collect();
        let mut count = 0;
        while count < max_samples {
            let base = self.timeline.start + self.round * SCRAPE_INTERVAL_MS;
            if base + INSTANCE_PHASE_MS[0] - 100 >= self.timeline.end {
                break;
            }
            self.round += 1;
            for (inst, buf) in self.instances.iter_mut().zip(buffers.iter_mut()) {
                let jitter = self.rng.range(0, 101) as i64 - 50;
                let mut t = base + inst.phase_ms + jitter;
                if t % 1000 == 0 {
                    t += 1;
                }
                if t >= self.timeline.end {
                    continue;
                }
                for (j, v) in inst.scrape(t, &self.timeline, &mut self.rng) {
                    buf[j].push((t, v));
                    count += 1;
                }
            }
        }
        if count == 0 {
            return None;
        }
        let mut batch = Batch::new();
        for (inst, buf) in self.instances.iter().zip(buffers) {
            for (j, samples) in buf.into_iter().enumerate() {
                if !samples.is_empty() {
                    batch.push((inst.series[j].clone(), samples));
                }
            }
        }
        Some(batch)
    }
}

/// Upper bounds of the classic buckets, `+Inf` last.
pub fn bucket_bounds() -> Vec<f64> {
    let mut b: Vec<f64> = (0..BUCKETS)
        .scan(0.0001_f64, |ub, _| {
            let v = *ub;
            *ub *= 1.5;
            Some(v)
        })
        .collect();
    b.push(f64::INFINITY);
    b
}

fn le_label(b: f64) -> String {
    if b.is_infinite() {
        "+Inf".to_string()
    } else {
        format!("{b}")
    }
}

fn uniform(rng: &mut Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// Indices into an instance's series list.
#[derive(Debug, Clone, Copy)]
struct Layout {
    memory: usize,
    num_cpus: usize,
    cpu: usize,
    disk_usage: usize,
    disk_total: usize,
    batch: usize,
    hist: usize,
    in_progress: usize,
    is_holiday: usize,
    items_shipped: usize,
    intermittent: usize,
}

/// Builds an instance's series list, handing out indices.
struct SeriesBuilder<'a> {
    instance: &'a str,
    series: Vec<Labels>,
}

impl SeriesBuilder<'_> {
    fn add(&mut self, metric: &str, extra: &[(&str, &str)]) -> usize {
        let mut l = Labels::new();
        l.insert("__name__".into(), metric.into());
        l.insert("instance".into(), self.instance.into());
        l.insert("job".into(), "demo".into());
        for (k, v) in extra {
            l.insert((*k).into(), (*v).into());
        }
        self.series.push(l);
        self.series.len() - 1
    }
}

#[derive(Debug)]
struct Instance {
    index: usize,
    phase_ms: i64,
    series: Vec<Labels>,
    at: Layout,
    bounds: Vec<f64>,
    /// Whether the series' last sample was a real value (so it needs a marker to go stale).
    live: Vec<bool>,
    stopping: Vec<usize>,
    stopped: bool,
    restarted: bool,
    mem: [f64; 4],
    mem_total: f64,
    cpu: [f64; 3],
    disk_usage: f64,
    disk_total: f64,
    batch: [f64; 4],
    next_batch_run: i64,
    hist: Vec<[f64; BUCKETS + 3]>,
    items_shipped: f64,
}

impl Instance {
    fn new(index: usize, timeline: &Timeline, rng: &mut Rng) -> Self {
        let name = INSTANCES[index];
        let mut sb = SeriesBuilder {
            instance: name,
            series: Vec::new(),
        };
        let memory = sb.add("demo_memory_usage_bytes", &[("type", "used")]);
        for ty in ["cached", "buffers", "free"] {
            sb.add("demo_memory_usage_bytes", &[("type", ty)]);
        }
        let num_cpus = sb.add("demo_num_cpus", &[]);
        let cpu = sb.add("demo_cpu_usage_seconds_total", &[("mode", "user")]);
        for mode in ["system", "idle"] {
            sb.add("demo_cpu_usage_seconds_total", &[("mode", mode)]);
        }
        let disk_usage = sb.add("demo_disk_usage_bytes", &[]);
        let disk_total = sb.add("demo_disk_total_bytes", &[]);
        let batch = sb.add("demo_batch_last_success_timestamp_seconds", &[]);
        sb.add("demo_batch_last_run_timestamp_seconds", &[]);
        sb.add("demo_batch_last_run_duration_seconds", &[]);
        sb.add("demo_batch_last_run_processed_bytes", &[]);
        let bounds = bucket_bounds();
        let hist = sb.series.len();
        for m in METHODS {
            for p in PATHS {
                for s in STATUSES {
                    let base = [("method", m), ("path", p), ("status", s)];
                    for b in &bounds {
                        let le = le_label(*b);
                        let mut l = base.to_vec();
                        l.push(("le", &le));
                        sb.add("demo_api_request_duration_seconds_bucket", &l);
                    }
                    sb.add("demo_api_request_duration_seconds_sum", &base);
                    sb.add("demo_api_request_duration_seconds_count", &base);
                }
            }
        }
        let in_progress = sb.series.len();
        for m in METHODS {
            for p in PATHS {
                sb.add(
                    "demo_api_http_requests_in_progress",
                    &[("method", m), ("path", p)],
                );
            }
        }
        let is_holiday = sb.add("demo_is_holiday", &[]);
        let items_shipped = sb.add("demo_items_shipped_total", &[]);
        let intermittent = sb.add("demo_intermittent_metric", &[]);
        let series = sb.series;
        let stopping = STOPPING
            .iter()
            .filter(|(i, _, _)| *i == index)
            .filter_map(|(_, metric, (k, v))| {
                series.iter().position(|l| {
                    l.get("__name__").map(String::as_str) == Some(*metric)
                        && (k.is_empty() || l.get(*k).map(String::as_str) == Some(*v))
                })
            })
            .collect();
        let mem_total = 16.0 * 1024.0 * 1024.0 * 1024.0 * (1 + index % 2) as f64;
        let combos = METHODS.len() * PATHS.len() * STATUSES.len();
        let n = series.len();
        let mut inst = Instance {
            index,
            phase_ms: INSTANCE_PHASE_MS[index],
            series,
            at: Layout {
                memory,
                num_cpus,
                cpu,
                disk_usage,
                disk_total,
                batch,
                hist,
                in_progress,
                is_holiday,
                items_shipped,
                intermittent,
            },
            bounds,
            live: vec![false; n],
            stopping,
            stopped: false,
            restarted: false,
            mem: [
                (mem_total * 0.35).round(),
                (mem_total * 0.25).round(),
                (mem_total * 0.02).round(),
                0.0,
            ],
            mem_total,
            cpu: [0.0; 3],
            disk_usage: 60e9 + 10e9 * index as f64,
            disk_total: 250e9,
            batch: [0.0; 4],
            next_batch_run: timeline.start + rng.range(0, 120_000) as i64,
            hist: vec![[0.0; BUCKETS + 3]; combos],
            items_shipped: 0.0,
        };
        // A process that has been up for a while: counters far from zero.
        let uptime = 3.0 * 86_400.0;
        inst.cpu = [
            uptime * NUM_CPUS[index] * 0.3,
            uptime * NUM_CPUS[index] * 0.05,
            uptime * NUM_CPUS[index] * 0.65,
        ];
        inst.items_shipped = 1e6 + rng.range(0, 1000) as f64;
        let prior = (timeline.start / 1000) as f64 - 300.0;
        inst.batch = [prior, prior, 42.5, 1.2e8];
        inst
    }

    /// One scrape at `t`: `(series index, value)` for every series that gets a sample.
    fn scrape(&mut self, t: i64, tl: &Timeline, rng: &mut Rng) -> Vec<(usize, f64)> {
        let stale = f64::from_bits(STALE_NAN_BITS);
        if self.index == RESTARTING && !self.restarted && t >= tl.restart {
            if t < tl.restart + DOWN_SCRAPES * SCRAPE_INTERVAL_MS {
                // A failed scrape: every series it had goes stale.
                let out = (0..self.live.len())
                    .filter(|&j| self.live[j])
                    .map(|j| (j, stale))
                    .collect();
                self.live.iter_mut().for_each(|l| *l = false);
                return out;
            }
            // A process that has just started: its counters are still 0 at its first scrape.
            // (Starting them above 0 makes 2.42 and 3.x extrapolate the first rate windows
            // differently: 3.x clamps to the zero point after the half-interval rule, 2.42
            // before it.)
            self.restart(rng);
        } else {
            self.advance(t, rng);
        }
        let mut out = self.values(t, tl);
        for (j, v) in out.iter_mut() {
            if self.stopping.contains(j) && t >= tl.stop {
                *v = stale;
            }
        }
        if t >= tl.stop {
            let live = &self.live;
            let stopped = self.stopped;
            // After its marker a stopped series sends nothing.
            out.retain(|(j, _)| !self.stopping.contains(j) || (!stopped && live[*j]));
            self.stopped = true;
        }
        let intermittent = self.at.intermittent;
        if t.div_euclid(MINUTE) % 2 != 0 {
            out.retain(|(j, _)| *j != intermittent);
            if self.live[intermittent] {
                out.push((intermittent, stale));
            }
        }
        for l in self.live.iter_mut() {
            *l = false;
        }
        for (j, v) in &out {
            self.live[*j] = !is_stale(*v);
        }
        out
    }

    fn restart(&mut self, rng: &mut Rng) {
        self.restarted = true;
        self.cpu = [0.0; 3];
        self.items_shipped = 0.0;
        for h in &mut self.hist {
            *h = [0.0; BUCKETS + 3];
        }
        self.mem[0] = (self.mem_total * 0.1).round();
        self.mem[1] = (self.mem_total * 0.05).round() + rng.range(0, 1 << 20) as f64;
        self.mem[3] = self.mem_total - self.mem[0] - self.mem[1] - self.mem[2];
    }

    fn advance(&mut self, t: i64, rng: &mut Rng) {
        let dt = SCRAPE_INTERVAL_MS as f64 / 1000.0;
        let cpus = NUM_CPUS[self.index];
        // Memory: bounded random walks in 4 KiB pages.
        let page = 4096.0;
        for (k, (lo, hi)) in [(0.05, 0.6), (0.02, 0.3), (0.005, 0.05)].iter().enumerate() {
            let step = (rng.range(0, 2001) as f64 - 1000.0) * page;
            self.mem[k] = (self.mem[k] + step).clamp(self.mem_total * lo, self.mem_total * hi);
            self.mem[k] = (self.mem[k] / page).round() * page;
        }
        self.mem[3] = self.mem_total - self.mem[0] - self.mem[1] - self.mem[2];
        let user = dt * cpus * (0.1 + 0.4 * uniform(rng));
        let system = dt * cpus * (0.02 + 0.08 * uniform(rng));
        self.cpu[0] += user;
        self.cpu[1] += system;
        self.cpu[2] += dt * cpus - user - system;
        // Disk usage moves at every scrape, so no window sees it constant.
        self.disk_usage += rng.range(1_000, 400_000) as f64;
        if rng.range(0, 2000) == 0 {
            self.disk_usage -= 5e8;
        }
        if t >= self.next_batch_run {
            let run = t as f64 / 1000.0;
            self.batch[1] = run;
            self.batch[2] = 10.0 + 50.0 * uniform(rng);
            self.batch[3] = rng.range(1_000_000, 500_000_000) as f64;
            if rng.range(0, 10) < 8 {
                self.batch[0] = run;
            }
            self.next_batch_run = t + rng.range(60_000, 180_000) as i64;
        }
        for (c, h) in self.hist.iter_mut().enumerate() {
            let (method, status) = (c / 4, c % 2);
            let max = match (method, status) {
                (0, 0) => 40,
                (1, 0) => 10,
                _ => 3,
            };
            for _ in 0..rng.range(0, max) {
                // Roughly log-normal latencies around 20 ms (slower for errors).
                let z = uniform(rng) + uniform(rng) + uniform(rng) - 1.5;
                let median = if status == 1 { 0.2 } else { 0.02 };
                let lat = median * (z * 3.0).exp();
                let first = self.bounds.partition_point(|b| *b < lat);
                for b in h.iter_mut().take(BUCKETS + 1).skip(first) {
                    *b += 1.0;
                }
                h[BUCKETS + 1] += lat;
                h[BUCKETS + 2] += 1.0;
            }
        }
        self.items_shipped += rng.range(0, 6) as f64;
    }

    fn values(&self, t: i64, tl: &Timeline) -> Vec<(usize, f64)> {
        let a = &self.at;
        let mut out = Vec::with_capacity(self.series.len());
        for k in 0..4 {
            let mut v = self.mem[k];
            if self.index == 1 && k == 2 && (tl.nan_from..tl.nan_to).contains(&t) {
                v = f64::NAN;
            }
            out.push((a.memory + k, v));
        }
        out.push((a.num_cpus, NUM_CPUS[self.index]));
        for k in 0..3 {
            out.push((a.cpu + k, self.cpu[k]));
        }
        out.push((a.disk_usage, self.disk_usage));
        out.push((a.disk_total, self.disk_total));
        for k in 0..4 {
            out.push((a.batch + k, self.batch[k]));
        }
        for (c, h) in self.hist.iter().enumerate() {
            for (k, v) in h.iter().enumerate() {
                out.push((a.hist + c * (BUCKETS + 3) + k, *v));
            }
        }
        for k in 0..4 {
            let busy = (t / 1000 + (k as i64) * 7 + self.index as i64) % 9;
            out.push((a.in_progress + k, busy as f64));
        }
        out.push((a.is_holiday, 0.0));
        out.push((a.items_shipped, self.items_shipped));
        out.push((a.intermittent, ((t / 1000) % 97) as f64));
        out
    }
}

#[cfg(test)]
#[path = "data_tests.rs"]
mod tests;
