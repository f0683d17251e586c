use super::*;
use crate::appender::{CommitStats, Metadata};
use std::sync::{Arc, Mutex};

/// One appended sample: label pairs, time, value.
type Sample = (Vec<(String, String)>, i64, f64);
type Stored = Arc<Mutex<Vec<Sample>>>;

/// Records appends; refuses samples at t < 0 as too old; `committed` turns true on commit.
struct Recorder {
    staged: Vec<Sample>,
    stored: Stored,
}

impl Appender for Recorder {
    fn append(&mut self, labels: &promql::Labels, t: i64, v: f64) -> Result<(), SampleError> {
        let pairs: Vec<(String, String)> = labels
            .iter()
            .map(|l| (l.name.to_string(), l.value.to_string()))
            .collect();
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        self.append_pairs(&refs, t, v)
    }
    fn append_pairs(&mut self, pairs: &[(&str, &str)], t: i64, v: f64) -> Result<(), SampleError> {
        if t < 0 {
            return Err(SampleError::TooOld);
        }
        self.staged.push((
            pairs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            t,
            v,
        ));
        Ok(())
    }
    fn append_metadata(&mut self, _: &str, _: Metadata) {}
    fn commit(self: Box<Self>) -> Result<CommitStats, CommitError> {
        let mut s = self.stored.lock().unwrap();
        s.extend(self.staged);
        Ok(CommitStats::default())
    }
    fn rollback(self: Box<Self>) {}
}

fn run(body: &str) -> (WriteOutcome, Vec<Sample>, InfluxMetrics) {
    let stored: Stored = Arc::default();
    let app = Box::new(Recorder {
        staged: Vec::new(),
        stored: stored.clone(),
    });
    let metrics = InfluxMetrics::default();
    let opts = ParseOptions {
        now_ns: 42_000_000,
        ..ParseOptions::default()
    };
    let out = write(app, body.as_bytes(), "telegraf", &opts, &metrics).unwrap();
    let s = stored.lock().unwrap().clone();
    (out, s, metrics)
}

fn labels(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn fields_become_named_series_with_db_and_tags() {
    let (out, stored, _) =
        run("cpu,host=a,Zone=x usage=0.5,n=3i,u=4u,up=t,down=F,s=\"skip\" 1500000000\n");
    assert_eq!(out.error_message(), None);
    assert_eq!(
        (out.points, out.samples_written, out.string_fields_skipped),
        (1, 5, 1)
    );
    let base = |name: &str| {
        labels(&[
            ("Zone", "x"),
            ("__name__", name),
            ("db", "telegraf"),
            ("host", "a"),
        ])
    };
    assert_eq!(
        stored,
        vec![
            (base("cpu_usage"), 1500, 0.5),
            (base("cpu_n"), 1500, 3.0),
            (base("cpu_u"), 1500, 4.0),
            (base("cpu_up"), 1500, 1.0),
            (base("cpu_down"), 1500, 0.0),
        ]
    );
}

#[test]
fn missing_timestamp_uses_now_and_sub_ms_rounds_down() {
    let (_, stored, _) = run("m v=1\nm v=2 1999999\nm v=3 -1\n");
    let times: Vec<i64> = stored.iter().map(|s| s.1).collect();
    // -1 ns is before the epoch: floor to -1 ms, which the recorder refuses as too old.
    assert_eq!(times, [42, 1]);
}

#[test]
fn partial_write_names_lines_and_counts_drops() {
    let (out, stored, metrics) = run("m v=1 1000000\nbad\nm,db=x v=1 1\nm v=2 -5000000\n");
    assert_eq!(stored.len(), 1);
    assert_eq!((out.lines_rejected, out.samples_rejected), (2, 1));
    let msg = out.error_message().unwrap();
    assert!(
        msg.starts_with("partial write: line 2: unable to parse 'bad': missing fields\n"),
        "{msg}"
    );
    assert!(msg.contains("line 3: tag key \"db\" is reserved"), "{msg}");
    assert!(msg.contains("line 4: out of bounds"), "{msg}");
    assert!(msg.ends_with(" dropped=3"), "{msg}");
    let mut text = String::new();
    metrics.render(&mut text);
    assert!(text.contains("strata_influx_lines_rejected_total{reason=\"missing_fields\"} 1\n"));
    assert!(text.contains("strata_influx_lines_rejected_total{reason=\"reserved_tag\"} 1\n"));
    assert!(text.contains("strata_influx_samples_rejected_total{reason=\"too_old\"} 1\n"));
    assert!(text.contains("strata_influx_samples_written_total 1\n"));
}

#[test]
fn all_bad_is_not_a_partial_write() {
    let (out, stored, _) = run("bad\nworse x\n");
    assert!(stored.is_empty());
    let msg = out.error_message().unwrap();
    assert_eq!(
        msg,
        "line 1: unable to parse 'bad': missing fields\nline 2: unable to parse 'worse x': invalid field format"
    );
}
