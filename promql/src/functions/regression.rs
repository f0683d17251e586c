//! Trend functions: `deriv` and `predict_linear` (least-squares line through the window) and
//! `double_exponential_smoothing` (Holt's linear smoothing; the 2.x `holt_winters`).

use super::kahan::kahan_inc;
use super::{FnCtx, Window};

/// Per-second slope of the least-squares line; needs two samples.
pub(crate) fn deriv(w: &Window<'_>, _: &[f64], _: &mut FnCtx<'_>) -> Option<f64> {
    let s = w.samples;
    if s.len() < 2 {
        return None;
    }
    // Regressing against times relative to the first sample keeps the sums small and
    // precise (Prometheus issue 2674).
    Some(linear_regression(s, s[0].0).0)
}

/// `predict_linear(v, t)`: the least-squares line's value `t` seconds after the evaluation
/// time. `args[1]`, when the evaluator provides it, is that evaluation time in milliseconds;
/// it differs from the window's end under `offset` and `@`.
pub(crate) fn predict_linear(w: &Window<'_>, args: &[f64], _: &mut FnCtx<'_>) -> Option<f64> {
    let s = w.samples;
    let &duration = args.first()?;
    if s.len() < 2 {
        return None;
    }
    let eval_time = args.get(1).map_or(w.end, |&ms| ms as i64);
    let (slope, intercept) = linear_regression(s, eval_time);
    Some(slope * duration + intercept)
}

/// Slope (per second) and the line's value at `intercept_time` (ms), with compensated sums.
/// A constant series has slope 0, unless the constant is infinite, which gives NaN for both.
fn linear_regression(s: &[(i64, f64)], intercept_time: i64) -> (f64, f64) {
    let init_y = s[0].1;
    let mut const_y = true;
    let (mut n, mut sum_x, mut c_x, mut sum_y, mut c_y) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut sum_xy, mut c_xy, mut sum_x2, mut c_x2) = (0.0, 0.0, 0.0, 0.0);
    for (i, &(t, y)) in s.iter().enumerate() {
        if const_y && i > 0 && y != init_y {
            const_y = false;
        }
        n += 1.0;
        let x = (t - intercept_time) as f64 / 1e3;
        (sum_x, c_x) = kahan_inc(x, sum_x, c_x);
        (sum_y, c_y) = kahan_inc(y, sum_y, c_y);
        (sum_xy, c_xy) = kahan_inc(x * y, sum_xy, c_xy);
        (sum_x2, c_x2) = kahan_inc(x * x, sum_x2, c_x2);
    }
    if const_y {
        if init_y.is_infinite() {
            return (f64::NAN, f64::NAN);
        }
        return (0.0, init_y);
    }
    let (sum_x, sum_y, sum_xy, sum_x2) = (sum_x + c_x, sum_y + c_y, sum_xy + c_xy, sum_x2 + c_x2);
    let cov_xy = sum_xy - sum_x * sum_y / n;
    let var_x = sum_x2 - sum_x * sum_x / n;
    let slope = cov_xy / var_x;
    let intercept = sum_y / n - slope * sum_x / n;
    (slope, intercept)
}

/// `double_exponential_smoothing(v, sf, tf)`: the smoothed value at the last sample, with
/// smoothing factor `sf` and trend factor `tf`. Factors outside (0, 1) are a query error the
/// evaluator reports (see [`super::notes::smoothing_factor_error`]); here they yield `None`.
pub(crate) fn double_exponential_smoothing(
    w: &Window<'_>,
    args: &[f64],
    _: &mut FnCtx<'_>,
) -> Option<f64> {
    let (&sf, &tf) = (args.first()?, args.get(1)?);
    if super::notes::smoothing_factor_error(sf, tf).is_some() {
        return None;
    }
    let s = w.samples;
    if s.len() < 2 {
        return None;
    }
    // s1 is the smoothed value, s0 the previous one, b the trend.
    let (mut s0, mut s1) = (0.0, s[0].1);
    let mut b = s[1].1 - s[0].1;
    for (i, &(_, v)) in s.iter().enumerate().skip(1) {
        let x = sf * v;
        // The first step keeps the initial trend.
        if i > 1 {
            b = tf * (s1 - s0) + (1.0 - tf) * b;
        }
        let y = (1.0 - sf) * (s1 + b);
        (s0, s1) = (s1, x + y);
    }
    Some(s1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annotations::Annotations;
    use crate::functions::RangeFn;

    const MIN: i64 = 60_000;

    fn call(f: RangeFn, samples: &[(i64, f64)], end: i64, range: i64, args: &[f64]) -> Option<f64> {
        let start = end - range;
        let lo = samples.partition_point(|p| p.0 <= start);
        let hi = samples.partition_point(|p| p.0 <= end);
        let w = Window {
            samples: &samples[lo..hi],
            start,
            end,
        };
        let mut notes = Annotations::default();
        let out = f(
            &w,
            args,
            &mut FnCtx {
                metric_name: None,
                notes: &mut notes,
            },
        );
        assert!(notes.is_empty());
        out
    }

    /// `0+10x4 0+10x5` every 5 minutes.
    fn reset_middle() -> Vec<(i64, f64)> {
        [0., 10., 20., 30., 40., 0., 10., 20., 30., 40., 50.]
            .iter()
            .enumerate()
            .map(|(i, &v)| (i as i64 * 5 * MIN, v))
            .collect()
    }

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() <= 1e-9 * b.abs().max(1.0))
    }

    #[test]
    fn deriv_is_the_least_squares_slope() {
        let s = reset_middle();
        // sumX=16500 s, sumY=250, sumXY=480000, sumX2=34650000, n=11:
        // slope = (480000 - 16500*250/11) / (34650000 - 16500^2/11) = 105000/9900000.
        assert!(close(
            call(deriv, &s, 50 * MIN, 100 * MIN, &[]),
            105000.0 / 9900000.0
        ));
        let line: Vec<_> = (0..=10).map(|i| (i * 5 * MIN, 80.0 * i as f64)).collect();
        assert!(close(
            call(deriv, &line, 50 * MIN, 50 * MIN, &[]),
            80.0 / 300.0
        ));
        assert_eq!(call(deriv, &line[..1], 0, MIN, &[]), None);
    }

    #[test]
    fn infinite_values_give_nan() {
        let mut s = vec![(0, f64::NEG_INFINITY)];
        s.extend((1..=11).map(|i| (i * 5 * MIN, 80.0 * (i - 1) as f64)));
        s.push((12 * 5 * MIN, f64::INFINITY));
        assert!(call(deriv, &s, 100 * MIN, 100 * MIN, &[]).is_some_and(f64::is_nan));
        let inf = vec![(0, f64::INFINITY), (MIN, f64::INFINITY)];
        assert!(call(deriv, &inf, MIN, 2 * MIN, &[]).is_some_and(f64::is_nan));
        let constant = vec![(0, 4.0), (MIN, 4.0)];
        assert_eq!(call(deriv, &constant, MIN, 2 * MIN, &[]), Some(0.0));
        assert_eq!(
            call(predict_linear, &constant, MIN, 2 * MIN, &[60.0]),
            Some(4.0)
        );
    }

    #[test]
    fn predict_linear_extrapolates_from_the_evaluation_time() {
        let s = reset_middle();
        // (0, 50m] leaves out t=0; the line through the rest reaches 70 an hour later.
        assert!(close(
            call(predict_linear, &s, 50 * MIN, 50 * MIN, &[3600.0]),
            70.0
        ));
        // `[55m] @ 3000` evaluated at 50m, 10m and 70m: every sample is in the window, the
        // intercept is at the evaluation time, not at the window's end (3000 s).
        let slope = 105000.0 / 9900000.0;
        let at_zero = 250.0 / 11.0 - slope * 16500.0 / 11.0;
        for eval_s in [3000.0, 600.0, 4200.0] {
            let want = at_zero + slope * (eval_s + 3600.0);
            let got = call(
                predict_linear,
                &s,
                50 * MIN,
                55 * MIN,
                &[3600.0, eval_s * 1000.0],
            );
            assert!(close(got, want), "eval at {eval_s}: {got:?} != {want}");
        }
        assert!(close(Some(at_zero + slope * 6600.0), 76.81818181818181));
        // Without the evaluation time, the window's end stands in.
        let got = call(predict_linear, &s, 50 * MIN, 55 * MIN, &[3600.0]);
        assert!(close(got, 76.81818181818181));
    }

    #[test]
    fn smoothing_follows_a_linear_trend() {
        // A perfect line is reproduced exactly whatever the factors.
        let line: Vec<_> = (0..=6).map(|i| (i * 10_000, 10.0 * i as f64)).collect();
        assert!(close(
            call(
                double_exponential_smoothing,
                &line,
                60_000,
                60_000,
                &[0.01, 0.1]
            ),
            60.0
        ));
        // Hand-computed for 1, 3, 2 with sf=0.5, tf=0.5: b=2; s1 = 0.5*3 + 0.5*(1+2) = 3;
        // b = 0.5*(3-1) + 0.5*2 = 2; s1 = 0.5*2 + 0.5*(3+2) = 3.5.
        let s = vec![(0, 1.0), (10_000, 3.0), (20_000, 2.0)];
        assert_eq!(
            call(
                double_exponential_smoothing,
                &s,
                20_000,
                30_000,
                &[0.5, 0.5]
            ),
            Some(3.5)
        );
        assert_eq!(
            call(
                double_exponential_smoothing,
                &s[..1],
                20_000,
                30_000,
                &[0.5, 0.5]
            ),
            None
        );
        assert_eq!(
            call(
                double_exponential_smoothing,
                &s,
                20_000,
                30_000,
                &[1.0, 0.5]
            ),
            None
        );
    }
}
