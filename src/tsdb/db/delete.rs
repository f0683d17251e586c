//! Deleting series: tombstones in the head (logged to the WAL) and in blocks, and rewriting
//! blocks to drop the deleted data for good.

use super::{Db, Result};
use crate::tsdb::block::{self, Block};
use crate::tsdb::tombstones::Interval;
use crate::tsdb::wal::{Record, TombstoneRecord};
use promql::Matcher;
use std::sync::Arc;
use tracing::info;

impl Db {
    /// Marks deleted the samples in `[mint, maxt]` (inclusive, ms) of every series that
    /// matches all matchers of at least one of `selectors` (an empty matcher list selects every
    /// series). Queries stop returning them at once; a series left with no samples in a
    /// queried range is not returned at all.
    ///
    /// In the head the deleted intervals are logged to the WAL before they apply, so they
    /// survive a restart; each is clamped to the data the series holds now, so samples
    /// appended later past it are not hidden (as in Prometheus). In each overlapping block
    /// they go into its `tombstones` file. The data stays on disk until the head is cut, the
    /// block is compacted, or [`Db::clean_tombstones`] runs. `mint > maxt` deletes nothing.
    ///
    /// Runs exclusively with maintenance (head cuts, compaction); appends go on meanwhile.
    pub fn delete_series(&self, selectors: &[Vec<Matcher>], mint: i64, maxt: i64) -> Result<()> {
        if mint > maxt || selectors.is_empty() {
            return Ok(());
        }
        let _one = self.maintenance.lock().unwrap_or_else(|e| e.into_inner());
        let mut block_series = 0;
        for b in self.blocks() {
            if b.meta().overlaps(mint, maxt) {
                block_series += b.delete(selectors, mint, maxt)?;
            }
        }
        let stones = self.head.delete_intervals(selectors, mint, maxt);
        if !stones.is_empty() {
            let rec = Record::Tombstones(
                stones
                    .iter()
                    .map(|&(id, iv)| TombstoneRecord {
                        id: u64::from(id),
                        mint: iv.mint,
                        maxt: iv.maxt,
                    })
                    .collect(),
            );
            self.wal.log_records(&[rec])?;
            self.head.add_tombstones(stones.iter().copied());
        }
        info!(
            mint,
            maxt,
            head_series = stones.len(),
            block_series,
            "deleted series"
        );
        Ok(())
    }

    /// Rewrites every block that has tombstones without the deleted data, replacing it as
    /// compaction does (the new block lists the old as its parent, so a crash between writing
    /// one and deleting the other keeps exactly one). A block left with no samples is
    /// dropped. The head's tombstones are untouched: its deleted data goes when it is cut.
    pub fn clean_tombstones(&self) -> Result<()> {
        let _one = self.maintenance.lock().unwrap_or_else(|e| e.into_inner());
        for old in self.blocks() {
            if old.tombstones().is_empty() {
                continue;
            }
            let out = block::rewrite(&self.opts.dir, &old)?;
            let new_block = match &out {
                Some(meta) => Some(Arc::new(Block::open(&self.opts.dir.join(&meta.id))?)),
                None => None,
            };
            self.replace_blocks(std::slice::from_ref(&old), new_block);
            info!(
                old = %old.meta().id,
                new = out.as_ref().map(|m| m.id.as_str()).unwrap_or("-"),
                deleted_series = old.tombstones().num_series(),
                "rewrote block without its deleted data"
            );
        }
        self.delete_released();
        Ok(())
    }
}

/// Tombstones from a replayed WAL record, keyed by the ids the head gave the series.
pub(super) fn replayed_stones(
    head: &crate::tsdb::head::Head,
    stones: Vec<TombstoneRecord>,
) -> Vec<(u32, Interval)> {
    stones
        .into_iter()
        .filter_map(|t| {
            let s = u32::try_from(t.id).ok().and_then(|id| head.series(id))?;
            Some((s.id, Interval::new(t.mint, t.maxt)))
        })
        .collect()
}
