//! Builds a block's `index` file: symbols, series, postings, label table and TOC (see
//! `docs/format/block.md`).
//!
//! Series arrive one at a time in label order; their chunk metadata is encoded at once (it
//! does not depend on symbols) while label strings are interned under provisional ids. At
//! `write` the symbols are sorted, provisional ids are mapped to their final (sorted) ones and
//! every section is written with its crc.

use super::encoding::{put_uvarint, put_varint};
use super::postings_list::encode_postings;
use super::symbols::encode_symbols;
use super::{ChunkMeta, Error, IoContext, Result};
use promql::Labels;
use roaring::RoaringBitmap;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

pub(crate) const INDEX_MAGIC: u32 = 0x5354_4958; // "STIX"
pub(crate) const INDEX_VERSION: u8 = 1;
pub(crate) const INDEX_HEADER_LEN: usize = 5;
/// Four u64 section offsets and a crc.
pub(crate) const TOC_LEN: usize = 4 * 8 + 4;
/// Chunk offsets within a segment fit in 29 bits (segments are at most 512 MiB), so the
/// index stores a reference as `(segment - 1) << 29 | offset`: small for the first segment
/// and increasing across segments, so deltas stay positive.
pub(crate) const PACKED_OFFSET_BITS: u32 = 29;

pub(crate) fn pack_ref(r: u64) -> u64 {
    let seg = (r >> 32).saturating_sub(1);
    (seg << PACKED_OFFSET_BITS) | (r & ((1 << PACKED_OFFSET_BITS) - 1))
}

#[derive(Debug)]
struct SeriesRec {
    /// End of this series' pairs in `IndexBuilder::pairs`.
    pairs_end: usize,
    /// End of this series' encoded chunk metas in `IndexBuilder::chunk_bytes`.
    chunks_end: usize,
}

/// Accumulates series and writes the index.
pub(crate) struct IndexBuilder {
    min_time: i64,
    strings: Vec<String>,
    ids: HashMap<String, u32>,
    /// Provisional (name, value) ids of every series, concatenated.
    pairs: Vec<(u32, u32)>,
    chunk_bytes: Vec<u8>,
    series: Vec<SeriesRec>,
    postings: HashMap<(u32, u32), RoaringBitmap>,
}

/// A summary: the full contents would be the whole index.
impl std::fmt::Debug for IndexBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexBuilder")
            .field("series", &self.series.len())
            .field("symbols", &self.strings.len())
            .field("label_pairs", &self.postings.len())
            .finish()
    }
}

impl IndexBuilder {
    pub(crate) fn new(min_time: i64) -> Self {
        IndexBuilder {
            min_time,
            strings: Vec::new(),
            ids: HashMap::new(),
            pairs: Vec::new(),
            chunk_bytes: Vec::new(),
            series: Vec::new(),
            postings: HashMap::new(),
        }
    }

    pub(crate) fn num_series(&self) -> usize {
        self.series.len()
    }

    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.strings.len() as u32;
        self.strings.push(s.to_string());
        self.ids.insert(s.to_string(), id);
        id
    }

    /// Adds the next series. The caller has checked label order, that `chunks` is non-empty,
    /// time-ordered, non-overlapping and within the block, and that refs increase.
    pub(crate) fn add(&mut self, labels: &Labels, chunks: &[ChunkMeta]) -> Result<()> {
        let id = u32::try_from(self.series.len())
            .map_err(|_| Error::InvalidInput("more than 2^32 series in one block".into()))?;
        for l in labels {
            let pair = (self.intern(&l.name), self.intern(&l.value));
            self.pairs.push(pair);
            self.postings.entry(pair).or_default().insert(id);
        }
        let b = &mut self.chunk_bytes;
        put_uvarint(b, chunks.len() as u64);
        // Chunk i > 0: the gap to the previous chunk, the span and the reference delta (the
        // previous record's length) are stored as changes from the previous chunk's, as regular
        // scrapes keep all three nearly constant. The caller checked that all times lie in the
        // block, whose length fits in an i64, and refs are below 2^61, so nothing overflows.
        let (mut prev_gap, mut prev_span, mut prev_delta) = (0i64, 0i64, 0i64);
        for (i, c) in chunks.iter().enumerate() {
            let span = c.maxt - c.mint;
            if i == 0 {
                put_uvarint(b, c.mint.abs_diff(self.min_time));
                put_uvarint(b, span as u64);
                put_uvarint(b, pack_ref(c.r#ref));
            } else {
                let p = &chunks[i - 1];
                let gap = c.mint - p.maxt - 1;
                let delta = (pack_ref(c.r#ref) - pack_ref(p.r#ref)) as i64;
                if i == 1 {
                    put_uvarint(b, gap as u64);
                    put_varint(b, span - prev_span);
                    put_uvarint(b, delta as u64);
                } else {
                    put_varint(b, gap - prev_gap);
                    put_varint(b, span - prev_span);
                    put_varint(b, delta - prev_delta);
                }
                (prev_gap, prev_delta) = (gap, delta);
            }
            prev_span = span;
        }
        self.series.push(SeriesRec {
            pairs_end: self.pairs.len(),
            chunks_end: self.chunk_bytes.len(),
        });
        Ok(())
    }

    /// Writes the index to `path` (a new file) and fsyncs it. Returns its size.
    pub(crate) fn write(self, path: &Path) -> Result<u64> {
        // Final symbol ids are positions in sorted order.
        let mut order: Vec<u32> = (0..self.strings.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| self.strings[a as usize].cmp(&self.strings[b as usize]));
        let mut remap = vec![0u32; order.len()];
        for (new, &old) in order.iter().enumerate() {
            remap[old as usize] = new as u32;
        }

        let symbols = encode_symbols(order.iter().map(|&old| self.strings[old as usize].as_str()));

        let mut series = Vec::new();
        put_uvarint(&mut series, self.series.len() as u64);
        put_varint(&mut series, self.min_time);
        let mut entry = Vec::new();
        let (mut pairs_start, mut chunks_start) = (0, 0);
        for s in &self.series {
            entry.clear();
            let pairs = &self.pairs[pairs_start..s.pairs_end];
            put_uvarint(&mut entry, pairs.len() as u64);
            let mut prev_name = 0;
            for &(n, v) in pairs {
                let n = remap[n as usize];
                put_uvarint(&mut entry, u64::from(n - prev_name));
                put_uvarint(&mut entry, u64::from(remap[v as usize]));
                prev_name = n;
            }
            entry.extend_from_slice(&self.chunk_bytes[chunks_start..s.chunks_end]);
            put_uvarint(&mut series, entry.len() as u64);
            series.extend_from_slice(&entry);
            (pairs_start, chunks_start) = (s.pairs_end, s.chunks_end);
        }

        let mut keys: Vec<((u32, u32), RoaringBitmap)> = self
            .postings
            .into_iter()
            .map(|((n, v), bm)| ((remap[n as usize], remap[v as usize]), bm))
            .collect();
        keys.sort_unstable_by_key(|(k, _)| *k);
        let mut postings = Vec::new();
        let mut table = Vec::new();
        let num_names = keys.windows(2).filter(|w| w[0].0.0 != w[1].0.0).count()
            + usize::from(!keys.is_empty());
        put_uvarint(&mut table, num_names as u64);
        let mut prev_name = 0;
        let mut i = 0;
        while i < keys.len() {
            let name = keys[i].0.0;
            let end = i + keys[i..].partition_point(|(k, _)| k.0 == name);
            put_uvarint(&mut table, u64::from(name - prev_name));
            put_uvarint(&mut table, (end - i) as u64);
            let mut prev_value = 0;
            for ((_, value), bm) in &mut keys[i..end] {
                let before = postings.len();
                encode_postings(&mut postings, bm).at(path)?;
                put_uvarint(&mut table, u64::from(*value - prev_value));
                put_uvarint(&mut table, (postings.len() - before) as u64);
                prev_value = *value;
            }
            prev_name = name;
            i = end;
        }

        let file = File::create_new(path).at(path)?;
        let mut w = BufWriter::with_capacity(1 << 16, file);
        let mut header = INDEX_MAGIC.to_be_bytes().to_vec();
        header.push(INDEX_VERSION);
        w.write_all(&header).at(path)?;
        let mut pos = INDEX_HEADER_LEN as u64;
        let mut toc = Vec::with_capacity(TOC_LEN);
        for section in [&symbols, &series, &postings, &table] {
            toc.extend_from_slice(&pos.to_be_bytes());
            let len = u32::try_from(section.len())
                .map_err(|_| Error::InvalidInput("index section larger than 4 GiB".into()))?;
            w.write_all(&len.to_be_bytes()).at(path)?;
            w.write_all(section).at(path)?;
            w.write_all(&crc32c::crc32c(section).to_be_bytes())
                .at(path)?;
            pos += 4 + section.len() as u64 + 4;
        }
        let crc = crc32c::crc32c(&toc);
        toc.extend_from_slice(&crc.to_be_bytes());
        w.write_all(&toc).at(path)?;
        let f = w.into_inner().map_err(|e| e.into_error()).at(path)?;
        f.sync_all().at(path)?;
        Ok(pos + TOC_LEN as u64)
    }
}
