//! Server configuration: Prometheus-style command-line flags with working defaults, so that
//! `strata` with no arguments serves on :9090 with its data in `./data`.

mod units;

pub use units::{parse_duration, parse_size};

use crate::tsdb::options::{DbOptions, default_max_block_duration};
use crate::tsdb::wal::{FsyncPolicy, WalOptions};
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "strata",
    version,
    about = "A Prometheus- and Graphite-compatible time-series server"
)]
pub struct Flags {
    /// Base path for metrics storage.
    #[arg(long = "storage.tsdb.path", default_value = "data/")]
    pub tsdb_path: PathBuf,

    /// Address to listen on for the HTTP API, remote write and read, and /metrics.
    #[arg(long = "web.listen-address", default_value = "0.0.0.0:9090")]
    pub listen_address: SocketAddr,

    /// How long to retain samples in storage (Prometheus duration syntax); 0 keeps them.
    #[arg(long = "storage.tsdb.retention.time", default_value = "15d", value_parser = parse_duration_ms)]
    pub retention_time: i64,

    /// Maximum bytes of blocks plus WAL (units B, KB, MB, GB, TB, base 1024); 0 is no limit.
    #[arg(long = "storage.tsdb.retention.size", default_value = "0", value_parser = parse_size)]
    pub retention_size: u64,

    /// Time range of the blocks cut from the head.
    #[arg(long = "storage.tsdb.min-block-duration", default_value = "2h", value_parser = parse_duration_ms)]
    pub min_block_duration: i64,

    /// Largest block compaction builds; default 10% of the retention time, at most 31d.
    #[arg(long = "storage.tsdb.max-block-duration", value_parser = parse_duration_ms)]
    pub max_block_duration: Option<i64>,

    /// How far behind a series' newest sample a sample is still accepted; 0 disables.
    #[arg(long = "storage.tsdb.out-of-order-time-window", default_value = "10m", value_parser = parse_duration_ms)]
    pub ooo_window: i64,

    /// When the WAL is fsynced: `never` (the OS flushes), `interval`, or `always` (before
    /// every acknowledgement, with group commit). Every policy survives a process crash.
    #[arg(long = "storage.tsdb.wal-fsync", default_value = "interval")]
    pub wal_fsync: String,

    /// Period of `--storage.tsdb.wal-fsync=interval`.
    #[arg(long = "storage.tsdb.wal-fsync-interval", default_value = "1s", value_parser = parse_duration_ms)]
    pub wal_fsync_interval: i64,

    /// Size at which WAL segments are cut.
    #[arg(long = "storage.tsdb.wal-segment-size", default_value = "128MB", value_parser = parse_size)]
    pub wal_segment_size: u64,

    /// Most samples one query or remote read may load.
    #[arg(long = "query.max-samples", default_value_t = 50_000_000)]
    pub max_samples: usize,

    /// Largest compressed remote write or read request body accepted.
    #[arg(long = "web.max-request-bytes", default_value = "32MB", value_parser = parse_size)]
    pub max_request_bytes: u64,

    /// Log level: error, warn, info, debug.
    #[arg(long = "log.level", default_value = "info")]
    pub log_level: String,
}

fn parse_duration_ms(s: &str) -> Result<i64, String> {
    parse_duration(s).map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Flags {
    pub fn fsync_policy(&self) -> Result<FsyncPolicy, String> {
        match self.wal_fsync.as_str() {
            "never" => Ok(FsyncPolicy::Never),
            "always" => Ok(FsyncPolicy::Always),
            "interval" => Ok(FsyncPolicy::Interval(Duration::from_millis(
                self.wal_fsync_interval.max(1) as u64,
            ))),
            other => Err(format!(
                "--storage.tsdb.wal-fsync: unknown policy {other:?} (want never, interval or always)"
            )),
        }
    }

    pub fn db_options(&self) -> Result<DbOptions, String> {
        let mut o = DbOptions::new(&self.tsdb_path);
        o.retention_time = self.retention_time;
        o.retention_size = self.retention_size;
        o.min_block_duration = self.min_block_duration.max(1);
        o.max_block_duration = self
            .max_block_duration
            .unwrap_or_else(|| default_max_block_duration(self.retention_time))
            .max(o.min_block_duration);
        o.ooo_window = self.ooo_window;
        o.max_query_samples = self.max_samples;
        o.wal = WalOptions {
            fsync: self.fsync_policy()?,
            segment_size: self.wal_segment_size,
        };
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_work_without_arguments() {
        let f = Flags::try_parse_from(["strata"]).unwrap();
        assert_eq!(f.listen_address.port(), 9090);
        let o = f.db_options().unwrap();
        assert_eq!(o.retention_time, 15 * 24 * 3_600_000);
        assert_eq!(o.min_block_duration, 2 * 3_600_000);
        assert_eq!(o.ooo_window, 600_000);
    }

    #[test]
    fn prometheus_style_flags_parse() {
        let f = Flags::try_parse_from([
            "strata",
            "--storage.tsdb.path=/tmp/x",
            "--storage.tsdb.retention.time",
            "1d12h",
            "--storage.tsdb.retention.size=512MB",
            "--storage.tsdb.wal-fsync=always",
        ])
        .unwrap();
        assert_eq!(f.retention_time, 36 * 3_600_000);
        assert_eq!(f.retention_size, 512 << 20);
        assert!(matches!(f.fsync_policy(), Ok(FsyncPolicy::Always)));
        let bad = Flags::try_parse_from(["strata", "--storage.tsdb.wal-fsync=sometimes"]).unwrap();
        assert!(bad.db_options().is_err());
    }
}
