//! The `tombstones` file of a block: the deleted intervals of its series (layout in
//! `docs/format/block.md`).
//!
//! A block without deletions has no such file. The file is replaced whole on every delete:
//! written as `tombstones.tmp`, fsynced, renamed over `tombstones`, and the directory fsynced,
//! so a crash leaves the old or the new set, never a mix.

use super::encoding::{Decbuf, DecodeError, put_uvarint, put_varint};
use super::writer::sync_dir;
use super::{Error, IoContext, Result};
use crate::tsdb::tombstones::{Interval, Tombstones};
use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

/// File name of the tombstones inside a block directory.
pub const TOMBSTONES_FILE: &str = "tombstones";
const TMP_FILE: &str = "tombstones.tmp";
const MAGIC: u32 = 0x5354_5442; // "STTB"
const VERSION: u8 = 1;

/// Reads `dir/tombstones`; a missing file means no deletions. Series ids must be below
/// `num_series`.
pub(crate) fn read(dir: &Path, num_series: u32) -> Result<Tombstones> {
    let path = dir.join(TOMBSTONES_FILE);
    let bytes = match fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Tombstones::default()),
        Err(e) => return Err(e).at(&path),
    };
    decode(&bytes, num_series).map_err(|e| Error::Corrupt {
        path,
        offset: e.offset,
        msg: e.msg,
    })
}

/// Replaces `dir/tombstones` with `t` atomically; removes the file when `t` is empty.
/// Returns the file's size.
pub(crate) fn write(dir: &Path, t: &Tombstones) -> Result<u64> {
    let path = dir.join(TOMBSTONES_FILE);
    let tmp = dir.join(TMP_FILE);
    if t.is_empty() {
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(dir)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).at(&path),
        }
        return Ok(0);
    }
    let buf = encode(t);
    let mut f = File::create(&tmp).at(&tmp)?;
    f.write_all(&buf).at(&tmp)?;
    f.sync_all().at(&tmp)?;
    drop(f);
    fs::rename(&tmp, &path).at(&path)?;
    sync_dir(dir)?;
    Ok(buf.len() as u64)
}

fn encode(t: &Tombstones) -> Vec<u8> {
    let mut buf = Vec::with_capacity(16 + t.num_intervals() * 8);
    buf.extend_from_slice(&MAGIC.to_be_bytes());
    buf.push(VERSION);
    put_uvarint(&mut buf, t.num_series() as u64);
    let mut prev = 0u32;
    for (i, (id, ivs)) in t.iter().enumerate() {
        put_uvarint(&mut buf, u64::from(if i == 0 { id } else { id - prev }));
        prev = id;
        put_uvarint(&mut buf, ivs.len() as u64);
        for iv in ivs.iter() {
            put_varint(&mut buf, iv.mint);
            put_uvarint(&mut buf, iv.maxt.wrapping_sub(iv.mint) as u64);
        }
    }
    let crc = crc32c::crc32c(&buf);
    buf.extend_from_slice(&crc.to_be_bytes());
    buf
}

fn decode(bytes: &[u8], num_series: u32) -> std::result::Result<Tombstones, DecodeError> {
    let bad = |offset: u64, msg: &str| DecodeError {
        offset,
        msg: msg.to_string(),
    };
    if bytes.len() < 9 {
        return Err(bad(0, "file too short"));
    }
    let (body, crc) = bytes.split_at(bytes.len() - 4);
    let want = u32::from_be_bytes([crc[0], crc[1], crc[2], crc[3]]);
    if crc32c::crc32c(body) != want {
        return Err(bad(body.len() as u64, "checksum mismatch"));
    }
    let mut d = Decbuf::new(body, 0);
    if d.be_u32()? != MAGIC {
        return Err(bad(0, "bad magic"));
    }
    if d.byte()? != VERSION {
        return Err(bad(4, "unsupported version"));
    }
    let n = d.count()?;
    let mut out = Tombstones::default();
    let mut prev: Option<u32> = None;
    for _ in 0..n {
        let at = d.offset();
        let delta = d.uvarint32()?;
        let id = match prev {
            None => Some(delta),
            Some(p) if delta > 0 => p.checked_add(delta),
            Some(_) => None,
        }
        .filter(|&id| id < num_series)
        .ok_or_else(|| bad(at, "series id out of order or out of range"))?;
        prev = Some(id);
        let k = d.count()?;
        if k == 0 {
            return Err(bad(at, "series without intervals"));
        }
        for _ in 0..k {
            let at = d.offset();
            let mint = d.varint()?;
            let span = d.uvarint()?;
            let maxt = i64::try_from(i128::from(mint) + i128::from(span))
                .map_err(|_| bad(at, "interval end overflows"))?;
            out.add(id, Interval::new(mint, maxt));
        }
    }
    if !d.is_empty() {
        return Err(d.err("trailing bytes"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Tombstones {
        let mut t = Tombstones::default();
        t.add(0, Interval::new(i64::MIN, -5));
        t.add(0, Interval::new(100, 200));
        t.add(7, Interval::new(-3, i64::MAX));
        t.add(1000, Interval::new(5, 5));
        t
    }

    #[test]
    fn round_trips_and_replaces_atomically() {
        let dir = tempfile::tempdir().unwrap();
        assert!(
            read(dir.path(), 10).unwrap().is_empty(),
            "no file, no deletions"
        );
        let t = sample();
        let size = write(dir.path(), &t).unwrap();
        assert_eq!(
            fs::metadata(dir.path().join(TOMBSTONES_FILE))
                .unwrap()
                .len(),
            size
        );
        assert!(!dir.path().join(TMP_FILE).exists());
        assert_eq!(read(dir.path(), 1001).unwrap(), t);
        // An id beyond the block's series is corruption.
        assert!(read(dir.path(), 1000).is_err());
        write(dir.path(), &Tombstones::default()).unwrap();
        assert!(!dir.path().join(TOMBSTONES_FILE).exists());
    }

    #[test]
    fn every_flipped_bit_and_truncation_is_detected() {
        let good = encode(&sample());
        for i in 0..good.len() {
            for bit in 0..8 {
                let mut b = good.clone();
                b[i] ^= 1 << bit;
                assert!(decode(&b, u32::MAX).is_err(), "flip byte {i} bit {bit}");
            }
        }
        for cut in 0..good.len() {
            assert!(decode(&good[..cut], u32::MAX).is_err(), "cut at {cut}");
        }
    }
}
