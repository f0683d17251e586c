//! Which evals the runner skips, decided from the test text alone, never from how the engine
//! does on them. An eval is skipped when it needs a feature the engine does not claim:
//!
//! - native histograms: the eval expects a histogram (`{{...}}`), or one of its selectors matches
//!   a series loaded (since the last `clear`) with histogram samples or made by `load_with_nhcb`;
//! - [`NATIVE_HISTOGRAM_FUNCTIONS`], whose results exist only for native histogram samples;
//! - type-and-unit labels (`__type__`, `__unit__`) in the loaded data or the query, which change
//!   results only under Prometheus's `type-and-unit-labels` feature;
//! - duration expressions (`[5m+1m]`, `offset (2*1m)`), an experimental syntax.

use super::parse::{Eval, Expected, Load};
use super::series_notation::SeqValue;
use promql::{Labels, MatchOp, Matcher};
use promql_parser::label::{MatchOp as PMatchOp, Matcher as PMatcher};
use promql_parser::parser::{Expr, VectorSelector};

/// Functions that only ever return something for native histogram samples.
pub const NATIVE_HISTOGRAM_FUNCTIONS: &[&str] = &[
    "histogram_count",
    "histogram_sum",
    "histogram_avg",
    "histogram_stddev",
    "histogram_stdvar",
];

/// Whether the query has a `\xNN` escape for a byte that is not ASCII: Go keeps such bytes
/// raw (an invalid UTF-8 label name), Rust strings cannot hold them.
fn has_non_utf8_escape(q: &str) -> bool {
    q.match_indices("\\x").any(|(i, _)| {
        q.get(i + 2..i + 4)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .is_some_and(|b| b >= 0x80)
    })
}

/// What the data loaded since the last `clear` holds that the engine cannot serve.
#[derive(Debug, Clone, Default)]
pub struct DataFeatures {
    /// Series with native histogram samples, including those `load_with_nhcb` derives.
    histogram_series: Vec<Labels>,
    type_and_unit: bool,
}

impl DataFeatures {
    pub fn clear(&mut self) {
        *self = DataFeatures::default();
    }

    pub fn note_load(&mut self, load: &Load) {
        for s in &load.series {
            if s.has_histogram() {
                self.histogram_series.push(s.labels.clone());
            }
            if s.labels.get("__type__").is_some() || s.labels.get("__unit__").is_some() {
                self.type_and_unit = true;
            }
            if load.with_nhcb {
                self.histogram_series.extend(nhcb_series(&s.labels));
            }
        }
    }
}

/// The native histogram series `load_with_nhcb` makes from a classic histogram series: the
/// name without `_bucket`/`_count`/`_sum`, and without `le`.
fn nhcb_series(l: &Labels) -> Option<Labels> {
    let name = l.metric_name()?;
    let base = ["_bucket", "_count", "_sum"]
        .iter()
        .find_map(|suf| name.strip_suffix(suf))?;
    Some(Labels::from_pairs(l.iter().filter(|x| x.name != "le").map(
        |x| {
            let v = if x.name == promql::METRIC_NAME {
                base
            } else {
                x.value.as_str()
            };
            (x.name.clone(), v.to_string())
        },
    )))
}

/// Why `ev` is skipped, or `None` when it runs.
pub fn skip_reason(ev: &Eval, data: &DataFeatures) -> Option<String> {
    let expects_histogram = match &ev.expected {
        Expected::Series(s) => s
            .iter()
            .flat_map(|e| &e.values)
            .any(|v| matches!(v, SeqValue::Histogram)),
        _ => false,
    };
    if expects_histogram {
        return Some("native histograms: histogram in the expected result".into());
    }
    if uses_duration_expression(&ev.query) {
        return Some("duration expressions (experimental syntax, not claimed)".into());
    }
    if has_non_utf8_escape(&ev.query) {
        return Some(
            "a Go string with a raw non-UTF-8 byte (\\xNN >= 0x80) has no Rust string equivalent"
                .into(),
        );
    }
    if data.type_and_unit || ev.query.contains("__type__") || ev.query.contains("__unit__") {
        return Some("type-and-unit labels (__type__/__unit__ feature, not claimed)".into());
    }
    let parsed = promql_parser::parser::parse(&ev.query).ok();
    if let Some(expr) = &parsed {
        let mut calls = Vec::new();
        let mut selectors = Vec::new();
        walk(expr, &mut calls, &mut selectors);
        if let Some(f) = calls
            .iter()
            .find(|c| NATIVE_HISTOGRAM_FUNCTIONS.contains(c))
        {
            return Some(format!(
                "native histograms: {f}() works on histogram samples only"
            ));
        }
        if let Some(h) = data
            .histogram_series
            .iter()
            .find(|h| selectors.iter().any(|s| selector_matches(s, h)))
        {
            return Some(format!(
                "native histograms: query selects histogram series {h}"
            ));
        }
    } else if let Some(h) = data.histogram_series.iter().find(|h| {
        h.metric_name()
            .is_some_and(|n| !n.is_empty() && ev.query.contains(n))
    }) {
        return Some(format!(
            "native histograms: query names histogram series {h}"
        ));
    }
    None
}

fn walk<'a>(e: &'a Expr, calls: &mut Vec<&'static str>, sels: &mut Vec<&'a VectorSelector>) {
    match e {
        Expr::VectorSelector(vs) => sels.push(vs),
        Expr::MatrixSelector(ms) => sels.push(&ms.vs),
        Expr::Subquery(sq) => walk(&sq.expr, calls, sels),
        Expr::Call(c) => {
            calls.push(c.func.name);
            for a in &c.args.args {
                walk(a, calls, sels);
            }
        }
        Expr::Aggregate(a) => {
            walk(&a.expr, calls, sels);
            if let Some(p) = &a.param {
                walk(p, calls, sels);
            }
        }
        Expr::Binary(b) => {
            walk(&b.lhs, calls, sels);
            walk(&b.rhs, calls, sels);
        }
        Expr::Unary(u) => walk(&u.expr, calls, sels),
        Expr::Paren(p) => walk(&p.expr, calls, sels),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

fn convert(m: &PMatcher) -> Option<Matcher> {
    let op = match m.op {
        PMatchOp::Equal => MatchOp::Equal,
        PMatchOp::NotEqual => MatchOp::NotEqual,
        PMatchOp::Re(_) => MatchOp::Regex,
        PMatchOp::NotRe(_) => MatchOp::NotRegex,
    };
    Matcher::new(op, m.name.clone(), m.value.clone()).ok()
}

fn all_match(ms: &[PMatcher], l: &Labels) -> bool {
    ms.iter().all(|m| {
        // A matcher we cannot build is treated as matching: skipping is the safe side.
        convert(m).is_none_or(|m| m.matches(l.get(&m.name).unwrap_or("")))
    })
}

fn selector_matches(vs: &VectorSelector, l: &Labels) -> bool {
    if vs
        .name
        .as_deref()
        .is_some_and(|n| l.metric_name() != Some(n))
    {
        return false;
    }
    if vs.matchers.or_matchers.is_empty() {
        all_match(&vs.matchers.matchers, l)
    } else {
        vs.matchers.or_matchers.iter().any(|alt| all_match(alt, l))
    }
}

/// Whether the query uses the experimental duration-expression syntax: arithmetic inside a
/// range or subquery bracket, or a parenthesised offset.
pub fn uses_duration_expression(q: &str) -> bool {
    let b = q.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            q @ (b'"' | b'\'' | b'`') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    if b[i] == b'\\' && q != b'`' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'[' => {
                let end = b[i..]
                    .iter()
                    .position(|&c| c == b']')
                    .map_or(b.len(), |p| i + p);
                if b[i + 1..end].iter().any(|c| b"+-*/%^()".contains(c)) {
                    return true;
                }
                i = end;
            }
            b'o' if q[i..].starts_with("offset")
                && (i == 0 || !is_ident(b[i - 1]))
                && !b.get(i + 6).copied().is_some_and(is_ident) =>
            {
                let rest = q[i + 6..].trim_start();
                let rest = rest.strip_prefix('-').unwrap_or(rest).trim_start();
                if rest.starts_with('(') {
                    return true;
                }
                i += 6;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    false
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b':'
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promqltest::parse::{Command, parse};

    fn file_skips(text: &str) -> Vec<Option<String>> {
        let f = parse(text).unwrap();
        let mut data = DataFeatures::default();
        let mut out = Vec::new();
        for c in &f.commands {
            match c {
                Command::Load(l) => data.note_load(l),
                Command::Clear { .. } => data.clear(),
                Command::Eval(e) => out.push(skip_reason(e, &data)),
            }
        }
        out
    }

    #[test]
    fn duration_expressions() {
        assert!(uses_duration_expression("rate(x[5m+1m])"));
        assert!(uses_duration_expression("x[29s+1s:20*500ms]"));
        assert!(uses_duration_expression("x offset (1m)"));
        assert!(uses_duration_expression("x offset -(2*3)"));
        assert!(!uses_duration_expression("rate(x[5m]) offset -1m"));
        assert!(!uses_duration_expression("x[5m:1m] offset 1m + (y)"));
        assert!(!uses_duration_expression(r#"x{a=~"[a-z]+(b)"}"#));
        assert!(!uses_duration_expression("my_offset_metric - (y)"));
    }

    #[test]
    fn histogram_data_skips_only_selecting_evals() {
        let s = file_skips(concat!(
            "load 5m\n  h {{count:1}}\n  f 1\n\n",
            "eval instant at 0 f\n  f 1\n\n",
            "eval instant at 0 h\n\n",
            "eval instant at 0 {__name__=~\"h|g\"}\n\n",
            "clear\n",
            "eval instant at 0 h\n\n",
        ));
        assert_eq!(s[0], None);
        assert!(s[1].as_deref().unwrap().contains("histogram series"));
        assert!(s[2].is_some());
        assert_eq!(s[3], None, "clear forgets the histogram series");
    }

    #[test]
    fn nhcb_makes_base_series_histograms() {
        let s = file_skips(concat!(
            "load_with_nhcb 5m\n  x_bucket{le=\"1\", j=\"a\"} 1\n  x_count{j=\"a\"} 1\n\n",
            "eval instant at 0 histogram_quantile(0.5, x_bucket)\n\n",
            "eval instant at 0 histogram_quantile(0.5, x)\n\n",
            "eval instant at 0 x_count\n\n",
        ));
        assert_eq!(s[0], None);
        assert!(s[1].is_some());
        assert_eq!(s[2], None);
    }

    #[test]
    fn functions_types_and_expected_histograms() {
        let s = file_skips(concat!(
            "load 5m\n  f 1\n\n",
            "eval instant at 0 histogram_count(f)\n\n",
            "eval instant at 0 f\n  f {{count:1}}\n\n",
            "eval instant at 0 f{__type__=\"counter\"}\n\n",
            "eval instant at 0 histogram_quantile(0.5, f)\n\n",
            "load 5m\n  g{__unit__=\"s\"} 1\n\n",
            "eval instant at 0 f\n\n",
        ));
        assert!(s[0].as_deref().unwrap().contains("histogram_count"));
        assert!(s[1].is_some());
        assert!(s[2].as_deref().unwrap().contains("type-and-unit"));
        assert_eq!(s[3], None);
        assert!(s[4].is_some());
    }
}
