//! The storage engine: Gorilla-compressed chunks, an in-memory head backed by a write-ahead
//! log, and immutable time-partitioned blocks on disk, queried together.

pub mod block;
pub mod chunkenc;
pub mod postings;
pub mod wal;
