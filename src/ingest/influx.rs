//! Appends InfluxDB line protocol: each numeric field of a point becomes one sample of the
//! series `{__name__="<measurement>_<field>", db="<database>", <tags>...}` (see
//! `docs/influx.md`). String fields are skipped and counted.

use crate::appender::{Appender, CommitError, SampleError};
use compat::influx::{ErrorKind, ParseOptions, Point, parse_batch};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Tag keys a line may not use: the metric name and the database label.
const RESERVED_TAGS: [&str; 2] = ["__name__", "db"];

/// Reasons a whole request is refused, in `InfluxMetrics::requests_rejected` order.
pub const REQUEST_REASONS: [&str; 6] = [
    "missing_database",
    "bad_precision",
    "body_too_large",
    "bad_encoding",
    "read_failed",
    "storage_failed",
];

/// Storage refusals, in `InfluxMetrics::samples_rejected` order (as `SampleError::reason`).
const SAMPLE_REASONS: [&str; 4] = [
    "out_of_order",
    "too_old",
    "duplicate_timestamp",
    "invalid_series",
];

/// Line refusals: the parser's reasons, then `reserved_tag`.
const LINE_REASONS: usize = ErrorKind::REASONS.len() + 1;

/// Counters of the Influx endpoints, rendered on `/metrics`.
#[derive(Debug, Default)]
pub struct InfluxMetrics {
    /// `/write` and `/api/v2/write` requests.
    pub requests: [AtomicU64; 2],
    pub requests_rejected: [AtomicU64; REQUEST_REASONS.len()],
    lines_rejected: [AtomicU64; LINE_REASONS],
    points_accepted: AtomicU64,
    samples_written: AtomicU64,
    samples_rejected: [AtomicU64; SAMPLE_REASONS.len()],
    string_fields_skipped: AtomicU64,
    /// Seconds since the epoch of the last warning logged, to rate-limit them.
    last_warning: AtomicI64,
}

/// At most one warning about bad input per this many seconds.
const WARN_EVERY_SECS: i64 = 10;

impl InfluxMetrics {
    pub fn reject_request(&self, reason: &str) {
        if let Some(i) = REQUEST_REASONS.iter().position(|r| *r == reason) {
            self.requests_rejected[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Whether a warning about bad input may be logged now (one per `WARN_EVERY_SECS`).
    pub fn may_warn(&self) -> bool {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let last = self.last_warning.load(Ordering::Relaxed);
        now - last >= WARN_EVERY_SECS
            && self
                .last_warning
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }

    fn record(&self, out: &WriteOutcome) {
        let add = |a: &AtomicU64, n: u64| {
            if n > 0 {
                a.fetch_add(n, Ordering::Relaxed);
            }
        };
        add(&self.points_accepted, out.points);
        add(&self.samples_written, out.samples_written);
        add(&self.string_fields_skipped, out.string_fields_skipped);
        for (a, n) in self.lines_rejected.iter().zip(out.lines_rejected_by_reason) {
            add(a, n);
        }
        for (a, n) in self
            .samples_rejected
            .iter()
            .zip(out.samples_rejected_by_reason)
        {
            add(a, n);
        }
    }

    /// Appends the counters in the text exposition format.
    pub fn render(&self, out: &mut String) {
        let ld = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let family = |out: &mut String, name: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        };
        let name = "strata_influx_write_requests_total";
        family(
            out,
            name,
            "Influx line protocol write requests, by API version.",
        );
        for (i, api) in ["v1", "v2"].iter().enumerate() {
            let _ = writeln!(out, "{name}{{api=\"{api}\"}} {}", ld(&self.requests[i]));
        }
        let name = "strata_influx_write_requests_rejected_total";
        family(
            out,
            name,
            "Influx write requests refused as a whole, by reason.",
        );
        for (i, r) in REQUEST_REASONS.iter().enumerate() {
            let _ = writeln!(
                out,
                "{name}{{reason=\"{r}\"}} {}",
                ld(&self.requests_rejected[i])
            );
        }
        let name = "strata_influx_lines_rejected_total";
        family(out, name, "Influx lines dropped, by reason.");
        let reasons = ErrorKind::REASONS.iter().chain(["reserved_tag"].iter());
        for (i, r) in reasons.enumerate() {
            let _ = writeln!(
                out,
                "{name}{{reason=\"{r}\"}} {}",
                ld(&self.lines_rejected[i])
            );
        }
        let name = "strata_influx_points_accepted_total";
        family(out, name, "Influx lines parsed into points.");
        let _ = writeln!(out, "{name} {}", ld(&self.points_accepted));
        let name = "strata_influx_samples_written_total";
        family(out, name, "Samples appended from Influx fields.");
        let _ = writeln!(out, "{name} {}", ld(&self.samples_written));
        let name = "strata_influx_samples_rejected_total";
        family(
            out,
            name,
            "Samples from Influx fields refused by storage, by reason.",
        );
        for (i, r) in SAMPLE_REASONS.iter().enumerate() {
            let _ = writeln!(
                out,
                "{name}{{reason=\"{r}\"}} {}",
                ld(&self.samples_rejected[i])
            );
        }
        let name = "strata_influx_string_fields_skipped_total";
        family(out, name, "Influx string fields skipped (not stored).");
        let _ = writeln!(out, "{name} {}", ld(&self.string_fields_skipped));
    }
}

/// What happened to one request body.
#[derive(Debug, Default)]
pub struct WriteOutcome {
    /// Lines parsed and handed to storage.
    pub points: u64,
    pub lines_rejected: u64,
    pub samples_written: u64,
    pub samples_rejected: u64,
    pub string_fields_skipped: u64,
    /// The first few problems, each naming its line.
    pub errors: Vec<String>,
    lines_rejected_by_reason: [u64; LINE_REASONS],
    samples_rejected_by_reason: [u64; SAMPLE_REASONS.len()],
}

/// Problems quoted in an error message; the rest are only counted.
const MAX_REPORTED: usize = 10;

impl WriteOutcome {
    fn note(&mut self, msg: impl FnOnce() -> String) {
        if self.errors.len() < MAX_REPORTED {
            self.errors.push(msg());
        }
    }

    /// The InfluxDB 1.x style message when anything was dropped: `partial write: ...
    /// dropped=N` when some lines were stored, the parse errors alone when none was.
    pub fn error_message(&self) -> Option<String> {
        let dropped = self.lines_rejected + self.samples_rejected;
        if dropped == 0 {
            return None;
        }
        let mut msg = self.errors.join("\n");
        let reported = self.errors.len() as u64;
        if dropped > reported {
            let _ = write!(msg, "\n(and {} more)", dropped - reported);
        }
        if self.points == 0 && self.samples_rejected == 0 {
            return Some(msg);
        }
        let _ = write!(
            msg,
            " dropped={}",
            self.lines_rejected + self.samples_rejected
        );
        Some(format!("partial write: {msg}"))
    }
}

/// Parses `body` and appends every numeric field of every good line under database `db`,
/// then commits. Bad lines and refused samples do not stop the others.
pub fn write(
    mut app: Box<dyn Appender>,
    body: &[u8],
    db: &str,
    opts: &ParseOptions,
    metrics: &InfluxMetrics,
) -> Result<WriteOutcome, CommitError> {
    let mut out = WriteOutcome::default();
    let mut name = String::new();
    let summary = parse_batch(body, opts, |line, point| {
        if let Some(tag) = point
            .tags
            .iter()
            .find(|(k, _)| RESERVED_TAGS.contains(&k.as_ref()))
        {
            out.lines_rejected += 1;
            out.lines_rejected_by_reason[LINE_REASONS - 1] += 1;
            out.note(|| format!("line {line}: tag key \"{}\" is reserved", tag.0));
            return;
        }
        out.points += 1;
        append_point(app.as_mut(), line, point, db, &mut name, &mut out);
    });
    out.lines_rejected += summary.rejected as u64;
    for (a, n) in out
        .lines_rejected_by_reason
        .iter_mut()
        .zip(summary.rejected_by_reason)
    {
        *a += n;
    }
    // Parse errors first, in line order, then whatever storage refused.
    let storage_errors = std::mem::take(&mut out.errors);
    out.errors = summary.errors.iter().map(|e| e.to_string()).collect();
    out.errors.extend(storage_errors);
    out.errors.truncate(MAX_REPORTED);
    app.commit()?;
    metrics.record(&out);
    Ok(out)
}

fn append_point(
    app: &mut dyn Appender,
    line: usize,
    point: &Point<'_>,
    db: &str,
    name: &mut String,
    out: &mut WriteOutcome,
) {
    let t = point.time_ns.div_euclid(1_000_000);
    for (field, value) in &point.fields {
        let Some(v) = value.as_f64() else {
            out.string_fields_skipped += 1;
            continue;
        };
        name.clear();
        name.push_str(&point.measurement);
        name.push('_');
        name.push_str(field);
        let mut pairs: Vec<(&str, &str)> = Vec::with_capacity(point.tags.len() + 2);
        pairs.push(("__name__", name.as_str()));
        pairs.push(("db", db));
        pairs.extend(point.tags.iter().map(|(k, v)| (k.as_ref(), v.as_ref())));
        pairs.sort_unstable_by(|a, b| a.0.cmp(b.0));
        match app.append_pairs(&pairs, t, v) {
            Ok(()) => out.samples_written += 1,
            Err(e) => {
                out.samples_rejected += 1;
                if let Some(i) = SAMPLE_REASONS.iter().position(|r| *r == e.reason()) {
                    out.samples_rejected_by_reason[i] += 1;
                }
                out.note(|| sample_error(line, name, t, &e));
            }
        }
    }
}

fn sample_error(line: usize, name: &str, t: i64, e: &SampleError) -> String {
    format!("line {line}: {e}: {name} at {t} ms")
}

#[cfg(test)]
mod tests;
