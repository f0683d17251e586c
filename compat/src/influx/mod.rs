//! The InfluxDB line protocol (the body of `/write` and `/api/v2/write`).
//!
//! ```text
//! measurement[,tag_key=tag_value...] field_key=field_value[,field_key=field_value...] [timestamp]
//! ```
//!
//! The acceptance rules are InfluxDB 1.x's (`models/points.go`): escaping with backslashes
//! (`,` and space in measurements; `,`, `=` and space in tag keys, tag values and field keys;
//! `"` and `\` inside string values), field types float (`1`, `1.5`, `1e3`), integer (`1i`),
//! unsigned (`1u`), boolean (`t`, `true`, `True`, `TRUE`, `f`, ...) and string (`"..."`),
//! `#` comment lines, and an optional integer timestamp in the request's precision. Two
//! deliberate differences: a `\r` before the newline is ignored (CRLF bodies), and an unknown
//! precision is an error for the caller to report instead of silently meaning nanoseconds.
//!
//! [`parse_batch`] parses a whole body and hands each good point to a callback; bad lines are
//! returned with their line number, so a caller can store the good ones and report the rest.

mod error;
mod line;
mod split;
mod value;

pub use error::{ErrorKind, LineError, MAX_QUOTED_LINE};
pub use line::MAX_KEY_LENGTH;
pub use split::Lines;
pub use value::FieldValue;

use std::borrow::Cow;

/// Unit of the timestamps in a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    #[default]
    Nanosecond,
    Microsecond,
    Millisecond,
    Second,
    Minute,
    Hour,
}

impl Precision {
    /// The v1 `precision` parameter: empty (nanoseconds), `n`, `ns`, `u`, `us`, `ms`, `s`,
    /// `m`, `h`.
    pub fn from_v1(s: &str) -> Option<Self> {
        Some(match s {
            "" | "n" | "ns" => Precision::Nanosecond,
            "u" | "us" | "µ" => Precision::Microsecond,
            "ms" => Precision::Millisecond,
            "s" => Precision::Second,
            "m" => Precision::Minute,
            "h" => Precision::Hour,
            _ => return None,
        })
    }

    /// The v2 `precision` parameter: empty (nanoseconds), `ns`, `us`, `ms`, `s`.
    pub fn from_v2(s: &str) -> Option<Self> {
        Some(match s {
            "" | "ns" => Precision::Nanosecond,
            "us" => Precision::Microsecond,
            "ms" => Precision::Millisecond,
            "s" => Precision::Second,
            _ => return None,
        })
    }

    /// Nanoseconds in one unit.
    pub fn nanos(self) -> i64 {
        match self {
            Precision::Nanosecond => 1,
            Precision::Microsecond => 1_000,
            Precision::Millisecond => 1_000_000,
            Precision::Second => 1_000_000_000,
            Precision::Minute => 60_000_000_000,
            Precision::Hour => 3_600_000_000_000,
        }
    }

    /// `ns` rounded down to a whole unit (what a point without a timestamp gets).
    pub fn truncate(self, ns: i64) -> i64 {
        let n = self.nanos();
        ns - ns.rem_euclid(n)
    }
}

/// One parsed line. Names and string values borrow from the body unless they had escapes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Point<'a> {
    /// Unescaped measurement name.
    pub measurement: Cow<'a, str>,
    /// Unescaped `(key, value)` pairs sorted by key, keys unique, values non-empty.
    pub tags: Vec<(Cow<'a, str>, Cow<'a, str>)>,
    /// Unescaped field keys in line order (a repeated key keeps its last value), at least one.
    pub fields: Vec<(Cow<'a, str>, FieldValue<'a>)>,
    /// Nanoseconds since the epoch.
    pub time_ns: i64,
}

/// How to read a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    pub precision: Precision,
    /// Time of points without a timestamp, ns since the epoch (truncated to the precision).
    pub now_ns: i64,
    /// Longest line accepted, in bytes.
    pub max_line_bytes: usize,
    /// Most line errors kept in [`BatchSummary::errors`] (all are counted).
    pub max_errors_kept: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            precision: Precision::Nanosecond,
            now_ns: 0,
            max_line_bytes: 1 << 20,
            max_errors_kept: 100,
        }
    }
}

/// What [`parse_batch`] saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchSummary {
    /// Lines parsed into points.
    pub points: usize,
    /// Lines refused (every one, including those beyond `errors`).
    pub rejected: usize,
    /// The first `max_errors_kept` refused lines, in body order.
    pub errors: Vec<LineError>,
    /// Refusals per [`ErrorKind::index`].
    pub rejected_by_reason: [u64; ErrorKind::REASONS.len()],
}

/// Parses one line (no newline; comments and blank lines are errors here) into `point`.
pub fn parse_line<'a>(
    line: &'a [u8],
    opts: &ParseOptions,
    point: &mut Point<'a>,
) -> Result<(), ErrorKind> {
    let line = trim_line(line);
    if line.len() > opts.max_line_bytes {
        return Err(ErrorKind::LineTooLong(line.len(), opts.max_line_bytes));
    }
    let line = std::str::from_utf8(line).map_err(|_| ErrorKind::InvalidUtf8)?;
    line::parse_line(line, opts.precision, opts.now_ns, point)
}

/// Leading whitespace and a trailing `\r` removed.
fn trim_line(mut line: &[u8]) -> &[u8] {
    while let [b' ' | b'\t' | 0, rest @ ..] = line {
        line = rest;
    }
    if let [rest @ .., b'\r'] = line {
        line = rest;
    }
    line
}

/// Parses every line of `body`, calling `on_point(line_number, point)` for each good one.
/// Blank lines and `#` comments are skipped; bad lines are counted and the first few kept.
pub fn parse_batch<'a>(
    body: &'a [u8],
    opts: &ParseOptions,
    mut on_point: impl FnMut(usize, &Point<'a>),
) -> BatchSummary {
    let mut summary = BatchSummary::default();
    let mut point = Point::default();
    for (number, raw) in Lines::new(body) {
        let line = trim_line(raw);
        if line.is_empty() || line[0] == b'#' {
            continue;
        }
        let result = if line.len() > opts.max_line_bytes {
            Err(ErrorKind::LineTooLong(line.len(), opts.max_line_bytes))
        } else {
            // One UTF-8 check per line; the parser then slices at ASCII delimiters only.
            match std::str::from_utf8(line) {
                Ok(text) => line::parse_line(text, opts.precision, opts.now_ns, &mut point),
                Err(_) => Err(ErrorKind::InvalidUtf8),
            }
        };
        match result {
            Ok(()) => {
                summary.points += 1;
                on_point(number, &point);
            }
            Err(kind) => {
                summary.rejected += 1;
                summary.rejected_by_reason[kind.index()] += 1;
                if summary.errors.len() < opts.max_errors_kept {
                    summary.errors.push(LineError::new(number, line, kind));
                }
            }
        }
    }
    summary
}
