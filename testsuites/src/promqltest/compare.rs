//! Checks a query's answer against an eval's expectations, with upstream's rules: floats equal
//! within a relative 1e-6, NaN equals NaN, the stale marker equals only itself; a vector's
//! series may come in any order unless `ordered`; a matrix must be sorted by labels.

use super::parse::{Eval, EvalKind, Expected, ExpectedSeries, MsgMatch};
use super::series_notation::{SeqValue, is_stale};
use promql::{Annotations, Labels, Matrix, Sample, Value};

const EPSILON: f64 = 1e-6;

/// Upstream's `almost.Equal` with its stale-marker and NaN rules.
pub fn almost_equal(a: f64, b: f64, epsilon: f64) -> bool {
    if is_stale(a) || is_stale(b) {
        return is_stale(a) && is_stale(b);
    }
    if a.is_nan() && b.is_nan() {
        return true;
    }
    if a == b {
        return true;
    }
    let min_normal = f64::MIN_POSITIVE;
    let abs_sum = a.abs() + b.abs();
    let diff = (a - b).abs();
    if a == 0.0 || b == 0.0 || abs_sum < min_normal {
        return diff < epsilon * min_normal;
    }
    diff / abs_sum.min(f64::MAX) < epsilon
}

/// Compares the result of the eval's query (or of an @ variant of it) with what it expects.
pub fn compare_result(ev: &Eval, value: &Value) -> Result<(), String> {
    match value {
        Value::Matrix(m) => compare_matrix(ev, m),
        Value::Vector(v) => compare_vector(ev, v, ev.ordered),
        Value::Scalar { v, .. } => match &ev.expected {
            Expected::Scalar(e) if almost_equal(*e, *v, EPSILON) => Ok(()),
            Expected::Scalar(e) => Err(format!("expected scalar {e} but got {v}")),
            _ => Err(format!(
                "expected vector or matrix result, but got scalar {v}"
            )),
        },
        Value::String { v, .. } => {
            let want = match &ev.expected {
                Expected::String(s) => s.as_str(),
                _ => "",
            };
            if want == v {
                Ok(())
            } else {
                Err(format!("expected string {want:?} but got {v:?}"))
            }
        }
    }
}

fn expected_series(ev: &Eval) -> Result<&[ExpectedSeries], String> {
    match &ev.expected {
        Expected::Series(s) => Ok(s),
        Expected::Scalar(e) => Err(format!("expected scalar {e}")),
        Expected::String(s) => Err(format!("expected string {s:?}")),
    }
}

fn find<'a>(exp: &'a [ExpectedSeries], l: &Labels) -> Option<&'a ExpectedSeries> {
    exp.iter().find(|e| &e.labels == l)
}

/// Compares an instant vector; `ordered` also checks each series' position.
pub fn compare_vector(ev: &Eval, v: &[Sample], ordered: bool) -> Result<(), String> {
    let exp = expected_series(ev).map_err(|e| format!("{e}, but got vector {}", fmt_vector(v)))?;
    let mut seen = vec![false; exp.len()];
    for (pos, s) in v.iter().enumerate() {
        let Some(e) = find(exp, &s.metric) else {
            return Err(format!(
                "unexpected metric {} in result, has value {}",
                s.metric, s.f
            ));
        };
        if ordered && e.pos != pos + 1 {
            return Err(format!(
                "expected metric {} at position {} but was at {}",
                s.metric,
                e.pos,
                pos + 1
            ));
        }
        let want = match e.values.first() {
            Some(SeqValue::Float(f)) => *f,
            Some(SeqValue::Histogram) => {
                return Err(format!("expected a histogram for {}", s.metric));
            }
            Some(SeqValue::Omitted) | None => 0.0,
        };
        if !almost_equal(want, s.f, EPSILON) {
            return Err(format!(
                "expected {} for {} but got {}",
                fmt_f(want),
                s.metric,
                fmt_f(s.f)
            ));
        }
        if let Some(i) = exp.iter().position(|x| x.labels == s.metric) {
            seen[i] = true;
        }
    }
    match exp.iter().zip(&seen).find(|(_, s)| !**s) {
        Some((e, _)) => Err(format!(
            "expected metric {} with {} not found (got {})",
            e.labels,
            fmt_values(&e.values),
            fmt_vector(v)
        )),
        None => Ok(()),
    }
}

/// The times expected points sit at: a range query's steps, or an `expect range vector` grid.
/// An instant eval without such a grid cannot expect any point in a matrix.
fn grid(ev: &Eval) -> (i64, i64, i64) {
    if let Some(g) = ev.range_vector {
        return g;
    }
    match ev.kind {
        EvalKind::Range { start, end, step } => (start, end, step),
        EvalKind::Instant { t } => (t, i64::MIN, 0),
    }
}

fn compare_matrix(ev: &Eval, m: &Matrix) -> Result<(), String> {
    if ev.ordered {
        return Err("expected ordered result, but query returned a matrix".into());
    }
    let exp = expected_series(ev).map_err(|e| format!("{e}, but got a matrix"))?;
    assert_sorted(m)?;
    let (start, end, step) = grid(ev);
    let mut seen = vec![false; exp.len()];
    for s in m {
        let Some(i) = exp.iter().position(|e| e.labels == s.metric) else {
            return Err(format!(
                "unexpected metric {} in result, has {}",
                s.metric,
                fmt_points(&s.floats)
            ));
        };
        seen[i] = true;
        let e = &exp[i];
        let mut want = Vec::new();
        for (k, v) in e.values.iter().enumerate() {
            let t = start + k as i64 * step;
            if t > end {
                return Err(format!(
                    "expected {} points for {}, but query time range cannot return this many points",
                    e.values.len(),
                    e.labels
                ));
            }
            match v {
                SeqValue::Float(f) => want.push((t, *f)),
                SeqValue::Omitted => {}
                SeqValue::Histogram => {
                    return Err(format!("expected a histogram for {}", e.labels));
                }
            }
        }
        if want.len() != s.floats.len() {
            return Err(format!(
                "expected {} float points for {}, but got {}",
                want.len(),
                e.labels,
                fmt_points(&s.floats)
            ));
        }
        for (k, (&(wt, wf), &(gt, gf))) in want.iter().zip(&s.floats).enumerate() {
            if wt != gt {
                return Err(format!(
                    "expected float value at index {k} for {} to have timestamp {wt}, but it had timestamp {gt} (result has {})",
                    e.labels,
                    fmt_points(&s.floats)
                ));
            }
            if !almost_equal(wf, gf, EPSILON) {
                return Err(format!(
                    "expected float value at index {k} (t={gt}) for {} to be {}, but got {} (result has {})",
                    e.labels,
                    fmt_f(wf),
                    fmt_f(gf),
                    fmt_points(&s.floats)
                ));
            }
        }
    }
    match exp.iter().zip(&seen).find(|(_, s)| !**s) {
        Some((e, _)) => Err(format!("expected metric {} not found", e.labels)),
        None => Ok(()),
    }
}

/// Range query results are sorted by labels; upstream asserts it.
pub fn assert_sorted(m: &Matrix) -> Result<(), String> {
    for (i, w) in m.windows(2).enumerate() {
        if w[0].metric > w[1].metric {
            return Err(format!(
                "matrix results should always be sorted by labels, but series at index {} ({}) sorts before series at index {i} ({})",
                i + 1,
                w[1].metric,
                w[0].metric
            ));
        }
    }
    Ok(())
}

/// The range-mode check: the step at `t` of a range query from t-1m to t+1m must equal the
/// instant result. `instant_was_scalar` tells how to read the middle step.
pub fn compare_range_middle(
    ev: &Eval,
    range_value: &Value,
    t: i64,
    instant_was_scalar: bool,
) -> Result<(), String> {
    let Value::Matrix(m) = range_value else {
        return Err(format!(
            "range query returned a {}, not a matrix",
            range_value.type_name()
        ));
    };
    assert_sorted(m)?;
    let vec: Vec<Sample> = m
        .iter()
        .filter_map(|s| {
            s.floats.iter().find(|p| p.0 == t).map(|p| Sample {
                metric: s.metric.clone(),
                t: p.0,
                f: p.1,
            })
        })
        .collect();
    if instant_was_scalar {
        let Some(first) = vec.first() else {
            return Err(format!("range mode: no point at t={t} for a scalar query"));
        };
        return compare_result(ev, &Value::Scalar { t, v: first.f });
    }
    compare_vector(ev, &vec, false)
}

/// Checks annotations: `eval_warn`/`eval_info` want at least one; `expect warn|info` lines must
/// each match one and every annotation of that kind must match a line; `no_warn`/`no_info` want
/// none.
pub fn check_annotations(ev: &Eval, a: &Annotations) -> Result<(), String> {
    if ev.legacy_warn && a.warnings.is_empty() {
        return Err("expected warnings but got none".into());
    }
    if ev.legacy_info && a.infos.is_empty() {
        return Err("expected info annotations but got none".into());
    }
    check_kind("warn", &ev.warn, &a.warnings)?;
    check_kind("info", &ev.info, &a.infos)?;
    if ev.no_warn && !a.warnings.is_empty() {
        return Err(format!("unexpected warning annotations: {:?}", a.warnings));
    }
    if ev.no_info && !a.infos.is_empty() {
        return Err(format!("unexpected info annotations: {:?}", a.infos));
    }
    Ok(())
}

fn check_kind(kind: &str, expected: &[MsgMatch], actual: &[String]) -> Result<(), String> {
    if expected.is_empty() {
        return Ok(());
    }
    if actual.is_empty() {
        return Err(format!("expected {kind} annotations but none were found"));
    }
    for e in expected {
        if !actual.iter().any(|a| e.matches(a)) {
            return Err(format!(
                "expected {kind} annotation matching {e} but found only {actual:?}"
            ));
        }
    }
    for a in actual {
        if !expected.iter().any(|e| e.matches(a)) {
            return Err(format!("unexpected {kind} annotation {a:?}"));
        }
    }
    Ok(())
}

/// Checks an error against `expect fail`; `None` when the eval did not expect one.
pub fn check_failure(ev: &Eval, err: &str) -> Result<(), String> {
    match &ev.fail {
        None => Err(format!("unexpected error: {err}")),
        Some(m) if m.matches(err) => Ok(()),
        Some(m) => Err(format!("expected error matching {m}, but got: {err}")),
    }
}

pub fn fmt_f(f: f64) -> String {
    if is_stale(f) {
        "stale".into()
    } else if f.is_infinite() {
        if f > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else if f.is_nan() {
        "NaN".into()
    } else {
        format!("{f}")
    }
}

fn fmt_values(v: &[SeqValue]) -> String {
    let parts: Vec<String> = v
        .iter()
        .map(|x| match x {
            SeqValue::Float(f) => fmt_f(*f),
            SeqValue::Omitted => "_".into(),
            SeqValue::Histogram => "{{..}}".into(),
        })
        .collect();
    parts.join(" ")
}

fn fmt_points(p: &[(i64, f64)]) -> String {
    const MAX: usize = 8;
    let mut parts: Vec<String> = p
        .iter()
        .take(MAX)
        .map(|(t, f)| format!("{} @{t}", fmt_f(*f)))
        .collect();
    if p.len() > MAX {
        parts.push(format!("... ({} points)", p.len()));
    }
    format!("[{}]", parts.join(", "))
}

/// A short rendering of a vector for failure messages.
pub fn fmt_vector(v: &[Sample]) -> String {
    const MAX: usize = 6;
    let mut parts: Vec<String> = v
        .iter()
        .take(MAX)
        .map(|s| format!("{} {}", s.metric, fmt_f(s.f)))
        .collect();
    if v.len() > MAX {
        parts.push(format!("... ({} series)", v.len()));
    }
    format!("[{}]", parts.join(", "))
}

#[cfg(test)]
mod tests;
