//! What a scrape loop remembers between scrapes: the stored label set of each exposed series
//! (so relabeling runs once per series, not once per sample), which series the last scrape
//! wrote (for stale markers), and the metadata last stored.

use crate::appender::Metadata;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// A stored label set, sorted by name, shared between the cache and the staleness sets.
pub type SeriesLabels = Arc<[(String, String)]>;

#[derive(Debug, Default)]
pub struct ScrapeCache {
    iter: u64,
    /// Exposed label set (name/value bytes joined by 0xff) → stored labels, `None` when
    /// metric relabeling drops the series; with the scrape it was last seen in.
    series: HashMap<Box<[u8]>, (Option<SeriesLabels>, u64)>,
    /// Series written at the scrape's own timestamp in the previous and the current scrape.
    prev: HashSet<SeriesLabels>,
    cur: HashSet<SeriesLabels>,
    metadata: HashMap<String, Metadata>,
}

impl ScrapeCache {
    /// Starts a scrape.
    pub fn begin(&mut self) {
        self.iter += 1;
        self.cur.clear();
    }

    /// The stored labels for an exposed series seen before (`Some(None)`: dropped).
    pub fn get(&mut self, key: &[u8]) -> Option<Option<SeriesLabels>> {
        let iter = self.iter;
        self.series.get_mut(key).map(|e| {
            e.1 = iter;
            e.0.clone()
        })
    }

    pub fn insert(&mut self, key: &[u8], labels: Option<SeriesLabels>) {
        self.series.insert(key.into(), (labels, self.iter));
    }

    /// Notes that this scrape wrote `labels` at its own timestamp.
    pub fn track(&mut self, labels: SeriesLabels) {
        self.cur.insert(labels);
    }

    /// Series the previous scrape wrote and this one did not.
    pub fn vanished(&self) -> impl Iterator<Item = &SeriesLabels> {
        self.prev.iter().filter(|l| !self.cur.contains(*l))
    }

    /// Ends a scrape. After a successful, non-empty one, series not exposed this time are
    /// forgotten, so that a label set that comes back counts as added again.
    pub fn end(&mut self, flush: bool) {
        if flush {
            let iter = self.iter;
            self.series.retain(|_, e| e.1 == iter);
        }
        std::mem::swap(&mut self.prev, &mut self.cur);
        self.cur.clear();
    }

    /// Every series the last scrape wrote: what gets stale markers when the target goes away.
    pub fn last_written(&self) -> impl Iterator<Item = &SeriesLabels> {
        self.prev.iter()
    }

    /// Records `meta` for `family`; true when it differs from what was recorded.
    pub fn set_metadata(&mut self, family: &str, meta: &Metadata) -> bool {
        match self.metadata.get(family) {
            Some(m) if m == meta => false,
            _ => {
                self.metadata.insert(family.to_string(), meta.clone());
                true
            }
        }
    }

    /// The metadata of every family this target has exposed, for `/api/v1/targets/metadata`.
    pub fn metadata(&self) -> &HashMap<String, Metadata> {
        &self.metadata
    }

    /// Distinct series in the cache (including dropped ones).
    pub fn len(&self) -> usize {
        self.series.len()
    }

    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }
}
