//! Options of the storage engine, with Prometheus's defaults.

use crate::tsdb::wal::WalOptions;
use std::path::PathBuf;

pub const MINUTE: i64 = 60_000;
pub const HOUR: i64 = 60 * MINUTE;
pub const DAY: i64 = 24 * HOUR;

#[derive(Debug, Clone)]
pub struct DbOptions {
    pub dir: PathBuf,
    /// Blocks older than this (relative to the newest data) are deleted; 0 keeps them forever.
    pub retention_time: i64,
    /// Blocks plus WAL above this many bytes: the oldest blocks are deleted; 0 disables.
    pub retention_size: u64,
    /// Range of blocks cut from the head, ms.
    pub min_block_duration: i64,
    /// Largest block compaction produces, ms.
    pub max_block_duration: i64,
    /// Out-of-order window, ms; 0 refuses every out-of-order sample.
    pub ooo_window: i64,
    pub wal: WalOptions,
    /// Most samples one query may load.
    pub max_query_samples: usize,
}

impl DbOptions {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let retention_time = 15 * DAY;
        DbOptions {
            dir: dir.into(),
            retention_time,
            retention_size: 0,
            min_block_duration: 2 * HOUR,
            max_block_duration: default_max_block_duration(retention_time),
            ooo_window: 10 * MINUTE,
            wal: WalOptions::default(),
            max_query_samples: 50_000_000,
        }
    }

    /// The ranges compaction builds blocks of: the minimum times powers of 3, up to the maximum.
    pub fn compaction_ranges(&self) -> Vec<i64> {
        let mut out = vec![self.min_block_duration.max(1)];
        loop {
            let next = out[out.len() - 1].saturating_mul(3);
            if next > self.max_block_duration || out.len() >= 10 {
                break;
            }
            out.push(next);
        }
        out
    }
}

/// Prometheus's rule: 10% of the retention time, at most 31 days, at least the min block range.
pub fn default_max_block_duration(retention_time: i64) -> i64 {
    let ten_percent = if retention_time > 0 {
        retention_time / 10
    } else {
        31 * DAY
    };
    ten_percent.clamp(2 * HOUR, 31 * DAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_powers_of_three_within_max() {
        let mut o = DbOptions::new("x");
        o.max_block_duration = 2 * DAY;
        assert_eq!(o.compaction_ranges(), vec![2 * HOUR, 6 * HOUR, 18 * HOUR]);
        assert_eq!(default_max_block_duration(15 * DAY), 36 * HOUR);
    }
}
