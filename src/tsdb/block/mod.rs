//! Persistent, immutable, time-partitioned blocks.
//!
//! A block holds every series with samples in `[min_time, max_time)`. It is written once, by
//! cutting the head ([`BlockWriter`]) or by merging blocks ([`compact`]), and is then only read
//! ([`Block`]). On disk (format in `docs/format/block.md`):
//!
//! ```text
//! <data dir>/<block id>/meta.json      what the block covers and where it came from
//!                       index          symbols, series with chunk metas, postings
//!                       chunks/000001  chunk segment files, at most 512 MiB each
//! ```
//!
//! A block is assembled in `<block id>.tmp/`, fsynced, and renamed into place, so a reader
//! never sees a half-written block; leftover `*.tmp` directories are removed with
//! [`remove_tmp_dirs`] when the storage opens. Chunk data is opaque here (`encoding` byte plus
//! bytes) except in [`compact`], which decodes chunks only where two blocks overlap.

mod chunks;
mod compact;
mod encoding;
mod index_reader;
mod index_writer;
mod meta;
mod postings_list;
mod reader;
mod symbols;
mod tombstones;
mod writer;

#[cfg(test)]
mod tests;

pub use chunks::{CHUNKS_DIR, MAX_SEGMENT_SIZE};
pub use compact::{compact, rewrite};
pub use meta::{
    BlockDesc, BlockMeta, BlockStats, Compaction, META_FILE, META_VERSION, new_block_id,
};
pub use reader::{Block, INDEX_FILE, block_dirs, remove_tmp_dirs};
pub use tombstones::TOMBSTONES_FILE;
pub use writer::BlockWriter;

use std::io;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Suffix of a block directory still being written.
pub const TMP_SUFFIX: &str = ".tmp";

/// Where a chunk is, and the time range of its samples (both bounds inclusive, ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChunkMeta {
    pub mint: i64,
    pub maxt: i64,
    /// `segment << 32 | offset` of the chunk record in `chunks/<segment>`.
    pub r#ref: u64,
}

/// One encoded chunk handed to [`BlockWriter::add_series`].
#[derive(Debug, Clone, Copy)]
pub struct ChunkData<'a> {
    /// Time of the first sample, ms.
    pub mint: i64,
    /// Time of the last sample (inclusive), ms.
    pub maxt: i64,
    /// The chunk encoding (`chunkenc::Encoding` as a byte); opaque to blocks.
    pub encoding: u8,
    pub data: &'a [u8],
}

/// What went wrong reading or writing a block.
#[derive(Debug, Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: corrupt at byte {offset}: {msg}", path.display())]
    Corrupt {
        path: PathBuf,
        offset: u64,
        msg: String,
    },
    #[error("{}: invalid meta.json: {source}", path.display())]
    Meta {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// The caller broke a writer precondition (series order, chunk order or time range).
    #[error("invalid block input: {0}")]
    InvalidInput(String),
    #[error("series id {id} out of range (block has {num_series} series)")]
    NoSeries { id: u32, num_series: u32 },
    /// A chunk could not be decoded or re-encoded while merging overlapping blocks.
    #[error("{}: chunk at {chunk_ref:#x}: {msg}", path.display())]
    Chunk {
        path: PathBuf,
        chunk_ref: u64,
        msg: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Error> for promql::StorageError {
    fn from(e: Error) -> Self {
        match e {
            Error::Io { path, source } => promql::StorageError::Io(io::Error::new(
                source.kind(),
                format!("{}: {source}", path.display()),
            )),
            e @ (Error::Corrupt { .. } | Error::Meta { .. } | Error::Chunk { .. }) => {
                promql::StorageError::Corrupt(e.to_string())
            }
            e => promql::StorageError::Other(e.to_string()),
        }
    }
}

/// Attaches the path to an I/O error.
pub(crate) trait IoContext<T> {
    fn at(self, path: &Path) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn at(self, path: &Path) -> Result<T> {
        self.map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}
