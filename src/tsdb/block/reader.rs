//! [`Block`]: an open, immutable block. The index lives in memory; chunks are read on demand.

use super::chunks::ChunkReader;
use super::index_reader::IndexReader;
use super::meta::{BlockMeta, META_FILE};
use super::tombstones as tombstones_file;
use super::{CHUNKS_DIR, ChunkMeta, Error, IoContext, Result, TMP_SUFFIX};
use crate::tsdb::postings;
use crate::tsdb::tombstones::{Interval, Tombstones};
use promql::{Labels, Matcher};
use roaring::RoaringBitmap;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// File name of the index inside a block directory.
pub const INDEX_FILE: &str = "index";

/// An open block. `Send + Sync`: share it in an `Arc`. Series ids run from 0 to
/// `num_series - 1` in label order. Its data never changes; only its tombstones (deleted
/// intervals, applied by readers) grow through [`Block::delete`].
#[derive(Debug)]
pub struct Block {
    dir: PathBuf,
    meta: BlockMeta,
    index: IndexReader,
    chunks: ChunkReader,
    size: u64,
    /// Replaced whole on a delete, so a reader keeps a consistent snapshot.
    tombstones: RwLock<Arc<Tombstones>>,
}

impl Block {
    /// Opens the block in `dir`: reads `meta.json`, loads and checks the whole index, and opens
    /// the chunk segments. Refuses a `*.tmp` directory, which is never a complete block.
    pub fn open(dir: &Path) -> Result<Block> {
        let name = dir.file_name().and_then(|n| n.to_str());
        if name.is_some_and(|n| n.ends_with(TMP_SUFFIX)) {
            return Err(Error::InvalidInput(format!(
                "{} is an unfinished block",
                dir.display()
            )));
        }
        let meta = BlockMeta::read(dir)?;
        let index = IndexReader::open(&dir.join(INDEX_FILE))?;
        let chunks = ChunkReader::open(&dir.join(CHUNKS_DIR))?;
        let meta_path = dir.join(META_FILE);
        let meta_size = fs::metadata(&meta_path).at(&meta_path)?.len();
        if index.num_series() as u64 != meta.stats.num_series {
            return Err(Error::Corrupt {
                path: meta_path,
                offset: 0,
                msg: format!(
                    "meta.json says {} series, the index has {}",
                    meta.stats.num_series,
                    index.num_series()
                ),
            });
        }
        let tombstones = tombstones_file::read(dir, index.num_series())?;
        let size = meta_size + index.size_bytes() + chunks.size_bytes();
        Ok(Block {
            dir: dir.to_path_buf(),
            meta,
            index,
            chunks,
            size,
            tombstones: RwLock::new(Arc::new(tombstones)),
        })
    }

    /// The block's deleted intervals, by series id, as of now.
    pub fn tombstones(&self) -> Arc<Tombstones> {
        self.tombstones
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Marks deleted the samples in `[mint, maxt]` (inclusive) of the series matching every
    /// matcher of any of `selectors`, and persists the block's tombstones (replacing its
    /// `tombstones` file atomically). As in Prometheus, each interval is clamped to the
    /// series' chunk range, and series without chunks in the range get none. Returns how
    /// many series got a new interval. Callers serialize deletes of one block.
    pub fn delete(&self, selectors: &[Vec<Matcher>], mint: i64, maxt: i64) -> Result<usize> {
        let mut ids = RoaringBitmap::new();
        for ms in selectors {
            ids |= self.select(ms);
        }
        let mut added = Vec::new();
        for id in &ids {
            let (_, chunks) = self.series(id)?;
            if !chunks.iter().any(|c| c.maxt >= mint && c.mint <= maxt) {
                continue;
            }
            let (first, last) = match (chunks.first(), chunks.last()) {
                (Some(f), Some(l)) => (f.mint, l.maxt),
                _ => continue,
            };
            if let Some(iv) = Interval::new(mint, maxt).clamp(first, last) {
                added.push((id, iv));
            }
        }
        if added.is_empty() {
            return Ok(0);
        }
        let mut next = (*self.tombstones()).clone();
        for &(id, iv) in &added {
            next.add(id, iv);
        }
        tombstones_file::write(&self.dir, &next)?;
        *self.tombstones.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(next);
        Ok(added.len())
    }

    pub fn meta(&self) -> &BlockMeta {
        &self.meta
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Bytes on disk: index, chunk segments and `meta.json`.
    pub fn size_bytes(&self) -> u64 {
        self.size
    }

    pub fn num_series(&self) -> u32 {
        self.index.num_series()
    }

    /// Ids of the series matching every matcher, ascending, which is label order. With no
    /// matchers, every series.
    pub fn select(&self, matchers: &[Matcher]) -> RoaringBitmap {
        postings::select(&self.index, matchers)
    }

    /// Labels and chunk metas (in time order) of series `id`.
    pub fn series(&self, id: u32) -> Result<(Labels, Vec<ChunkMeta>)> {
        self.index.series(id)
    }

    /// Reads a chunk's `(encoding, data)`, checking its crc.
    pub fn read_chunk(&self, c: &ChunkMeta) -> Result<(u8, Vec<u8>)> {
        self.chunks.read(c.r#ref)
    }

    /// Label names of the series matching `matchers` (of all series when empty), sorted.
    pub fn label_names(&self, matchers: &[Matcher]) -> Result<Vec<String>> {
        if matchers.is_empty() {
            return Ok(self.index.names().map(str::to_string).collect());
        }
        let all = self.index.names().count();
        let mut names = BTreeSet::new();
        let mut pairs = Vec::new();
        for id in &self.select(matchers) {
            self.index.pairs(id, &mut pairs)?;
            names.extend(pairs.iter().map(|p| p.0));
            if names.len() == all {
                break;
            }
        }
        // Symbol ids sort like their strings, so the set's order is the names' order.
        names
            .into_iter()
            .map(|n| self.index.symbol_str(n).map(str::to_string))
            .collect()
    }

    /// Values of label `name` on the series matching `matchers` (all series when empty),
    /// sorted.
    pub fn label_values(&self, name: &str, matchers: &[Matcher]) -> Result<Vec<String>> {
        if matchers.is_empty() {
            return Ok(self
                .index
                .values(name)
                .map(|(v, _)| v.to_string())
                .collect());
        }
        let Some(name_id) = self.index.name_id(name) else {
            return Ok(Vec::new());
        };
        let selected = self.select(matchers);
        let num_values = self.index.values(name).count() as u64;
        if selected.len() > num_values {
            // Fewer values than series: test each value's postings against the selection.
            return Ok(self
                .index
                .values(name)
                .filter(|(_, bm)| !bm.is_disjoint(&selected))
                .map(|(v, _)| v.to_string())
                .collect());
        }
        // Fewer series than values: read the value off each selected series.
        let mut values = BTreeSet::new();
        let mut pairs = Vec::new();
        for id in &selected {
            self.index.pairs(id, &mut pairs)?;
            if let Some(&(_, v)) = pairs.iter().find(|p| p.0 == name_id) {
                values.insert(v);
            }
        }
        values
            .into_iter()
            .map(|v| self.index.symbol_str(v).map(str::to_string))
            .collect()
    }
}

impl Block {
    /// Label names of the series in `selected` (ids of this block), sorted.
    pub fn label_names_of(&self, selected: &RoaringBitmap) -> Vec<String> {
        self.index
            .names()
            .filter(|n| {
                self.index
                    .values(n)
                    .any(|(_, bm)| !bm.is_disjoint(selected))
            })
            .map(str::to_string)
            .collect()
    }

    /// Values of label `name` on the series in `selected` (ids of this block), sorted.
    pub fn label_values_of(&self, name: &str, selected: &RoaringBitmap) -> Vec<String> {
        self.index
            .values(name)
            .filter(|(_, bm)| !bm.is_disjoint(selected))
            .map(|(v, _)| v.to_string())
            .collect()
    }
}

/// Removes every `*.tmp` directory in `data_dir`: blocks whose writing was interrupted. Call
/// it when the storage opens, before any writer or compaction runs (it would remove their
/// work in progress). A missing `data_dir` is not an error.
pub fn remove_tmp_dirs(data_dir: &Path) -> Result<()> {
    let entries = match fs::read_dir(data_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).at(data_dir),
    };
    for entry in entries {
        let entry = entry.at(data_dir)?;
        let path = entry.path();
        let is_tmp = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.ends_with(TMP_SUFFIX));
        if is_tmp && entry.file_type().at(&path)?.is_dir() {
            tracing::info!(dir = %path.display(), "removing unfinished block");
            fs::remove_dir_all(&path).at(&path)?;
        }
    }
    Ok(())
}

/// The block directories in `data_dir` (those with a `meta.json`, never `*.tmp`), sorted by
/// name, which is creation order for ids from [`super::new_block_id`].
pub fn block_dirs(data_dir: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs = Vec::new();
    for entry in fs::read_dir(data_dir).at(data_dir)? {
        let entry = entry.at(data_dir)?;
        let path = entry.path();
        let is_tmp = entry
            .file_name()
            .to_str()
            .is_none_or(|n| n.ends_with(TMP_SUFFIX));
        if !is_tmp && entry.file_type().at(&path)?.is_dir() && path.join(META_FILE).is_file() {
            dirs.push(path);
        }
    }
    dirs.sort();
    Ok(dirs)
}
