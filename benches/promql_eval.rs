//! The PromQL evaluator over the real storage engine: 2,000 node_exporter series (8 hosts)
//! with two hours of 15 s scrapes (~960k samples) in a [`Db`] head, queried through
//! [`promql::Engine`] as the HTTP API would (parse, plan, evaluate).
//!
//! Groups (one query each, throughput in queries):
//! - `promql_eval/instant/*`: instant queries at the end of the data;
//! - `promql_eval/range_1h/*`: one-hour range queries with a 15 s step (241 points).
//!
//! `cargo bench --bench promql_eval -- --quick`

#[path = "common/mod.rs"]
mod common;

use common::{ScrapeClock, SeriesValues, mix, node_exporter_series};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use promql::{Engine, EngineOptions, Labels};
use std::hint::black_box;
use std::sync::Arc;
use strata::metrics::Metrics;
use strata::tsdb::{Db, DbOptions};

const SERIES: usize = 2000;
const SCRAPES: usize = 480;

const QUERIES: &[(&str, &str)] = &[
    ("selector", "node_cpu_seconds_total"),
    (
        "rate_sum_by",
        "sum by (mode) (rate(node_cpu_seconds_total[5m]))",
    ),
    ("avg_over_time", "avg_over_time(node_load1[10m])"),
    (
        "binary_on",
        "node_cpu_seconds_total / on(instance) group_left node_load1",
    ),
    ("topk", "topk(5, rate(node_cpu_seconds_total[5m]))"),
    (
        "subquery",
        "max_over_time(rate(node_cpu_seconds_total[1m])[10m:1m])",
    ),
];

fn build() -> (tempfile::TempDir, Arc<Db>, i64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = Db::open(DbOptions::new(dir.path()), Arc::new(Metrics::default())).expect("open db");
    let series = node_exporter_series(SERIES, 7);
    let labels: Vec<Labels> = series
        .iter()
        .map(|s| Labels::from_pairs(s.labels.iter().map(|(n, v)| (n.as_str(), v.as_str()))))
        .collect();
    let mut values: Vec<SeriesValues> = series
        .iter()
        .enumerate()
        .map(|(i, s)| SeriesValues::new(s.model, mix(i as u64)))
        .collect();
    let clock = ScrapeClock::new(1_700_000_000_000, 7);
    let mut last = 0;
    for k in 0..SCRAPES {
        let mut app = db.appender();
        for (i, s) in series.iter().enumerate() {
            let t = clock.at(s.host, k);
            let dt = if k == 0 {
                clock.interval
            } else {
                t - clock.at(s.host, k - 1)
            };
            let v = values[i].next(t, dt);
            app.append(&labels[i], t, v).expect("append");
            last = last.max(t);
        }
        app.commit().expect("commit");
    }
    (dir, db, last)
}

fn bench(c: &mut Criterion) {
    let (_dir, db, end) = build();
    let engine = Engine::new(EngineOptions::default());
    let mut g = c.benchmark_group("promql_eval/instant");
    g.throughput(Throughput::Elements(1));
    for (name, q) in QUERIES {
        g.bench_function(*name, |b| {
            b.iter(|| black_box(engine.instant_query(db.as_ref(), q, end).expect("query")))
        });
    }
    g.finish();
    let mut g = c.benchmark_group("promql_eval/range_1h");
    g.throughput(Throughput::Elements(1));
    g.sample_size(10);
    for (name, q) in QUERIES {
        g.bench_function(*name, |b| {
            b.iter(|| {
                black_box(
                    engine
                        .range_query(db.as_ref(), q, end - 3_600_000, end, 15_000)
                        .expect("query"),
                )
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
