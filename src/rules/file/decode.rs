//! From YAML text to the rule file model, with the decoding errors Prometheus reports.
//!
//! Prometheus decodes rule files with yaml.v3 in strict mode: a syntax error stops everything,
//! unknown fields and type mismatches are collected into one `yaml: unmarshal errors:` message
//! with a line each, and a bad duration stops decoding with its own message. We parse with
//! serde_yaml_ng into a `Value` and walk it beside the scanned positions to say the same things.

use super::positions::{Node, Pos};
use super::{Rule, RuleGroup, RuleKind};
use serde::Deserialize;
use serde_yaml_ng::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// A rule as written, before the checks that need the whole file.
#[derive(Debug, Default)]
pub(super) struct RawRule {
    pub record: String,
    pub alert: String,
    pub expr: String,
    pub for_: Duration,
    pub keep_firing_for: Duration,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// Where the rule's mapping and its `record`, `alert` and `expr` values are (0:0 if absent).
    pub pos: Pos,
    pub record_pos: Pos,
    pub alert_pos: Pos,
    pub expr_pos: Pos,
}

impl RawRule {
    pub fn into_rule(self) -> Rule {
        let kind = if self.alert.is_empty() {
            RuleKind::Recording {
                record: self.record,
            }
        } else {
            RuleKind::Alerting {
                alert: self.alert,
                for_: self.for_,
                keep_firing_for: self.keep_firing_for,
                annotations: self.annotations,
            }
        };
        Rule {
            kind,
            expr: self.expr,
            labels: self.labels,
            line: self.pos.line,
        }
    }
}

/// A group as written; `rules` are still raw.
#[derive(Debug, Default)]
pub(super) struct RawGroup {
    pub group: RuleGroup,
    pub rules: Vec<RawRule>,
    pub pos: Pos,
}

pub(super) const NO_POS: Pos = Pos { line: 0, col: 0 };

/// Decodes the first YAML document of `text`. Errors are messages without the file name.
pub(super) fn decode(text: &str, tree: Option<&Node>) -> Result<Vec<RawGroup>, Vec<String>> {
    let mut value = match serde_yaml_ng::Deserializer::from_str(text).next() {
        None => Value::Null,
        Some(doc) => match Value::deserialize(doc) {
            Ok(v) => v,
            Err(e) if e.to_string().contains("duplicate entry with key") => {
                if let Some((key, first, again)) = tree.and_then(duplicate_key) {
                    return Err(vec![format!(
                        "yaml: unmarshal errors:\n  line {again}: mapping key {} already defined at line {first}",
                        super::validate::go_quote(&key)
                    )]);
                }
                return Err(vec![syntax_error(&e)]);
            }
            Err(e) => {
                // Prometheus decodes the text twice (values, then nodes for positions) and both
                // decodings report the same syntax error.
                let msg = syntax_error(&e);
                return Err(vec![msg.clone(), msg]);
            }
        },
    };
    // yaml.v3 honours `<<: *anchor` merge keys; aliases serde_yaml_ng resolves by itself.
    if let Err(e) = value.apply_merge() {
        return Err(vec![format!("yaml: {e}")]);
    }
    let mut d = Decoder {
        terrors: Vec::new(),
    };
    let groups = d.file(&value, tree).map_err(|fatal| vec![fatal])?;
    if !d.terrors.is_empty() {
        let mut out = Vec::new();
        // Prometheus's second decoding (into its position-keeping types) fails again when the
        // document is not a mapping at all, naming its own type.
        if !matches!(value, Value::Mapping(_) | Value::Null) {
            let mut again = Decoder {
                terrors: Vec::new(),
            };
            again.type_error(&value, tree, "rulefmt.ruleGroups");
            out.push(unmarshal_errors(&mut d.terrors));
            out.push(unmarshal_errors(&mut again.terrors));
            return Err(out);
        }
        return Err(vec![unmarshal_errors(&mut d.terrors)]);
    }
    Ok(groups)
}

/// The first key that appears twice in one mapping: the key, and the lines of both.
fn duplicate_key(node: &Node) -> Option<(String, usize, usize)> {
    match node {
        Node::Map { entries, .. } => {
            for (i, e) in entries.iter().enumerate() {
                if let Some(d) = entries[..i].iter().find(|p| p.key == e.key) {
                    return Some((e.key.clone(), d.key_pos.line, e.key_pos.line));
                }
                if let Some(found) = duplicate_key(&e.value) {
                    return Some(found);
                }
            }
            None
        }
        Node::Seq { items, .. } => items.iter().find_map(duplicate_key),
        Node::Scalar { .. } => None,
    }
}

/// yaml.v3's message for collected type errors.
fn unmarshal_errors(terrors: &mut [String]) -> String {
    // yaml.v3 reports in document order; our walk visits a mapping's unknown keys before
    // its children, so restore that order by line.
    terrors.sort_by_key(|e| line_of(e));
    let mut msg = String::from("yaml: unmarshal errors:");
    for e in terrors.iter() {
        msg.push_str("\n  ");
        msg.push_str(e);
    }
    msg
}

/// The line number of a collected `line N: ...` error.
fn line_of(e: &str) -> usize {
    e.strip_prefix("line ")
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Phrases a serde_yaml_ng syntax error as yaml.v3 does: `yaml: line N: problem`, where N is
/// yaml.v3's choice of line (the 0-based line of the context mark for parser errors, one more
/// for scanner errors, falling back to the problem mark).
fn syntax_error(e: &serde_yaml_ng::Error) -> String {
    let text = e.to_string();
    let (problem_part, context_part) = match text.split_once(", while ") {
        Some((p, c)) => (p, Some(c)),
        None => (text.as_str(), None),
    };
    let (problem, problem_line) = split_mark(problem_part);
    let scanner = context_part.is_some_and(|c| c.starts_with("scanning"))
        || (context_part.is_none()
            && matches!(
                problem,
                "mapping values are not allowed in this context"
                    | "block sequence entries are not allowed in this context"
            ));
    let bump = usize::from(scanner);
    let context_line = context_part.map(|c| split_mark(c).1.or(problem_line));
    let line = match (context_line, problem_line) {
        (Some(Some(c)), _) if c > 1 => Some(c - 1 + bump),
        (_, Some(p)) if p > 1 => Some(p - 1 + bump),
        _ => None,
    };
    match line {
        Some(l) => format!("yaml: line {l}: {problem}"),
        None => format!("yaml: {problem}"),
    }
}

/// Splits `text at line L column C` into the text and L (1-based).
fn split_mark(text: &str) -> (&str, Option<usize>) {
    if let Some((head, mark)) = text.rsplit_once(" at line ") {
        let line = mark.split(' ').next().and_then(|l| l.parse().ok());
        if line.is_some() {
            return (head, line);
        }
    }
    (text, None)
}

struct Decoder {
    /// yaml.v3's collected type errors: `line N: ...`.
    terrors: Vec<String>,
}

/// A fatal decoding error (a bad duration), which ends decoding at once as in yaml.v3.
type Fatal = String;

fn pos_of(n: Option<&Node>) -> Pos {
    n.map_or(NO_POS, Node::pos)
}

/// yaml.v3's name for a node's kind in type errors.
fn tag(v: &Value) -> &'static str {
    match v {
        Value::Null => "!!null",
        Value::Bool(_) => "!!bool",
        Value::Number(n) if n.is_f64() => "!!float",
        Value::Number(_) => "!!int",
        Value::String(_) => "!!str",
        Value::Sequence(_) => "!!seq",
        Value::Mapping(_) => "!!map",
        Value::Tagged(t) => tag(&t.value),
    }
}

/// A scalar's text as a string field receives it.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some(String::new()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        Value::Tagged(t) => scalar_text(&t.value),
        Value::Sequence(_) | Value::Mapping(_) => None,
    }
}

impl Decoder {
    fn type_error(&mut self, v: &Value, at: Option<&Node>, into: &str) {
        let line = pos_of(at).line;
        let shown = match scalar_text(v) {
            Some(s) if !matches!(v, Value::Null) => {
                // yaml.v3 shortens long values.
                if s.chars().count() > 10 {
                    let short: String = s.chars().take(7).collect();
                    format!(" `{short}...`")
                } else {
                    format!(" `{s}`")
                }
            }
            _ => String::new(),
        };
        self.terrors.push(format!(
            "line {line}: cannot unmarshal {}{shown} into {into}",
            tag(v)
        ));
    }

    /// The entries of a mapping with the position of each value; unknown keys are reported
    /// against `type_name` and skipped.
    fn fields<'v, 'n>(
        &mut self,
        v: &'v Value,
        at: Option<&'n Node>,
        type_name: &str,
        known: &[&str],
    ) -> Option<Vec<(&'v str, &'v Value, Option<&'n Node>)>> {
        let map = match v {
            Value::Null => return Some(Vec::new()),
            Value::Mapping(m) => m,
            Value::Tagged(t) => return self.fields(&t.value, at, type_name, known),
            other => {
                self.type_error(other, at, type_name);
                return None;
            }
        };
        let mut out = Vec::new();
        for (k, val) in map {
            let Some(key) = k.as_str() else {
                self.type_error(k, at, "string");
                continue;
            };
            let entry = at.and_then(|n| n.entry(key));
            if !known.contains(&key) {
                let line = entry.map_or(0, |e| e.key_pos.line);
                self.terrors.push(format!(
                    "line {line}: field {key} not found in type {type_name}"
                ));
                continue;
            }
            out.push((key, val, entry.map(|e| &e.value)));
        }
        Some(out)
    }

    fn string(&mut self, v: &Value, at: Option<&Node>) -> String {
        match scalar_text(v) {
            Some(s) => s,
            None => {
                self.type_error(v, at, "string");
                String::new()
            }
        }
    }

    fn string_map(&mut self, v: &Value, at: Option<&Node>) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let map = match v {
            Value::Null => return out,
            Value::Mapping(m) => m,
            Value::Tagged(t) => return self.string_map(&t.value, at),
            other => {
                self.type_error(other, at, "map[string]string");
                return out;
            }
        };
        for (k, val) in map {
            let key = self.string(k, at);
            let vat = at.and_then(|n| n.get(&key));
            let value = self.string(val, vat);
            out.insert(key, value);
        }
        out
    }

    fn duration(&mut self, v: &Value, at: Option<&Node>) -> Result<Duration, Fatal> {
        let s = self.string(v, at);
        if s.is_empty() {
            return Ok(Duration::ZERO);
        }
        crate::config::parse_duration(&s)
    }

    fn file(&mut self, v: &Value, tree: Option<&Node>) -> Result<Vec<RawGroup>, Fatal> {
        let Some(fields) = self.fields(v, tree, "rulefmt.RuleGroups", &["groups"]) else {
            return Ok(Vec::new());
        };
        let mut groups = Vec::new();
        for (_, val, at) in fields {
            let items = match val {
                Value::Null => continue,
                Value::Sequence(s) => s,
                other => {
                    self.type_error(other, at, "[]rulefmt.RuleGroup");
                    continue;
                }
            };
            for (i, item) in items.iter().enumerate() {
                let gat = at.and_then(|n| n.item(i));
                groups.push(self.group(item, gat)?);
            }
        }
        Ok(groups)
    }

    fn group(&mut self, v: &Value, at: Option<&Node>) -> Result<RawGroup, Fatal> {
        const KNOWN: &[&str] = &[
            "name",
            "interval",
            "query_offset",
            "limit",
            "rules",
            "labels",
        ];
        let mut g = RawGroup {
            pos: pos_of(at),
            ..RawGroup::default()
        };
        let Some(fields) = self.fields(v, at, "rulefmt.RuleGroup", KNOWN) else {
            return Ok(g);
        };
        for (key, val, vat) in fields {
            match key {
                "name" => g.group.name = self.string(val, vat),
                "interval" => {
                    let d = self.duration(val, vat)?;
                    g.group.interval = (!d.is_zero()).then_some(d);
                }
                // A pointer in Prometheus: present, even as 0s, overrides the global offset.
                "query_offset" if !matches!(val, Value::Null) => {
                    g.group.query_offset = Some(self.duration(val, vat)?);
                }
                "limit" => g.group.limit = self.limit(val, vat),
                "labels" => g.group.labels = self.string_map(val, vat),
                "rules" => match val {
                    Value::Null => {}
                    Value::Sequence(items) => {
                        for (i, item) in items.iter().enumerate() {
                            let rat = vat.and_then(|n| n.item(i));
                            g.rules.push(self.rule(item, rat)?);
                        }
                    }
                    other => self.type_error(other, vat, "[]rulefmt.Rule"),
                },
                _ => {}
            }
        }
        Ok(g)
    }

    /// `limit` is an int in Prometheus; zero and negative values both mean no limit.
    fn limit(&mut self, v: &Value, at: Option<&Node>) -> u64 {
        match v {
            Value::Null => 0,
            Value::Number(n) if n.is_i64() || n.is_u64() => n.as_u64().unwrap_or(0),
            other => {
                self.type_error(other, at, "int");
                0
            }
        }
    }

    fn rule(&mut self, v: &Value, at: Option<&Node>) -> Result<RawRule, Fatal> {
        const KNOWN: &[&str] = &[
            "record",
            "alert",
            "expr",
            "for",
            "keep_firing_for",
            "labels",
            "annotations",
        ];
        let mut r = RawRule {
            pos: pos_of(at),
            ..RawRule::default()
        };
        let Some(fields) = self.fields(v, at, "rulefmt.Rule", KNOWN) else {
            return Ok(r);
        };
        for (key, val, vat) in fields {
            match key {
                "record" => {
                    r.record = self.string(val, vat);
                    r.record_pos = pos_of(vat);
                }
                "alert" => {
                    r.alert = self.string(val, vat);
                    r.alert_pos = pos_of(vat);
                }
                "expr" => {
                    r.expr = self.string(val, vat);
                    r.expr_pos = pos_of(vat);
                }
                "for" => r.for_ = self.duration(val, vat)?,
                "keep_firing_for" => r.keep_firing_for = self.duration(val, vat)?,
                "labels" => r.labels = self.string_map(val, vat),
                "annotations" => r.annotations = self.string_map(val, vat),
                _ => {}
            }
        }
        Ok(r)
    }
}
