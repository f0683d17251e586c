//! Scraping end to end inside one process: a server started with a `prometheus.yml`, a target
//! served by the test whose answers the test controls, and the results read back through the
//! query and targets APIs. The peer comparison against Prometheus is `testsuites/e2e_scrape`.

mod common;

use common::{TargetState, TestServer, serve_target, value_of};
use hyper::StatusCode;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn config_for(target: SocketAddr, extra_job: &str) -> String {
    format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n  external_labels: {{dc: x}}\n\
         scrape_configs:\n\
         \x20 - job_name: app\n\
         \x20   authorization: {{credentials: s3cret}}\n\
         \x20   static_configs:\n\
         \x20     - targets: ['{target}']\n\
         \x20       labels: {{env: test}}\n\
         \x20   metric_relabel_configs:\n\
         \x20     - source_labels: [__name__]\n\
         \x20       regex: 'dropped_.*'\n\
         \x20       action: drop\n{extra_job}"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scraped_samples_get_target_labels_and_go_stale_with_their_target() {
    let dir = tempfile::tempdir().unwrap();
    let target = Arc::new(Mutex::new(TargetState {
        status: 200,
        body: "# TYPE foo gauge\n# HELP foo A gauge.\nfoo{a=\"1\",job=\"inner\"} 5\n\
               gone 1\ndropped_metric 7\n"
            .into(),
        content_type: "text/plain; version=0.0.4".into(),
        gzip: true,
        ..TargetState::default()
    }));
    let addr = serve_target(target.clone()).await;
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, config_for(addr, "")).unwrap();
    let server = TestServer::start(&config, true, &dir.path().join("data")).await;

    let foo = server.wait_for("foo", |r| r.len() == 1).await;
    let labels = &foo[0]["metric"];
    assert_eq!(labels["a"], "1");
    assert_eq!(labels["env"], "test");
    assert_eq!(labels["job"], "app");
    assert_eq!(labels["exported_job"], "inner");
    assert_eq!(labels["instance"], addr.to_string());
    assert!(labels.get("dc").is_none(), "external labels are not stored");
    assert_eq!(value_of(&foo[0]), "5");
    assert!(server.query("dropped_metric").await.is_empty());
    let up = server.wait_for("up", |r| r.len() == 1).await;
    assert_eq!(value_of(&up[0]), "1");
    let scraped = server.query("scrape_samples_scraped").await;
    assert_eq!(value_of(&scraped[0]), "3");
    let post = server.query("scrape_samples_post_metric_relabeling").await;
    assert_eq!(value_of(&post[0]), "2");
    {
        let t = target.lock().unwrap();
        assert!(
            t.last_accept
                .starts_with("application/openmetrics-text;version=1.0.0"),
            "{}",
            t.last_accept
        );
        assert_eq!(t.last_timeout_header, "0.9");
        assert_eq!(t.last_authorization, "Bearer s3cret");
    }

    // The targets API and the per-target metadata.
    let (status, body) = server.get("/api/v1/targets").await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_str(&body).unwrap();
    let active = &v["data"]["activeTargets"][0];
    assert_eq!(active["health"], "up");
    assert_eq!(active["scrapePool"], "app");
    assert_eq!(active["scrapeUrl"], format!("http://{addr}/metrics"));
    assert_eq!(active["labels"]["env"], "test");
    assert_eq!(active["discoveredLabels"]["__address__"], addr.to_string());
    assert_eq!(active["scrapeInterval"], "1s");
    let (status, body) = server
        .get("/api/v1/targets/metadata?match_target=%7Bjob%3D%22app%22%7D&metric=foo")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["data"][0]["type"], "gauge");
    assert_eq!(v["data"][0]["help"], "A gauge.");

    // A series the target stops exposing is gone at the next scrape, not 5 minutes later.
    target.lock().unwrap().body = "foo{a=\"1\",job=\"inner\"} 6\n".into();
    server
        .wait_for("foo", |r| r.len() == 1 && value_of(&r[0]) == "6")
        .await;
    assert!(server.query("gone").await.is_empty());

    // A failing target: up 0, and its series are stale at once.
    target.lock().unwrap().status = 500;
    server
        .wait_for("up", |r| r.len() == 1 && value_of(&r[0]) == "0")
        .await;
    assert!(server.query("foo").await.is_empty());
    let (_, body) = server.get("/api/v1/targets").await;
    let v: Value = serde_json::from_str(&body).unwrap();
    let active = &v["data"]["activeTargets"][0];
    assert_eq!(active["health"], "down");
    assert_eq!(
        active["lastError"],
        "server returned HTTP status 500 Internal Server Error"
    );

    // It comes back.
    target.lock().unwrap().status = 200;
    server.wait_for("foo", |r| r.len() == 1).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_applies_good_configs_and_keeps_the_old_one_on_errors() {
    let dir = tempfile::tempdir().unwrap();
    let target = Arc::new(Mutex::new(TargetState {
        status: 200,
        body: "m 1\n".into(),
        content_type: "text/plain".into(),
        ..TargetState::default()
    }));
    let addr = serve_target(target.clone()).await;
    let config = dir.path().join("prometheus.yml");
    std::fs::write(&config, config_for(addr, "")).unwrap();
    let server = TestServer::start(&config, true, &dir.path().join("data")).await;
    server.wait_for("up", |r| r.len() == 1).await;

    // A broken file is refused with Prometheus's status and the old jobs keep running.
    std::fs::write(
        &config,
        "scrape_configs:\n  - job_name: a\n  - job_name: a\n",
    )
    .unwrap();
    let (status, body) = server.call(hyper::Method::POST, "/-/reload").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.starts_with("failed to reload config: "), "{body}");
    assert!(
        body.contains("found multiple scrape configs with job name \"a\""),
        "{body}"
    );
    let (_, metrics) = server.get("/metrics").await;
    assert!(metrics.contains("\nstrata_config_last_reload_successful 0\n"));
    let (_, targets) = server.get("/api/v1/targets").await;
    assert!(targets.contains("\"scrapePool\":\"app\""));

    // A second job appears after a good reload; the first keeps its series.
    let extra = format!("  - job_name: second\n    static_configs:\n      - targets: ['{addr}']\n");
    std::fs::write(&config, config_for(addr, &extra)).unwrap();
    let (status, body) = server.call(hyper::Method::POST, "/-/reload").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    server.wait_for("m", |r| r.len() == 2).await;
    let (_, metrics) = server.get("/metrics").await;
    assert!(metrics.contains("\nstrata_config_last_reload_successful 1\n"));
    let (_, cfg) = server.get("/api/v1/status/config").await;
    assert!(cfg.contains("job_name: second"), "{cfg}");
    assert!(!cfg.contains("s3cret"), "secrets are hidden: {cfg}");
    server.stop().await;

    // Without --web.enable-lifecycle the endpoint is refused, as Prometheus refuses it.
    let server = TestServer::start(&config, false, &dir.path().join("data2")).await;
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..100 {
        status = server.call(hyper::Method::POST, "/-/reload").await.0;
        if status != StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, StatusCode::FORBIDDEN);
    server.stop().await;
}

/// A CA, and a certificate for `target.test` signed by it (PEM): the CA's, the server's, its key.
fn test_certificates() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["target.test".to_string()])
        .unwrap()
        .signed_by(&key, &ca_cert, &ca_key)
        .unwrap();
    (ca_cert.pem(), cert.pem(), key.serialize_pem())
}

/// Serves `body` as the text format over TLS with `cert`/`key`.
async fn serve_tls_target(cert_pem: &str, key_pem: &str, body: &'static str) -> SocketAddr {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).unwrap();
    let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let svc = hyper::service::service_fn(|_req| async {
                    Ok::<_, std::convert::Infallible>(
                        hyper::Response::builder()
                            .header("content-type", "text/plain; version=0.0.4")
                            .body(http_body_util::Full::new(bytes::Bytes::from(body)))
                            .unwrap(),
                    )
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_targets_are_verified_against_the_configured_ca() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = test_certificates();
    std::fs::write(dir.path().join("ca.pem"), &ca).unwrap();
    let addr = serve_tls_target(&cert, &key, "secure_metric 1\n").await;
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n\
             scrape_configs:\n\
             \x20 - job_name: trusted\n    scheme: https\n\
             \x20   tls_config: {{ca_file: ca.pem, server_name: target.test}}\n\
             \x20   static_configs: [{{targets: ['{addr}']}}]\n\
             \x20 - job_name: system_roots\n    scheme: https\n\
             \x20   tls_config: {{server_name: target.test}}\n\
             \x20   static_configs: [{{targets: ['{addr}']}}]\n\
             \x20 - job_name: wrong_name\n    scheme: https\n\
             \x20   tls_config: {{ca_file: ca.pem, server_name: other.test}}\n\
             \x20   static_configs: [{{targets: ['{addr}']}}]\n\
             \x20 - job_name: skip_verify\n    scheme: https\n\
             \x20   tls_config: {{insecure_skip_verify: true}}\n\
             \x20   static_configs: [{{targets: ['{addr}']}}]\n"
        ),
    )
    .unwrap();
    let server = TestServer::start(&config, false, &dir.path().join("data")).await;
    let up = server.wait_for("up", |r| r.len() == 4).await;
    let by_job = |job: &str| {
        up.iter()
            .find(|s| s["metric"]["job"] == job)
            .map(value_of)
            .unwrap_or_default()
    };
    assert_eq!(by_job("trusted"), "1");
    assert_eq!(by_job("skip_verify"), "1");
    assert_eq!(by_job("system_roots"), "0", "an unknown CA is refused");
    assert_eq!(by_job("wrong_name"), "0", "a name mismatch is refused");
    let got = server.wait_for("secure_metric", |r| r.len() == 2).await;
    assert!(got.iter().all(|s| value_of(s) == "1"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_sd_targets_follow_their_files() {
    let dir = tempfile::tempdir().unwrap();
    let target = Arc::new(Mutex::new(TargetState {
        status: 200,
        body: "filed 1\n".into(),
        content_type: "text/plain".into(),
        ..TargetState::default()
    }));
    let addr = serve_target(target.clone()).await;
    std::fs::create_dir(dir.path().join("targets")).unwrap();
    let file = dir.path().join("targets/team.json");
    std::fs::write(
        &file,
        format!(r#"[{{"targets": ["{addr}"], "labels": {{"team": "db"}}}}]"#),
    )
    .unwrap();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        "global:\n  scrape_interval: 1s\n\
         scrape_configs:\n  - job_name: filed\n    file_sd_configs:\n\
         \x20     - files: ['targets/*.json']\n",
    )
    .unwrap();
    let server = TestServer::start(&config, false, &dir.path().join("data")).await;
    let got = server.wait_for("filed", |r| r.len() == 1).await;
    assert_eq!(got[0]["metric"]["team"], "db");
    assert!(got[0]["metric"].get("__meta_filepath").is_none());
    let (_, body) = server.get("/api/v1/targets").await;
    let v: Value = serde_json::from_str(&body).unwrap();
    let discovered = &v["data"]["activeTargets"][0]["discoveredLabels"];
    assert_eq!(discovered["__meta_filepath"], file.display().to_string());

    // The file loses its target: the target stops and its series go stale (a little over
    // one interval after its next scrape was due), without a reload.
    std::fs::write(&file, "[]").unwrap();
    server.wait_for("filed", |r| r.is_empty()).await;
    server.wait_for("up", |r| r.is_empty()).await;
    let (_, body) = server.get("/api/v1/targets").await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["data"]["activeTargets"], serde_json::json!([]));
    server.stop().await;
}
