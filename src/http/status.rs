//! `/metrics`, `/-/ready` and `/api/v1/metadata`.

use super::api_v1::params::form_pairs;
use super::{AppState, Body, response};
use crate::metrics;
use hyper::{Response, StatusCode};

pub fn metrics(state: &AppState) -> Response<Body> {
    let gauges = state.db().map(|db| db.gauges()).unwrap_or_default();
    let text = metrics::render(&state.metrics, &gauges);
    response::with_type(
        StatusCode::OK,
        "text/plain; version=0.0.4; charset=utf-8",
        text.into_bytes(),
    )
}

/// `POST /-/reload`: 200 when the configuration was reloaded, 500 with the reason when it
/// was rejected (the old one stays), 403 without `--web.enable-lifecycle`, as in Prometheus.
pub async fn reload(state: &AppState) -> Response<Body> {
    if !state.api.enable_lifecycle {
        return response::text(StatusCode::FORBIDDEN, "Lifecycle API is not enabled.\n");
    }
    let Some(reloader) = state.reloader.get().cloned() else {
        return response::not_ready();
    };
    match reloader.reload().await {
        Ok(()) => response::text(StatusCode::OK, ""),
        Err(e) => response::text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("failed to reload config: {e}\n"),
        ),
    }
}

pub fn ready(state: &AppState) -> Response<Body> {
    match state.db.get() {
        Some(_) => response::text(StatusCode::OK, "Strata is Ready.\n"),
        None => response::not_ready(),
    }
}

/// Prometheus's `/api/v1/metadata`: `{"metric": [{"type", "help", "unit"}]}`, optionally for
/// one `metric` and at most `limit` families.
pub fn metadata(state: &AppState, query: Option<&str>) -> Response<Body> {
    let Some(db) = state.db() else {
        return response::not_ready();
    };
    let mut metric = None;
    let mut limit = None;
    for (k, v) in form_pairs(query.unwrap_or("")) {
        match k.as_str() {
            "metric" => metric = Some(v),
            "limit" => match v.parse::<i64>() {
                Ok(n) if n > 0 => limit = Some(n as usize),
                Ok(_) => {}
                Err(_) => {
                    return response::api_error(
                        StatusCode::BAD_REQUEST,
                        "bad_data",
                        "limit must be a number",
                    );
                }
            },
            _ => {}
        }
    }
    let all = db.metadata();
    let mut names: Vec<&String> = all
        .keys()
        .filter(|n| metric.as_ref().is_none_or(|m| m == *n))
        .collect();
    names.sort();
    if let Some(l) = limit {
        names.truncate(l);
    }
    let mut data = serde_json::Map::new();
    for n in names {
        let m = &all[n];
        data.insert(
            n.clone(),
            serde_json::json!([{"type": m.metric_type, "help": m.help, "unit": m.unit}]),
        );
    }
    let body = serde_json::json!({"status": "success", "data": data});
    response::with_type(
        StatusCode::OK,
        "application/json",
        body.to_string().into_bytes(),
    )
}
