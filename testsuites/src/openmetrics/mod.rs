//! The official OpenMetrics parser test cases (`prometheus/OpenMetrics`,
//! `tests/testdata/parsers/`) run against our exposition parser: each case is a folder with an
//! exposition in `metrics` and a `test.json` saying whether it must parse.

pub use compat::exposition;

use std::path::{Path, PathBuf};

use exposition::{Format, ParseOptions, Validation};

use crate::{Error, Result, fail};

/// The cases' folder: `$OPENMETRICS_TESTS_DIR`, else `../shared/testsuites/openmetrics` beside
/// the repository root. Either the `parsers` folder or its parent may be given.
pub fn tests_dir() -> PathBuf {
    let base = match std::env::var_os("OPENMETRICS_TESTS_DIR") {
        Some(d) => PathBuf::from(d),
        None => crate::env::workspace_root().join("../shared/testsuites/openmetrics"),
    };
    let parsers = base.join("parsers");
    if parsers.is_dir() { parsers } else { base }
}

/// One test case.
#[derive(Debug, Clone)]
pub struct Case {
    /// The folder name, e.g. `bad_histograms_3`.
    pub name: String,
    pub should_parse: bool,
    pub body: Vec<u8>,
}

/// Every case under `dir`, sorted by name.
pub fn load_cases(dir: &Path) -> Result<Vec<Case>> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| Error::io(format!("reading {}", dir.display()), e))?;
    let mut cases = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(format!("reading {}", dir.display()), e))?;
        let case_dir = entry.path();
        let spec_path = case_dir.join("test.json");
        if !spec_path.is_file() {
            continue;
        }
        let read = |p: &Path| {
            std::fs::read(p).map_err(|e| Error::io(format!("reading {}", p.display()), e))
        };
        let spec: serde_json::Value = serde_json::from_slice(&read(&spec_path)?)
            .map_err(|e| fail!("{}: {e}", spec_path.display()))?;
        let should_parse = spec["shouldParse"]
            .as_bool()
            .ok_or_else(|| fail!("{}: no boolean shouldParse", spec_path.display()))?;
        let file = spec["file"].as_str().unwrap_or("metrics");
        cases.push(Case {
            name: entry.file_name().to_string_lossy().into_owned(),
            should_parse,
            body: read(&case_dir.join(file))?,
        });
    }
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(cases)
}

/// What our parser did with one case.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub name: String,
    pub should_parse: bool,
    /// `Ok(samples)` or the parse error.
    pub result: std::result::Result<usize, String>,
}

impl Outcome {
    pub fn as_expected(&self) -> bool {
        self.result.is_ok() == self.should_parse
    }
}

/// Parses one case as OpenMetrics with `validation`.
pub fn run_case(case: &Case, validation: Validation) -> Outcome {
    let options = ParseOptions {
        validation,
        ..ParseOptions::default()
    };
    let result = exposition::parse(&case.body, Format::OpenMetrics, &options)
        .map(|s| s.samples.len())
        .map_err(|e| e.to_string());
    Outcome {
        name: case.name.clone(),
        should_parse: case.should_parse,
        result,
    }
}
