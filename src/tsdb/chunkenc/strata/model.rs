//! The pieces of the Strata format that the encoder and the decoder must compute identically:
//! header layout, the adaptive Rice code, the timestamp grid, the decimal value test and the
//! value predictors. Keeping them in one place is what keeps the two sides in step.

use super::float::FloatValue;
use crate::tsdb::chunkenc::bstream::{BitReader, BitWriter};
use crate::tsdb::chunkenc::xor::Corrupt;

/// Sample count (u16 BE), mode/exponent byte, shift byte.
pub(crate) const HEADER_LEN: usize = 4;

/// Values are floats: head (sign, exponent) and mantissa codes (`super::float`).
pub(crate) const MODE_FLOAT: u8 = 0;
pub(crate) use super::scale::{DECIMAL_LIMIT, Scale};

/// Largest power-of-two shift of decimal deltas.
pub(crate) const MAX_SHIFT: u8 = 52;
/// Header byte 3, above the shift: value 0 is a special (NaN, ±Inf, -0) in decimal mode, and
/// the decimal state's starting mantissa follows it.
pub(crate) const FIRST_SPECIAL: u8 = 0x80;

/// A unary run this long introduces an escape instead of a Rice remainder.
pub(crate) const ESCAPE_RUN: u32 = 8;
/// Width of the field after a timestamp escape: 0..=63 is a residual's bit length minus one.
pub(crate) const TS_FIELD_BITS: u32 = 7;
/// Timestamp escape field: the value changes here, leaving run mode.
pub(crate) const TS_RUN_EXIT: u64 = 64;
/// Timestamp escape field: skip one grid step (a missed scrape).
pub(crate) const TS_SKIP: u64 = 65;
/// At most this many skips before one timestamp.
pub(crate) const MAX_SKIPS: u32 = 8;
/// Width of the field after a value escape: 0..=56 is a residual's bit length minus one.
pub(crate) const VALUE_FIELD_BITS: u32 = 6;
/// Largest value escape length field (residuals of 53-bit mantissas fit in 57 bits).
pub(crate) const VALUE_MAX_LEN_FIELD: u64 = 56;
/// Value escape field: the timestamp is off the grid; its code follows, then the value's.
pub(crate) const VALUE_TS_BREAK: u64 = 61;
/// Value escape field: a negative residual in unsigned coding; its magnitude follows.
pub(crate) const VALUE_NEGATIVE: u64 = 62;
/// Value escape field: a raw 64-bit float follows (decimal mode's NaN, ±Inf and -0).
pub(crate) const VALUE_SPECIAL: u64 = 63;
/// After this many unchanged values in a row, unchanged values take no bits at all.
pub(crate) const RUN_MIN: u32 = 16;

/// The adaptive statistics are halved when their sample count reaches this.
const WINDOW: u32 = 32;
/// A residual adds at most `2^(k + ESCAPE_GROWTH)` to its statistic, so that one outlier
/// (a missed scrape, a counter reset) does not inflate the next dozen codes.
const ESCAPE_GROWTH: u32 = 4;
/// Starting statistic for off-grid timestamp residuals: expect several milliseconds of jitter.
const TS_PRIOR: u64 = 8;
/// Starting statistic for quiet-run lengths: expect about ten samples.
const RL_PRIOR: u64 = 8;
/// The off-grid residual and run-length statistics is halved when its count reaches this.
const TS_WINDOW: u32 = 16;
/// After this many timestamps exactly on the grid in a row, in decimal mode, such timestamps
/// take no bits (unless values are quiet).
pub(crate) const TS_QUIET_RUN: u32 = 32;

/// Header byte 2: mode in the high nibble, decimal exponent in the low nibble.
pub(crate) fn mode_byte(mode: u8, e: u8) -> u8 {
    (mode << 4) | e
}

/// The Rice parameter for a statistic `a` (sum of recent residual magnitudes) over `n`
/// samples: the smallest `k` with `n * 2^k >= a`.
#[inline]
pub(crate) fn rice_k(a: u64, n: u32) -> u32 {
    // Without a division: `n << k0` has the bit length of `a`, so the answer is `k0` or
    // `k0 + 1` (and 0 or 1 when `a` is no longer than `n`).
    let n = u64::from(n.max(1));
    let k0 = n.leading_zeros().saturating_sub(a.leading_zeros());
    let k = if n << k0 >= a { k0 } else { k0 + 1 };
    k.min(62)
}

/// Writes an escape: `ESCAPE_RUN` ones and a `bits`-wide field.
#[inline]
pub(crate) fn write_escape(w: &mut BitWriter, field: u64, bits: u32) {
    w.write_bits(
        (((1u64 << ESCAPE_RUN) - 1) << bits) | field,
        ESCAPE_RUN + bits,
    );
}

/// Writes `z` without its leading one after a length field: `bitlen(z) - 1`, then the bits.
#[inline]
fn write_len_prefixed(w: &mut BitWriter, z: u64, field_bits: u32) {
    let n = 64 - z.leading_zeros(); // z > 0
    w.write_bits(u64::from(n - 1), field_bits);
    if n > 1 {
        w.write_bits(z & (u64::MAX >> (65 - n)), n - 1);
    }
}

/// Writes `z` as a Rice code with parameter `k`: `q = z >> k` ones, a zero, the `k` low bits.
/// When `q >= ESCAPE_RUN`: an escape whose field is `bitlen(z) - 1`, then the bits of `z`
/// below its leading one. Returns whether the escape was used.
#[inline]
pub(crate) fn write_rice(w: &mut BitWriter, z: u64, k: u32, field_bits: u32) -> bool {
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
        w.write_bits((1u64 << ESCAPE_RUN) - 1, ESCAPE_RUN);
        write_len_prefixed(w, z, field_bits);
        true
    }
}

/// One decoded Rice code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
    Value {
        z: u64,
        escaped: bool,
    },
    /// An escape whose field is not a length: a control code.
    Control(u64),
}

/// Reads a Rice code; escape fields above `max_len_field` come back as `Control`.
#[inline]
pub(crate) fn read_rice(
    r: &mut BitReader<'_>,
    k: u32,
    field_bits: u32,
    max_len_field: u64,
) -> Result<Code, Corrupt> {
    let q = r.read_unary(ESCAPE_RUN)?;
    if q < ESCAPE_RUN {
        let low = r.read_bits(k)?;
        return Ok(Code::Value {
            z: (u64::from(q) << k) | low,
            escaped: false,
        });
    }
    let field = r.read_bits(field_bits)?;
    if field > max_len_field {
        return Ok(Code::Control(field));
    }
    Ok(Code::Value {
        z: read_len_prefixed_rest(r, field)?,
        escaped: true,
    })
}

#[inline]
fn read_len_prefixed_rest(r: &mut BitReader<'_>, field: u64) -> Result<u64, Corrupt> {
    let n = field as u32 + 1;
    Ok((1u64 << (n - 1)) | r.read_bits(n - 1)?)
}

/// Whether a value can never be a decimal and is stored raw in decimal mode.
#[inline]
pub(crate) fn is_special(bits: u64) -> bool {
    let v = f64::from_bits(bits);
    !v.is_finite() || bits == (-0.0f64).to_bits()
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

#[cfg(test)]
mod tests {
    #[test]
    fn rice_k_is_the_smallest_k_with_n_times_2_to_the_k_at_least_a() {
        let slow = |a: u64, n: u32| (0..=62).find(|&k| u128::from(n) << k >= u128::from(a));
        for n in 1..40u32 {
            for a in (0..3000u64).chain([u64::MAX, u64::MAX / 3, 1 << 62, (1 << 62) + 1]) {
                assert_eq!(
                    Some(super::rice_k(a, n)),
                    slow(a, n).or(Some(62)),
                    "a {a} n {n}"
                );
            }
        }
    }
}

#[inline]
fn grow(a: u64, e: u64, k: u32) -> u64 {
    a.saturating_add(e.min(1u64 << (k + ESCAPE_GROWTH).min(63)))
}

/// Everything both sides track between samples after the first.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Model {
    /// Samples in the adaptive window.
    n: u32,
    /// Unchanged values in a row.
    pub(crate) run: u32,
    /// Timestamps exactly on the grid in a row.
    ts_run: u32,
    /// Recent timestamps exactly on the grid (in the adaptive window).
    ts_ons: u32,
    pub(crate) grid: Grid,
    /// Statistic of off-grid timestamp residuals, over `ts_n` of them.
    ts_a: u64,
    ts_n: u32,
    /// Statistic of quiet-run lengths, over `rl_n` runs.
    rl_a: u64,
    rl_n: u32,
    pub(crate) values: Values,
}

/// Timestamp state.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Grid {
    /// The last timestamp.
    pub(crate) t: i64,
    /// The grid point of the last timestamp; timestamps are predicted one step later.
    pub(crate) point: i64,
    pub(crate) step: i64,
    /// The last timestamp was off the grid, `last_raw` from its grid point.
    off: bool,
    last_raw: i64,
}

/// Value state.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Values {
    Decimal(Decimal),
    Float(FloatValue),
}

/// Decimal value state: the mantissa and the statistics of its deltas `d` (in units of
/// `2^shift`) under four predictors: unchanged (0), the last delta, the average delta, and
/// back to the average level (noise around a mean, such as measured durations: predicting
/// the mean instead of the last value halves the variance of what is coded).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decimal {
    pub(crate) m: i64,
    prev_d: i64,
    /// Moving average of `d`, in 1/16.
    avg_d: i64,
    /// Moving average of `m`, in 1/16.
    avg_m: i64,
    /// The chunk's shift (deltas are in units of `2^shift`), for the level predictor.
    pub(crate) shift: u8,
    /// Sum of recent residual magnitudes per predictor.
    a: [u64; 4],
    /// Recent unchanged values.
    zeros: u32,
    /// Recent negative deltas.
    negatives: u32,
    /// The last value was this special (stored raw); `m` is still the last decimal's.
    pub(crate) special: Option<u64>,
}

/// How the next decimal value is coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Choice {
    /// The prediction of `d`.
    pub(crate) predicted: i64,
    pub(crate) k: u32,
    /// Residuals are non-negative (zigzag-free), negatives take an escape.
    pub(crate) unsigned: bool,
    /// A leading bit says whether the value changed.
    pub(crate) change_flag: bool,
}

/// A timestamp's code: grid steps skipped, zigzagged residual from the grid point, whether
/// it escaped.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TsCode {
    pub(crate) skips: u32,
    pub(crate) z: u64,
    pub(crate) k: u32,
    pub(crate) escaped: bool,
    /// The grid point `t` is coded against.
    point: i64,
    /// `t - point`.
    raw: i64,
}

impl TsCode {
    /// Exactly on the predicted grid point: no skip, zero residual.
    pub(crate) fn on_grid(&self) -> bool {
        self.skips == 0 && self.z == 0
    }
}

impl Model {
    pub(crate) fn new(t: i64, values: Values) -> Self {
        Model {
            n: 1,
            run: 0,
            ts_run: 0,
            ts_ons: 1,
            grid: Grid {
                t,
                point: t,
                step: 0,
                off: false,
                last_raw: 0,
            },
            ts_a: TS_PRIOR,
            ts_n: 1,
            rl_a: RL_PRIOR,
            rl_n: 1,
            values,
        }
    }

    /// Timestamps on the grid take no bits; one off the grid is announced by the value code.
    /// Only in decimal mode, whose value code has room for that announcement, and only when
    /// values are not quiet.
    pub(crate) fn ts_quiet(&self) -> bool {
        self.ts_run >= TS_QUIET_RUN
            && self.run < RUN_MIN
            && matches!(self.values, Values::Decimal(_))
    }

    /// Unchanged values take no bits; a change is announced by the timestamp code.
    pub(crate) fn value_quiet(&self) -> bool {
        self.run >= RUN_MIN
    }

    #[inline]
    pub(crate) fn ts_k(&self) -> u32 {
        rice_k(self.ts_a, self.ts_n)
    }

    /// The Rice parameter of the next quiet-run length.
    #[inline]
    pub(crate) fn rl_k(&self) -> u32 {
        rice_k(self.rl_a, self.rl_n)
    }

    /// Records a quiet-run length coded with parameter `k`.
    #[inline]
    pub(crate) fn rl_record(&mut self, len: u32, k: u32) {
        self.rl_a = grow(self.rl_a, u64::from(len), k);
        self.rl_n += 1;
        if self.rl_n >= TS_WINDOW {
            self.rl_n /= 2;
            self.rl_a /= 2;
        }
    }

    /// Whether a timestamp code starts with an on-grid bit (`0`: exactly on the grid):
    /// when that is cheaper than coding on-grid timestamps as a zero residual.
    #[inline]
    pub(crate) fn ts_flag(&self) -> bool {
        u64::from(self.ts_ons) * u64::from(self.ts_k() + 1) > u64::from(self.n)
    }

    /// The grid point `skips + 1` steps after the last one.
    #[inline]
    fn ts_point(&self, skips: u32) -> i64 {
        let g = &self.grid;
        g.point
            .wrapping_add(g.step.wrapping_mul(i64::from(skips) + 1))
    }

    /// How the encoder codes timestamp `t`: skipping missed grid steps when that avoids an
    /// escape.
    pub(crate) fn ts_plan(&self, t: i64) -> TsCode {
        let k = self.ts_k();
        let code = |skips| {
            let point = self.ts_point(skips);
            let raw = t.wrapping_sub(point);
            let z = super::super::bstream::zigzag(raw);
            TsCode {
                skips,
                z,
                k,
                escaped: z >> k >= u64::from(ESCAPE_RUN),
                point,
                raw,
            }
        };
        let plain = code(0);
        if !plain.escaped || self.grid.step <= 0 {
            return plain;
        }
        let ahead = t.wrapping_sub(self.grid.point);
        let skips = (ahead / self.grid.step).clamp(1, i64::from(MAX_SKIPS + 1)) as u32 - 1;
        for s in [skips, skips + 1] {
            if (1..=MAX_SKIPS).contains(&s) {
                let c = code(s);
                if !c.escaped {
                    return c;
                }
            }
        }
        plain
    }

    /// Moves to timestamp `t` after its code; both sides call this.
    #[inline]
    pub(crate) fn ts_update(&mut self, t: i64, c: &TsCode) {
        let flag = self.ts_flag();
        let g = &mut self.grid;
        g.t = t;
        if c.on_grid() {
            g.point = c.point;
            g.off = false;
            return;
        }
        self.ts_a = grow(self.ts_a, c.z >> 1, c.k);
        self.ts_n += 1;
        if self.ts_n >= TS_WINDOW {
            self.ts_n /= 2;
            self.ts_a /= 2;
        }
        // An escape, or (while most timestamps are on the grid) two in a row the same
        // distance off it (within 1 ms): the grid itself has moved (a late first sample, a
        // restarted scraper, a drift).
        let moved = flag && g.off && c.raw.wrapping_sub(g.last_raw).wrapping_add(1) as u64 <= 2;
        g.point = if c.escaped || moved { t } else { c.point };
        g.off = true;
        g.last_raw = c.raw;
    }

    /// The decoder's side of `ts_plan`: the code for a residual read after `skips` skips.
    pub(crate) fn ts_decoded(&self, skips: u32, z: u64, escaped: bool) -> (i64, TsCode) {
        let point = self.ts_point(skips);
        let raw = super::super::bstream::unzigzag(z);
        let c = TsCode {
            skips,
            z,
            k: self.ts_k(),
            escaped,
            point,
            raw,
        };
        (point.wrapping_add(raw), c)
    }

    /// Ends a sample: counts it and halves the window when full.
    #[inline]
    pub(crate) fn tick(&mut self, unchanged: bool, on_grid: bool) {
        self.run = if unchanged {
            self.run.saturating_add(1)
        } else {
            0
        };
        self.ts_run = if on_grid {
            self.ts_run.saturating_add(1)
        } else {
            0
        };
        self.ts_ons += u32::from(on_grid);
        self.n += 1;
        if self.n >= WINDOW {
            self.n /= 2;
            self.ts_ons /= 2;
            if let Values::Decimal(d) = &mut self.values {
                d.halve();
            }
        }
    }

    pub(crate) fn n(&self) -> u32 {
        self.n
    }
}

impl Decimal {
    pub(crate) fn new(m: i64) -> Self {
        Decimal {
            m,
            prev_d: 0,
            avg_d: 0,
            avg_m: m.saturating_mul(16),
            shift: 0,
            a: [0; 4],
            zeros: 0,
            negatives: 0,
            special: None,
        }
    }

    #[inline]
    fn predictions(&self) -> [i64; 4] {
        let level = (((self.avg_m + 8) >> 4) - self.m) >> self.shift;
        [0, self.prev_d, (self.avg_d + 8) >> 4, level]
    }

    /// How the next value is coded, from the statistics so far.
    #[inline]
    pub(crate) fn choice(&self, n: u32) -> Choice {
        let mut best = 0;
        for i in 1..4 {
            if self.a[i] < self.a[best] {
                best = i;
            }
        }
        let unsigned = best == 0 && self.negatives == 0;
        let k = rice_k(self.a[best], n);
        Choice {
            predicted: self.predictions()[best],
            k,
            unsigned,
            change_flag: u64::from(self.zeros) * u64::from(k + 1) > u64::from(n),
        }
    }

    /// Records delta `d` (in units of `2^shift`) that made the mantissa `m`.
    #[inline]
    pub(crate) fn update(&mut self, d: i64, n: u32, m: i64) {
        let p = self.predictions();
        for (a, p) in self.a.iter_mut().zip(p) {
            let k = rice_k(*a, n);
            *a = grow(*a, d.wrapping_sub(p).unsigned_abs(), k);
        }
        self.zeros += u32::from(d == 0);
        self.negatives += u32::from(d < 0);
        self.prev_d = d;
        let d16 = d.clamp(-(1 << 56), 1 << 56) * 16;
        self.avg_d += (d16 - self.avg_d) >> 2;
        self.m = m;
        // |m| < 2^53, so 16·m and the difference fit an i64.
        self.avg_m += (m * 16 - self.avg_m) >> 3;
    }

    fn halve(&mut self) {
        for a in &mut self.a {
            *a /= 2;
        }
        self.zeros /= 2;
        self.negatives /= 2;
    }
}

/// Writes a decimal residual `r = d - predicted` under `c`.
#[inline]
pub(crate) fn write_residual(w: &mut BitWriter, r: i64, c: &Choice) {
    if !c.unsigned {
        write_rice(w, super::super::bstream::zigzag(r), c.k, VALUE_FIELD_BITS);
    } else if r >= 0 {
        write_rice(w, r as u64, c.k, VALUE_FIELD_BITS);
    } else {
        write_escape(w, VALUE_NEGATIVE, VALUE_FIELD_BITS);
        write_len_prefixed(w, r.unsigned_abs(), VALUE_FIELD_BITS);
    }
}

/// A decoded decimal value code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueCode {
    Residual(i64),
    Special(u64),
    TsBreak,
}

#[inline]
pub(crate) fn read_residual(r: &mut BitReader<'_>, c: &Choice) -> Result<ValueCode, Corrupt> {
    match read_rice(r, c.k, VALUE_FIELD_BITS, VALUE_MAX_LEN_FIELD)? {
        Code::Value { z, .. } if c.unsigned => Ok(ValueCode::Residual(
            i64::try_from(z).map_err(|_| Corrupt("decimal residual out of range"))?,
        )),
        Code::Value { z, .. } => Ok(ValueCode::Residual(super::super::bstream::unzigzag(z))),
        Code::Control(VALUE_SPECIAL) => Ok(ValueCode::Special(r.read_bits(64)?)),
        Code::Control(VALUE_TS_BREAK) => Ok(ValueCode::TsBreak),
        Code::Control(VALUE_NEGATIVE) if c.unsigned => {
            let field = r.read_bits(VALUE_FIELD_BITS)?;
            if field > VALUE_MAX_LEN_FIELD {
                return Err(Corrupt("negative residual too long"));
            }
            Ok(ValueCode::Residual(
                -(read_len_prefixed_rest(r, field)? as i64),
            ))
        }
        Code::Control(_) => Err(Corrupt("unknown value escape")),
    }
}
