//! Table tests of the text exposition format 0.0.4: what Prometheus accepts (with the labels,
//! values and timestamps it reads) and what it rejects (with the line of the error).

use compat::exposition::{
    ErrorKind, Format, Limits, MetricType, ParseError, ParseOptions, Scrape, parse,
};

fn ok(body: &str) -> Scrape<'_> {
    match parse(body.as_bytes(), Format::Text, &ParseOptions::default()) {
        Ok(s) => s,
        Err(e) => panic!("{body:?} should parse: {e}"),
    }
}

fn err(body: &str) -> ParseError {
    match parse(body.as_bytes(), Format::Text, &ParseOptions::default()) {
        Ok(s) => panic!("{body:?} should fail, got {:?}", s.samples),
        Err(e) => e,
    }
}

/// A sample as `name{a="b",...} value [ts]` with labels in sorted order, to compare briefly.
fn show(s: &Scrape<'_>) -> Vec<String> {
    s.samples
        .iter()
        .map(|x| {
            let labels: Vec<String> = x
                .labels
                .iter()
                .filter(|(n, _)| n != "__name__")
                .map(|(n, v)| format!("{n}={v:?}"))
                .collect();
            let ts = x.timestamp_ms.map(|t| format!(" @{t}")).unwrap_or_default();
            format!("{}{{{}}} {}{ts}", x.name(), labels.join(","), x.value)
        })
        .collect()
}

#[test]
fn valid_inputs() {
    let cases: &[(&str, &[&str])] = &[
        ("a 1\n", &["a{} 1"]),
        ("a 1", &["a{} 1"]),
        ("a 1 1700000000000\n", &["a{} 1 @1700000000000"]),
        ("a{} 1\n", &["a{} 1"]),
        ("a{b=\"c\"} 1\n", &["a{b=\"c\"} 1"]),
        ("a {b=\"c\"} 1\n", &["a{b=\"c\"} 1"]),
        (
            "  a\t{ b = \"c\" ,d=\"e\", }\t2 \t3 \n",
            &["a{b=\"c\",d=\"e\"} 2 @3"],
        ),
        // Prometheus does not require commas between labels in this format.
        ("a{b=\"c\" d=\"e\"} 1\n", &["a{b=\"c\",d=\"e\"} 1"]),
        ("a{b=\"c\"}1\n", &["a{b=\"c\"} 1"]),
        ("\n\n   \na 1\n\n", &["a{} 1"]),
        ("a:b_c9 -0.5e3\n", &["a:b_c9{} -500"]),
        (
            "a +Inf\nb -Inf\nc inf\n",
            &["a{} inf", "b{} -inf", "c{} inf"],
        ),
        ("a 1e-3\n", &["a{} 0.001"]),
        ("a .5\n", &["a{} 0.5"]),
        ("a 9223372036854775808\n", &["a{} 9223372036854776000"]),
        // Escapes: \\ \" \n; any other escaped character stays as written.
        (
            r#"a{b="x\\y\"z\nw\tq"} 1"#,
            &["a{b=\"x\\\\y\\\"z\\nw\\\\tq\"} 1"],
        ),
        // Raw newlines inside a quoted value are accepted by Prometheus' lexer.
        ("a{b=\"x\ny\"} 1\n", &["a{b=\"x\\ny\"} 1"]),
        // Labels are sorted by name; empty values are dropped.
        ("a{z=\"1\",b=\"2\",e=\"\"} 1\n", &["a{b=\"2\",z=\"1\"} 1"]),
        // UTF-8 names are quoted inside the braces.
        (
            "{\"my.metric\",\"ünit ñame\"=\"v\"} 1\n",
            &["my.metric{ünit ñame=\"v\"} 1"],
        ),
        ("{b=\"c\", \"x.y\"} 1\n", &["x.y{b=\"c\"} 1"]),
        // Comments other than HELP/TYPE, and HELP/TYPE-like comments, are skipped.
        (
            "# just a comment\n#\n#no space\n# HELP\n# HELPER x\n# TYPE\na 1\n",
            &["a{} 1"],
        ),
        // NUL where an entry starts ends the input, as Prometheus' lexer reads it.
        ("a 1\n\0garbage that is never read", &["a{} 1"]),
        ("a{b=\"x\0y\"} 1\n", &["a{b=\"x\\0y\"} 1"]),
    ];
    for (body, want) in cases {
        let got = show(&ok(body));
        assert_eq!(&got, want, "body {body:?}");
    }
}

#[test]
fn nan_is_a_value() {
    let s = ok("a NaN\nb nan\n");
    assert!(s.samples.iter().all(|x| x.value.is_nan()));
    assert_eq!(s.samples.len(), 2);
}

#[test]
fn metadata_is_collected_and_applied_by_name() {
    let s = ok(
        "# HELP http_requests_total Requests \\\\ served\\n so far.\n\
         # TYPE http_requests_total counter\n\
         http_requests_total{code=\"200\"} 10\n\
         # TYPE rpc histogram\n\
         # HELP rpc\n\
         rpc_bucket{le=\"1\"} 1\nrpc_bucket{le=\"+Inf\"} 2\nrpc_sum 3\nrpc_count 2\n\
         # TYPE q summary\nq{quantile=\"0.5\"} 1\nq_sum 1\nq_count 1\n\
         loose 1\n",
    );
    let fams = &s.families;
    assert_eq!(fams.len(), 3);
    assert_eq!(fams[0].name, "http_requests_total");
    assert_eq!(fams[0].metric_type, MetricType::Counter);
    assert_eq!(
        fams[0].help.as_deref(),
        Some("Requests \\ served\n so far.")
    );
    assert_eq!(fams[1].metric_type, MetricType::Histogram);
    assert_eq!(fams[1].help.as_deref(), Some(""));
    assert_eq!(fams[1].unit, None);
    let family_of: Vec<Option<&str>> = s
        .samples
        .iter()
        .map(|x| x.family.map(|f| fams[f].name.as_str()))
        .collect();
    assert_eq!(
        family_of,
        [
            Some("http_requests_total"),
            Some("rpc"),
            Some("rpc"),
            Some("rpc"),
            Some("rpc"),
            Some("q"),
            Some("q"),
            Some("q"),
            None
        ]
    );
}

#[test]
fn text_help_keeps_escaped_quotes() {
    // The text format's HELP knows only \\ and \n.
    let s = ok("# HELP a say \\\"hi\\\"\n");
    assert_eq!(s.families[0].help.as_deref(), Some("say \\\"hi\\\""));
}

#[test]
fn invalid_inputs() {
    let cases: &[(&str, usize, &str)] = &[
        ("a\n", 1, "expected value"),
        ("a 1\nb\n", 2, "expected value"),
        ("a{b='c'} 1\n", 1, "quoted value"),
        ("a{b=\n", 1, "quoted value"),
        ("a{b=c} 1\n", 1, "quoted value"),
        ("a{b} 1\n", 1, "expected '='"),
        ("a{b=\"c\"\n", 1, "expected label name"),
        ("a{b=\"c} 1\n", 1, "quoted value"),
        ("a{=\"c\"} 1\n", 1, "expected label name"),
        ("a{,} 1\n", 1, "expected label name"),
        ("a{1=\"c\"} 1\n", 1, "expected label name"),
        ("a{\u{ff}=\"c\"} 1\n", 1, "expected label name"),
        ("a{b=\"\\\n\"} 1\n", 1, "quoted value"),
        ("a true\n", 1, "invalid value"),
        ("a 1_000\n", 1, "invalid value"),
        ("a 0x1p-3\n", 1, "invalid value"),
        ("a 0x10\n", 1, "invalid value"),
        ("a 1e400\n", 1, "invalid value"),
        ("a +nan\n", 1, "invalid value"),
        ("a 1\r\n", 1, "invalid value"),
        ("a 1 -5\n", 1, "expected end of line"),
        ("a 1 1.5\n", 1, "expected end of line"),
        ("a 1 2 3\n", 1, "expected end of line"),
        ("a 1 99999999999999999999\n", 1, "out of range"),
        ("a 1 12abc\n", 1, "expected end of line"),
        ("a{b=\"c\"}{d=\"e\"} 1\n", 1, "expected value"),
        ("a.b 1\n", 1, "invalid value"),
        ("0a 1\n", 1, "expected a metric name"),
        ("-a 1\n", 1, "expected a metric name"),
        ("{b=\"c\"} 1\n", 1, "metric name not set"),
        ("a{\"x\"} 1\n", 1, "metric name already set"),
        ("{\"x\",\"y\"} 1\n", 1, "metric name already set"),
        ("{\"\"} 1\n", 1, "empty metric name"),
        ("a{\"\"=\"v\"} 1\n", 1, "empty label name"),
        ("# HELP 0a x\n", 1, "expected metric name after HELP"),
        ("# HELP \n", 1, "expected metric name after HELP"),
        ("# TYPE a gauge \n", 1, "invalid metric type"),
        ("# TYPE a  gauge\n", 1, "invalid metric type"),
        ("# TYPE a\n", 1, "invalid metric type"),
        ("# TYPE a info\n", 1, "invalid metric type"),
        ("# TYPE a unknown\n", 1, "invalid metric type"),
        ("# TYPE a gauge\r\n", 1, "invalid metric type"),
        ("\n\n# HELP a \u{ff}\n", 3, "not valid UTF-8"),
        ("a{b=\"\u{ff}\"} 1\n", 1, "not valid UTF-8"),
    ];
    for (body, line, needle) in cases {
        // The byte 0xff stands for invalid UTF-8 in these strings.
        let bytes: Vec<u8> = body
            .chars()
            .flat_map(|c| {
                if c == '\u{ff}' {
                    vec![0xff]
                } else {
                    c.to_string().into_bytes()
                }
            })
            .collect();
        let e = match parse(&bytes, Format::Text, &ParseOptions::default()) {
            Ok(s) => panic!("{body:?} should fail, got {:?}", s.samples),
            Err(e) => e,
        };
        assert_eq!(e.line, *line, "{body:?}: {e}");
        assert!(e.message.contains(needle), "{body:?}: {e} lacks {needle:?}");
    }
}

#[test]
fn duplicate_labels_are_rejected() {
    for body in [
        "a{b=\"1\",b=\"2\"} 1\n",
        "a{b=\"1\",b=\"1\"} 1\n",
        "a{__name__=\"x\"} 1\n",
        "{\"a\",b=\"1\",\"b\"=\"2\"} 1\n",
    ] {
        let e = err(body);
        assert_eq!(e.kind, ErrorKind::Invalid, "{body:?}");
        assert!(e.message.contains("duplicate label name"), "{body:?}: {e}");
    }
}

#[test]
fn limits_are_enforced() {
    let tight = ParseOptions {
        limits: Limits {
            max_line_len: 40,
            max_labels: 2,
            max_label_name_len: 3,
            max_label_value_len: 4,
        },
        ..ParseOptions::default()
    };
    let fails = |body: &str| -> ParseError {
        match parse(body.as_bytes(), Format::Text, &tight) {
            Ok(_) => panic!("{body:?} should exceed a limit"),
            Err(e) => e,
        }
    };
    let within = "a{b=\"1\",c=\"2\"} 1\n";
    assert!(parse(within.as_bytes(), Format::Text, &tight).is_ok());
    for (body, needle) in [
        ("x 1\na{b=\"1\",c=\"2\",d=\"3\"} 1\n", "labels exceed"),
        ("a{bbbb=\"1\"} 1\n", "label name"),
        ("a{b=\"12345\"} 1\n", "value of label"),
        ("# HELP a 0123456789012345678901234567890123\n", "line of"),
    ] {
        let e = fails(body);
        assert_eq!(e.kind, ErrorKind::Limit, "{body:?}: {e}");
        assert!(e.message.contains(needle), "{body:?}: {e}");
    }
    assert_eq!(fails("x 1\na{b=\"1\",c=\"2\",d=\"3\"} 1\n").line, 2);
}

#[test]
fn error_lines_count_raw_newlines_in_values() {
    let e = err("a{b=\"x\ny\"} 1\nbad\n");
    assert_eq!(e.line, 3);
}
