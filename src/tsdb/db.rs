//! The database: opens the data directory, replays the WAL into the head, and keeps the
//! on-disk state in shape — cutting the head into blocks, compacting blocks, applying
//! retention — while appenders and queriers work concurrently. Deletes live in [`delete`].

mod delete;

use crate::appender::{Appender, Metadata};
use crate::metrics::{Gauges, Metrics};
use crate::tsdb::block::{self, Block, ChunkData};
use crate::tsdb::chunkenc::Encoding;
use crate::tsdb::head::{self as head_mod, Head, HeadAppender, HeadOptions};
use crate::tsdb::options::DbOptions;
use crate::tsdb::querier::{BlockList, DbQuerier};
use crate::tsdb::status::{self, TsdbStatus};
use crate::tsdb::wal::{self, Record, Wal};
use promql::storage::{Querier, Queryable, StorageError};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, RwLock};
use thiserror::Error;
use tracing::{info, warn};

#[derive(Debug, Error)]
pub enum DbError {
    #[error("data directory {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("write-ahead log: {0}")]
    Wal(#[from] wal::Error),
    #[error("block: {0}")]
    Block(#[from] block::Error),
}

pub type Result<T, E = DbError> = std::result::Result<T, E>;

#[derive(Debug)]
pub struct Db {
    opts: DbOptions,
    head: Arc<Head>,
    wal: Arc<Wal>,
    /// Open blocks, sorted by min time.
    blocks: BlockList,
    /// Blocks replaced or expired whose directories are deleted once no querier holds them.
    doomed: Mutex<Vec<Arc<Block>>>,
    /// One maintenance pass at a time.
    maintenance: Mutex<()>,
    metrics: Arc<Metrics>,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> DbError + '_ {
    move |source| DbError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Db {
    /// Opens (or creates) the database in `opts.dir` and replays the write-ahead log.
    pub fn open(opts: DbOptions, metrics: Arc<Metrics>) -> Result<Arc<Db>> {
        std::fs::create_dir_all(&opts.dir).map_err(io_err(&opts.dir))?;
        block::remove_tmp_dirs(&opts.dir)?;
        let blocks = load_blocks(&opts.dir)?;
        let head = Arc::new(Head::new(HeadOptions {
            ooo_window: opts.ooo_window,
            block_range: opts.min_block_duration,
        }));
        if let Some(maxt) = blocks.iter().map(|b| b.meta().max_time).max() {
            head.set_min_valid_time(maxt);
        }

        let wal_dir = opts.dir.join("wal");
        let started = std::time::Instant::now();
        let replayed = replay_wal(&wal_dir, &head)?;
        info!(
            series = head.num_series(),
            samples = replayed,
            blocks = blocks.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "replayed write-ahead log"
        );
        let wal = Arc::new(Wal::open(&wal_dir, opts.wal)?);
        Ok(Arc::new(Db {
            opts,
            head,
            wal,
            blocks: Arc::new(RwLock::new(blocks)),
            doomed: Mutex::new(Vec::new()),
            maintenance: Mutex::new(()),
            metrics,
        }))
    }

    pub fn options(&self) -> &DbOptions {
        &self.opts
    }

    pub fn head(&self) -> &Arc<Head> {
        &self.head
    }

    pub fn appender(&self) -> Box<dyn Appender> {
        Box::new(HeadAppender::new(
            self.head.clone(),
            self.wal.clone(),
            self.metrics.clone(),
        ))
    }

    pub fn blocks(&self) -> Vec<Arc<Block>> {
        self.blocks
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// A querier over `[mint, maxt]` (inclusive, ms).
    pub fn db_querier(&self, mint: i64, maxt: i64) -> DbQuerier {
        DbQuerier {
            head: self.head.clone(),
            blocks: self.blocks.clone(),
            mint,
            maxt,
            max_samples: self.opts.max_query_samples,
        }
    }

    pub fn metadata(&self) -> std::collections::HashMap<String, Metadata> {
        self.head.metadata()
    }

    pub fn gauges(&self) -> Gauges {
        let blocks = self.blocks();
        let ws = self.wal.stats();
        Gauges {
            head_series: self.head.num_series(),
            head_chunk_bytes: self.head.chunk_bytes() as u64,
            head_min_time: self.head.mint().unwrap_or(0),
            head_max_time: self.head.maxt().max(0),
            blocks_loaded: blocks.len() as u64,
            blocks_bytes: blocks.iter().map(|b| b.size_bytes()).sum(),
            wal_bytes: self.wal.size_bytes(),
            wal_fsyncs: ws.fsyncs,
            wal_bytes_written: ws.bytes_written,
            ready: true,
        }
    }

    /// One pass of housekeeping: cut the head into blocks while it spans more than 1.5 block
    /// ranges, compact what can be compacted, apply retention, delete released blocks.
    pub fn maintain(&self) -> Result<()> {
        let _one = self.maintenance.lock().unwrap_or_else(|e| e.into_inner());
        while self.cut_head()? {}
        while self.compact_once()? {}
        self.apply_retention();
        self.delete_released();
        Ok(())
    }

    /// Persists the oldest block range of the head if the head spans enough time.
    fn cut_head(&self) -> Result<bool> {
        let range = self.opts.min_block_duration.max(1);
        let Some(mint) = self.head.mint() else {
            return Ok(false);
        };
        let maxt = self.head.maxt();
        if maxt.saturating_sub(mint) <= range / 2 * 3 {
            return Ok(false);
        }
        let start = mint.div_euclid(range) * range;
        let boundary = start + range;
        let last_segment = {
            let _gate = self
                .head
                .commit_gate
                .write()
                .unwrap_or_else(|e| e.into_inner());
            self.head.set_min_valid_time(boundary);
            self.wal.cut_segment()?
        };

        let series = self.head.all_series();
        // Deletes wait for maintenance, so these are all the tombstones of the cut range.
        let stones = self.head.tombstones();
        let mut writer = block::BlockWriter::create(&self.opts.dir, start, boundary, 1, vec![])?;
        for s in &series {
            let mut chunks = s.lock().chunks_before(boundary);
            if let Some(deleted) = stones.get(s.id) {
                chunks = head_mod::without_deleted(chunks, deleted);
            }
            if chunks.is_empty() {
                continue;
            }
            let data: Vec<ChunkData<'_>> = chunks
                .iter()
                .map(|c| ChunkData {
                    mint: c.mint,
                    maxt: c.maxt,
                    encoding: Encoding::Strata as u8,
                    data: &c.data,
                })
                .collect();
            writer.add_series(&s.labels, &data)?;
        }
        let meta = writer.finish()?;
        if meta.stats.num_series > 0 {
            let b = Arc::new(Block::open(&self.opts.dir.join(&meta.id))?);
            self.add_block(b);
        }
        for s in &series {
            s.lock().truncate_before(boundary);
        }
        drop(series);
        let removed = self.head.gc();
        self.head.truncate_tombstones(boundary);
        self.metrics
            .series_removed
            .fetch_add(removed as u64, Ordering::Relaxed);
        let head = self.head.clone();
        wal::checkpoint(
            &self.wal,
            last_segment.saturating_sub(1),
            move |id| {
                u32::try_from(id)
                    .ok()
                    .and_then(|id| head.series(id))
                    .is_some()
            },
            boundary,
        )?;
        self.metrics
            .head_truncations
            .fetch_add(1, Ordering::Relaxed);
        info!(
            block = %meta.id,
            mint = start,
            maxt = boundary,
            series = meta.stats.num_series,
            samples = meta.stats.num_samples,
            removed_series = removed,
            "cut head into block"
        );
        Ok(true)
    }

    fn add_block(&self, b: Arc<Block>) {
        let mut g = self.blocks.write().unwrap_or_else(|e| e.into_inner());
        g.push(b);
        g.sort_by_key(|b| (b.meta().min_time, b.meta().max_time));
    }

    /// Compacts one group of blocks if any is ready. Overlapping blocks are merged first;
    /// otherwise the blocks filling an aligned window of a larger range, once the head has
    /// moved past that window.
    fn compact_once(&self) -> Result<bool> {
        let blocks = self.blocks();
        let group = plan_compaction(
            &blocks,
            &self.opts.compaction_ranges(),
            self.head.min_valid_time(),
        );
        let Some(group) = group else {
            return Ok(false);
        };
        let inputs: Vec<&Block> = group.iter().map(|b| b.as_ref()).collect();
        let out = match block::compact(&self.opts.dir, &inputs) {
            Ok(out) => out,
            Err(e) => {
                self.metrics
                    .compaction_failures
                    .fetch_add(1, Ordering::Relaxed);
                return Err(e.into());
            }
        };
        let new_block = match &out {
            Some(meta) => Some(Arc::new(Block::open(&self.opts.dir.join(&meta.id))?)),
            None => None,
        };
        self.replace_blocks(&group, new_block);
        self.metrics.compactions.fetch_add(1, Ordering::Relaxed);
        info!(
            inputs = group.len(),
            output = out.as_ref().map(|m| m.id.as_str()).unwrap_or("-"),
            "compacted blocks"
        );
        Ok(true)
    }

    /// Swaps `old` for `new` in the block list; `old` is deleted once no querier holds it.
    fn replace_blocks(&self, old: &[Arc<Block>], new: Option<Arc<Block>>) {
        {
            let ids: HashSet<&str> = old.iter().map(|b| b.meta().id.as_str()).collect();
            let mut g = self.blocks.write().unwrap_or_else(|e| e.into_inner());
            g.retain(|b| !ids.contains(b.meta().id.as_str()));
            if let Some(b) = new {
                g.push(b);
            }
            g.sort_by_key(|b| (b.meta().min_time, b.meta().max_time));
        }
        self.doomed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(old.iter().cloned());
    }

    fn apply_retention(&self) {
        let blocks = self.blocks();
        let mut expired: Vec<Arc<Block>> = Vec::new();
        if self.opts.retention_time > 0 {
            let newest = blocks
                .iter()
                .map(|b| b.meta().max_time)
                .chain([self.head.maxt()])
                .max()
                .unwrap_or(i64::MIN);
            let cutoff = newest.saturating_sub(self.opts.retention_time);
            expired.extend(
                blocks
                    .iter()
                    .filter(|b| b.meta().max_time <= cutoff)
                    .cloned(),
            );
        }
        if self.opts.retention_size > 0 {
            let mut total: u64 =
                blocks.iter().map(|b| b.size_bytes()).sum::<u64>() + self.wal.size_bytes();
            for b in &blocks {
                if total <= self.opts.retention_size {
                    break;
                }
                total = total.saturating_sub(b.size_bytes());
                if !expired.iter().any(|e| e.meta().id == b.meta().id) {
                    expired.push(b.clone());
                }
            }
        }
        if expired.is_empty() {
            return;
        }
        let ids: HashSet<String> = expired.iter().map(|b| b.meta().id.clone()).collect();
        self.blocks
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|b| !ids.contains(&b.meta().id));
        self.metrics
            .blocks_deleted_retention
            .fetch_add(expired.len() as u64, Ordering::Relaxed);
        info!(blocks = expired.len(), "retention expired blocks");
        self.doomed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(expired);
    }

    fn delete_released(&self) {
        let mut doomed = self.doomed.lock().unwrap_or_else(|e| e.into_inner());
        doomed.retain(|b| {
            if Arc::strong_count(b) > 1 {
                return true;
            }
            if let Err(e) = std::fs::remove_dir_all(b.dir()) {
                warn!(dir = %b.dir().display(), error = %e, "deleting block");
            }
            false
        });
    }

    /// Cardinality statistics of the head, as Prometheus's `/api/v1/status/tsdb` reports
    /// them, with the top `limit` entries of each list. One pass over the head's postings and
    /// one over its series (no sample is decoded).
    pub fn tsdb_status(&self, limit: usize) -> TsdbStatus {
        status::head_status(&self.head, limit)
    }

    /// Flushes the WAL to disk; called on shutdown.
    pub fn close(&self) -> Result<()> {
        self.wal.sync()?;
        Ok(())
    }
}

impl Queryable for Db {
    fn querier(&self, mint: i64, maxt: i64) -> Result<Box<dyn Querier>, StorageError> {
        Ok(Box::new(self.db_querier(mint, maxt)))
    }
}

/// Opens every block in `dir`. A block listed as a source of a compacted block is a leftover
/// of a compaction interrupted before it deleted its inputs: its data is in the output, so it
/// is removed instead of being served twice.
fn load_blocks(dir: &Path) -> Result<Vec<Arc<Block>>> {
    let mut blocks = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io_err(dir))? {
        let entry = entry.map_err(io_err(dir))?;
        let path = entry.path();
        if !path.join("meta.json").is_file() {
            continue;
        }
        match Block::open(&path) {
            Ok(b) => blocks.push(Arc::new(b)),
            Err(e) => warn!(dir = %path.display(), error = %e, "skipping unreadable block"),
        }
    }
    let replaced: HashSet<String> = blocks
        .iter()
        .flat_map(|b| {
            // `parents` names the direct inputs (any level); `sources` the level-1 blocks.
            let c = &b.meta().compaction;
            c.parents
                .iter()
                .map(|p| p.id.clone())
                .chain(c.sources.iter().cloned())
                .filter(|id| *id != b.meta().id)
                .collect::<Vec<_>>()
        })
        .collect();
    blocks.retain(|b| {
        let keep = !replaced.contains(&b.meta().id);
        if !keep {
            info!(block = %b.meta().id, "removing block already merged by compaction");
            let _ = std::fs::remove_dir_all(b.dir());
        }
        keep
    });
    blocks.sort_by_key(|b| (b.meta().min_time, b.meta().max_time));
    Ok(blocks)
}

/// Applies the WAL to the head; returns the number of samples applied.
fn replay_wal(dir: &Path, head: &Head) -> Result<u64> {
    if !dir.exists() {
        return Ok(0);
    }
    let lim = head.limits();
    let mut applied = 0u64;
    wal::replay(dir, |rec| {
        match rec {
            Record::Series(series) => {
                for s in series {
                    if let Ok(id) = u32::try_from(s.id) {
                        head.create_with_id(id, s.labels);
                    }
                }
            }
            Record::Samples(samples) => {
                let mut maxt = i64::MIN;
                for s in samples {
                    let Some(series) = u32::try_from(s.id).ok().and_then(|id| head.series(id))
                    else {
                        continue;
                    };
                    // Samples below the newest block are already persisted there.
                    if series.lock().append(s.t, s.v, &lim).is_ok() {
                        applied += 1;
                        maxt = maxt.max(s.t);
                    }
                }
                head.observe_time(maxt);
            }
            Record::Metadata(entries) => {
                for m in entries {
                    head.set_metadata(
                        &m.metric_family,
                        Metadata {
                            metric_type: m.metric_type,
                            help: m.help,
                            unit: m.unit,
                        },
                    );
                }
            }
            Record::Tombstones(stones) => {
                head.add_tombstones(delete::replayed_stones(head, stones));
            }
        }
        Ok(())
    })?;
    head.gc();
    head.truncate_tombstones(head.min_valid_time());
    Ok(applied)
}

/// Picks the next group of blocks to compact, if any.
fn plan_compaction(
    blocks: &[Arc<Block>],
    ranges: &[i64],
    head_floor: i64,
) -> Option<Vec<Arc<Block>>> {
    // Overlapping blocks first: they would otherwise be merged at every query.
    for (i, a) in blocks.iter().enumerate() {
        let overlapping: Vec<Arc<Block>> = blocks[i..]
            .iter()
            .filter(|b| {
                b.meta().min_time < a.meta().max_time && a.meta().min_time < b.meta().max_time
            })
            .cloned()
            .collect();
        if overlapping.len() > 1 {
            return Some(overlapping);
        }
    }
    for &r in ranges.iter().skip(1) {
        let mut i = 0;
        while i < blocks.len() {
            let w = blocks[i].meta().min_time.div_euclid(r);
            let (lo, hi) = (w * r, (w + 1) * r);
            let group: Vec<Arc<Block>> = blocks[i..]
                .iter()
                .take_while(|b| b.meta().min_time >= lo && b.meta().max_time <= hi)
                .cloned()
                .collect();
            let n = group.len().max(1);
            if group.len() > 1 && hi <= head_floor {
                return Some(group);
            }
            i += n;
        }
    }
    None
}
