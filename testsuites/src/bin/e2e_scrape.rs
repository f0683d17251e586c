//! End-to-end scraping: ONE prometheus.yml, run by a real Prometheus 2.42 and by Strata, against
//! real exporters; what each stored must agree.
//!
//! Targets: `prometheus-node-exporter` (stable collectors only), `prometheus-pushgateway` with
//! pushed groups (counters, gauges, a histogram, a summary, label values that need escaping, a
//! group key with `job`/`instance`, a base64 group key), and a text exposition served by the
//! harness itself (escapes, ±Inf, NaN, -0, an empty label, `job`/`instance` labels that clash with
//! the target's, a sample with an explicit timestamp). Jobs:
//!
//! - `node`: node_exporter as is;
//! - `pushgateway`: `honor_labels: true`, its own `scrape_interval` (twice the global one);
//! - `node-relabel`: node_exporter again as six targets told apart by a `shard` label, with
//!   `params` (`collect[]`), `relabel_configs` (hashmod + keep, replace of `instance`, a new
//!   label, labelmap) and `metric_relabel_configs` (drop by name, labeldrop, replace);
//! - `static`: the harness's target;
//! - `faulty`: a second, small harness target that later fails on purpose.
//!
//! After `E2E_SCRAPE_DURATION` of scraping, at one evaluation time T in the past:
//!
//! 1. the set of series (full label sets) must be identical, per job;
//! 2. `up` must agree for every target, and be 1;
//! 3. values must agree: Strata's value at T is checked against Prometheus's raw samples in
//!    [T - 2i, T + 2i] (i = the job's interval). Counters, histogram and summary sums/counts only
//!    grow, and Strata's sample at T is bracketed by two of Prometheus's, so it must lie within
//!    their [min, max]; a gauge Prometheus saw constant must be equal bit for bit (NaN too); a
//!    changing gauge must lie in [min - spread, max + spread]; gauges that depend on the scrape
//!    itself (Go runtime, process, in-flight requests, running processes, memory, load) only get
//!    a plausibility bound; `scrape_duration_seconds` must be in (0, scrape_timeout];
//! 4. each series has as many raw samples in that window on both sides, ±1;
//! 5. the hashmod `keep` kept exactly the shards the harness computes with `md5sum`;
//! 6. `/api/v1/targets` lists the same active targets (labels, scrapeUrl, health, interval,
//!    timeout, discovered labels) and dropped targets as Prometheus;
//! 7. every scrape of the harness's target carried `Accept: text/plain…` and the
//!    `X-Prometheus-Scrape-Timeout-Seconds` header.
//!
//! Then failed scrapes: the `faulty` target answers HTTP 500, then serves an unparsable line
//! after two samples, then answers later than `scrape_timeout`, then recovers; after each switch
//! both servers must agree on `up`, on its series being stale (or back), on
//! `scrape_samples_scraped`, `scrape_samples_post_metric_relabeling` and `scrape_series_added`,
//! and report a plausible `scrape_duration_seconds`.
//!
//! Then staleness: the harness's target stops exposing one series and changes a gauge, and at
//! its next scrape both servers must have the series stale and the new value. The target is
//! then stopped and the Pushgateway killed; at the first failed scrape both must report
//! `up == 0` and, at that very timestamp, every series of those targets must be gone (staleness
//! markers), except the sample with an explicit timestamp, which Prometheus 2.42 does not mark
//! stale. Then prometheus.yml loses the `node` job's second target
//! (`localhost:PORT`) and the whole `node-relabel` job, and both servers reload
//! (`POST /-/reload`): once Prometheus has written its end-of-run markers (a little over two
//! intervals), the removed target's series must be gone on both and the other target still up;
//! for the removed job, Prometheus 2.42 writes no markers (cancelling the job's scrape pool skips
//! them), so Strata must show the same series as Prometheus; `/api/v1/targets` must agree. Last,
//! `node-relabel` is added back and both reload on SIGHUP: it must be scraped again on both.
//!
//! `RECEIVER=prometheus` runs a second Prometheus 2.42 in Strata's place: a harness self-test;
//! `E2E_SCRAPE_MUTATION=honor_labels|value` then gives that second server a deliberately
//! different setup, which must make the suite fail. Against Strata, `le` and `quantile` are
//! compared in OpenMetrics float form (`le="1"` → `le="1.0"`), which Strata writes as
//! Prometheus 3 does (docs/scrape.md); `E2E_SCRAPE_OM_FLOATS=0|1` overrides.
//!
//! Environment: `E2E_SCRAPE_DURATION` (default 75s, at least 8 pushgateway intervals + 5 s),
//! `E2E_SCRAPE_INTERVAL` (2s), `E2E_SCRAPE_LIMIT` (total time limit, 10m), `RECEIVER`
//! (strata|prometheus), `E2E_SCRAPE_MUTATION`, `E2E_SCRAPE_OM_FLOATS`, `RECEIVER_ARGS`,
//! `STRATA_BIN`, `PROMETHEUS_BIN`, `NODE_EXPORTER_BIN`, `PUSHGATEWAY_BIN`, `KEEP_TMP=1`.
//! Exit status 0 only if all checks pass.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use strata_testsuites::http::Http;
use strata_testsuites::net::{now_ms, utc_time_of_day, wait_for};
use strata_testsuites::peers::{self, ReceiverKind};
use strata_testsuites::prom::{self, Labels, fmt_labels};
use strata_testsuites::scrape_peers::{
    self as sp, Deadline, Fault, Peer, StaticTarget, hashmod, query_vector, sleep_until_ms,
};
use strata_testsuites::{Error, Result, env, fail};

/// Collectors of the node_exporter: quick and with a series set that does not churn.
const NODE_COLLECTORS: &[&str] = &[
    "cpu", "meminfo", "loadavg", "netdev", "stat", "time", "uname", "filefd", "os", "vmstat",
];
/// The `collect[]` filter of the `node-relabel` job (a subset of the above).
const RELABEL_COLLECT: &[&str] = &["cpu", "meminfo", "loadavg", "netdev", "uname"];
/// `shard` labels of the `node-relabel` targets, and the hashmod modulus.
const SHARDS: &[&str] = &["a", "b", "c", "d", "e", "f"];
const MODULUS: u64 = 3;
/// Job label values the Pushgateway groups carry (kept by `honor_labels: true`).
const PUSHED_JOBS: &[&str] = &["batch_export", "cron", "deploy"];

#[derive(Debug)]
struct Config {
    warmup: Duration,
    interval_ms: i64,
    limit: Duration,
    receiver: ReceiverKind,
    mutation: Option<Mutation>,
    /// Expect `le`/`quantile` values in OpenMetrics float form (`1` → `1.0`), as Prometheus 3
    /// and Strata write them, where Prometheus 2.42 keeps the exposition's text.
    om_floats: bool,
}

/// A deliberate difference given to the second server in the self-test, to prove the checks
/// catch it (`E2E_SCRAPE_MUTATION`, only with `RECEIVER=prometheus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mutation {
    /// The pushgateway job without `honor_labels`: the series sets must differ.
    HonorLabels,
    /// The static job scrapes a copy of the target with one counter off by one, relabeled to
    /// look identical: only the value check can see it.
    Value,
}

impl Config {
    fn from_env() -> Result<Self> {
        let interval = env::duration("E2E_SCRAPE_INTERVAL", "2s")?;
        if interval < Duration::from_secs(1) {
            return Err(fail!("E2E_SCRAPE_INTERVAL must be at least 1s"));
        }
        let receiver = ReceiverKind::from_env()?;
        let om_floats = match env::string("E2E_SCRAPE_OM_FLOATS", "").as_str() {
            "" => receiver == ReceiverKind::Strata,
            "1" => true,
            "0" => false,
            other => return Err(fail!("E2E_SCRAPE_OM_FLOATS={other}: expected 0 or 1")),
        };
        Ok(Config {
            om_floats,
            warmup: env::duration("E2E_SCRAPE_DURATION", "75s")?,
            interval_ms: interval.as_millis() as i64,
            limit: env::duration("E2E_SCRAPE_LIMIT", "10m")?,
            receiver,
            mutation: match env::string("E2E_SCRAPE_MUTATION", "").as_str() {
                "" => None,
                "honor_labels" => Some(Mutation::HonorLabels),
                "value" => Some(Mutation::Value),
                other => {
                    return Err(fail!(
                        "E2E_SCRAPE_MUTATION={other}: expected honor_labels or value"
                    ));
                }
            },
        })
    }

    /// The scrape timeout of every job: 80 % of the global interval.
    fn timeout_ms(&self) -> i64 {
        self.interval_ms * 4 / 5
    }

    /// The scrape interval of the job a series belongs to (by its `job` label).
    fn interval_of(&self, job: &str) -> i64 {
        if job == "pushgateway" || PUSHED_JOBS.contains(&job) {
            self.interval_ms * 2
        } else {
            self.interval_ms
        }
    }
}

fn main() {
    strata_testsuites::run_suite("e2e_scrape", run)
}

/// The harness's own target. `t_explicit` is the timestamp of the one sample that carries one.
fn static_exposition(t_explicit: i64) -> String {
    format!(
        r#"# HELP e2e_static_requests_total A counter that never changes.
# TYPE e2e_static_requests_total counter
e2e_static_requests_total{{code="200",path="/a"}} 1027
e2e_static_requests_total{{code="500",path="/a"}} 3
# HELP e2e_static_temperature_celsius Gauges with odd values.
# TYPE e2e_static_temperature_celsius gauge
e2e_static_temperature_celsius{{room="kitchen"}} 21.5
e2e_static_temperature_celsius{{room="cellar"}} -3.25e-2
e2e_static_temperature_celsius{{room="oven"}} +Inf
e2e_static_temperature_celsius{{room="freezer"}} -Inf
e2e_static_temperature_celsius{{room="unknown"}} NaN
e2e_static_temperature_celsius{{room="void"}} -0
e2e_static_temperature_celsius{{room="huge"}} 1.7976931348623157e+308
e2e_static_temperature_celsius{{room="tiny"}} 5e-324
# TYPE e2e_static_escapes gauge
e2e_static_escapes{{quote="say \"hi\"",backslash="C:\\dir\\",newline="line1\nline2",utf8="grüße ☃",empty=""}} 1
# HELP e2e_static_latency_seconds A histogram whose le values are not in canonical form.
# TYPE e2e_static_latency_seconds histogram
e2e_static_latency_seconds_bucket{{le="0.05"}} 10
e2e_static_latency_seconds_bucket{{le="0.50"}} 25
e2e_static_latency_seconds_bucket{{le="1"}} 30
e2e_static_latency_seconds_bucket{{le="+Inf"}} 31
e2e_static_latency_seconds_sum 12.75
e2e_static_latency_seconds_count 31
# TYPE e2e_static_rpc_seconds summary
e2e_static_rpc_seconds{{quantile="0.5"}} 0.012
e2e_static_rpc_seconds{{quantile="0.99"}} 0.25
e2e_static_rpc_seconds_sum 8.5
e2e_static_rpc_seconds_count 400
e2e_static_untyped 42
# HELP e2e_static_conflict Carries job and instance labels that clash with the target's.
# TYPE e2e_static_conflict gauge
e2e_static_conflict{{job="inner-job",instance="inner-instance"}} 7
# TYPE e2e_static_with_timestamp gauge
e2e_static_with_timestamp{{kind="explicit"}} 99 {t_explicit}
"#
    )
}

/// The harness's target after the change: one series gone, one gauge with a new value.
fn changed_exposition(body: &str) -> String {
    body.replace("e2e_static_untyped 42\n", "")
        .replace("{room=\"kitchen\"} 21.5\n", "{room=\"kitchen\"} 22.5\n")
}

/// The target of the `faulty` job, healthy (the faults are applied by the harness's server).
const FAULTY_EXPOSITION: &str = "# TYPE e2e_faulty_ops_total counter
e2e_faulty_ops_total{op=\"read\"} 5
e2e_faulty_ops_total{op=\"write\"} 6
# TYPE e2e_faulty_temp gauge
e2e_faulty_temp 1.5
e2e_faulty_extra 3
";

/// Pushes the Pushgateway groups: `(method, group path, body)`.
fn pushes() -> Vec<(&'static str, String, String)> {
    vec![
        (
            "PUT",
            "job/batch_export".to_string(),
            r#"# TYPE batch_records_processed_total counter
batch_records_processed_total{table="users"} 12345
batch_records_processed_total{table="orders"} 678
# TYPE batch_last_success_timestamp_seconds gauge
batch_last_success_timestamp_seconds 1.7e+09
# TYPE batch_duration_seconds histogram
batch_duration_seconds_bucket{le="1"} 2
batch_duration_seconds_bucket{le="10"} 7
batch_duration_seconds_bucket{le="+Inf"} 9
batch_duration_seconds_sum 61.5
batch_duration_seconds_count 9
# TYPE batch_item_size_bytes summary
batch_item_size_bytes{quantile="0.5"} 512
batch_item_size_bytes{quantile="0.9"} 2048
batch_item_size_bytes_sum 99000
batch_item_size_bytes_count 120
"#
            .to_string(),
        ),
        (
            "PUT",
            "job/cron/instance/host-1".to_string(),
            r#"# TYPE cron_runs_total counter
cron_runs_total{result="ok"} 41
cron_runs_total{result="failed"} 2
# TYPE cron_escapes gauge
cron_escapes{path="C:\\tmp\\x",msg="he said \"no\"",multi="a\nb"} 3
"#
            .to_string(),
        ),
        (
            "POST",
            format!("job/deploy/{}", sp::base64_key("env", "prod/eu-west")),
            r#"# TYPE deploy_version_info gauge
deploy_version_info{version="1.2.3",commit="abc"} 1
# TYPE deploy_error_ratio gauge
deploy_error_ratio NaN
"#
            .to_string(),
        ),
    ]
}

/// Which version of prometheus.yml the servers run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Every job and target.
    Full,
    /// Reloaded by `POST /-/reload`: the `node` job lost its `localhost` target and the whole
    /// `node-relabel` job is gone.
    Removed,
    /// Reloaded by SIGHUP: `node-relabel` is back.
    Readded,
}

/// The prometheus.yml both servers run in `phase`.
fn prometheus_yml(
    cfg: &Config,
    ne_port: u16,
    pgw: &str,
    static_addr: &str,
    faulty_addr: &str,
    keep_bucket: u64,
    phase: Phase,
) -> String {
    let ne = format!("127.0.0.1:{ne_port}");
    let i = cfg.interval_ms;
    let mut y = format!(
        "global:\n  scrape_interval: {i}ms\n  scrape_timeout: {t}ms\n  evaluation_interval: 1m\n\
         scrape_configs:\n",
        t = cfg.timeout_ms()
    );
    // The same exporter twice: by address and by name (the name is resolved by the scraper).
    let second = if phase == Phase::Full {
        format!(", 'localhost:{ne_port}'")
    } else {
        String::new()
    };
    y.push_str(&format!(
        "  - job_name: node\n    static_configs:\n      - targets: ['{ne}'{second}]\n"
    ));
    y.push_str(&format!(
        "  - job_name: pushgateway\n    honor_labels: true\n    scrape_interval: {pi}ms\n    \
         static_configs:\n      - targets: ['{pgw}']\n",
        pi = i * 2
    ));
    if phase != Phase::Removed {
        node_relabel_job(&mut y, &ne, keep_bucket);
    }
    y.push_str(&format!(
        "  - job_name: static\n    static_configs:\n      - targets: ['{static_addr}']\n        \
         labels:\n          team: 'harness'\n"
    ));
    y.push_str(&format!(
        "  - job_name: faulty\n    static_configs:\n      - targets: ['{faulty_addr}']\n"
    ));
    y
}

/// The `node-relabel` job: node_exporter as several targets, relabeled.
fn node_relabel_job(y: &mut String, ne: &str, keep_bucket: u64) {
    y.push_str("  - job_name: node-relabel\n    params:\n      'collect[]':\n");
    for c in RELABEL_COLLECT {
        y.push_str(&format!("        - {c}\n"));
    }
    y.push_str("    static_configs:\n");
    for s in SHARDS {
        y.push_str(&format!(
            "      - targets: ['{ne}']\n        labels:\n          shard: '{s}'\n"
        ));
    }
    y.push_str(&format!(
        r#"    relabel_configs:
      - source_labels: [shard]
        modulus: {MODULUS}
        target_label: __tmp_bucket
        action: hashmod
      - source_labels: [__tmp_bucket]
        regex: '{keep_bucket}'
        action: keep
      - source_labels: [shard, __address__]
        separator: '/'
        regex: '(.+)/127\.0\.0\.1:(\d+)'
        target_label: instance
        replacement: 'node-$1:$2'
      - target_label: env
        replacement: e2e
      - action: labelmap
        regex: 'shar(d)'
        replacement: 'shard_$1'
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: 'go_.*|process_.*|promhttp_.*'
        action: drop
      - source_labels: [__name__]
        regex: 'node_network_.*_(errs|drop|fifo|frame|compressed|multicast|colls|carrier)_total'
        action: drop
      - regex: 'domainname|machine'
        action: labeldrop
      - source_labels: [__name__, device]
        separator: '@'
        regex: 'node_network_receive_bytes_total@(.+)'
        target_label: nic
        replacement: 'nic-$1'
      - source_labels: [mode]
        regex: 'i(.*)'
        target_label: mode
        replacement: 'I$1'
"#
    ));
}

/// Named checks and their outcome, printed at the end.
#[derive(Default)]
struct Checks(Vec<(String, bool, String)>);

impl Checks {
    fn add(&mut self, name: impl Into<String>, passed: bool, detail: impl Into<String>) {
        let (name, detail) = (name.into(), detail.into());
        println!("  [{}] {name}", if passed { "PASS" } else { "FAIL" });
        self.0.push((name, passed, detail));
    }

    fn failed(&self) -> usize {
        self.0.iter().filter(|c| !c.1).count()
    }

    fn print(&self) {
        println!();
        for (name, passed, detail) in &self.0 {
            println!("[{}] {name}", if *passed { "PASS" } else { "FAIL" });
            if !detail.is_empty() {
                println!("    {}", detail.replace('\n', "\n    "));
            }
        }
    }
}

/// At most `n` lines of a list, with a count of the rest.
fn first_lines(items: &[String], n: usize) -> String {
    let mut out: Vec<String> = items.iter().take(n).cloned().collect();
    if items.len() > n {
        out.push(format!("… {} more", items.len() - n));
    }
    out.join("\n")
}

fn label<'a>(l: &'a Labels, name: &str) -> &'a str {
    l.get(name).map(String::as_str).unwrap_or("")
}

/// The scrape job a series came from, for grouping reports (pushed groups carry their own job).
fn job_group(l: &Labels) -> String {
    let job = label(l, "job");
    if PUSHED_JOBS.contains(&job) {
        "pushgateway".to_string()
    } else {
        job.to_string()
    }
}

/// Raw samples per series.
type Raw = BTreeMap<Labels, Vec<(i64, f64)>>;

/// `{__name__=~".+"}[range]` evaluated at `t_ms`, values parsed.
fn raw_samples(http: &Http, base: &str, range_ms: i64, t_ms: i64) -> Result<Raw> {
    let q = format!("{{__name__=~\".+\"}}[{range_ms}ms]");
    prom::query_matrix(http, base, &q, t_ms)?
        .into_iter()
        .map(|(l, pts)| {
            let pts = pts
                .into_iter()
                .map(|(t, v)| Ok((t, sp::parse_value(&v)?)))
                .collect::<Result<Vec<_>>>()?;
            Ok((l, pts))
        })
        .collect()
}

/// `# TYPE` of every metric family in an exposition text.
fn family_types(text: &str, into: &mut BTreeMap<String, String>) {
    for line in text.lines() {
        let mut w = line.split_whitespace();
        if w.next() == Some("#") && w.next() == Some("TYPE") {
            if let (Some(name), Some(ty)) = (w.next(), w.next()) {
                into.insert(name.to_string(), ty.to_string());
            }
        }
    }
}

/// How a series' value at T is compared with Prometheus's samples around T.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rule {
    /// Only grows (counter, histogram series, summary sum/count): within [min, max].
    Monotonic,
    /// Gauge-like: equal if Prometheus saw it constant, else within [min - spread, max + spread].
    Gauge,
    /// Depends on the scrape itself or moves fast: within a plausibility bound.
    Volatile,
    /// `scrape_duration_seconds`: in (0, timeout].
    Duration,
}

/// Series whose values depend on concurrent scrapes or move between any two scrapes.
fn is_volatile(name: &str) -> bool {
    let steady = name.ends_with("_info")
        || name.ends_with("_start_time_seconds")
        || name.ends_with("_total_bytes")
        || name == "node_memory_MemTotal_bytes"
        || name == "node_memory_SwapTotal_bytes";
    let prefixes = [
        "go_",
        "process_",
        "promhttp_metric_handler_requests_in_flight",
        "node_procs_",
        "node_scrape_collector_",
        "node_memory_",
        "node_load",
        "node_filefd_allocated",
        "node_vmstat_",
        "node_time_seconds",
        "node_timex_",
    ];
    !steady && prefixes.iter().any(|p| name.starts_with(p))
}

fn rule_of(l: &Labels, types: &BTreeMap<String, String>) -> Rule {
    let name = label(l, "__name__");
    if name == "scrape_duration_seconds" {
        return Rule::Duration;
    }
    let ty = types.get(name).map(String::as_str).or_else(|| {
        ["_bucket", "_sum", "_count"].iter().find_map(|suffix| {
            let base = name.strip_suffix(suffix)?;
            types
                .get(base)
                .map(String::as_str)
                .filter(|t| *t == "histogram" || *t == "summary")
        })
    });
    match ty {
        Some("counter") | Some("histogram") => Rule::Monotonic,
        Some("summary") if !l.contains_key("quantile") => Rule::Monotonic,
        _ if is_volatile(name) => Rule::Volatile,
        _ => Rule::Gauge,
    }
}

/// Checks `s` (Strata's value at T) against Prometheus's samples `p` in the window; `Err` says
/// why not.
fn judge(rule: Rule, s: f64, p: &[f64], timeout_s: f64) -> std::result::Result<(), String> {
    if rule == Rule::Duration {
        return if s > 0.0 && s <= timeout_s {
            Ok(())
        } else {
            Err(format!("not in (0, {timeout_s}]"))
        };
    }
    let constant = p.windows(2).all(|w| w[0].to_bits() == w[1].to_bits());
    if s.is_nan() || p.iter().any(|v| v.is_nan()) {
        return if s.is_nan() && p.iter().any(|v| v.is_nan()) || !s.is_nan() && !constant {
            // A NaN among changing values (a summary quantile without observations) cannot be
            // bracketed; Strata's NaN matches one of Prometheus's.
            Ok(())
        } else {
            Err("NaN on one side only".to_string())
        };
    }
    if constant && rule != Rule::Volatile {
        return if s.to_bits() == p[0].to_bits() {
            Ok(())
        } else {
            Err("Prometheus saw a constant; values differ".to_string())
        };
    }
    let (min, max) = p
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    let spread = max - min;
    let ok = match rule {
        Rule::Monotonic => min <= s && s <= max,
        Rule::Gauge => min - spread <= s && s <= max + spread,
        Rule::Volatile => {
            // Within a factor of four (plus 4, for small counts such as goroutines or running
            // processes that double when two scrapes overlap) of what Prometheus saw.
            let lo = if min >= 0.0 { min / 4.0 } else { min * 4.0 } - 4.0 - spread;
            let hi = if max >= 0.0 { max * 4.0 } else { max / 4.0 } + 4.0 + spread;
            lo <= s && s <= hi
        }
        Rule::Duration => true,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("outside the {rule:?} bound of [{min}, {max}]"))
    }
}

/// A float label value as Go's `fmt.Sprint` renders it, with `.0` added to integers: how
/// Prometheus 3 rewrites `le` and `quantile`. Values that are not floats stay as they are.
fn om_float(v: &str) -> String {
    let Ok(f) = sp::parse_value(v) else {
        return v.to_string();
    };
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    let a = f.abs();
    let s = if a != 0.0 && !(1e-4..1e21).contains(&a) {
        // Go writes exponents with a sign and at least two digits: 1e-05, 1.5e+21.
        let e = format!("{f:e}");
        match e.split_once('e') {
            Some((m, x)) => {
                let (sign, digits) = x.strip_prefix('-').map_or(("+", x), |d| ("-", d));
                format!("{m}e{sign}{digits:0>2}")
            }
            None => e,
        }
    } else {
        format!("{f}")
    };
    if s.contains(['.', 'e']) || s.contains("Inf") || s == "NaN" {
        s
    } else {
        format!("{s}.0")
    }
}

/// `l` with a histogram bucket's `le` or a summary's `quantile` in OpenMetrics float form.
fn om_float_labels(l: &Labels, types: &BTreeMap<String, String>) -> Labels {
    let name = label(l, "__name__");
    let histogram = name
        .strip_suffix("_bucket")
        .and_then(|b| types.get(b))
        .is_some_and(|t| t == "histogram");
    let summary = types.get(name).is_some_and(|t| t == "summary");
    let mut out = l.clone();
    for (key, applies) in [("le", histogram), ("quantile", summary)] {
        if let (true, Some(v)) = (applies, l.get(key)) {
            out.insert(key.to_string(), om_float(v));
        }
    }
    out
}

fn write_config(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

fn run() -> Result<bool> {
    let cfg = Config::from_env()?;
    println!("e2e_scrape: {cfg:?}");
    let deadline = Deadline::after(cfg.limit);
    let mut work = env::WorkDir::new("e2e_scrape")?;
    let dir = work.path().to_path_buf();
    let http = Http::new(Duration::from_secs(60));
    let i = cfg.interval_ms;
    let side = cfg.receiver.name();

    // --- peers ---------------------------------------------------------------------------------
    let mut ne = peers::start_node_exporter("node_exporter", &dir, NODE_COLLECTORS)?;
    ne.wait_ready(&http, Duration::from_secs(30))?;
    let mut pgw = sp::start_pushgateway(&dir)?;
    pgw.wait_ready(&http, Duration::from_secs(30))?;
    for (method, group, body) in pushes() {
        sp::push(&pgw.base, method, &group, &body)?;
    }
    let t_explicit = now_ms();
    let mut target = StaticTarget::start(static_exposition(t_explicit))?;
    let faulty = StaticTarget::start(FAULTY_EXPOSITION.to_string())?;
    let faulty_addr = format!("127.0.0.1:{}", faulty.port);
    let pgw_addr = pgw.base.trim_start_matches("http://").to_string();
    let static_addr = format!("127.0.0.1:{}", target.port);

    let mut types = BTreeMap::new();
    family_types(&http.get_text(&format!("{}/metrics", ne.base))?, &mut types);
    family_types(
        &http.get_text(&format!("{}/metrics", pgw.base))?,
        &mut types,
    );
    family_types(&static_exposition(t_explicit), &mut types);

    // The hashmod keep keeps the bucket of shard "a"; the harness knows which others share it.
    let mut buckets = BTreeMap::new();
    for s in SHARDS {
        buckets.insert(*s, hashmod(s, MODULUS)?);
    }
    let keep_bucket = buckets["a"];
    let expected_shards: BTreeSet<String> = buckets
        .iter()
        .filter(|(_, b)| **b == keep_bucket)
        .map(|(s, _)| s.to_string())
        .collect();
    println!("hashmod buckets {buckets:?}: keep bucket {keep_bucket} = shards {expected_shards:?}");

    // The self-test's mutations give the second server its own, altered, file.
    if cfg.mutation.is_some() && cfg.receiver != ReceiverKind::Prometheus {
        return Err(fail!("E2E_SCRAPE_MUTATION needs RECEIVER=prometheus"));
    }
    let mut mut_target = match cfg.mutation {
        Some(Mutation::Value) => Some(StaticTarget::start(
            static_exposition(t_explicit).replace("} 1027\n", "} 1028\n"),
        )?),
        _ => None,
    };
    let mut_port = mut_target.as_ref().map(|m| m.port);
    let yml = |phase| {
        prometheus_yml(
            &cfg,
            ne.port,
            &pgw_addr,
            &static_addr,
            &faulty_addr,
            keep_bucket,
            phase,
        )
    };
    let mutated = |text: String| -> String {
        match (&cfg.mutation, mut_port) {
            (Some(Mutation::HonorLabels), _) => {
                text.replace("honor_labels: true", "honor_labels: false")
            }
            (Some(Mutation::Value), Some(port)) => text.replace(
                &format!("- targets: ['{static_addr}']\n        labels:\n          team: 'harness'\n"),
                &format!(
                    "- targets: ['127.0.0.1:{}']\n        labels:\n          team: 'harness'\n    \
                     relabel_configs:\n      - target_label: instance\n        replacement: '{static_addr}'\n",
                    port
                ),
            ),
            _ => text,
        }
    };
    let config_path = dir.join("prometheus.yml");
    let mutated_path = dir.join("mutated.yml");
    let write_both = |phase| -> Result<()> {
        write_config(&config_path, &yml(phase))?;
        if cfg.mutation.is_some() {
            write_config(&mutated_path, &mutated(yml(phase)))?;
        }
        Ok(())
    };
    write_both(Phase::Full)?;
    let second_path = if cfg.mutation.is_some() {
        &mutated_path
    } else {
        &config_path
    };
    let mut prometheus = sp::start_scraper("prometheus", None, &dir, &config_path)?;
    let mut strata = sp::start_scraper(side, Some(cfg.receiver), &dir, second_path)?;
    prometheus.wait_ready(&http, Duration::from_secs(60))?;
    strata.wait_ready(&http, Duration::from_secs(60))?;

    // --- warm-up -------------------------------------------------------------------------------
    let imax = i * 2;
    // T lies 3 of the slowest job's intervals before the end of the warm-up, and its window
    // reaches 3 more back: the warm-up must cover that plus the first scrapes.
    let warmup = cfg
        .warmup
        .max(Duration::from_millis((8 * imax + 5000) as u64));
    let window_need = Duration::from_millis((6 * imax + 60_000) as u64) + warmup;
    deadline.check("the warm-up and comparison", window_need)?;
    println!("scraping for {warmup:?}");
    let warm_end = now_ms() + warmup.as_millis() as i64;
    while now_ms() < warm_end {
        for p in [&mut prometheus, &mut strata, &mut pgw] {
            p.proc.check_alive()?;
        }
        ne.proc.check_alive()?;
        std::thread::sleep(Duration::from_millis(500));
    }
    // T lies far enough in the past that both raw windows around it are complete.
    let t = now_ms() - 3 * imax - 1000;
    sleep_until_ms(t + 3 * imax + 500);
    println!("comparing at T = {} UTC", utc_time_of_day(t));

    let mut checks = Checks::default();
    compare_at(&http, &cfg, &prometheus, &strata, &types, t, &mut checks)?;
    check_shards(
        &http,
        &prometheus,
        &strata,
        side,
        &expected_shards,
        t,
        &mut checks,
    )?;
    check_targets(&http, &prometheus, &strata, side, None, 5, &mut checks)?;
    check_requests(&target, &cfg, &mut checks);

    // --- staleness: a series goes away, a value changes -----------------------------------------
    deadline.check(
        "the changed-exposition phase",
        Duration::from_millis((3 * i + 30_000) as u64),
    )?;
    let t_change = now_ms();
    println!(
        "the static target drops e2e_static_untyped and changes a gauge at {}",
        utc_time_of_day(t_change)
    );
    target.set_body(changed_exposition(&static_exposition(t_explicit)));
    if let Some(m) = mut_target.as_ref() {
        m.set_body(changed_exposition(
            &static_exposition(t_explicit).replace("} 1027\n", "} 1028\n"),
        ));
    }
    sleep_until_ms(t_change + 2 * i + 1000);
    check_changed(&http, &prometheus, &strata, t_change, &mut checks)?;

    // --- failed scrapes ---------------------------------------------------------------------------
    let slow = Duration::from_millis((cfg.timeout_ms() + 600) as u64);
    for fault in [
        Fault::Status500,
        Fault::Malformed,
        Fault::Slow(slow),
        Fault::None,
    ] {
        deadline.check(
            "the failed-scrape phase",
            Duration::from_millis((3 * i + 40_000) as u64),
        )?;
        let t_fault = now_ms();
        println!(
            "the faulty target switches to {fault:?} at {}",
            utc_time_of_day(t_fault)
        );
        faulty.set_fault(fault);
        check_fault(
            &http,
            &cfg,
            &prometheus,
            &strata,
            fault,
            t_fault,
            &mut checks,
        )?;
    }

    // --- staleness: targets go away ------------------------------------------------------------
    deadline.check(
        "the staleness phase",
        Duration::from_millis((8 * imax + 30_000) as u64),
    )?;
    let t_stop = now_ms();
    println!(
        "stopping the static target and killing the pushgateway at {}",
        utc_time_of_day(t_stop)
    );
    target.stop();
    if let Some(m) = mut_target.as_mut() {
        m.stop();
    }
    pgw.proc.kill9()?;
    sleep_until_ms(t_stop + 2 * imax + 2000);
    check_down(&http, &prometheus, &strata, side, t_explicit, &mut checks)?;

    // --- reload: a target and a job removed, then the job back -----------------------------
    deadline.check(
        "the reload phases",
        Duration::from_millis((8 * i + 90_000) as u64),
    )?;
    write_both(Phase::Removed)?;
    let t_reload = now_ms();
    let (sp_, ss) = (prometheus.reload(&http)?, strata.reload(&http)?);
    checks.add(
        format!("POST /-/reload answered 200 on both (prometheus {sp_}, {side} {ss})"),
        sp_ == 200 && ss == 200,
        "",
    );
    check_removed(
        &http,
        &prometheus,
        &strata,
        ne.port,
        t_reload,
        i,
        &mut checks,
    )?;

    write_both(Phase::Readded)?;
    println!("SIGHUP: node-relabel comes back");
    prometheus.proc.hup()?;
    strata.proc.hup()?;
    check_readded(&http, &prometheus, &strata, side, i, &mut checks)?;

    for p in [&mut prometheus, &mut strata] {
        if let Err(e) = p.proc.check_alive() {
            checks.add(format!("{} stayed up", p.proc.name()), false, e.to_string());
        }
    }
    checks.print();
    let failed = checks.failed();
    println!("e2e_scrape: {} checks, {failed} failed", checks.0.len());
    if failed == 0 {
        work.succeeded();
    }
    Ok(failed == 0)
}

/// Series sets, `up`, values and sample counts at T.
fn compare_at(
    http: &Http,
    cfg: &Config,
    prometheus: &Peer,
    strata: &Peer,
    types: &BTreeMap<String, String>,
    t: i64,
    checks: &mut Checks,
) -> Result<()> {
    let all = "{__name__=~\".+\"}";
    let mut renamed = 0;
    let mut expect = |l: Labels| -> Labels {
        if !cfg.om_floats {
            return l;
        }
        let e = om_float_labels(&l, types);
        renamed += usize::from(e != l);
        e
    };
    let pv: BTreeMap<Labels, f64> = query_vector(http, &prometheus.base, all, t)?
        .into_iter()
        .map(|(l, v)| (expect(l), v))
        .collect();
    if cfg.om_floats {
        checks.add(
            "Prometheus 3 difference: le/quantile compared in OpenMetrics float form",
            true,
            format!(
                "{renamed} of Prometheus 2.42's series rewritten (le=\"1\" -> le=\"1.0\") before comparing"
            ),
        );
    }
    let sv: BTreeMap<Labels, f64> = query_vector(http, &strata.base, all, t)?
        .into_iter()
        .collect();
    let side = strata.proc.name();

    // 1. series sets per job.
    let jobs: BTreeSet<String> = pv.keys().chain(sv.keys()).map(job_group).collect();
    for job in &jobs {
        let pset: BTreeSet<&Labels> = pv.keys().filter(|l| job_group(l) == *job).collect();
        let sset: BTreeSet<&Labels> = sv.keys().filter(|l| job_group(l) == *job).collect();
        let only_p: Vec<String> = pset.difference(&sset).map(|l| fmt_labels(l)).collect();
        let only_s: Vec<String> = sset.difference(&pset).map(|l| fmt_labels(l)).collect();
        let mut detail = format!(
            "prometheus {} series, {side} {}, common {}",
            pset.len(),
            sset.len(),
            pset.intersection(&sset).count()
        );
        if !only_p.is_empty() {
            detail.push_str(&format!(
                "\nonly in prometheus ({}):\n{}",
                only_p.len(),
                first_lines(&only_p, 15)
            ));
        }
        if !only_s.is_empty() {
            detail.push_str(&format!(
                "\nonly in {side} ({}):\n{}",
                only_s.len(),
                first_lines(&only_s, 15)
            ));
        }
        checks.add(
            format!("series set at T, job {job}"),
            only_p.is_empty() && only_s.is_empty() && !pset.is_empty(),
            detail,
        );
    }
    for job in ["node", "node-relabel", "pushgateway", "static"] {
        if !jobs.contains(job) {
            checks.add(
                format!("series set at T, job {job}"),
                false,
                "no series of this job on either side",
            );
        }
    }

    // 2. up per target.
    let ups = |m: &BTreeMap<Labels, f64>| -> BTreeMap<String, f64> {
        m.iter()
            .filter(|(l, _)| label(l, "__name__") == "up")
            .map(|(l, v)| (fmt_labels(l), *v))
            .collect()
    };
    let (pu, su) = (ups(&pv), ups(&sv));
    let mut bad = Vec::new();
    for k in pu.keys().chain(su.keys()).collect::<BTreeSet<_>>() {
        let (a, b) = (pu.get(k), su.get(k));
        if a != Some(&1.0) || b != Some(&1.0) {
            bad.push(format!("{k}: prometheus {a:?}, {side} {b:?}"));
        }
    }
    checks.add(
        format!("up == 1 on both for every target ({} targets)", pu.len()),
        bad.is_empty() && pu.len() >= 5,
        first_lines(&bad, 20),
    );

    // 3. and 4. values and sample counts against raw samples around T.
    let imax = cfg.interval_ms * 2;
    let praw: Raw = raw_samples(http, &prometheus.base, 6 * imax, t + 3 * imax)?
        .into_iter()
        .map(|(l, v)| {
            let l = if cfg.om_floats {
                om_float_labels(&l, types)
            } else {
                l
            };
            (l, v)
        })
        .collect();
    let sraw = raw_samples(http, &strata.base, 6 * imax, t + 3 * imax)?;
    let timeout_s = cfg.timeout_ms() as f64 / 1000.0;
    let mut per_rule: BTreeMap<Rule, (usize, usize)> = BTreeMap::new();
    let mut value_fails = Vec::new();
    let mut count_fails = Vec::new();
    let mut counted = 0;
    for (l, s) in &sv {
        let Some(pinst) = pv.get(l) else { continue };
        let iv = cfg.interval_of(label(l, "job"));
        let in_window = |pts: &[(i64, f64)]| -> Vec<f64> {
            pts.iter()
                .filter(|(ts, _)| *ts > t - 2 * iv && *ts <= t + 2 * iv)
                .map(|(_, v)| *v)
                .collect()
        };
        let p = praw.get(l).map(|v| in_window(v)).unwrap_or_default();
        let rule = rule_of(l, types);
        let verdict = if p.is_empty() {
            // Only a sample with an explicit timestamp older than the window: compare the
            // instant values themselves.
            if s.to_bits() == pinst.to_bits() {
                Ok(())
            } else {
                Err(format!("instant values differ (prometheus {pinst})"))
            }
        } else {
            judge(rule, *s, &p, timeout_s)
        };
        let e = per_rule.entry(rule).or_default();
        e.0 += 1;
        if let Err(why) = verdict {
            e.1 += 1;
            value_fails.push(format!(
                "{}: {side} {s} vs prometheus {p:?}: {why}",
                fmt_labels(l)
            ));
        }
        let sc = sraw.get(l).map(|v| in_window(v).len()).unwrap_or(0);
        if !p.is_empty() {
            counted += 1;
            if sc.abs_diff(p.len()) > 1 {
                count_fails.push(format!(
                    "{}: prometheus {} samples, {side} {sc}",
                    fmt_labels(l),
                    p.len()
                ));
            }
        }
    }
    let summary: Vec<String> = per_rule
        .iter()
        .map(|(r, (n, f))| format!("{r:?}: {n} series, {f} failed"))
        .collect();
    checks.add(
        "values at T within Prometheus's samples around T (±2 intervals)",
        value_fails.is_empty() && per_rule.values().map(|x| x.0).sum::<usize>() >= 100,
        format!("{}\n{}", summary.join("; "), first_lines(&value_fails, 25)),
    );
    checks.add(
        "raw sample count per series in the window equal ±1",
        count_fails.is_empty() && counted >= 100,
        format!(
            "{counted} series counted\n{}",
            first_lines(&count_fails, 20)
        ),
    );
    Ok(())
}

/// The hashmod `keep` kept exactly the expected shards, on both sides.
fn check_shards(
    http: &Http,
    prometheus: &Peer,
    strata: &Peer,
    side: &str,
    expected: &BTreeSet<String>,
    t: i64,
    checks: &mut Checks,
) -> Result<()> {
    for (name, p) in [("prometheus", prometheus), (side, strata)] {
        let got: BTreeSet<String> = query_vector(http, &p.base, "up{job=\"node-relabel\"}", t)?
            .iter()
            .map(|(l, _)| label(l, "shard").to_string())
            .collect();
        checks.add(
            format!("{name}: hashmod keep kept shards {expected:?} (computed with md5sum)"),
            &got == expected,
            format!("kept {got:?}"),
        );
    }
    Ok(())
}

/// `/api/v1/targets` of the server under test against Prometheus's. `gone`: a job that must not
/// be listed any more.
fn check_targets(
    http: &Http,
    prometheus: &Peer,
    strata: &Peer,
    side: &str,
    gone: Option<&str>,
    min_active: usize,
    checks: &mut Checks,
) -> Result<()> {
    let pt = sp::targets(http, &prometheus.base)?;
    let st = sp::targets(http, &strata.base)?;
    let active = |v: &Value| -> Result<BTreeMap<String, Value>> {
        let arr = v
            .get("activeTargets")
            .and_then(Value::as_array)
            .ok_or_else(|| fail!("targets: no activeTargets array"))?;
        arr.iter()
            .map(|t| {
                let labels = prom::labels_of(t.get("labels").unwrap_or(&Value::Null))?;
                let pool = t.get("scrapePool").and_then(Value::as_str).unwrap_or("?");
                Ok((format!("{pool} {}", fmt_labels(&labels)), t.clone()))
            })
            .collect()
    };
    let (pa, sa) = (active(&pt)?, active(&st)?);
    let mut diffs = Vec::new();
    for key in pa.keys().chain(sa.keys()).collect::<BTreeSet<_>>() {
        let (Some(a), Some(b)) = (pa.get(key), sa.get(key)) else {
            let w = if pa.contains_key(key) {
                "prometheus"
            } else {
                side
            };
            diffs.push(format!("{key}: only in {w}"));
            continue;
        };
        // Error texts are Go's own wording; only whether there is one must agree.
        let has_error = |t: &Value| t.get("lastError").and_then(Value::as_str) != Some("");
        if has_error(a) != has_error(b) {
            diffs.push(format!(
                "{key}: lastError: prometheus {} vs {side} {}",
                a.get("lastError").unwrap_or(&Value::Null),
                b.get("lastError").unwrap_or(&Value::Null)
            ));
        }
        for field in [
            "scrapeUrl",
            "health",
            "scrapeInterval",
            "scrapeTimeout",
            "discoveredLabels",
        ] {
            if a.get(field) != b.get(field) {
                diffs.push(format!(
                    "{key}: {field}: prometheus {} vs {side} {}",
                    a.get(field).unwrap_or(&Value::Null),
                    b.get(field).unwrap_or(&Value::Null)
                ));
            }
        }
    }
    let dropped = |v: &Value| -> BTreeSet<String> {
        v.get("droppedTargets")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|t| {
                        t.get("discoveredLabels")
                            .unwrap_or(&Value::Null)
                            .to_string()
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (pd, sd) = (dropped(&pt), dropped(&st));
    for d in pd.symmetric_difference(&sd) {
        let w = if pd.contains(d) { "prometheus" } else { side };
        diffs.push(format!("dropped target only in {w}: {d}"));
    }
    let when = match gone {
        Some(job) => format!("after {job} was removed"),
        None => "with every job".to_string(),
    };
    let mut ok = diffs.is_empty() && pa.len() >= min_active;
    if let Some(job) = gone {
        let listed = sa
            .keys()
            .filter(|k| k.starts_with(&format!("{job} ")))
            .count();
        if listed > 0 {
            ok = false;
            diffs.push(format!(
                "{side} still lists {listed} targets of removed job {job}"
            ));
        }
    }
    checks.add(
        format!(
            "/api/v1/targets {when}: {} active, {} dropped targets agree",
            pa.len(),
            pd.len()
        ),
        ok,
        first_lines(&diffs, 25),
    );
    Ok(())
}

/// Every scrape of the harness's target asked for the text format and sent the timeout header.
fn check_requests(target: &StaticTarget, cfg: &Config, checks: &mut Checks) {
    let seen = target.seen();
    let timeout = format!("{}", cfg.timeout_ms() as f64 / 1000.0);
    let bad: Vec<String> = seen
        .iter()
        .filter(|r| {
            !r.request_line.starts_with("GET /metrics ")
                || !r.accept.contains("text/plain")
                || r.timeout_header != timeout
        })
        .map(|r| format!("{r:?}"))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let agents: BTreeSet<String> = seen
        .iter()
        .map(|r| format!("{} | Accept: {}", r.user_agent, r.accept))
        .collect();
    checks.add(
        format!(
            "static target: {} scrapes, each GET /metrics with Accept text/plain and timeout header {timeout}",
            seen.len()
        ),
        bad.is_empty() && seen.len() >= 10,
        format!(
            "clients: {}\n{}",
            agents.into_iter().collect::<Vec<_>>().join("\n"),
            first_lines(&bad, 10)
        ),
    );
}

/// After the harness's target dropped a series and changed a gauge: at the first scrape after the
/// change, on both sides, the dropped series is stale and the gauge has its new value.
fn check_changed(
    http: &Http,
    prometheus: &Peer,
    strata: &Peer,
    t_change: i64,
    checks: &mut Checks,
) -> Result<()> {
    let side = strata.proc.name();
    let now = now_ms();
    for (name, p) in [("prometheus", prometheus), (side, strata)] {
        // Scrapes whose request may have been served before the change are skipped: one
        // scrape timeout's worth.
        let scrapes = prom::query_matrix(http, &p.base, "up{job=\"static\"}[30s]", now)?;
        let first_after = scrapes
            .iter()
            .flat_map(|(_, pts)| pts.iter())
            .map(|(t, _)| *t)
            .find(|t| *t > t_change + 2000);
        let Some(t1) = first_after else {
            checks.add(
                format!("{name}: a series the target stops exposing is stale at the next scrape"),
                false,
                "no scrape of the static target after the change",
            );
            continue;
        };
        let gone = query_vector(http, &p.base, "e2e_static_untyped", t1)?;
        checks.add(
            format!(
                "{name}: a series the target stops exposing is stale at the next scrape ({} UTC)",
                utc_time_of_day(t1)
            ),
            gone.is_empty(),
            format!("{gone:?}"),
        );
        let kitchen = query_vector(
            http,
            &p.base,
            "e2e_static_temperature_celsius{room=\"kitchen\"}",
            t1,
        )?;
        checks.add(
            format!("{name}: a changed value is stored at the next scrape"),
            kitchen.len() == 1 && kitchen[0].1 == 22.5,
            format!("{kitchen:?}"),
        );
    }
    Ok(())
}

/// After the `faulty` target switched to `fault`: once both servers have a scrape that started
/// after the switch, `up`, the data series and the `scrape_*` series must agree.
fn check_fault(
    http: &Http,
    cfg: &Config,
    prometheus: &Peer,
    strata: &Peer,
    fault: Fault,
    t_fault: i64,
    checks: &mut Checks,
) -> Result<()> {
    let side = strata.proc.name();
    let what = match fault {
        Fault::None => "healthy again".to_string(),
        Fault::Status500 => "HTTP 500".to_string(),
        Fault::Malformed => "unparsable line after two samples".to_string(),
        Fault::Slow(d) => format!("answers after {d:?} (> scrape_timeout)"),
    };
    let timeout_s = cfg.timeout_ms() as f64 / 1000.0;
    let mut seen = Vec::new();
    for (name, p) in [("prometheus", prometheus), (side, strata)] {
        let waited = wait_for(
            &format!("{name} to finish a scrape of the faulty target started after the switch"),
            Duration::from_millis((3 * cfg.interval_ms + cfg.timeout_ms() + 10_000) as u64),
            Duration::from_millis(200),
            || {
                let v = query_vector(http, &p.base, "timestamp(up{job=\"faulty\"})", now_ms())?;
                Ok(v.iter()
                    .any(|(_, ts)| *ts * 1000.0 > (t_fault + 300) as f64)
                    .then_some(()))
            },
        );
        if let Err(e) = waited {
            checks.add(
                format!("{name}: faulty target, {what}"),
                false,
                e.to_string(),
            );
            return Ok(());
        }
        let v = query_vector(http, &p.base, "{job=\"faulty\"}", now_ms())?;
        let get = |n: &str| {
            v.iter()
                .find(|(l, _)| label(l, "__name__") == n)
                .map(|(_, x)| *x)
        };
        let data: BTreeSet<String> = v
            .iter()
            .filter(|(l, _)| !survives_down(l))
            .map(|(l, _)| fmt_labels(l))
            .collect();
        let healthy = fault == Fault::None;
        let up_ok = get("up") == Some(if healthy { 1.0 } else { 0.0 });
        let data_ok = if healthy {
            data.len() == 4
        } else {
            data.is_empty()
        };
        let duration = get("scrape_duration_seconds").unwrap_or(f64::NAN);
        let duration_ok = match fault {
            Fault::Slow(_) => duration >= 0.9 * timeout_s && duration <= timeout_s + 1.0,
            _ => duration > 0.0 && duration <= timeout_s,
        };
        checks.add(
            format!(
                "{name}: faulty target, {what}: up {}, its series {}, scrape_duration_seconds plausible",
                if healthy { "1" } else { "0" },
                if healthy { "back" } else { "stale" }
            ),
            up_ok && data_ok && duration_ok,
            format!(
                "up {:?}, {} data series, scrape_duration_seconds {duration}",
                get("up"),
                data.len()
            ),
        );
        let counters: Vec<(String, Option<f64>)> = [
            "scrape_samples_scraped",
            "scrape_samples_post_metric_relabeling",
            "scrape_series_added",
        ]
        .iter()
        .map(|n| (n.to_string(), get(n)))
        .collect();
        seen.push((counters, data));
    }
    if let [(pc, pd), (sc, sd)] = seen.as_slice() {
        checks.add(
            format!("faulty target, {what}: scrape_* series and data series agree"),
            pc == sc && pd == sd,
            format!("prometheus {pc:?}\n{side} {sc:?}"),
        );
    }
    Ok(())
}

/// Series that survive their target going down: `up` and the `scrape_*` series, and samples with
/// an explicit timestamp (Prometheus 2.42 does not track their staleness).
fn survives_down(l: &Labels) -> bool {
    let name = label(l, "__name__");
    name == "up" || name.starts_with("scrape_")
}

/// After the static target stopped and the Pushgateway died.
fn check_down(
    http: &Http,
    prometheus: &Peer,
    strata: &Peer,
    side: &str,
    t_explicit: i64,
    checks: &mut Checks,
) -> Result<()> {
    let now = now_ms();
    let sel = format!("{{job=~\"static|pushgateway|{}\"}}", PUSHED_JOBS.join("|"));
    let mut sets = Vec::new();
    for (name, p) in [("prometheus", prometheus), (side, strata)] {
        let v = query_vector(http, &p.base, &sel, now)?;
        let ups: Vec<String> = v
            .iter()
            .filter(|(l, _)| label(l, "__name__") == "up")
            .map(|(l, x)| format!("{} = {x}", label(l, "job")))
            .collect();
        let all_down = ups.len() == 2
            && v.iter()
                .all(|(l, x)| label(l, "__name__") != "up" || *x == 0.0);
        checks.add(
            format!("{name}: up == 0 for the stopped static target and the killed pushgateway"),
            all_down,
            ups.join(", "),
        );
        let left: BTreeSet<String> = v
            .iter()
            .filter(|(l, _)| !survives_down(l))
            .map(|(l, _)| fmt_labels(l))
            .collect();
        sets.push(left);

        // The markers must be there at the very first failed scrape: query at its timestamp.
        let up_raw = prom::query_matrix(http, &p.base, "up{job=\"static\"}[1m]", now)?;
        let first_down = up_raw
            .iter()
            .flat_map(|(_, pts)| pts.iter())
            .find(|(_, v)| v == "0")
            .map(|(t, _)| *t);
        match first_down {
            None => checks.add(
                format!("{name}: static target's series vanish at the first failed scrape"),
                false,
                "no up == 0 sample found",
            ),
            Some(t0) => {
                let at = query_vector(http, &p.base, "{job=\"static\"}", t0)?;
                let left: Vec<String> = at
                    .iter()
                    .filter(|(l, _)| {
                        !survives_down(l) && label(l, "__name__") != "e2e_static_with_timestamp"
                    })
                    .map(|(l, _)| fmt_labels(l))
                    .collect();
                checks.add(
                    format!(
                        "{name}: static target's series vanish at the first failed scrape ({} UTC)",
                        utc_time_of_day(t0)
                    ),
                    left.is_empty(),
                    first_lines(&left, 10),
                );
            }
        }
    }
    // Both sides must agree on what is left; on Prometheus that is only the explicit-timestamp
    // sample (while it is within the 5-minute lookback).
    let (p, s) = (&sets[0], &sets[1]);
    let mut diff: Vec<String> = p
        .difference(s)
        .map(|x| format!("only prometheus: {x}"))
        .collect();
    diff.extend(s.difference(p).map(|x| format!("only {side}: {x}")));
    let expect_explicit = now - t_explicit < 5 * 60_000;
    let harness_ok = p.iter().all(|x| x.contains("e2e_static_with_timestamp"))
        && (p.len() == usize::from(expect_explicit));
    checks.add(
        "after the targets went down both keep the same series (only the explicit-timestamp one)",
        diff.is_empty() && harness_ok,
        format!("left on prometheus: {p:?}\n{}", first_lines(&diff, 20)),
    );
    Ok(())
}

/// The set of series matching `sel` at `t` on both sides, with the differences rendered.
fn set_diff(
    http: &Http,
    prometheus: &Peer,
    strata: &Peer,
    side: &str,
    sel: &str,
    t: i64,
) -> Result<(usize, usize, Vec<String>)> {
    let set = |p: &Peer| -> Result<BTreeSet<String>> {
        Ok(query_vector(http, &p.base, sel, t)?
            .iter()
            .map(|(l, _)| fmt_labels(l))
            .collect())
    };
    let (pv, sv) = (set(prometheus)?, set(strata)?);
    let mut diff: Vec<String> = pv
        .difference(&sv)
        .map(|x| format!("only prometheus: {x}"))
        .collect();
    diff.extend(sv.difference(&pv).map(|x| format!("only {side}: {x}")));
    Ok((pv.len(), sv.len(), diff))
}

/// After the reload that removed the `localhost` target of `node` and the `node-relabel` job.
fn check_removed(
    http: &Http,
    prometheus: &Peer,
    strata: &Peer,
    ne_port: u16,
    t_reload: i64,
    interval_ms: i64,
    checks: &mut Checks,
) -> Result<()> {
    let side = strata.proc.name();
    let removed = format!("{{job=\"node\", instance=\"localhost:{ne_port}\"}}");
    let kept = format!("up{{job=\"node\", instance=\"127.0.0.1:{ne_port}\"}}");
    // Prometheus passes a removed target through its discovery and scrape managers (each
    // batches updates for up to 5 s), then writes the end-of-run markers a little over two
    // intervals after the last scrape. Poll both sides until the series are gone.
    let bound = t_reload + 30_000 + 3 * interval_ms;
    let sides = [("prometheus", prometheus), (side, strata)];
    let mut gone_at: [Option<i64>; 2] = [None, None];
    let mut left_last = [0usize; 2];
    while gone_at.iter().any(Option::is_none) && now_ms() < bound {
        for (k, (_, p)) in sides.iter().enumerate() {
            if gone_at[k].is_none() {
                let now = now_ms();
                let left = query_vector(http, &p.base, &removed, now)?;
                left_last[k] = left.len();
                if left.is_empty() {
                    gone_at[k] = Some(now);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let now = now_ms();
    for (k, (name, p)) in sides.iter().enumerate() {
        checks.add(
            format!("{name}: the removed target's series are marked stale after the reload"),
            gone_at[k].is_some(),
            match gone_at[k] {
                Some(t) => format!(
                    "gone {:.1} s after the reload",
                    (t - t_reload) as f64 / 1000.0
                ),
                None => format!(
                    "{} series still there {:.0} s after the reload",
                    left_last[k],
                    (now - t_reload) as f64 / 1000.0
                ),
            },
        );
        let up = query_vector(http, &p.base, &kept, now)?;
        checks.add(
            format!("{name}: the node job's other target keeps being scraped"),
            up.len() == 1 && up[0].1 == 1.0,
            format!("{up:?}"),
        );
    }
    // Prometheus 2.42 cancels a removed job's whole scrape pool, which skips the end-of-run
    // staleness markers: the series stay visible for the lookback. Strata must do the same.
    let (np, ns, diff) = set_diff(
        http,
        prometheus,
        strata,
        side,
        "{job=\"node-relabel\"}",
        now,
    )?;
    checks.add(
        format!(
            "removed job node-relabel: same series visible as on Prometheus (prometheus {np}, {side} {ns})"
        ),
        diff.is_empty(),
        first_lines(&diff, 20),
    );
    check_targets(
        http,
        prometheus,
        strata,
        side,
        Some("node-relabel"),
        3,
        checks,
    )
}

/// After the SIGHUP that brought `node-relabel` back.
fn check_readded(
    http: &Http,
    prometheus: &Peer,
    strata: &Peer,
    side: &str,
    interval_ms: i64,
    checks: &mut Checks,
) -> Result<()> {
    let start = now_ms();
    for (name, p) in [("prometheus", prometheus), (side, strata)] {
        let back = wait_for(
            &format!("{name} to scrape node-relabel again"),
            Duration::from_millis((3 * interval_ms + 15_000) as u64),
            Duration::from_millis(250),
            || {
                let v = query_vector(
                    http,
                    &p.base,
                    "timestamp(up{job=\"node-relabel\"})",
                    now_ms(),
                )?;
                Ok(v.iter()
                    .any(|(_, ts)| *ts * 1000.0 > start as f64)
                    .then_some(()))
            },
        );
        checks.add(
            format!("{name}: SIGHUP reload brings node-relabel back"),
            back.is_ok(),
            back.err().map(|e| e.to_string()).unwrap_or_default(),
        );
    }
    sleep_until_ms(now_ms() + 2 * interval_ms);
    let now = now_ms();
    let (np, ns, diff) = set_diff(
        http,
        prometheus,
        strata,
        side,
        "{job=\"node-relabel\"}",
        now,
    )?;
    checks.add(
        format!("series set of node-relabel after SIGHUP (prometheus {np}, {side} {ns})"),
        diff.is_empty() && np > 0,
        first_lines(&diff, 20),
    );
    check_targets(http, prometheus, strata, side, None, 4, checks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn om_floats_render_like_go() {
        for (input, want) in [
            ("1", "1.0"),
            ("0.50", "0.5"),
            ("0", "0.0"),
            ("+Inf", "+Inf"),
            ("0.05", "0.05"),
            ("0.00001", "1e-05"),
            ("2.5e21", "2.5e+21"),
            ("100", "100.0"),
            ("abc", "abc"),
        ] {
            assert_eq!(om_float(input), want, "{input}");
        }
    }
}
