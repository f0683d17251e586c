//! The Prometheus text exposition format 0.0.4 and OpenMetrics 1.0, as a scrape reads them.
//!
//! [`parse`] takes a whole scrape body and returns every sample with its label set (including
//! `__name__`), value, optional timestamp and, for OpenMetrics, the creation time declared by
//! `_created` samples; or the first error with its line number. A scrape either parses
//! completely or fails, as in Prometheus, so a caller never stores half a body.
//!
//! What is accepted follows Prometheus' own parsers (`model/textparse`, 3.x): the same lexical
//! rules, escapes, float syntax and quirks, so a target that Prometheus scrapes also scrapes
//! here and vice versa. [`Validation::OpenMetricsSpec`] adds the semantic rules of the
//! OpenMetrics 1.0 specification that Prometheus does not enforce (family grouping, metadata
//! placement, histogram bucket consistency, value ranges per type, ...), which is what the
//! official OpenMetrics parser test suite checks.

mod error;
mod family;
mod lex;
mod openmetrics;
mod spec;
mod text;

use std::borrow::Cow;

pub use error::{ErrorKind, ParseError};

/// Which exposition format a body is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `text/plain; version=0.0.4`, the Prometheus text format.
    Text,
    /// `application/openmetrics-text; version=1.0.0`.
    OpenMetrics,
}

impl Format {
    /// The format of a scrape response from its `Content-Type`, as Prometheus chooses it:
    /// OpenMetrics when the media type says so, the text format otherwise.
    pub fn from_content_type(content_type: &str) -> Format {
        let media = content_type.split(';').next().unwrap_or("").trim();
        if media.eq_ignore_ascii_case("application/openmetrics-text") {
            Format::OpenMetrics
        } else {
            Format::Text
        }
    }
}

/// How much of the OpenMetrics specification is enforced beyond Prometheus' parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Validation {
    /// Exactly what Prometheus accepts when it scrapes. The default: scraping must not reject
    /// a target that Prometheus takes.
    #[default]
    Prometheus,
    /// Also the OpenMetrics 1.0 semantic rules (only meaningful for [`Format::OpenMetrics`]).
    OpenMetricsSpec,
}

/// Bounds on what one scrape may contain; exceeding one fails the parse with
/// [`ErrorKind::Limit`]. Use `usize::MAX` to lift a bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes in one line, newline excluded.
    pub max_line_len: usize,
    /// Labels on one sample, `__name__` excluded.
    pub max_labels: usize,
    /// Bytes in one label name (after unescaping), `__name__` itself excepted.
    pub max_label_name_len: usize,
    /// Bytes in one label value (after unescaping), the metric name included.
    pub max_label_value_len: usize,
}

impl Default for Limits {
    /// Generous enough for real exporters (kube-state-metrics label sets, long build-info
    /// values) while keeping one hostile line from costing more than a megabyte of work.
    fn default() -> Self {
        Limits {
            max_line_len: 1 << 20,
            max_labels: 256,
            max_label_name_len: 1024,
            max_label_value_len: 64 * 1024,
        }
    }
}

/// Options of [`parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParseOptions {
    pub limits: Limits,
    pub validation: Validation,
    /// Leave the OpenMetrics `_created` samples of counters, histograms and summaries out of
    /// [`Scrape::samples`] (their value is still attached to their siblings as
    /// [`Sample::created_ms`]). Prometheus keeps them as ordinary series unless its
    /// `created-timestamp-zero-ingestion` feature is on, so the default is `false`.
    pub skip_created_series: bool,
    /// Keep labels whose value is empty in [`Sample::labels`]. Storage never keeps them, but a
    /// scrape with `honor_labels` must know that the target exposed the label (an exposed
    /// `instance=""` keeps the target's `instance` off the series, as in Prometheus).
    pub keep_empty_labels: bool,
}

/// The type of a metric family, as declared by `# TYPE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricType {
    Counter,
    Gauge,
    Histogram,
    GaugeHistogram,
    Summary,
    Info,
    StateSet,
    /// `unknown` in OpenMetrics, `untyped` in the text format, or no `# TYPE` at all.
    Unknown,
}

impl MetricType {
    /// The OpenMetrics spelling, as the metadata API reports it.
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::GaugeHistogram => "gaugehistogram",
            MetricType::Summary => "summary",
            MetricType::Info => "info",
            MetricType::StateSet => "stateset",
            MetricType::Unknown => "unknown",
        }
    }
}

/// Metadata declared for one metric family by `# TYPE`, `# HELP` and `# UNIT` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    pub name: String,
    pub metric_type: MetricType,
    /// Unescaped help text, when a `# HELP` line was given.
    pub help: Option<String>,
    /// OpenMetrics only, when a `# UNIT` line was given.
    pub unit: Option<String>,
}

/// A label name or value: borrowed from the body unless unescaping changed it.
pub type Str<'a> = Cow<'a, str>;

/// One sample of a scrape.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample<'a> {
    /// `(name, value)` pairs sorted by name (byte order), unique, `__name__` included. Labels
    /// with an empty value are left out, as Prometheus stores them, unless
    /// [`ParseOptions::keep_empty_labels`] asks for them.
    pub labels: Vec<(Str<'a>, Str<'a>)>,
    /// NaN, +Inf and -Inf included.
    pub value: f64,
    /// Milliseconds since the epoch, when the exposition gave one.
    pub timestamp_ms: Option<i64>,
    /// OpenMetrics: the creation time (milliseconds) of the counter, histogram or summary this
    /// sample belongs to, from the matching `_created` sample.
    pub created_ms: Option<i64>,
    /// Index into [`Scrape::families`] of the family whose metadata applies to this sample.
    pub family: Option<usize>,
}

impl Sample<'_> {
    /// The metric name (`__name__`).
    pub fn name(&self) -> &str {
        self.labels
            .iter()
            .find(|(n, _)| n == "__name__")
            .map_or("", |(_, v)| v)
    }

    /// The labels as `(&str, &str)` pairs, ready for `Appender::append_pairs`.
    pub fn label_pairs(&self) -> Vec<(&str, &str)> {
        self.labels.iter().map(|(n, v)| (&**n, &**v)).collect()
    }
}

/// Everything one scrape body held.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scrape<'a> {
    /// In exposition order.
    pub samples: Vec<Sample<'a>>,
    /// In order of first mention.
    pub families: Vec<Family>,
}

/// Parses a whole scrape body in `format`.
pub fn parse<'a>(
    body: &'a [u8],
    format: Format,
    options: &ParseOptions,
) -> Result<Scrape<'a>, ParseError> {
    match format {
        Format::Text => text::parse(body, options),
        Format::OpenMetrics => openmetrics::parse(body, options),
    }
}
