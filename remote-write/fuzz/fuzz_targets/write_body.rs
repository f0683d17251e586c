//! A whole remote write request as the server receives it: the first byte picks the
//! Content-Type and Content-Encoding headers, the rest is the (supposedly snappy) body. This is
//! the target for the snappy block decoder and its bomb protection. Checks: no panic; every
//! error maps to 400, 413 or 415 as documented; a body announcing more than the limit is 413;
//! accepted requests keep `DecodedWrite`'s promises; decoding into a `DecodedWrite` that still
//! holds an earlier request gives the same result as a fresh one, and leaves it empty on error.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use remote_write::{
    CONTENT_ENCODING_SNAPPY, CONTENT_TYPE_V1, CONTENT_TYPE_V2, DecodedWrite, Error, Limits,
    decode_write, decode_write_into, encode_write_v1, v1,
};
use remote_write_fuzz::{check_decoded, default_limits, summarize};

const CONTENT_TYPES: [Option<&str>; 8] = [
    None,
    Some(CONTENT_TYPE_V1),
    Some(CONTENT_TYPE_V2),
    Some("application/x-protobuf"),
    Some(" Application/X-Protobuf ; proto=\"io.prometheus.write.v2.Request\" ;"),
    Some("application/x-protobuf; proto=prometheus.ReadRequest"),
    Some("application/x-protobuf; proto"),
    Some("text/plain"),
];
const CONTENT_ENCODINGS: [Option<&str>; 4] = [None, Some("snappy"), Some(" SNAPPY "), Some("gzip")];

/// A decoded one-series request: what a server worker's reused `DecodedWrite` holds from the
/// previous request when the next one arrives. Rebuilt per run (cloned), so each run is
/// deterministic.
static PREVIOUS: LazyLock<DecodedWrite> = LazyLock::new(|| {
    let request = v1::WriteRequest {
        timeseries: vec![v1::TimeSeries {
            labels: vec![v1::Label::new("__name__", "up"), v1::Label::new("job", "a")],
            samples: vec![v1::Sample {
                value: 1.0,
                timestamp: 1,
            }],
            ..Default::default()
        }],
        metadata: Vec::new(),
    };
    let body = encode_write_v1(&request).expect("encode the previous request");
    let mut previous = DecodedWrite::new();
    decode_write_into(
        &mut previous,
        Some(CONTENT_TYPE_V1),
        Some(CONTENT_ENCODING_SNAPPY),
        &body,
        &Limits::default(),
    )
    .expect("decode the previous request");
    previous
});

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, body)) = data.split_first() else {
        return;
    };
    let content_type = CONTENT_TYPES[usize::from(knobs & 7)];
    let content_encoding = CONTENT_ENCODINGS[usize::from(knobs >> 3 & 3)];
    let limits = default_limits();

    let fresh = decode_write(content_type, content_encoding, body, &limits);
    match &fresh {
        Ok((_, write)) => check_decoded(write, &limits),
        Err(e) => {
            let status = e.status_code();
            assert!(matches!(status, 400 | 413 | 415), "status {status} for {e}");
            if let Error::TooLarge { size, limit } = e {
                assert!(size > limit, "TooLarge with size {size} <= limit {limit}");
                assert_eq!(status, 413);
            }
            let _ = e.to_string();
        }
    }
    if let Ok(announced) = snap::raw::decompress_len(body)
        && announced > limits.max_decompressed_bytes
        && fresh.is_ok()
    {
        panic!("accepted a body announcing {announced} decompressed bytes");
    }

    let mut reused = PREVIOUS.clone();
    assert!(!reused.is_empty());
    let again = decode_write_into(&mut reused, content_type, content_encoding, body, &limits);
    match (&fresh, again) {
        (Ok((v1, write)), Ok(v2)) => {
            assert_eq!(*v1, v2);
            assert_eq!(
                summarize(write),
                summarize(&reused),
                "reuse changed the decode"
            );
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.status_code(), b.status_code());
            // "On error `out` is left empty", 415 included (this target found the 415 case).
            assert!(
                reused.is_empty(),
                "decode_write_into left series after an error: {b}"
            );
        }
        (a, b) => panic!(
            "reuse changed acceptance: fresh {:?}, reused {b:?}",
            a.is_ok()
        ),
    }
});
