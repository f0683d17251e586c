//! Resolving label matchers to a set of series ids over an inverted index, shared by the head
//! and by persisted blocks so that both select exactly the same series.

use promql::{MatchOp, Matcher};
use roaring::RoaringBitmap;

/// An inverted index: for each label pair, the ids of the series that carry it.
pub trait PostingsSource {
    /// Ids of the series with label `name` equal to `value` (empty when there are none).
    fn postings(&self, name: &str, value: &str) -> RoaringBitmap;
    /// Every value label `name` takes, in any order.
    fn label_values(&self, name: &str) -> Vec<String>;
    /// Ids of every series.
    fn all_postings(&self) -> RoaringBitmap;
}

/// The ids of the series matching every matcher. A matcher that matches the empty string also
/// selects series that lack the label, as in Prometheus.
pub fn select<S: PostingsSource + ?Sized>(src: &S, matchers: &[Matcher]) -> RoaringBitmap {
    let mut positive: Option<RoaringBitmap> = None;
    let mut negative = RoaringBitmap::new();
    let intersect = |acc: &mut Option<RoaringBitmap>, b: RoaringBitmap| match acc {
        Some(a) => *a &= b,
        None => *acc = Some(b),
    };

    for m in matchers {
        if m.matches_empty() {
            // `l=""`, `l!="x"`, `l=~"x|"`... : every series except those whose value of `l`
            // is non-empty and does not match.
            let excluded = union_values(src, &m.name, |v| !m.matches(v));
            negative |= excluded;
        } else if m.op == MatchOp::Equal {
            intersect(&mut positive, src.postings(&m.name, &m.value));
        } else {
            intersect(&mut positive, union_values(src, &m.name, |v| m.matches(v)));
        }
        if positive.as_ref().is_some_and(|p| p.is_empty()) {
            return RoaringBitmap::new();
        }
    }
    let mut result = positive.unwrap_or_else(|| src.all_postings());
    result -= negative;
    result
}

fn union_values<S: PostingsSource + ?Sized>(
    src: &S,
    name: &str,
    keep: impl Fn(&str) -> bool,
) -> RoaringBitmap {
    let mut out = RoaringBitmap::new();
    for v in src.label_values(name) {
        if keep(&v) {
            out |= src.postings(name, &v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct Mem(BTreeMap<(String, String), RoaringBitmap>, u32);

    impl PostingsSource for Mem {
        fn postings(&self, n: &str, v: &str) -> RoaringBitmap {
            self.0
                .get(&(n.to_string(), v.to_string()))
                .cloned()
                .unwrap_or_default()
        }
        fn label_values(&self, n: &str) -> Vec<String> {
            self.0
                .keys()
                .filter(|(k, _)| k == n)
                .map(|(_, v)| v.clone())
                .collect()
        }
        fn all_postings(&self) -> RoaringBitmap {
            (0..self.1).collect()
        }
    }

    fn index() -> Mem {
        // 0: up{job=a}  1: up{job=b, env=prod}  2: x{job=a}
        let mut m = BTreeMap::new();
        let mut add = |n: &str, v: &str, id: u32| {
            m.entry((n.to_string(), v.to_string()))
                .or_insert_with(RoaringBitmap::new)
                .insert(id);
        };
        add("__name__", "up", 0);
        add("job", "a", 0);
        add("__name__", "up", 1);
        add("job", "b", 1);
        add("env", "prod", 1);
        add("__name__", "x", 2);
        add("job", "a", 2);
        Mem(m, 3)
    }

    fn ids(ms: &[Matcher]) -> Vec<u32> {
        select(&index(), ms).iter().collect()
    }

    #[test]
    fn equality_and_regex() {
        assert_eq!(ids(&[Matcher::equal("__name__", "up")]), vec![0, 1]);
        let re = Matcher::new(MatchOp::Regex, "job", "a|b").unwrap();
        assert_eq!(ids(&[Matcher::equal("__name__", "up"), re]), vec![0, 1]);
    }

    #[test]
    fn empty_matching_selects_series_without_label() {
        assert_eq!(ids(&[Matcher::equal("env", "")]), vec![0, 2]);
        let ne = Matcher::new(MatchOp::NotEqual, "env", "prod").unwrap();
        assert_eq!(ids(&[Matcher::equal("__name__", "up"), ne]), vec![0]);
        let nonempty = Matcher::new(MatchOp::Regex, "env", ".+").unwrap();
        assert_eq!(ids(&[nonempty]), vec![1]);
    }

    #[test]
    fn no_match_is_empty() {
        assert!(ids(&[Matcher::equal("job", "zzz")]).is_empty());
    }
}
