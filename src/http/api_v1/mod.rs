//! The Prometheus HTTP API under `/api/v1/`: queries (`query`, `query_range`, `format_query`,
//! `query_exemplars`), metadata (`series`, `labels`, `label/<name>/values`),
//! status (`status/buildinfo`, `runtimeinfo`, `flags`, `config`, `tsdb`) and the TSDB admin
//! endpoints, with Prometheus's parameters, JSON envelope, error types and status codes.

mod admin;
mod alertmanagers;
mod ast_json;
pub mod params;
mod parse_format;
mod query;
pub(super) mod render;
mod rules_api;
mod series;
mod status_api;
mod targets;

use super::{AppState, Body, BodyError, read_body, response};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use params::{form_pairs, parse_time};
use promql::{Matcher, QueryError, parse_series_selector};
use std::sync::Arc;

/// Parameters of one request, from the query string and a form body together.
#[derive(Debug, Default)]
pub(super) struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A parameter that is absent or empty counts as not given, as Go's `FormValue` does.
    fn nonempty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty())
    }

    fn all(&self, key: &str) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn time(&self, key: &str, default: i64) -> Result<i64, ApiError> {
        match self.nonempty(key) {
            None => Ok(default),
            Some(v) => parse_time(v).map_err(|e| {
                ApiError::bad(format!(
                    "invalid parameter {key:?}: Invalid time value for '{key}': {e}"
                ))
            }),
        }
    }

    /// `limit`: 0 or absent means none.
    fn limit(&self) -> Result<usize, ApiError> {
        match self.nonempty("limit") {
            None => Ok(0),
            Some(v) => match v.parse::<i64>() {
                Ok(n) if n >= 0 => Ok(n as usize),
                Ok(_) => Err(ApiError::bad(
                    "invalid parameter \"limit\": limit must be non-negative",
                )),
                Err(_) => Err(ApiError::bad(format!(
                    "invalid parameter \"limit\": strconv.Atoi: parsing {v:?}: invalid syntax"
                ))),
            },
        }
    }

    /// The `match[]` selectors, each as its alternatives.
    fn selectors(&self) -> Result<Vec<Vec<Matcher>>, ApiError> {
        let mut out = Vec::new();
        for s in self.all("match[]") {
            let groups = parse_series_selector(s)
                .map_err(|e| ApiError::bad(format!("invalid parameter \"match[]\": {e}")))?;
            out.extend(groups);
        }
        Ok(out)
    }
}

/// An error answer: Prometheus's `errorType` and the HTTP status that goes with it.
#[derive(Debug)]
pub(super) struct ApiError {
    status: StatusCode,
    kind: &'static str,
    msg: String,
}

impl ApiError {
    fn bad(msg: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            kind: "bad_data",
            msg: msg.into(),
        }
    }

    fn internal(msg: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            kind: "internal",
            msg: msg.into(),
        }
    }

    fn from_query(e: &QueryError) -> Self {
        ApiError {
            status: StatusCode::from_u16(e.status_code())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            kind: e.error_type(),
            msg: e.to_string(),
        }
    }
}

/// A successful answer: rendered JSON `data` with its annotations, or nothing at all (Prometheus
/// answers 204 when a handler has no data, as the admin endpoints do).
#[derive(Debug)]
pub(super) enum Reply {
    Data {
        data: String,
        warnings: Vec<String>,
        infos: Vec<String>,
    },
    NoContent,
}

impl Reply {
    fn raw(data: String) -> Self {
        Reply::Data {
            data,
            warnings: Vec::new(),
            infos: Vec::new(),
        }
    }

    fn json(v: impl serde::Serialize) -> Self {
        Reply::raw(serde_json::to_string(&v).unwrap_or_else(|_| "null".into()))
    }

    fn with_warnings(mut self, w: Vec<String>) -> Self {
        if let Reply::Data { warnings, .. } = &mut self {
            warnings.extend(w);
        }
        self
    }
}

/// The endpoints this module serves.
#[derive(Debug, Clone)]
enum Endpoint {
    Query,
    QueryRange,
    FormatQuery,
    ParseQuery,
    QueryExemplars,
    Series,
    Labels,
    LabelValues(String),
    BuildInfo,
    RuntimeInfo,
    Flags,
    Config,
    TsdbStatus,
    Targets,
    TargetsMetadata,
    Rules,
    Alerts,
    Alertmanagers,
    DeleteSeries,
    CleanTombstones,
}

impl Endpoint {
    fn of(path: &str) -> Option<Endpoint> {
        Some(match path {
            "/api/v1/query" => Endpoint::Query,
            "/api/v1/query_range" => Endpoint::QueryRange,
            "/api/v1/format_query" => Endpoint::FormatQuery,
            "/api/v1/parse_query" => Endpoint::ParseQuery,
            "/api/v1/query_exemplars" => Endpoint::QueryExemplars,
            "/api/v1/series" => Endpoint::Series,
            "/api/v1/labels" => Endpoint::Labels,
            "/api/v1/status/buildinfo" => Endpoint::BuildInfo,
            "/api/v1/status/runtimeinfo" => Endpoint::RuntimeInfo,
            "/api/v1/status/flags" => Endpoint::Flags,
            "/api/v1/status/config" => Endpoint::Config,
            "/api/v1/status/tsdb" => Endpoint::TsdbStatus,
            "/api/v1/targets" => Endpoint::Targets,
            "/api/v1/rules" => Endpoint::Rules,
            "/api/v1/alerts" => Endpoint::Alerts,
            "/api/v1/alertmanagers" => Endpoint::Alertmanagers,
            "/api/v1/targets/metadata" => Endpoint::TargetsMetadata,
            "/api/v1/admin/tsdb/delete_series" => Endpoint::DeleteSeries,
            "/api/v1/admin/tsdb/clean_tombstones" => Endpoint::CleanTombstones,
            _ => Endpoint::LabelValues(label_values_name(path)?),
        })
    }

    /// The methods Prometheus registers for the endpoint.
    fn allows(&self, m: &Method) -> bool {
        match self {
            Endpoint::BuildInfo
            | Endpoint::RuntimeInfo
            | Endpoint::Flags
            | Endpoint::Config
            | Endpoint::TsdbStatus
            | Endpoint::Targets
            | Endpoint::TargetsMetadata
            | Endpoint::Rules
            | Endpoint::Alerts
            | Endpoint::Alertmanagers => m == Method::GET,
            Endpoint::LabelValues(_) => m == Method::GET,
            Endpoint::DeleteSeries | Endpoint::CleanTombstones => {
                matches!(*m, Method::POST | Method::PUT)
            }
            _ => matches!(*m, Method::GET | Method::POST),
        }
    }

    /// Whether the endpoint reads storage, and so waits for the WAL replay.
    fn needs_db(&self) -> bool {
        matches!(
            self,
            Endpoint::Query
                | Endpoint::QueryRange
                | Endpoint::Series
                | Endpoint::Labels
                | Endpoint::LabelValues(_)
                | Endpoint::TsdbStatus
                | Endpoint::DeleteSeries
                | Endpoint::CleanTombstones
        )
    }

    fn is_admin(&self) -> bool {
        matches!(self, Endpoint::DeleteSeries | Endpoint::CleanTombstones)
    }
}

/// Serves a request under `/api/v1/` that this module knows, or `None`.
pub async fn handle(state: &Arc<AppState>, req: Request<Incoming>) -> Option<Response<Body>> {
    let endpoint = Endpoint::of(req.uri().path())?;
    if !endpoint.allows(req.method()) {
        return Some(response::text(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method Not Allowed\n",
        ));
    }
    if endpoint.is_admin() && !state.api.enable_admin {
        return Some(error(admin::disabled()));
    }
    let db = state.db.get().cloned();
    if endpoint.needs_db() && db.is_none() {
        return Some(response::not_ready());
    }
    let params = match read_params(state, req).await {
        Ok(p) => p,
        Err(e) => return Some(error(e)),
    };
    let result = match (endpoint, db) {
        (Endpoint::Query, Some(db)) => query::instant(state, db, params).await,
        (Endpoint::QueryRange, Some(db)) => query::range(state, db, params).await,
        (Endpoint::Series, Some(db)) => series::handle(db, params, series::Lookup::Series).await,
        (Endpoint::Labels, Some(db)) => {
            series::handle(db, params, series::Lookup::LabelNames).await
        }
        (Endpoint::LabelValues(name), Some(db)) => {
            series::handle(db, params, series::Lookup::LabelValues(name)).await
        }
        (Endpoint::TsdbStatus, Some(db)) => status_api::tsdb(db, &params).await,
        (Endpoint::DeleteSeries, Some(db)) => admin::delete_series(db, params).await,
        (Endpoint::CleanTombstones, Some(db)) => admin::clean_tombstones(db).await,
        (Endpoint::FormatQuery, _) => parse_format::format_query(&params),
        (Endpoint::ParseQuery, _) => parse_format::parse_query(&params),
        (Endpoint::QueryExemplars, _) => status_api::query_exemplars(&params),
        (Endpoint::BuildInfo, _) => Ok(Reply::json(status_api::buildinfo())),
        (Endpoint::RuntimeInfo, db) => Ok(status_api::runtimeinfo(state, db.as_deref())),
        (Endpoint::Flags, _) => Ok(Reply::json(&state.api.flags)),
        (Endpoint::Config, _) => Ok(status_api::config(state)),
        (Endpoint::Targets, _) => targets::targets(state, &params),
        (Endpoint::Rules, _) => rules_api::rules(state, &params),
        (Endpoint::Alerts, _) => rules_api::alerts(state),
        (Endpoint::Alertmanagers, _) => {
            alertmanagers::alertmanagers(state.notifier.get().map(|n| n.as_ref()))
        }
        (Endpoint::TargetsMetadata, _) => targets::metadata(state, &params),
        (_, None) => return Some(response::not_ready()),
    };
    Some(match result {
        Ok(reply) => success(reply),
        Err(e) => error(e),
    })
}

/// The label name of `/api/v1/label/<name>/values`.
fn label_values_name(path: &str) -> Option<String> {
    let name = path
        .strip_prefix("/api/v1/label/")?
        .strip_suffix("/values")?;
    (!name.is_empty() && !name.contains('/')).then(|| params::percent_decode(name))
}

async fn read_params(state: &AppState, req: Request<Incoming>) -> Result<Params, ApiError> {
    let mut pairs = form_pairs(req.uri().query().unwrap_or(""));
    let is_form = req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    // Go's `ParseForm` reads the body of POST, PUT and PATCH; body values come first.
    if matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH) && is_form {
        let body = read_body(req, state.max_request_bytes)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge => ApiError::bad("request body too large"),
                BodyError::Failed(m) => ApiError::bad(m),
            })?;
        let mut body_pairs = form_pairs(&String::from_utf8_lossy(&body));
        body_pairs.extend(pairs);
        pairs = body_pairs;
    }
    Ok(Params(pairs))
}

fn success(reply: Reply) -> Response<Body> {
    match reply {
        Reply::NoContent => response::empty(StatusCode::NO_CONTENT),
        Reply::Data {
            data,
            warnings,
            infos,
        } => response::with_type(
            StatusCode::OK,
            "application/json",
            render::success_envelope(&data, &warnings, &infos).into_bytes(),
        ),
    }
}

fn error(e: ApiError) -> Response<Body> {
    response::api_error(e.status, e.kind, &e.msg)
}
