//! Remote write 2.0 messages (protobuf package `io.prometheus.write.v2`, file
//! `prompb/io/prometheus/write/v2/types.proto`).
//!
//! Strings (label names and values, help, unit) are interned in [`Request::symbols`] and referenced by
//! index; `symbols[0]` is always `""`. [`Sample`], [`Histogram`] and [`BucketSpan`] are wire-identical
//! to their 1.0 counterparts and re-exported from [`crate::v1`].

pub use crate::v1::{BucketSpan, Histogram, Sample, histogram};

/// `io.prometheus.write.v2.Request`: the remote write 2.0 request body (before snappy).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Request {
    // Fields 1 to 3 are reserved so that a 1.0 `WriteRequest` decodes as an empty 2.0 request.
    /// Symbol table; must start with `""` when non-empty. Field 4.
    #[prost(string, repeated, tag = "4")]
    pub symbols: Vec<String>,
    /// Series; field 5.
    #[prost(message, repeated, tag = "5")]
    pub timeseries: Vec<TimeSeries>,
}

/// `io.prometheus.write.v2.TimeSeries`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TimeSeries {
    /// Pairs of (name, value) indices into [`Request::symbols`]; even length, sorted by name.
    #[prost(uint32, repeated, tag = "1")]
    pub labels_refs: Vec<u32>,
    /// Float samples, oldest first.
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<Sample>,
    /// Native histogram samples, oldest first.
    #[prost(message, repeated, tag = "3")]
    pub histograms: Vec<Histogram>,
    /// Exemplars attached to this series' samples.
    #[prost(message, repeated, tag = "4")]
    pub exemplars: Vec<Exemplar>,
    /// Type, help and unit of this series' metric.
    #[prost(message, optional, tag = "5")]
    pub metadata: Option<Metadata>,
    /// Created (start) timestamp in milliseconds; 0 means unset.
    #[prost(int64, tag = "6")]
    pub created_timestamp: i64,
}

/// `io.prometheus.write.v2.Exemplar`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Exemplar {
    /// Pairs of indices into [`Request::symbols`].
    #[prost(uint32, repeated, tag = "1")]
    pub labels_refs: Vec<u32>,
    /// The exemplar's value.
    #[prost(double, tag = "2")]
    pub value: f64,
    /// Milliseconds since the epoch; 0 means unset.
    #[prost(int64, tag = "3")]
    pub timestamp: i64,
}

/// `io.prometheus.write.v2.Metadata`.
#[derive(Clone, Copy, PartialEq, Eq, prost::Message)]
pub struct Metadata {
    /// A [`metadata::MetricType`].
    #[prost(enumeration = "metadata::MetricType", tag = "1")]
    pub r#type: i32,
    /// Index of the HELP text in [`Request::symbols`]; field 3 (2 is unused upstream).
    #[prost(uint32, tag = "3")]
    pub help_ref: u32,
    /// Index of the UNIT in [`Request::symbols`].
    #[prost(uint32, tag = "4")]
    pub unit_ref: u32,
}

/// Nested types of [`Metadata`].
pub mod metadata {
    /// `io.prometheus.write.v2.Metadata.MetricType` (same numbers as 1.0's `MetricType`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum MetricType {
        /// METRIC_TYPE_UNSPECIFIED = 0.
        Unspecified = 0,
        /// METRIC_TYPE_COUNTER = 1.
        Counter = 1,
        /// METRIC_TYPE_GAUGE = 2.
        Gauge = 2,
        /// METRIC_TYPE_HISTOGRAM = 3.
        Histogram = 3,
        /// METRIC_TYPE_GAUGEHISTOGRAM = 4.
        Gaugehistogram = 4,
        /// METRIC_TYPE_SUMMARY = 5.
        Summary = 5,
        /// METRIC_TYPE_INFO = 6.
        Info = 6,
        /// METRIC_TYPE_STATESET = 7.
        Stateset = 7,
    }
}
