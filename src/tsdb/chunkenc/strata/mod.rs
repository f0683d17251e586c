//! Strata's own chunk encoding (`Encoding::Strata`), used in the head and in blocks.
//!
//! Timestamps are coded as their distance from a grid (`t0 + k * step`, re-anchored after an
//! outlier), which costs a scrape's jitter once instead of the three times a delta-of-delta
//! does. Values that are all short decimals (`m / 10^e`) are coded as integer residuals
//! under whichever of three predictors has been cheaper lately; anything else is coded as a
//! float: sign and exponent against the recent ones, the mantissa raw or XORed with the
//! previous one inside adaptive zero windows (`float`). Residuals use an adaptive Rice code. The byte layout is in `docs/format/chunks.md`.

mod decode;
mod float;
pub(crate) mod model;
mod scale;

pub(crate) use decode::StrataDecoder;

use super::bstream::BitWriter;
use super::{ChunkError, MAX_SAMPLES_PER_CHUNK};
use float::FloatValue;
use model::{
    Decimal, FIRST_SPECIAL, HEADER_LEN, MAX_SHIFT, MODE_FLOAT, Model, Scale, TS_FIELD_BITS,
    TS_RUN_EXIT, TS_SKIP, TsCode, VALUE_FIELD_BITS, VALUE_SPECIAL, VALUE_TS_BREAK, Values,
    is_special, mode_byte, nice_interval, write_escape, write_residual, write_rice,
};
use scale::DECIMAL_MODES;

/// Flag: the decimal shift has been fixed by a non-zero delta.
const SHIFT_KNOWN: u8 = 1;
/// Flag: mode, exponent, shift and grid step were chosen up front by a re-encode.
const FIXED: u8 = 2;
/// Flag: every value so far is special and the chunk is in float mode only because the first
/// one was; the first decimal value re-encodes the chunk in decimal mode.
const SPECIAL_START: u8 = 4;
/// Flag: decimal mode, and value 0 is a special (header byte 3 says so).
const FIRST_SPECIAL_FLAG: u8 = 8;

/// Writes a Strata chunk (`Encoding::Strata`).
///
/// Accepts any strictly increasing `i64` timestamps (grid arithmetic wraps, and the decoder
/// undoes it exactly) and any `f64` bit pattern. When a value breaks the chunk's decimal
/// mode, the chunk is re-encoded transparently; `bytes()` is decodable after every append.
#[derive(Debug, Clone)]
pub struct StrataAppender {
    w: BitWriter,
    model: Model,
    count: u16,
    mode: u8,
    e: u8,
    shift: u8,
    flags: u8,
    /// Decimal mode with a special first value: the mantissa the decimal state starts from.
    start_m: Option<i64>,
    /// The open quiet run: its code starts at this bit, with this length and Rice parameter,
    /// and is the last thing in the stream (rewritten as the run grows).
    open_run: Option<(usize, u32, u32)>,
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
    /// The mantissa of the first decimal value (decimal mode only).
    start_m: Option<i64>,
}

/// What the next value is, relative to the chunk's value state.
enum Planned {
    /// A decimal whose mantissa changed by `dm`.
    Decimal {
        m: i64,
        dm: i64,
    },
    /// A value stored raw in decimal mode.
    Special,
    Float,
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
            model: Model::new(i64::MIN, Values::Decimal(Decimal::new(0))),
            count: 0,
            mode: MODE_FLOAT,
            e: 0,
            shift: 0,
            flags: 0,
            start_m: None,
            open_run: None,
        }
    }

    /// Appends a sample. Fails, leaving the chunk unchanged, if the chunk holds
    /// [`MAX_SAMPLES_PER_CHUNK`] samples or `t` is not after the last timestamp.
    pub fn append(&mut self, t: i64, v: f64) -> Result<(), ChunkError> {
        if usize::from(self.count) >= MAX_SAMPLES_PER_CHUNK {
            return Err(ChunkError::Full(MAX_SAMPLES_PER_CHUNK));
        }
        let last = self.model.grid.t;
        if self.count > 0 && t <= last {
            return Err(ChunkError::OutOfOrder { t, last });
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

    /// Appends if the sample fits the current parameters. On `Recode` nothing has been
    /// written (the model may have moved, but a re-encode starts from the bytes).
    fn try_append(&mut self, t: i64, bits: u64) -> Result<(), Recode> {
        if self.count == 0 {
            return self.first(t, bits);
        }
        if self.flags & SPECIAL_START != 0 && !is_special(bits) {
            return Err(Recode);
        }
        let last = self.model.grid.t;
        if self.count == 1 && self.flags & FIXED == 0 {
            self.model.grid.step = nice_interval(t.wrapping_sub(last) as u64) as i64;
        }
        let ts = self.model.ts_plan(t);
        if self.count == 2
            && self.flags & FIXED == 0
            && ts.escaped
            && nice_interval(t.wrapping_sub(last) as u64) as i64 != self.model.grid.step
        {
            // The first interval was not the series' interval (a missed scrape): pick again.
            return Err(Recode);
        }
        let (planned, unchanged) = match &self.model.values {
            Values::Decimal(dec) if is_special(bits) => {
                (Planned::Special, dec.special == Some(bits))
            }
            Values::Decimal(dec) => {
                let m = self.scale().mantissa(f64::from_bits(bits)).ok_or(Recode)?;
                let dm = m - dec.m;
                let tz = (dm.trailing_zeros() as u8).min(MAX_SHIFT);
                if dm != 0 && self.flags & SHIFT_KNOWN != 0 && tz < self.shift {
                    return Err(Recode);
                }
                (Planned::Decimal { m, dm }, dec.special.is_none() && dm == 0)
            }
            Values::Float(x) => (Planned::Float, bits == x.v),
        };

        if self.count == 1 {
            self.w.write_uvarint(self.model.grid.step as u64);
        }
        let n = self.model.n();
        let value_quiet = self.model.value_quiet();
        if self.model.ts_quiet() {
            if !ts.on_grid() {
                // Announce the timestamp where the value code starts.
                if let Values::Decimal(dec) = &self.model.values {
                    if dec.special.is_some() {
                        self.w.write_bit(true);
                    }
                    if dec.choice(n).change_flag {
                        self.w.write_bit(true);
                    }
                }
                write_escape(&mut self.w, VALUE_TS_BREAK, VALUE_FIELD_BITS);
                self.write_ts(&ts, false);
            }
        } else {
            // While values are quiet, samples on the grid with an unchanged value are counted
            // in runs; the sample after a run is not such a sample, so it needs no on-grid bit.
            let mut first_flag = true;
            let mut in_run = false;
            if value_quiet && (self.open_run.is_some() || self.model.ts_flag()) {
                let quiet = unchanged && ts.on_grid();
                match self.open_run {
                    Some((pos, len, k)) if quiet => {
                        self.w.truncate(pos);
                        write_rice(&mut self.w, u64::from(len + 1), k, TS_FIELD_BITS);
                        self.open_run = Some((pos, len + 1, k));
                        in_run = true;
                    }
                    Some((_, len, k)) => {
                        self.model.rl_record(len, k);
                        self.open_run = None;
                        first_flag = false;
                    }
                    None => {
                        let k = self.model.rl_k();
                        let pos = self.w.bit_len();
                        write_rice(&mut self.w, u64::from(quiet), k, TS_FIELD_BITS);
                        if quiet {
                            self.open_run = Some((pos, 1, k));
                            in_run = true;
                        } else {
                            self.model.rl_record(0, k);
                            first_flag = false;
                        }
                    }
                }
            }
            if !in_run {
                let flag = self.model.ts_flag();
                if value_quiet && !unchanged {
                    if flag && first_flag {
                        self.w.write_bit(true);
                    }
                    write_escape(&mut self.w, TS_RUN_EXIT, TS_FIELD_BITS);
                    self.write_ts(&ts, flag);
                } else {
                    self.write_ts(&ts, flag && first_flag);
                }
            }
        }
        self.model.ts_update(t, &ts);

        let quiet = value_quiet && unchanged;
        match (&mut self.model.values, planned) {
            (Values::Decimal(dec), Planned::Decimal { m, dm }) => {
                if dm != 0 && self.flags & SHIFT_KNOWN == 0 {
                    // Every earlier delta was zero, so they read the same under any shift.
                    self.shift = (dm.trailing_zeros() as u8).min(MAX_SHIFT);
                    self.flags |= SHIFT_KNOWN;
                    self.w.header_mut()[3] = header3(self.shift, self.flags);
                    dec.shift = self.shift;
                }
                let d = dm >> self.shift;
                if !quiet {
                    if dec.special.is_some() {
                        // Leaving a special: the ordinary code follows.
                        self.w.write_bit(true);
                    }
                    let c = dec.choice(n);
                    if c.change_flag {
                        self.w.write_bit(d != 0);
                    }
                    if !c.change_flag || d != 0 {
                        write_residual(&mut self.w, d - c.predicted, &c);
                    }
                }
                dec.update(d, n, m);
                dec.special = None;
            }
            // The same special again (in a quiet run it takes no bits at all).
            (Values::Decimal(_), _) if unchanged => {
                if !quiet {
                    self.w.write_bit(false);
                }
            }
            (Values::Decimal(dec), _) => {
                if dec.special.is_some() {
                    self.w.write_bit(true);
                }
                if dec.choice(n).change_flag {
                    self.w.write_bit(true);
                }
                write_escape(&mut self.w, VALUE_SPECIAL, VALUE_FIELD_BITS);
                self.w.write_bits(bits, 64);
                dec.special = Some(bits);
            }
            (Values::Float(x), _) => {
                if !quiet {
                    x.write(&mut self.w, bits);
                }
            }
        }
        self.model.tick(unchanged, ts.on_grid());
        self.set_count(self.count + 1);
        Ok(())
    }

    /// Writes a timestamp code; with `flag`, a leading bit says whether it is off the grid.
    fn write_ts(&mut self, ts: &TsCode, flag: bool) {
        if flag {
            let off = !ts.on_grid();
            self.w.write_bit(off);
            if !off {
                return;
            }
        }
        for _ in 0..ts.skips {
            write_escape(&mut self.w, TS_SKIP, TS_FIELD_BITS);
        }
        write_rice(&mut self.w, ts.z, ts.k, TS_FIELD_BITS);
    }

    fn first(&mut self, t: i64, bits: u64) -> Result<(), Recode> {
        let v = f64::from_bits(bits);
        let special = is_special(bits);
        if self.flags & FIXED == 0 {
            match Scale::smallest(v).filter(|_| !special) {
                Some(s) => (self.mode, self.e) = (s.mode, s.e),
                None => (self.mode, self.e) = (MODE_FLOAT, 0),
            }
            if special {
                self.flags |= SPECIAL_START;
            }
        }
        let decimal = if self.mode == MODE_FLOAT {
            None
        } else if special {
            // Only a re-encode picks decimal mode for a chunk that starts with a special.
            let m = self.start_m.ok_or(Recode)?;
            self.flags |= FIRST_SPECIAL_FLAG;
            Some(m)
        } else {
            Some(self.scale().mantissa(v).ok_or(Recode)?)
        };
        self.w.header_mut()[2] = mode_byte(self.mode, self.e);
        self.w.header_mut()[3] = header3(self.shift, self.flags);
        self.w.write_varint(t);
        let values = match decimal {
            Some(m) => {
                let mut dec = Decimal::new(m);
                dec.shift = self.shift;
                if special {
                    self.w.write_bits(bits, 64);
                    dec.special = Some(bits);
                }
                self.w.write_varint(m);
                Values::Decimal(dec)
            }
            None => {
                self.w.write_bits(bits, 64);
                Values::Float(FloatValue::new(bits))
            }
        };
        let step = self.model.grid.step;
        self.model = Model::new(t, values);
        self.model.grid.step = step;
        self.set_count(1);
        Ok(())
    }

    /// The decimal scale of a chunk in a decimal mode.
    fn scale(&self) -> Scale {
        Scale {
            mode: self.mode,
            e: self.e,
        }
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
            None => Self::build(
                &samples,
                Params {
                    mode: MODE_FLOAT,
                    ..params
                },
                cap,
            )
            .ok_or(ChunkError::Recode("float re-encode failed"))?,
        };
        Ok(())
    }

    fn build(samples: &[(i64, u64)], p: Params, cap: usize) -> Option<Self> {
        let mut a = Self::with_capacity(cap);
        a.mode = p.mode;
        a.e = if p.mode == MODE_FLOAT { 0 } else { p.e };
        a.flags = FIXED;
        a.start_m = p.start_m;
        if let Some(s) = p.shift.filter(|_| p.mode != MODE_FLOAT) {
            a.shift = s;
            a.flags |= SHIFT_KNOWN;
        }
        a.model.grid.step = p.step;
        for &(t, bits) in samples {
            a.try_append(t, bits).ok()?;
        }
        Some(a)
    }
}

/// Header byte 3: the shift, and whether value 0 is a special in decimal mode.
fn header3(shift: u8, flags: u8) -> u8 {
    if flags & FIRST_SPECIAL_FLAG != 0 {
        shift | FIRST_SPECIAL
    } else {
        shift
    }
}

impl Params {
    /// The best parameters for `samples` (at least one): the decimal mode that fits every
    /// value that is not special with the smallest exponent (the first in [`DECIMAL_MODES`]
    /// order on a tie), and the largest shift, if there is one, else float; the grid step from the
    /// smallest of the first three intervals.
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
            start_m: None,
        };
        let values = || {
            samples
                .iter()
                .filter(|s| !is_special(s.1))
                .map(|s| f64::from_bits(s.1))
        };
        if values().next().is_none() {
            return float;
        }
        // The smallest exponent wins: `424.42400000000004` is `424424 * 0.001`, and also
        // some 16-digit mantissa over 10^13, which would code every change as a large number.
        DECIMAL_MODES
            .iter()
            .filter_map(|&mode| Self::decimal(mode, values(), step))
            .min_by_key(|p| p.e)
            .unwrap_or(float)
    }

    /// Decimal parameters of `mode` for `values` (at least one), if they all fit.
    fn decimal(mode: u8, values: impl Iterator<Item = f64> + Clone, step: i64) -> Option<Params> {
        let mut e = 0;
        for v in values.clone() {
            e = e.max(Scale::min_exp(mode, v)?.e);
        }
        let scale = Scale::new(mode, e)?;
        let mut shift: Option<u8> = None;
        let mut prev: Option<i64> = None;
        let mut start_m = None;
        for v in values {
            let m = scale.mantissa(v)?;
            start_m.get_or_insert(m);
            if let Some(p) = prev {
                let dm = m - p;
                if dm != 0 {
                    let tz = (dm.trailing_zeros() as u8).min(MAX_SHIFT);
                    shift = Some(shift.map_or(tz, |s| s.min(tz)));
                }
            }
            prev = Some(m);
        }
        Some(Params {
            mode,
            e,
            shift,
            step,
            start_m,
        })
    }
}
