//! The write-ahead log: every series and sample the head accepts is appended here before the
//! append is acknowledged, so a restart can rebuild the head.
//!
//! Data flows in through [`Wal::log_records`] (or [`Wal::log`] with pre-encoded payloads) from
//! the head's commit path, lands in numbered segment files under one directory, and flows out
//! at startup through [`replay`], which hands each [`Record`] to the head. [`checkpoint`]
//! compacts old segments into one `checkpoint.N` file once the head has moved its data into
//! blocks, so replay time stays bounded.
//!
//! Guarantees (details and the byte layout in `docs/format/wal.md`):
//! - When `log*` returns `Ok`, the batch's bytes were handed to the kernel by a completed
//!   write(2): a `kill -9` of the process afterwards loses nothing. Survival of a power loss
//!   depends on the [`FsyncPolicy`].
//! - A batch is written with one write(2); after a crash, replay truncates a torn last frame,
//!   so a batch is either fully present up to that frame or its torn frames are gone.
//! - Replay stops at corruption in the middle of a segment, truncates the log there (as
//!   Prometheus does), warns through `tracing`, and reports it in [`ReplayStats::repairs`].
//!
//! Order at startup: [`replay`] first, then [`Wal::open`]. `Wal::open` never appends to an
//! existing non-empty segment; it starts a new one.

mod checkpoint;
mod record;
mod replay;
mod segment;
mod writer;

#[cfg(test)]
mod tests;

use std::io;
use std::path::{Path, PathBuf};

pub use checkpoint::{CheckpointStats, checkpoint};
pub use record::{
    MetadataRecord, Record, SampleRecord, SeriesRecord, TYPE_METADATA, TYPE_SAMPLES, TYPE_SERIES,
    TYPE_TOMBSTONES, TombstoneRecord, decode, encode, encode_metadata, encode_samples,
    encode_series, encode_tombstones,
};
pub use replay::{Repair, RepairKind, ReplayStats, replay};
pub use writer::{FsyncPolicy, Wal, WalOptions, WalStats};

/// Default maximum size of a segment before a new one is cut.
pub const DEFAULT_SEGMENT_SIZE: u64 = 128 * 1024 * 1024;

/// Errors of the WAL. Each says which file (and where in it) the problem is.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("wal i/o on {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("wal corrupt in segment {segment} at offset {offset} ({}): {reason}", path.display())]
    Corrupt {
        path: PathBuf,
        segment: u32,
        offset: u64,
        reason: String,
    },
    #[error("malformed wal record: {0}")]
    Malformed(&'static str),
    #[error("wal record of {0} bytes is empty or larger than a frame can hold (4 GiB)")]
    RecordSize(usize),
    #[error("invalid wal request: {0}")]
    Invalid(String),
    #[error("wal refuses writes after an earlier failure: {0}")]
    Poisoned(String),
    /// For replay callbacks that fail with their own error.
    #[error("applying a replayed wal record failed: {0}")]
    Apply(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Result with the WAL's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(path: &Path, source: io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
