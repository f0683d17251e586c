//! Byte-level helpers shared by the index and chunk formats: LEB128 varints, big-endian
//! integers, and a bounds-checked decoder that reports the absolute file offset of whatever it
//! could not decode.
//!
//! Nothing here panics on malformed input: every read checks the remaining length and every
//! integer conversion is checked.

use std::fmt;

/// Appends `v` as an unsigned LEB128 varint (1 to 10 bytes).
pub(crate) fn put_uvarint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// Appends `v` zigzag-encoded as a varint, so small negative numbers stay small.
pub(crate) fn put_varint(buf: &mut Vec<u8>, v: i64) {
    put_uvarint(buf, ((v << 1) ^ (v >> 63)) as u64);
}

/// The number of bytes `put_uvarint` writes for `v`.
pub(crate) fn uvarint_len(v: u64) -> usize {
    let bits = 64 - (v | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Why a decode failed, and where: `offset` is absolute within the file being decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodeError {
    pub(crate) offset: u64,
    pub(crate) msg: String,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.msg)
    }
}

pub(crate) type DecodeResult<T> = std::result::Result<T, DecodeError>;

/// A cursor over a byte slice that knows where the slice sits in its file.
#[derive(Debug, Clone)]
pub(crate) struct Decbuf<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Absolute file offset of `buf[0]`, for error messages.
    base: u64,
}

impl<'a> Decbuf<'a> {
    pub(crate) fn new(buf: &'a [u8], base: u64) -> Self {
        Decbuf { buf, pos: 0, base }
    }

    /// Absolute file offset of the next byte to be read.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Bytes consumed so far.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// An error at the current position.
    pub(crate) fn err(&self, msg: impl Into<String>) -> DecodeError {
        DecodeError {
            offset: self.offset(),
            msg: msg.into(),
        }
    }

    pub(crate) fn byte(&mut self) -> DecodeResult<u8> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| self.err("unexpected end of data"))?;
        self.pos += 1;
        Ok(b)
    }

    pub(crate) fn bytes(&mut self, n: usize) -> DecodeResult<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.err(format!("need {n} bytes, only {} left", self.remaining())));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub(crate) fn be_u32(&mut self) -> DecodeResult<u32> {
        let b = self.bytes(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn be_u64(&mut self) -> DecodeResult<u64> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }

    pub(crate) fn uvarint(&mut self) -> DecodeResult<u64> {
        let start = self.pos;
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            if shift == 63 && b > 1 {
                self.pos = start;
                return Err(self.err("varint overflows 64 bits"));
            }
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(v);
            }
        }
        self.pos = start;
        Err(self.err("varint longer than 10 bytes"))
    }

    /// A uvarint that must fit in a `u32`.
    pub(crate) fn uvarint32(&mut self) -> DecodeResult<u32> {
        let at = self.offset();
        let v = self.uvarint()?;
        u32::try_from(v).map_err(|_| DecodeError {
            offset: at,
            msg: format!("value {v} does not fit in 32 bits"),
        })
    }

    /// A uvarint used as a length or count, which cannot exceed the bytes left (each item
    /// takes at least one byte), so a corrupt count never triggers a huge allocation.
    pub(crate) fn count(&mut self) -> DecodeResult<usize> {
        let at = self.offset();
        let v = self.uvarint()?;
        match usize::try_from(v) {
            Ok(n) if n <= self.remaining() => Ok(n),
            _ => Err(DecodeError {
                offset: at,
                msg: format!("count {v} exceeds the {} bytes left", self.remaining()),
            }),
        }
    }

    pub(crate) fn varint(&mut self) -> DecodeResult<i64> {
        let u = self.uvarint()?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip() {
        let vals = [0u64, 1, 127, 128, 16383, 16384, u32::MAX as u64, u64::MAX];
        let mut buf = Vec::new();
        for &v in &vals {
            let before = buf.len();
            put_uvarint(&mut buf, v);
            assert_eq!(buf.len() - before, uvarint_len(v), "len of {v}");
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX, -15000] {
            put_varint(&mut buf, v);
        }
        let mut d = Decbuf::new(&buf, 0);
        for &v in &vals {
            assert_eq!(d.uvarint().unwrap(), v);
        }
        for v in [0i64, -1, 1, i64::MIN, i64::MAX, -15000] {
            assert_eq!(d.varint().unwrap(), v);
        }
        assert!(d.is_empty());
        assert!(d.byte().is_err());
    }

    #[test]
    fn malformed_varints_are_errors() {
        let over = [0xffu8; 11];
        assert!(Decbuf::new(&over, 0).uvarint().is_err());
        let mut ten = [0xffu8; 10];
        ten[9] = 0x02;
        assert!(Decbuf::new(&ten, 0).uvarint().is_err());
        assert!(Decbuf::new(&[0x80], 0).uvarint().is_err());
        let e = Decbuf::new(&[0x05], 100).count().unwrap_err();
        assert_eq!(e.offset, 100);
    }
}
