//! The HTTP server: the Prometheus query API, remote write and read, Strata's own metrics,
//! health and readiness, and a small query page.
//!
//! Handlers parse the request, hand decoding and storage work to blocking threads (a WAL
//! commit may fsync), and answer in each protocol's own terms.

mod api_v1;
mod influx;
mod remote_read;
mod remote_write;
mod response;
mod status;
mod web;

use crate::metrics::Metrics;
use crate::tsdb::Db;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tracing::debug;

pub type Body = Full<Bytes>;

/// What every handler shares. The database is set once the WAL has been replayed; until then
/// the server answers `/-/ready` and writes with 503.
#[derive(Debug)]
pub struct AppState {
    pub db: OnceLock<Arc<Db>>,
    pub metrics: Arc<Metrics>,
    pub max_request_bytes: usize,
    pub limits: ::remote_write::Limits,
    pub api: ApiOptions,
    /// Databases announced through the Influx `/query` endpoint.
    pub influx: influx::InfluxState,
    /// The scrape manager, once storage is open.
    pub scrape: OnceLock<Arc<crate::scrape::ScrapeManager>>,
    /// The rule manager, once storage is open.
    pub rules: OnceLock<Arc<crate::rules::RuleManager>>,
    /// Sends alerts to Alertmanager.
    pub notifier: OnceLock<Arc<crate::notifier::Notifier>>,
    /// Applies `POST /-/reload`.
    pub reloader: OnceLock<Arc<crate::reload::Reloader>>,
    /// The configuration in force, as `/api/v1/status/config` shows it.
    pub config_text: std::sync::RwLock<String>,
    /// One permit per query allowed to run at once (`--query.max-concurrency`); queries beyond
    /// that wait for a permit until their deadline.
    query_slots: Arc<Semaphore>,
    started: SystemTime,
}

/// Settings of the query API, from the command line.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    /// Lookback delta, sample limit, timeout and feature gates of every query.
    pub engine: promql::EngineOptions,
    /// Most queries evaluated at once.
    pub max_concurrency: usize,
    /// `--web.enable-admin-api`: serve the TSDB admin endpoints.
    pub enable_admin: bool,
    /// `--web.enable-lifecycle`: serve `/-/reload` (and `/-/quit`).
    pub enable_lifecycle: bool,
    /// Every flag and its value, for `/api/v1/status/flags`.
    pub flags: BTreeMap<String, String>,
    /// The text of the loaded configuration file, for `/api/v1/status/config`.
    pub config_yaml: Option<String>,
    /// How retention reads in `/api/v1/status/runtimeinfo` (`15d`, `15d or 512MiB`).
    pub storage_retention: String,
}

impl Default for ApiOptions {
    fn default() -> Self {
        ApiOptions {
            engine: promql::EngineOptions::default(),
            max_concurrency: 20,
            enable_admin: false,
            enable_lifecycle: false,
            flags: BTreeMap::new(),
            config_yaml: None,
            storage_retention: "15d".into(),
        }
    }
}

impl AppState {
    pub fn new(metrics: Arc<Metrics>, max_request_bytes: usize) -> Self {
        Self::with_api(metrics, max_request_bytes, ApiOptions::default())
    }

    pub fn with_api(metrics: Arc<Metrics>, max_request_bytes: usize, api: ApiOptions) -> Self {
        AppState {
            db: OnceLock::new(),
            metrics,
            max_request_bytes,
            limits: ::remote_write::Limits::default(),
            query_slots: Arc::new(Semaphore::new(api.max_concurrency.max(1))),
            config_text: std::sync::RwLock::new(api.config_yaml.clone().unwrap_or_default()),
            scrape: OnceLock::new(),
            rules: OnceLock::new(),
            notifier: OnceLock::new(),
            reloader: OnceLock::new(),
            api,
            started: SystemTime::now(),
            influx: influx::InfluxState::default(),
        }
    }

    fn db(&self) -> Option<Arc<Db>> {
        self.db.get().cloned()
    }
}

/// How long a client may take to send its headers or its body.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Accepts connections until the listener fails; each connection is served on its own task.
pub async fn serve(listener: TcpListener, state: Arc<AppState>) -> std::io::Result<()> {
    loop {
        let (stream, peer) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| route(state.clone(), req));
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(READ_TIMEOUT)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), svc);
            if let Err(e) = conn.await {
                debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
}

async fn route(
    state: Arc<AppState>,
    req: Request<Incoming>,
) -> Result<Response<Body>, std::convert::Infallible> {
    let path = req.uri().path().to_string();
    if path.starts_with("/api/v1/")
        && !matches!(
            path.as_str(),
            "/api/v1/write" | "/api/v1/read" | "/api/v1/metadata"
        )
    {
        if let Some(resp) = api_v1::handle(&state, req).await {
            return Ok(resp);
        }
        return Ok(response::api_error(
            StatusCode::NOT_FOUND,
            "bad_data",
            &format!("unknown API endpoint {path}"),
        ));
    }
    let resp = match (req.method(), path.as_str()) {
        (&Method::POST, "/api/v1/write") => remote_write::handle(state, req).await,
        (&Method::POST, "/write") => influx::write_v1(state, req).await,
        (&Method::POST, "/api/v2/write") => influx::write_v2(state, req).await,
        (&Method::GET | &Method::HEAD, "/ping") => influx::ping(req.uri().query()),
        (&Method::GET | &Method::POST, "/query") => influx::query(state, req).await,
        (&Method::POST, "/api/v1/read") => remote_read::handle(state, req).await,
        (&Method::GET, "/metrics") => status::metrics(&state),
        (&Method::GET | &Method::HEAD, "/-/healthy") => {
            response::text(StatusCode::OK, "Strata is Healthy.\n")
        }
        (&Method::GET | &Method::HEAD, "/-/ready") => status::ready(&state),
        (&Method::POST | &Method::PUT, "/-/reload") => status::reload(&state).await,
        (&Method::GET, "/api/v1/metadata") => status::metadata(&state, req.uri().query()),
        (&Method::GET | &Method::HEAD, "/" | "/graph") => web::page(),
        (
            _,
            "/api/v1/write" | "/api/v1/read" | "/metrics" | "/-/healthy" | "/-/ready" | "/-/reload",
        ) => response::text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n"),
        _ => response::text(StatusCode::NOT_FOUND, "404 page not found\n"),
    };
    Ok(resp)
}

/// Why a request body could not be read.
enum BodyError {
    TooLarge,
    Failed(String),
}

/// Reads the whole body, refusing more than `limit` bytes and slow senders.
async fn read_body(req: Request<Incoming>, limit: usize) -> Result<Bytes, BodyError> {
    if let Some(len) = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > limit as u64 {
            return Err(BodyError::TooLarge);
        }
    }
    let collected =
        tokio::time::timeout(READ_TIMEOUT, Limited::new(req.into_body(), limit).collect()).await;
    match collected {
        Err(_) => Err(BodyError::Failed(
            "timed out reading the request body".into(),
        )),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(BodyError::TooLarge),
        Ok(Err(e)) => Err(BodyError::Failed(e.to_string())),
        Ok(Ok(c)) => Ok(c.to_bytes()),
    }
}

fn header(req: &Request<Incoming>, name: hyper::header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}
