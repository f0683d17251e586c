//! Text report of a run: a per-file table, every skipped eval with its reason, every failure
//! with what was expected and what came back, and the totals.

use super::run::{FileResult, Outcome};
use std::fmt::Write;

/// What to print.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportOptions {
    /// Print full failure messages (otherwise cut to one short line).
    pub verbose: bool,
    /// Print only the failures, one line each, and the totals.
    pub failures_only: bool,
}

/// Totals over all files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

pub fn totals(results: &[FileResult]) -> Totals {
    results.iter().fold(Totals::default(), |t, r| Totals {
        passed: t.passed + r.passed(),
        failed: t.failed + r.failed(),
        skipped: t.skipped + r.skipped(),
    })
}

fn short(s: &str, verbose: bool) -> String {
    const MAX: usize = 400;
    let one_line = s.replace('\n', " ");
    if verbose || one_line.chars().count() <= MAX {
        return one_line;
    }
    let cut: String = one_line.chars().take(MAX).collect();
    format!("{cut}...")
}

/// Renders the report.
pub fn render(results: &[FileResult], opts: ReportOptions) -> String {
    let mut o = String::new();
    let t = totals(results);
    if !opts.failures_only {
        let width = results
            .iter()
            .map(|r| r.name.len())
            .max()
            .unwrap_or(4)
            .max(4);
        let _ = writeln!(
            o,
            "{:<width$}  {:>6}  {:>6}  {:>7}",
            "file", "passed", "failed", "skipped"
        );
        for r in results {
            let _ = writeln!(
                o,
                "{:<width$}  {:>6}  {:>6}  {:>7}",
                r.name,
                r.passed(),
                r.failed(),
                r.skipped()
            );
        }
        let _ = writeln!(
            o,
            "{:<width$}  {:>6}  {:>6}  {:>7}",
            "TOTAL", t.passed, t.failed, t.skipped
        );

        let skipped: Vec<_> = results
            .iter()
            .flat_map(|r| r.evals.iter().map(move |e| (r, e)))
            .filter_map(|(r, e)| match &e.outcome {
                Outcome::Skip(why) => Some((r, e, why)),
                _ => None,
            })
            .collect();
        if !skipped.is_empty() {
            let _ = writeln!(o, "\nSkipped ({}):", skipped.len());
            for (r, e, why) in skipped {
                let _ = writeln!(
                    o,
                    "  {}:{}: {} -- {}",
                    r.name,
                    e.line,
                    why,
                    short(&e.query, false)
                );
            }
        }
        let notes: Vec<_> = results
            .iter()
            .flat_map(|r| r.evals.iter().map(move |e| (r, e)))
            .filter_map(|(r, e)| e.note.as_ref().map(|n| (r, e, n)))
            .collect();
        if !notes.is_empty() {
            let _ = writeln!(o, "\n@ variants not run ({}):", notes.len());
            for (r, e, n) in notes {
                let _ = writeln!(o, "  {}:{}: {}", r.name, e.line, short(n, opts.verbose));
            }
        }
    }
    let failures: Vec<_> = results
        .iter()
        .flat_map(|r| r.evals.iter().map(move |e| (r, e)))
        .filter_map(|(r, e)| match &e.outcome {
            Outcome::Fail(why) => Some((r, e, why)),
            _ => None,
        })
        .collect();
    let file_errors: Vec<_> = results
        .iter()
        .filter_map(|r| r.error.as_ref().map(|e| (r, e)))
        .collect();
    if !failures.is_empty() || !file_errors.is_empty() {
        let _ = writeln!(o, "\nFailures ({}):", failures.len() + file_errors.len());
        for (r, e) in file_errors {
            let _ = writeln!(o, "  {}: {}", r.name, e);
        }
        for (r, e, why) in failures {
            if opts.failures_only {
                let _ = writeln!(
                    o,
                    "  {}:{}: {} -- {}",
                    r.name,
                    e.line,
                    short(&e.query, false),
                    short(why, opts.verbose)
                );
            } else {
                let _ = writeln!(
                    o,
                    "  {}:{}: {}\n      {}",
                    r.name,
                    e.line,
                    short(&e.query, opts.verbose),
                    short(why, opts.verbose)
                );
            }
        }
    }
    let _ = writeln!(
        o,
        "\npromqltest: {} passed, {} failed, {} skipped ({} evals in {} files)",
        t.passed,
        t.failed,
        t.skipped,
        t.passed + t.failed + t.skipped,
        results.len()
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promqltest::run::EvalResult;

    fn ev(line: usize, outcome: Outcome) -> EvalResult {
        EvalResult {
            line,
            query: "q".into(),
            outcome,
            note: None,
        }
    }

    #[test]
    fn lists_skips_failures_and_totals() {
        let r = vec![FileResult {
            name: "a.test".into(),
            evals: vec![
                ev(3, Outcome::Pass),
                ev(7, Outcome::Fail("expected 1 got 2".into())),
                ev(9, Outcome::Skip("native histograms".into())),
            ],
            error: None,
        }];
        assert_eq!(
            totals(&r),
            Totals {
                passed: 1,
                failed: 1,
                skipped: 1
            }
        );
        let text = render(&r, ReportOptions::default());
        assert!(text.contains("a.test:9: native histograms"), "{text}");
        assert!(text.contains("a.test:7: q"), "{text}");
        assert!(text.contains("expected 1 got 2"), "{text}");
        assert!(text.contains("1 passed, 1 failed, 1 skipped"), "{text}");
        let compact = render(
            &r,
            ReportOptions {
                verbose: false,
                failures_only: true,
            },
        );
        assert!(!compact.contains("a.test:9"), "{compact}");
        assert!(
            compact.contains("a.test:7: q -- expected 1 got 2"),
            "{compact}"
        );
    }
}
