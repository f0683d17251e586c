//! Values a template computes with: the Go types Prometheus's template data and functions use.

use std::collections::BTreeMap;

use super::gofmt;

/// One Go value. The variants stand for the Go types Prometheus hands to templates, and
/// `type_name` gives the Go spelling used in error messages.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// A nil interface (`<no value>` when printed by the template, `<nil>` by fmt).
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// `map[string]string`, as labels are: a missing key reads as "".
    StrMap(BTreeMap<String, String>),
    /// `map[string]interface{}`, as `args` returns: a missing key reads as nil.
    Map(BTreeMap<String, Value>),
    /// `queryResult`, the `[]*sample` the `query` function returns.
    Vector(Vec<Sample>),
    /// `*sample`.
    Sample(Box<Sample>),
    /// `*time.Time` (from `toTime`), in Unix nanoseconds, UTC.
    Time(i64),
    /// The alert's template data, a Go struct.
    Data(Box<DataStruct>),
}

/// A query result row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sample {
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// The struct Prometheus's AlertTemplateData builds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DataStruct {
    pub labels: BTreeMap<String, String>,
    pub external_labels: BTreeMap<String, String>,
    pub external_url: String,
    pub value: f64,
}

impl Value {
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::StrMap(_) => "map[string]string",
            Value::Map(_) => "map[string]interface {}",
            Value::Vector(_) => "template.queryResult",
            Value::Sample(_) => "*template.sample",
            Value::Time(_) => "*time.Time",
            Value::Data(_) => {
                "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value float64 }"
            }
        }
    }

    pub(crate) fn is_string(&self) -> bool {
        matches!(self, Value::Str(_))
    }

    /// Go's template truth: false, 0, nil and empty strings, maps and slices are false.
    pub(crate) fn truth(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::StrMap(m) => !m.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Vector(v) => !v.is_empty(),
            Value::Sample(_) | Value::Time(_) | Value::Data(_) => true,
        }
    }

    /// fmt's `%v` text. `top` is true for an operand printed directly (pointers print as
    /// `&{…}` there), false for nested values and for template output of a dereferenced pointer.
    pub(crate) fn go_string(&self, top: bool) -> String {
        match self {
            Value::Nil => "<nil>".to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => gofmt::float_v(*f),
            Value::Str(s) => s.clone(),
            Value::StrMap(m) => {
                let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}:{v}")).collect();
                format!("map[{}]", parts.join(" "))
            }
            Value::Map(m) => {
                let parts: Vec<String> = m
                    .iter()
                    .map(|(k, v)| format!("{k}:{}", v.go_string(false)))
                    .collect();
                format!("map[{}]", parts.join(" "))
            }
            Value::Vector(v) => {
                // Go prints the pointers' addresses here; we print the samples instead.
                let parts: Vec<String> = v.iter().map(|s| sample_string(s, true)).collect();
                format!("[{}]", parts.join(" "))
            }
            Value::Sample(s) => sample_string(s, top),
            Value::Time(ns) => time_string(*ns),
            Value::Data(d) => format!(
                "{{{} {} {} {}}}",
                Value::StrMap(d.labels.clone()).go_string(false),
                Value::StrMap(d.external_labels.clone()).go_string(false),
                d.external_url,
                gofmt::float_v(d.value)
            ),
        }
    }

    /// How `{{ pipeline }}` prints a value.
    pub(crate) fn template_string(&self) -> String {
        match self {
            Value::Nil => "<no value>".to_string(),
            v => v.go_string(false),
        }
    }
}

fn sample_string(s: &Sample, pointer: bool) -> String {
    let body = format!(
        "{{{} {}}}",
        Value::StrMap(s.labels.clone()).go_string(false),
        gofmt::float_v(s.value)
    );
    if pointer { format!("&{body}") } else { body }
}

pub(crate) use super::gotime::time_string;
