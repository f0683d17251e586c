//! Field values and the unescaping of names.
//!
//! A value token runs to the next unescaped `,` or space (strings: to their closing quote).
//! Numbers follow InfluxDB 1.x: an optional `-`, digits with at most one `.`, an optional
//! exponent for floats, and an `i` (signed) or `u` (unsigned) suffix for integers; `NaN` and
//! infinities are refused.

use super::ErrorKind;
use std::borrow::Cow;

/// One field's value as written.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue<'a> {
    Float(f64),
    Integer(i64),
    Unsigned(u64),
    Boolean(bool),
    /// Unescaped contents of a `"..."` value.
    String(Cow<'a, str>),
}

impl FieldValue<'_> {
    /// The value as a sample: numbers as f64 (integers above 2^53 lose precision), booleans as
    /// 1 or 0, strings as `None`.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            FieldValue::Float(v) => Some(v),
            FieldValue::Integer(v) => Some(v as f64),
            FieldValue::Unsigned(v) => Some(v as f64),
            FieldValue::Boolean(b) => Some(if b { 1.0 } else { 0.0 }),
            FieldValue::String(_) => None,
        }
    }
}

/// Whether a value starting with `b` is scanned as a number (the rest as booleans).
pub(crate) fn starts_number(b: u8) -> bool {
    b.is_ascii_digit() || b == b'.' || b == b'-' || b == b'N' || b == b'n'
}

/// Parses a numeric token (no delimiters inside).
pub(crate) fn parse_number(tok: &str) -> Result<FieldValue<'static>, ErrorKind> {
    let (text, suffix) = match tok.as_bytes().last() {
        Some(b'i') => (&tok[..tok.len() - 1], Some(b'i')),
        Some(b'u') => (&tok[..tok.len() - 1], Some(b'u')),
        _ => (tok, None),
    };
    let body = text.as_bytes();
    let digits = body.strip_prefix(b"-").unwrap_or(body);
    if digits.is_empty() {
        return Err(ErrorKind::InvalidNumber);
    }
    match suffix {
        Some(s) => {
            if !digits.iter().all(u8::is_ascii_digit) {
                return Err(ErrorKind::InvalidNumber);
            }
            if s == b'i' {
                text.parse::<i64>()
                    .map(FieldValue::Integer)
                    .map_err(|_| ErrorKind::NumberOutOfRange(format!("{text}i")))
            } else {
                if body.first() == Some(&b'-') {
                    return Err(ErrorKind::InvalidNumber);
                }
                text.parse::<u64>()
                    .map(FieldValue::Unsigned)
                    .map_err(|_| ErrorKind::NumberOutOfRange(format!("{text}u")))
            }
        }
        None => {
            if !valid_float_syntax(digits) {
                return Err(ErrorKind::InvalidNumber);
            }
            let v: f64 = text.parse().map_err(|_| ErrorKind::InvalidNumber)?;
            if !v.is_finite() {
                return Err(ErrorKind::NumberOutOfRange(text.to_string()));
            }
            Ok(FieldValue::Float(v))
        }
    }
}

/// `digits[.digits][(e|E)[+|-]digits]` with at least one mantissa digit; no sign (the caller
/// strips one `-`), no `inf`/`nan`.
fn valid_float_syntax(s: &[u8]) -> bool {
    let (mantissa, exp) = match s.iter().position(|&b| b == b'e' || b == b'E') {
        Some(p) => (&s[..p], Some(&s[p + 1..])),
        None => (s, None),
    };
    let mut dots = 0;
    let mut mdigits = 0;
    for &b in mantissa {
        match b {
            b'.' => dots += 1,
            b'0'..=b'9' => mdigits += 1,
            _ => return false,
        }
    }
    if dots > 1 || mdigits == 0 {
        return false;
    }
    match exp {
        None => true,
        Some(e) => {
            let e = e
                .strip_prefix(b"+")
                .or_else(|| e.strip_prefix(b"-"))
                .unwrap_or(e);
            !e.is_empty() && e.iter().all(u8::is_ascii_digit)
        }
    }
}

/// `t`, `T`, `true`, `True`, `TRUE` and the same for false.
pub(crate) fn parse_bool(tok: &str) -> Result<FieldValue<'static>, ErrorKind> {
    match tok.as_bytes() {
        b"t" | b"T" | b"true" | b"True" | b"TRUE" => Ok(FieldValue::Boolean(true)),
        b"f" | b"F" | b"false" | b"False" | b"FALSE" => Ok(FieldValue::Boolean(false)),
        _ => Err(ErrorKind::InvalidBoolean),
    }
}

/// The contents of a string value (between the quotes) with `\"` and `\\` unescaped; any
/// other backslash stays as written.
pub(crate) fn unescape_string(s: &str) -> Cow<'_, str> {
    if !s.as_bytes().contains(&b'\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&n) = chars.peek()
            && (n == '"' || n == '\\')
        {
            out.push(n);
            chars.next();
            continue;
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// Characters a backslash escapes in measurement names and field keys.
pub(crate) const NAME_ESCAPES: &[u8] = b", =\"";
/// Characters a backslash escapes in tag keys and values.
pub(crate) const TAG_ESCAPES: &[u8] = b", =";

/// `raw` with each backslash that precedes one of `escapes` removed; other backslashes stay.
pub(crate) fn unescape<'a>(raw: &'a str, escapes: &[u8]) -> Cow<'a, str> {
    let b = raw.as_bytes();
    if !b.contains(&b'\\') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut last = 0;
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'\\' && escapes.contains(&b[i + 1]) {
            // Both bytes are ASCII, so these are char boundaries.
            out.push_str(&raw[last..i]);
            last = i + 1;
            i += 2;
        } else {
            i += 1;
        }
    }
    out.push_str(&raw[last..]);
    Cow::Owned(out)
}
