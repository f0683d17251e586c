//! [`compact`]: merges blocks into one new block.
//!
//! Series are merged in label order with a k-way merge over the inputs' series ids (which are
//! in label order). Within a series, chunks from all inputs are sorted by `mint` and grouped
//! into runs of transitively overlapping chunks. A run of one chunk is copied byte for byte;
//! a run of several is decoded, merged sample by sample and re-encoded. When two inputs hold a
//! sample at the same timestamp, the sample of the input with the greater
//! `(max_time, id)` wins: the block covering later time, or at equal range the newer block.
//!
//! Tombstones of the inputs are applied on the way: a chunk touched by a deleted interval is
//! decoded and its surviving samples re-encoded, a series left with nothing is not written,
//! and the output block has no tombstones. [`rewrite`] uses the same path to purge one block.

use super::meta::{BlockDesc, BlockMeta};
use super::reader::Block;
use super::writer::BlockWriter;
use super::{ChunkData, ChunkMeta, Error, Result};
use crate::tsdb::chunkenc::{self, Encoding, StrataAppender, TARGET_SAMPLES_PER_CHUNK};
use crate::tsdb::tombstones::{Intervals, Tombstones};
use promql::{Labels, SampleIterator};
use std::path::Path;
use std::sync::Arc;

/// Merges `blocks` into one new block in `data_dir` covering `[min, max)` of all their ranges,
/// with `level = max(levels) + 1`, `sources` the union of theirs and `parents` the inputs.
/// The inputs are not deleted: the caller removes them once the new block replaced them.
/// Returns `None` (and writes nothing) if the inputs hold no series.
pub fn compact(data_dir: &Path, blocks: &[&Block]) -> Result<Option<BlockMeta>> {
    let Some(first) = blocks.first() else {
        return Ok(None);
    };
    let resolution = first.meta().resolution;
    if blocks.iter().any(|b| b.meta().resolution != resolution) {
        return Err(Error::InvalidInput(
            "cannot compact blocks of different resolutions".into(),
        ));
    }
    // Rank inputs by precedence on equal timestamps: later in `order` wins.
    let mut order: Vec<&Block> = blocks.to_vec();
    order.sort_by(|a, b| {
        let (a, b) = (a.meta(), b.meta());
        (a.max_time, &a.id).cmp(&(b.max_time, &b.id))
    });
    let min_time = order.iter().map(|b| b.meta().min_time).min().unwrap_or(0);
    let max_time = order.iter().map(|b| b.meta().max_time).max().unwrap_or(0);
    let level = order
        .iter()
        .map(|b| b.meta().compaction.level)
        .max()
        .unwrap_or(0)
        + 1;
    let sources = order
        .iter()
        .flat_map(|b| b.meta().compaction.sources.iter().cloned())
        .collect();
    let parents = order
        .iter()
        .map(|b| BlockDesc {
            id: b.meta().id.clone(),
            min_time: b.meta().min_time,
            max_time: b.meta().max_time,
        })
        .collect();
    let w = BlockWriter::create(data_dir, min_time, max_time, level, sources)?;
    write_merged(w, parents, &order)
}

/// Writes `block` again without the data its tombstones delete, as a new block with the same
/// range, level and sources, and the old block as its only parent (so that a restart after a
/// crash, finding both, drops the old one). The old block is not deleted. Returns `None` (and
/// writes nothing) if no sample survives.
pub fn rewrite(data_dir: &Path, block: &Block) -> Result<Option<BlockMeta>> {
    let m = block.meta();
    let w = BlockWriter::create(
        data_dir,
        m.min_time,
        m.max_time,
        m.compaction.level,
        m.compaction.sources.clone(),
    )?;
    let parent = BlockDesc {
        id: m.id.clone(),
        min_time: m.min_time,
        max_time: m.max_time,
    };
    write_merged(w, vec![parent], &[block])
}

/// Streams the merge of `order` (ranked by precedence) into `w` and finishes it.
fn write_merged(
    mut w: BlockWriter,
    parents: Vec<BlockDesc>,
    order: &[&Block],
) -> Result<Option<BlockMeta>> {
    w.set_parents(parents);
    let stones: Vec<Arc<Tombstones>> = order.iter().map(|b| b.tombstones()).collect();
    let mut deleted: Vec<Option<&Intervals>> = vec![None; order.len()];
    let mut cursors = order
        .iter()
        .map(|b| Cursor::new(b))
        .collect::<Result<Vec<_>>>()?;
    let mut parts: Vec<(usize, ChunkMeta)> = Vec::new();
    let mut out = Vec::new();
    loop {
        let next = cursors
            .iter()
            .filter_map(|c| c.current.as_ref().map(|s| &s.0))
            .min()
            .cloned();
        let Some(labels) = next else { break };
        parts.clear();
        deleted.fill(None);
        for (rank, c) in cursors.iter_mut().enumerate() {
            if c.current.as_ref().is_some_and(|s| s.0 == labels) {
                let id = c.current_id();
                if let Some((_, chunks)) = c.advance()? {
                    deleted[rank] = stones[rank].get(id);
                    parts.extend(chunks.into_iter().map(|m| (rank, m)));
                }
            }
        }
        merge_series(order, &deleted, &mut parts, &mut out)?;
        let data: Vec<ChunkData<'_>> = out
            .iter()
            .map(|c: &OwnedChunk| ChunkData {
                mint: c.mint,
                maxt: c.maxt,
                encoding: c.encoding,
                data: &c.data,
            })
            .collect();
        w.add_series(&labels, &data)?;
    }
    if w.num_series() == 0 {
        return Ok(None);
    }
    w.finish().map(Some)
}

/// Walks one input's series in id order.
struct Cursor<'a> {
    block: &'a Block,
    next: u32,
    current: Option<(Labels, Vec<ChunkMeta>)>,
}

impl<'a> Cursor<'a> {
    fn new(block: &'a Block) -> Result<Self> {
        let mut c = Cursor {
            block,
            next: 0,
            current: None,
        };
        c.advance()?;
        Ok(c)
    }

    /// The id of the current series in its block.
    fn current_id(&self) -> u32 {
        self.next.saturating_sub(1)
    }

    /// Returns the current series and moves to the next one.
    fn advance(&mut self) -> Result<Option<(Labels, Vec<ChunkMeta>)>> {
        let next = if self.next < self.block.num_series() {
            self.next += 1;
            Some(self.block.series(self.next - 1)?)
        } else {
            None
        };
        if let (Some(prev), Some(n)) = (&self.current, &next) {
            if n.0 <= prev.0 {
                return Err(Error::Corrupt {
                    path: self.block.dir().to_path_buf(),
                    offset: 0,
                    msg: format!("series {} not in label order", n.0),
                });
            }
        }
        Ok(std::mem::replace(&mut self.current, next))
    }
}

#[derive(Debug)]
struct OwnedChunk {
    mint: i64,
    maxt: i64,
    encoding: u8,
    data: Vec<u8>,
}

/// Merges one series' chunks from several inputs (`(rank, meta)`, rank indexing `order` and
/// `deleted`, the series' deleted intervals in each input) into `out`, in time order without
/// overlaps.
fn merge_series(
    order: &[&Block],
    deleted: &[Option<&Intervals>],
    parts: &mut [(usize, ChunkMeta)],
    out: &mut Vec<OwnedChunk>,
) -> Result<()> {
    out.clear();
    parts.sort_by_key(|(rank, m)| (m.mint, m.maxt, *rank));
    let mut i = 0;
    while i < parts.len() {
        // Extend the run while the next chunk starts before the run ends.
        let mut end = i + 1;
        let mut run_maxt = parts[i].1.maxt;
        while end < parts.len() && parts[end].1.mint <= run_maxt {
            run_maxt = run_maxt.max(parts[end].1.maxt);
            end += 1;
        }
        let (rank, m) = parts[i];
        let touched = deleted[rank].is_some_and(|d| d.overlaps(m.mint, m.maxt));
        if end == i + 1 && !touched {
            let (encoding, data) = order[rank].read_chunk(&m)?;
            out.push(OwnedChunk {
                mint: m.mint,
                maxt: m.maxt,
                encoding,
                data,
            });
        } else {
            merge_run(order, deleted, &parts[i..end], out)?;
        }
        i = end;
    }
    Ok(())
}

/// Decodes overlapping chunks, drops deleted samples, keeps one sample per timestamp (the
/// highest-ranked input's), and re-encodes them as Strata chunks of up to
/// `TARGET_SAMPLES_PER_CHUNK` samples.
fn merge_run(
    order: &[&Block],
    deleted: &[Option<&Intervals>],
    run: &[(usize, ChunkMeta)],
    out: &mut Vec<OwnedChunk>,
) -> Result<()> {
    let mut samples: Vec<(i64, usize, f64)> = Vec::new();
    for &(rank, m) in run {
        let block = order[rank];
        let err = |msg: String| Error::Chunk {
            path: block.dir().to_path_buf(),
            chunk_ref: m.r#ref,
            msg,
        };
        let (enc, data) = block.read_chunk(&m)?;
        let enc = Encoding::from_u8(enc)
            .ok_or_else(|| err(format!("unknown chunk encoding {enc:#x}")))?;
        let mut it = chunkenc::iter_chunk(enc, data);
        while it.next() {
            let (t, v) = it.at();
            if t < m.mint || t > m.maxt {
                return Err(err(format!(
                    "sample at {t} outside the chunk's range [{}, {}]",
                    m.mint, m.maxt
                )));
            }
            if !deleted[rank].is_some_and(|d| d.contains(t)) {
                samples.push((t, rank, v));
            }
        }
        if let Some(e) = it.take_err() {
            return Err(err(e.to_string()));
        }
    }
    // By time, then rank; of equal timestamps the last, highest-ranked one is kept.
    samples.sort_by_key(|s| (s.0, s.1));
    let mut app = StrataAppender::new();
    let mut first = None;
    let mut last = 0;
    let mut flush = |app: StrataAppender, first: i64, last: i64| {
        out.push(OwnedChunk {
            mint: first,
            maxt: last,
            encoding: Encoding::Strata as u8,
            data: app.into_bytes(),
        });
    };
    for (i, &(t, _, v)) in samples.iter().enumerate() {
        if samples.get(i + 1).is_some_and(|next| next.0 == t) {
            continue;
        }
        if app.num_samples() >= TARGET_SAMPLES_PER_CHUNK {
            if let Some(f) = first.take() {
                flush(std::mem::take(&mut app), f, last);
            }
        }
        app.append(t, v).map_err(|e| Error::Chunk {
            path: order[run[0].0].dir().to_path_buf(),
            chunk_ref: run[0].1.r#ref,
            msg: format!("re-encoding merged samples: {e}"),
        })?;
        first.get_or_insert(t);
        last = t;
    }
    if let Some(f) = first {
        flush(app, f, last);
    }
    Ok(())
}
