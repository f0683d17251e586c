//! One postings list: the ascending series ids of a label pair, stored as a delta list or a
//! portable roaring bitmap, whichever is smaller.

use super::encoding::{Decbuf, DecodeResult, put_uvarint};
use roaring::RoaringBitmap;

/// Postings list tag for a roaring bitmap; even tags are `count << 1` of a delta list.
pub(crate) const POSTINGS_ROARING: u64 = 1;

/// Appends one postings list, as a delta list or a roaring bitmap, whichever is smaller.
/// Delta list: uvarint `count << 1`, then the first id and each following `id - prev - 1`.
/// Roaring: uvarint 1, then the bitmap in the portable roaring format (runs optimized).
pub(crate) fn encode_postings(out: &mut Vec<u8>, bm: &mut RoaringBitmap) -> std::io::Result<()> {
    let start = out.len();
    put_uvarint(out, bm.len() << 1);
    let mut prev: Option<u32> = None;
    for id in bm.iter() {
        put_uvarint(out, u64::from(prev.map_or(id, |p| id - p - 1)));
        prev = Some(id);
    }
    let list_len = out.len() - start;
    bm.optimize();
    if bm.serialized_size() + 1 < list_len {
        out.truncate(start);
        put_uvarint(out, POSTINGS_ROARING);
        bm.serialize_into(&mut *out)?;
    }
    Ok(())
}

/// Decodes a list whose ids must all be below `num_series`.
pub(crate) fn decode_postings(mut d: Decbuf<'_>, num_series: u64) -> DecodeResult<RoaringBitmap> {
    let tag = d.uvarint()?;
    let bm = if tag == POSTINGS_ROARING {
        let mut rest = d.bytes(d.remaining())?;
        let bm = RoaringBitmap::deserialize_from(&mut rest)
            .map_err(|e| d.err(format!("bad roaring postings: {e}")))?;
        if !rest.is_empty() {
            return Err(d.err("trailing bytes after roaring postings"));
        }
        bm
    } else if tag & 1 == 1 {
        return Err(d.err(format!("unknown postings tag {tag}")));
    } else {
        let n = tag >> 1;
        if n > d.remaining() as u64 {
            return Err(d.err("postings count exceeds the list's bytes"));
        }
        let mut ids = Vec::with_capacity(n as usize);
        let mut prev: Option<u64> = None;
        for _ in 0..n {
            let delta = d.uvarint()?;
            let id = match prev {
                None => Some(delta),
                Some(p) => p.checked_add(delta).and_then(|x| x.checked_add(1)),
            };
            let id = id
                .filter(|&id| id < num_series)
                .ok_or_else(|| d.err("series id out of range"))?;
            ids.push(id as u32);
            prev = Some(id);
        }
        if !d.is_empty() {
            return Err(d.err("trailing bytes after postings"));
        }
        // Strictly increasing by construction.
        RoaringBitmap::from_sorted_iter(ids).map_err(|_| d.err("unsorted postings"))?
    };
    if bm.is_empty() || bm.max().is_some_and(|m| u64::from(m) >= num_series) {
        return Err(d.err("postings empty or out of range"));
    }
    Ok(bm)
}
