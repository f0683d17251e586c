//! The promqltest language: `load`, `clear` and `eval` commands, with `expect` lines and
//! expected results, as described in upstream's promqltest README.
//!
//! Lines are trimmed and comment lines count as blank, so a comment ends a block as upstream's
//! parser does. Line numbers are 1-based.

use super::duration;
use super::series_notation::{self, SeqValue, SeriesLine};
use promql::{Labels, MatchOp, Matcher};

/// A parsed test file.
#[derive(Debug, Clone, Default)]
pub struct TestFile {
    pub commands: Vec<Command>,
}

#[derive(Debug, Clone)]
pub enum Command {
    Load(Load),
    Clear { line: usize },
    Eval(Box<Eval>),
}

/// `load <interval>` (or `load_with_nhcb`) and its series lines.
#[derive(Debug, Clone)]
pub struct Load {
    pub line: usize,
    pub interval_ms: i64,
    /// `load_with_nhcb`: classic histograms are also loaded as native histograms.
    pub with_nhcb: bool,
    pub series: Vec<SeriesLine>,
}

/// When and how a query runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalKind {
    Instant { t: i64 },
    Range { start: i64, end: i64, step: i64 },
}

/// How an `expect` line matches a message.
#[derive(Debug, Clone)]
pub enum MsgMatch {
    /// No `msg:`/`regex:` part: any message.
    Any,
    /// `msg: text`: exact match.
    Exact(String),
    /// `regex: pattern`: unanchored regular expression match, as Go's `MatchString`.
    Regex { pattern: String, re: Matcher },
}

impl MsgMatch {
    pub fn matches(&self, s: &str) -> bool {
        match self {
            MsgMatch::Any => true,
            MsgMatch::Exact(m) => m == s,
            MsgMatch::Regex { re, .. } => re.matches(s),
        }
    }

    fn regex(pattern: &str) -> Result<Self, String> {
        // promql's Matcher anchors with ^(?s:...)$; wrapping in `.*` makes it a search.
        let re = Matcher::new(MatchOp::Regex, "", format!(".*(?:{pattern}).*"))
            .map_err(|e| format!("invalid regex {pattern:?}: {e}"))?;
        Ok(MsgMatch::Regex {
            pattern: pattern.to_string(),
            re,
        })
    }
}

impl std::fmt::Display for MsgMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MsgMatch::Any => f.write_str("<any>"),
            MsgMatch::Exact(m) => write!(f, "{m:?}"),
            MsgMatch::Regex { pattern, .. } => write!(f, "/{pattern}/"),
        }
    }
}

/// What the result must be.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// A vector or matrix: label set, values, and 1-based position among the series lines.
    Series(Vec<ExpectedSeries>),
    Scalar(f64),
    String(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExpectedSeries {
    pub labels: Labels,
    pub values: Vec<SeqValue>,
    pub pos: usize,
}

/// An `eval` command with everything it expects.
#[derive(Debug, Clone)]
pub struct Eval {
    pub line: usize,
    pub query: String,
    pub kind: EvalKind,
    /// `expect fail` (with its matcher) or `eval_fail` (with `expected_fail_*`, or any error).
    pub fail: Option<MsgMatch>,
    /// `expect warn` lines: each must match a warning, and every warning must match one.
    pub warn: Vec<MsgMatch>,
    /// `expect info` lines, checked like `warn`.
    pub info: Vec<MsgMatch>,
    /// `eval_warn`: at least one warning.
    pub legacy_warn: bool,
    /// `eval_info`: at least one info.
    pub legacy_info: bool,
    pub no_warn: bool,
    pub no_info: bool,
    pub ordered: bool,
    pub expected: Expected,
    /// `expect range vector from .. to .. step ..`: an instant query returning a matrix whose
    /// points are at `start + i*step`.
    pub range_vector: Option<(i64, i64, i64)>,
    /// Not re-run as a range query (range vector or string results).
    pub exclude_from_range: bool,
}

impl Eval {
    pub fn is_instant(&self) -> bool {
        matches!(self.kind, EvalKind::Instant { .. })
    }
}

/// A parse error with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub msg: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.msg)
    }
}

/// Parses a whole test file.
pub fn parse(input: &str) -> Result<TestFile, ParseError> {
    let lines: Vec<&str> = input
        .split('\n')
        .map(|l| {
            let l = l.trim();
            if l.starts_with('#') { "" } else { l }
        })
        .collect();
    let mut commands = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i];
        if l.is_empty() {
            i += 1;
            continue;
        }
        let (word, _) = next_token(l);
        let word = word.to_ascii_lowercase();
        let err = |msg: String| ParseError { line: i + 1, msg };
        let (next, cmd) = if word == "clear" {
            (i + 1, Command::Clear { line: i + 1 })
        } else if word.starts_with("load") {
            let (next, load) = parse_load(&lines, i).map_err(err)?;
            (next, Command::Load(load))
        } else if word.starts_with("eval") {
            let (next, eval) = parse_eval(&lines, i)?;
            (next, Command::Eval(Box::new(eval)))
        } else {
            return Err(err(format!("invalid command {l:?}")));
        };
        commands.push(cmd);
        i = next;
    }
    Ok(TestFile { commands })
}

/// Splits off the first whitespace-delimited token; the rest keeps its inner spacing.
fn next_token(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], s[i..].trim_start()),
        None => (s, ""),
    }
}

/// Index of the first line after the block that starts at `start` (blocks end at a blank line).
fn block_end(lines: &[&str], start: usize) -> usize {
    (start + 1..lines.len())
        .find(|&j| lines[j].is_empty())
        .unwrap_or(lines.len())
}

fn parse_load(lines: &[&str], i: usize) -> Result<(usize, Load), String> {
    let (word, rest) = next_token(lines[i]);
    let with_nhcb = match word {
        "load" => false,
        "load_with_nhcb" => true,
        _ => return Err("invalid load command. (load[_with_nhcb] <step:duration>)".into()),
    };
    let interval_ms = duration::parse_ms(rest.trim())
        .map_err(|e| format!("invalid step definition {rest:?}: {e}"))?;
    let end = block_end(lines, i);
    let mut series = Vec::new();
    for (j, l) in lines.iter().enumerate().take(end).skip(i + 1) {
        series.push(
            series_notation::parse_series_line(l).map_err(|e| format!("line {}: {e}", j + 1))?,
        );
    }
    Ok((
        end,
        Load {
            line: i + 1,
            interval_ms,
            with_nhcb,
            series,
        },
    ))
}

/// Parses the `eval` header: modifier, kind and query.
fn parse_eval_header(l: &str) -> Result<(&str, EvalKind, String), String> {
    let (word, rest) = next_token(l);
    let modifier = match word.strip_prefix("eval") {
        Some("") => "",
        Some(m) => m.strip_prefix('_').ok_or("invalid eval command")?,
        None => return Err("invalid eval command".into()),
    };
    let (kind_word, rest) = next_token(rest);
    let dur = |s: &str, what: &str| {
        duration::parse_ms(s).map_err(|e| format!("invalid {what} definition {s:?}: {e}"))
    };
    match kind_word {
        "instant" => {
            if !matches!(modifier, "" | "fail" | "warn" | "ordered" | "info") {
                return Err(format!("invalid eval modifier {modifier:?}"));
            }
            let (at, rest) = next_token(rest);
            if at != "at" {
                return Err("expected 'at <time>' after 'eval instant'".into());
            }
            let (t, query) = next_token(rest);
            let t = dur(t, "timestamp")?;
            Ok((modifier, EvalKind::Instant { t }, query.to_string()))
        }
        "range" => {
            if !matches!(modifier, "" | "fail" | "warn" | "info") {
                return Err(format!("invalid eval modifier {modifier:?} for a range query"));
            }
            let mut toks = [""; 6];
            let mut rest = rest;
            for t in &mut toks {
                (*t, rest) = next_token(rest);
            }
            if toks[0] != "from" || toks[2] != "to" || toks[4] != "step" {
                return Err("expected 'range from <t> to <t> step <d> <query>'".into());
            }
            let start = dur(toks[1], "start timestamp")?;
            let end = dur(toks[3], "end timestamp")?;
            if end < start {
                return Err(format!(
                    "invalid test definition, end timestamp ({}) is before start timestamp ({})",
                    toks[3], toks[1]
                ));
            }
            let step = dur(toks[5], "step")?;
            Ok((
                modifier,
                EvalKind::Range { start, end, step },
                rest.to_string(),
            ))
        }
        _ => Err("invalid evaluation command. Must be either 'eval[_fail|_warn|_ordered|_info] instant at <offset:duration> <query>' or 'eval[_fail|_warn|_info] range from <from> to <to> step <step> <query>'".into()),
    }
}

fn parse_eval(lines: &[&str], i: usize) -> Result<(usize, Eval), ParseError> {
    let line = i + 1;
    let err_at = |j: usize| move |msg: String| ParseError { line: j + 1, msg };
    let (modifier, kind, query) = parse_eval_header(lines[i]).map_err(err_at(i))?;
    if query.trim().is_empty() {
        return Err(err_at(i)("missing query".into()));
    }
    let mut ev = Eval {
        line,
        query,
        kind,
        fail: (modifier == "fail").then_some(MsgMatch::Any),
        warn: Vec::new(),
        info: Vec::new(),
        legacy_warn: modifier == "warn",
        legacy_info: modifier == "info",
        no_warn: false,
        no_info: false,
        ordered: modifier == "ordered",
        expected: Expected::Series(Vec::new()),
        range_vector: None,
        exclude_from_range: false,
    };
    let end = block_end(lines, i);
    let mut series: Vec<ExpectedSeries> = Vec::new();
    let mut j = i + 1;
    while j < end {
        let l = lines[j];
        let err = err_at(j);
        if ev.fail.is_some() && l.starts_with("expected_fail_message") {
            let m = l.trim_start_matches("expected_fail_message").trim();
            ev.fail = Some(MsgMatch::Exact(m.to_string()));
            j += 1;
            break;
        }
        if ev.fail.is_some() && l.starts_with("expected_fail_regexp") {
            let p = l.trim_start_matches("expected_fail_regexp").trim();
            ev.fail = Some(MsgMatch::regex(p).map_err(err)?);
            j += 1;
            break;
        }
        if let Some(rest) = l.strip_prefix("expect range vector") {
            ev.range_vector = Some(parse_range_vector(rest).map_err(err)?);
            ev.exclude_from_range = true;
        } else if let Some(rest) = l.strip_prefix("expect string") {
            let (s, tail) = series_notation::parse_quoted(rest.trim())
                .map_err(|e| err(format!("expected string literal not valid: {e}")))?;
            if !tail.trim().is_empty() {
                return Err(err("trailing text after expected string".into()));
            }
            ev.expected = Expected::String(s);
            ev.exclude_from_range = true;
        } else if next_token(l).0 == "expect" {
            parse_expect(l, &mut ev).map_err(err)?;
        } else if let Some(f) = series_notation::parse_float(l) {
            ev.expected = Expected::Scalar(f);
            j += 1;
            break;
        } else {
            let s = series_notation::parse_series_line(l).map_err(err)?;
            if s.values.len() > 1 && ev.is_instant() && ev.range_vector.is_none() {
                return Err(err("expecting multiple values in instant evaluation not allowed. consider using 'expect range vector' directive to enable a range vector result for an instant query".into()));
            }
            // A repeated label set replaces the earlier line, as upstream's hash map does.
            series.retain(|e| e.labels != s.labels);
            series.push(ExpectedSeries {
                labels: s.labels,
                values: s.values,
                pos: series.len() + 1,
            });
        }
        j += 1;
    }
    if let Some((_, end, _)) = ev.range_vector {
        // Upstream evaluates a range-vector expectation at its end time.
        ev.kind = EvalKind::Instant { t: end };
    }
    if matches!(ev.expected, Expected::Series(_)) {
        ev.expected = Expected::Series(series);
    }
    Ok((j, ev))
}

fn parse_range_vector(rest: &str) -> Result<(i64, i64, i64), String> {
    let mut toks = [""; 6];
    let mut r = rest;
    for t in &mut toks {
        (*t, r) = next_token(r);
    }
    if toks[0] != "from" || toks[2] != "to" || toks[4] != "step" || !r.is_empty() {
        return Err(format!("invalid range vector definition {rest:?}"));
    }
    let p = |s: &str| duration::parse_ms(s);
    let (start, end, step) = (p(toks[1])?, p(toks[3])?, p(toks[5])?);
    if end < start {
        return Err("invalid test definition, end timestamp is before start timestamp".into());
    }
    Ok((start, end, step))
}

/// `expect <type> [msg|regex: <text>]`.
fn parse_expect(l: &str, ev: &mut Eval) -> Result<(), String> {
    let (_, rest) = next_token(l);
    let (ty, rest) = next_token(rest);
    let m = if rest.is_empty() {
        MsgMatch::Any
    } else if let Some(m) = rest.strip_prefix("msg:") {
        MsgMatch::Exact(m.trim().to_string())
    } else if let Some(p) = rest.strip_prefix("regex:") {
        MsgMatch::regex(p.trim())?
    } else {
        return Err(format!(
            "invalid expect statement {l:?}, must match `expect <type> <match_type>: <string>` format"
        ));
    };
    match ty {
        "fail" => {
            if ev.fail.is_some() && !matches!(ev.fail, Some(MsgMatch::Any)) {
                return Err(
                    "invalid expect lines, multiple expect fail lines are not allowed".into(),
                );
            }
            ev.fail = Some(m);
        }
        "warn" => ev.warn.push(m),
        "info" => ev.info.push(m),
        "no_warn" | "no_info" | "ordered" if !matches!(m, MsgMatch::Any) => {
            return Err(format!("expect {ty} takes no message"));
        }
        "no_warn" => ev.no_warn = true,
        "no_info" => ev.no_info = true,
        "ordered" => ev.ordered = true,
        other => return Err(format!("invalid expected error/annotation type {other}")),
    }
    if !ev.info.is_empty() && ev.no_info {
        return Err("invalid expect lines, info and no_info cannot be used together".into());
    }
    if !ev.warn.is_empty() && ev.no_warn {
        return Err("invalid expect lines, warn and no_warn cannot be used together".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
