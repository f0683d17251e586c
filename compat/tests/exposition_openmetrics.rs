//! OpenMetrics through the public API: timestamps in seconds, exemplars read and dropped,
//! `_created` turned into creation times, `# EOF`, and where Prometheus' rules and the
//! specification's rules part.

use compat::exposition::{Format, MetricType, ParseError, ParseOptions, Scrape, Validation, parse};

fn om<'a>(body: &'a str, options: &ParseOptions) -> Result<Scrape<'a>, ParseError> {
    parse(body.as_bytes(), Format::OpenMetrics, options)
}

fn ok(body: &str) -> Scrape<'_> {
    om(body, &ParseOptions::default()).unwrap_or_else(|e| panic!("{body:?}: {e}"))
}

const COUNTER: &str = "# TYPE rpc_seconds counter\n# UNIT rpc_seconds seconds\n# HELP rpc_seconds Time spent.\n\
rpc_seconds_total{m=\"get\"} 5 1700000000.5 # {trace_id=\"abc\"} 0.25 1700000000.25\n\
rpc_seconds_created{m=\"get\"} 1699999999.125\n\
rpc_seconds_total{m=\"put\"} 1\n\
# TYPE lat histogram\n\
lat_bucket{le=\"0.5\"} 1 # {trace_id=\"x\"} 0.1\n\
lat_bucket{le=\"+Inf\"} 2\nlat_count 2\nlat_sum 0.75\nlat_created 1600000000\n\
# EOF\n";

#[test]
fn timestamps_are_float_seconds_and_exemplars_are_not_samples() {
    let s = ok(COUNTER);
    let rpc_get = &s.samples[0];
    assert_eq!(rpc_get.name(), "rpc_seconds_total");
    assert_eq!(rpc_get.value, 5.0);
    assert_eq!(rpc_get.timestamp_ms, Some(1_700_000_000_500));
    assert!(
        s.samples
            .iter()
            .all(|x| !x.labels.iter().any(|(n, _)| n == "trace_id"))
    );
    let fam = &s.families[rpc_get.family.unwrap_or(usize::MAX)];
    assert_eq!(fam.name, "rpc_seconds");
    assert_eq!(fam.metric_type, MetricType::Counter);
    assert_eq!(fam.unit.as_deref(), Some("seconds"));
    assert_eq!(fam.help.as_deref(), Some("Time spent."));
}

#[test]
fn created_samples_give_creation_times() {
    let s = ok(COUNTER);
    let by_name = |name: &str, m: Option<&str>| {
        s.samples
            .iter()
            .find(|x| {
                x.name() == name
                    && m.is_none_or(|m| x.labels.iter().any(|(n, v)| n == "m" && v == m))
            })
            .unwrap_or_else(|| panic!("no {name} {m:?}"))
    };
    assert_eq!(
        by_name("rpc_seconds_total", Some("get")).created_ms,
        Some(1_699_999_999_125)
    );
    // Another label set of the family has no _created line.
    assert_eq!(by_name("rpc_seconds_total", Some("put")).created_ms, None);
    // Histogram buckets share the creation time of their point despite their `le`.
    for name in ["lat_bucket", "lat_count", "lat_sum"] {
        assert_eq!(
            by_name(name, None).created_ms,
            Some(1_600_000_000_000),
            "{name}"
        );
    }
    // Prometheus keeps the _created series unless asked not to.
    assert_eq!(s.samples.len(), 8);
    let skipped = om(
        COUNTER,
        &ParseOptions {
            skip_created_series: true,
            ..ParseOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(skipped.samples.len(), 6);
    assert!(
        skipped
            .samples
            .iter()
            .all(|x| !x.name().ends_with("_created"))
    );
    assert_eq!(skipped.samples[0].created_ms, Some(1_699_999_999_125));
}

#[test]
fn created_of_a_gauge_is_an_ordinary_series() {
    let s = ok("# TYPE g gauge\ng 1\n# TYPE g_created gauge\ng_created 5\n# EOF\n");
    assert!(s.samples.iter().all(|x| x.created_ms.is_none()));
    assert_eq!(s.samples.len(), 2);
}

#[test]
fn eof_is_required_and_final() {
    for (body, line) in [
        ("a 1\n", 2),
        ("a 1", 1),
        ("a 1\n# EOF\nb 1\n", 3),
        ("a 1\n# EOF\n\n", 3),
        ("# HELP a x", 1),
    ] {
        let e = om(body, &ParseOptions::default()).err();
        let Some(e) = e else {
            panic!("{body:?} should fail")
        };
        assert_eq!(e.line, line, "{body:?}: {e}");
        assert!(e.message.contains("EOF"), "{body:?}: {e}");
    }
    assert_eq!(ok("a 1\n# EOF").samples.len(), 1);
}

#[test]
fn syntax_is_strict_about_spaces_and_comments() {
    for body in [
        "a  1\n# EOF\n",
        "a 1 \n# EOF\n",
        "a\t1\n# EOF\n",
        " a 1\n# EOF\n",
        "a{b=\"c\", d=\"e\"} 1\n# EOF\n",
        "a{b=\"c\"d=\"e\"} 1\n# EOF\n",
        "a 1\n\n# EOF\n",
        "# a comment\n# EOF\n",
        "# TYPE a untyped\n# EOF\n",
        "# UNIT a_bytes seconds\n# EOF\n",
        "a{b=\"x\ny\"} 1\n# EOF\n",
        "a 1 NaN\n# EOF\n",
        "a_total 1 # {a=\"b\"} 1 Inf\n# EOF\n",
        "a 1 # {a=\"b\"}\n# EOF\n",
    ] {
        assert!(
            om(body, &ParseOptions::default()).is_err(),
            "{body:?} should fail"
        );
    }
}

#[test]
fn prometheus_rules_accept_what_the_spec_rejects() {
    let spec = ParseOptions {
        validation: Validation::OpenMetricsSpec,
        ..ParseOptions::default()
    };
    for body in [
        // Counter without _total, negative counter, trailing comma, metadata after samples.
        "# TYPE a counter\na 1\n# EOF\n",
        "# TYPE a counter\na_total -1\n# EOF\n",
        "a{b=\"c\",} 1\n# EOF\n",
        "a 1\n# HELP a x\n# EOF\n",
        "# TYPE a histogram\na_bucket{le=\"1\"} 1\n# EOF\n",
    ] {
        assert!(
            om(body, &ParseOptions::default()).is_ok(),
            "{body:?} (Prometheus)"
        );
        let e = om(body, &spec).err();
        assert!(e.is_some(), "{body:?} should break a spec rule");
    }
}

#[test]
fn quoted_utf8_names() {
    let s = ok("{\"a.b\",\"c d\"=\"e\"} 1\n# EOF\n");
    assert_eq!(s.samples[0].name(), "a.b");
    assert_eq!(
        s.samples[0].label_pairs(),
        [("__name__", "a.b"), ("c d", "e")]
    );
}
