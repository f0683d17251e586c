//! Decoding of Strata chunks, one sample at a time, mirroring the appender through
//! [`super::model`].

use super::model::{
    Code, DECIMAL_LIMIT, Grid, HEADER_LEN, MAX_EXP, MAX_SHIFT, MODE_DECIMAL, MODE_FLOAT, Stats,
    Values, decimal_residuals, from_decimal, read_rice,
};
use crate::tsdb::chunkenc::bstream::{BitReader, unzigzag};
use crate::tsdb::chunkenc::xor::{Corrupt, XorValue};

/// Decoding state of a Strata chunk between samples.
#[derive(Debug, Clone)]
pub(crate) struct StrataDecoder {
    pos: usize,
    e: u8,
    shift: u8,
    decimal: bool,
    grid: Grid,
    values: Values,
    stats: Stats,
}

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
            grid: Grid {
                t: 0,
                point: 0,
                step: 0,
            },
            values: Values::Decimal { m: 0, dm: 0 },
            stats: Stats::new(),
        })
    }

    /// Decodes sample number `index` (0-based; called in order): timestamp and value bits.
    pub(crate) fn next(&mut self, data: &[u8], index: u16) -> Result<(i64, u64), Corrupt> {
        let mut r = BitReader::new(data, self.pos);
        let out = if index == 0 {
            self.first(&mut r)?
        } else {
            if index == 1 {
                self.grid.step = r.read_uvarint()? as i64;
            }
            let t = self.timestamp(&mut r)?;
            let v = self.value(&mut r)?;
            self.stats.tick();
            (t, v)
        };
        self.pos = r.pos;
        Ok(out)
    }

    fn first(&mut self, r: &mut BitReader<'_>) -> Result<(i64, u64), Corrupt> {
        let t = r.read_varint()?;
        self.grid.t = t;
        self.grid.point = t;
        let bits = if self.decimal {
            let m = r.read_varint()?;
            if m.unsigned_abs() >= DECIMAL_LIMIT as u64 {
                return Err(Corrupt("decimal mantissa out of range"));
            }
            self.values = Values::Decimal { m, dm: 0 };
            from_decimal(m, self.e).to_bits()
        } else {
            let bits = r.read_bits(64)?;
            self.values = Values::Float(XorValue::decoder(bits));
            bits
        };
        Ok((t, bits))
    }

    #[inline]
    fn timestamp(&mut self, r: &mut BitReader<'_>) -> Result<i64, Corrupt> {
        let predicted = self.grid.predict();
        let k = self.stats.ts_k();
        let Code::Value { z, escaped } = read_rice(r, k, false)? else {
            return Err(Corrupt("special code in a timestamp"));
        };
        let t = predicted.wrapping_add(unzigzag(z));
        self.stats.add_ts(z, k);
        self.grid.advance(t, predicted, escaped);
        Ok(t)
    }

    #[inline]
    fn value(&mut self, r: &mut BitReader<'_>) -> Result<u64, Corrupt> {
        match &mut self.values {
            Values::Float(x) => x.read(r),
            Values::Decimal { m, dm } => {
                let (dod, k) = self.stats.value_choice();
                let z = match read_rice(r, k, true)? {
                    Code::Special => return Ok(r.read_bits(64)?),
                    Code::Value { z, .. } => z,
                };
                let overflow = Corrupt("decimal value out of range");
                let scaled = unzigzag(z)
                    .checked_mul(1i64 << self.shift)
                    .ok_or(overflow)?;
                let new_dm = if dod {
                    scaled.checked_add(*dm).ok_or(overflow)?
                } else {
                    scaled
                };
                let new_m = m.checked_add(new_dm).ok_or(overflow)?;
                if new_m.unsigned_abs() >= DECIMAL_LIMIT as u64 {
                    return Err(overflow);
                }
                let (z_delta, z_dod) = decimal_residuals(new_dm, *dm, self.shift);
                self.stats.add_value(z_delta, z_dod);
                *m = new_m;
                *dm = new_dm;
                Ok(from_decimal(new_m, self.e).to_bits())
            }
        }
    }
}
