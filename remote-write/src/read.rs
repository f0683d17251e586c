//! Remote read: messages (`prompb/remote.proto`, `prompb/types.proto`), request decoding, `SAMPLES`
//! response encoding and response-type negotiation. `STREAMED_XOR_CHUNKS` framing is in
//! [`crate::chunked`].

use prost::Message;

use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::snappy;
pub use crate::v1::{Label, Sample, TimeSeries};

/// Content-Type of a `SAMPLES` response (the body is additionally snappy-compressed).
pub const SAMPLES_CONTENT_TYPE: &str = "application/x-protobuf";
/// Content-Encoding of a `SAMPLES` response.
pub const SAMPLES_CONTENT_ENCODING: &str = "snappy";
/// Content-Type of a `STREAMED_XOR_CHUNKS` response (frames are not compressed; no Content-Encoding).
pub const STREAMED_CONTENT_TYPE: &str =
    "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse";

/// `prometheus.ReadRequest`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ReadRequest {
    /// Queries, answered in order.
    #[prost(message, repeated, tag = "1")]
    pub queries: Vec<Query>,
    /// Acceptable [`ResponseType`]s in preference order; empty means `SAMPLES`.
    #[prost(enumeration = "ResponseType", repeated, tag = "2")]
    pub accepted_response_types: Vec<i32>,
}

/// `prometheus.ReadRequest.ResponseType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum ResponseType {
    /// One snappy-compressed [`ReadResponse`] with raw samples.
    Samples = 0,
    /// A stream of framed [`ChunkedReadResponse`]s carrying XOR chunks (see [`crate::chunked`]).
    StreamedXorChunks = 1,
}

impl ResponseType {
    /// The response's Content-Type header value.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Samples => SAMPLES_CONTENT_TYPE,
            Self::StreamedXorChunks => STREAMED_CONTENT_TYPE,
        }
    }

    /// The response's Content-Encoding header value, if one must be sent.
    pub fn content_encoding(self) -> Option<&'static str> {
        match self {
            Self::Samples => Some(SAMPLES_CONTENT_ENCODING),
            Self::StreamedXorChunks => None,
        }
    }
}

/// `prometheus.Query`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Query {
    /// Inclusive start, milliseconds.
    #[prost(int64, tag = "1")]
    pub start_timestamp_ms: i64,
    /// Inclusive end, milliseconds.
    #[prost(int64, tag = "2")]
    pub end_timestamp_ms: i64,
    /// Label matchers; all must match.
    #[prost(message, repeated, tag = "3")]
    pub matchers: Vec<LabelMatcher>,
    /// Optional hints about the query that caused this read.
    #[prost(message, optional, tag = "4")]
    pub hints: Option<ReadHints>,
}

/// `prometheus.LabelMatcher`.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
pub struct LabelMatcher {
    /// A [`label_matcher::Type`]; read it with `r#type()`.
    #[prost(enumeration = "label_matcher::Type", tag = "1")]
    pub r#type: i32,
    /// Label name.
    #[prost(string, tag = "2")]
    pub name: String,
    /// Value or regular expression (RE2, anchored by the receiver).
    #[prost(string, tag = "3")]
    pub value: String,
}

/// Nested types of [`LabelMatcher`].
pub mod label_matcher {
    /// `prometheus.LabelMatcher.Type`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum Type {
        /// `=`.
        Eq = 0,
        /// `!=`.
        Neq = 1,
        /// `=~`.
        Re = 2,
        /// `!~`.
        Nre = 3,
    }
}

/// `prometheus.ReadHints`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ReadHints {
    /// Query step in milliseconds.
    #[prost(int64, tag = "1")]
    pub step_ms: i64,
    /// Surrounding function or aggregation, e.g. `rate`.
    #[prost(string, tag = "2")]
    pub func: String,
    /// Start in milliseconds.
    #[prost(int64, tag = "3")]
    pub start_ms: i64,
    /// End in milliseconds.
    #[prost(int64, tag = "4")]
    pub end_ms: i64,
    /// Grouping labels of the surrounding aggregation.
    #[prost(string, repeated, tag = "5")]
    pub grouping: Vec<String>,
    /// Whether `grouping` is `by` (true) or `without` (false).
    #[prost(bool, tag = "6")]
    pub by: bool,
    /// Range of a range-vector selector, milliseconds.
    #[prost(int64, tag = "7")]
    pub range_ms: i64,
}

/// `prometheus.ReadResponse`: the `SAMPLES` response.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ReadResponse {
    /// One result per query, in request order.
    #[prost(message, repeated, tag = "1")]
    pub results: Vec<QueryResult>,
}

/// `prometheus.QueryResult`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct QueryResult {
    /// Matching series; samples ordered by time.
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
}

/// `prometheus.ChunkedReadResponse`: one frame of a `STREAMED_XOR_CHUNKS` response.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ChunkedReadResponse {
    /// Series (or parts of one series, split by time).
    #[prost(message, repeated, tag = "1")]
    pub chunked_series: Vec<ChunkedSeries>,
    /// Index of the query in [`ReadRequest::queries`] these chunks answer.
    #[prost(int64, tag = "2")]
    pub query_index: i64,
}

/// `prometheus.ChunkedSeries`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ChunkedSeries {
    /// Sorted labels.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    /// Chunks in start-time order; may overlap.
    #[prost(message, repeated, tag = "2")]
    pub chunks: Vec<Chunk>,
}

/// `prometheus.Chunk`: one encoded TSDB chunk; `[min_time_ms, max_time_ms]` is inclusive.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Chunk {
    /// First sample's timestamp.
    #[prost(int64, tag = "1")]
    pub min_time_ms: i64,
    /// Last sample's timestamp.
    #[prost(int64, tag = "2")]
    pub max_time_ms: i64,
    /// A [`chunk::Encoding`] (matches the TSDB chunk encoding byte).
    #[prost(enumeration = "chunk::Encoding", tag = "3")]
    pub r#type: i32,
    /// The chunk bytes, as stored by the TSDB.
    #[prost(bytes = "vec", tag = "4")]
    pub data: Vec<u8>,
}

/// Nested types of [`Chunk`].
pub mod chunk {
    /// `prometheus.Chunk.Encoding`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
    #[repr(i32)]
    pub enum Encoding {
        /// UNKNOWN = 0.
        Unknown = 0,
        /// Gorilla XOR float chunk.
        Xor = 1,
        /// Integer native histogram chunk.
        Histogram = 2,
        /// Float native histogram chunk.
        FloatHistogram = 3,
    }
}

/// Decodes a remote read request body: snappy block, then protobuf.
///
/// The decompressed size is checked against `limits.max_decompressed_bytes` before anything is
/// allocated ([`Error::TooLarge`], 413); corrupt snappy or protobuf is 400.
pub fn decode_read_request(body: &[u8], limits: &Limits) -> Result<ReadRequest> {
    let raw = snappy::decompress(body, limits.max_decompressed_bytes)?;
    Ok(ReadRequest::decode(raw.as_slice())?)
}

/// Encodes a remote read request (protobuf, then snappy): for clients and tests.
pub fn encode_read_request(req: &ReadRequest) -> Result<Vec<u8>> {
    snappy::compress(&req.encode_to_vec())
}

/// Encodes a `SAMPLES` response body: protobuf, then snappy block. Send it with
/// [`SAMPLES_CONTENT_TYPE`] and [`SAMPLES_CONTENT_ENCODING`].
pub fn encode_read_response_samples(resp: &ReadResponse) -> Result<Vec<u8>> {
    snappy::compress(&resp.encode_to_vec())
}

/// Decodes a `SAMPLES` response body (snappy, then protobuf): for clients and tests.
pub fn decode_read_response_samples(body: &[u8], limits: &Limits) -> Result<ReadResponse> {
    let raw = snappy::decompress(body, limits.max_decompressed_bytes)?;
    Ok(ReadResponse::decode(raw.as_slice())?)
}

/// Picks the response type as Prometheus does: the first entry of `accepted_response_types` that is
/// supported, or `SAMPLES` when the list is empty.
///
/// Fails with [`Error::UnsupportedResponseTypes`] (400) when the list names only unknown types.
pub fn negotiate_response_type(req: &ReadRequest) -> Result<ResponseType> {
    if req.accepted_response_types.is_empty() {
        return Ok(ResponseType::Samples);
    }
    req.accepted_response_types
        .iter()
        .find_map(|&t| ResponseType::try_from(t).ok())
        .ok_or_else(|| Error::UnsupportedResponseTypes(req.accepted_response_types.clone()))
}

#[cfg(test)]
mod tests;
