//! Table tests of the Graphite plaintext line parser and the line framer: what carbon accepts,
//! what it refuses, and why.

use compat::graphite::{LineErrorKind, LineFramer, Timestamp, parse_line};

fn ok(line: &str) -> (String, Vec<(String, String)>, f64, Timestamp) {
    match parse_line(line.as_bytes()) {
        Ok(Some(l)) => (
            l.path.to_string(),
            l.tags()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            l.value,
            l.timestamp,
        ),
        other => panic!("{line:?}: expected a sample, got {other:?}"),
    }
}

fn err(line: &[u8]) -> LineErrorKind {
    match parse_line(line) {
        Err(e) => e.kind,
        other => panic!(
            "{:?}: expected an error, got {other:?}",
            String::from_utf8_lossy(line)
        ),
    }
}

fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A valid line and what it parses to: path, tags, value, timestamp.
type ValidCase = (
    &'static str,
    &'static str,
    Vec<(String, String)>,
    f64,
    Timestamp,
);

#[test]
fn valid_lines() {
    let ms = Timestamp::Millis;
    let cases: Vec<ValidCase> = vec![
        (
            "servers.web1.cpu 12.5 1700000000",
            "servers.web1.cpu",
            vec![],
            12.5,
            ms(1_700_000_000_000),
        ),
        (
            "a.b 1 1700000000.25",
            "a.b",
            vec![],
            1.0,
            ms(1_700_000_000_250),
        ),
        (
            "a.b 1 1700000000.0004",
            "a.b",
            vec![],
            1.0,
            ms(1_700_000_000_000),
        ),
        (
            "a.b -3e2 1700000000",
            "a.b",
            vec![],
            -300.0,
            ms(1_700_000_000_000),
        ),
        ("a.b 7 -1", "a.b", vec![], 7.0, Timestamp::Now),
        ("a.b 7 -1.5", "a.b", vec![], 7.0, Timestamp::Now),
        ("a.b 7 N", "a.b", vec![], 7.0, Timestamp::Now),
        ("a.b 7", "a.b", vec![], 7.0, Timestamp::Now),
        ("a.b inf 10", "a.b", vec![], f64::INFINITY, ms(10_000)),
        (
            "a.b -Infinity 10",
            "a.b",
            vec![],
            f64::NEG_INFINITY,
            ms(10_000),
        ),
        ("a.b 1 0", "a.b", vec![], 1.0, ms(0)),
        ("a.b 1 -2", "a.b", vec![], 1.0, ms(-2000)),
        ("  a.b\t\t1   10  \r", "a.b", vec![], 1.0, ms(10_000)),
        ("a.b 1 10\r", "a.b", vec![], 1.0, ms(10_000)),
        (
            "UTF8.größe.µs 1 10",
            "UTF8.größe.µs",
            vec![],
            1.0,
            ms(10_000),
        ),
        ("a..b 1 10", "a..b", vec![], 1.0, ms(10_000)),
        ("a-b_c:d/e 1 10", "a-b_c:d/e", vec![], 1.0, ms(10_000)),
        (
            "disk.used;dc=eu;host=a.b.c 5 10",
            "disk.used",
            tags(&[("dc", "eu"), ("host", "a.b.c")]),
            5.0,
            ms(10_000),
        ),
        ("x;k=v=w 1 10", "x", tags(&[("k", "v=w")]), 1.0, ms(10_000)),
        ("x;k=a~ 1 10", "x", tags(&[("k", "a~")]), 1.0, ms(10_000)),
        ("~x;k=v 1 10", "x", tags(&[("k", "v")]), 1.0, ms(10_000)),
        (
            "x;name=other;k=v 1 10",
            "x",
            tags(&[("k", "v")]),
            1.0,
            ms(10_000),
        ),
        (
            "x;k=1;k=2 1 10",
            "x",
            tags(&[("k", "1"), ("k", "2")]),
            1.0,
            ms(10_000),
        ),
        (
            "x;Ünï=çødé 1 10",
            "x",
            tags(&[("Ünï", "çødé")]),
            1.0,
            ms(10_000),
        ),
    ];
    for (line, path, want_tags, value, ts) in cases {
        let got = ok(line);
        assert_eq!(got.0, path, "{line}");
        assert_eq!(got.1, want_tags, "{line}");
        assert_eq!(got.2, value, "{line}");
        assert_eq!(got.3, ts, "{line}");
    }
}

#[test]
fn blank_lines_are_not_samples() {
    for line in ["", "   ", "\t\r", "\r"] {
        assert_eq!(parse_line(line.as_bytes()), Ok(None), "{line:?}");
    }
}

#[test]
fn invalid_lines_with_their_reason() {
    use LineErrorKind::*;
    let cases: &[(&[u8], LineErrorKind)] = &[
        (b"a.b", MissingValue),
        (b"a.b    ", MissingValue),
        (b"a.b 1 2 3", TooManyFields),
        (b"a.b 1 2 extra words", TooManyFields),
        (b"a.b one 10", InvalidValue),
        (b"a.b 1,5 10", InvalidValue),
        (b"a.b 0x10 10", InvalidValue),
        (b"a.b 1_000 10", InvalidValue),
        (b"a.b 1 yesterday", InvalidTimestamp),
        (b"a.b 1 nan", InvalidTimestamp),
        (b"a.b 1 inf", InvalidTimestamp),
        (b"a.b 1 1e300", InvalidTimestamp),
        (b"a.b nan 10", NanValue),
        (b"a.b -NaN 10", NanValue),
        (b"a.\xffb 1 10", InvalidUtf8),
        (b"a.b 1 1\xc3", InvalidUtf8),
        (b"a\x01b 1 10", InvalidPath),
        (b";k=v 1 10", InvalidPath),
        (b"~~;k=v 1 10", InvalidPath),
        (b"x; 1 10", InvalidTag),
        (b"x;k 1 10", InvalidTag),
        (b"x;=v 1 10", InvalidTag),
        (b"x;k= 1 10", InvalidTag),
        (b"x;k=v; 1 10", InvalidTag),
        (b"x;k=v;;j=w 1 10", InvalidTag),
        (b"x;k!=v 1 10", InvalidTag),
        (b"x;k^=v 1 10", InvalidTag),
        (b"x;k=~v 1 10", InvalidTag),
        (b"x;__name__=y 1 10", InvalidTag),
        (b"x;__k=v 1 10", InvalidTag),
    ];
    for (line, want) in cases {
        assert_eq!(err(line), *want, "{:?}", String::from_utf8_lossy(line));
    }
}

#[test]
fn errors_point_at_the_offending_field() {
    let e = parse_line(b"a.b 1 yesterday").unwrap_err();
    assert_eq!(e.offset, 6);
    assert_eq!(e.detail, "yesterday");
    assert_eq!(e.kind.reason(), "invalid_timestamp");
    let msg = e.to_string();
    assert!(msg.contains("byte 6") && msg.contains("yesterday"), "{msg}");

    let e = parse_line(b"x;a=b;k!=v 1 2").unwrap_err();
    assert_eq!(e.offset, 6, "{e}");
    let e = parse_line(b"ab\xff 1 2").unwrap_err();
    assert_eq!(e.offset, 2);
    // The quoted detail is cut, so one bad line cannot flood a log.
    let long = format!("a.b {} 1", "z".repeat(1000));
    let e = parse_line(long.as_bytes()).unwrap_err();
    assert!(e.detail.len() <= 64, "{}", e.detail.len());
}

#[test]
fn every_reason_has_a_distinct_label() {
    let mut seen = std::collections::HashSet::new();
    for r in compat::graphite::REASONS {
        assert!(seen.insert(r), "duplicate reason {r}");
        assert!(
            r.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "{r}"
        );
    }
}

fn frame(f: &mut LineFramer, chunks: &[&[u8]]) -> (Vec<String>, usize) {
    let mut out = Vec::new();
    let mut dropped = 0;
    for c in chunks {
        dropped += f.push(c, &mut out);
    }
    let text = String::from_utf8(out).unwrap();
    (text.lines().map(String::from).collect(), dropped)
}

#[test]
fn framer_joins_lines_split_across_reads() {
    let mut f = LineFramer::new(100);
    let (lines, dropped) = frame(&mut f, &[b"a.b 1 ", b"10\nc.d", b" 2 20\ne", b".f 3 30"]);
    assert_eq!(lines, ["a.b 1 10", "c.d 2 20"]);
    assert_eq!(dropped, 0);
    assert_eq!(f.buffered(), "e.f 3 30".len());
    let mut out = Vec::new();
    f.finish(&mut out);
    assert_eq!(out, b"e.f 3 30\n");
    assert_eq!(f.buffered(), 0);
}

#[test]
fn framer_drops_long_lines_without_buffering_them() {
    let mut f = LineFramer::new(10);
    let long = [b'x'; 25];
    let (lines, dropped) = frame(
        &mut f,
        &[
            b"ok 1 2\n",
            &long,
            &long,
            b" still long\nok 3 4\n",
            b"0123456789\n01234567890\n",
        ],
    );
    assert_eq!(lines, ["ok 1 2", "ok 3 4", "0123456789"]);
    assert_eq!(dropped, 2);
    assert_eq!(f.buffered(), 0);
    // A partial line that crosses the limit is dropped as soon as it does.
    let (lines, dropped) = frame(&mut f, &[b"abcdef", b"ghijkl", b"\nz 1\n"]);
    assert_eq!(lines, ["z 1"]);
    assert_eq!(dropped, 1);
}
