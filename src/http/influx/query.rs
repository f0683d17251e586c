//! `GET|POST /query`: just enough InfluxQL for clients to connect and manage databases.
//!
//! Answered: `SHOW DATABASES` (databases written to, from the `db` label, plus those
//! created), `CREATE DATABASE <name>` (remembered until restart; writing creates a database
//! too), `SHOW RETENTION POLICIES` (the one `autogen` policy) and `USE <db>` (a no-op: the
//! CLI handles it itself). Any other statement gets InfluxDB's per-statement error shape
//! pointing at PromQL. Several statements separated by `;` get one result each.

use super::{Api, error, with_version};
use crate::http::api_v1::params::form_pairs;
use crate::http::{AppState, Body, read_body, response};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use promql::storage::Querier;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Largest form body read for a query.
const MAX_QUERY_BODY: usize = 1 << 20;

pub async fn query(state: Arc<AppState>, req: Request<Incoming>) -> Response<Body> {
    let mut params = form_pairs(req.uri().query().unwrap_or(""));
    if req.method() == Method::POST {
        match read_body(req, MAX_QUERY_BODY).await {
            Ok(b) => params.extend(form_pairs(&String::from_utf8_lossy(&b))),
            Err(_) => {
                return error(Api::V1, StatusCode::BAD_REQUEST, "unreadable query body");
            }
        }
    }
    let q = params
        .iter()
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    if q.trim().is_empty() {
        return error(
            Api::V1,
            StatusCode::BAD_REQUEST,
            "missing required parameter \"q\"",
        );
    }
    let statements = match parse(&q) {
        Ok(s) => s,
        Err(e) => {
            let msg = format!("error parsing query: {e}");
            return error(Api::V1, StatusCode::BAD_REQUEST, &msg);
        }
    };
    let mut results = Vec::with_capacity(statements.len());
    for (id, stmt) in statements.into_iter().enumerate() {
        let mut r = match stmt {
            Statement::ShowDatabases => {
                let names = databases(&state).await;
                let values: Vec<Value> = names.into_iter().map(|n| json!([n])).collect();
                json!({"series": [{"name": "databases", "columns": ["name"], "values": values}]})
            }
            Statement::CreateDatabase(name) => {
                state.influx.create(&name);
                json!({})
            }
            Statement::ShowRetentionPolicies => json!({"series": [{
                "columns": ["name", "duration", "shardGroupDuration", "replicaN", "default"],
                "values": [["autogen", "0s", "168h0m0s", 1, true]]
            }]}),
            Statement::Use => json!({}),
            Statement::Unsupported(text) => json!({
                "error": format!(
                    "statement not supported by Strata: {text} (query with PromQL at /api/v1/query; see docs/influx.md)"
                )
            }),
        };
        if let Value::Object(o) = &mut r {
            o.insert("statement_id".into(), json!(id));
        }
        results.push(r);
    }
    with_version(response::with_type(
        StatusCode::OK,
        "application/json",
        json!({ "results": results }).to_string().into_bytes(),
    ))
}

/// Every `db` label value in storage plus the databases created by statement.
async fn databases(state: &Arc<AppState>) -> BTreeSet<String> {
    let mut names = state.influx.created();
    if let Some(db) = state.db() {
        let found = tokio::task::spawn_blocking(move || {
            db.db_querier(i64::MIN, i64::MAX).label_values("db", &[])
        })
        .await;
        if let Ok(Ok(values)) = found {
            names.extend(values);
        }
    }
    names
}

#[derive(Debug, PartialEq, Eq)]
enum Statement {
    ShowDatabases,
    CreateDatabase(String),
    ShowRetentionPolicies,
    Use,
    Unsupported(String),
}

/// Splits `q` on `;` outside quotes and recognises the statements we answer.
fn parse(q: &str) -> Result<Vec<Statement>, String> {
    let mut out = Vec::new();
    for text in split_statements(q)? {
        let words = tokens(&text)?;
        let upper: Vec<String> = words.iter().map(|w| w.0.to_ascii_uppercase()).collect();
        let kw = |i: usize, k: &str| upper.get(i).is_some_and(|w| w == k) && !words[i].1;
        let stmt = if kw(0, "SHOW") && kw(1, "DATABASES") && words.len() == 2 {
            Statement::ShowDatabases
        } else if kw(0, "CREATE") && kw(1, "DATABASE") {
            match words.get(2) {
                Some((name, _)) if !name.is_empty() => Statement::CreateDatabase(name.clone()),
                _ => return Err(format!("found EOF, expected identifier at {text:?}")),
            }
        } else if kw(0, "SHOW") && kw(1, "RETENTION") && kw(2, "POLICIES") {
            Statement::ShowRetentionPolicies
        } else if kw(0, "USE") && words.len() >= 2 {
            Statement::Use
        } else {
            Statement::Unsupported(text.clone())
        };
        out.push(stmt);
    }
    if out.is_empty() {
        return Err("found EOF, expected statement".into());
    }
    Ok(out)
}

/// Statements of `q`, trimmed, empty ones dropped.
fn split_statements(q: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut chars = q.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(_), '\\') => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
                continue;
            }
            (Some(qc), _) if c == qc => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, ';') => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if quote.is_some() {
        return Err("unterminated quoted string".into());
    }
    out.push(cur);
    Ok(out
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect())
}

/// Words of one statement: bare words, or `"quoted identifiers"` (flagged `true`).
fn tokens(s: &str) -> Result<Vec<(String, bool)>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut w = String::new();
            loop {
                match chars.next() {
                    None => return Err("unterminated quoted identifier".into()),
                    Some('\\') => {
                        if let Some(n) = chars.next() {
                            w.push(n);
                        }
                    }
                    Some('"') => break,
                    Some(x) => w.push(x),
                }
            }
            out.push((w, true));
        } else {
            let mut w = String::new();
            while let Some(&x) = chars.peek() {
                if x.is_whitespace() || x == '"' {
                    break;
                }
                w.push(x);
                chars.next();
            }
            out.push((w, false));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod parse_tests {
    use super::*;

    #[test]
    fn recognises_the_statements_clients_send() {
        assert_eq!(
            parse("show databases; CREATE DATABASE \"my db\" WITH DURATION 1d;use x").unwrap(),
            vec![
                Statement::ShowDatabases,
                Statement::CreateDatabase("my db".into()),
                Statement::Use,
            ]
        );
        assert_eq!(
            parse("SELECT * FROM \"a;b\"").unwrap(),
            vec![Statement::Unsupported("SELECT * FROM \"a;b\"".into())]
        );
        assert_eq!(
            parse("SHOW RETENTION POLICIES ON db").unwrap(),
            vec![Statement::ShowRetentionPolicies]
        );
        assert!(parse("CREATE DATABASE").is_err());
        assert!(parse(" ; ").is_err());
        assert!(parse("CREATE DATABASE \"x").is_err());
    }
}
