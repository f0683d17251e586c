//! `/api/v1/query` and `/api/v1/query_range`: parameters as Prometheus parses them, evaluation
//! on the blocking pool under the concurrency limit and the query's deadline, and the result in
//! Prometheus's JSON.

use super::params::parse_duration_ns;
use super::render::{capped, push_query_data};
use super::{ApiError, Params, Reply};
use crate::http::AppState;
use crate::tsdb::Db;
use promql::{Engine, QueryError, QueryOutput, Value};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Prometheus's cap on points per series of a range query.
const MAX_POINTS: i64 = 11_000;
/// Most warnings and infos returned, as Prometheus's API.
const MAX_ANNOTATIONS: usize = 10;

/// What to evaluate, once the parameters are checked.
#[derive(Debug)]
struct Job {
    query: String,
    start: i64,
    end: i64,
    /// 0 for an instant query.
    step: i64,
    limit: usize,
    /// Per-query `timeout`, nanoseconds.
    timeout_ns: Option<i64>,
    /// Per-query `lookback_delta`, milliseconds; the flag's value when absent or not positive.
    lookback_ms: Option<i64>,
}

pub(super) async fn instant(
    state: &Arc<AppState>,
    db: Arc<Db>,
    p: Params,
) -> Result<Reply, ApiError> {
    let limit = p.limit()?;
    let t = p.time("time", now_ms())?;
    let timeout_ns = timeout(&p)?;
    let lookback_ms = lookback(&p)?;
    let job = Job {
        query: p.get("query").unwrap_or_default().to_string(),
        start: t,
        end: t,
        step: 0,
        limit,
        timeout_ns,
        lookback_ms,
    };
    run(state, db, job).await
}

pub(super) async fn range(
    state: &Arc<AppState>,
    db: Arc<Db>,
    p: Params,
) -> Result<Reply, ApiError> {
    let limit = p.limit()?;
    let time = |key: &str| {
        super::params::parse_time(p.get(key).unwrap_or_default())
            .map_err(|e| ApiError::bad(format!("invalid parameter {key:?}: {e}")))
    };
    let start = time("start")?;
    let end = time("end")?;
    if end < start {
        return Err(ApiError::bad(
            "invalid parameter \"end\": end timestamp must not be before start time",
        ));
    }
    let step_ns = parse_duration_ns(p.get("step").unwrap_or_default())
        .map_err(|e| ApiError::bad(format!("invalid parameter \"step\": {e}")))?;
    // The engine steps in whole milliseconds; a positive step below one is as unusable as zero.
    let step = step_ns / 1_000_000;
    if step_ns <= 0 || step == 0 {
        return Err(ApiError::bad(
            "invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer",
        ));
    }
    let span_ns = i128::from(end - start) * 1_000_000;
    if span_ns / i128::from(step_ns) > i128::from(MAX_POINTS) {
        return Err(ApiError::bad(
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
        ));
    }
    let timeout_ns = timeout(&p)?;
    let lookback_ms = lookback(&p)?;
    let job = Job {
        query: p.get("query").unwrap_or_default().to_string(),
        start,
        end,
        step,
        limit,
        timeout_ns,
        lookback_ms,
    };
    run(state, db, job).await
}

fn timeout(p: &Params) -> Result<Option<i64>, ApiError> {
    p.nonempty("timeout")
        .map(|v| {
            parse_duration_ns(v)
                .map_err(|e| ApiError::bad(format!("invalid parameter \"timeout\": {e}")))
        })
        .transpose()
}

fn lookback(p: &Params) -> Result<Option<i64>, ApiError> {
    p.nonempty("lookback_delta")
        .map(|v| {
            parse_duration_ns(v)
                .map(|ns| ns / 1_000_000)
                .map_err(|e| ApiError::bad(format!("error parsing lookback delta duration: {e}")))
        })
        .transpose()
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Waits for a query slot until the deadline, then evaluates on the blocking pool.
async fn run(state: &Arc<AppState>, db: Arc<Db>, job: Job) -> Result<Reply, ApiError> {
    let mut opts = state.api.engine.clone();
    let mut budget = opts.timeout;
    if let Some(ns) = job.timeout_ns {
        budget = budget.min(Duration::from_nanos(u64::try_from(ns).unwrap_or(0)));
    }
    if let Some(ms) = job.lookback_ms.filter(|ms| *ms > 0) {
        opts.lookback_delta_ms = ms;
    }
    let started = Instant::now();
    let deadline = tokio::time::Instant::from_std(started + budget);
    let permit =
        match tokio::time::timeout_at(deadline, state.query_slots.clone().acquire_owned()).await {
            Ok(Ok(p)) => p,
            Ok(Err(_)) => return Err(ApiError::internal("query queue closed")),
            Err(_) => return Err(ApiError::from_query(&QueryError::Timeout("query queue"))),
        };
    // Time spent queued counts against the query's timeout, as in Prometheus.
    opts.timeout = budget.saturating_sub(started.elapsed());
    let out = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let engine = Engine::new(opts);
        if job.step == 0 {
            engine.instant_query(db.as_ref(), &job.query, job.start)
        } else {
            engine.range_query(db.as_ref(), &job.query, job.start, job.end, job.step)
        }
        .map(|out| render(out, job.limit))
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?;
    out.map_err(|e| match e {
        // Every bad_data error of the engine comes from parsing or planning the query text,
        // which Prometheus reports against the `query` parameter.
        QueryError::BadData(m) => ApiError::bad(format!("invalid parameter \"query\": {m}")),
        e => ApiError::from_query(&e),
    })
}

/// The result's JSON with its annotations; `limit` keeps the first series of a vector or
/// matrix and says so in a warning, as Prometheus 3 does.
fn render(out: QueryOutput, limit: usize) -> Reply {
    let QueryOutput {
        mut value,
        annotations,
    } = out;
    let mut warnings = capped(&annotations.warnings, MAX_ANNOTATIONS, "warning");
    let infos = capped(&annotations.infos, MAX_ANNOTATIONS, "info");
    if limit > 0 {
        let truncated = match &mut value {
            Value::Vector(v) if v.len() > limit => {
                v.truncate(limit);
                true
            }
            Value::Matrix(m) if m.len() > limit => {
                m.truncate(limit);
                true
            }
            _ => false,
        };
        if truncated {
            warnings.push("results truncated due to limit".into());
        }
    }
    let mut data = String::with_capacity(256);
    push_query_data(&mut data, &value);
    Reply::Data {
        data,
        warnings,
        infos,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use promql::{Annotations, Labels, Sample};

    fn sample(job: &str) -> Sample {
        Sample {
            metric: Labels::from_pairs([("job", job)]),
            t: 1000,
            f: 1.0,
        }
    }

    #[test]
    fn limit_truncates_and_warns() {
        let mut ann = Annotations::default();
        ann.warn("w");
        let out = QueryOutput {
            value: Value::Vector(vec![sample("a"), sample("b"), sample("c")]),
            annotations: ann,
        };
        let Reply::Data { data, warnings, .. } = render(out, 2) else {
            panic!("no data")
        };
        let v: serde_json::Value = serde_json::from_str(&data).unwrap();
        assert_eq!(v["result"].as_array().unwrap().len(), 2);
        assert_eq!(v["result"][1]["metric"]["job"], "b");
        assert_eq!(
            warnings,
            vec![
                "PromQL warning: w".to_string(),
                "results truncated due to limit".to_string()
            ]
        );
    }

    #[test]
    fn limit_leaves_short_results_alone() {
        let out = QueryOutput {
            value: Value::Vector(vec![sample("a")]),
            annotations: Annotations::default(),
        };
        let Reply::Data { warnings, .. } = render(out, 1) else {
            panic!("no data")
        };
        assert!(warnings.is_empty());
        let out = QueryOutput {
            value: Value::Scalar { t: 0, v: 1.0 },
            annotations: Annotations::default(),
        };
        let Reply::Data { data, warnings, .. } = render(out, 1) else {
            panic!("no data")
        };
        assert!(warnings.is_empty());
        assert_eq!(data, r#"{"resultType":"scalar","result":[0,"1"]}"#);
    }
}
