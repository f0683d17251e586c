//! Segment and checkpoint files: names, directory listing, record framing and scanning.
//!
//! A frame is `len u32 LE | crc32c(payload) u32 LE | payload`. Frames are written back to back
//! with no padding; a segment holds whole frames only, except after a crash, when its tail may
//! hold the first bytes of a frame whose write(2) never completed.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::{Error, Result};

/// Bytes of a frame header: payload length and payload CRC-32C.
pub(crate) const FRAME_HEADER: usize = 8;

/// Largest payload a frame may carry; a larger length field is garbage.
pub(crate) const MAX_PAYLOAD: usize = u32::MAX as usize;

const CHECKPOINT_PREFIX: &str = "checkpoint.";
const TMP_SUFFIX: &str = ".tmp";

pub(crate) fn segment_name(n: u32) -> String {
    format!("{n:08}")
}

pub(crate) fn segment_path(dir: &Path, n: u32) -> PathBuf {
    dir.join(segment_name(n))
}

pub(crate) fn checkpoint_path(dir: &Path, n: u32) -> PathBuf {
    dir.join(format!("{CHECKPOINT_PREFIX}{n:08}"))
}

pub(crate) fn checkpoint_tmp_path(dir: &Path, n: u32) -> PathBuf {
    dir.join(format!("{CHECKPOINT_PREFIX}{n:08}{TMP_SUFFIX}"))
}

fn parse_number(s: &str) -> Option<u32> {
    if s.len() >= 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// What a WAL directory holds, each list sorted ascending.
#[derive(Debug, Default)]
pub(crate) struct DirListing {
    pub(crate) segments: Vec<u32>,
    pub(crate) checkpoints: Vec<u32>,
    /// Leftovers of interrupted checkpoints.
    pub(crate) tmp: Vec<PathBuf>,
}

impl DirListing {
    pub(crate) fn last_checkpoint(&self) -> Option<u32> {
        self.checkpoints.last().copied()
    }
}

pub(crate) fn list_dir(dir: &Path) -> Result<DirListing> {
    let mut out = DirListing::default();
    let rd = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in rd {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.ends_with(TMP_SUFFIX) && name.starts_with(CHECKPOINT_PREFIX) {
            out.tmp.push(entry.path());
        } else if let Some(n) = name.strip_prefix(CHECKPOINT_PREFIX).and_then(parse_number) {
            out.checkpoints.push(n);
        } else if let Some(n) = parse_number(name) {
            out.segments.push(n);
        }
    }
    out.segments.sort_unstable();
    out.checkpoints.sort_unstable();
    Ok(out)
}

/// Makes the directory entries of `dir` (creations, renames, deletions) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))
}

/// Appends one frame (header + payload written by `payload`) to `buf`. On error (payload
/// larger than a frame can describe) `buf` is left as it was.
pub(crate) fn append_frame(buf: &mut Vec<u8>, payload: impl FnOnce(&mut Vec<u8>)) -> Result<()> {
    let start = buf.len();
    buf.extend_from_slice(&[0; FRAME_HEADER]);
    payload(buf);
    let len = buf.len() - start - FRAME_HEADER;
    if len == 0 || len > MAX_PAYLOAD {
        buf.truncate(start);
        return Err(Error::RecordSize(len));
    }
    let crc = crc32c::crc32c(&buf[start + FRAME_HEADER..]);
    buf[start..start + 4].copy_from_slice(&(len as u32).to_le_bytes());
    buf[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}

/// Reads a whole file into `buf`, reusing its allocation.
pub(crate) fn read_file(path: &Path, buf: &mut Vec<u8>) -> Result<()> {
    buf.clear();
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    if let Ok(m) = f.metadata() {
        buf.reserve(m.len() as usize);
    }
    f.read_to_end(buf).map_err(|e| Error::io(path, e))?;
    Ok(())
}

/// How a scan over a file's frames ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScanEnd {
    /// Every byte belonged to a valid frame.
    Clean,
    /// The bytes from `offset` to the end of the file are an incomplete or unreadable last
    /// frame (or zeros): what a write cut short by a crash leaves behind.
    TornTail { offset: u64, reason: &'static str },
    /// An invalid frame at `offset` with more data after it.
    Corrupt { offset: u64, reason: &'static str },
}

/// Walks the frames of `data`, calling `f(offset, payload)` for each valid one, and stops at
/// the first invalid frame. Errors from `f` abort the scan.
pub(crate) fn scan_frames(
    data: &[u8],
    mut f: impl FnMut(u64, &[u8]) -> Result<()>,
) -> Result<ScanEnd> {
    let mut off = 0usize;
    while off < data.len() {
        let rest = &data[off..];
        let bad = |reason| {
            // A tail of zeros is what a file extended by a crash (size updated, data not yet
            // written) looks like; treat it as torn rather than corrupt.
            if rest.iter().all(|&b| b == 0) {
                ScanEnd::TornTail {
                    offset: off as u64,
                    reason: "zero-filled tail",
                }
            } else {
                ScanEnd::Corrupt {
                    offset: off as u64,
                    reason,
                }
            }
        };
        if rest.len() < FRAME_HEADER {
            return Ok(ScanEnd::TornTail {
                offset: off as u64,
                reason: "incomplete frame header",
            });
        }
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let crc = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
        if len == 0 {
            return Ok(bad("zero-length frame"));
        }
        if rest.len() - FRAME_HEADER < len {
            return Ok(ScanEnd::TornTail {
                offset: off as u64,
                reason: "frame extends past end of file",
            });
        }
        let payload = &rest[FRAME_HEADER..FRAME_HEADER + len];
        if crc32c::crc32c(payload) != crc {
            if rest.len() == FRAME_HEADER + len {
                return Ok(ScanEnd::TornTail {
                    offset: off as u64,
                    reason: "checksum mismatch in last frame",
                });
            }
            return Ok(bad("checksum mismatch"));
        }
        f(off as u64, payload)?;
        off += FRAME_HEADER + len;
    }
    Ok(ScanEnd::Clean)
}

/// Truncates `path` to `len` bytes and makes it durable.
pub(crate) fn truncate_file(path: &Path, len: u64) -> Result<()> {
    let f = fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| Error::io(path, e))?;
    f.set_len(len).map_err(|e| Error::io(path, e))?;
    f.sync_all().map_err(|e| Error::io(path, e))
}

/// Removes a file, treating "already gone" as success.
pub(crate) fn remove_file(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(path, e)),
    }
}

pub(crate) fn file_len(path: &Path) -> u64 {
    fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}
