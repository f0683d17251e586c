//! A minimal borrowing protobuf reader for the write hot path.
//!
//! `prost` decodes every label into two owned `String`s; at a million samples per second that is
//! tens of millions of allocations. The write decoder instead walks the wire format with this
//! reader, borrowing strings from the decompressed body. It understands the wire types proto3
//! messages use (varint, 64-bit, length-delimited, 32-bit) and rejects groups, which no remote
//! write message contains.

/// Why the bytes are not a protobuf message; becomes `Error::Malformed`.
pub(crate) type WireError = &'static str;

/// One field's value, by wire type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 1.
    Fixed64(u64),
    /// Wire type 2: sub-message, string, bytes or packed repeated scalars.
    Bytes(&'a [u8]),
    /// Wire type 5.
    Fixed32(u32),
}

/// Iterates over the fields of one message.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    /// True once every field has been read.
    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The next `(field number, value)`, or `None` at the end of the message.
    #[inline]
    pub(crate) fn next_field(&mut self) -> Result<Option<(u32, Value<'a>)>, WireError> {
        if self.buf.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let key = u32::try_from(key).map_err(|_| "field key overflows 32 bits")?;
        let field = key >> 3;
        if field == 0 {
            return Err("field number 0");
        }
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => Value::Fixed64(u64::from_le_bytes(self.take_array()?)),
            2 => {
                let len = self.varint()?;
                let len = usize::try_from(len).map_err(|_| "length overflows usize")?;
                if len > self.buf.len() {
                    return Err("length-delimited field runs past the end of its message");
                }
                let (bytes, rest) = self.buf.split_at(len);
                self.buf = rest;
                Value::Bytes(bytes)
            }
            3 | 4 => return Err("groups are not supported"),
            5 => Value::Fixed32(u32::from_le_bytes(self.take_array()?)),
            _ => return Err("invalid wire type"),
        };
        Ok(Some((field, value)))
    }

    /// Reads one base-128 varint (at most 10 bytes, at most 64 bits).
    #[inline]
    pub(crate) fn varint(&mut self) -> Result<u64, WireError> {
        // Keys, lengths and small numbers are one byte.
        if let Some((&byte, rest)) = self.buf.split_first().filter(|(b, _)| **b < 0x80) {
            self.buf = rest;
            return Ok(u64::from(byte));
        }
        let mut value = 0u64;
        for (i, &byte) in self.buf.iter().enumerate().take(10) {
            if i == 9 && byte > 1 {
                return Err("varint overflows 64 bits");
            }
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte < 0x80 {
                // `i` indexes `self.buf`, so `i + 1 <= len`.
                self.buf = &self.buf[i + 1..];
                return Ok(value);
            }
        }
        Err("truncated varint")
    }

    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let (head, rest) = self
            .buf
            .split_first_chunk::<N>()
            .ok_or("truncated fixed-width field")?;
        self.buf = rest;
        Ok(*head)
    }
}

/// Interprets a field as a UTF-8 string.
#[inline]
pub(crate) fn string(value: Value<'_>) -> Result<&str, WireError> {
    match value {
        Value::Bytes(b) => std::str::from_utf8(b).map_err(|_| "string field is not valid UTF-8"),
        _ => Err("string field with a non-length-delimited wire type"),
    }
}

/// Interprets a field as an embedded message.
#[inline]
pub(crate) fn message(value: Value<'_>) -> Result<&[u8], WireError> {
    match value {
        Value::Bytes(b) => Ok(b),
        _ => Err("message field with a non-length-delimited wire type"),
    }
}

/// Interprets a field as a varint scalar (int32/int64/uint32/uint64/enum/bool).
#[inline]
pub(crate) fn varint(value: Value<'_>) -> Result<u64, WireError> {
    match value {
        Value::Varint(v) => Ok(v),
        _ => Err("varint field with another wire type"),
    }
}

/// Interprets a field as a `double`.
#[inline]
pub(crate) fn double(value: Value<'_>) -> Result<f64, WireError> {
    match value {
        Value::Fixed64(v) => Ok(f64::from_bits(v)),
        _ => Err("double field with a non-64-bit wire type"),
    }
}

/// Calls `f` for each element of a repeated varint field, packed (one length-delimited run) or not.
#[inline]
pub(crate) fn repeated_varint(value: Value<'_>, mut f: impl FnMut(u64)) -> Result<(), WireError> {
    match value {
        Value::Varint(v) => f(v),
        Value::Bytes(packed) => {
            let mut r = Reader::new(packed);
            while !r.is_empty() {
                f(r.varint()?);
            }
        }
        _ => return Err("repeated varint field with a 32/64-bit wire type"),
    }
    Ok(())
}
