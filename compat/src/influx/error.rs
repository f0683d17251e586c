//! Why a line was refused. The wording follows InfluxDB 1.x (`models/points.go`) so that
//! clients and operators see the messages they already know.

use thiserror::Error;

/// What is wrong with one line.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ErrorKind {
    #[error("missing measurement")]
    MissingMeasurement,
    #[error("missing tag key")]
    MissingTagKey,
    #[error("missing tag value")]
    MissingTagValue,
    #[error("invalid tag format")]
    InvalidTagFormat,
    #[error("duplicate tags")]
    DuplicateTags,
    #[error("missing fields")]
    MissingFields,
    #[error("missing field key")]
    MissingFieldKey,
    #[error("missing field value")]
    MissingFieldValue,
    #[error("invalid field format")]
    InvalidFieldFormat,
    #[error("unbalanced quotes")]
    UnbalancedQuotes,
    #[error("invalid number")]
    InvalidNumber,
    /// An `i` or `u` integer outside its type's range, or a float outside f64's.
    #[error("number out of range: {0}")]
    NumberOutOfRange(String),
    #[error("invalid boolean")]
    InvalidBoolean,
    #[error("bad timestamp")]
    BadTimestamp,
    /// The timestamp, scaled to nanoseconds, does not fit InfluxDB's time range.
    #[error("time outside range {0}")]
    TimeOutsideRange(String),
    /// Something other than spaces after the timestamp.
    #[error("point is invalid")]
    TrailingGarbage,
    #[error("max key length exceeded: {0} > {1}")]
    KeyTooLong(usize, usize),
    #[error("line too long: {0} bytes, limit {1}")]
    LineTooLong(usize, usize),
    #[error("invalid UTF-8")]
    InvalidUtf8,
}

impl ErrorKind {
    /// Every `reason` label value, in [`ErrorKind::index`] order.
    pub const REASONS: [&'static str; 19] = [
        "missing_measurement",
        "missing_tag_key",
        "missing_tag_value",
        "invalid_tag_format",
        "duplicate_tags",
        "missing_fields",
        "missing_field_key",
        "missing_field_value",
        "invalid_field_format",
        "unbalanced_quotes",
        "invalid_number",
        "number_out_of_range",
        "invalid_boolean",
        "bad_timestamp",
        "time_outside_range",
        "trailing_garbage",
        "key_too_long",
        "line_too_long",
        "invalid_utf8",
    ];

    /// Position of this kind in [`ErrorKind::REASONS`], for counters kept in arrays.
    pub fn index(&self) -> usize {
        match self {
            ErrorKind::MissingMeasurement => 0,
            ErrorKind::MissingTagKey => 1,
            ErrorKind::MissingTagValue => 2,
            ErrorKind::InvalidTagFormat => 3,
            ErrorKind::DuplicateTags => 4,
            ErrorKind::MissingFields => 5,
            ErrorKind::MissingFieldKey => 6,
            ErrorKind::MissingFieldValue => 7,
            ErrorKind::InvalidFieldFormat => 8,
            ErrorKind::UnbalancedQuotes => 9,
            ErrorKind::InvalidNumber => 10,
            ErrorKind::NumberOutOfRange(_) => 11,
            ErrorKind::InvalidBoolean => 12,
            ErrorKind::BadTimestamp => 13,
            ErrorKind::TimeOutsideRange(_) => 14,
            ErrorKind::TrailingGarbage => 15,
            ErrorKind::KeyTooLong(..) => 16,
            ErrorKind::LineTooLong(..) => 17,
            ErrorKind::InvalidUtf8 => 18,
        }
    }

    /// The `reason` label value of this kind.
    pub fn reason(&self) -> &'static str {
        Self::REASONS[self.index()]
    }
}

/// Longest excerpt of a bad line quoted in an error message.
pub const MAX_QUOTED_LINE: usize = 256;

/// A refused line: where it starts in the body, what it says, and why.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: unable to parse '{text}': {kind}")]
pub struct LineError {
    /// 1-based number of the body line the point starts on.
    pub line: usize,
    /// The line, lossily decoded and cut to [`MAX_QUOTED_LINE`] bytes.
    pub text: String,
    pub kind: ErrorKind,
}

impl LineError {
    pub(crate) fn new(line: usize, raw: &[u8], kind: ErrorKind) -> Self {
        let cut = &raw[..raw.len().min(MAX_QUOTED_LINE)];
        let mut text = String::from_utf8_lossy(cut).into_owned();
        if raw.len() > MAX_QUOTED_LINE {
            text.push('…');
        }
        LineError { line, text, kind }
    }
}
