use super::*;
use crate::compliance::result::parse_answer;

fn ok(json: &str) -> Outcome {
    let body = format!(r#"{{"status":"success","data":{json}}}"#);
    let o = parse_answer(200, body.as_bytes());
    assert!(matches!(o, Outcome::Success(_)), "{o:?}");
    o
}

fn err() -> Outcome {
    parse_answer(
        400,
        br#"{"status":"error","errorType":"bad_data","error":"x"}"#,
    )
}

fn cmp(r: &Outcome, t: &Outcome) -> Verdict {
    compare(r, t, false, false, &Tolerance::default())
}

#[test]
fn tolerance_is_relative_to_the_smaller_value_and_nan_equals_nan() {
    let tol = Tolerance::default();
    assert!(tol.equal(100_000.0, 100_000.999));
    assert!(!tol.equal(100_000.0, 100_001.5));
    assert!(tol.equal(f64::NAN, f64::NAN));
    assert!(!tol.equal(f64::NAN, 1.0));
    assert!(tol.equal(f64::INFINITY, f64::INFINITY));
    assert!(!tol.equal(f64::INFINITY, f64::NEG_INFINITY));
    assert!(!tol.equal(f64::INFINITY, 1e308));
    // Margin 0: near zero only exact equality passes, as in the official tester.
    assert!(!tol.equal(0.0, 1e-15));
    let loose = Tolerance {
        fraction: 1e-5,
        margin: 1e-12,
    };
    assert!(loose.equal(0.0, 1e-15));
}

#[test]
fn matrices_compare_regardless_of_series_order() {
    let a = ok(
        r#"{"resultType":"matrix","result":[{"metric":{"a":"1"},"values":[[1,"1"],[2,"2"]]},
        {"metric":{"a":"2"},"values":[[1,"NaN"]]}]}"#,
    );
    let b = ok(
        r#"{"resultType":"matrix","result":[{"metric":{"a":"2"},"values":[[1,"NaN"]]},
        {"metric":{"a":"1"},"values":[[1,"1.000001"],[2,"2"]]}]}"#,
    );
    assert_eq!(cmp(&a, &b), Verdict::Match);
}

#[test]
fn matrix_differences_name_the_first_one() {
    let a =
        ok(r#"{"resultType":"matrix","result":[{"metric":{"a":"1"},"values":[[1,"1"],[2,"2"]]}]}"#);
    let value = ok(
        r#"{"resultType":"matrix","result":[{"metric":{"a":"1"},"values":[[1,"1"],[2,"2.1"]]}]}"#,
    );
    let time =
        ok(r#"{"resultType":"matrix","result":[{"metric":{"a":"1"},"values":[[1,"1"],[3,"2"]]}]}"#);
    let short = ok(r#"{"resultType":"matrix","result":[{"metric":{"a":"1"},"values":[[1,"1"]]}]}"#);
    let labels = ok(
        r#"{"resultType":"matrix","result":[{"metric":{"a":"1","b":"2"},"values":[[1,"1"],[2,"2"]]}]}"#,
    );
    let vector = ok(r#"{"resultType":"vector","result":[]}"#);
    let diff = |t: &Outcome| match cmp(&a, t) {
        Verdict::Mismatch(d) => d,
        other => panic!("{other:?}"),
    };
    assert!(
        diff(&value).contains("reference 2 test 2.1"),
        "{}",
        diff(&value)
    );
    assert!(diff(&time).contains("t=2000"), "{}", diff(&time));
    assert!(
        diff(&short).contains("reference 2 points, test 1"),
        "{}",
        diff(&short)
    );
    assert!(
        diff(&labels).starts_with("missing {a=\"1\"}, extra"),
        "{}",
        diff(&labels)
    );
    assert_eq!(diff(&vector), "resultType: reference matrix test vector");
}

#[test]
fn status_rules_follow_should_fail() {
    let a = ok(r#"{"resultType":"scalar","result":[1,"1"]}"#);
    let tol = Tolerance::default();
    assert_eq!(compare(&err(), &err(), true, false, &tol), Verdict::Match);
    assert!(matches!(
        compare(&err(), &a, true, false, &tol),
        Verdict::Mismatch(_)
    ));
    assert!(matches!(
        compare(&a, &err(), false, false, &tol),
        Verdict::Mismatch(_)
    ));
    assert!(matches!(
        compare(&err(), &a, false, false, &tol),
        Verdict::ReferenceError(_)
    ));
    // A data-dependent failure that cannot happen here: compared like any query.
    assert_eq!(compare(&a, &a, true, false, &tol), Verdict::Match);
    assert!(matches!(
        compare(&a, &err(), true, false, &tol),
        Verdict::Mismatch(_)
    ));
}

#[test]
fn vector_order_counts_only_when_the_query_sorts() {
    let a = ok(
        r#"{"resultType":"vector","result":[{"metric":{"a":"1"},"value":[1,"3"]},
        {"metric":{"a":"2"},"value":[1,"2"]}]}"#,
    );
    let b = ok(
        r#"{"resultType":"vector","result":[{"metric":{"a":"2"},"value":[1,"2"]},
        {"metric":{"a":"1"},"value":[1,"3"]}]}"#,
    );
    let tol = Tolerance::default();
    assert_eq!(compare(&a, &b, false, false, &tol), Verdict::Match);
    assert!(matches!(
        compare(&a, &b, false, true, &tol),
        Verdict::Mismatch(d) if d.starts_with("order at position 0")
    ));
    assert!(is_ordered("topk (3, demo_memory_usage_bytes)"));
    assert!(is_ordered("sort_desc(rate(x[5m]))"));
    assert!(!is_ordered(
        "topk by(instance) (2, demo_memory_usage_bytes)"
    ));
    assert!(!is_ordered("topk(3, x) + 1"));
    assert!(!is_ordered("sort(x) or sort(y)"));
    assert!(is_ordered(
        r#"sort(label_replace(x, "a", ")", "b", "(.*)"))"#
    ));
    assert!(!is_ordered("sum(x)"));
}

#[test]
fn label_set_differences_also_name_a_value_difference() {
    let a = ok(r#"{"resultType":"matrix","result":[{"metric":{"v":"0"},"values":[[1,"164"]]}]}"#);
    let b = ok(
        r#"{"resultType":"matrix","result":[{"metric":{"v":"0"},"values":[[1,"3"]]},
        {"metric":{},"values":[[1,"1"]]}]}"#,
    );
    match cmp(&a, &b) {
        Verdict::Mismatch(d) => {
            assert!(d.starts_with("extra {}"), "{d}");
            assert!(
                d.contains("and {v=\"0\"} @1000: reference 164 test 3"),
                "{d}"
            );
        }
        other => panic!("{other:?}"),
    }
}
