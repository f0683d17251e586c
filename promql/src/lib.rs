//! The PromQL engine crate and the query-side storage contract.
//!
//! This crate owns what a query needs from storage: [`Labels`], [`Matcher`]s, and the
//! [`storage`] traits (`Queryable`, `Querier`, `SeriesSet`, `SampleIterator`) that the server's
//! TSDB implements. It knows nothing about files or the network, so it can be tested and fuzzed
//! alone.
//!
//! Queries go through [`Engine`]: the text is parsed by promql-parser, turned into a resolved
//! plan ([`plan`]), and evaluated step by step ([`eval`]) with the numeric function library in
//! [`functions`].

pub mod annotations;
pub mod engine;
pub mod error;
pub mod eval;
pub mod functions;
pub mod labels;
pub mod matcher;
pub mod memstore;
pub mod plan;
pub mod selector;
pub mod storage;
pub mod value;

pub use annotations::Annotations;
pub use engine::{Engine, EngineOptions, QueryOutput};
pub use error::QueryError;
pub use eval::{STALE_NAN_BITS, is_stale};
pub use labels::{Label, Labels, METRIC_NAME};
pub use matcher::{MatchOp, Matcher, MatcherError};
pub use memstore::MemStorage;
pub use selector::{SelectorError, parse_series_selector};
pub use storage::{
    MemSeries, SampleIterator, SelectHints, SeriesSet, StorageError, VecSampleIterator,
};
pub use value::{Matrix, Sample, Series, Value, Vector};
