//! Where each query is evaluated (three range windows and several instants placed on the
//! history's events), and which (query, evaluation) pairs are excluded because Prometheus 2.42,
//! the reference, and Prometheus 3.x, whose semantics Strata follows, answer them differently by
//! design.
//!
//! Differences that the data and the evaluation times avoid instead of excluding:
//! - Range selectors and the lookback window are left-closed in 2.x (`[t-r, t]`) and left-open
//!   in 3.x (`(t-r, t]`): every evaluation time is a whole second and no sample lies on one.
//! - Subquery steps sit on absolute multiples of their resolution (10 s in the list); every
//!   evaluation time is `≡ 3 s (mod 10 s)`, so a subquery range never starts on a step, where
//!   left-closed and left-open ranges would differ.
//! - Negative offsets need `--enable-feature=promql-negative-offset` in 2.42 and are always on in
//!   3.x: the reference is started with the flag.
//! - `holt_winters` (2.x) became `double_exponential_smoothing` (3.x, experimental): not in the
//!   list. Regex `.` matches `\n` in 3.x only: no label value in the data has a newline.
//! - `deriv`/`predict_linear` return exactly 0 / the value for a constant series in 3.x and
//!   a rounding residue in 2.x: the disk usage gauge changes at every scrape.

use super::data::Timeline;
use super::queries::Query;
use crate::net::utc_time_of_day;

const S: i64 = 1_000;
const M: i64 = 60 * S;

/// How a case is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eval {
    /// `/api/v1/query_range` with start, end and step (milliseconds).
    Range {
        /// First step.
        start: i64,
        /// Last step.
        end: i64,
        /// Resolution.
        step: i64,
    },
    /// `/api/v1/query` at a time (milliseconds).
    Instant {
        /// Evaluation time.
        time: i64,
    },
}

/// One way of evaluating every query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mode {
    /// Short name for reports.
    pub name: &'static str,
    /// What it covers.
    pub what: String,
    /// The evaluation.
    pub eval: Eval,
}

/// The evaluation modes over `tl`.
pub fn modes(tl: &Timeline) -> Vec<Mode> {
    let e = tl.end;
    let odd = Timeline::next_odd_minute(e - 30 * M) + 13 * S;
    let range = |name, what: &str, start, end, step| Mode {
        name,
        what: what.to_string(),
        eval: Eval::Range { start, end, step },
    };
    let instant = |name, what: &str, time| Mode {
        name,
        what: format!("{what} ({} UTC)", utc_time_of_day(time)),
        eval: Eval::Instant { time },
    };
    vec![
        range(
            "range-10m",
            "10 min ending 12 min before the data end, step 10 s (the official tester's window; \
             holds the NaN stretch and the restart)",
            e - 22 * M,
            e - 12 * M,
            10 * S,
        ),
        range(
            "range-1h",
            "1 h ending 10 min before the data end, step 1 m",
            e - 70 * M,
            e - 10 * M,
            M,
        ),
        range(
            "range-stop",
            "20 min straddling the stop of two series, step 20 s",
            tl.stop - 10 * M,
            tl.stop + 10 * M,
            20 * S,
        ),
        instant(
            "instant-quiet",
            "inside the data, nothing special",
            e - 65 * M,
        ),
        instant("instant-nan", "inside the NaN stretch", e - 20 * M),
        instant(
            "instant-after-stop",
            "10 s after the stopping series' staleness markers",
            tl.stop + 10 * S,
        ),
        instant(
            "instant-intermittent-stale",
            "13 s into an odd minute (intermittent metric stale)",
            odd,
        ),
        instant(
            "instant-restart-gap",
            "10 s after the restarting instance's markers",
            tl.restart + 10 * S,
        ),
        instant(
            "instant-end+1m",
            "1 min after the data end (within lookback)",
            e + M,
        ),
        instant(
            "instant-end+6m",
            "6 min after the data end (beyond lookback)",
            e + 6 * M,
        ),
    ]
}

/// A (query, mode) pair left out of the counts, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exclusion {
    /// Short name.
    pub name: &'static str,
    /// Why 2.42 and 3.x differ here.
    pub reason: &'static str,
}

/// Label names: 2.42 accepts only `[a-zA-Z_][a-zA-Z0-9_]*`, 3.x any non-empty UTF-8 string.
pub const UTF8_LABEL_NAMES: Exclusion = Exclusion {
    name: "utf8-label-names",
    reason: "Prometheus 3.x validates label names as UTF-8 (any non-empty string), so \
             label_replace/label_join with destination \"~invalid\" succeed there; 2.42 applies \
             the legacy [a-zA-Z_][a-zA-Z0-9_]* rule and fails them (the list's should_fail)",
};

/// `stddev`/`stdvar` of a group holding one NaN: 0 in 2.42, NaN in 3.x.
pub const STDDEV_OF_LONE_NAN: Exclusion = Exclusion {
    name: "stddev-of-lone-nan",
    reason: "Prometheus 3.x starts a stddev/stdvar group whose first value is NaN or ±Inf at \
             NaN, so a group holding only the NaN sample answers NaN; 2.42 answers 0. Excluded \
             where the grouping keeps every series alone and the evaluation sees the NaN stretch",
};

/// Every exclusion, for the report.
pub const EXCLUSIONS: &[Exclusion] = &[UTF8_LABEL_NAMES, STDDEV_OF_LONE_NAN];

/// Whether `query` evaluated as `mode` over the history `tl` is excluded.
pub fn exclusion(query: &Query, mode: &Mode, tl: &Timeline) -> Option<Exclusion> {
    let q = query.text.as_str();
    if (q.starts_with("label_replace(") || q.starts_with("label_join("))
        && q.contains("\"~invalid\"")
    {
        return Some(UTF8_LABEL_NAMES);
    }
    if (q.starts_with("stddev") || q.starts_with("stdvar"))
        && keeps_series_alone(q)
        && sees_nan(mode, tl)
    {
        return Some(STDDEV_OF_LONE_NAN);
    }
    None
}

/// Whether the aggregation's grouping puts every `demo_memory_usage_bytes` series in a group
/// of its own: `by` both `instance` and `type`, or `without` neither of them.
fn keeps_series_alone(q: &str) -> bool {
    let grouping = |kw: &str| {
        q.find(kw).and_then(|i| {
            let rest = &q[i + kw.len()..];
            rest.find(')').map(|j| {
                rest[..j]
                    .split(',')
                    .map(|l| l.trim().to_string())
                    .filter(|l| !l.is_empty())
                    .collect::<Vec<_>>()
            })
        })
    };
    let has = |ls: &[String], l: &str| ls.iter().any(|x| x == l);
    if let Some(by) = grouping("by(") {
        return has(&by, "instance") && has(&by, "type");
    }
    if let Some(without) = grouping("without(") {
        return !has(&without, "instance") && !has(&without, "type");
    }
    false
}

/// Whether an evaluation of `mode` can see a NaN sample (lookback 5 min).
fn sees_nan(mode: &Mode, tl: &Timeline) -> bool {
    let (from, to) = match mode.eval {
        Eval::Range { start, end, .. } => (start, end),
        Eval::Instant { time } => (time, time),
    };
    from <= tl.nan_to + 5 * M && to >= tl.nan_from
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_evaluation_time_is_off_the_subquery_grid() {
        let tl = Timeline::ending_at(1_700_000_000_000, 2);
        for m in modes(&tl) {
            let times: Vec<i64> = match m.eval {
                Eval::Range { start, end, step } => {
                    assert!(end > start && step > 0);
                    (0..)
                        .map(|k| start + k * step)
                        .take_while(|t| *t <= end)
                        .collect()
                }
                Eval::Instant { time } => vec![time],
            };
            for t in times {
                assert_eq!(t.rem_euclid(10 * S), 3 * S, "{} at {t}", m.name);
            }
        }
    }

    #[test]
    fn windows_cover_the_events() {
        let tl = Timeline::ending_at(1_700_000_000_000, 2);
        let ms = modes(&tl);
        let covers = |name: &str, t: i64| match ms.iter().find(|m| m.name == name).map(|m| m.eval) {
            Some(Eval::Range { start, end, .. }) => (start..=end).contains(&t),
            other => panic!("{name}: {other:?}"),
        };
        assert!(covers("range-10m", tl.restart));
        assert!(covers("range-10m", tl.nan_from));
        assert!(covers("range-stop", tl.stop));
        assert!(covers("range-1h", tl.stop) && covers("range-1h", tl.restart));
    }

    #[test]
    fn exclusions_hit_only_their_queries_and_times() {
        let tl = Timeline::ending_at(1_700_000_000_000, 2);
        let all = modes(&tl);
        let mode = &all[0];
        let q = |text: &str| Query {
            text: text.to_string(),
            template: text.to_string(),
            should_fail: true,
            skip_comparison: false,
            section: String::new(),
        };
        assert_eq!(
            exclusion(
                &q(r#"label_join(demo_num_cpus, "~invalid", "-", "instance")"#),
                mode,
                &tl
            ),
            Some(UTF8_LABEL_NAMES)
        );
        assert_eq!(
            exclusion(
                &q(r#"label_replace(demo_num_cpus, "job", "value-$1", "src", "(.*")"#),
                mode,
                &tl
            ),
            None
        );
        let by_mode = |text: &str, name: &str| {
            let m = all.iter().find(|m| m.name == name).unwrap();
            exclusion(&q(text), m, &tl)
        };
        let lone = "stddev by(instance, type) (demo_memory_usage_bytes)";
        assert_eq!(by_mode(lone, "range-10m"), Some(STDDEV_OF_LONE_NAN));
        assert_eq!(by_mode(lone, "instant-nan"), Some(STDDEV_OF_LONE_NAN));
        assert_eq!(by_mode(lone, "instant-quiet"), None);
        assert_eq!(by_mode(lone, "range-stop"), None);
        let w = "stdvar without(nonexistent) (demo_memory_usage_bytes)";
        assert_eq!(by_mode(w, "range-1h"), Some(STDDEV_OF_LONE_NAN));
        assert_eq!(
            by_mode("stdvar without() (demo_memory_usage_bytes)", "range-1h"),
            Some(STDDEV_OF_LONE_NAN)
        );
        for grouped in [
            "stddev(demo_memory_usage_bytes)",
            "stddev by(instance) (demo_memory_usage_bytes)",
            "stdvar without(instance) (demo_memory_usage_bytes)",
            "sum by(instance, type) (demo_memory_usage_bytes)",
        ] {
            assert_eq!(by_mode(grouped, "instant-nan"), None, "{grouped}");
        }
    }
}
