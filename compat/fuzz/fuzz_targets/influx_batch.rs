//! The Influx line protocol: the first byte picks the precision, the rest is a request body.
//! Checks: no panic; every point keeps `Point`'s promises (non-empty measurement, tags sorted by
//! key, unique, non-empty values, at least one field); the summary's counts add up; and
//! `parse_batch` agrees line by line with `parse_line`.
#![no_main]

use compat::influx::{Lines, ParseOptions, Point, Precision, parse_batch, parse_line};
use libfuzzer_sys::fuzz_target;

const PRECISIONS: [Precision; 6] = [
    Precision::Nanosecond,
    Precision::Microsecond,
    Precision::Millisecond,
    Precision::Second,
    Precision::Minute,
    Precision::Hour,
];

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, body)) = data.split_first() else {
        return;
    };
    let opts = ParseOptions {
        precision: PRECISIONS[usize::from(knobs) % PRECISIONS.len()],
        // A realistic clock: `now_ns` is the server's time, not input.
        now_ns: 1_763_800_000_123_456_789,
        max_line_bytes: if knobs & 0x80 != 0 { 64 } else { 1 << 20 },
        max_errors_kept: usize::from(knobs >> 3 & 0x7),
    };

    let mut accepted = Vec::new();
    let summary = parse_batch(body, &opts, |number, point| {
        check_point(point);
        accepted.push((number, point.time_ns));
    });
    assert_eq!(summary.points, accepted.len());
    assert!(summary.errors.len() <= opts.max_errors_kept);
    assert!(summary.errors.len() <= summary.rejected);
    assert_eq!(
        summary.rejected_by_reason.iter().sum::<u64>(),
        summary.rejected as u64,
        "rejections by reason do not add up"
    );

    // The same body, one line at a time.
    let mut expected = Vec::new();
    let mut rejected = 0;
    let mut point = Point::default();
    for (number, raw) in Lines::new(body) {
        let trimmed = raw.iter().position(|&b| !matches!(b, b' ' | b'\t' | 0));
        let Some(first) = trimmed else { continue };
        if raw[first] == b'#' || raw[first..] == *b"\r" {
            continue;
        }
        match parse_line(raw, &opts, &mut point) {
            Ok(()) => expected.push((number, point.time_ns)),
            Err(_) => rejected += 1,
        }
    }
    assert_eq!(accepted, expected, "parse_batch and parse_line disagree");
    assert_eq!(
        summary.rejected, rejected,
        "parse_batch and parse_line disagree on rejections"
    );
});

fn check_point(point: &Point<'_>) {
    assert!(!point.measurement.is_empty(), "empty measurement");
    assert!(!point.fields.is_empty(), "point without fields");
    for pair in point.tags.windows(2) {
        assert!(
            pair[0].0 < pair[1].0,
            "tags not sorted and unique: {:?}",
            point.tags
        );
    }
    for (key, value) in &point.tags {
        assert!(
            !key.is_empty() && !value.is_empty(),
            "empty tag: {:?}",
            point.tags
        );
    }
    for (key, _) in &point.fields {
        assert!(!key.is_empty(), "empty field key: {:?}", point.fields);
    }
}
