//! `/api/v1/format_query`: the query pretty-printed by promql-parser's `Prettier`, as
//! Prometheus's `expr.Pretty(0)` does.

use super::{ApiError, Params, Reply};

pub(super) fn format_query(p: &Params) -> Result<Reply, ApiError> {
    let expr = promql::engine::parse(p.get("query").unwrap_or_default())
        .map_err(|e| ApiError::bad(format!("invalid parameter \"query\": {e}")))?;
    Ok(Reply::json(expr.prettify()))
}

/// `/api/v1/parse_query`: the syntax tree as the web UI's tree view shows it.
pub(super) fn parse_query(p: &Params) -> Result<Reply, ApiError> {
    let expr = promql::engine::parse(p.get("query").unwrap_or_default())
        .map_err(|e| ApiError::bad(format!("invalid parameter \"query\": {e}")))?;
    Ok(Reply::json(super::ast_json::translate(&expr)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_and_errors() {
        let p = Params(vec![("query".into(), "sum(rate(foo[5m]))by(job)".into())]);
        let Ok(Reply::Data { data, .. }) = format_query(&p) else {
            panic!("format failed")
        };
        assert_eq!(data, r#""sum by (job) (rate(foo[5m]))""#);
        let bad = Params(vec![("query".into(), "sum(".into())]);
        let e = format_query(&bad).unwrap_err();
        assert_eq!(e.kind, "bad_data");
        assert!(
            e.msg.starts_with("invalid parameter \"query\": "),
            "{}",
            e.msg
        );
        assert!(format_query(&Params::default()).is_err());
    }
}
