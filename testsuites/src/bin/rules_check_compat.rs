//! `strata check rules` against `promtool check rules` on the rule files in `testsuites/rules/`.
//!
//!   rules_check_compat [--allow-failures]
//!
//! Each file runs through both tools. They must agree on the exit status and, for a file that
//! passes, on the `SUCCESS: N rules found` line; for a file that fails, both error reports are
//! printed side by side when they differ (wording only counts towards "the same report", since
//! Strata's PromQL parser words syntax errors its own way; blank lines on stdout are ignored,
//! where Prometheus 2 and 3 differ). File names say what the file is
//! meant to be (`good_*`, `bad_*`, `lint_*`), and the reference is held to that too, so a test
//! file that does not test what it claims is caught. Prints "N/M agreed"; exit status 1 on any
//! disagreement, unless `--allow-failures` (or `RULES_CHECK_ALLOW_FAILURES=1`).
//!
//! The reference is whatever promtool is installed (Debian's 2.42 here); the files stick to
//! what Prometheus 2.42 and 3 judge alike (no group `labels`, no `query_offset`, no names that
//! only UTF-8 name validation accepts).
//!
//! Environment: `RULES_CHECK_DIR` (default `testsuites/rules`), `STRATA_BIN`, `PROMTOOL_BIN`,
//! `KEEP_TMP=1`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use strata_testsuites::compliance::promtool::{self, Output};
use strata_testsuites::{Error, Result, env, fail, peers};

/// Longest either tool may take on one file.
const TIMEOUT: Duration = Duration::from_secs(30);

fn main() {
    strata_testsuites::run_suite("rules_check_compat", run)
}

/// What a file is meant to be, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Intent {
    /// Passes: exit 0, `SUCCESS`.
    Good,
    /// Has errors: exit 1.
    Bad,
    /// Only lint problems: exit 0 with `FAILED` on stderr.
    Lint,
}

fn intent(name: &str) -> Option<Intent> {
    if name.starts_with("good_") {
        Some(Intent::Good)
    } else if name.starts_with("bad_") {
        Some(Intent::Bad)
    } else if name.starts_with("lint_") {
        Some(Intent::Lint)
    } else {
        None
    }
}

/// The `SUCCESS: N rules found` count, if printed.
fn rules_found(o: &Output) -> Option<usize> {
    o.stdout.lines().find_map(|l| {
        l.trim()
            .strip_prefix("SUCCESS: ")?
            .strip_suffix(" rules found")?
            .parse()
            .ok()
    })
}

fn code(o: &Output) -> String {
    o.code.map_or("killed".into(), |c| c.to_string())
}

/// Whether `o` is what a file of this intent must give.
fn fits(o: &Output, i: Intent) -> bool {
    match i {
        Intent::Good => o.code == Some(0) && rules_found(o).is_some(),
        Intent::Bad => o.code == Some(1),
        Intent::Lint => {
            o.code == Some(0) && o.stderr.contains("FAILED") && rules_found(o).is_none()
        }
    }
}

/// Why the two outputs disagree; `None` when they agree.
fn disagreement(reference: &Output, strata: &Output) -> Option<String> {
    if reference.code != strata.code {
        return Some(format!(
            "exit status: promtool {}, strata {}",
            code(reference),
            code(strata)
        ));
    }
    let (r, s) = (rules_found(reference), rules_found(strata));
    if r != s {
        return Some(format!("rules found: promtool {r:?}, strata {s:?}"));
    }
    if reference.stderr.trim().is_empty() != strata.stderr.trim().is_empty() {
        return Some("only one of them reported a failure on stderr".into());
    }
    None
}

fn nonblank(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.trim().is_empty()).collect()
}

fn indent(text: &str, by: &str) -> String {
    if text.trim().is_empty() {
        return format!("{by}(nothing)");
    }
    text.trim_end()
        .lines()
        .map(|l| format!("{by}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn rule_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| Error::io(format!("reading {}", dir.display()), e))?;
    let mut files = Vec::new();
    for entry in entries {
        let p = entry
            .map_err(|e| Error::io(format!("reading {}", dir.display()), e))?
            .path();
        if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
            files.push(p);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(fail!("no rule files in {}", dir.display()));
    }
    Ok(files)
}

fn run() -> Result<bool> {
    let mut allow_failures = env::flag("RULES_CHECK_ALLOW_FAILURES");
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--allow-failures" => allow_failures = true,
            other => return Err(fail!("unknown argument {other:?}")),
        }
    }
    let default_dir = env::workspace_root().join("testsuites/rules");
    let dir = PathBuf::from(env::string(
        "RULES_CHECK_DIR",
        &default_dir.to_string_lossy(),
    ));
    let promtool_bin = promtool::promtool_bin()?;
    let strata_bin = peers::strata_bin()?;
    let mut work = env::WorkDir::new("rules_check_compat")?;
    let files = rule_files(&dir)?;

    let (mut agreed, mut same_text) = (0, 0);
    for file in &files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let args = |pre: &[&str]| -> Vec<String> {
            pre.iter()
                .map(|s| s.to_string())
                .chain([file.to_string_lossy().into_owned()])
                .collect()
        };
        let reference = promtool::run(
            &promtool_bin,
            &args(&["check", "rules"]),
            "",
            work.path(),
            TIMEOUT,
        )?;
        let strata = promtool::run(
            &strata_bin,
            &args(&["check", "rules"]),
            "",
            work.path(),
            TIMEOUT,
        )?;
        // Messages name the file as given; show it by its bare name.
        let full = file.to_string_lossy().into_owned();
        let relative = |o: Output| Output {
            code: o.code,
            stdout: o.stdout.replace(&full, &name),
            stderr: o.stderr.replace(&full, &name),
        };
        let (reference, strata) = (relative(reference), relative(strata));

        let mut problem = disagreement(&reference, &strata);
        if let Some(i) = intent(&name) {
            if !fits(&reference, i) {
                problem = Some(format!(
                    "REFERENCE does not treat the file as {i:?} (exit {})",
                    code(&reference)
                ));
            }
        } else {
            problem.get_or_insert_with(|| "file name must start with good_, bad_ or lint_".into());
        }
        // Prometheus 2 printed a blank line after a file that failed to parse and 3 does not,
        // so stdout is compared without blank lines.
        let same_stdout = nonblank(&reference.stdout) == nonblank(&strata.stdout);
        let same_stderr = reference.stderr == strata.stderr;
        same_text += usize::from(same_stdout && same_stderr);
        match &problem {
            None => {
                agreed += 1;
                println!(
                    "ok    {name}: exit {}{}",
                    code(&strata),
                    if same_stdout && same_stderr {
                        ", same report"
                    } else {
                        ""
                    }
                );
            }
            Some(why) => println!("FAIL  {name}: {why}"),
        }
        if !same_stderr {
            println!(
                "      promtool stderr:\n{}",
                indent(&reference.stderr, "        | ")
            );
            println!(
                "      strata stderr:\n{}",
                indent(&strata.stderr, "        | ")
            );
        }
        if !same_stdout {
            println!(
                "      promtool stdout:\n{}",
                indent(&reference.stdout, "        | ")
            );
            println!(
                "      strata stdout:\n{}",
                indent(&strata.stdout, "        | ")
            );
        }
    }
    println!(
        "{agreed}/{} agreed ({same_text} with the same report)",
        files.len()
    );
    let passed = agreed == files.len();
    if passed {
        work.succeeded();
    }
    Ok(passed || allow_failures)
}
