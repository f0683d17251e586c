//! End-to-end alerting: ONE prometheus.yml and ONE rule file, evaluated by a real Prometheus 2.42
//! and by Strata, each sending to its own real Alertmanager 0.25 whose webhook is served by the
//! harness; what the two evaluators show and what the two webhooks receive must agree.
//!
//! The harness remote-writes a gauge it controls (`queue_depth{queue="a"|"b"}`) every second to
//! both, with the same timestamps and values, so both hold exactly the same data; both evaluate
//! every second the rule file: a recording rule
//! (`job:queue_depth:max`), an alert `QueueDeep` (`for: 5s`, a templated `severity` label,
//! annotations using `$labels`, `$value | humanize`, `printf`, `$externalLabels`,
//! `$externalURL` and `query`), and in a second group an alert `QueueStuck` (`for: 20s`). Both
//! run with the same `global.external_labels`, `--web.external-url` and
//! `--rules.alert.for-grace-period=1s`.
//!
//! 1. Before any alert: `/api/v1/rules` agree (inactive, health ok), `/api/v1/alerts` is empty,
//!    `/api/v1/alertmanagers` lists exactly the evaluator's own Alertmanager.
//! 2. `queue_depth{queue="a"}` goes above the threshold: both show `QueueDeep` pending in
//!    `/api/v1/alerts` and as `ALERTS{alertstate="pending"}`, then firing `for` after `activeAt`
//!    (within two evaluation intervals); `/api/v1/alerts` and `/api/v1/rules` agree while firing;
//!    each webhook receives a firing notification and the alerts in them carry the expected
//!    labels (alert name, rule labels, target labels, external labels) and rendered annotations,
//!    the same on both sides, with the same `generatorURL` and `startsAt` within the skew.
//! 3. The value goes back down: each webhook receives the resolved notification (same labels,
//!    annotations, `endsAt` within the skew) and `/api/v1/alerts` empties on both.
//! 4. `ALERTS` and `ALERTS_FOR_STATE` series agree: same label sets, and the first and last
//!    sample of each state within one evaluation interval plus the evaluation skew.
//! 5. Reload, then restart, in the middle of `for`: `queue_depth{queue="b"}` makes `QueueStuck`
//!    pending; a recording rule is added to its group and both reload (`POST /-/reload`): both
//!    must keep its `activeAt` and list the new rule alike. About 10 s into `for` the server
//!    under test is stopped (SIGTERM) and started again on the same data.
//!    Its alert must fire on schedule: `for` after the original `activeAt`, shifted by at most
//!    the downtime plus two evaluation intervals (Prometheus moves `activeAt` by the downtime
//!    when it restores `for` state), not a full `for` after the restart. The reference fires
//!    `for` after its own `activeAt`. Both webhooks receive the firing, then the resolved,
//!    notification with the same labels and annotations.
//! 6. The recording rule's raw samples take the same sequence of values on both, each change
//!    within the skew.
//!
//! `RECEIVER=prometheus` runs a second Prometheus 2.42 in Strata's place: a harness self-test;
//! `E2E_ALERTING_MUTATION=annotation|grace` then gives that second server a different rule
//! annotation, or the default `for` grace period (so it restores no `for` state), which must make
//! the suite fail.
//!
//! Environment: `E2E_ALERTING_LIMIT` (total time limit, 5m), `RECEIVER` (strata|prometheus),
//! `E2E_ALERTING_MUTATION`,
//! `RECEIVER_ARGS`, `STRATA_BIN`, `PROMETHEUS_BIN`, `ALERTMANAGER_BIN`, `KEEP_TMP=1`.
//! Exit status 0 only if all checks pass.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use strata_testsuites::alert_peers::{
    self as ap, Notification, Service, Webhook, api_data, rfc3339_ms,
};
use strata_testsuites::http::Http;
use strata_testsuites::net::{now_ms, utc_time_of_day, wait_for};
use strata_testsuites::peers::ReceiverKind;
use strata_testsuites::prom::{self, Labels, fmt_labels};
use strata_testsuites::scrape_peers::{Deadline, parse_value, query_vector};
use strata_testsuites::wire::{self, WriteVersion};
use strata_testsuites::{Result, env, fail};

/// Scrape and evaluation interval, ms.
const INTERVAL_MS: i64 = 1000;
/// How far apart the two evaluators may see the same transition: one evaluation interval, one
/// interval (the two evaluators' phases are not aligned), and some slack for a loaded machine.
const SKEW_MS: i64 = 2 * INTERVAL_MS + 500;
/// `for` of `QueueDeep` and of `QueueStuck`, ms.
const DEEP_FOR_MS: i64 = 5_000;
const STUCK_FOR_MS: i64 = 20_000;
/// How long `QueueStuck` has been pending when the server under test is stopped.
const PENDING_BEFORE_KILL_MS: i64 = 10_000;
/// The raised value of queue "a": above the threshold (3) and the severity switch (10).
/// How much more than the downtime a restore may shift `activeAt` by, as Prometheus computes
/// it: the shift runs from the last `ALERTS_FOR_STATE` sample before the stop (up to one
/// interval before it, truncated to the second) to the restore, which waits for the second
/// evaluation after the start (up to two intervals).
const RESTORE_SLACK_MS: i64 = 3 * INTERVAL_MS + 1000;
const HIGH: &str = "12345.678";
const EXTERNAL_URL: &str = "http://alerts.example:9999";

const RULES: &str = r#"groups:
  - name: queues
    rules:
      - record: job:queue_depth:max
        expr: max by (job) (queue_depth)
      - alert: QueueDeep
        expr: queue_depth{queue="a"} > 3
        for: 5s
        labels:
          team: storage
          severity: '{{ if gt $value 10.0 }}page{{ else }}ticket{{ end }}'
        annotations:
          summary: 'Queue {{ $labels.queue }} of {{ $labels.job }} is {{ $value | humanize }} deep'
          description: 'value={{ printf "%.1f" $value }} cluster={{ $externalLabels.cluster }} max={{ with query "job:queue_depth:max" }}{{ . | first | value | humanize }}{{ end }}'
          runbook: '{{ $externalURL }}/runbooks/queue'
  - name: restart
    rules:
      - alert: QueueStuck
        expr: queue_depth{queue="b"} > 0
        for: 20s
        labels:
          severity: ticket
        annotations:
          summary: 'Queue {{ $labels.queue }} holds {{ $value }} items'
"#;

/// Runs a phase and records its error, if any, as a failed check (the phase is evaluated before
/// `c` is borrowed again).
macro_rules! step {
    ($c:ident, $name:expr, $e:expr $(,)?) => {{
        let r = $e;
        $c.step($name, r);
    }};
}

fn main() {
    strata_testsuites::run_suite("e2e_alerting", run)
}

/// prometheus.yml of one evaluator: identical on both sides but for its Alertmanager's port.
fn prometheus_yml(rules: &Path, am_port: u16) -> String {
    format!(
        "global:\n  evaluation_interval: {INTERVAL_MS}ms\n  external_labels:\n    cluster: e2e\n    \
         region: test-1\nrule_files:\n  - '{}'\nalerting:\n  alertmanagers:\n    - api_version: v2\n      \
         static_configs:\n        - targets: ['127.0.0.1:{am_port}']\n",
        rules.display()
    )
}

/// The feeder's series carry these target labels, as a scrape of job `queues` would.
const FEED_INSTANCE: &str = "feeder:9100";

/// Remote-writes `queue_depth{queue="a"|"b"}` with the same timestamps and values to every
/// evaluator once per interval, so that both evaluate exactly the same data.
struct Feeder {
    values: Arc<Mutex<(f64, f64)>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Feeder {
    fn start(write_urls: Vec<String>, a: &str, b: &str) -> Result<Feeder> {
        let values = Arc::new(Mutex::new((parse_value(a)?, parse_value(b)?)));
        let stop = Arc::new(AtomicBool::new(false));
        let (v, st) = (values.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let http = Http::new(Duration::from_secs(2));
            while !st.load(Ordering::Relaxed) {
                let t = now_ms();
                let (a, b) = *v.lock().unwrap_or_else(|e| e.into_inner());
                let series: Vec<(Labels, Vec<(i64, f64)>)> = [("a", a), ("b", b)]
                    .iter()
                    .map(|(q, val)| {
                        let labels: Labels = [
                            ("__name__", "queue_depth"),
                            ("instance", FEED_INSTANCE),
                            ("job", "queues"),
                            ("queue", q),
                        ]
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect();
                        (labels, vec![(t, *val)])
                    })
                    .collect();
                if let Ok(body) = wire::encode_write(WriteVersion::V1, &series) {
                    for url in &write_urls {
                        // A server being restarted misses a sample, as it would miss a scrape.
                        let _ = wire::post_write(&http, url, WriteVersion::V1, &body);
                    }
                }
                let next = (t / INTERVAL_MS + 1) * INTERVAL_MS;
                std::thread::sleep(Duration::from_millis((next - now_ms()).max(1) as u64));
            }
        });
        Ok(Feeder {
            values,
            stop,
            thread: Some(thread),
        })
    }

    fn set(&self, a: &str, b: &str) -> Result<()> {
        *self.values.lock().unwrap_or_else(|e| e.into_inner()) = (parse_value(a)?, parse_value(b)?);
        Ok(())
    }
}

impl Drop for Feeder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A deliberate difference given to the second server in the self-test, to prove the checks
/// catch it (`E2E_ALERTING_MUTATION`, only with `RECEIVER=prometheus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mutation {
    /// `QueueDeep`'s summary says "long" instead of "deep".
    Annotation,
    /// The default `--rules.alert.for-grace-period` (10m): no `for` state is restored, so
    /// `QueueStuck` fires a full `for` after the restart.
    Grace,
}

/// PASS/FAIL lines and the verdict.
#[derive(Debug, Default)]
struct Checks {
    failed: usize,
    passed: usize,
}

impl Checks {
    fn check(&mut self, name: &str, ok: bool, detail: impl std::fmt::Display) -> bool {
        if ok {
            self.passed += 1;
            println!("PASS {name}");
        } else {
            self.failed += 1;
            println!("FAIL {name}: {detail}");
        }
        ok
    }

    /// Records a step that could not run (its error) as a failure.
    fn step(&mut self, name: &str, r: Result<()>) {
        if let Err(e) = r {
            self.check(name, false, e);
        }
    }
}

/// One evaluator with its Alertmanager and webhook.
struct Side {
    name: &'static str,
    eval: Service,
    am: Service,
    hook: Webhook,
}

fn run() -> Result<bool> {
    let receiver = ReceiverKind::from_env()?;
    let mutation = match env::string("E2E_ALERTING_MUTATION", "").as_str() {
        "" => None,
        "annotation" => Some(Mutation::Annotation),
        "grace" => Some(Mutation::Grace),
        other => {
            return Err(fail!(
                "E2E_ALERTING_MUTATION={other}: expected annotation or grace"
            ));
        }
    };
    if mutation.is_some() && receiver != ReceiverKind::Prometheus {
        return Err(fail!("E2E_ALERTING_MUTATION needs RECEIVER=prometheus"));
    }
    let limit = env::duration("E2E_ALERTING_LIMIT", "5m")?;
    println!(
        "e2e_alerting: receiver {}, limit {limit:?}",
        receiver.name()
    );
    let deadline = Deadline::after(limit);
    let mut work = env::WorkDir::new("e2e_alerting")?;
    let dir = work.path().to_path_buf();
    let http = Http::new(Duration::from_secs(20));
    let mut c = Checks::default();

    let target_addr = FEED_INSTANCE.to_string();
    let rules = dir.join("rules.yml");
    std::fs::write(&rules, RULES).map_err(|e| strata_testsuites::Error::io("rules.yml", e))?;
    // The self-test's mutation gives the second server an altered rule file or flags.
    let mutated_rules = dir.join("rules-mutated.yml");
    if mutation == Some(Mutation::Annotation) {
        std::fs::write(&mutated_rules, RULES.replace("}} deep'", "}} long'"))
            .map_err(|e| strata_testsuites::Error::io("rules-mutated.yml", e))?;
    }
    let mut sides = Vec::new();
    for (name, kind) in [("prometheus", None), (receiver.name(), Some(receiver))] {
        let mutate = kind.is_some() && mutation.is_some();
        let mut flags = vec![format!("--web.external-url={EXTERNAL_URL}")];
        if !(mutate && mutation == Some(Mutation::Grace)) {
            flags.push("--rules.alert.for-grace-period=1s".to_string());
        }
        let rules = if mutate && mutation == Some(Mutation::Annotation) {
            &mutated_rules
        } else {
            &rules
        };
        let hook = Webhook::start()?;
        let mut am = ap::start_alertmanager(&format!("alertmanager-{name}"), &dir, &hook.url())?;
        am.wait_ready(&http, Duration::from_secs(30))?;
        let config = dir.join(format!("{name}.yml"));
        std::fs::write(&config, prometheus_yml(rules, am.port))
            .map_err(|e| strata_testsuites::Error::io("writing prometheus.yml", e))?;
        let eval = ap::start_evaluator(name, kind, &dir, &config, &flags)?;
        sides.push(Side {
            name,
            eval,
            am,
            hook,
        });
    }
    for s in &mut sides {
        s.eval.wait_ready(&http, Duration::from_secs(60))?;
    }
    let target = Feeder::start(
        sides
            .iter()
            .map(|s| format!("{}/api/v1/write", s.eval.base))
            .collect(),
        "1",
        "0",
    )?;
    // Both have evaluated every rule and discovered their Alertmanager (Prometheus applies
    // discovered Alertmanagers a few seconds after start).
    for s in &sides {
        wait_for(
            &format!(
                "{} to evaluate every rule and list its Alertmanager",
                s.name
            ),
            Duration::from_secs(30),
            Duration::from_millis(200),
            || {
                let rules = ap::api_data(&http, &s.eval.base, "/api/v1/rules")?;
                let all_evaluated = rules["groups"].as_array().is_some_and(|gs| {
                    !gs.is_empty()
                        && gs.iter().all(|g| {
                            g["rules"]
                                .as_array()
                                .is_some_and(|rs| rs.iter().all(|r| r["health"] != "unknown"))
                        })
                });
                let ams = ap::api_data(&http, &s.eval.base, "/api/v1/alertmanagers")?;
                let has_am = ams["activeAlertmanagers"]
                    .as_array()
                    .is_some_and(|a| !a.is_empty());
                Ok((all_evaluated && has_am).then_some(()))
            },
        )?;
    }
    // Both have recorded at least once.
    for s in &sides {
        wait_for(
            &format!("{} to record job:queue_depth:max", s.name),
            Duration::from_secs(30),
            Duration::from_millis(200),
            || {
                Ok(
                    (!query_vector(&http, &s.eval.base, "job:queue_depth:max", now_ms())?
                        .is_empty())
                    .then_some(()),
                )
            },
        )?;
    }
    let (refs, test) = (&sides[0], &sides[1]);
    let start_ms = now_ms();

    // --- 1. idle ------------------------------------------------------------------------------
    step!(c, "idle state", idle_checks(&mut c, &http, &sides));

    // --- 2. QueueDeep pending → firing ------------------------------------------------------
    deadline.check("QueueDeep firing", Duration::from_secs(60))?;
    let t_raise = now_ms();
    target.set(HIGH, "0")?;
    println!("raised queue a to {HIGH} at {}", utc_time_of_day(t_raise));
    step!(
        c,
        "QueueDeep pending then firing",
        pending_then_firing(&mut c, &http, &sides),
    );
    step!(
        c,
        "QueueDeep firing notifications",
        firing_notifications(&mut c, &sides, &target_addr),
    );
    step!(
        c,
        "Alertmanagers while firing",
        compare_am_alerts(&mut c, &http, &sides, "QueueDeep")
    );
    step!(
        c,
        "APIs while firing",
        compare_apis(&mut c, &http, refs, test, "firing"),
    );

    // --- 3. resolved ----------------------------------------------------------------------------
    deadline.check("QueueDeep resolved", Duration::from_secs(40))?;
    target.set("1", "0")?;
    println!("lowered queue a at {}", utc_time_of_day(now_ms()));
    step!(
        c,
        "QueueDeep resolved",
        resolved(&mut c, &http, &sides, "QueueDeep", SKEW_MS),
    );

    // --- 4. ALERTS series -----------------------------------------------------------------------
    step!(
        c,
        "ALERTS series",
        compare_alerts_series(&mut c, &http, refs, test, t_raise - 2 * INTERVAL_MS),
    );

    // --- 5. restart in the middle of `for` ------------------------------------------------------
    deadline.check("restart during for", Duration::from_secs(90))?;
    target.set("1", "7")?;
    println!("raised queue b at {}", utc_time_of_day(now_ms()));
    step!(
        c,
        "restart during for",
        restart_during_for(
            &mut c,
            &http,
            &mut sides,
            &target,
            &[&rules, &mutated_rules]
        ),
    );

    // --- 6. recording rule ----------------------------------------------------------------------
    let (refs, test) = (&sides[0], &sides[1]);
    step!(
        c,
        "recording rule",
        compare_recording(&mut c, &http, refs, test, start_ms),
    );

    step!(
        c,
        "alerts received",
        compare_received(&mut c, &http, &sides)
    );
    for s in &sides {
        c.check(
            &format!("{}: webhook requests all well-formed", s.name),
            s.hook.errors().is_empty(),
            format!("{:?}", s.hook.errors()),
        );
    }
    for s in &mut sides {
        for p in [&mut s.eval.proc, &mut s.am.proc] {
            let alive = p.check_alive();
            c.check(
                &format!("{} still running at the end", p.name()),
                alive.is_ok(),
                alive.err().map(|e| e.to_string()).unwrap_or_default(),
            );
        }
    }
    println!("{} checks passed, {} failed", c.passed, c.failed);
    if c.failed == 0 {
        work.succeeded();
    }
    Ok(c.failed == 0)
}

// --- API helpers ------------------------------------------------------------------------------

/// `/api/v1/alerts`: the alert objects.
fn alerts(http: &Http, base: &str) -> Result<Vec<Value>> {
    let data = api_data(http, base, "/api/v1/alerts")?;
    data.get("alerts")
        .and_then(Value::as_array)
        .cloned()
        .ok_or_else(|| fail!("{base}/api/v1/alerts: no alerts array: {data}"))
}

fn alertname(a: &Value) -> &str {
    a.pointer("/labels/alertname")
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The `/api/v1/alerts` entry of `name`, if exactly one.
fn alert_named(list: &[Value], name: &str) -> Result<Option<Value>> {
    let found: Vec<&Value> = list.iter().filter(|a| alertname(a) == name).collect();
    match found.len() {
        0 => Ok(None),
        1 => Ok(Some(found[0].clone())),
        n => Err(fail!("{n} alerts named {name}: {found:?}")),
    }
}

fn active_at(a: &Value) -> Result<i64> {
    rfc3339_ms(
        a.get("activeAt")
            .and_then(Value::as_str)
            .ok_or_else(|| fail!("alert without activeAt: {a}"))?,
    )
}

/// An alert as both sides must show it: everything but `activeAt` (compared with a tolerance).
fn norm_alert(a: &Value) -> Value {
    json!({
        "labels": a.get("labels"),
        "annotations": a.get("annotations"),
        "state": a.get("state"),
        "value": a.get("value"),
    })
}

/// A JSON number as a float, so `1` and `1.0` compare equal (their text is checked apart, by
/// [`rendered_numbers`]).
fn num(v: Option<&Value>) -> Value {
    match v {
        Some(Value::Number(n)) => json!(n.as_f64()),
        Some(other) => other.clone(),
        None => Value::Null,
    }
}

/// The JSON text of the numbers in `/api/v1/rules` (group `interval` and `limit`, rule
/// `duration` and `keepFiringFor`), by group and rule name: Prometheus renders whole seconds
/// without a fraction.
fn rendered_numbers(data: &Value) -> Value {
    let mut out = BTreeMap::new();
    for g in data["groups"].as_array().into_iter().flatten() {
        let gname = g["name"].as_str().unwrap_or("");
        for k in ["interval", "limit"] {
            out.insert(format!("{gname}.{k}"), g[k].to_string());
        }
        for r in g["rules"].as_array().into_iter().flatten() {
            let rname = r["name"].as_str().unwrap_or("");
            for k in ["duration", "keepFiringFor"] {
                if let Some(d) = r.get(k) {
                    out.insert(format!("{gname}.{rname}.{k}"), d.to_string());
                }
            }
        }
    }
    json!(out)
}

/// Every group and rule of `/api/v1/rules` was evaluated in the last few intervals and reports
/// how long that took.
fn rules_fresh(data: &Value) -> Result<(), String> {
    let now = now_ms();
    let mut bad = Vec::new();
    let mut items: Vec<&Value> = Vec::new();
    for g in data["groups"].as_array().into_iter().flatten() {
        items.push(g);
        items.extend(g["rules"].as_array().into_iter().flatten());
    }
    for it in items {
        let name = it["name"].as_str().unwrap_or("?");
        let last = it["lastEvaluation"].as_str().map(rfc3339_ms);
        match last {
            Some(Ok(t)) if (now - t).abs() <= 3 * INTERVAL_MS => {}
            other => bad.push(format!("{name}: lastEvaluation {other:?}")),
        }
        if !it["evaluationTime"].is_number() {
            bad.push(format!("{name}: evaluationTime {}", it["evaluationTime"]));
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad.join("; "))
    }
}

/// Compares the two sides' `/api/v1/rules`: fields, number rendering, freshness.
fn compare_rules(c: &mut Checks, when: &str, names: [&str; 2], raw: [&Value; 2]) {
    for (name, data) in names.iter().zip(raw) {
        let fresh = rules_fresh(data);
        c.check(
            &format!("{name}: /api/v1/rules lastEvaluation recent, evaluationTime set ({when})"),
            fresh.is_ok(),
            fresh.err().unwrap_or_default(),
        );
    }
    same_json(
        c,
        &format!("/api/v1/rules agree {when}"),
        &norm_rules(raw[0]),
        &norm_rules(raw[1]),
    );
    same_json(
        c,
        &format!("/api/v1/rules numbers rendered alike {when}"),
        &rendered_numbers(raw[0]),
        &rendered_numbers(raw[1]),
    );
}

/// `/api/v1/rules` reduced to the fields that must agree, groups and alerts in a fixed order.
fn norm_rules(data: &Value) -> Value {
    let mut groups: Vec<Value> = data
        .get("groups")
        .and_then(Value::as_array)
        .map(|gs| {
            gs.iter()
                .map(|g| {
                    let rules: Vec<Value> = g
                        .get("rules")
                        .and_then(Value::as_array)
                        .map(|rs| rs.iter().map(norm_rule).collect())
                        .unwrap_or_default();
                    json!({
                        "name": g.get("name"),
                        "file": g.get("file"),
                        "interval": num(g.get("interval")),
                        "limit": num(g.get("limit")),
                        "rules": rules,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    groups.sort_by_key(|g| g["name"].to_string());
    json!({ "groups": groups })
}

fn norm_rule(r: &Value) -> Value {
    let alerting = r.get("type").and_then(Value::as_str) == Some("alerting");
    let mut alerts: Vec<Value> = r
        .get("alerts")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(norm_alert).collect())
        .unwrap_or_default();
    alerts.sort_by_key(|a| a["labels"].to_string());
    json!({
        "type": r.get("type"),
        "name": r.get("name"),
        "query": r.get("query"),
        "duration": num(r.get("duration")),
        "keepFiringFor": num(r.get("keepFiringFor")),
        "labels": r.get("labels"),
        "annotations": r.get("annotations"),
        "health": r.get("health"),
        "state": r.get("state"),
        "lastError": r.get("lastError"),
        "alerts": if alerting { json!(alerts) } else { Value::Null },
    })
}

/// Paths where `a` and `b` differ, with both values.
fn diff_json(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                diff_json(
                    &format!("{path}.{k}"),
                    x.get(k).unwrap_or(&Value::Null),
                    y.get(k).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                diff_json(&format!("{path}[{i}]"), p, q, out);
            }
        }
        _ if a != b => out.push(format!("{path}: prometheus {a} vs {b}")),
        _ => {}
    }
}

fn same_json(c: &mut Checks, name: &str, a: &Value, b: &Value) -> bool {
    let mut d = Vec::new();
    diff_json("", a, b, &mut d);
    c.check(name, d.is_empty(), d.join("\n    "))
}

// --- phases -----------------------------------------------------------------------------------

fn idle_checks(c: &mut Checks, http: &Http, sides: &[Side]) -> Result<()> {
    let mut rules = Vec::new();
    for s in sides {
        let data = api_data(http, &s.eval.base, "/api/v1/rules")?;
        let n = norm_rules(&data);
        let health_ok = n["groups"]
            .as_array()
            .map(|gs| {
                gs.iter().all(|g| {
                    g["rules"].as_array().is_some_and(|rs| {
                        rs.iter()
                            .all(|r| r["health"] == "ok" && r["state"] != "firing")
                    })
                })
            })
            .unwrap_or(false);
        c.check(
            &format!(
                "{}: /api/v1/rules lists 2 groups, every rule healthy",
                s.name
            ),
            n["groups"].as_array().map(Vec::len) == Some(2) && health_ok,
            &n,
        );
        rules.push(data);
        let list = alerts(http, &s.eval.base)?;
        c.check(
            &format!("{}: /api/v1/alerts empty before any alert", s.name),
            list.is_empty(),
            format!("{list:?}"),
        );
        let ams = api_data(http, &s.eval.base, "/api/v1/alertmanagers")?;
        let am_url = format!("http://127.0.0.1:{}/api/v2/alerts", s.am.port);
        let want = json!({
            "activeAlertmanagers": [{ "url": am_url }],
            "droppedAlertmanagers": [],
        });
        same_json(
            c,
            &format!("{}: /api/v1/alertmanagers lists its Alertmanager", s.name),
            &want,
            &ams,
        );
    }
    compare_rules(
        c,
        "before any alert",
        [sides[0].name, sides[1].name],
        [&rules[0], &rules[1]],
    );
    Ok(())
}

/// First times (ms) each side was seen in a state.
#[derive(Debug, Default, Clone)]
struct Seen {
    pending_api: Option<i64>,
    pending_series: Option<i64>,
    firing_api: Option<i64>,
    active_at: Option<i64>,
}

fn pending_then_firing(c: &mut Checks, http: &Http, sides: &[Side]) -> Result<()> {
    let mut seen = vec![Seen::default(); sides.len()];
    let pending_q = "ALERTS{alertname=\"QueueDeep\",alertstate=\"pending\"}";
    wait_for(
        "QueueDeep to fire on both",
        Duration::from_millis((DEEP_FOR_MS + 15_000) as u64),
        Duration::from_millis(200),
        || {
            for (s, seen) in sides.iter().zip(seen.iter_mut()) {
                if seen.firing_api.is_some() {
                    continue;
                }
                let now = now_ms();
                if let Some(a) = alert_named(&alerts(http, &s.eval.base)?, "QueueDeep")? {
                    seen.active_at.get_or_insert(active_at(&a)?);
                    match a.get("state").and_then(Value::as_str) {
                        Some("pending") => {
                            seen.pending_api.get_or_insert(now);
                        }
                        Some("firing") => seen.firing_api = Some(now),
                        other => return Err(fail!("{}: QueueDeep state {other:?}", s.name)),
                    }
                }
                if seen.pending_series.is_none()
                    && !query_vector(http, &s.eval.base, pending_q, now)?.is_empty()
                {
                    seen.pending_series = Some(now);
                }
            }
            Ok(seen.iter().all(|s| s.firing_api.is_some()).then_some(()))
        },
    )?;
    for (s, seen) in sides.iter().zip(&seen) {
        println!("{}: {seen:?}", s.name);
        c.check(
            &format!(
                "{}: QueueDeep pending in /api/v1/alerts before firing",
                s.name
            ),
            seen.pending_api.is_some(),
            "never seen pending",
        );
        c.check(
            &format!(
                "{}: ALERTS{{alertstate=\"pending\"}} present while pending",
                s.name
            ),
            seen.pending_series.is_some(),
            "never seen",
        );
        let (Some(act), Some(fired)) = (seen.active_at, seen.firing_api) else {
            continue;
        };
        let after = fired - act;
        c.check(
            &format!("{}: QueueDeep fires `for` (5s) after activeAt", s.name),
            (DEEP_FOR_MS..=DEEP_FOR_MS + 2 * INTERVAL_MS + 500).contains(&after),
            format!("first seen firing {after} ms after activeAt"),
        );
    }
    if let (Some(a), Some(b)) = (seen[0].active_at, seen[1].active_at) {
        c.check(
            "QueueDeep activeAt agree within the skew",
            (a - b).abs() <= SKEW_MS,
            format!("{} vs {}", utc_time_of_day(a), utc_time_of_day(b)),
        );
    }
    Ok(())
}

/// The alerts named `name` with `status` in a side's notifications.
fn notified(ns: &[Notification], name: &str, status: &str) -> Vec<(i64, Value)> {
    ns.iter()
        .flat_map(|n| {
            n.body
                .get("alerts")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |a| (n.received_ms, a))
        })
        .filter(|(_, a)| {
            alertname(a) == name && a.get("status").and_then(Value::as_str) == Some(status)
        })
        .collect()
}

/// Waits for each webhook to get an alert `name` with `status`; returns the first per side.
fn wait_notified(
    sides: &[Side],
    name: &str,
    status: &str,
    timeout: Duration,
) -> Result<Vec<Value>> {
    wait_for(
        &format!("{status} notification of {name} at both webhooks"),
        timeout,
        Duration::from_millis(200),
        || {
            let got: Vec<Option<Value>> = sides
                .iter()
                .map(|s| {
                    notified(&s.hook.notifications(), name, status)
                        .into_iter()
                        .next()
                        .map(|(_, a)| a)
                })
                .collect();
            Ok(got
                .iter()
                .all(Option::is_some)
                .then(|| got.into_iter().flatten().collect()))
        },
    )
}

/// A webhook alert's time field, `None` for Go's zero time.
fn time_field(a: &Value, k: &str) -> Result<Option<i64>> {
    let s = a
        .get(k)
        .and_then(Value::as_str)
        .ok_or_else(|| fail!("webhook alert without {k}: {a}"))?;
    let t = rfc3339_ms(s)?;
    Ok((t > 0).then_some(t))
}

/// The two sides' webhook alerts agree (labels, annotations, generatorURL, times within skew).
fn compare_notified(
    c: &mut Checks,
    what: &str,
    a: &Value,
    b: &Value,
    starts_tol: i64,
) -> Result<()> {
    let pick = |v: &Value| {
        json!({
            "status": v.get("status"),
            "labels": v.get("labels"),
            "annotations": v.get("annotations"),
            "generatorURL": v.get("generatorURL"),
        })
    };
    same_json(
        c,
        &format!("{what}: webhook alerts agree"),
        &pick(a),
        &pick(b),
    );
    for k in ["startsAt", "endsAt"] {
        let (x, y) = (time_field(a, k)?, time_field(b, k)?);
        let ok = match (x, y) {
            (Some(x), Some(y)) => {
                (x - y).abs() <= if k == "startsAt" { starts_tol } else { SKEW_MS }
            }
            (None, None) => true,
            _ => false,
        };
        c.check(
            &format!("{what}: {k} agree within the skew"),
            ok,
            format!("{:?} vs {:?}", a.get(k), b.get(k)),
        );
    }
    Ok(())
}

fn firing_notifications(c: &mut Checks, sides: &[Side], target: &str) -> Result<()> {
    let got = wait_notified(sides, "QueueDeep", "firing", Duration::from_secs(20))?;
    let want_labels = json!({
        "alertname": "QueueDeep",
        "instance": target,
        "job": "queues",
        "queue": "a",
        "severity": "page",
        "team": "storage",
        "cluster": "e2e",
        "region": "test-1",
    });
    let want_annotations = json!({
        "summary": "Queue a of queues is 12.35k deep",
        "description": "value=12345.7 cluster=e2e max=12.35k",
        "runbook": format!("{EXTERNAL_URL}/runbooks/queue"),
    });
    for (s, a) in sides.iter().zip(&got) {
        println!("{}: firing notification alert {a}", s.name);
        same_json(
            c,
            &format!("{}: QueueDeep notified with the expected labels", s.name),
            &want_labels,
            &a["labels"],
        );
        same_json(
            c,
            &format!(
                "{}: QueueDeep notified with the expected annotations",
                s.name
            ),
            &want_annotations,
            &a["annotations"],
        );
        let url = a["generatorURL"].as_str().unwrap_or("");
        c.check(
            &format!("{}: generatorURL under --web.external-url", s.name),
            url.starts_with(&format!("{EXTERNAL_URL}/graph?g0.expr=")),
            url,
        );
    }
    compare_notified(c, "QueueDeep firing", &got[0], &got[1], SKEW_MS)?;
    compare_notification_fields(c, sides, "QueueDeep", "firing");
    Ok(())
}

/// The notification-level fields (group key and labels, common labels and annotations, status,
/// receiver, truncation) of the first notification of `name` in `status` agree; only
/// `externalURL` (each Alertmanager's own address) is left out.
fn compare_notification_fields(c: &mut Checks, sides: &[Side], name: &str, status: &str) {
    let first = |s: &Side| {
        s.hook
            .notifications()
            .into_iter()
            .find(|n| !notified(std::slice::from_ref(n), name, status).is_empty())
            .map(|n| {
                let mut b = n.body;
                if let Some(o) = b.as_object_mut() {
                    o.remove("externalURL");
                    o.remove("alerts");
                }
                b
            })
            .unwrap_or(Value::Null)
    };
    same_json(
        c,
        &format!("{name} {status}: notification fields agree"),
        &first(&sides[0]),
        &first(&sides[1]),
    );
}

/// `GET /api/v2/alerts` of an Alertmanager (a bare JSON array).
fn am_alerts(http: &Http, base: &str) -> Result<Vec<Value>> {
    let url = format!("{base}/api/v2/alerts");
    let r = http.get(&url, &[])?;
    if r.status != 200 {
        return Err(fail!("GET {url}: status {} body {}", r.status, r.text(300)));
    }
    let v: Value = serde_json::from_slice(&r.body).map_err(|e| fail!("{url}: not JSON: {e}"))?;
    v.as_array()
        .cloned()
        .ok_or_else(|| fail!("{url}: not an array: {v}"))
}

/// What each Alertmanager holds for `name`: same labels, annotations, generatorURL and state,
/// `startsAt` and `endsAt` (the evaluator's validity, 4 × the resend delay after sending)
/// within the skew.
fn compare_am_alerts(c: &mut Checks, http: &Http, sides: &[Side], name: &str) -> Result<()> {
    let mut got = Vec::new();
    for s in sides {
        let list: Vec<Value> = am_alerts(http, &s.am.base)?
            .into_iter()
            .filter(|a| alertname(a) == name)
            .collect();
        c.check(
            &format!("{}: its Alertmanager holds one {name} alert", s.name),
            list.len() == 1,
            format!("{list:?}"),
        );
        got.push(list.into_iter().next().unwrap_or(Value::Null));
    }
    let pick = |v: &Value| {
        json!({
            "labels": v.get("labels"),
            "annotations": v.get("annotations"),
            "generatorURL": v.get("generatorURL"),
            "state": v.pointer("/status/state"),
            "fingerprint": v.get("fingerprint"),
        })
    };
    same_json(
        c,
        &format!("{name}: Alertmanagers hold the same alert"),
        &pick(&got[0]),
        &pick(&got[1]),
    );
    for k in ["startsAt", "endsAt"] {
        let t = |v: &Value| v.get(k).and_then(Value::as_str).map(rfc3339_ms);
        let ok = matches!(
            (t(&got[0]), t(&got[1])),
            (Some(Ok(x)), Some(Ok(y))) if (x - y).abs() <= SKEW_MS
        );
        c.check(
            &format!("{name}: Alertmanagers' {k} agree within the skew"),
            ok,
            format!("{:?} vs {:?}", got[0].get(k), got[1].get(k)),
        );
    }
    Ok(())
}

/// `alertmanager_alerts_received_total` by status: how many alerts each evaluator sent.
fn compare_received(c: &mut Checks, http: &Http, sides: &[Side]) -> Result<()> {
    let mut counts = Vec::new();
    for s in sides {
        let samples = prom::scrape(http, &s.am.base)?;
        let by_status: BTreeMap<String, f64> = ["firing", "resolved"]
            .iter()
            .map(|st| {
                let n = prom::metric_sum(
                    &samples,
                    "alertmanager_alerts_received_total",
                    &[("status", st)],
                )
                .unwrap_or(0.0);
                (st.to_string(), n)
            })
            .collect();
        println!(
            "{}: alerts received by its Alertmanager {by_status:?}",
            s.name
        );
        counts.push(json!(by_status));
    }
    same_json(
        c,
        "alertmanager_alerts_received_total by status agree",
        &counts[0],
        &counts[1],
    );
    Ok(())
}

fn compare_apis(c: &mut Checks, http: &Http, refs: &Side, test: &Side, when: &str) -> Result<()> {
    let (ra, ta) = (
        alerts(http, &refs.eval.base)?,
        alerts(http, &test.eval.base)?,
    );
    let norm = |l: &[Value]| {
        let mut v: Vec<Value> = l.iter().map(norm_alert).collect();
        v.sort_by_key(|a| a["labels"].to_string());
        Value::Array(v)
    };
    same_json(
        c,
        &format!("/api/v1/alerts agree while {when}"),
        &norm(&ra),
        &norm(&ta),
    );
    for a in &ra {
        if let Some(b) = alert_named(&ta, alertname(a))? {
            let (x, y) = (active_at(a)?, active_at(&b)?);
            c.check(
                &format!(
                    "/api/v1/alerts {} activeAt agree within the skew",
                    alertname(a)
                ),
                (x - y).abs() <= SKEW_MS,
                format!("{} vs {}", utc_time_of_day(x), utc_time_of_day(y)),
            );
        }
    }
    let r = api_data(http, &refs.eval.base, "/api/v1/rules")?;
    let t = api_data(http, &test.eval.base, "/api/v1/rules")?;
    compare_rules(
        c,
        &format!("while {when}"),
        [refs.name, test.name],
        [&r, &t],
    );
    Ok(())
}

/// Waits for the resolved notification of `name` at both webhooks and compares them; their
/// `startsAt` (the firing time) may differ by `starts_tol`.
fn resolved(
    c: &mut Checks,
    http: &Http,
    sides: &[Side],
    name: &str,
    starts_tol: i64,
) -> Result<()> {
    let got = wait_notified(sides, name, "resolved", Duration::from_secs(20))?;
    for (s, a) in sides.iter().zip(&got) {
        println!("{}: resolved notification alert {a}", s.name);
    }
    compare_notified(c, &format!("{name} resolved"), &got[0], &got[1], starts_tol)?;
    for s in sides {
        let gone = wait_for(
            &format!("{name} to leave {}'s /api/v1/alerts", s.name),
            Duration::from_secs(10),
            Duration::from_millis(200),
            || {
                Ok(alert_named(&alerts(http, &s.eval.base)?, name)?
                    .is_none()
                    .then_some(()))
            },
        );
        c.check(
            &format!("{}: {name} gone from /api/v1/alerts once resolved", s.name),
            gone.is_ok(),
            gone.err().map(|e| e.to_string()).unwrap_or_default(),
        );
    }
    Ok(())
}

/// Raw samples of `selector` over `[from_ms, now]`, by label set: `(t_ms, value)`.
fn raw_samples(
    http: &Http,
    base: &str,
    selector: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<BTreeMap<Labels, Vec<(i64, f64)>>> {
    let now = to_ms;
    let secs = (now - from_ms) / 1000 + 1;
    let mut out = BTreeMap::new();
    for (labels, points) in prom::query_matrix(http, base, &format!("{selector}[{secs}s]"), now)? {
        let pts = points
            .into_iter()
            .map(|(t, v)| Ok((t, parse_value(&v)?)))
            .collect::<Result<Vec<_>>>()?;
        out.insert(labels, pts);
    }
    Ok(out)
}

fn compare_alerts_series(
    c: &mut Checks,
    http: &Http,
    refs: &Side,
    test: &Side,
    from_ms: i64,
) -> Result<()> {
    for sel in [
        "ALERTS{alertname=\"QueueDeep\"}",
        "ALERTS_FOR_STATE{alertname=\"QueueDeep\"}",
    ] {
        let to = now_ms();
        let r = raw_samples(http, &refs.eval.base, sel, from_ms, to)?;
        let t = raw_samples(http, &test.eval.base, sel, from_ms, to)?;
        let keys =
            |m: &BTreeMap<Labels, Vec<(i64, f64)>>| m.keys().map(fmt_labels).collect::<Vec<_>>();
        c.check(
            &format!("{sel}: same series"),
            r.keys().eq(t.keys()),
            format!("prometheus {:?} vs {:?}", keys(&r), keys(&t)),
        );
        for (labels, rp) in &r {
            let Some(tp) = t.get(labels) else { continue };
            let (Some(rf), Some(tf), Some(rl), Some(tl)) =
                (rp.first(), tp.first(), rp.last(), tp.last())
            else {
                c.check(
                    &format!("{sel}{}: samples", fmt_labels(labels)),
                    false,
                    "empty",
                );
                continue;
            };
            let name = format!(
                "{sel} {}",
                labels.get("alertstate").map_or("", String::as_str)
            );
            c.check(
                &format!("{name}: first and last samples agree within the skew"),
                (rf.0 - tf.0).abs() <= SKEW_MS && (rl.0 - tl.0).abs() <= SKEW_MS,
                format!(
                    "prometheus {}..{} vs {}..{}",
                    utc_time_of_day(rf.0),
                    utc_time_of_day(rl.0),
                    utc_time_of_day(tf.0),
                    utc_time_of_day(tl.0)
                ),
            );
            let values = |p: &[(i64, f64)]| {
                let mut v: Vec<f64> = p.iter().map(|x| x.1).collect();
                v.dedup();
                v
            };
            let (rv, tv) = (values(rp), values(tp));
            let ok = if sel.starts_with("ALERTS_FOR_STATE") {
                // The activeAt in seconds: constant, and within the skew of each other.
                rv.len() == 1 && tv.len() == 1 && (rv[0] - tv[0]).abs() * 1000.0 <= SKEW_MS as f64
            } else {
                rv == [1.0] && tv == [1.0]
            };
            c.check(
                &format!("{name}: values agree"),
                ok,
                format!("prometheus {rv:?} vs {tv:?}"),
            );
        }
    }
    Ok(())
}

fn restart_during_for(
    c: &mut Checks,
    http: &Http,
    sides: &mut [Side],
    target: &Feeder,
    rule_files: &[&Path],
) -> Result<()> {
    let mut act = [0i64; 2];
    for (i, s) in sides.iter().enumerate() {
        let a = wait_for(
            &format!("QueueStuck pending on {}", s.name),
            Duration::from_secs(10),
            Duration::from_millis(200),
            || alert_named(&alerts(http, &s.eval.base)?, "QueueStuck"),
        )?;
        act[i] = active_at(&a)?;
        println!(
            "{}: QueueStuck {} since {}",
            s.name,
            a["state"],
            utc_time_of_day(act[i])
        );
    }
    compare_apis(c, http, &sides[0], &sides[1], "QueueStuck pending")?;
    reload_keeps_state(c, http, sides, &act, rule_files)?;
    sleep_until(act[1] + PENDING_BEFORE_KILL_MS);
    let t_kill = now_ms();
    {
        let test = &mut sides[1];
        println!(
            "stopping {} (SIGTERM) at {}",
            test.name,
            utc_time_of_day(t_kill)
        );
        let clean = test.eval.proc.terminate(Duration::from_secs(30))?;
        c.check(
            &format!("{} exits on SIGTERM", test.name),
            clean,
            "killed after 30s",
        );
        test.eval.proc.restart()?;
        test.eval.wait_ready(http, Duration::from_secs(60))?;
    }
    let t_up = now_ms();
    let down = t_up - t_kill;
    println!("{} ready again after {down} ms", sides[1].name);
    let mut fired = [None::<i64>; 2];
    let mut act_after = None;
    let timeout = act[1] + STUCK_FOR_MS + down + 15_000 - now_ms();
    wait_for(
        "QueueStuck to fire on both",
        Duration::from_millis(timeout.max(1000) as u64),
        Duration::from_millis(200),
        || {
            for (i, s) in sides.iter().enumerate() {
                if fired[i].is_some() {
                    continue;
                }
                let now = now_ms();
                if let Some(a) = alert_named(&alerts(http, &s.eval.base)?, "QueueStuck")? {
                    if i == 1 {
                        act_after = Some(active_at(&a)?);
                    }
                    if a["state"] == "firing" {
                        fired[i] = Some(now);
                    }
                }
            }
            Ok(fired.iter().all(Option::is_some).then_some(()))
        },
    )?;
    let (Some(fr), Some(ft)) = (fired[0], fired[1]) else {
        return Err(fail!("QueueStuck did not fire"));
    };
    println!(
        "QueueStuck fired: prometheus {} ms after activeAt; {} {} ms after its original activeAt, \
         restart took {down} ms, restored activeAt {:?}",
        fr - act[0],
        sides[1].name,
        ft - act[1],
        act_after.map(utc_time_of_day)
    );
    c.check(
        "prometheus: QueueStuck fires `for` (20s) after activeAt",
        (STUCK_FOR_MS..=STUCK_FOR_MS + 2 * INTERVAL_MS + 500).contains(&(fr - act[0])),
        format!("{} ms", fr - act[0]),
    );
    // Whole-second truncation of the restored times can make it fire up to a second early.
    let lo = act[1] + STUCK_FOR_MS - 1000;
    let hi = act[1] + STUCK_FOR_MS + down + RESTORE_SLACK_MS + INTERVAL_MS + 500;
    c.check(
        &format!(
            "{}: QueueStuck fires on schedule after the restart",
            sides[1].name
        ),
        (lo..=hi).contains(&ft),
        format!(
            "fired at {}, expected in [{}, {}] (original activeAt {}, restart took {down} ms)",
            utc_time_of_day(ft),
            utc_time_of_day(lo),
            utc_time_of_day(hi),
            utc_time_of_day(act[1])
        ),
    );
    c.check(
        &format!(
            "{}: QueueStuck did not wait a full `for` after the restart",
            sides[1].name
        ),
        ft < t_up + STUCK_FOR_MS - 2 * INTERVAL_MS,
        format!("fired {} ms after ready", ft - t_up),
    );
    if let Some(a) = act_after {
        c.check(
            &format!(
                "{}: restored activeAt = original + at most the downtime",
                sides[1].name
            ),
            (act[1] - 1000..=act[1] + down + RESTORE_SLACK_MS + 500).contains(&a),
            format!(
                "restored {}, original {}",
                utc_time_of_day(a),
                utc_time_of_day(act[1])
            ),
        );
    }
    let got = wait_notified(sides, "QueueStuck", "firing", Duration::from_secs(20))?;
    let pick = |v: &Value| {
        json!({
            "labels": v.get("labels"),
            "annotations": v.get("annotations"),
            "generatorURL": v.get("generatorURL"),
        })
    };
    same_json(
        c,
        "QueueStuck firing: webhook alerts agree",
        &pick(&got[0]),
        &pick(&got[1]),
    );
    target.set("1", "0")?;
    // The restarted side fires later by its restore shift (see above).
    resolved(
        c,
        http,
        sides,
        "QueueStuck",
        SKEW_MS + RESTORE_SLACK_MS + down,
    )
}

/// A reload (`POST /-/reload`) that changes `QueueStuck`'s group (a recording rule added in
/// front of it) while it is pending: both must answer 200, keep its `activeAt`, and then list
/// and evaluate the new rule alike.
fn reload_keeps_state(
    c: &mut Checks,
    http: &Http,
    sides: &[Side],
    act: &[i64; 2],
    rule_files: &[&Path],
) -> Result<()> {
    let added = "    rules:\n      - record: job:queue_depth:sum\n        \
                 expr: sum by (job) (queue_depth)\n";
    for f in rule_files {
        // Only the files in use exist (the mutated one only in the self-test's mutation).
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let at = text
            .find("  - name: restart\n    rules:\n")
            .ok_or_else(|| fail!("{}: no restart group", f.display()))?;
        let new = format!(
            "{}{added}{}",
            &text[..at + "  - name: restart\n".len()],
            &text[at + "  - name: restart\n    rules:\n".len()..]
        );
        std::fs::write(f, new).map_err(|e| strata_testsuites::Error::io("rewriting rules", e))?;
    }
    for s in sides {
        let r = http.post(&format!("{}/-/reload", s.eval.base), &[], b"")?;
        c.check(
            &format!("{}: POST /-/reload answers 200", s.name),
            r.status == 200,
            format!("status {} body {}", r.status, r.text(300)),
        );
    }
    // Two evaluations of the new group.
    std::thread::sleep(Duration::from_millis((2 * INTERVAL_MS + 500) as u64));
    let mut raw = Vec::new();
    for (s, act) in sides.iter().zip(act) {
        let a = alert_named(&alerts(http, &s.eval.base)?, "QueueStuck")?;
        let kept = a.as_ref().map(active_at).transpose()?;
        c.check(
            &format!(
                "{}: QueueStuck keeps its activeAt across the reload",
                s.name
            ),
            kept == Some(*act) && a.as_ref().is_some_and(|a| a["state"] == "pending"),
            format!("before {}, after {a:?}", utc_time_of_day(*act)),
        );
        let data = api_data(http, &s.eval.base, "/api/v1/rules")?;
        let n = norm_rules(&data);
        let names: Vec<&str> = n["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|g| g["rules"].as_array().into_iter().flatten())
            .filter_map(|r| r["name"].as_str())
            .collect();
        c.check(
            &format!("{}: the reloaded rules are listed", s.name),
            names.contains(&"job:queue_depth:sum"),
            format!("{names:?}"),
        );
        raw.push(data);
    }
    compare_rules(
        c,
        "after the reload",
        [sides[0].name, sides[1].name],
        [&raw[0], &raw[1]],
    );
    Ok(())
}

/// Sleeps until the wall clock reaches `t_ms`.
fn sleep_until(t_ms: i64) {
    strata_testsuites::scrape_peers::sleep_until_ms(t_ms);
}

fn compare_recording(
    c: &mut Checks,
    http: &Http,
    refs: &Side,
    test: &Side,
    from_ms: i64,
) -> Result<()> {
    let sel = "job:queue_depth:max";
    // The target's last change may reach the other side's recording up to the skew later.
    std::thread::sleep(Duration::from_millis(SKEW_MS as u64));
    let to = now_ms();
    let r = raw_samples(http, &refs.eval.base, sel, from_ms, to)?;
    let t = raw_samples(http, &test.eval.base, sel, from_ms, to)?;
    c.check(
        "job:queue_depth:max: same series",
        r.keys().eq(t.keys()) && r.len() == 1,
        format!(
            "prometheus {:?} vs {:?}",
            r.keys().map(fmt_labels).collect::<Vec<_>>(),
            t.keys().map(fmt_labels).collect::<Vec<_>>()
        ),
    );
    let changes = |p: &[(i64, f64)]| {
        let mut out: Vec<(i64, f64)> = Vec::new();
        for &(ts, v) in p {
            if out.last().is_none_or(|l| l.1 != v) {
                out.push((ts, v));
            }
        }
        out
    };
    for (labels, rp) in &r {
        let Some(tp) = t.get(labels) else { continue };
        let (mut rc, mut tc) = (changes(rp), changes(tp));
        // A change right at the window's start may reach one side's first evaluation and not
        // the other's (their scrapes run at different phases): that side then starts with the
        // old value for up to the skew. Such a leading value is not a difference.
        let stale_start = |a: &[(i64, f64)], b: &[(i64, f64)]| {
            a.len() == b.len() + 1 && a[1].1 == b[0].1 && a[1].0 - from_ms <= SKEW_MS
        };
        if stale_start(&rc, &tc) {
            rc.remove(0);
        } else if stale_start(&tc, &rc) {
            tc.remove(0);
        }
        let values_ok = rc.iter().map(|x| x.1).eq(tc.iter().map(|x| x.1));
        // The first sample depends on when each server started; later changes follow the target.
        let times_ok = values_ok
            && rc
                .iter()
                .zip(&tc)
                .skip(1)
                .all(|(a, b)| (a.0 - b.0).abs() <= SKEW_MS);
        c.check(
            &format!("{sel}: same values, changing within the skew"),
            times_ok,
            format!(
                "prometheus {:?} vs {:?}",
                rc.iter()
                    .map(|(t, v)| format!("{}={v}", utc_time_of_day(*t)))
                    .collect::<Vec<_>>(),
                tc.iter()
                    .map(|(t, v)| format!("{}={v}", utc_time_of_day(*t)))
                    .collect::<Vec<_>>()
            ),
        );
    }
    Ok(())
}
