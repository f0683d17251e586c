//! `strata check rules`: validates rule files and reports like `promtool check rules`.
//!
//! For each file: `Checking FILE` on stdout; then either `  SUCCESS: N rules found` on stdout,
//! or `  FAILED:` and one error per line on stderr; a blank line on stdout follows each file
//! except one that failed to parse (Prometheus 3 skips it there). The duplicate-rules lint
//! (`--lint=duplicate-rules`, promtool's default) reports as a failure but, not being fatal by
//! default, does not change the exit status. Exit status: 1 if any file has errors, 3 if only
//! lint problems were found and lint is fatal, else 0.

use super::file::{self, NameValidation, RuleFile};
use std::io::{Read, Write};
use std::path::PathBuf;

/// promtool's lint settings for `check rules`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckOptions {
    /// `--lint=duplicate-rules` (the default) versus `--lint=none`.
    pub lint_duplicates: bool,
    /// `--lint-fatal`: lint problems exit with status 3.
    pub lint_fatal: bool,
    pub names: NameValidation,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            lint_duplicates: true,
            lint_fatal: false,
            names: NameValidation::Utf8,
        }
    }
}

/// Which of promtool's streams a line goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stream {
    Out,
    Err,
}

/// Checks `files` with promtool's defaults, writing both of promtool's streams, in order, to
/// `out`. True when promtool would exit 0.
pub fn check_rules(files: &[PathBuf], out: &mut dyn Write) -> bool {
    let mut emit = |_: Stream, s: &str| {
        // A failed write of the report cannot be reported anywhere better.
        let _ = out.write_all(s.as_bytes());
    };
    run_with(files, &CheckOptions::default(), None, &mut emit) == 0
}

/// The command itself: checks `files` (standard input when empty) writing to `stdout` and
/// `stderr` as promtool does, and returns the exit status.
pub fn run(
    files: &[PathBuf],
    opts: &CheckOptions,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> i32 {
    let mut stdin_text = None;
    if files.is_empty() {
        let mut text = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut text) {
            let _ = writeln!(stdout, "Checking standard input");
            let _ = writeln!(stderr, "  FAILED: {e}");
            return 1;
        }
        stdin_text = Some(text);
    }
    let mut emit = |to: Stream, s: &str| {
        let w: &mut dyn Write = match to {
            Stream::Out => &mut *stdout,
            Stream::Err => &mut *stderr,
        };
        let _ = w.write_all(s.as_bytes());
    };
    run_with(files, opts, stdin_text.as_deref(), &mut emit)
}

fn run_with(
    files: &[PathBuf],
    opts: &CheckOptions,
    stdin: Option<&str>,
    emit: &mut dyn FnMut(Stream, &str),
) -> i32 {
    let mut failed = false;
    let mut has_errors = false;
    let inputs: Vec<(String, Option<&PathBuf>)> = match stdin {
        Some(_) => vec![("standard input".to_string(), None)],
        None => files
            .iter()
            .map(|f| (f.display().to_string(), Some(f)))
            .collect(),
    };
    for (shown, path) in inputs {
        emit(Stream::Out, &format!("Checking {shown}\n"));
        let parsed = match (path, stdin) {
            (Some(p), _) => read_with(p, opts.names)
                .map_err(|es| es.iter().map(ToString::to_string).collect::<Vec<_>>()),
            // Messages about standard input carry no file name.
            (None, text) => file::parse_rule_file_with(
                std::path::Path::new(""),
                text.unwrap_or_default(),
                opts.names,
            )
            .map_err(|es| es.into_iter().map(|e| e.message).collect()),
        };
        let rf = match parsed {
            Ok(rf) => rf,
            Err(msgs) => {
                failed = true;
                has_errors = true;
                emit(Stream::Err, "  FAILED:\n");
                for m in msgs {
                    emit(Stream::Err, &format!("{m}\n"));
                }
                continue;
            }
        };
        match duplicates_lint(&rf, opts) {
            Some(msg) => {
                failed = true;
                emit(Stream::Err, "  FAILED:\n");
                emit(Stream::Err, &format!("{msg}\n"));
            }
            None => emit(
                Stream::Out,
                &format!("  SUCCESS: {} rules found\n", rf.rule_count()),
            ),
        }
        emit(Stream::Out, "\n");
    }
    if failed && has_errors {
        1
    } else if failed && opts.lint_fatal {
        3
    } else {
        0
    }
}

fn read_with(
    path: &std::path::Path,
    names: NameValidation,
) -> Result<RuleFile, Vec<file::RuleError>> {
    match std::fs::read_to_string(path) {
        Ok(text) => file::parse_rule_file_with(path, &text, names),
        // read_rule_file words the I/O error as Prometheus does.
        Err(_) => file::read_rule_file(path),
    }
}

/// promtool's duplicate-rules lint: rules with the same name and the same labels (group labels
/// overridden by the rule's own) record or alert into the same series.
fn duplicates_lint(rf: &RuleFile, opts: &CheckOptions) -> Option<String> {
    if !opts.lint_duplicates {
        return None;
    }
    let mut keys: Vec<(&str, Vec<(&str, &str)>)> = Vec::new();
    for g in &rf.groups {
        for r in &g.rules {
            let mut labels = std::collections::BTreeMap::new();
            for (k, v) in g.labels.iter().chain(&r.labels) {
                labels.insert(k.as_str(), v.as_str());
            }
            keys.push((r.name(), labels.into_iter().collect()));
        }
    }
    keys.sort();
    let mut dups: Vec<&(&str, Vec<(&str, &str)>)> = Vec::new();
    for pair in keys.windows(2) {
        if pair[0] == pair[1] && dups.last().is_none_or(|d| **d != pair[1]) {
            dups.push(&pair[1]);
        }
    }
    if dups.is_empty() {
        return None;
    }
    let mut msg = format!("lint error {} duplicate rule(s) found.\n", dups.len());
    for (metric, labels) in dups {
        msg.push_str(&format!("Metric: {metric}\nLabel(s):\n"));
        for (k, v) in labels {
            msg.push_str(&format!("\t{k}: {v}\n"));
        }
    }
    msg.push_str("Might cause inconsistency while recording expressions");
    Some(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Run {
        code: i32,
        stdout: String,
        stderr: String,
    }

    fn check(files: &[(&str, &str)], opts: CheckOptions) -> Run {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths: Vec<PathBuf> = files
            .iter()
            .map(|(name, text)| {
                let p = dir.path().join(name);
                std::fs::write(&p, text).expect("write");
                p
            })
            .collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(&paths, &opts, &mut out, &mut err);
        let strip = |b: Vec<u8>| {
            String::from_utf8_lossy(&b).replace(&format!("{}/", dir.path().display()), "")
        };
        Run {
            code,
            stdout: strip(out),
            stderr: strip(err),
        }
    }

    const GOOD: &str = "groups:\n  - name: g\n    rules:\n      - record: job:up:sum\n        expr: sum by (job) (up)\n      - alert: Down\n        expr: up == 0\n        for: 5m\n";
    const BAD: &str = "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: sum(\n";
    const DUP: &str = "groups:\n  - name: a\n    labels:\n      team: x\n    rules:\n      - record: x\n        expr: up\n  - name: b\n    rules:\n      - record: x\n        expr: up\n        labels:\n          team: x\n";

    #[test]
    fn success_goes_to_stdout() {
        let r = check(&[("good.yml", GOOD)], CheckOptions::default());
        assert_eq!(r.code, 0);
        assert_eq!(r.stdout, "Checking good.yml\n  SUCCESS: 2 rules found\n\n");
        assert_eq!(r.stderr, "");
    }

    #[test]
    fn failure_goes_to_stderr_and_exits_1() {
        let r = check(
            &[("bad.yml", BAD), ("good.yml", GOOD)],
            CheckOptions::default(),
        );
        assert_eq!(r.code, 1);
        // Prometheus 3 prints no blank line after a file that failed to parse.
        assert_eq!(
            r.stdout,
            "Checking bad.yml\nChecking good.yml\n  SUCCESS: 2 rules found\n\n"
        );
        assert!(
            r.stderr.starts_with(
                "  FAILED:\nbad.yml: 5:15: group \"g\", rule 1, \"r\": could not parse expression: "
            ),
            "{}",
            r.stderr
        );
        assert_eq!(r.stderr.lines().count(), 2, "{}", r.stderr);
    }

    #[test]
    fn duplicate_rules_are_a_lint_failure() {
        let r = check(&[("dup.yml", DUP)], CheckOptions::default());
        assert_eq!(r.code, 0, "lint is not fatal by default");
        assert_eq!(r.stdout, "Checking dup.yml\n\n");
        assert_eq!(
            r.stderr,
            "  FAILED:\nlint error 1 duplicate rule(s) found.\nMetric: x\nLabel(s):\n\tteam: x\nMight cause inconsistency while recording expressions\n"
        );
        let fatal = CheckOptions {
            lint_fatal: true,
            ..CheckOptions::default()
        };
        assert_eq!(check(&[("dup.yml", DUP)], fatal).code, 3);
        let none = CheckOptions {
            lint_duplicates: false,
            ..CheckOptions::default()
        };
        let r = check(&[("dup.yml", DUP)], none);
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (0, "Checking dup.yml\n  SUCCESS: 2 rules found\n\n")
        );
    }

    #[test]
    fn different_labels_are_not_duplicates() {
        let text = "groups:\n  - name: a\n    rules:\n      - alert: x\n        expr: up\n        labels: {s: a}\n      - alert: x\n        expr: up\n        labels: {s: b}\n";
        let r = check(&[("r.yml", text)], CheckOptions::default());
        assert_eq!(r.stderr, "");
        assert_eq!(r.code, 0);
    }

    #[test]
    fn combined_stream_and_verdict() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("bad.yml");
        std::fs::write(&p, BAD).expect("write");
        let mut out = Vec::new();
        assert!(!check_rules(std::slice::from_ref(&p), &mut out));
        let text = String::from_utf8_lossy(&out);
        assert!(
            text.starts_with(&format!("Checking {}\n  FAILED:\n", p.display())),
            "{text}"
        );
    }
}
