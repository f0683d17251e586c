//! Table tests for the template engine.
//!
//! Expectations in the tables marked "promtool" were produced by Prometheus 2.42 itself: each
//! template was put in an alerting rule's annotations and `promtool test rules` printed what it
//! rendered, for an alert on `m{instance="host.example.com:9090",job="api"}` with value 1234.5
//! (so `$labels` also holds `__name__="m"`). Errors appear as Prometheus puts them in the
//! annotation: `<error expanding template: …>`.

use std::collections::BTreeMap;

use super::*;

mod bounds;
mod funcs;
mod lang;
mod numbers;
mod query;

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The alert data the promtool tables were rendered with.
fn alert_data() -> Data {
    Data {
        labels: labels(&[
            ("__name__", "m"),
            ("instance", "host.example.com:9090"),
            ("job", "api"),
        ]),
        value: 1234.5,
        ..Default::default()
    }
}

/// Answers `query` like the promtool test's storage: `m` is the alert's series, `s` three
/// series (in the order Prometheus happened to return them), anything else nothing.
struct FakeQuerier;

impl Querier for FakeQuerier {
    fn query(&self, q: &str, _ts_ms: i64) -> Result<Vec<QuerySample>, String> {
        let row = |l: &[(&str, &str)], value: f64| QuerySample {
            labels: labels(l),
            value,
        };
        match q {
            "m" => Ok(vec![row(
                &[
                    ("__name__", "m"),
                    ("instance", "host.example.com:9090"),
                    ("job", "api"),
                ],
                1234.5,
            )]),
            "s" => Ok(vec![
                row(&[("__name__", "s"), ("k", "b"), ("v", "2")], 1.0),
                row(&[("__name__", "s"), ("k", "a"), ("v", "3")], 2.0),
                row(&[("__name__", "s"), ("k", "c"), ("v", "1")], 3.0),
            ]),
            "bad(" => Err("1:5: parse error: unclosed left parenthesis".to_string()),
            _ => Ok(vec![]),
        }
    }
}

/// Expands `text` as the annotation of alert `T`, rendering errors as Prometheus does.
fn render_with(text: &str, data: &Data) -> String {
    let q = FakeQuerier;
    let env = Env {
        querier: Some(&q),
        ts_ms: 0,
    };
    match expand("__alert_T", text, data, &env) {
        Ok(s) => s,
        Err(e) => format!("<error expanding template: {e}>"),
    }
}

fn render(text: &str) -> String {
    render_with(text, &alert_data())
}

/// Runs a table, reporting every mismatch at once.
fn check_table(table: &[(&str, &str)]) {
    let mut bad = Vec::new();
    for (text, want) in table {
        let got = render(text);
        if got != *want {
            bad.push(format!(
                "template {text:?}\n   want {want:?}\n    got {got:?}"
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {} differ:\n{}",
        bad.len(),
        table.len(),
        bad.join("\n")
    );
}

#[test]
fn template_is_send_sync_and_reusable() {
    fn assert_send_sync<T: Send + Sync + Clone + std::fmt::Debug>() {}
    assert_send_sync::<Template>();
    let t = parse("x", "{{ .Labels.job }}={{ .Value }}").expect("parses");
    let env = Env::default();
    let mut d = alert_data();
    assert_eq!(t.execute(&d, &env).expect("runs"), "api=1234.5");
    d.value = 2.0;
    d.labels.insert("job".into(), "db".into());
    assert_eq!(t.execute(&d, &env).expect("runs"), "db=2");
    assert_eq!(t.name(), "x");
}

#[test]
fn parse_without_header_has_no_alert_variables() {
    let err = parse("n", "{{ $labels.job }}").expect_err("undefined variable");
    assert_eq!(
        err.to_string(),
        r#"template: n:1: undefined variable "$labels""#
    );
    assert!(matches!(err, TemplateError::Parse { line: 1, .. }));
}

#[test]
fn expand_wraps_parse_errors_as_prometheus() {
    let err = expand("__alert_X", "a\n{{ foo }}", &alert_data(), &Env::default()).expect_err("foo");
    assert_eq!(
        err.to_string(),
        r#"error parsing template __alert_X: template: __alert_X:2: function "foo" not defined"#
    );
}
