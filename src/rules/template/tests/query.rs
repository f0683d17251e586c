//! The `query` function and the functions on its results.

use super::*;

/// promtool: rendered by Prometheus 2.42 (see the parent module). The order of unsorted
/// results is the querier's: these rows match a run where Prometheus returned b, a, c, as
/// `FakeQuerier` does.
const RENDERED: &[(&str, &str)] = &[
    (r#"{{ query "m" | first | value }}"#, "1234.5"),
    (
        r#"{{ with query "m" }}{{ . | first | label "job" }}{{ end }}"#,
        "api",
    ),
    (
        r#"{{ range query "s" }}{{ .Labels.k }}={{ .Value }};{{ end }}"#,
        "b=1;a=2;c=3;",
    ),
    (
        r#"{{ range sortByLabel "v" (query "s") }}{{ .Labels.k }}{{ end }}"#,
        "cba",
    ),
    (
        r#"{{ range $i, $s := query "s" }}{{ $i }}:{{ label "k" $s }} {{ end }}"#,
        "0:b 1:a 2:c ",
    ),
    (
        r#"{{ len (query "s") }} {{ (index (query "s") 1).Labels.k }}"#,
        "3 a",
    ),
    (
        r#"{{ query "nothing" | first }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:133: executing "__alert_T" at <first>: error calling first: first() called on vector with no elements>"#,
    ),
    (
        r#"{{ with query "nothing" }}some{{ else }}none{{ end }}"#,
        "none",
    ),
    (
        r#"{{ (query "m" | first).Labels.instance | stripPort }}"#,
        "host.example.com",
    ),
    (r#"{{ query "m" | first | strvalue }}|"#, "|"),
    (
        r#"{{ range query "s" }}{{ humanize .Value }} {{ end }}"#,
        "1 2 3 ",
    ),
    (r#"{{ (first (query "m")).Value | humanize }}"#, "1.234k"),
    (
        r#"{{ index (query "s") 5 }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <index (query "s") 5>: error calling index: index out of range: 5>"#,
    ),
    (
        r#"{{ first (query "m") }}"#,
        "{map[__name__:m instance:host.example.com:9090 job:api] 1234.5}",
    ),
    (r#"{{ slice (query "s") 1 | len }}"#, "2"),
    (
        r#"{{ query "m" | first | value | printf "%.1f" }}"#,
        "1234.5",
    ),
    ("{{ .Labels.job | query }}", "[]"),
];

#[test]
fn renders_as_prometheus() {
    check_table(RENDERED);
}

#[test]
fn query_gets_the_evaluation_time() {
    struct Clock;
    impl Querier for Clock {
        fn query(&self, q: &str, ts_ms: i64) -> Result<Vec<QuerySample>, String> {
            Ok(vec![QuerySample {
                labels: labels(&[("q", q)]),
                value: ts_ms as f64 / 1000.0,
            }])
        }
    }
    let env = Env {
        querier: Some(&Clock),
        ts_ms: 1_700_000_000_000,
    };
    let out = expand(
        "t",
        r#"{{ with query "up" | first }}{{ .Labels.q }}@{{ .Value | humanizeTimestamp }}{{ end }}"#,
        &alert_data(),
        &env,
    );
    assert_eq!(out.expect("runs"), "up@2023-11-14 22:13:20 +0000 UTC");
}

#[test]
fn query_errors_are_call_errors() {
    assert_eq!(
        render(r#"{{ query "bad(" }}"#),
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <query "bad(">: error calling query: 1:5: parse error: unclosed left parenthesis>"#
    );
    let out = expand("t", r#"{{ query "up" }}"#, &alert_data(), &Env::default());
    let err = out.expect_err("no querier").to_string();
    assert!(
        err.ends_with("error calling query: no querier available for templates"),
        "{err}"
    );
}
