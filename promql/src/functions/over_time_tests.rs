use super::*;
use crate::annotations::Annotations;
use crate::functions::RangeFn;

/// Runs `f` over all `values` (one per 10 s from t=0) in a window covering them.
fn over(f: RangeFn, values: &[f64], args: &[f64]) -> (Option<f64>, Annotations) {
    let samples: Vec<(i64, f64)> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| (i as i64 * 10_000, v))
        .collect();
    let end = samples.last().map_or(0, |p| p.0);
    let w = Window {
        samples: &samples,
        start: -1,
        end,
    };
    let mut notes = Annotations::default();
    let v = f(
        &w,
        args,
        &mut FnCtx {
            metric_name: Some("data"),
            notes: &mut notes,
        },
    );
    (v, notes)
}

fn val(f: RangeFn, values: &[f64]) -> f64 {
    over(f, values, &[]).0.unwrap_or(-12345.0)
}

fn rel_close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs()
}

const INF: f64 = f64::INFINITY;
const NAN: f64 = f64::NAN;

#[test]
fn empty_window_gives_nothing() {
    for f in [
        sum_over_time as RangeFn,
        avg_over_time,
        count_over_time,
        present_over_time,
        last_over_time,
        min_over_time,
        max_over_time,
        stddev_over_time,
        mad_over_time,
        ts_of_last_over_time,
    ] {
        assert_eq!(over(f, &[], &[]).0, None);
    }
    assert_eq!(over(quantile_over_time, &[], &[0.5]).0, None);
}

#[test]
fn sums_and_means() {
    assert_eq!(val(avg_over_time, &[1., 2., 3., 4., 5.]), 3.0);
    assert_eq!(val(sum_over_time, &[1., 2., 3., 4., 5.]), 15.0);
    assert_eq!(val(count_over_time, &[1., 2., 3.]), 3.0);
    assert_eq!(val(present_over_time, &[NAN]), 1.0);
    // Big terms cancelling: compensated sums keep the small ones.
    assert_eq!(val(sum_over_time, &[1., 1e100, 1., -1e100]), 2.0);
    assert_eq!(val(avg_over_time, &[1., 1e100, 1., -1e100]), 0.5);
    // The direct mean is exact where an incremental one drifts.
    for n in [10, 11, 12, 13, 101] {
        assert_eq!(val(avg_over_time, &vec![52.0; n]), 52.0, "{n} samples");
    }
    // Too many orders of magnitude even for Kahan: Prometheus answers 0, too.
    let hard = [
        -2.258E+220,
        -1.78264E+219,
        0.76342771,
        1.9592258,
        2.3757689E+217,
        -2.3757689E+217,
        2.258E+220,
        7.69805412,
        1.78264E+219,
        -458.90154,
    ];
    assert_eq!(val(avg_over_time, &hard), 0.0);
}

#[test]
fn means_that_overflow_a_direct_sum() {
    let big = 9.988_465_674_311_58e307;
    assert_eq!(val(avg_over_time, &[big, big]), big);
    assert_eq!(val(avg_over_time, &[-big, -big, -big]), -big);
    assert_eq!(val(avg_over_time, &[-big, big]), 0.0);
    assert_eq!(val(sum_over_time, &[big, big]), INF);
    let m6 = [
        -1.78264E+50,
        0.76342771,
        1.9592258,
        2.258E+220,
        7.69805412,
        -458.90154,
    ];
    // Expected values are the 15-digit ones in Prometheus's tests, hence the tolerance.
    assert!((val(avg_over_time, &m6) / 3.76333333333333E+219 - 1.0).abs() < 1e-14);
    let m9 = [
        -1.78264E+215,
        0.76342771,
        1.9592258,
        2.258E+220,
        7.69805412,
        1.78264E+215,
        -458.90154,
    ];
    assert!(rel_close(val(avg_over_time, &m9), 3.225714285714286e+219));
    let m10 = [
        -1.78264E+219,
        0.76342771,
        1.9592258,
        2.3757689E+217,
        -2.3757689E+217,
        2.258E+220,
        7.69805412,
        1.78264E+219,
        -458.90154,
    ];
    assert!(rel_close(val(avg_over_time, &m10), 2.5088888888888888e+219));
}

#[test]
fn infinities_and_nan_in_means() {
    assert_eq!(val(avg_over_time, &[1., 2., 3., 4., INF]), INF);
    assert_eq!(val(avg_over_time, &[1., 2., 3., 4., -INF]), -INF);
    assert!(val(avg_over_time, &[1., 2., 3., INF, -INF]).is_nan());
    assert_eq!(val(avg_over_time, &[INF, 0., INF]), INF);
    assert!(val(avg_over_time, &[INF, INF, INF, -INF]).is_nan());
    assert_eq!(val(avg_over_time, &[-INF, 0., -INF]), -INF);
    assert!(val(avg_over_time, &[1., 2., -INF, -INF, INF]).is_nan());
    assert!(val(avg_over_time, &[1., 2., 3., NAN]).is_nan());
    assert_eq!(val(sum_over_time, &[1., 2., 3., 4., INF]), INF);
    assert_eq!(val(sum_over_time, &[INF, 0., INF]), INF);
}

#[test]
fn min_max_skip_nan_unless_all_nan() {
    let cases: [([f64; 3], f64, f64); 5] = [
        ([2., 0., 3.], 0., 3.),
        ([2., 0., NAN], 0., 2.),
        ([2., NAN, 1.], 1., 2.),
        ([NAN, 0., 1.], 0., 1.),
        ([NAN, NAN, NAN], NAN, NAN),
    ];
    for (vals, min, max) in cases {
        let (got_min, got_max) = (val(min_over_time, &vals), val(max_over_time, &vals));
        assert!(
            got_min == min || (min.is_nan() && got_min.is_nan()),
            "{vals:?}"
        );
        assert!(
            got_max == max || (max.is_nan() && got_max.is_nan()),
            "{vals:?}"
        );
    }
    assert!(val(last_over_time, &[2., 0., NAN]).is_nan());
    assert_eq!(val(last_over_time, &[2., NAN, 1.]), 1.0);
}

#[test]
fn timestamps_of_extremes() {
    // One sample every 10.053 s from 0; the window (0, 90 s] leaves out t=0.
    let vals = [1., 2., 3., 0., 5., 6., 2., 1., 4.];
    let samples: Vec<(i64, f64)> = vals
        .iter()
        .enumerate()
        .map(|(i, &v)| (i as i64 * 10_053, v))
        .collect();
    let w = Window {
        samples: &samples[1..],
        start: 0,
        end: 90_000,
    };
    let mut notes = Annotations::default();
    let mut ctx = FnCtx {
        metric_name: None,
        notes: &mut notes,
    };
    assert_eq!(ts_of_min_over_time(&w, &[], &mut ctx), Some(30.159));
    assert_eq!(ts_of_max_over_time(&w, &[], &mut ctx), Some(50.265));
    assert_eq!(ts_of_last_over_time(&w, &[], &mut ctx), Some(80.424));
    // Ties go to the latest sample.
    assert_eq!(val(ts_of_max_over_time, &[1., 3., 3., 2.]), 20.0);
    assert_eq!(val(ts_of_min_over_time, &[1., 3., 1., 2.]), 20.0);
    assert_eq!(val(ts_of_max_over_time, &[NAN, 1., NAN]), 10.0);
}

#[test]
fn variance() {
    assert!(rel_close(
        val(stdvar_over_time, &[0., 8., 8., 2., 3.]),
        10.56
    ));
    assert!((val(stddev_over_time, &[0., 8., 8., 2., 3.]) - 3.249615).abs() < 1e-6);
    let c = 1.5990505637277868;
    assert_eq!(val(stdvar_over_time, &[c, c, c]), 0.0);
    assert_eq!(val(stddev_over_time, &[c, c, c]), 0.0);
    assert_eq!(val(stddev_over_time, &[7.0]), 0.0);
}

#[test]
fn quantiles_interpolate_between_ranks() {
    let q = |q: f64, vals: &[f64]| over(quantile_over_time, vals, &[q]);
    for (qv, two, three, uneven) in [
        (0.0, 0.0, 0.0, 0.0),
        (0.5, 0.5, 1.0, 1.0),
        (0.75, 0.75, 1.5, 2.5),
        (0.8, 0.8, 1.6, 2.8),
        (1.0, 1.0, 2.0, 4.0),
    ] {
        assert!(rel_close(q(qv, &[0., 1.]).0.unwrap_or(NAN), two));
        assert!(rel_close(q(qv, &[0., 1., 2.]).0.unwrap_or(NAN), three));
        assert!(rel_close(q(qv, &[4., 0., 1.]).0.unwrap_or(NAN), uneven));
        assert!(q(qv, &[0., 1.]).1.is_empty());
    }
    assert_eq!(q(0.0, &[2., 0., 1.]).0, Some(0.0));
    let (v, notes) = q(-1.0, &[0., 1.]);
    assert_eq!(v, Some(f64::NEG_INFINITY));
    assert_eq!(
        notes.warnings,
        vec!["PromQL warning: quantile value should be between 0 and 1, got -1"]
    );
    let (v, notes) = q(2.0, &[0., 1.]);
    assert_eq!(v, Some(INF));
    assert_eq!(notes.warnings.len(), 1);
    let (v, notes) = q(NAN, &[0., 1.]);
    assert!(v.is_some_and(f64::is_nan));
    assert_eq!(
        notes.warnings,
        vec!["PromQL warning: quantile value should be between 0 and 1, got NaN"]
    );
    // NaN values sort first.
    assert_eq!(q(1.0, &[NAN, 3., 1.]).0, Some(3.0));
    assert!(q(0.0, &[3., NAN, 1.]).0.is_some_and(f64::is_nan));
}

#[test]
fn median_absolute_deviation() {
    // Median 2; deviations 2 4 0 1 997 1 0 -> median 1.
    assert_eq!(val(mad_over_time, &[4., 6., 2., 1., 999., 1., 2.]), 1.0);
    assert_eq!(val(mad_over_time, &[1., 1., 1.]), 0.0);
}
