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

/// How much of a file [`scan_file`] holds in memory at a time (more only for a larger frame).
const SCAN_BUFFER: usize = 4 << 20;

/// Walks the frames of the file at `path`, calling `f(offset, payload)` for each valid one, and
/// stops at the first invalid frame; errors from `f` abort the scan. The file is read through
/// `buf` a few megabytes at a time, so replaying or checkpointing large segments does not need
/// their size in memory. Returns how the scan ended and the file's length.
pub(crate) fn scan_file(
    path: &Path,
    buf: &mut Vec<u8>,
    mut f: impl FnMut(u64, &[u8]) -> Result<()>,
) -> Result<(ScanEnd, u64)> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let file_len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    buf.clear();
    // `buf` holds the file's bytes from offset `base`; `off` is the next frame's offset.
    let mut base = 0u64;
    let mut off = 0u64;
    // Makes `buf` hold at least `want` bytes from `off` (fewer only at the end of the file).
    let mut fill = |buf: &mut Vec<u8>, base: &mut u64, off: u64, want: usize| -> Result<()> {
        let start = (off - *base) as usize;
        if buf.len() - start >= want {
            return Ok(());
        }
        buf.drain(..start);
        *base = off;
        let target = want.max(SCAN_BUFFER);
        while buf.len() < target {
            let have = buf.len();
            buf.resize(target, 0);
            let n = file
                .read(&mut buf[have..])
                .map_err(|e| Error::io(path, e))?;
            buf.truncate(have + n);
            if n == 0 {
                break;
            }
        }
        Ok(())
    };
    while off < file_len {
        let remaining = file_len - off;
        if remaining < FRAME_HEADER as u64 {
            return Ok((
                ScanEnd::TornTail {
                    offset: off,
                    reason: "incomplete frame header",
                },
                file_len,
            ));
        }
        fill(buf, &mut base, off, FRAME_HEADER)?;
        let at = (off - base) as usize;
        let h = &buf[at..];
        if h.len() < FRAME_HEADER {
            // The file shrank under us: treat what is missing as torn.
            return Ok((
                ScanEnd::TornTail {
                    offset: off,
                    reason: "incomplete frame header",
                },
                file_len,
            ));
        }
        let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as u64;
        let crc = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
        let bad = |buf: &mut Vec<u8>, reason| -> Result<ScanEnd> {
            // A tail of zeros is what a file extended by a crash (size updated, data not yet
            // written) looks like; treat it as torn rather than corrupt.
            let zeros = rest_is_zero(path, off)?;
            buf.clear();
            Ok(if zeros {
                ScanEnd::TornTail {
                    offset: off,
                    reason: "zero-filled tail",
                }
            } else {
                ScanEnd::Corrupt {
                    offset: off,
                    reason,
                }
            })
        };
        if len == 0 {
            return Ok((bad(buf, "zero-length frame")?, file_len));
        }
        if remaining - (FRAME_HEADER as u64) < len {
            return Ok((
                ScanEnd::TornTail {
                    offset: off,
                    reason: "frame extends past end of file",
                },
                file_len,
            ));
        }
        let frame = FRAME_HEADER + len as usize;
        fill(buf, &mut base, off, frame)?;
        let at = (off - base) as usize;
        if buf.len() - at < frame {
            return Ok((
                ScanEnd::TornTail {
                    offset: off,
                    reason: "frame extends past end of file",
                },
                file_len,
            ));
        }
        let payload = &buf[at + FRAME_HEADER..at + frame];
        if crc32c::crc32c(payload) != crc {
            if off + frame as u64 == file_len {
                return Ok((
                    ScanEnd::TornTail {
                        offset: off,
                        reason: "checksum mismatch in last frame",
                    },
                    file_len,
                ));
            }
            return Ok((bad(buf, "checksum mismatch")?, file_len));
        }
        f(off, payload)?;
        off += frame as u64;
    }
    Ok((ScanEnd::Clean, file_len))
}

/// Whether every byte of the file from `offset` on is zero.
fn rest_is_zero(path: &Path, offset: u64) -> Result<bool> {
    use std::io::{Seek, SeekFrom};
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    f.seek(SeekFrom::Start(offset))
        .map_err(|e| Error::io(path, e))?;
    let mut block = vec![0u8; 64 << 10];
    loop {
        let n = f.read(&mut block).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            return Ok(true);
        }
        if block[..n].iter().any(|&b| b != 0) {
            return Ok(false);
        }
    }
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
