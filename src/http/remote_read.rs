//! `POST /api/v1/read`: remote read, answering with raw samples (`SAMPLES`) or with framed
//! XOR chunks (`STREAMED_XOR_CHUNKS`), whichever the client prefers.

use super::{AppState, Body, BodyError, read_body, response};
use crate::tsdb::chunkenc::XorAppender;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use promql::{MatchOp, Matcher, MemSeries};
use remote_write::read::chunk::Encoding as ChunkEncoding;
use remote_write::read::label_matcher::Type as MatcherType;
use remote_write::read::{
    Chunk, ChunkedReadResponse, ChunkedSeries, LabelMatcher, Query, QueryResult, ReadResponse,
    ResponseType,
};
use remote_write::v1::{Label, Sample, TimeSeries};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Samples per XOR chunk, as Prometheus cuts them.
const SAMPLES_PER_CHUNK: usize = 120;
/// Upper bound of one frame's payload, as Prometheus's `--storage.remote.read-max-bytes-in-frame`.
const MAX_BYTES_IN_FRAME: usize = 1 << 20;

pub async fn handle(state: Arc<AppState>, req: Request<Incoming>) -> Response<Body> {
    state
        .metrics
        .remote_read_requests
        .fetch_add(1, Ordering::Relaxed);
    let Some(db) = state.db() else {
        return response::not_ready();
    };
    let body = match read_body(req, state.max_request_bytes).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            return response::text(StatusCode::PAYLOAD_TOO_LARGE, "request body too large\n");
        }
        Err(BodyError::Failed(e)) => return response::text(StatusCode::BAD_REQUEST, e),
    };
    let st = state.clone();
    let result =
        tokio::task::spawn_blocking(move || -> Result<Response<Body>, (StatusCode, String)> {
            let bad = |e: remote_write::Error| {
                (
                    StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::BAD_REQUEST),
                    e.to_string(),
                )
            };
            let req = remote_write::read::decode_read_request(&body, &st.limits).map_err(bad)?;
            let rtype = remote_write::read::negotiate_response_type(&req).map_err(bad)?;
            let mut answers = Vec::with_capacity(req.queries.len());
            for q in &req.queries {
                answers.push(run_query(&db, q)?);
            }
            match rtype {
                ResponseType::Samples => samples_response(answers),
                ResponseType::StreamedXorChunks => Ok(streamed_response(answers)),
            }
        })
        .await;
    match result {
        Ok(Ok(r)) => r,
        Ok(Err((code, msg))) => response::text(code, format!("{msg}\n")),
        Err(e) => response::text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")),
    }
}

fn run_query(db: &crate::tsdb::Db, q: &Query) -> Result<Vec<MemSeries>, (StatusCode, String)> {
    let matchers = q
        .matchers
        .iter()
        .map(to_matcher)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| (StatusCode::BAD_REQUEST, e))?;
    let (mint, maxt) = (q.start_timestamp_ms, q.end_timestamp_ms);
    db.db_querier(mint, maxt)
        .select_series(mint, maxt, &matchers)
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))
}

fn to_matcher(m: &LabelMatcher) -> Result<Matcher, String> {
    let op = match MatcherType::try_from(m.r#type) {
        Ok(MatcherType::Eq) => MatchOp::Equal,
        Ok(MatcherType::Neq) => MatchOp::NotEqual,
        Ok(MatcherType::Re) => MatchOp::Regex,
        Ok(MatcherType::Nre) => MatchOp::NotRegex,
        Err(_) => return Err(format!("unknown label matcher type {}", m.r#type)),
    };
    Matcher::new(op, m.name.clone(), m.value.clone()).map_err(|e| e.to_string())
}

fn wire_labels(s: &MemSeries) -> Vec<Label> {
    s.labels
        .iter()
        .map(|l| Label {
            name: l.name.clone(),
            value: l.value.clone(),
        })
        .collect()
}

fn samples_response(answers: Vec<Vec<MemSeries>>) -> Result<Response<Body>, (StatusCode, String)> {
    let results = answers
        .into_iter()
        .map(|series| QueryResult {
            timeseries: series
                .iter()
                .map(|s| TimeSeries {
                    labels: wire_labels(s),
                    samples: s
                        .samples
                        .iter()
                        .map(|&(timestamp, value)| Sample { value, timestamp })
                        .collect(),
                    ..TimeSeries::default()
                })
                .collect(),
        })
        .collect();
    let body = remote_write::read::encode_read_response_samples(&ReadResponse { results })
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let mut r = response::with_type(StatusCode::OK, ResponseType::Samples.content_type(), body);
    if let Some(enc) = ResponseType::Samples.content_encoding() {
        r.headers_mut().insert(
            hyper::header::CONTENT_ENCODING,
            hyper::header::HeaderValue::from_static(enc),
        );
    }
    Ok(r)
}

/// One frame per series, more when a series' chunks exceed the frame size.
fn streamed_response(answers: Vec<Vec<MemSeries>>) -> Response<Body> {
    let mut out = Vec::new();
    for (qi, series) in answers.into_iter().enumerate() {
        for s in &series {
            let labels = wire_labels(s);
            let mut chunks = Vec::new();
            let mut bytes = 0;
            for part in s.samples.chunks(SAMPLES_PER_CHUNK) {
                let c = xor_chunk(part);
                bytes += c.data.len() + 32;
                chunks.push(c);
                if bytes >= MAX_BYTES_IN_FRAME {
                    frame(&mut out, qi, &labels, std::mem::take(&mut chunks));
                    bytes = 0;
                }
            }
            if !chunks.is_empty() {
                frame(&mut out, qi, &labels, chunks);
            }
        }
    }
    response::with_type(
        StatusCode::OK,
        ResponseType::StreamedXorChunks.content_type(),
        out,
    )
}

fn frame(out: &mut Vec<u8>, query_index: usize, labels: &[Label], chunks: Vec<Chunk>) {
    let msg = ChunkedReadResponse {
        chunked_series: vec![ChunkedSeries {
            labels: labels.to_vec(),
            chunks,
        }],
        query_index: query_index as i64,
    };
    remote_write::chunked::write_chunked_frame(out, &msg);
}

fn xor_chunk(samples: &[(i64, f64)]) -> Chunk {
    let mut app = XorAppender::new();
    for &(t, v) in samples {
        // Samples come sorted and unique from the querier, which is all the encoder needs.
        let _ = app.append(t, v);
    }
    Chunk {
        min_time_ms: samples.first().map_or(0, |s| s.0),
        max_time_ms: samples.last().map_or(0, |s| s.0),
        r#type: ChunkEncoding::Xor as i32,
        data: app.into_bytes(),
    }
}
