//! Reads a block's `index` file fully into memory and answers label, postings and series
//! lookups from it.
//!
//! `open` checks the header, the TOC, every section's framing and crc, decodes the symbols,
//! the label table and every postings list (so postings lookups cannot fail later), and finds
//! where each series entry starts. Series entries themselves are decoded on demand by
//! [`IndexReader::series`], which validates what it reads.

use super::encoding::{Decbuf, DecodeError, DecodeResult};
use super::index_writer::{
    INDEX_HEADER_LEN, INDEX_MAGIC, INDEX_VERSION, PACKED_OFFSET_BITS, TOC_LEN,
};
use super::postings_list::decode_postings;
use super::symbols::decode_symbols;
use super::{ChunkMeta, Error, IoContext, Result};
use crate::tsdb::postings::PostingsSource;
use promql::{Label, Labels};
use roaring::RoaringBitmap;
use std::path::{Path, PathBuf};

/// The values of one label name and the postings of each.
#[derive(Debug)]
struct LabelValues {
    name: u32,
    /// Sorted by symbol id, which is string order.
    values: Vec<(u32, RoaringBitmap)>,
}

/// An index held in memory.
pub(crate) struct IndexReader {
    path: PathBuf,
    symbols: Vec<String>,
    min_time: i64,
    /// The series section's entries, each `[uvarint len][body]`.
    series: Vec<u8>,
    /// File offset of `series[0]`.
    series_base: u64,
    /// Start of each series entry in `series`.
    offsets: Vec<u32>,
    labels: Vec<LabelValues>,
    size: u64,
}

/// A summary: the full contents would be the whole index.
impl std::fmt::Debug for IndexReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexReader")
            .field("path", &self.path)
            .field("symbols", &self.symbols.len())
            .field("series", &self.offsets.len())
            .field("label_names", &self.labels.len())
            .field("size", &self.size)
            .finish()
    }
}

/// A section's payload and the file offset where the payload starts.
pub(crate) type Section<'a> = (&'a [u8], u64);

impl IndexReader {
    pub(crate) fn open(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).at(path)?;
        Self::decode(&bytes, path).map_err(|e| Error::Corrupt {
            path: path.to_path_buf(),
            offset: e.offset,
            msg: e.msg,
        })
    }

    pub(super) fn decode(bytes: &[u8], path: &Path) -> DecodeResult<Self> {
        let at = |offset: u64, msg: &str| DecodeError {
            offset,
            msg: msg.to_string(),
        };
        if bytes.len() < INDEX_HEADER_LEN + TOC_LEN {
            return Err(at(0, "index shorter than header and TOC"));
        }
        let mut h = Decbuf::new(bytes, 0);
        if h.be_u32()? != INDEX_MAGIC || h.byte()? != INDEX_VERSION {
            return Err(at(0, "bad index magic or version"));
        }
        let toc_start = bytes.len() - TOC_LEN;
        let mut toc = Decbuf::new(&bytes[toc_start..], toc_start as u64);
        let toc_crc = crc32c::crc32c(&bytes[toc_start..bytes.len() - 4]);
        let offsets = [toc.be_u64()?, toc.be_u64()?, toc.be_u64()?, toc.be_u64()?];
        if toc.be_u32()? != toc_crc {
            return Err(at(toc_start as u64, "TOC checksum mismatch"));
        }
        // Sections are contiguous: each starts where the previous ended.
        let mut sections: Vec<Section<'_>> = Vec::with_capacity(4);
        let mut expect = INDEX_HEADER_LEN as u64;
        for &off in &offsets {
            if off != expect {
                return Err(at(
                    toc_start as u64,
                    "TOC offsets do not match the sections",
                ));
            }
            let mut d = Decbuf::new(&bytes[off as usize..toc_start], off);
            let len = d.be_u32()? as usize;
            let payload = d.bytes(len)?;
            if d.be_u32()? != crc32c::crc32c(payload) {
                return Err(at(off, "section checksum mismatch"));
            }
            sections.push((payload, off + 4));
            expect = off + 4 + len as u64 + 4;
        }
        if expect != toc_start as u64 {
            return Err(at(expect, "unexpected bytes before the TOC"));
        }
        let [symbols, series, postings, table] = [0, 1, 2, 3].map(|i| sections[i]);

        let symbols = decode_symbols(symbols)?;
        let mut d = Decbuf::new(series.0, series.1);
        let n = d.count()?;
        let min_time = d.varint()?;
        let series_start = d.pos();
        let mut offsets = Vec::with_capacity(n);
        for _ in 0..n {
            let off = u32::try_from(d.pos() - series_start)
                .map_err(|_| d.err("series section too large"))?;
            offsets.push(off);
            let len = d.count()?;
            d.bytes(len)?;
        }
        if !d.is_empty() {
            return Err(d.err("trailing bytes after the last series"));
        }
        let labels = decode_label_table(table, postings, symbols.len(), n as u64)?;
        Ok(IndexReader {
            path: path.to_path_buf(),
            symbols,
            min_time,
            series: series.0[series_start..].to_vec(),
            series_base: series.1 + series_start as u64,
            offsets,
            labels,
            size: bytes.len() as u64,
        })
    }

    pub(crate) fn size_bytes(&self) -> u64 {
        self.size
    }

    pub(crate) fn num_series(&self) -> u32 {
        // At most 2^32 entries: `open` checked every offset fits in u32 and each takes a byte.
        self.offsets.len() as u32
    }

    fn corrupt(&self, e: DecodeError) -> Error {
        Error::Corrupt {
            path: self.path.clone(),
            offset: e.offset,
            msg: e.msg,
        }
    }

    fn symbol(&self, d: &Decbuf<'_>, id: u32) -> DecodeResult<&str> {
        self.symbols
            .get(id as usize)
            .map(String::as_str)
            .ok_or_else(|| d.err(format!("symbol {id} out of range")))
    }

    fn lookup(&self, s: &str) -> Option<u32> {
        self.symbols
            .binary_search_by(|x| x.as_str().cmp(s))
            .ok()
            .map(|i| i as u32)
    }

    fn label_entry(&self, name: &str) -> Option<&LabelValues> {
        let id = self.lookup(name)?;
        let i = self.labels.binary_search_by_key(&id, |l| l.name).ok()?;
        Some(&self.labels[i])
    }

    /// A decoder positioned at the body of series `id`.
    fn entry(&self, id: u32) -> Result<Decbuf<'_>> {
        let Some(&off) = self.offsets.get(id as usize) else {
            return Err(Error::NoSeries {
                id,
                num_series: self.num_series(),
            });
        };
        let mut d = Decbuf::new(
            &self.series[off as usize..],
            self.series_base + u64::from(off),
        );
        let len = d.count().map_err(|e| self.corrupt(e))?;
        let body = d.bytes(len).map_err(|e| self.corrupt(e))?;
        Ok(Decbuf::new(body, d.offset() - len as u64))
    }

    /// Label pairs of a series as symbol ids, leaving `d` at its chunk metas.
    fn decode_pairs(&self, d: &mut Decbuf<'_>, out: &mut Vec<(u32, u32)>) -> DecodeResult<()> {
        out.clear();
        let n = d.count()?;
        let mut name = 0u32;
        for i in 0..n {
            let delta = d.uvarint32()?;
            if i > 0 && delta == 0 {
                return Err(d.err("label names not strictly increasing"));
            }
            name = name
                .checked_add(delta)
                .ok_or_else(|| d.err("label name id overflows"))?;
            out.push((name, d.uvarint32()?));
        }
        Ok(())
    }

    /// Label pairs of series `id` as symbol ids.
    pub(crate) fn pairs(&self, id: u32, out: &mut Vec<(u32, u32)>) -> Result<()> {
        let mut d = self.entry(id)?;
        self.decode_pairs(&mut d, out).map_err(|e| self.corrupt(e))
    }

    pub(crate) fn series(&self, id: u32) -> Result<(Labels, Vec<ChunkMeta>)> {
        let mut d = self.entry(id)?;
        self.decode_series(&mut d).map_err(|e| self.corrupt(e))
    }

    fn decode_series(&self, d: &mut Decbuf<'_>) -> DecodeResult<(Labels, Vec<ChunkMeta>)> {
        let mut pairs = Vec::new();
        self.decode_pairs(d, &mut pairs)?;
        let mut labels = Vec::with_capacity(pairs.len());
        for &(n, v) in &pairs {
            labels.push(Label::new(self.symbol(d, n)?, self.symbol(d, v)?));
        }
        let n = d.count()?;
        let mut chunks: Vec<ChunkMeta> = Vec::with_capacity(n);
        let mut packed = 0u64;
        let (mut gap, mut span, mut ref_delta) = (0i64, 0i64, 0i64);
        let sum = |d: &Decbuf<'_>, a: i64, b: i64| {
            a.checked_add(b).ok_or_else(|| d.err("timestamp overflows"))
        };
        let unsigned = |d: &Decbuf<'_>, v: u64| {
            i64::try_from(v).map_err(|_| d.err("timestamp delta overflows"))
        };
        for i in 0..n {
            let mint = match chunks.last() {
                None => {
                    let off = d.uvarint()?;
                    sum(d, self.min_time, unsigned(d, off)?)?
                }
                Some(p) => {
                    gap = if i == 1 {
                        let g = d.uvarint()?;
                        unsigned(d, g)?
                    } else {
                        let dg = d.varint()?;
                        sum(d, gap, dg)?
                    };
                    if gap < 0 {
                        return Err(d.err("chunks overlap"));
                    }
                    sum(d, sum(d, p.maxt, 1)?, gap)?
                }
            };
            span = if i == 0 {
                let s = d.uvarint()?;
                unsigned(d, s)?
            } else {
                let ds = d.varint()?;
                sum(d, span, ds)?
            };
            if span < 0 {
                return Err(d.err("chunk ends before it starts"));
            }
            let maxt = sum(d, mint, span)?;
            if i == 0 {
                packed = d.uvarint()?;
            } else {
                ref_delta = if i == 1 {
                    let r = d.uvarint()?;
                    unsigned(d, r)?
                } else {
                    let dd = d.varint()?;
                    sum(d, ref_delta, dd)?
                };
                if ref_delta <= 0 {
                    return Err(d.err("chunk references not increasing"));
                }
                packed = packed
                    .checked_add(ref_delta as u64)
                    .ok_or_else(|| d.err("chunk reference overflows"))?;
            }
            let seg = (packed >> PACKED_OFFSET_BITS) + 1;
            if seg > u64::from(u32::MAX) {
                return Err(d.err("chunk segment number overflows"));
            }
            let r#ref = (seg << 32) | (packed & ((1 << PACKED_OFFSET_BITS) - 1));
            chunks.push(ChunkMeta { mint, maxt, r#ref });
        }
        if !d.is_empty() {
            return Err(d.err("trailing bytes in series entry"));
        }
        // Names are strictly increasing ids of a sorted symbol table, so sorted and unique.
        Ok((Labels::from_sorted(labels), chunks))
    }

    /// Every label name, sorted. (Symbol ids in the label table were bounds-checked at open.)
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.labels
            .iter()
            .map(|l| self.symbols[l.name as usize].as_str())
    }

    pub(crate) fn symbol_str(&self, id: u32) -> Result<&str> {
        self.symbols
            .get(id as usize)
            .map(String::as_str)
            .ok_or_else(|| Error::Corrupt {
                path: self.path.clone(),
                offset: 0,
                msg: format!("symbol {id} out of range"),
            })
    }

    pub(crate) fn name_id(&self, name: &str) -> Option<u32> {
        self.label_entry(name).map(|l| l.name)
    }

    /// The values of `name` (sorted) with their postings. (Ids bounds-checked at open.)
    pub(crate) fn values(&self, name: &str) -> impl Iterator<Item = (&str, &RoaringBitmap)> {
        self.label_entry(name)
            .into_iter()
            .flat_map(|l| l.values.iter())
            .map(|(v, bm)| (self.symbols[*v as usize].as_str(), bm))
    }
}

impl PostingsSource for IndexReader {
    fn postings(&self, name: &str, value: &str) -> RoaringBitmap {
        let (Some(l), Some(v)) = (self.label_entry(name), self.lookup(value)) else {
            return RoaringBitmap::new();
        };
        match l.values.binary_search_by_key(&v, |(id, _)| *id) {
            Ok(i) => l.values[i].1.clone(),
            Err(_) => RoaringBitmap::new(),
        }
    }

    fn label_values(&self, name: &str) -> Vec<String> {
        self.values(name).map(|(v, _)| v.to_string()).collect()
    }

    fn all_postings(&self) -> RoaringBitmap {
        let mut bm = RoaringBitmap::new();
        if !self.offsets.is_empty() {
            bm.insert_range(0..self.num_series());
        }
        bm
    }
}

fn decode_label_table(
    (table, base): Section<'_>,
    (postings, pbase): Section<'_>,
    num_symbols: usize,
    num_series: u64,
) -> DecodeResult<Vec<LabelValues>> {
    let mut d = Decbuf::new(table, base);
    let mut p = Decbuf::new(postings, pbase);
    let num_names = d.count()?;
    let mut out: Vec<LabelValues> = Vec::with_capacity(num_names);
    let next_id = |d: &mut Decbuf<'_>, prev: Option<u32>| -> DecodeResult<u32> {
        let delta = d.uvarint32()?;
        let id = match prev {
            None => delta,
            Some(_) if delta == 0 => return Err(d.err("ids not strictly increasing")),
            Some(p) => p.checked_add(delta).ok_or_else(|| d.err("id overflows"))?,
        };
        if id as usize >= num_symbols {
            return Err(d.err(format!("symbol {id} out of range")));
        }
        Ok(id)
    };
    for _ in 0..num_names {
        let name = next_id(&mut d, out.last().map(|l| l.name))?;
        let n = d.count()?;
        if n == 0 {
            return Err(d.err("label name without values"));
        }
        let mut values: Vec<(u32, RoaringBitmap)> = Vec::with_capacity(n);
        for _ in 0..n {
            let v = next_id(&mut d, values.last().map(|x| x.0))?;
            // Bounded by the postings section below, not by the table.
            let len = usize::try_from(d.uvarint()?).unwrap_or(usize::MAX);
            let at = p.offset();
            let bm = decode_postings(Decbuf::new(p.bytes(len)?, at), num_series)?;
            values.push((v, bm));
        }
        out.push(LabelValues { name, values });
    }
    if !d.is_empty() || !p.is_empty() {
        return Err(d.err("trailing bytes after the label table or postings"));
    }
    Ok(out)
}
