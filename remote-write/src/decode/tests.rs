use super::*;
use crate::write::{DecodedWrite, MetricType, WriteStats};
use crate::{CONTENT_TYPE_V2, ErrorKind, encode_write_v1, encode_write_v2, v1, v2, v2_from_v1};

fn ts(labels: &[(&str, &str)], samples: &[(i64, f64)]) -> v1::TimeSeries {
    v1::TimeSeries {
        labels: labels.iter().map(|&(n, v)| v1::Label::new(n, v)).collect(),
        samples: samples
            .iter()
            .map(|&(timestamp, value)| v1::Sample { value, timestamp })
            .collect(),
        ..Default::default()
    }
}

fn req(series: Vec<v1::TimeSeries>) -> v1::WriteRequest {
    v1::WriteRequest {
        timeseries: series,
        metadata: vec![],
    }
}

fn decode_as_v1(r: &v1::WriteRequest, limits: &Limits) -> Result<DecodedWrite> {
    let body = encode_write_v1(r).unwrap();
    let (version, w) = decode_write(None, None, &body, limits)?;
    assert_eq!(version, ProtoVersion::V1);
    Ok(w)
}

fn decode_as_v2(r: &v2::Request, limits: &Limits) -> Result<DecodedWrite> {
    let body = encode_write_v2(r).unwrap();
    let (version, w) = decode_write(Some(CONTENT_TYPE_V2), Some("snappy"), &body, limits)?;
    assert_eq!(version, ProtoVersion::V2);
    Ok(w)
}

/// Decodes a 1.0 request both as 1.0 and converted to 2.0; both must agree.
fn decode_both(r: &v1::WriteRequest, limits: &Limits) -> Result<DecodedWrite> {
    let a = decode_as_v1(r, limits);
    let b = decode_as_v2(&v2_from_v1(r), limits);
    match (&a, &b) {
        (Ok(a), Ok(b)) => assert_eq!(snapshot(a), snapshot(b)),
        (Err(a), Err(b)) => {
            assert_eq!(a.status_code(), b.status_code(), "{a} vs {b}");
            if let (
                Error::InvalidLabels { reason: ra, .. },
                Error::InvalidLabels { reason: rb, .. },
            ) = (a, b)
            {
                assert_eq!(ra, rb);
            }
        }
        _ => panic!("v1 and v2 disagree: {a:?} vs {b:?}"),
    }
    a
}

type Snapshot = Vec<(Vec<(String, String)>, Vec<(i64, u64)>, usize, usize)>;

fn snapshot(w: &DecodedWrite) -> Snapshot {
    w.series()
        .map(|s| {
            (
                s.labels()
                    .map(|(n, v)| (n.to_owned(), v.to_owned()))
                    .collect(),
                s.samples().iter().map(|&(t, v)| (t, v.to_bits())).collect(),
                s.histogram_count(),
                s.exemplar_count(),
            )
        })
        .collect()
}

fn label_error(r: Result<DecodedWrite>) -> (String, LabelError) {
    match r {
        Err(e @ Error::InvalidLabels { .. }) => {
            assert_eq!(e.status_code(), 400);
            let msg = e.to_string();
            let Error::InvalidLabels { reason, .. } = e else {
                unreachable!()
            };
            (msg, reason)
        }
        other => panic!("expected invalid labels, got {other:?}"),
    }
}

#[test]
fn round_trip_v1_and_v2() {
    let stale_nan = f64::from_bits(0x7ff0_0000_0000_0002);
    let r = req(vec![
        ts(
            &[("__name__", "up"), ("instance", "a:9100"), ("job", "node")],
            &[(1000, 1.0), (2000, 0.0)],
        ),
        ts(
            &[("__name__", "temp"), ("room", "kitchen")],
            &[(-5, -3.5), (i64::MAX, stale_nan)],
        ),
        ts(&[("__name__", "no_samples")], &[]),
    ]);
    let w = decode_both(&r, &Limits::default()).unwrap();
    assert_eq!(w.len(), 3);
    let s: Vec<_> = w.series().collect();
    assert_eq!(
        s[0].labels().collect::<Vec<_>>(),
        [("__name__", "up"), ("instance", "a:9100"), ("job", "node")]
    );
    assert_eq!(s[0].metric_name(), "up");
    assert_eq!(s[0].samples(), [(1000, 1.0), (2000, 0.0)]);
    assert_eq!(s[1].samples()[0], (-5, -3.5));
    assert_eq!(s[1].samples()[1].0, i64::MAX);
    assert_eq!(
        s[1].samples()[1].1.to_bits(),
        stale_nan.to_bits(),
        "stale marker bits kept"
    );
    assert!(s[2].samples().is_empty());
    assert_eq!(
        w.stats(),
        WriteStats {
            samples: 4,
            histograms: 0,
            exemplars: 0
        }
    );
    assert_eq!(s[0].created_timestamp(), None);
}

#[test]
fn differential_against_prost() {
    // A deterministic pseudo-random mix of series; our decoder must agree with prost's.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut rnd = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let names = ["a", "b.c", "job", "le", "service name", "zz", "ünï"];
    let values = ["", "x", "0.5", "+Inf", "ü€𝄞", "long-ish value with spaces"];
    let mut series = Vec::new();
    for i in 0..300 {
        let mut labels = vec![("__name__".to_string(), format!("metric_{}", i % 17))];
        for name in names {
            if rnd(2) == 0 {
                labels.push((
                    name.to_string(),
                    values[rnd(values.len() as u64) as usize].to_string(),
                ));
            }
        }
        labels.sort();
        let samples: Vec<(i64, f64)> = (0..rnd(4))
            .map(|j| (rnd(1 << 40) as i64 - (1 << 39), j as f64 * 0.25 - 1.0))
            .collect();
        let mut t = ts(&[], &samples);
        t.labels = labels
            .into_iter()
            .map(|(n, v)| v1::Label::new(n, v))
            .collect();
        t.histograms = vec![v1::Histogram::default(); rnd(2) as usize];
        t.exemplars = vec![
            v1::Exemplar {
                value: 1.0,
                ..Default::default()
            };
            rnd(2) as usize
        ];
        series.push(t);
    }
    let r = req(series);
    let w = decode_both(&r, &Limits::default()).unwrap();

    let raw = prost::Message::encode_to_vec(&r);
    let via_prost: Snapshot = <v1::WriteRequest as prost::Message>::decode(raw.as_slice())
        .unwrap()
        .timeseries
        .into_iter()
        .map(|t| {
            (
                t.labels
                    .into_iter()
                    .filter(|l| !l.value.is_empty())
                    .map(|l| (l.name, l.value))
                    .collect(),
                t.samples
                    .iter()
                    .map(|s| (s.timestamp, s.value.to_bits()))
                    .collect(),
                t.histograms.len(),
                t.exemplars.len(),
            )
        })
        .collect();
    assert_eq!(snapshot(&w), via_prost);
    let total: usize = r.timeseries.iter().map(|t| t.samples.len()).sum();
    assert_eq!(w.stats().samples, total);
}

#[test]
fn histograms_and_exemplars_are_counted() {
    let mut t = ts(&[("__name__", "h")], &[]);
    t.histograms = vec![
        v1::Histogram {
            sum: 1.0,
            ..Default::default()
        };
        3
    ];
    t.exemplars = vec![
        v1::Exemplar {
            labels: vec![v1::Label::new("trace_id", "abc")],
            ..Default::default()
        };
        2
    ];
    let w = decode_both(&req(vec![t.clone(), t]), &Limits::default()).unwrap();
    assert_eq!(
        w.stats(),
        WriteStats {
            samples: 0,
            histograms: 6,
            exemplars: 4
        }
    );
    assert_eq!(w.get(1).unwrap().histogram_count(), 3);
    assert_eq!(w.get(1).unwrap().exemplar_count(), 2);
}

#[test]
fn utf8_label_names_are_accepted() {
    let r = req(vec![ts(
        &[
            ("__name__", "http.server.duration"),
            ("http.method", "GET"),
            ("service name", "api"),
            ("ünï", "y"),
        ],
        &[(1, 1.0)],
    )]);
    let w = decode_both(&r, &Limits::default()).unwrap();
    assert_eq!(w.get(0).unwrap().metric_name(), "http.server.duration");
    assert_eq!(w.get(0).unwrap().labels().len(), 4);
}

#[test]
fn empty_label_values_are_dropped() {
    let r = req(vec![ts(
        &[("__name__", "up"), ("a", ""), ("job", "x"), ("z", "")],
        &[(1, 1.0)],
    )]);
    let w = decode_both(&r, &Limits::default()).unwrap();
    assert_eq!(
        w.get(0).unwrap().labels().collect::<Vec<_>>(),
        [("__name__", "up"), ("job", "x")]
    );
}

#[test]
fn missing_metric_name() {
    let (msg, reason) = label_error(decode_both(
        &req(vec![ts(&[("a", "b")], &[])]),
        &Limits::default(),
    ));
    assert_eq!(reason, LabelError::MissingMetricName);
    assert_eq!(
        msg,
        r#"invalid labels for series {a="b"}: missing __name__"#
    );

    let (_, reason) = label_error(decode_both(
        &req(vec![ts(&[("__name__", ""), ("a", "b")], &[])]),
        &Limits::default(),
    ));
    assert_eq!(reason, LabelError::MissingMetricName);
    let (_, reason) = label_error(decode_both(
        &req(vec![ts(&[], &[(1, 1.0)])]),
        &Limits::default(),
    ));
    assert_eq!(reason, LabelError::MissingMetricName);
}

#[test]
fn empty_label_name() {
    let (msg, reason) = label_error(decode_both(
        &req(vec![ts(&[("", "v"), ("__name__", "up")], &[])]),
        &Limits::default(),
    ));
    assert_eq!(reason, LabelError::EmptyLabelName);
    assert!(msg.contains(r#"{="v", __name__="up"}"#), "{msg}");
}

#[test]
fn unsorted_and_duplicate_labels() {
    let (msg, reason) = label_error(decode_both(
        &req(vec![ts(
            &[("__name__", "up"), ("job", "x"), ("instance", "i")],
            &[],
        )]),
        &Limits::default(),
    ));
    assert_eq!(
        reason,
        LabelError::Unsorted {
            previous: "job".into(),
            next: "instance".into()
        }
    );
    assert!(
        msg.contains(r#"{__name__="up", job="x", instance="i"}"#),
        "{msg}"
    );

    let (_, reason) = label_error(decode_both(
        &req(vec![ts(
            &[("__name__", "up"), ("job", "x"), ("job", "y")],
            &[],
        )]),
        &Limits::default(),
    ));
    assert_eq!(reason, LabelError::DuplicateLabelName("job".into()));
    // Sorting is by bytes: "Z" < "_" < "a".
    decode_both(
        &req(vec![ts(&[("Z", "1"), ("__name__", "up"), ("a", "2")], &[])]),
        &Limits::default(),
    )
    .unwrap();
}

#[test]
fn label_limits() {
    let limits = Limits {
        max_labels_per_series: 2,
        max_label_name_bytes: 8,
        max_label_value_bytes: 3,
        ..Limits::default()
    };
    let check = |labels: &[(&str, &str)], limits: &Limits| {
        label_error(decode_both(&req(vec![ts(labels, &[])]), limits)).1
    };
    assert_eq!(
        check(&[("__name__", "up"), ("a", "1"), ("b", "2")], &limits),
        LabelError::TooManyLabels { count: 3, limit: 2 }
    );
    assert_eq!(
        check(&[("__name__", "up"), ("abcdefghi", "1")], &limits),
        LabelError::NameTooLong { len: 9, limit: 8 }
    );
    assert_eq!(
        check(&[("__name__", "up"), ("a", "1234")], &limits),
        LabelError::ValueTooLong {
            name: "a".into(),
            len: 4,
            limit: 3
        }
    );
    // `__name__` itself is 8 bytes: a name limit of 4 rejects every series.
    let tiny = Limits {
        max_label_name_bytes: 4,
        ..limits
    };
    assert_eq!(
        check(&[("__name__", "up")], &tiny),
        LabelError::NameTooLong { len: 8, limit: 4 }
    );
    // At the limits exactly: fine.
    decode_both(
        &req(vec![ts(&[("__name__", "abc"), ("abcdefgh", "xyz")], &[])]),
        &limits,
    )
    .unwrap();
}

#[test]
fn too_many_series_is_413() {
    let r = req((0..11)
        .map(|i| ts(&[("__name__", "up"), ("i", &i.to_string())], &[]))
        .collect());
    let limits = Limits {
        max_series: 10,
        ..Limits::default()
    };
    for err in [
        decode_as_v1(&r, &limits).unwrap_err(),
        decode_as_v2(&v2_from_v1(&r), &limits).unwrap_err(),
    ] {
        assert!(matches!(err, Error::TooManySeries { limit: 10 }), "{err}");
        assert_eq!(err.kind(), ErrorKind::PayloadTooLarge);
        assert_eq!(err.status_code(), 413);
    }
    decode_both(&req(r.timeseries[..10].to_vec()), &limits).unwrap();
}

#[test]
fn snappy_bomb_is_rejected_before_allocating() {
    // A 6-byte body whose header announces 4 GiB - 1 of output.
    let body = [0xff, 0xff, 0xff, 0xff, 0x0f, 0x00];
    let err = decode_write(None, None, &body, &Limits::default()).unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { size: 0xffff_ffff, limit } if limit == 32 << 20),
        "{err}"
    );
    assert_eq!(err.status_code(), 413);

    // A genuine bomb: 1 MiB of zeros compresses to ~50 KiB; a 512 KiB limit refuses it.
    let body = crate::snappy::compress(&vec![0u8; 1 << 20]).unwrap();
    assert!(body.len() < 64 << 10);
    let limits = Limits {
        max_decompressed_bytes: 512 << 10,
        ..Limits::default()
    };
    let err = decode_write(None, None, &body, &limits).unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { size, .. } if size == 1 << 20),
        "{err}"
    );
}

#[test]
fn corrupt_snappy_and_empty_body_are_400() {
    for body in [&b""[..], b"\x05not snappy", b"\xff\xff\xff\xff\xff\xff"] {
        let err = decode_write(None, None, body, &Limits::default()).unwrap_err();
        assert!(matches!(err, Error::Snappy(_)), "{err}");
        assert_eq!(err.status_code(), 400);
    }
    // An empty message is one snappy byte and a valid, empty request.
    let (_, w) = decode_write(
        None,
        None,
        &encode_write_v1(&req(vec![])).unwrap(),
        &Limits::default(),
    )
    .unwrap();
    assert!(w.is_empty());
}

#[test]
fn truncated_protobuf_is_400_never_a_panic() {
    let r = req(vec![
        ts(&[("__name__", "up"), ("job", "x")], &[(1000, 1.0)]);
        3
    ]);
    for raw in [
        prost::Message::encode_to_vec(&r),
        prost::Message::encode_to_vec(&v2_from_v1(&r)),
    ] {
        for cut in 1..raw.len() {
            for version in [ProtoVersion::V1, ProtoVersion::V2] {
                let mut w = DecodedWrite::new();
                if let Err(e) = w.decode_protobuf(version, &raw[..cut], &Limits::default()) {
                    assert_eq!(e.status_code(), 400, "{e}");
                    assert!(w.is_empty());
                }
            }
        }
    }
    // Cutting inside the first series is always malformed.
    let raw = prost::Message::encode_to_vec(&r);
    let err = DecodedWrite::new()
        .decode_protobuf(ProtoVersion::V1, &raw[..raw.len() / 4], &Limits::default())
        .unwrap_err();
    assert!(matches!(err, Error::Malformed { .. }), "{err}");
}

#[test]
fn mutated_bodies_never_panic() {
    let mut t = ts(
        &[("__name__", "up"), ("job", "x")],
        &[(1000, 1.0), (2000, 2.0)],
    );
    t.histograms = vec![v1::Histogram {
        sum: 2.0,
        positive_deltas: vec![1, 2],
        ..Default::default()
    }];
    t.exemplars = vec![v1::Exemplar {
        labels: vec![v1::Label::new("trace_id", "t")],
        ..Default::default()
    }];
    let mut r = req(vec![t.clone(), t]);
    r.metadata = vec![v1::MetricMetadata {
        r#type: 1,
        metric_family_name: "up".into(),
        help: "h".into(),
        unit: String::new(),
    }];
    let mut seed = 7u64;
    let mut rnd = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    let mut w = DecodedWrite::new();
    for raw in [
        prost::Message::encode_to_vec(&r),
        prost::Message::encode_to_vec(&v2_from_v1(&r)),
    ] {
        for _ in 0..20_000 {
            let mut bytes = raw.clone();
            for _ in 0..1 + rnd() % 3 {
                let i = rnd() % bytes.len();
                bytes[i] = rnd() as u8;
            }
            for version in [ProtoVersion::V1, ProtoVersion::V2] {
                if let Err(e) = w.decode_protobuf(version, &bytes, &Limits::default()) {
                    assert_eq!(e.status_code(), 400, "{e}");
                }
            }
        }
    }
}

#[test]
fn invalid_utf8_is_400() {
    // WriteRequest{timeseries:[{labels:[{name:"__name__", value:"\xff"}]}]}, by hand.
    let raw = [
        0x0a, 15, 0x0a, 13, 0x0a, 8, b'_', b'_', b'n', b'a', b'm', b'e', b'_', b'_', 0x12, 1, 0xff,
    ];
    let err = DecodedWrite::new()
        .decode_protobuf(ProtoVersion::V1, &raw, &Limits::default())
        .unwrap_err();
    assert!(
        matches!(err, Error::Malformed { context: "Label", reason } if reason.contains("UTF-8")),
        "{err}"
    );
    assert_eq!(err.status_code(), 400);
    // Same bytes through snappy and the public entry point.
    let body = crate::snappy::compress(&raw).unwrap();
    assert_eq!(
        decode_write(None, None, &body, &Limits::default())
            .unwrap_err()
            .status_code(),
        400
    );
    // v2: a non-UTF-8 symbol.
    let raw = [0x22, 0, 0x22, 1, 0xc3];
    let err = DecodedWrite::new()
        .decode_protobuf(ProtoVersion::V2, &raw, &Limits::default())
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Malformed {
                context: "Request.symbols",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn unknown_and_reserved_fields_are_skipped() {
    // WriteRequest with field 2 (reserved, varint), field 15 (fixed32) and a TimeSeries with an
    // unknown field 9 (fixed64) around one valid series.
    #[rustfmt::skip]
    let raw = [
        0x10, 0x01,
        0x7d, 1, 2, 3, 4,
        0x0a, 24,
          0x49, 0, 0, 0, 0, 0, 0, 0, 0,
          0x0a, 13, 0x0a, 8, b'_', b'_', b'n', b'a', b'm', b'e', b'_', b'_', 0x12, 1, b'u',
    ];
    let mut w = DecodedWrite::new();
    w.decode_protobuf(ProtoVersion::V1, &raw, &Limits::default())
        .unwrap();
    assert_eq!(w.get(0).unwrap().metric_name(), "u");
    // Groups and wrong wire types for known fields are malformed.
    for raw in [&[0x0b, 0x0c][..], &[0x08, 0x01], &[0x0a, 2, 0x10, 1]] {
        let err = w
            .decode_protobuf(ProtoVersion::V1, raw, &Limits::default())
            .unwrap_err();
        assert!(matches!(err, Error::Malformed { .. }), "{err}");
    }
}

#[test]
fn v2_packed_and_unpacked_refs_and_field_order() {
    // Series before symbols, labels_refs unpacked: still `{__name__="up"}`.
    let raw = [
        0x2a, 4, 0x08, 1, 0x08, 2, 0x22, 0, 0x22, 8, b'_', b'_', b'n', b'a', b'm', b'e', b'_',
        b'_', 0x22, 2, b'u', b'p',
    ];
    let mut w = DecodedWrite::new();
    w.decode_protobuf(ProtoVersion::V2, &raw, &Limits::default())
        .unwrap();
    assert_eq!(
        w.get(0).unwrap().labels().collect::<Vec<_>>(),
        [("__name__", "up")]
    );
}

#[test]
fn v2_symbol_errors() {
    let symbols: Vec<String> = ["", "__name__", "up", "job"].map(String::from).to_vec();
    let series = |refs: Vec<u32>| v2::TimeSeries {
        labels_refs: refs,
        ..Default::default()
    };
    let request = |ts: v2::TimeSeries| v2::Request {
        symbols: symbols.clone(),
        timeseries: vec![ts],
    };

    let err = decode_as_v2(&request(series(vec![1, 2, 3])), &Limits::default()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::OddLabelRefs {
                series_index: 0,
                len: 3
            }
        ),
        "{err}"
    );
    assert_eq!(err.status_code(), 400);

    let err = decode_as_v2(&request(series(vec![1, 2, 3, 4])), &Limits::default()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::SymbolOutOfRange {
                reference: 4,
                symbols: 4,
                field: "labels_refs",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(err.status_code(), 400);

    let mut with_meta = series(vec![1, 2]);
    with_meta.metadata = Some(v2::Metadata {
        r#type: 1,
        help_ref: 0,
        unit_ref: 99,
    });
    let err = decode_as_v2(&request(with_meta), &Limits::default()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::SymbolOutOfRange {
                reference: 99,
                field: "unit_ref",
                ..
            }
        ),
        "{err}"
    );

    let bad_first = v2::Request {
        symbols: ["x", "__name__", "up"].map(String::from).to_vec(),
        timeseries: vec![series(vec![1, 2])],
    };
    let err = decode_as_v2(&bad_first, &Limits::default()).unwrap_err();
    assert!(
        matches!(err, Error::FirstSymbolNotEmpty(ref s) if s == "x"),
        "{err}"
    );
    assert_eq!(err.status_code(), 400);

    // No symbols at all: any reference is out of range; no references means no __name__.
    let err = decode_as_v2(
        &v2::Request {
            symbols: vec![],
            timeseries: vec![series(vec![0, 0])],
        },
        &Limits::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::SymbolOutOfRange { symbols: 0, .. }),
        "{err}"
    );
    let (_, reason) = label_error(decode_as_v2(
        &v2::Request {
            symbols: vec![],
            timeseries: vec![series(vec![])],
        },
        &Limits::default(),
    ));
    assert_eq!(reason, LabelError::MissingMetricName);
    // An empty request is fine.
    assert!(
        decode_as_v2(&v2::Request::default(), &Limits::default())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn metadata_v1_and_v2() {
    let mut r = req(vec![
        ts(&[("__name__", "reqs_total"), ("code", "200")], &[(1, 1.0)]),
        ts(&[("__name__", "reqs_total"), ("code", "500")], &[(1, 1.0)]),
        ts(&[("__name__", "temp")], &[(1, 1.0)]),
        ts(&[("__name__", "other")], &[(1, 1.0)]),
    ]);
    r.metadata = vec![
        v1::MetricMetadata {
            r#type: 1,
            metric_family_name: "reqs_total".into(),
            help: "Requests.".into(),
            unit: String::new(),
        },
        v1::MetricMetadata {
            r#type: 2,
            metric_family_name: "temp".into(),
            help: String::new(),
            unit: "celsius".into(),
        },
        v1::MetricMetadata {
            r#type: 42,
            metric_family_name: "weird".into(),
            help: String::new(),
            unit: String::new(),
        },
    ];
    let w1 = decode_as_v1(&r, &Limits::default()).unwrap();
    let m1: Vec<_> = w1
        .metadata()
        .map(|m| (m.family, m.metric_type.as_str(), m.help, m.unit))
        .collect();
    assert_eq!(
        m1,
        [
            ("reqs_total", "counter", "Requests.", ""),
            ("temp", "gauge", "", "celsius"),
            ("weird", "unknown", "", ""),
        ]
    );
    // 2.0: per series, consecutive duplicates folded, uninformative entries skipped.
    let w2 = decode_as_v2(&v2_from_v1(&r), &Limits::default()).unwrap();
    let m2: Vec<_> = w2
        .metadata()
        .map(|m| (m.family, m.metric_type.as_str(), m.help, m.unit))
        .collect();
    assert_eq!(
        m2,
        [
            ("reqs_total", "counter", "Requests.", ""),
            ("temp", "gauge", "", "celsius")
        ]
    );
    assert_eq!(MetricType::from_wire(4).as_str(), "gaugehistogram");
    assert_eq!(MetricType::from_wire(7).to_string(), "stateset");
}

#[test]
fn v2_created_timestamp() {
    let mut v2r = v2_from_v1(&req(vec![ts(&[("__name__", "c_total")], &[(2000, 5.0)])]));
    v2r.timeseries[0].created_timestamp = 1500;
    let w = decode_as_v2(&v2r, &Limits::default()).unwrap();
    assert_eq!(w.get(0).unwrap().created_timestamp(), Some(1500));
}

#[test]
fn v1_body_labelled_v2_decodes_empty_and_vice_versa() {
    // The 2.0 proto reserves fields 1-3 so a mislabelled 1.0 body is an empty request, as upstream.
    let r = req(vec![ts(&[("__name__", "up")], &[(1, 1.0)])]);
    let body = encode_write_v1(&r).unwrap();
    let (v, w) = decode_write(Some(CONTENT_TYPE_V2), None, &body, &Limits::default()).unwrap();
    assert_eq!(v, ProtoVersion::V2);
    assert!(w.is_empty());
    let body = encode_write_v2(&v2_from_v1(&r)).unwrap();
    let (v, w) = decode_write(
        Some("application/x-protobuf"),
        None,
        &body,
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(v, ProtoVersion::V1);
    assert!(w.is_empty());
}

#[test]
fn header_errors_win_over_body() {
    let body = encode_write_v1(&req(vec![ts(&[("__name__", "up")], &[(1, 1.0)])])).unwrap();
    let err = decode_write(Some("application/json"), None, &body, &Limits::default()).unwrap_err();
    assert_eq!(err.status_code(), 415);
    let err = decode_write(None, Some("gzip"), &body, &Limits::default()).unwrap_err();
    assert_eq!(err.status_code(), 415);
}

#[test]
fn decode_into_reuses_and_resets() {
    let mut w = DecodedWrite::new();
    let big = req((0..50)
        .map(|i| ts(&[("__name__", "up"), ("i", &i.to_string())], &[(i, 1.0)]))
        .collect());
    let small = req(vec![ts(&[("__name__", "down")], &[(7, 0.0)])]);
    decode_write_into(
        &mut w,
        None,
        None,
        &encode_write_v1(&big).unwrap(),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(w.len(), 50);
    decode_write_into(
        &mut w,
        None,
        None,
        &encode_write_v1(&small).unwrap(),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(
        snapshot(&w),
        [(
            vec![("__name__".into(), "down".into())],
            vec![(7, 0f64.to_bits())],
            0,
            0
        )]
    );
    assert_eq!(w.stats().samples, 1);
    // A failed decode leaves it empty.
    assert!(decode_write_into(&mut w, None, None, b"\x05junk", &Limits::default()).is_err());
    assert!(w.is_empty());
    assert_eq!(w.stats(), WriteStats::default());
    // So does a refused content type or encoding (415), which the fuzz target found.
    let enc = encode_write_v1(&small).unwrap();
    decode_write_into(&mut w, None, None, &enc, &Limits::default()).unwrap();
    let e = decode_write_into(&mut w, Some("text/plain"), None, b"", &Limits::default());
    assert_eq!(e.unwrap_err().kind(), ErrorKind::UnsupportedMediaType);
    assert!(w.is_empty());
    decode_write_into(&mut w, None, None, &enc, &Limits::default()).unwrap();
    assert!(decode_write_into(&mut w, None, Some("gzip"), &enc, &Limits::default()).is_err());
    assert!(w.is_empty());
}

#[test]
fn long_series_are_truncated_in_errors() {
    let long = "v".repeat(2000);
    let (msg, _) = label_error(decode_both(
        &req(vec![ts(&[("a", &long)], &[])]),
        &Limits::default(),
    ));
    assert!(msg.len() < 700, "{}", msg.len());
    assert!(msg.contains('…'));
}

#[test]
fn debug_output_is_readable() {
    let w = decode_as_v1(
        &req(vec![ts(&[("__name__", "up")], &[(1, 2.0)])]),
        &Limits::default(),
    )
    .unwrap();
    let dbg = format!("{w:?}");
    assert!(dbg.contains(r#""__name__": "up""#), "{dbg}");
    assert!(dbg.contains("(1, 2.0)"), "{dbg}");
}

#[test]
fn unsorted_labels_can_be_sorted_instead_of_rejected() {
    let lenient = Limits {
        sort_unsorted_labels: true,
        ..Limits::default()
    };
    // vmagent-style: the series' own labels, then job and instance appended.
    let r = req(vec![ts(
        &[
            ("__name__", "up"),
            ("zone", "a"),
            ("job", "node"),
            ("instance", "h:9100"),
        ],
        &[(1, 1.0)],
    )]);
    let w = decode_both(&r, &lenient).unwrap();
    assert_eq!(
        w.get(0).unwrap().labels().collect::<Vec<_>>(),
        [
            ("__name__", "up"),
            ("instance", "h:9100"),
            ("job", "node"),
            ("zone", "a")
        ]
    );
    // Duplicates that sorting brings together are still rejected.
    let dup = req(vec![ts(
        &[("job", "a"), ("__name__", "up"), ("job", "b")],
        &[],
    )]);
    let (_, reason) = label_error(decode_both(&dup, &lenient));
    assert_eq!(reason, LabelError::DuplicateLabelName("job".into()));
    // The default stays strict.
    let (_, reason) = label_error(decode_both(&r, &Limits::default()));
    assert!(matches!(reason, LabelError::Unsorted { .. }));
}
