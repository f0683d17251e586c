//! Deterministic node_exporter-like data shared by the criterion benches and `strata-loadgen`.
//!
//! Included with `#[path = "common/mod.rs"] mod common;` (std only, no dependencies), so the
//! benches of the root package and the load generator crate generate exactly the same series.
//!
//! What it models, per scraped host (`job="node"`, `instance="10.x.y.z:9100"`):
//! - `node_cpu_seconds_total{cpu,mode}`: counters in seconds with 2 decimals (USER_HZ = 100);
//! - network, disk, vmstat and interrupt counters: integer counters (bytes, packets, operations);
//! - `node_filesystem_*`, `node_memory_*_bytes`: gauges moving in 4 KiB pages, or constant sizes;
//! - `*_info`, `node_network_mtu_bytes`, ...: constants;
//! - collector, GC and scrape durations: whole nanoseconds over 1e9, as Go's
//!   `Duration.Seconds()` makes them (a recording of a real node_exporter shows exactly that:
//!   `5.3069e-05` is 53069 ns), noisy from scrape to scrape; GC quantiles move only after a GC.
//!
//! All series of one host share its scrape timestamps: 15 s apart, shifted by a per-host offset
//! inside the interval, plus a small per-scrape jitter, as Prometheus's scrape loop produces.
#![allow(dead_code)]

/// Scrape interval used everywhere unless a caller says otherwise, ms.
pub const SCRAPE_INTERVAL_MS: i64 = 15_000;
/// Default largest timestamp jitter of an unaligned scrape, ± ms (see [`ScrapeClock`]).
pub const DEFAULT_JITTER_MS: i64 = 15;
/// Default fraction of scrapes whose timestamp is exactly on the interval (see [`ScrapeClock`]).
pub const DEFAULT_ALIGNED: f64 = 0.9;

/// xorshift64* — small, fast and deterministic; not for anything cryptographic.
#[derive(Debug, Clone)]
pub struct XorShift64(u64);

impl XorShift64 {
    /// A generator from `seed` (any value; 0 is remapped).
    pub fn new(seed: u64) -> Self {
        Self(mix(seed) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[0, n)`; `n` must be positive.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Uniform in `[lo, hi]`.
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
}

/// SplitMix64 finalizer: spreads seeds and combines keys.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// How one series' values evolve from scrape to scrape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueModel {
    /// A counter of `10^-decimals` units growing by about `rate` value units per second (±50 %),
    /// e.g. CPU seconds (2 decimals) or bytes (0 decimals). Values are exactly what parsing the
    /// exporter's decimal text gives.
    Counter { decimals: u32, rate: f64 },
    /// A gauge `base + k·step` whose `k` random-walks by up to ±`walk` steps with probability
    /// `p_change` per scrape, staying within `[0, max_steps]`.
    Gauge {
        base: f64,
        step: f64,
        max_steps: i64,
        walk: i64,
        p_change: f64,
    },
    /// Never changes.
    Constant(f64),
    /// A full-precision random float in `[scale/2, 3·scale/2)`: the worst case for any encoding.
    Noise { scale: f64 },
    /// A measured duration in seconds as Go's `Duration.Seconds()` makes it: whole nanoseconds
    /// over 1e9, uniform in `[median/2, 3·median/2)` ns; a new one with probability `p_change`
    /// per scrape (a summary quantile moves only when something was observed).
    Duration { median_ns: f64, p_change: f64 },
    /// The scrape's wall-clock time in seconds with microseconds (`node_time_seconds`).
    Clock,
}

/// A series: its labels (sorted by name, `__name__` included), its host and its value model.
#[derive(Debug, Clone)]
pub struct SeriesSpec {
    pub labels: Vec<(String, String)>,
    /// Index of the scraped host; all its series share scrape timestamps.
    pub host: usize,
    pub model: ValueModel,
}

impl SeriesSpec {
    /// The `__name__` value.
    pub fn name(&self) -> &str {
        self.labels
            .iter()
            .find(|(n, _)| n == "__name__")
            .map_or("", |(_, v)| v.as_str())
    }
}

/// The value state of one series; call [`SeriesValues::next`] once per scrape, in time order.
#[derive(Debug, Clone)]
pub struct SeriesValues {
    model: ValueModel,
    units: i64,
    rng: XorShift64,
}

impl SeriesValues {
    /// Starting state for `model`, seeded by `seed` (use the series index mixed with a run seed).
    pub fn new(model: ValueModel, seed: u64) -> Self {
        let mut rng = XorShift64::new(seed);
        let units = match model {
            // Counters start as if the host had been up for a few days.
            ValueModel::Counter { decimals, rate } => {
                let uptime_s = 86_400.0 * (1.0 + 20.0 * rng.next_f64());
                (rate * uptime_s * 10f64.powi(decimals as i32)) as i64
            }
            ValueModel::Gauge { max_steps, .. } => rng.between(0, max_steps),
            ValueModel::Duration { median_ns, .. } => duration_ns(&mut rng, median_ns),
            _ => 0,
        };
        Self { model, units, rng }
    }

    /// The value scraped at `t` ms, `dt` ms after the previous scrape.
    pub fn next(&mut self, t: i64, dt: i64) -> f64 {
        match self.model {
            ValueModel::Counter { decimals, rate } => {
                let scale = 10f64.powi(decimals as i32);
                let inc = rate * (dt as f64 / 1000.0) * (0.5 + self.rng.next_f64()) * scale;
                self.units += inc.round() as i64;
                self.units as f64 / scale
            }
            ValueModel::Gauge {
                base,
                step,
                max_steps,
                walk,
                p_change,
            } => {
                if self.rng.next_f64() < p_change {
                    self.units = (self.units + self.rng.between(-walk, walk)).clamp(0, max_steps);
                }
                // A decimal step (0.01, 1e-6) divides, as an exporter printing or converting a
                // decimal reading would (7 × 0.01 is not the double nearest 0.07; 7 / 100 is).
                match decimal_places(step) {
                    Some(d) => {
                        let scale = 10f64.powi(d);
                        ((base * scale).round() + self.units as f64) / scale
                    }
                    None => base + self.units as f64 * step,
                }
            }
            ValueModel::Constant(v) => v,
            ValueModel::Noise { scale } => scale * (0.5 + self.rng.next_f64()),
            ValueModel::Duration {
                median_ns,
                p_change,
            } => {
                if self.rng.next_f64() < p_change {
                    self.units = duration_ns(&mut self.rng, median_ns);
                }
                self.units as f64 / 1e9
            }
            ValueModel::Clock => (t * 1000 + self.rng.between(0, 999)) as f64 / 1e6,
        }
    }
}

/// A duration in whole nanoseconds, uniform in `[median/2, 3·median/2)`, at least 1.
fn duration_ns(rng: &mut XorShift64, median_ns: f64) -> i64 {
    ((median_ns * (0.5 + rng.next_f64())).round() as i64).max(1)
}

/// `Some(d)` when `step` is `10^-d` for `d` in 1..=9.
fn decimal_places(step: f64) -> Option<i32> {
    (1..=9).find(|&d| (step * 10f64.powi(d) - 1.0).abs() < 1e-9)
}

/// Builds a host's series; `labels` pairs are given unsorted and sorted here.
#[derive(Debug)]
struct HostBuilder {
    host: usize,
    instance: String,
    out: Vec<SeriesSpec>,
}

impl HostBuilder {
    fn add(&mut self, name: &str, extra: &[(&str, &str)], model: ValueModel) {
        let mut labels: Vec<(String, String)> = vec![
            ("__name__".into(), name.into()),
            ("instance".into(), self.instance.clone()),
            ("job".into(), "node".into()),
        ];
        labels.extend(extra.iter().map(|&(n, v)| (n.to_owned(), v.to_owned())));
        labels.sort();
        self.out.push(SeriesSpec {
            labels,
            host: self.host,
            model,
        });
    }
}

const PAGE: f64 = 4096.0;
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

fn counter(decimals: u32, rate: f64) -> ValueModel {
    ValueModel::Counter { decimals, rate }
}

fn pages(base: f64, max_pages: i64, walk: i64, p_change: f64) -> ValueModel {
    ValueModel::Gauge {
        base,
        step: PAGE,
        max_steps: max_pages,
        walk,
        p_change,
    }
}

/// The series node_exporter (plus the scrape's own series) exposes for host `host`: about 350 to
/// 550 depending on its CPU, disk and interface counts.
pub fn node_exporter_host(host: usize, seed: u64) -> Vec<SeriesSpec> {
    let mut rng = XorShift64::new(mix(seed ^ 0x4057) ^ host as u64);
    let instance = format!(
        "10.{}.{}.{}:9100",
        (host >> 16) & 0xff,
        (host >> 8) & 0xff,
        host & 0xff
    );
    let mut b = HostBuilder {
        host,
        instance,
        out: Vec::with_capacity(512),
    };
    let cpus = [2, 4, 4, 8][rng.below(4) as usize];
    let mem_total = [8.0, 16.0, 32.0, 64.0][rng.below(4) as usize] * GIB;

    // CPU: seconds with 2 decimals per cpu and mode.
    let modes: [(&str, f64); 8] = [
        ("idle", 0.85),
        ("iowait", 0.004),
        ("irq", 0.0),
        ("nice", 0.0),
        ("softirq", 0.003),
        ("steal", 0.001),
        ("system", 0.03),
        ("user", 0.1),
    ];
    for cpu in 0..cpus {
        let c = cpu.to_string();
        for (mode, share) in modes {
            let model = if share == 0.0 {
                ValueModel::Constant(0.0)
            } else {
                counter(2, share * (0.5 + rng.next_f64()))
            };
            b.add(
                "node_cpu_seconds_total",
                &[("cpu", &c), ("mode", mode)],
                model,
            );
        }
        for mode in ["guest", "guest_nice"] {
            b.add(
                "node_cpu_guest_seconds_total",
                &[("cpu", &c), ("mode", mode)],
                ValueModel::Constant(0.0),
            );
        }
        b.add(
            "node_cpu_scaling_frequency_hertz",
            &[("cpu", &c)],
            ValueModel::Gauge {
                base: 8e8,
                step: 1e5,
                max_steps: 22_000,
                walk: 3000,
                p_change: 0.7,
            },
        );
    }

    // Scheduler and softnet statistics per CPU (schedstat counts nanoseconds: noisy mantissas).
    for cpu in 0..cpus {
        let cpu = cpu.to_string();
        let c = [("cpu", cpu.as_str())];
        b.add(
            "node_schedstat_running_seconds_total",
            &c,
            counter(9, 0.15 * (0.5 + rng.next_f64())),
        );
        b.add(
            "node_schedstat_waiting_seconds_total",
            &c,
            counter(9, 0.01 * (0.5 + rng.next_f64())),
        );
        b.add("node_schedstat_timeslices_total", &c, counter(0, 300.0));
        b.add("node_softnet_processed_total", &c, counter(0, 150.0));
        b.add("node_softnet_dropped_total", &c, ValueModel::Constant(0.0));
        b.add("node_softnet_times_squeezed_total", &c, counter(0, 0.01));
    }

    // Pressure stall information, microseconds as seconds.
    for (name, rate) in [
        ("cpu_waiting", 0.02),
        ("io_waiting", 0.005),
        ("io_stalled", 0.004),
        ("memory_waiting", 0.0005),
        ("memory_stalled", 0.0002),
    ] {
        b.add(
            &format!("node_pressure_{name}_seconds_total"),
            &[],
            counter(6, rate),
        );
    }

    // Network protocol statistics (/proc/net/netstat, snmp, sockstat).
    for (name, rate) in [
        ("Tcp_ActiveOpens", 2.0),
        ("Tcp_PassiveOpens", 1.0),
        ("Tcp_InSegs", 800.0),
        ("Tcp_OutSegs", 900.0),
        ("Tcp_RetransSegs", 0.5),
        ("Tcp_OutRsts", 0.3),
        ("Udp_InDatagrams", 20.0),
        ("Udp_OutDatagrams", 20.0),
        ("Udp_NoPorts", 0.05),
        ("Icmp_InMsgs", 0.02),
        ("Icmp_OutMsgs", 0.02),
        ("TcpExt_TCPSynRetrans", 0.05),
        ("TcpExt_TCPTimeouts", 0.1),
        ("IpExt_InOctets", 200_000.0),
        ("IpExt_OutOctets", 180_000.0),
        ("Ip_Forwarding", 0.0),
        ("Tcp_InErrs", 0.0),
        ("Udp_InErrors", 0.0),
        ("Udp_RcvbufErrors", 0.0),
        ("Udp_SndbufErrors", 0.0),
        ("Icmp_InErrors", 0.0),
        ("TcpExt_ListenDrops", 0.0),
        ("TcpExt_ListenOverflows", 0.0),
        ("TcpExt_SyncookiesSent", 0.0),
        ("TcpExt_SyncookiesRecv", 0.0),
        ("TcpExt_SyncookiesFailed", 0.0),
        ("Udp6_InDatagrams", 0.0),
        ("Udp6_OutDatagrams", 0.0),
        ("Ip6_InOctets", 0.0),
        ("Ip6_OutOctets", 0.0),
    ] {
        let model = if name == "Ip_Forwarding" {
            ValueModel::Constant(1.0)
        } else if rate == 0.0 {
            ValueModel::Constant(0.0)
        } else {
            counter(0, rate)
        };
        b.add(&format!("node_netstat_{name}"), &[], model);
    }
    b.add(
        "node_netstat_Tcp_CurrEstab",
        &[],
        ValueModel::Gauge {
            base: 10.0,
            step: 1.0,
            max_steps: 50,
            walk: 3,
            p_change: 0.6,
        },
    );
    for (name, base, span, p) in [
        ("sockets_used", 200.0, 200, 0.7),
        ("TCP_inuse", 10.0, 50, 0.6),
        ("TCP_orphan", 0.0, 2, 0.05),
        ("TCP_tw", 0.0, 100, 0.7),
        ("TCP_alloc", 15.0, 50, 0.6),
        ("TCP_mem", 1.0, 20, 0.5),
        ("TCP6_inuse", 2.0, 4, 0.1),
    ] {
        b.add(
            &format!("node_sockstat_{name}"),
            &[],
            ValueModel::Gauge {
                base,
                step: 1.0,
                max_steps: span,
                walk: 3,
                p_change: p,
            },
        );
    }
    b.add(
        "node_sockstat_TCP_mem_bytes",
        &[],
        pages(4096.0, 20, 3, 0.5),
    );
    for (name, v) in [
        ("UDP_inuse", 5.0),
        ("UDP_mem", 2.0),
        ("UDP_mem_bytes", 8192.0),
        ("UDP6_inuse", 1.0),
        ("FRAG_inuse", 0.0),
        ("FRAG_memory", 0.0),
        ("RAW_inuse", 0.0),
        ("UDPLITE_inuse", 0.0),
    ] {
        b.add(
            &format!("node_sockstat_{name}"),
            &[],
            ValueModel::Constant(v),
        );
    }

    // Clock discipline (timex): a noisy offset, slow error estimates, constants.
    b.add(
        "node_timex_offset_seconds",
        &[],
        ValueModel::Duration {
            median_ns: 2e4,
            p_change: 1.0,
        },
    );
    b.add(
        "node_timex_frequency_adjustment_ratio",
        &[],
        ValueModel::Gauge {
            base: 0.99998,
            step: 1.52587890625e-11,
            max_steps: 1000,
            walk: 20,
            p_change: 0.2,
        },
    );
    b.add(
        "node_timex_maxerror_seconds",
        &[],
        ValueModel::Gauge {
            base: 0.0,
            step: 1e-6,
            max_steps: 500_000,
            walk: 8000,
            p_change: 0.9,
        },
    );
    b.add(
        "node_timex_estimated_error_seconds",
        &[],
        ValueModel::Gauge {
            base: 0.0,
            step: 1e-6,
            max_steps: 2000,
            walk: 50,
            p_change: 0.3,
        },
    );
    for (name, v) in [
        ("status", 8193.0),
        ("sync_status", 1.0),
        ("tai_offset_seconds", 0.0),
        ("tick_seconds", 0.01),
        ("loop_time_constant", 7.0),
        ("pps_calibration_total", 0.0),
        ("pps_error_total", 0.0),
        ("pps_frequency_hertz", 0.0),
        ("pps_jitter_seconds", 0.0),
        ("pps_jitter_total", 0.0),
        ("pps_shift_seconds", 0.0),
        ("pps_stability_exceeded_total", 0.0),
        ("pps_stability_hertz", 0.0),
    ] {
        b.add(&format!("node_timex_{name}"), &[], ValueModel::Constant(v));
    }
    b.add(
        "node_arp_entries",
        &[("device", "eth0")],
        ValueModel::Gauge {
            base: 2.0,
            step: 1.0,
            max_steps: 3,
            walk: 1,
            p_change: 0.02,
        },
    );

    // Load and processes.
    for (name, p) in [
        ("node_load1", 0.9),
        ("node_load5", 0.6),
        ("node_load15", 0.3),
    ] {
        b.add(
            name,
            &[],
            ValueModel::Gauge {
                base: 0.0,
                step: 0.01,
                max_steps: 100 * cpus as i64,
                walk: 15,
                p_change: p,
            },
        );
    }
    b.add(
        "node_procs_running",
        &[],
        ValueModel::Gauge {
            base: 1.0,
            step: 1.0,
            max_steps: 6,
            walk: 2,
            p_change: 0.5,
        },
    );
    b.add(
        "node_procs_blocked",
        &[],
        ValueModel::Gauge {
            base: 0.0,
            step: 1.0,
            max_steps: 2,
            walk: 1,
            p_change: 0.1,
        },
    );
    b.add(
        "node_context_switches_total",
        &[],
        counter(0, 4000.0 * cpus as f64),
    );
    b.add("node_intr_total", &[], counter(0, 2500.0 * cpus as f64));
    b.add("node_forks_total", &[], counter(0, 8.0));
    b.add(
        "node_boot_time_seconds",
        &[],
        ValueModel::Constant(1.7e9 - (rng.below(3_000_000) as f64)),
    );
    b.add("node_time_seconds", &[], ValueModel::Clock);
    b.add(
        "node_entropy_available_bits",
        &[],
        ValueModel::Constant(256.0),
    );
    b.add(
        "node_filefd_allocated",
        &[],
        ValueModel::Gauge {
            base: 1500.0,
            step: 1.0,
            max_steps: 400,
            walk: 8,
            p_change: 0.6,
        },
    );
    b.add(
        "node_filefd_maximum",
        &[],
        ValueModel::Constant(9.223372036854776e18),
    );

    // Memory: /proc/meminfo in bytes.
    let mem_pages = (mem_total / PAGE) as i64;
    for (name, lo, hi, walk, p) in [
        ("MemFree", 0.05, 0.30, 2000, 0.95),
        ("MemAvailable", 0.40, 0.70, 2000, 0.95),
        ("Buffers", 0.01, 0.03, 20, 0.5),
        ("Cached", 0.20, 0.45, 500, 0.9),
        ("Active", 0.20, 0.40, 800, 0.9),
        ("Inactive", 0.10, 0.30, 400, 0.9),
        ("Active_anon", 0.10, 0.20, 600, 0.9),
        ("Inactive_anon", 0.01, 0.03, 30, 0.4),
        ("Active_file", 0.10, 0.20, 300, 0.9),
        ("Inactive_file", 0.08, 0.25, 300, 0.9),
        ("Dirty", 0.0, 0.001, 40, 0.9),
        ("AnonPages", 0.10, 0.25, 600, 0.9),
        ("Mapped", 0.02, 0.05, 20, 0.5),
        ("Shmem", 0.001, 0.01, 5, 0.3),
        ("Slab", 0.02, 0.05, 30, 0.7),
        ("SReclaimable", 0.01, 0.03, 25, 0.7),
        ("SUnreclaim", 0.005, 0.01, 10, 0.6),
        ("KernelStack", 0.0005, 0.001, 3, 0.4),
        ("PageTables", 0.001, 0.004, 6, 0.5),
        ("Committed_AS", 0.3, 0.6, 300, 0.7),
        ("AnonHugePages", 0.0, 0.02, 512, 0.1),
    ] {
        let base = (mem_total * lo / PAGE).floor() * PAGE;
        let span = (((hi - lo) * mem_pages as f64) as i64).max(1);
        b.add(
            &format!("node_memory_{name}_bytes"),
            &[],
            pages(base, span, walk, p),
        );
    }
    for (name, v) in [
        ("MemTotal", mem_total - 300.0 * 1024.0 * 1024.0),
        ("SwapTotal", 0.0),
        ("SwapFree", 0.0),
        ("SwapCached", 0.0),
        ("Writeback", 0.0),
        ("WritebackTmp", 0.0),
        ("Unevictable", 4.0 * 1024.0 * 1024.0),
        ("Mlocked", 4.0 * 1024.0 * 1024.0),
        ("CommitLimit", mem_total / 2.0),
        ("VmallocTotal", 35_184_372_087_808.0),
        ("VmallocUsed", 40.0 * 1024.0 * 1024.0),
        ("HugePages_Total", 0.0),
        ("HugePages_Free", 0.0),
        ("Hugepagesize", 2.0 * 1024.0 * 1024.0),
        ("DirectMap4k", 300.0 * 1024.0 * 1024.0),
        ("DirectMap2M", (mem_total * 0.9 / GIB).floor() * GIB),
    ] {
        b.add(
            &format!("node_memory_{name}_bytes"),
            &[],
            ValueModel::Constant(v),
        );
    }
    for (name, rate) in [
        ("pgfault", 3000.0),
        ("pgmajfault", 0.2),
        ("pgpgin", 40.0),
        ("pgpgout", 300.0),
        ("pswpin", 0.0),
        ("pswpout", 0.0),
        ("oom_kill", 0.0),
    ] {
        let model = if rate == 0.0 {
            ValueModel::Constant(0.0)
        } else {
            counter(0, rate)
        };
        b.add(&format!("node_vmstat_{name}"), &[], model);
    }

    // Network interfaces.
    let mut devices = vec![("eth0", 1.0), ("lo", 0.05)];
    if rng.below(2) == 0 {
        devices.push(("docker0", 0.1));
    }
    if cpus >= 8 {
        devices.push(("eth1", 0.5));
    }
    for &(dev, load) in &devices {
        let bytes = 200_000.0 * load * (0.2 + rng.next_f64());
        for dir in ["receive", "transmit"] {
            b.add(
                &format!("node_network_{dir}_bytes_total"),
                &[("device", dev)],
                counter(0, bytes),
            );
            b.add(
                &format!("node_network_{dir}_packets_total"),
                &[("device", dev)],
                counter(0, bytes / 700.0),
            );
            for what in ["errs", "drop", "fifo", "compressed"] {
                b.add(
                    &format!("node_network_{dir}_{what}_total"),
                    &[("device", dev)],
                    ValueModel::Constant(0.0),
                );
            }
        }
        b.add(
            "node_network_receive_multicast_total",
            &[("device", dev)],
            counter(0, 0.05),
        );
        b.add(
            "node_network_up",
            &[("device", dev)],
            ValueModel::Constant(1.0),
        );
        b.add(
            "node_network_mtu_bytes",
            &[("device", dev)],
            ValueModel::Constant(if dev == "lo" { 65536.0 } else { 1500.0 }),
        );
        b.add(
            "node_network_speed_bytes",
            &[("device", dev)],
            ValueModel::Constant(1.25e9),
        );
        b.add(
            "node_network_transmit_queue_length",
            &[("device", dev)],
            ValueModel::Constant(1000.0),
        );
        let mac = format!(
            "02:42:ac:{:02x}:{:02x}:{:02x}",
            (host >> 8) & 0xff,
            host & 0xff,
            dev.len()
        );
        b.add(
            "node_network_info",
            &[
                ("device", dev),
                ("address", &mac),
                ("broadcast", "ff:ff:ff:ff:ff:ff"),
                ("duplex", "full"),
                ("operstate", "up"),
            ],
            ValueModel::Constant(1.0),
        );
    }

    // Disks.
    let disks: &[&str] = if cpus >= 4 {
        &["nvme0n1", "nvme1n1"]
    } else {
        &["sda"]
    };
    for &disk in disks {
        let d = [("device", disk)];
        b.add("node_disk_reads_completed_total", &d, counter(0, 5.0));
        b.add("node_disk_writes_completed_total", &d, counter(0, 40.0));
        b.add("node_disk_reads_merged_total", &d, counter(0, 0.5));
        b.add("node_disk_writes_merged_total", &d, counter(0, 20.0));
        b.add("node_disk_read_bytes_total", &d, counter(0, 150_000.0));
        b.add("node_disk_written_bytes_total", &d, counter(0, 600_000.0));
        b.add("node_disk_read_time_seconds_total", &d, counter(3, 0.002));
        b.add("node_disk_write_time_seconds_total", &d, counter(3, 0.02));
        b.add("node_disk_io_time_seconds_total", &d, counter(3, 0.01));
        b.add(
            "node_disk_io_time_weighted_seconds_total",
            &d,
            counter(3, 0.025),
        );
        b.add(
            "node_disk_io_now",
            &d,
            ValueModel::Gauge {
                base: 0.0,
                step: 1.0,
                max_steps: 3,
                walk: 1,
                p_change: 0.2,
            },
        );
        b.add(
            "node_disk_discards_completed_total",
            &d,
            ValueModel::Constant(0.0),
        );
        b.add(
            "node_disk_info",
            &[("device", disk), ("major", "259"), ("minor", "0")],
            ValueModel::Constant(1.0),
        );
    }

    // Filesystems.
    let mut mounts: Vec<(&str, &str, &str, f64)> = vec![
        ("/dev/nvme0n1p1", "ext4", "/", 100.0 * GIB),
        ("/dev/nvme0n1p15", "vfat", "/boot/efi", 0.1 * GIB),
        ("tmpfs", "tmpfs", "/run", mem_total / 10.0),
        ("tmpfs", "tmpfs", "/run/lock", 5.0 * 1024.0 * 1024.0),
        ("tmpfs", "tmpfs", "/run/user/1000", mem_total / 10.0),
    ];
    if disks.len() > 1 {
        mounts.push(("/dev/nvme1n1", "xfs", "/var/lib/data", 1000.0 * GIB));
    }
    for (device, fstype, mountpoint, size) in mounts {
        let l = [
            ("device", device),
            ("fstype", fstype),
            ("mountpoint", mountpoint),
        ];
        let size_pages = (size / PAGE) as i64;
        let used_pages = (size_pages as f64 * (0.1 + 0.6 * rng.next_f64())) as i64;
        let busy = fstype != "vfat" && mountpoint != "/run/lock";
        let p = if busy { 0.6 } else { 0.0 };
        let free_base = (size_pages - used_pages - 2000).max(0) as f64 * PAGE;
        b.add(
            "node_filesystem_avail_bytes",
            &l,
            pages(free_base - 0.05 * size, 2000, 50, p),
        );
        b.add(
            "node_filesystem_free_bytes",
            &l,
            pages(free_base, 2000, 50, p),
        );
        b.add(
            "node_filesystem_size_bytes",
            &l,
            ValueModel::Constant(size_pages as f64 * PAGE),
        );
        b.add(
            "node_filesystem_files",
            &l,
            ValueModel::Constant((size / 16384.0).floor()),
        );
        b.add(
            "node_filesystem_files_free",
            &l,
            ValueModel::Gauge {
                base: (size / 20000.0).floor(),
                step: 1.0,
                max_steps: 500,
                walk: 3,
                p_change: p / 2.0,
            },
        );
        b.add("node_filesystem_readonly", &l, ValueModel::Constant(0.0));
        b.add(
            "node_filesystem_device_error",
            &l,
            ValueModel::Constant(0.0),
        );
    }

    // Static information.
    b.add(
        "node_uname_info",
        &[
            ("domainname", "(none)"),
            ("machine", "x86_64"),
            ("nodename", &format!("node-{host:05}")),
            ("release", "6.1.0-18-amd64"),
            ("sysname", "Linux"),
            (
                "version",
                "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)",
            ),
        ],
        ValueModel::Constant(1.0),
    );
    b.add(
        "node_os_info",
        &[
            ("id", "debian"),
            ("name", "Debian GNU/Linux"),
            ("pretty_name", "Debian GNU/Linux 12 (bookworm)"),
            ("version", "12 (bookworm)"),
            ("version_codename", "bookworm"),
            ("version_id", "12"),
        ],
        ValueModel::Constant(1.0),
    );
    b.add(
        "node_exporter_build_info",
        &[
            ("branch", "HEAD"),
            ("goarch", "amd64"),
            ("goos", "linux"),
            ("goversion", "go1.21.6"),
            ("revision", "cdfcd0e"),
            ("tags", "netgo osusergo static_build"),
            ("version", "1.7.0"),
        ],
        ValueModel::Constant(1.0),
    );
    b.add(
        "node_dmi_info",
        &[
            ("bios_vendor", "SeaBIOS"),
            ("product_name", "Standard PC (Q35 + ICH9, 2009)"),
            ("system_vendor", "QEMU"),
        ],
        ValueModel::Constant(1.0),
    );

    // Collector self-metrics: durations differ at every scrape (10 µs .. 3 ms).
    for collector in [
        "arp",
        "bcache",
        "bonding",
        "btrfs",
        "conntrack",
        "cpu",
        "cpufreq",
        "diskstats",
        "dmi",
        "edac",
        "entropy",
        "fibrechannel",
        "filefd",
        "filesystem",
        "hwmon",
        "infiniband",
        "ipvs",
        "loadavg",
        "mdadm",
        "meminfo",
        "netclass",
        "netdev",
        "netstat",
        "nfs",
        "nfsd",
        "nvme",
        "os",
        "powersupplyclass",
        "pressure",
        "rapl",
        "schedstat",
        "selinux",
        "sockstat",
        "softnet",
        "stat",
        "tapestats",
        "textfile",
        "thermal_zone",
        "time",
        "timex",
        "udp_queues",
        "uname",
        "vmstat",
        "xfs",
        "zfs",
    ] {
        let c = [("collector", collector)];
        b.add(
            "node_scrape_collector_duration_seconds",
            &c,
            ValueModel::Duration {
                median_ns: 10f64.powf(4.0 + 2.5 * rng.next_f64()),
                p_change: 1.0,
            },
        );
        b.add(
            "node_scrape_collector_success",
            &c,
            ValueModel::Constant(if rng.below(8) == 0 { 0.0 } else { 1.0 }),
        );
    }

    // The exporter's own Go and process metrics.
    for (q, scale) in [
        ("0", 2e-5),
        ("0.25", 4e-5),
        ("0.5", 6e-5),
        ("0.75", 9e-5),
        ("1", 4e-4),
    ] {
        // The extreme quantiles move rarely, the middle ones after about every other GC.
        let p_change = if q == "0" || q == "1" { 0.05 } else { 0.5 };
        b.add(
            "go_gc_duration_seconds",
            &[("quantile", q)],
            ValueModel::Duration {
                median_ns: scale * 1e9,
                p_change,
            },
        );
    }
    b.add("go_gc_duration_seconds_sum", &[], counter(6, 0.0002));
    b.add("go_gc_duration_seconds_count", &[], counter(0, 0.05));
    b.add(
        "go_goroutines",
        &[],
        ValueModel::Gauge {
            base: 7.0,
            step: 1.0,
            max_steps: 3,
            walk: 1,
            p_change: 0.3,
        },
    );
    b.add("go_threads", &[], ValueModel::Constant(8.0));
    b.add(
        "go_info",
        &[("version", "go1.21.6")],
        ValueModel::Constant(1.0),
    );
    for (name, base, span) in [
        ("go_memstats_alloc_bytes", 1.5e6, 400_000),
        ("go_memstats_heap_inuse_bytes", 3e6, 60),
        ("go_memstats_heap_idle_bytes", 4e6, 60),
        ("go_memstats_stack_inuse_bytes", 5e5, 4),
    ] {
        let step = if name == "go_memstats_alloc_bytes" {
            8.0
        } else {
            8192.0
        };
        b.add(
            name,
            &[],
            ValueModel::Gauge {
                base,
                step,
                max_steps: span,
                walk: span / 4 + 1,
                p_change: 0.9,
            },
        );
    }
    b.add("go_memstats_alloc_bytes_total", &[], counter(0, 60_000.0));
    b.add("go_memstats_mallocs_total", &[], counter(0, 700.0));
    b.add("go_memstats_frees_total", &[], counter(0, 690.0));
    b.add("go_memstats_sys_bytes", &[], ValueModel::Constant(1.3e7));
    b.add("go_memstats_last_gc_time_seconds", &[], ValueModel::Clock);
    b.add("process_cpu_seconds_total", &[], counter(2, 0.002));
    b.add(
        "process_resident_memory_bytes",
        &[],
        pages(1.8e7, 200, 3, 0.5),
    );
    b.add(
        "process_virtual_memory_bytes",
        &[],
        ValueModel::Constant(7.3e8),
    );
    b.add(
        "process_open_fds",
        &[],
        ValueModel::Gauge {
            base: 9.0,
            step: 1.0,
            max_steps: 2,
            walk: 1,
            p_change: 0.2,
        },
    );
    b.add("process_max_fds", &[], ValueModel::Constant(1_048_576.0));
    b.add(
        "process_start_time_seconds",
        &[],
        ValueModel::Constant(1.7e9 + (rng.below(1_000_000) as f64)),
    );
    b.add(
        "promhttp_metric_handler_requests_in_flight",
        &[],
        ValueModel::Constant(1.0),
    );
    for code in ["200", "500", "503"] {
        let model = if code == "200" {
            counter(0, 1.0 / 15.0)
        } else {
            ValueModel::Constant(0.0)
        };
        b.add(
            "promhttp_metric_handler_requests_total",
            &[("code", code)],
            model,
        );
    }

    // The series Prometheus adds for every scrape.
    let n = b.out.len() as f64;
    b.add("up", &[], ValueModel::Constant(1.0));
    b.add(
        "scrape_duration_seconds",
        &[],
        ValueModel::Duration {
            median_ns: 1.2e7,
            p_change: 1.0,
        },
    );
    b.add("scrape_samples_scraped", &[], ValueModel::Constant(n));
    b.add(
        "scrape_samples_post_metric_relabeling",
        &[],
        ValueModel::Constant(n),
    );
    b.add("scrape_series_added", &[], ValueModel::Constant(0.0));
    b.out
}

/// The first `n` series of hosts 0, 1, 2, ... (the last host may be cut short).
pub fn node_exporter_series(n: usize, seed: u64) -> Vec<SeriesSpec> {
    let mut out = Vec::with_capacity(n);
    // Each host has at least ~250 series, so n / 100 + 1 hosts always suffice; bounded loop.
    for host in 0..n / 100 + 1 {
        if out.len() >= n {
            break;
        }
        let mut h = node_exporter_host(host, seed);
        h.truncate(n - out.len());
        out.extend(h);
    }
    out
}

/// Scrape timing: scrape `k` of `host` happens at `start + k·interval + offset(host) + jitter`.
///
/// Prometheus (since 2.22) snaps a scrape's timestamp to the ideal one when it is within 2 ms
/// (`--scrape.timestamp-tolerance`), so what reaches remote write is mostly exactly `interval`
/// apart; the rest are late or early by more than the tolerance. Here a fraction `aligned` of
/// scrapes is exact and the others are off by 3 ms to `jitter` ms either way.
#[derive(Debug, Clone, Copy)]
pub struct ScrapeClock {
    pub start: i64,
    pub interval: i64,
    /// Largest offset of an unaligned scrape, ms (0: all scrapes exact).
    pub jitter: i64,
    /// Fraction of scrapes with an exact timestamp.
    pub aligned: f64,
    pub seed: u64,
}

impl ScrapeClock {
    /// Clock with the default 15 s interval, 90 % aligned scrapes and ±3..15 ms jitter otherwise.
    pub fn new(start: i64, seed: u64) -> Self {
        Self {
            start,
            interval: SCRAPE_INTERVAL_MS,
            jitter: DEFAULT_JITTER_MS,
            aligned: DEFAULT_ALIGNED,
            seed,
        }
    }

    /// Approximate information in one timestamp given the previous ones, in bits.
    pub fn entropy_bits(&self) -> f64 {
        if self.jitter < 3 {
            return 0.0;
        }
        binary_entropy(self.aligned)
            + (1.0 - self.aligned) * ((2 * (self.jitter - 2)) as f64).log2()
    }

    /// Timestamp of scrape `k` of `host`, ms. Strictly increasing in `k` while `jitter < interval / 2`.
    pub fn at(&self, host: usize, k: usize) -> i64 {
        let offset = (mix(self.seed ^ (host as u64).wrapping_mul(0x1000_0001))
            % self.interval as u64) as i64;
        let h = mix(self.seed ^ ((host as u64) << 32) ^ k as u64 ^ 0x6A09_E667);
        let aligned = (h >> 11) as f64 / (1u64 << 53) as f64 <= self.aligned;
        let j = if self.jitter < 3 || aligned {
            0
        } else {
            let mag = 3 + ((h >> 1) & 0x3ff) as i64 % (self.jitter - 2);
            if h & 1 == 0 { mag } else { -mag }
        };
        self.start + k as i64 * self.interval + offset + j
    }
}

/// Which kind of data a chunk bench encodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkData {
    /// `node_cpu_seconds_total`: a counter with 2-decimal increments.
    CpuSeconds,
    /// `node_network_receive_bytes_total`: an integer byte counter.
    ByteCounter,
    /// `node_memory_MemTotal_bytes`: a constant gauge.
    ConstantGauge,
    /// `scrape_duration_seconds`: full-precision random floats (worst case).
    Durations,
}

impl ChunkData {
    pub const ALL: [ChunkData; 4] = [
        Self::CpuSeconds,
        Self::ByteCounter,
        Self::ConstantGauge,
        Self::Durations,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::CpuSeconds => "cpu_seconds_counter",
            Self::ByteCounter => "byte_counter",
            Self::ConstantGauge => "constant_gauge",
            Self::Durations => "duration_noise",
        }
    }

    pub fn model(self) -> ValueModel {
        match self {
            Self::CpuSeconds => ValueModel::Counter {
                decimals: 2,
                rate: 0.85,
            },
            Self::ByteCounter => ValueModel::Counter {
                decimals: 0,
                rate: 180_000.0,
            },
            Self::ConstantGauge => ValueModel::Constant(16_457_400_320.0),
            Self::Durations => ValueModel::Noise { scale: 0.02 },
        }
    }
}

/// `n` samples of `model` as scraped every 15 s (± jitter, see [`ScrapeClock`]), starting at a
/// fixed 2024 timestamp.
pub fn series_samples(model: ValueModel, n: usize, seed: u64) -> Vec<(i64, f64)> {
    series_samples_aligned(model, n, seed, DEFAULT_ALIGNED)
}

/// Like [`series_samples`] with a given fraction of exactly aligned scrapes.
pub fn series_samples_aligned(
    model: ValueModel,
    n: usize,
    seed: u64,
    aligned: f64,
) -> Vec<(i64, f64)> {
    let clock = ScrapeClock {
        aligned,
        ..ScrapeClock::new(1_704_067_200_000, seed)
    };
    let host = (seed % 1000) as usize;
    let mut values = SeriesValues::new(model, seed);
    let mut prev = clock.at(host, 0) - SCRAPE_INTERVAL_MS;
    (0..n)
        .map(|k| {
            let t = clock.at(host, k);
            let v = values.next(t, t - prev);
            prev = t;
            (t, v)
        })
        .collect()
}

/// `samples` samples for each of the first `series` node_exporter series (one chunk's worth each
/// when `samples` is 240): the realistic mix of counters, gauges, constants and noise.
pub fn node_exporter_chunks(series: usize, samples: usize, seed: u64) -> Vec<Vec<(i64, f64)>> {
    node_exporter_chunks_with_models(series, samples, seed)
        .into_iter()
        .map(|(_, s)| s)
        .collect()
}

/// Like [`node_exporter_chunks`], with each series' value model.
pub fn node_exporter_chunks_with_models(
    series: usize,
    samples: usize,
    seed: u64,
) -> Vec<(ValueModel, Vec<(i64, f64)>)> {
    let clock = ScrapeClock::new(1_704_067_200_000, seed);
    node_exporter_series(series, seed)
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            let mut values = SeriesValues::new(spec.model, mix(seed ^ i as u64));
            let mut prev = clock.at(spec.host, 0) - SCRAPE_INTERVAL_MS;
            let s = (0..samples)
                .map(|k| {
                    let t = clock.at(spec.host, k);
                    let v = values.next(t, t - prev);
                    prev = t;
                    (t, v)
                })
                .collect();
            (spec.model, s)
        })
        .collect()
}

/// Entropy in bits of a Bernoulli(`p`) outcome.
fn binary_entropy(p: f64) -> f64 {
    if p <= 0.0 || p >= 1.0 {
        0.0
    } else {
        -(p * p.log2() + (1.0 - p) * (1.0 - p).log2())
    }
}

impl ValueModel {
    /// Approximate information in one value given the previous ones, in bits: the floor any
    /// lossless per-series encoding pays on average (timestamps not included).
    pub fn entropy_bits(&self, interval_ms: i64) -> f64 {
        match *self {
            ValueModel::Counter { decimals, rate } => {
                // Increments are uniform over a range of `rate · interval` units.
                let range = rate * (interval_ms as f64 / 1000.0) * 10f64.powi(decimals as i32);
                range.log2().max(0.0)
            }
            ValueModel::Gauge { walk, p_change, .. } => {
                binary_entropy(p_change) + p_change * ((2 * walk + 1) as f64).log2()
            }
            ValueModel::Constant(_) => 0.0,
            ValueModel::Noise { .. } => 52.0,
            ValueModel::Duration {
                median_ns,
                p_change,
            } => binary_entropy(p_change) + p_change * median_ns.log2(),
            ValueModel::Clock => 1000f64.log2(),
        }
    }

    /// A short name for the kind of data, for size breakdowns.
    pub fn kind(&self) -> &'static str {
        match self {
            ValueModel::Counter { decimals: 0, .. } => "integer counter",
            ValueModel::Counter {
                decimals: 1..=3, ..
            } => "counter, 1-3 decimals",
            ValueModel::Counter { .. } => "counter, 6-9 decimals",
            ValueModel::Gauge { step, .. } if step.fract() == 0.0 => "integer gauge",
            ValueModel::Gauge { .. } => "decimal gauge",
            ValueModel::Constant(_) => "constant",
            ValueModel::Noise { .. } => "random float",
            ValueModel::Duration { .. } => "duration (ns / 1e9)",
            ValueModel::Clock => "clock seconds",
        }
    }
}
