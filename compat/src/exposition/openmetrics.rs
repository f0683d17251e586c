//! OpenMetrics 1.0 text, with the acceptance rules of Prometheus' `openmetricsparse`: single
//! spaces only, no comments but `# HELP`/`# TYPE`/`# UNIT`, no blank lines, `# EOF` last,
//! float-seconds timestamps, exemplars after ` # `, UTF-8 names quoted inside the braces. With
//! [`Validation::OpenMetricsSpec`] every entry also goes through the specification's rules
//! ([`super::spec`]).

use std::borrow::Cow;

use super::error::{ErrorKind, ParseError};
use super::family::{Families, attach_created, with_name};
use super::lex::{Cursor, Escapes, Result, finish_labels, parse_float, seconds_to_ms, unescape};
use super::spec::{Meta, SpecSample, SpecValidator};
use super::{Limits, MetricType, ParseOptions, Sample, Scrape, Str, Validation};

pub(crate) fn parse<'a>(body: &'a [u8], options: &ParseOptions) -> Result<Scrape<'a>> {
    let spec = options.validation == Validation::OpenMetricsSpec;
    let mut p = OmParser {
        c: Cursor::new(body),
        limits: options.limits,
        keep_empty: options.keep_empty_labels,
        spec: spec.then(SpecValidator::default),
        families: Families::default(),
        samples: Vec::new(),
    };
    p.run()?;
    let OmParser {
        families,
        mut samples,
        ..
    } = p;
    attach_created(&mut samples, &families.list, options.skip_created_series);
    Ok(Scrape {
        samples,
        families: families.list,
    })
}

/// What a label set is for: exemplars refuse a quoted metric name and raw newlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LabelSet {
    Series,
    Exemplar,
}

#[derive(Debug)]
struct OmParser<'a> {
    c: Cursor<'a>,
    limits: Limits,
    /// Keep labels with an empty value (the scrape path needs to see them).
    keep_empty: bool,
    spec: Option<SpecValidator>,
    families: Families,
    samples: Vec<Sample<'a>>,
}

impl<'a> OmParser<'a> {
    fn run(&mut self) -> Result<()> {
        loop {
            self.check_line_len()?;
            let start = self.c.i;
            match self.c.peek() {
                None => return Err(self.c.syntax("data does not end with # EOF")),
                Some(b'#') => {
                    if self.c.starts_with(b"# EOF") {
                        self.c.i += 5;
                        if self.c.peek() == Some(b'\n') {
                            self.c.i += 1;
                        }
                        if !self.c.eof() {
                            return Err(self.c.syntax("unexpected data after # EOF"));
                        }
                        if let Some(spec) = &mut self.spec {
                            spec.finish().map_err(|m| {
                                ParseError::at(self.c.b, start, ErrorKind::Invalid, m)
                            })?;
                        }
                        return Ok(());
                    }
                    self.metadata(start)?;
                }
                Some(b'{') => self.sample(start, None)?,
                Some(c) if super::lex::is_metric_start(c) => {
                    let name = self.c.metric_name().map(Cow::Borrowed);
                    self.sample(start, name)?;
                }
                Some(_) => {
                    return Err(self.c.syntax(format!(
                        "expected a metric name, '# HELP', '# TYPE', '# UNIT' or '# EOF', got {}",
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
        let rest = &self.c.b[self.c.i.min(self.c.b.len())..];
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

    fn newline(&mut self, after: &str) -> Result<()> {
        match self.c.peek() {
            Some(b'\n') => {
                self.c.i += 1;
                Ok(())
            }
            None => Err(self.c.syntax("data does not end with # EOF")),
            Some(_) => Err(self.c.syntax(format!(
                "expected end of line after {after}, got {}",
                self.c.describe()
            ))),
        }
    }

    fn metadata(&mut self, start: usize) -> Result<()> {
        let kind = if self.c.starts_with(b"# HELP ") {
            Meta::Help
        } else if self.c.starts_with(b"# TYPE ") {
            Meta::Type
        } else if self.c.starts_with(b"# UNIT ") {
            Meta::Unit
        } else {
            return Err(self.c.syntax(format!(
                "expected '# HELP', '# TYPE', '# UNIT' or '# EOF', got {}",
                self.c.describe()
            )));
        };
        self.c.i += 7;
        let name: Cow<'a, str> = if let Some(raw) = self.c.quoted(true) {
            if self.spec.is_some() {
                return Err(self.c.syntax("quoted metric names are not OpenMetrics 1.0"));
            }
            match unescape(raw, Escapes::Quoted) {
                Some(n) if !n.is_empty() => n,
                _ => return Err(self.c.syntax("invalid quoted metric name")),
            }
        } else if let Some(n) = self.c.metric_name() {
            Cow::Borrowed(n)
        } else {
            return Err(self.c.syntax(format!(
                "expected metric name after {}, got {}",
                kind.as_str(),
                self.c.describe()
            )));
        };
        if self.c.peek() != Some(b' ') {
            return Err(self.c.syntax(format!(
                "expected a space and text after {} {name}, got {}",
                kind.as_str(),
                self.c.describe()
            )));
        }
        self.c.i += 1;
        let text = self.c.rest_of_line();
        if self.c.eof() {
            return Err(self.c.syntax("data does not end with # EOF"));
        }
        let family = self.families.get_or_insert(&name);
        let mut unit_text = "";
        match kind {
            Meta::Help => {
                let Some(help) = unescape(text, Escapes::Quoted) else {
                    return Err(self
                        .c
                        .syntax(format!("help text of {name:?} is not valid UTF-8")));
                };
                self.families.list[family].help = Some(help.into_owned());
            }
            Meta::Type => {
                let t = match text {
                    b"counter" => MetricType::Counter,
                    b"gauge" => MetricType::Gauge,
                    b"histogram" => MetricType::Histogram,
                    b"gaugehistogram" => MetricType::GaugeHistogram,
                    b"summary" => MetricType::Summary,
                    b"info" => MetricType::Info,
                    b"stateset" => MetricType::StateSet,
                    b"unknown" => MetricType::Unknown,
                    other => {
                        return Err(self.c.syntax(format!(
                            "invalid metric type {:?}",
                            String::from_utf8_lossy(other)
                        )));
                    }
                };
                self.families.list[family].metric_type = t;
            }
            Meta::Unit => {
                let Ok(unit) = std::str::from_utf8(text) else {
                    return Err(self.c.syntax("unit is not valid UTF-8"));
                };
                let fits = name
                    .strip_suffix(unit)
                    .is_some_and(|base| base.ends_with('_'));
                if !unit.is_empty() && !fits {
                    return Err(self
                        .c
                        .syntax(format!("unit {unit:?} is not a suffix of metric {name:?}")));
                }
                self.families.list[family].unit = Some(unit.to_string());
                unit_text = unit;
            }
        }
        if let Some(spec) = &mut self.spec {
            let t = self.families.list[family].metric_type;
            spec.metadata(kind, &name, t, unit_text)
                .map_err(|m| ParseError::at(self.c.b, start, ErrorKind::Invalid, m))?;
        }
        self.c.i += 1;
        Ok(())
    }

    fn sample(&mut self, start: usize, mut name: Option<Cow<'a, str>>) -> Result<()> {
        let mut labels = Vec::new();
        if self.c.peek() == Some(b'{') {
            self.c.i += 1;
            self.labels(LabelSet::Series, &mut name, &mut labels)?;
        }
        let Some(name) = name else {
            return Err(self.c.syntax("metric name not set"));
        };
        let value = self.number("metric", true)?;
        let mut ts_seconds = None;
        let mut exemplar_runes = None;
        if self.at_exemplar() {
            exemplar_runes = Some(self.exemplar()?);
        } else if self.c.peek() == Some(b' ') {
            ts_seconds = Some(self.timestamp("timestamp")?);
            if self.at_exemplar() {
                exemplar_runes = Some(self.exemplar()?);
            }
        }
        self.newline(if ts_seconds.is_some() {
            "timestamp"
        } else {
            "value"
        })?;
        let mut all = with_name(name, labels.len());
        all.append(&mut labels);
        finish_labels(&mut all, &self.limits, self.keep_empty, self.c.b, start)?;
        let mut sample = Sample {
            labels: all,
            value,
            timestamp_ms: ts_seconds.map(seconds_to_ms),
            created_ms: None,
            family: None,
        };
        sample.family = self.families.lookup(sample.name());
        if let Some(spec) = &mut self.spec {
            let view = SpecSample {
                labels: &sample.labels,
                value,
                ts_seconds,
                exemplar_runes,
            };
            spec.sample(&view)
                .map_err(|m| ParseError::at(self.c.b, start, ErrorKind::Invalid, m))?;
        }
        self.samples.push(sample);
        Ok(())
    }

    fn at_exemplar(&self) -> bool {
        self.c.starts_with(b" # {")
    }

    /// ` <float>`: a single space then everything up to the next space or newline.
    fn number(&mut self, after: &str, is_value: bool) -> Result<f64> {
        let what = if is_value { "value" } else { "timestamp" };
        if self.c.peek() != Some(b' ') || matches!(self.c.peek_at(1), None | Some(b' ' | b'\n')) {
            return Err(self.c.syntax(format!(
                "expected a space and {what} after {after}, got {}",
                self.c.describe()
            )));
        }
        self.c.i += 1;
        let start = self.c.i;
        let raw = self.c.take_while(|c| c != b' ' && c != b'\n');
        parse_float(raw).ok_or_else(|| {
            ParseError::at(
                self.c.b,
                start,
                ErrorKind::Syntax,
                format!("invalid {what} {:?}", String::from_utf8_lossy(raw)),
            )
        })
    }

    fn timestamp(&mut self, after: &str) -> Result<f64> {
        let ts = self.number(after, false)?;
        if !ts.is_finite() {
            return Err(self.c.syntax(format!("invalid timestamp {ts}")));
        }
        Ok(ts)
    }

    /// ` # {labels} value [timestamp]`; returns the number of code points in the label
    /// names and values, which the specification bounds.
    fn exemplar(&mut self) -> Result<usize> {
        self.c.i += 4;
        let mut no_name = None;
        let mut labels = Vec::new();
        self.labels(LabelSet::Exemplar, &mut no_name, &mut labels)?;
        self.number("exemplar labels", true)?;
        if self.c.peek() == Some(b' ') {
            self.timestamp("exemplar value")?;
        }
        Ok(labels
            .iter()
            .map(|(n, v): &(Str<'_>, Str<'_>)| n.chars().count() + v.chars().count())
            .sum())
    }

    /// The inside of `{...}`, the opening brace consumed.
    fn labels(
        &mut self,
        set: LabelSet,
        name: &mut Option<Cow<'a, str>>,
        labels: &mut Vec<(Cow<'a, str>, Cow<'a, str>)>,
    ) -> Result<()> {
        let spec = self.spec.is_some();
        let mut after_comma = false;
        loop {
            if self.c.peek() == Some(b'}') {
                if after_comma && spec {
                    return Err(self.c.syntax("trailing comma in label set"));
                }
                self.c.i += 1;
                return Ok(());
            }
            let label: Cow<'a, str> = if let Some(n) = self.c.label_name() {
                Cow::Borrowed(n)
            } else if let Some(raw) = self.c.quoted(set == LabelSet::Series) {
                if spec {
                    return Err(self.c.syntax("quoted names are not OpenMetrics 1.0"));
                }
                let Some(n) = unescape(raw, Escapes::Quoted) else {
                    return Err(self.c.syntax("quoted name is not valid UTF-8"));
                };
                if set == LabelSet::Series && matches!(self.c.peek(), Some(b',' | b'}')) {
                    if name.is_some() {
                        return Err(self.c.syntax(format!("metric name already set, got {n:?}")));
                    }
                    if n.is_empty() {
                        return Err(self.c.err(ErrorKind::Invalid, "empty metric name"));
                    }
                    *name = Some(n);
                    after_comma = self.c.peek() == Some(b',');
                    if after_comma {
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
            if self.c.peek() != Some(b'=') {
                return Err(self.c.syntax(format!(
                    "expected '=' after label name {label:?}, got {}",
                    self.c.describe()
                )));
            }
            self.c.i += 1;
            let Some(raw) = self.c.quoted(false) else {
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
            match self.c.peek() {
                Some(b',') => {
                    self.c.i += 1;
                    after_comma = true;
                }
                Some(b'}') => after_comma = false,
                _ => {
                    return Err(self.c.syntax(format!(
                        "expected ',' or '}}' after the value of label {:?}, got {}",
                        labels.last().map_or("", |l| &*l.0),
                        self.c.describe()
                    )));
                }
            }
        }
    }
}
