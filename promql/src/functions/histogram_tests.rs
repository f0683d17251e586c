use super::*;

fn b(upper_bound: f64, count: f64) -> Bucket {
    Bucket { upper_bound, count }
}

const INF: f64 = f64::INFINITY;

fn q(q: f64, buckets: &[Bucket]) -> BucketQuantile {
    bucket_quantile(q, &mut buckets.to_vec())
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * b.abs().max(1.0)
}

/// `testhistogram` at 50m: counts are 10x the per-step increments.
fn positive() -> Vec<Bucket> {
    vec![b(0.1, 50.), b(0.2, 70.), b(1.0, 110.), b(INF, 120.)]
}
fn negative() -> Vec<Bucket> {
    vec![b(-0.2, 10.), b(-0.1, 20.), b(0.3, 20.), b(INF, 30.)]
}

#[test]
fn quantiles_of_a_plain_histogram() {
    // Lowest bucket: from 0 when its bound is positive, its bound otherwise.
    assert_eq!(q(0.0, &positive()).value, 0.0);
    assert_eq!(q(0.0, &negative()).value, -0.2);
    // Highest bucket: the second-highest bound.
    assert_eq!(q(1.0, &positive()).value, 1.0);
    assert_eq!(q(1.0, &negative()).value, 0.3);
    // Rank 24 of 120 is 24/50 into (0, 0.1]; rank 60 is half-way into (0.1, 0.2].
    assert!(close(q(0.2, &positive()).value, 0.048));
    assert!(close(q(0.5, &positive()).value, 0.15));
    assert!(close(q(0.5, &negative()).value, -0.15));
    assert!(close(q(0.2, &negative()).value, -0.2));
    let plain = q(0.5, &positive());
    assert!(!plain.forced_monotonicity && !plain.fixed_precision);
}

#[test]
fn buckets_need_not_be_sorted() {
    let mut shuffled = positive();
    shuffled.reverse();
    shuffled.swap(0, 2);
    assert!(close(q(0.5, &shuffled).value, 0.15));
    // Middle of each bucket of 0/2/4/6/+Inf with one observation per bucket.
    let h2 = [b(6., 3.), b(0., 0.), b(INF, 3.), b(4., 2.), b(2., 1.)];
    assert!(close(q(1.0 / 6.0, &h2).value, 1.0));
    assert!(close(q(0.5, &h2).value, 3.0));
    assert!(close(q(5.0 / 6.0, &h2).value, 5.0));
}

#[test]
fn out_of_range_and_nan_quantiles() {
    assert_eq!(q(-0.1, &positive()).value, f64::NEG_INFINITY);
    assert_eq!(q(1.01, &positive()).value, INF);
    assert!(q(f64::NAN, &positive()).value.is_nan());
    // Decided before the buckets are looked at, even for unusable ones.
    assert_eq!(q(2.0, &[b(1.0, 1.0)]).value, INF);
}

#[test]
fn unusable_bucket_sets_give_nan() {
    assert!(q(0.5, &[]).value.is_nan());
    assert!(
        q(0.5, &[b(1.0, 1.0), b(2.0, 2.0)]).value.is_nan(),
        "no +Inf bucket"
    );
    assert!(q(0.5, &[b(INF, 5.0)]).value.is_nan(), "only +Inf");
    assert!(
        q(0.5, &[b(INF, 3.0), b(INF, 4.0)]).value.is_nan(),
        "coalesced to one"
    );
    assert!(
        q(0.2, &[b(0.1, 0.), b(0.2, 0.), b(INF, 0.)]).value.is_nan(),
        "empty"
    );
}

#[test]
fn equal_bounds_are_merged() {
    // le="0.1" and le="1e-1" are the same bucket; their counts add up.
    let buckets = [b(0.1, 1.0), b(0.1, 1.0), b(0.2, 3.0), b(INF, 4.0)];
    // Merged: 0.1 -> 2, 0.2 -> 3, +Inf -> 4. Rank 2 is the whole first bucket.
    assert!(close(q(0.5, &buckets).value, 0.1));
    assert!(close(q(0.75, &buckets).value, 0.2));
}

#[test]
fn nonmonotonic_buckets_are_forced_and_reported() {
    let h = [
        b(0.1, 20.),
        b(1.0, 10.),
        b(10.0, 50.),
        b(100.0, 40.),
        b(1000.0, 90.),
        b(INF, 80.),
    ];
    // Envelope: 20 20 50 50 90 90.
    let r = q(0.01, &h);
    assert!(close(r.value, 0.0045));
    assert!(r.forced_monotonicity);
    assert!(close(q(0.5, &h).value, 8.5));
    assert!(close(q(0.99, &h).value, 979.75));

    let mut notes = Annotations::default();
    r.annotate("", &mut notes);
    assert_eq!(
        notes.infos,
        vec![
            "PromQL info: input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)"
        ]
    );
    let mut named = Annotations::default();
    r.annotate("nonmonotonic_bucket", &mut named);
    assert!(named.infos[0].ends_with(" for metric name \"nonmonotonic_bucket\""));
}

#[test]
fn precision_noise_is_fixed_silently() {
    let h = [b(1.0, 10.0), b(2.0, 10.0 * (1.0 - 1e-15)), b(INF, 20.0)];
    let r = q(0.5, &h);
    assert!(r.fixed_precision);
    assert!(!r.forced_monotonicity);
    assert!(close(r.value, 1.0));
    let mut notes = Annotations::default();
    r.annotate("", &mut notes);
    assert!(notes.is_empty());
}

#[test]
fn rates_of_mixed_job_histograms() {
    // Per-second rates over 10m of request_duration_seconds_bucket, scaled by 600.
    let ins1 = [b(0.1, 1.), b(0.2, 3.), b(INF, 4.)];
    let ins2 = [b(0.1, 2.), b(0.2, 5.), b(INF, 6.)];
    assert!(close(q(0.5, &ins1).value, 0.15));
    assert!(close(q(0.5, &ins2).value, 0.13333333333333333));
}

#[test]
fn almost_equal_is_relative() {
    assert!(almost_equal(1.0, 1.0 + 1e-13, 1e-12));
    assert!(!almost_equal(1.0, 1.0 + 1e-11, 1e-12));
    assert!(almost_equal(f64::NAN, f64::NAN, 1e-12));
    assert!(!almost_equal(0.0, 1e-300, 1e-12));
    assert!(almost_equal(0.0, 0.0, 1e-12));
}

#[test]
fn fractions_interpolate_inside_buckets() {
    let frac =
        |lo: f64, hi: f64, buckets: &[Bucket]| bucket_fraction(lo, hi, &mut buckets.to_vec());
    // testhistogram2 at 50m: 10 observations each in (0,2], (2,4], (4,6].
    let h2 = [b(0., 0.), b(2., 10.), b(4., 20.), b(6., 30.), b(INF, 30.)];
    assert!(close(frac(0., 4., &h2), 2.0 / 3.0));
    assert!(close(frac(0., 6., &h2), 1.0));
    assert!(close(frac(0., 3.5, &h2), 17.5 / 30.0));
    assert!(close(frac(f64::NEG_INFINITY, 3.0, &h2), 0.5));
    assert!(close(frac(5.0, INF, &h2), 1.0 / 6.0));
    // testhistogram3: the positive one has 70 of 110 observations up to 0.2.
    let positive = [
        b(0., 0.),
        b(0.1, 50.),
        b(0.2, 70.),
        b(1.0, 110.),
        b(INF, 110.),
    ];
    assert!(close(frac(0., 0.2, &positive), 70.0 / 110.0));
    let negative = [
        b(-0.25, 0.),
        b(-0.2, 10.),
        b(-0.1, 20.),
        b(0.3, 20.),
        b(INF, 20.),
    ];
    assert_eq!(frac(0., 0.2, &negative), 0.0);
    // Observations in the +Inf bucket sit at +Inf.
    assert_eq!(frac(1., 1e9, &[b(1., 5.), b(INF, 10.)]), 0.0);
    assert_eq!(frac(1., INF, &[b(1., 5.), b(INF, 10.)]), 0.5);
}

#[test]
fn fraction_special_cases() {
    let frac =
        |lo: f64, hi: f64, buckets: &[Bucket]| bucket_fraction(lo, hi, &mut buckets.to_vec());
    let h = [b(1., 1.), b(2., 3.), b(3., 6.), b(INF, 100.)];
    assert_eq!(frac(2., 1., &h), 0.0);
    assert!(frac(f64::NAN, 1., &h).is_nan());
    assert!(frac(0., f64::NAN, &h).is_nan());
    assert!(
        frac(0., 1., &[b(1., 1.), b(2., 2.)]).is_nan(),
        "no +Inf bucket"
    );
    assert!(
        frac(0., 1., &[b(1., 0.), b(INF, 0.)]).is_nan(),
        "no observations"
    );
    assert!(frac(0., 1., &[]).is_nan());
    // Prometheus 3.5: the lowest bucket reaches to -Inf, so 0 inside it gives NaN.
    assert!(frac(0.0, 1.5, &h).is_nan());
    // Bounds on bucket boundaries need no interpolation.
    assert!(close(frac(1.0, 3.0, &h), 0.05));
}
