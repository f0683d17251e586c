//! `file_sd_configs`: target groups read from JSON or YAML files.
//!
//! A file holds a list of `{targets: [...], labels: {...}}`; each group gets the
//! `__meta_filepath` label and the source `<path>:<index>`, as Prometheus's file discovery.

use super::PromDuration;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSdConfig {
    #[serde(default, deserialize_with = "super::null_default")]
    pub files: Vec<String>,
    #[serde(default = "default_refresh")]
    pub refresh_interval: PromDuration,
}

fn default_refresh() -> PromDuration {
    PromDuration::from_secs(300)
}

/// A set of targets sharing labels, from `static_configs` or a discovery source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetGroup {
    /// Each target's own labels; at least `__address__`.
    pub targets: Vec<BTreeMap<String, String>>,
    /// Labels every target of the group gets unless it has its own.
    pub labels: BTreeMap<String, String>,
    /// Where the group came from (`file.json:0`), unique within a scrape config.
    pub source: String,
}

impl TargetGroup {
    /// Each target's labels over the group's: the map [`super::populate_labels`] takes.
    pub fn merged_targets(&self) -> impl Iterator<Item = BTreeMap<String, String>> + '_ {
        self.targets.iter().map(|target| {
            let mut merged = self.labels.clone();
            merged.extend(target.iter().map(|(k, v)| (k.clone(), v.clone())));
            merged
        })
    }
}

/// The label naming the file a group came from.
pub const FILEPATH_LABEL: &str = "__meta_filepath";

/// Prometheus's rule for file names: `.json`, `.yml` or `.yaml`, with a `*` allowed only in
/// the last path element.
fn valid_pattern(name: &str) -> bool {
    let ext_ok = ["json", "yml", "yaml", "JSON", "YML", "YAML"]
        .iter()
        .any(|ext| name.strip_suffix(ext).is_some_and(|s| s.ends_with('.')));
    ext_ok && name.find('*').is_none_or(|i| !name[i..].contains('/'))
}

impl FileSdConfig {
    /// Prometheus's checks, with its messages.
    pub fn validate(&self) -> Result<(), String> {
        if self.files.is_empty() {
            return Err("file service discovery config must contain at least one path name".into());
        }
        for name in &self.files {
            if !valid_pattern(name) {
                return Err(format!(
                    "path name {name:?} is not valid for file discovery"
                ));
            }
        }
        Ok(())
    }
}

/// The files the patterns match now (a pattern's `*` in its last element is a glob),
/// relative patterns resolved against `base_dir`, sorted and without duplicates. A pattern
/// matching nothing contributes nothing: the file may appear later.
pub fn expand_patterns(files: &[String], base_dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for pattern in files {
        let full = base_dir.join(pattern);
        let Some(full) = full.to_str() else {
            continue;
        };
        if let Ok(paths) = glob::glob(full) {
            out.extend(paths.filter_map(Result::ok));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// One group as written in a JSON file; other keys are ignored, as Go's JSON decoding does.
#[derive(Deserialize)]
struct RawGroup {
    #[serde(default)]
    targets: Vec<String>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
}

/// One group as written in a YAML file, which Prometheus decodes strictly.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StrictRawGroup {
    #[serde(default, deserialize_with = "super::null_default")]
    targets: Vec<String>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
}

/// Reads one file's target groups; each group gets `__meta_filepath`.
pub fn read_file(path: &Path) -> Result<Vec<TargetGroup>, String> {
    let shown = path.display().to_string();
    let content = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let raw: Vec<Option<RawGroup>> = match ext.as_str() {
        "json" => serde_json::from_str(&content).map_err(|e| format!("{shown}: {e}"))?,
        "yml" | "yaml" => {
            if super::check::is_empty_document(&content) {
                Vec::new()
            } else {
                let strict: Vec<Option<StrictRawGroup>> =
                    serde_yaml_ng::from_str(&content).map_err(|e| format!("{shown}: {e}"))?;
                strict
                    .into_iter()
                    .map(|g| {
                        g.map(|g| RawGroup {
                            targets: g.targets,
                            labels: g.labels,
                        })
                    })
                    .collect()
            }
        }
        other => return Err(format!("{shown}: unknown file extension {other:?}")),
    };
    let mut groups = Vec::with_capacity(raw.len());
    for (i, group) in raw.into_iter().enumerate() {
        let group = group.ok_or_else(|| format!("{shown}: nil target group item found"))?;
        let mut labels = BTreeMap::new();
        for (name, value) in group.labels.unwrap_or_default() {
            if name.is_empty() {
                return Err(format!("{shown}: {name:?} is not a valid label name"));
            }
            // An empty value is the same as an absent label.
            if !value.is_empty() {
                labels.insert(name, value);
            }
        }
        labels.insert(FILEPATH_LABEL.to_string(), shown.clone());
        let targets = group
            .targets
            .into_iter()
            .map(|t| {
                // An empty address is left out, to fail later as "no address".
                let mut target = BTreeMap::new();
                if !t.is_empty() {
                    target.insert("__address__".to_string(), t);
                }
                target
            })
            .collect();
        groups.push(TargetGroup {
            targets,
            labels,
            source: format!("{shown}:{i}"),
        });
    }
    Ok(groups)
}
