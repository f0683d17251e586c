//! [`BlockWriter`]: streams series into a new block under `<id>.tmp/` and publishes it with an
//! atomic rename.

use super::chunks::{ChunkWriter, MAX_SEGMENT_SIZE};
use super::index_writer::IndexBuilder;
use super::meta::{BlockDesc, BlockMeta, BlockStats, Compaction, META_VERSION, new_block_id};
use super::reader::INDEX_FILE;
use super::{CHUNKS_DIR, ChunkData, ChunkMeta, Error, IoContext, Result, TMP_SUFFIX};
use crate::tsdb::chunkenc::{self, Encoding};
use promql::Labels;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

/// Writes one block. Series must be added in strictly increasing label order; nothing is
/// visible under the block's final name until [`BlockWriter::finish`] returns. Dropping a
/// writer without finishing removes its temporary directory.
#[derive(Debug)]
pub struct BlockWriter {
    data_dir: PathBuf,
    tmp: PathBuf,
    meta: BlockMeta,
    chunks: Option<ChunkWriter>,
    index: IndexBuilder,
    last: Option<Labels>,
    metas: Vec<ChunkMeta>,
    finished: bool,
}

impl BlockWriter {
    /// Starts a block covering `[min_time, max_time)` in `data_dir` (created if missing).
    /// `level` is 1 for a block cut from the head; `sources` are the level-1 blocks whose data
    /// it holds, and default to the new block's own id when empty.
    pub fn create(
        data_dir: &Path,
        min_time: i64,
        max_time: i64,
        level: u32,
        sources: Vec<String>,
    ) -> Result<Self> {
        Self::create_with_segment_size(
            data_dir,
            min_time,
            max_time,
            level,
            sources,
            MAX_SEGMENT_SIZE,
        )
    }

    pub(crate) fn create_with_segment_size(
        data_dir: &Path,
        min_time: i64,
        max_time: i64,
        level: u32,
        mut sources: Vec<String>,
        segment_size: u64,
    ) -> Result<Self> {
        if min_time >= max_time || max_time.checked_sub(min_time).is_none() {
            return Err(Error::InvalidInput(format!(
                "empty or too large block range [{min_time}, {max_time})"
            )));
        }
        let id = new_block_id();
        if sources.is_empty() {
            sources.push(id.clone());
        }
        sources.sort();
        sources.dedup();
        fs::create_dir_all(data_dir).at(data_dir)?;
        let tmp = data_dir.join(format!("{id}{TMP_SUFFIX}"));
        fs::create_dir(&tmp).at(&tmp)?;
        let mut w = BlockWriter {
            data_dir: data_dir.to_path_buf(),
            tmp: tmp.clone(),
            meta: BlockMeta {
                id,
                min_time,
                max_time,
                stats: BlockStats::default(),
                compaction: Compaction {
                    level,
                    sources,
                    parents: Vec::new(),
                },
                version: META_VERSION,
                resolution: 0,
            },
            chunks: None,
            index: IndexBuilder::new(min_time),
            last: None,
            metas: Vec::new(),
            finished: false,
        };
        // On error the half-made writer is dropped, which removes `tmp`.
        w.chunks = Some(ChunkWriter::create(tmp.join(CHUNKS_DIR), segment_size)?);
        Ok(w)
    }

    /// The id the block will have.
    pub fn id(&self) -> &str {
        &self.meta.id
    }

    /// Adds a series and its chunks. Series must come in strictly increasing label order (as
    /// [`Labels`] orders them); chunks in time order, not overlapping, each with
    /// `min_time <= mint <= maxt < max_time`. A series without chunks is skipped. On error
    /// nothing of the series is indexed and the writer stays usable.
    pub fn add_series(&mut self, labels: &Labels, chunks: &[ChunkData<'_>]) -> Result<()> {
        if labels.is_empty() {
            return Err(Error::InvalidInput("series without labels".into()));
        }
        if let Some(last) = &self.last {
            if labels <= last {
                return Err(Error::InvalidInput(format!(
                    "series {labels} added after {last}: not in increasing label order"
                )));
            }
        }
        let (min_time, max_time) = (self.meta.min_time, self.meta.max_time);
        for (i, c) in chunks.iter().enumerate() {
            if c.mint > c.maxt || c.mint < min_time || c.maxt >= max_time {
                return Err(Error::InvalidInput(format!(
                    "chunk [{}, {}] of {labels} is empty or outside block [{min_time}, {max_time})",
                    c.mint, c.maxt
                )));
            }
            if i > 0 && c.mint <= chunks[i - 1].maxt {
                return Err(Error::InvalidInput(format!(
                    "chunk [{}, {}] of {labels} overlaps or precedes the previous chunk",
                    c.mint, c.maxt
                )));
            }
        }
        self.last = Some(labels.clone());
        if chunks.is_empty() {
            return Ok(());
        }
        let w = self
            .chunks
            .as_mut()
            .ok_or_else(|| Error::InvalidInput("writer already failed".into()))?;
        self.metas.clear();
        for c in chunks {
            let r#ref = w.write(c.encoding, c.data)?;
            self.metas.push(ChunkMeta {
                mint: c.mint,
                maxt: c.maxt,
                r#ref,
            });
        }
        self.index.add(labels, &self.metas)?;
        self.meta.stats.num_chunks += chunks.len() as u64;
        self.meta.stats.num_samples += chunks
            .iter()
            .map(|c| num_samples(c.encoding, c.data))
            .sum::<u64>();
        Ok(())
    }

    /// Series added with at least one chunk so far.
    pub fn num_series(&self) -> usize {
        self.index.num_series()
    }

    pub(crate) fn set_parents(&mut self, parents: Vec<BlockDesc>) {
        self.meta.compaction.parents = parents;
    }

    /// Writes the index and `meta.json`, fsyncs every file and directory, and renames the
    /// block to its final name. Returns its metadata.
    ///
    /// A block without series is not published: its temporary directory is removed and the
    /// returned metadata has `stats.num_series == 0`; there is nothing to open.
    pub fn finish(mut self) -> Result<BlockMeta> {
        let chunks = self
            .chunks
            .take()
            .ok_or_else(|| Error::InvalidInput("writer already failed".into()))?;
        if self.index.num_series() == 0 {
            // Dropping `self` removes the temporary directory.
            return Ok(self.meta.clone());
        }
        chunks.finish()?;
        let index = std::mem::replace(&mut self.index, IndexBuilder::new(0));
        self.meta.stats.num_series = index.num_series() as u64;
        index.write(&self.tmp.join(INDEX_FILE))?;
        self.meta.write(&self.tmp)?;
        sync_dir(&self.tmp)?;
        let dest = self.data_dir.join(&self.meta.id);
        fs::rename(&self.tmp, &dest).at(&dest)?;
        self.finished = true;
        sync_dir(&self.data_dir)?;
        Ok(self.meta.clone())
    }
}

impl Drop for BlockWriter {
    fn drop(&mut self) {
        if !self.finished {
            // Best effort: a leftover directory is also removed by `remove_tmp_dirs`.
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}

pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).at(dir)
}

/// Samples in an encoded chunk, for [`super::BlockStats::num_samples`]: read from the chunk
/// header, 0 for an encoding this build does not know.
fn num_samples(encoding: u8, data: &[u8]) -> u64 {
    match Encoding::from_u8(encoding) {
        Some(_) => chunkenc::num_samples(data) as u64,
        None => 0,
    }
}
