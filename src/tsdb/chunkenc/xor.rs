//! Prometheus's XOR chunk (`EncXOR`), byte for byte: what `tsdb/chunkenc/xor.go` writes for the
//! same samples, including the zero byte its bit stream leaves after a whole-byte write. Used
//! to serve remote read `STREAMED_XOR_CHUNKS`. The layout is in `docs/format/chunks.md`.

use super::bstream::{BitReader, BitWriter, Truncated};
use super::{ChunkError, MAX_SAMPLES_PER_CHUNK};

pub(crate) const HEADER_LEN: usize = 2;

/// Gorilla XOR coding of one float after another: `0` for an equal value, `10` + the
/// meaningful bits inside the previous leading/trailing-zero window, or `11` + 5 bits of
/// leading zeros (clamped to 31) + 6 bits of significant-bit count (64 written as 0) + bits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct XorValue {
    /// Bits of the previous value.
    pub(crate) v: u64,
    /// Leading zeros of the current window; `0xff` before any window was written.
    leading: u8,
    trailing: u8,
}

impl XorValue {
    /// State after the first value of a chunk, as an encoder sees it.
    pub(crate) fn encoder(v: u64) -> Self {
        XorValue {
            v,
            leading: 0xff,
            trailing: 0,
        }
    }

    /// State after the first value of a chunk, as a decoder sees it (Prometheus's decoder
    /// starts from an all-zero window, which only matters for chunks whose appender was
    /// reopened after one sample).
    pub(crate) fn decoder(v: u64) -> Self {
        XorValue {
            v,
            leading: 0,
            trailing: 0,
        }
    }

    /// Writes `v` after the previous value. Returns the width of the last `write_bits` call,
    /// which decides whether Prometheus's bit stream leaves a trailing zero byte.
    #[inline]
    pub(crate) fn write(&mut self, w: &mut BitWriter, v: u64) -> u32 {
        let delta = v ^ self.v;
        self.v = v;
        if delta == 0 {
            w.write_bit(false);
            return 1;
        }
        let lz = (delta.leading_zeros() as u8).min(31);
        let tz = delta.trailing_zeros() as u8;
        if self.leading != 0xff && lz >= self.leading && tz >= self.trailing {
            let sig = u32::from(64 - self.leading - self.trailing);
            w.write_bits(0b10, 2);
            w.write_bits(delta >> self.trailing, sig);
            return sig;
        }
        self.leading = lz;
        self.trailing = tz;
        let sig = u32::from(64 - lz - tz);
        // '11', 5 bits of leading zeros, 6 bits of significant-bit count (64 wraps to 0).
        w.write_bits(
            (0b11 << 11) | (u64::from(lz) << 6) | u64::from(sig & 63),
            13,
        );
        w.write_bits(delta >> tz, sig);
        sig
    }

    #[inline]
    pub(crate) fn read(&mut self, r: &mut BitReader<'_>) -> Result<u64, Corrupt> {
        if !r.read_bit()? {
            return Ok(self.v);
        }
        if r.read_bit()? {
            let lead = r.read_bits(5)? as u8;
            let mut sig = r.read_bits(6)? as u8;
            if sig == 0 {
                sig = 64;
            }
            if lead + sig > 64 {
                return Err(Corrupt("xor window wider than 64 bits"));
            }
            self.leading = lead;
            self.trailing = 64 - lead - sig;
        }
        let sig = 64 - u32::from(self.leading) - u32::from(self.trailing);
        let bits = r.read_bits(sig)?;
        self.v ^= bits << self.trailing;
        Ok(self.v)
    }
}

/// Why decoding stopped; turned into `StorageError::Corrupt` by the iterator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Corrupt(pub(crate) &'static str);

impl From<Truncated> for Corrupt {
    fn from(_: Truncated) -> Self {
        Corrupt("truncated or overflowing data")
    }
}

/// Writes an XOR chunk (`Encoding::Xor`), identical to Prometheus's for the same samples.
///
/// Accepts any strictly increasing `i64` timestamps: like Prometheus, deltas use wrapping
/// 64-bit arithmetic, which the decoder undoes exactly.
#[derive(Debug, Clone)]
pub struct XorAppender {
    w: BitWriter,
    t: i64,
    t_delta: u64,
    val: XorValue,
    count: u16,
    /// Prometheus's stream ends with an extra zero byte after a whole-byte write that ended
    /// on a byte boundary.
    pad: bool,
}

impl Default for XorAppender {
    fn default() -> Self {
        Self::new()
    }
}

impl XorAppender {
    pub fn new() -> Self {
        XorAppender {
            w: BitWriter::new(HEADER_LEN, 128),
            t: i64::MIN,
            t_delta: 0,
            val: XorValue::encoder(0),
            count: 0,
            pad: false,
        }
    }

    /// Appends a sample. Fails, leaving the chunk unchanged, if the chunk holds
    /// [`MAX_SAMPLES_PER_CHUNK`] samples or `t` is not after the last timestamp.
    pub fn append(&mut self, t: i64, v: f64) -> Result<(), ChunkError> {
        if usize::from(self.count) >= MAX_SAMPLES_PER_CHUNK {
            return Err(ChunkError::Full(MAX_SAMPLES_PER_CHUNK));
        }
        if self.count > 0 && t <= self.t {
            return Err(ChunkError::OutOfOrder { t, last: self.t });
        }
        let v = v.to_bits();
        let mut t_delta = 0;
        let last_width = match self.count {
            0 => {
                self.w.write_varint(t);
                self.w.write_bits(v, 64);
                self.val = XorValue::encoder(v);
                64
            }
            1 => {
                t_delta = t.wrapping_sub(self.t) as u64;
                self.w.write_uvarint(t_delta);
                self.val.write(&mut self.w, v)
            }
            _ => {
                t_delta = t.wrapping_sub(self.t) as u64;
                let dod = t_delta.wrapping_sub(self.t_delta) as i64;
                write_dod(&mut self.w, dod);
                self.val.write(&mut self.w, v)
            }
        };
        self.t = t;
        self.t_delta = t_delta;
        self.count += 1;
        self.w.header_mut()[..2].copy_from_slice(&self.count.to_be_bytes());
        self.pad = self.w.bit_len() % 8 == 0 && last_width % 8 == 0;
        Ok(())
    }

    pub fn num_samples(&self) -> usize {
        usize::from(self.count)
    }

    /// The chunk so far; decodable at any point.
    pub fn bytes(&self) -> &[u8] {
        self.w.bytes(usize::from(self.pad))
    }

    pub fn into_bytes(self) -> Vec<u8> {
        let pad = usize::from(self.pad);
        self.w.into_bytes(pad)
    }
}

/// Whether `x` fits Prometheus's `nbits` bucket: `-(2^(n-1) - 1) ..= 2^(n-1)`.
#[inline]
fn bit_range(x: i64, nbits: u32) -> bool {
    -((1 << (nbits - 1)) - 1) <= x && x <= 1 << (nbits - 1)
}

#[inline]
fn write_dod(w: &mut BitWriter, dod: i64) {
    let mask = |n: u32| (dod as u64) & ((1u64 << n) - 1);
    if dod == 0 {
        w.write_bit(false);
    } else if bit_range(dod, 14) {
        w.write_bits((0b10 << 14) | mask(14), 16);
    } else if bit_range(dod, 17) {
        w.write_bits((0b110 << 17) | mask(17), 20);
    } else if bit_range(dod, 20) {
        w.write_bits((0b1110 << 20) | mask(20), 24);
    } else {
        w.write_bits(0b1111, 4);
        w.write_bits(dod as u64, 64);
    }
}

/// Decoding state of an XOR chunk between samples.
#[derive(Debug, Clone)]
pub(crate) struct XorDecoder {
    pos: usize,
    t: i64,
    t_delta: u64,
    val: XorValue,
}

impl XorDecoder {
    pub(crate) fn new() -> Self {
        XorDecoder {
            pos: HEADER_LEN * 8,
            t: 0,
            t_delta: 0,
            val: XorValue::decoder(0),
        }
    }

    /// Decodes sample number `index` (0-based; called in order).
    pub(crate) fn next(&mut self, data: &[u8], index: u16) -> Result<(i64, u64), Corrupt> {
        let mut r = BitReader::new(data, self.pos);
        match index {
            0 => {
                self.t = r.read_varint()?;
                self.val = XorValue::decoder(r.read_bits(64)?);
            }
            1 => {
                self.t_delta = r.read_uvarint()?;
                self.t = self.t.wrapping_add(self.t_delta as i64);
                self.val.read(&mut r)?;
            }
            _ => {
                let dod = match r.read_unary(4)? {
                    0 => 0,
                    1 => signed_bits(r.read_bits(14)?, 14),
                    2 => signed_bits(r.read_bits(17)?, 17),
                    3 => signed_bits(r.read_bits(20)?, 20),
                    _ => r.read_bits(64)? as i64,
                };
                self.t_delta = (self.t_delta as i64).wrapping_add(dod) as u64;
                self.t = self.t.wrapping_add(self.t_delta as i64);
                self.val.read(&mut r)?;
            }
        }
        self.pos = r.pos;
        Ok((self.t, self.val.v))
    }
}

/// Undoes the two's-complement truncation of a bucket: values above `2^(n-1)` are negative.
#[inline]
fn signed_bits(bits: u64, n: u32) -> i64 {
    if bits > 1 << (n - 1) {
        bits as i64 - (1i64 << n)
    } else {
        bits as i64
    }
}
