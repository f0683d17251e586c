//! The series notation of `load` blocks and of expected results:
//! `metric{label="value"} 1 2+3x4 _ _x2 stale 5x3 8-1x2 Inf NaN`.
//!
//! Expansion follows Prometheus's series description grammar: `a+bxN` and `axN` give N+1
//! values (the start value plus N steps), `_xN` gives N omitted points, `stale` is the stale
//! marker. Native histogram samples (`{{...}}`) are recognised and reported, not decoded: the
//! engine under test is float-only.

use promql::Labels;

/// Bit pattern of Prometheus's stale marker, a NaN distinct from the NaN arithmetic produces.
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

/// The stale marker as a float.
pub fn stale_nan() -> f64 {
    f64::from_bits(STALE_NAN_BITS)
}

/// Whether `v` is the stale marker (and not just any NaN).
pub fn is_stale(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}

/// One position of an expanded sequence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SeqValue {
    /// `_`: no sample at this position.
    Omitted,
    /// A float sample; the stale marker is a float with [`STALE_NAN_BITS`].
    Float(f64),
    /// A native histogram sample, kept only as a position.
    Histogram,
}

/// A parsed series line.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesLine {
    pub labels: Labels,
    pub values: Vec<SeqValue>,
}

impl SeriesLine {
    /// Whether any position holds a native histogram.
    pub fn has_histogram(&self) -> bool {
        self.values.iter().any(|v| matches!(v, SeqValue::Histogram))
    }
}

/// Parses `metric{labels} values...`. The metric part may be a bare name, a brace block, or both.
pub fn parse_series_line(line: &str) -> Result<SeriesLine, String> {
    let (labels, rest) = parse_metric(line.trim())?;
    let values = parse_values(rest)?;
    Ok(SeriesLine { labels, values })
}

/// Parses the metric part at the start of `s`; returns the labels and the unparsed rest.
pub fn parse_metric(s: &str) -> Result<(Labels, &str), String> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let name_len = s
        .char_indices()
        .find(|&(i, c)| !is_name_char(c, i == 0))
        .map_or(s.len(), |(i, _)| i);
    if name_len > 0 {
        pairs.push((promql::METRIC_NAME.to_string(), s[..name_len].to_string()));
    }
    let mut rest = &s[name_len..];
    if let Some(inner) = rest.strip_prefix('{') {
        rest = parse_label_block(inner, &mut pairs)?;
    } else if name_len == 0 {
        return Err(format!("expected a metric name or '{{' at {s:?}"));
    }
    if pairs.is_empty() && !s.starts_with('{') {
        return Err(format!("no metric in {s:?}"));
    }
    Ok((Labels::from_pairs(pairs), rest))
}

fn is_name_char(c: char, first: bool) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':' || (!first && c.is_ascii_digit())
}

/// Parses `a="1", "b"="2", "metric.name"}`; returns what follows the closing brace.
fn parse_label_block<'a>(
    mut s: &'a str,
    pairs: &mut Vec<(String, String)>,
) -> Result<&'a str, String> {
    loop {
        s = s.trim_start();
        if let Some(rest) = s.strip_prefix('}') {
            return Ok(rest);
        }
        let (name, after) = if s.starts_with(['"', '\'', '`']) {
            parse_quoted(s)?
        } else {
            let n = s
                .char_indices()
                .find(|&(i, c)| !is_name_char(c, i == 0))
                .map_or(s.len(), |(i, _)| i);
            if n == 0 {
                return Err(format!("expected a label name at {s:?}"));
            }
            (s[..n].to_string(), &s[n..])
        };
        let after = after.trim_start();
        s = if let Some(v) = after.strip_prefix('=') {
            let (value, rest) = parse_quoted(v.trim_start())?;
            pairs.push((name, value));
            rest
        } else {
            // A quoted string on its own is the metric name (UTF-8 name syntax).
            pairs.push((promql::METRIC_NAME.to_string(), name));
            after
        };
        s = s.trim_start();
        if let Some(rest) = s.strip_prefix(',') {
            s = rest;
        } else if !s.starts_with('}') {
            return Err(format!("expected ',' or '}}' at {s:?}"));
        }
    }
}

/// Parses a Go-style quoted string (`"..."`, `'...'` or `` `...` ``) at the start of `s`.
pub fn parse_quoted(s: &str) -> Result<(String, &str), String> {
    let mut chars = s.char_indices();
    let quote = match chars.next() {
        Some((_, q @ ('"' | '\'' | '`'))) => q,
        _ => return Err(format!("expected a quoted string at {s:?}")),
    };
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            return Ok((out, &s[i + c.len_utf8()..]));
        }
        if c != '\\' || quote == '`' {
            out.push(c);
            continue;
        }
        let (_, e) = chars.next().ok_or("unterminated escape")?;
        match e {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'v' => out.push('\x0b'),
            '\\' | '"' | '\'' => out.push(e),
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = chars.by_ref().take(n).map(|(_, c)| c).collect();
                let code = u32::from_str_radix(&hex, 16)
                    .map_err(|_| format!("bad escape \\{e}{hex} in {s:?}"))?;
                out.push(char::from_u32(code).ok_or(format!("bad code point in {s:?}"))?);
            }
            other => return Err(format!("unknown escape \\{other} in {s:?}")),
        }
    }
    Err(format!("unterminated string {s:?}"))
}

/// Expands the value items of a series line.
pub fn parse_values(s: &str) -> Result<Vec<SeqValue>, String> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("{{") {
            // A native histogram: skip to the matching `}}`, then an optional `xN` or `+{{..}}xN`.
            let end = after
                .find("}}")
                .ok_or_else(|| format!("unterminated histogram in {s:?}"))?;
            let (item, tail) = split_item(&after[end + 2..]);
            let count = histogram_repeat(item)?;
            out.extend(std::iter::repeat_n(SeqValue::Histogram, count));
            rest = tail.trim_start();
            continue;
        }
        let (item, tail) = split_item(rest);
        expand_item(item, &mut out)?;
        rest = tail.trim_start();
    }
    Ok(out)
}

/// Splits off the next whitespace-delimited item, keeping `{{...}}` inside an item together.
fn split_item(s: &str) -> (&str, &str) {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            c if c.is_whitespace() && depth == 0 => return (&s[..i], &s[i..]),
            _ => {}
        }
    }
    (s, "")
}

/// How many positions a histogram item covers: the suffix after `}}` is empty, `xN`, or
/// `+{{...}}xN` / `-{{...}}xN`.
fn histogram_repeat(suffix: &str) -> Result<usize, String> {
    if suffix.is_empty() {
        return Ok(1);
    }
    let n = suffix
        .rsplit_once('x')
        .map(|(_, n)| n)
        .ok_or_else(|| format!("bad histogram suffix {suffix:?}"))?;
    let n: usize = n
        .parse()
        .map_err(|_| format!("bad histogram repeat {suffix:?}"))?;
    Ok(n + 1)
}

fn expand_item(item: &str, out: &mut Vec<SeqValue>) -> Result<(), String> {
    if item == "_" {
        out.push(SeqValue::Omitted);
        return Ok(());
    }
    if let Some(n) = item.strip_prefix("_x") {
        let n: usize = n.parse().map_err(|_| format!("bad repeat in {item:?}"))?;
        out.extend(std::iter::repeat_n(SeqValue::Omitted, n));
        return Ok(());
    }
    let (body, times) = match item.rsplit_once('x') {
        Some((b, n)) if !b.is_empty() && !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) => {
            let n: usize = n.parse().map_err(|_| format!("bad repeat in {item:?}"))?;
            (b, Some(n))
        }
        _ => (item, None),
    };
    let (start, delta) = split_start_delta(body)?;
    match (times, delta) {
        (None, None) => out.push(SeqValue::Float(start)),
        (None, Some(_)) => return Err(format!("a step needs a repeat count in {item:?}")),
        (Some(n), delta) => {
            // Accumulates like Prometheus does (value += delta), so rounding matches.
            let mut v = start;
            for _ in 0..=n {
                out.push(SeqValue::Float(v));
                if let Some(d) = delta {
                    v += d;
                }
            }
        }
    }
    Ok(())
}

/// Splits `a+b` / `a-b` / `a` into the start value and the optional signed step.
fn split_start_delta(body: &str) -> Result<(f64, Option<f64>), String> {
    // The sign of the step is the first '+' or '-' that is neither leading nor an exponent sign.
    let bytes = body.as_bytes();
    for i in 1..bytes.len() {
        let c = bytes[i];
        if (c == b'+' || c == b'-') && !matches!(bytes[i - 1], b'e' | b'E') {
            let start = parse_number(&body[..i])?;
            let step = parse_number(&body[i + 1..])?;
            return Ok((start, Some(if c == b'-' { -step } else { step })));
        }
    }
    Ok((parse_number(body)?, None))
}

/// A sequence number: a float, `Inf`/`NaN` with optional sign, or `stale`.
pub fn parse_number(s: &str) -> Result<f64, String> {
    if s == "stale" {
        return Ok(stale_nan());
    }
    parse_float(s).ok_or_else(|| format!("invalid number {s:?}"))
}

/// Parses a float as Go's `strconv.ParseFloat` would for the forms test files use, plus
/// hexadecimal integers (`0x1F`) as `parseNumber` in Prometheus's runner accepts them.
pub fn parse_float(s: &str) -> Option<f64> {
    let (sign, body) = match s.as_bytes().first() {
        Some(b'-') => (-1.0, &s[1..]),
        Some(b'+') => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    let lower = body.to_ascii_lowercase();
    match lower.as_str() {
        "inf" | "infinity" => return Some(sign * f64::INFINITY),
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    if let Some(hex) = lower.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok().map(|v| sign * v as f64);
    }
    if body.is_empty()
        || !body
            .bytes()
            .all(|c| c.is_ascii_digit() || b".eE+-".contains(&c))
    {
        return None;
    }
    body.parse::<f64>().ok().map(|v| sign * v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn floats(v: &[SeqValue]) -> Vec<Option<f64>> {
        v.iter()
            .map(|x| match x {
                SeqValue::Float(f) => Some(*f),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn expands_steps_repeats_and_blanks() {
        let l = parse_series_line(r#"my_metric{env="prod"} 5 2+3x2 _ _x2 1x2 8-1x2"#).unwrap();
        assert_eq!(
            l.labels,
            Labels::from_pairs([("__name__", "my_metric"), ("env", "prod")])
        );
        assert_eq!(
            floats(&l.values),
            vec![
                Some(5.0),
                Some(2.0),
                Some(5.0),
                Some(8.0),
                None,
                None,
                None,
                Some(1.0),
                Some(1.0),
                Some(1.0),
                Some(8.0),
                Some(7.0),
                Some(6.0),
            ]
        );
        assert_eq!(l.values[4], SeqValue::Omitted);
    }

    #[test]
    fn zero_times_n_is_repetition_not_hex() {
        let l = parse_series_line("{} 0x3 60").unwrap();
        assert!(l.labels.is_empty());
        assert_eq!(
            floats(&l.values),
            vec![Some(0.0), Some(0.0), Some(0.0), Some(0.0), Some(60.0)]
        );
    }

    #[test]
    fn special_values() {
        let l = parse_series_line("m Inf -Inf NaN stale +Inf 1e3 -2.5e-1+1e-1x1").unwrap();
        let f = floats(&l.values);
        assert_eq!(f[0], Some(f64::INFINITY));
        assert_eq!(f[1], Some(f64::NEG_INFINITY));
        assert!(f[2].unwrap().is_nan() && !is_stale(f[2].unwrap()));
        assert!(is_stale(f[3].unwrap()));
        assert_eq!(f[4], Some(f64::INFINITY));
        assert_eq!(f[5], Some(1000.0));
        assert_eq!(f[6], Some(-0.25));
        assert!((f[7].unwrap() - (-0.15)).abs() < 1e-12);
    }

    #[test]
    fn labels_with_escapes_and_utf8_names() {
        let l = parse_series_line(r#"{"some.metric", "a b"="x\"y", le="+Inf"} 1"#).unwrap();
        assert_eq!(l.labels.metric_name(), Some("some.metric"));
        assert_eq!(l.labels.get("a b"), Some("x\"y"));
        assert_eq!(l.labels.get("le"), Some("+Inf"));
    }

    #[test]
    fn histograms_are_positions() {
        let l =
            parse_series_line("h 1 {{schema:1 sum:3 count:22 buckets:[5 10 7]}} {{count:1}}x2 _")
                .unwrap();
        assert!(l.has_histogram());
        assert_eq!(l.values.len(), 6);
        assert_eq!(l.values[1], SeqValue::Histogram);
        assert_eq!(l.values[5], SeqValue::Omitted);
    }

    #[test]
    fn rejects_garbage() {
        assert!(parse_series_line("m 1+x").is_err());
        assert!(parse_series_line("m abc").is_err());
        assert!(parse_series_line(r#"m{a="1" 2"#).is_err());
        assert!(parse_series_line("m 1+2").is_err());
    }
}
