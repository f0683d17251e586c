//! One iterator for both encodings, implementing the query side's [`SampleIterator`].

use super::Encoding;
use super::strata::StrataDecoder;
use super::xor::{Corrupt, XorDecoder};
use promql::SampleIterator;
use promql::storage::StorageError;
use std::fmt;

#[derive(Debug, Clone)]
enum Decoder {
    Xor(XorDecoder),
    Strata(StrataDecoder),
    /// The header could not be read; `err` says why.
    Broken,
}

/// Iterates the samples of one chunk of either encoding, decoding as it goes.
///
/// Corrupt or truncated data never panics: iteration stops and [`SampleIterator::err`] returns
/// `StorageError::Corrupt`. Samples decoded before the damage were returned normally.
/// `seek` decodes forward (a chunk has no index); seeking backwards stays put.
pub struct ChunkIterator<B: AsRef<[u8]> + Send> {
    data: B,
    enc: Encoding,
    dec: Decoder,
    total: u16,
    read: u16,
    t: i64,
    v: f64,
    /// `next` or `seek` returned true last.
    valid: bool,
    err: Option<StorageError>,
}

/// Starts iterating a chunk; nothing is decoded until `next` or `seek`.
pub fn iter_chunk<B: AsRef<[u8]> + Send>(enc: Encoding, data: B) -> ChunkIterator<B> {
    let bytes = data.as_ref();
    let total = super::num_samples(bytes) as u16; // at most u16::MAX by construction
    let (dec, err) = match enc {
        _ if bytes.len() < 2 => (Decoder::Broken, Some("chunk shorter than its header")),
        Encoding::Xor => (Decoder::Xor(XorDecoder::new()), None),
        Encoding::Strata => match StrataDecoder::new(bytes) {
            Ok(d) => (Decoder::Strata(d), None),
            Err(Corrupt(msg)) => (Decoder::Broken, Some(msg)),
        },
    };
    ChunkIterator {
        err: err.map(|msg| StorageError::Corrupt(format!("{enc:?} chunk: {msg}"))),
        data,
        enc,
        dec,
        total,
        read: 0,
        t: 0,
        v: 0.0,
        valid: false,
    }
}

impl<B: AsRef<[u8]> + Send> ChunkIterator<B> {
    /// The number of samples the header announces.
    pub fn num_samples(&self) -> usize {
        usize::from(self.total)
    }

    /// Takes the error out, for callers that need to own it.
    pub fn take_err(&mut self) -> Option<StorageError> {
        self.err.take().inspect(|_| self.total = 0)
    }

    fn fail(&mut self, msg: &str) -> bool {
        self.valid = false;
        self.err = Some(StorageError::Corrupt(format!(
            "{:?} chunk, sample {} of {}: {msg}",
            self.enc,
            u32::from(self.read) + 1,
            self.total
        )));
        false
    }
}

impl<B: AsRef<[u8]> + Send> SampleIterator for ChunkIterator<B> {
    fn next(&mut self) -> bool {
        if self.err.is_some() || self.read >= self.total {
            self.valid = false;
            return false;
        }
        let data = self.data.as_ref();
        let res = match &mut self.dec {
            Decoder::Xor(d) => d.next(data, self.read),
            Decoder::Strata(d) => d.next(data, self.read),
            Decoder::Broken => Err(Corrupt("unreadable header")),
        };
        match res {
            Ok((t, _)) if self.read > 0 && t <= self.t => self.fail("timestamps do not increase"),
            Ok((t, bits)) => {
                self.t = t;
                self.v = f64::from_bits(bits);
                self.read += 1;
                self.valid = true;
                true
            }
            Err(Corrupt(msg)) => self.fail(msg),
        }
    }

    fn seek(&mut self, t: i64) -> bool {
        if self.valid && self.t >= t {
            return true;
        }
        if !self.valid && self.read > 0 {
            return false; // exhausted or failed
        }
        while self.next() {
            if self.t >= t {
                return true;
            }
        }
        false
    }

    fn at(&self) -> (i64, f64) {
        (self.t, self.v)
    }

    fn started(&self) -> bool {
        self.valid
    }

    fn err(&self) -> Option<&StorageError> {
        self.err.as_ref()
    }
}

impl<B: AsRef<[u8]> + Send> fmt::Debug for ChunkIterator<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkIterator")
            .field("enc", &self.enc)
            .field("len", &self.data.as_ref().len())
            .field("total", &self.total)
            .field("read", &self.read)
            .field("at", &(self.valid).then_some((self.t, self.v)))
            .field("err", &self.err)
            .finish()
    }
}
