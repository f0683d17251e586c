//! Which series still hold samples once their tombstones are applied.
//!
//! Only series with tombstones need a look: a series without any is judged as before, from
//! chunk bounds. For a series with tombstones, a chunk whose part in the range is entirely
//! deleted is skipped without reading it, one untouched by the tombstones counts as holding
//! samples, and only a partly deleted chunk is decoded.

use super::{decode_range, storage_err};
use crate::tsdb::block::{Block, ChunkMeta};
use crate::tsdb::chunkenc::Encoding;
use crate::tsdb::head::{Head, SeriesData};
use crate::tsdb::tombstones::{Intervals, Tombstones};
use promql::StorageError;
use roaring::RoaringBitmap;

/// Whether a head series keeps a sample in `[mint, maxt]` outside `deleted`.
pub(super) fn head_series_live(d: &SeriesData, deleted: &Intervals, mint: i64, maxt: i64) -> bool {
    if !d.overlaps(mint, maxt) || deleted.covers(mint, maxt) {
        return false;
    }
    let mut samples = Vec::new();
    d.samples_in(mint, maxt, &mut samples);
    samples.iter().any(|s| !deleted.contains(s.0))
}

/// Whether a block series with `chunks` keeps a sample in `[mint, maxt]` outside `deleted`.
pub(super) fn block_series_live(
    b: &Block,
    chunks: &[ChunkMeta],
    deleted: &Intervals,
    mint: i64,
    maxt: i64,
) -> Result<bool, StorageError> {
    let mut buf = Vec::new();
    for c in chunks.iter().filter(|c| c.maxt >= mint && c.mint <= maxt) {
        let (lo, hi) = (c.mint.max(mint), c.maxt.min(maxt));
        if deleted.covers(lo, hi) {
            continue;
        }
        if !deleted.overlaps(lo, hi) {
            return Ok(true);
        }
        let (enc, data) = b.read_chunk(c).map_err(storage_err)?;
        let enc = Encoding::from_u8(enc)
            .ok_or_else(|| StorageError::Corrupt(format!("unknown chunk encoding {enc}")))?;
        buf.clear();
        decode_range(enc, &data, lo, hi, &mut buf)?;
        if buf.iter().any(|s| !deleted.contains(s.0)) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The series of `selected` (head ids) whose every sample in `[mint, maxt]` is deleted.
pub(super) fn head_dead(
    head: &Head,
    stones: &Tombstones,
    selected: &RoaringBitmap,
    mint: i64,
    maxt: i64,
) -> RoaringBitmap {
    stones
        .iter()
        .filter(|(id, _)| selected.contains(*id))
        .filter(|(id, ivs)| {
            head.series(*id)
                .is_some_and(|s| !head_series_live(&s.lock(), ivs, mint, maxt))
        })
        .map(|(id, _)| id)
        .collect()
}

/// The series of `selected` (ids of `b`) whose every sample in `[mint, maxt]` is deleted.
pub(super) fn block_dead(
    b: &Block,
    stones: &Tombstones,
    selected: &RoaringBitmap,
    mint: i64,
    maxt: i64,
) -> Result<RoaringBitmap, StorageError> {
    let mut dead = RoaringBitmap::new();
    for (id, ivs) in stones.iter().filter(|(id, _)| selected.contains(*id)) {
        let (_, chunks) = b.series(id).map_err(storage_err)?;
        if !block_series_live(b, &chunks, ivs, mint, maxt)? {
            dead.insert(id);
        }
    }
    Ok(dead)
}
