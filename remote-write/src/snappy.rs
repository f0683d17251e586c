//! Snappy block format (not the framed stream format), with decompression-bomb protection.

use crate::error::{Error, Result};

/// Decompresses a snappy block into `out` (cleared first, capacity reused).
///
/// The decompressed length announced in the block header is checked against `limit` before `out`
/// grows, so a tiny body announcing gigabytes costs nothing. An empty input is an error, as in Go's
/// snappy: even an empty message compresses to one byte.
pub fn decompress_into(input: &[u8], limit: usize, out: &mut Vec<u8>) -> Result<()> {
    out.clear();
    let size = snap::raw::decompress_len(input)?;
    if size > limit {
        return Err(Error::TooLarge { size, limit });
    }
    out.resize(size, 0);
    let n = snap::raw::Decoder::new().decompress(input, out)?;
    out.truncate(n);
    Ok(())
}

/// Decompresses a snappy block into a new buffer; see [`decompress_into`].
pub fn decompress(input: &[u8], limit: usize) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    decompress_into(input, limit, &mut out)?;
    Ok(out)
}

/// Compresses `raw` as one snappy block. Fails only for inputs of 4 GiB or more.
pub fn compress(raw: &[u8]) -> Result<Vec<u8>> {
    Ok(snap::raw::Encoder::new().compress_vec(raw)?)
}
