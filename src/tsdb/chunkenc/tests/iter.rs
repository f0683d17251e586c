//! `SampleIterator` semantics of chunk iterators.

use super::{Encoding, encode};
use crate::tsdb::chunkenc::{iter_chunk, num_samples, recode_to_xor};
use promql::SampleIterator;

const SAMPLES: [(i64, f64); 4] = [(10, 1.0), (20, 2.0), (30, 3.0), (40, 4.0)];

#[test]
fn next_at_started() {
    for enc in [Encoding::Xor, Encoding::Strata] {
        let data = encode(enc, &SAMPLES);
        let mut it = iter_chunk(enc, &data[..]);
        assert!(!it.started());
        for s in SAMPLES {
            assert!(it.next());
            assert!(it.started());
            assert_eq!(it.at(), s);
        }
        assert!(!it.next());
        assert!(!it.started());
        assert!(!it.next(), "stays exhausted");
        assert!(!it.seek(0), "stays exhausted");
        assert!(it.err().is_none());
    }
}

#[test]
fn seek_semantics() {
    for enc in [Encoding::Xor, Encoding::Strata] {
        let data = encode(enc, &SAMPLES);
        let it = || iter_chunk(enc, data.clone());

        let mut a = it();
        assert!(a.seek(i64::MIN), "before the first sample");
        assert_eq!(a.at(), (10, 1.0));
        assert!(a.seek(10), "at the current sample stays");
        assert_eq!(a.at(), (10, 1.0));
        assert!(a.seek(25), "between samples");
        assert_eq!(a.at(), (30, 3.0));
        assert!(a.seek(11), "backwards stays put");
        assert_eq!(a.at(), (30, 3.0));
        assert!(a.seek(40), "exactly the last");
        assert_eq!(a.at(), (40, 4.0));
        assert!(!a.seek(41), "past the end");
        assert!(!a.started());
        assert!(!a.seek(0), "exhausted stays exhausted");
        assert!(!a.next());

        let mut b = it();
        assert!(!b.seek(i64::MAX), "past the end from the start");
        assert!(b.err().is_none());

        let mut c = it();
        assert!(c.next());
        assert!(c.seek(20));
        assert_eq!(c.at(), (20, 2.0));
        assert!(c.next());
        assert_eq!(c.at(), (30, 3.0));
    }
}

#[test]
fn empty_chunks() {
    for enc in [Encoding::Xor, Encoding::Strata] {
        let data = encode(enc, &[]);
        assert_eq!(num_samples(&data), 0);
        let mut it = iter_chunk(enc, data);
        assert!(!it.next());
        assert!(!it.seek(0));
        assert!(it.err().is_none(), "{enc:?}");
    }
}

#[test]
fn encoding_bytes_and_recode() {
    assert_eq!(Encoding::from_u8(1), Some(Encoding::Xor));
    assert_eq!(Encoding::from_u8(0x81), Some(Encoding::Strata));
    assert_eq!(Encoding::from_u8(0), None);
    assert_eq!(Encoding::from_u8(2), None);
    assert_eq!(Encoding::Strata as u8, 0x81);

    let samples: Vec<(i64, f64)> = (0..500)
        .map(|i| (1_700_000_000_000 + i * 15_001, (i * i) as f64 / 10.0))
        .collect();
    let xor = encode(Encoding::Xor, &samples);
    let strata = encode(Encoding::Strata, &samples);
    assert_eq!(
        recode_to_xor(Encoding::Strata, &strata).ok(),
        Some(xor.clone())
    );
    assert_eq!(recode_to_xor(Encoding::Xor, &xor).ok(), Some(xor.clone()));
    assert!(recode_to_xor(Encoding::Strata, &strata[..strata.len() / 2]).is_err());
    assert!(recode_to_xor(Encoding::Xor, &xor[..xor.len() / 2]).is_err());
}
