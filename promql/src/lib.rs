//! The PromQL engine crate and the query-side storage contract.
//!
//! This crate owns what a query needs from storage: [`Labels`], [`Matcher`]s, and the
//! [`storage`] traits (`Queryable`, `Querier`, `SeriesSet`, `SampleIterator`) that the server's
//! TSDB implements. It knows nothing about files or the network, so it can be tested and fuzzed
//! alone. The evaluator itself lands with the query work (issue 3).

pub mod labels;
pub mod matcher;
pub mod selector;
pub mod storage;

pub use labels::{Label, Labels, METRIC_NAME};
pub use matcher::{MatchOp, Matcher, MatcherError};
pub use selector::{SelectorError, parse_series_selector};
pub use storage::{
    MemSeries, SampleIterator, SelectHints, SeriesSet, StorageError, VecSampleIterator,
};
