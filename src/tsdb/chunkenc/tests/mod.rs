//! Tests of both encodings: Prometheus's exact XOR bytes, round trips of every kind of value
//! and timestamp, iterator semantics, corrupt input, and compression on a synthetic
//! node_exporter-like data set.

mod corrupt;
mod data;
mod decimal_modes;
mod float;
mod iter;
mod roundtrip;
mod size;
mod xor_format;

use super::{Encoding, StrataAppender, XorAppender, iter_chunk};
use promql::SampleIterator;

/// Encodes `samples` with `enc`, panicking if an append fails.
fn encode(enc: Encoding, samples: &[(i64, f64)]) -> Vec<u8> {
    match enc {
        Encoding::Xor => {
            let mut a = XorAppender::new();
            for &(t, v) in samples {
                a.append(t, v).expect("xor append");
            }
            a.into_bytes()
        }
        Encoding::Strata => {
            let mut a = StrataAppender::new();
            for &(t, v) in samples {
                a.append(t, v).expect("strata append");
            }
            a.into_bytes()
        }
    }
}

/// Decodes a whole chunk, panicking on a decoding error.
fn decode(enc: Encoding, data: &[u8]) -> Vec<(i64, u64)> {
    let mut it = iter_chunk(enc, data);
    let mut out = Vec::new();
    while it.next() {
        let (t, v) = it.at();
        out.push((t, v.to_bits()));
    }
    assert!(it.err().is_none(), "{enc:?}: {:?}", it.err());
    out
}

fn bits(samples: &[(i64, f64)]) -> Vec<(i64, u64)> {
    samples.iter().map(|&(t, v)| (t, v.to_bits())).collect()
}

/// Appends `samples` to a Strata chunk one at a time and asserts after each append that the
/// chunk decodes to every sample so far (`what` names the case in a failure).
fn assert_decodes_after_every_append(samples: &[(i64, f64)], what: &str) {
    let mut a = StrataAppender::new();
    for (i, &(t, v)) in samples.iter().enumerate() {
        a.append(t, v).expect("strata append");
        assert_eq!(
            decode(Encoding::Strata, a.bytes()),
            bits(&samples[..=i]),
            "{what}, after sample {i}"
        );
    }
}

/// Asserts both encodings round-trip `samples` bit for bit.
fn assert_round_trip(samples: &[(i64, f64)]) {
    for enc in [Encoding::Xor, Encoding::Strata] {
        let data = encode(enc, samples);
        assert_eq!(super::num_samples(&data), samples.len());
        assert_eq!(decode(enc, &data), bits(samples), "{enc:?}");
    }
}
