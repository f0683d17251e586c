//! The TSDB admin endpoints: `/api/v1/admin/tsdb/delete_series` and
//! `/api/v1/admin/tsdb/clean_tombstones`, served only with `--web.enable-admin-api`.

use super::params::{MAX_TIME, MIN_TIME};
use super::{ApiError, Params, Reply};
use crate::tsdb::Db;
use hyper::StatusCode;
use std::sync::Arc;

/// What Prometheus answers while the admin API is off: `unavailable`, which its error writer
/// sends with status 500.
pub(super) fn disabled() -> ApiError {
    ApiError {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        kind: "unavailable",
        msg: "admin APIs disabled".into(),
    }
}

/// Deletes the samples in `[start, end]` of the series matching any `match[]`.
pub(super) async fn delete_series(db: Arc<Db>, p: Params) -> Result<Reply, ApiError> {
    if p.all("match[]").next().is_none() {
        return Err(ApiError::bad("no match[] parameter provided"));
    }
    let start = p.time("start", MIN_TIME)?;
    let end = p.time("end", MAX_TIME)?;
    let selectors = p.selectors()?;
    tokio::task::spawn_blocking(move || db.delete_series(&selectors, start, end))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Reply::NoContent)
}

/// Rewrites the blocks that have tombstones without the deleted data.
pub(super) async fn clean_tombstones(db: Arc<Db>) -> Result<Reply, ApiError> {
    tokio::task::spawn_blocking(move || db.clean_tombstones())
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Reply::NoContent)
}
