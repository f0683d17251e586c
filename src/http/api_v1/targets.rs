//! `/api/v1/targets` and `/api/v1/targets/metadata`, in Prometheus 3's shapes.

use super::{ApiError, Params, Reply};
use crate::http::AppState;
use crate::scrape::TargetView;
use hyper::StatusCode;
use promql::{Matcher, parse_series_selector};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// Go's zero `time.Time`, which Prometheus shows for a target not scraped yet.
const NEVER: &str = "0001-01-01T00:00:00Z";

pub(super) fn targets(state: &AppState, p: &Params) -> Result<Reply, ApiError> {
    let which = p.nonempty("state").unwrap_or("any").to_ascii_lowercase();
    let (show_active, show_dropped) = match which.as_str() {
        "active" => (true, false),
        "dropped" => (false, true),
        _ => (true, true),
    };
    let pool = p.nonempty("scrapePool");
    let in_pool = |name: &str| pool.is_none_or(|p| p == name);
    let Some(mgr) = state.scrape.get() else {
        return Ok(Reply::json(json!({
            "activeTargets": [], "droppedTargets": [], "droppedTargetCounts": {}
        })));
    };
    let mut active = Vec::new();
    if show_active {
        for t in mgr.active_targets() {
            if in_pool(&t.scrape_pool) {
                active.push(active_json(&t));
            }
        }
    }
    let mut dropped = Vec::new();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    if show_dropped {
        for d in mgr.dropped_targets() {
            if !in_pool(&d.scrape_pool) {
                continue;
            }
            *counts.entry(d.scrape_pool.clone()).or_default() += 1;
            dropped.push(json!({
                "discoveredLabels": d.discovered,
                "scrapePool": d.scrape_pool,
            }));
        }
        for t in mgr.active_targets() {
            if in_pool(&t.scrape_pool) {
                counts.entry(t.scrape_pool.clone()).or_default();
            }
        }
    }
    let mut data = Map::new();
    data.insert("activeTargets".into(), Value::Array(active));
    data.insert("droppedTargets".into(), Value::Array(dropped));
    if show_dropped {
        data.insert("droppedTargetCounts".into(), json!(counts));
    }
    Ok(Reply::json(Value::Object(data)))
}

fn active_json(t: &TargetView) -> Value {
    let h = t.state.health.lock().map(|h| h.clone()).unwrap_or_default();
    json!({
        "discoveredLabels": t.discovered,
        "labels": t.labels,
        "scrapePool": t.scrape_pool,
        "scrapeUrl": t.scrape_url,
        "globalUrl": t.scrape_url,
        "lastError": h.last_error,
        "lastScrape": h.last_scrape.map_or_else(|| NEVER.to_string(), rfc3339),
        "lastScrapeDuration": h.last_duration.as_secs_f64(),
        "health": h.health.as_str(),
        "scrapeInterval": crate::promconfig::PromDuration(t.interval).to_string(),
        "scrapeTimeout": crate::promconfig::PromDuration(t.timeout).to_string(),
    })
}

/// `2026-11-22T07:30:15.123Z`: Go's RFC 3339 with nanoseconds, trailing zeros trimmed.
pub(super) fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, dd) = civil_from_days(days);
    let mut out = format!(
        "{y:04}-{m:02}-{dd:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    let nanos = d.subsec_nanos();
    if nanos > 0 {
        let frac = format!("{nanos:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

pub(super) fn metadata(state: &AppState, p: &Params) -> Result<Reply, ApiError> {
    let limit = match p.nonempty("limit") {
        None => usize::MAX,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n < 0 => usize::MAX,
            Ok(n) => n as usize,
            Err(_) => return Err(ApiError::bad("limit must be a number")),
        },
    };
    let selector: Vec<Vec<Matcher>> = match p.nonempty("match_target") {
        Some(s) => parse_series_selector(s).map_err(|e| ApiError::bad(e.to_string()))?,
        None => Vec::new(),
    };
    let metric = p.nonempty("metric");
    let mut out = Vec::new();
    if let Some(mgr) = state.scrape.get() {
        for t in mgr.active_targets() {
            if out.len() >= limit {
                break;
            }
            let matches = selector.is_empty()
                || selector.iter().any(|alt| {
                    alt.iter()
                        .all(|m| m.matches(t.labels.get(&m.name).map_or("", String::as_str)))
                });
            if !matches {
                continue;
            }
            let meta = t
                .state
                .metadata
                .lock()
                .map(|m| m.clone())
                .unwrap_or_default();
            let mut names: Vec<&String> = meta.keys().collect();
            names.sort();
            for name in names {
                if out.len() >= limit {
                    break;
                }
                if metric.is_some_and(|m| m != name) {
                    continue;
                }
                let md = &meta[name];
                let mut entry = Map::new();
                entry.insert("target".into(), json!(t.labels));
                if metric.is_none() {
                    entry.insert("metric".into(), json!(name));
                }
                entry.insert("type".into(), json!(md.metric_type));
                entry.insert("help".into(), json!(md.help));
                entry.insert("unit".into(), json!(md.unit));
                out.push(Value::Object(entry));
            }
        }
    }
    if out.is_empty() {
        return Err(ApiError {
            status: StatusCode::NOT_FOUND,
            kind: "not_found",
            msg: "specified metadata not found".into(),
        });
    }
    Ok(Reply::json(Value::Array(out)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_go_prints_them() {
        let t = UNIX_EPOCH + std::time::Duration::from_millis(1_795_000_000_123);
        assert_eq!(rfc3339(t), "2026-11-18T11:06:40.123Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
    }
}
