//! The Prometheus query API end to end: a server started in-process on a loopback port, data
//! written by remote write, answers checked as JSON against what Prometheus returns for the same
//! data and parameters.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use remote_write::v1::{Label, Sample, TimeSeries, WriteRequest};
use serde_json::{Value, json};
use std::net::SocketAddr;
use strata::http::ApiOptions;
use strata::tsdb::DbOptions;
use tokio::sync::oneshot;

struct TestServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), String>>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    async fn start() -> TestServer {
        Self::start_with(ApiOptions::default()).await
    }

    async fn start_with(api: ApiOptions) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let opts = DbOptions::new(dir.path());
        let task = tokio::spawn(strata::server::run_with(
            listener,
            opts,
            1 << 20,
            api,
            async {
                let _ = rx.await;
            },
        ));
        let s = TestServer {
            addr,
            stop: Some(tx),
            task: Some(task),
            _dir: dir,
        };
        for _ in 0..200 {
            if s.request(Method::GET, "/-/ready", None).await.0 == StatusCode::OK {
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

    /// Sends a request; `form` goes as an `application/x-www-form-urlencoded` body.
    async fn request(&self, method: Method, path: &str, form: Option<&str>) -> (StatusCode, Bytes) {
        let mut b = Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr));
        if form.is_some() {
            b = b.header("Content-Type", "application/x-www-form-urlencoded");
        }
        let body = Full::new(Bytes::from(form.unwrap_or("").to_string()));
        let client = Client::builder(TokioExecutor::new()).build_http();
        let resp = client.request(b.body(body).unwrap()).await.unwrap();
        let status = resp.status();
        (status, resp.into_body().collect().await.unwrap().to_bytes())
    }

    async fn get(&self, path: &str) -> (StatusCode, Bytes) {
        self.request(Method::GET, path, None).await
    }

    async fn get_json(&self, path: &str) -> (StatusCode, Value) {
        let (status, body) = self.get(path).await;
        let v = serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {body:?}"));
        (status, v)
    }

    async fn write(&self, series: Vec<TimeSeries>) {
        let req = WriteRequest {
            timeseries: series,
            ..WriteRequest::default()
        };
        let (status, body) = self
            .post_raw(
                "/api/v1/write",
                &[
                    ("Content-Type", "application/x-protobuf"),
                    ("Content-Encoding", "snappy"),
                    ("X-Prometheus-Remote-Write-Version", "0.1.0"),
                ],
                remote_write::encode_write_v1(&req).unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body:?}");
    }

    async fn post_raw(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> (StatusCode, Bytes) {
        let mut b = Request::post(format!("http://{}{path}", self.addr));
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let client = Client::builder(TokioExecutor::new()).build_http();
        let resp = client
            .request(b.body(Full::new(Bytes::from(body))).unwrap())
            .await
            .unwrap();
        let status = resp.status();
        (status, resp.into_body().collect().await.unwrap().to_bytes())
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

/// Samples every 15 s from 0 to 600 s: `up` is 1 for job a and 0 for job b (two instances
/// each), the counter `req_total` grows by 15 per scrape (1/s).
async fn load(srv: &TestServer) {
    let times: Vec<i64> = (0..=40).map(|i| i * 15_000).collect();
    let at = |f: &dyn Fn(i64) -> f64| times.iter().map(|&t| (t, f(t))).collect::<Vec<_>>();
    srv.write(vec![
        series("up", &[("job", "a"), ("instance", "1")], &at(&|_| 1.0)),
        series("up", &[("job", "a"), ("instance", "2")], &at(&|_| 1.0)),
        series("up", &[("job", "b"), ("instance", "1")], &at(&|_| 0.0)),
        series("up", &[("job", "b"), ("instance", "2")], &at(&|_| 0.0)),
        series("req_total", &[("job", "a")], &at(&|t| (t / 1000) as f64)),
    ])
    .await;
}

fn q(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instant_queries_answer_like_prometheus() {
    let srv = TestServer::start().await;
    load(&srv).await;

    // The exact bytes Prometheus sends for one series.
    let (status, body) = srv
        .get(&format!(
            "/api/v1/query?query={}&time=30",
            q(r#"up{job="a",instance="1"}"#)
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        std::str::from_utf8(&body).unwrap(),
        r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","instance":"1","job":"a"},"value":[30,"1"]}]}}"#
    );

    // Aggregation, with a fractional evaluation time.
    let (_, v) = srv
        .get_json(&format!(
            "/api/v1/query?query={}&time=100.5",
            q("sort(sum by (job) (up))")
        ))
        .await;
    assert_eq!(
        v["data"],
        json!({"resultType": "vector", "result": [
            {"metric": {"job": "b"}, "value": [100.5, "0"]},
            {"metric": {"job": "a"}, "value": [100.5, "2"]},
        ]})
    );

    // A counter growing 1/s: its last two samples 15 s apart differ by 15.
    let (_, v) = srv
        .get_json(&format!(
            "/api/v1/query?query={}&time=300",
            q("irate(req_total[1m])")
        ))
        .await;
    assert_eq!(
        v["data"]["result"],
        json!([{"metric": {"job": "a"}, "value": [300, "1"]}])
    );

    // Scalars and strings.
    let (_, v) = srv.get_json("/api/v1/query?query=1%2F0&time=1.25").await;
    assert_eq!(
        v["data"],
        json!({"resultType": "scalar", "result": [1.25, "+Inf"]})
    );
    let (_, v) = srv
        .get_json(&format!("/api/v1/query?query={}&time=2", q(r#""a<b""#)))
        .await;
    assert_eq!(
        v["data"],
        json!({"resultType": "string", "result": [2, "a<b"]})
    );

    // Beyond the lookback delta nothing is found; a wider per-query lookback_delta finds it.
    let late = format!("/api/v1/query?query=up&time={}", 600 + 400);
    let (_, v) = srv.get_json(&late).await;
    assert_eq!(v["data"]["result"], json!([]));
    let (_, v) = srv.get_json(&format!("{late}&lookback_delta=10m")).await;
    assert_eq!(v["data"]["result"].as_array().unwrap().len(), 4);

    // A form body is read like the query string.
    let (status, body) = srv
        .request(
            Method::POST,
            "/api/v1/query",
            Some(&format!("query={}&time=45", q("count(up == 1)"))),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["data"]["result"][0]["value"], json!([45, "2"]));
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn range_queries_and_limit() {
    let srv = TestServer::start().await;
    load(&srv).await;

    let (status, v) = srv
        .get_json(&format!(
            "/api/v1/query_range?query={}&start=60&end=120&step=30s",
            q(r#"sum by (job) (up{job="a"})"#)
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        v,
        json!({"status": "success", "data": {"resultType": "matrix", "result": [
            {"metric": {"job": "a"}, "values": [[60, "2"], [90, "2"], [120, "2"]]},
        ]}})
    );

    // A scalar expression becomes one series without labels; float steps are seconds.
    let (_, v) = srv
        .get_json("/api/v1/query_range?query=time()&start=0&end=1&step=0.5")
        .await;
    assert_eq!(
        v["data"]["result"],
        json!([{"metric": {}, "values": [[0, "0"], [0.5, "0.5"], [1, "1"]]}])
    );

    // `limit` keeps the first series and says so.
    let (_, v) = srv.get_json("/api/v1/query?query=up&time=30&limit=3").await;
    assert_eq!(v["data"]["result"].as_array().unwrap().len(), 3);
    assert_eq!(v["warnings"], json!(["results truncated due to limit"]));
    let (_, v) = srv
        .get_json("/api/v1/query_range?query=up&start=0&end=30&step=15&limit=1")
        .await;
    assert_eq!(v["data"]["result"].as_array().unwrap().len(), 1);
    assert_eq!(v["warnings"], json!(["results truncated due to limit"]));
    let (_, v) = srv.get_json("/api/v1/query?query=up&time=30&limit=4").await;
    assert!(v.get("warnings").is_none(), "{v}");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameter_and_query_errors() {
    let srv = TestServer::start().await;
    let cases: [(&str, u16, &str, &str); 11] = [
        (
            "/api/v1/query?query=sum(",
            400,
            "bad_data",
            "invalid parameter \"query\": ",
        ),
        (
            "/api/v1/query",
            400,
            "bad_data",
            "invalid parameter \"query\": 1:1: parse error: no expression found in input",
        ),
        (
            "/api/v1/query?query=up&time=abc",
            400,
            "bad_data",
            "invalid parameter \"time\": Invalid time value for 'time': cannot parse \"abc\" to a valid timestamp",
        ),
        (
            "/api/v1/query?query=up&timeout=soon",
            400,
            "bad_data",
            "invalid parameter \"timeout\": cannot parse \"soon\" to a valid duration",
        ),
        (
            "/api/v1/query?query=up&limit=-1",
            400,
            "bad_data",
            "invalid parameter \"limit\": limit must be non-negative",
        ),
        (
            "/api/v1/query_range?query=up&start=10&end=0&step=1",
            400,
            "bad_data",
            "invalid parameter \"end\": end timestamp must not be before start time",
        ),
        (
            "/api/v1/query_range?query=up&start=0&end=10&step=0",
            400,
            "bad_data",
            "invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer",
        ),
        (
            "/api/v1/query_range?query=up&start=0&end=10",
            400,
            "bad_data",
            "invalid parameter \"step\": cannot parse \"\" to a valid duration",
        ),
        (
            "/api/v1/query_range?query=up&start=0&end=11001&step=1",
            400,
            "bad_data",
            "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
        ),
        (
            "/api/v1/query_range?query=up%5B5m%5D&start=0&end=10&step=1",
            400,
            "bad_data",
            "invalid parameter \"query\": invalid expression type \"range vector\" for range query, must be Scalar or instant Vector",
        ),
        (
            "/api/v1/query?query=up&lookback_delta=x",
            400,
            "bad_data",
            "error parsing lookback delta duration: cannot parse \"x\" to a valid duration",
        ),
    ];
    for (path, code, kind, msg) in cases {
        let (status, v) = srv.get_json(path).await;
        assert_eq!(status.as_u16(), code, "{path}: {v}");
        assert_eq!(v["status"], "error", "{path}");
        assert_eq!(v["errorType"], kind, "{path}");
        let got = v["error"].as_str().unwrap();
        assert!(got.starts_with(msg), "{path}: {got}");
    }
    // Exactly 11,000 steps is still allowed.
    let (status, _) = srv
        .get("/api/v1/query_range?query=1&start=0&end=11000&step=1")
        .await;
    assert_eq!(status, StatusCode::OK);

    // An evaluation error is an execution error, 422.
    srv.write(vec![
        series("dup", &[("a", "1"), ("b", "x")], &[(0, 1.0)]),
        series("dup", &[("a", "1"), ("b", "y")], &[(0, 1.0)]),
    ])
    .await;
    let (status, v) = srv
        .get_json(&format!(
            "/api/v1/query?query={}&time=0",
            q("label_replace(dup, \"b\", \"z\", \"\", \"\")")
        ))
        .await;
    assert_eq!(status.as_u16(), 422, "{v}");
    assert_eq!(v["errorType"], "execution");

    // Queries take GET and POST only.
    let (status, _) = srv
        .request(Method::PUT, "/api/v1/query?query=1", None)
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn queued_queries_wait_for_a_slot() {
    let srv = TestServer::start_with(ApiOptions {
        max_concurrency: 1,
        ..ApiOptions::default()
    })
    .await;
    load(&srv).await;
    let path = format!(
        "/api/v1/query_range?query={}&start=0&end=600&step=1",
        q("count(up) + sum(up)")
    );
    let (a, b, c, d) = tokio::join!(
        srv.get_json(&path),
        srv.get_json(&path),
        srv.get_json(&path),
        srv.get_json(&path)
    );
    for (status, v) in [a, b, c, d] {
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(
            v["data"]["result"][0]["values"].as_array().unwrap().len(),
            601
        );
    }
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn format_exemplars_status_and_page() {
    let mut api = ApiOptions::default();
    api.flags.insert("query.timeout".into(), "2m".into());
    let srv = TestServer::start_with(api).await;

    let (status, v) = srv
        .get_json(&format!(
            "/api/v1/format_query?query={}",
            q("sum(rate(foo[5m]))by(job)")
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        v,
        json!({"status": "success", "data": "sum by (job) (rate(foo[5m]))"})
    );
    let (status, v) = srv.get_json("/api/v1/format_query?query=sum(").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["errorType"], "bad_data");

    let (status, v) = srv
        .get_json("/api/v1/query_exemplars?query=up&start=0&end=10")
        .await;
    assert_eq!(
        (status, v),
        (StatusCode::OK, json!({"status": "success", "data": []}))
    );
    let (status, body) = srv.get("/api/v1/query_exemplars?query=1").await;
    assert_eq!((status, body.len()), (StatusCode::NO_CONTENT, 0));
    let (status, _) = srv.get("/api/v1/query_exemplars?query=up(").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (_, v) = srv.get_json("/api/v1/status/flags").await;
    assert_eq!(v["data"], json!({"query.timeout": "2m"}));
    let (_, v) = srv.get_json("/api/v1/status/config").await;
    assert!(v["data"]["yaml"].as_str().unwrap().starts_with("global:\n"));
    let (_, v) = srv.get_json("/api/v1/status/runtimeinfo").await;
    assert_eq!(v["data"]["storageRetention"], "15d");
    assert!(v["data"]["startTime"].as_str().unwrap().ends_with('Z'));
    let (_, v) = srv.get_json("/api/v1/status/buildinfo").await;
    assert_eq!(v["data"]["version"], env!("CARGO_PKG_VERSION"));
    let (status, _) = srv
        .request(Method::POST, "/api/v1/status/flags", None)
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);

    for path in ["/", "/graph"] {
        let (status, body) = srv.get(path).await;
        assert_eq!(status, StatusCode::OK);
        let page = std::str::from_utf8(&body).unwrap();
        assert!(page.contains("<canvas") && page.contains("api/v1/query_range"));
    }
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_api_is_off_by_default() {
    let srv = TestServer::start().await;
    for path in [
        "/api/v1/admin/tsdb/delete_series?match[]=up",
        "/api/v1/admin/tsdb/clean_tombstones",
    ] {
        let (status, body) = srv.request(Method::POST, path, None).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            r#"{"status":"error","errorType":"unavailable","error":"admin APIs disabled"}"#
        );
        let (status, _) = srv.get(path).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{path}");
    }
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_api_deletes_series() {
    let srv = TestServer::start_with(ApiOptions {
        enable_admin: true,
        ..ApiOptions::default()
    })
    .await;
    load(&srv).await;
    let count_at = |t: i64| format!("/api/v1/query?query=count(up)&time={t}");
    let (_, v) = srv.get_json(&count_at(100)).await;
    assert_eq!(v["data"]["result"][0]["value"][1], "4");

    let (status, _) = srv.get("/api/v1/admin/tsdb/delete_series?match[]=up").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let (status, body) = srv
        .request(Method::POST, "/api/v1/admin/tsdb/delete_series", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body:?}");
    let (status, _) = srv
        .request(
            Method::POST,
            "/api/v1/admin/tsdb/delete_series?match[]=up&start=never",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Job b's samples up to 300 s go; later ones stay.
    let (status, body) = srv
        .request(
            Method::PUT,
            "/api/v1/admin/tsdb/delete_series",
            Some(&format!("match[]={}&start=0&end=300", q(r#"up{job="b"}"#))),
        )
        .await;
    assert_eq!(
        (status, body.len()),
        (StatusCode::NO_CONTENT, 0),
        "{body:?}"
    );
    let (_, v) = srv.get_json(&count_at(100)).await;
    assert_eq!(v["data"]["result"][0]["value"][1], "2");
    let (_, v) = srv.get_json(&count_at(450)).await;
    assert_eq!(v["data"]["result"][0]["value"][1], "4");

    let (status, _) = srv
        .request(Method::POST, "/api/v1/admin/tsdb/clean_tombstones", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, v) = srv.get_json(&count_at(100)).await;
    assert_eq!(v["data"]["result"][0]["value"][1], "2");
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tsdb_status_counts_the_head() {
    let srv = TestServer::start().await;
    load(&srv).await;
    let (status, v) = srv.get_json("/api/v1/status/tsdb?limit=3").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    // Five series (four `up`, one `req_total`), each one chunk, samples 0..600 s.
    assert_eq!(
        v["data"],
        json!({
            "headStats": {"numSeries": 5, "numLabelPairs": 6, "chunkCount": 5,
                          "minTime": 0, "maxTime": 600_000},
            "seriesCountByMetricName": [
                {"name": "up", "value": 4}, {"name": "req_total", "value": 1}],
            "labelValueCountByLabelName": [
                {"name": "__name__", "value": 2}, {"name": "instance", "value": 2},
                {"name": "job", "value": 2}],
            "memoryInBytesByLabelName": [
                {"name": "__name__", "value": 17}, {"name": "job", "value": 5},
                {"name": "instance", "value": 4}],
            "seriesCountByLabelValuePair": [
                {"name": "__name__=up", "value": 4}, {"name": "job=a", "value": 3},
                {"name": "instance=1", "value": 2}],
        })
    );
    let (_, v) = srv.get_json("/api/v1/status/tsdb").await;
    assert_eq!(
        v["data"]["seriesCountByLabelValuePair"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    let (status, v) = srv.get_json("/api/v1/status/tsdb?limit=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"], "limit must be a positive number");
    srv.stop().await;
}
