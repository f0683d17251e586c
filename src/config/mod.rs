//! Server configuration: Prometheus-style command-line flags with working defaults, so that
//! `strata` with no arguments serves on :9090 with its data in `./data`.

mod units;

pub use units::{parse_duration, parse_size};

use crate::http::ApiOptions;
use crate::tsdb::options::{DbOptions, default_max_block_duration};
use crate::tsdb::wal::{FsyncPolicy, WalOptions};
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tracing::warn;

/// `--enable-feature` values Strata acts on; others are accepted with a warning, as Prometheus
/// does with names it does not know.
const KNOWN_FEATURES: [&str; 3] = [
    "promql-experimental-functions",
    "promql-delayed-name-removal",
    "extra-scrape-metrics",
];

#[derive(Debug, Clone, Parser)]
#[command(
    name = "strata",
    version,
    about = "A Prometheus- and Graphite-compatible time-series server"
)]
pub struct Flags {
    /// Prometheus configuration file (`global`, `scrape_configs`, ...). Without it, an
    /// embedded configuration scrapes this server itself every 15s.
    #[arg(long = "config.file")]
    pub config_file: Option<PathBuf>,

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

    /// Longest a query may run before it is aborted.
    #[arg(long = "query.timeout", default_value = "2m", value_parser = parse_duration)]
    pub query_timeout: Duration,

    /// How far back an instant selector looks for a sample.
    #[arg(long = "query.lookback-delta", default_value = "5m", value_parser = parse_duration_ms)]
    pub lookback_delta: i64,

    /// Most queries evaluated at once; further queries wait for a slot.
    #[arg(long = "query.max-concurrency", default_value_t = 20)]
    pub max_concurrency: usize,

    /// Optional features, comma-separated or repeated (`promql-experimental-functions`,
    /// `promql-delayed-name-removal`).
    #[arg(long = "enable-feature", value_delimiter = ',')]
    pub features: Vec<String>,

    /// Serve the TSDB admin endpoints (`/api/v1/admin/tsdb/*`).
    #[arg(long = "web.enable-admin-api")]
    pub enable_admin_api: bool,

    /// The URL Strata is reachable under from outside (alert `generatorURL`s,
    /// `$externalURL` in templates); default `http://<hostname>:<port>/`.
    #[arg(long = "web.external-url")]
    pub external_url: Option<String>,

    /// How long an outage may last for `for` state to be restored after a restart.
    #[arg(long = "rules.alert.for-outage-tolerance", default_value = "1h", value_parser = parse_duration)]
    pub for_outage_tolerance: Duration,

    /// Least time an alert with `for` waits after a restart before it fires.
    #[arg(long = "rules.alert.for-grace-period", default_value = "10m", value_parser = parse_duration)]
    pub for_grace_period: Duration,

    /// Least time between two notifications of the same alert to Alertmanager.
    #[arg(long = "rules.alert.resend-delay", default_value = "1m", value_parser = parse_duration)]
    pub resend_delay: Duration,

    /// Alerts queued for Alertmanager before the oldest are dropped.
    #[arg(
        long = "alertmanager.notification-queue-capacity",
        default_value_t = 10_000
    )]
    pub notification_queue_capacity: usize,

    /// Serve `POST /-/reload` (the configuration is also reloaded on SIGHUP without it).
    #[arg(long = "web.enable-lifecycle")]
    pub enable_lifecycle: bool,

    /// Largest compressed remote write or read request body accepted.
    #[arg(long = "web.max-request-bytes", default_value = "32MB", value_parser = parse_size)]
    pub max_request_bytes: u64,

    /// Address for Graphite plaintext on TCP and UDP (`:2003` is every interface); empty
    /// disables it.
    #[arg(long = "graphite.listen-address", default_value = ":2003")]
    pub graphite_listen_address: String,

    /// Rules turning Graphite paths into metric names and labels (see docs/graphite.md).
    #[arg(long = "graphite.mapping-file")]
    pub graphite_mapping_file: Option<PathBuf>,

    /// Longest Graphite line accepted; longer lines are dropped and counted.
    #[arg(long = "graphite.max-line-length", default_value = "4KB", value_parser = parse_size)]
    pub graphite_max_line_length: u64,

    /// Graphite TCP connections idle this long are closed.
    #[arg(long = "graphite.idle-timeout", default_value = "5m", value_parser = parse_duration)]
    pub graphite_idle_timeout: Duration,

    /// Log level: error, warn, info, debug.
    #[arg(long = "log.level", default_value = "info")]
    pub log_level: String,
}

/// Each flag's long name and its value as a string: what was given (repeated values joined with
/// commas), else the default, else empty, as Prometheus's flags endpoint shows them.
fn flag_values(matches: &ArgMatches) -> BTreeMap<String, String> {
    Flags::command()
        .get_arguments()
        .filter_map(|a| {
            let long = a.get_long()?;
            if matches!(long, "help" | "version") {
                return None;
            }
            let value = matches
                .get_raw(a.get_id().as_str())
                .map(|vals| {
                    vals.map(|v| v.to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default();
            Some((long.to_string(), value))
        })
        .collect()
}

/// A byte count in Prometheus's base-2 units (`512MiB`).
fn base2_bytes(n: u64) -> String {
    const UNITS: [(&str, u32); 6] = [
        ("EiB", 60),
        ("PiB", 50),
        ("TiB", 40),
        ("GiB", 30),
        ("MiB", 20),
        ("KiB", 10),
    ];
    UNITS
        .iter()
        .find(|(_, sh)| n >= 1 << sh && n % (1 << sh) == 0)
        .map_or_else(|| format!("{n}B"), |(u, sh)| format!("{}{u}", n >> sh))
}

fn parse_duration_ms(s: &str) -> Result<i64, String> {
    parse_duration(s).map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Flags {
    /// Parses the process's arguments (exiting with usage on error, as `parse` does) and also
    /// returns every flag's value as written or defaulted, for `/api/v1/status/flags`.
    pub fn parse_with_values() -> (Flags, BTreeMap<String, String>) {
        let matches = Flags::command().get_matches();
        let flags = Flags::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        (flags, flag_values(&matches))
    }

    /// The query API's settings. Logs a warning for each feature name it does not know.
    pub fn api_options(&self, flags: BTreeMap<String, String>) -> ApiOptions {
        for f in &self.features {
            if !f.is_empty() && !KNOWN_FEATURES.contains(&f.as_str()) {
                warn!(option = %f, "Unknown option for --enable-feature");
            }
        }
        let mut engine = promql::EngineOptions {
            lookback_delta_ms: self.lookback_delta.max(1),
            max_samples: self.max_samples,
            timeout: self.query_timeout,
            experimental_functions: self
                .features
                .iter()
                .any(|f| f == "promql-experimental-functions"),
            delayed_name_removal: self
                .features
                .iter()
                .any(|f| f == "promql-delayed-name-removal"),
            ..Default::default()
        };
        if engine.timeout.is_zero() {
            engine.timeout = Duration::from_secs(120);
        }
        let time = flags
            .get("storage.tsdb.retention.time")
            .cloned()
            .unwrap_or_default();
        let retention = match (self.retention_time > 0, self.retention_size > 0) {
            (true, true) => format!("{time} or {}", base2_bytes(self.retention_size)),
            (true, false) => time,
            (false, true) => base2_bytes(self.retention_size),
            (false, false) => "0s".into(),
        };
        ApiOptions {
            engine,
            max_concurrency: self.max_concurrency.max(1),
            enable_admin: self.enable_admin_api,
            enable_lifecycle: self.enable_lifecycle,
            flags,
            config_yaml: None,
            storage_retention: retention,
        }
    }

    /// Scraping features from `--enable-feature`.
    pub fn scrape_options(&self) -> crate::scrape::ScrapeOptions {
        crate::scrape::ScrapeOptions {
            extra_metrics: self.features.iter().any(|f| f == "extra-scrape-metrics"),
        }
    }

    /// Rule evaluation settings.
    pub fn rule_options(&self) -> crate::server::RuleOptions {
        let external_url = self.external_url.clone().unwrap_or_else(|| {
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
                .map(|h| h.trim().to_string())
                .ok()
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "localhost".into());
            format!("http://{host}:{}/", self.listen_address.port())
        });
        crate::server::RuleOptions {
            external_url,
            resend_delay: self.resend_delay,
            outage_tolerance: self.for_outage_tolerance,
            grace_period: self.for_grace_period,
            queue_capacity: self.notification_queue_capacity,
        }
    }

    /// `--config.file`, or the embedded configuration scraping this server's own address.
    pub fn config_source(&self) -> crate::reload::ConfigSource {
        match &self.config_file {
            Some(p) => crate::reload::ConfigSource {
                path: Some(p.clone()),
                default_text: String::new(),
            },
            None => crate::reload::ConfigSource::embedded(&format!(
                "localhost:{}",
                self.listen_address.port()
            )),
        }
    }

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

    fn values(args: &[&str]) -> (Flags, BTreeMap<String, String>) {
        let m = Flags::command().try_get_matches_from(args).unwrap();
        (Flags::from_arg_matches(&m).unwrap(), flag_values(&m))
    }

    #[test]
    fn query_flags_and_their_values() {
        let (f, v) = values(&["strata"]);
        let api = f.api_options(v.clone());
        assert_eq!(api.engine.timeout, Duration::from_secs(120));
        assert_eq!(api.engine.lookback_delta_ms, 300_000);
        assert_eq!(api.max_concurrency, 20);
        assert!(!api.enable_admin);
        assert!(!api.engine.experimental_functions);
        assert_eq!(api.storage_retention, "15d");
        assert_eq!(v["query.timeout"], "2m");
        assert_eq!(v["query.lookback-delta"], "5m");
        assert_eq!(v["query.max-concurrency"], "20");
        assert_eq!(v["web.enable-admin-api"], "false");
        assert_eq!(v["enable-feature"], "");
        assert_eq!(v["storage.tsdb.max-block-duration"], "");
        assert!(!v.contains_key("help"));

        let (f, v) = values(&[
            "strata",
            "--query.timeout=30s",
            "--query.lookback-delta",
            "1m",
            "--query.max-concurrency=2",
            "--enable-feature=promql-experimental-functions,exemplar-storage",
            "--enable-feature",
            "native-histograms",
            "--web.enable-admin-api",
            "--storage.tsdb.retention.size=512MB",
        ]);
        assert_eq!(
            f.features,
            [
                "promql-experimental-functions",
                "exemplar-storage",
                "native-histograms"
            ]
        );
        assert_eq!(
            v["enable-feature"],
            "promql-experimental-functions,exemplar-storage,native-histograms"
        );
        assert_eq!(v["web.enable-admin-api"], "true");
        let api = f.api_options(v);
        assert_eq!(api.engine.timeout, Duration::from_secs(30));
        assert_eq!(api.engine.lookback_delta_ms, 60_000);
        assert_eq!(api.max_concurrency, 2);
        assert!(api.enable_admin);
        assert!(api.engine.experimental_functions);
        assert_eq!(api.storage_retention, "15d or 512MiB");
    }

    #[test]
    fn byte_units() {
        assert_eq!(base2_bytes(512 << 20), "512MiB");
        assert_eq!(base2_bytes(1 << 30), "1GiB");
        assert_eq!(base2_bytes(1500), "1500B");
    }
}
