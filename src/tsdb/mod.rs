//! The storage engine: Gorilla-compressed chunks, an in-memory head backed by a write-ahead
//! log, and immutable time-partitioned blocks on disk, queried together.

pub mod block;
pub mod chunkenc;
pub mod db;
pub mod head;
pub mod options;
pub mod postings;
pub mod querier;
pub mod status;
pub mod tombstones;
pub mod wal;

pub use db::Db;
pub use options::DbOptions;
pub use querier::DbQuerier;
pub use status::{HeadStats, TsdbStatus};

#[cfg(test)]
mod db_tests;
#[cfg(test)]
mod delete_tests;
