//! `meta.json`: what a block covers and where it came from, plus sortable block ids.

use super::{Error, IoContext, Result};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// File name of the block metadata inside a block directory.
pub const META_FILE: &str = "meta.json";
/// The `version` this code writes and the only one it reads.
pub const META_VERSION: u32 = 1;

/// The contents of `meta.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockMeta {
    /// Block id, also the directory name; sortable by creation time (see [`new_block_id`]).
    pub id: String,
    /// Inclusive lower bound of the block's time range, ms.
    pub min_time: i64,
    /// Exclusive upper bound of the block's time range, ms.
    pub max_time: i64,
    pub stats: BlockStats,
    pub compaction: Compaction,
    /// Format version of the block ([`META_VERSION`]).
    pub version: u32,
    /// Downsampling resolution in ms; 0 for raw samples.
    #[serde(default)]
    pub resolution: i64,
}

/// Counts over the whole block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockStats {
    pub num_series: u64,
    pub num_samples: u64,
    pub num_chunks: u64,
}

/// How the block was made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compaction {
    /// 1 for a block cut from the head, `max(parents' levels) + 1` for a compacted one.
    pub level: u32,
    /// Ids of the level-1 blocks whose data this block holds, sorted.
    pub sources: Vec<String>,
    /// The blocks directly merged into this one (empty for a level-1 block).
    #[serde(default)]
    pub parents: Vec<BlockDesc>,
}

/// A short description of another block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockDesc {
    pub id: String,
    pub min_time: i64,
    pub max_time: i64,
}

impl BlockMeta {
    /// Reads and validates `dir/meta.json`.
    pub fn read(dir: &Path) -> Result<BlockMeta> {
        let path = dir.join(META_FILE);
        let bytes = fs::read(&path).at(&path)?;
        let meta: BlockMeta = serde_json::from_slice(&bytes).map_err(|source| Error::Meta {
            path: path.clone(),
            source,
        })?;
        let bad = |msg: String| Error::Corrupt {
            path: path.clone(),
            offset: 0,
            msg,
        };
        if meta.version != META_VERSION {
            return Err(bad(format!("unsupported block version {}", meta.version)));
        }
        if meta.min_time >= meta.max_time {
            return Err(bad(format!(
                "empty time range [{}, {})",
                meta.min_time, meta.max_time
            )));
        }
        Ok(meta)
    }

    /// Writes `dir/meta.json` and fsyncs it. Returns the bytes written.
    pub(crate) fn write(&self, dir: &Path) -> Result<u64> {
        let path = dir.join(META_FILE);
        let json = serde_json::to_vec_pretty(self).map_err(|source| Error::Meta {
            path: path.clone(),
            source,
        })?;
        let mut f = fs::File::create(&path).at(&path)?;
        f.write_all(&json).at(&path)?;
        f.sync_all().at(&path)?;
        Ok(json.len() as u64)
    }

    /// Whether the block's range `[min_time, max_time)` intersects `[mint, maxt]` (inclusive).
    pub fn overlaps(&self, mint: i64, maxt: i64) -> bool {
        self.min_time <= maxt && mint < self.max_time
    }
}

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static LAST_MS: AtomicU64 = AtomicU64::new(0);
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A new block id: 26 Crockford base32 characters (like a ULID) encoding 48 bits of
/// milliseconds since the epoch, a 48-bit process-wide counter and the 32-bit process id.
///
/// Ids made later sort after earlier ones: the time part never goes backwards within a process
/// (it is the maximum of the clock and the last time used), and ids made in the same
/// millisecond are ordered by the counter. The process id keeps two processes sharing a data
/// directory from colliding.
pub fn new_block_id() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let ms = LAST_MS.fetch_max(now, Ordering::SeqCst).max(now) & ((1 << 48) - 1);
    let counter = COUNTER.fetch_add(1, Ordering::SeqCst) & ((1 << 48) - 1);
    let pid = u128::from(std::process::id());
    let v: u128 = (u128::from(ms) << 80) | (u128::from(counter) << 32) | pid;
    (0..26)
        .rev()
        .map(|i| CROCKFORD[((v >> (i * 5)) & 31) as usize] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_creation_and_are_unique() {
        let ids: Vec<String> = (0..1000).map(|_| new_block_id()).collect();
        assert!(ids.iter().all(|id| id.len() == 26 && id.is_ascii()));
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    }

    #[test]
    fn meta_round_trips_and_validates() {
        let dir = tempfile::tempdir().unwrap();
        let meta = BlockMeta {
            id: new_block_id(),
            min_time: -5,
            max_time: 7_200_000,
            stats: BlockStats {
                num_series: 3,
                num_samples: 400,
                num_chunks: 5,
            },
            compaction: Compaction {
                level: 2,
                sources: vec!["A".into(), "B".into()],
                parents: vec![BlockDesc {
                    id: "A".into(),
                    min_time: -5,
                    max_time: 10,
                }],
            },
            version: META_VERSION,
            resolution: 60_000,
        };
        meta.write(dir.path()).unwrap();
        assert_eq!(BlockMeta::read(dir.path()).unwrap(), meta);

        // Older writers may omit the optional fields.
        let minimal = r#"{"id":"X","min_time":0,"max_time":1,
            "stats":{"num_series":0,"num_samples":0,"num_chunks":0},
            "compaction":{"level":1,"sources":["X"]},"version":1}"#;
        fs::write(dir.path().join(META_FILE), minimal).unwrap();
        let m = BlockMeta::read(dir.path()).unwrap();
        assert_eq!((m.resolution, m.compaction.parents.len()), (0, 0));

        for bad in [
            minimal.replace(r#""version":1"#, r#""version":9"#),
            minimal.replace(r#""max_time":1"#, r#""max_time":0"#),
            minimal[..minimal.len() - 3].to_string(),
        ] {
            fs::write(dir.path().join(META_FILE), bad).unwrap();
            assert!(BlockMeta::read(dir.path()).is_err());
        }
    }
}
