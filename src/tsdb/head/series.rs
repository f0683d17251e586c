//! One in-memory series: its closed chunks, the open chunk being appended to, and a small
//! sorted buffer of out-of-order samples.

use crate::appender::SampleError;
use crate::tsdb::chunkenc::{self, Encoding, StrataAppender, TARGET_SAMPLES_PER_CHUNK};
use crate::tsdb::querier::decode_range;
use crate::tsdb::tombstones::Intervals;
use promql::{Labels, STALE_NAN_BITS, SampleIterator};
use std::sync::Mutex;

/// A chunk that no longer takes samples.
#[derive(Debug, Clone)]
pub struct HeadChunk {
    pub mint: i64,
    pub maxt: i64,
    pub data: Box<[u8]>,
}

#[derive(Debug)]
struct OpenChunk {
    app: StrataAppender,
    mint: i64,
    /// Chunks never straddle a block boundary, so that cutting a block takes whole chunks.
    end: i64,
}

/// What to do with a sample that passed validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    InOrder,
    OutOfOrder,
    /// Same timestamp and same value as a stored sample: accepted, nothing to store.
    Duplicate,
}

#[derive(Debug, Default)]
pub struct SeriesData {
    closed: Vec<HeadChunk>,
    open: Option<OpenChunk>,
    /// Timestamp of the newest in-order sample, `i64::MIN` when there is none.
    maxt: i64,
    last_v: u64,
    /// Out-of-order samples, sorted by timestamp, unique.
    ooo: Vec<(i64, f64)>,
}

/// A series in the head. `data` is locked per series, so appends to different series never
/// contend.
#[derive(Debug)]
pub struct MemSeries {
    pub id: u32,
    pub labels: Labels,
    pub data: Mutex<SeriesData>,
}

impl MemSeries {
    pub fn new(id: u32, labels: Labels) -> Self {
        MemSeries {
            id,
            labels,
            data: Mutex::new(SeriesData {
                maxt: i64::MIN,
                ..SeriesData::default()
            }),
        }
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, SeriesData> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Limits a sample is checked against.
#[derive(Debug, Clone, Copy)]
pub struct AppendLimits {
    /// Samples older than this are in persisted blocks' range and are refused.
    pub min_valid_time: i64,
    /// How far behind the newest sample of its series a sample may be, in milliseconds.
    pub ooo_window: i64,
    /// Block range, to keep chunks within one block.
    pub block_range: i64,
}

impl SeriesData {
    pub fn maxt(&self) -> i64 {
        self.maxt
    }

    pub fn is_empty(&self) -> bool {
        self.open.is_none() && self.closed.is_empty() && self.ooo.is_empty()
    }

    /// Whether any sample lies within `[mint, maxt]`, judged from chunk bounds.
    pub fn overlaps(&self, mint: i64, maxt: i64) -> bool {
        self.closed.iter().any(|c| c.maxt >= mint && c.mint <= maxt)
            || self
                .open
                .as_ref()
                .is_some_and(|o| o.app.num_samples() > 0 && self.maxt >= mint && o.mint <= maxt)
            || self.ooo.iter().any(|s| s.0 >= mint && s.0 <= maxt)
    }

    /// Oldest timestamp held, if any.
    pub fn mint(&self) -> Option<i64> {
        let in_order = self
            .closed
            .first()
            .map(|c| c.mint)
            .or(self.open.as_ref().map(|o| o.mint));
        let ooo = self.ooo.first().map(|s| s.0);
        match (in_order, ooo) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Decides where `(t, v)` goes without changing anything.
    pub fn check(&self, t: i64, v: f64, lim: &AppendLimits) -> Result<Placement, SampleError> {
        if t < lim.min_valid_time {
            return Err(SampleError::TooOld);
        }
        if t > self.maxt {
            return Ok(Placement::InOrder);
        }
        if t == self.maxt {
            return if v.to_bits() == self.last_v {
                Ok(Placement::Duplicate)
            } else {
                Err(SampleError::DuplicateTimestamp)
            };
        }
        // A stale marker says a series ended; behind newer samples it would punch a gap into
        // a live series (a scrape loop that stopped while its replacement already scraped).
        if lim.ooo_window <= 0 || v.to_bits() == STALE_NAN_BITS {
            return Err(SampleError::OutOfOrder);
        }
        if t < self.maxt.saturating_sub(lim.ooo_window) {
            return Err(SampleError::TooOld);
        }
        if let Ok(i) = self.ooo.binary_search_by_key(&t, |s| s.0) {
            return if self.ooo[i].1.to_bits() == v.to_bits() {
                Ok(Placement::Duplicate)
            } else {
                Err(SampleError::DuplicateTimestamp)
            };
        }
        match self.in_order_value_at(t) {
            Some(old) if old.to_bits() == v.to_bits() => Ok(Placement::Duplicate),
            Some(_) => Err(SampleError::DuplicateTimestamp),
            None => Ok(Placement::OutOfOrder),
        }
    }

    /// Validates and stores a sample. Returns what was done with it.
    pub fn append(&mut self, t: i64, v: f64, lim: &AppendLimits) -> Result<Placement, SampleError> {
        let p = self.check(t, v, lim)?;
        match p {
            Placement::InOrder => self.append_in_order(t, v, lim.block_range),
            Placement::OutOfOrder => {
                let i = self.ooo.partition_point(|s| s.0 < t);
                self.ooo.insert(i, (t, v));
            }
            Placement::Duplicate => {}
        }
        Ok(p)
    }

    fn append_in_order(&mut self, t: i64, v: f64, block_range: i64) {
        let needs_cut = match &self.open {
            None => true,
            Some(o) => o.app.num_samples() >= TARGET_SAMPLES_PER_CHUNK || t >= o.end,
        };
        if needs_cut {
            self.cut_open(t, block_range);
        }
        if let Some(o) = self.open.as_mut() {
            if o.app.append(t, v).is_err() {
                // The encoding could not take this sample (a gap too large to encode):
                // a fresh chunk always can.
                self.cut_open(t, block_range);
                if let Some(o) = self.open.as_mut() {
                    let _ = o.app.append(t, v);
                }
            }
        }
        self.maxt = t;
        self.last_v = v.to_bits();
    }

    fn cut_open(&mut self, t: i64, block_range: i64) {
        self.close_open();
        let range = block_range.max(1);
        let end = t.div_euclid(range).saturating_add(1).saturating_mul(range);
        self.open = Some(OpenChunk {
            app: StrataAppender::new(),
            mint: t,
            end,
        });
    }

    fn close_open(&mut self) {
        if let Some(o) = self.open.take() {
            if o.app.num_samples() > 0 {
                self.closed.push(HeadChunk {
                    mint: o.mint,
                    maxt: self.maxt,
                    data: o.app.into_bytes().into_boxed_slice(),
                });
            }
        }
    }

    fn in_order_value_at(&self, t: i64) -> Option<f64> {
        let mut found = None;
        self.for_each_chunk(t, t, |data| {
            let mut it = chunkenc::iter_chunk(Encoding::Strata, data);
            if it.seek(t) && it.at().0 == t {
                found = Some(it.at().1);
            }
        });
        found
    }

    /// Calls `f` with the bytes of every in-order chunk overlapping `[mint, maxt]`, oldest first.
    fn for_each_chunk(&self, mint: i64, maxt: i64, mut f: impl FnMut(&[u8])) {
        for c in &self.closed {
            if c.maxt >= mint && c.mint <= maxt {
                f(&c.data);
            }
        }
        if let Some(o) = &self.open {
            if o.app.num_samples() > 0 && self.maxt >= mint && o.mint <= maxt {
                f(o.app.bytes());
            }
        }
    }

    /// Appends every sample within `[mint, maxt]` to `out`, in timestamp order.
    pub fn samples_in(&self, mint: i64, maxt: i64, out: &mut Vec<(i64, f64)>) {
        let start = out.len();
        self.for_each_chunk(mint, maxt, |data| {
            // Head chunks are our own, just encoded: a decode error would be a bug, and the
            // samples before it are still returned.
            let _ = decode_range(Encoding::Strata, data, mint, maxt, out);
        });
        let lo = self.ooo.partition_point(|s| s.0 < mint);
        let hi = self.ooo.partition_point(|s| s.0 <= maxt);
        if lo < hi {
            out.extend_from_slice(&self.ooo[lo..hi]);
            out[start..].sort_by_key(|s| s.0);
        }
    }

    /// The data below `boundary`, ready for a block: whole chunks when the series has no
    /// out-of-order samples there, otherwise re-encoded from the merged samples.
    pub fn chunks_before(&mut self, boundary: i64) -> Vec<HeadChunk> {
        if self.open.as_ref().is_some_and(|o| o.end <= boundary) {
            self.close_open();
        }
        let has_ooo = self.ooo.first().is_some_and(|s| s.0 < boundary);
        if !has_ooo {
            return self
                .closed
                .iter()
                .filter(|c| c.maxt < boundary)
                .cloned()
                .collect();
        }
        let mut samples = Vec::new();
        self.samples_in(i64::MIN, boundary - 1, &mut samples);
        encode_chunks(&samples)
    }

    /// Drops everything below `boundary` (it is now in a block).
    pub fn truncate_before(&mut self, boundary: i64) {
        if self.open.as_ref().is_some_and(|o| o.end <= boundary) {
            self.close_open();
        }
        self.closed.retain(|c| c.maxt >= boundary);
        self.ooo.retain(|s| s.0 >= boundary);
    }

    /// Chunks held: closed ones, the open one, and the out-of-order buffer as one more (in
    /// Prometheus out-of-order samples also live in a head chunk of their own).
    pub fn num_chunks(&self) -> usize {
        self.closed.len()
            + self
                .open
                .as_ref()
                .map_or(0, |o| usize::from(o.app.num_samples() > 0))
            + usize::from(!self.ooo.is_empty())
    }

    /// Bytes held by chunk data, for memory accounting.
    pub fn chunk_bytes(&self) -> usize {
        self.closed.iter().map(|c| c.data.len()).sum::<usize>()
            + self.open.as_ref().map_or(0, |o| o.app.bytes().len())
            + self.ooo.len() * 16
    }
}

/// `chunks` (in time order, not overlapping) without the samples in `deleted`: untouched
/// when no interval meets them, otherwise decoded, filtered and re-encoded.
pub fn without_deleted(chunks: Vec<HeadChunk>, deleted: &Intervals) -> Vec<HeadChunk> {
    if !chunks.iter().any(|c| deleted.overlaps(c.mint, c.maxt)) {
        return chunks;
    }
    let mut samples = Vec::new();
    for c in &chunks {
        // Head chunks are our own, just encoded: a decode error would be a bug, and the
        // samples before it are still kept.
        let _ = decode_range(Encoding::Strata, &c.data, c.mint, c.maxt, &mut samples);
    }
    deleted.remove_deleted(&mut samples, 0);
    encode_chunks(&samples)
}

/// Encodes sorted samples into Strata chunks of the target size.
pub fn encode_chunks(samples: &[(i64, f64)]) -> Vec<HeadChunk> {
    let mut out = Vec::new();
    let mut app = StrataAppender::new();
    let mut mint = 0;
    let mut maxt = 0;
    for &(t, v) in samples {
        if app.num_samples() >= TARGET_SAMPLES_PER_CHUNK {
            let full = std::mem::take(&mut app);
            out.push(HeadChunk {
                mint,
                maxt,
                data: full.into_bytes().into_boxed_slice(),
            });
        }
        if app.num_samples() == 0 {
            mint = t;
        }
        if app.append(t, v).is_err() {
            let full = std::mem::take(&mut app);
            if full.num_samples() > 0 {
                out.push(HeadChunk {
                    mint,
                    maxt,
                    data: full.into_bytes().into_boxed_slice(),
                });
            }
            mint = t;
            let _ = app.append(t, v);
        }
        maxt = t;
    }
    if app.num_samples() > 0 {
        out.push(HeadChunk {
            mint,
            maxt,
            data: app.into_bytes().into_boxed_slice(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIM: AppendLimits = AppendLimits {
        min_valid_time: i64::MIN,
        ooo_window: 600_000,
        block_range: 7_200_000,
    };

    fn all(d: &SeriesData) -> Vec<(i64, f64)> {
        let mut v = Vec::new();
        d.samples_in(i64::MIN, i64::MAX, &mut v);
        v
    }

    #[test]
    fn in_order_duplicates_and_conflicts() {
        let mut d = SeriesData {
            maxt: i64::MIN,
            ..Default::default()
        };
        assert_eq!(d.append(1000, 1.0, &LIM), Ok(Placement::InOrder));
        assert_eq!(d.append(1000, 1.0, &LIM), Ok(Placement::Duplicate));
        assert_eq!(
            d.append(1000, 2.0, &LIM),
            Err(SampleError::DuplicateTimestamp)
        );
        assert_eq!(d.append(2000, 2.0, &LIM), Ok(Placement::InOrder));
        assert_eq!(all(&d), vec![(1000, 1.0), (2000, 2.0)]);
    }

    #[test]
    fn out_of_order_within_window_is_merged() {
        let mut d = SeriesData {
            maxt: i64::MIN,
            ..Default::default()
        };
        d.append(1_000_000, 1.0, &LIM).unwrap();
        assert_eq!(d.append(700_000, 0.5, &LIM), Ok(Placement::OutOfOrder));
        assert_eq!(d.append(399_999, 0.1, &LIM), Err(SampleError::TooOld));
        assert_eq!(
            d.append(700_000, 0.6, &LIM),
            Err(SampleError::DuplicateTimestamp)
        );
        assert_eq!(all(&d), vec![(700_000, 0.5), (1_000_000, 1.0)]);
        let no_ooo = AppendLimits {
            ooo_window: 0,
            ..LIM
        };
        assert_eq!(
            d.append(800_000, 0.5, &no_ooo),
            Err(SampleError::OutOfOrder)
        );
    }

    #[test]
    fn ooo_duplicate_of_in_order_sample_is_detected() {
        let mut d = SeriesData {
            maxt: i64::MIN,
            ..Default::default()
        };
        for t in 0..10 {
            d.append(t * 1000, t as f64, &LIM).unwrap();
        }
        assert_eq!(d.append(3000, 3.0, &LIM), Ok(Placement::Duplicate));
        assert_eq!(
            d.append(3000, 4.0, &LIM),
            Err(SampleError::DuplicateTimestamp)
        );
    }

    #[test]
    fn chunks_never_cross_block_boundaries_and_truncate() {
        let lim = AppendLimits {
            block_range: 10_000,
            ..LIM
        };
        let mut d = SeriesData {
            maxt: i64::MIN,
            ..Default::default()
        };
        for t in 0..30 {
            d.append(t * 1000, t as f64, &lim).unwrap();
        }
        let first = d.chunks_before(10_000);
        assert_eq!(first.len(), 1);
        assert_eq!((first[0].mint, first[0].maxt), (0, 9000));
        d.truncate_before(10_000);
        let rest = all(&d);
        assert_eq!(rest.first(), Some(&(10_000, 10.0)));
        assert_eq!(rest.len(), 20);
    }

    #[test]
    fn chunks_before_merges_ooo() {
        let lim = AppendLimits {
            block_range: 10_000,
            ooo_window: 5_000,
            ..LIM
        };
        let mut d = SeriesData {
            maxt: i64::MIN,
            ..Default::default()
        };
        for t in [0, 2000, 4000, 6000, 8000, 12_000] {
            d.append(t, t as f64, &lim).unwrap();
        }
        d.append(9000, 9.0, &lim).unwrap();
        let chunks = d.chunks_before(10_000);
        let mut got = Vec::new();
        for c in &chunks {
            let mut it = chunkenc::iter_chunk(Encoding::Strata, &c.data[..]);
            while it.next() {
                got.push(it.at().0);
            }
        }
        assert_eq!(got, vec![0, 2000, 4000, 6000, 8000, 9000]);
    }
}
