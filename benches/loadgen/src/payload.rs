//! Pre-encoding the whole workload as remote write 1.0 request bodies, the way Prometheus's queue
//! manager sends them: series sharded over the connections by a hash, each shard's samples in
//! scrape order, at most `batch` samples per request, one `TimeSeries` (full label set) per
//! sample, protobuf then snappy. The samples come from the generator ([`build`]) or from a
//! replayed recording ([`build_recorded`]); both go through one encoder.
//!
//! The protobuf is written by hand from per-series pre-encoded labels (encoding millions of samples
//! through prost's owned `String`s would take longer than sending them); a test checks it is
//! byte-identical to `remote_write::encode_write_v1`.

use crate::common::{ScrapeClock, SeriesSpec, SeriesValues, mix};
use crate::recording::Series;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

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
    let labels = plan.series.iter().map(|s| s.labels.as_slice());
    encode_all(
        labels,
        plan.shards,
        plan.seed,
        plan.batch,
        threads,
        |series| Generated::new(plan, series),
    )
}

/// Encodes every sample of recorded (replayed) series, using up to `threads` threads: series
/// sharded as [`build`] does, each shard's samples in time order (scrape order: every host's
/// scrape in turn, as Prometheus's queue reads them from its WAL), ties in series order.
pub fn build_recorded(
    series: &[Series],
    shards: usize,
    batch: usize,
    seed: u64,
    threads: usize,
) -> Payloads {
    let labels = series.iter().map(|s| s.labels.as_slice());
    encode_all(labels, shards, seed, batch, threads, |ids| {
        Recorded::new(series, ids)
    })
}

/// One request holding one sample, e.g. a last sample sent after the workload.
pub fn single_sample(labels: &[(String, String)], t: i64, v: f64) -> Payloads {
    encode_all([labels].into_iter(), 1, 0, 1, 1, |ids| {
        ids.into_iter().map(move |i| (i, t, v))
    })
}

/// Shards the series, encodes each shard's samples (`samples` yields `(series index, t, v)` in
/// send order for the shard's series, given in index order) and totals the result.
fn encode_all<'l, I>(
    labels: impl Iterator<Item = &'l [(String, String)]>,
    shards: usize,
    seed: u64,
    batch: usize,
    threads: usize,
    samples: impl Fn(Vec<usize>) -> I + Sync,
) -> Payloads
where
    I: Iterator<Item = (usize, i64, f64)>,
{
    let labels: Vec<Vec<u8>> = labels.map(encode_labels).collect();
    let mut shard_series = vec![Vec::new(); shards];
    for i in 0..labels.len() {
        shard_series[shard_of(i, shards, seed)].push(i);
    }
    let threads = threads.clamp(1, shards.max(1));
    let mut built: Vec<(Vec<Request>, u64)> = (0..shards).map(|_| (Vec::new(), 0)).collect();
    std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for t in 0..threads {
            let (shard_series, labels, samples) = (&shard_series, &labels, &samples);
            handles.push(scope.spawn(move || {
                (t..shards)
                    .step_by(threads)
                    .map(|s| {
                        let ids = shard_series[s].clone();
                        (s, encode_shard(samples(ids), labels, batch))
                    })
                    .collect::<Vec<_>>()
            }));
        }
        for h in handles {
            for (s, shard) in h.join().expect("payload encoder thread panicked") {
                built[s] = shard;
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
    for (reqs, raw) in &built {
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
    p.shards = built.into_iter().map(|(reqs, _)| reqs).collect();
    p
}

/// The generator's samples for one shard: scrape `k` of every series, `k = 0..steps`.
struct Generated<'p> {
    plan: &'p Plan,
    series: Vec<usize>,
    values: Vec<SeriesValues>,
    /// Previous timestamp per series (the value models need the elapsed time).
    prev: Vec<i64>,
    k: usize,
    j: usize,
}

impl<'p> Generated<'p> {
    fn new(plan: &'p Plan, series: Vec<usize>) -> Self {
        let values = series
            .iter()
            .map(|&i| SeriesValues::new(plan.series[i].model, mix(plan.seed ^ 0xDA7A ^ i as u64)))
            .collect();
        let prev = series
            .iter()
            .map(|&i| plan.clock.at(plan.series[i].host, 0) - plan.clock.interval)
            .collect();
        Self {
            plan,
            series,
            values,
            prev,
            k: 0,
            j: 0,
        }
    }
}

impl Iterator for Generated<'_> {
    type Item = (usize, i64, f64);

    fn next(&mut self) -> Option<Self::Item> {
        if self.j == self.series.len() {
            self.j = 0;
            self.k += 1;
        }
        if self.k >= self.plan.steps || self.series.is_empty() {
            return None;
        }
        let (j, i) = (self.j, self.series[self.j]);
        self.j += 1;
        let t = self.plan.clock.at(self.plan.series[i].host, self.k);
        let v = self.values[j].next(t, t - self.prev[j]);
        self.prev[j] = t;
        Some((i, t, v))
    }
}

/// Recorded samples of one shard in time order: a merge of the series by next timestamp.
///
/// Sending by timestamp rather than by sample number matters for real data: a series that
/// appears late (or has gaps) would otherwise be sent ahead of the others, and a receiver
/// rejects samples more than an hour older than the newest it has seen.
struct Recorded<'r> {
    recording: &'r [Series],
    series: Vec<usize>,
    /// Next sample per shard series.
    next: Vec<usize>,
    /// `(timestamp, position in series)` of every shard series with samples left, smallest first.
    heap: BinaryHeap<Reverse<(i64, usize)>>,
}

impl<'r> Recorded<'r> {
    fn new(recording: &'r [Series], series: Vec<usize>) -> Self {
        let heap = series
            .iter()
            .enumerate()
            .filter_map(|(j, &i)| Some(Reverse((recording[i].samples.first()?.0, j))))
            .collect();
        Self {
            recording,
            next: vec![0; series.len()],
            series,
            heap,
        }
    }
}

impl Iterator for Recorded<'_> {
    type Item = (usize, i64, f64);

    fn next(&mut self) -> Option<Self::Item> {
        let Reverse((_, j)) = self.heap.pop()?;
        let i = self.series[j];
        let samples = &self.recording[i].samples;
        let (t, v) = samples[self.next[j]];
        self.next[j] += 1;
        if let Some(&(t2, _)) = samples.get(self.next[j]) {
            self.heap.push(Reverse((t2, j)));
        }
        Some((i, t, v))
    }
}

/// Encodes samples in the order given, at most `batch` per request.
fn encode_shard(
    samples: impl Iterator<Item = (usize, i64, f64)>,
    labels: &[Vec<u8>],
    batch: usize,
) -> (Vec<Request>, u64) {
    let mut out = Vec::new();
    let mut raw = Vec::with_capacity(batch.min(1 << 16) * 256);
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
    for (i, t, v) in samples {
        push_sample(&mut raw, &labels[i], t, v);
        n += 1;
        min_t = min_t.min(t);
        max_t = max_t.max(t);
        if n as usize >= batch {
            flush(&mut raw, &mut n, &mut min_t, &mut max_t);
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
    // Sample: value (field 1, fixed64) unless +0.0, timestamp (field 2, varint) unless 0. A
    // recorded -0.0 is written (prost would drop it) so replayed values keep their bits.
    let has_value = v.to_bits() != 0;
    let value_len = if has_value { 9 } else { 0 };
    let ts_len = if t != 0 { 1 + varint_len(t as u64) } else { 0 };
    let sample_len = value_len + ts_len;
    let series_len = labels.len() + 1 + varint_len(sample_len as u64) + sample_len;
    out.push(0x0a);
    put_varint(out, series_len as u64);
    out.extend_from_slice(labels);
    out.push(0x12);
    put_varint(out, sample_len as u64);
    if has_value {
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

    #[test]
    fn recording_replays_every_sample_once_in_time_order() {
        let series = |name: &str, samples: Vec<(i64, f64)>| Series {
            labels: vec![
                ("__name__".into(), name.into()),
                ("instance".into(), "h:9100".into()),
                ("job".into(), "node".into()),
            ],
            samples,
        };
        let base = 1_700_000_000_000;
        let recording = vec![
            series(
                "a",
                (0..40)
                    .map(|k| (base + k * 15_000, k as f64 * 0.1))
                    .collect(),
            ),
            // Starts late and has a gap; values 0, NaN and infinities keep their bits.
            series(
                "b",
                [
                    (5, 0.0),
                    (6, f64::from_bits(0x7ff8_0000_0000_0001)),
                    (20, f64::INFINITY),
                ]
                .iter()
                .map(|&(k, v)| (base + k * 15_000, v))
                .collect(),
            ),
            series("c", vec![(base + 1, -0.0), (base + 2, f64::NEG_INFINITY)]),
            series("empty", vec![]),
        ];
        let replayed = crate::recording::replicate(&recording, 3, -7_200_000);
        let payloads = build_recorded(&replayed, 2, 7, 3, 2);
        let want: usize = replayed.iter().map(|s| s.samples.len()).sum();
        assert_eq!(payloads.samples as usize, want);

        // Labels -> (t, value bits) in the order received.
        type Received = std::collections::HashMap<Vec<(String, String)>, Vec<(i64, u64)>>;
        let mut got = Received::default();
        for req in payloads.shards.iter().flatten() {
            let (_, w) =
                remote_write::decode_write(None, Some("snappy"), &req.body, &Default::default())
                    .unwrap();
            let mut n = 0;
            for s in w.series() {
                let labels: Vec<(String, String)> = s
                    .labels()
                    .map(|(n, v)| (n.to_owned(), v.to_owned()))
                    .collect();
                let samples = got.entry(labels).or_default();
                for &(t, v) in s.samples() {
                    assert!((req.min_t..=req.max_t).contains(&t));
                    samples.push((t, v.to_bits()));
                    n += 1;
                }
            }
            assert_eq!(n, req.samples as usize);
        }
        for s in replayed.iter().filter(|s| !s.samples.is_empty()) {
            // Exactly once each, in time order, bit for bit.
            let want: Vec<(i64, u64)> = s.samples.iter().map(|&(t, v)| (t, v.to_bits())).collect();
            assert_eq!(
                got.remove(&s.labels).as_ref(),
                Some(&want),
                "{:?}",
                s.labels
            );
        }
        assert!(got.is_empty());
        // Within a shard the requests follow data time.
        for reqs in &payloads.shards {
            for w in reqs.windows(2) {
                assert!(w[0].min_t <= w[1].min_t);
            }
        }
    }

    #[test]
    fn single_sample_request_decodes() {
        let labels = vec![("__name__".to_owned(), "x".to_owned())];
        let p = single_sample(&labels, 1234, 1.0);
        assert_eq!(
            (p.samples, p.requests, p.min_t, p.max_t),
            (1, 1, 1234, 1234)
        );
        let (_, w) = remote_write::decode_write(
            None,
            Some("snappy"),
            &p.shards[0][0].body,
            &Default::default(),
        )
        .unwrap();
        let s = w.series().next().unwrap();
        assert_eq!(s.samples(), &[(1234, 1.0)]);
    }
}
