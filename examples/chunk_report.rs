//! Chunk sizes per metric name on recorded data: Strata's encoding against Prometheus's XOR.
//!
//! The input is the JSON answer of Prometheus's `/api/v1/query` for a range selector (raw
//! samples with their real scrape timestamps), as `benches/record_node.sh` saves it:
//!
//! ```text
//! cargo run --release --example chunk_report -- recording.json [--top 30]
//! ```
//!
//! Each series is cut into chunks the way each server's head cuts them (Strata: 480 samples,
//! Prometheus: 120) and at 2 h block boundaries; the table shows the bytes per sample of each
//! encoding per metric name, the largest Strata cost first, and which value mode Strata's
//! chunks ended in. Chunk bytes only: no index, no per-chunk references.

use std::collections::BTreeMap;
use std::process::ExitCode;

use strata::tsdb::chunkenc::{StrataAppender, TARGET_SAMPLES_PER_CHUNK, XorAppender};

const XOR_SAMPLES_PER_CHUNK: usize = 120;
const BLOCK_MS: i64 = 2 * 3_600_000;

#[derive(Default)]
struct Family {
    series: usize,
    samples: usize,
    xor_bytes: usize,
    strata_bytes: usize,
    /// Strata's bytes for the same timestamps with a constant value: what timestamps cost.
    strata_ts_bytes: usize,
    /// Strata chunks per value mode (header byte 2, high nibble).
    modes: BTreeMap<u8, usize>,
}

fn parse_value(v: &serde_json::Value) -> Option<(i64, f64)> {
    let pair = v.as_array()?;
    let t = pair.first()?.as_f64()?;
    let s = pair.get(1)?.as_str()?;
    let v = match s {
        "NaN" => f64::NAN,
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        _ => s.parse().ok()?,
    };
    Some(((t * 1000.0).round() as i64, v))
}

/// Splits a series into runs that one chunk may hold: at most `per_chunk` samples, never
/// across a block boundary.
fn chunk_runs(samples: &[(i64, f64)], per_chunk: usize) -> Vec<&[(i64, f64)]> {
    let mut runs = Vec::new();
    let mut start = 0;
    for i in 1..=samples.len() {
        let full = i - start == per_chunk;
        let boundary = i < samples.len()
            && samples[i].0.div_euclid(BLOCK_MS) != samples[start].0.div_euclid(BLOCK_MS);
        if i == samples.len() || full || boundary {
            runs.push(&samples[start..i]);
            start = i;
        }
    }
    runs
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: chunk_report RECORDING.json [--top N]");
        return ExitCode::from(2);
    };
    let top: usize = args
        .iter()
        .position(|a| a == "--top")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let doc: serde_json::Value = match serde_json::from_str(&text) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Some(result) = doc["data"]["result"].as_array() else {
        eprintln!("{path}: not a Prometheus query answer with data.result");
        return ExitCode::FAILURE;
    };

    let mut families: BTreeMap<String, Family> = BTreeMap::new();
    for series in result {
        let name = series["metric"]["__name__"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        let mut samples: Vec<(i64, f64)> = series["values"]
            .as_array()
            .map(|vs| vs.iter().filter_map(parse_value).collect())
            .unwrap_or_default();
        samples.sort_by_key(|s| s.0);
        samples.dedup_by_key(|s| s.0);
        if samples.is_empty() {
            continue;
        }
        let fam = families.entry(name).or_default();
        fam.series += 1;
        fam.samples += samples.len();
        for run in chunk_runs(&samples, XOR_SAMPLES_PER_CHUNK) {
            let mut app = XorAppender::new();
            for &(t, v) in run {
                if app.append(t, v).is_err() {
                    break;
                }
            }
            fam.xor_bytes += app.bytes().len();
        }
        for run in chunk_runs(&samples, TARGET_SAMPLES_PER_CHUNK) {
            let mut app = StrataAppender::new();
            for &(t, v) in run {
                if app.append(t, v).is_err() {
                    break;
                }
            }
            let bytes = app.bytes();
            fam.strata_bytes += bytes.len();
            if let Some(b) = bytes.get(2) {
                *fam.modes.entry(b >> 4).or_default() += 1;
            }
            let mut ts_only = StrataAppender::new();
            for &(t, _) in run {
                if ts_only.append(t, 0.0).is_err() {
                    break;
                }
            }
            fam.strata_ts_bytes += ts_only.bytes().len();
        }
    }

    let total = families.values().fold(Family::default(), |mut acc, f| {
        acc.series += f.series;
        acc.samples += f.samples;
        acc.xor_bytes += f.xor_bytes;
        acc.strata_bytes += f.strata_bytes;
        acc.strata_ts_bytes += f.strata_ts_bytes;
        acc
    });
    let mut rows: Vec<(&String, &Family)> = families.iter().collect();
    rows.sort_by_key(|(_, f)| std::cmp::Reverse(f.strata_bytes));
    println!(
        "{:<52} {:>6} {:>8} {:>8} {:>8} {:>8} {:>7}  modes",
        "metric", "series", "samples", "XOR B/s", "Str B/s", "ts-only", "share"
    );
    for (name, f) in rows.iter().take(top) {
        let modes: Vec<String> = f
            .modes
            .iter()
            .map(|(m, n)| {
                let mode = match m {
                    0 => "float",
                    1 => "decimal",
                    2 => "decimal*",
                    3 => "decimal/1000",
                    _ => "?",
                };
                format!("{mode}:{n}")
            })
            .collect();
        println!(
            "{:<52} {:>6} {:>8} {:>8.3} {:>8.3} {:>8.3} {:>6.1}%  {}",
            name,
            f.series,
            f.samples,
            f.xor_bytes as f64 / f.samples as f64,
            f.strata_bytes as f64 / f.samples as f64,
            f.strata_ts_bytes as f64 / f.samples as f64,
            100.0 * f.strata_bytes as f64 / total.strata_bytes.max(1) as f64,
            modes.join(" ")
        );
    }
    println!(
        "{:<52} {:>6} {:>8} {:>8.3} {:>8.3} {:>8.3}",
        "all",
        total.series,
        total.samples,
        total.xor_bytes as f64 / total.samples.max(1) as f64,
        total.strata_bytes as f64 / total.samples.max(1) as f64,
        total.strata_ts_bytes as f64 / total.samples.max(1) as f64,
    );
    ExitCode::SUCCESS
}
