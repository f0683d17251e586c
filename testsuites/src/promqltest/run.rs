//! Runs a parsed test file against the engine over an in-memory storage, the way upstream's
//! runner does: each instant eval also runs its `@` variants, and each of those (unless the
//! result is a range vector or a string, or `ordered` is expected) is re-run as a range query
//! from t-1m to t+1m whose middle step must equal the instant result.

use super::at_variant::{AtVariants, at_variants};
use super::compare;
use super::parse::{self, Command, Eval, EvalKind, Load};
use super::series_notation::SeqValue;
use super::skip::{DataFeatures, skip_reason};
use promql::storage::Queryable;
use promql::{Engine, EngineOptions, MemStorage, QueryError, QueryOutput};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

/// The engine settings upstream's test files assume.
pub fn upstream_engine_options() -> EngineOptions {
    EngineOptions {
        lookback_delta_ms: 5 * 60 * 1000,
        max_samples: 10_000,
        timeout: Duration::from_secs(100),
        default_subquery_step_ms: 60 * 1000,
        experimental_functions: true,
        // Upstream's test engine (promqltest's NewTestEngine) runs with delayed `__name__`
        // removal, and name_label_dropping.test depends on it.
        delayed_name_removal: true,
    }
}

/// How one eval went.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Pass,
    Fail(String),
    Skip(String),
}

#[derive(Debug, Clone)]
pub struct EvalResult {
    pub line: usize,
    pub query: String,
    pub outcome: Outcome,
    /// Why the `@` variants did not run although upstream would run them.
    pub note: Option<String>,
}

/// The results of one file; `error` is set when the file does not parse (nothing ran).
#[derive(Debug, Clone, Default)]
pub struct FileResult {
    pub name: String,
    pub evals: Vec<EvalResult>,
    pub error: Option<String>,
}

impl FileResult {
    pub fn passed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Pass))
    }
    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Fail(_))) + usize::from(self.error.is_some())
    }
    pub fn skipped(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Skip(_)))
    }
    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.evals.iter().filter(|e| f(&e.outcome)).count()
    }
}

/// Parses and runs one test file.
pub fn run_file(name: &str, text: &str, engine: &Engine) -> FileResult {
    let mut res = FileResult {
        name: name.to_string(),
        ..FileResult::default()
    };
    let file = match parse::parse(text) {
        Ok(f) => f,
        Err(e) => {
            res.error = Some(format!("parse error: {e}"));
            return res;
        }
    };
    let mut storage = MemStorage::new();
    let mut data = DataFeatures::default();
    for cmd in &file.commands {
        match cmd {
            Command::Clear { .. } => {
                storage.clear();
                data.clear();
            }
            Command::Load(l) => {
                load(&mut storage, l);
                data.note_load(l);
            }
            Command::Eval(ev) => {
                let (outcome, note) = match skip_reason(ev, &data) {
                    Some(r) => (Outcome::Skip(r), None),
                    None => run_eval(engine, &storage, ev),
                };
                res.evals.push(EvalResult {
                    line: ev.line,
                    query: ev.query.clone(),
                    outcome,
                    note,
                });
            }
        }
    }
    res
}

/// Adds a load's float samples (histogram positions are left out). Within one load a repeated
/// series line replaces the earlier one, as upstream's loader does.
fn load(storage: &mut MemStorage, l: &Load) {
    for (i, s) in l.series.iter().enumerate() {
        if l.series[i + 1..].iter().any(|o| o.labels == s.labels) {
            continue;
        }
        for (k, v) in s.values.iter().enumerate() {
            if let SeqValue::Float(f) = v {
                storage.add(&s.labels, k as i64 * l.interval_ms, *f);
            }
        }
    }
}

type QueryResult = Result<QueryOutput, String>;

/// Runs a query, turning an engine panic into an error so one bad eval does not end the run.
fn guarded(f: impl FnOnce() -> Result<QueryOutput, QueryError>) -> QueryResult {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(format!("engine panicked: {msg}"))
        }
    }
}

fn run_eval(engine: &Engine, storage: &dyn Queryable, ev: &Eval) -> (Outcome, Option<String>) {
    match ev.kind {
        EvalKind::Range { start, end, step } => {
            let r = guarded(|| engine.range_query(storage, &ev.query, start, end, step));
            (outcome(check_output(ev, r).map(|_| ())), None)
        }
        EvalKind::Instant { t } => {
            let (variants, note) = match at_variants(&ev.query, t) {
                AtVariants::Run { query, times } => (
                    times.into_iter().map(|t| (query.clone(), t)).collect(),
                    None,
                ),
                AtVariants::NotApplicable => (Vec::new(), None),
                AtVariants::Unavailable(why) => (Vec::new(), Some(why)),
            };
            let mut queries = vec![(ev.query.clone(), t)];
            queries.extend(variants);
            for (q, t) in &queries {
                if let Err(e) = run_instant(engine, storage, ev, q, *t) {
                    let label = if q == &ev.query && *t == ev_time(ev) {
                        String::new()
                    } else {
                        format!("[@ variant `{q}` at t={t}] ")
                    };
                    return (Outcome::Fail(format!("{label}{e}")), note);
                }
            }
            (Outcome::Pass, note)
        }
    }
}

fn ev_time(ev: &Eval) -> i64 {
    match ev.kind {
        EvalKind::Instant { t } => t,
        EvalKind::Range { start, .. } => start,
    }
}

fn outcome(r: Result<(), String>) -> Outcome {
    match r {
        Ok(()) => Outcome::Pass,
        Err(e) => Outcome::Fail(e),
    }
}

/// Checks error expectations, annotations and the result. Returns the output when the query
/// succeeded as expected, `None` when it failed as expected.
fn check_output(ev: &Eval, r: QueryResult) -> Result<Option<QueryOutput>, String> {
    let out = match r {
        Err(e) => return compare::check_failure(ev, &e).map(|()| None),
        Ok(_) if ev.fail.is_some() => return Err("expected an error but got none".into()),
        Ok(o) => o,
    };
    compare::check_annotations(ev, &out.annotations)?;
    compare::compare_result(ev, &out.value)?;
    Ok(Some(out))
}

fn run_instant(
    engine: &Engine,
    storage: &dyn Queryable,
    ev: &Eval,
    query: &str,
    t: i64,
) -> Result<(), String> {
    let r = guarded(|| engine.instant_query(storage, query, t));
    let Some(out) = check_output(ev, r)? else {
        return Ok(());
    };
    // Upstream skips the range check for range-vector and string results, for ordered results
    // (range results are always sorted) and for queries using range().
    if ev.exclude_from_range || query.contains("range()") {
        return Ok(());
    }
    const MINUTE: i64 = 60_000;
    let range = guarded(|| engine.range_query(storage, query, t - MINUTE, t + MINUTE, MINUTE))
        .map_err(|e| format!("range mode: {e}"))?;
    if ev.ordered {
        return Ok(());
    }
    let scalar = matches!(out.value, promql::Value::Scalar { .. });
    compare::compare_range_middle(ev, &range.value, t, scalar)
        .map_err(|e| format!("range mode: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_floats_and_stale_markers_at_interval_times() {
        let f = parse::parse("load 1m\n  a 1 _ stale {{count:1}} 5\n  a 7\n  b 2\n").unwrap();
        let Command::Load(l) = &f.commands[0] else {
            panic!()
        };
        let mut s = MemStorage::new();
        load(&mut s, l);
        let series: Vec<_> = s.series().collect();
        assert_eq!(series.len(), 2);
        // The second `a` line replaces the first within the same load.
        assert_eq!(series[0].samples, vec![(0, 7.0)]);
        assert_eq!(series[1].samples, vec![(0, 2.0)]);

        let f = parse::parse("load 1m\n  a 1 _ stale {{count:1}} 5\n").unwrap();
        let Command::Load(l) = &f.commands[0] else {
            panic!()
        };
        let mut s = MemStorage::new();
        load(&mut s, l);
        let a = s.series().next().unwrap();
        let times: Vec<i64> = a.samples.iter().map(|p| p.0).collect();
        assert_eq!(times, vec![0, 120_000, 240_000]);
        assert!(super::super::series_notation::is_stale(a.samples[1].1));
    }

    /// Records the time range of every querier the engine opens.
    struct Recording {
        inner: MemStorage,
        ranges: std::sync::Mutex<Vec<(i64, i64)>>,
    }

    impl Queryable for Recording {
        fn querier(
            &self,
            mint: i64,
            maxt: i64,
        ) -> Result<Box<dyn promql::storage::Querier>, promql::StorageError> {
            if let Ok(mut r) = self.ranges.lock() {
                r.push((mint, maxt));
            }
            self.inner.querier(mint, maxt)
        }
    }

    fn eval_of(text: &str) -> Eval {
        match parse::parse(text).unwrap().commands.into_iter().next() {
            Some(Command::Eval(e)) => *e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn instant_evals_also_run_at_variants_and_range_mode() {
        let engine = Engine::new(upstream_engine_options());
        let mut inner = MemStorage::new();
        inner.add(&promql::Labels::from_pairs([("__name__", "x")]), 0, 1.0);
        let st = Recording {
            inner,
            ranges: Default::default(),
        };
        let ev = eval_of("eval instant at 1m x\n  x 1\n");
        assert_eq!(run_eval(&engine, &st, &ev).0, Outcome::Pass);
        let ranges = st.ranges.lock().unwrap().clone();
        // The eval at 1m, then `x @ 60` at -10m, 0, 12s, 1m and 10m: six instant queries and six
        // range queries (t-1m..t+1m), every one reading storage.
        assert!(ranges.len() >= 12, "{ranges:?}");
        // The range query of the eval as written reads from 0-1m-5m lookback up to 2m.
        assert!(
            ranges.iter().any(|&(_, maxt)| maxt == 120_000),
            "{ranges:?}"
        );

        // An eval with time() gets neither @ variants nor extra times, only its range mode.
        let st2 = Recording {
            inner: st.inner.clone(),
            ranges: Default::default(),
        };
        let ev = eval_of("eval instant at 1m x + time() - 60\n  {} 1\n");
        assert_eq!(run_eval(&engine, &st2, &ev).0, Outcome::Pass);
        assert!(st2.ranges.lock().unwrap().len() <= 2);
    }

    #[test]
    fn wrong_values_fail_and_right_values_pass() {
        // x changes between 1m and 2m: at 1m only the earlier value is right, in instant mode
        // and at the middle step of range mode alike.
        let engine = Engine::new(upstream_engine_options());
        let mut s = MemStorage::new();
        let x = promql::Labels::from_pairs([("__name__", "x")]);
        s.add(&x, 60_000, 1.0);
        s.add(&x, 120_000, 2.0);
        let bad = eval_of("eval instant at 1m x\n  x 2\n");
        assert!(matches!(run_eval(&engine, &s, &bad).0, Outcome::Fail(_)));
        let good = eval_of("eval instant at 1m x\n  x 1\n");
        assert_eq!(run_eval(&engine, &s, &good).0, Outcome::Pass);
    }

    #[test]
    fn parse_errors_count_as_one_failure() {
        let r = run_file("x.test", "bogus\n", &Engine::new(upstream_engine_options()));
        assert_eq!((r.passed(), r.failed(), r.skipped()), (0, 1, 0));
    }

    #[test]
    fn skipped_evals_do_not_run() {
        let r = run_file(
            "x.test",
            "load 1m\n  h {{count:1}}\n\neval instant at 0 h\n  h 1\n",
            &Engine::new(upstream_engine_options()),
        );
        assert_eq!((r.passed(), r.failed(), r.skipped()), (0, 0, 1));
    }
}
