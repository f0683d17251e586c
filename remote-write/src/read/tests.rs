use super::*;
use crate::ErrorKind;

fn request(types: &[i32]) -> ReadRequest {
    ReadRequest {
        queries: vec![Query {
            start_timestamp_ms: 1_000,
            end_timestamp_ms: 61_000,
            matchers: vec![
                LabelMatcher {
                    r#type: label_matcher::Type::Eq as i32,
                    name: "__name__".into(),
                    value: "up".into(),
                },
                LabelMatcher {
                    r#type: label_matcher::Type::Nre as i32,
                    name: "job".into(),
                    value: "node.*".into(),
                },
            ],
            hints: Some(ReadHints {
                step_ms: 15_000,
                func: "rate".into(),
                ..Default::default()
            }),
        }],
        accepted_response_types: types.to_vec(),
    }
}

#[test]
fn read_request_round_trip() {
    let req = request(&[
        ResponseType::StreamedXorChunks as i32,
        ResponseType::Samples as i32,
    ]);
    let body = encode_read_request(&req).unwrap();
    let got = decode_read_request(&body, &Limits::default()).unwrap();
    assert_eq!(got, req);
    let types: Vec<_> = got.queries[0]
        .matchers
        .iter()
        .map(LabelMatcher::r#type)
        .collect();
    assert_eq!(types, [label_matcher::Type::Eq, label_matcher::Type::Nre]);
}

#[test]
fn read_request_errors() {
    // Bomb: header announces 4 GiB - 1.
    let err =
        decode_read_request(&[0xff, 0xff, 0xff, 0xff, 0x0f, 0], &Limits::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PayloadTooLarge);
    // Not snappy.
    assert_eq!(
        decode_read_request(b"", &Limits::default())
            .unwrap_err()
            .status_code(),
        400
    );
    // Valid snappy, truncated protobuf.
    let raw = prost::Message::encode_to_vec(&request(&[]));
    let body = crate::snappy::compress(&raw[..raw.len() - 3]).unwrap();
    let err = decode_read_request(&body, &Limits::default()).unwrap_err();
    assert!(matches!(err, Error::Protobuf(_)), "{err}");
    assert_eq!(err.status_code(), 400);
    // Invalid UTF-8 in a matcher value is a protobuf error too.
    let raw = [0x0a, 5, 0x1a, 3, 0x1a, 1, 0xff];
    let err = decode_read_request(&crate::snappy::compress(&raw).unwrap(), &Limits::default())
        .unwrap_err();
    assert!(matches!(err, Error::Protobuf(_)), "{err}");
}

#[test]
fn negotiation_follows_prometheus() {
    let samples = ResponseType::Samples as i32;
    let chunks = ResponseType::StreamedXorChunks as i32;
    assert_eq!(
        negotiate_response_type(&request(&[])).unwrap(),
        ResponseType::Samples
    );
    assert_eq!(
        negotiate_response_type(&request(&[chunks, samples])).unwrap(),
        ResponseType::StreamedXorChunks
    );
    assert_eq!(
        negotiate_response_type(&request(&[samples, chunks])).unwrap(),
        ResponseType::Samples
    );
    assert_eq!(
        negotiate_response_type(&request(&[7, chunks])).unwrap(),
        ResponseType::StreamedXorChunks
    );
    let err = negotiate_response_type(&request(&[7, 9])).unwrap_err();
    assert!(
        matches!(err, Error::UnsupportedResponseTypes(ref t) if t == &[7, 9]),
        "{err}"
    );
    assert_eq!(err.status_code(), 400);
}

#[test]
fn response_headers() {
    assert_eq!(
        ResponseType::Samples.content_type(),
        "application/x-protobuf"
    );
    assert_eq!(ResponseType::Samples.content_encoding(), Some("snappy"));
    assert_eq!(
        ResponseType::StreamedXorChunks.content_type(),
        "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse"
    );
    assert_eq!(ResponseType::StreamedXorChunks.content_encoding(), None);
}

#[test]
fn samples_response_round_trip() {
    let resp = ReadResponse {
        results: vec![
            QueryResult {
                timeseries: vec![TimeSeries {
                    labels: vec![Label::new("__name__", "up"), Label::new("job", "node")],
                    samples: vec![
                        Sample {
                            value: 1.0,
                            timestamp: 1_000,
                        },
                        Sample {
                            value: 0.0,
                            timestamp: 16_000,
                        },
                    ],
                    ..Default::default()
                }],
            },
            QueryResult::default(),
        ],
    };
    let body = encode_read_response_samples(&resp).unwrap();
    // Snappy block format: the body starts with the uvarint decompressed length.
    let raw = prost::Message::encode_to_vec(&resp);
    assert_eq!(snap::raw::decompress_len(&body).unwrap(), raw.len());
    assert_eq!(
        snap::raw::Decoder::new().decompress_vec(&body).unwrap(),
        raw
    );
    assert_eq!(
        decode_read_response_samples(&body, &Limits::default()).unwrap(),
        resp
    );
}
