//! Fetches one target's exposition over HTTP(S): content negotiation, gzip, auth, TLS, the
//! scrape timeout and the body size limit, with errors worded as Prometheus words them.

use crate::promconfig::{ScrapeConfig, ScrapeProtocol};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::header::{self, HeaderValue};
use hyper::{Request, StatusCode, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;

/// Ceiling on a scrape body when `body_size_limit` is 0 ("no limit"): a target cannot make the
/// server buffer more than this, compressed or not.
pub const DEFAULT_BODY_LIMIT: usize = 512 << 20;

/// Redirects followed before giving up, as Go's HTTP client does.
const MAX_REDIRECTS: usize = 10;

#[derive(Debug, Error)]
pub enum FetchError {
    #[error("Get \"{url}\": context deadline exceeded")]
    Timeout { url: String },
    #[error("Get \"{url}\": {reason}")]
    Transport { url: String, reason: String },
    #[error("server returned HTTP status {0}")]
    Status(String),
    #[error("body size limit exceeded")]
    BodyTooLarge,
    #[error("{0}")]
    Config(String),
}

impl FetchError {
    /// The `reason` label of `strata_target_scrapes_failed_total`.
    pub fn reason(&self) -> &'static str {
        match self {
            FetchError::Timeout { .. } => "timeout",
            FetchError::Transport { .. } => "connection",
            FetchError::Status(_) => "http_status",
            FetchError::BodyTooLarge => "body_size_limit",
            FetchError::Config(_) => "client_config",
        }
    }
}

/// The response of a successful scrape.
#[derive(Debug)]
pub struct Fetched {
    /// Decompressed.
    pub body: Vec<u8>,
    pub content_type: String,
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>;

/// One scrape pool's HTTP client: keep-alive connections are shared by its targets.
#[derive(Clone)]
pub struct ScrapeClient {
    client: HttpsClient,
    accept: Arc<str>,
    compression: bool,
    follow_redirects: bool,
    body_limit: usize,
    /// Credentials are read from their files on every scrape, so rotated secrets apply without
    /// a reload (as Prometheus does).
    auth: Arc<dyn Fn() -> Result<Option<String>, String> + Send + Sync>,
    user_agent: Arc<str>,
}

impl std::fmt::Debug for ScrapeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScrapeClient")
            .field("accept", &self.accept)
            .field("compression", &self.compression)
            .field("body_limit", &self.body_limit)
            .finish_non_exhaustive()
    }
}

impl ScrapeClient {
    pub fn new(cfg: &ScrapeConfig, base_dir: &Path) -> Result<ScrapeClient, FetchError> {
        let connector = crate::tls::https_connector(&cfg.http.tls_config, base_dir, cfg.timeout())
            .map_err(FetchError::Config)?;
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(4)
            .build(connector);
        let http_cfg = cfg.http.clone();
        let dir = base_dir.to_path_buf();
        let limit = cfg.body_size_limit.unwrap_or(0);
        Ok(ScrapeClient {
            client,
            accept: accept_header(cfg.scrape_protocols.as_deref().unwrap_or(&[])).into(),
            compression: cfg.enable_compression,
            follow_redirects: cfg.http.follow_redirects,
            body_limit: if limit == 0 {
                DEFAULT_BODY_LIMIT
            } else {
                usize::try_from(limit).unwrap_or(DEFAULT_BODY_LIMIT)
            },
            auth: Arc::new(move || http_cfg.auth_header(&dir)),
            user_agent: format!("Strata/{}", env!("CARGO_PKG_VERSION")).into(),
        })
    }

    /// GETs `url` within `timeout`, following redirects when allowed.
    pub async fn fetch(&self, url: &str, timeout: Duration) -> Result<Fetched, FetchError> {
        match tokio::time::timeout(timeout, self.fetch_inner(url, timeout)).await {
            Ok(r) => r,
            Err(_) => Err(FetchError::Timeout { url: url.into() }),
        }
    }

    async fn fetch_inner(&self, url: &str, timeout: Duration) -> Result<Fetched, FetchError> {
        let auth = (self.auth)().map_err(FetchError::Config)?;
        let mut current = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            let transport = |reason: String| FetchError::Transport {
                url: current.clone(),
                reason,
            };
            let uri: Uri = current.parse().map_err(|e| transport(format!("{e}")))?;
            let mut req = Request::get(uri.clone())
                .header(header::ACCEPT, &*self.accept)
                .header(header::USER_AGENT, &*self.user_agent)
                .header(
                    "X-Prometheus-Scrape-Timeout-Seconds",
                    format!("{}", timeout.as_secs_f64()),
                );
            req = req.header(
                header::ACCEPT_ENCODING,
                if self.compression { "gzip" } else { "identity" },
            );
            if let Some(a) = &auth {
                let v = HeaderValue::from_str(a)
                    .map_err(|_| FetchError::Config("invalid authorization header".into()))?;
                req = req.header(header::AUTHORIZATION, v);
            }
            let req = req
                .body(Empty::new())
                .map_err(|e| transport(e.to_string()))?;
            let resp = self
                .client
                .request(req)
                .await
                .map_err(|e| transport(describe_client_error(&e, &uri)))?;
            let status = resp.status();
            if status.is_redirection() && self.follow_redirects {
                if let Some(loc) = resp
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                {
                    current = resolve_location(&uri, loc);
                    continue;
                }
            }
            if status != StatusCode::OK {
                return Err(FetchError::Status(status_text(status)));
            }
            let content_type = resp
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let gzip = resp
                .headers()
                .get(header::CONTENT_ENCODING)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"));
            let limited = http_body_util::Limited::new(resp.into_body(), self.body_limit);
            let raw = match limited.collect().await {
                Ok(c) => c.to_bytes(),
                Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                    return Err(FetchError::BodyTooLarge);
                }
                Err(e) => return Err(transport(e.to_string())),
            };
            let body = if gzip {
                gunzip(&raw, self.body_limit)?
            } else {
                raw.to_vec()
            };
            return Ok(Fetched { body, content_type });
        }
        Err(FetchError::Transport {
            url: url.into(),
            reason: format!("stopped after {MAX_REDIRECTS} redirects"),
        })
    }
}

/// Decompresses at most `limit` bytes; more is the body size limit, as Prometheus applies it
/// to the decompressed body.
fn gunzip(raw: &[u8], limit: usize) -> Result<Vec<u8>, FetchError> {
    let mut out = Vec::new();
    let mut dec = flate2::read::GzDecoder::new(raw).take(limit as u64 + 1);
    dec.read_to_end(&mut out)
        .map_err(|e| FetchError::Status(format!("gzip: {e}")))?;
    if out.len() > limit {
        return Err(FetchError::BodyTooLarge);
    }
    Ok(out)
}

/// `200 OK`-style status text, as Go's `resp.Status` reads.
fn status_text(s: StatusCode) -> String {
    format!("{} {}", s.as_u16(), s.canonical_reason().unwrap_or(""))
        .trim_end()
        .to_string()
}

/// The innermost cause of a client error, as Go words the common ones ("dial tcp
/// 127.0.0.1:1: connect: connection refused"), so that `lastError` reads as in Prometheus.
fn describe_client_error(e: &hyper_util::client::legacy::Error, uri: &Uri) -> String {
    let mut cur: &dyn std::error::Error = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    let addr = match (uri.host(), uri.port_u16()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) if uri.scheme_str() == Some("https") => format!("{h}:443"),
        (Some(h), None) => format!("{h}:80"),
        _ => String::new(),
    };
    if let Some(io) = cur.downcast_ref::<std::io::Error>() {
        use std::io::ErrorKind as K;
        let what = match io.kind() {
            K::ConnectionRefused => Some("connection refused"),
            K::ConnectionReset => Some("connection reset by peer"),
            K::TimedOut => Some("i/o timeout"),
            K::HostUnreachable => Some("no route to host"),
            K::NetworkUnreachable => Some("network is unreachable"),
            _ => None,
        };
        if let Some(w) = what {
            return format!("dial tcp {addr}: connect: {w}");
        }
    }
    cur.to_string()
}

fn resolve_location(base: &Uri, loc: &str) -> String {
    if loc.starts_with("http://") || loc.starts_with("https://") {
        return loc.to_string();
    }
    let scheme = base.scheme_str().unwrap_or("http");
    let authority = base.authority().map_or("", |a| a.as_str());
    if loc.starts_with('/') {
        format!("{scheme}://{authority}{loc}")
    } else {
        let path = base.path();
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
        format!("{scheme}://{authority}{dir}/{loc}")
    }
}

/// Prometheus 3's `Accept` header for the configured protocols, best first, with falling
/// q-values and a final `*/*`. The protobuf format is not parsed here, so it is never asked
/// for.
pub fn accept_header(protocols: &[ScrapeProtocol]) -> String {
    let mut weight = 6;
    let mut parts = Vec::new();
    for p in protocols {
        let v = match p {
            ScrapeProtocol::OpenMetricsText1_0_0 => {
                "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8"
            }
            ScrapeProtocol::OpenMetricsText0_0_1 => "application/openmetrics-text;version=0.0.1",
            ScrapeProtocol::PrometheusText1_0_0 => "text/plain;version=1.0.0;escaping=allow-utf-8",
            ScrapeProtocol::PrometheusText0_0_4 => "text/plain;version=0.0.4",
            ScrapeProtocol::PrometheusProto => continue,
        };
        parts.push(format!("{v};q=0.{weight}"));
        weight = (weight - 1).max(1);
    }
    parts.push(format!("*/*;q=0.{weight}"));
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_header_follows_prometheus_order() {
        let h = accept_header(&[
            ScrapeProtocol::OpenMetricsText1_0_0,
            ScrapeProtocol::OpenMetricsText0_0_1,
            ScrapeProtocol::PrometheusText1_0_0,
            ScrapeProtocol::PrometheusText0_0_4,
        ]);
        assert_eq!(
            h,
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,\
             application/openmetrics-text;version=0.0.1;q=0.5,\
             text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,\
             text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
        );
        assert_eq!(
            accept_header(&[ScrapeProtocol::PrometheusProto]),
            "*/*;q=0.6"
        );
    }

    #[test]
    fn gzip_is_bounded() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&vec![b'a'; 10_000]).unwrap();
        let gz = enc.finish().unwrap();
        assert_eq!(gunzip(&gz, 10_000).unwrap().len(), 10_000);
        assert!(matches!(gunzip(&gz, 9_999), Err(FetchError::BodyTooLarge)));
    }

    #[test]
    fn redirects_resolve_against_the_request() {
        let base: Uri = "http://h:1/a/metrics".parse().unwrap();
        assert_eq!(resolve_location(&base, "/x"), "http://h:1/x");
        assert_eq!(resolve_location(&base, "y"), "http://h:1/a/y");
        assert_eq!(resolve_location(&base, "https://o/z"), "https://o/z");
    }
}
