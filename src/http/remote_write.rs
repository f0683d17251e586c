//! `POST /api/v1/write`: remote write 1.0 and 2.0.
//!
//! Status codes follow the remote write specs so that senders retry only what may succeed:
//! 204 when everything was written, 400 for data that will never be accepted (including
//! partially accepted requests: the accepted samples are stored), 413 and 415 for bodies we
//! refuse to read, 5xx when storage failed and a retry may work.

use super::{AppState, Body, BodyError, header, read_body, response};
use crate::ingest::remote_write::{WriteOutcome, write};
use hyper::body::Incoming;
use hyper::header::{CONTENT_ENCODING, CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use remote_write::{DecodedWrite, ProtoVersion};
use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tracing::{error, warn};

thread_local! {
    /// Decoding buffers reused by the requests a blocking thread serves.
    static DECODED: RefCell<DecodedWrite> = RefCell::new(DecodedWrite::new());
}

/// Requests larger than this many series do not keep their buffers on the thread.
const REUSE_MAX_SERIES: usize = 20_000;

pub async fn handle(state: Arc<AppState>, req: Request<Incoming>) -> Response<Body> {
    state
        .metrics
        .remote_write_requests
        .fetch_add(1, Ordering::Relaxed);
    let Some(db) = state.db() else {
        return response::not_ready();
    };
    let ct = header(&req, CONTENT_TYPE).map(str::to_owned);
    let ce = header(&req, CONTENT_ENCODING).map(str::to_owned);
    let body = match read_body(req, state.max_request_bytes).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            return reject(
                &state,
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body larger than {} bytes", state.max_request_bytes),
            );
        }
        Err(BodyError::Failed(e)) => return reject(&state, StatusCode::BAD_REQUEST, e),
    };
    let st = state.clone();
    let result = tokio::task::spawn_blocking(move || {
        DECODED.with_borrow_mut(|decoded| {
            let version = remote_write::decode_write_into(
                decoded,
                ct.as_deref(),
                ce.as_deref(),
                &body,
                &st.limits,
            )?;
            let outcome = write(db.appender(), decoded);
            // Keep the buffers for the next request on this thread, but not an outsized one.
            if decoded.len() > REUSE_MAX_SERIES {
                *decoded = DecodedWrite::new();
            } else {
                decoded.clear();
            }
            Ok::<_, remote_write::Error>((version, outcome))
        })
    })
    .await;
    match result {
        Err(e) => {
            error!(error = %e, "remote write task failed");
            response::text(StatusCode::INTERNAL_SERVER_ERROR, "internal error\n")
        }
        Ok(Err(e)) => {
            let code = StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::BAD_REQUEST);
            reject(&state, code, e.to_string())
        }
        Ok(Ok((_, Err(e)))) => {
            error!(error = %e, "remote write commit failed");
            response::text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n"))
        }
        Ok(Ok((version, Ok(outcome)))) => answer(&state, version, &outcome),
    }
}

fn reject(state: &AppState, code: StatusCode, msg: String) -> Response<Body> {
    state
        .metrics
        .remote_write_rejected_requests
        .fetch_add(1, Ordering::Relaxed);
    warn!(status = code.as_u16(), error = %msg, "remote write rejected");
    response::text(code, format!("{msg}\n"))
}

fn answer(state: &AppState, version: ProtoVersion, out: &WriteOutcome) -> Response<Body> {
    let mut resp = match out.rejection_message() {
        Some(msg) => reject(state, StatusCode::BAD_REQUEST, msg),
        None => response::empty(StatusCode::NO_CONTENT),
    };
    if version == ProtoVersion::V2 {
        for (name, value) in remote_write::written_headers(out.samples_written as usize, 0, 0) {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                resp.headers_mut().insert(n, v);
            }
        }
    }
    resp
}
