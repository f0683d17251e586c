//! One scrape body into the store: parse, attach target labels, metric relabeling, limits,
//! staleness for series that vanished, and the `up`/`scrape_*` report series. This mirrors
//! Prometheus's `scrapeLoop.append` and `report`, so that what is stored, what is counted and
//! when a scrape fails are the same.

use super::cache::{ScrapeCache, SeriesLabels};
use crate::appender::{Appender, Metadata, SampleError};
use crate::promconfig::{RelabelConfig, relabel};
use compat::exposition::{self, Format, ParseOptions};
use promql::STALE_NAN_BITS;
use std::collections::BTreeMap;
use std::sync::Arc;
use thiserror::Error;

/// Everything about a target that shapes its samples; fixed for the life of a scrape loop.
#[derive(Debug, Clone)]
pub struct SampleSettings {
    /// The target's public labels (`job`, `instance`, ...), sorted by name.
    pub target_labels: Arc<[(String, String)]>,
    pub honor_labels: bool,
    pub honor_timestamps: bool,
    pub track_timestamps_staleness: bool,
    pub metric_relabel: Arc<[RelabelConfig]>,
    /// 0 means no limit, for each of these.
    pub sample_limit: u64,
    pub label_limit: u64,
    pub label_name_length_limit: u64,
    pub label_value_length_limit: u64,
    /// `fallback_scrape_protocol`: the format of a response without a usable Content-Type.
    pub fallback: Option<Format>,
}

/// Why a scrape's samples were not stored; the scrape counts as failed (`up` 0).
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum AppendError {
    #[error("{0}")]
    ContentType(String),
    #[error("{0}")]
    Parse(String),
    #[error("sample limit exceeded")]
    SampleLimit,
    #[error("{0}")]
    LabelLimit(String),
    #[error("missing metric name (__name__ label)")]
    NoName,
    #[error("invalid metric name or label names: {0}")]
    InvalidLabels(String),
}

impl AppendError {
    /// The `reason` label of `strata_target_scrapes_failed_total`.
    pub fn reason(&self) -> &'static str {
        match self {
            AppendError::ContentType(_) => "content_type",
            AppendError::Parse(_) => "parse",
            AppendError::SampleLimit => "sample_limit",
            AppendError::LabelLimit(_) => "label_limit",
            AppendError::NoName | AppendError::InvalidLabels(_) => "invalid_labels",
        }
    }
}

/// What one scrape produced, for the report series.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Samples in the body (`scrape_samples_scraped`).
    pub scraped: u64,
    /// Samples left after metric relabeling (`scrape_samples_post_metric_relabeling`).
    pub post_relabel: u64,
    /// Series not seen in the previous scrape (`scrape_series_added`).
    pub series_added: u64,
    /// Samples the store refused (out of order, duplicate timestamp, too old): skipped
    /// without failing the scrape.
    pub rejected_out_of_order: u64,
    pub rejected_duplicate: u64,
    pub rejected_too_old: u64,
}

/// The exposition format for a response's `Content-Type`, as Prometheus 3 decides it: the
/// OpenMetrics and text media types are recognised; anything else needs the fallback.
pub fn format_for(content_type: &str, fallback: Option<Format>) -> Result<Format, AppendError> {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        "application/openmetrics-text" => Ok(Format::OpenMetrics),
        "text/plain" => Ok(Format::Text),
        _ => match fallback {
            Some(f) => Ok(f),
            None if content_type.trim().is_empty() => Err(AppendError::ContentType(
                "non-compliant scrape target sending blank Content-Type and no \
                 fallback_scrape_protocol specified for target"
                    .into(),
            )),
            None if media == "application/vnd.google.protobuf" => Err(AppendError::ContentType(
                "the protobuf exposition format is not supported; the target should offer text"
                    .into(),
            )),
            None => Err(AppendError::ContentType(format!(
                "received unsupported Content-Type {content_type:?} and no \
                 fallback_scrape_protocol specified for target"
            ))),
        },
    }
}

/// Appends one successful response's samples at `ts` (the scrape's start, milliseconds), and
/// stale markers for the series the previous scrape had and this one lacks. On error nothing
/// should be committed: the caller rolls back and calls [`append_failed`].
pub fn append_body(
    app: &mut dyn Appender,
    cache: &mut ScrapeCache,
    s: &SampleSettings,
    body: &[u8],
    content_type: &str,
    ts: i64,
) -> Result<Counts, (AppendError, Counts)> {
    let mut counts = Counts::default();
    let format = format_for(content_type, s.fallback).map_err(|e| (e, counts))?;
    let opts = ParseOptions {
        keep_empty_labels: true,
        ..ParseOptions::default()
    };
    let parsed = match exposition::parse(body, format, &opts) {
        Ok(p) => p,
        Err(e) => {
            let counts = counts_before(body, format, e.line, s);
            return Err((AppendError::Parse(e.to_string()), counts));
        }
    };
    cache.begin();
    let mut key = Vec::with_capacity(256);
    let mut error = None;
    let mut limit_hit = false;
    let mut appended: u64 = 0;
    for sample in &parsed.samples {
        counts.scraped += 1;
        key.clear();
        for (n, v) in &sample.labels {
            key.extend_from_slice(n.as_bytes());
            key.push(0xff);
            key.extend_from_slice(v.as_bytes());
            key.push(0xff);
        }
        let (labels, new) = match cache.get(&key) {
            Some(l) => (l, false),
            None => match final_labels(&normalized_pairs(sample, &parsed.families), s) {
                Ok(l) => {
                    cache.insert(&key, l.clone());
                    (l, true)
                }
                Err(e) => {
                    error = Some(e);
                    break;
                }
            },
        };
        let Some(labels) = labels else {
            continue;
        };
        counts.post_relabel += 1;
        // Past the sample limit the scrape fails, but counting goes on so that the report
        // says how many samples the target exposes (Prometheus does the same).
        if limit_hit || (s.sample_limit > 0 && appended >= s.sample_limit) {
            limit_hit = true;
            continue;
        }
        let explicit = sample.timestamp_ms.filter(|_| s.honor_timestamps);
        let t = explicit.unwrap_or(ts);
        let pairs: Vec<(&str, &str)> = labels.iter().map(|(n, v)| (&**n, &**v)).collect();
        match app.append_pairs(&pairs, t, sample.value) {
            Ok(()) => {
                appended += 1;
                if explicit.is_none() || s.track_timestamps_staleness {
                    cache.track(labels.clone());
                }
                if new {
                    counts.series_added += 1;
                }
            }
            Err(SampleError::OutOfOrder) => counts.rejected_out_of_order += 1,
            Err(SampleError::DuplicateTimestamp) => counts.rejected_duplicate += 1,
            Err(SampleError::TooOld) => counts.rejected_too_old += 1,
            Err(SampleError::InvalidSeries(m)) => {
                error = Some(AppendError::InvalidLabels(m));
                break;
            }
        }
    }
    if let Some(e) = error {
        return Err((e, counts));
    }
    if limit_hit {
        return Err((AppendError::SampleLimit, counts));
    }
    update_metadata(app, cache, &parsed.families);
    mark_stale(app, cache, ts);
    cache.end(!body.is_empty());
    Ok(counts)
}

/// What Prometheus reports for a body that fails to parse at `line`: the samples before it
/// were counted (and relabeled) before the parser stopped.
fn counts_before(body: &[u8], format: Format, line: usize, s: &SampleSettings) -> Counts {
    let mut counts = Counts::default();
    let end = body
        .split_inclusive(|b| *b == b'\n')
        .take(line.saturating_sub(1))
        .map(<[u8]>::len)
        .sum::<usize>();
    let mut prefix = body[..end.min(body.len())].to_vec();
    if format == Format::OpenMetrics {
        prefix.extend_from_slice(b"# EOF\n");
    }
    let opts = ParseOptions {
        keep_empty_labels: true,
        ..ParseOptions::default()
    };
    if let Ok(parsed) = exposition::parse(&prefix, format, &opts) {
        for sample in &parsed.samples {
            counts.scraped += 1;
            if let Ok(Some(_)) = final_labels(&normalized_pairs(sample, &parsed.families), s) {
                counts.post_relabel += 1;
            }
        }
    }
    counts
}

/// After a failed scrape (or a rolled-back append): every series of the previous scrape gets
/// a stale marker at `ts`, as Prometheus does by appending an empty scrape.
pub fn append_failed(app: &mut dyn Appender, cache: &mut ScrapeCache, ts: i64) {
    cache.begin();
    mark_stale(app, cache, ts);
    cache.end(false);
}

fn mark_stale(app: &mut dyn Appender, cache: &ScrapeCache, ts: i64) {
    for labels in cache.vanished() {
        let pairs: Vec<(&str, &str)> = labels.iter().map(|(n, v)| (&**n, &**v)).collect();
        // Out of order or duplicate means the series was written again meanwhile (a new loop
        // for the same target): nothing to mark.
        let _ = app.append_pairs(&pairs, ts, f64::from_bits(STALE_NAN_BITS));
    }
}

/// Metadata goes to the store only when a family's changes, not on every scrape.
fn update_metadata(
    app: &mut dyn Appender,
    cache: &mut ScrapeCache,
    families: &[exposition::Family],
) {
    for f in families {
        let meta = Metadata {
            metric_type: f.metric_type.as_str().to_string(),
            help: f.help.clone().unwrap_or_default(),
            unit: f.unit.clone().unwrap_or_default(),
        };
        if cache.set_metadata(&f.name, &meta) {
            app.append_metadata(&f.name, meta);
        }
    }
}

/// The sample's labels with a classic histogram's `le` or a summary's `quantile` written as
/// OpenMetrics floats (`1` → `1.0`), as Prometheus 3's parsers normalise them, so that a bucket
/// is the same series whichever way a target spells it.
fn normalized_pairs<'a>(
    sample: &'a exposition::Sample<'_>,
    families: &[exposition::Family],
) -> Vec<(&'a str, std::borrow::Cow<'a, str>)> {
    use compat::exposition::MetricType;
    let kind = sample
        .family
        .and_then(|i| families.get(i))
        .map(|f| f.metric_type);
    let target = match kind {
        Some(MetricType::Histogram) => "le",
        Some(MetricType::Summary) => "quantile",
        _ => "",
    };
    sample
        .labels
        .iter()
        .map(|(n, v)| {
            let v: std::borrow::Cow<'a, str> = if !target.is_empty() && n == target {
                match v.parse::<f64>() {
                    Ok(f) => openmetrics_float(f).into(),
                    Err(_) => std::borrow::Cow::Borrowed(&**v),
                }
            } else {
                std::borrow::Cow::Borrowed(&**v)
            };
            (&**n, v)
        })
        .collect()
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)` with `.0` added to integers: Prometheus's
/// `formatOpenMetricsFloat`.
pub fn openmetrics_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if f == 0.0 {
        // Go compares -0 equal to 0 here too.
        return "0.0".into();
    }
    // Shortest round-trip digits and the decimal exponent, from Rust's `{:e}`.
    let e = format!("{f:e}");
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let s = if !(-4..6).contains(&exp) {
        let m = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits.clone()
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{m}e{esign}{:02}", exp.abs())
    } else if exp < 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
    } else {
        let int_len = exp as usize + 1;
        if digits.len() > int_len {
            format!("{sign}{}.{}", &digits[..int_len], &digits[int_len..])
        } else {
            format!("{sign}{digits}{}", "0".repeat(int_len - digits.len()))
        }
    };
    if s.contains(['e', '.']) { s } else { s + ".0" }
}

/// The stored label set of a scraped series: target labels attached (Prometheus's
/// `mutateSampleLabels`), then `metric_relabel_configs`; `None` when relabeling dropped it.
pub fn final_labels<V: AsRef<str>>(
    scraped: &[(&str, V)],
    s: &SampleSettings,
) -> Result<Option<SeriesLabels>, AppendError> {
    // An exposed label with an empty value counts as present for `honor_labels` (it keeps the
    // target's label off the series) and as absent otherwise, as in Prometheus.
    let mut lb: BTreeMap<String, String> = scraped
        .iter()
        .map(|(n, v)| (n.to_string(), v.as_ref().to_string()))
        .collect();
    if s.honor_labels {
        for (n, v) in s.target_labels.iter() {
            lb.entry(n.clone()).or_insert_with(|| v.clone());
        }
        lb.retain(|_, v| !v.is_empty());
    } else {
        lb.retain(|_, v| !v.is_empty());
        // A scraped label that a target label overrides survives as `exported_<name>`
        // (more prefixes while that is taken too), shortest names first.
        let mut conflicts: Vec<(String, String)> = Vec::new();
        for (n, v) in s.target_labels.iter() {
            if let Some(old) = lb.get(n) {
                conflicts.push((n.clone(), old.clone()));
            }
            set_label(&mut lb, n, v);
        }
        conflicts.sort_by_key(|(n, _)| n.len());
        for (name, value) in conflicts {
            let mut new_name = name;
            loop {
                new_name = format!("exported_{new_name}");
                if !lb.contains_key(&new_name) {
                    set_label(&mut lb, &new_name, &value);
                    break;
                }
            }
        }
    }
    if !s.metric_relabel.is_empty() && !relabel::process(&mut lb, &s.metric_relabel) {
        return Ok(None);
    }
    if lb.is_empty() {
        return Ok(None);
    }
    let name = lb.get("__name__").cloned().unwrap_or_default();
    if name.is_empty() {
        return Err(AppendError::NoName);
    }
    if lb.keys().any(|n| n.is_empty()) {
        return Err(AppendError::InvalidLabels(render(&lb)));
    }
    check_label_limits(&lb, &name, s)?;
    Ok(Some(lb.into_iter().collect::<Vec<_>>().into()))
}

fn set_label(lb: &mut BTreeMap<String, String>, n: &str, v: &str) {
    if v.is_empty() {
        lb.remove(n);
    } else {
        lb.insert(n.to_string(), v.to_string());
    }
}

fn check_label_limits(
    lb: &BTreeMap<String, String>,
    name: &str,
    s: &SampleSettings,
) -> Result<(), AppendError> {
    let metric = trunc(name, 50);
    if s.label_limit > 0 && lb.len() as u64 > s.label_limit {
        return Err(AppendError::LabelLimit(format!(
            "label_limit exceeded (metric: {metric}, number of labels: {}, limit: {})",
            lb.len(),
            s.label_limit
        )));
    }
    for (n, v) in lb {
        if s.label_name_length_limit > 0 && n.len() as u64 > s.label_name_length_limit {
            return Err(AppendError::LabelLimit(format!(
                "label_name_length_limit exceeded (metric: {metric}, label name: {}, length: {}, limit: {})",
                trunc(n, 50),
                n.len(),
                s.label_name_length_limit
            )));
        }
        if s.label_value_length_limit > 0 && v.len() as u64 > s.label_value_length_limit {
            return Err(AppendError::LabelLimit(format!(
                "label_value_length_limit exceeded (metric: {metric}, label name: {}, value: {:?}, length: {}, limit: {})",
                trunc(n, 50),
                trunc(v, 50),
                v.len(),
                s.label_value_length_limit
            )));
        }
    }
    Ok(())
}

/// Go's `%.50s`: at most that many characters.
fn trunc(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn render(lb: &BTreeMap<String, String>) -> String {
    let inner: Vec<String> = lb.iter().map(|(n, v)| format!("{n}={v:?}")).collect();
    format!("{{{}}}", inner.join(", "))
}

/// The report series of one scrape.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    pub up: bool,
    pub duration_seconds: f64,
    pub counts: Counts,
    /// `--enable-feature=extra-scrape-metrics`: timeout, sample limit and body size too.
    pub extra: Option<ExtraReport>,
}

#[derive(Debug, Clone, Copy)]
pub struct ExtraReport {
    pub timeout_seconds: f64,
    pub sample_limit: u64,
    pub body_size_bytes: u64,
}

/// Names of the report series, in the order Prometheus appends them.
pub const REPORT_NAMES: [&str; 5] = [
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
];
const EXTRA_NAMES: [&str; 3] = [
    "scrape_timeout_seconds",
    "scrape_sample_limit",
    "scrape_body_size_bytes",
];

/// Appends `up`, `scrape_duration_seconds`, ... with the target's labels at `ts`.
pub fn append_report(
    app: &mut dyn Appender,
    target_labels: &[(String, String)],
    ts: i64,
    r: &Report,
) {
    let c = r.counts;
    let base = [
        if r.up { 1.0 } else { 0.0 },
        r.duration_seconds,
        c.scraped as f64,
        c.post_relabel as f64,
        c.series_added as f64,
    ];
    for (name, v) in REPORT_NAMES.iter().zip(base) {
        append_report_sample(app, target_labels, name, ts, v);
    }
    if let Some(x) = r.extra {
        let vals = [
            x.timeout_seconds,
            x.sample_limit as f64,
            x.body_size_bytes as f64,
        ];
        for (name, v) in EXTRA_NAMES.iter().zip(vals) {
            append_report_sample(app, target_labels, name, ts, v);
        }
    }
}

/// Stale markers for the report series, when a target goes away.
pub fn append_report_stale(
    app: &mut dyn Appender,
    target_labels: &[(String, String)],
    ts: i64,
    extra: bool,
) {
    let stale = f64::from_bits(STALE_NAN_BITS);
    let extra_names: &[&str] = if extra { &EXTRA_NAMES } else { &[] };
    for name in REPORT_NAMES.iter().chain(extra_names) {
        append_report_sample(app, target_labels, name, ts, stale);
    }
}

fn append_report_sample(
    app: &mut dyn Appender,
    target_labels: &[(String, String)],
    name: &str,
    ts: i64,
    v: f64,
) {
    let mut pairs: Vec<(&str, &str)> = Vec::with_capacity(target_labels.len() + 1);
    pairs.push(("__name__", name));
    pairs.extend(
        target_labels
            .iter()
            .filter(|(n, _)| n != "__name__")
            .map(|(n, v)| (n.as_str(), v.as_str())),
    );
    pairs.sort_unstable_by(|a, b| a.0.cmp(b.0));
    // A report sample can only collide with itself (a repeated timestamp): nothing to do.
    let _ = app.append_pairs(&pairs, ts, v);
}

#[cfg(test)]
#[path = "append_tests.rs"]
mod tests;
