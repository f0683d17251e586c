//! A runner for Prometheus's own PromQL test files (the `promqltest` language) against the
//! `promql` engine: [`parse`] reads the language ([`series_notation`] the `load` and result
//! notation, [`duration`] its durations), [`run`] executes a file over an in-memory storage with
//! upstream's extra `@` and range-mode checks ([`at_variant`]), [`compare`] applies upstream's
//! comparison rules, [`skip`] decides from the text which evals need features the engine does
//! not claim, and [`report`] prints the outcome.

pub mod at_variant;
pub mod compare;
pub mod duration;
pub mod parse;
pub mod report;
pub mod run;
pub mod series_notation;
pub mod skip;

use std::path::{Path, PathBuf};

pub use run::{FileResult, Outcome, run_file, upstream_engine_options};

/// The repository root, from this crate's manifest directory at compile time.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Our own test files, in `testsuites/promql`.
pub fn own_tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("promql")
}

/// Upstream's test files: `$PROMQLTEST_DIR`, else `../shared/testsuites/promqltest` beside the
/// repository root.
pub fn upstream_tests_dir() -> PathBuf {
    match std::env::var_os("PROMQLTEST_DIR") {
        Some(d) => PathBuf::from(d),
        None => repo_root().join("../shared/testsuites/promqltest"),
    }
}

/// The `.test` files in `dir`, sorted by name.
pub fn test_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "test"))
        .collect();
    files.sort();
    Ok(files)
}
