//! Invariant checks shared by the remote write fuzz targets. Each one panics (which libFuzzer
//! reports as a crash, with the input saved) when a documented guarantee does not hold.

use remote_write::{
    CONTENT_ENCODING_SNAPPY, CONTENT_TYPE_V1, CONTENT_TYPE_V2, DecodedWrite, Limits,
    METRIC_NAME_LABEL, ProtoVersion, SymbolTable, decode_write, encode_write_v1, encode_write_v2,
    v1, v2,
};

/// Enough room for anything libFuzzer generates (it keeps inputs to a few KiB) while keeping a
/// snappy header that announces a huge body from costing an allocation per run.
pub const MAX_DECOMPRESSED: usize = 1 << 20;

/// The decoder's defaults with [`MAX_DECOMPRESSED`].
pub fn default_limits() -> Limits {
    Limits {
        max_decompressed_bytes: MAX_DECOMPRESSED,
        ..Limits::default()
    }
}

/// Limits small enough that fuzzed inputs hit each of them.
pub fn tight_limits() -> Limits {
    Limits {
        max_decompressed_bytes: 512,
        max_series: 3,
        max_labels_per_series: 3,
        max_label_name_bytes: 8,
        max_label_value_bytes: 16,
        sort_unsorted_labels: false,
    }
}

/// One decoded series, owned and comparable (sample values by bits, so NaN equals itself).
pub type SeriesSummary = (
    Vec<(String, String)>,
    Vec<(i64, u64)>,
    usize,
    usize,
    Option<i64>,
);

/// The series of a decoded write, in order.
pub fn summarize(write: &DecodedWrite) -> Vec<SeriesSummary> {
    write
        .series()
        .map(|s| {
            (
                s.labels()
                    .map(|(n, v)| (n.to_owned(), v.to_owned()))
                    .collect(),
                s.samples().iter().map(|&(t, v)| (t, v.to_bits())).collect(),
                s.histogram_count(),
                s.exemplar_count(),
                s.created_timestamp(),
            )
        })
        .collect()
}

/// What `DecodedWrite` promises after a successful decode under `limits`: at most
/// `max_series` series; labels sorted by name, unique, no empty name or value, within the
/// length and count limits, with a non-empty `__name__` equal to `metric_name()`; stats equal
/// to the per-series counts.
pub fn check_decoded(write: &DecodedWrite, limits: &Limits) {
    assert!(
        write.len() <= limits.max_series,
        "more series than the limit"
    );
    let (mut samples, mut histograms, mut exemplars) = (0, 0, 0);
    for series in write.series() {
        let labels: Vec<(&str, &str)> = series.labels().collect();
        assert!(
            labels.len() <= limits.max_labels_per_series,
            "too many labels: {labels:?}"
        );
        for pair in labels.windows(2) {
            assert!(
                pair[0].0 < pair[1].0,
                "labels not sorted and unique: {labels:?}"
            );
        }
        for &(name, value) in &labels {
            assert!(!name.is_empty(), "empty label name: {labels:?}");
            assert!(!value.is_empty(), "empty label value kept: {labels:?}");
            assert!(
                name.len() <= limits.max_label_name_bytes,
                "long name: {labels:?}"
            );
            assert!(
                value.len() <= limits.max_label_value_bytes,
                "long value: {labels:?}"
            );
        }
        let name = labels.iter().find(|(n, _)| *n == METRIC_NAME_LABEL);
        assert_eq!(
            name.map(|(_, v)| *v),
            Some(series.metric_name()),
            "metric_name() is not the __name__ label: {labels:?}"
        );
        assert!(
            !series.metric_name().is_empty(),
            "empty metric name accepted"
        );
        samples += series.samples().len();
        histograms += series.histogram_count();
        exemplars += series.exemplar_count();
    }
    let stats = write.stats();
    assert_eq!(stats.samples, samples, "stats.samples");
    assert_eq!(stats.histograms, histograms, "stats.histograms");
    assert_eq!(stats.exemplars, exemplars, "stats.exemplars");
    for meta in write.metadata() {
        let _ = (meta.family, meta.metric_type.as_str(), meta.help, meta.unit);
    }
}

/// Re-encodes what was decoded, as a 1.0 and as a 2.0 request, and decodes both again under
/// the same limits: what the decoder accepted must pass its own validation and come back the
/// same (1.0 has no created timestamp, so that one is compared only through 2.0).
pub fn check_roundtrip(write: &DecodedWrite, limits: &Limits) {
    // prost leaves a proto3 `double` out when it `== 0.0`, which -0.0 is, so the re-encoded
    // request carries +0.0 where the sender wrote -0.0 (Go's encoder compares bits and keeps
    // it). That is the encoder's doing, not the decoder's: compare zeros without their sign.
    let original = unsigned_zeros(summarize(write));
    let limits = Limits {
        // Re-encoding can only grow a body by framing bytes; the size bound is not under test.
        max_decompressed_bytes: usize::MAX,
        ..*limits
    };

    let v1_request = v1::WriteRequest {
        timeseries: write
            .series()
            .map(|s| v1::TimeSeries {
                labels: s.labels().map(|(n, v)| v1::Label::new(n, v)).collect(),
                samples: s
                    .samples()
                    .iter()
                    .map(|&(timestamp, value)| v1::Sample { value, timestamp })
                    .collect(),
                exemplars: vec![v1::Exemplar::default(); s.exemplar_count()],
                histograms: vec![v1::Histogram::default(); s.histogram_count()],
            })
            .collect(),
        metadata: Vec::new(),
    };
    let body = encode_write_v1(&v1_request).expect("encode 1.0");
    let (version, again) = decode_write(
        Some(CONTENT_TYPE_V1),
        Some(CONTENT_ENCODING_SNAPPY),
        &body,
        &limits,
    )
    .expect("a re-encoded 1.0 request fails validation");
    assert_eq!(version, ProtoVersion::V1);
    let without_created = |s: &SeriesSummary| (s.0.clone(), s.1.clone(), s.2, s.3);
    assert_eq!(
        unsigned_zeros(summarize(&again))
            .iter()
            .map(without_created)
            .collect::<Vec<_>>(),
        original.iter().map(without_created).collect::<Vec<_>>(),
        "1.0 round trip changed the series"
    );

    let mut symbols = SymbolTable::new();
    let timeseries = write
        .series()
        .map(|s| v2::TimeSeries {
            labels_refs: symbols.label_refs(s.labels()),
            samples: s
                .samples()
                .iter()
                .map(|&(timestamp, value)| v2::Sample { value, timestamp })
                .collect(),
            histograms: vec![v2::Histogram::default(); s.histogram_count()],
            exemplars: vec![v2::Exemplar::default(); s.exemplar_count()],
            metadata: None,
            created_timestamp: s.created_timestamp().unwrap_or(0),
        })
        .collect();
    let v2_request = v2::Request {
        symbols: symbols.into_symbols(),
        timeseries,
    };
    let body = encode_write_v2(&v2_request).expect("encode 2.0");
    let (version, again) = decode_write(
        Some(CONTENT_TYPE_V2),
        Some(CONTENT_ENCODING_SNAPPY),
        &body,
        &limits,
    )
    .expect("a re-encoded 2.0 request fails validation");
    assert_eq!(version, ProtoVersion::V2);
    assert_eq!(
        unsigned_zeros(summarize(&again)),
        original,
        "2.0 round trip changed the series"
    );
}

/// `summary` with -0.0 sample values replaced by +0.0.
fn unsigned_zeros(mut summary: Vec<SeriesSummary>) -> Vec<SeriesSummary> {
    for series in &mut summary {
        for (_, bits) in &mut series.1 {
            if f64::from_bits(*bits) == 0.0 {
                *bits = 0;
            }
        }
    }
    summary
}

/// A decoded protobuf body of `version` through the full request path (snappy included),
/// checked against the documented promises and against the stricter and looser settings.
pub fn fuzz_protobuf(version: ProtoVersion, raw: &[u8]) {
    let Ok(body) = snap::raw::Encoder::new().compress_vec(raw) else {
        return;
    };
    let content_type = version.content_type();

    let limits = default_limits();
    let result = decode_write(
        Some(content_type),
        Some(CONTENT_ENCODING_SNAPPY),
        &body,
        &limits,
    );
    // The direct protobuf entry point must agree with the full path.
    let mut direct = DecodedWrite::new();
    let direct_result = direct.decode_protobuf(version, raw, &limits);
    assert_eq!(
        result.is_ok(),
        direct_result.is_ok(),
        "decode_protobuf disagrees"
    );
    if let Err(e) = &result {
        assert!(
            matches!(e.status_code(), 400 | 413),
            "status {} for {e}",
            e.status_code()
        );
        assert!(
            direct.is_empty(),
            "decode_protobuf left series behind after an error"
        );
    }
    if let Ok((got, write)) = &result {
        assert_eq!(*got, version);
        assert_eq!(
            summarize(write),
            summarize(&direct),
            "decode_protobuf disagrees"
        );
        check_decoded(write, &limits);
        check_roundtrip(write, &limits);
    }

    // Sorting unsorted labels only ever accepts more, and never changes an accepted request.
    let sorting = Limits {
        sort_unsorted_labels: true,
        ..limits
    };
    let sorted = decode_write(
        Some(content_type),
        Some(CONTENT_ENCODING_SNAPPY),
        &body,
        &sorting,
    );
    if let Ok((_, write)) = &sorted {
        check_decoded(write, &sorting);
    }
    if let Ok((_, write)) = &result {
        let (_, sorted) = sorted
            .as_ref()
            .expect("sorting refused what strict mode accepted");
        assert_eq!(
            summarize(sorted),
            summarize(write),
            "sorting changed a sorted request"
        );
    }

    // Tight limits only ever refuse more.
    let tight = tight_limits();
    if let Ok((_, write)) = decode_write(Some(content_type), None, &body, &tight) {
        check_decoded(&write, &tight);
        let (_, loose) = result
            .as_ref()
            .expect("tight limits accepted what defaults refused");
        assert_eq!(
            summarize(&write),
            summarize(loose),
            "limits changed the decode"
        );
    }
}
