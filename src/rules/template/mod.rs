//! Go text/template as Prometheus uses it in alert labels and annotations.
//!
//! Prometheus expands each label and annotation of a firing alert with Go's `text/template`,
//! `missingkey=zero`, and the functions of its `template` package. This module is a
//! self-contained engine for that language: `parse` checks syntax (as `promtool check rules`
//! does), `Template::execute` runs a template against an alert's data, and `expand` does what
//! Prometheus's alerting rule does for each label and annotation (prepend the `$labels`,
//! `$externalLabels`, `$externalURL` and `$value` definitions, parse, execute).
//!
//! Work is bounded, since templates are user input: nesting depth, `{{template}}` recursion,
//! output size and executed steps are limited, and every failure is an error, never a panic.
//! See docs/templates.md for the supported language and the differences from Go.

use std::collections::BTreeMap;

mod ast;
mod exec;
mod funcs;
mod gofmt;
mod goregex;
mod gostr;
mod gotime;
mod lexer;
mod parse;
mod printf;
mod prom;
mod value;

#[cfg(test)]
mod tests;

pub use exec::{MAX_OUTPUT_BYTES, MAX_STEPS, MAX_TEMPLATE_DEPTH};

/// The definitions Prometheus puts in front of every alert label and annotation template.
pub const ALERT_HEADER: &str = "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}";

/// A parsed template, ready to execute any number of times.
#[derive(Debug, Clone)]
pub struct Template {
    name: String,
    src: String,
    tree: parse::Tree,
}

/// The data an alert template sees as `.` (Prometheus's AlertTemplateData).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Data {
    /// `.Labels` / `$labels`: the alert's labels.
    pub labels: BTreeMap<String, String>,
    /// `.ExternalLabels` / `$externalLabels`.
    pub external_labels: BTreeMap<String, String>,
    /// `.ExternalURL` / `$externalURL`, also what `externalURL` and `pathPrefix` return.
    pub external_url: String,
    /// `.Value` / `$value`: the alert's sample value.
    pub value: f64,
}

/// Runs PromQL for the `query` template function.
pub trait Querier {
    /// Evaluates instant query `q` at `ts_ms` (milliseconds); an error message on failure.
    /// Only instant vectors are meaningful to templates; others should be reported as errors.
    fn query(&self, q: &str, ts_ms: i64) -> Result<Vec<QuerySample>, String>;
}

/// One element of a `query` result.
#[derive(Debug, Clone, PartialEq)]
pub struct QuerySample {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// What a template's functions may use besides the data.
#[derive(Clone, Copy, Default)]
pub struct Env<'a> {
    /// For the `query` function; without one, `query` fails with an error.
    pub querier: Option<&'a dyn Querier>,
    /// The evaluation time the `query` function runs its queries at, in milliseconds.
    pub ts_ms: i64,
}

impl std::fmt::Debug for Env<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("querier", &self.querier.is_some())
            .field("ts_ms", &self.ts_ms)
            .finish()
    }
}

/// Where and why a template failed, worded as Go's text/template and Prometheus word it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TemplateError {
    /// A syntax error, as `parse` (and Prometheus's ParseTest) reports it:
    /// `template: NAME:LINE: MSG`.
    #[error("template: {name}:{line}: {msg}")]
    Parse {
        name: String,
        line: usize,
        msg: String,
    },
    /// A syntax error met by `expand`, wrapped as Prometheus's Expand wraps it.
    #[error("error parsing template {name}: template: {name}:{line}: {msg}")]
    ExpandParse {
        name: String,
        line: usize,
        msg: String,
    },
    /// A failure while executing:
    /// `error executing template NAME: template: NAME:LINE:COL: executing "T" at <CTX>: MSG`.
    #[error(
        "error executing template {name}: template: {name}:{line}:{col}: executing {template:?} at <{context}>: {msg}"
    )]
    Exec {
        name: String,
        line: usize,
        col: usize,
        template: String,
        context: String,
        msg: String,
    },
}

/// Line (1-based) and byte column (0-based) of `pos` in `src`, as Go's ErrorContext counts.
fn location(src: &str, pos: usize) -> (usize, usize) {
    let pos = pos.min(src.len());
    let before = &src.as_bytes()[..pos];
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let col = match before.iter().rposition(|&b| b == b'\n') {
        Some(nl) => pos - nl - 1,
        None => pos,
    };
    (line, col)
}

/// Parses `text` as template `name` (syntax, defined functions, declared variables).
pub fn parse(name: &str, text: &str) -> Result<Template, TemplateError> {
    match parse::parse(text) {
        Ok(tree) => Ok(Template {
            name: name.to_string(),
            src: text.to_string(),
            tree,
        }),
        Err(e) => {
            let (line, _) = location(text, e.pos);
            Err(TemplateError::Parse {
                name: name.to_string(),
                line,
                msg: e.msg,
            })
        }
    }
}

impl Template {
    /// The name given to `parse`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Executes the template with `data` as dot.
    pub fn execute(&self, data: &Data, env: &Env<'_>) -> Result<String, TemplateError> {
        let mut ex = exec::Exec::new(&self.tree, env, &self.name, &data.external_url);
        let dot = value::Value::Data(Box::new(value::DataStruct {
            labels: data.labels.clone(),
            external_labels: data.external_labels.clone(),
            external_url: data.external_url.clone(),
            value: data.value,
        }));
        match ex.run(&dot) {
            Ok(()) => Ok(ex.out),
            Err(e) => {
                let (line, col) = location(&self.src, e.pos);
                let context = e.context;
                Err(TemplateError::Exec {
                    name: self.name.clone(),
                    line,
                    col,
                    template: e.template,
                    context,
                    msg: e.msg,
                })
            }
        }
    }
}

/// Expands an alert label or annotation template as Prometheus does: the header defining
/// `$labels`, `$externalLabels`, `$externalURL` and `$value` is put in front of `text`, then the
/// result is parsed as template `name` (Prometheus uses `__alert_<alertname>`) and executed.
pub fn expand(name: &str, text: &str, data: &Data, env: &Env<'_>) -> Result<String, TemplateError> {
    let full = format!("{ALERT_HEADER}{text}");
    let t = parse(name, &full).map_err(|e| match e {
        TemplateError::Parse { name, line, msg } => TemplateError::ExpandParse { name, line, msg },
        other => other,
    })?;
    t.execute(data, env)
}
