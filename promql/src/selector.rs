//! Series selectors as the HTTP API's `match[]` parameters carry them: `up{job="node"}`,
//! `{__name__=~"node_.+"}`, `{a="1" or b="2"}`.

use crate::labels::METRIC_NAME;
use crate::matcher::{MatchOp, Matcher, MatcherError};
use promql_parser::label::MatchOp as PMatchOp;
use promql_parser::parser::{self, Expr};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum SelectorError {
    #[error("{0}")]
    Parse(String),
    #[error("expected a series selector, got {0}")]
    NotASelector(&'static str),
    #[error("match[] must contain at least one non-empty matcher")]
    OnlyEmptyMatchers,
    #[error(transparent)]
    Matcher(#[from] MatcherError),
}

/// Parses a series selector into alternatives: a series matches the selector when it matches
/// every matcher of any one alternative (`or` inside braces gives several).
pub fn parse_series_selector(input: &str) -> Result<Vec<Vec<Matcher>>, SelectorError> {
    let expr = parser::parse(input).map_err(SelectorError::Parse)?;
    let Expr::VectorSelector(vs) = expr else {
        return Err(SelectorError::NotASelector(expr_kind(&expr)));
    };
    if vs.offset.is_some() || vs.at.is_some() {
        return Err(SelectorError::NotASelector("a selector with offset or @"));
    }
    alternatives(&vs)
}

/// The matcher alternatives of a parsed selector, its metric name included as a matcher.
pub(crate) fn alternatives(
    vs: &parser::VectorSelector,
) -> Result<Vec<Vec<Matcher>>, SelectorError> {
    let groups: Vec<&Vec<promql_parser::label::Matcher>> = if vs.matchers.or_matchers.is_empty() {
        vec![&vs.matchers.matchers]
    } else {
        vs.matchers.or_matchers.iter().collect()
    };
    let mut out = Vec::with_capacity(groups.len());
    for g in groups {
        let mut ms = Vec::with_capacity(g.len() + 1);
        if let Some(name) = &vs.name
            && !g.iter().any(|m| m.name == METRIC_NAME)
        {
            ms.push(Matcher::equal(METRIC_NAME, name.clone()));
        }
        for m in g {
            let op = match m.op {
                PMatchOp::Equal => MatchOp::Equal,
                PMatchOp::NotEqual => MatchOp::NotEqual,
                PMatchOp::Re(_) => MatchOp::Regex,
                PMatchOp::NotRe(_) => MatchOp::NotRegex,
            };
            ms.push(Matcher::new(op, m.name.clone(), m.value.clone())?);
        }
        if ms.iter().all(|m| m.matches_empty()) {
            return Err(SelectorError::OnlyEmptyMatchers);
        }
        out.push(ms);
    }
    Ok(out)
}

fn expr_kind(e: &Expr) -> &'static str {
    match e {
        Expr::MatrixSelector(_) => "a range vector selector",
        Expr::NumberLiteral(_) => "a number",
        Expr::StringLiteral(_) => "a string",
        Expr::Call(_) => "a function call",
        Expr::Aggregate(_) => "an aggregation",
        Expr::Binary(_) => "a binary expression",
        _ => "an expression",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(groups: &[Vec<Matcher>]) -> Vec<Vec<String>> {
        groups
            .iter()
            .map(|g| {
                g.iter()
                    .map(|m| format!("{}{:?}{}", m.name, m.op, m.value))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn name_and_matchers() {
        let g = parse_series_selector(r#"up{job="node", instance=~"a.*"}"#).unwrap();
        let s = show(&g);
        assert_eq!(s.len(), 1);
        assert!(s[0].contains(&"__name__Equalup".to_string()), "{s:?}");
        assert!(s[0].contains(&"jobEqualnode".to_string()));
        assert!(s[0].contains(&"instanceRegexa.*".to_string()));
        assert!(
            g[0].iter()
                .any(|m| m.name == "instance" && m.matches("abc"))
        );
    }

    #[test]
    fn or_gives_alternatives() {
        let g = parse_series_selector(r#"{a="1" or b="2"}"#).unwrap();
        assert_eq!(show(&g), vec![vec!["aEqual1"], vec!["bEqual2"]]);
    }

    #[test]
    fn rejections() {
        // promql-parser refuses this itself, as Prometheus does; either way it is an error.
        assert!(parse_series_selector(r#"{a=""}"#).is_err());
        assert!(matches!(
            parse_series_selector(r#"{a=~".*"}"#),
            Err(SelectorError::OnlyEmptyMatchers) | Err(SelectorError::Parse(_))
        ));
        assert!(matches!(
            parse_series_selector("rate(up[5m])"),
            Err(SelectorError::NotASelector(_))
        ));
        assert!(matches!(
            parse_series_selector("up{"),
            Err(SelectorError::Parse(_))
        ));
    }
}
