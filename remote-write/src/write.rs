//! The normalized form of a decoded write: [`DecodedWrite`] and its views.
//!
//! Strings live in one arena per request and are addressed by [`Span`]s; series, labels and samples
//! are flat vectors with index ranges. The parser that fills them is in [`crate::decode`].

use std::fmt;

/// The `__name__` label.
pub const METRIC_NAME_LABEL: &str = "__name__";

/// Type of a metric family, as sent in remote write metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MetricType {
    /// `UNKNOWN` / `METRIC_TYPE_UNSPECIFIED`, or a number this crate does not know.
    #[default]
    Unknown,
    /// Counter.
    Counter,
    /// Gauge.
    Gauge,
    /// Histogram (classic or native).
    Histogram,
    /// Gauge histogram.
    GaugeHistogram,
    /// Summary.
    Summary,
    /// Info.
    Info,
    /// State set.
    StateSet,
}

impl MetricType {
    /// Maps the wire enum (same numbers in 1.0 and 2.0); unknown numbers become `Unknown`.
    pub fn from_wire(value: i32) -> Self {
        match value {
            1 => Self::Counter,
            2 => Self::Gauge,
            3 => Self::Histogram,
            4 => Self::GaugeHistogram,
            5 => Self::Summary,
            6 => Self::Info,
            7 => Self::StateSet,
            _ => Self::Unknown,
        }
    }

    /// The lowercase name Prometheus uses (`counter`, `gaugehistogram`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
            Self::GaugeHistogram => "gaugehistogram",
            Self::Summary => "summary",
            Self::Info => "info",
            Self::StateSet => "stateset",
        }
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Counts over a whole request; for 2.0 these are the `X-Prometheus-Remote-Write-*-Written` values
/// when everything is appended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    /// Float samples.
    pub samples: usize,
    /// Native histogram samples (decoded only to be counted).
    pub histograms: usize,
    /// Exemplars (counted, not decoded).
    pub exemplars: usize,
}

impl WriteStats {
    /// The three 2.0 response headers for these counts.
    pub fn headers(&self) -> [(&'static str, String); 3] {
        crate::content::written_headers(self.samples, self.histograms, self.exemplars)
    }
}

/// One metadata record: 1.0 sends them per family, 2.0 per series (family = the series' name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetadataEntry<'a> {
    /// Metric family name.
    pub family: &'a str,
    /// Metric type.
    pub metric_type: MetricType,
    /// HELP text, possibly empty.
    pub help: &'a str,
    /// UNIT, possibly empty.
    pub unit: &'a str,
}

/// A byte range of [`DecodedWrite::strings`]; always on `char` boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Span {
    pub(crate) fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    pub(crate) fn is_empty(self) -> bool {
        self.start == self.end
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct SeriesEntry {
    pub(crate) labels: (usize, usize),
    pub(crate) samples: (usize, usize),
    pub(crate) name: Span,
    pub(crate) histograms: usize,
    pub(crate) exemplars: usize,
    pub(crate) created_timestamp: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MetadataSpans {
    pub(crate) family: Span,
    pub(crate) metric_type: MetricType,
    pub(crate) help: Span,
    pub(crate) unit: Span,
}

/// A decoded, validated write request of either version: what the server appends from.
///
/// Series come in request order. Each series' labels are sorted by name, unique, include a
/// non-empty `__name__`, and respect [`crate::Limits`]; labels with empty values are dropped (Prometheus
/// treats them as absent). Strings borrow from the value, so keep it alive while appending, and
/// reuse it across requests with [`crate::decode_write_into`].
#[derive(Clone, Default)]
pub struct DecodedWrite {
    pub(crate) strings: String,
    pub(crate) labels: Vec<(Span, Span)>,
    pub(crate) samples: Vec<(i64, f64)>,
    pub(crate) series: Vec<SeriesEntry>,
    pub(crate) metadata: Vec<MetadataSpans>,
    pub(crate) stats: WriteStats,
    // Scratch, kept only for its capacity.
    pub(crate) body: Vec<u8>,
    pub(crate) symbols: Vec<Span>,
    pub(crate) refs: Vec<u64>,
}

impl DecodedWrite {
    /// An empty value, to decode into.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets the decoded request, keeping buffer capacity.
    pub fn clear(&mut self) {
        self.strings.clear();
        self.labels.clear();
        self.samples.clear();
        self.series.clear();
        self.metadata.clear();
        self.stats = WriteStats::default();
        self.symbols.clear();
        self.refs.clear();
    }

    /// Number of series.
    pub fn len(&self) -> usize {
        self.series.len()
    }

    /// True when the request had no series.
    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// The series, in request order.
    pub fn series(&self) -> impl ExactSizeIterator<Item = WriteSeries<'_>> + '_ {
        self.series
            .iter()
            .map(move |entry| WriteSeries { write: self, entry })
    }

    /// The `index`-th series.
    pub fn get(&self, index: usize) -> Option<WriteSeries<'_>> {
        self.series
            .get(index)
            .map(|entry| WriteSeries { write: self, entry })
    }

    /// Metadata records in request order (2.0: one per series that carried any, consecutive
    /// duplicates removed).
    pub fn metadata(&self) -> impl ExactSizeIterator<Item = MetadataEntry<'_>> + '_ {
        self.metadata.iter().map(move |m| MetadataEntry {
            family: self.str(m.family),
            metric_type: m.metric_type,
            help: self.str(m.help),
            unit: self.str(m.unit),
        })
    }

    /// Sample, histogram and exemplar counts over all series.
    pub fn stats(&self) -> WriteStats {
        self.stats
    }

    pub(crate) fn str(&self, span: Span) -> &str {
        // Spans are made by `intern` from whole `&str`s, so this never falls back.
        self.strings.get(span.range()).unwrap_or_default()
    }
}

/// One series of a [`DecodedWrite`].
#[derive(Clone, Copy)]
pub struct WriteSeries<'a> {
    write: &'a DecodedWrite,
    entry: &'a SeriesEntry,
}

impl<'a> WriteSeries<'a> {
    /// Labels as `(name, value)`, sorted by name, `__name__` included, no empty values.
    pub fn labels(&self) -> Labels<'a> {
        let (start, end) = self.entry.labels;
        Labels {
            strings: &self.write.strings,
            iter: self.write.labels.get(start..end).unwrap_or_default().iter(),
        }
    }

    /// The `__name__` value (never empty).
    pub fn metric_name(&self) -> &'a str {
        self.write.str(self.entry.name)
    }

    /// Float samples as `(t, v)`: milliseconds and value, in request order.
    pub fn samples(&self) -> &'a [(i64, f64)] {
        let (start, end) = self.entry.samples;
        self.write.samples.get(start..end).unwrap_or_default()
    }

    /// Native histogram samples in this series (not decoded further).
    pub fn histogram_count(&self) -> usize {
        self.entry.histograms
    }

    /// Exemplars in this series (not decoded further).
    pub fn exemplar_count(&self) -> usize {
        self.entry.exemplars
    }

    /// 2.0 created timestamp in milliseconds, if the sender set one.
    pub fn created_timestamp(&self) -> Option<i64> {
        Some(self.entry.created_timestamp).filter(|&t| t != 0)
    }
}

/// Iterator over a series' labels as `(name, value)`.
#[derive(Clone)]
pub struct Labels<'a> {
    strings: &'a str,
    iter: std::slice::Iter<'a, (Span, Span)>,
}

impl<'a> Iterator for Labels<'a> {
    type Item = (&'a str, &'a str);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let &(name, value) = self.iter.next()?;
        let get = |span: Span| self.strings.get(span.range()).unwrap_or_default();
        Some((get(name), get(value)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.iter.size_hint()
    }
}

impl ExactSizeIterator for Labels<'_> {}

impl fmt::Debug for Labels<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.clone()).finish()
    }
}

impl fmt::Debug for WriteSeries<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WriteSeries")
            .field("labels", &self.labels())
            .field("samples", &self.samples())
            .field("histograms", &self.entry.histograms)
            .field("exemplars", &self.entry.exemplars)
            .field("created_timestamp", &self.created_timestamp())
            .finish()
    }
}

impl fmt::Debug for DecodedWrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodedWrite")
            .field("series", &DebugIter(|| self.series()))
            .field("metadata", &DebugIter(|| self.metadata()))
            .field("stats", &self.stats)
            .finish()
    }
}

struct DebugIter<F>(F);

impl<F, I> fmt::Debug for DebugIter<F>
where
    F: Fn() -> I,
    I: Iterator,
    I::Item: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries((self.0)()).finish()
    }
}
