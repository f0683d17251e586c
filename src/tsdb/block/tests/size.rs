//! Index size for node_exporter-like series, next to an estimate of what Prometheus's index
//! (format v2) takes for the same series and chunks. Run with `--nocapture` to see the table.

use super::*;
use crate::tsdb::block::encoding::uvarint_len;
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

/// Chunks of 120 samples scraped every 15s. Like a scrape loop's ticker, the jitter (up to
/// 25 ms late) does not accumulate.
fn chunks(rng: &mut Rng, mint: i64, maxt: i64) -> Vec<(i64, i64, u8, Vec<u8>)> {
    let phase = mint + rng.below(SCRAPE as u64) as i64;
    let times: Vec<i64> = (0..)
        .map(|k| phase + k * SCRAPE + rng.below(25) as i64)
        .take_while(|&t| t < maxt)
        .collect();
    times
        .chunks(120)
        .map(|c| {
            let len = 60 + rng.below(40) as usize;
            (c[0], c[c.len() - 1], 0x81, rng.bytes(len))
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

fn measure(span: i64) {
    let mut rng = Rng::new(1);
    let mut series: Vec<TestSeries> = node_exporter_labels()
        .into_iter()
        .map(|labels| TestSeries {
            chunks: chunks(&mut rng, T0, T0 + span),
            labels,
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let block = write_block(dir.path(), T0, T0 + span, &mut series);
    let n = series.len();
    let refs: Vec<Vec<u64>> = (0..n as u32)
        .map(|id| {
            block
                .series(id)
                .unwrap()
                .1
                .iter()
                .map(|m| m.r#ref)
                .collect()
        })
        .collect();
    let index = std::fs::metadata(block.dir().join(INDEX_FILE))
        .unwrap()
        .len() as usize;
    let bytes = std::fs::read(block.dir().join(INDEX_FILE)).unwrap();
    let sec = |i: usize| {
        let at = bytes.len() - 36 + i * 8;
        let mut o = [0u8; 8];
        o.copy_from_slice(&bytes[at..at + 8]);
        u64::from_be_bytes(o) as usize
    };
    let bounds = [sec(0), sec(1), sec(2), sec(3), bytes.len() - 36];
    let nchunks: usize = series.iter().map(|s| s.chunks.len()).sum();
    let data: usize = series
        .iter()
        .flat_map(|s| s.chunks.iter().map(|c| c.3.len()))
        .sum();
    let seg = block.size_bytes() as usize
        - index
        - std::fs::metadata(block.dir().join(META_FILE))
            .unwrap()
            .len() as usize;
    let prom = prometheus_index_size(&series, &refs);
    println!(
        "{n} node_exporter-like series over {}h, {nchunks} chunks:",
        span / 3_600_000
    );
    println!(
        "  index {index} B = {:.1} B/series (symbols {:.1}, series {:.1}, postings {:.1}, label table {:.1})",
        index as f64 / n as f64,
        (bounds[1] - bounds[0]) as f64 / n as f64,
        (bounds[2] - bounds[1]) as f64 / n as f64,
        (bounds[3] - bounds[2]) as f64 / n as f64,
        (bounds[4] - bounds[3]) as f64 / n as f64,
    );
    println!(
        "  Prometheus v2 index for the same data ≈ {prom} B = {:.1} B/series (ours is {:.0}%)",
        prom as f64 / n as f64,
        100.0 * index as f64 / prom as f64
    );
    println!(
        "  chunk segments: {:.2} B of framing per chunk (len varint + encoding + crc)",
        (seg - data - 8) as f64 / nchunks as f64
    );
    assert!(
        index * 2 <= prom,
        "index should be at most half of Prometheus's"
    );
}

#[test]
fn index_bytes_per_series_for_node_exporter_like_series() {
    measure(H2);
    measure(12 * H2);
}
