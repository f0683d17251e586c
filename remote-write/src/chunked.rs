//! Framing of `STREAMED_XOR_CHUNKS` remote read responses, as Prometheus's
//! `storage/remote/chunked.go` writes and reads it.
//!
//! Each frame is:
//!
//! ```text
//! ┌──────────────────────┬──────────────────────────────┬─────────────────────────┐
//! │ len: uvarint         │ crc: u32 big-endian          │ message: len bytes      │
//! │ (of message bytes)   │ CRC32-Castagnoli of message  │ ChunkedReadResponse     │
//! └──────────────────────┴──────────────────────────────┴─────────────────────────┘
//! ```
//!
//! Frames follow each other with nothing in between; the response ends with the HTTP body. Frames
//! are not compressed. A zero-length message is not written at all (as in Prometheus).

use std::io::{self, Read};

use prost::Message;

use crate::error::{Error, Result};
use crate::read::ChunkedReadResponse;

/// Default frame limit for [`ChunkedReader::new`]: Prometheus's client uses 50 MB.
pub const DEFAULT_MAX_FRAME_BYTES: u64 = 50 << 20;

/// Appends `msg` to `out` as one frame: uvarint length, big-endian CRC32-Castagnoli, message.
///
/// Encodes in place (no temporary buffer). An empty message (no series, query index 0) encodes
/// to zero bytes and, like Prometheus, writes nothing.
pub fn write_chunked_frame(out: &mut Vec<u8>, msg: &ChunkedReadResponse) {
    let len = msg.encoded_len();
    if len == 0 {
        return;
    }
    let frame_start = out.len();
    out.reserve(prost::length_delimiter_len(len) + 4 + len);
    put_uvarint(out, len as u64);
    let crc_at = out.len();
    out.extend_from_slice(&[0; 4]);
    let body_at = out.len();
    if msg.encode(out).is_err() {
        // Only fails when the buffer cannot grow, which a `Vec` always can.
        out.truncate(frame_start);
        return;
    }
    let crc = crc32c::crc32c(out.get(body_at..).unwrap_or_default());
    if let Some(slot) = out.get_mut(crc_at..body_at) {
        slot.copy_from_slice(&crc.to_be_bytes());
    }
}

/// Appends already encoded message bytes as one frame (nothing for an empty slice).
pub fn write_frame(out: &mut Vec<u8>, message: &[u8]) {
    if message.is_empty() {
        return;
    }
    put_uvarint(out, message.len() as u64);
    out.extend_from_slice(&crc32c::crc32c(message).to_be_bytes());
    out.extend_from_slice(message);
}

fn put_uvarint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads frames written by [`write_chunked_frame`] (or Prometheus) from a byte stream, checking each
/// frame's size limit and checksum. Wrap network streams in a `BufReader`: the length is read a
/// byte at a time.
///
/// As an iterator it yields decoded messages and stops after the first error.
#[derive(Debug)]
pub struct ChunkedReader<R> {
    reader: R,
    max_frame_bytes: u64,
    buf: Vec<u8>,
    failed: bool,
}

impl<R: Read> ChunkedReader<R> {
    /// A reader rejecting frames larger than [`DEFAULT_MAX_FRAME_BYTES`].
    pub fn new(reader: R) -> Self {
        Self::with_limit(reader, DEFAULT_MAX_FRAME_BYTES)
    }

    /// A reader rejecting frames larger than `max_frame_bytes`.
    pub fn with_limit(reader: R, max_frame_bytes: u64) -> Self {
        Self {
            reader,
            max_frame_bytes,
            buf: Vec::new(),
            failed: false,
        }
    }

    /// The next frame's verified message bytes, or `None` at a clean end of stream.
    ///
    /// Errors: [`Error::FrameTooLarge`] before reading an oversized frame, [`Error::FrameChecksum`],
    /// [`Error::FrameCorrupt`] for a stream ending inside a frame or a malformed length, and
    /// [`Error::Io`]. The slice is valid until the next call.
    pub fn next_frame(&mut self) -> Result<Option<&[u8]>> {
        let Some(size) = self.read_uvarint()? else {
            return Ok(None);
        };
        if size > self.max_frame_bytes {
            return Err(Error::FrameTooLarge {
                size,
                limit: self.max_frame_bytes,
            });
        }
        let size = usize::try_from(size).map_err(|_| Error::FrameTooLarge {
            size,
            limit: self.max_frame_bytes,
        })?;
        let mut crc = [0; 4];
        read_exact(
            &mut self.reader,
            &mut crc,
            "stream ends inside a frame checksum",
        )?;
        let expected = u32::from_be_bytes(crc);
        self.buf.clear();
        self.buf.resize(size, 0);
        read_exact(
            &mut self.reader,
            &mut self.buf,
            "stream ends inside a frame",
        )?;
        let actual = crc32c::crc32c(&self.buf);
        if actual != expected {
            return Err(Error::FrameChecksum { expected, actual });
        }
        Ok(Some(&self.buf))
    }

    /// The next frame decoded as a [`ChunkedReadResponse`], or `None` at a clean end of stream.
    pub fn next_message(&mut self) -> Result<Option<ChunkedReadResponse>> {
        match self.next_frame()? {
            Some(bytes) => Ok(Some(ChunkedReadResponse::decode(bytes)?)),
            None => Ok(None),
        }
    }

    /// Gives back the underlying reader.
    pub fn into_inner(self) -> R {
        self.reader
    }

    /// A uvarint, or `None` if the stream ends before its first byte.
    fn read_uvarint(&mut self) -> Result<Option<u64>> {
        let mut value = 0u64;
        for i in 0..10 {
            let mut byte = [0u8];
            loop {
                match self.reader.read(&mut byte) {
                    Ok(0) if i == 0 => return Ok(None),
                    Ok(0) => return Err(Error::FrameCorrupt("stream ends inside a frame length")),
                    Ok(_) => break,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e.into()),
                }
            }
            let [b] = byte;
            if i == 9 && b > 1 {
                return Err(Error::FrameCorrupt("frame length overflows 64 bits"));
            }
            value |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return Ok(Some(value));
            }
        }
        Err(Error::FrameCorrupt("frame length overflows 64 bits"))
    }
}

fn read_exact(reader: &mut impl Read, buf: &mut [u8], eof: &'static str) -> Result<()> {
    reader.read_exact(buf).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => Error::FrameCorrupt(eof),
        _ => Error::Io(e),
    })
}

impl<R: Read> Iterator for ChunkedReader<R> {
    type Item = Result<ChunkedReadResponse>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.next_message().transpose();
        self.failed = matches!(item, Some(Err(_)));
        item
    }
}

#[cfg(test)]
mod tests;
