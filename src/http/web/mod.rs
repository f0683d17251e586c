//! The built-in query page at `/` and `/graph`: one static HTML file with plain JavaScript that
//! calls `/api/v1/query` and `/api/v1/query_range`, draws a table and a line chart on a canvas.
//! No build step and nothing loaded from elsewhere.

use super::{Body, response};
use hyper::{Response, StatusCode};

const PAGE: &str = include_str!("index.html");

pub fn page() -> Response<Body> {
    response::with_type(
        StatusCode::OK,
        "text/html; charset=utf-8",
        PAGE.as_bytes().to_vec(),
    )
}
