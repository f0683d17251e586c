//! What the in-process scrape and rules tests share: a server started with a `prometheus.yml`,
//! and a scrape target whose answers the test controls.
#![allow(dead_code)]

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use strata::http::ApiOptions;
use strata::reload::ConfigSource;
use strata::server::Services;
use strata::tsdb::DbOptions;
use tokio::sync::oneshot;

/// What the test target answers, and what it was asked.
#[derive(Default)]
pub struct TargetState {
    pub status: u16,
    pub body: String,
    pub content_type: String,
    pub gzip: bool,
    pub last_accept: String,
    pub last_timeout_header: String,
    pub last_authorization: String,
}

pub async fn serve_target(state: Arc<Mutex<TargetState>>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let state = state.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let state = state.clone();
                    async move {
                        let mut s = state.lock().unwrap();
                        let h = |n: &str| {
                            req.headers()
                                .get(n)
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or("")
                                .to_string()
                        };
                        s.last_accept = h("accept");
                        s.last_timeout_header = h("x-prometheus-scrape-timeout-seconds");
                        s.last_authorization = h("authorization");
                        let mut body = s.body.clone().into_bytes();
                        let mut resp = Response::builder()
                            .status(s.status)
                            .header("content-type", s.content_type.clone());
                        if s.gzip && h("accept-encoding").contains("gzip") {
                            let mut enc = flate2::write::GzEncoder::new(
                                Vec::new(),
                                flate2::Compression::fast(),
                            );
                            enc.write_all(&body).unwrap();
                            body = enc.finish().unwrap();
                            resp = resp.header("content-encoding", "gzip");
                        }
                        Ok::<_, std::convert::Infallible>(
                            resp.body(Full::new(Bytes::from(body))).unwrap(),
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

pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), String>>,
}

impl TestServer {
    pub async fn start(config: &Path, lifecycle: bool, data: &Path) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let api = ApiOptions {
            enable_lifecycle: lifecycle,
            ..ApiOptions::default()
        };
        let services = Services {
            config: Some(ConfigSource {
                path: Some(config.to_path_buf()),
                default_text: String::new(),
            }),
            ..Services::default()
        };
        let task = tokio::spawn(strata::server::run_services(
            listener,
            DbOptions::new(data),
            1 << 20,
            api,
            services,
            async {
                let _ = rx.await;
            },
        ));
        TestServer {
            addr,
            stop: Some(tx),
            task,
        }
    }

    pub async fn get(&self, path_and_query: &str) -> (StatusCode, String) {
        self.call(hyper::Method::GET, path_and_query).await
    }

    pub async fn call(&self, method: hyper::Method, path_and_query: &str) -> (StatusCode, String) {
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let req = Request::builder()
            .method(method)
            .uri(format!("http://{}{path_and_query}", self.addr))
            .body(Full::new(Bytes::new()))
            .unwrap();
        match client.request(req).await {
            Ok(resp) => {
                let status = resp.status();
                let body = resp.into_body().collect().await.unwrap().to_bytes();
                (status, String::from_utf8_lossy(&body).into_owned())
            }
            Err(_) => (StatusCode::SERVICE_UNAVAILABLE, String::new()),
        }
    }

    /// The instant-query result vector for `q` at the current time.
    pub async fn query(&self, q: &str) -> Vec<Value> {
        let enc: String = q
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        let (status, body) = self.get(&format!("/api/v1/query?query={enc}")).await;
        if status != StatusCode::OK {
            return Vec::new();
        }
        let v: Value = serde_json::from_str(&body).unwrap();
        v["data"]["result"].as_array().cloned().unwrap_or_default()
    }

    /// Polls `q` until `pred` holds for its result (at most 15 s; scrapes run every second).
    pub async fn wait_for(&self, q: &str, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let mut last = Vec::new();
        for _ in 0..150 {
            last = self.query(q).await;
            if pred(&last) {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{q}: condition not reached; last result {last:?}");
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        self.task.await.unwrap().unwrap();
    }
}

pub fn value_of(v: &Value) -> String {
    v["value"][1].as_str().unwrap_or("").to_string()
}
