//! An alert as the notifier carries it, its relabeling, and its JSON form in Alertmanager's
//! API v2 (`PostableAlert`).

use crate::promconfig::RelabelConfig;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// One alert to send: what the rules engine produces for a firing or resolved alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Identity; at least `alertname`.
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub starts_at: SystemTime,
    /// `None` sends Go's zero time, which Alertmanager reads as "not set".
    pub ends_at: Option<SystemTime>,
    pub generator_url: String,
}

/// Adds the external labels an alert lacks (its own win), then applies `rules`; `None` when
/// the rules drop it. As Prometheus's `relabelAlerts`.
pub(super) fn relabel(
    alert: &Alert,
    external: &BTreeMap<String, String>,
    rules: &[RelabelConfig],
) -> Option<Alert> {
    let mut labels = alert.labels.clone();
    for (k, v) in external {
        if labels.get(k).is_none_or(String::is_empty) {
            labels.insert(k.clone(), v.clone());
        }
    }
    if !crate::promconfig::relabel::process(&mut labels, rules) {
        return None;
    }
    Some(Alert {
        labels,
        ..alert.clone()
    })
}

/// The JSON array body of `POST /api/v2/alerts`, with the fields Prometheus fills and its
/// omissions (no `annotations` when empty, no `generatorURL` when empty).
pub(super) fn encode(alerts: &[Alert]) -> Vec<u8> {
    let items: Vec<Value> = alerts
        .iter()
        .map(|a| {
            let mut m = Map::new();
            if !a.annotations.is_empty() {
                m.insert("annotations".into(), label_set(&a.annotations));
            }
            m.insert(
                "endsAt".into(),
                Value::String(
                    a.ends_at
                        .map_or_else(|| GO_ZERO_TIME.to_string(), rfc3339_millis),
                ),
            );
            m.insert(
                "startsAt".into(),
                Value::String(rfc3339_millis(a.starts_at)),
            );
            if !a.generator_url.is_empty() {
                m.insert(
                    "generatorURL".into(),
                    Value::String(a.generator_url.clone()),
                );
            }
            m.insert("labels".into(), label_set(&a.labels));
            Value::Object(m)
        })
        .collect();
    serde_json::to_vec(&items).unwrap_or_else(|_| b"[]".to_vec())
}

fn label_set(m: &BTreeMap<String, String>) -> Value {
    Value::Object(
        m.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// Go's zero `time.Time` in the same layout.
const GO_ZERO_TIME: &str = "0001-01-01T00:00:00.000Z";

/// `2026-11-22T07:30:15.123Z`: go-openapi's `DateTime` layout (RFC 3339, always three
/// fractional digits, truncated), in UTC.
pub(super) fn rfc3339_millis(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, dd) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{dd:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_millis()
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn times_use_go_openapi_layout() {
        let t = UNIX_EPOCH + Duration::from_millis(1_795_000_000_123) + Duration::from_nanos(999);
        assert_eq!(rfc3339_millis(t), "2026-11-18T11:06:40.123Z");
        assert_eq!(rfc3339_millis(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339_millis(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn body_has_prometheus_fields_and_omissions() {
        let a = Alert {
            labels: BTreeMap::from([("alertname".into(), "Up".into())]),
            annotations: BTreeMap::new(),
            starts_at: UNIX_EPOCH,
            ends_at: None,
            generator_url: String::new(),
        };
        let body: Value = serde_json::from_slice(&encode(&[a])).expect("json");
        assert_eq!(
            body,
            serde_json::json!([{
                "labels": {"alertname": "Up"},
                "startsAt": "1970-01-01T00:00:00.000Z",
                "endsAt": "0001-01-01T00:00:00.000Z",
            }])
        );
    }

    #[test]
    fn external_labels_fill_gaps_and_relabeling_drops() {
        let a = Alert {
            labels: BTreeMap::from([
                ("alertname".into(), "X".into()),
                ("dc".into(), "own".into()),
            ]),
            annotations: BTreeMap::new(),
            starts_at: UNIX_EPOCH,
            ends_at: None,
            generator_url: String::new(),
        };
        let ext = BTreeMap::from([
            ("dc".to_string(), "ext".to_string()),
            ("replica".to_string(), "r1".to_string()),
        ]);
        let out = relabel(&a, &ext, &[]).expect("kept");
        assert_eq!(out.labels.get("dc").map(String::as_str), Some("own"));
        assert_eq!(out.labels.get("replica").map(String::as_str), Some("r1"));
        let drop: Vec<RelabelConfig> =
            serde_yaml_ng::from_str("- {source_labels: [replica], regex: r1, action: drop}")
                .expect("rule");
        drop[0].validate(false).expect("valid");
        assert_eq!(relabel(&a, &ext, &drop), None);
    }
}
