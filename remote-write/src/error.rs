//! The crate's error type and its mapping to HTTP status codes.

use std::fmt;

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How the server should answer a request that failed with an [`Error`]; see [`Error::kind`].
///
/// None of these is retryable: a remote write sender drops a batch answered with a 4xx other than
/// 429, which is right because resending the same bytes cannot succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// 400: the body cannot be decoded or violates the protocol's validation rules.
    BadRequest,
    /// 413: the request is larger than [`crate::Limits`] allow (decompressed size, series count).
    PayloadTooLarge,
    /// 415: unsupported Content-Type (media type or `proto=` message) or Content-Encoding.
    UnsupportedMediaType,
}

impl ErrorKind {
    /// The HTTP status code for this kind.
    pub fn status_code(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
        }
    }
}

/// Everything that can go wrong while decoding, validating or framing remote write / read payloads.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The Content-Type is not `application/x-protobuf` with a known (or no) `proto=` parameter.
    #[error(
        "unsupported content type {0:?}: expected application/x-protobuf, optionally with \
         proto=prometheus.WriteRequest or proto=io.prometheus.write.v2.Request"
    )]
    UnsupportedContentType(String),
    /// The Content-Encoding is neither absent nor `snappy`.
    #[error("unsupported content encoding {0:?}: only snappy is accepted")]
    UnsupportedContentEncoding(String),
    /// The snappy header announces more decompressed bytes than allowed (checked before allocating).
    #[error("decompressed body would be {size} bytes, more than the limit of {limit} bytes")]
    TooLarge {
        /// Announced decompressed size.
        size: usize,
        /// `Limits::max_decompressed_bytes`.
        limit: usize,
    },
    /// The request carries more series than `Limits::max_series`.
    #[error("request has more than {limit} series")]
    TooManySeries {
        /// `Limits::max_series`.
        limit: usize,
    },
    /// The body is not a valid snappy block (or a message is too big to compress).
    #[error("snappy: {0}")]
    Snappy(#[from] snap::Error),
    /// `prost` rejected a message (remote read and the `prost`-based helpers).
    #[error("malformed protobuf: {0}")]
    Protobuf(#[from] prost::DecodeError),
    /// The write decoder rejected the protobuf bytes.
    #[error("malformed protobuf in {context}: {reason}")]
    Malformed {
        /// The message being decoded, e.g. `TimeSeries`.
        context: &'static str,
        /// What was wrong.
        reason: &'static str,
    },
    /// A series' labels violate the validation rules.
    #[error("invalid labels for series {series}: {reason}")]
    InvalidLabels {
        /// The series as `{name="value", ...}` (possibly truncated).
        series: String,
        /// Which rule was broken.
        reason: LabelError,
    },
    /// A 2.0 series has an odd number of label references.
    #[error("series #{series_index}: labels_refs has odd length {len}")]
    OddLabelRefs {
        /// Position of the series in the request.
        series_index: usize,
        /// Number of references.
        len: usize,
    },
    /// A 2.0 reference points past the end of the symbol table.
    #[error(
        "series #{series_index}: symbol reference {reference} in {field} is out of range for a \
         symbol table of {symbols} entries"
    )]
    SymbolOutOfRange {
        /// Position of the series in the request.
        series_index: usize,
        /// Which field held the reference (`labels_refs`, `help_ref`, `unit_ref`).
        field: &'static str,
        /// The reference.
        reference: u64,
        /// Length of the symbol table.
        symbols: usize,
    },
    /// A non-empty 2.0 symbol table does not start with `""`.
    #[error("symbols[0] must be the empty string, got {0:?}")]
    FirstSymbolNotEmpty(String),
    /// A remote read request accepts only response types we do not implement.
    #[error(
        "none of the accepted response types {0:?} is supported; supported: 0 (SAMPLES), \
         1 (STREAMED_XOR_CHUNKS)"
    )]
    UnsupportedResponseTypes(Vec<i32>),
    /// A chunked read frame is larger than the reader's limit.
    #[error("chunked frame of {size} bytes exceeds the limit of {limit} bytes")]
    FrameTooLarge {
        /// Announced frame size.
        size: u64,
        /// The reader's limit.
        limit: u64,
    },
    /// A chunked read frame's CRC32-Castagnoli does not match its bytes.
    #[error(
        "chunked frame checksum mismatch: frame says {expected:#010x}, data hashes to {actual:#010x}"
    )]
    FrameChecksum {
        /// Checksum in the frame header.
        expected: u32,
        /// Checksum of the received bytes.
        actual: u32,
    },
    /// A chunked read stream ended inside a frame, or its length varint is malformed.
    #[error("chunked stream corrupt: {0}")]
    FrameCorrupt(&'static str),
    /// Reading a chunked stream failed.
    #[error("reading chunked stream: {0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    /// The class of this error; the single place that decides status codes.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::UnsupportedContentType(_) | Self::UnsupportedContentEncoding(_) => {
                ErrorKind::UnsupportedMediaType
            }
            Self::TooLarge { .. } | Self::TooManySeries { .. } => ErrorKind::PayloadTooLarge,
            Self::Snappy(_)
            | Self::Protobuf(_)
            | Self::Malformed { .. }
            | Self::InvalidLabels { .. }
            | Self::OddLabelRefs { .. }
            | Self::SymbolOutOfRange { .. }
            | Self::FirstSymbolNotEmpty(_)
            | Self::UnsupportedResponseTypes(_)
            | Self::FrameTooLarge { .. }
            | Self::FrameChecksum { .. }
            | Self::FrameCorrupt(_)
            | Self::Io(_) => ErrorKind::BadRequest,
        }
    }

    /// The HTTP status code to answer with: 400, 413 or 415.
    pub fn status_code(&self) -> u16 {
        self.kind().status_code()
    }
}

/// Why a series' label set was rejected; part of [`Error::InvalidLabels`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelError {
    /// No `__name__` label, or an empty one.
    MissingMetricName,
    /// A label name is the empty string.
    EmptyLabelName,
    /// Two labels share a name.
    DuplicateLabelName(String),
    /// Label names are not in strictly ascending byte order.
    Unsorted {
        /// The earlier name.
        previous: String,
        /// The name that should have come first.
        next: String,
    },
    /// More labels than `Limits::max_labels_per_series`.
    TooManyLabels {
        /// Labels in the series.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// A label name longer than `Limits::max_label_name_bytes`.
    NameTooLong {
        /// Length in bytes.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// A label value longer than `Limits::max_label_value_bytes`.
    ValueTooLong {
        /// The label's name.
        name: String,
        /// Length in bytes.
        len: usize,
        /// The limit.
        limit: usize,
    },
}

impl fmt::Display for LabelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingMetricName => f.write_str("missing __name__"),
            Self::EmptyLabelName => f.write_str("empty label name"),
            Self::DuplicateLabelName(name) => write!(f, "duplicate label name {name:?}"),
            Self::Unsorted { previous, next } => {
                write!(
                    f,
                    "labels not sorted by name: {previous:?} comes before {next:?}"
                )
            }
            Self::TooManyLabels { count, limit } => {
                write!(f, "{count} labels, more than the limit of {limit}")
            }
            Self::NameTooLong { len, limit } => {
                write!(
                    f,
                    "label name of {len} bytes, longer than the limit of {limit}"
                )
            }
            Self::ValueTooLong { name, len, limit } => write!(
                f,
                "value of label {name:?} is {len} bytes, longer than the limit of {limit}"
            ),
        }
    }
}
