//! One line: `measurement[,tag=value...] field=value[,field=value...] [timestamp]`.
//!
//! Acceptance follows InfluxDB 1.x's `parsePoint`: a byte after a backslash never delimits
//! anything; tags must have non-empty keys and values and are sorted by key (duplicates are
//! refused); at least one field; an optional integer timestamp followed only by spaces.

use super::value::{
    NAME_ESCAPES, TAG_ESCAPES, parse_bool, parse_number, starts_number, unescape, unescape_string,
};
use super::{ErrorKind, FieldValue, Point, Precision};

/// Longest measurement plus tag set, as in InfluxDB (`MaxKeyLength`).
pub const MAX_KEY_LENGTH: usize = 65535;

/// Smallest and largest timestamps InfluxDB accepts, in nanoseconds.
const MIN_NANO_TIME: i64 = i64::MIN + 2;
const MAX_NANO_TIME: i64 = i64::MAX - 1;

fn escaped(buf: &[u8], i: usize) -> bool {
    i > 0 && buf[i - 1] == b'\\'
}

fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t' || b == 0
}

fn skip_space(buf: &[u8], mut i: usize) -> usize {
    while i < buf.len() && is_space(buf[i]) {
        i += 1;
    }
    i
}

/// Parses `buf` (one line, leading whitespace already removed) into `point`, reusing its
/// vectors. `now_ns` is the time of a point without a timestamp (truncated to `precision`).
pub(crate) fn parse_line<'a>(
    line: &'a str,
    precision: Precision,
    now_ns: i64,
    point: &mut Point<'a>,
) -> Result<(), ErrorKind> {
    point.tags.clear();
    point.fields.clear();
    let mut i = parse_key(line, point)?;
    i = parse_fields(line, i, point)?;
    point.time_ns = parse_time(line, i, precision, now_ns)?;
    Ok(())
}

/// Measurement and tags; returns the index of the space before the fields.
fn parse_key<'a>(line: &'a str, point: &mut Point<'a>) -> Result<usize, ErrorKind> {
    let buf = line.as_bytes();
    if buf.is_empty() || buf[0] == b',' {
        return Err(ErrorKind::MissingMeasurement);
    }
    let mut i = 1;
    let has_tags = loop {
        if i >= buf.len() {
            return Err(ErrorKind::MissingFields);
        }
        if !escaped(buf, i) {
            match buf[i] {
                b',' => break true,
                b' ' => break false,
                _ => {}
            }
        }
        i += 1;
    };
    point.measurement = unescape(&line[..i], NAME_ESCAPES);
    if has_tags {
        i += 1;
        loop {
            let (end, more) = parse_tag(line, i, point)?;
            i = end;
            if !more {
                break;
            }
            i += 1;
        }
        sort_tags(point)?;
    }
    if i > MAX_KEY_LENGTH {
        return Err(ErrorKind::KeyTooLong(i, MAX_KEY_LENGTH));
    }
    Ok(i)
}

/// One `key=value` starting at `i`; returns where it ends and whether another tag follows.
fn parse_tag<'a>(
    line: &'a str,
    mut i: usize,
    point: &mut Point<'a>,
) -> Result<(usize, bool), ErrorKind> {
    let buf = line.as_bytes();
    let key_start = i;
    if i >= buf.len() || matches!(buf[i], b' ' | b',' | b'=') {
        return Err(ErrorKind::MissingTagKey);
    }
    loop {
        i += 1;
        if i >= buf.len() || (matches!(buf[i], b' ' | b',') && !escaped(buf, i)) {
            return Err(ErrorKind::MissingTagValue);
        }
        if buf[i] == b'=' && !escaped(buf, i) {
            break;
        }
    }
    let key = &line[key_start..i];
    i += 1;
    let value_start = i;
    if i >= buf.len() || matches!(buf[i], b',' | b' ') {
        return Err(ErrorKind::MissingTagValue);
    }
    let more = loop {
        i += 1;
        if i >= buf.len() {
            return Err(ErrorKind::MissingFields);
        }
        if !escaped(buf, i) {
            match buf[i] {
                b'=' => return Err(ErrorKind::InvalidTagFormat),
                b',' => break true,
                b' ' => break false,
                _ => {}
            }
        }
    };
    point.tags.push((
        unescape(key, TAG_ESCAPES),
        unescape(&line[value_start..i], TAG_ESCAPES),
    ));
    Ok((i, more))
}

fn sort_tags(point: &mut Point<'_>) -> Result<(), ErrorKind> {
    let sorted = point.tags.windows(2).all(|w| w[0].0 < w[1].0);
    if !sorted {
        point.tags.sort_by(|a, b| a.0.cmp(&b.0));
        if point.tags.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err(ErrorKind::DuplicateTags);
        }
    }
    Ok(())
}

/// The field set starting after the key; returns the index just past it.
fn parse_fields<'a>(
    line: &'a str,
    start: usize,
    point: &mut Point<'a>,
) -> Result<usize, ErrorKind> {
    let buf = line.as_bytes();
    let mut i = skip_space(buf, start);
    if i >= buf.len() {
        return Err(ErrorKind::MissingFields);
    }
    loop {
        // Field key: up to an unescaped `=`.
        let key_start = i;
        loop {
            if i >= buf.len() {
                return Err(ErrorKind::InvalidFieldFormat);
            }
            match buf[i] {
                b'\\' if i + 1 < buf.len() => {
                    i += 2;
                    continue;
                }
                b'=' => break,
                b' ' | b',' => return Err(ErrorKind::InvalidFieldFormat),
                _ => i += 1,
            }
        }
        if i == key_start {
            return Err(ErrorKind::MissingFieldKey);
        }
        let key = unescape(&line[key_start..i], NAME_ESCAPES);
        i += 1;
        if i >= buf.len() || matches!(buf[i], b',' | b' ') {
            return Err(ErrorKind::MissingFieldValue);
        }
        let (value, end) = parse_value(line, i)?;
        point.fields.push((key, value));
        i = end;
        if i >= buf.len() || buf[i] == b' ' {
            break;
        }
        // buf[i] is the comma between fields.
        i += 1;
        if i >= buf.len() || buf[i] == b' ' {
            return Err(ErrorKind::InvalidFieldFormat);
        }
        if buf[i] == b'=' {
            return Err(ErrorKind::MissingFieldKey);
        }
    }
    dedup_fields(point);
    Ok(i)
}

/// A value starting at `i`; returns it and the index of the delimiter after it.
fn parse_value(line: &str, mut i: usize) -> Result<(FieldValue<'_>, usize), ErrorKind> {
    let buf = line.as_bytes();
    if buf[i] == b'"' {
        let start = i + 1;
        i = start;
        loop {
            if i >= buf.len() {
                return Err(ErrorKind::UnbalancedQuotes);
            }
            match buf[i] {
                b'\\' => i += 2,
                b'"' => break,
                _ => i += 1,
            }
        }
        let value = FieldValue::String(unescape_string(&line[start..i]));
        i += 1;
        if i < buf.len() && !matches!(buf[i], b',' | b' ') {
            return Err(ErrorKind::InvalidFieldFormat);
        }
        return Ok((value, i));
    }
    let start = i;
    while i < buf.len() && !matches!(buf[i], b',' | b' ') {
        i += 1;
    }
    let tok = &line[start..i];
    let value = if starts_number(buf[start]) {
        parse_number(tok)?
    } else {
        parse_bool(tok)?
    };
    Ok((value, i))
}

/// A key written twice keeps its last value, as InfluxDB's field map does.
fn dedup_fields(point: &mut Point<'_>) {
    let n = point.fields.len();
    if n < 2 {
        return;
    }
    let has_dup = if n <= 16 {
        (1..n).any(|j| (0..j).any(|k| point.fields[k].0 == point.fields[j].0))
    } else {
        let mut keys: Vec<&str> = point.fields.iter().map(|f| f.0.as_ref()).collect();
        keys.sort_unstable();
        keys.windows(2).any(|w| w[0] == w[1])
    };
    if !has_dup {
        return;
    }
    let mut kept: Vec<(std::borrow::Cow<'_, str>, FieldValue<'_>)> = Vec::with_capacity(n);
    for f in point.fields.drain(..).rev() {
        if !kept.iter().any(|k| k.0 == f.0) {
            kept.push(f);
        }
    }
    kept.reverse();
    point.fields = kept;
}

/// The optional timestamp after the fields, scaled to nanoseconds.
fn parse_time(
    line: &str,
    start: usize,
    precision: Precision,
    now_ns: i64,
) -> Result<i64, ErrorKind> {
    let buf = line.as_bytes();
    let mut i = skip_space(buf, start);
    let ts_start = i;
    while i < buf.len() && buf[i] != b' ' {
        let b = buf[i];
        if !(b.is_ascii_digit() || (i == ts_start && b == b'-')) {
            return Err(ErrorKind::BadTimestamp);
        }
        i += 1;
    }
    if i == ts_start {
        return Ok(precision.truncate(now_ns));
    }
    let text = &line[ts_start..i];
    let ts: i64 = text.parse().map_err(|_| ErrorKind::BadTimestamp)?;
    let ns = ts
        .checked_mul(precision.nanos())
        .filter(|t| (MIN_NANO_TIME..=MAX_NANO_TIME).contains(t))
        .ok_or_else(|| ErrorKind::TimeOutsideRange(text.to_string()))?;
    if buf[i..].iter().any(|&b| b != b' ') {
        return Err(ErrorKind::TrailingGarbage);
    }
    Ok(ns)
}
