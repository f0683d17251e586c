//! `POST /write` and `POST /api/v2/write`.
//!
//! 204 when every line was stored. 400 with InfluxDB's messages otherwise: the parse errors
//! alone when no line was good, `partial write: ... dropped=N` when some were (those are
//! stored, as InfluxDB 1.x does). 413 for bodies over `--web.max-request-bytes` (before or
//! after gunzip), 415 for encodings other than gzip, 500 when storage failed.

use super::{Api, error, with_version};
use crate::http::api_v1::params::form_pairs;
use crate::http::{AppState, Body, BodyError, header, read_body, response};
use crate::ingest::influx::{InfluxMetrics, write};
use compat::influx::{ParseOptions, Precision};
use hyper::body::Incoming;
use hyper::header::CONTENT_ENCODING;
use hyper::{Request, Response, StatusCode};
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tracing::{error as log_error, warn};

/// Longest line accepted. InfluxDB has no line limit of its own, but its key limit (64 KiB)
/// plus many fields stays well below this.
const MAX_LINE_BYTES: usize = 4 << 20;

/// `POST /write?db=&rp=&precision=&u=&p=`.
pub async fn write_v1(state: Arc<AppState>, req: Request<Incoming>) -> Response<Body> {
    let m = &state.metrics.influx;
    m.requests[0].fetch_add(1, Ordering::Relaxed);
    let params = form_pairs(req.uri().query().unwrap_or(""));
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let db = get("db").unwrap_or("").to_string();
    if db.is_empty() {
        m.reject_request("missing_database");
        return error(Api::V1, StatusCode::BAD_REQUEST, "database is required");
    }
    let p = get("precision").unwrap_or("");
    let Some(precision) = Precision::from_v1(p) else {
        m.reject_request("bad_precision");
        let msg = format!("invalid precision {p:?} (use n, u, ms, s, m or h)");
        return error(Api::V1, StatusCode::BAD_REQUEST, &msg);
    };
    store(state, req, Api::V1, db, precision).await
}

/// `POST /api/v2/write?org=&bucket=&precision=`. A v1-style bucket `db/rp` names database
/// `db`.
pub async fn write_v2(state: Arc<AppState>, req: Request<Incoming>) -> Response<Body> {
    let m = &state.metrics.influx;
    m.requests[1].fetch_add(1, Ordering::Relaxed);
    let params = form_pairs(req.uri().query().unwrap_or(""));
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let bucket = get("bucket").unwrap_or("");
    let db = bucket.split('/').next().unwrap_or("").to_string();
    if db.is_empty() {
        m.reject_request("missing_database");
        return error(Api::V2, StatusCode::BAD_REQUEST, "bucket is required");
    }
    let p = get("precision").unwrap_or("");
    let Some(precision) = Precision::from_v2(p) else {
        m.reject_request("bad_precision");
        let msg = format!("invalid precision {p:?} (use ns, us, ms or s)");
        return error(Api::V2, StatusCode::BAD_REQUEST, &msg);
    };
    store(state, req, Api::V2, db, precision).await
}

/// Why a body could not be turned into line protocol text.
enum Refusal {
    TooLarge,
    BadGzip(String),
}

async fn store(
    state: Arc<AppState>,
    req: Request<Incoming>,
    api: Api,
    db: String,
    precision: Precision,
) -> Response<Body> {
    let m = &state.metrics.influx;
    let Some(tsdb) = state.db() else {
        return error(api, StatusCode::SERVICE_UNAVAILABLE, "storage is not ready");
    };
    let gzip = match header(&req, CONTENT_ENCODING).map(str::trim) {
        None | Some("") | Some("identity") => false,
        Some(e) if e.eq_ignore_ascii_case("gzip") => true,
        Some(e) => {
            m.reject_request("bad_encoding");
            let msg = format!("unsupported Content-Encoding {e:?} (use gzip or none)");
            return error(api, StatusCode::UNSUPPORTED_MEDIA_TYPE, &msg);
        }
    };
    let limit = state.max_request_bytes;
    let body = match read_body(req, limit).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => return too_large(m, api),
        Err(BodyError::Failed(e)) => {
            m.reject_request("read_failed");
            return error(api, StatusCode::BAD_REQUEST, &e);
        }
    };
    let st = state.clone();
    let result = tokio::task::spawn_blocking(move || {
        let text = if gzip {
            gunzip(&body, limit)?
        } else {
            body.to_vec()
        };
        let opts = ParseOptions {
            precision,
            now_ns: now_ns(),
            max_line_bytes: MAX_LINE_BYTES,
            max_errors_kept: 10,
        };
        Ok::<_, Refusal>(write(
            tsdb.appender(),
            &text,
            &db,
            &opts,
            &st.metrics.influx,
        ))
    })
    .await;
    match result {
        Err(e) => {
            log_error!(error = %e, "influx write task failed");
            error(api, StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
        Ok(Err(Refusal::TooLarge)) => too_large(m, api),
        Ok(Err(Refusal::BadGzip(e))) => {
            m.reject_request("bad_encoding");
            error(api, StatusCode::BAD_REQUEST, &format!("gzip: {e}"))
        }
        Ok(Ok(Err(e))) => {
            m.reject_request("storage_failed");
            log_error!(error = %e, "influx write commit failed");
            error(api, StatusCode::INTERNAL_SERVER_ERROR, &e.to_string())
        }
        Ok(Ok(Ok(outcome))) => match outcome.error_message() {
            None => with_version(response::empty(StatusCode::NO_CONTENT)),
            Some(msg) => {
                if m.may_warn() {
                    warn!(
                        lines_dropped = outcome.lines_rejected,
                        samples_dropped = outcome.samples_rejected,
                        first = %outcome.errors.first().map(String::as_str).unwrap_or(""),
                        "influx write: bad input (further warnings suppressed for 10s)"
                    );
                }
                error(api, StatusCode::BAD_REQUEST, &msg)
            }
        },
    }
}

fn too_large(m: &InfluxMetrics, api: Api) -> Response<Body> {
    m.reject_request("body_too_large");
    error(
        api,
        StatusCode::PAYLOAD_TOO_LARGE,
        "Request Entity Too Large",
    )
}

/// The decompressed body, refusing more than `limit` bytes.
fn gunzip(body: &[u8], limit: usize) -> Result<Vec<u8>, Refusal> {
    let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(limit));
    flate2::read::GzDecoder::new(body)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| Refusal::BadGzip(e.to_string()))?;
    if out.len() > limit {
        return Err(Refusal::TooLarge);
    }
    Ok(out)
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
