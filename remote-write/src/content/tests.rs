use super::*;
use crate::ErrorKind;

#[test]
fn content_type_matrix() {
    let ok = [
        (None, ProtoVersion::V1),
        (Some(""), ProtoVersion::V1),
        (Some("   "), ProtoVersion::V1),
        (Some("application/x-protobuf"), ProtoVersion::V1),
        (Some("application/x-protobuf;"), ProtoVersion::V1),
        (
            Some("application/x-protobuf;proto=prometheus.WriteRequest"),
            ProtoVersion::V1,
        ),
        (
            Some("application/x-protobuf; proto=prometheus.WriteRequest"),
            ProtoVersion::V1,
        ),
        (
            Some("application/x-protobuf;proto=io.prometheus.write.v2.Request"),
            ProtoVersion::V2,
        ),
        (
            Some(" Application/X-Protobuf ; Proto = \"io.prometheus.write.v2.Request\" "),
            ProtoVersion::V2,
        ),
        (
            Some("application/x-protobuf; charset=utf-8; proto=io.prometheus.write.v2.Request"),
            ProtoVersion::V2,
        ),
        (
            Some("application/x-protobuf;proto=io.prometheus.write.v2.Request;"),
            ProtoVersion::V2,
        ),
    ];
    for (header, want) in ok {
        assert_eq!(parse_content_type(header).unwrap(), want, "{header:?}");
    }
    let unsupported = [
        "application/json",
        "text/plain",
        "application/x-protobuf2",
        "application/x-protobuf;proto=io.prometheus.write.v3.Request",
        "application/x-protobuf;proto=prometheus.ReadRequest",
        "application/x-protobuf;proto=",
        "application/x-protobuf;proto",
        "proto=io.prometheus.write.v2.Request",
    ];
    for header in unsupported {
        let err = parse_content_type(Some(header)).unwrap_err();
        assert!(
            matches!(err, Error::UnsupportedContentType(ref h) if h == header.trim()),
            "{err}"
        );
        assert_eq!(err.kind(), ErrorKind::UnsupportedMediaType);
        assert_eq!(err.status_code(), 415);
    }
}

#[test]
fn constants_parse_back() {
    for v in [ProtoVersion::V1, ProtoVersion::V2] {
        assert_eq!(parse_content_type(Some(v.content_type())).unwrap(), v);
        assert!(v.content_type().ends_with(v.message_name()));
    }
    assert_eq!(ProtoVersion::V1.version_header_value(), "0.1.0");
    assert_eq!(ProtoVersion::V2.version_header_value(), "2.0.0");
}

#[test]
fn content_encoding_matrix() {
    for enc in [
        None,
        Some(""),
        Some("snappy"),
        Some("SNAPPY"),
        Some(" snappy "),
    ] {
        check_content_encoding(enc).unwrap();
    }
    for enc in [
        "gzip",
        "zstd",
        "identity",
        "snappy, gzip",
        "x-snappy-framed",
    ] {
        let err = check_content_encoding(Some(enc)).unwrap_err();
        assert!(matches!(err, Error::UnsupportedContentEncoding(_)), "{err}");
        assert_eq!(err.status_code(), 415);
    }
}

#[test]
fn written_headers_names_and_values() {
    let h = written_headers(10, 2, 0);
    assert_eq!(
        h,
        [
            (
                "X-Prometheus-Remote-Write-Samples-Written",
                "10".to_string()
            ),
            (
                "X-Prometheus-Remote-Write-Histograms-Written",
                "2".to_string()
            ),
            (
                "X-Prometheus-Remote-Write-Exemplars-Written",
                "0".to_string()
            ),
        ]
    );
}
