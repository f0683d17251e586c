//! One plaintext line: `path[;tag=value...] value [timestamp]`.

use std::fmt;
use thiserror::Error;

/// Longest line accepted by default, newline excluded. carbon has no limit; 4 KiB holds any
/// path a whisper file system could store (255 bytes per component) with room for tags.
pub const DEFAULT_MAX_LINE_BYTES: usize = 4096;

/// When a sample was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timestamp {
    /// No timestamp, `N`, or `-1`: the receiver's clock at arrival.
    Now,
    /// Milliseconds since the epoch (the line's seconds, rounded to the millisecond).
    Millis(i64),
}

/// A valid line, borrowing from the input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Line<'a> {
    /// The dotted path: the metric name. For a tagged series, carbon's rule applies: leading
    /// `~` are stripped.
    pub path: &'a str,
    /// The `tag=value` segments after the first `;`, already checked; empty when untagged.
    tags: &'a str,
    pub value: f64,
    pub timestamp: Timestamp,
}

impl<'a> Line<'a> {
    /// Whether the path carried `;tag=value` segments.
    pub fn is_tagged(&self) -> bool {
        !self.tags.is_empty()
    }

    /// The tags in the order written. A tag called `name` is left out: carbon replaces it with
    /// the path. A name may repeat; as in carbon, the last one wins.
    pub fn tags(&self) -> TagIter<'a> {
        TagIter {
            rest: (!self.tags.is_empty()).then_some(self.tags),
        }
    }
}

/// Iterator over a [`Line`]'s `(name, value)` tags.
#[derive(Debug, Clone)]
pub struct TagIter<'a> {
    rest: Option<&'a str>,
}

impl<'a> Iterator for TagIter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let rest = self.rest?;
            let (seg, tail) = match rest.split_once(';') {
                Some((s, t)) => (s, Some(t)),
                None => (rest, None),
            };
            self.rest = tail;
            // Segments were validated by `parse_line`, so each has a `=`.
            if let Some((k, v)) = seg.split_once('=')
                && k != "name"
            {
                return Some((k, v));
            }
        }
    }
}

/// Why a line was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum LineErrorKind {
    #[error("line longer than the limit")]
    TooLong,
    #[error("line is not valid UTF-8")]
    InvalidUtf8,
    #[error("no value after the path")]
    MissingValue,
    #[error("more than three fields")]
    TooManyFields,
    #[error("value is not a number")]
    InvalidValue,
    #[error("timestamp is not a finite number of seconds")]
    InvalidTimestamp,
    #[error("invalid path")]
    InvalidPath,
    #[error("invalid tag")]
    InvalidTag,
    #[error("value is NaN (carbon drops these)")]
    NanValue,
}

/// The `reason` label values of rejected lines, indexed by [`LineErrorKind::index`].
pub const REASONS: [&str; 9] = [
    "too_long",
    "invalid_utf8",
    "missing_value",
    "too_many_fields",
    "invalid_value",
    "invalid_timestamp",
    "invalid_path",
    "invalid_tag",
    "nan_value",
];

impl LineErrorKind {
    /// Position in [`REASONS`], for an array of counters.
    pub fn index(self) -> usize {
        match self {
            LineErrorKind::TooLong => 0,
            LineErrorKind::InvalidUtf8 => 1,
            LineErrorKind::MissingValue => 2,
            LineErrorKind::TooManyFields => 3,
            LineErrorKind::InvalidValue => 4,
            LineErrorKind::InvalidTimestamp => 5,
            LineErrorKind::InvalidPath => 6,
            LineErrorKind::InvalidTag => 7,
            LineErrorKind::NanValue => 8,
        }
    }

    /// The metric label value for this reason (`invalid_value`, ...).
    pub fn reason(self) -> &'static str {
        REASONS[self.index()]
    }
}

/// A refused line: the reason, the byte offset in the line where the problem starts, and a
/// detail (the offending field, cut to a readable length).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub kind: LineErrorKind,
    pub offset: usize,
    pub detail: String,
}

/// How much of an offending field an error message quotes.
const DETAIL_BYTES: usize = 64;

impl LineError {
    fn new(kind: LineErrorKind, offset: usize, detail: &str) -> Self {
        let mut end = detail.len().min(DETAIL_BYTES);
        while !detail.is_char_boundary(end) {
            end -= 1;
        }
        LineError {
            kind,
            offset,
            detail: detail[..end].to_string(),
        }
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind, self.offset)?;
        if !self.detail.is_empty() {
            write!(f, ": {:?}", self.detail)?;
        }
        Ok(())
    }
}

impl std::error::Error for LineError {}

/// The ASCII whitespace Python's `str.split()` splits on (carbon splits fields with it).
/// Unicode spaces, which Python 3 would also split on, are left inside fields: they make the
/// line fail as an invalid value or path rather than parse differently.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c)
}

/// Parses one line (without its `\n`; a trailing `\r` is whitespace). Returns `Ok(None)` for a
/// blank line. Does not check the length: [`crate::graphite::LineFramer`] does, before a line
/// is ever buffered whole.
pub fn parse_line(line: &[u8]) -> Result<Option<Line<'_>>, LineError> {
    let text = std::str::from_utf8(line)
        .map_err(|e| LineError::new(LineErrorKind::InvalidUtf8, e.valid_up_to(), ""))?;
    let mut fields = Fields { s: text, pos: 0 };
    let Some((path_at, raw_path)) = fields.next_field() else {
        return Ok(None);
    };
    let Some((value_at, raw_value)) = fields.next_field() else {
        return Err(LineError::new(LineErrorKind::MissingValue, text.len(), ""));
    };
    let ts_field = fields.next_field();
    if let Some((at, extra)) = fields.next_field() {
        return Err(LineError::new(LineErrorKind::TooManyFields, at, extra));
    }

    let (path, tags) = split_path(raw_path, path_at)?;
    let value = parse_float(raw_value)
        .ok_or_else(|| LineError::new(LineErrorKind::InvalidValue, value_at, raw_value))?;
    if value.is_nan() {
        return Err(LineError::new(LineErrorKind::NanValue, value_at, raw_value));
    }
    let timestamp = match ts_field {
        None => Timestamp::Now,
        Some((at, raw)) => parse_timestamp(raw)
            .ok_or_else(|| LineError::new(LineErrorKind::InvalidTimestamp, at, raw))?,
    };
    Ok(Some(Line {
        path,
        tags,
        value,
        timestamp,
    }))
}

/// Whitespace-separated fields with their byte offsets.
struct Fields<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Fields<'a> {
    fn next_field(&mut self) -> Option<(usize, &'a str)> {
        let b = self.s.as_bytes();
        while self.pos < b.len() && is_space(b[self.pos]) {
            self.pos += 1;
        }
        if self.pos == b.len() {
            return None;
        }
        let start = self.pos;
        while self.pos < b.len() && !is_space(b[self.pos]) {
            self.pos += 1;
        }
        // Field boundaries are ASCII bytes, so both ends are char boundaries.
        Some((start, &self.s[start..self.pos]))
    }
}

/// Splits `path;tags` and checks both parts.
fn split_path(raw: &str, at: usize) -> Result<(&str, &str), LineError> {
    let (path, tags) = match raw.split_once(';') {
        Some((p, t)) => (p, Some(t)),
        None => (raw, None),
    };
    if let Some(i) = path.bytes().position(|b| b < 0x20 || b == 0x7f) {
        return Err(LineError::new(LineErrorKind::InvalidPath, at + i, path));
    }
    let Some(tags) = tags else {
        return Ok((path, ""));
    };
    // carbon uses a tagged series' path as the `name` tag, without leading `~`.
    let name = path.trim_start_matches('~');
    if name.is_empty() {
        return Err(LineError::new(LineErrorKind::InvalidPath, at, path));
    }
    let mut off = at + path.len() + 1;
    for seg in tags.split(';') {
        check_tag(seg).map_err(|why| LineError::new(LineErrorKind::InvalidTag, off, why))?;
        off += seg.len() + 1;
    }
    Ok((name, tags))
}

/// carbon's `validateTagAndValue`, plus Prometheus's reservation of `__` names. Returns what
/// is wrong, for the message.
fn check_tag(seg: &str) -> Result<(), &str> {
    let Some((name, value)) = seg.split_once('=') else {
        return Err(if seg.is_empty() { "empty tag" } else { seg });
    };
    if name.is_empty() || value.is_empty() {
        return Err(seg);
    }
    if name.contains(['!', '^']) || name.starts_with("__") {
        return Err(name);
    }
    if value.starts_with('~') || value.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err(seg);
    }
    Ok(())
}

/// Python `float()` on one field: decimal and exponent forms, `inf`/`infinity`/`nan` in any
/// case with an optional sign. (Python's `1_000` digit grouping is not accepted.)
fn parse_float(s: &str) -> Option<f64> {
    // Rust's grammar for f64 is Python's without digit grouping; the forms are pinned by
    // the test below.
    s.parse().ok()
}

/// Seconds since the epoch → milliseconds; `N`, and anything carbon's `int()` truncates to -1,
/// mean now.
fn parse_timestamp(s: &str) -> Option<Timestamp> {
    if s == "N" {
        return Some(Timestamp::Now);
    }
    let secs = parse_float(s)?;
    if !secs.is_finite() {
        return None;
    }
    if secs.trunc() == -1.0 {
        return Some(Timestamp::Now);
    }
    let ms = (secs * 1000.0).round();
    // i64 milliseconds reach ±292 million years; refuse what does not fit instead of saturating.
    if ms.abs() >= 9.2e18 {
        return None;
    }
    Some(Timestamp::Millis(ms as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_forms_match_python() {
        for (s, want) in [
            ("1", 1.0),
            ("-2.5", -2.5),
            ("+3", 3.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("1e3", 1000.0),
            ("1E-3", 0.001),
            ("inf", f64::INFINITY),
            ("-Infinity", f64::NEG_INFINITY),
            ("+INF", f64::INFINITY),
        ] {
            assert_eq!(parse_float(s), Some(want), "{s}");
        }
        assert!(parse_float("NaN").is_some_and(f64::is_nan));
        for s in ["", "0x10", "1e", "abc", "1,5", "--1", "in"] {
            assert_eq!(parse_float(s), None, "{s}");
        }
    }
}
