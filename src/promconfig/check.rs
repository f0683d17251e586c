//! Prometheus's defaults and checks, applied after decoding: `global` inheritance, interval and
//! timeout rules, HTTP client and relabel validation, path resolution and
//! `scrape_config_files`. Messages are Prometheus's own, so that a user can grep for them.

use super::http_client::join_dir;
use super::relabel::valid_legacy_name;
use super::{Config, ConfigError, GlobalConfig, PromDuration, ScrapeConfig, ScrapeProtocol};
use serde::Deserialize;
use serde_yaml_ng::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

const SUPPORTED_SD: [&str; 2] = ["static_configs", "file_sd_configs"];
const ESCAPING_SCHEMES: [&str; 4] = ["allow-utf-8", "underscores", "dots", "values"];

fn err(msg: impl Into<String>) -> ConfigError {
    ConfigError(msg.into())
}

/// True for a document with nothing in it but comments and whitespace.
pub(super) fn is_empty_document(yaml: &str) -> bool {
    yaml.trim().is_empty() || matches!(serde_yaml_ng::from_str::<Value>(yaml), Ok(Value::Null))
}

/// Decodes a document, first rejecting service discoveries Strata lacks. Documents using
/// `<<: *anchor` merge keys, which Go's YAML honours, are merged as a tree first (their errors
/// then carry no line numbers); all others decode straight from the text.
pub(super) fn decode<T: serde::de::DeserializeOwned>(yaml: &str) -> Result<T, ConfigError> {
    reject_unsupported(yaml)?;
    if yaml.contains("<<:")
        && let Ok(mut tree) = serde_yaml_ng::from_str::<Value>(yaml)
    {
        tree.apply_merge().map_err(|e| err(e.to_string()))?;
        check_tree(&tree)?;
        return serde_yaml_ng::from_value(tree).map_err(|e| err(e.to_string()));
    }
    serde_yaml_ng::from_str(yaml).map_err(|e| err(e.to_string()))
}

/// Names a service discovery Strata lacks (`kubernetes_sd_configs`, ...) instead of letting
/// it fail as an unknown field.
pub(super) fn reject_unsupported(yaml: &str) -> Result<(), ConfigError> {
    // A document that does not decode is reported by the typed decoding, with its position.
    match serde_yaml_ng::from_str::<Value>(yaml) {
        Ok(doc) => check_tree(&doc),
        Err(_) => Ok(()),
    }
}

fn entries(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_sequence).map_or(&[], Vec::as_slice)
}

fn check_tree(doc: &Value) -> Result<(), ConfigError> {
    let alertmanagers = doc.get("alerting").and_then(|a| a.get("alertmanagers"));
    for entry in entries(doc.get("scrape_configs"))
        .iter()
        .chain(entries(alertmanagers))
    {
        check_sd_keys(entry)?;
    }
    Ok(())
}

fn check_sd_keys(entry: &Value) -> Result<(), ConfigError> {
    let Some(map) = entry.as_mapping() else {
        return Ok(());
    };
    for key in map.keys().filter_map(Value::as_str) {
        if key.ends_with("_sd_configs") && !SUPPORTED_SD.contains(&key) {
            let whose = entry
                .get("job_name")
                .and_then(Value::as_str)
                .map(|j| format!(" (scrape config with job name {j:?})"))
                .unwrap_or_default();
            return Err(err(format!(
                "Strata does not support {key} yet{whose}; use static_configs or file_sd_configs"
            )));
        }
    }
    Ok(())
}

/// Prometheus's pattern for rule and scrape config file paths: a `*` only in the last path
/// element.
fn valid_file_pattern(p: &str) -> bool {
    p.find('*').is_none_or(|i| !p[i..].contains('/'))
}

/// `$VAR`, `${VAR}` and `$$` in external label values, as Go's `os.Expand` with
/// Prometheus's mapping (an unset variable becomes empty).
pub(super) fn expand_env(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(stripped) = after.strip_prefix('$') {
            out.push('$');
            rest = stripped;
        } else if let Some(braced) = after.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => {
                    out.push_str(&std::env::var(&braced[..end]).unwrap_or_default());
                    rest = &braced[end + 1..];
                }
                None => {
                    // Go drops a malformed `${` reference entirely.
                    rest = "";
                }
            }
        } else {
            let n = after
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                .count();
            if n == 0 {
                out.push('$');
            } else {
                out.push_str(&std::env::var(&after[..n]).unwrap_or_default());
            }
            rest = &after[n..];
        }
    }
    out.push_str(rest);
    out
}

fn legacy(scheme: Option<&str>) -> bool {
    scheme == Some("legacy")
}

fn check_label_names<'a>(
    names: impl IntoIterator<Item = &'a String>,
    legacy_names: bool,
) -> Result<(), ConfigError> {
    for name in names {
        let ok = if legacy_names {
            valid_legacy_name(name)
        } else {
            !name.is_empty()
        };
        if !ok {
            return Err(err(format!("{name:?} is not a valid label name")));
        }
    }
    Ok(())
}

fn check_protocols(ps: &[ScrapeProtocol], whose: &str) -> Result<(), ConfigError> {
    if ps.is_empty() {
        return Err(err(format!("scrape_protocols cannot be empty {whose}")));
    }
    for (i, p) in ps.iter().enumerate() {
        if ps[..i].contains(p) {
            let names: Vec<&str> = ps.iter().map(ScrapeProtocol::as_str).collect();
            return Err(err(format!(
                "duplicated protocol in scrape_protocols, got [{}] {whose}",
                names.join(" ")
            )));
        }
    }
    Ok(())
}

impl GlobalConfig {
    fn check(&mut self) -> Result<(), ConfigError> {
        match self.metric_name_validation_scheme.as_deref() {
            None | Some("") => self.metric_name_validation_scheme = Some("utf8".into()),
            Some("utf8" | "legacy") => {}
            Some(other) => {
                return Err(err(format!(
                    "unknown global name validation method specified, must be either '', 'legacy' or 'utf8', got {other}"
                )));
            }
        }
        let legacy_names = legacy(self.metric_name_validation_scheme.as_deref());
        check_label_names(self.external_labels.keys(), legacy_names)?;
        let expanded: BTreeMap<String, String> = std::mem::take(&mut self.external_labels)
            .into_iter()
            .map(|(k, v)| (k, expand_env(&v)))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        self.external_labels = expanded;

        if self.scrape_interval.0.is_zero() {
            self.scrape_interval = PromDuration::from_secs(60);
        }
        if self.scrape_timeout > self.scrape_interval {
            return Err(err("global scrape timeout greater than scrape interval"));
        }
        if self.scrape_timeout.0.is_zero() {
            self.scrape_timeout = PromDuration(Duration::from_secs(10).min(self.scrape_interval.0));
        }
        if self.evaluation_interval.0.is_zero() {
            self.evaluation_interval = PromDuration::from_secs(60);
        }
        if let Some(ps) = &self.scrape_protocols {
            check_protocols(ps, "for global config")?;
        }
        match self.metric_name_escaping_scheme.as_deref() {
            None | Some("") => {
                let default = if legacy_names {
                    "underscores"
                } else {
                    "allow-utf-8"
                };
                self.metric_name_escaping_scheme = Some(default.into());
            }
            Some(s) if ESCAPING_SCHEMES.contains(&s) => {}
            Some(other) => {
                return Err(err(format!(
                    "unknown global name escaping method specified, must be one of 'allow-utf-8', 'underscores', 'dots', or 'values', got {other:?}"
                )));
            }
        }
        Ok(())
    }
}

impl ScrapeConfig {
    /// True when this job validates label names with the legacy (pre-UTF-8) rules.
    pub fn uses_legacy_names(&self) -> bool {
        legacy(self.metric_name_validation_scheme.as_deref())
    }

    /// Everything Prometheus checks and defaults for one job, given the checked `global`.
    pub(super) fn check(&mut self, global: &GlobalConfig) -> Result<(), ConfigError> {
        if self.job_name.is_empty() {
            return Err(err("job_name is empty"));
        }
        let job = self.job_name.clone();
        let whose = format!("for scrape config with job name {job:?}");
        self.http.validate().map_err(err)?;
        if self.scheme != "http" && self.scheme != "https" {
            return Err(err(format!(
                "invalid scheme {:?} {whose}: must be \"http\" or \"https\"",
                self.scheme
            )));
        }
        if self.relabel_configs.is_empty() {
            for t in self.static_configs.iter().flat_map(|s| &s.targets) {
                super::targets::check_target_address(t).map_err(err)?;
            }
        }
        for fsd in &self.file_sd_configs {
            fsd.validate().map_err(err)?;
        }

        let interval = match self.scrape_interval {
            Some(i) if !i.0.is_zero() => i,
            _ => global.scrape_interval,
        };
        self.scrape_interval = Some(interval);
        match self.scrape_timeout {
            Some(t) if t > interval => {
                return Err(err(format!(
                    "scrape timeout greater than scrape interval for scrape config with job name {job:?}"
                )));
            }
            Some(t) if !t.0.is_zero() => {}
            _ => self.scrape_timeout = Some(global.scrape_timeout.min(interval)),
        }
        for (local, global) in [
            (&mut self.body_size_limit, global.body_size_limit),
            (&mut self.sample_limit, global.sample_limit),
            (&mut self.target_limit, global.target_limit),
            (&mut self.label_limit, global.label_limit),
            (
                &mut self.label_name_length_limit,
                global.label_name_length_limit,
            ),
            (
                &mut self.label_value_length_limit,
                global.label_value_length_limit,
            ),
            (&mut self.keep_dropped_targets, global.keep_dropped_targets),
        ] {
            if local.unwrap_or(0) == 0 {
                *local = Some(global);
            }
        }
        if self
            .scrape_failure_log_file
            .as_deref()
            .unwrap_or("")
            .is_empty()
        {
            self.scrape_failure_log_file = global.scrape_failure_log_file.clone();
        }
        let native = *self
            .scrape_native_histograms
            .get_or_insert(global.scrape_native_histograms.unwrap_or(false));
        self.extra_scrape_metrics
            .get_or_insert(global.extra_scrape_metrics);
        self.always_scrape_classic_histograms
            .get_or_insert(global.always_scrape_classic_histograms);
        self.convert_classic_histograms_to_nhcb
            .get_or_insert(global.convert_classic_histograms_to_nhcb);
        if self.scrape_protocols.is_none() {
            self.scrape_protocols = Some(match &global.scrape_protocols {
                Some(ps) => ps.clone(),
                None if native => {
                    let mut ps = vec![ScrapeProtocol::PrometheusProto];
                    ps.extend(ScrapeProtocol::DEFAULT);
                    ps
                }
                None => ScrapeProtocol::DEFAULT.to_vec(),
            });
        }
        check_protocols(self.scrape_protocols.as_deref().unwrap_or_default(), &whose)?;
        self.check_name_schemes(global)?;

        let legacy_names = self.uses_legacy_names();
        for sc in &self.static_configs {
            check_label_names(sc.labels.keys(), legacy_names)?;
        }
        for rc in self
            .relabel_configs
            .iter()
            .chain(&self.metric_relabel_configs)
        {
            rc.validate(legacy_names).map_err(err)?;
        }
        Ok(())
    }

    fn check_name_schemes(&mut self, global: &GlobalConfig) -> Result<(), ConfigError> {
        let local_unset = self
            .metric_name_validation_scheme
            .as_deref()
            .unwrap_or("")
            .is_empty();
        match self.metric_name_validation_scheme.as_deref() {
            None | Some("") => {
                self.metric_name_validation_scheme = global.metric_name_validation_scheme.clone();
            }
            Some("utf8" | "legacy") => {}
            Some(other) => {
                return Err(err(format!(
                    "unknown scrape config name validation method specified, must be either '', 'legacy' or 'utf8', got {other}"
                )));
            }
        }
        if self
            .metric_name_escaping_scheme
            .as_deref()
            .unwrap_or("")
            .is_empty()
        {
            let inferred = if local_unset {
                global.metric_name_escaping_scheme.clone()
            } else if self.uses_legacy_names() {
                Some("underscores".into())
            } else {
                Some("allow-utf-8".into())
            };
            self.metric_name_escaping_scheme = inferred;
        }
        match self.metric_name_escaping_scheme.as_deref() {
            Some("allow-utf-8") if self.uses_legacy_names() => Err(err(
                "utf8 metric names requested but validation scheme is not set to UTF8",
            )),
            None => Ok(()),
            Some(s) if ESCAPING_SCHEMES.contains(&s) => Ok(()),
            Some(other) => Err(err(format!(
                "unknown scrape config name escaping method specified, must be one of 'allow-utf-8', 'underscores', 'dots', or 'values', got {other:?}"
            ))),
        }
    }

    /// Makes the job's file paths absolute against `dir`, as Prometheus's `SetDirectory`.
    pub fn set_directory(&mut self, dir: &Path) {
        self.http.set_directory(dir);
        join_dir(dir, &mut self.scrape_failure_log_file);
        for fsd in &mut self.file_sd_configs {
            for f in &mut fsd.files {
                let mut p = Some(std::mem::take(f));
                join_dir(dir, &mut p);
                *f = p.unwrap_or_default();
            }
        }
    }
}

/// A file named by `scrape_config_files`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScrapeConfigsFile {
    #[serde(default, deserialize_with = "super::null_default")]
    scrape_configs: Vec<ScrapeConfig>,
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

impl Config {
    pub(super) fn fill_defaults_and_check(&mut self) -> Result<(), ConfigError> {
        self.global.check()?;
        for rf in &self.rule_files {
            if !valid_file_pattern(rf) {
                return Err(err(format!("invalid rule file path {rf:?}")));
            }
        }
        for sf in &self.scrape_config_files {
            if !valid_file_pattern(sf) {
                return Err(err(format!("invalid scrape config file path {sf:?}")));
            }
        }
        let mut first_seen: HashMap<String, String> = HashMap::new();
        for sc in &mut self.scrape_configs {
            sc.check(&self.global)?;
            if first_seen
                .insert(sc.job_name.clone(), "main config file".into())
                .is_some()
            {
                return Err(err(format!(
                    "found multiple scrape configs with job name {:?}",
                    sc.job_name
                )));
            }
        }
        let legacy_names = legacy(self.global.metric_name_validation_scheme.as_deref());
        for rc in &self.alerting.alert_relabel_configs {
            rc.validate(legacy_names).map_err(err)?;
        }

        let dir = self.base_dir.clone();
        for path in self
            .rule_files
            .iter_mut()
            .chain(&mut self.scrape_config_files)
        {
            let mut p = Some(std::mem::take(path));
            join_dir(&dir, &mut p);
            *path = p.unwrap_or_default();
        }
        join_dir(&dir, &mut self.global.query_log_file);
        join_dir(&dir, &mut self.global.scrape_failure_log_file);
        for sc in &mut self.scrape_configs {
            sc.set_directory(&dir);
        }
        self.load_scrape_config_files(first_seen)
    }

    /// Appends the jobs of every file `scrape_config_files` matches, checked against this
    /// `global`, with their paths relative to their own file.
    fn load_scrape_config_files(
        &mut self,
        mut first_seen: HashMap<String, String>,
    ) -> Result<(), ConfigError> {
        for pattern in self.scrape_config_files.clone() {
            let matches = glob::glob(&pattern).map_err(|e| {
                err(format!(
                    "error retrieving scrape config files for {pattern:?}: {e}"
                ))
            })?;
            let mut files: Vec<PathBuf> = matches.filter_map(Result::ok).collect();
            files.sort();
            for file in files {
                let shown = absolute(&file).display().to_string();
                let file_err = |e: String| err(format!("{shown:?}: {e}"));
                let text = std::fs::read_to_string(&file).map_err(|e| file_err(e.to_string()))?;
                let parsed: ScrapeConfigsFile = if is_empty_document(&text) {
                    ScrapeConfigsFile {
                        scrape_configs: Vec::new(),
                    }
                } else {
                    decode(&text).map_err(|e| file_err(e.0))?
                };
                let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
                for mut sc in parsed.scrape_configs {
                    sc.check(&self.global).map_err(|e| file_err(e.0))?;
                    if let Some(first) = first_seen.get(&sc.job_name) {
                        return Err(file_err(format!(
                            "found multiple scrape configs with job name {:?}, first found in {first}",
                            sc.job_name
                        )));
                    }
                    first_seen.insert(sc.job_name.clone(), format!("{shown:?}"));
                    sc.set_directory(&dir);
                    sc.from_file = Some(absolute(&file));
                    self.scrape_configs.push(sc);
                }
            }
        }
        Ok(())
    }
}
