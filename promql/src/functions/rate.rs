//! Counter and gauge rates: `rate`, `increase`, `delta` (Prometheus's extrapolated rate),
//! `irate`, `idelta` (the last two samples), `changes` and `resets`.

use super::{FnCtx, Window, notes};

pub(crate) fn rate(w: &Window<'_>, _: &[f64], ctx: &mut FnCtx<'_>) -> Option<f64> {
    let v = extrapolated_rate(w, true, true)?;
    note_non_counter(ctx);
    Some(v)
}

pub(crate) fn increase(w: &Window<'_>, _: &[f64], ctx: &mut FnCtx<'_>) -> Option<f64> {
    let v = extrapolated_rate(w, true, false)?;
    note_non_counter(ctx);
    Some(v)
}

pub(crate) fn delta(w: &Window<'_>, _: &[f64], _: &mut FnCtx<'_>) -> Option<f64> {
    extrapolated_rate(w, false, false)
}

pub(crate) fn irate(w: &Window<'_>, _: &[f64], _: &mut FnCtx<'_>) -> Option<f64> {
    instant_value(w.samples, true)
}

pub(crate) fn idelta(w: &Window<'_>, _: &[f64], _: &mut FnCtx<'_>) -> Option<f64> {
    instant_value(w.samples, false)
}

/// Number of times the value changed; two NaNs in a row are no change.
pub(crate) fn changes(w: &Window<'_>, _: &[f64], _: &mut FnCtx<'_>) -> Option<f64> {
    if w.samples.is_empty() {
        return None;
    }
    let n = w
        .samples
        .windows(2)
        .filter(|p| {
            let (prev, cur) = (p[0].1, p[1].1);
            cur != prev && !(cur.is_nan() && prev.is_nan())
        })
        .count();
    Some(n as f64)
}

/// Number of decreases (counter resets).
pub(crate) fn resets(w: &Window<'_>, _: &[f64], _: &mut FnCtx<'_>) -> Option<f64> {
    if w.samples.is_empty() {
        return None;
    }
    let n = w.samples.windows(2).filter(|p| p[1].1 < p[0].1).count();
    Some(n as f64)
}

/// Prometheus emits the "might not be a counter" info for every float series `rate` or
/// `increase` produced a value for; the annotation set deduplicates the repeats.
fn note_non_counter(ctx: &mut FnCtx<'_>) {
    if let Some(name) = ctx.metric_name
        && notes::is_possible_non_counter(name)
    {
        ctx.notes.info(notes::possible_non_counter_info(name));
    }
}

/// The increase between the first and last sample (with counter resets undone when
/// `is_counter`), extrapolated toward the window's bounds: all the way to a bound when the
/// series seems to continue there (gap below 1.1 average sample intervals), otherwise by half
/// an average interval; a counter is never extrapolated below zero. Divided by the window's
/// length in seconds when `is_rate`. Fewer than two samples give no result.
fn extrapolated_rate(w: &Window<'_>, is_counter: bool, is_rate: bool) -> Option<f64> {
    let s = w.samples;
    let (&(first_t, first_v), &(last_t, last_v)) = (s.first()?, s.last()?);
    if s.len() < 2 {
        return None;
    }
    let mut result = last_v - first_v;
    if is_counter {
        for p in s.windows(2) {
            if p[1].1 < p[0].1 {
                result += p[0].1;
            }
        }
    }

    let mut to_start = (first_t - w.start) as f64 / 1000.0;
    let mut to_end = (w.end - last_t) as f64 / 1000.0;
    let sampled = (last_t - first_t) as f64 / 1000.0;
    let avg_interval = sampled / (s.len() - 1) as f64;
    let threshold = avg_interval * 1.1;

    if to_start >= threshold {
        to_start = avg_interval / 2.0;
    }
    if is_counter {
        // Where a straight line through the samples would reach zero.
        let mut to_zero = to_start;
        if result > 0.0 && first_v >= 0.0 {
            to_zero = sampled * (first_v / result);
        }
        if to_zero < to_start {
            to_start = to_zero;
        }
    }
    if to_end >= threshold {
        to_end = avg_interval / 2.0;
    }

    let mut factor = (sampled + to_start + to_end) / sampled;
    if is_rate {
        factor /= go_duration_seconds(w.end - w.start);
    }
    Some(result * factor)
}

/// Go's `time.Duration.Seconds()` for a millisecond duration: whole seconds plus the
/// fraction, which can differ from `ms / 1000.0` in the last bit.
fn go_duration_seconds(ms: i64) -> f64 {
    let nanos = i128::from(ms) * 1_000_000;
    let secs = nanos / 1_000_000_000;
    let rest = nanos % 1_000_000_000;
    secs as f64 + rest as f64 / 1e9
}

/// `irate` / `idelta`: the difference of the last two samples, per second for `irate`. A
/// counter reset between them makes `irate` use the last value alone.
fn instant_value(s: &[(i64, f64)], is_rate: bool) -> Option<f64> {
    let [.., (t0, v0), (t1, v1)] = *s else {
        return None;
    };
    let interval = t1 - t0;
    if interval == 0 {
        return None;
    }
    let mut result = v1;
    if !is_rate || v1 >= v0 || v1.is_nan() || v0.is_nan() {
        result = v1 - v0;
    }
    if is_rate {
        result /= interval as f64 / 1000.0;
    }
    Some(result)
}

#[cfg(test)]
#[path = "rate_tests.rs"]
mod tests;
