use super::*;
use crate::read::{Chunk, ChunkedSeries, chunk};
use crate::v1::Label;
use crate::wire_tests::{CHUNKED_READ_RESPONSE, chunked_read_response};

fn series_msg(query_index: i64, n: usize) -> ChunkedReadResponse {
    ChunkedReadResponse {
        chunked_series: (0..n)
            .map(|i| ChunkedSeries {
                labels: vec![Label::new("__name__", "up"), Label::new("i", i.to_string())],
                chunks: vec![Chunk {
                    min_time_ms: i as i64,
                    max_time_ms: i as i64 + 10,
                    r#type: chunk::Encoding::Xor as i32,
                    data: vec![i as u8; 40],
                }],
            })
            .collect(),
        query_index,
    }
}

#[test]
fn frame_layout_is_prometheus_chunked_writer() {
    let mut out = Vec::new();
    write_chunked_frame(&mut out, &chunked_read_response());
    // uvarint(23) | CRC32C big-endian | message.
    let crc = crc32c::crc32c(CHUNKED_READ_RESPONSE);
    let mut want = vec![CHUNKED_READ_RESPONSE.len() as u8];
    want.extend_from_slice(&crc.to_be_bytes());
    want.extend_from_slice(CHUNKED_READ_RESPONSE);
    assert_eq!(out, want);
    // Pin the checksum flavour too: CRC-32C("123456789") = 0xe3069283.
    assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283);

    let mut raw = Vec::new();
    write_frame(&mut raw, CHUNKED_READ_RESPONSE);
    assert_eq!(raw, want);
}

#[test]
fn multi_byte_length_and_round_trip() {
    let msgs = [series_msg(0, 1), series_msg(0, 30), series_msg(1, 2)];
    let mut out = Vec::new();
    for m in &msgs {
        write_chunked_frame(&mut out, m);
    }
    // The second frame is > 127 bytes, so its length takes two varint bytes.
    assert!(prost::Message::encoded_len(&msgs[1]) > 127);
    let got: Vec<_> = ChunkedReader::new(out.as_slice())
        .collect::<Result<_>>()
        .unwrap();
    assert_eq!(got, msgs);
}

#[test]
fn empty_message_writes_nothing() {
    let mut out = Vec::new();
    write_chunked_frame(&mut out, &ChunkedReadResponse::default());
    write_frame(&mut out, &[]);
    assert!(out.is_empty());
    assert!(
        ChunkedReader::new(out.as_slice())
            .next_frame()
            .unwrap()
            .is_none()
    );
}

#[test]
fn crc_corruption_is_detected() {
    let mut out = Vec::new();
    write_chunked_frame(&mut out, &series_msg(0, 1));
    let last = out.len() - 1;
    out[last] ^= 0x01;
    let err = ChunkedReader::new(out.as_slice())
        .next_message()
        .unwrap_err();
    assert!(matches!(err, Error::FrameChecksum { .. }), "{err}");
    // The header checksum flipped instead.
    let mut out = Vec::new();
    write_chunked_frame(&mut out, &series_msg(0, 1));
    out[2] ^= 0x80;
    let mut reader = ChunkedReader::new(out.as_slice());
    assert!(matches!(
        reader.next(),
        Some(Err(Error::FrameChecksum { .. }))
    ));
    assert!(reader.next().is_none(), "iteration stops after an error");
}

#[test]
fn oversized_frame_is_rejected_before_reading() {
    let mut out = Vec::new();
    write_chunked_frame(&mut out, &series_msg(0, 3));
    let size = prost::Message::encoded_len(&series_msg(0, 3)) as u64;
    let err = ChunkedReader::with_limit(out.as_slice(), size - 1)
        .next_frame()
        .unwrap_err();
    assert!(
        matches!(err, Error::FrameTooLarge { size: s, limit } if s == size && limit == size - 1),
        "{err}"
    );
    ChunkedReader::with_limit(out.as_slice(), size)
        .next_frame()
        .unwrap()
        .unwrap();
    // A length near u64::MAX is refused without allocating.
    let huge = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0, 0, 0,
    ];
    assert!(matches!(
        ChunkedReader::new(&huge[..]).next_frame(),
        Err(Error::FrameTooLarge { .. })
    ));
}

#[test]
fn truncated_streams() {
    let mut out = Vec::new();
    write_chunked_frame(&mut out, &series_msg(0, 2));
    for cut in 1..out.len() {
        let err = ChunkedReader::new(&out[..cut]).next_frame().unwrap_err();
        assert!(matches!(err, Error::FrameCorrupt(_)), "cut {cut}: {err}");
    }
    // Overlong varint.
    let bad = [0xff; 11];
    assert!(matches!(
        ChunkedReader::new(&bad[..]).next_frame(),
        Err(Error::FrameCorrupt(_))
    ));
    // A frame whose bytes are not a ChunkedReadResponse.
    let mut out = Vec::new();
    write_frame(&mut out, &[0x0a, 0x05]);
    assert!(matches!(
        ChunkedReader::new(out.as_slice()).next_message(),
        Err(Error::Protobuf(_))
    ));
}
