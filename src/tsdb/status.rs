//! Cardinality statistics of the head, as Prometheus's `/api/v1/status/tsdb` reports them.

use crate::tsdb::head::Head;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

/// The label whose values name metrics.
const METRIC_NAME: &str = "__name__";

/// What `/api/v1/status/tsdb` returns. Every list holds at most the requested number of
/// `(name, value)` entries, by value descending, ties by name ascending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TsdbStatus {
    pub head_stats: HeadStats,
    /// Series per metric name (`__name__` value).
    pub series_count_by_metric_name: Vec<(String, u64)>,
    /// Distinct values per label name.
    pub label_value_count_by_label_name: Vec<(String, u64)>,
    /// Per label name, the bytes of its values summed over the series carrying them
    /// (`len(value) × series`), as Prometheus estimates it.
    pub memory_in_bytes_by_label_name: Vec<(String, u64)>,
    /// Series per label pair, named `name=value`.
    pub series_count_by_label_value_pair: Vec<(String, u64)>,
}

/// The head's totals (`headStats` in the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeadStats {
    pub num_series: u64,
    /// Distinct `(name, value)` pairs over all series.
    pub num_label_pairs: u64,
    /// Chunks in memory (closed and open ones, and one per non-empty out-of-order buffer).
    pub chunk_count: u64,
    /// Oldest sample in the head, ms; `i64::MAX` when the head is empty (as Prometheus).
    pub min_time: i64,
    /// Newest sample appended to the head, ms; `i64::MIN` when nothing was ever appended.
    pub max_time: i64,
}

/// Computes [`TsdbStatus`] over `head`: one pass over its postings under their read lock and
/// one over its series (each locked briefly to count chunks), without decoding samples. Only
/// `limit` entries per list are kept while counting, so memory stays small however many
/// label pairs there are.
pub fn head_status(head: &Head, limit: usize) -> TsdbStatus {
    let mut metrics = TopK::new(limit);
    let mut values_per_name = TopK::new(limit);
    let mut bytes_per_name = TopK::new(limit);
    let mut pairs = TopK::new(limit);
    let mut num_label_pairs = 0u64;
    head.postings().for_each_name(|name, values| {
        num_label_pairs += values.len() as u64;
        values_per_name.offer(values.len() as u64, || name.to_string());
        let mut bytes = 0u64;
        for (value, ids) in values {
            let n = ids.len();
            bytes = bytes.saturating_add((value.len() as u64).saturating_mul(n));
            if name == METRIC_NAME {
                metrics.offer(n, || value.clone());
            }
            pairs.offer(n, || format!("{name}={value}"));
        }
        bytes_per_name.offer(bytes, || name.to_string());
    });
    let mut chunk_count = 0u64;
    let mut min_time: Option<i64> = None;
    head.for_each_series(|s| {
        let d = s.lock();
        chunk_count += d.num_chunks() as u64;
        if let Some(t) = d.mint() {
            min_time = Some(min_time.map_or(t, |m| m.min(t)));
        }
    });
    TsdbStatus {
        head_stats: HeadStats {
            num_series: head.num_series(),
            num_label_pairs,
            chunk_count,
            min_time: min_time.unwrap_or(i64::MAX),
            max_time: head.maxt(),
        },
        series_count_by_metric_name: metrics.into_sorted(),
        label_value_count_by_label_name: values_per_name.into_sorted(),
        memory_in_bytes_by_label_name: bytes_per_name.into_sorted(),
        series_count_by_label_value_pair: pairs.into_sorted(),
    }
}

/// An entry ordered so that greater is better: a higher count, then an earlier name.
#[derive(Debug, PartialEq, Eq)]
struct Ranked {
    count: u64,
    name: String,
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.count
            .cmp(&other.count)
            .then_with(|| other.name.cmp(&self.name))
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Keeps the `limit` best entries offered: a min-heap whose top is the worst kept entry.
#[derive(Debug)]
struct TopK {
    limit: usize,
    heap: BinaryHeap<Reverse<Ranked>>,
}

impl TopK {
    fn new(limit: usize) -> Self {
        TopK {
            limit,
            heap: BinaryHeap::with_capacity(limit.min(1024) + 1),
        }
    }

    /// Offers an entry; `name` is only built when the count may make it in, so the common
    /// case of a full list and a small count allocates nothing.
    fn offer(&mut self, count: u64, name: impl FnOnce() -> String) {
        if self.limit == 0 {
            return;
        }
        let full = self.heap.len() >= self.limit;
        if full && self.heap.peek().is_some_and(|w| count < w.0.count) {
            return;
        }
        let r = Ranked {
            count,
            name: name(),
        };
        if full {
            if self.heap.peek().is_some_and(|w| r <= w.0) {
                return;
            }
            self.heap.pop();
        }
        self.heap.push(Reverse(r));
    }

    fn into_sorted(self) -> Vec<(String, u64)> {
        let mut v: Vec<Ranked> = self.heap.into_iter().map(|r| r.0).collect();
        v.sort_by(|a, b| b.cmp(a));
        v.into_iter().map(|r| (r.name, r.count)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_keeps_the_largest_with_ties_by_name() {
        let mut t = TopK::new(3);
        for (name, count) in [("e", 1), ("d", 5), ("c", 5), ("b", 2), ("a", 2), ("f", 9)] {
            t.offer(count, || name.to_string());
        }
        let want: Vec<(String, u64)> = [("f", 9), ("c", 5), ("d", 5)]
            .iter()
            .map(|(n, c)| (n.to_string(), *c))
            .collect();
        assert_eq!(t.into_sorted(), want);
        let mut none = TopK::new(0);
        none.offer(1, || "x".into());
        assert!(none.into_sorted().is_empty());
    }
}

#[cfg(test)]
mod scale {
    use super::*;
    use crate::tsdb::head::HeadOptions;
    use promql::Labels;

    /// `cargo test -p strata --lib tsdb::status::scale -- --ignored --nocapture` (debug: ~0.4 s)
    #[test]
    #[ignore = "timing on a large head; run by hand"]
    fn status_of_a_million_series_head() {
        let head = Head::new(HeadOptions {
            ooo_window: 0,
            block_range: 7_200_000,
        });
        let lim = head.limits();
        for i in 0..1_000_000u32 {
            let labels = Labels::from_pairs([
                ("__name__", format!("metric_{}", i % 1000)),
                ("instance", format!("host-{}", i / 1000)),
                ("job", "node".to_string()),
            ]);
            let (s, _) = head.get_or_create(&labels);
            let _ = s.lock().append(1000, 1.0, &lim);
        }
        let start = std::time::Instant::now();
        let st = head_status(&head, 10);
        let el = start.elapsed();
        println!("tsdb status of 1M series: {el:?}");
        assert_eq!(st.head_stats.num_series, 1_000_000);
        assert_eq!(st.head_stats.num_label_pairs, 1000 + 1000 + 1);
        assert_eq!(
            st.series_count_by_label_value_pair[0],
            ("job=node".into(), 1_000_000)
        );
    }
}
