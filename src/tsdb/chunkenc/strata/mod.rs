//! Strata's own chunk encoding (`Encoding::Strata`), used in the head and in blocks.
//!
//! Timestamps are coded as their distance from a grid (`t0 + k * step`, re-anchored after an
//! outlier), which costs a scrape's jitter once instead of the three times a delta-of-delta
//! does. Values that are all short decimals (`m / 10^e`) are coded as integer residuals
//! under whichever of two predictors has been cheaper lately; anything else is Gorilla XOR.
//! Residuals use an adaptive Rice code. The byte layout is in `docs/format/chunks.md`.

mod decode;
pub(crate) mod model;

pub(crate) use decode::StrataDecoder;

use super::bstream::{BitWriter, zigzag};
use super::xor::XorValue;
use super::{ChunkError, MAX_SAMPLES_PER_CHUNK};
use model::{
    Grid, HEADER_LEN, MAX_SHIFT, MODE_DECIMAL, MODE_FLOAT, Stats, Values, decimal_residuals,
    is_special, min_exp, mode_byte, nice_interval, to_decimal, write_rice, write_special,
};

/// Flag: the decimal shift has been fixed by a non-zero delta.
const SHIFT_KNOWN: u8 = 1;
/// Flag: mode, exponent, shift and grid step were chosen up front by a re-encode.
const FIXED: u8 = 2;

/// Writes a Strata chunk (`Encoding::Strata`).
///
/// Accepts any strictly increasing `i64` timestamps (grid arithmetic wraps, and the decoder
/// undoes it exactly) and any `f64` bit pattern. When a value breaks the chunk's decimal
/// mode, the chunk is re-encoded transparently; `bytes()` is decodable after every append.
#[derive(Debug, Clone)]
pub struct StrataAppender {
    w: BitWriter,
    grid: Grid,
    values: Values,
    stats: Stats,
    count: u16,
    mode: u8,
    e: u8,
    shift: u8,
    flags: u8,
}

/// The sample does not fit the chunk's current parameters: re-encode.
struct Recode;

/// How a chunk is encoded, chosen with hindsight when re-encoding.
#[derive(Debug, Clone, Copy)]
struct Params {
    mode: u8,
    e: u8,
    shift: Option<u8>,
    step: i64,
}

impl Default for StrataAppender {
    fn default() -> Self {
        Self::new()
    }
}

impl StrataAppender {
    pub fn new() -> Self {
        Self::with_capacity(64)
    }

    fn with_capacity(cap: usize) -> Self {
        StrataAppender {
            w: BitWriter::new(HEADER_LEN, cap),
            grid: Grid {
                t: i64::MIN,
                point: 0,
                step: 0,
            },
            values: Values::Decimal { m: 0, dm: 0 },
            stats: Stats::new(),
            count: 0,
            mode: MODE_FLOAT,
            e: 0,
            shift: 0,
            flags: 0,
        }
    }

    /// Appends a sample. Fails, leaving the chunk unchanged, if the chunk holds
    /// [`MAX_SAMPLES_PER_CHUNK`] samples or `t` is not after the last timestamp.
    pub fn append(&mut self, t: i64, v: f64) -> Result<(), ChunkError> {
        if usize::from(self.count) >= MAX_SAMPLES_PER_CHUNK {
            return Err(ChunkError::Full(MAX_SAMPLES_PER_CHUNK));
        }
        if self.count > 0 && t <= self.grid.t {
            return Err(ChunkError::OutOfOrder {
                t,
                last: self.grid.t,
            });
        }
        match self.try_append(t, v.to_bits()) {
            Ok(()) => Ok(()),
            Err(Recode) => self.recode(t, v.to_bits()),
        }
    }

    pub fn num_samples(&self) -> usize {
        usize::from(self.count)
    }

    /// The chunk so far; decodable at any point.
    pub fn bytes(&self) -> &[u8] {
        self.w.bytes(0)
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.w.into_bytes(0)
    }

    /// Appends if the sample fits the current parameters; otherwise changes nothing.
    fn try_append(&mut self, t: i64, bits: u64) -> Result<(), Recode> {
        if self.count == 0 {
            return self.first(t, bits);
        }
        // Plan everything before writing anything, so that `Recode` leaves no trace.
        let step = if self.count == 1 {
            if self.flags & FIXED != 0 {
                self.grid.step
            } else {
                nice_interval(t.wrapping_sub(self.grid.t) as u64) as i64
            }
        } else {
            self.grid.step
        };
        let predicted = self.grid.point.wrapping_add(step);
        let z_t = zigzag(t.wrapping_sub(predicted));
        let k_t = self.stats.ts_k();
        if self.count == 2
            && self.flags & FIXED == 0
            && z_t >> k_t >= u64::from(model::ESCAPE_RUN)
            && nice_interval(t.wrapping_sub(self.grid.t) as u64) as i64 != step
        {
            // The first interval was not the series' interval (a missed scrape): pick again.
            return Err(Recode);
        }
        let decimal = match self.values {
            Values::Decimal { m: prev, .. } if !is_special(bits) => {
                let m = to_decimal(f64::from_bits(bits), self.e).ok_or(Recode)?;
                let dm = m - prev;
                let tz = (dm.trailing_zeros() as u8).min(MAX_SHIFT);
                if dm != 0 && self.flags & SHIFT_KNOWN != 0 && tz < self.shift {
                    return Err(Recode);
                }
                Some((m, dm, tz))
            }
            _ => None,
        };

        if self.count == 1 {
            self.grid.step = step;
            self.w.write_uvarint(step as u64);
        }
        let escaped = write_rice(&mut self.w, z_t, k_t);
        self.stats.add_ts(z_t, k_t);
        self.grid.advance(t, predicted, escaped);

        match (&mut self.values, decimal) {
            (Values::Decimal { m, dm }, Some((new_m, new_dm, tz))) => {
                if new_dm != 0 && self.flags & SHIFT_KNOWN == 0 {
                    // Every earlier residual was zero, so they read the same under any shift.
                    self.shift = tz;
                    self.flags |= SHIFT_KNOWN;
                    self.w.header_mut()[3] = tz;
                }
                let (dod, k) = self.stats.value_choice();
                let (z_delta, z_dod) = decimal_residuals(new_dm, *dm, self.shift);
                write_rice(&mut self.w, if dod { z_dod } else { z_delta }, k);
                self.stats.add_value(z_delta, z_dod);
                *m = new_m;
                *dm = new_dm;
            }
            (Values::Decimal { .. }, None) => write_special(&mut self.w, bits),
            (Values::Float(x), _) => {
                x.write(&mut self.w, bits);
            }
        }
        self.stats.tick();
        self.set_count(self.count + 1);
        Ok(())
    }

    fn first(&mut self, t: i64, bits: u64) -> Result<(), Recode> {
        let v = f64::from_bits(bits);
        if self.flags & FIXED == 0 {
            match min_exp(v).filter(|_| !is_special(bits)) {
                Some(e) => (self.mode, self.e) = (MODE_DECIMAL, e),
                None => (self.mode, self.e) = (MODE_FLOAT, 0),
            }
        }
        let m = if self.mode == MODE_DECIMAL {
            Some(
                to_decimal(v, self.e)
                    .filter(|_| !is_special(bits))
                    .ok_or(Recode)?,
            )
        } else {
            None
        };
        self.w.header_mut()[2] = mode_byte(self.mode, self.e);
        self.w.header_mut()[3] = self.shift;
        self.w.write_varint(t);
        self.values = match m {
            Some(m) => {
                self.w.write_varint(m);
                Values::Decimal { m, dm: 0 }
            }
            None => {
                self.w.write_bits(bits, 64);
                Values::Float(XorValue::encoder(bits))
            }
        };
        self.grid.t = t;
        self.grid.point = t;
        self.set_count(1);
        Ok(())
    }

    fn set_count(&mut self, n: u16) {
        self.count = n;
        self.w.header_mut()[..2].copy_from_slice(&n.to_be_bytes());
    }

    /// Re-encodes the chunk with parameters that fit every sample so far plus `(t, bits)`.
    fn recode(&mut self, t: i64, bits: u64) -> Result<(), ChunkError> {
        let mut samples = Vec::with_capacity(usize::from(self.count) + 1);
        let data = self.w.bytes(0);
        let mut dec = StrataDecoder::new(data).map_err(|c| ChunkError::Recode(c.0))?;
        for i in 0..self.count {
            samples.push(dec.next(data, i).map_err(|c| ChunkError::Recode(c.0))?);
        }
        samples.push((t, bits));
        let cap = data.len() + 16;
        let params = Params::choose(&samples);
        *self = match Self::build(&samples, params, cap) {
            Some(a) => a,
            // Float mode takes every value; only a bug could get here.
            None => Self::build(&samples, Params { mode: MODE_FLOAT, ..params }, cap)
                .ok_or(ChunkError::Recode("float re-encode failed"))?,
        };
        Ok(())
    }

    fn build(samples: &[(i64, u64)], p: Params, cap: usize) -> Option<Self> {
        let mut a = Self::with_capacity(cap);
        a.mode = p.mode;
        a.e = if p.mode == MODE_DECIMAL { p.e } else { 0 };
        a.flags = FIXED;
        if let (Some(s), MODE_DECIMAL) = (p.shift, p.mode) {
            a.shift = s;
            a.flags |= SHIFT_KNOWN;
        }
        a.grid.step = p.step;
        for &(t, bits) in samples {
            a.try_append(t, bits).ok()?;
        }
        Some(a)
    }
}

impl Params {
    /// The best parameters for `samples` (at least one): decimal with the smallest exponent
    /// and largest shift that fit every value if there are such, else float; the grid step from
    /// the smallest of the first three intervals.
    fn choose(samples: &[(i64, u64)]) -> Params {
        let step = samples
            .windows(2)
            .take(3)
            .map(|w| w[1].0.wrapping_sub(w[0].0) as u64)
            .min()
            .map_or(0, |d| nice_interval(d) as i64);
        let float = Params {
            mode: MODE_FLOAT,
            e: 0,
            shift: None,
            step,
        };
        let Some(&(_, first)) = samples.first() else {
            return float;
        };
        if is_special(first) {
            return float;
        }
        let mut e = 0;
        for &(_, bits) in samples.iter().filter(|s| !is_special(s.1)) {
            match min_exp(f64::from_bits(bits)) {
                Some(x) => e = e.max(x),
                None => return float,
            }
        }
        let mut shift: Option<u8> = None;
        let mut prev: Option<i64> = None;
        for &(_, bits) in samples.iter().filter(|s| !is_special(s.1)) {
            let Some(m) = to_decimal(f64::from_bits(bits), e) else {
                return float;
            };
            if let Some(p) = prev {
                let dm = m - p;
                if dm != 0 {
                    let tz = (dm.trailing_zeros() as u8).min(MAX_SHIFT);
                    shift = Some(shift.map_or(tz, |s| s.min(tz)));
                }
            }
            prev = Some(m);
        }
        Params {
            mode: MODE_DECIMAL,
            e,
            shift,
            step,
        }
    }
}
