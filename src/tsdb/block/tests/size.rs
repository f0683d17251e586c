//! Index size for node_exporter-like series, next to an estimate of what Prometheus's index
//! (format v2) takes for the same series and chunks. Run with `--nocapture` to see the table.

use super::*;
use crate::tsdb::block::encoding::uvarint_len;
use crate::tsdb::chunkenc::{Encoding, StrataAppender, TARGET_SAMPLES_PER_CHUNK, XorAppender};
use std::collections::{BTreeMap, BTreeSet};

const SCRAPE: i64 = 15_000;
const H2: i64 = 2 * 3600 * 1000;
/// A realistic, 2h-aligned start: absolute timestamps matter for Prometheus's varints.
const T0: i64 = 1_700_000_000_000 / H2 * H2;

/// 1000 series shaped like node_exporter's: cpu modes, filesystems, network and disk devices
/// and memory gauges, across five instances.
fn node_exporter_labels() -> Vec<Labels> {
    let mut out = Vec::new();
    for h in 0..5 {
        let inst = format!("node-{h}.dc1.example.com:9100");
        let mut add = |name: &str, extra: &[(&str, String)]| {
            let mut pairs = vec![
                ("__name__".to_string(), name.to_string()),
                ("instance".to_string(), inst.clone()),
                ("job".to_string(), "node".to_string()),
            ];
            pairs.extend(extra.iter().map(|(n, v)| (n.to_string(), v.clone())));
            out.push(Labels::from_pairs(pairs));
        };
        let modes = [
            "idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user",
        ];
        for cpu in 0..8 {
            for m in modes {
                add(
                    "node_cpu_seconds_total",
                    &[("cpu", cpu.to_string()), ("mode", m.into())],
                );
            }
        }
        for dev in ["eth0", "eth1", "lo", "docker0"] {
            for dir in ["receive", "transmit"] {
                for what in ["bytes", "packets", "errs", "drop"] {
                    add(
                        &format!("node_network_{dir}_{what}_total"),
                        &[("device", dev.into())],
                    );
                }
            }
        }
        for (dev, mp) in [("/dev/sda1", "/"), ("/dev/sda2", "/var"), ("tmpfs", "/run")] {
            for what in [
                "avail_bytes",
                "size_bytes",
                "free_bytes",
                "files",
                "files_free",
            ] {
                let fstype = if dev == "tmpfs" { "tmpfs" } else { "ext4" };
                add(
                    &format!("node_filesystem_{what}"),
                    &[
                        ("device", dev.into()),
                        ("fstype", fstype.into()),
                        ("mountpoint", mp.into()),
                    ],
                );
            }
        }
        for dev in ["sda", "sdb", "nvme0n1"] {
            for what in [
                "reads_completed",
                "writes_completed",
                "read_bytes",
                "written_bytes",
            ] {
                add(
                    &format!("node_disk_{what}_total"),
                    &[("device", dev.into())],
                );
            }
        }
        for i in 0..200 - 64 - 32 - 15 - 12 {
            add(&format!("node_memory_Metric{i}_bytes"), &[]);
        }
    }
    out.sort();
    out
}

/// Samples scraped every 15s. Like a scrape loop's ticker, the jitter (up to 25 ms late)
/// does not accumulate. Values follow the metric's kind: counters that grow, gauges that
/// wander or stay put.
fn samples(rng: &mut Rng, labels: &Labels, mint: i64, maxt: i64) -> Vec<(i64, f64)> {
    let name = labels.metric_name().unwrap_or_default().to_string();
    let phase = mint + rng.below(SCRAPE as u64) as i64;
    let mut v = rng.below(1 << 30) as f64;
    let times: Vec<i64> = (0..)
        .map(|k| phase + k * SCRAPE + rng.below(25) as i64)
        .take_while(|&t| t < maxt)
        .collect();
    times
        .into_iter()
        .map(|t| {
            v = if name.starts_with("node_cpu") {
                ((v + 15.0 * rng.below(100) as f64 / 100.0) * 100.0).round() / 100.0
            } else if name.ends_with("errs_total") || name.ends_with("drop_total") {
                if rng.below(200) == 0 { v + 1.0 } else { v }
            } else if name.ends_with("_total") {
                v + rng.below(20_000) as f64
            } else if name.starts_with("node_filesystem") {
                if rng.below(40) == 0 { v + 4096.0 } else { v }
            } else if rng.below(4) == 0 {
                (v + rng.below(64) as f64 * 4096.0 - 32.0 * 4096.0).max(0.0)
            } else {
                v
            };
            (t, v)
        })
        .collect()
}

/// Cuts samples into chunks of `per_chunk`, encoded as `enc`.
fn encode(samples: &[(i64, f64)], per_chunk: usize, enc: Encoding) -> Vec<OwnedChunk> {
    samples
        .chunks(per_chunk)
        .map(|c| {
            let data = match enc {
                Encoding::Strata => {
                    let mut app = StrataAppender::new();
                    c.iter().for_each(|&(t, v)| app.append(t, v).unwrap());
                    app.into_bytes()
                }
                Encoding::Xor => {
                    let mut app = XorAppender::new();
                    c.iter().for_each(|&(t, v)| app.append(t, v).unwrap());
                    app.into_bytes()
                }
            };
            (c[0].0, c[c.len() - 1].0, enc as u8, data)
        })
        .collect()
}

/// Prometheus index v2 size for the same data, from its documented layout.
fn prometheus_index_size(series: &[TestSeries], refs: &[Vec<u64>]) -> usize {
    let syms: BTreeSet<&str> = series
        .iter()
        .flat_map(|s| {
            s.labels
                .iter()
                .flat_map(|l| [l.name.as_str(), l.value.as_str()])
        })
        .collect();
    let sym_id: BTreeMap<&str, u64> = syms
        .iter()
        .enumerate()
        .map(|(i, s)| (*s, i as u64))
        .collect();
    let uv = |v: u64| uvarint_len(v);
    let zz = |v: i64| uvarint_len(((v << 1) ^ (v >> 63)) as u64);
    let mut size = 5
        + 4
        + 4
        + syms
            .iter()
            .map(|s| uv(s.len() as u64) + s.len())
            .sum::<usize>()
        + 4;
    let mut postings: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (s, r) in series.iter().zip(refs) {
        size = size.div_ceil(16) * 16;
        let mut e = uv(s.labels.len() as u64) + uv(s.chunks.len() as u64);
        for l in &s.labels {
            e += uv(sym_id[l.name.as_str()]) + uv(sym_id[l.value.as_str()]);
            *postings
                .entry((l.name.as_str(), l.value.as_str()))
                .or_default() += 1;
        }
        for (i, c) in s.chunks.iter().enumerate() {
            let span = uv((c.1 - c.0) as u64);
            e += match i {
                0 => zz(c.0) + span + uv(r[0] & 0xffff_ffff),
                _ => uv((c.0 - s.chunks[i - 1].1) as u64) + span + zz((r[i] - r[i - 1]) as i64),
            };
        }
        size += uv(e as u64) + e + 4;
    }
    *postings.entry(("", "")).or_default() = series.len();
    for n in postings.values() {
        size = size.div_ceil(4) * 4 + 12 + 4 * n;
    }
    let names: BTreeSet<&str> = postings
        .keys()
        .map(|k| k.0)
        .filter(|n| !n.is_empty())
        .collect();
    for n in &names {
        size += 16
            + 4 * postings.keys().filter(|k| k.0 == *n).count()
            + uv(n.len() as u64)
            + n.len()
            + 5;
    }
    size += 12
        + postings
            .keys()
            .map(|(n, v)| 1 + uv(n.len() as u64) + n.len() + uv(v.len() as u64) + v.len() + 4)
            .sum::<usize>();
    size + 8 + 52
}

/// Bytes of one block: `(index, chunk segments)`.
fn write_ours(series: &mut [TestSeries], span: i64) -> (usize, usize, usize) {
    let dir = tempfile::tempdir().unwrap();
    let block = write_block(dir.path(), T0, T0 + span, series);
    let bytes = std::fs::read(block.dir().join(INDEX_FILE)).unwrap();
    let index = bytes.len();
    // Section sizes from the TOC (four u64 offsets before the crc).
    let toc = index - 36;
    let mut bounds: Vec<usize> = (0..4)
        .map(|i| {
            let mut o = [0u8; 8];
            o.copy_from_slice(&bytes[toc + i * 8..toc + i * 8 + 8]);
            u64::from_be_bytes(o) as usize
        })
        .collect();
    bounds.push(toc);
    let n = series.len() as f64;
    let per = |i: usize| (bounds[i + 1] - bounds[i]) as f64 / n;
    println!(
        "  index sections, B/series: symbols {:.1}, series {:.1}, postings {:.1}, label table {:.1}",
        per(0),
        per(1),
        per(2),
        per(3)
    );
    let meta = std::fs::metadata(block.dir().join(META_FILE))
        .unwrap()
        .len() as usize;
    (index, block.size_bytes() as usize - index - meta, meta)
}

/// Prometheus's bytes for the same samples: XOR chunks of 120 samples with its chunk framing
/// (the same as ours), and its index.
fn prometheus(series: &[TestSeries]) -> (usize, usize) {
    let mut pos = 8u64;
    let mut refs = Vec::new();
    for s in series {
        let mut r = Vec::new();
        for c in &s.chunks {
            r.push(pos);
            pos += (uvarint_len(c.3.len() as u64) + 1 + c.3.len() + 4) as u64;
        }
        refs.push(r);
    }
    (prometheus_index_size(series, &refs), pos as usize)
}

fn measure(span: i64) {
    let mut rng = Rng::new(1);
    let all: Vec<(Labels, Vec<(i64, f64)>)> = node_exporter_labels()
        .into_iter()
        .map(|l| {
            let s = samples(&mut rng, &l, T0, T0 + span);
            (l, s)
        })
        .collect();
    let build = |per_chunk, enc| -> Vec<TestSeries> {
        all.iter()
            .map(|(labels, s)| TestSeries {
                labels: labels.clone(),
                chunks: encode(s, per_chunk, enc),
            })
            .collect()
    };
    let n = all.len();
    let num_samples: usize = all.iter().map(|(_, s)| s.len()).sum();
    let mut prom_series = build(120, Encoding::Xor);
    prom_series.sort_by(|a, b| a.labels.cmp(&b.labels));
    let (prom_index, prom_chunks) = prometheus(&prom_series);
    // Our format with Prometheus's chunking (like for like), then with our own chunking.
    let (ix120, _, _) = write_ours(&mut build(120, Encoding::Strata), span);
    let mut ours = build(TARGET_SAMPLES_PER_CHUNK, Encoding::Strata);
    let nchunks: usize = ours.iter().map(|s| s.chunks.len()).sum();
    let data: usize = ours
        .iter()
        .flat_map(|s| s.chunks.iter().map(|c| c.3.len()))
        .sum();
    let (index, segs, meta) = write_ours(&mut ours, span);
    let per = |b: usize| b as f64 / num_samples as f64;
    println!(
        "{n} node_exporter-like series over {}h, {num_samples} samples:",
        span / 3_600_000
    );
    println!(
        "  index, 120-sample chunks: ours {:.1} B/series, Prometheus v2 {:.1} B/series ({:.0}%)",
        ix120 as f64 / n as f64,
        prom_index as f64 / n as f64,
        100.0 * ix120 as f64 / prom_index as f64
    );
    println!(
        "  index, our {TARGET_SAMPLES_PER_CHUNK}-sample chunks: {:.1} B/series, {nchunks} chunks",
        index as f64 / n as f64
    );
    println!(
        "  chunk framing: {:.2} B/chunk (len varint + encoding + crc)",
        (segs - data - 8) as f64 / nchunks as f64
    );
    println!(
        "  bytes/sample: ours {:.3} (chunks {:.3} + index {:.3} + meta {:.3}), Prometheus {:.3} (chunks {:.3} + index {:.3}): {:.0}%",
        per(index + segs + meta),
        per(segs),
        per(index),
        per(meta),
        per(prom_index + prom_chunks),
        per(prom_chunks),
        per(prom_index),
        100.0 * (index + segs + meta) as f64 / (prom_index + prom_chunks) as f64
    );
    assert!(
        ix120 * 2 <= prom_index,
        "index should be at most half of Prometheus's"
    );
}
#[test]
fn index_bytes_per_series_for_node_exporter_like_series() {
    measure(H2);
    measure(12 * H2);
}
