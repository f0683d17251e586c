//! Chunk encoding: appending and fully decoding one 240-sample chunk ([`TARGET_SAMPLES_PER_CHUNK`],
//! one hour of 15 s scrapes), for Prometheus's XOR encoding and Strata's own, on node_exporter-like
//! data from `benches/common`: a CPU-seconds counter (2-decimal increments), an integer byte
//! counter, a constant gauge, full-precision durations, and the realistic mix of a whole host.
//!
//! Throughput is in samples. The encoded size of each data set is printed once per run (bytes
//! per sample) so that speed and size can be read together; nothing here asserts either.
//!
//! `cargo bench --bench chunkenc -- --quick`

#[path = "common/mod.rs"]
mod common;

use common::{
    ChunkData, ScrapeClock, ValueModel, node_exporter_chunks, node_exporter_chunks_with_models,
    series_samples, series_samples_aligned,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use promql::SampleIterator;
use std::hint::black_box;
use strata::tsdb::chunkenc::{
    Encoding, StrataAppender, TARGET_SAMPLES_PER_CHUNK, XorAppender, iter_chunk,
};

/// Series of the first node_exporter host(s) in the mixed data set.
const MIX_SERIES: usize = 400;

fn encode(enc: Encoding, samples: &[(i64, f64)]) -> Vec<u8> {
    match enc {
        Encoding::Xor => {
            let mut app = XorAppender::new();
            for &(t, v) in samples {
                app.append(t, v)
                    .expect("in-order samples below the chunk limit");
            }
            app.into_bytes()
        }
        Encoding::Strata => {
            let mut app = StrataAppender::new();
            for &(t, v) in samples {
                app.append(t, v)
                    .expect("in-order samples below the chunk limit");
            }
            app.into_bytes()
        }
    }
}

/// Decodes a whole chunk; returns a checksum so nothing is optimized away.
fn decode(enc: Encoding, data: &[u8]) -> (usize, f64) {
    let mut it = iter_chunk(enc, data);
    let (mut n, mut sum) = (0usize, 0.0f64);
    while it.next() {
        let (t, v) = it.at();
        n += 1;
        sum += v + t as f64;
    }
    (n, sum)
}

/// A named data set: one sample vector per chunk.
type DataSet = (&'static str, Vec<Vec<(i64, f64)>>);

/// The single-series data sets and the node_exporter mix.
fn data_sets() -> Vec<DataSet> {
    let mut sets: Vec<DataSet> = ChunkData::ALL
        .iter()
        .map(|d| {
            (
                d.name(),
                vec![series_samples(d.model(), TARGET_SAMPLES_PER_CHUNK, 42)],
            )
        })
        .collect();
    sets.push((
        "node_exporter_mix",
        node_exporter_chunks(MIX_SERIES, TARGET_SAMPLES_PER_CHUNK, 42),
    ));
    sets
}

fn report_sizes(sets: &[DataSet]) {
    eprintln!("encoded size, bytes/sample ({TARGET_SAMPLES_PER_CHUNK}-sample chunks):");
    eprintln!(
        "  {:<24} {:>8} {:>8} {:>8}",
        "data", "xor", "strata", "ratio"
    );
    for (name, chunks) in sets {
        let samples: usize = chunks.iter().map(Vec::len).sum();
        let size = |enc| {
            chunks.iter().map(|c| encode(enc, c).len()).sum::<usize>() as f64 / samples as f64
        };
        let (x, s) = (size(Encoding::Xor), size(Encoding::Strata));
        eprintln!("  {name:<24} {x:>8.3} {s:>8.3} {:>8.3}", s / x);
    }
    // What timestamps cost: a constant value, with all, 90 % (the default) and no scrapes aligned.
    for aligned in [1.0, 0.9, 0.0] {
        let chunk = series_samples_aligned(
            ValueModel::Constant(1.0),
            TARGET_SAMPLES_PER_CHUNK,
            42,
            aligned,
        );
        let size = |enc| encode(enc, &chunk).len() as f64 / chunk.len() as f64;
        let (x, s) = (size(Encoding::Xor), size(Encoding::Strata));
        let name = format!("constant, {:.0}% aligned", aligned * 100.0);
        eprintln!("  {name:<24} {x:>8.3} {s:>8.3} {:>8.3}", s / x);
    }
    // Where the mix's bytes go, by kind of series, against the information the generator put in.
    let mut kinds: std::collections::BTreeMap<&str, [f64; 4]> = Default::default();
    let mix = node_exporter_chunks_with_models(MIX_SERIES, TARGET_SAMPLES_PER_CHUNK, 42);
    let ts_bits = ScrapeClock::new(0, 42).entropy_bits();
    let total: usize = mix.iter().map(|(_, s)| s.len()).sum();
    for (model, samples) in &mix {
        let e = kinds.entry(model.kind()).or_default();
        e[0] += samples.len() as f64;
        e[1] += encode(Encoding::Xor, samples).len() as f64;
        e[2] += encode(Encoding::Strata, samples).len() as f64;
        e[3] +=
            samples.len() as f64 * (model.entropy_bits(common::SCRAPE_INTERVAL_MS) + ts_bits) / 8.0;
    }
    eprintln!(
        "node_exporter_mix by kind (floor: approximate information content per sample, timestamps included):"
    );
    eprintln!(
        "  {:<24} {:>7} {:>8} {:>8} {:>8} {:>9}",
        "kind", "samples", "xor", "strata", "floor", "of strata"
    );
    let strata_total: f64 = kinds.values().map(|k| k[2]).sum();
    let floor_total: f64 = kinds.values().map(|k| k[3]).sum();
    for (kind, [n, x, s, f]) in &kinds {
        eprintln!(
            "  {kind:<24} {:>6.1}% {:>8.3} {:>8.3} {:>8.3} {:>8.1}%",
            100.0 * n / total as f64,
            x / n,
            s / n,
            f / n,
            100.0 * s / strata_total
        );
    }
    eprintln!(
        "  {:<24} {:>7} {:>8} {:>8.3} {:>8.3}",
        "all",
        "",
        "",
        strata_total / total as f64,
        floor_total / total as f64
    );
}

fn bench(c: &mut Criterion) {
    let sets = data_sets();
    report_sizes(&sets);
    for (name, chunks) in &sets {
        let samples: usize = chunks.iter().map(Vec::len).sum();

        let mut g = c.benchmark_group(format!("chunkenc/append/{name}"));
        g.throughput(Throughput::Elements(samples as u64));
        for enc in [Encoding::Xor, Encoding::Strata] {
            g.bench_function(format!("{enc:?}").to_lowercase(), |b| {
                b.iter(|| {
                    for chunk in chunks {
                        black_box(encode(enc, black_box(chunk)));
                    }
                })
            });
        }
        g.finish();

        let mut g = c.benchmark_group(format!("chunkenc/decode/{name}"));
        g.throughput(Throughput::Elements(samples as u64));
        for enc in [Encoding::Xor, Encoding::Strata] {
            let encoded: Vec<Vec<u8>> = chunks.iter().map(|c| encode(enc, c)).collect();
            for (data, chunk) in encoded.iter().zip(chunks) {
                assert_eq!(
                    decode(enc, data).0,
                    chunk.len(),
                    "{name}: {enc:?} round trip lost samples"
                );
            }
            g.bench_function(format!("{enc:?}").to_lowercase(), |b| {
                b.iter(|| {
                    for data in &encoded {
                        black_box(decode(enc, black_box(data)));
                    }
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
