//! Tombstones: the time ranges of series marked deleted, shared by the head and by blocks.
//!
//! A delete does not touch stored samples. It records, per series id, the inclusive intervals
//! whose samples must no longer be read; readers drop those samples, and the data itself goes
//! away when the head is cut into a block or a block is rewritten (compaction or
//! `clean_tombstones`). Series ids are those of the owning source: head ids for the head,
//! index positions for a block.

use std::collections::BTreeMap;

/// A closed time range `[mint, maxt]`, ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interval {
    pub mint: i64,
    pub maxt: i64,
}

impl Interval {
    pub fn new(mint: i64, maxt: i64) -> Self {
        Interval { mint, maxt }
    }

    /// This interval clamped to `[lo, hi]`, or `None` if they do not intersect.
    pub fn clamp(self, lo: i64, hi: i64) -> Option<Interval> {
        let (mint, maxt) = (self.mint.max(lo), self.maxt.min(hi));
        (mint <= maxt).then_some(Interval { mint, maxt })
    }
}

/// Sorted, disjoint intervals; touching or overlapping intervals are merged on insertion, so
/// a range is deleted entirely exactly when one interval covers it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Intervals(Vec<Interval>);

impl Intervals {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Interval> {
        self.0.iter()
    }

    /// Adds `iv`, merging it with every interval it overlaps or touches. An empty interval
    /// (`mint > maxt`) is ignored.
    pub fn add(&mut self, iv: Interval) {
        if iv.mint > iv.maxt {
            return;
        }
        // First interval that ends at or after the point just before `iv` starts.
        let lo = self
            .0
            .partition_point(|x| x.maxt < iv.mint.saturating_sub(1));
        // First interval that starts after the point just after `iv` ends.
        let hi = self
            .0
            .partition_point(|x| x.mint <= iv.maxt.saturating_add(1));
        let mut merged = iv;
        if lo < hi {
            merged.mint = merged.mint.min(self.0[lo].mint);
            merged.maxt = merged.maxt.max(self.0[hi - 1].maxt);
        }
        self.0.splice(lo..hi, [merged]);
    }

    /// Whether `t` is deleted.
    pub fn contains(&self, t: i64) -> bool {
        let i = self.0.partition_point(|x| x.maxt < t);
        self.0.get(i).is_some_and(|x| x.mint <= t)
    }

    /// Whether every instant of `[mint, maxt]` is deleted.
    pub fn covers(&self, mint: i64, maxt: i64) -> bool {
        let i = self.0.partition_point(|x| x.maxt < mint);
        self.0
            .get(i)
            .is_some_and(|x| x.mint <= mint && maxt <= x.maxt)
    }

    /// Whether any instant of `[mint, maxt]` is deleted.
    pub fn overlaps(&self, mint: i64, maxt: i64) -> bool {
        let i = self.0.partition_point(|x| x.maxt < mint);
        self.0.get(i).is_some_and(|x| x.mint <= maxt)
    }

    /// Removes the deleted samples from `samples[start..]` (sorted or not), keeping order.
    pub fn remove_deleted(&self, samples: &mut Vec<(i64, f64)>, start: usize) {
        if self.0.is_empty() {
            return;
        }
        let mut w = start;
        for r in start..samples.len() {
            if !self.contains(samples[r].0) {
                samples[w] = samples[r];
                w += 1;
            }
        }
        samples.truncate(w);
    }

    /// Drops the parts before `t`: they covered data that is gone.
    pub fn truncate_before(&mut self, t: i64) {
        self.0.retain(|x| x.maxt >= t);
        if let Some(first) = self.0.first_mut() {
            first.mint = first.mint.max(t);
        }
    }
}

impl FromIterator<Interval> for Intervals {
    fn from_iter<I: IntoIterator<Item = Interval>>(iter: I) -> Self {
        let mut out = Intervals::default();
        for iv in iter {
            out.add(iv);
        }
        out
    }
}

/// Deleted intervals per series id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tombstones {
    /// Ordered so that files and records are written in id order.
    by_series: BTreeMap<u32, Intervals>,
}

impl Tombstones {
    pub fn is_empty(&self) -> bool {
        self.by_series.is_empty()
    }

    /// Number of series with deleted intervals.
    pub fn num_series(&self) -> usize {
        self.by_series.len()
    }

    /// Total number of intervals.
    pub fn num_intervals(&self) -> usize {
        self.by_series.values().map(Intervals::len).sum()
    }

    pub fn get(&self, id: u32) -> Option<&Intervals> {
        self.by_series.get(&id)
    }

    pub fn add(&mut self, id: u32, iv: Interval) {
        if iv.mint > iv.maxt {
            return;
        }
        self.by_series.entry(id).or_default().add(iv);
    }

    /// `(series id, intervals)` in ascending id order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Intervals)> {
        self.by_series.iter().map(|(id, ivs)| (*id, ivs))
    }

    /// Ids of the series with deleted intervals, ascending.
    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.by_series.keys().copied()
    }

    /// Drops every interval ending before `t`, and the series `keep` rejects.
    pub fn truncate(&mut self, t: i64, mut keep: impl FnMut(u32) -> bool) {
        self.by_series.retain(|id, ivs| {
            ivs.truncate_before(t);
            !ivs.is_empty() && keep(*id)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ivs(v: &[(i64, i64)]) -> Intervals {
        v.iter().map(|&(a, b)| Interval::new(a, b)).collect()
    }

    fn pairs(i: &Intervals) -> Vec<(i64, i64)> {
        i.iter().map(|x| (x.mint, x.maxt)).collect()
    }

    #[test]
    fn add_merges_overlapping_and_touching_intervals() {
        let mut i = ivs(&[(10, 20), (40, 50)]);
        i.add(Interval::new(21, 25));
        assert_eq!(pairs(&i), vec![(10, 25), (40, 50)]);
        i.add(Interval::new(0, 5));
        assert_eq!(pairs(&i), vec![(0, 5), (10, 25), (40, 50)]);
        i.add(Interval::new(6, 45));
        assert_eq!(pairs(&i), vec![(0, 50)]);
        i.add(Interval::new(7, 3));
        assert_eq!(pairs(&i), vec![(0, 50)]);
        let mut ext = ivs(&[(i64::MIN, 0)]);
        ext.add(Interval::new(5, i64::MAX));
        ext.add(Interval::new(1, 4));
        assert_eq!(pairs(&ext), vec![(i64::MIN, i64::MAX)]);
    }

    #[test]
    fn contains_covers_and_overlaps() {
        let i = ivs(&[(10, 20), (30, 40)]);
        assert!(!i.contains(9) && i.contains(10) && i.contains(20) && !i.contains(25));
        assert!(i.covers(12, 18) && i.covers(10, 20) && !i.covers(15, 35));
        assert!(i.overlaps(0, 10) && i.overlaps(20, 29) && !i.overlaps(21, 29));
        assert!(!Intervals::default().overlaps(i64::MIN, i64::MAX));
    }

    #[test]
    fn remove_deleted_keeps_the_rest_in_order() {
        let i = ivs(&[(2, 3), (6, 6)]);
        let mut s: Vec<(i64, f64)> = (0..8).map(|t| (t, t as f64)).collect();
        i.remove_deleted(&mut s, 1);
        let ts: Vec<i64> = s.iter().map(|x| x.0).collect();
        assert_eq!(ts, vec![0, 1, 4, 5, 7]);
    }

    #[test]
    fn truncate_drops_old_intervals_and_rejected_series() {
        let mut t = Tombstones::default();
        t.add(1, Interval::new(0, 10));
        t.add(1, Interval::new(20, 30));
        t.add(2, Interval::new(0, 5));
        t.add(3, Interval::new(50, 60));
        t.truncate(25, |id| id != 3);
        assert_eq!(t.num_series(), 1);
        assert_eq!(pairs(t.get(1).unwrap()), vec![(25, 30)]);
    }
}
