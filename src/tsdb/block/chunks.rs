//! Chunk segment files (`chunks/000001`, ...): the encoded chunks of a block, written
//! sequentially and read back at random with `read_at`.
//!
//! A segment starts with an 8-byte header (magic `STCH`, version, 3 reserved bytes) followed
//! by records `[uvarint len][encoding u8][data: len bytes][crc32c(encoding, data) u32 BE]`. A
//! chunk reference is `segment << 32 | offset`, where `offset` is where the record starts.
//! Segments never exceed [`MAX_SEGMENT_SIZE`].

use super::encoding::{Decbuf, put_uvarint, uvarint_len};
use super::{Error, IoContext, Result};
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Name of the directory holding the segments inside a block.
pub const CHUNKS_DIR: &str = "chunks";
/// Largest size of one segment file.
pub const MAX_SEGMENT_SIZE: u64 = 512 << 20;
pub(crate) const SEGMENT_MAGIC: u32 = 0x5354_4348; // "STCH"
pub(crate) const SEGMENT_VERSION: u8 = 1;
pub(crate) const SEGMENT_HEADER_LEN: u64 = 8;
/// Bytes of a record besides its data: the encoding byte and the crc (plus the length varint).
const RECORD_FIXED: u64 = 1 + 4;
/// Bytes read speculatively for a chunk, enough for a whole typical record in one syscall.
const READ_AHEAD: u64 = 512;

pub(crate) fn segment_path(dir: &Path, seg: u32) -> PathBuf {
    dir.join(format!("{seg:06}"))
}

pub(crate) fn record_len(data_len: usize) -> u64 {
    uvarint_len(data_len as u64) as u64 + RECORD_FIXED + data_len as u64
}

/// Appends chunk records to numbered segment files, starting a new one when the current
/// would grow past the size limit.
pub(crate) struct ChunkWriter {
    dir: PathBuf,
    max_size: u64,
    seg: u32,
    file: Option<BufWriter<File>>,
    /// Size of the current segment so far.
    pos: u64,
    /// Bytes written to all segments, headers included.
    total: u64,
    buf: Vec<u8>,
}

impl std::fmt::Debug for ChunkWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkWriter")
            .field("dir", &self.dir)
            .field("segment", &self.seg)
            .field("pos", &self.pos)
            .field("total", &self.total)
            .finish()
    }
}

impl ChunkWriter {
    /// Creates `dir` (the block's `chunks` directory). No segment exists until the first chunk.
    pub(crate) fn create(dir: PathBuf, max_size: u64) -> Result<Self> {
        fs::create_dir(&dir).at(&dir)?;
        Ok(ChunkWriter {
            dir,
            max_size: max_size.clamp(SEGMENT_HEADER_LEN + 64, MAX_SEGMENT_SIZE),
            seg: 0,
            file: None,
            pos: 0,
            total: 0,
            buf: Vec::new(),
        })
    }

    /// Writes one chunk and returns its reference.
    pub(crate) fn write(&mut self, encoding: u8, data: &[u8]) -> Result<u64> {
        let len = record_len(data.len());
        if len > self.max_size - SEGMENT_HEADER_LEN {
            return Err(Error::InvalidInput(format!(
                "chunk of {} bytes does not fit in a segment",
                data.len()
            )));
        }
        if self.file.is_none() || self.pos + len > self.max_size {
            self.cut()?;
        }
        self.buf.clear();
        put_uvarint(&mut self.buf, data.len() as u64);
        self.buf.push(encoding);
        self.buf.extend_from_slice(data);
        let crc = crc32c::crc32c_append(crc32c::crc32c(&[encoding]), data);
        self.buf.extend_from_slice(&crc.to_be_bytes());
        let r = (u64::from(self.seg) << 32) | self.pos;
        let path = segment_path(&self.dir, self.seg);
        let f = self
            .file
            .as_mut()
            .ok_or_else(|| Error::InvalidInput("no open segment".into()))?;
        f.write_all(&self.buf).at(&path)?;
        self.pos += len;
        self.total += len;
        Ok(r)
    }

    /// Finishes the current segment (flush + fsync) and opens the next one.
    fn cut(&mut self) -> Result<()> {
        self.close_segment()?;
        self.seg += 1;
        let path = segment_path(&self.dir, self.seg);
        let mut f = BufWriter::with_capacity(1 << 16, File::create_new(&path).at(&path)?);
        let mut header = [0u8; SEGMENT_HEADER_LEN as usize];
        header[..4].copy_from_slice(&SEGMENT_MAGIC.to_be_bytes());
        header[4] = SEGMENT_VERSION;
        f.write_all(&header).at(&path)?;
        self.file = Some(f);
        self.pos = SEGMENT_HEADER_LEN;
        self.total += SEGMENT_HEADER_LEN;
        Ok(())
    }

    fn close_segment(&mut self) -> Result<()> {
        if let Some(f) = self.file.take() {
            let path = segment_path(&self.dir, self.seg);
            let f = f.into_inner().map_err(|e| e.into_error()).at(&path)?;
            f.sync_all().at(&path)?;
        }
        Ok(())
    }

    /// Flushes and fsyncs everything, including the directory. Returns the total bytes.
    pub(crate) fn finish(mut self) -> Result<u64> {
        self.close_segment()?;
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .at(&self.dir)?;
        Ok(self.total)
    }
}

/// Random access to the segments of an open block.
#[derive(Debug)]
pub(crate) struct ChunkReader {
    dir: PathBuf,
    /// Segment `n` is at index `n - 1`, with its length.
    segments: Vec<(File, u64)>,
}

impl ChunkReader {
    /// Opens every segment in `dir`; they must be numbered 1..=n without gaps.
    pub(crate) fn open(dir: &Path) -> Result<Self> {
        let mut nums = Vec::new();
        for entry in fs::read_dir(dir).at(dir)? {
            let entry = entry.at(dir)?;
            let name = entry.file_name();
            match name.to_str().and_then(|s| s.parse::<u32>().ok()) {
                Some(n) => nums.push(n),
                None => return Err(corrupt(&entry.path(), 0, "unexpected file in chunks dir")),
            }
        }
        nums.sort_unstable();
        let mut segments = Vec::with_capacity(nums.len());
        for (i, &n) in nums.iter().enumerate() {
            let path = segment_path(dir, n);
            if n as usize != i + 1 {
                return Err(corrupt(&path, 0, "chunk segments are not numbered 1..n"));
            }
            let f = File::open(&path).at(&path)?;
            let len = f.metadata().at(&path)?.len();
            let mut header = [0u8; SEGMENT_HEADER_LEN as usize];
            f.read_exact_at(&mut header, 0)
                .map_err(|_| corrupt(&path, 0, "segment shorter than its header"))?;
            let mut d = Decbuf::new(&header, 0);
            let (magic, version) = (d.be_u32(), d.byte());
            if magic != Ok(SEGMENT_MAGIC) || version != Ok(SEGMENT_VERSION) {
                return Err(corrupt(&path, 0, "bad segment magic or version"));
            }
            segments.push((f, len));
        }
        Ok(ChunkReader {
            dir: dir.to_path_buf(),
            segments,
        })
    }

    /// Total size of the segment files.
    pub(crate) fn size_bytes(&self) -> u64 {
        self.segments.iter().map(|(_, len)| len).sum()
    }

    /// Reads the chunk at `r` and checks its crc.
    pub(crate) fn read(&self, r: u64) -> Result<(u8, Vec<u8>)> {
        let (seg, off) = ((r >> 32) as u32, r & 0xffff_ffff);
        let path = segment_path(&self.dir, seg);
        let (file, len) = seg
            .checked_sub(1)
            .and_then(|i| self.segments.get(i as usize))
            .ok_or_else(|| corrupt(&path, off, "chunk reference to a missing segment"))?;
        if off < SEGMENT_HEADER_LEN || off >= *len {
            return Err(corrupt(&path, off, "chunk reference outside the segment"));
        }
        let mut buf = vec![0u8; (len - off).min(READ_AHEAD) as usize];
        file.read_exact_at(&mut buf, off).at(&path)?;
        let mut d = Decbuf::new(&buf, off);
        let data_len = d.uvarint().map_err(|e| corrupt(&path, e.offset, &e.msg))?;
        let head = d.pos() as u64;
        let total = head
            .checked_add(data_len)
            .and_then(|n| n.checked_add(RECORD_FIXED))
            .filter(|&n| n <= len - off)
            .ok_or_else(|| corrupt(&path, off, "chunk length runs past the segment end"))?;
        if total as usize > buf.len() {
            let have = buf.len();
            buf.resize(total as usize, 0);
            file.read_exact_at(&mut buf[have..], off + have as u64)
                .at(&path)?;
        }
        let body = &buf[head as usize..total as usize - 4];
        let mut crc_bytes = [0u8; 4];
        crc_bytes.copy_from_slice(&buf[total as usize - 4..total as usize]);
        if crc32c::crc32c(body) != u32::from_be_bytes(crc_bytes) {
            return Err(corrupt(&path, off, "chunk checksum mismatch"));
        }
        Ok((body[0], body[1..].to_vec()))
    }
}

fn corrupt(path: &Path, offset: u64, msg: &str) -> Error {
    Error::Corrupt {
        path: path.to_path_buf(),
        offset,
        msg: msg.to_string(),
    }
}
