//! The checks Prometheus 3's `rulefmt` makes on decoded rule groups, in its order and words.

use super::NameValidation;
use super::decode::{RawGroup, RawRule};
use super::positions::Pos;
use std::collections::HashSet;
use std::fmt::Write as _;

/// Every problem of the file, as messages without the file name.
pub(super) fn validate(groups: &[RawGroup], names: NameValidation) -> Vec<String> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for g in groups {
        let name = &g.group.name;
        let at = g.pos;
        if name.is_empty() {
            out.push(format!(
                "{}:{}: Groupname must not be empty",
                at.line, at.col
            ));
        }
        if !seen.insert(name.as_str()) {
            out.push(format!(
                "{}:{}: groupname: \"{name}\" is repeated in the same file",
                at.line, at.col
            ));
        }
        for k in g.group.labels.keys() {
            if !names.label_name_ok(k) || k == "__name__" {
                out.push(format!("invalid label name: {k}"));
            }
            // Prometheus also checks that label values are valid UTF-8, which a Rust string
            // always is.
        }
        for (i, r) in g.rules.iter().enumerate() {
            let rule_name = if r.alert.is_empty() {
                &r.record
            } else {
                &r.alert
            };
            let prefix = format!(
                "group {}, rule {}, {}: ",
                go_quote(name),
                i + 1,
                go_quote(rule_name)
            );
            for p in validate_rule(r, names) {
                let mut line = String::new();
                for pos in &p.at {
                    let _ = write!(line, "{}:{}: ", pos.line, pos.col);
                }
                line.push_str(&prefix);
                line.push_str(&p.msg);
                out.push(line);
            }
        }
    }
    out
}

/// One problem with a rule and the nodes it points at (none, one, or record and alert).
struct Problem {
    at: Vec<Pos>,
    msg: String,
}

fn problem(at: &[Pos], msg: impl Into<String>) -> Problem {
    Problem {
        at: at.to_vec(),
        msg: msg.into(),
    }
}

fn validate_rule(r: &RawRule, names: NameValidation) -> Vec<Problem> {
    let mut out = Vec::new();
    let both = [r.record_pos, r.alert_pos];
    if !r.record.is_empty() && !r.alert.is_empty() {
        out.push(problem(
            &both,
            "only one of 'record' and 'alert' must be set",
        ));
    }
    if r.record.is_empty() && r.alert.is_empty() {
        out.push(problem(&both, "one of 'record' or 'alert' must be set"));
    }
    if r.expr.is_empty() {
        out.push(problem(&[r.expr_pos], "field 'expr' must be set in rule"));
    } else if let Err(e) = check_expr(&r.expr) {
        out.push(problem(
            &[r.expr_pos],
            format!("could not parse expression: {e}"),
        ));
    }
    if !r.record.is_empty() {
        let at = [r.record_pos];
        if !r.annotations.is_empty() {
            out.push(problem(
                &at,
                "invalid field 'annotations' in recording rule",
            ));
        }
        if !r.for_.is_zero() {
            out.push(problem(&at, "invalid field 'for' in recording rule"));
        }
        if !r.keep_firing_for.is_zero() {
            out.push(problem(
                &at,
                "invalid field 'keep_firing_for' in recording rule",
            ));
        }
        if !names.metric_name_ok(&r.record) {
            out.push(problem(
                &at,
                format!("invalid recording rule name: {}", r.record),
            ));
        }
        // A valid UTF-8 name, but most likely a PromQL selector pasted into `record`.
        if r.record.contains(['{', '}']) {
            out.push(problem(
                &at,
                format!(
                    "braces present in the recording rule name; should it be in expr?: {}",
                    r.record
                ),
            ));
        }
    }
    for k in r.labels.keys() {
        if !names.label_name_ok(k) || k == "__name__" {
            out.push(problem(&[], format!("invalid label name: {k}")));
        }
    }
    for k in r.annotations.keys() {
        if !names.label_name_ok(k) {
            out.push(problem(&[], format!("invalid annotation name: {k}")));
        }
    }
    if !r.alert.is_empty() {
        for (k, v) in &r.labels {
            if let Err(e) = check_template(&r.alert, v) {
                out.push(problem(&[], format!("label {}: {e}", go_quote(k))));
            }
        }
        for (k, v) in &r.annotations {
            if let Err(e) = check_template(&r.alert, v) {
                out.push(problem(&[], format!("annotation {}: {e}", go_quote(k))));
            }
        }
    }
    out
}

/// Parses and type-checks PromQL as Prometheus's parser does, experimental functions off.
fn check_expr(expr: &str) -> Result<(), String> {
    let ast = promql::engine::parse(expr).map_err(|e| e.to_string())?;
    let opts = promql::plan::PlanOptions {
        start: 0,
        end: 0,
        experimental_functions: false,
    };
    promql::plan::build(&ast, &opts).map_err(|e| e.to_string())?;
    Ok(())
}

/// Whether an alerting rule's label or annotation value parses as a template, the way
/// Prometheus tries it: named `__alert_<alert>`, after the definitions of `$labels`,
/// `$externalLabels`, `$externalURL` and `$value` (so they are declared, and on line 1).
fn check_template(alert: &str, text: &str) -> Result<(), String> {
    use crate::rules::template;
    let src = format!("{}{text}", template::ALERT_HEADER);
    template::parse(&format!("__alert_{alert}"), &src)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Go's `%q` for the names in messages: double-quoted with Go's escapes.
pub(super) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
