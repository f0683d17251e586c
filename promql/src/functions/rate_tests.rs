use super::*;
use crate::annotations::Annotations;
use crate::functions::RangeFn;

const MIN: i64 = 60_000;

/// Samples every `step_ms` from t=0 with the given values.
fn series(step_ms: i64, values: &[f64]) -> Vec<(i64, f64)> {
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| (i as i64 * step_ms, v))
        .collect()
}

/// `start+incxN` as in the promqltest load notation.
fn ramp(start: f64, inc: f64, n: usize) -> Vec<f64> {
    (0..=n).map(|i| start + inc * i as f64).collect()
}

/// Calls `f` at evaluation time `at` over `f(x[range])`, as the evaluator would.
fn call(
    f: RangeFn,
    all: &[(i64, f64)],
    at: i64,
    range: i64,
    name: Option<&str>,
) -> (Option<f64>, Annotations) {
    let start = at - range;
    let lo = all.partition_point(|p| p.0 <= start);
    let hi = all.partition_point(|p| p.0 <= at);
    let w = Window {
        samples: &all[lo..hi],
        start,
        end: at,
    };
    let mut notes = Annotations::default();
    let v = f(
        &w,
        &[],
        &mut FnCtx {
            metric_name: name,
            notes: &mut notes,
        },
    );
    (v, notes)
}

fn at(f: RangeFn, all: &[(i64, f64)], t: i64, range: i64) -> Option<f64> {
    call(f, all, t, range, Some("x_total")).0
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() <= 1e-9 * b.abs().max(1.0))
}

#[test]
fn resets_and_changes() {
    let foo = series(5 * MIN, &[1., 2., 3., 0., 1., 0., 0., 1., 2., 0.]);
    let bar = series(5 * MIN, &[1., 2., 3., 4., 5., 1., 2., 3., 4., 5.]);
    // The last sample is at 45m, so (45m, 50m] is empty: no result.
    assert_eq!(at(resets, &foo, 50 * MIN, 5 * MIN), None);
    assert_eq!(at(resets, &foo, 50 * MIN, 10 * MIN), Some(0.0));
    assert_eq!(at(resets, &foo, 50 * MIN, 20 * MIN), Some(1.0));
    assert_eq!(at(resets, &foo, 50 * MIN, 32 * MIN), Some(2.0));
    assert_eq!(at(resets, &foo, 50 * MIN, 50 * MIN), Some(3.0));
    assert_eq!(at(resets, &bar, 50 * MIN, 32 * MIN), Some(1.0));
    assert_eq!(at(changes, &foo, 50 * MIN, 20 * MIN), Some(2.0));
    assert_eq!(at(changes, &foo, 50 * MIN, 50 * MIN), Some(7.0));
    assert_eq!(at(changes, &bar, 50 * MIN, 50 * MIN), Some(8.0));
}

#[test]
fn changes_treats_nan_to_nan_as_no_change() {
    let all_nan = series(5 * MIN, &[f64::NAN; 3]);
    let mixed = series(5 * MIN, &[0.0, f64::NAN, 0.0]);
    assert_eq!(at(changes, &all_nan, 15 * MIN, 20 * MIN), Some(0.0));
    assert_eq!(at(changes, &mixed, 15 * MIN, 20 * MIN), Some(2.0));
}

#[test]
fn increase_extrapolates_but_not_below_zero() {
    let foo = series(5 * MIN, &ramp(0.0, 10.0, 10));
    let mut bar = ramp(0.0, 18.0, 5);
    bar.extend(ramp(0.0, 18.0, 5));
    let bar = series(5 * MIN, &bar);
    let dings = series(5 * MIN, &ramp(10.0, 10.0, 10));
    let bumms = series(5 * MIN, &ramp(1.0, 10.0, 10));
    // (0, 50m] holds the samples from 5m to 50m: +90 over 45m, extrapolated by 5m to the
    // start, so 90 * 50/45 = 100.
    assert!(close(at(increase, &foo, 50 * MIN, 50 * MIN), 100.0));
    assert!(close(at(increase, &bar, 50 * MIN, 50 * MIN), 160.0));
    assert!(close(at(increase, &dings, 50 * MIN, 50 * MIN), 100.0));
    // With 100m every sample is in; the start is extrapolated by at most half an interval
    // (2m30s) and never past the counter's zero point.
    assert!(close(at(increase, &foo, 50 * MIN, 100 * MIN), 100.0));
    assert!(close(at(increase, &bar, 50 * MIN, 100 * MIN), 162.0));
    assert!(close(at(increase, &dings, 50 * MIN, 100 * MIN), 105.0));
    assert!(close(at(increase, &bumms, 50 * MIN, 100 * MIN), 101.0));
}

#[test]
fn increase_undoes_counter_resets() {
    let s = series(5 * MIN, &[0., 1., 2., 3., 2., 3., 4.]);
    assert!(close(at(increase, &s, 30 * MIN, 30 * MIN), 7.0));
}

#[test]
fn rate_per_second_with_resets() {
    let mut middle = ramp(0.0, 27.0, 4);
    middle.extend(ramp(0.0, 27.0, 5));
    let middle = series(5 * MIN, &middle);
    assert!(close(at(rate, &middle, 50 * MIN, 50 * MIN), 0.08));

    let mut end = ramp(0.0, 10.0, 9);
    end.extend([0.0, 10.0]);
    let end = series(5 * MIN, &end);
    // One sample in the window: no rate. Two samples with a reset between: 0.
    assert_eq!(at(rate, &end, 50 * MIN, 5 * MIN), None);
    assert_eq!(at(rate, &end, 50 * MIN, 6 * MIN), Some(0.0));

    let window = series(5 * MIN, &ramp(0.0, 80.0, 10));
    assert!(close(
        at(rate, &window, 50 * MIN, 50 * MIN),
        0.26666666666666666
    ));
    // `offset 5m`: the window ends at 45m.
    let a = series(5 * MIN, &ramp(0.0, 10.0, 10));
    assert!(close(at(rate, &a, 45 * MIN, 10 * MIN), 0.03333333333333333));
}

#[test]
fn rate_zero_cutoff() {
    // Samples every 4m starting at 60*k, so the zero point lies k minutes before t=0.
    let expected_at_10m = [0.5, 0.55, 0.6, 0.6, 0.6, 0.6];
    for (k, want) in expected_at_10m.into_iter().enumerate() {
        let s = series(4 * MIN, &ramp(60.0 * k as f64, 240.0, 10));
        assert!(close(at(rate, &s, 10 * MIN, 20 * MIN), want), "start {k}m");
        assert!(close(at(rate, &s, 50 * MIN, 20 * MIN), 0.6), "start {k}m");
    }
}

#[test]
fn delta_is_not_a_counter() {
    // A gauge going down: no reset correction, no zero cutoff.
    let s = series(MIN, &[10.0, 8.0, 6.0]);
    // 2 minutes sampled, extrapolated by 1 minute to the start: -4 * 3/2 = -6.
    assert!(close(at(delta, &s, 2 * MIN, 3 * MIN), -6.0));
    // As a counter, both decreases are resets: 6 - 10 + 10 + 8 = 14, times 1.5.
    assert!(close(at(increase, &s, 2 * MIN, 3 * MIN), 21.0));
}

#[test]
fn irate_and_idelta_use_the_last_two_samples() {
    let foo = series(5 * MIN, &ramp(0.0, 10.0, 10));
    let mut bar = ramp(0.0, 10.0, 5);
    bar.extend(ramp(0.0, 10.0, 5));
    let bar = series(5 * MIN, &bar);
    assert!(close(at(irate, &foo, 50 * MIN, 50 * MIN), 10.0 / 300.0));
    // At 30m the last two samples are 50 then 0: a reset, so 0 / 300s.
    assert_eq!(at(irate, &bar, 30 * MIN, 50 * MIN), Some(0.0));
    assert_eq!(at(idelta, &bar, 30 * MIN, 50 * MIN), Some(-50.0));

    let nan = series(5 * MIN, &[1.0, f64::NAN, f64::NAN, 5.0, 11.0]);
    assert!(at(irate, &nan, 5 * MIN, 15 * MIN + 1000).is_some_and(f64::is_nan));
    assert!(at(irate, &nan, 15 * MIN, 15 * MIN + 1000).is_some_and(f64::is_nan));
    assert!(close(at(irate, &nan, 20 * MIN, 15 * MIN + 1000), 0.02));
    assert_eq!(at(irate, &nan, 0, 15 * MIN), None);
}

#[test]
fn counter_info_only_for_names_that_do_not_look_like_counters() {
    let s = series(MIN, &[1.0, 2.0, 3.0]);
    let (v, notes) = call(rate, &s, 2 * MIN, 3 * MIN, Some("foo"));
    assert!(v.is_some());
    assert_eq!(
        notes.infos,
        vec![
            "PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"foo\""
        ]
    );
    let (_, notes) = call(increase, &s, 2 * MIN, 3 * MIN, Some("foo_bucket"));
    assert!(notes.is_empty());
    let (_, notes) = call(rate, &s, 2 * MIN, 3 * MIN, None);
    assert!(notes.is_empty());
    // No value, no info.
    let (v, notes) = call(rate, &s[..1], 2 * MIN, 3 * MIN, Some("foo"));
    assert_eq!(v, None);
    assert!(notes.is_empty());
    // delta is meant for gauges.
    let (_, notes) = call(delta, &s, 2 * MIN, 3 * MIN, Some("foo"));
    assert!(notes.is_empty());
}

#[test]
fn duration_seconds_like_go() {
    assert_eq!(go_duration_seconds(90_000), 90.0);
    assert_eq!(go_duration_seconds(10_053), 10.0 + 53_000_000.0 / 1e9);
    assert_eq!(go_duration_seconds(-1_500), -1.5);
}
