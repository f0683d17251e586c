//! The symbol table's payload: every distinct label string once, sorted, front-coded
//! (`[shared prefix len][suffix len][suffix]` per string). A symbol's id is its position.

use super::encoding::{Decbuf, DecodeResult, put_uvarint};
use super::index_reader::Section;

/// Encodes strings given in strictly increasing order.
pub(crate) fn encode_symbols<'a>(sorted: impl ExactSizeIterator<Item = &'a str>) -> Vec<u8> {
    let mut out = Vec::new();
    put_uvarint(&mut out, sorted.len() as u64);
    let mut prev: &[u8] = &[];
    for s in sorted {
        let s = s.as_bytes();
        let shared = s.iter().zip(prev).take_while(|(a, b)| a == b).count();
        put_uvarint(&mut out, shared as u64);
        put_uvarint(&mut out, (s.len() - shared) as u64);
        out.extend_from_slice(&s[shared..]);
        prev = s;
    }
    out
}

/// Front-coded, strictly increasing UTF-8 strings.
pub(crate) fn decode_symbols((payload, base): Section<'_>) -> DecodeResult<Vec<String>> {
    let mut d = Decbuf::new(payload, base);
    let n = d.count()?;
    let mut out: Vec<String> = Vec::with_capacity(n);
    let mut prev: Vec<u8> = Vec::new();
    for _ in 0..n {
        let shared = d.count()?;
        let suffix_len = d.count()?;
        if shared > prev.len() {
            return Err(d.err("symbol shares more bytes than the previous one has"));
        }
        prev.truncate(shared);
        prev.extend_from_slice(d.bytes(suffix_len)?);
        let s = std::str::from_utf8(&prev).map_err(|_| d.err("symbol is not UTF-8"))?;
        if out.last().is_some_and(|p| p.as_str() >= s) {
            return Err(d.err("symbols not strictly increasing"));
        }
        out.push(s.to_string());
    }
    if !d.is_empty() {
        return Err(d.err("trailing bytes after symbols"));
    }
    Ok(out)
}
