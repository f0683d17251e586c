//! Pre-encoding the whole workload as remote write 1.0 request bodies, the way Prometheus's queue
//! manager sends them: series sharded over the connections by a hash, each shard's samples in
//! scrape order, at most `batch` samples per request, one `TimeSeries` (full label set) per
//! sample, protobuf then snappy.
//!
//! The protobuf is written by hand from per-series pre-encoded labels (encoding millions of samples
//! through prost's owned `String`s would take longer than sending them); a test checks it is
//! byte-identical to `remote_write::encode_write_v1`.

use crate::common::{ScrapeClock, SeriesSpec, SeriesValues, mix};

/// One request body, ready to send.
#[derive(Debug)]
pub struct Request {
    /// Snappy-compressed protobuf `WriteRequest`.
    pub body: Vec<u8>,
    pub samples: u32,
    /// Smallest and largest sample timestamp in the request, ms.
    pub min_t: i64,
    pub max_t: i64,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Plan {
    pub series: Vec<SeriesSpec>,
    pub clock: ScrapeClock,
    /// Scrapes per series.
    pub steps: usize,
    /// Connections (queue manager shards).
    pub shards: usize,
    /// Most samples per request (Prometheus's `max_samples_per_send`, 2000 by default).
    pub batch: usize,
    pub seed: u64,
}

/// The pre-encoded workload: one request list per shard.
#[derive(Debug)]
pub struct Payloads {
    pub shards: Vec<Vec<Request>>,
    pub samples: u64,
    pub requests: u64,
    pub body_bytes: u64,
    /// Uncompressed protobuf bytes.
    pub raw_bytes: u64,
    /// FNV-1a over all bodies in shard order: equal hashes mean identical workloads.
    pub hash: u64,
    pub min_t: i64,
    pub max_t: i64,
}

/// Shard of series `index`, as a stable hash (Prometheus hashes the label set).
pub fn shard_of(index: usize, shards: usize, seed: u64) -> usize {
    (mix(seed ^ 0x5EED_5A4D ^ index as u64) % shards as u64) as usize
}

/// Encodes every request of the plan, using up to `threads` threads.
pub fn build(plan: &Plan, threads: usize) -> Payloads {
    let shard_series: Vec<Vec<usize>> = {
        let mut v = vec![Vec::new(); plan.shards];
        for i in 0..plan.series.len() {
            v[shard_of(i, plan.shards, plan.seed)].push(i);
        }
        v
    };
    let labels: Vec<Vec<u8>> = plan
        .series
        .iter()
        .map(|s| encode_labels(&s.labels))
        .collect();
    let threads = threads.clamp(1, plan.shards.max(1));
    let mut shards: Vec<(Vec<Request>, u64)> = (0..plan.shards).map(|_| (Vec::new(), 0)).collect();
    std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for t in 0..threads {
            let (shard_series, labels) = (&shard_series, &labels);
            handles.push(scope.spawn(move || {
                (t..plan.shards)
                    .step_by(threads)
                    .map(|s| (s, build_shard(plan, &shard_series[s], labels)))
                    .collect::<Vec<_>>()
            }));
        }
        for h in handles {
            for (s, shard) in h.join().expect("payload encoder thread panicked") {
                shards[s] = shard;
            }
        }
    });
    let mut p = Payloads {
        samples: 0,
        requests: 0,
        body_bytes: 0,
        raw_bytes: 0,
        hash: 0xcbf2_9ce4_8422_2325,
        min_t: i64::MAX,
        max_t: i64::MIN,
        shards: Vec::new(),
    };
    for (reqs, raw) in &shards {
        p.raw_bytes += raw;
        for r in reqs {
            p.samples += u64::from(r.samples);
            p.requests += 1;
            p.body_bytes += r.body.len() as u64;
            p.min_t = p.min_t.min(r.min_t);
            p.max_t = p.max_t.max(r.max_t);
            for &b in &r.body {
                p.hash = (p.hash ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
            }
        }
    }
    p.shards = shards.into_iter().map(|(reqs, _)| reqs).collect();
    p
}

fn build_shard(plan: &Plan, series: &[usize], labels: &[Vec<u8>]) -> (Vec<Request>, u64) {
    let mut values: Vec<SeriesValues> = series
        .iter()
        .map(|&i| SeriesValues::new(plan.series[i].model, mix(plan.seed ^ 0xDA7A ^ i as u64)))
        .collect();
    let mut prev: Vec<i64> = series
        .iter()
        .map(|&i| plan.clock.at(plan.series[i].host, 0) - plan.clock.interval)
        .collect();
    let mut out = Vec::new();
    let mut raw = Vec::with_capacity(plan.batch * 256);
    let mut raw_total = 0u64;
    let mut n = 0u32;
    let (mut min_t, mut max_t) = (i64::MAX, i64::MIN);
    let mut flush = |raw: &mut Vec<u8>, n: &mut u32, min_t: &mut i64, max_t: &mut i64| {
        if *n == 0 {
            return;
        }
        raw_total += raw.len() as u64;
        let body = snap::raw::Encoder::new()
            .compress_vec(raw)
            .expect("request below 4 GiB");
        out.push(Request {
            body,
            samples: *n,
            min_t: *min_t,
            max_t: *max_t,
        });
        raw.clear();
        *n = 0;
        (*min_t, *max_t) = (i64::MAX, i64::MIN);
    };
    for k in 0..plan.steps {
        for (j, &i) in series.iter().enumerate() {
            let t = plan.clock.at(plan.series[i].host, k);
            let v = values[j].next(t, t - prev[j]);
            prev[j] = t;
            push_sample(&mut raw, &labels[i], t, v);
            n += 1;
            min_t = min_t.min(t);
            max_t = max_t.max(t);
            if n as usize >= plan.batch {
                flush(&mut raw, &mut n, &mut min_t, &mut max_t);
            }
        }
    }
    flush(&mut raw, &mut n, &mut min_t, &mut max_t);
    (out, raw_total)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// Field 1 of `TimeSeries` (repeated `Label`), pre-encoded once per series.
fn encode_labels(labels: &[(String, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in labels {
        let mut msg = Vec::with_capacity(name.len() + value.len() + 6);
        for (tag, s) in [(0x0a, name), (0x12, value)] {
            // proto3 omits empty strings, as prost and Go's gogo-proto do.
            if !s.is_empty() {
                msg.push(tag);
                put_varint(&mut msg, s.len() as u64);
                msg.extend_from_slice(s.as_bytes());
            }
        }
        out.push(0x0a);
        put_varint(&mut out, msg.len() as u64);
        out.extend_from_slice(&msg);
    }
    out
}

/// Appends `WriteRequest.timeseries` (field 1) holding `labels` and one sample.
fn push_sample(out: &mut Vec<u8>, labels: &[u8], t: i64, v: f64) {
    // Sample: value (field 1, fixed64) unless 0, timestamp (field 2, varint) unless 0.
    let value_len = if v != 0.0 { 9 } else { 0 };
    let ts_len = if t != 0 { 1 + varint_len(t as u64) } else { 0 };
    let sample_len = value_len + ts_len;
    let series_len = labels.len() + 1 + varint_len(sample_len as u64) + sample_len;
    out.push(0x0a);
    put_varint(out, series_len as u64);
    out.extend_from_slice(labels);
    out.push(0x12);
    put_varint(out, sample_len as u64);
    if v != 0.0 {
        out.push(0x09);
        out.extend_from_slice(&v.to_bits().to_le_bytes());
    }
    if t != 0 {
        out.push(0x10);
        put_varint(out, t as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::node_exporter_series;
    use remote_write::v1::{Label, Sample, TimeSeries, WriteRequest};

    #[test]
    fn hand_encoding_matches_prost() {
        let series = node_exporter_series(700, 7);
        let plan = Plan {
            series: series.clone(),
            clock: ScrapeClock::new(1_700_000_000_000, 7),
            steps: 3,
            shards: 1,
            batch: 500,
            seed: 7,
        };
        let payloads = build(&plan, 1);
        assert_eq!(payloads.samples, 2100);
        let reqs = &payloads.shards[0];
        assert_eq!(reqs.len(), 5);
        let mut dec = snap::raw::Decoder::new();
        // Rebuild the first request with prost: samples 0..500 are series 0..500 at scrape 0.
        let mut values: Vec<SeriesValues> = (0..500)
            .map(|i| SeriesValues::new(series[i].model, mix(7 ^ 0xDA7A ^ i as u64)))
            .collect();
        let timeseries = (0..500)
            .map(|i| {
                let t = plan.clock.at(series[i].host, 0);
                let v = values[i].next(t, plan.clock.interval);
                TimeSeries {
                    labels: series[i]
                        .labels
                        .iter()
                        .map(|(n, v)| Label::new(n, v))
                        .collect(),
                    samples: vec![Sample {
                        value: v,
                        timestamp: t,
                    }],
                    ..Default::default()
                }
            })
            .collect();
        let want = remote_write::encode_write_v1(&WriteRequest {
            timeseries,
            metadata: vec![],
        })
        .unwrap();
        assert_eq!(
            dec.decompress_vec(&reqs[0].body).unwrap(),
            dec.decompress_vec(&want).unwrap()
        );
    }

    #[test]
    fn zero_values_and_large_requests_decode() {
        let plan = Plan {
            series: node_exporter_series(3000, 1),
            clock: ScrapeClock::new(1_700_000_000_000, 1),
            steps: 2,
            shards: 3,
            batch: 2000,
            seed: 1,
        };
        let payloads = build(&plan, 2);
        assert_eq!(payloads.samples, 6000);
        let mut seen = 0;
        for req in payloads.shards.iter().flatten() {
            let (_, w) =
                remote_write::decode_write(None, Some("snappy"), &req.body, &Default::default())
                    .unwrap();
            let n: usize = w.series().map(|s| s.samples().len()).sum();
            assert_eq!(n, req.samples as usize);
            assert!(req.samples <= 2000);
            seen += n;
        }
        assert_eq!(seen, 6000);
    }
}
