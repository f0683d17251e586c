//! Runs Prometheus's PromQL test files (the `promqltest` language) against our engine.
//!
//! ```text
//! promqltest [--dir DIR]... [--file F]... [--verbose] [--list-failures-only] [--allow-failures]
//! ```
//!
//! Without `--dir`/`--file` it runs `$PROMQLTEST_DIR` (default: `../shared/testsuites/promqltest`
//! beside the repository root) and our own files in `testsuites/promql`. Prints per-file counts,
//! every skipped eval with its reason, every failure, and the totals. Exits 1 when an eval that
//! was not skipped failed (unless `--allow-failures`), 2 on bad usage or unreadable files.

use promql::Engine;
use std::path::PathBuf;
use std::process::ExitCode;
use strata_testsuites::promqltest::{
    self, FileResult,
    report::{self, ReportOptions},
};

#[derive(Debug, Default)]
struct Args {
    dirs: Vec<PathBuf>,
    files: Vec<PathBuf>,
    report: ReportOptions,
    allow_failures: bool,
}

const USAGE: &str = "usage: promqltest [--dir DIR]... [--file F]... [--verbose] [--list-failures-only] [--allow-failures]";

fn parse_args() -> Result<Args, String> {
    let mut a = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--dir" => a.dirs.push(it.next().ok_or("--dir needs a value")?.into()),
            "--file" => a
                .files
                .push(it.next().ok_or("--file needs a value")?.into()),
            "--verbose" | "-v" => a.report.verbose = true,
            "--list-failures-only" | "--failures-only" => a.report.failures_only = true,
            "--allow-failures" => a.allow_failures = true,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if a.dirs.is_empty() && a.files.is_empty() {
        a.dirs = vec![
            promqltest::upstream_tests_dir(),
            promqltest::own_tests_dir(),
        ];
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut files = args.files.clone();
    for d in &args.dirs {
        match promqltest::test_files(d) {
            Ok(f) => files.extend(f),
            Err(e) => {
                eprintln!("promqltest: cannot read {}: {e}", d.display());
                return ExitCode::from(2);
            }
        }
    }
    // Engine panics are caught and reported as failures; keep the default hook from printing
    // a backtrace banner for each.
    std::panic::set_hook(Box::new(|_| {}));
    let engine = Engine::new(promqltest::upstream_engine_options());
    let started = std::time::Instant::now();
    let mut results: Vec<FileResult> = Vec::new();
    for f in &files {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("promqltest: cannot read {}: {e}", f.display());
                return ExitCode::from(2);
            }
        };
        let name = f.file_name().map_or_else(
            || f.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        results.push(promqltest::run_file(&name, &text, &engine));
    }
    print!("{}", report::render(&results, args.report));
    println!("ran in {:.2?}", started.elapsed());
    let t = report::totals(&results);
    if t.failed > 0 && !args.allow_failures {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
