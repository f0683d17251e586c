//! Strata's float mode (values that are not short decimals): every path of its value code
//! round-trips, the chunk decodes after every append, and its size against XOR on the kinds
//! of full-precision series it exists for.

use super::data::Rng;
use super::{
    Encoding, StrataAppender, XorAppender, assert_decodes_after_every_append, bits, decode, encode,
    iter_chunk,
};
use promql::SampleIterator;

const STALE: u64 = 0x7ff0_0000_0000_0002;

/// Full-precision float series, 480 samples on a 15 s grid, by name.
pub(super) fn shapes(seed: u64) -> Vec<(&'static str, Vec<(i64, f64)>)> {
    let mut rng = Rng::new(seed);
    let ts = |i: usize| 1_700_000_000_000 + 15_000 * i as i64;
    let mut series = |f: &mut dyn FnMut(&mut Rng, usize) -> f64| -> Vec<(i64, f64)> {
        (0..480).map(|i| (ts(i), f(&mut rng, i))).collect()
    };
    let mut temp = 45.0 + 1.0 / 3.0;
    let mut load = 0.7;
    let mut one = 1.0 - 1e-4;
    let mut big = (1u64 << 60) as f64;
    let mut prev = 0.0;
    let mut level = 50i64;
    vec![
        ("noise", series(&mut |r, _| 0.02 * (0.5 + r.unit()))),
        ("temperature walk", {
            series(&mut |r, _| {
                temp += r.normal() * 0.01;
                temp
            })
        }),
        ("load average", {
            series(&mut |r, _| {
                load = load * 0.92 + r.below(4) as f64 * 0.08;
                load
            })
        }),
        ("walk around 1.0", {
            series(&mut |r, _| {
                one += r.normal() * 1e-4;
                one
            })
        }),
        ("noise, half repeats", {
            series(&mut |r, _| {
                if r.chance(0.5) {
                    prev = 0.02 * (0.5 + r.unit());
                }
                prev
            })
        }),
        ("counter > 2^53", {
            series(&mut |r, _| {
                big += r.range(0, 1 << 24) as f64;
                big
            })
        }),
        ("integers + a ratio", {
            series(&mut |r, i| {
                level = (level + r.range(-2, 2)).clamp(0, 100);
                if i == 100 { 1.0 / 3.0 } else { level as f64 }
            })
        }),
        ("integers, some not", {
            // Float mode with windows of trailing zeros, and values that miss them.
            series(&mut |r, i| {
                level = (level + r.range(-2, 2)).clamp(0, 100);
                let v = 1000.0 + level as f64 * 0.125;
                if i % 9 == 4 { v + r.unit() * 0.125 } else { v }
            })
        }),
        ("signs and specials", {
            series(&mut |r, _| match r.below(12) {
                0 => f64::NAN,
                1 => f64::from_bits(STALE),
                2 => f64::INFINITY,
                3 => f64::NEG_INFINITY,
                4 => -0.0,
                5 => f64::from_bits(r.below(1 << 52)),
                6 => f64::from_bits(r.next_u64()),
                7 => -(r.unit() + 0.5),
                _ => r.unit() + 0.5,
            })
        }),
    ]
}

#[test]
fn float_shapes_round_trip_after_every_append() {
    for seed in 1..4 {
        for (name, samples) in shapes(seed) {
            assert_decodes_after_every_append(&samples, &format!("{name}, seed {seed}"));
        }
    }
}

#[test]
fn float_series_sizes() {
    let mut report = String::new();
    for (name, samples) in shapes(7) {
        let x = encode(Encoding::Xor, &samples).len() as f64 / samples.len() as f64;
        let s = encode(Encoding::Strata, &samples).len() as f64 / samples.len() as f64;
        report.push_str(&format!(
            "{name:<22} xor {x:>6.3}  strata {s:>6.3} B/sample\n"
        ));
    }
    eprintln!("{report}");
}

#[test]
fn float_value_codes_round_trip_in_short_chunks() {
    // Exercise head changes (neighbours, far exponents, sign flips), repeats with and without
    // the unchanged flag, and mantissa zeros outside the window, in chunks of every length.
    let mut rng = Rng::new(99);
    for _ in 0..400 {
        let len = 1 + rng.below(80) as usize;
        let mut v = 1.0 / 3.0;
        let mut samples = Vec::with_capacity(len);
        for i in 0..len {
            v = match rng.below(9) {
                0 => v,
                1 => v * 2.0,
                2 => v / 2.0,
                3 => -v,
                4 => v * (1.0 + 1e-12 * rng.normal()),
                5 => v * (1.0 + 1e-3 * rng.normal()),
                6 => f64::from_bits(rng.next_u64()),
                7 => f64::from_bits(v.to_bits() ^ (1 << rng.below(52))),
                _ => 0.02 * (0.5 + rng.unit()),
            };
            samples.push((15_000 * i as i64, v));
        }
        let mut a = StrataAppender::new();
        for &(t, v) in &samples {
            a.append(t, v).expect("strata append");
        }
        assert_eq!(decode(Encoding::Strata, a.bytes()), bits(&samples));
        let mut x = XorAppender::new();
        for &(t, v) in &samples {
            x.append(t, v).expect("xor append");
        }
        assert_eq!(decode(Encoding::Xor, x.bytes()), bits(&samples));
    }
}

#[test]
fn float_chunks_seek_to_every_sample() {
    for (name, samples) in shapes(5) {
        let data = encode(Encoding::Strata, &samples);
        for (i, &(t, v)) in samples.iter().enumerate().step_by(7) {
            let mut it = iter_chunk(Encoding::Strata, &data);
            assert!(it.seek(t - 1), "{name}: seek to {i}");
            assert_eq!(it.at().0, t, "{name}: seek to {i}");
            assert_eq!(it.at().1.to_bits(), v.to_bits(), "{name}: seek to {i}");
        }
    }
}
