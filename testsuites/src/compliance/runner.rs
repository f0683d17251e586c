//! Running every (query, mode) case on both servers, one request at a time in the same order,
//! timing each server's requests.

use std::path::Path;
use std::time::{Duration, Instant};

use super::data::Timeline;
use super::diff::{self, Tolerance, Verdict};
use super::plan::{Eval, Exclusion, Mode, exclusion};
use super::queries::Query;
use super::result::{Outcome, parse_answer};
use super::servers::Pair;
use crate::http::Http;
use crate::prom::api_time;
use crate::{Error, Result};

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

/// What a run needs besides the servers and the queries.
#[derive(Debug, Clone, Copy)]
pub struct RunContext<'a> {
    /// The evaluation modes.
    pub modes: &'a [Mode],
    /// The history's events (for exclusions).
    pub timeline: &'a Timeline,
    /// Value tolerance.
    pub tolerance: &'a Tolerance,
    /// Where to write the raw answers of mismatching cases.
    pub dump_dir: Option<&'a Path>,
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

/// Runs `query` as `eval` against `base`, returning the parsed answer, the request time and the
/// raw body.
pub fn run_query(
    http: &Http,
    base: &str,
    query: &str,
    eval: &Eval,
) -> (Outcome, Duration, Vec<u8>) {
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
    match reply {
        Ok(r) => (parse_answer(r.status, &r.body), took, r.body),
        Err(e) => (Outcome::transport(e.to_string()), took, Vec::new()),
    }
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

/// Writes both raw answers of a mismatching case to `dir/<query>-<mode>-{reference,test}.json`.
fn dump(dir: &Path, qi: usize, mode: &str, query: &str, bodies: [&[u8]; 2]) -> Result<()> {
    for (side, body) in ["reference", "test"].iter().zip(bodies) {
        let p = dir.join(format!("{qi:03}-{mode}-{side}.json"));
        std::fs::write(&p, body).map_err(|e| Error::io(format!("writing {}", p.display()), e))?;
    }
    let p = dir.join(format!("{qi:03}-query.txt"));
    std::fs::write(&p, query).map_err(|e| Error::io(format!("writing {}", p.display()), e))
}

/// Runs every case: for each query, each mode, the reference first and then the server under
/// test. Checks every 50 queries that both servers are still up. With `dump_dir`, the raw
/// answers of every mismatching case are written there.
pub fn run_all(
    http: &Http,
    pair: &mut Pair,
    queries: &[Query],
    ctx: &RunContext,
) -> Result<(Vec<CaseResult>, Timing)> {
    let (modes, tol) = (ctx.modes, ctx.tolerance);
    let mut results = Vec::with_capacity(queries.len() * modes.len());
    let mut timing = Timing::default();
    let mut next_report = Instant::now() + Duration::from_secs(15);
    for (qi, q) in queries.iter().enumerate() {
        if qi % 50 == 0 {
            pair.check_alive()?;
        }
        let ordered = diff::is_ordered(&q.text);
        for (mi, m) in modes.iter().enumerate() {
            let (r, rt, rb) = run_query(http, &pair.reference.base, &q.text, &m.eval);
            let (t, tt, tb) = run_query(http, &pair.test.base, &q.text, &m.eval);
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
            if let (Some(dir), Verdict::Mismatch(_)) = (ctx.dump_dir, &verdict) {
                dump(dir, qi, m.name, &q.text, [&rb, &tb])?;
            }
            results.push(CaseResult {
                query: qi,
                mode: mi,
                verdict,
                excluded: exclusion(q, m, ctx.timeline),
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
