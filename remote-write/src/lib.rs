//! Prometheus remote write (1.0 and 2.0) and remote read, on the wire.
//!
//! This crate owns the protocol, not the storage: the server's ingest layer hands it a request's
//! headers and body and gets back a validated [`DecodedWrite`] to append from, whatever the protocol
//! version; the remote read endpoint gets a [`read::ReadRequest`] and encodes its answer with
//! [`read::encode_read_response_samples`] or, streamed, with [`chunked::write_chunked_frame`].
//!
//! - [`v1`], [`v2`], [`read`]: the protobuf messages, written by hand with `prost` derives, with
//!   Prometheus's field numbers.
//! - [`decode_write`]: Content-Type / Content-Encoding negotiation, snappy with bomb protection,
//!   a borrowing protobuf decoder (no per-label allocation) and validation, for both versions.
//! - [`encode_write_v1`], [`encode_write_v2`], [`SymbolTable`], [`v2_from_v1`]: for the load
//!   generator, tests and benches.
//! - [`Error::status_code`]: every failure maps to 400, 413 or 415 in one place.
//!
//! The accepted inputs, validation rules, limits and framing are described in
//! `docs/format/remote-write.md`.

pub mod chunked;
mod content;
mod decode;
mod encode;
mod error;
mod limits;
pub mod read;
pub mod snappy;
pub mod v1;
pub mod v2;
mod wire;
mod write;

pub use content::{
    CONTENT_ENCODING_SNAPPY, CONTENT_TYPE_V1, CONTENT_TYPE_V2, EXEMPLARS_WRITTEN_HEADER,
    HISTOGRAMS_WRITTEN_HEADER, PROTOBUF_MEDIA_TYPE, ProtoVersion, SAMPLES_WRITTEN_HEADER,
    VERSION_HEADER, check_content_encoding, parse_content_type, written_headers,
};
pub use decode::{decode_write, decode_write_into};
pub use encode::{SymbolTable, encode_write_v1, encode_write_v2, v2_from_v1};
pub use error::{Error, ErrorKind, LabelError, Result};
pub use limits::Limits;
pub use write::{
    DecodedWrite, Labels, METRIC_NAME_LABEL, MetadataEntry, MetricType, WriteSeries, WriteStats,
};

#[cfg(test)]
mod wire_tests;
