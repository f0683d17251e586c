//! Rules end to end inside one process: scraped data, a recording and an alerting rule from a
//! rule file, and a stand-in Alertmanager receiving `/api/v2/alerts`. The comparison with real
//! Prometheus and Alertmanager is `testsuites/e2e_alerting`.

mod common;

use bytes::Bytes;
use common::{TargetState, TestServer, serve_target, value_of};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Records every alert POSTed to `/api/v2/alerts`.
async fn fake_alertmanager(received: Arc<Mutex<Vec<Value>>>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let received = received.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let received = received.clone();
                    async move {
                        let ok = req.uri().path() == "/api/v2/alerts";
                        let body = req.into_body().collect().await.unwrap().to_bytes();
                        if ok {
                            if let Ok(Value::Array(alerts)) = serde_json::from_slice(&body) {
                                received.lock().unwrap().extend(alerts);
                            }
                        }
                        Ok::<_, std::convert::Infallible>(
                            Response::builder()
                                .status(if ok { 200 } else { 404 })
                                .body(Full::new(Bytes::new()))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

async fn wait_for_alert(received: &Arc<Mutex<Vec<Value>>>, pred: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        if let Some(a) = received.lock().unwrap().iter().find(|a| pred(a)) {
            return a.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no such alert arrived; got {:?}", received.lock().unwrap());
}

const RULES: &str = r#"groups:
  - name: queues
    rules:
      - record: job:depth:max
        expr: max by (job) (depth)
      - alert: Deep
        expr: depth > 10
        for: 2s
        labels:
          severity: '{{ if gt $value 100.0 }}page{{ else }}ticket{{ end }}'
        annotations:
          summary: '{{ $labels.queue }} is {{ $value | humanize }} deep'
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_go_pending_fire_and_resolve_through_alertmanager() {
    let dir = tempfile::tempdir().unwrap();
    let target = Arc::new(Mutex::new(TargetState {
        status: 200,
        body: "depth{queue=\"a\"} 5\n".into(),
        content_type: "text/plain".into(),
        ..TargetState::default()
    }));
    let addr = serve_target(target.clone()).await;
    let received = Arc::new(Mutex::new(Vec::new()));
    let am = fake_alertmanager(received.clone()).await;
    std::fs::write(dir.path().join("rules.yml"), RULES).unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n  external_labels: {{dc: eu}}\n\
             rule_files: [rules.yml]\n\
             alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ['{am}']\n\
             scrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: ['{addr}']\n"
        ),
    )
    .unwrap();
    let server = TestServer::start(&config, true, &dir.path().join("data")).await;

    let rec = server.wait_for("job:depth:max", |r| r.len() == 1).await;
    assert_eq!(value_of(&rec[0]), "5");
    assert_eq!(rec[0]["metric"]["job"], "app");

    target.lock().unwrap().body = "depth{queue=\"a\"} 50\n".into();
    let pending = server
        .wait_for("ALERTS{alertstate=\"pending\"}", |r| r.len() == 1)
        .await;
    assert_eq!(pending[0]["metric"]["alertname"], "Deep");
    assert_eq!(pending[0]["metric"]["severity"], "ticket");
    let (_, body) = server.get("/api/v1/alerts").await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["data"]["alerts"][0]["state"], "pending");
    assert!(
        received.lock().unwrap().is_empty(),
        "pending alerts are not sent"
    );

    server
        .wait_for("ALERTS{alertstate=\"firing\"}", |r| r.len() == 1)
        .await;
    let fired = wait_for_alert(&received, |a| a["labels"]["alertname"] == "Deep").await;
    assert_eq!(fired["labels"]["severity"], "ticket");
    assert_eq!(fired["labels"]["queue"], "a");
    assert_eq!(fired["labels"]["job"], "app");
    assert_eq!(fired["labels"]["dc"], "eu", "external labels are added");
    assert_eq!(fired["annotations"]["summary"], "a is 50 deep");
    assert!(
        fired["generatorURL"]
            .as_str()
            .unwrap()
            .contains("/graph?g0.expr=depth+%3E+10&g0.tab=1")
    );
    let for_state = server.query("ALERTS_FOR_STATE").await;
    assert_eq!(for_state.len(), 1);

    let (_, body) = server.get("/api/v1/rules?type=alert").await;
    let v: Value = serde_json::from_str(&body).unwrap();
    let rule = &v["data"]["groups"][0]["rules"][0];
    assert_eq!(rule["name"], "Deep");
    assert_eq!(rule["state"], "firing");
    assert_eq!(rule["duration"].to_string(), "2", "written as Go writes it");
    assert_eq!(rule["health"], "ok");
    assert_eq!(rule["alerts"][0]["value"], "5e+01");
    let (_, body) = server.get("/api/v1/alertmanagers").await;
    assert!(
        body.contains(&format!("http://{am}/api/v2/alerts")),
        "{body}"
    );

    // Resolution: sent at once, with an end in the past; ALERTS goes stale.
    received.lock().unwrap().clear();
    target.lock().unwrap().body = "depth{queue=\"a\"} 1\n".into();
    let resolved = wait_for_alert(&received, |a| a["labels"]["alertname"] == "Deep").await;
    let ends = resolved["endsAt"].as_str().unwrap().to_string();
    let starts = resolved["startsAt"].as_str().unwrap().to_string();
    assert!(
        ends > starts,
        "resolved alert ends after it started: {resolved}"
    );
    server.wait_for("ALERTS", |r| r.is_empty()).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_rule_file_is_refused_at_reload() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("rules.yml"), RULES).unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, "rule_files: [rules.yml]\n").unwrap();
    let server = TestServer::start(&config, true, &dir.path().join("data")).await;
    let mut rules = String::new();
    for _ in 0..100 {
        rules = server.get("/api/v1/rules").await.1;
        if rules.contains("\"name\":\"Deep\"") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(rules.contains("\"name\":\"Deep\""), "{rules}");

    std::fs::write(
        dir.path().join("rules.yml"),
        "groups:\n  - name: g\n    rules:\n      - alert: X\n        expr: rate(up)\n",
    )
    .unwrap();
    let (status, body) = server.call(hyper::Method::POST, "/-/reload").await;
    assert_eq!(status, hyper::StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.contains("rules.yml"), "{body}");
    assert!(body.contains("could not parse expression"), "{body}");
    let (_, rules) = server.get("/api/v1/rules").await;
    assert!(
        rules.contains("\"name\":\"Deep\""),
        "old rules stay: {rules}"
    );
    server.stop().await;
}
