//! Classic-histogram math for `histogram_quantile` over `le` buckets.
//!
//! The evaluator groups the `_bucket` series of one histogram (same labels apart from `le`
//! and, without delayed name removal, `__name__`), parses each `le` into
//! [`Bucket::upper_bound`] (a missing or unparsable `le` is
//! [`notes::bad_bucket_label_warning`] and the series is skipped) and calls:
//!
//! ```
//! use promql::Annotations;
//! use promql::functions::histogram::{Bucket, bucket_quantile};
//!
//! let mut buckets = vec![
//!     Bucket { upper_bound: 0.1, count: 10.0 },
//!     Bucket { upper_bound: f64::INFINITY, count: 20.0 },
//!     Bucket { upper_bound: 0.2, count: 15.0 },
//! ];
//! let q = bucket_quantile(0.5, &mut buckets);
//! assert!((q.value - 0.1).abs() < 1e-12);
//! let mut notes = Annotations::default();
//! q.annotate("", &mut notes); // nothing to report here
//! assert!(notes.is_empty());
//! ```
//!
//! `histogram_fraction(lower, upper, b)` works on the same groups with
//! [`bucket_fraction`]`(lower, upper, &mut buckets)`, which returns the value alone.
//!
//! The quantile value itself needs no other annotation; the invalid-`q` warning
//! ([`notes::invalid_quantile_warning`]) is given once per call by the evaluator, for `q` NaN
//! or outside [0, 1], and the NaN-observation infos ([`notes::quantile_nan_result_info`],
//! [`notes::quantile_nan_skew_info`]) only concern native histograms.

use super::notes;
use crate::annotations::Annotations;

/// Relative difference between successive bucket counts that is taken for floating point
/// noise (e.g. from sums computed in different orders) and silently ironed out.
const SMALL_DELTA_TOLERANCE: f64 = 1e-12;

/// One `le` bucket: the number of observations less than or equal to `upper_bound`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub upper_bound: f64,
    pub count: f64,
}

/// The result of [`bucket_quantile`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BucketQuantile {
    pub value: f64,
    /// Some bucket counted fewer observations than a lower one and was raised to it; the
    /// query gets [`notes::forced_monotonicity_info`].
    pub forced_monotonicity: bool,
    /// Counts differing by a relative 1e-12 or less were made equal; silent in Prometheus.
    pub fixed_precision: bool,
}

impl BucketQuantile {
    /// Adds the info Prometheus gives for this result. `metric_name` is the histogram's name,
    /// or "" when it must not be named (Prometheus 3.5 names it only with delayed name
    /// removal, so pass "" by default).
    pub fn annotate(&self, metric_name: &str, notes: &mut Annotations) {
        if self.forced_monotonicity {
            notes.info(notes::forced_monotonicity_info(Some(metric_name)));
        }
    }
}

/// The `q` quantile of a classic histogram, as Prometheus's `BucketQuantile`:
///
/// - `q` NaN gives NaN, `q < 0` gives -Inf and `q > 1` gives +Inf (before looking at the
///   buckets);
/// - buckets are sorted by upper bound (in place), and the highest must be +Inf, else NaN;
/// - buckets with the same bound are merged (their counts added), tiny relative differences
///   are ironed out and decreasing counts raised to the envelope;
/// - fewer than two buckets or no observations give NaN;
/// - the quantile is interpolated linearly inside the bucket its rank falls in; in the +Inf
///   bucket the second-highest bound is returned; the lowest bucket's lower bound is 0 if its
///   upper bound is positive, otherwise its upper bound is returned.
///
/// `buckets` is left sorted, merged and corrected at its front; its order afterwards is
/// unspecified beyond that.
pub fn bucket_quantile(q: f64, buckets: &mut [Bucket]) -> BucketQuantile {
    let plain = |value| BucketQuantile {
        value,
        forced_monotonicity: false,
        fixed_precision: false,
    };
    if q.is_nan() {
        return plain(f64::NAN);
    }
    if q < 0.0 {
        return plain(f64::NEG_INFINITY);
    }
    if q > 1.0 {
        return plain(f64::INFINITY);
    }
    buckets.sort_by(|a, b| a.upper_bound.total_cmp(&b.upper_bound));
    match buckets.last() {
        Some(b) if b.upper_bound == f64::INFINITY => {}
        _ => return plain(f64::NAN),
    }
    let len = coalesce(buckets);
    let buckets = &mut buckets[..len];
    let (forced_monotonicity, fixed_precision) = ensure_monotonic(buckets);
    if buckets.len() < 2 {
        return plain(f64::NAN);
    }
    let observations = buckets[buckets.len() - 1].count;
    if observations == 0.0 {
        return plain(f64::NAN);
    }
    let result = |value| BucketQuantile {
        value,
        forced_monotonicity,
        fixed_precision,
    };

    let mut rank = q * observations;
    let b = search(buckets.len() - 1, |i| buckets[i].count >= rank);
    if b == buckets.len() - 1 {
        return result(buckets[buckets.len() - 2].upper_bound);
    }
    if b == 0 && buckets[0].upper_bound <= 0.0 {
        return result(buckets[0].upper_bound);
    }
    let (mut start, end, mut count) = (0.0, buckets[b].upper_bound, buckets[b].count);
    if b > 0 {
        start = buckets[b - 1].upper_bound;
        count -= buckets[b - 1].count;
        rank -= buckets[b - 1].count;
    }
    result(start + (end - start) * (rank / count))
}

/// `histogram_fraction(lower, upper, b)` over classic buckets: the estimated fraction of
/// observations in `(lower, upper]`, interpolating linearly inside the buckets the bounds fall
/// in (the share of the +Inf bucket above its lower bound is taken to be 0).
///
/// - no +Inf bucket, no observations, or a NaN bound give NaN; `lower >= upper` gives 0;
/// - buckets are sorted, merged and made monotonic as for [`bucket_quantile`];
/// - as in Prometheus 3.5, the lowest bucket reaches down to -Inf, so a bound inside it
///   yields NaN (later Prometheus versions use 0 when that bucket's bound is positive).
pub fn bucket_fraction(lower: f64, upper: f64, buckets: &mut [Bucket]) -> f64 {
    buckets.sort_by(|a, b| a.upper_bound.total_cmp(&b.upper_bound));
    match buckets.last() {
        Some(b) if b.upper_bound == f64::INFINITY => {}
        _ => return f64::NAN,
    }
    let len = coalesce(buckets);
    let buckets = &mut buckets[..len];
    ensure_monotonic(buckets);
    let total = buckets[len - 1].count;
    if total == 0.0 || lower.is_nan() || upper.is_nan() {
        return f64::NAN;
    }
    if lower >= upper {
        return 0.0;
    }

    // `rank` is the number of observations below the current bucket.
    let mut rank = 0.0;
    let (mut lower_rank, mut upper_rank) = (None, None);
    for (i, b) in buckets.iter().enumerate() {
        let lo = if i == 0 {
            f64::NEG_INFINITY
        } else {
            buckets[i - 1].upper_bound
        };
        let hi = b.upper_bound;
        let interpolate = |v: f64| rank + (b.count - rank) * (v - lo) / (hi - lo);
        if lower_rank.is_none() && lo >= lower {
            lower_rank = Some(rank);
        }
        if upper_rank.is_none() && lo >= upper {
            upper_rank = Some(rank);
        }
        if lower_rank.is_some() && upper_rank.is_some() {
            break;
        }
        if lower_rank.is_none() && lo < lower && hi > lower {
            lower_rank = Some(interpolate(lower));
        }
        if upper_rank.is_none() && lo < upper && hi > upper {
            upper_rank = Some(interpolate(upper));
        }
        if lower_rank.is_some() && upper_rank.is_some() {
            break;
        }
        rank = b.count;
    }
    // A bound above every bucket boundary counts everything below it.
    // (A NaN rank stays NaN.)
    let clamp = |r: Option<f64>| match r {
        Some(r) if r > total => total,
        Some(r) => r,
        None => total,
    };
    (clamp(upper_rank) - clamp(lower_rank)) / total
}

/// Go's `sort.Search`: the smallest `i` in `[0, n)` with `pred(i)`, or `n`, by bisection
/// (kept exactly so that NaN counts land where they land in Prometheus).
fn search(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    lo
}

/// Merges neighbours with equal upper bounds (the slice is sorted); returns the new length.
fn coalesce(buckets: &mut [Bucket]) -> usize {
    let mut last = buckets[0];
    let mut i = 0;
    for j in 1..buckets.len() {
        let b = buckets[j];
        if b.upper_bound == last.upper_bound {
            last.count += b.count;
        } else {
            buckets[i] = last;
            last = b;
            i += 1;
        }
    }
    buckets[i] = last;
    i + 1
}

/// Makes counts non-decreasing: differences within [`SMALL_DELTA_TOLERANCE`] are flattened
/// in either direction, real decreases are raised to the previous count. Returns (forced
/// monotonicity, fixed precision).
fn ensure_monotonic(buckets: &mut [Bucket]) -> (bool, bool) {
    let (mut forced, mut fixed) = (false, false);
    let mut prev = buckets[0].count;
    for b in &mut buckets[1..] {
        let cur = b.count;
        if cur == prev {
            continue;
        }
        if almost_equal(prev, cur, SMALL_DELTA_TOLERANCE) {
            b.count = prev;
            fixed = true;
            continue;
        }
        if cur < prev {
            b.count = prev;
            forced = true;
            continue;
        }
        prev = cur;
    }
    (forced, fixed)
}

/// Prometheus's `almost.Equal`: relative difference below `epsilon`, with an absolute
/// threshold near zero; two NaNs are equal.
fn almost_equal(a: f64, b: f64, epsilon: f64) -> bool {
    if (a.is_nan() && b.is_nan()) || a == b {
        return true;
    }
    let abs_sum = a.abs() + b.abs();
    let diff = (a - b).abs();
    if a == 0.0 || b == 0.0 || abs_sum < f64::MIN_POSITIVE {
        return diff < epsilon * f64::MIN_POSITIVE;
    }
    diff / abs_sum.min(f64::MAX) < epsilon
}

#[cfg(test)]
#[path = "histogram_tests.rs"]
mod tests;
