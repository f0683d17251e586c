//! Path templates: rules that turn a dotted Graphite path into a metric name and labels, in the
//! spirit of Prometheus's graphite_exporter glob mappings, written one rule per line:
//!
//! ```text
//! # servers.web1.cpu.idle  ->  cpu_idle{host="web1"}
//! servers.*.cpu.*   ->  cpu_$2  host=$1
//! collectd.*.load.load.*  ->  load_$2  host=$1 source=collectd
//! ```
//!
//! A pattern has as many dot-separated components as the paths it matches; `*` inside a
//! component matches any run of characters except `.`, and the `*`s of the whole pattern are
//! numbered `$1`, `$2`, ... from the left (`${1}` when a digit follows). The first rule that
//! matches wins. A label whose value comes out empty is left out, as Prometheus does.

use thiserror::Error;

/// A rule file that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("mapping line {line}: {msg}")]
pub struct MappingError {
    /// 1-based line of the rule file.
    pub line: usize,
    pub msg: String,
}

/// What a rule made of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    pub name: String,
    /// In rule order; never an empty value.
    pub labels: Vec<(String, String)>,
}

/// The loaded rules, in file order.
#[derive(Debug, Clone, Default)]
pub struct Mapping {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone)]
struct Rule {
    components: Vec<Vec<GlobPart>>,
    name: Template,
    labels: Vec<(String, Template)>,
}

#[derive(Debug, Clone, PartialEq)]
enum GlobPart {
    Lit(String),
    Star,
}

#[derive(Debug, Clone)]
struct Template(Vec<TplPart>);

#[derive(Debug, Clone)]
enum TplPart {
    Lit(String),
    /// 0-based capture.
    Cap(usize),
}

/// Most `*` in one component: keeps the backtracking matcher's work polynomial and small.
const MAX_STARS_PER_COMPONENT: usize = 4;

impl Mapping {
    /// Parses a rule file. Blank lines and lines starting with `#` are skipped.
    pub fn parse(text: &str) -> Result<Self, MappingError> {
        let mut rules = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let err = |msg: String| MappingError { line: i + 1, msg };
            rules.push(parse_rule(line).map_err(err)?);
        }
        Ok(Mapping { rules })
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The first matching rule's name and labels for `path`, or `None` when no rule matches.
    pub fn apply(&self, path: &str) -> Option<Mapped> {
        if self.rules.is_empty() {
            return None;
        }
        let comps: Vec<&str> = path.split('.').collect();
        let mut caps: Vec<&str> = Vec::new();
        for rule in &self.rules {
            if rule.components.len() != comps.len() {
                continue;
            }
            caps.clear();
            let all = rule
                .components
                .iter()
                .zip(&comps)
                .all(|(pat, s)| match_glob(pat, s, &mut caps));
            if !all {
                continue;
            }
            let name = rule.name.render(&caps);
            if name.is_empty() {
                continue;
            }
            let labels = rule
                .labels
                .iter()
                .map(|(k, t)| (k.clone(), t.render(&caps)))
                .filter(|(_, v)| !v.is_empty())
                .collect();
            return Some(Mapped { name, labels });
        }
        None
    }
}

fn parse_rule(line: &str) -> Result<Rule, String> {
    let Some((pattern, rhs)) = line.split_once("->") else {
        return Err("expected `PATTERN -> NAME [LABEL=VALUE ...]`".into());
    };
    let pattern = pattern.trim();
    if pattern.is_empty() || pattern.contains(char::is_whitespace) {
        return Err(format!("pattern {pattern:?} must be one word"));
    }
    let mut stars = 0;
    let mut components = Vec::new();
    for comp in pattern.split('.') {
        if comp.is_empty() {
            return Err(format!("pattern {pattern:?} has an empty component"));
        }
        let parts = parse_glob(comp);
        let n = parts.iter().filter(|p| **p == GlobPart::Star).count();
        if n > MAX_STARS_PER_COMPONENT {
            return Err(format!(
                "component {comp:?} has more than {MAX_STARS_PER_COMPONENT} `*`"
            ));
        }
        stars += n;
        components.push(parts);
    }
    let mut words = rhs.split_whitespace();
    let name = words
        .next()
        .ok_or_else(|| "missing the metric name after `->`".to_string())?;
    let name = Template::parse(name, stars)?;
    let mut labels = Vec::new();
    for w in words {
        let Some((k, v)) = w.split_once('=') else {
            return Err(format!("label {w:?} must be NAME=VALUE"));
        };
        if !is_label_name(k) {
            return Err(format!(
                "label name {k:?} must match [a-zA-Z_][a-zA-Z0-9_]* and not start with __"
            ));
        }
        if k == "__name__" || labels.iter().any(|(n, _)| n == k) {
            return Err(format!("label {k:?} given twice"));
        }
        labels.push((k.to_string(), Template::parse(v, stars)?));
    }
    Ok(Rule {
        components,
        name,
        labels,
    })
}

fn is_label_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
        && !s.starts_with("__")
}

fn parse_glob(comp: &str) -> Vec<GlobPart> {
    let mut parts = Vec::new();
    for (i, lit) in comp.split('*').enumerate() {
        if i > 0 {
            parts.push(GlobPart::Star);
        }
        if !lit.is_empty() {
            parts.push(GlobPart::Lit(lit.to_string()));
        }
    }
    parts
}

/// Matches one component, pushing what each `*` took onto `caps` (greedy, leftmost `*` first,
/// like the `([^.]*)` regexes graphite_exporter builds). On failure `caps` is left as it was.
fn match_glob<'s>(pat: &[GlobPart], s: &'s str, caps: &mut Vec<&'s str>) -> bool {
    let mark = caps.len();
    let ok =
        match pat.split_first() {
            None => s.is_empty(),
            Some((GlobPart::Lit(l), rest)) => s
                .strip_prefix(l.as_str())
                .is_some_and(|tail| match_glob(rest, tail, caps)),
            Some((GlobPart::Star, rest)) => (0..=s.len())
                .rev()
                .filter(|&i| s.is_char_boundary(i))
                .any(|i| {
                    caps.truncate(mark);
                    caps.push(&s[..i]);
                    match_glob(rest, &s[i..], caps)
                }),
        };
    if !ok {
        caps.truncate(mark);
    }
    ok
}

impl Template {
    fn parse(s: &str, stars: usize) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        let mut rest = s;
        while let Some(i) = rest.find('$') {
            lit.push_str(&rest[..i]);
            rest = &rest[i + 1..];
            if let Some(r) = rest.strip_prefix('$') {
                lit.push('$');
                rest = r;
                continue;
            }
            let (digits, after) = if let Some(r) = rest.strip_prefix('{') {
                let end = r
                    .find('}')
                    .ok_or_else(|| format!("unclosed `${{` in {s:?}"))?;
                (&r[..end], &r[end + 1..])
            } else {
                let end = rest
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(rest.len());
                (&rest[..end], &rest[end..])
            };
            let n: usize = digits
                .parse()
                .map_err(|_| format!("`$` in {s:?} must be followed by a capture number"))?;
            if n == 0 || n > stars {
                return Err(format!(
                    "${n} in {s:?}: the pattern has {stars} `*` (captures are $1..${stars})"
                ));
            }
            if !lit.is_empty() {
                parts.push(TplPart::Lit(std::mem::take(&mut lit)));
            }
            parts.push(TplPart::Cap(n - 1));
            rest = after;
        }
        lit.push_str(rest);
        if !lit.is_empty() {
            parts.push(TplPart::Lit(lit));
        }
        Ok(Template(parts))
    }

    fn render(&self, caps: &[&str]) -> String {
        let mut out = String::new();
        for p in &self.0 {
            match p {
                TplPart::Lit(l) => out.push_str(l),
                TplPart::Cap(i) => out.push_str(caps.get(*i).copied().unwrap_or("")),
            }
        }
        out
    }
}
