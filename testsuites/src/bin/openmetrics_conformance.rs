//! Runs the official OpenMetrics parser test cases against our OpenMetrics parser.
//!
//! ```text
//! openmetrics_conformance [--dir DIR] [--prometheus-rules] [--verbose] [--allow-failures]
//! ```
//!
//! Cases come from `--dir`, else `$OPENMETRICS_TESTS_DIR`, else
//! `../shared/testsuites/openmetrics` beside the repository root. By default the parser runs
//! with the OpenMetrics specification's rules (what the cases test); `--prometheus-rules` runs
//! it as scraping does, with only what Prometheus enforces, to show how far apart they are.
//! Prints each case that did not go as marked, then `N/M as expected`; exits 1 on any
//! mismatch (unless `--allow-failures`), 2 on bad usage or unreadable cases.

use std::path::PathBuf;
use std::process::ExitCode;

use strata_testsuites::openmetrics::{self, exposition::Validation};

const USAGE: &str = "usage: openmetrics_conformance [--dir DIR] [--prometheus-rules] [--verbose] [--allow-failures]";

fn main() -> ExitCode {
    let mut dir: Option<PathBuf> = None;
    let mut validation = Validation::OpenMetricsSpec;
    let mut verbose = false;
    let mut allow_failures = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dir" => match args.next() {
                Some(d) => dir = Some(d.into()),
                None => {
                    eprintln!("--dir needs a value\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            "--prometheus-rules" => validation = Validation::Prometheus,
            "--verbose" | "-v" => verbose = true,
            "--allow-failures" => allow_failures = true,
            "--help" | "-h" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("unknown argument {other:?}\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let dir = dir.unwrap_or_else(openmetrics::tests_dir);
    let cases = match openmetrics::load_cases(&dir) {
        Ok(c) if !c.is_empty() => c,
        Ok(_) => {
            eprintln!("no test cases in {}", dir.display());
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut ok = 0;
    for case in &cases {
        let outcome = openmetrics::run_case(case, validation);
        let expected = if outcome.should_parse {
            "accept"
        } else {
            "reject"
        };
        let got = match &outcome.result {
            Ok(n) => format!("accepted ({n} samples)"),
            Err(e) => format!("rejected: {e}"),
        };
        if outcome.as_expected() {
            ok += 1;
            if verbose {
                println!("ok       {}: {got}", outcome.name);
            }
        } else {
            println!("MISMATCH {}: expected {expected}, {got}", outcome.name);
        }
    }
    println!(
        "openmetrics_conformance ({}): {ok}/{} as expected",
        match validation {
            Validation::OpenMetricsSpec => "OpenMetrics spec rules",
            Validation::Prometheus => "Prometheus rules",
        },
        cases.len()
    );
    if ok == cases.len() || allow_failures {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
