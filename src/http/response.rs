//! Small response builders.

use super::Body;
use super::api_v1::render::push_str;
use bytes::Bytes;
use hyper::{Response, StatusCode, header};

pub fn text(status: StatusCode, msg: impl Into<String>) -> Response<Body> {
    with_type(status, "text/plain; charset=utf-8", msg.into().into_bytes())
}

pub fn with_type(status: StatusCode, content_type: &str, body: Vec<u8>) -> Response<Body> {
    let mut r = Response::new(Body::new(Bytes::from(body)));
    *r.status_mut() = status;
    if let Ok(v) = header::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

pub fn empty(status: StatusCode) -> Response<Body> {
    let mut r = Response::new(Body::new(Bytes::new()));
    *r.status_mut() = status;
    r
}

/// The Prometheus API's error envelope, keys in Prometheus's order.
pub fn api_error(status: StatusCode, error_type: &str, msg: &str) -> Response<Body> {
    let mut body = String::from("{\"status\":\"error\",\"errorType\":");
    push_str(&mut body, error_type);
    body.push_str(",\"error\":");
    push_str(&mut body, msg);
    body.push('}');
    with_type(status, "application/json", body.into_bytes())
}

pub fn not_ready() -> Response<Body> {
    text(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable\n")
}
