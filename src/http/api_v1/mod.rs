//! The metadata part of the Prometheus HTTP API: `/api/v1/series`, `/api/v1/labels`,
//! `/api/v1/label/<name>/values` and `/api/v1/status/buildinfo`, with Prometheus's parameters
//! (`match[]`, `start`, `end`, `limit`), JSON envelope and error types. Query evaluation
//! (`/api/v1/query*`) arrives with the PromQL engine.

pub mod params;

use super::{AppState, Body, BodyError, read_body, response};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use params::{MAX_TIME, MIN_TIME, form_pairs, parse_time};
use promql::storage::Querier;
use promql::{Matcher, parse_series_selector};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Parameters of one request, from the query string and a form body together.
#[derive(Debug, Default)]
struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, key: &str) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn time(&self, key: &str, default: i64) -> Result<i64, ApiError> {
        match self.get(key) {
            None | Some("") => Ok(default),
            Some(v) => {
                parse_time(v).map_err(|e| ApiError::bad(format!("invalid parameter {key:?}: {e}")))
            }
        }
    }

    /// `limit`: 0 or absent means none.
    fn limit(&self) -> Result<usize, ApiError> {
        match self.get("limit") {
            None | Some("") => Ok(0),
            Some(v) => v.parse::<usize>().map_err(|_| {
                ApiError::bad(format!(
                    "invalid parameter \"limit\": cannot parse {v:?} to a valid limit"
                ))
            }),
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

#[derive(Debug)]
struct ApiError {
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
}

/// Serves a request under `/api/v1/` that this module knows, or `None`.
pub async fn handle(state: &Arc<AppState>, req: Request<Incoming>) -> Option<Response<Body>> {
    let path = req.uri().path().to_string();
    let known = matches!(
        path.as_str(),
        "/api/v1/series" | "/api/v1/labels" | "/api/v1/status/buildinfo"
    ) || label_values_name(&path).is_some();
    if !known {
        return None;
    }
    if !matches!(*req.method(), Method::GET | Method::POST) {
        return Some(response::api_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "bad_data",
            "method not allowed",
        ));
    }
    if path == "/api/v1/status/buildinfo" {
        return Some(success(buildinfo(), Vec::new()));
    }
    let Some(db) = state.db.get().cloned() else {
        return Some(response::not_ready());
    };
    let params = match read_params(state, req).await {
        Ok(p) => p,
        Err(e) => return Some(error(e)),
    };
    let result = tokio::task::spawn_blocking(move || -> Result<(Value, Vec<String>), ApiError> {
        let start = params.time("start", MIN_TIME)?;
        let end = params.time("end", MAX_TIME)?;
        if end < start {
            return Err(ApiError::bad(
                "invalid parameter \"end\": end timestamp must not be before start time",
            ));
        }
        let limit = params.limit()?;
        let selectors = params.selectors()?;
        let q = db.db_querier(start, end);
        let storage = |e: promql::StorageError| ApiError::internal(e.to_string());
        if path == "/api/v1/series" {
            if selectors.is_empty() {
                return Err(ApiError::bad("no match[] parameter provided"));
            }
            let mut all = BTreeSet::new();
            for m in &selectors {
                all.extend(q.series_labels(start, end, m).map_err(storage)?);
            }
            let series: Vec<Value> = all
                .iter()
                .map(|l| {
                    Value::Object(
                        l.iter()
                            .map(|l| (l.name.clone(), Value::String(l.value.clone())))
                            .collect(),
                    )
                })
                .collect();
            return Ok(truncate(series, limit));
        }
        let names: Vec<String> = if path == "/api/v1/labels" {
            union(&selectors, |m| q.label_names(m)).map_err(storage)?
        } else {
            let name = label_values_name(&path).unwrap_or_default();
            union(&selectors, |m| q.label_values(&name, m)).map_err(storage)?
        };
        Ok(truncate(
            names.into_iter().map(Value::String).collect(),
            limit,
        ))
    })
    .await;
    Some(match result {
        Ok(Ok((data, warnings))) => success(data, warnings),
        Ok(Err(e)) => error(e),
        Err(e) => error(ApiError::internal(e.to_string())),
    })
}

/// The label name of `/api/v1/label/<name>/values`.
fn label_values_name(path: &str) -> Option<String> {
    let name = path
        .strip_prefix("/api/v1/label/")?
        .strip_suffix("/values")?;
    (!name.is_empty() && !name.contains('/')).then(|| params::percent_decode(name))
}

/// Label names or values over the union of the selectors (all series when there are none).
fn union(
    selectors: &[Vec<Matcher>],
    f: impl Fn(&[Matcher]) -> Result<Vec<String>, promql::StorageError>,
) -> Result<Vec<String>, promql::StorageError> {
    if selectors.is_empty() {
        return f(&[]);
    }
    let mut all = BTreeSet::new();
    for m in selectors {
        all.extend(f(m)?);
    }
    Ok(all.into_iter().collect())
}

fn truncate(mut items: Vec<Value>, limit: usize) -> (Value, Vec<String>) {
    let mut warnings = Vec::new();
    if limit > 0 && items.len() > limit {
        items.truncate(limit);
        warnings.push("results truncated due to limit".to_string());
    }
    (Value::Array(items), warnings)
}

async fn read_params(state: &AppState, req: Request<Incoming>) -> Result<Params, ApiError> {
    let mut pairs = form_pairs(req.uri().query().unwrap_or(""));
    let is_form = req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if req.method() == Method::POST && is_form {
        let body = read_body(req, state.max_request_bytes)
            .await
            .map_err(|e| match e {
                BodyError::TooLarge => ApiError::bad("request body too large"),
                BodyError::Failed(m) => ApiError::bad(m),
            })?;
        pairs.extend(form_pairs(&String::from_utf8_lossy(&body)));
    }
    Ok(Params(pairs))
}

fn buildinfo() -> Value {
    json!({
        "version": env!("CARGO_PKG_VERSION"),
        "revision": "",
        "branch": "",
        "buildUser": "",
        "buildDate": "",
        "goVersion": "",
    })
}

fn success(data: Value, warnings: Vec<String>) -> Response<Body> {
    let mut body = json!({"status": "success", "data": data});
    if !warnings.is_empty() {
        body["warnings"] = json!(warnings);
    }
    response::with_type(
        StatusCode::OK,
        "application/json",
        body.to_string().into_bytes(),
    )
}

fn error(e: ApiError) -> Response<Body> {
    response::api_error(e.status, e.kind, &e.msg)
}
