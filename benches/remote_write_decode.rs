//! Remote write decoding: one request of 2,000 node_exporter series with one sample each (what
//! Prometheus's queue manager sends at its default `max_samples_per_send`), in 1.0 and 2.0 form.
//!
//! Groups, all with throughput in samples:
//! - `remote_write_decode/v1`, `/v2`: `decode_write_into` into a reused `DecodedWrite`, as the
//!   server's handler does (`fresh`: `decode_write`, allocating the result each time);
//! - `remote_write_decode/stages`: snappy alone and protobuf parsing alone, to see where time goes.
//!
//! `cargo bench --bench remote_write_decode -- --quick`

#[path = "common/mod.rs"]
mod common;

use common::{ScrapeClock, SeriesValues, mix, node_exporter_series};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use remote_write::v1::{Label, Sample, TimeSeries, WriteRequest};
use remote_write::{
    CONTENT_TYPE_V2, DecodedWrite, Limits, ProtoVersion, decode_write, decode_write_into,
    encode_write_v1, encode_write_v2, v2_from_v1,
};
use std::hint::black_box;

const SERIES: usize = 2000;

/// The request: 2,000 series of the first node_exporter hosts, one sample each, at one scrape.
fn request() -> WriteRequest {
    let clock = ScrapeClock::new(1_704_067_200_000, 1);
    let timeseries = node_exporter_series(SERIES, 1)
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let t = clock.at(s.host, 100);
            let v = SeriesValues::new(s.model, mix(i as u64)).next(t, 15_000);
            TimeSeries {
                labels: s.labels.iter().map(|(n, v)| Label::new(n, v)).collect(),
                samples: vec![Sample {
                    value: v,
                    timestamp: t,
                }],
                ..Default::default()
            }
        })
        .collect();
    WriteRequest {
        timeseries,
        metadata: vec![],
    }
}

fn bench(c: &mut Criterion) {
    let req = request();
    let v1 = encode_write_v1(&req).expect("small request");
    let v2 = encode_write_v2(&v2_from_v1(&req)).expect("small request");
    let limits = Limits::default();
    eprintln!(
        "request of {SERIES} samples: v1 {} bytes snappy ({:.1} B/sample), v2 {} bytes snappy ({:.1} B/sample)",
        v1.len(),
        v1.len() as f64 / SERIES as f64,
        v2.len(),
        v2.len() as f64 / SERIES as f64
    );

    let mut g = c.benchmark_group("remote_write_decode");
    g.throughput(Throughput::Elements(SERIES as u64));
    for (name, content_type, body) in [("v1", None, &v1), ("v2", Some(CONTENT_TYPE_V2), &v2)] {
        let mut out = DecodedWrite::new();
        let version = decode_write_into(&mut out, content_type, Some("snappy"), body, &limits)
            .expect("valid request");
        assert_eq!(out.len(), SERIES);
        assert_eq!(
            version,
            if name == "v1" {
                ProtoVersion::V1
            } else {
                ProtoVersion::V2
            }
        );
        g.bench_function(name, |b| {
            b.iter(|| {
                decode_write_into(
                    &mut out,
                    content_type,
                    Some("snappy"),
                    black_box(body),
                    &limits,
                )
                .expect("valid request");
                black_box(out.len())
            })
        });
        g.bench_function(format!("{name}_fresh"), |b| {
            b.iter(|| {
                black_box(
                    decode_write(content_type, Some("snappy"), black_box(body), &limits)
                        .expect("valid request"),
                )
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("remote_write_decode/stages");
    g.throughput(Throughput::Elements(SERIES as u64));
    for (name, version, body) in [("v1", ProtoVersion::V1, &v1), ("v2", ProtoVersion::V2, &v2)] {
        let mut raw = remote_write::snappy::decompress(body, usize::MAX).expect("valid snappy");
        g.bench_function(format!("{name}_snappy"), |b| {
            b.iter(|| {
                remote_write::snappy::decompress_into(black_box(body), usize::MAX, &mut raw)
                    .expect("valid snappy");
                black_box(raw.len())
            })
        });
        let mut out = DecodedWrite::new();
        g.bench_function(format!("{name}_protobuf"), |b| {
            b.iter(|| {
                out.decode_protobuf(version, black_box(&raw), &limits)
                    .expect("valid protobuf");
                black_box(out.len())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
