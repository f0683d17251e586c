//! Query errors, classified the way Prometheus's HTTP API reports them.

use crate::StorageError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum QueryError {
    /// The query text or a parameter is invalid (HTTP 400, `bad_data`).
    #[error("{0}")]
    BadData(String),
    /// Evaluation failed, for example on a label set collision (HTTP 422, `execution`).
    #[error("{0}")]
    Execution(String),
    /// The query would hold more samples than `--query.max-samples` allows (HTTP 422, `execution`).
    #[error("query processing would load too many samples into memory in {0}")]
    TooManySamples(&'static str),
    /// The deadline passed (HTTP 503, `timeout`).
    #[error("query timed out in {0}")]
    Timeout(&'static str),
    /// The caller went away (HTTP 499, `canceled`).
    #[error("query was canceled in {0}")]
    Canceled(&'static str),
    /// Storage failed underneath (HTTP 500, `internal`).
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl QueryError {
    /// The `errorType` of Prometheus's JSON envelope.
    pub fn error_type(&self) -> &'static str {
        match self {
            QueryError::BadData(_) => "bad_data",
            QueryError::Execution(_) | QueryError::TooManySamples(_) => "execution",
            QueryError::Timeout(_) => "timeout",
            QueryError::Canceled(_) => "canceled",
            QueryError::Storage(_) => "internal",
        }
    }

    /// The HTTP status Prometheus answers this error with.
    pub fn status_code(&self) -> u16 {
        match self {
            QueryError::BadData(_) => 400,
            QueryError::Execution(_) | QueryError::TooManySamples(_) => 422,
            QueryError::Timeout(_) => 503,
            QueryError::Canceled(_) => 499,
            QueryError::Storage(_) => 500,
        }
    }
}
