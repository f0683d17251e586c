//! Decoding remote write 1.0 and 2.0 requests into one validated form, [`DecodedWrite`]: header
//! negotiation, snappy, the wire walk for each version, and label validation.
//!
//! Both versions are read straight from the decompressed bytes with [`crate::wire`]: label strings
//! are copied into one string arena per request (1.0) or resolved to the request's symbol table,
//! itself copied once into the arena (2.0). Decoding a request therefore allocates a handful of
//! buffers, not two `String`s per label, and [`decode_write_into`] reuses even those.

use crate::content::{ProtoVersion, check_content_encoding, parse_content_type};
use crate::error::{Error, LabelError, Result};
use crate::limits::Limits;
use crate::snappy;
use crate::wire::{self, Reader, Value, WireError};
use crate::write::{DecodedWrite, METRIC_NAME_LABEL, MetadataSpans, MetricType, SeriesEntry, Span};

/// Longest series rendering put into an error message.
const MAX_SERIES_IN_ERROR: usize = 512;

/// Decodes a remote write request of either version into its validated, normalized form.
///
/// `content_type` and `content_encoding` are the raw header values (`None` when absent); `body`
/// is the request body as received (snappy-compressed). The returned [`ProtoVersion`] tells the
/// server which response headers to send (2.0 wants [`crate::WriteStats::headers`]).
///
/// Errors map to HTTP statuses through [`Error::status_code`]:
/// - 415: Content-Type other than `application/x-protobuf` with no, or a known, `proto=`;
///   Content-Encoding other than none or `snappy`.
/// - 413: decompressed size above `limits.max_decompressed_bytes` (checked from the snappy header,
///   before allocating), or more than `limits.max_series` series.
/// - 400: corrupt snappy, malformed protobuf (including non-UTF-8 strings), invalid labels (see
///   [`LabelError`]), bad 2.0 symbol references.
///
/// The whole request is rejected on the first invalid series; nothing is partially decoded.
pub fn decode_write(
    content_type: Option<&str>,
    content_encoding: Option<&str>,
    body: &[u8],
    limits: &Limits,
) -> Result<(ProtoVersion, DecodedWrite)> {
    let mut out = DecodedWrite::new();
    let version = decode_write_into(&mut out, content_type, content_encoding, body, limits)?;
    Ok((version, out))
}

/// Like [`decode_write`], but decodes into `out`, reusing its buffers (keep one per worker).
///
/// On error `out` is left empty.
pub fn decode_write_into(
    out: &mut DecodedWrite,
    content_type: Option<&str>,
    content_encoding: Option<&str>,
    body: &[u8],
    limits: &Limits,
) -> Result<ProtoVersion> {
    // Cleared first, so that a refused request (415 too) never leaves the previous one behind.
    out.clear();
    let version = parse_content_type(content_type)?;
    check_content_encoding(content_encoding)?;
    let mut raw = std::mem::take(&mut out.body);
    let result = snappy::decompress_into(body, limits.max_decompressed_bytes, &mut raw)
        .and_then(|()| out.decode_protobuf(version, &raw, limits));
    out.body = raw;
    result.map(|()| version)
}

impl DecodedWrite {
    /// Decodes an already decompressed protobuf body into `self` (replacing its contents). This is
    /// [`decode_write_into`] without header checks and snappy, for fuzzing and benchmarks.
    ///
    /// `raw.len()` must not exceed 4 GiB (snappy cannot produce more); on error `self` is empty.
    pub fn decode_protobuf(
        &mut self,
        version: ProtoVersion,
        raw: &[u8],
        limits: &Limits,
    ) -> Result<()> {
        self.clear();
        let result = match version {
            ProtoVersion::V1 => self.decode_v1(raw, limits),
            ProtoVersion::V2 => self.decode_v2(raw, limits),
        };
        if result.is_err() {
            self.clear();
        }
        result
    }

    fn intern(&mut self, s: &str) -> Result<Span> {
        let start = self.strings.len();
        self.strings.push_str(s);
        let too_big = || Error::Malformed {
            context: "request",
            reason: "strings exceed 4 GiB",
        };
        Ok(Span {
            start: u32::try_from(start).map_err(|_| too_big())?,
            end: u32::try_from(self.strings.len()).map_err(|_| too_big())?,
        })
    }

    // ---- 1.0 -------------------------------------------------------------------------------

    fn decode_v1(&mut self, raw: &[u8], limits: &Limits) -> Result<()> {
        // Label and metadata strings are most of a 1.0 body; size the arena once.
        self.strings.reserve(raw.len());
        let mut r = Reader::new(raw);
        while let Some((field, value)) = next(&mut r, "WriteRequest")? {
            match field {
                1 => {
                    let series = wire::message(value).map_err(malformed("WriteRequest"))?;
                    self.decode_series_v1(series, limits)?;
                }
                3 => {
                    let meta = wire::message(value).map_err(malformed("WriteRequest"))?;
                    self.decode_metadata_v1(meta)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn decode_series_v1(&mut self, buf: &[u8], limits: &Limits) -> Result<()> {
        if self.series.len() >= limits.max_series {
            return Err(Error::TooManySeries {
                limit: limits.max_series,
            });
        }
        let labels_start = self.labels.len();
        let samples_start = self.samples.len();
        let (mut histograms, mut exemplars) = (0, 0);
        let mut r = Reader::new(buf);
        while let Some((field, value)) = next(&mut r, "TimeSeries")? {
            match field {
                1 => {
                    let label = wire::message(value).map_err(malformed("TimeSeries"))?;
                    let (name, value) = decode_label(label).map_err(malformed("Label"))?;
                    let name = self.intern(name)?;
                    let value = self.intern(value)?;
                    self.labels.push((name, value));
                }
                2 => {
                    let sample = wire::message(value).map_err(malformed("TimeSeries"))?;
                    self.samples
                        .push(decode_sample(sample).map_err(malformed("Sample"))?);
                }
                3 => {
                    wire::message(value).map_err(malformed("TimeSeries"))?;
                    exemplars += 1;
                }
                4 => {
                    wire::message(value).map_err(malformed("TimeSeries"))?;
                    histograms += 1;
                }
                _ => {}
            }
        }
        self.finish_series(
            labels_start,
            samples_start,
            histograms,
            exemplars,
            0,
            limits,
        )?;
        Ok(())
    }

    fn decode_metadata_v1(&mut self, buf: &[u8]) -> Result<()> {
        let (mut metric_type, mut family, mut help, mut unit) = (0, "", "", "");
        let mut r = Reader::new(buf);
        while let Some((field, value)) = next(&mut r, "MetricMetadata")? {
            let m = malformed("MetricMetadata");
            match field {
                1 => metric_type = wire::varint(value).map_err(m)? as i32,
                2 => family = wire::string(value).map_err(m)?,
                4 => help = wire::string(value).map_err(m)?,
                5 => unit = wire::string(value).map_err(m)?,
                _ => {}
            }
        }
        let entry = MetadataSpans {
            family: self.intern(family)?,
            metric_type: MetricType::from_wire(metric_type),
            help: self.intern(help)?,
            unit: self.intern(unit)?,
        };
        self.metadata.push(entry);
        Ok(())
    }

    // ---- 2.0 -------------------------------------------------------------------------------

    fn decode_v2(&mut self, raw: &[u8], limits: &Limits) -> Result<()> {
        // Pass 1: the symbol table, wherever it sits in the message.
        let mut r = Reader::new(raw);
        while let Some((field, value)) = next(&mut r, "Request")? {
            if field == 4 {
                let symbol = wire::string(value).map_err(malformed("Request.symbols"))?;
                let span = self.intern(symbol)?;
                self.symbols.push(span);
            }
        }
        if let Some(&first) = self.symbols.first().filter(|s| !s.is_empty()) {
            return Err(Error::FirstSymbolNotEmpty(truncate(self.str(first))));
        }
        // Pass 2: the series (fields 1 to 3 are reserved: a 1.0 body decodes as empty).
        let mut refs = std::mem::take(&mut self.refs);
        let mut r = Reader::new(raw);
        let mut result = Ok(());
        while let Some((field, value)) = next(&mut r, "Request")? {
            if field == 5 {
                let series = wire::message(value).map_err(malformed("Request"))?;
                result = self.decode_series_v2(series, &mut refs, limits);
                if result.is_err() {
                    break;
                }
            }
        }
        self.refs = refs;
        result
    }

    fn decode_series_v2(&mut self, buf: &[u8], refs: &mut Vec<u64>, limits: &Limits) -> Result<()> {
        let index = self.series.len();
        if index >= limits.max_series {
            return Err(Error::TooManySeries {
                limit: limits.max_series,
            });
        }
        refs.clear();
        let samples_start = self.samples.len();
        let (mut histograms, mut exemplars, mut created_timestamp) = (0, 0, 0);
        // (type, help_ref, unit_ref); a repeated singular message field merges.
        let mut metadata: Option<(i32, u64, u64)> = None;
        let mut r = Reader::new(buf);
        while let Some((field, value)) = next(&mut r, "TimeSeries")? {
            let m = malformed("TimeSeries");
            match field {
                1 => wire::repeated_varint(value, |v| refs.push(v)).map_err(m)?,
                2 => {
                    let sample = wire::message(value).map_err(m)?;
                    self.samples
                        .push(decode_sample(sample).map_err(malformed("Sample"))?);
                }
                3 => {
                    wire::message(value).map_err(m)?;
                    histograms += 1;
                }
                4 => {
                    wire::message(value).map_err(m)?;
                    exemplars += 1;
                }
                5 => {
                    let meta = wire::message(value).map_err(m)?;
                    let merged = metadata.get_or_insert((0, 0, 0));
                    decode_metadata_v2(meta, merged).map_err(malformed("Metadata"))?;
                }
                6 => created_timestamp = wire::varint(value).map_err(m)? as i64,
                _ => {}
            }
        }
        if refs.len() & 1 == 1 {
            return Err(Error::OddLabelRefs {
                series_index: index,
                len: refs.len(),
            });
        }
        let labels_start = self.labels.len();
        for pair in refs.chunks_exact(2) {
            let name = self.symbol(pair[0], index, "labels_refs")?;
            let value = self.symbol(pair[1], index, "labels_refs")?;
            self.labels.push((name, value));
        }
        let name = self.finish_series(
            labels_start,
            samples_start,
            histograms,
            exemplars,
            created_timestamp,
            limits,
        )?;
        if let Some((metric_type, help_ref, unit_ref)) = metadata {
            let entry = MetadataSpans {
                family: name,
                metric_type: MetricType::from_wire(metric_type),
                help: self.symbol(help_ref, index, "help_ref")?,
                unit: self.symbol(unit_ref, index, "unit_ref")?,
            };
            let informative = entry.metric_type != MetricType::Unknown
                || !entry.help.is_empty()
                || !entry.unit.is_empty();
            // Series of one family usually follow each other and share symbols.
            if informative && self.metadata.last() != Some(&entry) {
                self.metadata.push(entry);
            }
        }
        Ok(())
    }

    fn symbol(&self, reference: u64, series_index: usize, field: &'static str) -> Result<Span> {
        usize::try_from(reference)
            .ok()
            .and_then(|i| self.symbols.get(i))
            .copied()
            .ok_or(Error::SymbolOutOfRange {
                series_index,
                field,
                reference,
                symbols: self.symbols.len(),
            })
    }

    // ---- shared ----------------------------------------------------------------------------

    /// Validates the labels pushed since `labels_start`, drops empty-valued ones and records the
    /// series. Returns the `__name__` value's span.
    fn finish_series(
        &mut self,
        labels_start: usize,
        samples_start: usize,
        histograms: usize,
        exemplars: usize,
        created_timestamp: i64,
        limits: &Limits,
    ) -> Result<Span> {
        let name = match self.validate_labels(labels_start, limits) {
            Err(LabelError::Unsorted { .. }) if limits.sort_unsorted_labels => {
                self.sort_labels(labels_start);
                self.validate_labels(labels_start, limits)
            }
            validated => validated,
        };
        let name = name.map_err(|reason| Error::InvalidLabels {
            series: self.render_series(labels_start),
            reason,
        })?;
        let mut kept = labels_start;
        for i in labels_start..self.labels.len() {
            let label = self.labels[i];
            if !label.1.is_empty() {
                self.labels[kept] = label;
                kept += 1;
            }
        }
        self.labels.truncate(kept);
        let samples = self.samples.len() - samples_start;
        self.stats.samples += samples;
        self.stats.histograms += histograms;
        self.stats.exemplars += exemplars;
        self.series.push(SeriesEntry {
            labels: (labels_start, kept),
            samples: (samples_start, self.samples.len()),
            name,
            histograms,
            exemplars,
            created_timestamp,
        });
        Ok(name)
    }

    /// Sorts the labels pushed since `labels_start` by name (bytes), keeping equal names adjacent.
    fn sort_labels(&mut self, labels_start: usize) {
        let strings = self.strings.as_str();
        let get = |span: Span| strings.get(span.range()).unwrap_or_default();
        if let Some(labels) = self.labels.get_mut(labels_start..) {
            labels.sort_by(|a, b| get(a.0).cmp(get(b.0)));
        }
    }

    fn validate_labels(&self, labels_start: usize, limits: &Limits) -> Result<Span, LabelError> {
        let labels = self.labels.get(labels_start..).unwrap_or_default();
        if labels.len() > limits.max_labels_per_series {
            return Err(LabelError::TooManyLabels {
                count: labels.len(),
                limit: limits.max_labels_per_series,
            });
        }
        let mut metric_name = None;
        let mut previous: Option<&str> = None;
        for &(name_span, value_span) in labels {
            let (name, value) = (self.str(name_span), self.str(value_span));
            if name.is_empty() {
                return Err(LabelError::EmptyLabelName);
            }
            if name.len() > limits.max_label_name_bytes {
                return Err(LabelError::NameTooLong {
                    len: name.len(),
                    limit: limits.max_label_name_bytes,
                });
            }
            if value.len() > limits.max_label_value_bytes {
                return Err(LabelError::ValueTooLong {
                    name: truncate(name),
                    len: value.len(),
                    limit: limits.max_label_value_bytes,
                });
            }
            if let Some(previous) = previous {
                match previous.cmp(name) {
                    std::cmp::Ordering::Less => {}
                    std::cmp::Ordering::Equal => {
                        return Err(LabelError::DuplicateLabelName(truncate(name)));
                    }
                    std::cmp::Ordering::Greater => {
                        return Err(LabelError::Unsorted {
                            previous: truncate(previous),
                            next: truncate(name),
                        });
                    }
                }
            }
            if name == METRIC_NAME_LABEL {
                metric_name = Some(value_span);
            }
            previous = Some(name);
        }
        metric_name
            .filter(|span| !span.is_empty())
            .ok_or(LabelError::MissingMetricName)
    }

    /// `{name="value", ...}` for error messages, cut at [`MAX_SERIES_IN_ERROR`] bytes.
    fn render_series(&self, labels_start: usize) -> String {
        let labels = self.labels.get(labels_start..).unwrap_or_default();
        let mut out = String::from("{");
        for (i, &(name, value)) in labels.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(self.str(name));
            out.push('=');
            out.push_str(&format!("{:?}", self.str(value)));
            if out.len() > MAX_SERIES_IN_ERROR {
                break;
            }
        }
        out.push('}');
        truncate(&out)
    }
}

fn next<'a>(r: &mut Reader<'a>, context: &'static str) -> Result<Option<(u32, Value<'a>)>> {
    r.next_field().map_err(malformed(context))
}

fn malformed(context: &'static str) -> impl Fn(WireError) -> Error {
    move |reason| Error::Malformed { context, reason }
}

fn decode_label(buf: &[u8]) -> Result<(&str, &str), WireError> {
    let (mut name, mut value) = ("", "");
    let mut r = Reader::new(buf);
    while let Some((field, v)) = r.next_field()? {
        match field {
            1 => name = wire::string(v)?,
            2 => value = wire::string(v)?,
            _ => {}
        }
    }
    Ok((name, value))
}

#[inline]
fn decode_sample(buf: &[u8]) -> Result<(i64, f64), WireError> {
    let (mut t, mut v) = (0, 0.0);
    let mut r = Reader::new(buf);
    while let Some((field, value)) = r.next_field()? {
        match field {
            1 => v = wire::double(value)?,
            2 => t = wire::varint(value)? as i64,
            _ => {}
        }
    }
    Ok((t, v))
}

fn decode_metadata_v2(buf: &[u8], merged: &mut (i32, u64, u64)) -> Result<(), WireError> {
    let mut r = Reader::new(buf);
    while let Some((field, value)) = r.next_field()? {
        match field {
            1 => merged.0 = wire::varint(value)? as i32,
            3 => merged.1 = wire::varint(value)?,
            4 => merged.2 = wire::varint(value)?,
            _ => {}
        }
    }
    Ok(())
}

/// Copies `s`, cut to [`MAX_SERIES_IN_ERROR`] bytes on a char boundary with `…` appended.
fn truncate(s: &str) -> String {
    if s.len() <= MAX_SERIES_IN_ERROR {
        return s.to_owned();
    }
    let mut end = MAX_SERIES_IN_ERROR;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    // `end` is a char boundary no greater than `s.len()`, so the slice cannot panic.
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests;
