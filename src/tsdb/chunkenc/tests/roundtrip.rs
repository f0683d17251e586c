//! Lossless round trips of every kind of value and timestamp, and the appenders' errors.

use super::data::Rng;
use super::{Encoding, assert_decodes_after_every_append, assert_round_trip, decode, encode};
use crate::tsdb::chunkenc::{ChunkError, MAX_SAMPLES_PER_CHUNK, StrataAppender, XorAppender};

/// Prometheus's staleness marker.
const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

fn special_values() -> Vec<f64> {
    [
        STALE_NAN,
        f64::NAN.to_bits(),
        0xfff8_0000_0000_0001, // negative quiet NaN with payload
        0x7ff0_dead_beef_0001, // signalling NaN with payload
        f64::INFINITY.to_bits(),
        f64::NEG_INFINITY.to_bits(),
        (-0.0f64).to_bits(),
        0.0f64.to_bits(),
        1,                     // smallest subnormal
        0x000f_ffff_ffff_ffff, // largest subnormal
        f64::MIN_POSITIVE.to_bits(),
        f64::MAX.to_bits(),
        f64::MIN.to_bits(),
        f64::EPSILON.to_bits(),
        0.1f64.to_bits(),
        (0.1f64 + 0.2).to_bits(),
        9_007_199_254_740_993f64.to_bits(),
        (-1e300f64).to_bits(),
    ]
    .into_iter()
    .map(f64::from_bits)
    .collect()
}

#[test]
fn empty_and_single_sample_chunks() {
    assert_round_trip(&[]);
    for v in special_values() {
        for t in [i64::MIN, -1, 0, 1_700_000_000_000, i64::MAX] {
            assert_round_trip(&[(t, v)]);
        }
    }
}

#[test]
fn special_values_inside_every_value_mode() {
    let specials = special_values();
    // Decimal series (integers, 2 decimals), a float series, and a constant one, each with
    // every special value spliced in at several places.
    let bases: [fn(i64) -> f64; 4] = [
        |i| (i * 1000) as f64,
        |i| (i * 37) as f64 / 100.0,
        |i| (i as f64).sqrt(),
        |_| 42.0,
    ];
    for base in bases {
        for (j, &sv) in specials.iter().enumerate() {
            let samples: Vec<(i64, f64)> = (0..100)
                .map(|i| {
                    let v = if i % (7 + j as i64) == 3 || i == 99 {
                        sv
                    } else {
                        base(i)
                    };
                    (1_700_000_000_000 + i * 15_000, v)
                })
                .collect();
            assert_round_trip(&samples);
        }
    }
}

#[test]
fn decimal_mode_changes_re_encode_transparently() {
    let t = |i: usize| 1_000_000 + i as i64 * 10_000;
    let cases: Vec<Vec<f64>> = vec![
        // Exponent grows: integers, then tenths, then hundredths.
        vec![1.0, 2.0, 3.0, 3.5, 4.0, 4.25, 5.0],
        // Shift shrinks: multiples of 4096, then of 2, then odd.
        vec![4096.0, 8192.0, 16384.0, 16386.0, 16387.0, 16387.0],
        // Decimal, then a value that is no short decimal.
        vec![0.5, 0.75, 1.0 / 3.0, 2.0, 2.5],
        // Mantissa too large for 2^53 at the needed exponent.
        vec![1.0, 9_007_199_254_740.99, 3.0],
        // Starts special, then decimals.
        vec![f64::NAN, 1.0, 2.0, 3.0],
        // -0.0 among decimals.
        vec![0.0, -0.0, 0.0, 1.5, -0.0],
        // Only the first interval is long (a missed scrape at the start).
        vec![1.0; 40],
    ];
    for (n, values) in cases.iter().enumerate() {
        let mut samples: Vec<(i64, f64)> =
            values.iter().enumerate().map(|(i, &v)| (t(i), v)).collect();
        if n == cases.len() - 1 {
            for s in samples.iter_mut().skip(1) {
                s.0 += 10_000;
            }
        }
        assert_decodes_after_every_append(&samples, &format!("case {n}"));
        assert_round_trip(&samples);
    }
}

/// Random timestamp sequences (any strictly increasing `i64`s, extremes included) with random
/// bit patterns mixed into random series shapes.
#[test]
fn random_samples_round_trip() {
    let mut rng = Rng::new(1);
    for _ in 0..1500 {
        let len = 1 + rng.below(300) as usize;
        let mut t = match rng.below(4) {
            0 => i64::MIN,
            1 => rng.next_u64() as i64,
            _ => 1_700_000_000_000 + rng.range(0, 1 << 30),
        };
        let shape = rng.below(5);
        let mut level = rng.range(-1_000_000, 1_000_000);
        let mut samples = Vec::with_capacity(len);
        for i in 0..len {
            let v = match (shape, rng.below(10)) {
                (_, 0) => f64::from_bits(rng.next_u64()),
                (0, _) => f64::from_bits(rng.next_u64()),
                (1, _) => {
                    level += rng.range(0, 5000);
                    level as f64 / 100.0
                }
                (2, _) => {
                    level += rng.range(-3, 3) * 4096;
                    level as f64
                }
                (3, _) => 7.0,
                _ => (i as f64).ln(),
            };
            samples.push((t, v));
            let gap: i64 = match rng.below(8) {
                0 => rng.range(1, i64::MAX),
                1 => rng.range(1, 1 << 40),
                2 => 1,
                3 => 30_000 + rng.range(-5, 5),
                _ => 15_000 + rng.range(-5, 5),
            };
            match t.checked_add(gap) {
                Some(next) => t = next,
                None => break,
            }
        }
        if rng.below(10) == 0 {
            if let Some(last) = samples.last_mut() {
                last.0 = i64::MAX;
            }
        }
        assert_round_trip(&samples);
    }
}

#[test]
fn out_of_order_and_full_are_refused_without_damage() {
    let mut x = XorAppender::new();
    let mut s = StrataAppender::new();
    x.append(10, 1.0).expect("first");
    s.append(10, 1.0).expect("first");
    for t in [10, 9, i64::MIN] {
        let want = Err(ChunkError::OutOfOrder { t, last: 10 });
        assert_eq!(x.append(t, 2.0), want);
        assert_eq!(s.append(t, 2.0), want);
    }
    assert_eq!(decode(Encoding::Xor, x.bytes()), vec![(10, 1f64.to_bits())]);
    assert_eq!(
        decode(Encoding::Strata, s.bytes()),
        vec![(10, 1f64.to_bits())]
    );

    let samples: Vec<(i64, f64)> = (0..MAX_SAMPLES_PER_CHUNK as i64)
        .map(|i| (i * 1000, (i % 17) as f64))
        .collect();
    for enc in [Encoding::Xor, Encoding::Strata] {
        let data = encode(enc, &samples);
        assert_eq!(decode(enc, &data).len(), MAX_SAMPLES_PER_CHUNK);
    }
    let mut x = XorAppender::new();
    let mut s = StrataAppender::new();
    for &(t, v) in &samples {
        x.append(t, v).expect("xor");
        s.append(t, v).expect("strata");
    }
    let full = Err(ChunkError::Full(MAX_SAMPLES_PER_CHUNK));
    assert_eq!(x.append(i64::MAX, 0.0), full);
    assert_eq!(s.append(i64::MAX, 0.0), full);
    assert_eq!(s.num_samples(), MAX_SAMPLES_PER_CHUNK);
}

/// Scrapes aligned to a grid as Prometheus ≥ 2.50 does: most exactly on it, some a few ms off
/// (not accumulating), some missed, a late first sample; values constant, flapping or
/// counting. Exercises the on-grid bit, grid re-anchoring and the quiet runs that are
/// rewritten in place: `bytes()` must decode after every append.
#[test]
fn aligned_scrapes_with_jitter_and_runs_round_trip() {
    let mut rng = Rng::new(7);
    for case in 0..300 {
        let len = 1 + rng.below(400) as usize;
        let aligned = [1.0, 0.97, 0.9, 0.5, 0.0][case % 5];
        let start = 1_700_000_000_000 + rng.range(0, 14_999);
        let late_first = rng.range(-20, 20) * i64::from(rng.below(2) == 0);
        let mut slot = 0i64;
        let mut level = rng.range(0, 1000);
        let mut samples: Vec<(i64, f64)> = Vec::with_capacity(len);
        for i in 0..len {
            if rng.below(50) == 0 {
                slot += 1 + rng.range(0, 3); // missed scrapes
            }
            let jitter = if i == 0 {
                late_first
            } else if rng.unit() < aligned {
                0
            } else {
                rng.range(3, 14) * if rng.below(2) == 0 { 1 } else { -1 }
            };
            let t = start + slot * 15_000 + jitter;
            slot += 1;
            let v = match case % 4 {
                0 => 42.0,
                1 if rng.below(40) == 0 => {
                    level += 1;
                    level as f64
                }
                1 => level as f64,
                2 => {
                    level += rng.range(0, 9);
                    level as f64 / 100.0
                }
                _ if rng.below(100) == 0 => f64::NAN,
                _ => 3.0,
            };
            if samples.last().is_none_or(|l| t > l.0) {
                samples.push((t, v));
            }
        }
        assert_decodes_after_every_append(&samples, &format!("case {case}"));
        assert_round_trip(&samples);
    }
}

/// A constant series exactly on its grid costs well under a bit per sample.
#[test]
fn aligned_constant_series_is_nearly_free() {
    let samples: Vec<(i64, f64)> = (0..240)
        .map(|i| (1_700_000_000_123 + i * 15_000, 16_457_400_320.0))
        .collect();
    let data = encode(Encoding::Strata, &samples);
    assert!(data.len() <= 24, "{} bytes", data.len());
}
