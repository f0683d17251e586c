//! Pre-encoding one workload as InfluxDB line protocol or Graphite plaintext, sample for
//! sample the same in both, for comparing Strata with InfluxDB 1.x and carbon-cache.
//!
//! Every sample becomes one line: `<name>,<label>=<value>,... value=<v> <seconds>` for Influx
//! (one field per point, as the remote-write-shaped data has one value per series) and
//! `<instance>.<name>.<label values...> <v> <seconds>` for Graphite. Timestamps are whole
//! seconds because Graphite's plaintext has no finer unit; the scrape clock runs without jitter
//! so every series keeps exactly one point per interval (carbon keeps one per whisper slot).
//! Series are sharded over the connections as in [`crate::payload`], each shard's lines in
//! scrape order, cut into chunks of `batch` lines (one HTTP request, or one TCP write).

use crate::common::{ScrapeClock, SeriesSpec, SeriesValues, mix};
use crate::payload::shard_of;
use std::collections::HashSet;
use std::fmt::Write as _;

/// The wire format to encode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    /// InfluxDB line protocol, `precision=s`.
    Influx,
    /// Graphite plaintext (carbon's line receiver).
    Graphite,
}

impl Proto {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "influx" => Ok(Proto::Influx),
            "graphite" => Ok(Proto::Graphite),
            _ => Err(format!("unknown protocol {s:?} (want influx or graphite)")),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Proto::Influx => "influx",
            Proto::Graphite => "graphite",
        }
    }
}

/// A run of complete lines: one request body or one socket write.
#[derive(Debug)]
pub struct Chunk {
    pub bytes: Vec<u8>,
    pub samples: u32,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Plan {
    pub series: Vec<SeriesSpec>,
    /// Scrape clock; its timestamps are truncated to whole seconds.
    pub clock: ScrapeClock,
    pub steps: usize,
    pub shards: usize,
    /// Lines per chunk.
    pub batch: usize,
    pub seed: u64,
}

/// The encoded workload.
#[derive(Debug)]
pub struct Payloads {
    pub shards: Vec<Vec<Chunk>>,
    pub samples: u64,
    pub bytes: u64,
    /// Hash of the samples themselves (series, time, value bits), not of their encoding: equal
    /// across protocols when both carry the same data.
    pub sample_hash: u64,
    /// Smallest and largest timestamp, seconds.
    pub min_s: i64,
    pub max_s: i64,
}

/// Encodes the series' keys once: the Influx `measurement,tags` prefix or the Graphite path.
/// Fails if two series would get the same Graphite path.
pub fn series_keys(series: &[SeriesSpec], proto: Proto) -> Result<Vec<Vec<u8>>, String> {
    let keys: Vec<Vec<u8>> = series
        .iter()
        .map(|s| match proto {
            Proto::Influx => influx_key(s),
            Proto::Graphite => graphite_path(s),
        })
        .collect();
    let mut seen = HashSet::with_capacity(keys.len());
    for (k, s) in keys.iter().zip(series) {
        if !seen.insert(k.as_slice()) {
            return Err(format!(
                "two series map to the same {} key {:?} (one is {:?})",
                proto.name(),
                String::from_utf8_lossy(k),
                s.labels
            ));
        }
    }
    Ok(keys)
}

/// `measurement,tag=value,...` with line protocol escaping; empty label values are left out
/// (Influx refuses them, and an empty label is no label in Prometheus either).
fn influx_key(s: &SeriesSpec) -> Vec<u8> {
    let mut out = Vec::with_capacity(96);
    escape_into(&mut out, s.name(), b", ");
    for (name, value) in &s.labels {
        if name == "__name__" || value.is_empty() {
            continue;
        }
        out.push(b',');
        escape_into(&mut out, name, b",= ");
        out.push(b'=');
        escape_into(&mut out, value, b",= ");
    }
    out
}

fn escape_into(out: &mut Vec<u8>, s: &str, special: &[u8]) {
    for &b in s.as_bytes() {
        if special.contains(&b) || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
}

/// `<instance>.<name>.<value>...`, label values in label name order, each node reduced to
/// `[A-Za-z0-9_-]` (`.` separates nodes, and carbon turns other characters into file names).
fn graphite_path(s: &SeriesSpec) -> Vec<u8> {
    let mut nodes: Vec<&str> = Vec::new();
    if let Some((_, inst)) = s.labels.iter().find(|(n, _)| n == "instance") {
        nodes.push(inst);
    }
    nodes.push(s.name());
    for (name, value) in &s.labels {
        if !matches!(name.as_str(), "__name__" | "instance" | "job") && !value.is_empty() {
            nodes.push(value);
        }
    }
    let mut out = Vec::with_capacity(96);
    for (i, node) in nodes.iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        let start = out.len();
        for &b in node.as_bytes() {
            let keep = b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
            out.push(if keep { b } else { b'_' });
        }
        if out.len() == start {
            out.push(b'_');
        }
    }
    out
}

/// Encodes every chunk of the plan in `proto`, using up to `threads` threads.
pub fn build(plan: &Plan, proto: Proto, threads: usize) -> Result<Payloads, String> {
    let keys = series_keys(&plan.series, proto)?;
    let mut shard_series = vec![Vec::new(); plan.shards];
    for i in 0..plan.series.len() {
        shard_series[shard_of(i, plan.shards, plan.seed)].push(i);
    }
    let threads = threads.clamp(1, plan.shards.max(1));
    let mut shards: Vec<(Vec<Chunk>, u64, i64, i64)> = (0..plan.shards)
        .map(|_| (Vec::new(), 0, i64::MAX, i64::MIN))
        .collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (shard_series, keys) = (&shard_series, &keys);
                scope.spawn(move || {
                    (t..plan.shards)
                        .step_by(threads)
                        .map(|s| (s, build_shard(plan, proto, &shard_series[s], keys)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            for (s, shard) in h.join().expect("text encoder thread panicked") {
                shards[s] = shard;
            }
        }
    });
    let mut p = Payloads {
        shards: Vec::with_capacity(plan.shards),
        samples: 0,
        bytes: 0,
        sample_hash: 0xcbf2_9ce4_8422_2325,
        min_s: i64::MAX,
        max_s: i64::MIN,
    };
    for (chunks, hash, min_s, max_s) in shards {
        p.sample_hash = fnv(p.sample_hash, hash);
        p.min_s = p.min_s.min(min_s);
        p.max_s = p.max_s.max(max_s);
        for c in &chunks {
            p.samples += u64::from(c.samples);
            p.bytes += c.bytes.len() as u64;
        }
        p.shards.push(chunks);
    }
    Ok(p)
}

fn fnv(mut h: u64, v: u64) -> u64 {
    for b in v.to_le_bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    h
}

fn build_shard(
    plan: &Plan,
    proto: Proto,
    series: &[usize],
    keys: &[Vec<u8>],
) -> (Vec<Chunk>, u64, i64, i64) {
    let mut values: Vec<SeriesValues> = series
        .iter()
        .map(|&i| SeriesValues::new(plan.series[i].model, mix(plan.seed ^ 0xDA7A ^ i as u64)))
        .collect();
    let seconds = |i: usize, k: usize| plan.clock.at(plan.series[i].host, k).div_euclid(1000);
    let mut prev: Vec<i64> = series
        .iter()
        .map(|&i| seconds(i, 0) * 1000 - plan.clock.interval)
        .collect();
    let (mut hash, mut min_s, mut max_s) = (0xcbf2_9ce4_8422_2325u64, i64::MAX, i64::MIN);
    let mut chunks = Vec::new();
    let mut cur = Chunk {
        bytes: Vec::with_capacity(plan.batch * 110),
        samples: 0,
    };
    let mut text = String::with_capacity(48);
    for k in 0..plan.steps {
        for (j, &i) in series.iter().enumerate() {
            let t = seconds(i, k);
            let v = values[j].next(t * 1000, t * 1000 - prev[j]);
            prev[j] = t * 1000;
            if !v.is_finite() {
                // Neither protocol carries NaN or infinities portably; the data has none today.
                continue;
            }
            hash = fnv(fnv(fnv(hash, i as u64), t as u64), v.to_bits());
            (min_s, max_s) = (min_s.min(t), max_s.max(t));
            text.clear();
            match proto {
                Proto::Influx => {
                    let _ = writeln!(text, " value={v} {t}");
                }
                Proto::Graphite => {
                    let _ = writeln!(text, " {v} {t}");
                }
            }
            cur.bytes.extend_from_slice(&keys[i]);
            cur.bytes.extend_from_slice(text.as_bytes());
            cur.samples += 1;
            if cur.samples as usize >= plan.batch {
                let cap = cur.bytes.len() + cur.bytes.len() / 8;
                chunks.push(std::mem::replace(
                    &mut cur,
                    Chunk {
                        bytes: Vec::with_capacity(cap),
                        samples: 0,
                    },
                ));
            }
        }
    }
    if cur.samples > 0 {
        chunks.push(cur);
    }
    (chunks, hash, min_s, max_s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::node_exporter_series;

    fn plan(series: usize, steps: usize, shards: usize) -> Plan {
        let mut clock = ScrapeClock::new(1_700_000_000_123, 3);
        clock.jitter = 0;
        Plan {
            series: node_exporter_series(series, 3),
            clock,
            steps,
            shards,
            batch: 700,
            seed: 3,
        }
    }

    fn lines(p: &Payloads) -> Vec<String> {
        p.shards
            .iter()
            .flatten()
            .flat_map(|c| {
                String::from_utf8(c.bytes.clone())
                    .unwrap()
                    .lines()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn both_protocols_carry_the_same_samples() {
        let plan = plan(1200, 4, 3);
        let influx = build(&plan, Proto::Influx, 2).unwrap();
        let graphite = build(&plan, Proto::Graphite, 1).unwrap();
        assert_eq!(influx.samples, 4800);
        assert_eq!(graphite.samples, 4800);
        assert_eq!(influx.sample_hash, graphite.sample_hash);
        let (il, gl) = (lines(&influx), lines(&graphite));
        assert_eq!((il.len(), gl.len()), (4800, 4800));
        for (i, g) in il.iter().zip(&gl) {
            // Same value and timestamp, line for line.
            let (iv, it) = i.rsplit_once(' ').unwrap();
            let (gv, gt) = g.rsplit_once(' ').unwrap();
            assert_eq!(it, gt);
            assert_eq!(
                iv.rsplit_once(" value=").unwrap().1,
                gv.rsplit_once(' ').unwrap().1
            );
            assert!(it.parse::<i64>().unwrap() > 1_700_000_000);
        }
        for c in influx.shards.iter().flatten() {
            assert!(c.samples <= 700 && c.bytes.ends_with(b"\n"));
        }
    }

    #[test]
    fn lines_parse_as_their_protocol() {
        let plan = plan(900, 2, 1);
        let influx = build(&plan, Proto::Influx, 1).unwrap();
        let graphite = build(&plan, Proto::Graphite, 1).unwrap();
        for line in lines(&influx) {
            // measurement,tags value=<float> <seconds>, with no unescaped space in the key.
            let (key, rest) = line.split_once(" value=").unwrap();
            assert!(!key.replace("\\ ", "").contains(' '), "{line}");
            let (v, t) = rest.split_once(' ').unwrap();
            assert!(
                v.parse::<f64>().is_ok() && t.parse::<i64>().is_ok(),
                "{line}"
            );
            assert!(!key.contains(",=") && !key.ends_with('='), "{line}");
        }
        for line in lines(&graphite) {
            let parts: Vec<&str> = line.split(' ').collect();
            assert_eq!(parts.len(), 3, "{line}");
            assert!(parts[0].split('.').all(|n| {
                !n.is_empty()
                    && n.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            }));
            assert!(parts[1].parse::<f64>().is_ok() && parts[2].parse::<i64>().is_ok());
        }
    }

    #[test]
    fn timestamps_keep_one_point_per_interval() {
        let plan = plan(400, 5, 1);
        let p = build(&plan, Proto::Graphite, 1).unwrap();
        let mut per_series: std::collections::HashMap<String, Vec<i64>> = Default::default();
        for l in lines(&p) {
            let mut it = l.split(' ');
            let (path, t) = (it.next().unwrap().to_owned(), it.nth(1).unwrap());
            per_series.entry(path).or_default().push(t.parse().unwrap());
        }
        assert_eq!(per_series.len(), 400);
        for ts in per_series.values() {
            assert!(ts.windows(2).all(|w| w[1] - w[0] == 15), "{ts:?}");
        }
    }
}
