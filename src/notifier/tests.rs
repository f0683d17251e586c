//! The notifier against in-test Alertmanagers: what they receive, and what is counted.

use super::*;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::Path;
use std::time::UNIX_EPOCH;

/// One POST an in-test Alertmanager received.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    authorization: String,
    content_type: String,
    alerts: Vec<Value>,
}

/// An HTTP server answering every request with `status` and recording it.
async fn fake_alertmanager(status: u16) -> (SocketAddr, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let got: Arc<Mutex<Vec<Received>>> = Arc::default();
    let rec = got.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let rec = rec.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let rec = rec.clone();
                    async move {
                        let h = |n: &str| {
                            req.headers()
                                .get(n)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("")
                                .to_string()
                        };
                        let (path, authorization, content_type) = (
                            req.uri().path().to_string(),
                            h("authorization"),
                            h("content-type"),
                        );
                        let body = req.into_body().collect().await.map(|c| c.to_bytes());
                        let alerts = body
                            .ok()
                            .and_then(|b| serde_json::from_slice::<Vec<Value>>(&b).ok())
                            .unwrap_or_default();
                        if let Ok(mut r) = rec.lock() {
                            r.push(Received {
                                path,
                                authorization,
                                content_type,
                                alerts,
                            });
                        }
                        Response::builder()
                            .status(status)
                            .body(Full::new(Bytes::new()))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (addr, got)
}

fn config(yaml: &str) -> Config {
    crate::promconfig::parse(yaml, Path::new("/tmp")).expect("config parses")
}

fn am_config(addrs: &[SocketAddr], extra: &str) -> String {
    let targets: Vec<String> = addrs.iter().map(|a| format!("'{a}'")).collect();
    format!(
        "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [{}]\n{extra}",
        targets.join(", ")
    )
}

fn alert(name: &str, extra: &[(&str, &str)]) -> Alert {
    let mut labels = BTreeMap::from([("alertname".to_string(), name.to_string())]);
    labels.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Alert {
        labels,
        annotations: BTreeMap::new(),
        starts_at: UNIX_EPOCH + Duration::from_millis(1_700_000_000_250),
        ends_at: Some(UNIX_EPOCH + Duration::from_secs(1_700_000_600)),
        generator_url: String::new(),
    }
}

/// Waits (bounded) until `cond` holds; the bound only stops a broken test from hanging.
async fn until(what: &str, cond: impl Fn() -> bool) {
    for _ in 0..500 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

fn count(got: &Arc<Mutex<Vec<Received>>>) -> usize {
    got.lock()
        .map(|g| g.iter().map(|r| r.alerts.len()).sum())
        .unwrap_or(0)
}

fn new_notifier(cap: usize) -> Arc<Notifier> {
    let opts = NotifierOptions {
        queue_capacity: cap,
        ..NotifierOptions::default()
    };
    Notifier::new(opts, Arc::new(NotifierMetrics::default()))
}

#[tokio::test]
async fn alerts_arrive_with_labels_annotations_and_external_labels() {
    let (addr, got) = fake_alertmanager(200).await;
    let n = new_notifier(100);
    let yaml = format!(
        "global:\n  external_labels: {{dc: eu, severity: ext}}\n{}  alert_relabel_configs:\n    - {{source_labels: [severity], regex: none, action: drop}}\n",
        am_config(&[addr], "")
    );
    n.apply_config(&config(&yaml)).expect("applies");
    let mut a = alert("HighLoad", &[("severity", "page")]);
    a.annotations
        .insert("summary".into(), "load is high".into());
    a.generator_url = "http://strata:9090/graph?g0.expr=up".into();
    n.send(vec![a, alert("Quiet", &[("severity", "none")])]);
    until("one alert", || count(&got) == 1).await;
    let r = got.lock().expect("lock")[0].clone();
    assert_eq!(r.path, "/api/v2/alerts");
    assert_eq!(r.content_type, "application/json");
    assert_eq!(r.authorization, "");
    assert_eq!(
        r.alerts[0],
        serde_json::json!({
            "labels": {"alertname": "HighLoad", "severity": "page", "dc": "eu"},
            "annotations": {"summary": "load is high"},
            "startsAt": "2023-11-14T22:13:20.250Z",
            "endsAt": "2023-11-14T22:23:20.000Z",
            "generatorURL": "http://strata:9090/graph?g0.expr=up",
        })
    );
    let url = format!("http://{addr}/api/v2/alerts");
    assert_eq!(n.alertmanagers(), (vec![url.clone()], vec![]));
    until("sent counted", || n.metrics().sent(&url) == 1).await;
    assert_eq!(n.metrics().dropped(), 0);
    n.stop().await;
}

#[tokio::test]
async fn batches_hold_at_most_256_alerts() {
    let (addr, got) = fake_alertmanager(200).await;
    let n = new_notifier(10_000);
    n.apply_config(&config(&am_config(&[addr], "")))
        .expect("applies");
    let alerts: Vec<Alert> = (0..600).map(|i| alert(&format!("A{i}"), &[])).collect();
    n.send(alerts);
    until("600 alerts", || count(&got) == 600).await;
    let mut sizes: Vec<usize> = got
        .lock()
        .expect("lock")
        .iter()
        .map(|r| r.alerts.len())
        .collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [88, 256, 256]);
    // Oldest first: the first batch starts with the first alert.
    let first = got.lock().expect("lock")[0].alerts[0]["labels"]["alertname"].clone();
    assert_eq!(first, "A0");
    n.stop().await;
}

#[test]
fn full_queue_drops_the_oldest_and_counts_them() {
    // No runtime: nothing sends, so the queue can be inspected.
    let n = new_notifier(5);
    n.send((0..3).map(|i| alert(&format!("A{i}"), &[])).collect());
    n.send((3..7).map(|i| alert(&format!("A{i}"), &[])).collect());
    assert_eq!(n.metrics().dropped(), 2);
    assert_eq!(n.metrics().queue_length.load(Ordering::Relaxed), 5);
    let names: Vec<String> = n
        .next_batch()
        .iter()
        .map(|a| a.labels["alertname"].clone())
        .collect();
    assert_eq!(names, ["A2", "A3", "A4", "A5", "A6"]);
    // One call larger than the whole queue keeps only its newest alerts.
    n.send((0..8).map(|i| alert(&format!("B{i}"), &[])).collect());
    assert_eq!(n.metrics().dropped(), 5);
    let names: Vec<String> = n
        .next_batch()
        .iter()
        .map(|a| a.labels["alertname"].clone())
        .collect();
    assert_eq!(names, ["B3", "B4", "B5", "B6", "B7"]);
}

#[tokio::test]
async fn a_failing_alertmanager_is_counted_while_another_takes_the_batch() {
    let (good, good_got) = fake_alertmanager(200).await;
    let (bad, bad_got) = fake_alertmanager(500).await;
    let n = new_notifier(100);
    n.apply_config(&config(&am_config(&[good, bad], "")))
        .expect("applies");
    n.send(vec![alert("A", &[]), alert("B", &[])]);
    let (good_url, bad_url) = (
        format!("http://{good}/api/v2/alerts"),
        format!("http://{bad}/api/v2/alerts"),
    );
    let m = n.metrics().clone();
    until("both posted and counted", || {
        m.sent(&good_url) == 2 && m.sent(&bad_url) == 2
    })
    .await;
    assert_eq!(count(&good_got), 2);
    assert_eq!(count(&bad_got), 2);
    assert_eq!(m.errors(&bad_url), 2);
    assert_eq!(m.errors(&good_url), 0);
    assert_eq!(
        m.dropped(),
        2,
        "the failing Alertmanager's copy is lost, and counted"
    );
    let mut text = String::new();
    m.render(&mut text);
    assert!(
        text.contains(&format!(
            "strata_notifications_errors_total{{alertmanager=\"{bad_url}\"}} 2"
        )),
        "{text}"
    );
    assert!(
        text.contains("strata_notifications_queue_capacity 100"),
        "{text}"
    );
    assert!(
        text.contains("strata_notifications_alertmanagers_discovered 2"),
        "{text}"
    );

    // With only the failing one, every batch is lost and counted as dropped.
    n.apply_config(&config(&am_config(&[bad], "")))
        .expect("applies");
    n.send(vec![alert("C", &[])]);
    until("dropped", || m.dropped() == 3).await;
    assert_eq!(m.errors(&bad_url), 3);
    n.stop().await;
}

#[tokio::test]
async fn credentials_and_path_prefix_are_used() {
    let (addr, got) = fake_alertmanager(200).await;
    let n = new_notifier(100);
    let extra = "      path_prefix: /am\n      authorization:\n        credentials: s3cret\n";
    n.apply_config(&config(&am_config(&[addr], extra)))
        .expect("applies");
    n.send(vec![alert("A", &[])]);
    until("one alert", || count(&got) == 1).await;
    let r = got.lock().expect("lock")[0].clone();
    assert_eq!(r.path, "/am/api/v2/alerts");
    assert_eq!(r.authorization, "Bearer s3cret");
    n.stop().await;

    let (addr, got) = fake_alertmanager(200).await;
    let n = new_notifier(100);
    let extra = "      basic_auth: {username: user, password: pw}\n";
    n.apply_config(&config(&am_config(&[addr], extra)))
        .expect("applies");
    n.send(vec![alert("A", &[])]);
    until("one alert", || count(&got) == 1).await;
    assert_eq!(
        got.lock().expect("lock")[0].authorization,
        "Basic dXNlcjpwdw=="
    );
    n.stop().await;
}

#[tokio::test]
async fn per_set_alert_relabeling_only_affects_its_set() {
    let (a, a_got) = fake_alertmanager(200).await;
    let (b, b_got) = fake_alertmanager(200).await;
    let n = new_notifier(100);
    let yaml = format!(
        "alerting:\n  alertmanagers:\n    - static_configs: [{{targets: ['{a}']}}]\n    - static_configs: [{{targets: ['{b}']}}]\n      alert_relabel_configs:\n        - {{source_labels: [team], regex: db, action: drop}}\n"
    );
    n.apply_config(&config(&yaml)).expect("applies");
    n.send(vec![
        alert("A", &[("team", "db")]),
        alert("B", &[("team", "web")]),
    ]);
    until("a gets both", || count(&a_got) == 2).await;
    until("b gets one", || count(&b_got) == 1).await;
    let b_alert = b_got.lock().expect("lock")[0].alerts[0]["labels"]["alertname"].clone();
    assert_eq!(b_alert, "B");
    n.stop().await;
}

#[tokio::test]
async fn v1_is_refused_and_the_old_config_kept() {
    let (addr, _got) = fake_alertmanager(200).await;
    let n = new_notifier(100);
    n.apply_config(&config(&am_config(&[addr], "")))
        .expect("applies");
    let e = n
        .apply_config(&config(&am_config(&[addr], "      api_version: v1\n")))
        .expect_err("v1 refused");
    assert_eq!(
        e,
        "expected Alertmanager api version to be one of [v2] but got v1"
    );
    assert_eq!(n.alertmanagers().0.len(), 1);
    n.stop().await;
}

#[tokio::test]
async fn stop_drains_what_is_queued() {
    let (addr, got) = fake_alertmanager(200).await;
    let n = new_notifier(10_000);
    n.apply_config(&config(&am_config(&[addr], "")))
        .expect("applies");
    n.send((0..300).map(|i| alert(&format!("A{i}"), &[])).collect());
    n.stop().await;
    assert_eq!(count(&got), 300);
    assert_eq!(n.metrics().queue_length.load(Ordering::Relaxed), 0);
    n.send(vec![alert("late", &[])]);
    assert_eq!(n.metrics().dropped(), 1, "sent after stop");
}

#[tokio::test]
async fn an_alertmanager_that_never_answers_does_not_hold_up_another() {
    let (good, good_got) = fake_alertmanager(200).await;
    // Accepts connections (the kernel's backlog) but never reads or answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_addr = silent.local_addr().unwrap();
    let n = new_notifier(100);
    n.apply_config(&config(&am_config(&[good, silent_addr], "")))
        .expect("applies");
    for i in 0..3 {
        n.send(vec![alert(&format!("A{i}"), &[])]);
        // Each batch reaches the good one while the silent one still holds the first POST
        // (its timeout is 10 s; `until` gives up after 5 s).
        until("the good Alertmanager got the alert", || {
            count(&good_got) == i + 1
        })
        .await;
    }
    drop(silent);
    n.stop().await;
}
