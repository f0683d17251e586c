//! The `prometheus.yml` a Prometheus user already has: the model, its defaults and checks, and
//! the relabeling and target-labeling rules that scraping and alerting share.
//!
//! Field names, defaults and error texts follow Prometheus 3, so that a file Prometheus accepts
//! loads here with the same meaning, and one it rejects is rejected with a message a Prometheus
//! user recognizes.
//!
//! What a consumer may rely on after [`parse`] / [`Config::load`]:
//! - every job's intervals, timeouts, limits and `scrape_protocols` are `Some`, inherited
//!   from `global` as Prometheus does (a job's timeout defaults to the global timeout, capped
//!   by the job's interval);
//! - `scrape_configs` also holds the jobs of the files `scrape_config_files` matches;
//! - every relative file path (rule files, `file_sd` patterns, TLS and credential files) is
//!   joined onto the directory of the file that names it;
//! - `bearer_token(_file)` has been folded into `authorization`; the `Authorization` header
//!   to send comes from [`HttpClientConfig::auth_header`], read at call time;
//! - relabel rules are validated and their regexes compiled.

mod check;
pub mod duration;
pub mod file_sd;
pub mod http_client;
pub mod relabel;
pub mod size;
pub mod targets;
#[cfg(test)]
mod tests;

pub use duration::PromDuration;
pub use file_sd::{FileSdConfig, TargetGroup};
pub use http_client::{Authorization, BasicAuth, HttpClientConfig, Secret, TlsConfig, TlsMaterial};
pub use relabel::{Action, RelabelConfig};
pub use targets::{Populated, populate_labels, public_labels, target_url};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The configuration `strata` loads when no `--config.file` is given: it scrapes itself, as
/// Prometheus's packaged `prometheus.yml` does.
pub const DEFAULT_CONFIG: &str = "\
global:
  scrape_interval: 15s
  evaluation_interval: 15s
scrape_configs:
  - job_name: strata
    static_configs:
      - targets: ['localhost:9090']
";

#[derive(Debug, Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// A whole configuration file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default, deserialize_with = "null_default")]
    pub global: GlobalConfig,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_default"
    )]
    pub rule_files: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_default"
    )]
    pub scrape_config_files: Vec<String>,
    #[serde(default, deserialize_with = "null_default")]
    pub alerting: AlertingConfig,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_default"
    )]
    pub scrape_configs: Vec<ScrapeConfig>,
    /// Sections Prometheus has that Strata does not act on; kept so that such a file loads, and
    /// each is logged once as ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_write: Option<serde_yaml_ng::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_read: Option<serde_yaml_ng::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<serde_yaml_ng::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracing: Option<serde_yaml_ng::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otlp: Option<serde_yaml_ng::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<serde_yaml_ng::Value>,
    /// Directory relative paths in the file are resolved against (the config file's own).
    #[serde(skip)]
    pub base_dir: PathBuf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlobalConfig {
    #[serde(default = "default_scrape_interval")]
    pub scrape_interval: PromDuration,
    /// Absent (or 0) means 10s, but at most `scrape_interval`.
    #[serde(default)]
    pub scrape_timeout: PromDuration,
    #[serde(default = "default_evaluation_interval")]
    pub evaluation_interval: PromDuration,
    #[serde(default)]
    pub rule_query_offset: PromDuration,
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_default"
    )]
    pub external_labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrape_protocols: Option<Vec<ScrapeProtocol>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_log_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrape_failure_log_file: Option<String>,
    /// Bytes; written as `10MB` or a number.
    #[serde(
        default,
        skip_serializing_if = "is_zero",
        deserialize_with = "size::de_size"
    )]
    pub body_size_limit: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sample_limit: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub target_limit: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub label_limit: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub label_name_length_limit: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub label_value_length_limit: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub keep_dropped_targets: u64,
    /// `utf8` (the default) or `legacy`: which label names are valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_name_validation_scheme: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_name_escaping_scheme: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrape_native_histograms: Option<bool>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub convert_classic_histograms_to_nhcb: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub always_scrape_classic_histograms: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub extra_scrape_metrics: bool,
}

impl Default for GlobalConfig {
    fn default() -> Self {
        GlobalConfig {
            scrape_interval: default_scrape_interval(),
            scrape_timeout: default_scrape_timeout(),
            evaluation_interval: default_evaluation_interval(),
            rule_query_offset: PromDuration::default(),
            external_labels: BTreeMap::new(),
            scrape_protocols: None,
            query_log_file: None,
            scrape_failure_log_file: None,
            body_size_limit: 0,
            sample_limit: 0,
            target_limit: 0,
            label_limit: 0,
            label_name_length_limit: 0,
            label_value_length_limit: 0,
            keep_dropped_targets: 0,
            metric_name_validation_scheme: None,
            metric_name_escaping_scheme: None,
            scrape_native_histograms: None,
            convert_classic_histograms_to_nhcb: false,
            always_scrape_classic_histograms: false,
            extra_scrape_metrics: false,
        }
    }
}

fn default_scrape_interval() -> PromDuration {
    PromDuration::from_secs(60)
}
fn default_scrape_timeout() -> PromDuration {
    PromDuration::from_secs(10)
}
fn default_evaluation_interval() -> PromDuration {
    PromDuration::from_secs(60)
}
fn is_zero(n: &u64) -> bool {
    *n == 0
}
/// A key present with nothing after it (`rule_files:` with every entry commented out, as in
/// Prometheus's own example file) means the default, as in Go's YAML decoding.
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}
fn is_false(b: &bool) -> bool {
    !*b
}

/// The exposition formats a scrape may ask for, in Prometheus's spelling
/// (`OpenMetricsText1.0.0`, `PrometheusProto`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScrapeProtocol {
    OpenMetricsText1_0_0,
    OpenMetricsText0_0_1,
    PrometheusText1_0_0,
    PrometheusText0_0_4,
    PrometheusProto,
}

impl ScrapeProtocol {
    pub const ALL: [ScrapeProtocol; 5] = [
        ScrapeProtocol::OpenMetricsText0_0_1,
        ScrapeProtocol::OpenMetricsText1_0_0,
        ScrapeProtocol::PrometheusProto,
        ScrapeProtocol::PrometheusText0_0_4,
        ScrapeProtocol::PrometheusText1_0_0,
    ];
    /// Prometheus's default preference when `scrape_protocols` is not set anywhere.
    pub const DEFAULT: [ScrapeProtocol; 4] = [
        ScrapeProtocol::OpenMetricsText1_0_0,
        ScrapeProtocol::OpenMetricsText0_0_1,
        ScrapeProtocol::PrometheusText1_0_0,
        ScrapeProtocol::PrometheusText0_0_4,
    ];

    /// The name as written in `prometheus.yml`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ScrapeProtocol::OpenMetricsText1_0_0 => "OpenMetricsText1.0.0",
            ScrapeProtocol::OpenMetricsText0_0_1 => "OpenMetricsText0.0.1",
            ScrapeProtocol::PrometheusText1_0_0 => "PrometheusText1.0.0",
            ScrapeProtocol::PrometheusText0_0_4 => "PrometheusText0.0.4",
            ScrapeProtocol::PrometheusProto => "PrometheusProto",
        }
    }

    /// The media type with parameters that goes into the `Accept` header (Prometheus adds
    /// `;q=...` weights by position).
    pub fn media_type(&self) -> &'static str {
        match self {
            ScrapeProtocol::OpenMetricsText1_0_0 => "application/openmetrics-text;version=1.0.0",
            ScrapeProtocol::OpenMetricsText0_0_1 => "application/openmetrics-text;version=0.0.1",
            ScrapeProtocol::PrometheusText1_0_0 => "text/plain;version=1.0.0",
            ScrapeProtocol::PrometheusText0_0_4 => "text/plain;version=0.0.4",
            ScrapeProtocol::PrometheusProto => {
                "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
            }
        }
    }
}

impl std::fmt::Display for ScrapeProtocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ScrapeProtocol {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ScrapeProtocol {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ScrapeProtocol::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = ScrapeProtocol::ALL.iter().map(|p| p.as_str()).collect();
                serde::de::Error::custom(format!(
                    "unknown scrape protocol {s}, supported: [{}]",
                    names.join(" ")
                ))
            })
    }
}

/// One `scrape_configs` entry after defaults from `global` are filled in: every `Option` a user
/// may leave out is resolved by [`Config::load`]/[`parse`], so consumers read plain values.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScrapeConfig {
    #[serde(default)]
    pub job_name: String,
    #[serde(default)]
    pub honor_labels: bool,
    #[serde(default = "yes")]
    pub honor_timestamps: bool,
    #[serde(default)]
    pub track_timestamps_staleness: bool,
    /// Filled from `global.scrape_interval` when absent.
    #[serde(default)]
    pub scrape_interval: Option<PromDuration>,
    /// Filled from `global.scrape_timeout` (at most the interval) when absent.
    #[serde(default)]
    pub scrape_timeout: Option<PromDuration>,
    /// Filled from `global.scrape_protocols`, else Prometheus's default order.
    #[serde(default)]
    pub scrape_protocols: Option<Vec<ScrapeProtocol>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_scrape_protocol: Option<ScrapeProtocol>,
    #[serde(default = "default_metrics_path")]
    pub metrics_path: String,
    #[serde(default = "default_scheme")]
    pub scheme: String,
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_default"
    )]
    pub params: BTreeMap<String, Vec<String>>,
    #[serde(default = "yes")]
    pub enable_compression: bool,
    /// Limits: `None` takes the global value; 0 is no limit. Bytes; written as `10MB` or a
    /// number.
    #[serde(default, deserialize_with = "size::de_opt_size")]
    pub body_size_limit: Option<u64>,
    #[serde(default)]
    pub sample_limit: Option<u64>,
    #[serde(default)]
    pub target_limit: Option<u64>,
    #[serde(default)]
    pub label_limit: Option<u64>,
    #[serde(default)]
    pub label_name_length_limit: Option<u64>,
    #[serde(default)]
    pub label_value_length_limit: Option<u64>,
    #[serde(default)]
    pub keep_dropped_targets: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native_histogram_bucket_limit: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native_histogram_min_bucket_factor: Option<f64>,
    /// Filled from `global` when absent, like the limits.
    #[serde(default)]
    pub scrape_native_histograms: Option<bool>,
    #[serde(default)]
    pub always_scrape_classic_histograms: Option<bool>,
    #[serde(default)]
    pub convert_classic_histograms_to_nhcb: Option<bool>,
    #[serde(default)]
    pub extra_scrape_metrics: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scrape_failure_log_file: Option<String>,
    /// `utf8` or `legacy`; filled from `global` (default `utf8`).
    #[serde(default)]
    pub metric_name_validation_scheme: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric_name_escaping_scheme: Option<String>,
    #[serde(flatten)]
    pub http: HttpClientConfig,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_default"
    )]
    pub static_configs: Vec<StaticConfig>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_default"
    )]
    pub file_sd_configs: Vec<FileSdConfig>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_default"
    )]
    pub relabel_configs: Vec<RelabelConfig>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_default"
    )]
    pub metric_relabel_configs: Vec<RelabelConfig>,
    /// The `scrape_config_files` file this job was read from; `None` for the main file.
    #[serde(skip)]
    pub from_file: Option<PathBuf>,
}

fn yes() -> bool {
    true
}
fn default_metrics_path() -> String {
    "/metrics".into()
}
fn default_scheme() -> String {
    "http".into()
}

impl ScrapeConfig {
    /// `static_configs` as target groups, with the sources Prometheus gives them (`"0"`,
    /// `"1"`, ...). Empty addresses and label values are left out.
    pub fn static_groups(&self) -> Vec<TargetGroup> {
        self.static_configs
            .iter()
            .enumerate()
            .map(|(i, sc)| TargetGroup {
                targets: sc
                    .targets
                    .iter()
                    .map(|t| {
                        let mut labels = BTreeMap::new();
                        if !t.is_empty() {
                            labels.insert("__address__".to_string(), t.clone());
                        }
                        labels
                    })
                    .collect(),
                labels: sc
                    .labels
                    .iter()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                source: i.to_string(),
            })
            .collect()
    }

    pub fn interval(&self) -> std::time::Duration {
        self.scrape_interval.unwrap_or_default().0
    }
    pub fn timeout(&self) -> std::time::Duration {
        self.scrape_timeout.unwrap_or_default().0
    }
}

/// `static_configs` entry: addresses plus labels common to them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaticConfig {
    #[serde(default, deserialize_with = "null_default")]
    pub targets: Vec<String>,
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_default"
    )]
    pub labels: BTreeMap<String, String>,
}

/// `alerting`: read now so that configs carrying it load; acted on by the notifier.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertingConfig {
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_default"
    )]
    pub alert_relabel_configs: Vec<RelabelConfig>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_default"
    )]
    pub alertmanagers: Vec<serde_yaml_ng::Value>,
}

/// Parses and checks a configuration; relative paths resolve against `base_dir`.
pub fn parse(yaml: &str, base_dir: &Path) -> Result<Config, ConfigError> {
    // A file of only comments is an empty configuration, as in Prometheus.
    let mut cfg: Config = if check::is_empty_document(yaml) {
        Config::default()
    } else {
        check::decode(yaml)?
    };
    cfg.base_dir = base_dir.to_path_buf();
    cfg.fill_defaults_and_check()?;
    Ok(cfg)
}

impl Config {
    /// Reads and parses `path`, as `--config.file` names it.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("open {}: {e}", path.display())))?;
        let base = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        parse(&text, &base)
            .map_err(|e| ConfigError(format!("parsing YAML file {}: {e}", path.display())))
    }

    /// The configuration as YAML with defaults filled in and secrets hidden, for
    /// `/api/v1/status/config`.
    /// Jobs read from `scrape_config_files` are left out, as Prometheus shows them: the
    /// output stays a file that loads again to the same jobs.
    pub fn to_yaml(&self) -> String {
        let mut shown = self.clone();
        shown.scrape_configs.retain(|sc| sc.from_file.is_none());
        serde_yaml_ng::to_string(&shown).unwrap_or_default()
    }
}
