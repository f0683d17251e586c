//! The bit stream under both encodings: a writer that ORs whole big-endian `u64` words into a
//! zero-padded buffer, and a reader that loads whole words back. Bits are written most
//! significant first, as Prometheus's `bstream` does, so the XOR encoding stays byte-compatible.

/// Zero bytes kept past the last byte in use, so that any write of up to 64 bits at any bit
/// offset can OR one `u64` word plus one byte into place without a bounds branch per bit.
const PAD: usize = 9;

/// Appends bits to a growable buffer. The first `header_len` bytes are a header the owner
/// fills in with [`BitWriter::header_mut`].
#[derive(Debug, Clone, Default)]
pub(crate) struct BitWriter {
    /// Written bytes followed by at least `PAD - 1` zero bytes.
    buf: Vec<u8>,
    /// Number of bits written, header included.
    bits: usize,
}

impl BitWriter {
    pub(crate) fn new(header_len: usize, capacity: usize) -> Self {
        let mut buf = Vec::with_capacity(capacity.max(header_len + PAD));
        buf.resize(header_len + PAD, 0);
        BitWriter {
            buf,
            bits: header_len * 8,
        }
    }

    /// Number of bits written so far, header included.
    pub(crate) fn bit_len(&self) -> usize {
        self.bits
    }

    /// The written bytes, the last one zero-filled past the last bit, plus `extra` zero bytes
    /// (at most 8).
    pub(crate) fn bytes(&self, extra: usize) -> &[u8] {
        // After any write at least PAD - 1 zero bytes follow the last byte in use.
        let end = self.bits.div_ceil(8) + extra.min(PAD - 1);
        &self.buf[..end.min(self.buf.len())]
    }

    pub(crate) fn header_mut(&mut self) -> &mut [u8] {
        &mut self.buf[..]
    }

    /// The written bytes plus `extra` zero bytes (at most 8), without spare capacity.
    pub(crate) fn into_bytes(mut self, extra: usize) -> Vec<u8> {
        self.buf
            .resize(self.bits.div_ceil(8) + extra.min(PAD - 1), 0);
        self.buf.shrink_to_fit();
        self.buf
    }

    /// Drops every bit from bit `bits` on (zeroing them), so that they can be written again.
    pub(crate) fn truncate(&mut self, bits: usize) {
        debug_assert!(bits <= self.bits);
        let end = self.bits.div_ceil(8);
        let i = bits >> 3;
        let from = if bits & 7 != 0 {
            self.buf[i] &= !(0xffu8 >> (bits & 7));
            i + 1
        } else {
            i
        };
        if from < end {
            self.buf[from..end].fill(0);
        }
        self.bits = bits;
    }

    #[inline]
    fn reserve_word(&mut self) -> usize {
        let i = self.bits >> 3;
        if self.buf.len() < i + PAD {
            // Grow by several bytes at once; `Vec` doubles its capacity underneath.
            self.buf.resize(i + PAD + 7, 0);
        }
        i
    }

    #[inline]
    pub(crate) fn write_bit(&mut self, bit: bool) {
        let i = self.reserve_word();
        if bit {
            self.buf[i] |= 0x80 >> (self.bits & 7);
        }
        self.bits += 1;
    }

    /// Writes the `n` low bits of `value`, most significant first. `n` is 0..=64 and the bits
    /// of `value` above `n` must be zero.
    #[inline]
    pub(crate) fn write_bits(&mut self, value: u64, n: u32) {
        debug_assert!(n <= 64);
        debug_assert!(
            n == 64 || value >> n == 0,
            "value {value:#x} wider than {n} bits"
        );
        if n == 0 {
            return;
        }
        let i = self.reserve_word();
        let free = 64 - (self.bits & 7) as u32;
        let mut word = [0u8; 8];
        word.copy_from_slice(&self.buf[i..i + 8]);
        let mut x = u64::from_be_bytes(word);
        if n <= free {
            x |= value << (free - n);
            self.buf[i..i + 8].copy_from_slice(&x.to_be_bytes());
        } else {
            // Only the first `free` bits fit in this word; the rest (1..=7 bits) go to the
            // next byte.
            let rest = n - free;
            x |= value >> rest;
            self.buf[i..i + 8].copy_from_slice(&x.to_be_bytes());
            self.buf[i + 8] |= (value << (8 - rest)) as u8;
        }
        self.bits += n as usize;
    }

    /// Writes `x` as an unsigned LEB128 varint (Go's `binary.PutUvarint`), 8 bits per group.
    pub(crate) fn write_uvarint(&mut self, mut x: u64) {
        while x >= 0x80 {
            self.write_bits((x & 0x7f) | 0x80, 8);
            x >>= 7;
        }
        self.write_bits(x, 8);
    }

    /// Writes `x` zigzag-encoded as a varint (Go's `binary.PutVarint`).
    pub(crate) fn write_varint(&mut self, x: i64) {
        self.write_uvarint(zigzag(x));
    }
}

/// Maps signed to unsigned so that small magnitudes stay small: 0, -1, 1, -2, ... → 0, 1, 2, 3.
#[inline]
pub(crate) fn zigzag(x: i64) -> u64 {
    ((x << 1) ^ (x >> 63)) as u64
}

#[inline]
pub(crate) fn unzigzag(z: u64) -> i64 {
    ((z >> 1) as i64) ^ -((z & 1) as i64)
}

/// The stream ended before the bits being read, or a varint overflowed 64 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Truncated;

/// Reads bits from a byte slice. The position is kept by the caller between calls so that
/// iterators can own their bytes behind any `AsRef<[u8]>`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    /// Position in bits from the start of `data`.
    pub(crate) pos: usize,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(data: &'a [u8], pos: usize) -> Self {
        BitReader { data, pos }
    }

    #[inline]
    fn word_at(&self, i: usize) -> u64 {
        match self.data.get(i..i + 8) {
            Some(w) => {
                let mut word = [0u8; 8];
                word.copy_from_slice(w);
                u64::from_be_bytes(word)
            }
            None => {
                let mut word = [0u8; 8];
                let tail = self.data.get(i..).unwrap_or(&[]);
                word[..tail.len()].copy_from_slice(tail);
                u64::from_be_bytes(word)
            }
        }
    }

    #[inline]
    pub(crate) fn read_bit(&mut self) -> Result<bool, Truncated> {
        let byte = self.data.get(self.pos >> 3).ok_or(Truncated)?;
        let bit = (byte >> (7 - (self.pos & 7))) & 1 == 1;
        self.pos += 1;
        Ok(bit)
    }

    /// Reads `n` bits (0..=64) into the low bits of the result.
    #[inline]
    pub(crate) fn read_bits(&mut self, n: u32) -> Result<u64, Truncated> {
        debug_assert!(n <= 64);
        if n == 0 {
            return Ok(0);
        }
        let end = self.pos + n as usize;
        if end > self.data.len() * 8 {
            return Err(Truncated);
        }
        let i = self.pos >> 3;
        let off = (self.pos & 7) as u32;
        let x = self.word_at(i);
        let v = if off + n <= 64 {
            (x << off) >> (64 - n)
        } else {
            let rest = off + n - 64;
            let next = u64::from(self.data[i + 8]);
            (((x << off) >> off) << rest) | (next >> (8 - rest))
        };
        self.pos = end;
        Ok(v)
    }

    /// Counts `1` bits before the next `0`, consuming them and the `0`, up to `max` ones
    /// (then no `0` is consumed). Returns the count.
    #[inline]
    pub(crate) fn read_unary(&mut self, max: u32) -> Result<u32, Truncated> {
        let avail = self.data.len() * 8 - self.pos.min(self.data.len() * 8);
        let x = self.word_at(self.pos >> 3) << (self.pos & 7);
        let ones = (!x).leading_zeros().min(64 - (self.pos & 7) as u32);
        if ones >= max && (max as usize) <= avail {
            self.pos += max as usize;
            return Ok(max);
        }
        if (ones as usize) < avail && ones < 64 - (self.pos & 7) as u32 {
            // The terminating zero is inside the loaded word and inside the data.
            self.pos += ones as usize + 1;
            return Ok(ones);
        }
        // Slow path: bit by bit.
        let mut q = 0;
        while q < max {
            if !self.read_bit()? {
                return Ok(q);
            }
            q += 1;
        }
        Ok(q)
    }

    pub(crate) fn read_uvarint(&mut self) -> Result<u64, Truncated> {
        let mut x = 0u64;
        for i in 0..10 {
            let b = self.read_bits(8)?;
            if b < 0x80 {
                if i == 9 && b > 1 {
                    return Err(Truncated);
                }
                return Ok(x | (b << (7 * i)));
            }
            x |= (b & 0x7f) << (7 * i);
        }
        Err(Truncated)
    }

    pub(crate) fn read_varint(&mut self) -> Result<i64, Truncated> {
        self.read_uvarint().map(unzigzag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_round_trip_at_every_offset_and_width() {
        let mut w = BitWriter::new(0, 0);
        let mut expect = Vec::new();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for n in 0..=64u32 {
            for _ in 0..9 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let v = if n == 64 { x } else { x & ((1u64 << n) - 1) };
                w.write_bits(v, n);
                expect.push((v, n));
                w.write_bit(n % 2 == 0);
                expect.push((u64::from(n % 2 == 0), 1));
            }
        }
        let bytes = w.bytes(0).to_vec();
        let mut r = BitReader::new(&bytes, 0);
        for (v, n) in expect {
            assert_eq!(r.read_bits(n), Ok(v), "width {n}");
        }
        assert_eq!(r.pos, w.bit_len());
        assert_eq!(bytes.len(), w.bit_len().div_ceil(8));
    }

    #[test]
    fn varints_match_go_encoding() {
        let mut w = BitWriter::new(0, 0);
        w.write_uvarint(300);
        w.write_varint(-1);
        w.write_varint(63);
        w.write_varint(-64);
        w.write_uvarint(u64::MAX);
        let b = w.bytes(0).to_vec();
        assert_eq!(&b[..5], &[0xac, 0x02, 0x01, 0x7e, 0x7f]);
        assert_eq!(
            &b[5..],
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
        );
        let mut r = BitReader::new(&b, 0);
        assert_eq!(r.read_uvarint(), Ok(300));
        assert_eq!(r.read_varint(), Ok(-1));
        assert_eq!(r.read_varint(), Ok(63));
        assert_eq!(r.read_varint(), Ok(-64));
        assert_eq!(r.read_uvarint(), Ok(u64::MAX));
        assert_eq!(r.read_uvarint(), Err(Truncated));
        // An eleventh group, or a tenth above 1, overflows.
        let over = [0xffu8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        assert_eq!(BitReader::new(&over, 0).read_uvarint(), Err(Truncated));
    }

    #[test]
    fn unary_reads_across_words_and_stops_at_max() {
        let mut w = BitWriter::new(0, 0);
        w.write_bits(0b100, 3);
        w.write_bits(u64::MAX >> 1, 63);
        w.write_bit(false);
        w.write_bits(0b1111, 4);
        let b = w.bytes(0).to_vec();
        let mut r = BitReader::new(&b, 0);
        assert_eq!(r.read_unary(20), Ok(1));
        assert_eq!(r.read_unary(20), Ok(0));
        assert_eq!(r.read_unary(100), Ok(63));
        assert_eq!(r.read_unary(3), Ok(3));
        assert_eq!(r.read_unary(3), Ok(1));
        assert_eq!(r.read_unary(3), Err(Truncated));
    }

    #[test]
    fn zigzag_round_trips_extremes() {
        for x in [0, 1, -1, 2, -2, i64::MAX, i64::MIN, i64::MIN + 1] {
            assert_eq!(unzigzag(zigzag(x)), x);
        }
        assert_eq!(zigzag(-1), 1);
        assert_eq!(zigzag(1), 2);
    }
}
