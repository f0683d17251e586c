//! InfluxDB line protocol: parsing alone, and parsing plus appending into a real head.
//!
//! Groups, with throughput in lines:
//! - `influx_parse/telegraf_cpu`: 5,000 lines of Telegraf's `cpu` input (2 tags, 10 float
//!   fields), the commonest shape;
//! - `influx_parse/mixed`: 5,000 lines with integer, unsigned, boolean and string fields,
//!   escaped names and tags, and unsorted tags;
//! - `influx_ingest/telegraf_cpu`: the same `cpu` body through `ingest::influx::write` into a
//!   `Db` (parse, name and label building, head append and WAL commit), 10 samples per line.
//!
//! `cargo bench --bench influx_parse -- --quick`

use compat::influx::{ParseOptions, Precision, parse_batch};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::Arc;
use strata::ingest::influx::{InfluxMetrics, write};
use strata::metrics::Metrics;
use strata::tsdb::{Db, DbOptions};

const LINES: usize = 5000;
const HOSTS: usize = 50;

/// Telegraf's `cpu` measurement for `HOSTS` hosts x 100 CPUs, all at `t_s` seconds.
fn telegraf_cpu(t_s: i64) -> String {
    let mut out = String::with_capacity(LINES * 260);
    for i in 0..LINES {
        let (host, cpu) = (i % HOSTS, i / HOSTS);
        let f = |k: usize| ((i * 7 + k * 13) % 1000) as f64 / 10.0;
        out.push_str(&format!(
            "cpu,cpu=cpu{cpu},host=server{host:03} usage_user={},usage_system={},usage_idle={},\
             usage_nice=0,usage_iowait={},usage_irq=0,usage_softirq={},usage_steal=0,\
             usage_guest=0,usage_guest_nice=0 {}\n",
            f(1),
            f(2),
            f(3),
            f(4),
            f(5),
            t_s * 1_000_000_000
        ));
    }
    out
}

fn mixed() -> String {
    let mut out = String::with_capacity(LINES * 200);
    for i in 0..LINES {
        out.push_str(&format!(
            "disk\\ io,path=/mnt/data\\ {i},dev=sd{} reads={i}i,bytes={}u,ok={},\
             msg=\"state \\\"ok\\\" #{i}\",util={}.25 {}\n",
            i % 26,
            i * 4096,
            if i % 2 == 0 { "true" } else { "F" },
            i % 100,
            1_700_000_000_000_000_000i64 + i as i64
        ));
    }
    out
}

fn bench(c: &mut Criterion) {
    let opts = ParseOptions {
        precision: Precision::Nanosecond,
        now_ns: 1_700_000_000_000_000_000,
        ..ParseOptions::default()
    };
    let cpu = telegraf_cpu(1_700_000_000);
    let mix = mixed();
    eprintln!(
        "bodies: telegraf_cpu {} bytes ({:.0} B/line), mixed {} bytes ({:.0} B/line)",
        cpu.len(),
        cpu.len() as f64 / LINES as f64,
        mix.len(),
        mix.len() as f64 / LINES as f64
    );
    let mut g = c.benchmark_group("influx_parse");
    g.throughput(Throughput::Elements(LINES as u64));
    for (name, body) in [("telegraf_cpu", &cpu), ("mixed", &mix)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut fields = 0usize;
                let s = parse_batch(black_box(body.as_bytes()), &opts, |_, p| {
                    fields += p.fields.len();
                });
                assert_eq!(s.rejected, 0);
                black_box(fields)
            })
        });
    }
    g.finish();

    let dir = tempfile::tempdir().expect("temp dir");
    let db = Db::open(DbOptions::new(dir.path()), Arc::new(Metrics::default())).expect("open db");
    let metrics = InfluxMetrics::default();
    let mut g = c.benchmark_group("influx_ingest");
    g.throughput(Throughput::Elements(LINES as u64));
    g.sample_size(20);
    // Each iteration writes the next scrape (10 s later), so every sample is in order.
    let mut t_s = 1_700_000_000i64;
    g.bench_function("telegraf_cpu", |b| {
        b.iter_batched(
            || {
                t_s += 10;
                telegraf_cpu(t_s)
            },
            |body| {
                let out = write(db.appender(), body.as_bytes(), "bench", &opts, &metrics)
                    .expect("commit");
                assert_eq!(out.samples_written, (LINES * 10) as u64);
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
