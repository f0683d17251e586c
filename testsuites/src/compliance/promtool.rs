//! `promtool query instant|range|series|labels` against two servers holding the same data, and
//! the comparison of what promtool prints.
//!
//! Only what the API leaves unspecified is normalised: the order of an instant vector's samples,
//! of a matrix's series and of the series endpoint's label sets (lines or blocks are sorted).
//! Numbers are compared with a relative tolerance (sums may differ in the last bits between
//! summation orders, e.g. 3.x's compensated sums); everything else must be identical. Errors
//! must happen on both sides; their messages are shown, not compared.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use super::data::Timeline;
use crate::prom::api_time;
use crate::{Error, Result, env, fail};

/// Path of promtool: `PROMTOOL_BIN`, else `/usr/bin/promtool`.
pub fn promtool_bin() -> Result<PathBuf> {
    env::binary(
        "PROMTOOL_BIN",
        &["/usr/bin/promtool", "/usr/local/bin/promtool"],
    )
}

/// How the output of a command is normalised before comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One item per line, order unspecified (instant vectors, series).
    Lines,
    /// Blocks starting with a `{` line (matrices), order of blocks unspecified.
    Blocks,
    /// Order is part of the answer (label values, scalars, strings).
    Exact,
    /// `-o json`: arrays of objects with a `metric` are sorted.
    Json,
}

/// One promtool invocation; `{server}` in `args` is replaced by each server's URL. A name
/// containing "error" expects promtool to fail; one containing "empty" expects no output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromtoolCase {
    /// Short description.
    pub name: String,
    /// Arguments after `promtool`.
    pub args: Vec<String>,
    /// How to normalise stdout.
    pub shape: Shape,
}

fn case(name: &str, shape: Shape, args: &[&str]) -> PromtoolCase {
    PromtoolCase {
        name: name.to_string(),
        args: args.iter().map(|a| a.to_string()).collect(),
        shape,
    }
}

/// The commands run against both servers, placed on the history's events.
pub fn cases(tl: &Timeline) -> Vec<PromtoolCase> {
    let t = |ms: i64| api_time(ms);
    let quiet = t(tl.end - 25 * 60_000);
    let nan = t(tl.nan_from + 30_000);
    let odd = t(Timeline::next_odd_minute(tl.end - 30 * 60_000) + 13_000);
    let (w_start, w_end) = (t(tl.end - 22 * 60_000), t(tl.end - 12 * 60_000));
    let (s_start, s_end) = (t(tl.stop - 5 * 60_000), t(tl.stop + 5 * 60_000));
    let (all_start, all_end) = (t(tl.start), t(tl.end));
    let time = |v: &str| format!("--time={v}");
    let (tq, tn, to) = (time(&quiet), time(&nan), time(&odd));
    let start = |v: &str| format!("--start={v}");
    let end = |v: &str| format!("--end={v}");
    let (ws, we, ss, se, als, ale) = (
        start(&w_start),
        end(&w_end),
        start(&s_start),
        end(&s_end),
        start(&all_start),
        end(&all_end),
    );
    use Shape::*;
    vec![
        case(
            "instant selector",
            Lines,
            &[
                "query",
                "instant",
                "{server}",
                "demo_memory_usage_bytes",
                &tq,
            ],
        ),
        case(
            "instant selector json",
            Json,
            &[
                "query",
                "instant",
                "-o",
                "json",
                "{server}",
                "demo_memory_usage_bytes",
                &tq,
            ],
        ),
        case(
            "instant sum of rates",
            Lines,
            &[
                "query",
                "instant",
                "{server}",
                "sum by (instance) (rate(demo_cpu_usage_seconds_total[5m]))",
                &tq,
            ],
        ),
        case(
            "instant histogram_quantile",
            Lines,
            &[
                "query",
                "instant",
                "{server}",
                "histogram_quantile(0.9, sum by (le, method) (rate(demo_api_request_duration_seconds_bucket[5m])))",
                &tq,
            ],
        ),
        case(
            "instant NaN gauge",
            Lines,
            &[
                "query",
                "instant",
                "{server}",
                "demo_memory_usage_bytes{type=\"buffers\"}",
                &tn,
            ],
        ),
        case(
            "instant stale intermittent (empty)",
            Lines,
            &[
                "query",
                "instant",
                "{server}",
                "demo_intermittent_metric",
                &to,
            ],
        ),
        case(
            "instant range selector (matrix)",
            Blocks,
            &["query", "instant", "{server}", "demo_num_cpus[30s]", &tq],
        ),
        case(
            "instant scalar",
            Exact,
            &[
                "query",
                "instant",
                "{server}",
                "scalar(sum(demo_num_cpus)) * 2",
                &tq,
            ],
        ),
        // No string literal: promtool 2.42 cannot decode a `string` result from any server.
        case(
            "instant parse error",
            Exact,
            &["query", "instant", "{server}", "sum(demo_num_cpus", &tq],
        ),
        case(
            "range selector",
            Blocks,
            &[
                "query",
                "range",
                "{server}",
                "demo_num_cpus",
                &ws,
                &we,
                "--step=1m",
            ],
        ),
        case(
            "range over restart",
            Blocks,
            &[
                "query",
                "range",
                "{server}",
                "rate(demo_items_shipped_total[1m])",
                &ws,
                &we,
                "--step=30s",
            ],
        ),
        case(
            "range NaN stretch",
            Blocks,
            &[
                "query",
                "range",
                "{server}",
                "demo_memory_usage_bytes{type=\"buffers\"}",
                &ws,
                &we,
                "--step=10s",
            ],
        ),
        case(
            "range stopping series json",
            Json,
            &[
                "query",
                "range",
                "-o",
                "json",
                "{server}",
                "demo_disk_usage_bytes",
                &ss,
                &se,
                "--step=20s",
            ],
        ),
        case(
            "series",
            Lines,
            &[
                "query",
                "series",
                "{server}",
                "--match=demo_cpu_usage_seconds_total",
                &als,
                &ale,
            ],
        ),
        case(
            "series two matchers",
            Lines,
            &[
                "query",
                "series",
                "{server}",
                "--match={__name__=~\"demo_batch.+\"}",
                "--match=demo_num_cpus",
                &als,
                &ale,
            ],
        ),
        case(
            "series json",
            Json,
            &[
                "query",
                "series",
                "-o",
                "json",
                "{server}",
                "--match=demo_intermittent_metric",
                &als,
                &ale,
            ],
        ),
        case(
            "label values instance",
            Exact,
            &["query", "labels", "{server}", "instance", &als, &ale],
        ),
        case(
            "label values __name__",
            Exact,
            &["query", "labels", "{server}", "__name__"],
        ),
        case(
            "label values le with match",
            Exact,
            &[
                "query",
                "labels",
                "{server}",
                "le",
                "--match=demo_api_request_duration_seconds_bucket{method=\"GET\"}",
                &als,
                &ale,
            ],
        ),
    ]
}

/// What one invocation printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Exit code (`None` if killed by a signal or the timeout).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs promtool with `args` (`{server}` replaced by `server`), killing it after `timeout`.
pub fn run(
    bin: &Path,
    args: &[String],
    server: &str,
    dir: &Path,
    timeout: Duration,
) -> Result<Output> {
    let args: Vec<String> = args.iter().map(|a| a.replace("{server}", server)).collect();
    let (out_path, err_path) = (dir.join("promtool.out"), dir.join("promtool.err"));
    let file = |p: &Path| {
        std::fs::File::create(p).map_err(|e| Error::io(format!("creating {}", p.display()), e))
    };
    let mut child = Command::new(bin)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(file(&out_path)?)
        .stderr(file(&err_path)?)
        .spawn()
        .map_err(|e| Error::io(format!("starting {}", bin.display()), e))?;
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(Error::io("waiting for promtool", e)),
        }
    };
    let read = |p: &Path| {
        std::fs::read(p)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|e| Error::io(format!("reading {}", p.display()), e))
    };
    let mut stderr = read(&err_path)?;
    if status.is_none() {
        stderr.push_str(&format!("\n(killed after {timeout:?})"));
    }
    Ok(Output {
        code: status.and_then(|s| s.code()),
        stdout: read(&out_path)?,
        stderr,
    })
}

/// `stdout` in a canonical form for `shape`.
pub fn normalize(stdout: &str, shape: Shape) -> Result<String> {
    Ok(match shape {
        Shape::Exact => stdout.trim_end().to_string(),
        Shape::Lines => {
            let mut lines: Vec<&str> = stdout.lines().filter(|l| !l.is_empty()).collect();
            lines.sort_unstable();
            lines.join("\n")
        }
        Shape::Blocks => {
            let mut blocks: Vec<String> = Vec::new();
            for line in stdout.lines().filter(|l| !l.is_empty()) {
                match blocks.last_mut() {
                    Some(b) if !line.starts_with('{') => {
                        b.push('\n');
                        b.push_str(line);
                    }
                    _ => blocks.push(line.to_string()),
                }
            }
            blocks.sort_unstable();
            blocks.join("\n")
        }
        Shape::Json => {
            let mut v: Json = serde_json::from_str(stdout.trim())
                .map_err(|e| fail!("promtool printed invalid JSON: {e}"))?;
            sort_json(&mut v);
            serde_json::to_string_pretty(&v).map_err(|e| fail!("re-encoding JSON: {e}"))?
        }
    })
}

/// Sorts every array whose elements are all objects or all strings, recursively.
fn sort_json(v: &mut Json) {
    match v {
        Json::Array(items) => {
            items.iter_mut().for_each(sort_json);
            if items.iter().all(Json::is_object) {
                items.sort_by_cached_key(|i| i.to_string());
            }
        }
        Json::Object(map) => map.values_mut().for_each(sort_json),
        _ => {}
    }
}

/// The first difference between two normalised outputs: tokens are split on whitespace and on
/// `"`, numeric tokens compare within `fraction` (relative), the rest exactly.
pub fn first_difference(reference: &str, test: &str, fraction: f64) -> Option<String> {
    let (r_lines, t_lines): (Vec<&str>, Vec<&str>) =
        (reference.lines().collect(), test.lines().collect());
    for (i, (r, t)) in r_lines.iter().zip(&t_lines).enumerate() {
        if !line_equal(r, t, fraction) {
            return Some(format!(
                "line {}: reference {:?} test {:?}",
                i + 1,
                r.trim(),
                t.trim()
            ));
        }
    }
    if r_lines.len() != t_lines.len() {
        let n = r_lines.len().min(t_lines.len());
        return Some(format!(
            "reference {} lines, test {}; first unmatched: reference {:?} test {:?}",
            r_lines.len(),
            t_lines.len(),
            r_lines.get(n).map(|l| l.trim()).unwrap_or("nothing"),
            t_lines.get(n).map(|l| l.trim()).unwrap_or("nothing")
        ));
    }
    None
}

fn line_equal(r: &str, t: &str, fraction: f64) -> bool {
    if r == t {
        return true;
    }
    let split = |s: &'_ str| -> Vec<String> {
        s.split(|c: char| c.is_whitespace() || c == '"' || c == ',')
            .filter(|x| !x.is_empty())
            .map(String::from)
            .collect()
    };
    let (rt, tt) = (split(r), split(t));
    rt.len() == tt.len()
        && rt.iter().zip(&tt).all(|(a, b)| {
            a == b
                || match (a.parse::<f64>(), b.parse::<f64>()) {
                    (Ok(x), Ok(y)) => {
                        (x.is_nan() && y.is_nan())
                            || (x - y).abs() <= fraction * x.abs().min(y.abs())
                    }
                    _ => false,
                }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unordered_shapes_sort_and_ordered_ones_do_not() {
        assert_eq!(
            normalize("b => 1\na => 2\n", Shape::Lines).unwrap(),
            "a => 2\nb => 1"
        );
        assert_eq!(normalize("b\na\n", Shape::Exact).unwrap(), "b\na");
        let m = "{b=\"1\"} =>\n1 @[1]\n2 @[2]\n{a=\"1\"} =>\n3 @[1]\n";
        assert_eq!(
            normalize(m, Shape::Blocks).unwrap(),
            "{a=\"1\"} =>\n3 @[1]\n{b=\"1\"} =>\n1 @[1]\n2 @[2]"
        );
        let j = r#"[{"metric":{"a":"2"},"value":[1,"1"]},{"metric":{"a":"1"},"value":[1,"2"]}]"#;
        let n = normalize(j, Shape::Json).unwrap();
        assert!(n.find("\"1\"").unwrap() < n.find("\"2\"").unwrap(), "{n}");
        assert!(normalize("not json", Shape::Json).is_err());
    }

    #[test]
    fn numbers_compare_with_tolerance_and_the_rest_exactly() {
        let a = "{instance=\"x\"} => 0.30000000000000004 @[1700000000.123]";
        let b = "{instance=\"x\"} => 0.3 @[1700000000.123]";
        assert_eq!(first_difference(a, b, 1e-9), None);
        let c = "{instance=\"y\"} => 0.3 @[1700000000.123]";
        assert!(first_difference(a, c, 1e-9).unwrap().starts_with("line 1"));
        let d = "{instance=\"x\"} => 0.31 @[1700000000.123]";
        assert!(first_difference(a, d, 1e-9).is_some());
        let e = "{instance=\"x\"} => 0.3 @[1700000000.124]";
        assert!(first_difference(a, e, 1e-9).is_some());
        assert!(
            first_difference("x\ny", "x", 1e-9)
                .unwrap()
                .starts_with("reference 2 lines, test 1")
        );
        assert_eq!(first_difference("NaN", "NaN", 1e-9), None);
    }
}
