//! `/metrics`, `/-/ready` and `/api/v1/metadata`.

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

/// Splits an `application/x-www-form-urlencoded` query string.
fn form_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_query_strings() {
        assert_eq!(
            form_pairs("metric=node%5Fcpu&limit=2&x=a+b&bad=%zz&end=%4"),
            vec![
                ("metric".to_string(), "node_cpu".to_string()),
                ("limit".to_string(), "2".to_string()),
                ("x".to_string(), "a b".to_string()),
                ("bad".to_string(), "%zz".to_string()),
                ("end".to_string(), "%4".to_string()),
            ]
        );
    }
}
