//! Running every (query, mode) case on both servers, one request at a time in the same order,
//! timing each server's requests.

use std::time::{Duration, Instant};

use super::diff::{self, Tolerance, Verdict};
use super::plan::{Eval, Exclusion, Mode, exclusion};
use super::queries::Query;
use super::result::{Outcome, parse_answer};
use super::servers::Pair;
use crate::Result;
use crate::http::Http;
use crate::prom::api_time;

/// The outcome of one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// Index into the query list.
    pub query: usize,
    /// Index into the modes.
    pub mode: usize,
    /// The comparison.
    pub verdict: Verdict,
    /// Set when the case is left out of the counts.
    pub excluded: Option<Exclusion>,
}

/// Summed request latency per server.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timing {
    /// Reference Prometheus.
    pub reference: Duration,
    /// Server under test.
    pub test: Duration,
    /// Requests per server.
    pub requests: usize,
}

/// Runs `query` as `eval` against `base`, returning the parsed answer and the request time.
pub fn run_query(http: &Http, base: &str, query: &str, eval: &Eval) -> (Outcome, Duration) {
    let started = Instant::now();
    let reply = match *eval {
        Eval::Range { start, end, step } => {
            let (s, e, st) = (api_time(start), api_time(end), api_time(step));
            http.post_form(
                &format!("{base}/api/v1/query_range"),
                &[("query", query), ("start", &s), ("end", &e), ("step", &st)],
            )
        }
        Eval::Instant { time } => {
            let t = api_time(time);
            http.post_form(
                &format!("{base}/api/v1/query"),
                &[("query", query), ("time", &t)],
            )
        }
    };
    let took = started.elapsed();
    let outcome = match reply {
        Ok(r) => parse_answer(r.status, &r.body),
        Err(e) => Outcome::transport(e.to_string()),
    };
    (outcome, took)
}

/// Runs a few queries that touch every series over the whole history on both servers, so the
/// timed run does not pay for first reads.
pub fn warm_up(http: &Http, pair: &Pair, start: i64, end: i64) {
    let evals = [
        Eval::Range {
            start,
            end,
            step: 60_000,
        },
        Eval::Instant { time: end },
    ];
    for q in [
        r#"count({__name__=~"demo_.+"})"#,
        "sum by (instance) (rate(demo_api_request_duration_seconds_bucket[5m]))",
    ] {
        for eval in &evals {
            for base in [&pair.reference.base, &pair.test.base] {
                let _ = run_query(http, base, q, eval);
            }
        }
    }
}

/// Runs every case: for each query, each mode, the reference first and then the server under
/// test. Checks every 50 queries that both servers are still up.
pub fn run_all(
    http: &Http,
    pair: &mut Pair,
    queries: &[Query],
    modes: &[Mode],
    tol: &Tolerance,
) -> Result<(Vec<CaseResult>, Timing)> {
    let mut results = Vec::with_capacity(queries.len() * modes.len());
    let mut timing = Timing::default();
    let mut next_report = Instant::now() + Duration::from_secs(15);
    for (qi, q) in queries.iter().enumerate() {
        if qi % 50 == 0 {
            pair.check_alive()?;
        }
        let ordered = diff::is_ordered(&q.text);
        for (mi, m) in modes.iter().enumerate() {
            let (r, rt) = run_query(http, &pair.reference.base, &q.text, &m.eval);
            let (t, tt) = run_query(http, &pair.test.base, &q.text, &m.eval);
            timing.reference += rt;
            timing.test += tt;
            timing.requests += 1;
            // Only instant vectors carry an order; range results are matrices.
            let ordered = ordered && matches!(m.eval, Eval::Instant { .. });
            let verdict = if q.skip_comparison {
                match (&r, &t) {
                    (Outcome::Success(_), Outcome::Error { .. }) => {
                        Verdict::Mismatch(format!("test failed: {}", t.summary()))
                    }
                    _ => Verdict::Match,
                }
            } else {
                diff::compare(&r, &t, q.should_fail, ordered, tol)
            };
            results.push(CaseResult {
                query: qi,
                mode: mi,
                verdict,
                excluded: exclusion(q, m),
            });
        }
        if Instant::now() >= next_report {
            let failed = results
                .iter()
                .filter(|c| c.excluded.is_none() && c.verdict != Verdict::Match)
                .count();
            println!(
                "ran {}/{} queries ({} cases, {failed} not matching)",
                qi + 1,
                queries.len(),
                results.len()
            );
            next_report = Instant::now() + Duration::from_secs(15);
        }
    }
    Ok((results, timing))
}
