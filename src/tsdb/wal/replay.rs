//! Reading the log back at startup: the newest checkpoint, then every later segment in order,
//! repairing what a crash left behind.

use std::path::Path;

use super::record::{self, Record};
use super::segment::{self, ScanEnd};
use super::{Error, Result};

/// What [`replay`] read and repaired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayStats {
    /// The checkpoint replayed first, if any.
    pub checkpoint: Option<u32>,
    /// First and last segment replayed after the checkpoint.
    pub segments: Option<(u32, u32)>,
    /// Records handed to the callback, and the entries they held.
    pub records: u64,
    pub series: u64,
    pub samples: u64,
    pub metadata: u64,
    pub tombstones: u64,
    /// Bytes of frames read (checkpoint and segments).
    pub bytes: u64,
    /// Truncations made; each was also logged with `tracing::warn!`.
    pub repairs: Vec<Repair>,
}

/// One repair made by [`replay`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repair {
    pub kind: RepairKind,
    /// Segment truncated and where: everything from `offset` on was dropped.
    pub segment: u32,
    pub offset: u64,
    pub bytes_dropped: u64,
    /// Later segments deleted (only for [`RepairKind::Corruption`]).
    pub segments_deleted: Vec<u32>,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepairKind {
    /// An incomplete last frame (a write cut short by a crash): truncated, replay continued.
    TornTail,
    /// An invalid frame with data after it: the segment was truncated there, all later
    /// segments deleted, and replay stopped, as Prometheus's WAL repair does.
    Corruption,
}

/// Replays the WAL in `dir`: the records of the newest `checkpoint.N`, then of every segment
/// numbered above N in order, each passed to `f`. A missing `dir` replays nothing.
///
/// Repairs (run this before [`super::Wal::open`], never while a `Wal` writes to `dir`):
/// - an incomplete frame at the end of a segment (torn write) is truncated away and replay
///   goes on;
/// - an invalid frame followed by more data truncates the segment there, deletes every later
///   segment, and ends replay with the records read so far; both are in
///   [`ReplayStats::repairs`] and logged with `tracing::warn!`.
///
/// Errors (nothing is modified): a damaged checkpoint, a frame whose checksum is fine but whose
/// payload does not decode (a format bug or a newer version's record type), a gap in segment
/// numbers, I/O errors, and any error `f` returns, which stops replay.
pub fn replay(dir: &Path, mut f: impl FnMut(Record) -> Result<()>) -> Result<ReplayStats> {
    let mut stats = ReplayStats::default();
    if !dir.exists() {
        return Ok(stats);
    }
    let listing = segment::list_dir(dir)?;
    let mut buf = Vec::new();

    let mut start = 0u32;
    if let Some(cp) = listing.last_checkpoint() {
        let path = segment::checkpoint_path(dir, cp);
        let (end, file_len) = scan_records(&mut buf, &path, cp, &mut stats, &mut f)?;
        if let ScanEnd::TornTail { offset, reason } | ScanEnd::Corrupt { offset, reason } = end {
            return Err(Error::Corrupt {
                path,
                segment: cp,
                offset,
                reason: format!("damaged checkpoint: {reason}"),
            });
        }
        stats.bytes += file_len;
        stats.checkpoint = Some(cp);
        start = cp.saturating_add(1);
    }

    let segs: Vec<u32> = listing
        .segments
        .iter()
        .copied()
        .filter(|&n| n >= start)
        .collect();
    match (stats.checkpoint, segs.first()) {
        (Some(cp), Some(&first)) if first != start => tracing::warn!(
            checkpoint = cp,
            first_segment = first,
            "wal: segments between the checkpoint and the first segment are missing"
        ),
        _ => {}
    }
    for w in segs.windows(2) {
        if w[1] != w[0] + 1 {
            let missing = w[0] + 1;
            return Err(Error::Corrupt {
                path: segment::segment_path(dir, missing),
                segment: missing,
                offset: 0,
                reason: format!("segment missing (next present is {})", w[1]),
            });
        }
    }

    for (i, &n) in segs.iter().enumerate() {
        let path = segment::segment_path(dir, n);
        let (end, file_len) = scan_records(&mut buf, &path, n, &mut stats, &mut f)?;
        stats.segments = Some((stats.segments.map_or(n, |(a, _)| a), n));
        match end {
            ScanEnd::Clean => stats.bytes += file_len,
            ScanEnd::TornTail { offset, reason } => {
                stats.bytes += offset;
                segment::truncate_file(&path, offset)?;
                let last = i + 1 == segs.len();
                tracing::warn!(
                    segment = n,
                    offset,
                    dropped = file_len - offset,
                    last_segment = last,
                    reason,
                    "wal: truncated torn tail of segment"
                );
                stats.repairs.push(Repair {
                    kind: RepairKind::TornTail,
                    segment: n,
                    offset,
                    bytes_dropped: file_len - offset,
                    segments_deleted: Vec::new(),
                    reason: reason.to_string(),
                });
            }
            ScanEnd::Corrupt { offset, reason } => {
                stats.bytes += offset;
                let err = Error::Corrupt {
                    path: path.clone(),
                    segment: n,
                    offset,
                    reason: reason.to_string(),
                };
                segment::truncate_file(&path, offset)?;
                let later: Vec<u32> = segs[i + 1..].to_vec();
                for &m in later.iter().rev() {
                    segment::remove_file(&segment::segment_path(dir, m))?;
                }
                segment::sync_dir(dir)?;
                tracing::warn!(
                    error = %err,
                    dropped_bytes = file_len - offset,
                    deleted_segments = ?later,
                    "wal: corruption; truncated the log there and dropped everything after it"
                );
                stats.repairs.push(Repair {
                    kind: RepairKind::Corruption,
                    segment: n,
                    offset,
                    bytes_dropped: file_len - offset,
                    segments_deleted: later,
                    reason: reason.to_string(),
                });
                break;
            }
        }
    }
    Ok(stats)
}

/// Decodes every valid frame of `data` and feeds it to `f`. A frame that passes its checksum
/// but fails to decode is an error, not something to repair.
fn scan_records(
    buf: &mut Vec<u8>,
    path: &Path,
    segment: u32,
    stats: &mut ReplayStats,
    f: &mut impl FnMut(Record) -> Result<()>,
) -> Result<(ScanEnd, u64)> {
    segment::scan_file(path, buf, |offset, payload| {
        let rec = record::decode(payload).map_err(|e| Error::Corrupt {
            path: path.to_path_buf(),
            segment,
            offset,
            reason: format!("checksum ok but record undecodable: {e}"),
        })?;
        stats.records += 1;
        match &rec {
            Record::Series(s) => stats.series += s.len() as u64,
            Record::Samples(s) => stats.samples += s.len() as u64,
            Record::Metadata(m) => stats.metadata += m.len() as u64,
            Record::Tombstones(t) => stats.tombstones += t.len() as u64,
        }
        f(rec)
    })
}
