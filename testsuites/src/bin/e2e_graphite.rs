//! End-to-end Graphite plaintext: the real collectd (Debian's `collectd-core`) with its
//! `write_graphite` plugin sends its cpu, memory and load readings every second over TCP to
//! Strata's Graphite port, and the values must come back through the PromQL API under the
//! names docs/graphite.md documents:
//!
//! 1. the load average through a path template (`--graphite.mapping-file`):
//!    `collectd_load_{shortterm,midterm,longterm}{host="e2ehost",source="collectd"}`, values
//!    within [0, 1000];
//! 2. memory and per-CPU readings under their dotted paths as metric names
//!    (`collectd.e2ehost.memory.memory-used`, `collectd.e2ehost.cpu-0.cpu-idle`), selectable
//!    by `{__name__=...}` and by the quoted-name form `{"collectd.e2ehost.memory.memory-used"}`;
//! 3. samples keep arriving (the newest timestamp advances);
//! 4. `/metrics` counts the stored samples, and no collectd line was refused as malformed
//!    (`nan_value`, the rates collectd cannot compute yet, is allowed).
//!
//! Environment: `GRAPHITE_WAIT` (default 60s, bound on every wait), `COLLECTD_BIN`,
//! `STRATA_BIN`, `RECEIVER_ARGS`, `KEEP_TMP=1`. Exit status 0 only if all checks pass.

use std::time::Duration;

use serde_json::Value;
use strata_testsuites::http::Http;
use strata_testsuites::net::{free_port, now_ms, wait_for};
use strata_testsuites::peers::{self, ReceiverKind, ReceiverOpts, Server};
use strata_testsuites::process::Proc;
use strata_testsuites::{Error, Result, env, fail, prom};

const HOST: &str = "e2ehost";

/// collectd's configuration: only the plugins under test, a 1 s interval, and the Graphite
/// writer pointed at Strata. Nothing from /etc/collectd is read.
fn collectd_conf(dir: &std::path::Path, port: u16) -> String {
    format!(
        r#"Hostname "{HOST}"
FQDNLookup false
Interval 1
BaseDir "{dir}"
PIDFile "{dir}/collectd.pid"
TypesDB "/usr/share/collectd/types.db"
LoadPlugin logfile
<Plugin logfile>
  LogLevel "info"
  File STDOUT
</Plugin>
LoadPlugin cpu
LoadPlugin memory
LoadPlugin load
LoadPlugin write_graphite
<Plugin write_graphite>
  <Node "strata">
    Host "127.0.0.1"
    Port "{port}"
    Protocol "tcp"
    Prefix "collectd."
    StoreRates true
    AlwaysAppendDS false
    SeparateInstances false
    EscapeCharacter "_"
  </Node>
</Plugin>
"#,
        dir = dir.display()
    )
}

const MAPPING: &str = "# the load average as one metric per term, the host as a label\n\
                       collectd.*.load.load.* -> collectd_load_$2 host=$1 source=collectd\n";

fn main() {
    strata_testsuites::run_suite("e2e_graphite", run)
}

/// An instant query's vector: `(labels, timestamp_ms, value)`.
fn query(http: &Http, base: &str, q: &str) -> Result<Vec<(Value, i64, f64)>> {
    let r = http.get(&format!("{base}/api/v1/query"), &[("query", q)])?;
    let data = prom::envelope_data(&r.body, &format!("query {q}"))?;
    let result = data["result"]
        .as_array()
        .ok_or_else(|| fail!("query {q}: result is not a vector: {data}"))?;
    result
        .iter()
        .map(|s| {
            let (t, v) = prom::parse_point(&s["value"])?;
            let v: f64 = match v.as_str() {
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                other => other
                    .parse()
                    .map_err(|_| fail!("query {q}: value {other:?} is not a number"))?,
            };
            Ok((s["metric"].clone(), t, v))
        })
        .collect()
}

fn check(ok: &mut bool, cond: bool, what: &str) {
    println!("  [{}] {what}", if cond { "ok" } else { "FAIL" });
    *ok &= cond;
}

fn run() -> Result<bool> {
    let wait = env::duration("GRAPHITE_WAIT", "60s")?;
    let collectd = env::binary("COLLECTD_BIN", &["/usr/sbin/collectd", "/usr/bin/collectd"])?;
    let mut work = env::WorkDir::new("e2e_graphite")?;
    let dir = work.path().to_path_buf();
    let http = Http::new(Duration::from_secs(10));

    let gport = free_port()?;
    let mapping = dir.join("graphite-mapping.txt");
    std::fs::write(&mapping, MAPPING).map_err(|e| Error::io("writing the mapping file", e))?;
    let opts = ReceiverOpts {
        extra: vec![
            format!("--graphite.listen-address=127.0.0.1:{gport}"),
            format!("--graphite.mapping-file={}", mapping.display()),
        ],
        ..ReceiverOpts::default()
    };
    let mut strata: Server =
        peers::start_receiver(ReceiverKind::Strata, &dir, &dir.join("data"), &opts)?;
    strata.wait_ready(&http, wait)?;
    let base = strata.base.clone();

    let conf = dir.join("collectd.conf");
    std::fs::write(&conf, collectd_conf(&dir, gport))
        .map_err(|e| Error::io("writing collectd.conf", e))?;
    let args = vec![
        "-f".to_string(),
        "-C".to_string(),
        conf.display().to_string(),
    ];
    println!(
        "starting collectd (log {})",
        dir.join("collectd.log").display()
    );
    let mut collectd = Proc::spawn("collectd", &collectd, &args, &dir.join("collectd.log"))?;

    let memory_used = format!("collectd.{HOST}.memory.memory-used");
    let cpu_idle = format!(r#"{{__name__=~"collectd\\.{HOST}\\.cpu-[0-9]+\\.cpu-idle"}}"#);
    let started = now_ms();
    wait_for(
        "collectd's load, memory and cpu readings in Strata",
        wait,
        Duration::from_millis(500),
        || {
            collectd.check_alive()?;
            strata.proc.check_alive()?;
            let load = query(&http, &base, r#"{__name__=~"collectd_load_.*"}"#)?;
            let mem = query(&http, &base, &format!(r#"{{__name__="{memory_used}"}}"#))?;
            let cpu = query(&http, &base, &cpu_idle)?;
            Ok((load.len() == 3 && mem.len() == 1 && !cpu.is_empty()).then_some(()))
        },
    )
    .map_err(|e| fail!("{e}; collectd log:\n{}", collectd.log_tail(20)))?;
    println!("readings arrived after {} ms", now_ms() - started);
    // A few more intervals, so that rates (cpu) have been computed.
    std::thread::sleep(Duration::from_secs(3));

    let mut ok = true;
    println!("checks:");
    let load = query(&http, &base, r#"{__name__=~"collectd_load_.*"}"#)?;
    let mut terms: Vec<String> = Vec::new();
    for (m, _, v) in &load {
        let name = m["__name__"].as_str().unwrap_or("");
        terms.push(name.trim_start_matches("collectd_load_").to_string());
        check(
            &mut ok,
            m["host"] == HOST && m["source"] == "collectd",
            &format!("{name} has host={HOST} and source=collectd from the template: {m}"),
        );
        check(
            &mut ok,
            (0.0..=1000.0).contains(v),
            &format!("{name} = {v} is within [0, 1000]"),
        );
    }
    terms.sort();
    check(
        &mut ok,
        terms == ["longterm", "midterm", "shortterm"],
        &format!("the three load terms are there: {terms:?}"),
    );

    let mem = query(&http, &base, &format!(r#"{{__name__="{memory_used}"}}"#))?;
    let used = mem.first().map_or(-1.0, |s| s.2);
    check(
        &mut ok,
        used > 0.0 && used < 1e15,
        &format!("{memory_used} = {used} bytes is plausible"),
    );
    let quoted = query(&http, &base, &format!(r#"{{"{memory_used}"}}"#));
    check(
        &mut ok,
        quoted.as_ref().is_ok_and(|v| v.len() == 1),
        &format!("the quoted-name selector {{\"{memory_used}\"}} finds it: {quoted:?}"),
    );
    let mem_all = query(
        &http,
        &base,
        &format!(r#"{{__name__=~"collectd\\.{HOST}\\.memory\\.memory-.+"}}"#),
    )?;
    check(
        &mut ok,
        mem_all.len() >= 3,
        &format!("{} memory states (used, free, cached, ...)", mem_all.len()),
    );

    let cpu = query(&http, &base, &cpu_idle)?;
    check(
        &mut ok,
        !cpu.is_empty()
            && cpu
                .iter()
                .all(|s| s.2.is_finite() && (0.0..=10_000.0).contains(&s.2)),
        &format!(
            "{} cpu-N.cpu-idle rates, all within [0, 10000] jiffies/s: {:?}",
            cpu.len(),
            cpu.iter().map(|s| s.2).collect::<Vec<_>>()
        ),
    );

    // The evaluation time of the load query above: a later sample proves collectd still sends.
    let t0 = load.iter().map(|s| s.1).max().unwrap_or(0);
    let advanced = wait_for(
        "a newer load sample",
        Duration::from_secs(10).min(wait),
        Duration::from_millis(500),
        || {
            let t = query(&http, &base, "timestamp(collectd_load_shortterm)")?
                .first()
                .map_or(0.0, |s| s.2);
            Ok(((t * 1000.0) as i64 > t0).then_some(t))
        },
    );
    check(
        &mut ok,
        advanced.is_ok(),
        &format!("samples keep arriving (one taken after {t0} ms: {advanced:?} s)"),
    );

    let metrics = prom::scrape(&http, &base)?;
    let received =
        prom::metric_sum(&metrics, "strata_graphite_samples_received_total", &[]).unwrap_or(0.0);
    check(
        &mut ok,
        received >= 5.0,
        &format!("strata_graphite_samples_received_total = {received}"),
    );
    let mut malformed = Vec::new();
    for s in metrics
        .iter()
        .filter(|s| s.name == "strata_graphite_lines_rejected_total" && s.value > 0.0)
    {
        let reason = s.labels.get("reason").cloned().unwrap_or_default();
        println!("  rejected lines, reason {reason}: {}", s.value);
        if reason != "nan_value" {
            malformed.push(reason);
        }
    }
    check(
        &mut ok,
        malformed.is_empty(),
        &format!("no collectd line refused except NaN rates: {malformed:?}"),
    );

    collectd.terminate(Duration::from_secs(5))?;
    let clean = strata.proc.terminate(Duration::from_secs(20))?;
    check(&mut ok, clean, "Strata shut down cleanly on SIGTERM");
    if ok {
        work.succeeded();
    }
    Ok(ok)
}
