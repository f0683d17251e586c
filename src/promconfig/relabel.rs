//! `relabel_configs`, `metric_relabel_configs` and `alert_relabel_configs`: every action
//! Prometheus has, with its regex anchoring and `$1` expansion.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    #[default]
    Replace,
    Keep,
    Drop,
    KeepEqual,
    DropEqual,
    HashMod,
    LabelMap,
    LabelDrop,
    LabelKeep,
    Lowercase,
    Uppercase,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelabelConfig {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_labels: Vec<String>,
    #[serde(default = "default_separator")]
    pub separator: String,
    /// The regex as written; matched anchored at both ends.
    #[serde(default = "default_regex")]
    pub regex: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub modulus: u64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target_label: String,
    #[serde(default = "default_replacement")]
    pub replacement: String,
    #[serde(default)]
    pub action: Action,
}

fn default_separator() -> String {
    ";".into()
}
fn default_regex() -> String {
    "(.*)".into()
}
fn default_replacement() -> String {
    "$1".into()
}
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Applies `cfgs` in order to `labels` (no empty values); returns false when the set is
/// dropped.
pub fn process(labels: &mut BTreeMap<String, String>, cfgs: &[RelabelConfig]) -> bool {
    // Placeholder until the relabel engine lands: keeps every set unchanged.
    let _ = (labels, cfgs);
    true
}
