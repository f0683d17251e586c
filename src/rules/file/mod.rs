//! Prometheus rule files: the model, parsing and the checks `promtool check rules` makes.
//!
//! A rule file holds `groups:`, each a named list of recording and alerting rules evaluated
//! together. [`parse_rule_file`] decodes one file strictly (unknown fields are errors, as in
//! Prometheus) and validates it the way Prometheus 3's `rulefmt` does; every error is phrased
//! as Prometheus phrases it, with the file name and, where Prometheus has one, the line and
//! column of the YAML node at fault. [`load_rule_files`] expands the `rule_files` patterns of
//! `prometheus.yml` and parses every match.

mod decode;
mod positions;
#[cfg(test)]
mod tests;
mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One parsed rule file.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleFile {
    pub path: PathBuf,
    pub groups: Vec<RuleGroup>,
}

impl RuleFile {
    /// How many rules the file holds, as `promtool check rules` counts them.
    pub fn rule_count(&self) -> usize {
        self.groups.iter().map(|g| g.rules.len()).sum()
    }
}

/// Rules evaluated together, in order, on one interval.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleGroup {
    pub name: String,
    /// `interval`; `None` means the global evaluation interval.
    pub interval: Option<Duration>,
    /// `limit`: most alerts or series one rule may produce; 0 means no limit.
    pub limit: u64,
    /// `query_offset`; `None` means the global `rule_query_offset`.
    pub query_offset: Option<Duration>,
    /// `labels` added to every rule's results (overridden by the rule's own labels).
    pub labels: BTreeMap<String, String>,
    pub rules: Vec<Rule>,
}

/// What a rule produces.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleKind {
    /// Stores the expression's result as the series `record`.
    Recording { record: String },
    /// Fires `alert` for each result element that has held for `for_`.
    Alerting {
        alert: String,
        for_: Duration,
        keep_firing_for: Duration,
        annotations: BTreeMap<String, String>,
    },
}

/// One recording or alerting rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub kind: RuleKind,
    pub expr: String,
    pub labels: BTreeMap<String, String>,
    /// 1-based line of the rule's first key in the file (0 when it could not be located).
    pub line: usize,
}

impl Rule {
    /// The record or alert name.
    pub fn name(&self) -> &str {
        match &self.kind {
            RuleKind::Recording { record } => record,
            RuleKind::Alerting { alert, .. } => alert,
        }
    }
}

/// Something wrong in a rule file, worded as Prometheus words it, e.g.
/// `rules.yml: 12:11: group "g", rule 2, "HighLatency": could not parse expression: ...`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct RuleError {
    pub path: PathBuf,
    /// The 1-based line the message points at, when it points at one.
    pub line: Option<usize>,
    /// Everything after `path: `.
    pub message: String,
}

impl RuleError {
    fn new(path: &Path, message: String) -> Self {
        RuleError {
            path: path.to_path_buf(),
            line: leading_line(&message),
            message,
        }
    }
}

/// The line of a message that starts with `L:C: `, `yaml: line L: ` or
/// `yaml: unmarshal errors:\n  line L: `.
fn leading_line(message: &str) -> Option<usize> {
    let rest = message
        .strip_prefix("yaml: line ")
        .or_else(|| message.strip_prefix("yaml: unmarshal errors:\n  line "))
        .unwrap_or(message);
    let n: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let l: usize = n.parse().ok()?;
    (l > 0 && rest[n.len()..].starts_with(':')).then_some(l)
}

/// Which metric and label names are valid: Prometheus 3 accepts any non-empty UTF-8
/// (`metric_name_validation_scheme: utf8`, the default, and what `promtool check rules` uses);
/// `legacy` is the `[a-zA-Z_:][a-zA-Z0-9_:]*` syntax of Prometheus 2.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NameValidation {
    #[default]
    Utf8,
    Legacy,
}

impl NameValidation {
    pub fn metric_name_ok(self, name: &str) -> bool {
        match self {
            NameValidation::Utf8 => !name.is_empty(),
            NameValidation::Legacy => legacy_name(name, true),
        }
    }

    pub fn label_name_ok(self, name: &str) -> bool {
        match self {
            NameValidation::Utf8 => !name.is_empty(),
            NameValidation::Legacy => legacy_name(name, false),
        }
    }
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`, with `:` allowed anywhere in metric names.
fn legacy_name(name: &str, colons: bool) -> bool {
    let ok = |c: char, first: bool| {
        c.is_ascii_alphabetic()
            || c == '_'
            || (colons && c == ':')
            || (!first && c.is_ascii_digit())
    };
    let mut chars = name.chars();
    chars.next().is_some_and(|c| ok(c, true)) && chars.all(|c| ok(c, false))
}

/// Parses and validates one rule file's text with Prometheus 3's default name validation;
/// `path` names it in messages.
///
/// Decoding errors (YAML syntax, unknown fields, wrong types, bad durations) come alone, as in
/// Prometheus; otherwise every validation error of the file is returned.
pub fn parse_rule_file(path: &Path, text: &str) -> Result<RuleFile, Vec<RuleError>> {
    parse_rule_file_with(path, text, NameValidation::default())
}

/// [`parse_rule_file`] with a chosen name validation.
pub fn parse_rule_file_with(
    path: &Path,
    text: &str,
    names: NameValidation,
) -> Result<RuleFile, Vec<RuleError>> {
    let tree = positions::scan(text);
    let raw = decode::decode(text, tree.as_ref()).map_err(|msgs| {
        msgs.into_iter()
            .map(|m| RuleError::new(path, m))
            .collect::<Vec<_>>()
    })?;
    let problems = validate::validate(&raw, names);
    if !problems.is_empty() {
        return Err(problems
            .into_iter()
            .map(|m| RuleError::new(path, m))
            .collect());
    }
    let groups = raw
        .into_iter()
        .map(|g| {
            let mut group = g.group;
            group.rules = g
                .rules
                .into_iter()
                .map(decode::RawRule::into_rule)
                .collect();
            group
        })
        .collect();
    Ok(RuleFile {
        path: path.to_path_buf(),
        groups,
    })
}

/// Reads and parses one rule file.
pub fn read_rule_file(path: &Path) -> Result<RuleFile, Vec<RuleError>> {
    match std::fs::read_to_string(path) {
        Ok(text) => parse_rule_file(path, &text),
        Err(e) => Err(vec![RuleError::new(path, read_error(path, &e))]),
    }
}

/// An I/O error in Go's words (`open x.yml: no such file or directory`), which is what
/// Prometheus prints after the file name.
fn read_error(path: &Path, e: &std::io::Error) -> String {
    let what = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        std::io::ErrorKind::IsADirectory => {
            return format!("read {}: is a directory", path.display());
        }
        std::io::ErrorKind::InvalidData => {
            return format!("read {}: file is not valid UTF-8", path.display());
        }
        _ => e.to_string(),
    };
    format!("open {}: {what}", path.display())
}

/// Expands `rule_files` patterns (relative ones against `base_dir`) and parses every match, in
/// pattern order and, within a pattern, in sorted order; a pattern matching nothing is fine,
/// as in Prometheus. All files' errors are returned together.
pub fn load_rule_files(
    patterns: &[String],
    base_dir: &Path,
) -> Result<Vec<RuleFile>, Vec<RuleError>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for pattern in patterns {
        let full = if Path::new(pattern).is_absolute() {
            PathBuf::from(pattern)
        } else {
            base_dir.join(pattern)
        };
        let full_text = full.to_string_lossy().into_owned();
        let paths = match glob::glob(&full_text) {
            Ok(paths) => paths,
            Err(e) => {
                errors.push(RuleError {
                    path: full.clone(),
                    line: None,
                    message: format!("error retrieving rule files for {pattern}: {e}"),
                });
                continue;
            }
        };
        let mut matched: Vec<PathBuf> = Vec::new();
        for p in paths {
            match p {
                Ok(p) => matched.push(p),
                Err(e) => errors.push(RuleError::new(e.path(), read_error(e.path(), e.error()))),
            }
        }
        matched.sort();
        for p in matched {
            match read_rule_file(&p) {
                Ok(f) => files.push(f),
                Err(mut es) => errors.append(&mut es),
            }
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}
