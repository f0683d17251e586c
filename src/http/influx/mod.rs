//! The InfluxDB 1.x HTTP API as far as writers and their tools use it: `POST /write` (v1),
//! `POST /api/v2/write` (v2), `GET|HEAD /ping`, and a minimal `/query` that answers what the
//! `influx` CLI sends on connect (`SHOW DATABASES`, `CREATE DATABASE`). Data is queried with
//! PromQL; see `docs/influx.md` for the naming.
//!
//! No authentication is configured, so credentials (`u`/`p`, `Authorization: Token ...`,
//! basic auth) are accepted and ignored, as InfluxDB does with auth disabled.

mod query;
mod write;

pub use query::query;
pub use write::{write_v1, write_v2};

use super::{Body, response};
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Response, StatusCode};
use std::collections::BTreeSet;
use std::sync::Mutex;

/// The InfluxDB API version we answer as, in `X-Influxdb-Version`.
pub const INFLUX_VERSION: &str = "1.8.10-strata";

/// Databases announced with `CREATE DATABASE` before anything was written to them.
#[derive(Debug, Default)]
pub struct InfluxState {
    created: Mutex<BTreeSet<String>>,
}

impl InfluxState {
    fn create(&self, name: &str) {
        self.created
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name.to_string());
    }

    fn created(&self) -> BTreeSet<String> {
        self.created
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Which write API a request came in on; decides the error body's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    V1,
    V2,
}

/// `GET|HEAD /ping`: 204 with the version headers; `?verbose=true` answers 200 with JSON.
pub fn ping(query: Option<&str>) -> Response<Body> {
    let verbose = super::api_v1::params::form_pairs(query.unwrap_or(""))
        .into_iter()
        .any(|(k, v)| k == "verbose" && !v.is_empty() && v != "0" && v != "false");
    let resp = if verbose {
        response::with_type(
            StatusCode::OK,
            "application/json",
            serde_json::json!({ "version": INFLUX_VERSION })
                .to_string()
                .into_bytes(),
        )
    } else {
        response::empty(StatusCode::NO_CONTENT)
    };
    with_version(resp)
}

/// Adds the headers InfluxDB puts on every answer.
fn with_version(mut resp: Response<Body>) -> Response<Body> {
    let h = resp.headers_mut();
    h.insert(
        HeaderName::from_static("x-influxdb-version"),
        HeaderValue::from_static(INFLUX_VERSION),
    );
    h.insert(
        HeaderName::from_static("x-influxdb-build"),
        HeaderValue::from_static("OSS"),
    );
    resp
}

/// An error in the API's own JSON shape: v1 `{"error": msg}` plus the `X-Influxdb-Error`
/// header; v2 `{"code": ..., "message": msg}`.
fn error(api: Api, status: StatusCode, msg: &str) -> Response<Body> {
    let body = match api {
        Api::V1 => serde_json::json!({ "error": msg }),
        Api::V2 => serde_json::json!({ "code": v2_code(status), "message": msg }),
    };
    let mut resp = with_version(response::with_type(
        status,
        "application/json",
        body.to_string().into_bytes(),
    ));
    if api == Api::V1 {
        // Header values cannot hold newlines; InfluxDB also cuts this header at 1 KiB.
        let flat: String = msg
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(1024)
            .collect();
        if let Ok(v) = HeaderValue::from_str(&flat) {
            resp.headers_mut()
                .insert(HeaderName::from_static("x-influxdb-error"), v);
        }
    }
    resp
}

/// InfluxDB 2's error codes for the statuses we answer.
fn v2_code(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "invalid",
        StatusCode::PAYLOAD_TOO_LARGE => "request too large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported media type",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        _ => "internal error",
    }
}

#[cfg(test)]
mod tests;
