//! `<aggregation>_over_time` functions: one value summarising the window's samples.

use super::kahan::kahan_inc;
use super::{FnCtx, Window, notes};

/// The window's values; `None` for an empty window (the evaluator does not call with one,
/// but no function should produce a sample from nothing).
fn values<'a>(w: &'a Window<'_>) -> Option<impl Iterator<Item = f64> + 'a> {
    (!w.samples.is_empty()).then(|| w.samples.iter().map(|p| p.1))
}

pub(crate) fn sum_over_time(w: &Window<'_>, _: &[f64], _: &mut FnCtx<'_>) -> Option<f64> {
    let (sum, c) = values(w)?.fold((0.0, 0.0), |(s, c), v| kahan_inc(v, s, c));
    // An infinite sum is final; adding the compensation could only turn it into NaN.
    Some(if sum.is_infinite() { sum } else { sum + c })
}

/// The mean, summed directly (with compensation) for accuracy, switching to an incremental
/// mean only once the running sum would overflow.
pub(crate) fn avg_over_time(w: &Window<'_>, _: &[f64], _: &mut FnCtx<'_>) -> Option<f64> {
    let mut it = values(w)?;
    let mut sum = it.next()?;
    let (mut count, mut mean, mut c) = (1.0, 0.0, 0.0);
    let mut incremental = false;
    for v in it {
        count += 1.0;
        if !incremental {
            let (new_sum, new_c) = kahan_inc(v, sum, c);
            if !new_sum.is_infinite() {
                (sum, c) = (new_sum, new_c);
                continue;
            }
            incremental = true;
            mean = sum / (count - 1.0);
            c /= count - 1.0;
        }
        let q = (count - 1.0) / count;
        (mean, c) = kahan_inc(v / count, q * mean, q * c);
    }
    Some(if incremental {
        mean + c
    } else {
        sum / count + c / count
    })
}

pub(crate) fn count_over_time(w: &Window<'_>, _: &[f64], _: &mut FnCtx<'_>) -> Option<f64> {
    Some(values(w)?.count() as f64)
}

pub(crate) fn present_over_time(w: &Window<'_>, _: &[f64], _: &mut FnCtx<'_>) -> Option<f64> {
    values(w).map(|_| 1.0)
}

pub(crate) fn last_over_time(w: &Window<'_>, _: &[f64], _: &mut FnCtx<'_>) -> Option<f64> {
    w.samples.last().map(|p| p.1)
}

/// Timestamp (seconds) of the last sample.
pub(crate) fn ts_of_last_over_time(w: &Window<'_>, _: &[f64], _: &mut FnCtx<'_>) -> Option<f64> {
    w.samples.last().map(|p| p.0 as f64 / 1000.0)
}

/// The sample a running comparison ends on: `better(candidate, current)` replaces the current
/// one, and so does anything once the current value is NaN. NaN therefore only survives if
/// every value is NaN.
fn pick(w: &Window<'_>, better: fn(f64, f64) -> bool) -> Option<(i64, f64)> {
    let (&first, rest) = w.samples.split_first()?;
    Some(rest.iter().fold(first, |cur, &p| {
        if better(p.1, cur.1) || cur.1.is_nan() {
            p
        } else {
            cur
        }
    }))
}

pub(crate) fn max_over_time(w: &Window<'_>, _: &[f64], _: &mut FnCtx<'_>) -> Option<f64> {
    pick(w, |v, cur| v > cur).map(|p| p.1)
}

pub(crate) fn min_over_time(w: &Window<'_>, _: &[f64], _: &mut FnCtx<'_>) -> Option<f64> {
    pick(w, |v, cur| v < cur).map(|p| p.1)
}

/// Timestamp (seconds) of the maximum; of the latest one when it occurs more than once.
pub(crate) fn ts_of_max_over_time(w: &Window<'_>, _: &[f64], _: &mut FnCtx<'_>) -> Option<f64> {
    pick(w, |v, cur| v >= cur).map(|p| p.0 as f64 / 1000.0)
}

/// Timestamp (seconds) of the minimum; of the latest one when it occurs more than once.
pub(crate) fn ts_of_min_over_time(w: &Window<'_>, _: &[f64], _: &mut FnCtx<'_>) -> Option<f64> {
    pick(w, |v, cur| v <= cur).map(|p| p.0 as f64 / 1000.0)
}

/// Population variance by Welford's method, both running terms compensated.
fn variance(w: &Window<'_>) -> Option<f64> {
    let (mut count, mut mean, mut c_mean, mut aux, mut c_aux) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for v in values(w)? {
        count += 1.0;
        let delta = v - (mean + c_mean);
        (mean, c_mean) = kahan_inc(delta / count, mean, c_mean);
        (aux, c_aux) = kahan_inc(delta * (v - (mean + c_mean)), aux, c_aux);
    }
    Some((aux + c_aux) / count)
}

pub(crate) fn stdvar_over_time(w: &Window<'_>, _: &[f64], _: &mut FnCtx<'_>) -> Option<f64> {
    variance(w)
}

pub(crate) fn stddev_over_time(w: &Window<'_>, _: &[f64], _: &mut FnCtx<'_>) -> Option<f64> {
    variance(w).map(f64::sqrt)
}

/// `quantile_over_time(q, v)`; `args[0]` is `q`. Warns when `q` is NaN or outside [0, 1].
pub(crate) fn quantile_over_time(w: &Window<'_>, args: &[f64], ctx: &mut FnCtx<'_>) -> Option<f64> {
    let &q = args.first()?;
    let mut vals: Vec<f64> = values(w)?.collect();
    if q.is_nan() || !(0.0..=1.0).contains(&q) {
        ctx.notes.warn(notes::invalid_quantile_warning(q));
    }
    Some(quantile(q, &mut vals))
}

/// Median absolute deviation from the median.
pub(crate) fn mad_over_time(w: &Window<'_>, _: &[f64], _: &mut FnCtx<'_>) -> Option<f64> {
    let mut vals: Vec<f64> = values(w)?.collect();
    let median = quantile(0.5, &mut vals);
    let mut deviations: Vec<f64> = vals.iter().map(|v| (v - median).abs()).collect();
    Some(quantile(0.5, &mut deviations))
}

/// Prometheus's `quantile`: linear interpolation between the closest ranks of the sorted
/// values (NaN sorting first); NaN for no values or a NaN `q`, -Inf/+Inf for `q` below 0 /
/// above 1. Sorts `values` in place.
pub fn quantile(q: f64, values: &mut [f64]) -> f64 {
    if values.is_empty() || q.is_nan() {
        return f64::NAN;
    }
    if q < 0.0 {
        return f64::NEG_INFINITY;
    }
    if q > 1.0 {
        return f64::INFINITY;
    }
    values.sort_by(|a, b| match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Less,
        (false, true) => std::cmp::Ordering::Greater,
        (false, false) => a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal),
    });
    let n = values.len() as f64;
    let rank = q * (n - 1.0);
    let lower = rank.floor().max(0.0);
    let upper = (lower + 1.0).min(n - 1.0);
    let weight = rank - rank.floor();
    values[lower as usize] * (1.0 - weight) + values[upper as usize] * weight
}

#[cfg(test)]
#[path = "over_time_tests.rs"]
mod tests;
