//! The Prometheus text format 0.0.4, with the acceptance rules of Prometheus' `promparse`:
//! spaces and tabs between tokens, `#` lines other than HELP/TYPE ignored, blank lines
//! allowed, labels separated by commas or only by blanks, an optional trailing comma, UTF-8
//! names quoted inside the braces, integer millisecond timestamps, and a last line without
//! its newline.

use std::borrow::Cow;

use super::error::ErrorKind;
use super::family::{Families, with_name};
use super::lex::{Cursor, Escapes, Result, finish_labels, parse_float, unescape};
use super::{Limits, MetricType, ParseOptions, Sample, Scrape};

pub(crate) fn parse<'a>(body: &'a [u8], options: &ParseOptions) -> Result<Scrape<'a>> {
    let mut p = TextParser {
        c: Cursor::new(body),
        limits: options.limits,
        keep_empty: options.keep_empty_labels,
        families: Families::default(),
        samples: Vec::new(),
    };
    p.run()?;
    let TextParser {
        families, samples, ..
    } = p;
    Ok(Scrape {
        samples,
        families: families.list,
    })
}

#[derive(Debug)]
struct TextParser<'a> {
    c: Cursor<'a>,
    limits: Limits,
    /// Keep labels with an empty value (the scrape path needs to see them).
    keep_empty: bool,
    families: Families,
    samples: Vec<Sample<'a>>,
}

impl<'a> TextParser<'a> {
    fn run(&mut self) -> Result<()> {
        loop {
            self.check_line_len()?;
            self.c.skip_blanks();
            match self.c.peek() {
                // Prometheus' lexer reads a NUL where an entry starts as the end of input.
                None | Some(0) => return Ok(()),
                Some(b'\n') => self.c.i += 1,
                Some(b'#') => self.comment()?,
                Some(b'{') => self.sample(None)?,
                Some(c) if super::lex::is_metric_start(c) => {
                    let start = self.c.i;
                    let name = self.c.metric_name().map(Cow::Borrowed);
                    self.sample_at(start, name)?;
                }
                Some(_) => {
                    return Err(self.c.syntax(format!(
                        "expected a metric name, comment or blank line, got {}",
                        self.c.describe()
                    )));
                }
            }
        }
    }

    fn check_line_len(&self) -> Result<()> {
        // No line can be longer than what is left of the body: skip the scan then.
        if self.c.b.len().saturating_sub(self.c.i) <= self.limits.max_line_len {
            return Ok(());
        }
        let rest = &self.c.b[self.c.i..];
        let len = rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
        if len > self.limits.max_line_len {
            return Err(self.c.err(
                ErrorKind::Limit,
                format!(
                    "line of {len} bytes exceeds the limit of {}",
                    self.limits.max_line_len
                ),
            ));
        }
        Ok(())
    }

    /// After the newline (or at the end of input) that must end an entry.
    fn end_of_line(&mut self, what: &str) -> Result<()> {
        self.c.skip_blanks();
        match self.c.peek() {
            None => Ok(()),
            Some(b'\n') => {
                self.c.i += 1;
                Ok(())
            }
            Some(_) => Err(self.c.syntax(format!(
                "expected end of line after {what}, got {}",
                self.c.describe()
            ))),
        }
    }

    fn comment(&mut self) -> Result<()> {
        self.c.i += 1;
        if matches!(self.c.peek(), Some(b' ' | b'\t')) {
            self.c.skip_blanks();
            for (word, is_help) in [(&b"HELP"[..], true), (&b"TYPE"[..], false)] {
                if self.c.starts_with(word) && matches!(self.c.peek_at(4), Some(b' ' | b'\t')) {
                    self.c.i += 4;
                    self.c.skip_blanks();
                    return self.metadata(is_help);
                }
            }
        }
        // Any other comment is ignored up to its newline.
        self.c.rest_of_line();
        self.end_of_line("comment")
    }

    fn metadata(&mut self, is_help: bool) -> Result<()> {
        let what = if is_help { "HELP" } else { "TYPE" };
        let name: Cow<'a, str> = if let Some(raw) = self.c.quoted(true) {
            match unescape(raw, Escapes::Quoted) {
                Some(n) if !n.is_empty() => n,
                _ => {
                    return Err(self
                        .c
                        .syntax(format!("invalid quoted metric name in {what}")));
                }
            }
        } else if let Some(n) = self.c.metric_name() {
            Cow::Borrowed(n)
        } else {
            return Err(self.c.syntax(format!(
                "expected metric name after {what}, got {}",
                self.c.describe()
            )));
        };
        // Like Prometheus, the text is the rest of the line minus the one separator byte;
        // a rest made only of blanks is empty text.
        let rest = self.c.rest_of_line();
        let text = if rest.iter().all(|&c| c == b' ' || c == b'\t') || rest.len() < 2 {
            &rest[..0]
        } else {
            &rest[1..]
        };
        let family = self.families.get_or_insert(&name);
        if is_help {
            let Some(help) = unescape(text, Escapes::TextHelp) else {
                return Err(self
                    .c
                    .syntax(format!("help text of {name:?} is not valid UTF-8")));
            };
            self.families.list[family].help = Some(help.into_owned());
        } else {
            let t = match text {
                b"counter" => MetricType::Counter,
                b"gauge" => MetricType::Gauge,
                b"histogram" => MetricType::Histogram,
                b"summary" => MetricType::Summary,
                b"untyped" => MetricType::Unknown,
                other => {
                    return Err(self.c.syntax(format!(
                        "invalid metric type {:?}",
                        String::from_utf8_lossy(other)
                    )));
                }
            };
            self.families.list[family].metric_type = t;
        }
        self.end_of_line(what)
    }

    fn sample(&mut self, name: Option<Cow<'a, str>>) -> Result<()> {
        let start = self.c.i;
        self.sample_at(start, name)
    }

    fn sample_at(&mut self, start: usize, mut name: Option<Cow<'a, str>>) -> Result<()> {
        let mut labels = Vec::new();
        self.c.skip_blanks();
        if self.c.peek() == Some(b'{') {
            self.c.i += 1;
            self.labels(&mut name, &mut labels)?;
            self.c.skip_blanks();
        }
        let Some(name) = name else {
            return Err(self.c.syntax("metric name not set"));
        };
        let value_start = self.c.i;
        let raw = self
            .c
            .take_while(|c| !matches!(c, b'{' | b' ' | b'\t' | b'\n'));
        if raw.is_empty() {
            return Err(self.c.syntax(format!(
                "expected value after metric, got {}",
                self.c.describe()
            )));
        }
        let Some(value) = parse_float(raw) else {
            self.c.i = value_start;
            return Err(self
                .c
                .syntax(format!("invalid value {:?}", String::from_utf8_lossy(raw))));
        };
        self.c.skip_blanks();
        let mut timestamp_ms = None;
        if self.c.peek().is_some_and(|c| c.is_ascii_digit()) {
            let digits = self.c.take_while(|c| c.is_ascii_digit());
            let ts = std::str::from_utf8(digits)
                .ok()
                .and_then(|s| s.parse::<i64>().ok());
            match ts {
                Some(t) => timestamp_ms = Some(t),
                None => return Err(self.c.syntax("timestamp out of range")),
            }
            self.end_of_line("timestamp")?;
        } else {
            self.end_of_line("value")?;
        }
        let mut all = with_name(name, labels.len());
        all.append(&mut labels);
        finish_labels(&mut all, &self.limits, self.keep_empty, self.c.b, start)?;
        let mut sample = Sample {
            labels: all,
            value,
            timestamp_ms,
            created_ms: None,
            family: None,
        };
        sample.family = self.families.lookup(sample.name());
        self.samples.push(sample);
        Ok(())
    }

    /// The inside of `{...}`, the opening brace consumed. A quoted string followed by a comma
    /// or the closing brace is the metric name.
    fn labels(
        &mut self,
        name: &mut Option<Cow<'a, str>>,
        labels: &mut Vec<(Cow<'a, str>, Cow<'a, str>)>,
    ) -> Result<()> {
        loop {
            self.c.skip_blanks();
            if self.c.peek() == Some(b'}') {
                self.c.i += 1;
                return Ok(());
            }
            let label: Cow<'a, str> = if let Some(n) = self.c.label_name() {
                Cow::Borrowed(n)
            } else if let Some(raw) = self.c.quoted(true) {
                let Some(n) = unescape(raw, Escapes::Quoted) else {
                    return Err(self.c.syntax("quoted name is not valid UTF-8"));
                };
                self.c.skip_blanks();
                if matches!(self.c.peek(), Some(b',' | b'}')) {
                    if name.is_some() {
                        return Err(self.c.syntax(format!("metric name already set, got {n:?}")));
                    }
                    if n.is_empty() {
                        return Err(self.c.err(ErrorKind::Invalid, "empty metric name"));
                    }
                    *name = Some(n);
                    if self.c.peek() == Some(b',') {
                        self.c.i += 1;
                    }
                    continue;
                }
                n
            } else {
                return Err(self
                    .c
                    .syntax(format!("expected label name, got {}", self.c.describe())));
            };
            self.c.skip_blanks();
            if self.c.peek() != Some(b'=') {
                return Err(self.c.syntax(format!(
                    "expected '=' after label name {label:?}, got {}",
                    self.c.describe()
                )));
            }
            self.c.i += 1;
            self.c.skip_blanks();
            let Some(raw) = self.c.quoted(true) else {
                return Err(self.c.syntax(format!(
                    "expected a quoted value for label {label:?}, got {}",
                    self.c.describe()
                )));
            };
            let Some(value) = unescape(raw, Escapes::Quoted) else {
                return Err(self
                    .c
                    .syntax(format!("value of label {label:?} is not valid UTF-8")));
            };
            labels.push((label, value));
            self.c.skip_blanks();
            if self.c.peek() == Some(b',') {
                self.c.i += 1;
            }
        }
    }
}
