//! `/api/v1/status/{buildinfo,runtimeinfo,config,tsdb}` and `/api/v1/query_exemplars` (Strata
//! keeps no exemplars: a valid request finds none).

use super::params::{MAX_TIME, MIN_TIME};
use super::{ApiError, Params, Reply};
use crate::http::AppState;
use crate::tsdb::{Db, TsdbStatus};
use promql::plan::{self, Node, PlanOptions};
use serde::Serialize;
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

/// What Prometheus renders for its default configuration when no file was given.
const DEFAULT_CONFIG: &str =
    "global:\n  scrape_interval: 1m\n  scrape_timeout: 10s\n  evaluation_interval: 1m\n";

pub(super) fn buildinfo() -> Value {
    json!({
        "version": env!("CARGO_PKG_VERSION"),
        "revision": "",
        "branch": "",
        "buildUser": "",
        "buildDate": "",
        "goVersion": "",
    })
}

/// Prometheus's runtime information; the Go runtime's fields get this process's nearest
/// equivalents (threads for goroutines, available cores for `GOMAXPROCS`).
#[derive(Debug, Serialize)]
struct RuntimeInfo {
    #[serde(rename = "startTime")]
    start_time: String,
    #[serde(rename = "CWD")]
    cwd: String,
    hostname: String,
    #[serde(rename = "serverTime")]
    server_time: String,
    #[serde(rename = "reloadConfigSuccess")]
    reload_config_success: bool,
    #[serde(rename = "lastConfigTime")]
    last_config_time: String,
    #[serde(rename = "corruptionCount")]
    corruption_count: i64,
    #[serde(rename = "goroutineCount")]
    goroutine_count: usize,
    #[serde(rename = "GOMAXPROCS")]
    gomaxprocs: usize,
    #[serde(rename = "GOMEMLIMIT")]
    gomemlimit: i64,
    #[serde(rename = "GOGC")]
    gogc: String,
    #[serde(rename = "GODEBUG")]
    godebug: String,
    #[serde(rename = "storageRetention")]
    storage_retention: String,
}

pub(super) fn runtimeinfo(state: &AppState, _db: Option<&Db>) -> Reply {
    let started = rfc3339(state.started);
    Reply::json(RuntimeInfo {
        start_time: started.clone(),
        cwd: std::env::current_dir()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        hostname: std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_default(),
        server_time: rfc3339(SystemTime::now()),
        reload_config_success: true,
        last_config_time: started,
        corruption_count: 0,
        goroutine_count: thread_count(),
        gomaxprocs: std::thread::available_parallelism().map_or(1, |n| n.get()),
        gomemlimit: i64::MAX,
        gogc: String::new(),
        godebug: String::new(),
        storage_retention: state.api.storage_retention.clone(),
    })
}

fn thread_count() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Threads:"))
                .and_then(|n| n.trim().parse().ok())
        })
        .unwrap_or(0)
}

pub(super) fn config(state: &AppState) -> Reply {
    let text = state
        .config_text
        .read()
        .map(|t| t.clone())
        .unwrap_or_default();
    let yaml = if text.is_empty() {
        DEFAULT_CONFIG
    } else {
        &text
    };
    Reply::json(json!({ "yaml": yaml }))
}

/// Head cardinality statistics in Prometheus's shape; `limit` (default 10) entries per list.
pub(super) async fn tsdb(db: std::sync::Arc<Db>, p: &Params) -> Result<Reply, ApiError> {
    let limit = match p.nonempty("limit") {
        None => 10,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 1 => usize::try_from(n).unwrap_or(usize::MAX),
            _ => return Err(ApiError::bad("limit must be a positive number")),
        },
    };
    let status = tokio::task::spawn_blocking(move || db.tsdb_status(limit))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Reply::json(tsdb_json(&status)))
}

fn tsdb_json(s: &TsdbStatus) -> Value {
    let list = |l: &[(String, u64)]| -> Value {
        l.iter()
            .map(|(name, value)| json!({"name": name, "value": value}))
            .collect()
    };
    let h = &s.head_stats;
    json!({
        "headStats": {
            "numSeries": h.num_series,
            "numLabelPairs": h.num_label_pairs,
            "chunkCount": h.chunk_count,
            "minTime": h.min_time,
            "maxTime": h.max_time,
        },
        "seriesCountByMetricName": list(&s.series_count_by_metric_name),
        "labelValueCountByLabelName": list(&s.label_value_count_by_label_name),
        "memoryInBytesByLabelName": list(&s.memory_in_bytes_by_label_name),
        "seriesCountByLabelValuePair": list(&s.series_count_by_label_value_pair),
    })
}

pub(super) fn query_exemplars(p: &Params) -> Result<Reply, ApiError> {
    let start = p.time("start", MIN_TIME)?;
    let end = p.time("end", MAX_TIME)?;
    if end < start {
        return Err(ApiError::bad(
            "end timestamp must not be before start timestamp",
        ));
    }
    let expr = promql::engine::parse(p.get("query").unwrap_or_default())
        .map_err(|e| ApiError::bad(e.to_string()))?;
    let opts = PlanOptions {
        start,
        end,
        experimental_functions: true,
    };
    let node = plan::build(&expr, &opts).map_err(|e| ApiError::bad(e.to_string()))?;
    // Prometheus answers a query without selectors with no data at all.
    if !has_selector(&node) {
        return Ok(Reply::NoContent);
    }
    Ok(Reply::raw("[]".into()))
}

fn has_selector(n: &Node) -> bool {
    match n {
        Node::VectorSelector(_) | Node::MatrixSelector { .. } => true,
        Node::Aggregate { expr, param, .. } => {
            has_selector(expr) || param.as_deref().is_some_and(has_selector)
        }
        Node::Binary { lhs, rhs, .. } => has_selector(lhs) || has_selector(rhs),
        Node::Call { args, .. } => args.iter().any(has_selector),
        Node::Subquery { expr, .. } | Node::Neg(expr) => has_selector(expr),
        Node::Number(_) | Node::Str(_) => false,
    }
}

/// Go's `time.RFC3339Nano` in UTC: fraction without trailing zeros, none when whole.
fn rfc3339(t: SystemTime) -> String {
    let (secs, nanos) = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
        Err(_) => (0, 0),
    };
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let mut s = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    if nanos != 0 {
        s.push('.');
        s.push_str(format!("{nanos:09}").trim_end_matches('0'));
    }
    s.push('Z');
    s
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn times_in_rfc3339() {
        let t = |ms: u64| rfc3339(UNIX_EPOCH + Duration::from_millis(ms));
        assert_eq!(t(0), "1970-01-01T00:00:00Z");
        assert_eq!(t(1_700_000_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(t(1_700_000_000_120), "2023-11-14T22:13:20.12Z");
        assert_eq!(t(951_782_400_000), "2000-02-29T00:00:00Z");
        // Round trip through the API's own time parser.
        let s = t(1_234_567_890_123);
        assert_eq!(super::super::params::parse_time(&s), Ok(1_234_567_890_123));
    }

    #[test]
    fn tsdb_status_shape() {
        let s = TsdbStatus {
            head_stats: crate::tsdb::HeadStats {
                num_series: 3,
                num_label_pairs: 5,
                chunk_count: 4,
                min_time: 1000,
                max_time: 2000,
            },
            series_count_by_metric_name: vec![("up".into(), 2), ("x".into(), 1)],
            label_value_count_by_label_name: vec![("job".into(), 2)],
            memory_in_bytes_by_label_name: vec![],
            series_count_by_label_value_pair: vec![("job=a".into(), 2)],
        };
        assert_eq!(
            tsdb_json(&s),
            json!({
                "headStats": {"numSeries": 3, "numLabelPairs": 5, "chunkCount": 4,
                              "minTime": 1000, "maxTime": 2000},
                "seriesCountByMetricName": [{"name": "up", "value": 2}, {"name": "x", "value": 1}],
                "labelValueCountByLabelName": [{"name": "job", "value": 2}],
                "memoryInBytesByLabelName": [],
                "seriesCountByLabelValuePair": [{"name": "job=a", "value": 2}],
            })
        );
    }

    #[test]
    fn exemplars() {
        let p = |q: &str| Params(vec![("query".into(), q.into())]);
        assert!(matches!(
            query_exemplars(&p("rate(up[5m])")),
            Ok(Reply::Data { ref data, .. }) if data == "[]"
        ));
        assert!(matches!(query_exemplars(&p("1 + 2")), Ok(Reply::NoContent)));
        let e = query_exemplars(&p("up(")).unwrap_err();
        assert_eq!(e.kind, "bad_data");
        let mut bad = p("up");
        bad.0.push(("start".into(), "10".into()));
        bad.0.push(("end".into(), "5".into()));
        assert_eq!(
            query_exemplars(&bad).unwrap_err().msg,
            "end timestamp must not be before start timestamp"
        );
    }
}
