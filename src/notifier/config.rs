//! `alerting.alertmanagers`: each entry is one Alertmanager set, read from the raw YAML
//! `promconfig` keeps, with Prometheus 3's defaults, checks and messages.
//!
//! A set's Alertmanagers are found the way Prometheus's `AlertmanagerFromGroup` finds them:
//! every discovered target gets `__scheme__` and `__alerts_path__` from the set, then its
//! group's labels, then the set's `relabel_configs`; what is left names the URL alerts are
//! POSTed to.

use crate::promconfig::file_sd::{FileSdConfig, TargetGroup, expand_patterns, read_file};
use crate::promconfig::targets::check_target_address;
use crate::promconfig::{Config, HttpClientConfig, PromDuration, RelabelConfig, StaticConfig};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The label holding the path alerts are POSTed to, which `relabel_configs` may rewrite.
pub const ALERTS_PATH_LABEL: &str = "__alerts_path__";
const ADDRESS_LABEL: &str = "__address__";
const SCHEME_LABEL: &str = "__scheme__";

/// One `alertmanagers` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlertmanagerConfig {
    #[serde(default, deserialize_with = "crate::promconfig::null_default")]
    static_configs: Vec<StaticConfig>,
    #[serde(default, deserialize_with = "crate::promconfig::null_default")]
    file_sd_configs: Vec<FileSdConfig>,
    #[serde(flatten)]
    http: HttpClientConfig,
    #[serde(default)]
    sigv4: Option<serde_yaml_ng::Value>,
    #[serde(default)]
    scheme: Option<String>,
    #[serde(default)]
    path_prefix: Option<String>,
    #[serde(default)]
    timeout: Option<PromDuration>,
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default, deserialize_with = "crate::promconfig::null_default")]
    relabel_configs: Vec<Option<RelabelConfig>>,
    #[serde(default, deserialize_with = "crate::promconfig::null_default")]
    alert_relabel_configs: Vec<Option<RelabelConfig>>,
}

/// One Alertmanager set: how its Alertmanagers are found and how alerts reach them.
#[derive(Debug, Clone)]
pub struct AlertmanagerSet {
    /// `config-<index>`, as Prometheus names a set.
    pub name: String,
    pub scheme: String,
    pub path_prefix: String,
    /// Per request, connection included.
    pub timeout: Duration,
    /// Authentication and TLS; file paths are absolute.
    pub http: HttpClientConfig,
    pub static_configs: Vec<StaticConfig>,
    pub file_sd_configs: Vec<FileSdConfig>,
    pub relabel_configs: Vec<RelabelConfig>,
    /// Applied to alerts sent to this set only, after the global `alert_relabel_configs`.
    pub alert_relabel_configs: Vec<RelabelConfig>,
    /// Directory relative `file_sd` patterns resolve against.
    pub base_dir: PathBuf,
}

/// An Alertmanager found by a set, before or after relabeling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alertmanager {
    /// `<scheme>://<address><alerts path>`.
    pub url: String,
    pub labels: BTreeMap<String, String>,
}

/// Every `alerting.alertmanagers` entry of `cfg`, checked; the error is what Prometheus says
/// about the first bad entry, so a reload can refuse the file.
pub fn parse_alertmanagers(cfg: &Config) -> Result<Vec<AlertmanagerSet>, String> {
    let legacy = cfg.global.metric_name_validation_scheme.as_deref() == Some("legacy");
    cfg.alerting
        .alertmanagers
        .iter()
        .enumerate()
        .map(|(i, v)| parse_one(i, v, &cfg.base_dir, legacy))
        .collect()
}

fn parse_one(
    index: usize,
    value: &serde_yaml_ng::Value,
    base_dir: &Path,
    legacy_names: bool,
) -> Result<AlertmanagerSet, String> {
    if value.is_null() {
        return Err("empty or null Alertmanager config".into());
    }
    let raw: RawAlertmanagerConfig =
        serde_yaml_ng::from_value(value.clone()).map_err(|e| e.to_string())?;
    let mut http = raw.http;
    http.validate()?;
    if raw.sigv4.is_some() {
        return Err("Strata does not support sigv4 yet".into());
    }
    let api_version = raw.api_version.unwrap_or_else(|| "v2".into());
    if api_version != "v2" {
        return Err(format!(
            "expected Alertmanager api version to be one of [v2] but got {api_version}"
        ));
    }
    // Prometheus does not check the scheme here: anything else fails at send time.
    let scheme = raw
        .scheme
        .filter(|s| !s.is_empty())
        .unwrap_or("http".into());
    let relabel_configs = non_null(
        raw.relabel_configs,
        "empty or null Alertmanager target relabeling rule",
    )?;
    let alert_relabel_configs = non_null(
        raw.alert_relabel_configs,
        "empty or null Alertmanager alert relabeling rule",
    )?;
    // Without relabeling, a URL in `targets` can only be a mistake.
    if relabel_configs.is_empty() {
        for t in raw.static_configs.iter().flat_map(|sc| &sc.targets) {
            check_target_address(t)?;
        }
    }
    for sd in &raw.file_sd_configs {
        sd.validate()?;
    }
    for rc in alert_relabel_configs.iter().chain(&relabel_configs) {
        rc.validate(legacy_names)?;
    }
    http.set_directory(base_dir);
    Ok(AlertmanagerSet {
        name: format!("config-{index}"),
        scheme,
        path_prefix: raw.path_prefix.unwrap_or_default(),
        timeout: raw
            .timeout
            .map_or(Duration::from_secs(10), |d| d.0)
            .max(Duration::from_millis(1)),
        http,
        static_configs: raw.static_configs,
        file_sd_configs: raw.file_sd_configs,
        relabel_configs,
        alert_relabel_configs,
        base_dir: base_dir.to_path_buf(),
    })
}

fn non_null(rules: Vec<Option<RelabelConfig>>, msg: &str) -> Result<Vec<RelabelConfig>, String> {
    rules
        .into_iter()
        .map(|r| r.ok_or_else(|| msg.to_string()))
        .collect()
}

impl AlertmanagerSet {
    /// `<path_prefix>/api/v2/alerts`, cleaned as Go's `path.Join("/", ...)` cleans it.
    pub fn alerts_path(&self) -> String {
        clean_path(&format!("/{}/api/v2/alerts", self.path_prefix))
    }

    /// The sets's target groups now: `static_configs`, then each `file_sd` file read anew.
    /// A file that cannot be read is logged and skipped, as discovery keeps going.
    pub fn target_groups(&self) -> Vec<TargetGroup> {
        let mut groups: Vec<TargetGroup> = self
            .static_configs
            .iter()
            .enumerate()
            .map(|(i, sc)| TargetGroup {
                targets: sc
                    .targets
                    .iter()
                    .filter(|t| !t.is_empty())
                    .map(|t| BTreeMap::from([(ADDRESS_LABEL.to_string(), t.clone())]))
                    .collect(),
                labels: sc.labels.clone(),
                source: i.to_string(),
            })
            .collect();
        for sd in &self.file_sd_configs {
            for path in expand_patterns(&sd.files, &self.base_dir) {
                match read_file(&path) {
                    Ok(gs) => groups.extend(gs),
                    Err(e) => tracing::error!(set = %self.name, "file_sd for Alertmanagers: {e}"),
                }
            }
        }
        groups
    }

    /// The Alertmanagers `groups` describe after `relabel_configs`: active ones (deduplicated
    /// by URL) and dropped ones (with their labels before relabeling). A relabeled address
    /// that is a URL invalidates its whole group, as in Prometheus.
    pub fn resolve(&self, groups: &[TargetGroup]) -> (Vec<Alertmanager>, Vec<Alertmanager>) {
        let mut active: Vec<Alertmanager> = Vec::new();
        let mut dropped = Vec::new();
        for g in groups {
            match self.group_alertmanagers(g) {
                Ok((a, d)) => {
                    for am in a {
                        if !active.iter().any(|x| x.url == am.url) {
                            active.push(am);
                        }
                    }
                    dropped.extend(d);
                }
                Err(e) => tracing::error!(
                    set = %self.name,
                    "Creating discovered Alertmanagers failed: {e}"
                ),
            }
        }
        (active, dropped)
    }

    fn group_alertmanagers(
        &self,
        g: &TargetGroup,
    ) -> Result<(Vec<Alertmanager>, Vec<Alertmanager>), String> {
        let (mut active, mut dropped) = (Vec::new(), Vec::new());
        for target in &g.targets {
            let mut labels = target.clone();
            labels.insert(SCHEME_LABEL.into(), self.scheme.clone());
            labels.insert(ALERTS_PATH_LABEL.into(), self.alerts_path());
            for (k, v) in &g.labels {
                if !target.contains_key(k) {
                    labels.insert(k.clone(), v.clone());
                }
            }
            let before = labels.clone();
            if !crate::promconfig::relabel::process(&mut labels, &self.relabel_configs) {
                dropped.push(Alertmanager {
                    url: url_of(&before),
                    labels: before,
                });
                continue;
            }
            check_target_address(labels.get(ADDRESS_LABEL).map_or("", String::as_str))?;
            active.push(Alertmanager {
                url: url_of(&labels),
                labels,
            });
        }
        Ok((active, dropped))
    }
}

/// The URL Go's `url.URL{Scheme, Host, Path}.String()` gives for an Alertmanager's labels.
fn url_of(labels: &BTreeMap<String, String>) -> String {
    let get = |k: &str| labels.get(k).map_or("", String::as_str);
    let path = get(ALERTS_PATH_LABEL);
    let sep = if path.is_empty() || path.starts_with('/') {
        ""
    } else {
        "/"
    };
    format!("{}://{}{sep}{path}", get(SCHEME_LABEL), get(ADDRESS_LABEL))
}

/// Lexical path cleaning (`//` → `/`, `.` and `..` resolved), rooted at `/`.
fn clean_path(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets(yaml: &str) -> Result<Vec<AlertmanagerSet>, String> {
        let cfg = crate::promconfig::parse(yaml, Path::new("/etc/prom")).map_err(|e| e.0)?;
        parse_alertmanagers(&cfg)
    }

    #[test]
    fn defaults_follow_prometheus() {
        let s = sets(
            "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['am:9093']\n",
        )
        .expect("parses");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].name, "config-0");
        assert_eq!(s[0].scheme, "http");
        assert_eq!(s[0].timeout, Duration::from_secs(10));
        assert_eq!(s[0].alerts_path(), "/api/v2/alerts");
        let (active, dropped) = s[0].resolve(&s[0].target_groups());
        let urls: Vec<&str> = active.iter().map(|a| a.url.as_str()).collect();
        assert_eq!(urls, ["http://am:9093/api/v2/alerts"]);
        assert!(dropped.is_empty());
    }

    #[test]
    fn v1_and_bad_entries_are_refused_with_prometheus_messages() {
        let base =
            "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['am:9093']\n";
        let e = sets(&format!("{base}      api_version: v1\n")).expect_err("v1");
        assert_eq!(
            e,
            "expected Alertmanager api version to be one of [v2] but got v1"
        );
        let e = sets("alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['http://am:9093']\n")
            .expect_err("url as target");
        assert_eq!(e, "\"http://am:9093\" is not a valid hostname");
        let e = sets(&format!("{base}      relabel_configs:\n        -\n")).expect_err("null rule");
        assert_eq!(e, "empty or null Alertmanager target relabeling rule");
        let e = sets(&format!("{base}      bogus: 1\n")).expect_err("unknown field");
        assert!(e.contains("bogus"), "{e}");
        let e = sets(&format!(
            "{base}      basic_auth: {{username: u}}\n      authorization: {{credentials: x}}\n"
        ))
        .expect_err("two auths");
        assert!(e.starts_with("at most one of basic_auth"), "{e}");
    }

    #[test]
    fn relabeling_rewrites_and_drops_alertmanagers() {
        let s = sets(
            "alerting:\n  alertmanagers:\n    - scheme: https\n      path_prefix: /prefix/\n      timeout: 3s\n      static_configs:\n        - targets: ['a:9093', 'b:9093']\n          labels: {team: x}\n      relabel_configs:\n        - {source_labels: [__address__], regex: 'b:.*', action: drop}\n        - {target_label: __alerts_path__, replacement: '/custom/path'}\n",
        )
        .expect("parses");
        assert_eq!(s[0].timeout, Duration::from_secs(3));
        assert_eq!(s[0].alerts_path(), "/prefix/api/v2/alerts");
        let (active, dropped) = s[0].resolve(&s[0].target_groups());
        assert_eq!(active.len(), 1);
        assert_eq!(active[0].url, "https://a:9093/custom/path");
        assert_eq!(active[0].labels.get("team").map(String::as_str), Some("x"));
        assert_eq!(dropped.len(), 1);
        assert_eq!(dropped[0].url, "https://b:9093/prefix/api/v2/alerts");
    }

    #[test]
    fn file_sd_targets_are_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("ams.json"),
            r#"[{"targets": ["c:9093", "c:9093"], "labels": {"dc": "1"}}]"#,
        )
        .expect("write");
        let yaml =
            "alerting:\n  alertmanagers:\n    - file_sd_configs:\n        - files: ['ams.json']\n";
        let cfg = crate::promconfig::parse(yaml, dir.path()).expect("config");
        let s = parse_alertmanagers(&cfg).expect("parses");
        let (active, _) = s[0].resolve(&s[0].target_groups());
        let urls: Vec<&str> = active.iter().map(|a| a.url.as_str()).collect();
        assert_eq!(urls, ["http://c:9093/api/v2/alerts"]);
    }
}
