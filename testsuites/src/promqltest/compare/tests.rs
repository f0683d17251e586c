use super::*;
use crate::promqltest::parse::{Command, parse};
use crate::promqltest::series_notation::stale_nan;
use promql::Series;

fn eval(text: &str) -> Eval {
    let f = parse(text).unwrap();
    match f.commands.into_iter().next() {
        Some(Command::Eval(e)) => *e,
        other => panic!("not an eval: {other:?}"),
    }
}

fn lbl(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied())
}

fn sample(pairs: &[(&str, &str)], f: f64) -> Sample {
    Sample {
        metric: lbl(pairs),
        t: 0,
        f,
    }
}

#[test]
fn almost_equal_rules() {
    assert!(almost_equal(1.0, 1.0 + 1e-7, EPSILON));
    assert!(!almost_equal(1.0, 1.0 + 1e-5, EPSILON));
    assert!(almost_equal(f64::NAN, -f64::NAN, EPSILON));
    assert!(almost_equal(stale_nan(), stale_nan(), EPSILON));
    assert!(!almost_equal(stale_nan(), f64::NAN, EPSILON));
    assert!(!almost_equal(f64::NAN, 1.0, EPSILON));
    assert!(almost_equal(f64::INFINITY, f64::INFINITY, EPSILON));
    assert!(!almost_equal(f64::INFINITY, f64::NEG_INFINITY, EPSILON));
    assert!(!almost_equal(0.0, 1e-300, EPSILON));
    assert!(almost_equal(0.0, -0.0, EPSILON));
}

#[test]
fn vector_any_order_and_missing_or_extra_series() {
    let ev = eval("eval instant at 1m x\n  x{a=\"1\"} 1\n  x{a=\"2\"} 2\n");
    let good = vec![
        sample(&[("__name__", "x"), ("a", "2")], 2.0),
        sample(&[("__name__", "x"), ("a", "1")], 1.0),
    ];
    assert_eq!(compare_result(&ev, &Value::Vector(good.clone())), Ok(()));
    let missing = vec![good[0].clone()];
    let e = compare_result(&ev, &Value::Vector(missing)).unwrap_err();
    assert!(e.contains("not found"), "{e}");
    let mut extra = good.clone();
    extra.push(sample(&[("a", "3")], 3.0));
    let e = compare_result(&ev, &Value::Vector(extra)).unwrap_err();
    assert!(e.contains("unexpected metric"), "{e}");
    let mut wrong = good;
    wrong[0].f = 2.1;
    let e = compare_result(&ev, &Value::Vector(wrong)).unwrap_err();
    assert!(e.contains("expected 2 for"), "{e}");
}

#[test]
fn ordered_checks_positions() {
    let ev = eval("eval_ordered instant at 1m x\n  {a=\"1\"} 1\n  {a=\"2\"} 2\n");
    let in_order = vec![sample(&[("a", "1")], 1.0), sample(&[("a", "2")], 2.0)];
    assert_eq!(
        compare_result(&ev, &Value::Vector(in_order.clone())),
        Ok(())
    );
    let reversed: Vec<Sample> = in_order.into_iter().rev().collect();
    assert!(compare_result(&ev, &Value::Vector(reversed.clone())).is_err());
    // The unordered comparison used in range mode accepts it.
    assert_eq!(compare_vector(&ev, &reversed, false), Ok(()));
}

#[test]
fn empty_expectation_means_empty_result() {
    let ev = eval("eval instant at 1m x\n");
    assert_eq!(compare_result(&ev, &Value::Vector(vec![])), Ok(()));
    assert!(compare_result(&ev, &Value::Vector(vec![sample(&[("a", "1")], 1.0)])).is_err());
    assert!(compare_result(&ev, &Value::Scalar { t: 0, v: 1.0 }).is_err());
}

#[test]
fn scalars_and_strings() {
    let ev = eval("eval instant at 1m 1+1\n  2\n");
    assert_eq!(compare_result(&ev, &Value::Scalar { t: 0, v: 2.0 }), Ok(()));
    assert!(compare_result(&ev, &Value::Scalar { t: 0, v: 3.0 }).is_err());
    assert!(compare_result(&ev, &Value::Vector(vec![])).is_err());
    let ev = eval("eval instant at 1m \"a\"\n  expect string \"a\"\n");
    let s = |v: &str| Value::String {
        t: 0,
        v: v.to_string(),
    };
    assert_eq!(compare_result(&ev, &s("a")), Ok(()));
    assert!(compare_result(&ev, &s("b")).is_err());
}

#[test]
fn matrix_points_follow_the_steps() {
    let ev = eval("eval range from 0 to 2m step 1m x\n  {a=\"1\"} 1 _ stale\n");
    let series = |pts: Vec<(i64, f64)>| {
        Value::Matrix(vec![Series {
            metric: lbl(&[("a", "1")]),
            floats: pts,
        }])
    };
    assert_eq!(
        compare_result(&ev, &series(vec![(0, 1.0), (120_000, stale_nan())])),
        Ok(())
    );
    // Wrong timestamp, NaN instead of the stale marker, a missing point.
    assert!(compare_result(&ev, &series(vec![(0, 1.0), (60_000, stale_nan())])).is_err());
    assert!(compare_result(&ev, &series(vec![(0, 1.0), (120_000, f64::NAN)])).is_err());
    assert!(compare_result(&ev, &series(vec![(0, 1.0)])).is_err());
    // More expected points than the range has steps.
    let ev = eval("eval range from 0 to 1m step 1m x\n  {a=\"1\"} 1 2 3\n");
    let e = compare_result(&ev, &series(vec![(0, 1.0), (60_000, 2.0)])).unwrap_err();
    assert!(e.contains("cannot return this many points"), "{e}");
}

#[test]
fn unsorted_matrix_is_an_error() {
    let ev = eval("eval range from 0 to 0 step 1m x\n  {a=\"1\"} 1\n  {a=\"2\"} 1\n");
    let m = vec![
        Series {
            metric: lbl(&[("a", "2")]),
            floats: vec![(0, 1.0)],
        },
        Series {
            metric: lbl(&[("a", "1")]),
            floats: vec![(0, 1.0)],
        },
    ];
    let e = compare_result(&ev, &Value::Matrix(m)).unwrap_err();
    assert!(e.contains("sorted"), "{e}");
}

#[test]
fn range_middle_step_is_compared_as_a_vector() {
    let ev = eval("eval instant at 1m x\n  {a=\"1\"} 5\n");
    let m = Value::Matrix(vec![Series {
        metric: lbl(&[("a", "1")]),
        floats: vec![(0, 4.0), (60_000, 5.0), (120_000, 6.0)],
    }]);
    assert_eq!(compare_range_middle(&ev, &m, 60_000, false), Ok(()));
    assert!(compare_range_middle(&ev, &m, 120_000, false).is_err());
    let ev = eval("eval instant at 1m 5\n  5\n");
    assert_eq!(compare_range_middle(&ev, &m, 60_000, true), Ok(()));
}

#[test]
fn annotations() {
    let ann = |w: &[&str], i: &[&str]| Annotations {
        warnings: w.iter().map(|s| s.to_string()).collect(),
        infos: i.iter().map(|s| s.to_string()).collect(),
    };
    let ev = eval("eval_warn instant at 1m x\n");
    assert!(check_annotations(&ev, &ann(&[], &[])).is_err());
    assert_eq!(check_annotations(&ev, &ann(&["w"], &["i"])), Ok(()));

    let ev = eval("eval instant at 1m x\n  expect warn msg: A\n  expect no_info\n");
    assert_eq!(check_annotations(&ev, &ann(&["A"], &[])), Ok(()));
    assert!(check_annotations(&ev, &ann(&["A", "B"], &[])).is_err());
    assert!(check_annotations(&ev, &ann(&["B"], &[])).is_err());
    assert!(check_annotations(&ev, &ann(&["A"], &["i"])).is_err());

    // Without expect lines, annotations are not checked.
    let ev = eval("eval instant at 1m x\n");
    assert_eq!(check_annotations(&ev, &ann(&["w"], &["i"])), Ok(()));
}

#[test]
fn failures() {
    let ev = eval("eval instant at 1m x\n  expect fail regex: same label.?set\n");
    assert_eq!(
        check_failure(&ev, "vector cannot contain metrics with the same labelset"),
        Ok(())
    );
    assert!(check_failure(&ev, "other").is_err());
    let ev = eval("eval instant at 1m x\n");
    assert!(check_failure(&ev, "boom").is_err());
}
