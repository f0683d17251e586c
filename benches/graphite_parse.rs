//! Graphite plaintext: 10,000 collectd-style lines (200 hosts × 50 readings, one interval).
//!
//! Groups, throughput in lines:
//! - `graphite_parse/frame_parse`: the framer cutting a 64 KiB-read stream into lines, then
//!   `parse_line` on each (untagged `path value timestamp`);
//! - `graphite_parse/tagged`: the same with three `;tag=value` segments per line;
//! - `graphite_parse/mapped`: parsing plus a path template match on every line;
//! - `graphite_parse/ingest`: the server's writer appending a batch into a `Db` (WAL
//!   included) and committing, i.e. the Graphite listener minus its sockets; series exist
//!   already and every iteration is the next interval.
//!
//! `cargo bench --bench graphite_parse -- --quick`

use compat::graphite::{LineFramer, Mapping, parse_line};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::Arc;
use strata::ingest::graphite::GraphiteMetrics;
use strata::ingest::graphite::writer::{Batch, Writer};
use strata::metrics::Metrics;
use strata::tsdb::{Db, DbOptions};

const HOSTS: usize = 200;
const READINGS: [&str; 10] = [
    "load.load.shortterm",
    "load.load.midterm",
    "load.load.longterm",
    "memory.memory-used",
    "memory.memory-free",
    "memory.memory-cached",
    "cpu-0.cpu-idle",
    "cpu-0.cpu-user",
    "cpu-0.cpu-system",
    "interface-eth0.if_octets.rx",
];
const LINES: usize = HOSTS * READINGS.len() * 5;
const T0: u64 = 1_704_067_200;

/// One interval of lines at `t` seconds; `tags` adds `;tag=value` segments.
fn payload(t: u64, tags: bool) -> Vec<u8> {
    let mut out = String::with_capacity(LINES * 64);
    for h in 0..HOSTS {
        for k in 0..5 {
            for (i, r) in READINGS.iter().enumerate() {
                let v = ((h * 31 + i * 7 + k) % 1000) as f64 * 0.37 + t as f64 % 60.0;
                if tags {
                    out.push_str(&format!(
                        "collectd.{r}.{k};host=host-{h:04};dc=eu-{};rack=r{}",
                        h % 3,
                        h % 20
                    ));
                } else {
                    out.push_str(&format!("collectd.host-{h:04}.{r}.{k}"));
                }
                out.push_str(&format!(" {v} {t}\n"));
            }
        }
    }
    out.into_bytes()
}

fn frame_and_parse(data: &[u8], lines: &mut Vec<u8>) -> usize {
    let mut framer = LineFramer::new(4096);
    lines.clear();
    for chunk in data.chunks(64 * 1024) {
        framer.push(chunk, lines);
    }
    framer.finish(lines);
    let mut n = 0;
    for l in lines.split(|&b| b == b'\n') {
        if let Ok(Some(line)) = parse_line(l) {
            black_box(line.value);
            n += 1;
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("graphite_parse");
    g.throughput(Throughput::Elements(LINES as u64));
    let plain = payload(T0, false);
    let tagged = payload(T0, true);
    let mut lines = Vec::with_capacity(plain.len() * 2);

    assert_eq!(frame_and_parse(&plain, &mut lines), LINES);
    g.bench_function("frame_parse", |b| {
        b.iter(|| frame_and_parse(black_box(&plain), &mut lines))
    });
    assert_eq!(frame_and_parse(&tagged, &mut lines), LINES);
    g.bench_function("tagged", |b| {
        b.iter(|| {
            let mut tags = 0;
            for l in tagged.split(|&b| b == b'\n') {
                if let Ok(Some(line)) = parse_line(l) {
                    tags += line.tags().count();
                }
            }
            tags
        })
    });

    let mapping = Mapping::parse("collectd.*.*.*.* -> collectd_$2_$3 host=$1 n=$4").unwrap();
    g.bench_function("mapped", |b| {
        b.iter(|| {
            let mut n = 0;
            for l in plain.split(|&b| b == b'\n') {
                if let Ok(Some(line)) = parse_line(l) {
                    n += mapping.apply(line.path).map_or(0, |m| m.labels.len());
                }
            }
            n
        })
    });

    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(DbOptions::new(dir.path()), Arc::new(Metrics::default())).unwrap();
    let metrics = GraphiteMetrics::default();
    let empty = Mapping::default();
    let mut writer = Writer::new(&empty, &metrics);
    let mut t = T0;
    let mut next_batch = || {
        t += 10;
        Batch {
            lines: payload(t, false),
            received_ms: 0,
            too_long: 0,
            peer: std::net::SocketAddr::from(([127, 0, 0, 1], 2003)),
        }
    };
    let ingest = |writer: &mut Writer<'_>, batch: Batch| {
        let mut app = db.appender();
        writer.append_batch(app.as_mut(), &batch);
        writer.commit(app);
    };
    // The first interval creates the series; the timed ones append to existing series.
    ingest(&mut writer, next_batch());
    g.bench_function("ingest", |b| {
        b.iter_batched(
            &mut next_batch,
            |batch| ingest(&mut writer, batch),
            criterion::BatchSize::PerIteration,
        )
    });
    g.finish();
    assert_eq!(metrics.rejected("out_of_order"), 0);
}

criterion_group!(benches, bench);
criterion_main!(benches);
