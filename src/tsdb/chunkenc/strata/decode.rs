//! Decoding of Strata chunks, one sample at a time, mirroring the appender through
//! [`super::model`].

use super::float::FloatValue;
use super::model::{
    Code, DECIMAL_LIMIT, Decimal, FIRST_SPECIAL, HEADER_LEN, MAX_SHIFT, MAX_SKIPS, MODE_FLOAT,
    Model, Scale, TS_FIELD_BITS, TS_RUN_EXIT, TS_SKIP, ValueCode, Values, read_residual, read_rice,
};
use crate::tsdb::chunkenc::bstream::BitReader;
use crate::tsdb::chunkenc::xor::Corrupt;

/// Decoding state of a Strata chunk between samples.
#[derive(Debug, Clone)]
pub(crate) struct StrataDecoder {
    pos: usize,
    /// The decimal scale; `None` in float mode.
    scale: Option<Scale>,
    shift: u8,
    /// Decimal mode, and value 0 is a special.
    first_special: bool,
    model: Model,
    /// Quiet samples left in the current run, once its length has been read.
    run_left: Option<u32>,
}

const OUT_OF_RANGE: Corrupt = Corrupt("decimal value out of range");

impl StrataDecoder {
    /// Reads and checks the header.
    pub(crate) fn new(data: &[u8]) -> Result<Self, Corrupt> {
        let header = data
            .get(..HEADER_LEN)
            .ok_or(Corrupt("strata chunk shorter than its header"))?;
        let (mode, e) = (header[2] >> 4, header[2] & 0x0f);
        let first_special = header[3] & FIRST_SPECIAL != 0;
        let shift = header[3] & !FIRST_SPECIAL;
        let scale = match mode {
            MODE_FLOAT if e == 0 && header[3] == 0 => None,
            _ => match Scale::new(mode, e).filter(|_| shift <= MAX_SHIFT) {
                Some(s) => Some(s),
                None => return Err(Corrupt("strata chunk header has an unknown mode")),
            },
        };
        Ok(StrataDecoder {
            pos: HEADER_LEN * 8,
            scale,
            shift,
            first_special,
            model: Model::new(0, Values::Decimal(Decimal::new(0))),
            run_left: None,
        })
    }

    /// Decodes sample number `index` (0-based; called in order): timestamp and value bits.
    pub(crate) fn next(&mut self, data: &[u8], index: u16) -> Result<(i64, u64), Corrupt> {
        let mut r = BitReader::new(data, self.pos);
        let out = if index == 0 {
            self.first(&mut r)?
        } else {
            if index == 1 {
                self.model.grid.step = r.read_uvarint()? as i64;
            }
            self.sample(&mut r)?
        };
        self.pos = r.pos;
        Ok(out)
    }

    fn first(&mut self, r: &mut BitReader<'_>) -> Result<(i64, u64), Corrupt> {
        let t = r.read_varint()?;
        let (values, bits) = if let Some(scale) = self.scale {
            let special = match self.first_special {
                true => Some(r.read_bits(64)?),
                false => None,
            };
            let m = r.read_varint()?;
            if m.unsigned_abs() >= DECIMAL_LIMIT as u64 {
                return Err(OUT_OF_RANGE);
            }
            let mut dec = Decimal::new(m);
            dec.special = special;
            dec.shift = self.shift;
            let bits = special.unwrap_or_else(|| scale.value(m).to_bits());
            (Values::Decimal(dec), bits)
        } else {
            let bits = r.read_bits(64)?;
            (Values::Float(FloatValue::new(bits)), bits)
        };
        self.model = Model::new(t, values);
        Ok((t, bits))
    }

    /// Reads a timestamp code (with its skips, and a run exit when values are quiet); with
    /// `flag`, the code may start with the on-grid bit (`flag` is false after a timestamp
    /// break, which is never on the grid).
    /// Returns the timestamp, whether the run exit was seen, and whether it is on the grid.
    fn timestamp(
        &mut self,
        r: &mut BitReader<'_>,
        value_quiet: bool,
        first_flag: bool,
    ) -> Result<(i64, bool, bool), Corrupt> {
        let k = self.model.ts_k();
        let model_flag = self.model.ts_flag();
        let mut flag = first_flag && model_flag;
        let mut exit = false;
        let mut skips = 0;
        let mut at_start = true;
        loop {
            if at_start && flag && !r.read_bit()? {
                let (t, code) = self.model.ts_decoded(0, 0, false);
                self.model.ts_update(t, &code);
                return Ok((t, exit, true));
            }
            at_start = false;
            match read_rice(r, k, TS_FIELD_BITS, 63)? {
                Code::Control(TS_RUN_EXIT) if value_quiet && !exit && skips == 0 => {
                    exit = true;
                    at_start = true;
                    flag = model_flag;
                }
                Code::Control(TS_SKIP) if skips < MAX_SKIPS => skips += 1,
                Code::Control(_) => return Err(Corrupt("unexpected timestamp escape")),
                Code::Value { z, escaped } => {
                    let (t, code) = self.model.ts_decoded(skips, z, escaped);
                    self.model.ts_update(t, &code);
                    return Ok((t, exit, code.on_grid()));
                }
            }
        }
    }

    #[inline]
    fn sample(&mut self, r: &mut BitReader<'_>) -> Result<(i64, u64), Corrupt> {
        let n = self.model.n();
        let value_quiet = self.model.value_quiet();
        let mut first_flag = true;
        if value_quiet && (self.run_left.is_some() || self.model.ts_flag()) {
            let left = match self.run_left {
                Some(left) => left,
                None => {
                    let k = self.model.rl_k();
                    let len = match read_rice(r, k, TS_FIELD_BITS, 63)? {
                        Code::Value { z, .. } => u32::try_from(z).unwrap_or(u32::MAX),
                        Code::Control(_) => return Err(Corrupt("unexpected run escape")),
                    };
                    self.model.rl_record(len, k);
                    len
                }
            };
            if left > 0 {
                self.run_left = Some(left - 1);
                let (t, c) = self.model.ts_decoded(0, 0, false);
                self.model.ts_update(t, &c);
                let scale = self.scale;
                let bits = match &mut self.model.values {
                    Values::Float(x) => x.v,
                    Values::Decimal(dec) => match dec.special {
                        Some(bits) => bits,
                        None => {
                            dec.update(0, n, dec.m);
                            value_bits(scale, dec.m)
                        }
                    },
                };
                self.model.tick(true, true);
                return Ok((t, bits));
            }
            self.run_left = None;
            first_flag = false;
        }
        let mut pending = None;
        let (t, exit, on_grid) = match &self.model.values {
            Values::Decimal(dec) if self.model.ts_quiet() => match read_decimal(dec, r, n)? {
                DecimalCode::TsBreak => self.timestamp(r, false, false)?,
                code => {
                    pending = Some(code);
                    let (t, c) = self.model.ts_decoded(0, 0, false);
                    self.model.ts_update(t, &c);
                    (t, false, true)
                }
            },
            _ => self.timestamp(r, value_quiet, first_flag)?,
        };

        let quiet = value_quiet && !exit;
        let (bits, unchanged) = match &mut self.model.values {
            Values::Float(x) if quiet => (x.v, true),
            Values::Float(x) => {
                let prev = x.v;
                let bits = x.read(r)?;
                (bits, bits == prev)
            }
            Values::Decimal(dec) => {
                let code = match pending {
                    Some(code) => code,
                    None if quiet && dec.special.is_some() => DecimalCode::Same,
                    None if quiet => DecimalCode::Delta(0),
                    None => read_decimal(dec, r, n)?,
                };
                let d = match code {
                    DecimalCode::Delta(d) => d,
                    DecimalCode::Same => {
                        let bits = dec.special.ok_or(Corrupt("repeated special without one"))?;
                        self.model.tick(true, on_grid);
                        return Ok((t, bits));
                    }
                    DecimalCode::Special(bits) => {
                        dec.special = Some(bits);
                        self.model.tick(false, on_grid);
                        return Ok((t, bits));
                    }
                    DecimalCode::TsBreak => return Err(Corrupt("misplaced timestamp break")),
                };
                let m = d
                    .checked_mul(1i64 << self.shift)
                    .and_then(|dm| dec.m.checked_add(dm))
                    .filter(|m| m.unsigned_abs() < DECIMAL_LIMIT as u64)
                    .ok_or(OUT_OF_RANGE)?;
                dec.update(d, n, m);
                let was_special = dec.special.take().is_some();
                let bits = value_bits(self.scale, m);
                (bits, d == 0 && !was_special)
            }
        };
        self.model.tick(unchanged, on_grid);
        Ok((t, bits))
    }
}

/// The bits of decimal mantissa `m` (only called in a decimal mode).
fn value_bits(scale: Option<Scale>, m: i64) -> u64 {
    scale.map_or(0, |s| s.value(m).to_bits())
}

/// A decoded decimal value code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DecimalCode {
    /// The mantissa delta, in units of `2^shift`.
    Delta(i64),
    /// The same special as the last value.
    Same,
    Special(u64),
    TsBreak,
}

fn read_decimal(dec: &Decimal, r: &mut BitReader<'_>, n: u32) -> Result<DecimalCode, Corrupt> {
    if dec.special.is_some() && !r.read_bit()? {
        return Ok(DecimalCode::Same);
    }
    let c = dec.choice(n);
    if c.change_flag && !r.read_bit()? {
        return Ok(DecimalCode::Delta(0));
    }
    Ok(match read_residual(r, &c)? {
        ValueCode::Special(bits) => DecimalCode::Special(bits),
        ValueCode::TsBreak => DecimalCode::TsBreak,
        ValueCode::Residual(res) => {
            DecimalCode::Delta(res.checked_add(c.predicted).ok_or(OUT_OF_RANGE)?)
        }
    })
}
