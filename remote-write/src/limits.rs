//! Per-request limits applied while decoding.

/// Bounds on what one request may contain, and how strict label validation is. Exceeding the size
/// bounds is 413, the per-series bounds 400.
///
/// Memory: the decoded form of a write costs at most about 8× the decompressed body (a 2-byte empty
/// `Sample` becomes a 16-byte `(i64, f64)`), so `max_decompressed_bytes` also bounds memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted body after snappy decompression, checked against the snappy header before
    /// allocating. Default 32 MiB (Prometheus reads at most 32 MB for remote read as well).
    pub max_decompressed_bytes: usize,
    /// Most series (`TimeSeries` messages) in one write request. Default 100 000 (Prometheus sends
    /// at most 2 000 samples per request by default; other senders batch up to ~10 000).
    pub max_series: usize,
    /// Most labels in one series, `__name__` included. Default 128.
    pub max_labels_per_series: usize,
    /// Longest label name, in bytes. Default 1 024.
    pub max_label_name_bytes: usize,
    /// Longest label value, in bytes. Default 4 096.
    pub max_label_value_bytes: usize,
    /// Sort a series' labels instead of rejecting it when they arrive out of order. Default
    /// `false` (reject with 400). Prometheus itself sorts, and some senders (e.g. vmagent, which
    /// appends `job`/`instance` after a series' own labels) rely on that; duplicates are rejected
    /// either way.
    pub sort_unsorted_labels: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_decompressed_bytes: 32 << 20,
            max_series: 100_000,
            max_labels_per_series: 128,
            max_label_name_bytes: 1024,
            max_label_value_bytes: 4096,
            sort_unsorted_labels: false,
        }
    }
}

impl Limits {
    /// No limits beyond snappy's own 4 GiB block bound: for tools and benches on trusted input.
    pub fn unlimited() -> Self {
        Self {
            max_decompressed_bytes: usize::MAX,
            max_series: usize::MAX,
            max_labels_per_series: usize::MAX,
            max_label_name_bytes: usize::MAX,
            max_label_value_bytes: usize::MAX,
            sort_unsorted_labels: false,
        }
    }
}
