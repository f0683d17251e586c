//! Record payloads: what the head writes into the WAL and reads back on replay.
//!
//! Each payload starts with one type byte, then a compact body of varints (see
//! `docs/format/wal.md`). [`decode`] validates everything it reads and returns
//! [`Error::Malformed`] on garbage; it never panics and never allocates more than the payload
//! length justifies.

use promql::{Label, Labels};

use super::{Error, Result};

/// Type byte of a [`Record::Series`] payload.
pub const TYPE_SERIES: u8 = 1;
/// Type byte of a [`Record::Samples`] payload.
pub const TYPE_SAMPLES: u8 = 2;
/// Type byte of a [`Record::Tombstones`] payload.
pub const TYPE_TOMBSTONES: u8 = 3;
/// Type byte of a [`Record::Metadata`] payload.
pub const TYPE_METADATA: u8 = 4;

/// One logged item batch. The head logs a `Series` record for a new series before any
/// `Samples` record that refers to its id.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Series(Vec<SeriesRecord>),
    Samples(Vec<SampleRecord>),
    Metadata(Vec<MetadataRecord>),
    Tombstones(Vec<TombstoneRecord>),
}

/// A series id and the label set it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesRecord {
    pub id: u64,
    pub labels: Labels,
}

/// One float sample of series `id` at `t` (milliseconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleRecord {
    pub id: u64,
    pub t: i64,
    pub v: f64,
}

/// Samples of series `id` in `[mint, maxt]` (inclusive, ms) are deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TombstoneRecord {
    pub id: u64,
    pub mint: i64,
    pub maxt: i64,
}

/// Metadata of a metric family, keyed by the family name (metadata is per family, not per
/// series). `metric_type` is the exposition-format type string (`counter`, `gauge`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataRecord {
    pub metric_family: String,
    pub metric_type: String,
    pub unit: String,
    pub help: String,
}

impl Record {
    /// Appends this record's payload to `buf`.
    pub fn encode(&self, buf: &mut Vec<u8>) {
        encode(self, buf)
    }

    /// Number of entries (series, samples or metadata items) in the record.
    pub fn len(&self) -> usize {
        match self {
            Record::Series(s) => s.len(),
            Record::Samples(s) => s.len(),
            Record::Metadata(m) => m.len(),
            Record::Tombstones(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Appends the payload of `rec` to `buf`.
pub fn encode(rec: &Record, buf: &mut Vec<u8>) {
    match rec {
        Record::Series(s) => encode_series(s, buf),
        Record::Samples(s) => encode_samples(s, buf),
        Record::Metadata(m) => encode_metadata(m, buf),
        Record::Tombstones(t) => encode_tombstones(t, buf),
    }
}

/// Appends a `Series` payload: ids are zigzag deltas against the first id.
pub fn encode_series(series: &[SeriesRecord], buf: &mut Vec<u8>) {
    buf.push(TYPE_SERIES);
    put_uvarint(buf, series.len() as u64);
    let Some(first) = series.first() else { return };
    put_uvarint(buf, first.id);
    for s in series {
        put_varint(buf, s.id.wrapping_sub(first.id) as i64);
        put_uvarint(buf, s.labels.len() as u64);
        for l in &s.labels {
            put_str(buf, &l.name);
            put_str(buf, &l.value);
        }
    }
}

/// Appends a `Samples` payload: ids and timestamps are zigzag deltas against the first
/// sample, values are the raw IEEE-754 bits (NaN payloads and stale markers survive).
pub fn encode_samples(samples: &[SampleRecord], buf: &mut Vec<u8>) {
    buf.push(TYPE_SAMPLES);
    put_uvarint(buf, samples.len() as u64);
    let Some(first) = samples.first() else { return };
    buf.reserve(samples.len() * 12 + 20);
    put_uvarint(buf, first.id);
    put_varint(buf, first.t);
    for s in samples {
        put_varint(buf, s.id.wrapping_sub(first.id) as i64);
        put_varint(buf, s.t.wrapping_sub(first.t));
        buf.extend_from_slice(&s.v.to_bits().to_le_bytes());
    }
}

/// Appends a `Metadata` payload.
pub fn encode_metadata(metadata: &[MetadataRecord], buf: &mut Vec<u8>) {
    buf.push(TYPE_METADATA);
    put_uvarint(buf, metadata.len() as u64);
    for m in metadata {
        put_str(buf, &m.metric_family);
        put_str(buf, &m.metric_type);
        put_str(buf, &m.unit);
        put_str(buf, &m.help);
    }
}

/// Appends a `Tombstones` payload: per entry the id, the start and the length of the
/// interval (`maxt - mint`, never negative).
pub fn encode_tombstones(tombstones: &[TombstoneRecord], buf: &mut Vec<u8>) {
    buf.push(TYPE_TOMBSTONES);
    put_uvarint(buf, tombstones.len() as u64);
    for t in tombstones {
        put_uvarint(buf, t.id);
        put_varint(buf, t.mint);
        put_uvarint(buf, t.maxt.wrapping_sub(t.mint) as u64);
    }
}

/// Decodes one payload. Any truncation, overlong varint, invalid UTF-8, unsorted or duplicate
/// label names, unknown type or trailing byte is an [`Error::Malformed`].
pub fn decode(payload: &[u8]) -> Result<Record> {
    let (&typ, body) = payload
        .split_first()
        .ok_or(Error::Malformed("empty record"))?;
    let mut d = Decoder { buf: body };
    let rec = match typ {
        TYPE_SERIES => Record::Series(d.series()?),
        TYPE_SAMPLES => Record::Samples(d.samples()?),
        TYPE_METADATA => Record::Metadata(d.metadata()?),
        TYPE_TOMBSTONES => Record::Tombstones(d.tombstones()?),
        _ => return Err(Error::Malformed("unknown record type")),
    };
    if !d.buf.is_empty() {
        return Err(Error::Malformed("trailing bytes after record"));
    }
    Ok(rec)
}

fn put_uvarint(buf: &mut Vec<u8>, mut x: u64) {
    while x >= 0x80 {
        buf.push((x as u8) | 0x80);
        x >>= 7;
    }
    buf.push(x as u8);
}

fn put_varint(buf: &mut Vec<u8>, x: i64) {
    put_uvarint(buf, ((x << 1) ^ (x >> 63)) as u64);
}

fn put_str(buf: &mut Vec<u8>, s: &str) {
    put_uvarint(buf, s.len() as u64);
    buf.extend_from_slice(s.as_bytes());
}

struct Decoder<'a> {
    buf: &'a [u8],
}

impl<'a> Decoder<'a> {
    #[inline]
    fn uvarint(&mut self) -> Result<u64> {
        let mut x: u64 = 0;
        for (i, &b) in self.buf.iter().enumerate().take(10) {
            if i == 9 && b > 1 {
                return Err(Error::Malformed("varint overflows 64 bits"));
            }
            x |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                self.buf = &self.buf[i + 1..];
                return Ok(x);
            }
        }
        Err(Error::Malformed("truncated varint"))
    }

    #[inline]
    fn varint(&mut self) -> Result<i64> {
        let u = self.uvarint()?;
        Ok(((u >> 1) as i64) ^ -((u & 1) as i64))
    }

    #[inline]
    fn bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.buf.len() {
            return Err(Error::Malformed("truncated record"));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    fn string(&mut self) -> Result<String> {
        let n = self.uvarint()?;
        let n = usize::try_from(n).map_err(|_| Error::Malformed("string length too large"))?;
        let b = self.bytes(n)?;
        std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| Error::Malformed("string is not UTF-8"))
    }

    /// Reads an entry count and checks it against the bytes left, given the smallest size
    /// one entry can have, so garbage cannot make us allocate gigabytes.
    fn count(&mut self, min_entry: usize) -> Result<usize> {
        let n = self.uvarint()?;
        match usize::try_from(n) {
            Ok(n) if n <= self.buf.len() / min_entry => Ok(n),
            _ => Err(Error::Malformed("entry count exceeds record size")),
        }
    }

    fn series(&mut self) -> Result<Vec<SeriesRecord>> {
        let n = self.count(2)?;
        let mut out = Vec::with_capacity(n);
        if n == 0 {
            return Ok(out);
        }
        let base = self.uvarint()?;
        for _ in 0..n {
            let id = base.wrapping_add(self.varint()? as u64);
            let nl = self.count(2)?;
            let mut labels: Vec<Label> = Vec::with_capacity(nl);
            for _ in 0..nl {
                let name = self.string()?;
                let value = self.string()?;
                if labels.last().is_some_and(|prev| prev.name >= name) {
                    return Err(Error::Malformed("label names not sorted and unique"));
                }
                labels.push(Label { name, value });
            }
            out.push(SeriesRecord {
                id,
                labels: Labels::from_sorted(labels),
            });
        }
        Ok(out)
    }

    fn samples(&mut self) -> Result<Vec<SampleRecord>> {
        let n = self.count(10)?;
        let mut out = Vec::with_capacity(n);
        if n == 0 {
            return Ok(out);
        }
        let base_id = self.uvarint()?;
        let base_t = self.varint()?;
        for _ in 0..n {
            let id = base_id.wrapping_add(self.varint()? as u64);
            let t = base_t.wrapping_add(self.varint()?);
            let raw = self.bytes(8)?;
            let mut bits = [0u8; 8];
            bits.copy_from_slice(raw);
            out.push(SampleRecord {
                id,
                t,
                v: f64::from_bits(u64::from_le_bytes(bits)),
            });
        }
        Ok(out)
    }

    fn tombstones(&mut self) -> Result<Vec<TombstoneRecord>> {
        let n = self.count(3)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let id = self.uvarint()?;
            let mint = self.varint()?;
            let span = self.uvarint()?;
            let maxt = i64::try_from(i128::from(mint) + i128::from(span))
                .map_err(|_| Error::Malformed("tombstone interval end overflows"))?;
            out.push(TombstoneRecord { id, mint, maxt });
        }
        Ok(out)
    }

    fn metadata(&mut self) -> Result<Vec<MetadataRecord>> {
        let n = self.count(4)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(MetadataRecord {
                metric_family: self.string()?,
                metric_type: self.string()?,
                unit: self.string()?,
                help: self.string()?,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

    fn roundtrip(rec: &Record) -> Record {
        let mut buf = Vec::new();
        encode(rec, &mut buf);
        decode(&buf).expect("decodes")
    }

    fn bits(r: &Record) -> Vec<(u64, i64, u64)> {
        match r {
            Record::Samples(s) => s.iter().map(|s| (s.id, s.t, s.v.to_bits())).collect(),
            _ => panic!("not samples"),
        }
    }

    #[test]
    fn samples_roundtrip_keeps_nan_bits_stale_markers_and_extreme_values() {
        let vals = [
            f64::from_bits(STALE_NAN),
            f64::NAN,
            f64::from_bits(0xfff8_0000_0000_0001),
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            f64::MIN_POSITIVE,
            1.5,
        ];
        let ts = [
            i64::MIN,
            i64::MAX,
            0,
            -1,
            1,
            i64::MIN + 1,
            1_700_000_000_000,
            i64::MAX - 1,
        ];
        let ids = [u64::MAX, 0, 7, u64::MAX - 1, 1 << 63, 3, 3, 1];
        let samples: Vec<SampleRecord> = (0..vals.len())
            .map(|i| SampleRecord {
                id: ids[i],
                t: ts[i],
                v: vals[i],
            })
            .collect();
        let rec = Record::Samples(samples);
        assert_eq!(bits(&roundtrip(&rec)), bits(&rec));
    }

    #[test]
    fn empty_records_roundtrip() {
        for rec in [
            Record::Series(vec![]),
            Record::Samples(vec![]),
            Record::Metadata(vec![]),
            Record::Tombstones(vec![]),
        ] {
            assert_eq!(roundtrip(&rec), rec);
        }
    }

    #[test]
    fn series_and_metadata_roundtrip() {
        let rec = Record::Series(vec![
            SeriesRecord {
                id: 42,
                labels: Labels::from_pairs([("__name__", "up"), ("job", "node"), ("é", "ü\"\n")]),
            },
            SeriesRecord {
                id: 1,
                labels: Labels::new(),
            },
            SeriesRecord {
                id: u64::MAX,
                labels: Labels::from_pairs([("a", "x".repeat(300))]),
            },
        ]);
        assert_eq!(roundtrip(&rec), rec);
        let rec = Record::Metadata(vec![MetadataRecord {
            metric_family: "http_requests_total".into(),
            metric_type: "counter".into(),
            unit: String::new(),
            help: "Requests.\nMultiline ✓".into(),
        }]);
        assert_eq!(roundtrip(&rec), rec);
    }

    #[test]
    fn tombstones_roundtrip_extreme_intervals() {
        let rec = Record::Tombstones(vec![
            TombstoneRecord {
                id: 3,
                mint: 1_700_000_000_000,
                maxt: 1_700_000_060_000,
            },
            TombstoneRecord {
                id: u64::MAX,
                mint: i64::MIN,
                maxt: i64::MAX,
            },
            TombstoneRecord {
                id: 0,
                mint: -5,
                maxt: -5,
            },
        ]);
        assert_eq!(roundtrip(&rec), rec);
        // An interval whose end overflows is garbage.
        let mut b = vec![TYPE_TOMBSTONES, 1, 0];
        put_varint(&mut b, i64::MAX);
        put_uvarint(&mut b, 1);
        assert!(decode(&b).is_err());
    }

    #[test]
    fn samples_are_compact() {
        let samples: Vec<SampleRecord> = (0..1000)
            .map(|i| SampleRecord {
                id: 100_000 + i,
                t: 1_700_000_000_000,
                v: 1.0,
            })
            .collect();
        let mut buf = Vec::new();
        encode_samples(&samples, &mut buf);
        // 8 value bytes + at most 2 id-delta bytes + 1 timestamp-delta byte per sample.
        assert!(buf.len() <= 1000 * 11 + 16, "{}", buf.len());
    }

    #[test]
    fn decode_rejects_garbage_without_panicking() {
        let mut valid = Vec::new();
        encode(
            &Record::Series(vec![SeriesRecord {
                id: 9,
                labels: Labels::from_pairs([("a", "1"), ("b", "2")]),
            }]),
            &mut valid,
        );
        encode_samples(
            &[SampleRecord {
                id: 1,
                t: 2,
                v: 3.0,
            }],
            &mut valid,
        );
        // Every truncation of a valid payload must be an error, never a panic.
        let mut one = Vec::new();
        encode(
            &Record::Series(vec![SeriesRecord {
                id: 9,
                labels: Labels::from_pairs([("a", "1"), ("b", "2")]),
            }]),
            &mut one,
        );
        for cut in 0..one.len() {
            assert!(decode(&one[..cut]).is_err(), "cut at {cut}");
        }
        // Two records back to back: trailing bytes.
        assert!(decode(&valid).is_err());
        // Unsorted labels, bad UTF-8, huge counts, overlong varints, unknown/reserved types.
        let bad: Vec<Vec<u8>> = vec![
            vec![],
            vec![0],
            vec![9, 0],
            vec![TYPE_TOMBSTONES, 2, 1, 0],
            vec![TYPE_SERIES, 1, 0, 0, 2, 1, b'b', 0, 1, b'a', 0],
            vec![TYPE_SERIES, 1, 0, 0, 1, 1, b'a', 2, 0xff, 0xfe],
            vec![TYPE_SAMPLES, 0xff, 0xff, 0xff, 0xff, 0x0f],
            vec![
                TYPE_SAMPLES,
                1,
                0xff,
                0xff,
                0xff,
                0xff,
                0xff,
                0xff,
                0xff,
                0xff,
                0xff,
                0x7f,
            ],
            vec![TYPE_METADATA, 1, 5, b'a'],
        ];
        for b in &bad {
            assert!(decode(b).is_err(), "{b:?}");
        }
        // Pseudo-random garbage.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for len in 0..2000usize {
            let buf: Vec<u8> = (0..len % 64)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            let _ = decode(&buf);
        }
    }
}
