//! Reads the head and the persisted blocks of a time range as one store.
//!
//! Each source is asked for the matching series; the results are merged by label set, and
//! samples that several sources hold for the same timestamp are kept once (the newest source
//! wins: the head over blocks, a later block over an earlier one).
//!
//! Tombstones (deleted intervals) are applied per source before merging: deleted samples are
//! never returned, and a series left without samples in the range is not returned by any
//! method (see [`deleted`] for how that is judged cheaply).
//!
//! The head is read before the block list is looked at. A head cut publishes its new block
//! before it truncates the head, so whichever side of a cut a read falls on, it sees the data
//! in the head, in the block, or in both — never in neither.

mod deleted;

use crate::tsdb::block::Block;
use crate::tsdb::chunkenc::{self, Encoding};
use crate::tsdb::head::Head;
use promql::storage::{Querier, SelectHints, SeriesSet, StorageError};
use promql::{Labels, Matcher, MemSeries, SampleIterator, VecSampleIterator};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock};

/// The database's list of open blocks, shared with its queriers.
pub(crate) type BlockList = Arc<RwLock<Vec<Arc<Block>>>>;

#[derive(Debug)]
pub struct DbQuerier {
    pub(crate) head: Arc<Head>,
    /// The database's live block list, sorted by time.
    pub(crate) blocks: BlockList,
    pub(crate) mint: i64,
    pub(crate) maxt: i64,
    pub(crate) max_samples: usize,
}

impl DbQuerier {
    /// Every matching series with its samples in range, sorted by labels.
    pub fn select_series(
        &self,
        mint: i64,
        maxt: i64,
        matchers: &[Matcher],
    ) -> Result<Vec<MemSeries>, StorageError> {
        let (mint, maxt) = (mint.max(self.mint), maxt.min(self.maxt));
        let mut merged: BTreeMap<Labels, Vec<(i64, f64)>> = BTreeMap::new();
        let mut total = 0usize;
        let mut budget = |n: usize| -> Result<(), StorageError> {
            total += n;
            if total > self.max_samples {
                return Err(StorageError::Other(format!(
                    "query processing would load too many samples into memory (more than {})",
                    self.max_samples
                )));
            }
            Ok(())
        };
        let mut head_part = Vec::new();
        let head_stones = self.head.tombstones();
        for s in self.head.select(matchers) {
            let mut samples = Vec::new();
            s.lock().samples_in(mint, maxt, &mut samples);
            if let Some(d) = head_stones.get(s.id) {
                d.remove_deleted(&mut samples, 0);
            }
            budget(samples.len())?;
            if !samples.is_empty() {
                head_part.push((s.labels.clone(), samples));
            }
        }
        for b in &self.blocks_in(mint, maxt) {
            let meta = b.meta();
            if meta.max_time <= mint || meta.min_time > maxt {
                continue;
            }
            let stones = b.tombstones();
            for id in b.select(matchers).iter() {
                let (labels, chunks) = b.series(id).map_err(storage_err)?;
                let deleted = stones.get(id);
                let out = merged.entry(labels).or_default();
                let before = out.len();
                for c in chunks.iter().filter(|c| c.maxt >= mint && c.mint <= maxt) {
                    if deleted.is_some_and(|d| d.covers(c.mint.max(mint), c.maxt.min(maxt))) {
                        continue;
                    }
                    let (enc, data) = b.read_chunk(c).map_err(storage_err)?;
                    let enc = Encoding::from_u8(enc).ok_or_else(|| {
                        StorageError::Corrupt(format!("unknown chunk encoding {enc}"))
                    })?;
                    let start = out.len();
                    decode_range(enc, &data, mint, maxt, out)?;
                    if let Some(d) = deleted {
                        d.remove_deleted(out, start);
                    }
                }
                budget(out.len() - before)?;
            }
        }
        // After the blocks, so that the head wins among equal timestamps.
        for (labels, samples) in head_part {
            merged.entry(labels).or_default().extend(samples);
        }
        Ok(merged
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(labels, mut samples)| {
                // Stable sort keeps source order among equal timestamps; the last one is the
                // newest source.
                samples.sort_by_key(|s| s.0);
                dedup_keep_last(&mut samples);
                MemSeries { labels, samples }
            })
            .collect())
    }

    /// The label sets of the series matching `matchers` that have samples within
    /// `[mint, maxt]`, sorted. Judged from chunk bounds, without decoding samples, except for
    /// chunks that tombstones cover in part.
    pub fn series_labels(
        &self,
        mint: i64,
        maxt: i64,
        matchers: &[Matcher],
    ) -> Result<Vec<Labels>, StorageError> {
        let head_stones = self.head.tombstones();
        let mut out: BTreeSet<Labels> = self
            .head
            .select(matchers)
            .into_iter()
            .filter(|s| {
                let d = s.lock();
                match head_stones.get(s.id) {
                    Some(del) => deleted::head_series_live(&d, del, mint, maxt),
                    None => d.overlaps(mint, maxt),
                }
            })
            .map(|s| s.labels.clone())
            .collect();
        for b in self.blocks_in(mint, maxt) {
            let stones = b.tombstones();
            for id in b.select(matchers).iter() {
                let (labels, chunks) = b.series(id).map_err(storage_err)?;
                let live = match stones.get(id) {
                    Some(del) => deleted::block_series_live(&b, &chunks, del, mint, maxt)?,
                    None => chunks.iter().any(|c| c.maxt >= mint && c.mint <= maxt),
                };
                if live {
                    out.insert(labels);
                }
            }
        }
        Ok(out.into_iter().collect())
    }

    /// Label names of the head series matching `matchers`, leaving out series whose samples
    /// in the querier's range are all deleted.
    fn head_label_names(&self, matchers: &[Matcher]) -> Vec<String> {
        match self.head_live_selection(matchers) {
            Some(selected) => self.head.label_names_of(&selected),
            None => self.head.label_names(matchers),
        }
    }

    fn head_label_values(&self, name: &str, matchers: &[Matcher]) -> Vec<String> {
        match self.head_live_selection(matchers) {
            Some(selected) => self.head.label_values_of(name, &selected),
            None => self.head.label_values(name, matchers),
        }
    }

    /// The head series matching `matchers` minus the deleted ones, or `None` when no
    /// matching series is left empty by tombstones (the usual case: then the index answers).
    fn head_live_selection(&self, matchers: &[Matcher]) -> Option<roaring::RoaringBitmap> {
        let stones = self.head.tombstones();
        if stones.is_empty() {
            return None;
        }
        let mut selected = self.head.select_ids(matchers);
        let dead = deleted::head_dead(&self.head, &stones, &selected, self.mint, self.maxt);
        if dead.is_empty() {
            return None;
        }
        selected -= dead;
        Some(selected)
    }

    /// Like [`Self::head_live_selection`], for a block.
    fn block_live_selection(
        &self,
        b: &Block,
        matchers: &[Matcher],
    ) -> Result<Option<roaring::RoaringBitmap>, StorageError> {
        let stones = b.tombstones();
        if stones.is_empty() {
            return Ok(None);
        }
        let mut selected = b.select(matchers);
        let dead = deleted::block_dead(b, &stones, &selected, self.mint, self.maxt)?;
        if dead.is_empty() {
            return Ok(None);
        }
        selected -= dead;
        Ok(Some(selected))
    }

    /// The blocks overlapping `[mint, maxt]` right now, oldest first.
    fn blocks_in(&self, mint: i64, maxt: i64) -> Vec<Arc<Block>> {
        self.blocks
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|b| b.meta().max_time > mint && b.meta().min_time <= maxt)
            .cloned()
            .collect()
    }
}

fn storage_err(e: impl std::fmt::Display) -> StorageError {
    StorageError::Other(e.to_string())
}

/// Appends the samples of one chunk that lie within `[mint, maxt]` to `out`.
pub(crate) fn decode_range(
    enc: Encoding,
    data: &[u8],
    mint: i64,
    maxt: i64,
    out: &mut Vec<(i64, f64)>,
) -> Result<(), StorageError> {
    let mut it = chunkenc::iter_chunk(enc, data);
    if it.seek(mint) {
        loop {
            let s = it.at();
            if s.0 > maxt {
                break;
            }
            out.push(s);
            if !it.next() {
                break;
            }
        }
    }
    match it.err() {
        Some(e) => Err(StorageError::Corrupt(e.to_string())),
        None => Ok(()),
    }
}

fn dedup_keep_last(v: &mut Vec<(i64, f64)>) {
    let mut w = 0;
    for r in 0..v.len() {
        if w > 0 && v[w - 1].0 == v[r].0 {
            v[w - 1] = v[r];
        } else {
            v[w] = v[r];
            w += 1;
        }
    }
    v.truncate(w);
}

impl Querier for DbQuerier {
    fn select(
        &self,
        hints: &SelectHints,
        matchers: &[Matcher],
    ) -> Result<Box<dyn SeriesSet>, StorageError> {
        let (mint, maxt) = if hints.mint == 0 && hints.maxt == 0 {
            (self.mint, self.maxt)
        } else {
            (hints.mint, hints.maxt)
        };
        let series = self.select_series(mint, maxt, matchers)?;
        Ok(Box::new(VecSeriesSet {
            series: series
                .into_iter()
                .map(|s| (s.labels, s.samples.into()))
                .collect(),
            pos: 0,
        }))
    }

    fn label_names(&self, matchers: &[Matcher]) -> Result<Vec<String>, StorageError> {
        let mut names: BTreeSet<String> = self.head_label_names(matchers).into_iter().collect();
        for b in self.blocks_in(self.mint, self.maxt) {
            match self.block_live_selection(&b, matchers)? {
                Some(selected) => names.extend(b.label_names_of(&selected)),
                None => names.extend(b.label_names(matchers).map_err(storage_err)?),
            }
        }
        Ok(names.into_iter().collect())
    }

    fn label_values(&self, name: &str, matchers: &[Matcher]) -> Result<Vec<String>, StorageError> {
        let mut vals: BTreeSet<String> =
            self.head_label_values(name, matchers).into_iter().collect();
        for b in self.blocks_in(self.mint, self.maxt) {
            match self.block_live_selection(&b, matchers)? {
                Some(selected) => vals.extend(b.label_values_of(name, &selected)),
                None => vals.extend(b.label_values(name, matchers).map_err(storage_err)?),
            }
        }
        Ok(vals.into_iter().collect())
    }
}

type Samples = Arc<[(i64, f64)]>;

/// A series set over materialized series.
#[derive(Debug)]
pub struct VecSeriesSet {
    series: Vec<(Labels, Samples)>,
    /// Index of the current series plus one.
    pos: usize,
}

impl SeriesSet for VecSeriesSet {
    fn next(&mut self) -> bool {
        if self.pos <= self.series.len() {
            self.pos += 1;
        }
        self.pos <= self.series.len()
    }

    fn labels(&self) -> &Labels {
        &self.series[self.pos - 1].0
    }

    fn iterator(&self) -> Box<dyn SampleIterator> {
        Box::new(VecSampleIterator::new(self.series[self.pos - 1].1.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::dedup_keep_last;

    #[test]
    fn dedup_keeps_newest_source() {
        let mut v = vec![(1, 1.0), (2, 2.0), (2, 9.0), (3, 3.0)];
        dedup_keep_last(&mut v);
        assert_eq!(v, vec![(1, 1.0), (2, 9.0), (3, 3.0)]);
    }
}
