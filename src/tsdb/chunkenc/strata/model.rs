//! The pieces of the Strata format that the encoder and the decoder must compute identically:
//! header layout, the adaptive Rice code, the timestamp grid, the decimal value test and the
//! predictor choice. Keeping them in one place is what keeps the two sides in step.

use crate::tsdb::chunkenc::bstream::{BitReader, BitWriter, zigzag};
use crate::tsdb::chunkenc::xor::Corrupt;

/// Sample count (u16 BE), mode/exponent byte, shift byte.
pub(crate) const HEADER_LEN: usize = 4;

/// Values are Gorilla XOR coded floats.
pub(crate) const MODE_FLOAT: u8 = 0;
/// Values are integers `m` with `value == m as f64 / 10^e`.
pub(crate) const MODE_DECIMAL: u8 = 1;

/// Largest decimal exponent `e`; `10^e` must be exact in an `f64` (true up to 22).
pub(crate) const MAX_EXP: u8 = 15;
/// Largest power-of-two shift of decimal residuals.
pub(crate) const MAX_SHIFT: u8 = 52;

const POW10: [f64; MAX_EXP as usize + 1] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];
/// Decimal mantissas stay below this in magnitude, so every one is exact in an `f64`.
pub(crate) const DECIMAL_LIMIT: i64 = 1 << 53;

/// A unary run this long introduces an escape instead of a Rice remainder.
pub(crate) const ESCAPE_RUN: u32 = 12;
/// Escape length field that means "a raw 64-bit float follows" (decimal values only).
pub(crate) const SPECIAL_FIELD: u64 = 63;
/// The adaptive statistics are halved when their sample count reaches this.
const WINDOW: u32 = 16;
/// An escaped residual adds at most `2^(k + ESCAPE_GROWTH)` to its statistic, so that one
/// outlier (a missed scrape, a counter reset) does not inflate the next dozen codes.
const ESCAPE_GROWTH: u32 = 4;
/// Starting statistic for timestamp residuals: expect a few milliseconds of jitter.
const TS_PRIOR: u64 = 4;

/// Header byte 2: mode in the high nibble, decimal exponent in the low nibble.
pub(crate) fn mode_byte(mode: u8, e: u8) -> u8 {
    (mode << 4) | e
}

/// The Rice parameter for a statistic `a` (sum of recent zigzagged residuals) over `n` samples:
/// the smallest `k` with `n * 2^k >= a`.
#[inline]
pub(crate) fn rice_k(a: u64, n: u32) -> u32 {
    let c = a.div_ceil(u64::from(n.max(1)));
    if c <= 1 { 0 } else { (64 - (c - 1).leading_zeros()).min(62) }
}

/// Writes `z` as a Rice code with parameter `k`: `q = z >> k` ones, a zero, the `k` low bits.
/// When `q >= ESCAPE_RUN`: `ESCAPE_RUN` ones, 6 bits of `bitlen(z) - 1`, and the bits of `z`
/// below its leading one. Returns whether the escape was used.
#[inline]
pub(crate) fn write_rice(w: &mut BitWriter, z: u64, k: u32) -> bool {
    let q = z >> k;
    if q < u64::from(ESCAPE_RUN) {
        let q = q as u32;
        let low = z & ((1u64 << k) - 1);
        if q + 1 + k <= 64 {
            w.write_bits((((1u64 << q) - 1) << (k + 1)) | low, q + 1 + k);
        } else {
            w.write_bits(((1u64 << q) - 1) << 1, q + 1);
            w.write_bits(low, k);
        }
        false
    } else {
        let n = 64 - z.leading_zeros(); // z > 0 here
        w.write_bits(((1u64 << ESCAPE_RUN) - 1) << 6 | u64::from(n - 1), ESCAPE_RUN + 6);
        if n > 1 {
            w.write_bits(z & (u64::MAX >> (65 - n)), n - 1);
        }
        true
    }
}

/// Writes the decimal-mode escape for a value that is not a decimal: a raw `f64`.
pub(crate) fn write_special(w: &mut BitWriter, bits: u64) {
    w.write_bits(((1u64 << ESCAPE_RUN) - 1) << 6 | SPECIAL_FIELD, ESCAPE_RUN + 6);
    w.write_bits(bits, 64);
}

/// One decoded Rice code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
    Value { z: u64, escaped: bool },
    /// The decimal-mode escape: a raw float follows.
    Special,
}

#[inline]
pub(crate) fn read_rice(r: &mut BitReader<'_>, k: u32, specials: bool) -> Result<Code, Corrupt> {
    let q = r.read_unary(ESCAPE_RUN)?;
    if q < ESCAPE_RUN {
        let low = r.read_bits(k)?;
        return Ok(Code::Value {
            z: (u64::from(q) << k) | low,
            escaped: false,
        });
    }
    let field = r.read_bits(6)?;
    if specials && field == SPECIAL_FIELD {
        return Ok(Code::Special);
    }
    let n = field as u32 + 1;
    let z = (1u64 << (n - 1)) | r.read_bits(n - 1)?;
    Ok(Code::Value { z, escaped: true })
}

/// Whether a value can never be a decimal and is stored raw in decimal mode.
#[inline]
pub(crate) fn is_special(bits: u64) -> bool {
    let v = f64::from_bits(bits);
    !v.is_finite() || bits == (-0.0f64).to_bits()
}

/// `m` such that `m as f64 / 10^e` has exactly the bits of `v`, if there is one below 2^53.
#[inline]
pub(crate) fn to_decimal(v: f64, e: u8) -> Option<i64> {
    let p = POW10[usize::from(e)];
    let x = (v * p).round();
    if !(x.abs() < DECIMAL_LIMIT as f64) {
        return None;
    }
    let m = x as i64;
    (from_decimal(m, e).to_bits() == v.to_bits()).then_some(m)
}

#[inline]
pub(crate) fn from_decimal(m: i64, e: u8) -> f64 {
    m as f64 / POW10[usize::from(e)]
}

/// The smallest exponent at which `v` is a decimal.
pub(crate) fn min_exp(v: f64) -> Option<u8> {
    (0..=MAX_EXP).find(|&e| to_decimal(v, e).is_some())
}

/// The grid step an encoder picks from an observed interval: the interval rounded to whole
/// seconds, tenths or hundredths of a second when that is within 1/64 of it (scrape intervals
/// are round numbers; the rest is jitter), else the interval itself.
pub(crate) fn nice_interval(d: u64) -> u64 {
    for unit in [1000u64, 100, 10] {
        let Some(up) = d.checked_add(unit / 2) else {
            continue;
        };
        let r = up / unit * unit;
        if r > 0 && r.abs_diff(d) <= d / 64 {
            return r;
        }
    }
    d
}

/// Adaptive statistics shared by the timestamp and value codes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stats {
    n: u32,
    a_ts: u64,
    a_delta: u64,
    a_dod: u64,
}

impl Stats {
    pub(crate) fn new() -> Self {
        Stats {
            n: 1,
            a_ts: TS_PRIOR,
            a_delta: 0,
            a_dod: 0,
        }
    }

    #[inline]
    pub(crate) fn ts_k(&self) -> u32 {
        rice_k(self.a_ts, self.n)
    }

    #[inline]
    pub(crate) fn add_ts(&mut self, z: u64, k: u32) {
        self.a_ts = grow(self.a_ts, z, k);
    }

    /// Which decimal predictor codes the next residual and with what parameter: `(dod, k)`.
    #[inline]
    pub(crate) fn value_choice(&self) -> (bool, u32) {
        if self.a_dod < self.a_delta {
            (true, rice_k(self.a_dod, self.n))
        } else {
            (false, rice_k(self.a_delta, self.n))
        }
    }

    /// Records both predictors' zigzagged residuals for a decimal value.
    #[inline]
    pub(crate) fn add_value(&mut self, z_delta: u64, z_dod: u64) {
        self.a_delta = grow(self.a_delta, z_delta, rice_k(self.a_delta, self.n));
        self.a_dod = grow(self.a_dod, z_dod, rice_k(self.a_dod, self.n));
    }

    /// Ends a sample: counts it and halves the window when full.
    #[inline]
    pub(crate) fn tick(&mut self) {
        self.n += 1;
        if self.n >= WINDOW {
            self.n /= 2;
            self.a_ts /= 2;
            self.a_delta /= 2;
            self.a_dod /= 2;
        }
    }
}

#[inline]
fn grow(a: u64, z: u64, k: u32) -> u64 {
    a.saturating_add(z.min(1u64 << (k + ESCAPE_GROWTH).min(63)))
}

/// Timestamp state: the last timestamp and the grid point the next one is predicted from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Grid {
    pub(crate) t: i64,
    pub(crate) point: i64,
    pub(crate) step: i64,
}

impl Grid {
    /// The predicted timestamp of the next sample.
    #[inline]
    pub(crate) fn predict(&self) -> i64 {
        self.point.wrapping_add(self.step)
    }

    /// Moves to timestamp `t`, predicted as `predicted`; an escaped residual re-anchors the
    /// grid at `t` (a missed scrape, a restart), otherwise the grid keeps its phase.
    #[inline]
    pub(crate) fn advance(&mut self, t: i64, predicted: i64, escaped: bool) {
        self.t = t;
        self.point = if escaped { t } else { predicted };
    }
}

/// Zigzagged residuals of a decimal delta `dm` under both predictors: "same as the previous
/// value" (`dm` itself) and "same delta as before" (`dm - prev_dm`), both shifted right by
/// `shift` (exact: every delta in a chunk is a multiple of `2^shift`).
#[inline]
pub(crate) fn decimal_residuals(dm: i64, prev_dm: i64, shift: u8) -> (u64, u64) {
    (
        zigzag(dm >> shift),
        zigzag(dm.wrapping_sub(prev_dm) >> shift),
    )
}

/// Value state between samples.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Values {
    /// Last mantissa and last delta of mantissas.
    Decimal { m: i64, dm: i64 },
    Float(crate::tsdb::chunkenc::xor::XorValue),
}
