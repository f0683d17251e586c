//! The official compliance query list (`promql-test-queries.yml` of prometheus/compliance): a
//! reader for the small YAML subset it is written in, and the expansion of its `variant_args`
//! templates into concrete queries, in the same order as the official tester.
//!
//! The subset: a top-level `test_cases:` list whose items are maps with `query` (single-quoted,
//! double-quoted or plain scalar), optional `variant_args` (a flow sequence) and optional
//! `should_fail` / `skip_comparison` booleans; `#` comments. A comment line that follows a blank
//! line at item level starts a section ("Scalar literals.", "Functions.", ...), which the report
//! uses as the query class.

use std::path::PathBuf;

use crate::{Result, env, fail};

/// Values of each template argument, as the official tester defines them (`testcases/expand.go`).
const VARIANT_ARGS: &[(&str, &[&str])] = &[
    ("range", &["1s", "15s", "1m", "5m", "15m", "1h"]),
    ("offset", &["1m", "5m", "10m"]),
    (
        "simpleAggrOp",
        &["sum", "avg", "max", "min", "count", "stddev", "stdvar"],
    ),
    (
        "simpleTimeAggrOp",
        &[
            "sum", "avg", "max", "min", "count", "stddev", "stdvar", "absent", "last",
        ],
    ),
    ("topBottomOp", &["topk", "bottomk"]),
    (
        "quantile",
        &[
            "-0.5", "0.1", "0.5", "0.75", "0.95", "0.90", "0.99", "1", "1.5",
        ],
    ),
    ("arithBinOp", &["+", "-", "*", "/", "%", "^"]),
    ("compBinOp", &["==", "!=", "<", ">", "<=", ">="]),
    (
        "binOp",
        &[
            "+", "-", "*", "/", "%", "^", "==", "!=", "<", ">", "<=", ">=",
        ],
    ),
    (
        "simpleMathFunc",
        &[
            "abs", "ceil", "floor", "exp", "sqrt", "ln", "log2", "log10", "round",
        ],
    ),
    ("extrapolatedRateFunc", &["delta", "rate", "increase"]),
    ("clampFunc", &["clamp_min", "clamp_max"]),
    ("instantRateFunc", &["idelta", "irate"]),
    (
        "dateFunc",
        &[
            "day_of_month",
            "day_of_week",
            "days_in_month",
            "hour",
            "minute",
            "month",
            "year",
        ],
    ),
    ("smoothingFactor", &["0.1", "0.5", "0.8"]),
    ("trendFactor", &["0.1", "0.5", "0.8"]),
];

/// The values of one template argument, if the tester knows it.
pub fn variant_values(arg: &str) -> Option<&'static [&'static str]> {
    VARIANT_ARGS
        .iter()
        .find(|(name, _)| *name == arg)
        .map(|(_, v)| *v)
}

/// One item of the query list, before expansion.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TestCase {
    /// The query template (`{{.name}}` placeholders).
    pub query: String,
    /// Names of the template arguments to vary.
    pub variant_args: Vec<String>,
    /// Whether the query must fail on both servers.
    pub should_fail: bool,
    /// Whether only the status is compared.
    pub skip_comparison: bool,
    /// The section the item is listed under (the query class in reports).
    pub section: String,
}

/// One concrete query to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The PromQL text.
    pub text: String,
    /// The template it was expanded from.
    pub template: String,
    /// Whether it must fail on both servers.
    pub should_fail: bool,
    /// Whether only the status is compared.
    pub skip_comparison: bool,
    /// Its section (query class).
    pub section: String,
}

/// Path of the query list: `COMPLIANCE_QUERIES`, else `shared/testsuites/promql-compliance/`
/// beside the workspace, else under `/work/shared`.
pub fn queries_path() -> Result<PathBuf> {
    if let Ok(p) = std::env::var("COMPLIANCE_QUERIES") {
        if !p.is_empty() {
            return Ok(PathBuf::from(p));
        }
    }
    let rel = "testsuites/promql-compliance/promql-test-queries.yml";
    let root = env::workspace_root();
    let candidates = [
        root.join("../shared").join(rel),
        root.join("shared").join(rel),
        PathBuf::from("/work/shared").join(rel),
    ];
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| fail!("query list not found (tried {candidates:?}); set COMPLIANCE_QUERIES"))
}

/// Reads and expands the query list at `path`.
pub fn load(path: &std::path::Path) -> Result<Vec<Query>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| crate::Error::io(format!("reading {}", path.display()), e))?;
    expand(&parse_test_cases(&text)?)
}

/// Parses the `test_cases` list.
pub fn parse_test_cases(yaml: &str) -> Result<Vec<TestCase>> {
    let mut cases: Vec<TestCase> = Vec::new();
    let mut in_list = false;
    let mut item_indent: Option<usize> = None;
    let mut after_blank = true;
    let mut section = String::new();
    for (n, raw) in yaml.lines().enumerate() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let lineno = n + 1;
        if trimmed.is_empty() {
            after_blank = true;
            continue;
        }
        let was_after_blank = std::mem::replace(&mut after_blank, false);
        if let Some(comment) = trimmed.strip_prefix('#') {
            if in_list && was_after_blank && item_indent.is_none_or(|i| indent <= i) {
                section = comment.trim().trim_end_matches('.').to_string();
            }
            continue;
        }
        if indent == 0 {
            in_list = trimmed == "test_cases:";
            if !in_list {
                return Err(fail!("line {lineno}: unexpected top-level key {trimmed:?}"));
            }
            // A section comment may open the list right away.
            after_blank = true;
            continue;
        }
        if !in_list {
            return Err(fail!("line {lineno}: content outside test_cases"));
        }
        let rest = if let Some(rest) = trimmed.strip_prefix('-') {
            if !(rest.is_empty() || rest.starts_with(' ')) {
                return Err(fail!("line {lineno}: expected \"- \" at {trimmed:?}"));
            }
            match item_indent {
                None => item_indent = Some(indent),
                Some(i) if i != indent => {
                    return Err(fail!(
                        "line {lineno}: list item at indent {indent}, not {i}"
                    ));
                }
                Some(_) => {}
            }
            cases.push(TestCase {
                section: section.clone(),
                ..TestCase::default()
            });
            rest.trim_start()
        } else {
            if item_indent.is_none_or(|i| indent <= i) {
                return Err(fail!("line {lineno}: key outside a list item"));
            }
            trimmed
        };
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        let case = cases
            .last_mut()
            .ok_or_else(|| fail!("line {lineno}: key before the first list item"))?;
        set_key(case, rest).map_err(|e| fail!("line {lineno}: {e}"))?;
    }
    for (i, c) in cases.iter().enumerate() {
        if c.query.is_empty() {
            return Err(fail!("test case {} has no query", i + 1));
        }
    }
    Ok(cases)
}

fn set_key(case: &mut TestCase, kv: &str) -> Result<()> {
    let (key, value) = kv
        .split_once(':')
        .ok_or_else(|| fail!("expected key: value in {kv:?}"))?;
    let value = value.trim();
    match key.trim() {
        "query" => case.query = scalar(value)?,
        "variant_args" => case.variant_args = flow_sequence(value)?,
        "should_fail" => case.should_fail = boolean(value)?,
        "skip_comparison" => case.skip_comparison = boolean(value)?,
        other => return Err(fail!("unknown key {other:?}")),
    }
    Ok(())
}

/// A scalar: `'single'` (with `''` for a quote), `"double"` (with backslash escapes) or plain
/// (up to a ` #` comment). Returns the scalar and what follows it.
fn scalar_prefix(s: &str) -> Result<(String, &str)> {
    if let Some(body) = s.strip_prefix('\'') {
        let mut out = String::new();
        let mut chars = body.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if let Some((_, '\'')) = chars.peek() {
                    chars.next();
                    out.push('\'');
                } else {
                    return Ok((out, &body[i + 1..]));
                }
            } else {
                out.push(c);
            }
        }
        Err(fail!("unterminated single-quoted string {s:?}"))
    } else if let Some(body) = s.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return Ok((out, &body[i + 1..])),
                '\\' => {
                    let (_, e) = chars
                        .next()
                        .ok_or_else(|| fail!("dangling escape in {s:?}"))?;
                    out.push(match e {
                        'n' => '\n',
                        't' => '\t',
                        '\\' => '\\',
                        '"' => '"',
                        '/' => '/',
                        other => return Err(fail!("unsupported escape \\{other} in {s:?}")),
                    });
                }
                c => out.push(c),
            }
        }
        Err(fail!("unterminated double-quoted string {s:?}"))
    } else {
        let end = s.find(" #").unwrap_or(s.len());
        Ok((s[..end].trim().to_string(), ""))
    }
}

fn scalar(s: &str) -> Result<String> {
    let (v, rest) = scalar_prefix(s)?;
    let rest = rest.trim();
    if !(rest.is_empty() || rest.starts_with('#')) {
        return Err(fail!("unexpected {rest:?} after scalar"));
    }
    Ok(v)
}

fn flow_sequence(s: &str) -> Result<Vec<String>> {
    let inner = s
        .trim()
        .strip_prefix('[')
        .ok_or_else(|| fail!("expected [ in {s:?}"))?;
    let mut out = Vec::new();
    let mut rest = inner.trim_start();
    loop {
        if let Some(after) = rest.strip_prefix(']') {
            let after = after.trim();
            if !(after.is_empty() || after.starts_with('#')) {
                return Err(fail!("unexpected {after:?} after ]"));
            }
            return Ok(out);
        }
        let (item, after) = if rest.starts_with('\'') || rest.starts_with('"') {
            scalar_prefix(rest)?
        } else {
            let end = rest
                .find([',', ']'])
                .ok_or_else(|| fail!("unterminated sequence {s:?}"))?;
            (rest[..end].trim().to_string(), &rest[end..])
        };
        out.push(item);
        rest = after.trim_start();
        if let Some(r) = rest.strip_prefix(',') {
            rest = r.trim_start();
        } else if !rest.starts_with(']') {
            return Err(fail!("expected , or ] in {s:?}"));
        }
    }
}

fn boolean(s: &str) -> Result<bool> {
    match scalar(s)?.as_str() {
        "true" | "True" | "yes" => Ok(true),
        "false" | "False" | "no" => Ok(false),
        other => Err(fail!("expected a boolean, got {other:?}")),
    }
}

/// Expands every item into its variants: every combination of its arguments' values, the first
/// argument varying slowest, as the official tester does.
pub fn expand(cases: &[TestCase]) -> Result<Vec<Query>> {
    let mut out = Vec::new();
    for c in cases {
        let mut texts = Vec::new();
        variants(&c.query, &c.variant_args, &mut Vec::new(), &mut texts)?;
        for text in texts {
            out.push(Query {
                text,
                template: c.query.clone(),
                should_fail: c.should_fail,
                skip_comparison: c.skip_comparison,
                section: c.section.clone(),
            });
        }
    }
    Ok(out)
}

fn variants(
    template: &str,
    remaining: &[String],
    bound: &mut Vec<(String, String)>,
    out: &mut Vec<String>,
) -> Result<()> {
    let Some(arg) = remaining.first() else {
        out.push(fill(template, bound)?);
        return Ok(());
    };
    let values = variant_values(arg).ok_or_else(|| fail!("unknown variant arg {arg:?}"))?;
    let rest: Vec<String> = remaining.iter().filter(|a| *a != arg).cloned().collect();
    for v in values {
        bound.push((arg.clone(), (*v).to_string()));
        variants(template, &rest, bound, out)?;
        bound.pop();
    }
    Ok(())
}

/// Replaces each `{{.name}}` with its bound value.
fn fill(template: &str, bound: &[(String, String)]) -> Result<String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| fail!("unterminated {{{{ in {template:?}"))?;
        let name = after[..end]
            .trim()
            .strip_prefix('.')
            .ok_or_else(|| fail!("unsupported template action {:?}", &after[..end]))?;
        let value = bound
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
            .ok_or_else(|| fail!("{template:?} uses {name:?} but does not vary it"))?;
        out.push_str(value);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"# header comment
test_cases:
  # Scalars.
  - query: '42'
  - query: "a\"b"
  # not a section: no blank line before
  - query: 'it''s {{.offset}}'
    variant_args: ['offset']

  # Second section.
  - query: x_total
    should_fail: true
  - # comment on the dash line
    query: '{{.topBottomOp}} by(i) ({{.range}})'
    variant_args: [topBottomOp, "range"]
"#;

    #[test]
    fn parses_the_subset() {
        let c = parse_test_cases(SAMPLE).unwrap();
        assert_eq!(c.len(), 5);
        assert_eq!(c[0].query, "42");
        assert_eq!(c[0].section, "Scalars");
        assert_eq!(c[1].query, "a\"b");
        assert_eq!(c[2].query, "it's {{.offset}}");
        assert_eq!(c[2].variant_args, vec!["offset"]);
        assert_eq!(c[2].section, "Scalars");
        assert_eq!(c[3].query, "x_total");
        assert!(c[3].should_fail);
        assert_eq!(c[3].section, "Second section");
        assert_eq!(c[4].variant_args, vec!["topBottomOp", "range"]);
        assert!(!c[4].should_fail);
    }

    #[test]
    fn expands_every_combination_first_arg_slowest() {
        let q = expand(&parse_test_cases(SAMPLE).unwrap()).unwrap();
        // 1 + 1 + 3 offsets + 1 + 2 * 6.
        assert_eq!(q.len(), 18);
        assert_eq!(q[2].text, "it's 1m");
        assert_eq!(q[4].text, "it's 10m");
        assert_eq!(q[6].text, "topk by(i) (1s)");
        assert_eq!(q[7].text, "topk by(i) (15s)");
        assert_eq!(q[12].text, "bottomk by(i) (1s)");
        assert_eq!(q[17].template, "{{.topBottomOp}} by(i) ({{.range}})");
    }

    #[test]
    fn rejects_what_it_does_not_understand() {
        assert!(parse_test_cases("test_cases:\n  - query: 'open\n").is_err());
        assert!(parse_test_cases("test_cases:\n  - qurey: 'x'\n").is_err());
        assert!(parse_test_cases("other:\n  - query: 'x'\n").is_err());
        let unbound = parse_test_cases("test_cases:\n  - query: '{{.range}}'\n").unwrap();
        assert!(expand(&unbound).is_err());
        let unknown =
            parse_test_cases("test_cases:\n  - query: 'x'\n    variant_args: ['nope']\n").unwrap();
        assert!(expand(&unknown).is_err());
    }

    /// The shared copy of the official list expands to the documented 539 queries, 5 failing.
    #[test]
    fn official_list_expands_to_539() {
        let path = queries_path().unwrap();
        let q = load(&path).unwrap();
        assert_eq!(q.len(), 539);
        assert_eq!(q.iter().filter(|q| q.should_fail).count(), 5);
        assert!(q.iter().all(|q| !q.text.contains("{{")));
        assert!(q.iter().any(|q| q.text == "-1 ^ 2"));
        assert!(
            q.iter()
                .any(|q| q.text == "histogram_quantile(0.9, demo_memory_usage_bytes)")
        );
        assert_eq!(q[0].section, "Scalar literals");
        assert_eq!(q.last().map(|q| q.section.as_str()), Some("Subqueries"));
    }
}
