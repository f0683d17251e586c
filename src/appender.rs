//! The one write path. Remote write, scrape, Graphite, Influx, recording rules and cluster
//! replication all stage samples through an [`Appender`] and then commit or roll back.

use promql::Labels;
use thiserror::Error;

/// Why a single sample was not accepted. These are the caller's data errors, not failures of
/// the store: a remote write receiver answers them with 400 so that senders do not retry.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SampleError {
    #[error("out of order sample")]
    OutOfOrder,
    #[error("out of bounds: sample is older than the out-of-order window allows")]
    TooOld,
    #[error("duplicate sample for timestamp")]
    DuplicateTimestamp,
    #[error("invalid series: {0}")]
    InvalidSeries(String),
}

impl SampleError {
    /// The label value used for `strata_tsdb_samples_rejected_total{reason=...}`.
    pub fn reason(&self) -> &'static str {
        match self {
            SampleError::OutOfOrder => "out_of_order",
            SampleError::TooOld => "too_old",
            SampleError::DuplicateTimestamp => "duplicate_timestamp",
            SampleError::InvalidSeries(_) => "invalid_series",
        }
    }
}

/// A failure of the store itself (disk full, WAL write failed): retryable from the sender's side.
#[derive(Debug, Error)]
pub enum CommitError {
    #[error("write-ahead log: {0}")]
    Wal(#[from] std::io::Error),
    #[error("storage is shutting down")]
    Closed,
}

/// Metadata the sender declared for a metric family.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// `counter`, `gauge`, `histogram`, `gaugehistogram`, `summary`, `info`, `stateset`,
    /// `unknown`.
    pub metric_type: String,
    pub help: String,
    pub unit: String,
}

/// What a commit made durable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CommitStats {
    pub samples: u64,
    pub series_created: u64,
}

/// Stages writes; nothing is visible or durable until `commit` returns `Ok`.
///
/// `append` checks a sample against what the store already holds (order, duplicates) and
/// returns the reason when it cannot be accepted; the rest of the batch is unaffected. `commit`
/// writes every staged sample to the write-ahead log before it returns, so a caller may
/// acknowledge them to the sender: a crash after that loses none of them.
pub trait Appender: Send {
    fn append(&mut self, labels: &Labels, t: i64, v: f64) -> Result<(), SampleError>;

    /// Like `append`, for a label set given as `(name, value)` pairs sorted by name with
    /// unique names and no empty values (as decoders produce them). Stores may override it to
    /// find an existing series without building a `Labels`.
    fn append_pairs(&mut self, pairs: &[(&str, &str)], t: i64, v: f64) -> Result<(), SampleError> {
        let labels = Labels::from_sorted(
            pairs
                .iter()
                .map(|(n, v)| promql::Label::new(*n, *v))
                .collect(),
        );
        self.append(&labels, t, v)
    }

    /// Records metadata for the metric family named `metric`.
    fn append_metadata(&mut self, metric: &str, meta: Metadata);

    fn commit(self: Box<Self>) -> Result<CommitStats, CommitError>;

    fn rollback(self: Box<Self>);
}
