//! Hand-assembled protobuf bytes, written from the field numbers in Prometheus's `.proto` files,
//! decoded with both `prost` and our write decoder. If a tag in `v1`, `v2` or `read` drifts, these
//! fail.

use prost::Message;

use crate::read::{self, ChunkedReadResponse, ReadRequest, chunk, label_matcher};
use crate::v1::{self, histogram, metric_metadata};
use crate::{Limits, MetricType, ProtoVersion, v2};

/// `WriteRequest{timeseries:[{labels:[__name__=up, job=x], samples:[{1.0, 1000}],
/// exemplars:[{labels:[trace_id=t], value 2.0, timestamp 9}]}], metadata:[{COUNTER, up, h, u}]}`.
#[rustfmt::skip]
const V1_WRITE_REQUEST: &[u8] = &[
    0x0a, 68,                                         // field 1 timeseries, 68 bytes
      0x0a, 14,                                       //   TimeSeries.labels (1)
        0x0a, 8, b'_', b'_', b'n', b'a', b'm', b'e', b'_', b'_', // Label.name (1)
        0x12, 2, b'u', b'p',                          //   Label.value (2)
      0x0a, 8,
        0x0a, 3, b'j', b'o', b'b',
        0x12, 1, b'x',
      0x12, 12,                                       //   TimeSeries.samples (2)
        0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f,           //     Sample.value (1, double) = 1.0
        0x10, 0xe8, 0x07,                             //     Sample.timestamp (2) = 1000
      0x1a, 26,                                       //   TimeSeries.exemplars (3)
        0x0a, 13,                                     //     Exemplar.labels (1)
          0x0a, 8, b't', b'r', b'a', b'c', b'e', b'_', b'i', b'd',
          0x12, 1, b't',
        0x11, 0, 0, 0, 0, 0, 0, 0, 0x40,              //     Exemplar.value (2) = 2.0
        0x18, 9,                                      //     Exemplar.timestamp (3) = 9
    0x1a, 12,                                         // field 3 metadata
      0x08, 1,                                        //   type (1) = COUNTER
      0x12, 2, b'u', b'p',                            //   metric_family_name (2)
      0x22, 1, b'h',                                  //   help (4)
      0x2a, 1, b'u',                                  //   unit (5)
];

#[test]
fn v1_write_request_field_numbers() {
    let expected = v1::WriteRequest {
        timeseries: vec![v1::TimeSeries {
            labels: vec![v1::Label::new("__name__", "up"), v1::Label::new("job", "x")],
            samples: vec![v1::Sample {
                value: 1.0,
                timestamp: 1000,
            }],
            exemplars: vec![v1::Exemplar {
                labels: vec![v1::Label::new("trace_id", "t")],
                value: 2.0,
                timestamp: 9,
            }],
            histograms: vec![],
        }],
        metadata: vec![v1::MetricMetadata {
            r#type: metric_metadata::MetricType::Counter as i32,
            metric_family_name: "up".into(),
            help: "h".into(),
            unit: "u".into(),
        }],
    };
    assert_eq!(
        v1::WriteRequest::decode(V1_WRITE_REQUEST).unwrap(),
        expected
    );
    assert_eq!(expected.encode_to_vec(), V1_WRITE_REQUEST);

    let mut w = crate::DecodedWrite::new();
    w.decode_protobuf(ProtoVersion::V1, V1_WRITE_REQUEST, &Limits::default())
        .unwrap();
    let s = w.get(0).unwrap();
    assert_eq!(
        s.labels().collect::<Vec<_>>(),
        [("__name__", "up"), ("job", "x")]
    );
    assert_eq!(s.samples(), [(1000, 1.0)]);
    assert_eq!(s.exemplar_count(), 1);
    let m: Vec<_> = w.metadata().collect();
    assert_eq!(
        (m[0].family, m[0].metric_type, m[0].help, m[0].unit),
        ("up", MetricType::Counter, "h", "u")
    );
}

/// `Histogram{count_int 5, sum 1.5, schema -1, zero_count_float 0.5, positive_spans [{-2, 2}],
/// positive_deltas [1, -1], reset_hint GAUGE, timestamp 7, custom_values [1.0]}`.
#[rustfmt::skip]
const HISTOGRAM: &[u8] = &[
    0x08, 5,                                          // count_int (1)
    0x19, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f,               // sum (3, double) = 1.5
    0x20, 1,                                          // schema (4, sint32) = -1
    0x39, 0, 0, 0, 0, 0, 0, 0xe0, 0x3f,               // zero_count_float (7, double) = 0.5
    0x5a, 4, 0x08, 3, 0x10, 2,                        // positive_spans (11): offset (sint32) -2, length 2
    0x62, 2, 2, 1,                                    // positive_deltas (12, packed sint64) [1, -1]
    0x70, 3,                                          // reset_hint (14) = GAUGE
    0x78, 7,                                          // timestamp (15)
    0x82, 0x01, 8, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f,      // custom_values (16, packed double) [1.0]
];

#[test]
fn histogram_field_numbers() {
    let expected = v1::Histogram {
        count: Some(histogram::Count::CountInt(5)),
        sum: 1.5,
        schema: -1,
        zero_count: Some(histogram::ZeroCount::ZeroCountFloat(0.5)),
        positive_spans: vec![v1::BucketSpan {
            offset: -2,
            length: 2,
        }],
        positive_deltas: vec![1, -1],
        reset_hint: histogram::ResetHint::Gauge as i32,
        timestamp: 7,
        custom_values: vec![1.0],
        ..Default::default()
    };
    assert_eq!(v1::Histogram::decode(HISTOGRAM).unwrap(), expected);
    assert_eq!(expected.encode_to_vec(), HISTOGRAM);
}

/// `Request{symbols:["", __name__, up, job, x, "help text"], timeseries:[{labels_refs [1,2,3,4],
/// samples [{2.5, 2000}], metadata {GAUGE, help_ref 5, unit_ref 0}, created_timestamp 500}]}`.
#[rustfmt::skip]
const V2_REQUEST: &[u8] = &[
    0x22, 0,                                          // symbols (4) ""
    0x22, 8, b'_', b'_', b'n', b'a', b'm', b'e', b'_', b'_',
    0x22, 2, b'u', b'p',
    0x22, 3, b'j', b'o', b'b',
    0x22, 1, b'x',
    0x22, 9, b'h', b'e', b'l', b'p', b' ', b't', b'e', b'x', b't',
    0x2a, 29,                                         // timeseries (5)
      0x0a, 4, 1, 2, 3, 4,                            //   labels_refs (1, packed uint32)
      0x12, 12,                                       //   samples (2)
        0x09, 0, 0, 0, 0, 0, 0, 0x04, 0x40,           //     value = 2.5
        0x10, 0xd0, 0x0f,                             //     timestamp = 2000
      0x2a, 4, 0x08, 2, 0x18, 5,                      //   metadata (5): type (1) GAUGE, help_ref (3) 5
      0x30, 0xf4, 0x03,                               //   created_timestamp (6) = 500
];

#[test]
fn v2_request_field_numbers() {
    let expected = v2::Request {
        symbols: ["", "__name__", "up", "job", "x", "help text"]
            .map(String::from)
            .to_vec(),
        timeseries: vec![v2::TimeSeries {
            labels_refs: vec![1, 2, 3, 4],
            samples: vec![v2::Sample {
                value: 2.5,
                timestamp: 2000,
            }],
            metadata: Some(v2::Metadata {
                r#type: v2::metadata::MetricType::Gauge as i32,
                help_ref: 5,
                unit_ref: 0,
            }),
            created_timestamp: 500,
            ..Default::default()
        }],
    };
    assert_eq!(v2::Request::decode(V2_REQUEST).unwrap(), expected);
    assert_eq!(expected.encode_to_vec(), V2_REQUEST);

    let mut w = crate::DecodedWrite::new();
    w.decode_protobuf(ProtoVersion::V2, V2_REQUEST, &Limits::default())
        .unwrap();
    let s = w.get(0).unwrap();
    assert_eq!(
        s.labels().collect::<Vec<_>>(),
        [("__name__", "up"), ("job", "x")]
    );
    assert_eq!(s.samples(), [(2000, 2.5)]);
    assert_eq!(s.created_timestamp(), Some(500));
    let m: Vec<_> = w.metadata().collect();
    assert_eq!(
        (m[0].family, m[0].metric_type, m[0].help, m[0].unit),
        ("up", MetricType::Gauge, "help text", "")
    );
}

/// `ReadRequest{queries:[{1000, 2000, matchers:[job=~"a.*"], hints:{step 1, rate, 10, 20, [a], by,
/// range 2}}], accepted_response_types:[STREAMED_XOR_CHUNKS]}`.
#[rustfmt::skip]
const READ_REQUEST: &[u8] = &[
    0x0a, 41,                                         // queries (1)
      0x08, 0xe8, 0x07,                               //   start_timestamp_ms (1)
      0x10, 0xd0, 0x0f,                               //   end_timestamp_ms (2)
      0x1a, 12,                                       //   matchers (3)
        0x08, 2,                                      //     type (1) = RE
        0x12, 3, b'j', b'o', b'b',                    //     name (2)
        0x1a, 3, b'a', b'.', b'*',                    //     value (3)
      0x22, 19,                                       //   hints (4)
        0x08, 1,                                      //     step_ms (1)
        0x12, 4, b'r', b'a', b't', b'e',              //     func (2)
        0x18, 10,                                     //     start_ms (3)
        0x20, 20,                                     //     end_ms (4)
        0x2a, 1, b'a',                                //     grouping (5)
        0x30, 1,                                      //     by (6)
        0x38, 2,                                      //     range_ms (7)
    0x12, 1, 1,                                       // accepted_response_types (2, packed)
];

#[test]
fn read_request_field_numbers() {
    let expected = ReadRequest {
        queries: vec![read::Query {
            start_timestamp_ms: 1000,
            end_timestamp_ms: 2000,
            matchers: vec![read::LabelMatcher {
                r#type: label_matcher::Type::Re as i32,
                name: "job".into(),
                value: "a.*".into(),
            }],
            hints: Some(read::ReadHints {
                step_ms: 1,
                func: "rate".into(),
                start_ms: 10,
                end_ms: 20,
                grouping: vec!["a".into()],
                by: true,
                range_ms: 2,
            }),
        }],
        accepted_response_types: vec![read::ResponseType::StreamedXorChunks as i32],
    };
    assert_eq!(ReadRequest::decode(READ_REQUEST).unwrap(), expected);
    assert_eq!(expected.encode_to_vec(), READ_REQUEST);
    assert_eq!(
        expected.queries[0].matchers[0].r#type(),
        label_matcher::Type::Re
    );
}

/// `ChunkedReadResponse{chunked_series:[{labels:[a=b], chunks:[{1, 2, XOR, [0xaa]}]}],
/// query_index 3}`.
#[rustfmt::skip]
pub(crate) const CHUNKED_READ_RESPONSE: &[u8] = &[
    0x0a, 19,                                         // chunked_series (1)
      0x0a, 6, 0x0a, 1, b'a', 0x12, 1, b'b',          //   labels (1)
      0x12, 9,                                        //   chunks (2)
        0x08, 1,                                      //     min_time_ms (1)
        0x10, 2,                                      //     max_time_ms (2)
        0x18, 1,                                      //     type (3) = XOR
        0x22, 1, 0xaa,                                //     data (4)
    0x10, 3,                                          // query_index (2)
];

pub(crate) fn chunked_read_response() -> ChunkedReadResponse {
    ChunkedReadResponse {
        chunked_series: vec![read::ChunkedSeries {
            labels: vec![v1::Label::new("a", "b")],
            chunks: vec![read::Chunk {
                min_time_ms: 1,
                max_time_ms: 2,
                r#type: chunk::Encoding::Xor as i32,
                data: vec![0xaa],
            }],
        }],
        query_index: 3,
    }
}

#[test]
fn chunked_read_response_field_numbers() {
    assert_eq!(
        ChunkedReadResponse::decode(CHUNKED_READ_RESPONSE).unwrap(),
        chunked_read_response()
    );
    assert_eq!(
        chunked_read_response().encode_to_vec(),
        CHUNKED_READ_RESPONSE
    );
}
