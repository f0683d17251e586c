//! The decimal scales beyond `m / 10^e` and runs of special values inside decimal chunks:
//! what real exporters produce (node_exporter's `ms * 0.001` and `us / 1000 / 1000`, summary
//! quantiles that turn NaN when idle, series that start with a NaN).

use super::data::Rng;
use super::{Encoding, assert_decodes_after_every_append, assert_round_trip, encode};

const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;
const STEP: i64 = 15_000;
const T0: i64 = 1_795_340_700_000;

/// Header byte 2's high nibble: the value mode.
fn mode(data: &[u8]) -> u8 {
    data[2] >> 4
}

/// A 480-sample counter whose value at each scrape is `scale(units)`.
fn counter(seed: u64, scale: fn(i64) -> f64) -> Vec<(i64, f64)> {
    let mut rng = Rng::new(seed);
    let mut units = 424_356 + rng.range(0, 1_000_000);
    (0..480)
        .map(|i| {
            units += rng.range(0, 90);
            (T0 + i * STEP, scale(units))
        })
        .collect()
}

#[test]
fn milliseconds_times_a_thousandth_are_decimals() {
    let samples = counter(1, |ms| ms as f64 * 0.001);
    // The data really are not `m / 1000`: some values differ from it.
    assert!(
        samples
            .iter()
            .any(|&(_, v)| v != (v * 1000.0).round() / 1000.0)
    );
    assert_round_trip(&samples);
    let strata = encode(Encoding::Strata, &samples);
    assert_eq!(mode(&strata), 2, "multiply mode");
    let xor = encode(Encoding::Xor, &samples);
    assert!(
        strata.len() * 2 < xor.len(),
        "strata {} vs xor {} bytes",
        strata.len(),
        xor.len()
    );
}

#[test]
fn microseconds_divided_by_a_thousand_twice_are_decimals() {
    let samples = counter(2, |us| us as f64 / 1000.0 / 1000.0);
    assert!(samples.iter().any(|&(_, v)| v != (v * 1e6).round() / 1e6));
    assert_round_trip(&samples);
    let strata = encode(Encoding::Strata, &samples);
    assert_eq!(mode(&strata), 3, "thousands mode");
    assert!(strata.len() * 2 < encode(Encoding::Xor, &samples).len());
}

#[test]
fn a_value_outside_the_scale_falls_back_without_loss() {
    let mut samples = counter(3, |ms| ms as f64 * 0.001);
    samples[300].1 = 0.1 + 0.2;
    assert_round_trip(&samples);
    assert_decodes_after_every_append(&samples[..320], "decimal modes");
}

#[test]
fn a_quantile_that_goes_nan_costs_no_more_than_a_constant() {
    // A summary quantile: a value for a while, then NaN once its window has no observations.
    let samples: Vec<(i64, f64)> = (0..480)
        .map(|i| (T0 + i * STEP, if i < 160 { 0.000230803 } else { f64::NAN }))
        .collect();
    assert_round_trip(&samples);
    assert_decodes_after_every_append(&samples, "decimal modes");
    let strata = encode(Encoding::Strata, &samples);
    assert_eq!(mode(&strata), 1);
    // Two quiet runs and one special: tens of bytes, not 10 bytes per NaN.
    assert!(strata.len() < 60, "{} bytes", strata.len());
    assert!(strata.len() < encode(Encoding::Xor, &samples).len());
}

#[test]
fn a_chunk_that_starts_with_nan_is_decimal_once_values_arrive() {
    let mut rng = Rng::new(4);
    let samples: Vec<(i64, f64)> = (0..480)
        .map(|i| {
            let v = match i {
                0..=2 => f64::NAN,
                _ => (1_000 + rng.range(0, 50)) as f64 / 1e6,
            };
            (T0 + i * STEP, v)
        })
        .collect();
    assert_round_trip(&samples);
    assert_decodes_after_every_append(&samples[..40], "decimal modes");
    let strata = encode(Encoding::Strata, &samples);
    assert_eq!(mode(&strata), 1);
    assert_eq!(strata[3] & 0x80, 0x80, "value 0 is special");
    let float = encode(Encoding::Xor, &samples);
    assert!(strata.len() * 3 < float.len());
    // Only specials: float mode, as before.
    let nans: Vec<(i64, f64)> = (0..100).map(|i| (T0 + i * STEP, f64::NAN)).collect();
    assert_round_trip(&nans);
    assert_eq!(mode(&encode(Encoding::Strata, &nans)), 0);
}

#[test]
fn specials_mixed_into_decimals_round_trip() {
    let mut rng = Rng::new(5);
    let specials = [
        STALE_NAN,
        f64::NAN.to_bits(),
        f64::INFINITY.to_bits(),
        (-0.0f64).to_bits(),
    ];
    for seed in 0..40u64 {
        let mut m = rng.range(0, 10_000);
        let samples: Vec<(i64, f64)> = (0..200)
            .map(|i| {
                // Runs of specials and of decimals, some long enough to go quiet.
                let phase = (i / (3 + seed as i64 % 20)) % 3;
                let v = if phase == 2 {
                    f64::from_bits(specials[(seed as usize + i as usize / 7) % 4])
                } else {
                    if rng.chance(0.3) {
                        m += rng.range(-3, 5);
                    }
                    m as f64 / 100.0
                };
                // Some timestamps off the grid, so timestamp breaks meet specials too.
                let jitter = if rng.chance(0.1) { rng.range(-9, 9) } else { 0 };
                (T0 + i * STEP + jitter, v)
            })
            .collect();
        assert_round_trip(&samples);
        assert_decodes_after_every_append(&samples, "decimal modes");
    }
}

#[test]
fn values_of_every_scale_mixed_with_specials_round_trip() {
    // Each chunk draws from a few value makers, so some chunks stay in one scale, some
    // re-encode into another or into float mode, some start with specials.
    let makers: [fn(i64) -> f64; 7] = [
        |m| m as f64 / 1000.0,
        |m| m as f64 * 0.001,
        |m| m as f64 / 1000.0 / 1000.0,
        |m| m as f64 / 1e9,
        |m| m as f64,
        |_| f64::NAN,
        |_| f64::from_bits(STALE_NAN),
    ];
    let mut rng = Rng::new(6);
    for _ in 0..300 {
        let kinds: Vec<usize> = (0..rng.range(1, 3))
            .map(|_| rng.below(makers.len() as u64) as usize)
            .collect();
        let len = rng.range(1, 150);
        let mut m = rng.range(0, 5_000_000);
        let mut t = T0 + rng.range(0, 14_999);
        let samples: Vec<(i64, f64)> = (0..len)
            .map(|_| {
                t += STEP + if rng.chance(0.2) { rng.range(-7, 7) } else { 0 };
                if rng.chance(0.6) {
                    m += rng.range(-20, 400);
                }
                let kind = kinds[rng.below(kinds.len() as u64) as usize];
                (t, makers[kind](m))
            })
            .collect();
        assert_round_trip(&samples);
        assert_decodes_after_every_append(&samples, "decimal modes");
    }
}
