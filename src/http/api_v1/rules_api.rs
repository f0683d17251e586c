//! `/api/v1/rules` and `/api/v1/alerts`, in Prometheus 3's shapes.

use super::{ApiError, Params, Reply};
use crate::http::AppState;
use crate::rules::alerting::{Alert, AlertState};
use crate::rules::file::RuleKind;
use crate::rules::{GroupState, RuleState};
use serde_json::{Map, Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Go's zero `time.Time`, shown for what has not been evaluated yet.
const NEVER: &str = "0001-01-01T00:00:00Z";

pub(super) fn rules(state: &AppState, p: &Params) -> Result<Reply, ApiError> {
    let kind = p.nonempty("type").map(str::to_ascii_lowercase);
    let (want_alert, want_record) = match kind.as_deref() {
        None => (true, true),
        Some("alert") => (true, false),
        Some("record") => (false, true),
        Some(other) => {
            return Err(ApiError::bad(format!(
                "invalid query parameter type='{other}'"
            )));
        }
    };
    let exclude_alerts = p
        .nonempty("exclude_alerts")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let names: Vec<&str> = p.all("rule_name[]").collect();
    let group_names: Vec<&str> = p.all("rule_group[]").collect();
    let files: Vec<&str> = p.all("file[]").collect();
    let mut groups = Vec::new();
    let all = state.rules.get().map(|m| m.groups()).unwrap_or_default();
    for g in all {
        if !group_names.is_empty() && !group_names.contains(&g.group.name.as_str()) {
            continue;
        }
        if !files.is_empty() && !files.contains(&g.file.as_str()) {
            continue;
        }
        let rules = g.rules.lock().map(|r| r.clone()).unwrap_or_default();
        let mut out = Vec::new();
        for r in &rules {
            if !names.is_empty() && !names.contains(&r.name()) {
                continue;
            }
            match &r.rule.kind {
                RuleKind::Alerting { .. } if want_alert => {
                    out.push(alerting_json(&g, r, exclude_alerts));
                }
                RuleKind::Recording { .. } if want_record => out.push(recording_json(r)),
                _ => {}
            }
        }
        // A group whose rules were all filtered out is left out, as Prometheus does when
        // filters are given.
        if out.is_empty() && (kind.is_some() || !names.is_empty()) {
            continue;
        }
        groups.push(group_json(&g, out));
    }
    Ok(Reply::json(json!({ "groups": groups })))
}

pub(super) fn alerts(state: &AppState) -> Result<Reply, ApiError> {
    let mut out = Vec::new();
    for g in state.rules.get().map(|m| m.groups()).unwrap_or_default() {
        let rules = g.rules.lock().map(|r| r.clone()).unwrap_or_default();
        for r in &rules {
            out.extend(active_alerts(r).iter().map(alert_json));
        }
    }
    Ok(Reply::json(json!({ "alerts": out })))
}

fn group_json(g: &GroupState, rules: Vec<Value>) -> Value {
    let last = g.last_evaluation.lock().ok().and_then(|l| *l);
    let took = g.evaluation_time.lock().map(|d| *d).unwrap_or_default();
    json!({
        "name": g.group.name,
        "file": g.file,
        "rules": rules,
        "interval": go_number(g.interval.as_secs_f64()),
        "limit": g.group.limit,
        "evaluationTime": go_number(took.as_secs_f64()),
        "lastEvaluation": last.map_or_else(|| NEVER.to_string(), rfc3339),
    })
}

/// Pending and firing alerts (resolved ones are kept internally for re-sending only).
fn active_alerts(r: &RuleState) -> Vec<Alert> {
    let mut v: Vec<Alert> = r
        .alerts
        .active
        .values()
        .filter(|a| a.state != AlertState::Inactive)
        .cloned()
        .collect();
    v.sort_by(|a, b| a.labels.cmp(&b.labels));
    v
}

fn alert_json(a: &Alert) -> Value {
    let mut m = Map::new();
    m.insert("labels".into(), json!(a.labels));
    m.insert("annotations".into(), json!(a.annotations));
    m.insert("state".into(), json!(a.state.as_str()));
    m.insert("activeAt".into(), json!(rfc3339(ms_time(a.active_at))));
    if a.keep_firing_since != 0 {
        m.insert(
            "keepFiringSince".into(),
            json!(rfc3339(ms_time(a.keep_firing_since))),
        );
    }
    m.insert("value".into(), json!(go_float_e(a.value)));
    Value::Object(m)
}

fn alerting_json(_g: &GroupState, r: &RuleState, exclude_alerts: bool) -> Value {
    let RuleKind::Alerting {
        for_,
        keep_firing_for,
        annotations,
        ..
    } = &r.rule.kind
    else {
        return Value::Null;
    };
    let alerts: Vec<Value> = if exclude_alerts {
        Vec::new()
    } else {
        active_alerts(r).iter().map(alert_json).collect()
    };
    let mut m = Map::new();
    m.insert("state".into(), json!(r.alerts.state().as_str()));
    m.insert("name".into(), json!(r.name()));
    m.insert("query".into(), json!(r.rule.expr));
    m.insert("duration".into(), go_number(for_.as_secs_f64()));
    m.insert(
        "keepFiringFor".into(),
        go_number(keep_firing_for.as_secs_f64()),
    );
    m.insert("labels".into(), json!(r.rule.labels));
    m.insert("annotations".into(), json!(annotations));
    m.insert("alerts".into(), json!(alerts));
    common(&mut m, r, "alerting");
    Value::Object(m)
}

fn recording_json(r: &RuleState) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(r.name()));
    m.insert("query".into(), json!(r.rule.expr));
    // `omitempty` in Prometheus's type for recording rules (not for alerting rules).
    if !r.rule.labels.is_empty() {
        m.insert("labels".into(), json!(r.rule.labels));
    }
    common(&mut m, r, "recording");
    Value::Object(m)
}

fn common(m: &mut Map<String, Value>, r: &RuleState, kind: &str) {
    m.insert("health".into(), json!(r.health.as_str()));
    if !r.last_error.is_empty() {
        m.insert("lastError".into(), json!(r.last_error));
    }
    m.insert(
        "evaluationTime".into(),
        json!(r.evaluation_time.as_secs_f64()),
    );
    m.insert(
        "lastEvaluation".into(),
        json!(r.last_evaluation.map_or_else(|| NEVER.to_string(), rfc3339)),
    );
    m.insert("type".into(), json!(kind));
}

/// A float as Go's `encoding/json` writes it: whole numbers without a fraction (`5`, not
/// `5.0`).
fn go_number(f: f64) -> Value {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        json!(f as i64)
    } else {
        json!(f)
    }
}

fn ms_time(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64)
}

fn rfc3339(t: SystemTime) -> String {
    super::targets::rfc3339(t)
}

/// Go's `strconv.FormatFloat(v, 'e', -1, 64)`: `1e+00`, `2.5e-01`, `NaN`, `+Inf`.
pub(super) fn go_float_e(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let s = format!("{v:e}");
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_go_encodes_them() {
        assert_eq!(go_number(5.0).to_string(), "5");
        assert_eq!(go_number(0.0).to_string(), "0");
        assert_eq!(go_number(0.25).to_string(), "0.25");
    }

    #[test]
    fn alert_values_read_as_go_prints_them() {
        assert_eq!(go_float_e(1.0), "1e+00");
        assert_eq!(go_float_e(0.25), "2.5e-01");
        assert_eq!(go_float_e(-1234.5), "-1.2345e+03");
        assert_eq!(go_float_e(1e100), "1e+100");
        assert_eq!(go_float_e(0.0), "0e+00");
        assert_eq!(go_float_e(f64::NAN), "NaN");
    }
}
