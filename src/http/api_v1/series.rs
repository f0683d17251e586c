//! `/api/v1/series`, `/api/v1/labels` and `/api/v1/label/<name>/values`: label sets, names and
//! values over `[start, end]`, answered from the index without decoding samples.

use super::params::{MAX_TIME, MIN_TIME};
use super::{ApiError, Params, Reply};
use crate::tsdb::Db;
use promql::Matcher;
use promql::storage::Querier;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;

/// What a metadata request asks for.
#[derive(Debug, Clone)]
pub(super) enum Lookup {
    Series,
    LabelNames,
    LabelValues(String),
}

pub(super) async fn handle(db: Arc<Db>, params: Params, what: Lookup) -> Result<Reply, ApiError> {
    tokio::task::spawn_blocking(move || lookup(&db, &params, &what))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
}

fn lookup(db: &Db, params: &Params, what: &Lookup) -> Result<Reply, ApiError> {
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
    let items: Vec<Value> = match what {
        Lookup::Series => {
            if selectors.is_empty() {
                return Err(ApiError::bad("no match[] parameter provided"));
            }
            let mut all = BTreeSet::new();
            for m in &selectors {
                all.extend(q.series_labels(start, end, m).map_err(storage)?);
            }
            all.iter()
                .map(|l| {
                    Value::Object(
                        l.iter()
                            .map(|l| (l.name.clone(), Value::String(l.value.clone())))
                            .collect(),
                    )
                })
                .collect()
        }
        Lookup::LabelNames => union(&selectors, |m| q.label_names(m))
            .map_err(storage)?
            .into_iter()
            .map(Value::String)
            .collect(),
        Lookup::LabelValues(name) => union(&selectors, |m| q.label_values(name, m))
            .map_err(storage)?
            .into_iter()
            .map(Value::String)
            .collect(),
    };
    Ok(truncate(items, limit))
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

fn truncate(mut items: Vec<Value>, limit: usize) -> Reply {
    let mut warnings = Vec::new();
    if limit > 0 && items.len() > limit {
        items.truncate(limit);
        warnings.push("results truncated due to limit".to_string());
    }
    Reply::json(Value::Array(items)).with_warnings(warnings)
}
