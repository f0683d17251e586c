//! Results as `key=value` lines, and the side-by-side comparison of two of them.

use std::fmt::Write as _;

/// One run's measurements, in insertion order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    entries: Vec<(String, String)>,
}

impl Report {
    pub fn new(label: &str) -> Self {
        let mut r = Self::default();
        r.set_str("label", label);
        r
    }

    pub fn set(&mut self, key: &str, value: f64) {
        let text = if value.fract() == 0.0 && value.abs() < 1e15 {
            format!("{value:.0}")
        } else {
            format!("{value:.6}")
        };
        self.set_str(key, &text);
    }

    pub fn set_str(&mut self, key: &str, value: &str) {
        self.entries.retain(|(k, _)| k != key);
        self.entries.push((key.to_owned(), value.to_owned()));
    }

    pub fn get(&self, key: &str) -> Option<f64> {
        self.get_str(key)?.parse().ok()
    }

    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn to_text(&self) -> String {
        self.entries
            .iter()
            .map(|(k, v)| format!("{k}={v}\n"))
            .collect()
    }

    pub fn parse(text: &str) -> Self {
        let entries = text
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        Self { entries }
    }
}

/// A compared metric: key, title, and the target on `candidate / baseline`.
struct Row {
    key: &'static str,
    title: &'static str,
    /// `Some((max_ratio, true))`: ratio must be ≤ max; `Some((min_ratio, false))`: ratio must be > min.
    target: Option<(f64, bool)>,
    target_text: &'static str,
}

const ROWS: &[Row] = &[
    Row {
        key: "cpu_seconds_per_million_samples",
        title: "CPU s / 1M samples (ingest)",
        target: Some((1.0 / 3.0, true)),
        target_text: "<= 0.33",
    },
    Row {
        key: "cpu_user_seconds_per_million_samples",
        title: "  of which user",
        target: None,
        target_text: "",
    },
    Row {
        key: "cpu_system_seconds_per_million_samples",
        title: "  of which kernel",
        target: None,
        target_text: "",
    },
    Row {
        key: "minor_faults_per_million_samples",
        title: "  minor page faults / 1M",
        target: None,
        target_text: "",
    },
    Row {
        key: "cpu_seconds_total_per_million_samples",
        title: "CPU s / 1M samples (+blocks)",
        target: None,
        target_text: "",
    },
    Row {
        key: "samples_per_second",
        title: "throughput, samples/s",
        target: Some((1.0, false)),
        target_text: "> 1",
    },
    Row {
        key: "block_bytes_per_sample",
        title: "block bytes / sample",
        target: Some((0.5, true)),
        target_text: "<= 0.5, abs < 1.0",
    },
    Row {
        key: "block_chunk_bytes_per_sample",
        title: "  of which chunks",
        target: None,
        target_text: "",
    },
    Row {
        key: "rss_bytes_per_series",
        title: "RSS bytes / series, loaded",
        target: Some((0.5, true)),
        target_text: "<= 0.5",
    },
    Row {
        key: "rss_anon_bytes_per_series",
        title: "  anonymous RSS only",
        target: None,
        target_text: "",
    },
    Row {
        key: "rss_settled_bytes_per_series",
        title: "RSS bytes / series, settled",
        target: Some((0.5, true)),
        target_text: "<= 0.5",
    },
    Row {
        key: "rss_anon_settled_bytes_per_series",
        title: "  anonymous RSS only",
        target: None,
        target_text: "",
    },
    Row {
        key: "rss_peak_bytes",
        title: "peak RSS, MB",
        target: None,
        target_text: "",
    },
];

fn fmt_num(key: &str, v: Option<f64>) -> String {
    match v {
        None => "n/a".into(),
        Some(v) if key == "rss_peak_bytes" => format!("{:.1}", v / 1e6),
        Some(v) if v.abs() >= 1000.0 => format!("{v:.0}"),
        Some(v) => format!("{v:.3}"),
    }
}

impl Report {
    /// Per key of the first run, the median over the runs that have it of numeric values (the
    /// first run's text otherwise).
    pub fn median(runs: &[Report]) -> Report {
        let mut out = Report::default();
        let Some(first) = runs.first() else {
            return out;
        };
        for (key, text) in &first.entries {
            let mut values: Vec<f64> = runs.iter().filter_map(|r| r.get(key)).collect();
            if key == "label" || values.is_empty() {
                out.set_str(key, text);
                continue;
            }
            values.sort_by(f64::total_cmp);
            let n = values.len();
            let m = if n % 2 == 1 {
                values[n / 2]
            } else {
                (values[n / 2 - 1] + values[n / 2]) / 2.0
            };
            out.set(key, m);
        }
        out.set("runs", runs.len() as f64);
        out
    }
}

fn read_runs(list: &str) -> Result<Vec<Report>, String> {
    list.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            std::fs::read_to_string(p)
                .map(|t| Report::parse(&t))
                .map_err(|e| format!("{p}: {e}"))
        })
        .collect()
}

/// The comparison table of `candidate` against `baseline`; each is a comma-separated list of
/// result files (repeated runs), compared by their medians.
pub fn compare(baseline: &str, candidate: &str) -> Result<String, String> {
    let (b_runs, c_runs) = (read_runs(baseline)?, read_runs(candidate)?);
    if b_runs.is_empty() || c_runs.is_empty() {
        return Err("nothing to compare".into());
    }
    let (b, c) = (Report::median(&b_runs), Report::median(&c_runs));
    let (bn, cn) = (
        b.get_str("label").unwrap_or("baseline"),
        c.get_str("label").unwrap_or("candidate"),
    );
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<30} {:>12} {:>12} {:>9}  {:<18} met",
        "metric", bn, cn, "ratio", "target"
    );
    let _ = writeln!(out, "{}", "-".repeat(92));
    for row in ROWS {
        let (bv, cv) = (b.get(row.key), c.get(row.key));
        let ratio = match (bv, cv) {
            (Some(bv), Some(cv)) if bv != 0.0 => Some(cv / bv),
            _ => None,
        };
        let met = match (row.target, ratio) {
            (Some((limit, true)), Some(r)) => {
                let abs_ok = row.key != "block_bytes_per_sample" || cv.is_some_and(|v| v < 1.0);
                if r <= limit && abs_ok { "yes" } else { "NO" }
            }
            (Some((limit, false)), Some(r)) => {
                if r > limit {
                    "yes"
                } else {
                    "NO"
                }
            }
            (Some(_), None) => "n/a",
            (None, _) => "",
        };
        let ratio_text = ratio.map_or("n/a".into(), |r| format!("{r:.3}"));
        let _ = writeln!(
            out,
            "{:<30} {:>12} {:>12} {:>9}  {:<18} {}",
            row.title,
            fmt_num(row.key, bv),
            fmt_num(row.key, cv),
            ratio_text,
            row.target_text,
            met
        );
    }
    let _ = writeln!(out);
    for (name, r) in [(bn, &b), (cn, &c)] {
        let _ = writeln!(
            out,
            "{name}: {} samples ok, {} rejected, {} retries, {:.2} s wall, {} blocks holding {} samples, {:.1} h of data, load average {} before, payload {}",
            r.get_str("samples_ok").unwrap_or("?"),
            r.get_str("samples_rejected").unwrap_or("?"),
            r.get_str("retries").unwrap_or("?"),
            r.get("wall_seconds").unwrap_or(f64::NAN),
            r.get_str("blocks").unwrap_or("?"),
            r.get_str("block_samples").unwrap_or("?"),
            r.get("data_hours").unwrap_or(f64::NAN),
            r.get_str("loadavg_1m_before").unwrap_or("?"),
            r.get_str("payload_hash").unwrap_or("?"),
        );
    }
    if b_runs.len() > 1 || c_runs.len() > 1 {
        let _ = writeln!(
            out,
            "(medians of {} and {} runs; per run:)",
            b_runs.len(),
            c_runs.len()
        );
        for (i, (br, cr)) in b_runs.iter().zip(&c_runs).enumerate() {
            let ratio = |k: &str| match (br.get(k), cr.get(k)) {
                (Some(x), Some(y)) if x != 0.0 => format!("{:.3}", y / x),
                _ => "n/a".into(),
            };
            let _ = writeln!(
                out,
                "  run {}: CPU {} / {} s per 1M (ratio {}), throughput {} / {} (ratio {}), bytes/sample ratio {}, settled RSS ratio {}",
                i + 1,
                fmt_num("", br.get("cpu_seconds_per_million_samples")),
                fmt_num("", cr.get("cpu_seconds_per_million_samples")),
                ratio("cpu_seconds_per_million_samples"),
                fmt_num("", br.get("samples_per_second")),
                fmt_num("", cr.get("samples_per_second")),
                ratio("samples_per_second"),
                ratio("block_bytes_per_sample"),
                ratio("rss_settled_bytes_per_series"),
            );
        }
    }
    if b.get_str("payload_hash") != c.get_str("payload_hash") {
        let _ = writeln!(
            out,
            "WARNING: the two runs sent different payloads; the comparison is not like for like"
        );
    }
    if b.get("samples_rejected").unwrap_or(0.0) > 0.0
        || c.get("samples_rejected").unwrap_or(0.0) > 0.0
    {
        let _ = writeln!(out, "WARNING: some samples were rejected; see the run logs");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_compares() {
        let mut a = Report::new("prometheus");
        a.set("block_bytes_per_sample", 1.5);
        a.set("samples_per_second", 100_000.0);
        let mut b = Report::new("strata");
        b.set("block_bytes_per_sample", 0.7);
        b.set("samples_per_second", 300_000.0);
        assert_eq!(
            Report::parse(&b.to_text()).get("block_bytes_per_sample"),
            Some(0.7)
        );
        let dir = std::env::temp_dir();
        let (pa, pb) = (
            dir.join(format!("lg-a-{}", std::process::id())),
            dir.join(format!("lg-b-{}", std::process::id())),
        );
        std::fs::write(&pa, a.to_text()).unwrap();
        std::fs::write(&pb, b.to_text()).unwrap();
        let table = compare(pa.to_str().unwrap(), pb.to_str().unwrap()).unwrap();
        assert!(table.contains("block bytes / sample"), "{table}");
        assert!(
            table
                .lines()
                .any(|l| l.starts_with("block bytes / sample") && l.trim_end().ends_with("yes")),
            "{table}"
        );
        std::fs::remove_file(pa).unwrap();
        std::fs::remove_file(pb).unwrap();
    }
}
