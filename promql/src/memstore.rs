//! An in-memory [`Queryable`]: for tests, the promqltest runner and benches.

use crate::storage::{
    MemSeries, Querier, Queryable, SampleIterator, SelectHints, SeriesSet, StorageError,
    VecSampleIterator,
};
use crate::{Labels, Matcher};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Series kept sorted by labels, samples sorted by time.
#[derive(Debug, Clone, Default)]
pub struct MemStorage {
    series: BTreeMap<Labels, Vec<(i64, f64)>>,
}

impl MemStorage {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one sample; a sample at an existing timestamp replaces it.
    pub fn add(&mut self, labels: &Labels, t: i64, v: f64) {
        let s = self.series.entry(labels.clone()).or_default();
        match s.binary_search_by_key(&t, |p| p.0) {
            Ok(i) => s[i].1 = v,
            Err(i) => s.insert(i, (t, v)),
        }
    }

    pub fn clear(&mut self) {
        self.series.clear();
    }

    pub fn series(&self) -> impl Iterator<Item = MemSeries> + '_ {
        self.series.iter().map(|(l, s)| MemSeries {
            labels: l.clone(),
            samples: s.clone(),
        })
    }
}

impl Queryable for MemStorage {
    fn querier(&self, mint: i64, maxt: i64) -> Result<Box<dyn Querier>, StorageError> {
        let series = self
            .series
            .iter()
            .filter_map(|(l, s)| {
                let lo = s.partition_point(|p| p.0 < mint);
                let hi = s.partition_point(|p| p.0 <= maxt);
                (lo < hi).then(|| (l.clone(), Arc::<[(i64, f64)]>::from(&s[lo..hi])))
            })
            .collect();
        Ok(Box::new(MemQuerier { series }))
    }
}

/// A series' labels and a cheap shared handle on its samples.
type Shared = (Labels, Arc<[(i64, f64)]>);

struct MemQuerier {
    series: Vec<Shared>,
}

fn matches_all(labels: &Labels, matchers: &[Matcher]) -> bool {
    matchers
        .iter()
        .all(|m| m.matches(labels.get(&m.name).unwrap_or("")))
}

impl Querier for MemQuerier {
    fn select(
        &self,
        _hints: &SelectHints,
        matchers: &[Matcher],
    ) -> Result<Box<dyn SeriesSet>, StorageError> {
        let picked = self
            .series
            .iter()
            .filter(|(l, _)| matches_all(l, matchers))
            .cloned()
            .collect();
        Ok(Box::new(MemSeriesSet {
            series: picked,
            pos: 0,
        }))
    }

    fn label_names(&self, matchers: &[Matcher]) -> Result<Vec<String>, StorageError> {
        let mut names: Vec<String> = self
            .series
            .iter()
            .filter(|(l, _)| matches_all(l, matchers))
            .flat_map(|(l, _)| l.iter().map(|x| x.name.clone()))
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    fn label_values(&self, name: &str, matchers: &[Matcher]) -> Result<Vec<String>, StorageError> {
        let mut vals: Vec<String> = self
            .series
            .iter()
            .filter(|(l, _)| matches_all(l, matchers))
            .filter_map(|(l, _)| l.get(name).map(str::to_string))
            .collect();
        vals.sort();
        vals.dedup();
        Ok(vals)
    }
}

struct MemSeriesSet {
    series: Vec<Shared>,
    // Index of the current series plus one.
    pos: usize,
}

impl SeriesSet for MemSeriesSet {
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
