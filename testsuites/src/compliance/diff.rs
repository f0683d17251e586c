//! Comparing two answers as the official compliance tester does (`comparer/comparer.go`): the
//! same success or failure, the same result type, exactly the same label sets and millisecond
//! timestamps, and values equal within `|a-b| <= max(fraction * min(|a|,|b|), margin)`
//! (go-cmp's `EquateApprox`; the tester's defaults are fraction 1e-5 and margin 0), with NaN
//! equal to NaN. Series order is ignored, except for instant queries whose top level sorts.

use std::collections::BTreeMap;

use super::result::{Data, Outcome, Sample, Series, Val};
use crate::prom::{Labels, fmt_labels};

/// Value tolerance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    /// Relative tolerance, against the smaller magnitude.
    pub fraction: f64,
    /// Absolute tolerance.
    pub margin: f64,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance {
            fraction: 1e-5,
            margin: 0.0,
        }
    }
}

impl Tolerance {
    /// Whether two values count as equal.
    pub fn equal(&self, a: f64, b: f64) -> bool {
        if a == b || (a.is_nan() && b.is_nan()) {
            return true;
        }
        if !a.is_finite() || !b.is_finite() {
            return false;
        }
        (a - b).abs() <= (self.fraction * a.abs().min(b.abs())).max(self.margin)
    }
}

/// The comparison of one case.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Both answers agree.
    Match,
    /// They differ; the first difference found.
    Mismatch(String),
    /// The reference itself did not behave as the query list expects (a harness or data
    /// problem, not a finding about the server under test).
    ReferenceError(String),
}

/// Whether the order of an instant vector is part of the answer: the top level sorts (`sort`,
/// `sort_desc`) or is an ungrouped `topk`/`bottomk`, whose single group comes out ordered.
pub fn is_ordered(query: &str) -> bool {
    let q = query.trim();
    let head: String = q
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if !matches!(head.as_str(), "sort" | "sort_desc" | "topk" | "bottomk") {
        return false;
    }
    let call = q[head.len()..].trim_start();
    call.starts_with('(') && closing_paren(call) == Some(call.len() - 1)
}

/// Byte index of the parenthesis closing the one `s` starts with (quotes skipped).
fn closing_paren(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if let Some(q) = quote {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                c if c == q => quote = None,
                _ => {}
            }
            continue;
        }
        match c {
            '"' | '\'' | '`' => quote = Some(c),
            '(' => depth += 1,
            ')' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Compares the reference's and the test server's answers to one case.
///
/// A `should_fail` query must fail on both servers when the reference fails. Where the
/// reference succeeds on one anyway (a failure that depends on the data, such as duplicate
/// output series, cannot happen where no series are left), the answers are compared as for any
/// other query.
pub fn compare(
    reference: &Outcome,
    test: &Outcome,
    should_fail: bool,
    ordered: bool,
    tol: &Tolerance,
) -> Verdict {
    match (reference, test) {
        (Outcome::Error { .. }, _) if !should_fail => {
            Verdict::ReferenceError(format!("reference failed: {}", reference.summary()))
        }
        (Outcome::Error { .. }, Outcome::Error { .. }) => Verdict::Match,
        (Outcome::Error { .. }, Outcome::Success(d)) => Verdict::Mismatch(format!(
            "expected failure, test succeeded ({})",
            d.type_name()
        )),
        (Outcome::Success(_), Outcome::Error { .. }) => {
            Verdict::Mismatch(format!("test failed: {}", test.summary()))
        }
        (Outcome::Success(r), Outcome::Success(t)) => match compare_data(r, t, ordered, tol) {
            None => Verdict::Match,
            Some(d) => Verdict::Mismatch(d),
        },
    }
}

fn val_diff(what: &str, r: &Val, t: &Val, tol: &Tolerance) -> Option<String> {
    (!tol.equal(r.f, t.f)).then(|| format!("{what}: reference {} test {}", r.text, t.text))
}

fn compare_data(r: &Data, t: &Data, ordered: bool, tol: &Tolerance) -> Option<String> {
    match (r, t) {
        (Data::Scalar(rt, rv), Data::Scalar(tt, tv)) => {
            if rt != tt {
                return Some(format!("scalar time: reference {rt} test {tt}"));
            }
            val_diff("scalar", rv, tv, tol)
        }
        (Data::String(rt, rs), Data::String(tt, ts)) => (rt != tt || rs != ts)
            .then(|| format!("string: reference {rs:?}@{rt} test {ts:?}@{tt}")),
        (Data::Vector(rv), Data::Vector(tv)) => compare_vectors(rv, tv, ordered, tol),
        (Data::Matrix(rm), Data::Matrix(tm)) => compare_matrices(rm, tm, tol),
        _ => Some(format!(
            "resultType: reference {} test {}",
            r.type_name(),
            t.type_name()
        )),
    }
}

/// The first label set in one map and not the other.
fn label_set_diff<A, B>(
    r: &BTreeMap<&Labels, A>,
    t: &BTreeMap<&Labels, B>,
    what: &str,
) -> Option<String> {
    let missing = r.keys().find(|l| !t.contains_key(*l));
    let extra = t.keys().find(|l| !r.contains_key(*l));
    let counts = format!("reference {} {what}, test {}", r.len(), t.len());
    match (missing, extra) {
        (None, None) => None,
        (Some(m), None) => Some(format!("missing {}; {counts}", fmt_labels(m))),
        (None, Some(e)) => Some(format!("extra {}; {counts}", fmt_labels(e))),
        (Some(m), Some(e)) => Some(format!(
            "missing {}, extra {}; {counts}",
            fmt_labels(m),
            fmt_labels(e)
        )),
    }
}

fn compare_vectors(r: &[Sample], t: &[Sample], ordered: bool, tol: &Tolerance) -> Option<String> {
    let rm: BTreeMap<&Labels, &Sample> = r.iter().map(|s| (&s.labels, s)).collect();
    let tm: BTreeMap<&Labels, &Sample> = t.iter().map(|s| (&s.labels, s)).collect();
    if rm.len() != r.len() || tm.len() != t.len() {
        return Some(format!(
            "duplicate label sets: reference {} samples / {} sets, test {} / {}",
            r.len(),
            rm.len(),
            t.len(),
            tm.len()
        ));
    }
    if let Some(d) = label_set_diff(&rm, &tm, "samples") {
        return Some(d);
    }
    for (l, rs) in &rm {
        let ts = tm[l];
        if rs.t != ts.t {
            return Some(format!(
                "{}: time reference {} test {}",
                fmt_labels(l),
                rs.t,
                ts.t
            ));
        }
        if let Some(d) = val_diff(&fmt_labels(l), &rs.v, &ts.v, tol) {
            return Some(d);
        }
    }
    if ordered {
        // Ties may come in either order, so compare the value sequence, not the labels.
        for (i, (rs, ts)) in r.iter().zip(t).enumerate() {
            if !tol.equal(rs.v.f, ts.v.f) {
                return Some(format!(
                    "order at position {i}: reference {} {} test {} {}",
                    fmt_labels(&rs.labels),
                    rs.v.text,
                    fmt_labels(&ts.labels),
                    ts.v.text
                ));
            }
        }
    }
    None
}

fn compare_matrices(r: &[Series], t: &[Series], tol: &Tolerance) -> Option<String> {
    let rm: BTreeMap<&Labels, &Series> = r.iter().map(|s| (&s.labels, s)).collect();
    let tm: BTreeMap<&Labels, &Series> = t.iter().map(|s| (&s.labels, s)).collect();
    if rm.len() != r.len() || tm.len() != t.len() {
        return Some(format!(
            "duplicate label sets: reference {} series / {} sets, test {} / {}",
            r.len(),
            rm.len(),
            t.len(),
            tm.len()
        ));
    }
    let sets = label_set_diff(&rm, &tm, "series");
    let points = rm
        .iter()
        .filter_map(|(l, rs)| tm.get(l).and_then(|ts| series_diff(l, rs, ts, tol)))
        .next();
    match (sets, points) {
        (Some(s), Some(p)) => Some(format!("{s}; and {p}")),
        (s, p) => s.or(p),
    }
}

/// The first difference between two series with the same labels.
fn series_diff(l: &Labels, rs: &Series, ts: &Series, tol: &Tolerance) -> Option<String> {
    let name = fmt_labels(l);
    for (i, (rp, tp)) in rs.points.iter().zip(&ts.points).enumerate() {
        if rp.0 != tp.0 {
            return Some(format!(
                "{name}: point {i}: reference t={} v={} test t={} v={} ({} vs {} points)",
                rp.0,
                rp.1.text,
                tp.0,
                tp.1.text,
                rs.points.len(),
                ts.points.len()
            ));
        }
        if let Some(d) = val_diff(&format!("{name} @{}", rp.0), &rp.1, &tp.1, tol) {
            return Some(d);
        }
    }
    if rs.points.len() != ts.points.len() {
        let n = rs.points.len().min(ts.points.len());
        let first = |s: &Series| {
            s.points
                .get(n)
                .map(|(t, v)| format!("t={t} v={}", v.text))
                .unwrap_or_else(|| "nothing".into())
        };
        return Some(format!(
            "{name}: reference {} points, test {}; first unmatched: reference {} test {}",
            rs.points.len(),
            ts.points.len(),
            first(rs),
            first(ts)
        ));
    }
    None
}

#[cfg(test)]
#[path = "diff_tests.rs"]
mod tests;
