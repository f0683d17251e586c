//! Corrupt and truncated chunks stop iteration with an error and never panic.

use super::data::{Rng, node_exporter};
use super::{Encoding, encode};
use crate::tsdb::chunkenc::iter_chunk;
use promql::SampleIterator;
use promql::storage::StorageError;

/// Iterates to the end, seeking now and then; checks the stop is clean.
fn drain(enc: Encoding, data: &[u8]) -> (usize, bool) {
    let mut it = iter_chunk(enc, data);
    let mut n = 0;
    let mut last = i64::MIN;
    while if n % 7 == 3 {
        it.seek(last.saturating_add(1))
    } else {
        it.next()
    } {
        let (t, _) = it.at();
        assert!(n == 0 || t > last, "timestamps must increase");
        last = t;
        n += 1;
    }
    let failed = match it.err() {
        None => false,
        Some(StorageError::Corrupt(_)) => true,
        Some(e) => panic!("unexpected error kind {e:?}"),
    };
    assert!(!it.next());
    (n, failed)
}

fn chunks() -> Vec<(Encoding, Vec<u8>)> {
    let mut out = Vec::new();
    for s in node_exporter(8, 3) {
        for enc in [Encoding::Xor, Encoding::Strata] {
            out.push((enc, encode(enc, &s.samples)));
        }
    }
    let mut rng = Rng::new(5);
    let floats: Vec<(i64, f64)> = (0..100)
        .map(|i| (i * 1000 + rng.range(0, 999), f64::from_bits(rng.next_u64())))
        .collect();
    for enc in [Encoding::Xor, Encoding::Strata] {
        out.push((enc, encode(enc, &floats)));
    }
    // Every path of Strata's float value code.
    for (_, samples) in super::float::shapes(4) {
        out.push((Encoding::Strata, encode(Encoding::Strata, &samples[..160])));
    }
    out
}

#[test]
fn every_truncation_fails_cleanly() {
    for (enc, data) in chunks() {
        let total = super::super::num_samples(&data);
        for len in 0..data.len() {
            let (n, failed) = drain(enc, &data[..len]);
            assert!(n <= total);
            if n < total {
                assert!(
                    failed,
                    "{enc:?} cut to {len}: {n} of {total} without an error"
                );
            }
        }
        assert_eq!(drain(enc, &data), (total, false));
    }
}

#[test]
fn random_byte_flips_never_panic() {
    let mut rng = Rng::new(11);
    for (enc, data) in chunks() {
        for _ in 0..300 {
            let mut bad = data.clone();
            for _ in 0..1 + rng.below(3) {
                let i = rng.below(bad.len() as u64) as usize;
                bad[i] ^= 1 << rng.below(8);
            }
            drain(enc, &bad);
            // Random garbage of the same length, too.
            let junk: Vec<u8> = (0..data.len()).map(|_| rng.next_u64() as u8).collect();
            drain(enc, &junk);
        }
    }
}

#[test]
fn header_problems_are_errors() {
    for enc in [Encoding::Xor, Encoding::Strata] {
        for data in [&[][..], &[0][..], &[0, 5][..]] {
            let mut it = iter_chunk(enc, data);
            assert!(!it.next());
            assert!(it.err().is_some(), "{enc:?} {data:?}");
        }
    }
    // Unknown Strata modes, exponents a mode does not allow, header bits not defined.
    for (b2, b3) in [
        (0x70, 0),
        (0x40, 0),
        (0x30, 0),
        (0x34, 0),
        (0x10, 0x40),
        (0x10, 53),
        (0x00, 0x80),
        (0x01, 0),
    ] {
        let mut it = iter_chunk(Encoding::Strata, [0u8, 1, b2, b3, 0, 0]);
        assert!(!it.next(), "{b2:#x} {b3:#x}");
        assert!(it.err().is_some(), "{b2:#x} {b3:#x}");
    }
}
