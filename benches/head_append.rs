//! Head appends through [`Db`] into a temporary directory (WAL included, default options):
//! batches of 2,000 node_exporter series with one sample each, committed per batch, as one
//! remote write request from Prometheus arrives. Series exist already (steady state); each
//! iteration is the next scrape, 15 s later.
//!
//! Groups, throughput in samples:
//! - `head_append/append_commit`: `Appender::append` with prebuilt `Labels`, then `commit`;
//! - `head_append/append_pairs_commit`: `append_pairs`, the path decoded writes take;
//! - `head_append/remote_write_ingest`: `decode_write_into` + `ingest::remote_write::write`, the
//!   server's handler minus HTTP (request bodies are encoded outside the timed region).
//!
//! `cargo bench --bench head_append -- --quick`

#[path = "common/mod.rs"]
mod common;

use common::{ScrapeClock, SeriesSpec, SeriesValues, mix, node_exporter_series};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use promql::Labels;
use remote_write::v1::{Label, Sample, TimeSeries, WriteRequest};
use remote_write::{DecodedWrite, Limits, decode_write_into, encode_write_v1};
use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};
use strata::metrics::Metrics;
use strata::tsdb::{Db, DbOptions};

const SERIES: usize = 2000;

/// A database in a fresh temporary directory with every series created at scrape 0.
struct Fixture {
    _dir: tempfile::TempDir,
    db: Arc<Db>,
    series: Vec<SeriesSpec>,
    labels: Vec<Labels>,
    values: Vec<SeriesValues>,
    clock: ScrapeClock,
    /// Next scrape number.
    k: usize,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let db = Db::open(DbOptions::new(dir.path()), Arc::new(Metrics::default()))
            .expect("open database");
        let series = node_exporter_series(SERIES, 3);
        let labels = series
            .iter()
            .map(|s| Labels::from_pairs(s.labels.iter().cloned()))
            .collect();
        let values = series
            .iter()
            .enumerate()
            .map(|(i, s)| SeriesValues::new(s.model, mix(i as u64)))
            .collect();
        // Start 10 days back so that many iterations stay in the past.
        let clock = ScrapeClock::new(1_704_067_200_000, 3);
        let mut f = Fixture {
            _dir: dir,
            db,
            series,
            labels,
            values,
            clock,
            k: 0,
        };
        f.append_batch(false);
        f
    }

    /// The next scrape of every series: `(index, t, v)`.
    fn next_scrape(&mut self) -> Vec<(usize, i64, f64)> {
        let k = self.k;
        self.k += 1;
        (0..self.series.len())
            .map(|i| {
                let t = self.clock.at(self.series[i].host, k);
                (i, t, self.values[i].next(t, self.clock.interval))
            })
            .collect()
    }

    fn append_batch(&mut self, pairs: bool) {
        let scrape = self.next_scrape();
        let mut app = self.db.appender();
        if pairs {
            let mut buf: Vec<(&str, &str)> = Vec::with_capacity(16);
            for &(i, t, v) in &scrape {
                buf.clear();
                buf.extend(
                    self.series[i]
                        .labels
                        .iter()
                        .map(|(n, v)| (n.as_str(), v.as_str())),
                );
                app.append_pairs(&buf, t, v).expect("in-order sample");
            }
        } else {
            for &(i, t, v) in &scrape {
                app.append(&self.labels[i], t, v).expect("in-order sample");
            }
        }
        black_box(app.commit().expect("commit"));
    }

    /// The next scrape as a remote write 1.0 body.
    fn next_request(&mut self) -> Vec<u8> {
        let timeseries = self
            .next_scrape()
            .into_iter()
            .map(|(i, t, v)| TimeSeries {
                labels: self.series[i]
                    .labels
                    .iter()
                    .map(|(n, v)| Label::new(n, v))
                    .collect(),
                samples: vec![Sample {
                    value: v,
                    timestamp: t,
                }],
                ..Default::default()
            })
            .collect();
        encode_write_v1(&WriteRequest {
            timeseries,
            metadata: vec![],
        })
        .expect("small request")
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("head_append");
    g.throughput(Throughput::Elements(SERIES as u64));

    let mut f = Fixture::new();
    g.bench_function("append_commit", |b| b.iter(|| f.append_batch(false)));
    drop(f);

    let mut f = Fixture::new();
    g.bench_function("append_pairs_commit", |b| b.iter(|| f.append_batch(true)));
    drop(f);

    let mut f = Fixture::new();
    let limits = Limits::default();
    let mut decoded = DecodedWrite::new();
    g.bench_function("remote_write_ingest", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                let body = f.next_request();
                let start = Instant::now();
                decode_write_into(&mut decoded, None, Some("snappy"), &body, &limits)
                    .expect("valid request");
                let outcome =
                    strata::ingest::remote_write::write(f.db.appender(), &decoded).expect("commit");
                spent += start.elapsed();
                assert_eq!(
                    outcome.samples_rejected,
                    0,
                    "{:?}",
                    outcome.rejection_message()
                );
            }
            spent
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
