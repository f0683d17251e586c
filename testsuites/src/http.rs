//! A small blocking HTTP client over `ureq`: statuses are returned, not raised, so suites can
//! assert on 204 vs 400 vs 5xx; transport failures (refused, reset, timeout) are errors.

use std::time::Duration;

use crate::{Result, fail};

/// Largest response body read (remote read responses of a whole suite fit well below this).
const MAX_BODY: u64 = 1 << 30;

/// One HTTP response.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The `Content-Encoding` header, if any.
    pub content_encoding: Option<String>,
    /// The `X-Prometheus-Remote-Write-Samples-Written` header (remote write 2.0), if any.
    pub samples_written: Option<String>,
    /// The whole body.
    pub body: Vec<u8>,
}

impl Reply {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as text (lossy), cut to `max` characters for messages.
    pub fn text(&self, max: usize) -> String {
        let s = String::from_utf8_lossy(&self.body);
        if s.chars().count() > max {
            format!("{}…", s.chars().take(max).collect::<String>())
        } else {
            s.into_owned()
        }
    }
}

/// A client with one overall timeout per request and no proxy (everything is on 127.0.0.1).
#[derive(Debug, Clone)]
pub struct Http {
    agent: ureq::Agent,
}

impl Http {
    /// A client whose requests each give up after `timeout`.
    pub fn new(timeout: Duration) -> Self {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(timeout))
            .timeout_connect(Some(Duration::from_secs(5)))
            .build();
        Http {
            agent: ureq::Agent::new_with_config(config),
        }
    }

    /// `GET url?query`.
    pub fn get(&self, url: &str, query: &[(&str, &str)]) -> Result<Reply> {
        let mut req = self.agent.get(url);
        for (k, v) in query {
            req = req.query(*k, *v);
        }
        finish(url, req.call())
    }

    /// `POST url` with a raw body and extra headers.
    pub fn post(&self, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<Reply> {
        let mut req = self.agent.post(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        finish(url, req.send(body))
    }

    /// `POST url` with an `application/x-www-form-urlencoded` body (Prometheus API queries).
    pub fn post_form(&self, url: &str, form: &[(&str, &str)]) -> Result<Reply> {
        finish(url, self.agent.post(url).send_form(form.iter().copied()))
    }

    /// `GET url` expecting 200, returning the body as text.
    pub fn get_text(&self, url: &str) -> Result<String> {
        let r = self.get(url, &[])?;
        if r.status != 200 {
            return Err(fail!("GET {url}: status {} body {}", r.status, r.text(300)));
        }
        String::from_utf8(r.body).map_err(|_| fail!("GET {url}: body is not UTF-8"))
    }
}

fn finish(url: &str, res: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<Reply> {
    let mut resp = res.map_err(|e| fail!("request to {url} failed: {e}"))?;
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    };
    let content_type = header("content-type");
    let content_encoding = header("content-encoding");
    let samples_written = header("x-prometheus-remote-write-samples-written");
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_vec()
        .map_err(|e| fail!("reading response body from {url}: {e}"))?;
    Ok(Reply {
        status,
        content_type,
        content_encoding,
        samples_written,
        body,
    })
}
