//! The two servers of a compliance run — a reference Prometheus and the server under test
//! (Strata, or a second Prometheus in self-test mode) — and loading the same history into both
//! with remote write 1.0.

use std::path::Path;
use std::time::{Duration, Instant};

use super::data::{Generator, Timeline};
use crate::http::Http;
use crate::peers::{self, ReceiverKind, ReceiverOpts, Server};
use crate::wire::{self, WriteVersion};
use crate::{Error, Result, fail};

/// Largest remote write request, in samples: a few scrape rounds of all three instances.
pub const BATCH_SAMPLES: usize = 3_000;

/// Flags every Prometheus of the run gets: 3.x has negative offsets always on.
pub const PROMETHEUS_FLAGS: &[&str] = &["--enable-feature=promql-negative-offset"];

/// The reference and the server under test.
#[derive(Debug)]
pub struct Pair {
    /// Prometheus 2.42.
    pub reference: Server,
    /// The server under test.
    pub test: Server,
    /// What the server under test is.
    pub test_kind: ReceiverKind,
}

impl Pair {
    /// Starts both, each with its own data directory under `dir`, and waits until both are ready.
    pub fn start(dir: &Path, test_kind: ReceiverKind, http: &Http) -> Result<Self> {
        let reference = start_one(ReceiverKind::Prometheus, &dir.join("reference"), http)?;
        let test = start_one(test_kind, &dir.join("test"), http)?;
        Ok(Pair {
            reference,
            test,
            test_kind,
        })
    }

    /// Name of the server under test in reports.
    pub fn test_name(&self) -> &'static str {
        match self.test_kind {
            ReceiverKind::Strata => "strata",
            ReceiverKind::Prometheus => "prometheus (self-test)",
        }
    }

    /// Fails if either process has exited.
    pub fn check_alive(&mut self) -> Result<()> {
        self.reference.proc.check_alive()?;
        self.test.proc.check_alive()
    }
}

fn start_one(kind: ReceiverKind, dir: &Path, http: &Http) -> Result<Server> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    let extra = match kind {
        ReceiverKind::Prometheus => PROMETHEUS_FLAGS.iter().map(|f| f.to_string()).collect(),
        ReceiverKind::Strata => Vec::new(),
    };
    let opts = ReceiverOpts {
        extra,
        ..ReceiverOpts::default()
    };
    let mut s = peers::start_receiver(kind, dir, &dir.join("data"), &opts)?;
    let took = s.wait_ready(http, Duration::from_secs(60))?;
    println!("{} ready in {took:.1?}", s.proc.name());
    Ok(s)
}

/// What loading sent.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadStats {
    /// Remote write requests per server.
    pub requests: usize,
    /// Samples per server (staleness markers included).
    pub samples: usize,
    /// Distinct series.
    pub series: usize,
    /// Time spent in the reference's requests.
    pub reference_time: Duration,
    /// Time spent in the test server's requests.
    pub test_time: Duration,
}

/// Generates the history of `timeline` and sends every batch, in time order, to the reference
/// and then to the server under test. Any non-2xx answer stops the run.
pub fn load(http: &Http, pair: &mut Pair, timeline: Timeline, seed: u64) -> Result<LoadStats> {
    let mut generator = Generator::new(timeline, seed);
    let mut stats = LoadStats::default();
    let mut series = std::collections::BTreeSet::new();
    let urls = [
        format!("{}/api/v1/write", pair.reference.base),
        format!("{}/api/v1/write", pair.test.base),
    ];
    let mut next_report = Instant::now() + Duration::from_secs(10);
    while let Some(batch) = generator.next_batch(BATCH_SAMPLES) {
        let body = wire::encode_write(WriteVersion::V1, &batch)?;
        for (i, url) in urls.iter().enumerate() {
            let started = Instant::now();
            let r = wire::post_write(http, url, WriteVersion::V1, &body)?;
            if !r.is_success() {
                pair.check_alive()?;
                return Err(Error::Status {
                    context: format!("remote write request {} to {url}", stats.requests + 1),
                    status: r.status,
                    body: r.text(500),
                });
            }
            let took = started.elapsed();
            if i == 0 {
                stats.reference_time += took;
            } else {
                stats.test_time += took;
            }
        }
        stats.requests += 1;
        for (labels, samples) in &batch {
            stats.samples += samples.len();
            if series.len() < 100_000 && !series.contains(labels) {
                series.insert(labels.clone());
            }
        }
        if Instant::now() >= next_report {
            println!(
                "loaded {} samples in {} requests",
                stats.samples, stats.requests
            );
            next_report = Instant::now() + Duration::from_secs(10);
        }
    }
    stats.series = series.len();
    if stats.samples == 0 {
        return Err(fail!("the generator produced no samples"));
    }
    Ok(stats)
}
