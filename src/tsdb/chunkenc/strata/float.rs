//! Strata's float value code (mode 0, format revision 3): the sign and exponent (the top 12
//! bits, the "head") against a move-to-front list of the three most recent heads, then the
//! 52 mantissa bits, raw after a head change, else XORed with the previous mantissa with an
//! adaptive count of leading zeros that need not be written.
//!
//! Full-precision measured values (durations, ratios) have random mantissas: Gorilla's
//! leading/trailing windows cost 5–13 bits on those, while this code pays about 1.5 bits for
//! the head and 52 for the mantissa. Slowly varying full-precision gauges share their top
//! mantissa bits with the previous value; the guaranteed leading zeros skip those.

use crate::tsdb::chunkenc::bstream::{BitReader, BitWriter};
use crate::tsdb::chunkenc::xor::Corrupt;

const MANTISSA_BITS: u32 = 52;
const MANTISSA_MASK: u64 = (1 << MANTISSA_BITS) - 1;
/// The guaranteed leading zeros are the fewest among this many recent same-head XORs.
const LZ_HISTORY: usize = 4;
/// Fewer guaranteed trailing zeros than this are not worth the costlier miss code.
const MIN_TRAILING: u32 = 4;
/// The adaptive unchanged-value statistics are halved when their count reaches this.
const WINDOW: u8 = 32;

/// Float value state, the same on both sides.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FloatValue {
    /// Bits of the previous value.
    pub(crate) v: u64,
    /// Recent heads, most recent first; `heads[0]` is the previous value's.
    heads: [u16; 3],
    /// Leading and trailing zeros (of 52) of recent same-head mantissa XORs, rings.
    lz: [u8; LZ_HISTORY],
    tz: [u8; LZ_HISTORY],
    pos: u8,
    /// Recent unchanged values, over `n` values.
    same: u8,
    n: u8,
}

/// How a value relates to the state: which prefix code it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Unchanged,
    /// Head at this index of the move-to-front list.
    Head(usize),
    NewHead,
}

#[inline]
fn head(bits: u64) -> u16 {
    (bits >> MANTISSA_BITS) as u16
}

impl FloatValue {
    /// State after the first value of a chunk.
    pub(crate) fn new(v: u64) -> Self {
        let h = head(v);
        // Neighbouring exponents (same sign) are the likeliest next heads.
        FloatValue {
            v,
            heads: [h, h.wrapping_add(1) & 0xfff, h.wrapping_sub(1) & 0xfff],
            lz: [0; LZ_HISTORY],
            tz: [0; LZ_HISTORY],
            pos: 0,
            same: 0,
            n: 1,
        }
    }

    /// Whether a leading bit says "unchanged" (`0`): when values repeat often enough for one
    /// bit per value to pay for itself (without it, unchanged costs four bits).
    #[inline]
    fn change_flag(&self) -> bool {
        u32::from(self.same) * 3 > u32::from(self.n)
    }

    /// Leading and trailing zeros of the next same-head mantissa XOR that are not written:
    /// the fewest of the recent ones (trailing ones only from `MIN_TRAILING` on).
    #[inline]
    fn window(&self) -> (u32, u32) {
        let g = u32::from(*self.lz.iter().min().unwrap_or(&0));
        let t = u32::from(*self.tz.iter().min().unwrap_or(&0));
        (g, if t >= MIN_TRAILING { t } else { 0 })
    }

    #[inline]
    fn count(&mut self, unchanged: bool) {
        self.same += u8::from(unchanged);
        self.n += 1;
        if self.n >= WINDOW {
            self.n /= 2;
            self.same /= 2;
        }
    }

    /// Records a same-head mantissa XOR (52 bits).
    #[inline]
    fn record(&mut self, x: u64) {
        let i = usize::from(self.pos);
        self.lz[i] = (x.leading_zeros() - (64 - MANTISSA_BITS)) as u8;
        self.tz[i] = x.trailing_zeros().min(MANTISSA_BITS) as u8;
        self.pos = (self.pos + 1) % LZ_HISTORY as u8;
    }

    /// Moves head index `i` (or a new head) to the front.
    #[inline]
    fn promote(&mut self, i: usize, h: u16) {
        let mut j = i;
        while j > 0 {
            self.heads[j] = self.heads[j - 1];
            j -= 1;
        }
        self.heads[0] = h;
    }

    /// Writes `v` after the previous value.
    #[inline]
    pub(crate) fn write(&mut self, w: &mut BitWriter, v: u64) {
        let h = head(v);
        let kind = if v == self.v {
            Kind::Unchanged
        } else {
            match self.heads.iter().position(|&x| x == h) {
                Some(i) => Kind::Head(i),
                None => Kind::NewHead,
            }
        };
        if self.change_flag() {
            w.write_bit(kind != Kind::Unchanged);
        }
        match kind {
            Kind::Unchanged => {
                if !self.change_flag() {
                    w.write_bits(0b1111, 4);
                }
                self.count(true);
                return;
            }
            Kind::Head(0) => {
                let x = (v ^ self.v) & MANTISSA_MASK;
                let lz = x.leading_zeros() - (64 - MANTISSA_BITS);
                let tz = x.trailing_zeros();
                let (g, t) = self.window();
                w.write_bit(false);
                if g == 0 && t == 0 {
                    w.write_bits(x, MANTISSA_BITS);
                } else if lz >= g && tz >= t {
                    // A 0 bit, then the bits between the windows.
                    w.write_bits(x >> t, MANTISSA_BITS + 1 - g - t);
                } else if t == 0 {
                    let width = 32 - (g - 1).leading_zeros();
                    w.write_bits((1 << width) | u64::from(lz), width + 1);
                    // The bits below the leading one (lz < 52: x is not zero).
                    let below = MANTISSA_BITS - 1 - lz;
                    w.write_bits(x & ((1 << below) - 1), below);
                } else {
                    // A 1 bit, both counts, then the bits between the leading and trailing one.
                    w.write_bits((1 << 12) | u64::from(lz) << 6 | u64::from(tz), 13);
                    let sig = MANTISSA_BITS - lz - tz;
                    if sig > 2 {
                        w.write_bits((x >> (tz + 1)) & ((1 << (sig - 2)) - 1), sig - 2);
                    }
                }
                self.record(x);
            }
            Kind::Head(i) => {
                // '10' or '110'.
                w.write_bits(((1 << i) - 1) << 1, i as u32 + 1);
                w.write_bits(v & MANTISSA_MASK, MANTISSA_BITS);
                self.promote(i, h);
            }
            Kind::NewHead => {
                w.write_bits(0b1110, 4);
                w.write_bits(v, 64);
                self.promote(self.heads.len() - 1, h);
            }
        }
        self.v = v;
        self.count(false);
    }

    /// Reads the value after the previous one.
    #[inline]
    pub(crate) fn read(&mut self, r: &mut BitReader<'_>) -> Result<u64, Corrupt> {
        if self.change_flag() && !r.read_bit()? {
            self.count(true);
            return Ok(self.v);
        }
        let prefix = r.read_unary(4)?;
        let v = match prefix {
            0 => {
                let (g, t) = self.window();
                let x = if (g == 0 && t == 0) || !r.read_bit()? {
                    r.read_bits(MANTISSA_BITS - g - t)? << t
                } else if t == 0 {
                    let width = 32 - (g - 1).leading_zeros();
                    let lz = r.read_bits(width)? as u32;
                    if lz >= g {
                        return Err(Corrupt("float mantissa zeros not below the window"));
                    }
                    let below = MANTISSA_BITS - 1 - lz;
                    (1u64 << below) | r.read_bits(below)?
                } else {
                    let lz = r.read_bits(6)? as u32;
                    let tz = r.read_bits(6)? as u32;
                    if lz + tz >= MANTISSA_BITS {
                        return Err(Corrupt("float mantissa zeros wider than 52 bits"));
                    }
                    let sig = MANTISSA_BITS - lz - tz;
                    let mid = if sig > 2 { r.read_bits(sig - 2)? } else { 0 };
                    (1u64 << (MANTISSA_BITS - 1 - lz)) | (mid << (tz + 1)) | (1 << tz)
                };
                if x == 0 {
                    // The encoder codes an unchanged value as such; rejecting this keeps
                    // `G + T <= 51` (every recorded XOR has a one bit).
                    return Err(Corrupt("float mantissa XOR of zero"));
                }
                self.record(x);
                self.v ^ x
            }
            1 | 2 => {
                let i = prefix as usize;
                let h = self.heads[i];
                self.promote(i, h);
                (u64::from(h) << MANTISSA_BITS) | r.read_bits(MANTISSA_BITS)?
            }
            3 => {
                let v = r.read_bits(64)?;
                self.promote(self.heads.len() - 1, head(v));
                v
            }
            _ => {
                self.count(true);
                return Ok(self.v);
            }
        };
        self.v = v;
        self.count(false);
        Ok(v)
    }
}
