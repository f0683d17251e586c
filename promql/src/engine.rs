//! The query engine's entry points: parse, plan, evaluate, under the configured limits.

use crate::annotations::Annotations;
use crate::error::QueryError;
use crate::eval::Evaluator;
use crate::plan::{self, PlanOptions};
use crate::storage::Queryable;
use crate::value::Value;
use std::time::{Duration, Instant};

/// Engine settings; the defaults are Prometheus's.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// How far back an instant selector looks for a sample (`--query.lookback-delta`).
    pub lookback_delta_ms: i64,
    /// Most samples a query may hold at once (`--query.max-samples`).
    pub max_samples: usize,
    /// Longest a query may run (`--query.timeout`).
    pub timeout: Duration,
    /// Step of a subquery written without one (the global evaluation interval).
    pub default_subquery_step_ms: i64,
    /// `--enable-feature=promql-experimental-functions`.
    pub experimental_functions: bool,
    /// `--enable-feature=promql-delayed-name-removal`: functions and operators mark
    /// `__name__` for removal and it goes only when the query's result is complete.
    pub delayed_name_removal: bool,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            lookback_delta_ms: 5 * 60 * 1000,
            max_samples: 50_000_000,
            timeout: Duration::from_secs(120),
            default_subquery_step_ms: 60 * 1000,
            experimental_functions: false,
            delayed_name_removal: false,
        }
    }
}

/// A query's answer and the annotations that go with it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryOutput {
    pub value: Value,
    pub annotations: Annotations,
}

#[derive(Debug, Clone, Default)]
pub struct Engine {
    opts: EngineOptions,
}

impl Engine {
    pub fn new(opts: EngineOptions) -> Self {
        Engine { opts }
    }

    pub fn options(&self) -> &EngineOptions {
        &self.opts
    }

    /// Evaluates `query` at time `t` (ms). The result is a scalar, string, vector or matrix.
    pub fn instant_query(
        &self,
        storage: &dyn Queryable,
        query: &str,
        t: i64,
    ) -> Result<QueryOutput, QueryError> {
        self.run(storage, query, t, t, 0)
    }

    /// Evaluates `query` at every `step` (ms, > 0) from `start` to `end` inclusive. The result
    /// is always a matrix; scalars become one series without labels.
    pub fn range_query(
        &self,
        storage: &dyn Queryable,
        query: &str,
        start: i64,
        end: i64,
        step: i64,
    ) -> Result<QueryOutput, QueryError> {
        if step <= 0 {
            return Err(QueryError::BadData(
                "zero or negative query resolution step widths are not accepted. Try a positive integer".into(),
            ));
        }
        if end < start {
            return Err(QueryError::BadData(
                "end timestamp must not be before start time".into(),
            ));
        }
        self.run(storage, query, start, end, step)
    }

    fn run(
        &self,
        storage: &dyn Queryable,
        query: &str,
        start: i64,
        end: i64,
        step: i64,
    ) -> Result<QueryOutput, QueryError> {
        let deadline = Instant::now() + self.opts.timeout;
        let expr = parse(query)?;
        let popts = PlanOptions {
            start,
            end,
            experimental_functions: self.opts.experimental_functions,
        };
        let node = plan::build(&expr, &popts)?;
        if step != 0
            && !matches!(
                node.value_type(),
                plan::ValueType::Scalar | plan::ValueType::Vector
            )
        {
            return Err(QueryError::BadData(format!(
                "invalid expression type \"{}\" for range query, must be Scalar or instant Vector",
                node.value_type().prometheus_name()
            )));
        }
        let mut ev = Evaluator::new(storage, &self.opts, start, end, step, deadline);
        let value = ev.run(&node)?;
        Ok(QueryOutput {
            value,
            annotations: ev.into_annotations(),
        })
    }
}

/// Parses PromQL text, turning a syntax error into Prometheus's `bad_data` error.
pub fn parse(query: &str) -> Result<promql_parser::parser::Expr, QueryError> {
    if query.trim().is_empty() {
        return Err(QueryError::BadData(
            "1:1: parse error: no expression found in input".into(),
        ));
    }
    if nesting_depth(query) > MAX_NESTING {
        return Err(QueryError::BadData(format!(
            "1:1: parse error: expression nested deeper than {MAX_NESTING} levels"
        )));
    }
    promql_parser::parser::parse(query)
        .map_err(|e| QueryError::BadData(format!("1:1: parse error: {e}")))
}

/// Deepest nesting of brackets a query may have. The parser and the planner recurse once per
/// level, so an unbounded depth would let one request exhaust a thread's stack.
pub const MAX_NESTING: usize = 200;

/// The deepest nesting of `(`, `[` and `{` outside string literals.
fn nesting_depth(q: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut quote: Option<char> = None;
    let mut chars = q.chars();
    while let Some(c) = chars.next() {
        match quote {
            Some(qc) => {
                if c == '\\' && qc != '`' {
                    chars.next();
                } else if c == qc {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' | '`' => quote = Some(c),
                '(' | '[' | '{' => {
                    depth += 1;
                    max = max.max(depth);
                }
                ')' | ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let q = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
        let err = parse(&q).unwrap_err();
        assert_eq!(err.error_type(), "bad_data");
        assert!(parse(&format!("{}1{}", "(".repeat(50), ")".repeat(50))).is_ok());
        // Brackets inside strings do not count.
        assert_eq!(
            nesting_depth(r#"label_replace(up, "a", "((((", "b", "(.*)")"#),
            1
        );
    }

    #[test]
    fn huge_subquery_resolution_is_refused() {
        let s = crate::MemStorage::new();
        let e = Engine::new(EngineOptions::default());
        let err = e
            .instant_query(&s, "max_over_time(vector(1)[100y:1ms])", 0)
            .unwrap_err();
        assert_eq!(err.error_type(), "execution", "{err}");
    }
}
