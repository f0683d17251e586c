//! The head: the in-memory, writable part of the TSDB holding the most recent data.
//!
//! Series are found by label hash in striped maps (so that concurrent appenders rarely share
//! a lock) and by id; label postings are roaring bitmaps. Samples are appended through
//! [`HeadAppender`], which logs them to the write-ahead log before applying them. When the head
//! spans enough time, the database cuts its oldest range into a block and truncates it here.

mod appender;
mod hash;
mod postings;
mod series;

pub use appender::HeadAppender;
pub use postings::MemPostings;
pub use series::{
    AppendLimits, HeadChunk, MemSeries, Placement, SeriesData, encode_chunks, without_deleted,
};

use crate::appender::Metadata;
use crate::tsdb::postings::{self as postings_select, PostingsSource};
use crate::tsdb::tombstones::{Interval, Tombstones};
use promql::{Labels, Matcher};
use roaring::RoaringBitmap;
use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

const STRIPES: usize = 64;

#[derive(Debug, Clone, Copy)]
pub struct HeadOptions {
    /// How far behind its newest sample a series accepts samples, in milliseconds; 0 disables.
    pub ooo_window: i64,
    /// Block range in milliseconds; chunks never straddle a multiple of it.
    pub block_range: i64,
}

type SeriesMap = HashMap<u64, Vec<Arc<MemSeries>>, hash::KeyHashBuilder>;
type IdMap = HashMap<u32, Arc<MemSeries>, hash::KeyHashBuilder>;

#[derive(Debug)]
pub struct Head {
    opts: HeadOptions,
    hasher: hash::LabelHashBuilder,
    by_hash: Box<[Mutex<SeriesMap>]>,
    by_id: Box<[RwLock<IdMap>]>,
    postings: MemPostings,
    next_id: AtomicU32,
    num_series: AtomicU64,
    /// Samples below this are covered by persisted blocks and refused.
    min_valid_time: AtomicI64,
    /// Newest timestamp appended to any series.
    maxt: AtomicI64,
    metadata: RwLock<HashMap<String, Metadata>>,
    /// Deleted intervals by series id; replaced (copy on write) when deletes add to it, so
    /// queries read a snapshot without holding the lock.
    tombstones: RwLock<Arc<Tombstones>>,
    /// Commits hold it shared while they log and apply; a block cut holds it exclusively while
    /// it raises `min_valid_time` and cuts the WAL, so no sample below the cut slips in after.
    pub(crate) commit_gate: RwLock<()>,
}

impl Head {
    pub fn new(opts: HeadOptions) -> Self {
        Head {
            opts,
            hasher: hash::LabelHashBuilder::default(),
            by_hash: (0..STRIPES).map(|_| Mutex::default()).collect(),
            by_id: (0..STRIPES).map(|_| RwLock::default()).collect(),
            postings: MemPostings::default(),
            next_id: AtomicU32::new(1),
            num_series: AtomicU64::new(0),
            min_valid_time: AtomicI64::new(i64::MIN),
            maxt: AtomicI64::new(i64::MIN),
            metadata: RwLock::default(),
            tombstones: RwLock::default(),
            commit_gate: RwLock::new(()),
        }
    }

    pub fn options(&self) -> HeadOptions {
        self.opts
    }

    pub fn limits(&self) -> AppendLimits {
        AppendLimits {
            min_valid_time: self.min_valid_time.load(Ordering::Acquire),
            ooo_window: self.opts.ooo_window,
            block_range: self.opts.block_range,
        }
    }

    pub fn min_valid_time(&self) -> i64 {
        self.min_valid_time.load(Ordering::Acquire)
    }

    pub fn set_min_valid_time(&self, t: i64) {
        self.min_valid_time.fetch_max(t, Ordering::AcqRel);
    }

    pub fn maxt(&self) -> i64 {
        self.maxt.load(Ordering::Acquire)
    }

    pub(crate) fn observe_time(&self, t: i64) {
        self.maxt.fetch_max(t, Ordering::AcqRel);
    }

    pub fn num_series(&self) -> u64 {
        self.num_series.load(Ordering::Relaxed)
    }

    fn hash(&self, labels: &Labels) -> u64 {
        self.hash_pairs(labels.iter().map(|l| (l.name.as_str(), l.value.as_str())))
    }

    /// The same hash for a `Labels` and for the equivalent pairs, so that decoded requests
    /// find their series without allocating.
    fn hash_pairs<'a>(&self, pairs: impl Iterator<Item = (&'a str, &'a str)>) -> u64 {
        let mut h = self.hasher.build_hasher();
        for (n, v) in pairs {
            h.write(n.as_bytes());
            h.write_u8(0xff);
            h.write(v.as_bytes());
            h.write_u8(0xff);
        }
        h.finish()
    }

    /// `get_or_create` for sorted `(name, value)` pairs; builds a `Labels` only for a new series.
    pub fn get_or_create_pairs(&self, pairs: &[(&str, &str)]) -> (Arc<MemSeries>, bool) {
        let h = self.hash_pairs(pairs.iter().copied());
        {
            let stripe = self.by_hash[h as usize % STRIPES]
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if let Some(s) = stripe
                .get(&h)
                .and_then(|b| b.iter().find(|s| labels_eq(&s.labels, pairs)))
            {
                return (s.clone(), false);
            }
        }
        let labels = Labels::from_sorted(
            pairs
                .iter()
                .map(|(n, v)| promql::Label::new(*n, *v))
                .collect(),
        );
        self.get_or_create(&labels)
    }

    /// The series with these labels, created if new; the flag says whether it was created.
    pub fn get_or_create(&self, labels: &Labels) -> (Arc<MemSeries>, bool) {
        let h = self.hash(labels);
        let mut stripe = self.by_hash[h as usize % STRIPES]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let bucket = stripe.entry(h).or_default();
        if let Some(s) = bucket.iter().find(|s| &s.labels == labels) {
            return (s.clone(), false);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let s = Arc::new(MemSeries::new(id, labels.clone()));
        bucket.push(s.clone());
        drop(stripe);
        self.index(&s);
        (s, true)
    }

    /// Recreates a series with a known id (WAL replay). Returns the existing series when the
    /// labels are already present under another id.
    pub fn create_with_id(&self, id: u32, labels: Labels) -> Arc<MemSeries> {
        let h = self.hash(&labels);
        let mut stripe = self.by_hash[h as usize % STRIPES]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let bucket = stripe.entry(h).or_default();
        if let Some(s) = bucket.iter().find(|s| s.labels == labels) {
            return s.clone();
        }
        let s = Arc::new(MemSeries::new(id, labels));
        bucket.push(s.clone());
        drop(stripe);
        self.next_id
            .fetch_max(id.saturating_add(1), Ordering::Relaxed);
        self.index(&s);
        s
    }

    fn index(&self, s: &Arc<MemSeries>) {
        self.by_id[s.id as usize % STRIPES]
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(s.id, s.clone());
        self.postings.add(s.id, &s.labels);
        self.num_series.fetch_add(1, Ordering::Relaxed);
    }

    /// The label index of the head.
    pub fn postings(&self) -> &MemPostings {
        &self.postings
    }

    pub fn series(&self, id: u32) -> Option<Arc<MemSeries>> {
        self.by_id[id as usize % STRIPES]
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned()
    }

    /// Ids of the series matching every matcher.
    pub fn select_ids(&self, matchers: &[Matcher]) -> RoaringBitmap {
        postings_select::select(&self.postings, matchers)
    }

    /// Label names of the series in `selected`, sorted.
    pub fn label_names_of(&self, selected: &RoaringBitmap) -> Vec<String> {
        self.postings.label_names_of(selected)
    }

    /// Values of label `name` on the series in `selected`, sorted.
    pub fn label_values_of(&self, name: &str, selected: &RoaringBitmap) -> Vec<String> {
        self.postings.label_values_of(name, selected)
    }

    /// Series matching every matcher, sorted by labels.
    pub fn select(&self, matchers: &[Matcher]) -> Vec<Arc<MemSeries>> {
        let ids = postings_select::select(&self.postings, matchers);
        let mut out: Vec<Arc<MemSeries>> = ids.iter().filter_map(|id| self.series(id)).collect();
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        out
    }

    /// Every series, sorted by labels.
    pub fn all_series(&self) -> Vec<Arc<MemSeries>> {
        let ids = self.postings.all_postings();
        let mut out: Vec<Arc<MemSeries>> = ids.iter().filter_map(|id| self.series(id)).collect();
        out.sort_by(|a, b| a.labels.cmp(&b.labels));
        out
    }

    pub fn label_names(&self, matchers: &[Matcher]) -> Vec<String> {
        if matchers.is_empty() {
            return self.postings.label_names();
        }
        let mut names = BTreeSet::new();
        for s in self.select(matchers) {
            for l in &s.labels {
                names.insert(l.name.clone());
            }
        }
        names.into_iter().collect()
    }

    pub fn label_values(&self, name: &str, matchers: &[Matcher]) -> Vec<String> {
        if matchers.is_empty() {
            let mut v = self.postings.label_values(name);
            v.sort();
            return v;
        }
        let mut vals = BTreeSet::new();
        for s in self.select(matchers) {
            if let Some(v) = s.labels.get(name) {
                vals.insert(v.to_string());
            }
        }
        vals.into_iter().collect()
    }

    /// Removes series that hold no data (after a truncation). Returns how many were removed.
    pub fn gc(&self) -> usize {
        let mut removed = 0;
        for stripe in self.by_hash.iter() {
            let mut g = stripe.lock().unwrap_or_else(|e| e.into_inner());
            g.retain(|_, bucket| {
                bucket.retain(|s| {
                    // Only drop a series nobody else holds: an appender that staged samples for
                    // it keeps a clone until it commits. The two maps hold one each.
                    let empty = Arc::strong_count(s) == 2
                        && s.data.try_lock().map(|d| d.is_empty()).unwrap_or(false);
                    if empty {
                        self.by_id[s.id as usize % STRIPES]
                            .write()
                            .unwrap_or_else(|e| e.into_inner())
                            .remove(&s.id);
                        self.postings.remove(s.id, &s.labels);
                        removed += 1;
                    }
                    !empty
                });
                !bucket.is_empty()
            });
        }
        self.num_series.fetch_sub(removed as u64, Ordering::Relaxed);
        removed
    }

    /// Oldest timestamp held by any series, if any.
    pub fn mint(&self) -> Option<i64> {
        let mut min = None;
        self.for_each_series(|s| {
            if let Some(t) = s.lock().mint() {
                min = Some(min.map_or(t, |m: i64| m.min(t)));
            }
        });
        min
    }

    /// Calls `f` on every series, in no particular order, holding one id stripe at a time.
    pub fn for_each_series(&self, mut f: impl FnMut(&MemSeries)) {
        for stripe in self.by_id.iter() {
            let g = stripe.read().unwrap_or_else(|e| e.into_inner());
            for s in g.values() {
                f(s);
            }
        }
    }

    pub fn set_metadata(&self, metric: &str, meta: Metadata) {
        let mut g = self.metadata.write().unwrap_or_else(|e| e.into_inner());
        if g.get(metric) != Some(&meta) {
            g.insert(metric.to_string(), meta);
        }
    }

    pub fn metadata(&self) -> HashMap<String, Metadata> {
        self.metadata
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The deleted intervals of head series, as of now.
    pub fn tombstones(&self) -> Arc<Tombstones> {
        self.tombstones
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The intervals a delete of `[mint, maxt]` adds for the series matching every matcher of
    /// any of `selectors`: as in Prometheus, one per series holding data in the range,
    /// clamped to the data the series holds now (so samples appended later, past it, stay
    /// visible). Changes nothing.
    pub fn delete_intervals(
        &self,
        selectors: &[Vec<Matcher>],
        mint: i64,
        maxt: i64,
    ) -> Vec<(u32, Interval)> {
        let mut ids = RoaringBitmap::new();
        for ms in selectors {
            ids |= postings_select::select(&self.postings, ms);
        }
        let mut out = Vec::new();
        for id in &ids {
            let Some(s) = self.series(id) else { continue };
            let d = s.lock();
            let Some(first) = d.mint() else { continue };
            if !d.overlaps(mint, maxt) {
                continue;
            }
            if let Some(iv) = Interval::new(mint, maxt).clamp(first, d.maxt()) {
                out.push((id, iv));
            }
        }
        out
    }

    /// Adds deleted intervals (after they were logged, or while replaying the log).
    pub(crate) fn add_tombstones(&self, entries: impl IntoIterator<Item = (u32, Interval)>) {
        let mut g = self.tombstones.write().unwrap_or_else(|e| e.into_inner());
        let t = Arc::make_mut(&mut g);
        for (id, iv) in entries {
            t.add(id, iv);
        }
    }

    /// Forgets the intervals below `t` (that data left the head) and those of series no
    /// longer in the head.
    pub(crate) fn truncate_tombstones(&self, t: i64) {
        let mut g = self.tombstones.write().unwrap_or_else(|e| e.into_inner());
        if g.is_empty() {
            return;
        }
        Arc::make_mut(&mut g).truncate(t, |id| self.series(id).is_some());
    }

    /// Bytes of chunk data held in memory.
    pub fn chunk_bytes(&self) -> usize {
        let mut total = 0;
        self.for_each_series(|s| total += s.lock().chunk_bytes());
        total
    }
}

/// Whether `labels` and `pairs` are the same label set.
pub fn labels_eq(labels: &Labels, pairs: &[(&str, &str)]) -> bool {
    labels.len() == pairs.len()
        && labels
            .iter()
            .zip(pairs)
            .all(|(l, (n, v))| l.name == *n && l.value == *v)
}
