//! Table tests of the line protocol parser: what InfluxDB 1.x accepts, with what names,
//! tags, values and times, and what it refuses, with which reason.

use compat::influx::{
    ErrorKind, FieldValue, ParseOptions, Point, Precision, parse_batch, parse_line,
};

const NOW: i64 = 1_700_000_000_123_456_789;

fn opts(precision: Precision) -> ParseOptions {
    ParseOptions {
        precision,
        now_ns: NOW,
        ..ParseOptions::default()
    }
}

/// A parsed line in owned, comparable form.
#[derive(Debug, PartialEq)]
struct P {
    m: String,
    tags: Vec<(String, String)>,
    fields: Vec<(String, FieldValue<'static>)>,
    t: i64,
}

fn owned(p: &Point<'_>) -> P {
    P {
        m: p.measurement.to_string(),
        tags: p
            .tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        fields: p
            .fields
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    FieldValue::String(s) => FieldValue::String(s.to_string().into()),
                    FieldValue::Float(f) => FieldValue::Float(*f),
                    FieldValue::Integer(i) => FieldValue::Integer(*i),
                    FieldValue::Unsigned(u) => FieldValue::Unsigned(*u),
                    FieldValue::Boolean(b) => FieldValue::Boolean(*b),
                };
                (k.to_string(), v)
            })
            .collect(),
        t: p.time_ns,
    }
}

fn parse(line: &str, precision: Precision) -> Result<P, ErrorKind> {
    let mut p = Point::default();
    parse_line(line.as_bytes(), &opts(precision), &mut p)?;
    Ok(owned(&p))
}

fn ok(line: &str) -> P {
    parse(line, Precision::Nanosecond).unwrap_or_else(|e| panic!("{line:?}: {e}"))
}

fn err(line: &str) -> ErrorKind {
    match parse(line, Precision::Nanosecond) {
        Ok(p) => panic!("{line:?} was accepted as {p:?}"),
        Err(e) => e,
    }
}

fn s(x: &str) -> String {
    x.to_string()
}

fn str_field(x: &str) -> FieldValue<'static> {
    FieldValue::String(x.to_string().into())
}

#[test]
fn basic_line_with_tags_and_timestamp() {
    assert_eq!(
        ok("cpu,host=a,region=eu usage=0.5 1700000000000000000"),
        P {
            m: s("cpu"),
            tags: vec![(s("host"), s("a")), (s("region"), s("eu"))],
            fields: vec![(s("usage"), FieldValue::Float(0.5))],
            t: 1_700_000_000_000_000_000,
        }
    );
}

#[test]
fn tags_are_sorted_and_duplicates_refused() {
    let p = ok("m,z=1,a=2,k=3 v=1 0");
    let keys: Vec<&str> = p.tags.iter().map(|t| t.0.as_str()).collect();
    assert_eq!(keys, ["a", "k", "z"]);
    assert_eq!(err("m,a=1,a=2 v=1"), ErrorKind::DuplicateTags);
    assert_eq!(err("m,b=1,a=2,b=3 v=1"), ErrorKind::DuplicateTags);
}

#[test]
fn field_types() {
    let cases: &[(&str, FieldValue<'static>)] = &[
        ("1", FieldValue::Float(1.0)),
        ("1.5", FieldValue::Float(1.5)),
        ("-1.5", FieldValue::Float(-1.5)),
        (".5", FieldValue::Float(0.5)),
        ("5.", FieldValue::Float(5.0)),
        ("1e3", FieldValue::Float(1000.0)),
        ("1E3", FieldValue::Float(1000.0)),
        ("1.5e-3", FieldValue::Float(0.0015)),
        ("2e+2", FieldValue::Float(200.0)),
        ("1i", FieldValue::Integer(1)),
        ("-42i", FieldValue::Integer(-42)),
        ("9223372036854775807i", FieldValue::Integer(i64::MAX)),
        ("-9223372036854775808i", FieldValue::Integer(i64::MIN)),
        ("1u", FieldValue::Unsigned(1)),
        ("18446744073709551615u", FieldValue::Unsigned(u64::MAX)),
        ("t", FieldValue::Boolean(true)),
        ("T", FieldValue::Boolean(true)),
        ("true", FieldValue::Boolean(true)),
        ("True", FieldValue::Boolean(true)),
        ("TRUE", FieldValue::Boolean(true)),
        ("f", FieldValue::Boolean(false)),
        ("F", FieldValue::Boolean(false)),
        ("false", FieldValue::Boolean(false)),
        ("False", FieldValue::Boolean(false)),
        ("FALSE", FieldValue::Boolean(false)),
        ("\"hello\"", str_field("hello")),
        ("\"\"", str_field("")),
        ("\"a b,c=d\"", str_field("a b,c=d")),
    ];
    for (text, want) in cases {
        let p = ok(&format!("m v={text} 1"));
        assert_eq!(p.fields, vec![(s("v"), want.clone())], "value {text}");
    }
}

#[test]
fn invalid_values() {
    let cases: &[(&str, ErrorKind)] = &[
        ("1.1.1", ErrorKind::InvalidNumber),
        ("-", ErrorKind::InvalidNumber),
        ("1.5i", ErrorKind::InvalidNumber),
        ("1e3i", ErrorKind::InvalidNumber),
        ("-1u", ErrorKind::InvalidNumber),
        ("1x", ErrorKind::InvalidNumber),
        ("9i10", ErrorKind::InvalidNumber),
        ("NaN", ErrorKind::InvalidNumber),
        ("nan", ErrorKind::InvalidNumber),
        ("1e", ErrorKind::InvalidNumber),
        (".", ErrorKind::InvalidNumber),
        ("tru", ErrorKind::InvalidBoolean),
        ("yes", ErrorKind::InvalidBoolean),
        ("tRUE", ErrorKind::InvalidBoolean),
        ("+1", ErrorKind::InvalidBoolean),
        ("\"abc", ErrorKind::UnbalancedQuotes),
        ("\"abc\"x", ErrorKind::InvalidFieldFormat),
    ];
    for (text, want) in cases {
        assert_eq!(&err(&format!("m v={text} 1")), want, "value {text}");
    }
    assert!(matches!(
        err("m v=9223372036854775808i"),
        ErrorKind::NumberOutOfRange(_)
    ));
    assert!(matches!(
        err("m v=18446744073709551616u"),
        ErrorKind::NumberOutOfRange(_)
    ));
    assert!(matches!(err("m v=1e400"), ErrorKind::NumberOutOfRange(_)));
}

#[test]
fn structural_errors() {
    let cases: &[(&str, ErrorKind)] = &[
        ("cpu", ErrorKind::MissingFields),
        ("cpu ", ErrorKind::MissingFields),
        ("cpu,host=a", ErrorKind::MissingFields),
        (",host=a v=1", ErrorKind::MissingMeasurement),
        ("cpu, v=1", ErrorKind::MissingTagKey),
        ("cpu,=a v=1", ErrorKind::MissingTagKey),
        ("cpu,host v=1", ErrorKind::MissingTagValue),
        ("cpu,host= v=1", ErrorKind::MissingTagValue),
        ("cpu,host=,x=1 v=1", ErrorKind::MissingTagValue),
        ("cpu,host=a=b v=1", ErrorKind::InvalidTagFormat),
        ("cpu value", ErrorKind::InvalidFieldFormat),
        ("cpu v=1,w", ErrorKind::InvalidFieldFormat),
        ("cpu v=1,", ErrorKind::InvalidFieldFormat),
        ("cpu =1", ErrorKind::MissingFieldKey),
        ("cpu v=1,=2", ErrorKind::MissingFieldKey),
        ("cpu v=", ErrorKind::MissingFieldValue),
        ("cpu v=,w=1", ErrorKind::MissingFieldValue),
        ("cpu v= 1", ErrorKind::MissingFieldValue),
        ("cpu v=1 12a", ErrorKind::BadTimestamp),
        ("cpu v=1 1.5", ErrorKind::BadTimestamp),
        ("cpu v=1 --1", ErrorKind::BadTimestamp),
        ("cpu v=1 99999999999999999999", ErrorKind::BadTimestamp),
        ("cpu v=1 1 2", ErrorKind::TrailingGarbage),
    ];
    for (line, want) in cases {
        assert_eq!(&err(line), want, "line {line:?}");
    }
}

#[test]
fn measurement_escapes() {
    assert_eq!(ok(r"my\ cpu v=1 1").m, "my cpu");
    assert_eq!(ok(r"my\,cpu v=1 1").m, "my,cpu");
    // `=` needs no escape in a measurement, and a lone backslash stays.
    assert_eq!(ok(r"a=b v=1 1").m, "a=b");
    assert_eq!(ok(r"a\b v=1 1").m, r"a\b");
    let p = ok(r"a\ b\,c,t=1 v=1 1");
    assert_eq!((p.m.as_str(), p.tags.len()), ("a b,c", 1));
}

#[test]
fn tag_escapes() {
    let p = ok(r"m,k\ 1=v\ 1,k\,2=v\,2,k\=3=v\=3 f=1 1");
    assert_eq!(
        p.tags,
        vec![
            (s("k 1"), s("v 1")),
            (s("k,2"), s("v,2")),
            (s("k=3"), s("v=3")),
        ]
    );
    // Backslashes not before a special character are literal.
    let p = ok(r"m,path=C:\dir f=1 1");
    assert_eq!(p.tags, vec![(s("path"), s(r"C:\dir"))]);
    // Escapes are not needed for quotes in tags; they stay.
    let p = ok(r#"m,q="x" f=1 1"#);
    assert_eq!(p.tags, vec![(s("q"), s("\"x\""))]);
}

#[test]
fn field_key_escapes() {
    let p = ok(r"m f\ 1=1,f\,2=2,f\=3=3 1");
    let keys: Vec<&str> = p.fields.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(keys, ["f 1", "f,2", "f=3"]);
}

#[test]
fn string_field_escapes() {
    let p = ok(r#"m s="say \"hi\"",b="back\\slash",o="keep\n" 1"#);
    assert_eq!(
        p.fields,
        vec![
            (s("s"), str_field(r#"say "hi""#)),
            (s("b"), str_field(r"back\slash")),
            (s("o"), str_field(r"keep\n")),
        ]
    );
    // Delimiters inside quotes are data.
    let p = ok(r#"m s="a=1,b 2",v=3 1"#);
    assert_eq!(p.fields[0].1, str_field("a=1,b 2"));
    assert_eq!(p.fields[1].1, FieldValue::Float(3.0));
}

#[test]
fn repeated_field_keeps_last_value() {
    let p = ok("m a=1,b=2,a=3 1");
    assert_eq!(
        p.fields,
        vec![
            (s("b"), FieldValue::Float(2.0)),
            (s("a"), FieldValue::Float(3.0))
        ]
    );
}

#[test]
fn precision_scales_timestamps() {
    let t = |p| parse("m v=1 5", p).map(|x| x.t);
    assert_eq!(t(Precision::Nanosecond), Ok(5));
    assert_eq!(t(Precision::Microsecond), Ok(5_000));
    assert_eq!(t(Precision::Millisecond), Ok(5_000_000));
    assert_eq!(t(Precision::Second), Ok(5_000_000_000));
    assert_eq!(t(Precision::Minute), Ok(300_000_000_000));
    assert_eq!(t(Precision::Hour), Ok(18_000_000_000_000));
    assert_eq!(
        parse("m v=1 -5", Precision::Second).map(|x| x.t),
        Ok(-5_000_000_000)
    );
    assert!(matches!(
        parse("m v=1 9223372036854775", Precision::Second),
        Err(ErrorKind::TimeOutsideRange(_))
    ));
    assert!(matches!(
        parse("m v=1 9223372036854775807", Precision::Nanosecond),
        Err(ErrorKind::TimeOutsideRange(_))
    ));
}

#[test]
fn missing_timestamp_is_now_truncated_to_precision() {
    assert_eq!(ok("m v=1").t, NOW);
    assert_eq!(ok("m v=1   ").t, NOW);
    assert_eq!(
        parse("m v=1", Precision::Second).map(|p| p.t),
        Ok(1_700_000_000_000_000_000)
    );
    assert_eq!(
        parse("m v=1", Precision::Millisecond).map(|p| p.t),
        Ok(1_700_000_000_123_000_000)
    );
}

#[test]
fn precision_names() {
    for (v1, p) in [
        ("", Precision::Nanosecond),
        ("n", Precision::Nanosecond),
        ("ns", Precision::Nanosecond),
        ("u", Precision::Microsecond),
        ("ms", Precision::Millisecond),
        ("s", Precision::Second),
        ("m", Precision::Minute),
        ("h", Precision::Hour),
    ] {
        assert_eq!(Precision::from_v1(v1), Some(p), "v1 {v1:?}");
    }
    assert_eq!(Precision::from_v1("d"), None);
    assert_eq!(Precision::from_v2("us"), Some(Precision::Microsecond));
    assert_eq!(Precision::from_v2("h"), None);
    assert_eq!(Precision::from_v2("n"), None);
}

#[test]
fn whitespace_around_sections() {
    let p = ok("  \tcpu  v=1   7  ");
    assert_eq!((p.m.as_str(), p.t), ("cpu", 7));
    assert_eq!(ok("cpu v=1 7\r").t, 7);
}

#[test]
fn key_length_is_bounded() {
    let long = "m".repeat(65_536);
    assert!(matches!(
        err(&format!("{long} v=1")),
        ErrorKind::KeyTooLong(65_536, 65_535)
    ));
    let ok_len = "m".repeat(65_535);
    assert_eq!(ok(&format!("{ok_len} v=1 1")).m.len(), 65_535);
}

#[test]
fn invalid_utf8_is_refused() {
    let mut p = Point::default();
    let r = parse_line(b"m\xff v=1", &opts(Precision::Nanosecond), &mut p);
    assert_eq!(r, Err(ErrorKind::InvalidUtf8));
}

#[test]
fn batch_reports_line_numbers_and_keeps_good_lines() {
    let body = b"# comment\n\ncpu v=1 1\ncpu v= 2\n  \nmem,h=a x=2i 3\r\nbad\n";
    let mut seen = Vec::new();
    let summary = parse_batch(body, &opts(Precision::Nanosecond), |line, p| {
        seen.push((line, p.measurement.to_string(), p.time_ns));
    });
    assert_eq!(seen, vec![(3, s("cpu"), 1), (6, s("mem"), 3)]);
    assert_eq!((summary.points, summary.rejected), (2, 2));
    let lines: Vec<usize> = summary.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [4, 7]);
    assert_eq!(summary.errors[0].kind, ErrorKind::MissingFieldValue);
    assert_eq!(
        summary.errors[0].to_string(),
        "line 4: unable to parse 'cpu v= 2': missing field value"
    );
    assert_eq!(summary.errors[1].kind, ErrorKind::MissingFields);
    assert_eq!(
        summary.rejected_by_reason[ErrorKind::MissingFields.index()],
        1
    );
}

#[test]
fn newline_inside_string_does_not_split_the_line() {
    let body = b"m s=\"a\nb\",v=1 1\nm v=2 2\nbroken\n";
    let mut seen = Vec::new();
    let summary = parse_batch(body, &opts(Precision::Nanosecond), |line, p| {
        seen.push((line, owned(p).fields));
    });
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].0, 1);
    assert_eq!(seen[0].1[0].1, str_field("a\nb"));
    // The second point starts on body line 3 because the string spans lines 1 and 2.
    assert_eq!(seen[1].0, 3);
    assert_eq!(summary.errors[0].line, 4);
}

#[test]
fn batch_bounds_lines_and_kept_errors() {
    let o = ParseOptions {
        max_line_bytes: 16,
        max_errors_kept: 2,
        ..opts(Precision::Nanosecond)
    };
    let body = b"short v=1 1\nthis_line_is_too_long v=1 1\nx\ny\nz\n";
    let summary = parse_batch(body, &o, |_, _| {});
    assert_eq!(summary.points, 1);
    assert_eq!(summary.rejected, 4);
    assert_eq!(summary.errors.len(), 2);
    assert_eq!(summary.errors[0].kind, ErrorKind::LineTooLong(27, 16));
    let long = "x".repeat(1000);
    let summary = parse_batch(long.as_bytes(), &opts(Precision::Nanosecond), |_, _| {});
    assert!(summary.errors[0].text.chars().count() <= 257);
}

#[test]
fn reasons_are_unique_and_indexed() {
    let mut r = ErrorKind::REASONS.to_vec();
    r.sort_unstable();
    r.dedup();
    assert_eq!(r.len(), ErrorKind::REASONS.len());
    assert_eq!(ErrorKind::InvalidUtf8.reason(), "invalid_utf8");
    assert_eq!(
        ErrorKind::MissingMeasurement.reason(),
        "missing_measurement"
    );
}
