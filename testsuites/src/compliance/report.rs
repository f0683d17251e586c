//! The run's summary: counts per query class and per evaluation mode, totals, the mismatches
//! with their first difference, the exclusions with their reasons, and the latency line.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::diff::Verdict;
use super::plan::{EXCLUSIONS, Mode};
use super::queries::Query;
use super::runner::{CaseResult, Timing};

/// Counts over a set of cases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Cases compared (not excluded).
    pub compared: usize,
    /// Compared cases that matched.
    pub matched: usize,
    /// Cases left out by design.
    pub excluded: usize,
    /// Cases where the reference itself misbehaved.
    pub reference_errors: usize,
}

impl Counts {
    fn add(&mut self, c: &CaseResult) {
        if c.excluded.is_some() {
            self.excluded += 1;
            return;
        }
        self.compared += 1;
        match c.verdict {
            Verdict::Match => self.matched += 1,
            Verdict::ReferenceError(_) => self.reference_errors += 1,
            Verdict::Mismatch(_) => {}
        }
    }

    /// Compared cases that did not match.
    pub fn failed(&self) -> usize {
        self.compared - self.matched
    }
}

/// Per-query verdicts: a query matches when every compared case of it matched.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueryCounts {
    /// Queries with at least one compared case.
    pub compared: usize,
    /// Of those, the ones with every compared case matching.
    pub matched: usize,
    /// Queries whose every case is excluded.
    pub excluded: usize,
}

/// Case counts over everything.
pub fn totals(results: &[CaseResult]) -> Counts {
    let mut c = Counts::default();
    results.iter().for_each(|r| c.add(r));
    c
}

/// Query-level counts.
pub fn query_totals(queries: &[Query], results: &[CaseResult]) -> QueryCounts {
    let per = per_query(queries.len(), results);
    let mut q = QueryCounts::default();
    for c in per {
        if c.compared == 0 {
            q.excluded += 1;
        } else {
            q.compared += 1;
            if c.failed() == 0 {
                q.matched += 1;
            }
        }
    }
    q
}

fn per_query(n: usize, results: &[CaseResult]) -> Vec<Counts> {
    let mut per = vec![Counts::default(); n];
    for r in results {
        per[r.query].add(r);
    }
    per
}

fn pct(a: usize, b: usize) -> String {
    if b == 0 {
        "-".to_string()
    } else {
        format!("{:.1}%", 100.0 * a as f64 / b as f64)
    }
}

/// Renders the whole report.
pub fn render(
    queries: &[Query],
    modes: &[Mode],
    results: &[CaseResult],
    timing: &Timing,
    test_name: &str,
) -> String {
    let mut out = String::new();
    let per_q = per_query(queries.len(), results);

    // Per class, in the order the list introduces them.
    let mut order: Vec<&str> = Vec::new();
    let mut classes: BTreeMap<&str, (Counts, QueryCounts)> = BTreeMap::new();
    for (qi, q) in queries.iter().enumerate() {
        let class = if q.section.is_empty() {
            "(none)"
        } else {
            q.section.as_str()
        };
        if !classes.contains_key(class) {
            order.push(class);
        }
        let e = classes.entry(class).or_default();
        let c = per_q[qi];
        e.0.compared += c.compared;
        e.0.matched += c.matched;
        e.0.excluded += c.excluded;
        e.0.reference_errors += c.reference_errors;
        if c.compared == 0 {
            e.1.excluded += 1;
        } else {
            e.1.compared += 1;
            e.1.matched += usize::from(c.failed() == 0);
        }
    }
    let _ = writeln!(out, "== per query class");
    let _ = writeln!(
        out,
        "{:<36} {:>16} {:>20} {:>9}",
        "class", "queries matched", "cases matched", "excluded"
    );
    for class in &order {
        let (c, q) = classes[class];
        let _ = writeln!(
            out,
            "{:<36} {:>16} {:>20} {:>9}",
            class,
            format!("{}/{}", q.matched, q.compared),
            format!(
                "{}/{} {}",
                c.matched,
                c.compared,
                pct(c.matched, c.compared)
            ),
            c.excluded
        );
    }

    let _ = writeln!(out, "\n== per evaluation mode");
    for (mi, m) in modes.iter().enumerate() {
        let mut c = Counts::default();
        results
            .iter()
            .filter(|r| r.mode == mi)
            .for_each(|r| c.add(r));
        let _ = writeln!(
            out,
            "{:<28} {:>12} {:>7}  {}",
            m.name,
            format!("{}/{}", c.matched, c.compared),
            pct(c.matched, c.compared),
            m.what
        );
    }

    let t = totals(results);
    let q = query_totals(queries, results);
    let _ = writeln!(out, "\n== totals ({test_name} against prometheus 2.42)");
    let _ = writeln!(
        out,
        "cases: {}/{} matched ({} excluded, {} reference errors)",
        t.matched, t.compared, t.excluded, t.reference_errors
    );
    let _ = writeln!(
        out,
        "queries: {}/{} matched ({} excluded)",
        q.matched, q.compared, q.excluded
    );

    render_failures(&mut out, queries, modes, results, &per_q);

    let _ = writeln!(out, "\n== exclusions");
    for ex in EXCLUSIONS {
        let qs: Vec<&str> = per_q
            .iter()
            .enumerate()
            .filter(|(qi, c)| {
                c.excluded > 0
                    && results
                        .iter()
                        .any(|r| r.query == *qi && r.excluded.map(|e| e.name) == Some(ex.name))
            })
            .map(|(qi, _)| queries[qi].text.as_str())
            .collect();
        let _ = writeln!(out, "{} ({} queries): {}", ex.name, qs.len(), ex.reason);
        for q in qs {
            let _ = writeln!(out, "    {q}");
        }
    }

    let _ = writeln!(
        out,
        "\n== latency ({} requests per server)",
        timing.requests
    );
    let _ = writeln!(out, "{}", latency_line(timing, test_name));
    out
}

/// `strata total X s, prometheus total Y s, ratio R`.
pub fn latency_line(timing: &Timing, test_name: &str) -> String {
    let (t, r) = (timing.test.as_secs_f64(), timing.reference.as_secs_f64());
    let name = test_name.split(' ').next().unwrap_or(test_name);
    format!(
        "{name} total {t:.2} s, prometheus total {r:.2} s, ratio {}",
        if r > 0.0 {
            format!("{:.2}", t / r)
        } else {
            "-".to_string()
        }
    )
}

fn render_failures(
    out: &mut String,
    queries: &[Query],
    modes: &[Mode],
    results: &[CaseResult],
    per_q: &[Counts],
) {
    let failing: Vec<usize> = (0..queries.len())
        .filter(|qi| per_q[*qi].failed() > 0)
        .collect();
    let _ = writeln!(out, "\n== mismatches ({} queries)", failing.len());
    for qi in failing {
        let q = &queries[qi];
        let bad: Vec<&CaseResult> = results
            .iter()
            .filter(|r| r.query == qi && r.excluded.is_none() && r.verdict != Verdict::Match)
            .collect();
        let _ = writeln!(out, "[{}] {}", q.section, q.text);
        if let Some(first) = bad.first() {
            let what = match &first.verdict {
                Verdict::Mismatch(d) => d.clone(),
                Verdict::ReferenceError(d) => format!("REFERENCE: {d}"),
                Verdict::Match => String::new(),
            };
            let _ = writeln!(out, "    {}: {}", modes[first.mode].name, what);
        }
        if bad.len() > 1 {
            let others: Vec<&str> = bad[1..].iter().map(|r| modes[r.mode].name).collect();
            let _ = writeln!(out, "    also in: {}", others.join(", "));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compliance::plan::UTF8_LABEL_NAMES;

    fn q(text: &str, section: &str) -> Query {
        Query {
            text: text.into(),
            template: text.into(),
            should_fail: false,
            skip_comparison: false,
            section: section.into(),
        }
    }

    fn case(query: usize, mode: usize, verdict: Verdict, excluded: bool) -> CaseResult {
        CaseResult {
            query,
            mode,
            verdict,
            excluded: excluded.then_some(UTF8_LABEL_NAMES),
        }
    }

    #[test]
    fn counts_cases_and_queries() {
        let queries = vec![q("a", "One"), q("b", "One"), q("c", "Two")];
        let bad = || Verdict::Mismatch("x differs".into());
        let results = vec![
            case(0, 0, Verdict::Match, false),
            case(0, 1, Verdict::Match, false),
            case(1, 0, Verdict::Match, false),
            case(1, 1, bad(), false),
            case(2, 0, bad(), true),
            case(2, 1, Verdict::Match, true),
        ];
        let t = totals(&results);
        assert_eq!(
            t,
            Counts {
                compared: 4,
                matched: 3,
                excluded: 2,
                reference_errors: 0
            }
        );
        assert_eq!(t.failed(), 1);
        assert_eq!(
            query_totals(&queries, &results),
            QueryCounts {
                compared: 2,
                matched: 1,
                excluded: 1
            }
        );
        let modes = crate::compliance::plan::modes(&crate::compliance::data::Timeline::ending_at(
            1_700_000_000_000,
            2,
        ));
        let text = render(
            &queries,
            &modes[..2],
            &results,
            &Timing::default(),
            "strata",
        );
        assert!(text.contains("cases: 3/4 matched (2 excluded"), "{text}");
        assert!(text.contains("queries: 1/2 matched (1 excluded)"), "{text}");
        assert!(text.contains("== mismatches (1 queries)\n[One] b\n    range-1h: x differs"));
        assert!(text.contains("utf8-label-names (1 queries)"));
        assert!(text.contains("strata total 0.00 s, prometheus total 0.00 s, ratio -"));
    }
}
