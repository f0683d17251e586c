//! Runs Strata's own promqltest files (`testsuites/promql/*.test`) against the engine and fails
//! on any failure. Needs nothing outside the repository.

use promql::Engine;
use strata_testsuites::promqltest::{self, Outcome, report};

#[test]
fn own_promqltest_files_pass() {
    let dir = promqltest::own_tests_dir();
    let files = promqltest::test_files(&dir).expect("testsuites/promql is readable");
    assert!(
        files.len() >= 2,
        "expected our own .test files in {}",
        dir.display()
    );
    let engine = Engine::new(promqltest::upstream_engine_options());
    let mut results = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("test file is readable");
        let name = f
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        results.push(promqltest::run_file(&name, &text, &engine));
    }
    let totals = report::totals(&results);
    let text = report::render(&results, report::ReportOptions::default());
    assert_eq!(totals.failed, 0, "{text}");
    // Our files use no feature the runner skips; a skip here means a rule misfired.
    assert_eq!(totals.skipped, 0, "{text}");
    assert!(totals.passed >= 40, "too few evals ran:\n{text}");
    for r in &results {
        assert!(r.evals.iter().all(|e| e.outcome == Outcome::Pass), "{text}");
    }
}
