//! Replaying real recorded data: a recording is the JSON answer of Prometheus's
//! `GET /api/v1/query?query={job="node"}[2h20m]` (a `matrix`: every sample of every series the
//! server scraped in that window; see `benches/record_node.sh`).
//!
//! The replay turns one recorded host into `hosts` hosts and moves the data to the present. It
//! changes only
//! - the `instance` label: copy `k` is `host-k:9100` (added if the recording had none), and
//! - time: every timestamp of copy `k` moves by `shift_ms + phase(k)`, where `phase` is a fixed
//!   per-host offset below one 15 s scrape interval (real hosts are scraped at different phases;
//!   host 0 has phase 0). The caller picks `shift_ms` as a multiple of the block range so the
//!   block boundaries fall where they fell when the data were recorded.
//!
//! It keeps every recorded timestamp difference and every value bit for bit (the API prints
//! values with Go's shortest round-trip formatting, so parsing them back gives the stored bits;
//! `NaN` becomes Prometheus's normal NaN, `0x7ff8000000000001`, the value its scraper stores).
//! Stale markers are not in a recording: the query API does not return them.

use crate::common::mix;
use std::path::Path;

/// One series of a recording.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Sorted by name, `__name__` included.
    pub labels: Vec<(String, String)>,
    /// `(timestamp ms, value)`, sorted and unique by timestamp.
    pub samples: Vec<(i64, f64)>,
}

/// Scrape interval the phases stay below, ms.
const PHASE_RANGE_MS: i64 = 15_000;

/// The NaN Prometheus's scraper stores for a scraped `NaN` (Go's `math.NaN()`).
const PROMETHEUS_NAN_BITS: u64 = 0x7ff8_0000_0000_0001;

/// Reads and parses a recording file.
pub fn load(path: &Path) -> Result<Vec<Series>, String> {
    let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Parses the JSON answer of a range-vector instant query.
pub fn parse(json: &[u8]) -> Result<Vec<Series>, String> {
    let doc: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| format!("not JSON: {e}"))?;
    if doc["status"] != "success" {
        return Err(format!(
            "status {} ({})",
            doc["status"],
            doc["error"].as_str().unwrap_or("no error text")
        ));
    }
    if doc["data"]["resultType"] != "matrix" {
        return Err(format!(
            "resultType {} (want \"matrix\": query a range vector such as {{job=\"node\"}}[2h])",
            doc["data"]["resultType"]
        ));
    }
    let result = doc["data"]["result"]
        .as_array()
        .ok_or("no data.result array")?;
    result
        .iter()
        .enumerate()
        .map(|(i, s)| parse_series(s).map_err(|e| format!("series {i}: {e}")))
        .collect()
}

fn parse_series(s: &serde_json::Value) -> Result<Series, String> {
    let metric = s["metric"].as_object().ok_or("no metric object")?;
    let mut labels = metric
        .iter()
        .map(|(n, v)| {
            v.as_str()
                .map(|v| (n.clone(), v.to_owned()))
                .ok_or_else(|| format!("label {n} is not a string"))
        })
        .collect::<Result<Vec<_>, String>>()?;
    labels.sort();
    let values = s["values"].as_array().ok_or("no values array")?;
    let mut samples = values
        .iter()
        .map(parse_sample)
        .collect::<Result<Vec<_>, String>>()?;
    // Stable: of two samples with one timestamp the first listed stays.
    samples.sort_by_key(|&(t, _)| t);
    samples.dedup_by_key(|&mut (t, _)| t);
    Ok(Series { labels, samples })
}

fn parse_sample(pair: &serde_json::Value) -> Result<(i64, f64), String> {
    let (Some(secs), Some(value)) = (pair[0].as_f64(), pair[1].as_str()) else {
        return Err(format!("bad sample {pair}"));
    };
    let v = if value == "NaN" {
        f64::from_bits(PROMETHEUS_NAN_BITS)
    } else {
        // Rust accepts "+Inf" and "-Inf" as the API writes them.
        value
            .parse::<f64>()
            .map_err(|_| format!("bad sample value {value:?}"))?
    };
    // The API prints seconds with millisecond precision.
    Ok(((secs * 1000.0).round() as i64, v))
}

/// Deterministic scrape phase of replayed host `k`, ms in `[0, 15000)`; host 0 has phase 0.
pub fn phase(k: usize) -> i64 {
    if k == 0 {
        0
    } else {
        (mix(0x9E37_79B9 ^ k as u64) % PHASE_RANGE_MS as u64) as i64
    }
}

/// Largest phase any host can have, ms: data of host `k` end at most this much after host 0's.
pub const MAX_PHASE_MS: i64 = PHASE_RANGE_MS - 1;

/// `hosts` copies of the recording, host-major: copy `k` has `instance="host-k:9100"` and every
/// timestamp moved by `shift_ms + phase(k)`.
pub fn replicate(recording: &[Series], hosts: usize, shift_ms: i64) -> Vec<Series> {
    let mut out = Vec::with_capacity(recording.len() * hosts);
    for k in 0..hosts {
        let instance = format!("host-{k}:9100");
        let shift = shift_ms + phase(k);
        for s in recording {
            let mut labels: Vec<(String, String)> = s
                .labels
                .iter()
                .filter(|(n, _)| n != "instance")
                .cloned()
                .collect();
            let at = labels.partition_point(|(n, _)| n.as_str() < "instance");
            labels.insert(at, ("instance".into(), instance.clone()));
            let samples = s.samples.iter().map(|&(t, v)| (t + shift, v)).collect();
            out.push(Series { labels, samples });
        }
    }
    out
}

/// Smallest and largest timestamp of the series, or `None` if there is no sample.
pub fn time_range(series: &[Series]) -> Option<(i64, i64)> {
    let min = series
        .iter()
        .filter_map(|s| s.samples.first())
        .map(|p| p.0)
        .min()?;
    let max = series
        .iter()
        .filter_map(|s| s.samples.last())
        .map(|p| p.0)
        .max()?;
    Some((min, max))
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: &str = r#"{"status":"success","data":{"resultType":"matrix","result":[
        {"metric":{"job":"node","__name__":"node_load1","instance":"127.0.0.1:19100"},
         "values":[[1700000015.212,"0.5"],[1700000000.212,"NaN"],[1700000015.212,"9"],[1700000030.2,"+Inf"]]},
        {"metric":{"__name__":"up","job":"node","instance":"127.0.0.1:19100"},
         "values":[[1700000000.212,"-Inf"],[1700000015.212,"1e-300"],[1700000030.212,"0.1"]]}]}}"#;

    #[test]
    fn parses_sorts_and_dedups() {
        let rec = parse(JSON.as_bytes()).unwrap();
        assert_eq!(rec.len(), 2);
        let names: Vec<&str> = rec[0].labels.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["__name__", "instance", "job"]);
        let bits: Vec<(i64, u64)> = rec[0]
            .samples
            .iter()
            .map(|&(t, v)| (t, v.to_bits()))
            .collect();
        assert_eq!(
            bits,
            [
                (1_700_000_000_212, PROMETHEUS_NAN_BITS),
                (1_700_000_015_212, 0.5f64.to_bits()),
                (1_700_000_030_200, f64::INFINITY.to_bits()),
            ]
        );
        assert_eq!(rec[1].samples[0].1, f64::NEG_INFINITY);
        assert_eq!(rec[1].samples[1].1.to_bits(), 1e-300f64.to_bits());
        assert_eq!(
            time_range(&rec),
            Some((1_700_000_000_212, 1_700_000_030_212))
        );
    }

    #[test]
    fn rejects_errors_and_vectors() {
        assert!(parse(br#"{"status":"error","error":"bad"}"#).is_err());
        assert!(
            parse(br#"{"status":"success","data":{"resultType":"vector","result":[]}}"#).is_err()
        );
        let bad = JSON.replace("\"9\"", "\"nine\"");
        assert!(parse(bad.as_bytes()).is_err());
    }

    #[test]
    fn replicas_differ_in_instance_and_time_only() {
        let rec = parse(JSON.as_bytes()).unwrap();
        let shift = -7_200_000;
        let out = replicate(&rec, 3, shift);
        assert_eq!(out.len(), 6);
        assert_eq!(phase(0), 0);
        for k in 0..3 {
            assert!((0..15_000).contains(&phase(k)));
            for (i, s) in rec.iter().enumerate() {
                let r = &out[k * rec.len() + i];
                let mut want = s.labels.clone();
                want.iter_mut().find(|(n, _)| n == "instance").unwrap().1 =
                    format!("host-{k}:9100");
                assert_eq!(r.labels, want);
                assert_eq!(r.samples.len(), s.samples.len());
                for (a, b) in r.samples.iter().zip(&s.samples) {
                    assert_eq!(a.0, b.0 + shift + phase(k));
                    assert_eq!(a.1.to_bits(), b.1.to_bits());
                }
            }
        }
        assert_ne!(phase(1), phase(2));
    }

    #[test]
    fn adds_a_missing_instance_label_in_order() {
        let rec = vec![Series {
            labels: vec![
                ("__name__".into(), "x".into()),
                ("job".into(), "node".into()),
            ],
            samples: vec![(1, 1.0)],
        }];
        let out = replicate(&rec, 1, 0);
        let names: Vec<&str> = out[0].labels.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["__name__", "instance", "job"]);
    }
}
