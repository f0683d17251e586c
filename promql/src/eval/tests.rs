//! Evaluator behaviour on small hand-built data.

use crate::{Engine, EngineOptions, Labels, MemStorage, Value};

fn storage() -> MemStorage {
    let mut s = MemStorage::new();
    // http_requests{job, instance}: 0, 10, 20, ... every 30s for 10 minutes.
    for (job, inst, mult) in [("api", "a", 1.0), ("api", "b", 2.0), ("db", "a", 3.0)] {
        let l = Labels::from_pairs([
            ("__name__", "http_requests"),
            ("job", job),
            ("instance", inst),
        ]);
        for i in 0..=20 {
            s.add(&l, i * 30_000, i as f64 * 10.0 * mult);
        }
    }
    s
}

fn instant(q: &str, t: i64) -> Value {
    Engine::new(EngineOptions::default())
        .instant_query(&storage(), q, t)
        .unwrap_or_else(|e| panic!("{q}: {e}"))
        .value
}

fn vector_values(v: Value) -> Vec<(String, f64)> {
    let Value::Vector(v) = v else {
        panic!("not a vector: {v:?}")
    };
    let mut out: Vec<(String, f64)> = v.into_iter().map(|s| (s.metric.to_string(), s.f)).collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn selector_lookback_is_left_open() {
    // At 5m the latest sample is the one at 5m itself.
    let v = vector_values(instant(r#"http_requests{job="api",instance="a"}"#, 300_000));
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].1, 100.0);
    // 5m after the last sample (10m) nothing is left: the window (t-5m, t] excludes 10m.
    assert!(vector_values(instant("http_requests", 900_000)).is_empty());
    assert_eq!(vector_values(instant("http_requests", 899_999)).len(), 3);
}

#[test]
fn aggregation_and_arithmetic() {
    let v = vector_values(instant("sum by (job) (http_requests) * 2", 60_000));
    assert_eq!(
        v,
        vec![
            (r#"{job="api"}"#.into(), 120.0),
            (r#"{job="db"}"#.into(), 120.0)
        ]
    );
    let v = vector_values(instant("count(http_requests) without (instance)", 60_000));
    assert_eq!(
        v,
        vec![
            (r#"{job="api"}"#.into(), 2.0),
            (r#"{job="db"}"#.into(), 1.0)
        ]
    );
}

#[test]
fn vector_matching_one_to_one_and_group_left() {
    let v = vector_values(instant(
        r#"http_requests{job="api"} / on(instance) http_requests{job="db"}"#,
        60_000,
    ));
    assert_eq!(v, vec![(r#"{instance="a"}"#.into(), 1.0 / 3.0)]);
    let err = Engine::new(EngineOptions::default())
        .instant_query(
            &storage(),
            r#"http_requests / on(instance) http_requests{job="db"}"#,
            60_000,
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("many-to-one matching must be explicit"),
        "{err}"
    );
    let v = vector_values(instant(
        r#"http_requests / on(instance) group_left http_requests{job="db"}"#,
        60_000,
    ));
    assert_eq!(v.len(), 2);
}

#[test]
fn range_query_points_and_offsets() {
    let e = Engine::new(EngineOptions::default());
    let out = e
        .range_query(
            &storage(),
            r#"http_requests{job="db"} offset 1m"#,
            0,
            120_000,
            60_000,
        )
        .unwrap();
    let Value::Matrix(m) = out.value else {
        panic!()
    };
    assert_eq!(m.len(), 1);
    // At 0 the offset looks at -1m: no data. At 1m it sees 0s, at 2m it sees 1m.
    assert_eq!(m[0].floats, vec![(60_000, 0.0), (120_000, 60.0)]);
}

#[test]
fn subquery_windows_are_aligned_to_their_step() {
    let out = instant(r#"http_requests{job="db"}[2m:1m]"#, 150_000);
    let Value::Matrix(m) = out else { panic!() };
    // Window (30s, 150s] on a 1m grid: 60s and 120s.
    assert_eq!(
        m[0].floats.iter().map(|p| p.0).collect::<Vec<_>>(),
        vec![60_000, 120_000]
    );
}

#[test]
fn set_operators() {
    let v = vector_values(instant(
        r#"http_requests and on(instance) http_requests{job="db"}"#,
        60_000,
    ));
    assert_eq!(v.len(), 2, "{v:?}");
    let v = vector_values(instant(
        r#"http_requests{job="api"} unless on(instance) http_requests{job="db"}"#,
        60_000,
    ));
    assert_eq!(v.len(), 1);
    let v = vector_values(instant(
        r#"http_requests{job="db"} or http_requests"#,
        60_000,
    ));
    assert_eq!(v.len(), 3);
}

#[test]
fn label_replace_and_collisions() {
    let v = vector_values(instant(
        r#"label_replace(http_requests{job="db"}, "host", "h-$1", "instance", "(.*)")"#,
        60_000,
    ));
    assert_eq!(
        v[0].0,
        r#"http_requests{host="h-a", instance="a", job="db"}"#
    );
    let err = Engine::new(EngineOptions::default())
        .instant_query(
            &storage(),
            r#"label_replace(http_requests, "instance", "x", "", "")"#,
            60_000,
        )
        .unwrap_err();
    assert!(err.to_string().contains("same labelset"), "{err}");
}

#[test]
fn max_samples_limit_errors_instead_of_growing() {
    let e = Engine::new(EngineOptions {
        max_samples: 10,
        ..Default::default()
    });
    let err = e
        .range_query(&storage(), "http_requests", 0, 600_000, 1_000)
        .unwrap_err();
    assert_eq!(err.error_type(), "execution");
    assert!(err.to_string().contains("too many samples"));
}

#[test]
fn count_values_over_a_range_keeps_each_value_in_its_own_series() {
    let e = Engine::new(EngineOptions::default());
    let out = e
        .range_query(
            &storage(),
            r#"count_values("v", http_requests{job="db"} > 50)"#,
            0,
            120_000,
            30_000,
        )
        .unwrap();
    let Value::Matrix(m) = out.value else {
        panic!()
    };
    // The db series is 0, 30, 60, 90, 120 at 0..120s: above 50 only 60, 90 and 120, once each.
    let got: Vec<(String, Vec<(i64, f64)>)> = m
        .into_iter()
        .map(|s| (s.metric.to_string(), s.floats))
        .collect();
    assert_eq!(
        got,
        vec![
            (r#"{v="120"}"#.to_string(), vec![(120_000, 1.0)]),
            (r#"{v="60"}"#.to_string(), vec![(60_000, 1.0)]),
            (r#"{v="90"}"#.to_string(), vec![(90_000, 1.0)]),
        ]
    );
}

#[test]
fn step_invariant_subtrees_answer_the_same_at_every_step() {
    let e = Engine::new(EngineOptions::default());
    let out = e
        .range_query(
            &storage(),
            r#"sum(http_requests{job="db"} @ 60) + 1"#,
            0,
            600_000,
            60_000,
        )
        .unwrap();
    let Value::Matrix(m) = out.value else {
        panic!()
    };
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].floats.len(), 11);
    assert!(m[0].floats.iter().all(|p| p.1 == 61.0), "{:?}", m[0].floats);
    // time() is not pinned by @: each step sees its own time.
    let out = e
        .range_query(
            &storage(),
            r#"sum(http_requests{job="db"} @ 60) + time()"#,
            0,
            120_000,
            60_000,
        )
        .unwrap();
    let Value::Matrix(m) = out.value else {
        panic!()
    };
    assert_eq!(
        m[0].floats,
        vec![(0, 60.0), (60_000, 120.0), (120_000, 180.0)]
    );
}

#[test]
fn delayed_name_removal_lets_label_functions_read_the_name() {
    let q =
        r#"label_replace(rate(http_requests{instance="a"}[5m]), "was", "$1", "__name__", "(.*)")"#;
    // By default rate() drops the name at once, so label_replace finds nothing to copy.
    let plain = vector_values(instant(q, 300_000));
    assert!(plain.iter().all(|(l, _)| !l.contains("was=")), "{plain:?}");
    let e = Engine::new(EngineOptions {
        delayed_name_removal: true,
        ..Default::default()
    });
    let out = e.instant_query(&storage(), q, 300_000).unwrap();
    let Value::Vector(v) = out.value else {
        panic!()
    };
    assert_eq!(v.len(), 2);
    for s in v {
        assert_eq!(s.metric.get("was"), Some("http_requests"));
        assert_eq!(s.metric.get("__name__"), None, "removed at the end");
    }
}
