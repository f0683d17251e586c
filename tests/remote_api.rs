//! The remote write and remote read endpoints, driven over HTTP against a server started
//! in-process on a loopback port. No external peer is needed.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use promql::SampleIterator;
use remote_write::chunked::ChunkedReader;
use remote_write::read::{LabelMatcher, Query, ReadRequest, ResponseType, label_matcher::Type};
use remote_write::v1::{Label, Sample, TimeSeries, WriteRequest};
use std::net::SocketAddr;
use strata::tsdb::DbOptions;
use strata::tsdb::chunkenc::{Encoding, iter_chunk};
use tokio::sync::oneshot;

struct TestServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), String>>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    async fn start() -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let opts = DbOptions::new(dir.path());
        let task = tokio::spawn(strata::server::run(listener, opts, 1 << 20, async {
            let _ = rx.await;
        }));
        let s = TestServer {
            addr,
            stop: Some(tx),
            task: Some(task),
            _dir: dir,
        };
        for _ in 0..200 {
            if s.get("/-/ready").await.0 == StatusCode::OK {
                return s;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("server did not become ready");
    }

    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }

    async fn send(&self, req: Request<Full<Bytes>>) -> (StatusCode, hyper::HeaderMap, Bytes) {
        let client = Client::builder(TokioExecutor::new()).build_http();
        let resp = client.request(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, headers, body)
    }

    async fn get(&self, path: &str) -> (StatusCode, hyper::HeaderMap, Bytes) {
        let req = Request::get(format!("http://{}{path}", self.addr))
            .body(Full::new(Bytes::new()))
            .unwrap();
        self.send(req).await
    }

    async fn post(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (StatusCode, hyper::HeaderMap, Bytes) {
        let mut b = Request::post(format!("http://{}{path}", self.addr));
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        self.send(b.body(Full::new(Bytes::from(body))).unwrap())
            .await
    }

    async fn write_v1(&self, req: &WriteRequest) -> (StatusCode, hyper::HeaderMap, Bytes) {
        self.post(
            "/api/v1/write",
            &[
                ("Content-Type", "application/x-protobuf"),
                ("Content-Encoding", "snappy"),
                ("X-Prometheus-Remote-Write-Version", "0.1.0"),
            ],
            remote_write::encode_write_v1(req).unwrap(),
        )
        .await
    }

    async fn read(&self, q: Query, rtype: ResponseType) -> (StatusCode, hyper::HeaderMap, Bytes) {
        let req = ReadRequest {
            queries: vec![q],
            accepted_response_types: vec![rtype as i32],
        };
        self.post(
            "/api/v1/read",
            &[
                ("Content-Type", "application/x-protobuf"),
                ("Content-Encoding", "snappy"),
            ],
            remote_write::read::encode_read_request(&req).unwrap(),
        )
        .await
    }
}

fn series(name: &str, extra: &[(&str, &str)], samples: &[(i64, f64)]) -> TimeSeries {
    let mut labels = vec![Label::new("__name__", name)];
    labels.extend(extra.iter().map(|(n, v)| Label::new(*n, *v)));
    labels.sort_by(|a, b| a.name.cmp(&b.name));
    TimeSeries {
        labels,
        samples: samples
            .iter()
            .map(|&(timestamp, value)| Sample { value, timestamp })
            .collect(),
        ..TimeSeries::default()
    }
}

fn query_all(mint: i64, maxt: i64) -> Query {
    Query {
        start_timestamp_ms: mint,
        end_timestamp_ms: maxt,
        matchers: vec![LabelMatcher {
            r#type: Type::Re as i32,
            name: "__name__".into(),
            value: ".+".into(),
        }],
        hints: None,
    }
}

const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_then_read_back_both_response_types() {
    let srv = TestServer::start().await;
    let stale = f64::from_bits(STALE_NAN);
    let req = WriteRequest {
        timeseries: vec![
            series(
                "up",
                &[("job", "node")],
                &[(1000, 1.0), (16_000, 0.0), (31_000, stale)],
            ),
            series(
                "weird.metric name",
                &[("label with space", "ü"), ("dotted.name", "x")],
                // Not -0.0: proto3 omits a double equal to 0, so no remote write carries it.
                &[
                    (1000, f64::INFINITY),
                    (2000, f64::from_bits(0x7ff8_dead_beef_0001)),
                ],
            ),
        ],
        ..WriteRequest::default()
    };
    let (status, _, body) = srv.write_v1(&req).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body:?}");

    // SAMPLES
    let (status, headers, body) = srv.read(query_all(0, 100_000), ResponseType::Samples).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-encoding"], "snappy");
    let resp =
        remote_write::read::decode_read_response_samples(&body, &remote_write::Limits::default())
            .unwrap();
    let got = &resp.results[0].timeseries;
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].labels, req.timeseries[0].labels);
    let bits: Vec<(i64, u64)> = got[0]
        .samples
        .iter()
        .map(|s| (s.timestamp, s.value.to_bits()))
        .collect();
    assert_eq!(
        bits,
        vec![(1000, 1f64.to_bits()), (16_000, 0), (31_000, STALE_NAN)]
    );
    assert_eq!(got[1].labels, req.timeseries[1].labels);
    assert_eq!(got[1].samples[1].value.to_bits(), 0x7ff8_dead_beef_0001);

    // STREAMED_XOR_CHUNKS, sub-range
    let (status, headers, body) = srv
        .read(query_all(10_000, 40_000), ResponseType::StreamedXorChunks)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/x-streamed-protobuf")
    );
    let mut reader = ChunkedReader::new(&body[..]);
    let mut frames = Vec::new();
    while let Some(m) = reader.next_message().unwrap() {
        frames.push(m);
    }
    assert_eq!(frames.len(), 1, "only `up` has samples in range");
    let cs = &frames[0].chunked_series[0];
    assert_eq!(cs.labels, req.timeseries[0].labels);
    let mut it = iter_chunk(Encoding::Xor, cs.chunks[0].data.clone());
    let mut samples = Vec::new();
    while it.next() {
        let (t, v) = it.at();
        samples.push((t, v.to_bits()));
    }
    assert_eq!(samples, vec![(16_000, 0), (31_000, STALE_NAN)]);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_write_v2_reports_written_counts() {
    let srv = TestServer::start().await;
    let v1 = WriteRequest {
        timeseries: vec![
            series("a", &[], &[(1, 1.0), (2, 2.0)]),
            series("b", &[], &[(1, 3.0)]),
        ],
        ..WriteRequest::default()
    };
    let body = remote_write::encode_write_v2(&remote_write::v2_from_v1(&v1)).unwrap();
    let (status, headers, _) = srv
        .post(
            "/api/v1/write",
            &[
                (
                    "Content-Type",
                    "application/x-protobuf;proto=io.prometheus.write.v2.Request",
                ),
                ("Content-Encoding", "snappy"),
                ("X-Prometheus-Remote-Write-Version", "2.0.0"),
            ],
            body,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(headers["x-prometheus-remote-write-samples-written"], "3");
    assert_eq!(headers["x-prometheus-remote-write-histograms-written"], "0");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_the_spec_status_codes() {
    let srv = TestServer::start().await;
    let ok = WriteRequest {
        timeseries: vec![series("a", &[], &[(1, 1.0)])],
        ..WriteRequest::default()
    };
    let snappy = remote_write::encode_write_v1(&ok).unwrap();

    let missing_name = WriteRequest {
        timeseries: vec![TimeSeries {
            labels: vec![Label::new("job", "x")],
            samples: vec![Sample {
                value: 1.0,
                timestamp: 1,
            }],
            ..TimeSeries::default()
        }],
        ..WriteRequest::default()
    };
    let (s, _, body) = srv.write_v1(&missing_name).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        String::from_utf8_lossy(&body).contains("__name__"),
        "{body:?}"
    );

    let unsorted = WriteRequest {
        timeseries: vec![TimeSeries {
            labels: vec![Label::new("z", "1"), Label::new("__name__", "a")],
            samples: vec![Sample {
                value: 1.0,
                timestamp: 1,
            }],
            ..TimeSeries::default()
        }],
        ..WriteRequest::default()
    };
    assert_eq!(srv.write_v1(&unsorted).await.0, StatusCode::BAD_REQUEST);

    let (s, _, _) = srv
        .post(
            "/api/v1/write",
            &[
                ("Content-Type", "application/json"),
                ("Content-Encoding", "snappy"),
            ],
            snappy.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (s, _, _) = srv
        .post(
            "/api/v1/write",
            &[
                ("Content-Type", "application/x-protobuf"),
                ("Content-Encoding", "gzip"),
            ],
            snappy.clone(),
        )
        .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (s, _, _) = srv
        .post(
            "/api/v1/write",
            &[("Content-Type", "application/x-protobuf")],
            b"definitely not snappy".to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // The test server accepts bodies up to 1 MiB: a larger Content-Length is refused before
    // any of the body is read. (Headers only, so no upload races the answer.)
    let addr = srv.addr;
    let head = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        c.write_all(
            b"POST /api/v1/write HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 2097152\r\n\r\n",
        )
        .unwrap();
        let mut buf = [0u8; 64];
        let n = c.read(&mut buf).unwrap();
        String::from_utf8_lossy(&buf[..n]).into_owned()
    })
    .await
    .unwrap();
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    // A snappy body claiming a huge decompressed size is refused before decompression.
    let mut bomb = Vec::new();
    let mut n: u64 = 1 << 31;
    while n >= 0x80 {
        bomb.push((n as u8) | 0x80);
        n >>= 7;
    }
    bomb.push(n as u8);
    bomb.extend_from_slice(&[0u8; 16]);
    let (s, _, _) = srv
        .post(
            "/api/v1/write",
            &[
                ("Content-Type", "application/x-protobuf"),
                ("Content-Encoding", "snappy"),
            ],
            bomb,
        )
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);

    // Out-of-order beyond the window and conflicting duplicates: 400, and the good samples
    // of the same request are kept.
    assert_eq!(srv.write_v1(&ok).await.0, StatusCode::NO_CONTENT);
    let later = WriteRequest {
        timeseries: vec![series("a", &[], &[(3_600_000, 1.0)])],
        ..WriteRequest::default()
    };
    assert_eq!(srv.write_v1(&later).await.0, StatusCode::NO_CONTENT);
    let mixed = WriteRequest {
        timeseries: vec![
            series("a", &[], &[(2, 5.0)]),
            series("a", &[], &[(3_600_000, 7.0)]),
            series("c", &[], &[(5, 1.0)]),
        ],
        ..WriteRequest::default()
    };
    let (s, _, body) = srv.write_v1(&mixed).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let msg = String::from_utf8_lossy(&body);
    assert!(msg.contains("2 of 3 samples rejected"), "{msg}");
    let (_, _, body) = srv.read(query_all(0, 10), ResponseType::Samples).await;
    let resp =
        remote_write::read::decode_read_response_samples(&body, &remote_write::Limits::default())
            .unwrap();
    let names: Vec<&str> = resp.results[0]
        .timeseries
        .iter()
        .map(|s| s.labels[0].value.as_str())
        .collect();
    assert_eq!(names, vec!["a", "c"], "the valid sample of `c` was stored");

    // An exact duplicate of a series' latest sample is accepted (a retried batch succeeds).
    assert_eq!(srv.write_v1(&later).await.0, StatusCode::NO_CONTENT);

    let metrics = String::from_utf8(srv.get("/metrics").await.2.to_vec()).unwrap();
    assert!(
        metrics.contains("strata_tsdb_samples_rejected_total{reason=\"too_old\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("strata_tsdb_samples_rejected_total{reason=\"duplicate_timestamp\"} 1")
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_is_kept_and_served() {
    use remote_write::v1::MetricMetadata;
    let srv = TestServer::start().await;
    let req = WriteRequest {
        timeseries: vec![series("http_requests_total", &[], &[(1, 1.0)])],
        metadata: vec![MetricMetadata {
            r#type: 1, // COUNTER
            metric_family_name: "http_requests_total".into(),
            help: "Requests served.".into(),
            unit: String::new(),
        }],
    };
    assert_eq!(srv.write_v1(&req).await.0, StatusCode::NO_CONTENT);
    let (s, _, body) = srv.get("/api/v1/metadata?metric=http_requests_total").await;
    assert_eq!(s, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["data"]["http_requests_total"][0]["type"], "counter");
    assert_eq!(
        v["data"]["http_requests_total"][0]["help"],
        "Requests served."
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn series_labels_and_label_values_endpoints() {
    let srv = TestServer::start().await;
    let req = WriteRequest {
        timeseries: vec![
            series(
                "up",
                &[("job", "node"), ("instance", "a")],
                &[(10_000, 1.0)],
            ),
            series(
                "up",
                &[("job", "node"), ("instance", "b")],
                &[(20_000, 1.0)],
            ),
            series(
                "up",
                &[("job", "prom"), ("instance", "c")],
                &[(90_000, 1.0)],
            ),
            series(
                "node_load1",
                &[("job", "node"), ("dotted.name", "x")],
                &[(10_000, 0.5)],
            ),
        ],
        ..WriteRequest::default()
    };
    assert_eq!(srv.write_v1(&req).await.0, StatusCode::NO_CONTENT);
    let json = |b: Bytes| serde_json::from_slice::<serde_json::Value>(&b).unwrap();

    let (s, _, body) = srv
        .get("/api/v1/series?match%5B%5D=up%7Bjob%3D%22node%22%7D")
        .await;
    assert_eq!(s, StatusCode::OK);
    let v = json(body);
    assert_eq!(v["status"], "success");
    assert_eq!(
        v["data"],
        serde_json::json!([
            {"__name__": "up", "instance": "a", "job": "node"},
            {"__name__": "up", "instance": "b", "job": "node"},
        ])
    );

    // Time range: only series with samples in [15s, 100s]; two selectors are a union.
    let (_, _, body) = srv
        .get("/api/v1/series?match[]=up&match[]=node_load1&start=15&end=100")
        .await;
    let names: Vec<String> = json(body)["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["instance"].as_str().unwrap_or("-").to_string())
        .collect();
    assert_eq!(names, vec!["b", "c"]);

    // Form POST, as Grafana sends it, with a limit.
    let (s, _, body) = srv
        .post(
            "/api/v1/series",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            b"match%5B%5D=up&limit=1".to_vec(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let v = json(body);
    assert_eq!(v["data"].as_array().unwrap().len(), 1);
    assert_eq!(v["warnings"][0], "results truncated due to limit");

    let (_, _, body) = srv.get("/api/v1/labels").await;
    assert_eq!(
        json(body)["data"],
        serde_json::json!(["__name__", "dotted.name", "instance", "job"])
    );
    let (_, _, body) = srv.get("/api/v1/labels?match[]=node_load1").await;
    assert_eq!(
        json(body)["data"],
        serde_json::json!(["__name__", "dotted.name", "job"])
    );
    let (_, _, body) = srv.get("/api/v1/label/job/values").await;
    assert_eq!(json(body)["data"], serde_json::json!(["node", "prom"]));
    let (_, _, body) = srv
        .get("/api/v1/label/instance/values?match[]=up{job=%22prom%22}")
        .await;
    assert_eq!(json(body)["data"], serde_json::json!(["c"]));
    let (_, _, body) = srv.get("/api/v1/label/nothing/values").await;
    assert_eq!(json(body)["data"], serde_json::json!([]));

    // Errors in Prometheus's terms.
    for bad in [
        "/api/v1/series",
        "/api/v1/series?match[]=up{",
        "/api/v1/series?match[]=rate(up[5m])",
        "/api/v1/series?match[]=up&start=yesterday",
        "/api/v1/series?match[]=up&start=100&end=10",
        "/api/v1/labels?limit=-1",
    ] {
        let (s, _, body) = srv.get(bad).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
        let v = json(body);
        assert_eq!(v["status"], "error", "{bad}");
        assert_eq!(v["errorType"], "bad_data", "{bad}");
    }

    let (s, _, body) = srv.get("/api/v1/status/buildinfo").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(json(body)["data"]["version"], env!("CARGO_PKG_VERSION"));
    srv.stop().await;
}
