//! `relabel_configs`, `metric_relabel_configs` and `alert_relabel_configs`: every action
//! Prometheus has, with its regex anchoring and `$1` expansion.
//!
//! The regex is compiled once (by [`RelabelConfig::validate`] during parsing, or on first use
//! for a config built by hand) and kept beside the pattern as written, so that per-sample
//! metric relabeling never recompiles.

use md5::{Digest, Md5};
use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
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

impl Action {
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Replace => "replace",
            Action::Keep => "keep",
            Action::Drop => "drop",
            Action::KeepEqual => "keepequal",
            Action::DropEqual => "dropequal",
            Action::HashMod => "hashmod",
            Action::LabelMap => "labelmap",
            Action::LabelDrop => "labeldrop",
            Action::LabelKeep => "labelkeep",
            Action::Lowercase => "lowercase",
            Action::Uppercase => "uppercase",
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Action {
    /// Case-insensitive, as Prometheus reads it (`HashMod` and `hashmod` are the same).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let lower = s.to_lowercase();
        [
            Action::Replace,
            Action::Keep,
            Action::Drop,
            Action::KeepEqual,
            Action::DropEqual,
            Action::HashMod,
            Action::LabelMap,
            Action::LabelDrop,
            Action::LabelKeep,
            Action::Lowercase,
            Action::Uppercase,
        ]
        .into_iter()
        .find(|a| a.as_str() == lower)
        .ok_or_else(|| serde::de::Error::custom(format!("unknown relabel action {s:?}")))
    }
}

/// The compiled, anchored form of [`RelabelConfig::regex`]; filled once, shared by clones.
/// `None` inside means the pattern does not compile (only possible for a config built by hand
/// and never validated): such a regex matches nothing.
#[derive(Clone, Default)]
pub struct CompiledRegex(OnceLock<Option<Regex>>);

impl std::fmt::Debug for CompiledRegex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CompiledRegex")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelabelConfig {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_labels: Vec<String>,
    #[serde(default = "default_separator")]
    pub separator: String,
    /// The regex as written; matched anchored at both ends, `.` matching newlines. Absent
    /// is `(.*)`; an explicit null is the empty regex, as in Prometheus.
    #[serde(default = "default_regex", deserialize_with = "null_is_empty")]
    pub regex: String,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub modulus: u64,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target_label: String,
    #[serde(default = "default_replacement")]
    pub replacement: String,
    #[serde(default)]
    pub action: Action,
    /// Filled from `regex` on first use; a config changed after use needs a fresh value
    /// (`CompiledRegex::default()`).
    #[serde(skip)]
    pub compiled: CompiledRegex,
}

impl Default for RelabelConfig {
    /// Prometheus's defaults: `replace`, separator `;`, regex `(.*)`, replacement `$1`.
    fn default() -> Self {
        RelabelConfig {
            source_labels: Vec::new(),
            separator: default_separator(),
            regex: default_regex(),
            modulus: 0,
            target_label: String::new(),
            replacement: default_replacement(),
            action: Action::Replace,
            compiled: CompiledRegex::default(),
        }
    }
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
fn null_is_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Prometheus anchors every relabel regex and lets `.` match a newline.
fn anchored(pattern: &str) -> Result<Regex, regex::Error> {
    Regex::new(&format!("^(?s:{pattern})$"))
}

/// A label name under Prometheus 3's default (UTF-8) scheme: any non-empty string.
fn valid_utf8_name(name: &str) -> bool {
    !name.is_empty()
}

/// A label name under the `legacy` validation scheme.
pub fn valid_legacy_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// A `target_label`/`replacement` template under the legacy scheme: name characters and
/// `$name`/`${name}` references, starting with a letter, `_` or a reference.
fn valid_legacy_template(t: &str) -> bool {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$").ok())
        .as_ref()
        .is_some_and(|re| re.is_match(t))
}

impl RelabelConfig {
    /// The anchored regex, compiled on first use.
    pub fn compiled_regex(&self) -> Option<&Regex> {
        self.compiled
            .0
            .get_or_init(|| anchored(&self.regex).ok())
            .as_ref()
    }

    /// Prometheus's checks for one rule, in its order and with its messages; compiles the
    /// regex. `legacy_names` selects the legacy label-name scheme instead of UTF-8.
    pub fn validate(&self, legacy_names: bool) -> Result<(), String> {
        let re = anchored(&self.regex).map_err(|e| format!("error parsing regexp: {e}"))?;
        let _ = self.compiled.0.set(Some(re));
        let valid_name = |n: &str| {
            if legacy_names {
                valid_legacy_name(n)
            } else {
                valid_utf8_name(n)
            }
        };
        let valid_template = |t: &str| {
            if legacy_names {
                valid_legacy_template(t)
            } else {
                valid_utf8_name(t)
            }
        };
        if let Some(bad) = self.source_labels.iter().find(|n| !valid_name(n)) {
            return Err(format!("{bad:?} is not a valid label name"));
        }
        let act = self.action;
        use Action::*;
        if self.modulus == 0 && act == HashMod {
            return Err("relabel configuration for hashmod requires non-zero modulus".into());
        }
        let with_target = matches!(
            act,
            Replace | HashMod | Lowercase | Uppercase | KeepEqual | DropEqual
        );
        if with_target && self.target_label.is_empty() {
            return Err(format!(
                "relabel configuration for {act} action requires 'target_label' value"
            ));
        }
        let bad_target = || {
            format!(
                "{:?} is invalid 'target_label' for {act} action",
                self.target_label
            )
        };
        let templated = self.target_label.contains('$');
        if act == Replace && !templated && !valid_name(&self.target_label) {
            return Err(bad_target());
        }
        if act == Replace && templated && !valid_template(&self.target_label) {
            return Err(bad_target());
        }
        let single_target = matches!(act, Lowercase | Uppercase | KeepEqual | DropEqual);
        if single_target && !valid_name(&self.target_label) {
            return Err(bad_target());
        }
        if single_target && self.replacement != default_replacement() {
            return Err(format!("'replacement' can not be set for {act} action"));
        }
        if act == LabelMap && !valid_template(&self.replacement) {
            return Err(format!(
                "{:?} is invalid 'replacement' for {act} action",
                self.replacement
            ));
        }
        if act == HashMod && !valid_name(&self.target_label) {
            return Err(bad_target());
        }
        if matches!(act, KeepEqual | DropEqual)
            && (self.regex != default_regex()
                || self.modulus != 0
                || self.separator != default_separator()
                || self.replacement != default_replacement())
        {
            return Err(format!(
                "{act} action requires only 'source_labels' and `target_label`, and no other fields"
            ));
        }
        if matches!(act, LabelDrop | LabelKeep)
            && (!self.source_labels.is_empty()
                || !self.target_label.is_empty()
                || self.modulus != 0
                || self.separator != default_separator()
                || self.replacement != default_replacement())
        {
            return Err(format!(
                "{act} action requires only 'regex', and no other fields"
            ));
        }
        Ok(())
    }
}

/// Applies `cfgs` in order to `labels` (no empty values); returns false when the set is
/// dropped. A label set to the empty string is removed, as Prometheus's `labels.Builder`
/// does; a dropped set is left partly relabeled and must not be used.
pub fn process(labels: &mut BTreeMap<String, String>, cfgs: &[RelabelConfig]) -> bool {
    cfgs.iter().all(|cfg| apply(labels, cfg))
}

/// The source labels' values joined by the separator; a missing label counts as empty.
fn source_value<'a>(labels: &'a BTreeMap<String, String>, cfg: &RelabelConfig) -> Cow<'a, str> {
    let get = |n: &String| labels.get(n).map_or("", String::as_str);
    match cfg.source_labels.as_slice() {
        [] => Cow::Borrowed(""),
        [one] => Cow::Borrowed(get(one)),
        many => {
            let mut joined = String::new();
            for (i, name) in many.iter().enumerate() {
                if i > 0 {
                    joined.push_str(&cfg.separator);
                }
                joined.push_str(get(name));
            }
            Cow::Owned(joined)
        }
    }
}

fn set(labels: &mut BTreeMap<String, String>, name: &str, value: String) {
    if value.is_empty() {
        labels.remove(name);
    } else if let Some(v) = labels.get_mut(name) {
        *v = value;
    } else {
        labels.insert(name.to_string(), value);
    }
}

fn matches(cfg: &RelabelConfig, s: &str) -> bool {
    cfg.compiled_regex().is_some_and(|re| re.is_match(s))
}

fn apply(labels: &mut BTreeMap<String, String>, cfg: &RelabelConfig) -> bool {
    match cfg.action {
        Action::Drop => !matches(cfg, &source_value(labels, cfg)),
        Action::Keep => matches(cfg, &source_value(labels, cfg)),
        Action::DropEqual => {
            let target = labels.get(&cfg.target_label).map_or("", String::as_str);
            source_value(labels, cfg) != target
        }
        Action::KeepEqual => {
            let target = labels.get(&cfg.target_label).map_or("", String::as_str);
            source_value(labels, cfg) == target
        }
        Action::Replace => {
            if let Some((target, value)) = replacement(labels, cfg) {
                set(labels, &target, value);
            }
            true
        }
        Action::Lowercase => {
            let v = source_value(labels, cfg).to_lowercase();
            set(labels, &cfg.target_label, v);
            true
        }
        Action::Uppercase => {
            let v = source_value(labels, cfg).to_uppercase();
            set(labels, &cfg.target_label, v);
            true
        }
        Action::HashMod => {
            let digest = Md5::digest(source_value(labels, cfg).as_bytes());
            let mut low = [0u8; 8];
            low.copy_from_slice(&digest[8..16]);
            // Prometheus keeps the lower 8 bytes, big-endian, for results stable across
            // versions; a zero modulus is rejected by validation and left as a no-op here.
            let hash = u64::from_be_bytes(low);
            if let Some(m) = hash.checked_rem(cfg.modulus) {
                set(labels, &cfg.target_label, m.to_string());
            }
            true
        }
        Action::LabelMap => {
            let Some(re) = cfg.compiled_regex() else {
                return true;
            };
            let mut mapped = Vec::new();
            for (name, value) in labels.iter() {
                if let Some(caps) = re.captures(name) {
                    let mut new_name = String::new();
                    caps.expand(&cfg.replacement, &mut new_name);
                    if !new_name.is_empty() {
                        mapped.push((new_name, value.clone()));
                    }
                }
            }
            for (name, value) in mapped {
                set(labels, &name, value);
            }
            true
        }
        Action::LabelDrop => {
            labels.retain(|name, _| !matches(cfg, name));
            true
        }
        Action::LabelKeep => {
            labels.retain(|name, _| matches(cfg, name));
            true
        }
    }
}

/// For `replace`: the target label and its new value, or `None` when the regex does not
/// match or the expanded target is not a label name.
fn replacement(labels: &BTreeMap<String, String>, cfg: &RelabelConfig) -> Option<(String, String)> {
    let re = cfg.compiled_regex()?;
    let val = source_value(labels, cfg);
    let target_templated = cfg.target_label.contains('$');
    let value_templated = cfg.replacement.contains('$');
    if !target_templated && !value_templated {
        return re
            .is_match(&val)
            .then(|| (cfg.target_label.clone(), cfg.replacement.clone()));
    }
    let caps = re.captures(&val)?;
    let mut target = String::new();
    caps.expand(&cfg.target_label, &mut target);
    if !valid_utf8_name(&target) {
        return None;
    }
    let mut value = String::new();
    caps.expand(&cfg.replacement, &mut value);
    Some((target, value))
}
