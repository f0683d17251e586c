//! Remote write and remote read as a client speaks them, on top of the `remote-write` crate's
//! messages and codecs: encoding write requests, and reading back as `SAMPLES` or as
//! `STREAMED_XOR_CHUNKS` (chunks decoded by this crate's own [`crate::xor`] decoder).

use remote_write::read::{
    ChunkedReadResponse, LabelMatcher, Query, ReadRequest, ResponseType, chunk, label_matcher,
};
use remote_write::v1::{Label, Sample, TimeSeries, WriteRequest};

use crate::compare::{Bits, SeriesData};
use crate::http::{Http, Reply};
use crate::prom::{Labels, fmt_labels};
use crate::{Error, Result, fail, xor};

/// A label matcher of a remote read query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Neq,
    /// `=~`
    Re,
    /// `!~`
    Nre,
}

/// Builds a remote read label matcher.
pub fn matcher(op: Op, name: &str, value: &str) -> LabelMatcher {
    let ty = match op {
        Op::Eq => label_matcher::Type::Eq,
        Op::Neq => label_matcher::Type::Neq,
        Op::Re => label_matcher::Type::Re,
        Op::Nre => label_matcher::Type::Nre,
    };
    LabelMatcher {
        r#type: ty as i32,
        name: name.to_string(),
        value: value.to_string(),
    }
}

/// Remote write protocol version of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteVersion {
    /// Remote write 1.0 (`prometheus.WriteRequest`).
    V1,
    /// Remote write 2.0 (`io.prometheus.write.v2.Request`, symbol table).
    V2,
}

impl WriteVersion {
    fn proto(self) -> remote_write::ProtoVersion {
        match self {
            WriteVersion::V1 => remote_write::ProtoVersion::V1,
            WriteVersion::V2 => remote_write::ProtoVersion::V2,
        }
    }
}

/// Encodes a remote write request (protobuf, then snappy) for the given series.
pub fn encode_write(
    version: WriteVersion,
    series: &[(Labels, Vec<(i64, f64)>)],
) -> Result<Vec<u8>> {
    let req = WriteRequest {
        timeseries: series
            .iter()
            .map(|(labels, samples)| TimeSeries {
                labels: labels
                    .iter()
                    .map(|(k, v)| Label::new(k.as_str(), v.as_str()))
                    .collect(),
                samples: samples
                    .iter()
                    .map(|&(t, v)| Sample {
                        value: v,
                        timestamp: t,
                    })
                    .collect(),
                ..TimeSeries::default()
            })
            .collect(),
        ..WriteRequest::default()
    };
    match version {
        WriteVersion::V1 => remote_write::encode_write_v1(&req),
        WriteVersion::V2 => remote_write::encode_write_v2(&remote_write::v2_from_v1(&req)),
    }
    .map_err(|e| fail!("encoding write request: {e}"))
}

/// POSTs an encoded remote write body with the headers a Prometheus sender of `version` uses.
pub fn post_write(http: &Http, url: &str, version: WriteVersion, body: &[u8]) -> Result<Reply> {
    let v = version.proto();
    http.post(
        url,
        &[
            ("Content-Type", v.content_type()),
            ("Content-Encoding", "snappy"),
            (remote_write::VERSION_HEADER, v.version_header_value()),
        ],
        body,
    )
}

fn post_read(http: &Http, url: &str, req: &ReadRequest) -> Result<Reply> {
    let body = remote_write::read::encode_read_request(req)
        .map_err(|e| fail!("encoding read request: {e}"))?;
    let r = http.post(
        url,
        &[
            ("Content-Type", "application/x-protobuf"),
            ("Content-Encoding", "snappy"),
            ("Accept-Encoding", "snappy"),
            ("X-Prometheus-Remote-Read-Version", "0.1.0"),
        ],
        &body,
    )?;
    if r.status != 200 {
        return Err(Error::Status {
            context: format!("remote read {url}"),
            status: r.status,
            body: r.text(500),
        });
    }
    Ok(r)
}

fn labels_key(labels: &[Label]) -> String {
    let l: Labels = labels
        .iter()
        .map(|l| (l.name.clone(), l.value.clone()))
        .collect();
    fmt_labels(&l)
}

/// A remote read query: one time range and its matchers.
#[derive(Debug, Clone)]
pub struct ReadQuery {
    /// Inclusive start, ms.
    pub start_ms: i64,
    /// Inclusive end, ms.
    pub end_ms: i64,
    /// Label matchers (at least one must not match the empty string).
    pub matchers: Vec<LabelMatcher>,
}

impl ReadQuery {
    fn to_proto(&self) -> Query {
        Query {
            start_timestamp_ms: self.start_ms,
            end_timestamp_ms: self.end_ms,
            matchers: self.matchers.clone(),
            hints: None,
        }
    }
}

/// Remote read with `SAMPLES` (no `accepted_response_types`, as Prometheus 2.x sends).
pub fn read_samples(http: &Http, url: &str, q: &ReadQuery) -> Result<SeriesData<Bits>> {
    let req = ReadRequest {
        queries: vec![q.to_proto()],
        accepted_response_types: vec![],
    };
    let r = post_read(http, url, &req)?;
    if r.content_encoding.as_deref() != Some("snappy") {
        return Err(fail!(
            "remote read SAMPLES from {url}: Content-Encoding is {:?}, want snappy",
            r.content_encoding
        ));
    }
    let resp = remote_write::read::decode_read_response_samples(
        &r.body,
        &remote_write::Limits::unlimited(),
    )
    .map_err(|e| fail!("decoding SAMPLES response from {url}: {e}"))?;
    if resp.results.len() != 1 {
        return Err(fail!(
            "remote read {url}: {} results for 1 query",
            resp.results.len()
        ));
    }
    let mut out = SeriesData::new();
    for ts in &resp.results[0].timeseries {
        let key = labels_key(&ts.labels);
        let samples: Vec<(i64, Bits)> = ts
            .samples
            .iter()
            .map(|s| (s.timestamp, Bits::of(s.value)))
            .collect();
        if out.insert(key.clone(), samples).is_some() {
            return Err(fail!("remote read {url}: series {key} returned twice"));
        }
    }
    Ok(out)
}

/// What a `STREAMED_XOR_CHUNKS` read returned, decoded.
#[derive(Debug, Default)]
pub struct Streamed {
    /// Samples within the query range, per series.
    pub series: SeriesData<Bits>,
    /// Frames received.
    pub frames: usize,
    /// Chunks received.
    pub chunks: usize,
    /// Problems with the stream itself (bad chunk bounds, unsorted series, wrong query index).
    pub problems: Vec<String>,
}

/// Remote read asking for `STREAMED_XOR_CHUNKS`; frames are checked (CRC) and split by the
/// `remote-write` crate, chunks decoded by [`crate::xor`]. Samples outside the query range (whole
/// chunks overlapping its edges) are dropped, as Prometheus's client does.
pub fn read_streamed(http: &Http, url: &str, q: &ReadQuery) -> Result<Streamed> {
    let req = ReadRequest {
        queries: vec![q.to_proto()],
        accepted_response_types: vec![ResponseType::StreamedXorChunks as i32],
    };
    let r = post_read(http, url, &req)?;
    let ct = r.content_type.clone().unwrap_or_default();
    if !ct.starts_with("application/x-streamed-protobuf") {
        return Err(fail!(
            "remote read STREAMED_XOR_CHUNKS from {url}: Content-Type {ct:?}"
        ));
    }
    let frames: Vec<ChunkedReadResponse> =
        remote_write::chunked::ChunkedReader::new(r.body.as_slice())
            .collect::<Result<_, _>>()
            .map_err(|e| fail!("reading chunked frames from {url}: {e}"))?;
    let mut out = Streamed::default();
    let mut last_key: Option<String> = None;
    for frame in frames {
        out.frames += 1;
        if frame.query_index != 0 {
            out.problems.push(format!(
                "frame with query_index {} for a 1-query request",
                frame.query_index
            ));
        }
        for cs in frame.chunked_series {
            let key = labels_key(&cs.labels);
            if last_key.as_deref() != Some(key.as_str()) && out.series.contains_key(&key) {
                out.problems
                    .push(format!("series {key} appears again after other series"));
            }
            last_key = Some(key.clone());
            let samples = out.series.entry(key.clone()).or_default();
            for c in cs.chunks {
                out.chunks += 1;
                if c.r#type != chunk::Encoding::Xor as i32 {
                    out.problems
                        .push(format!("{key}: chunk encoding {} is not XOR", c.r#type));
                    continue;
                }
                let decoded = xor::decode(&c.data).map_err(|e| {
                    fail!("{key}: chunk [{}, {}]: {e}", c.min_time_ms, c.max_time_ms)
                })?;
                match (decoded.first(), decoded.last()) {
                    (Some(&(first, _)), Some(&(last, _)))
                        if first != c.min_time_ms || last != c.max_time_ms =>
                    {
                        out.problems.push(format!(
                            "{key}: chunk says [{}, {}] but holds samples [{first}, {last}]",
                            c.min_time_ms, c.max_time_ms
                        ));
                    }
                    (None, _) => out.problems.push(format!("{key}: empty chunk")),
                    _ => {}
                }
                for (t, v) in decoded {
                    if t < q.start_ms || t > q.end_ms {
                        continue;
                    }
                    if let Some(&(prev, _)) = samples.last() {
                        if t <= prev {
                            out.problems.push(format!(
                                "{key}: sample t={t} not after t={prev} (overlapping chunks)"
                            ));
                            continue;
                        }
                    }
                    samples.push((t, Bits(v)));
                }
            }
        }
    }
    // A series whose chunks all fell outside the range is not part of the answer.
    out.series.retain(|_, s| !s.is_empty());
    Ok(out)
}
