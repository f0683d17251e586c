//! Graphite plaintext, as a listener runs it: the framer cuts the stream into lines, each line
//! is parsed. Checks: no panic; the framer's output does not depend on how the stream was split
//! into reads, and never holds or emits a line over its limit; accepted lines keep carbon's
//! rules (non-NaN value, no control bytes in the path, valid tags); error offsets point inside
//! the line.
#![no_main]

use compat::graphite::{LineFramer, Timestamp, parse_line};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&knobs, stream)) = data.split_first() else {
        return;
    };
    // Small limits and read sizes from the first byte, so long-line and split-line paths are hit.
    let max = 8 + usize::from(knobs & 0x3f) * 4;
    let read_size = 1 + usize::from(knobs >> 6) * 7;

    let mut whole = LineFramer::new(max);
    let mut out_whole = Vec::new();
    let dropped_whole = whole.push(stream, &mut out_whole);
    whole.finish(&mut out_whole);

    let mut pieces = LineFramer::new(max);
    let mut out_pieces = Vec::new();
    let mut dropped_pieces = 0;
    for chunk in stream.chunks(read_size) {
        dropped_pieces += pieces.push(chunk, &mut out_pieces);
        assert!(pieces.buffered() <= max, "framer holds more than its limit");
    }
    pieces.finish(&mut out_pieces);
    assert_eq!(
        dropped_whole, dropped_pieces,
        "dropped count depends on read sizes"
    );
    assert_eq!(out_whole, out_pieces, "framed lines depend on read sizes");

    let framed = out_whole.strip_suffix(b"\n").unwrap_or(&out_whole);
    if framed.is_empty() {
        return;
    }
    for line in framed.split(|&b| b == b'\n') {
        assert!(line.len() <= max, "framer emitted a line over its limit");
        check_line(line);
    }
    // The parser also sees lines the framer would drop as too long: parse the raw lines too.
    for line in stream.split(|&b| b == b'\n') {
        check_line(line);
    }
});

fn check_line(line: &[u8]) {
    match parse_line(line) {
        Ok(None) => {}
        Ok(Some(parsed)) => {
            assert!(!parsed.value.is_nan(), "NaN value accepted");
            assert!(!parsed.path.is_empty(), "empty path accepted");
            assert!(
                !parsed.path.bytes().any(|b| b < 0x20 || b == 0x7f),
                "control byte in an accepted path"
            );
            if parsed.is_tagged() {
                assert!(
                    !parsed.path.starts_with('~'),
                    "tagged path keeps a leading ~"
                );
            }
            for (name, value) in parsed.tags() {
                assert!(!name.is_empty() && !value.is_empty(), "empty tag accepted");
                assert_ne!(name, "name", "the name tag is not hidden");
                assert!(!name.starts_with("__"), "reserved tag name accepted");
                assert!(
                    !name.contains(['!', '^', ';', '=']),
                    "bad tag name {name:?}"
                );
                assert!(
                    !value.starts_with('~') && !value.contains(';'),
                    "bad tag value"
                );
            }
            if let Timestamp::Millis(ms) = parsed.timestamp {
                assert!(
                    ms.unsigned_abs() < 9_200_000_000_000_000_000,
                    "timestamp out of range"
                );
            }
        }
        Err(e) => {
            assert!(e.offset <= line.len(), "error offset past the line: {e:?}");
            assert!(e.detail.len() <= 64, "error detail not cut: {e:?}");
            let _ = e.to_string();
        }
    }
}
