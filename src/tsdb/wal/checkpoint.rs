//! Checkpoints: old segments condensed into one file holding only what the head still needs.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use super::record::{self, MetadataRecord, Record, SampleRecord, SeriesRecord, TombstoneRecord};
use super::segment::{self, ScanEnd};
use super::writer::Wal;
use super::{Error, Result};

/// What [`checkpoint`] wrote and removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckpointStats {
    /// The checkpoint written (`checkpoint.N`), or `None` if an existing checkpoint already
    /// covered `through_segment`.
    pub checkpoint: Option<u32>,
    pub series_kept: u64,
    pub series_dropped: u64,
    pub samples_kept: u64,
    pub samples_dropped: u64,
    pub metadata_kept: u64,
    pub tombstones_kept: u64,
    pub bytes: u64,
    pub segments_deleted: u64,
}

/// Flush the checkpoint buffer to the file past this size.
const FLUSH_AT: usize = 1 << 20;

/// Condenses the previous checkpoint and segments `..= through_segment` into
/// `checkpoint.<through_segment>`, then deletes those segments and older checkpoints.
///
/// The checkpoint holds, in log order:
/// - the first `Series` entry of each series id for which `keep_series(id)` is true;
/// - the `Samples` entries with `keep_series(id)` and `t >= mint`;
/// - the `Tombstones` entries with `keep_series(id)` and `maxt >= mint` (an interval ending
///   before `mint` only covered data that has left the head);
/// - at the end, one `Metadata` record with the latest entry of every metric family seen
///   (metadata is per family, so it is kept regardless of `keep_series`).
///
/// It is written to `checkpoint.N.tmp`, fsynced, renamed and the directory fsynced, so a crash
/// leaves either the old state or the complete new checkpoint (a leftover `.tmp` is removed by
/// the next `checkpoint` or [`Wal::open`]). `through_segment` must be below the active
/// segment ([`Wal::cut_segment`] first to include everything). Runs concurrently with `log*`.
pub fn checkpoint(
    wal: &Wal,
    through_segment: u32,
    keep_series: impl Fn(u64) -> bool,
    mint: i64,
) -> Result<CheckpointStats> {
    let shared = wal.shared();
    let _m = shared.maintenance();
    let dir = shared.dir();
    let active = shared.active_segment();
    if through_segment >= active {
        return Err(Error::Invalid(format!(
            "cannot checkpoint through segment {through_segment}: segment {active} is active; \
             cut a new segment first"
        )));
    }
    let listing = segment::list_dir(dir)?;
    for tmp in &listing.tmp {
        segment::remove_file(tmp)?;
    }
    let prev = listing.last_checkpoint();
    let mut stats = CheckpointStats::default();
    if prev.is_some_and(|p| p >= through_segment) {
        return Ok(stats);
    }
    let segs: Vec<u32> = listing
        .segments
        .iter()
        .copied()
        .filter(|&n| prev.is_none_or(|p| n > p) && n <= through_segment)
        .collect();
    let expected_first = match (prev, segs.first()) {
        (Some(p), _) => p + 1,
        (None, Some(&f)) => f,
        (None, None) => through_segment,
    };
    let contiguous = segs.len() as u64 == u64::from(through_segment - expected_first) + 1
        && segs.first() == Some(&expected_first);
    if !contiguous {
        return Err(Error::Invalid(format!(
            "cannot checkpoint through segment {through_segment}: segments \
             {expected_first}..={through_segment} are not all present (found {segs:?})"
        )));
    }

    let tmp_path = segment::checkpoint_tmp_path(dir, through_segment);
    let mut out = CheckpointWriter {
        file: File::create(&tmp_path).map_err(|e| Error::io(&tmp_path, e))?,
        path: &tmp_path,
        buf: Vec::with_capacity(FLUSH_AT + (64 << 10)),
        bytes: 0,
    };
    let mut seen: HashSet<u64> = HashSet::new();
    let mut metadata: HashMap<String, MetadataRecord> = HashMap::new();
    let mut series_out: Vec<SeriesRecord> = Vec::new();
    let mut samples_out: Vec<SampleRecord> = Vec::new();
    let mut tombstones_out: Vec<TombstoneRecord> = Vec::new();

    let mut sources = Vec::new();
    if let Some(p) = prev {
        sources.push((segment::checkpoint_path(dir, p), p));
    }
    sources.extend(segs.iter().map(|&n| (segment::segment_path(dir, n), n)));
    let mut data = Vec::new();
    for (path, n) in &sources {
        let (end, _) = segment::scan_file(path, &mut data, |offset, payload| {
            let rec = record::decode(payload).map_err(|e| Error::Corrupt {
                path: path.clone(),
                segment: *n,
                offset,
                reason: format!("checksum ok but record undecodable: {e}"),
            })?;
            match rec {
                Record::Series(series) => {
                    series_out.clear();
                    for s in series {
                        if keep_series(s.id) && seen.insert(s.id) {
                            series_out.push(s);
                        } else {
                            stats.series_dropped += 1;
                        }
                    }
                    stats.series_kept += series_out.len() as u64;
                    if !series_out.is_empty() {
                        out.frame(|b| record::encode_series(&series_out, b))?;
                    }
                }
                Record::Samples(samples) => {
                    samples_out.clear();
                    samples_out.extend(
                        samples
                            .iter()
                            .filter(|s| s.t >= mint && keep_series(s.id))
                            .copied(),
                    );
                    stats.samples_kept += samples_out.len() as u64;
                    stats.samples_dropped += (samples.len() - samples_out.len()) as u64;
                    if !samples_out.is_empty() {
                        out.frame(|b| record::encode_samples(&samples_out, b))?;
                    }
                }
                Record::Metadata(ms) => {
                    for m in ms {
                        metadata.insert(m.metric_family.clone(), m);
                    }
                }
                Record::Tombstones(ts) => {
                    tombstones_out.clear();
                    tombstones_out.extend(
                        ts.iter()
                            .filter(|t| t.maxt >= mint && keep_series(t.id))
                            .copied(),
                    );
                    stats.tombstones_kept += tombstones_out.len() as u64;
                    if !tombstones_out.is_empty() {
                        out.frame(|b| record::encode_tombstones(&tombstones_out, b))?;
                    }
                }
            }
            Ok(())
        })?;
        match end {
            ScanEnd::Clean => {}
            // A closed segment can only have a torn tail if nothing repaired it since a
            // crash; nothing valid follows it, so there is nothing more to read.
            ScanEnd::TornTail { offset, reason } => {
                tracing::warn!(
                    segment = n,
                    offset,
                    reason,
                    "wal checkpoint: torn tail ignored"
                );
            }
            ScanEnd::Corrupt { offset, reason } => {
                drop(out);
                let _ = fs::remove_file(&tmp_path);
                return Err(Error::Corrupt {
                    path: path.clone(),
                    segment: *n,
                    offset,
                    reason: reason.to_string(),
                });
            }
        }
    }
    let mut meta: Vec<MetadataRecord> = metadata.into_values().collect();
    meta.sort_by(|a, b| a.metric_family.cmp(&b.metric_family));
    stats.metadata_kept = meta.len() as u64;
    if !meta.is_empty() {
        out.frame(|b| record::encode_metadata(&meta, b))?;
    }
    stats.bytes = out.finish()?;

    let final_path = segment::checkpoint_path(dir, through_segment);
    fs::rename(&tmp_path, &final_path).map_err(|e| Error::io(&final_path, e))?;
    segment::sync_dir(dir)?;
    shared.add_disk_bytes(stats.bytes);
    stats.checkpoint = Some(through_segment);

    // The new checkpoint is durable: drop what it replaces.
    shared.truncate_before_locked(through_segment + 1)?;
    stats.segments_deleted = segs.len() as u64;
    for &c in listing.checkpoints.iter().filter(|&&c| c < through_segment) {
        let p = segment::checkpoint_path(dir, c);
        let len = segment::file_len(&p);
        segment::remove_file(&p)?;
        shared.sub_disk_bytes(len);
    }
    segment::sync_dir(dir)?;
    tracing::info!(
        checkpoint = through_segment,
        series = stats.series_kept,
        samples = stats.samples_kept,
        bytes = stats.bytes,
        "wal: checkpoint written"
    );
    Ok(stats)
}

struct CheckpointWriter<'a> {
    file: File,
    path: &'a Path,
    buf: Vec<u8>,
    bytes: u64,
}

impl CheckpointWriter<'_> {
    fn frame(&mut self, payload: impl FnOnce(&mut Vec<u8>)) -> Result<()> {
        segment::append_frame(&mut self.buf, payload)?;
        if self.buf.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        self.file
            .write_all(&self.buf)
            .map_err(|e| Error::io(self.path, e))?;
        self.bytes += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    /// Writes the rest and fsyncs; returns the file's size.
    fn finish(mut self) -> Result<u64> {
        self.flush()?;
        self.file.sync_all().map_err(|e| Error::io(self.path, e))?;
        Ok(self.bytes)
    }
}
