//! A whole remote write request as the server receives it: the first byte picks the
//! Content-Type and Content-Encoding headers, the rest is the (supposedly snappy) body. This is
//! the target for the snappy block decoder and its bomb protection. Checks: no panic; every
//! error maps to 400, 413 or 415 as documented; a body announcing more than the limit is 413;
//! accepted requests keep `DecodedWrite`'s promises; decoding into a reused `DecodedWrite`
//! gives the same result as a fresh one.
#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;
use remote_write::{
    CONTENT_TYPE_V1, CONTENT_TYPE_V2, DecodedWrite, Error, decode_write, decode_write_into,
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

thread_local! {
    /// Kept across runs, as a server worker keeps one.
    static REUSED: RefCell<DecodedWrite> = RefCell::new(DecodedWrite::new());
}

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

    REUSED.with_borrow_mut(|reused| {
        let again = decode_write_into(reused, content_type, content_encoding, body, &limits);
        match (&fresh, again) {
            (Ok((v1, write)), Ok(v2)) => {
                assert_eq!(*v1, v2);
                assert_eq!(
                    summarize(write),
                    summarize(reused),
                    "reuse changed the decode"
                );
            }
            (Err(a), Err(b)) => {
                assert_eq!(a.status_code(), b.status_code());
                assert!(
                    reused.is_empty(),
                    "decode_write_into left series after an error"
                );
            }
            (a, b) => panic!(
                "reuse changed acceptance: fresh {:?}, reused {b:?}",
                a.is_ok()
            ),
        }
    });
});
