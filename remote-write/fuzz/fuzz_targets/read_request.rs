//! Remote read requests. The input is used twice: as the raw request body (snappy block
//! decoder, bomb protection) and, snappy-compressed by the harness, as the decompressed
//! `prometheus.ReadRequest` protobuf. Checks: no panic; errors map to 400 or 413; response
//! negotiation follows its documented rule; an accepted request re-encodes and decodes to
//! itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use remote_write::read::{
    ResponseType, decode_read_request, encode_read_request, negotiate_response_type,
};
use remote_write_fuzz::default_limits;

fuzz_target!(|data: &[u8]| {
    let limits = default_limits();
    check(decode_read_request(data, &limits), &limits);
    if let Ok(body) = snap::raw::Encoder::new().compress_vec(data) {
        check(decode_read_request(&body, &limits), &limits);
    }
});

fn check(
    result: remote_write::Result<remote_write::read::ReadRequest>,
    limits: &remote_write::Limits,
) {
    let request = match result {
        Ok(request) => request,
        Err(e) => {
            let status = e.status_code();
            assert!(matches!(status, 400 | 413), "status {status} for {e}");
            return;
        }
    };
    let known = request
        .accepted_response_types
        .iter()
        .find_map(|&t| ResponseType::try_from(t).ok());
    match negotiate_response_type(&request) {
        Ok(chosen) => {
            if request.accepted_response_types.is_empty() {
                assert_eq!(chosen, ResponseType::Samples);
            } else {
                assert_eq!(Some(chosen), known, "not the first supported type");
            }
            let _ = (chosen.content_type(), chosen.content_encoding());
        }
        Err(e) => {
            assert!(known.is_none(), "refused although {known:?} is supported");
            assert_eq!(e.status_code(), 400);
        }
    }
    for query in &request.queries {
        for matcher in &query.matchers {
            let _ = matcher.r#type();
        }
    }
    let body = encode_read_request(&request).expect("encode read request");
    let unlimited = remote_write::Limits {
        max_decompressed_bytes: usize::MAX,
        ..*limits
    };
    let again = decode_read_request(&body, &unlimited).expect("re-encoded request refused");
    // Read requests hold no floats, so the derived equality is exact.
    assert_eq!(again, request, "read request round trip changed it");
}
