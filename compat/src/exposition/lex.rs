//! Lexical pieces shared by both formats: names, quoted strings, escapes, floats, and the
//! label-set checks (duplicates, limits) applied to every sample.

use std::borrow::Cow;

use super::error::{ErrorKind, ParseError};
use super::{Limits, Str};

pub(crate) type Result<T> = std::result::Result<T, ParseError>;

/// A position in the body; every method stops at the end of input instead of indexing past it.
#[derive(Debug)]
pub(crate) struct Cursor<'a> {
    pub b: &'a [u8],
    pub i: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Cursor { b, i: 0 }
    }

    pub fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    pub fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.b.get(self.i + ahead).copied()
    }

    pub fn eof(&self) -> bool {
        self.i >= self.b.len()
    }

    pub fn starts_with(&self, s: &[u8]) -> bool {
        self.b[self.i.min(self.b.len())..].starts_with(s)
    }

    pub fn err(&self, kind: ErrorKind, message: impl Into<String>) -> ParseError {
        ParseError::at(self.b, self.i, kind, message)
    }

    pub fn syntax(&self, message: impl Into<String>) -> ParseError {
        self.err(ErrorKind::Syntax, message)
    }

    /// The next token for error messages: up to the next space or newline, at most 32 bytes.
    pub fn describe(&self) -> String {
        if self.eof() {
            return "end of input".to_string();
        }
        let rest = &self.b[self.i..];
        let n = rest
            .iter()
            .take(32)
            .position(|&c| c == b' ' || c == b'\n')
            .unwrap_or(rest.len().min(32))
            .max(1);
        format!("{:?}", String::from_utf8_lossy(&rest[..n]))
    }

    /// Skips spaces and tabs (the text format's whitespace).
    pub fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    /// Advances while `f` holds and returns what was passed over.
    pub fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.i;
        while let Some(c) = self.peek() {
            if !f(c) {
                break;
            }
            self.i += 1;
        }
        &self.b[start..self.i]
    }

    /// The rest of the current line (without the newline); the cursor stops on the newline.
    pub fn rest_of_line(&mut self) -> &'a [u8] {
        self.take_while(|c| c != b'\n')
    }

    /// `[a-zA-Z_:][a-zA-Z0-9_:]*`, or `None` (cursor unmoved) when no name starts here.
    pub fn metric_name(&mut self) -> Option<&'a str> {
        if !self.peek().is_some_and(is_metric_start) {
            return None;
        }
        let name = self.take_while(|c| is_metric_start(c) || c.is_ascii_digit());
        // Only ASCII bytes were taken.
        std::str::from_utf8(name).ok()
    }

    /// `[a-zA-Z_][a-zA-Z0-9_]*`, or `None` (cursor unmoved).
    pub fn label_name(&mut self) -> Option<&'a str> {
        if !self.peek().is_some_and(is_label_start) {
            return None;
        }
        let name = self.take_while(|c| is_label_start(c) || c.is_ascii_digit());
        std::str::from_utf8(name).ok()
    }

    /// A double-quoted string starting at the cursor; returns its raw inside (escapes kept).
    /// A backslash escapes any byte but a newline; `raw_newlines` says whether an unescaped
    /// newline may appear inside (the text format allows it, OpenMetrics label values not).
    pub fn quoted(&mut self, raw_newlines: bool) -> Option<&'a [u8]> {
        if self.peek() != Some(b'"') {
            return None;
        }
        let start = self.i + 1;
        let mut j = start;
        loop {
            match self.b.get(j)? {
                b'"' => {
                    self.i = j + 1;
                    return Some(&self.b[start..j]);
                }
                b'\\' => match self.b.get(j + 1)? {
                    b'\n' => return None,
                    _ => j += 2,
                },
                b'\n' if !raw_newlines => return None,
                _ => j += 1,
            }
        }
    }
}

pub(crate) fn is_metric_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b':'
}

pub(crate) fn is_label_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

/// Which escapes a string knows besides `\\` and `\n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escapes {
    /// Label values and quoted names everywhere, and OpenMetrics HELP: also `\"`.
    Quoted,
    /// Text-format HELP: only `\\` and `\n`.
    TextHelp,
}

/// Validates UTF-8 and resolves escapes; an unknown escape stays as written (backslash
/// included), as Prometheus does. Borrows when there is nothing to replace.
pub(crate) fn unescape(raw: &[u8], escapes: Escapes) -> Option<Cow<'_, str>> {
    let s = std::str::from_utf8(raw).ok()?;
    if !raw.contains(&b'\\') {
        return Some(Cow::Borrowed(s));
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('"') if escapes == Escapes::Quoted => out.push('"'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    Some(Cow::Owned(out))
}

/// Parses a float as Go's `strconv.ParseFloat` does, minus the hexadecimal and underscore forms
/// Prometheus refuses: decimal with optional sign and exponent, `inf`/`infinity` with an
/// optional sign and `nan` without one (case-insensitive). A finite literal too large for an
/// f64 is an error, not infinity.
pub(crate) fn parse_float(s: &[u8]) -> Option<f64> {
    let (negative, unsigned) = match s.first()? {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let first = *unsigned.first()?;
    if first.is_ascii_alphabetic() {
        let special = if unsigned.eq_ignore_ascii_case(b"inf")
            || unsigned.eq_ignore_ascii_case(b"infinity")
        {
            f64::INFINITY
        } else if unsigned.eq_ignore_ascii_case(b"nan") && unsigned.len() == s.len() {
            f64::NAN
        } else {
            return None;
        };
        return Some(if negative { -special } else { special });
    }
    let mut seen_digit = false;
    for (k, &c) in unsigned.iter().enumerate() {
        match c {
            b'0'..=b'9' => seen_digit = true,
            b'.' | b'e' | b'E' => {}
            b'+' | b'-' if k > 0 && matches!(unsigned[k - 1], b'e' | b'E') => {}
            _ => return None,
        }
    }
    if !seen_digit {
        return None;
    }
    let text = std::str::from_utf8(s).ok()?;
    let v: f64 = text.parse().ok()?;
    v.is_finite().then_some(v)
}

/// Seconds (an OpenMetrics timestamp) to milliseconds, saturating at the i64 range.
pub(crate) fn seconds_to_ms(seconds: f64) -> i64 {
    // `as` saturates, which is the sane reading of a timestamp beyond year 292 million.
    (seconds * 1000.0) as i64
}

/// Sorts a sample's labels, rejects duplicate and empty names and applies the limits, then
/// drops the empty values. `pos` is where the sample starts, for the error's line.
pub(crate) fn finish_labels<'a>(
    labels: &mut Vec<(Str<'a>, Str<'a>)>,
    limits: &Limits,
    keep_empty: bool,
    body: &[u8],
    pos: usize,
) -> Result<()> {
    let invalid = |kind, msg: String| ParseError::at(body, pos, kind, msg);
    if labels.len() > limits.max_labels.saturating_add(1) {
        return Err(invalid(
            ErrorKind::Limit,
            format!(
                "{} labels exceed the limit of {}",
                labels.len() - 1,
                limits.max_labels
            ),
        ));
    }
    for (name, value) in labels.iter() {
        if name.is_empty() {
            return Err(invalid(ErrorKind::Invalid, "empty label name".into()));
        }
        if name.len() > limits.max_label_name_len && name != "__name__" {
            return Err(invalid(
                ErrorKind::Limit,
                format!(
                    "label name of {} bytes exceeds the limit of {}",
                    name.len(),
                    limits.max_label_name_len
                ),
            ));
        }
        if value.len() > limits.max_label_value_len {
            return Err(invalid(
                ErrorKind::Limit,
                format!(
                    "value of label {name:?} has {} bytes, more than the limit of {}",
                    value.len(),
                    limits.max_label_value_len
                ),
            ));
        }
    }
    labels.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    if let Some(pair) = labels.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(invalid(
            ErrorKind::Invalid,
            format!("duplicate label name {:?}", pair[0].0),
        ));
    }
    if !keep_empty {
        labels.retain(|(_, v)| !v.is_empty());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_follow_go_rules() {
        for (s, want) in [
            ("1", 1.0),
            ("-1.5e3", -1500.0),
            ("+.5", 0.5),
            ("5.", 5.0),
            ("0001.2e-1", 0.12),
            ("1E2", 100.0),
        ] {
            assert_eq!(parse_float(s.as_bytes()), Some(want), "{s}");
        }
        for s in ["+Inf", "inf", "INFINITY", "-Inf", "-infinity"] {
            assert!(
                parse_float(s.as_bytes()).is_some_and(f64::is_infinite),
                "{s}"
            );
        }
        for s in ["NaN", "nan", "NAN"] {
            assert!(parse_float(s.as_bytes()).is_some_and(f64::is_nan), "{s}");
        }
        for s in [
            "", "+", ".", "e5", "1e400", "0x1", "0x1p-3", "1_000", "+nan", "-NaN", "infin", "1e",
            "1 ", "true", "1.2.3e",
        ] {
            assert_eq!(parse_float(s.as_bytes()), None, "{s:?}");
        }
    }

    #[test]
    fn unknown_escapes_are_kept() {
        let got = unescape(br#"a\"b\\c\nd\ze"#, Escapes::Quoted);
        assert_eq!(got.as_deref(), Some("a\"b\\c\nd\\ze"));
        let help = unescape(br#"a\"b\\n"#, Escapes::TextHelp);
        assert_eq!(help.as_deref(), Some("a\\\"b\\n"));
        assert!(matches!(
            unescape(b"plain", Escapes::Quoted),
            Some(Cow::Borrowed("plain"))
        ));
        assert_eq!(unescape(b"\xff", Escapes::Quoted), None);
    }
}
