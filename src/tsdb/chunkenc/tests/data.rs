//! Deterministic test data: a xorshift PRNG and a synthetic node_exporter-like data set.

/// xorshift64* — small, fast, good enough for tests; no `rand` dependency.
#[derive(Debug, Clone)]
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (n > 0).
    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Uniform in `lo..=hi`.
    pub(super) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// Uniform in `[0, 1)`.
    pub(super) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Standard normal (Box–Muller).
    pub(super) fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Exponential with mean 1.
    pub(super) fn exp(&mut self) -> f64 {
        -(1.0 - self.unit()).ln()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Never changes: info metrics, sizes, limits.
    ConstGauge,
    /// `node_cpu_seconds_total`: USER_HZ ticks / 100, so two decimals.
    CpuCounter,
    /// Network/disk bytes: integers with irregular increments (disk ones in 512-byte sectors).
    ByteCounter,
    /// Memory bytes: integers moving in whole 4 KiB pages.
    MemGauge,
}

pub(super) const KINDS: [Kind; 4] = [
    Kind::ConstGauge,
    Kind::CpuCounter,
    Kind::ByteCounter,
    Kind::MemGauge,
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Clock {
    /// Each timestamp is its 15 s grid point plus a uniform jitter in -5..=5 ms.
    Jitter,
    /// Timestamps exactly on the 15 s grid (as Prometheus writes when it aligns them).
    Exact,
}

#[derive(Debug, Clone)]
pub(super) struct Series {
    pub(super) kind: Kind,
    pub(super) clock: Clock,
    pub(super) samples: Vec<(i64, f64)>,
}

pub(super) const INTERVAL: i64 = 15_000;

/// `n` series, one chunk each of 120..=240 samples: 40% constant gauges, 30% two-decimal CPU
/// counters, 20% integer byte counters, 10% page-multiple memory gauges. Two thirds of the
/// series have ±5 ms jitter, one third exact timestamps; every series misses 1% of scrapes.
pub(super) fn node_exporter(n: usize, seed: u64) -> Vec<Series> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|i| {
            let kind = match i % 10 {
                0..=3 => Kind::ConstGauge,
                4..=6 => Kind::CpuCounter,
                7..=8 => Kind::ByteCounter,
                _ => Kind::MemGauge,
            };
            let clock = if rng.below(3) < 2 {
                Clock::Jitter
            } else {
                Clock::Exact
            };
            let len = rng.range(120, 240) as usize;
            let times = timestamps(&mut rng, clock, len);
            let values = values(&mut rng, kind, len);
            Series {
                kind,
                clock,
                samples: times.into_iter().zip(values).collect(),
            }
        })
        .collect()
}

fn timestamps(rng: &mut Rng, clock: Clock, len: usize) -> Vec<i64> {
    let start = 1_700_000_000_000 / INTERVAL * INTERVAL + rng.range(0, INTERVAL - 1);
    let mut slot = 0;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        if rng.chance(0.01) {
            slot += 1; // missed scrape
        }
        let jitter = match clock {
            Clock::Jitter => rng.range(-5, 5),
            Clock::Exact => 0,
        };
        out.push(start + slot * INTERVAL + jitter);
        slot += 1;
    }
    out
}

fn values(rng: &mut Rng, kind: Kind, len: usize) -> Vec<f64> {
    match kind {
        Kind::ConstGauge => {
            let choices = [
                0.0,
                1.0,
                2.0,
                4.0,
                1500.0,
                65536.0,
                2.4e9,
                8_283_930_624.0,
                1_073_741_824.0,
                0.5,
            ];
            vec![choices[rng.below(choices.len() as u64) as usize]; len]
        }
        Kind::CpuCounter => {
            // Fraction of one CPU spent in this mode, log-uniform over 0.1% ..= 100%.
            let f = 10f64.powf(rng.unit() * 3.0 - 3.0);
            let mean = 1500.0 * f; // USER_HZ ticks in 15 s
            let mut ticks = rng.below(100_000_000) as i64;
            (0..len)
                .map(|_| {
                    ticks += (mean + rng.normal() * mean.sqrt()).round().max(0.0) as i64;
                    ticks as f64 / 100.0
                })
                .collect()
        }
        Kind::ByteCounter => {
            // Bytes per scrape, log-uniform over 100 B ..= 1 MB; a quarter of scrapes idle.
            let scale = 10f64.powf(2.0 + rng.unit() * 4.0);
            let sectors = rng.chance(0.5);
            let mut bytes = rng.below(1_000_000_000_000) as i64;
            if sectors {
                bytes = bytes / 512 * 512;
            }
            (0..len)
                .map(|_| {
                    if !rng.chance(0.25) {
                        let inc = (scale * rng.exp()).round() as i64;
                        bytes += if sectors { inc / 512 * 512 } else { inc };
                    }
                    bytes as f64
                })
                .collect()
        }
        Kind::MemGauge => {
            // Pages moved per scrape: normal with a spread log-uniform over 1 ..= 1000 pages.
            let spread = 10f64.powf(rng.unit() * 3.0);
            let mut pages = rng.range(250_000, 2_500_000);
            (0..len)
                .map(|_| {
                    if !rng.chance(0.3) {
                        pages = (pages + (rng.normal() * spread).round() as i64).max(0);
                    }
                    (pages * 4096) as f64
                })
                .collect()
        }
    }
}
