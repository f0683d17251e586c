//! Decoding of Strata chunks, one sample at a time, mirroring the appender through
//! [`super::model`].

use super::float::FloatValue;
use super::model::{
    Code, DECIMAL_LIMIT, Decimal, HEADER_LEN, MAX_EXP, MAX_SHIFT, MAX_SKIPS, MODE_DECIMAL,
    MODE_FLOAT, Model, TS_FIELD_BITS, TS_RUN_EXIT, TS_SKIP, ValueCode, Values, from_decimal,
    read_residual, read_rice,
};
use crate::tsdb::chunkenc::bstream::BitReader;
use crate::tsdb::chunkenc::xor::Corrupt;

/// Decoding state of a Strata chunk between samples.
#[derive(Debug, Clone)]
pub(crate) struct StrataDecoder {
    pos: usize,
    e: u8,
    shift: u8,
    decimal: bool,
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
        let (mode, e, shift) = (header[2] >> 4, header[2] & 0x0f, header[3]);
        let decimal = match mode {
            MODE_DECIMAL if e <= MAX_EXP && shift <= MAX_SHIFT => true,
            MODE_FLOAT if e == 0 && shift == 0 => false,
            _ => return Err(Corrupt("strata chunk header has an unknown mode")),
        };
        Ok(StrataDecoder {
            pos: HEADER_LEN * 8,
            e,
            shift,
            decimal,
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
        let (values, bits) = if self.decimal {
            let m = r.read_varint()?;
            if m.unsigned_abs() >= DECIMAL_LIMIT as u64 {
                return Err(OUT_OF_RANGE);
            }
            (
                Values::Decimal(Decimal::new(m)),
                from_decimal(m, self.e).to_bits(),
            )
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
                let bits = match &mut self.model.values {
                    Values::Float(x) => x.v,
                    Values::Decimal(dec) => {
                        dec.update(0, n);
                        from_decimal(dec.m, self.e).to_bits()
                    }
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
                    None if quiet => DecimalCode::Delta(0),
                    None => read_decimal(dec, r, n)?,
                };
                let d = match code {
                    DecimalCode::Delta(d) => d,
                    DecimalCode::Special(bits) => {
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
                dec.update(d, n);
                dec.m = m;
                (from_decimal(m, self.e).to_bits(), d == 0)
            }
        };
        self.model.tick(unchanged, on_grid);
        Ok((t, bits))
    }
}

/// A decoded decimal value code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DecimalCode {
    /// The mantissa delta, in units of `2^shift`.
    Delta(i64),
    Special(u64),
    TsBreak,
}

fn read_decimal(dec: &Decimal, r: &mut BitReader<'_>, n: u32) -> Result<DecimalCode, Corrupt> {
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
