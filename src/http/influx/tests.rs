//! The Influx endpoints over HTTP against a server started in-process on 127.0.0.1:0; data
//! written as line protocol is read back through the PromQL API.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::SocketAddr;
use tokio::sync::oneshot;

struct Srv {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), String>>>,
    _dir: tempfile::TempDir,
}

type Reply = (StatusCode, hyper::HeaderMap, Bytes);

impl Srv {
    async fn start(max_body: usize) -> Srv {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let opts = crate::tsdb::DbOptions::new(dir.path());
        let task = tokio::spawn(crate::server::run(listener, opts, max_body, async {
            let _ = rx.await;
        }));
        let s = Srv {
            addr,
            stop: Some(tx),
            task: Some(task),
            _dir: dir,
        };
        for _ in 0..200 {
            if s.send("GET", "/-/ready", &[], Vec::new()).await.0 == StatusCode::OK {
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

    async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Reply {
        let mut b = Request::builder()
            .method(method)
            .uri(format!("http://{}{path}", self.addr));
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let client = Client::builder(TokioExecutor::new()).build_http();
        let resp = client
            .request(b.body(Full::new(Bytes::from(body))).unwrap())
            .await
            .unwrap();
        let (parts, body) = resp.into_parts();
        (
            parts.status,
            parts.headers,
            body.collect().await.unwrap().to_bytes(),
        )
    }

    async fn post(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        self.send("POST", path, headers, body.to_vec()).await
    }

    /// Instant query at `t_ms`: each series' labels and value text.
    async fn instant(&self, expr: &str, t_ms: i64) -> Vec<(BTreeMap<String, String>, String)> {
        let path = format!(
            "/api/v1/query?query={}&time={}.{:03}",
            enc(expr),
            t_ms / 1000,
            t_ms % 1000
        );
        let (status, _, body) = self.send("GET", &path, &[], Vec::new()).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let v: Value = serde_json::from_slice(&body).unwrap();
        let mut out: Vec<_> = v["data"]["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let labels = r["metric"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                    .collect();
                (labels, r["value"][1].as_str().unwrap().to_string())
            })
            .collect();
        out.sort();
        out
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn series(pairs: &[(&str, &str)], value: &str) -> (BTreeMap<String, String>, String) {
    (
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        value.to_string(),
    )
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn json(b: &Bytes) -> Value {
    serde_json::from_slice(b).unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(b)))
}

/// A recent whole second, in ms, so the head accepts it.
fn base_ms() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    now / 1000 * 1000 - 60_000
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v1_batch_with_every_type_and_escape_reads_back_exactly() {
    let srv = Srv::start(1 << 20).await;
    let t = base_ms();
    let ns = t * 1_000_000;
    let body = format!(
        "cpu,host=a,region=eu-1 usage=0.5,cores=8i,big=9007199254740993u,up=true,down=F {ns}\n\
         # a comment\n\
         \n\
         my\\ cpu,tag\\ key=v\\,1\\=2 field\\=x=1e3,note=\"a \\\"quoted\\\" \\\\ string\" {ns}\n\
         mem,host=a used=-42i {ns}\r\n"
    );
    let (status, headers, reply) = srv
        .post(
            "/write?db=db1&rp=autogen&precision=ns&u=user&p=pass",
            &[],
            body.as_bytes(),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NO_CONTENT,
        "{}",
        String::from_utf8_lossy(&reply)
    );
    assert_eq!(headers["x-influxdb-version"], super::INFLUX_VERSION);

    let got = srv.instant("{db=\"db1\"}", t).await;
    let mut want = vec![
        series(
            &[
                ("__name__", "cpu_usage"),
                ("db", "db1"),
                ("host", "a"),
                ("region", "eu-1"),
            ],
            "0.5",
        ),
        series(
            &[
                ("__name__", "cpu_cores"),
                ("db", "db1"),
                ("host", "a"),
                ("region", "eu-1"),
            ],
            "8",
        ),
        // 2^53 + 1 is not a float64: it is stored as the nearest one, 2^53.
        series(
            &[
                ("__name__", "cpu_big"),
                ("db", "db1"),
                ("host", "a"),
                ("region", "eu-1"),
            ],
            "9007199254740992",
        ),
        series(
            &[
                ("__name__", "cpu_up"),
                ("db", "db1"),
                ("host", "a"),
                ("region", "eu-1"),
            ],
            "1",
        ),
        series(
            &[
                ("__name__", "cpu_down"),
                ("db", "db1"),
                ("host", "a"),
                ("region", "eu-1"),
            ],
            "0",
        ),
        series(
            &[
                ("__name__", "my cpu_field=x"),
                ("db", "db1"),
                ("tag key", "v,1=2"),
            ],
            "1000",
        ),
        series(
            &[("__name__", "mem_used"), ("db", "db1"), ("host", "a")],
            "-42",
        ),
    ];
    want.sort();
    assert_eq!(got, want);

    let (_, _, m) = srv.send("GET", "/metrics", &[], Vec::new()).await;
    let m = String::from_utf8_lossy(&m);
    assert!(
        m.contains("strata_influx_write_requests_total{api=\"v1\"} 1\n"),
        "{m}"
    );
    assert!(m.contains("strata_influx_points_accepted_total 3\n"), "{m}");
    assert!(m.contains("strata_influx_samples_written_total 7\n"), "{m}");
    assert!(
        m.contains("strata_influx_string_fields_skipped_total 1\n"),
        "{m}"
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_gzip_batch_with_precision_reads_back() {
    let srv = Srv::start(1 << 20).await;
    let t = base_ms();
    let body = format!(
        "disk,dev=sda free=12.25,inodes=7u {s}\ndisk,dev=sdb free=3 {s}\n",
        s = t / 1000
    );
    let (status, _, reply) = srv
        .post(
            "/api/v2/write?org=o&bucket=b2/autogen&precision=s",
            &[
                ("Content-Encoding", "gzip"),
                ("Authorization", "Token secret"),
            ],
            &gzip(body.as_bytes()),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NO_CONTENT,
        "{}",
        String::from_utf8_lossy(&reply)
    );
    let got = srv.instant("{db=\"b2\"}", t).await;
    let mut want = vec![
        series(
            &[("__name__", "disk_free"), ("db", "b2"), ("dev", "sda")],
            "12.25",
        ),
        series(
            &[("__name__", "disk_inodes"), ("db", "b2"), ("dev", "sda")],
            "7",
        ),
        series(
            &[("__name__", "disk_free"), ("db", "b2"), ("dev", "sdb")],
            "3",
        ),
    ];
    want.sort();
    assert_eq!(got, want);
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_write_stores_good_lines_and_names_the_bad_ones() {
    let srv = Srv::start(1 << 20).await;
    let t = base_ms();
    let body = format!("ok v=1 {t}\nbroken\nok,x=y v= {t}\nok2 v=2 {t}\n");
    let (status, _, reply) = srv
        .post("/write?db=p&precision=ms", &[], body.as_bytes())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let err = json(&reply)["error"].as_str().unwrap().to_string();
    assert_eq!(
        err,
        format!(
            "partial write: line 2: unable to parse 'broken': missing fields\n\
             line 3: unable to parse 'ok,x=y v= {t}': missing field value dropped=2"
        )
    );
    let got = srv.instant("{db=\"p\"}", t).await;
    assert_eq!(
        got,
        vec![
            series(&[("__name__", "ok2_v"), ("db", "p")], "2"),
            series(&[("__name__", "ok_v"), ("db", "p")], "1"),
        ]
    );
    // Nothing good at all: the parse errors alone, still 400.
    let (status, _, reply) = srv.post("/write?db=p", &[], b"nope\n").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        json(&reply)["error"],
        "line 1: unable to parse 'nope': missing fields"
    );
    let (_, _, m) = srv.send("GET", "/metrics", &[], Vec::new()).await;
    let m = String::from_utf8_lossy(&m);
    assert!(
        m.contains("strata_influx_lines_rejected_total{reason=\"missing_fields\"} 2\n"),
        "{m}"
    );
    assert!(
        m.contains("strata_influx_lines_rejected_total{reason=\"missing_field_value\"} 1\n"),
        "{m}"
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_errors_in_influx_shape() {
    let srv = Srv::start(4096).await;
    let (s, h, b) = srv.post("/write", &[], b"m v=1").await;
    assert_eq!(
        (s, json(&b)),
        (
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "database is required"})
        )
    );
    assert_eq!(h["x-influxdb-error"], "database is required");
    let (s, _, b) = srv.post("/write?db=x&precision=d", &[], b"m v=1").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        json(&b)["error"],
        "invalid precision \"d\" (use n, u, ms, s, m or h)"
    );
    let (s, _, b) = srv.post("/api/v2/write?org=o", &[], b"m v=1").await;
    assert_eq!(
        (s, json(&b)),
        (
            StatusCode::BAD_REQUEST,
            serde_json::json!({"code": "invalid", "message": "bucket is required"})
        )
    );
    let (s, _, b) = srv
        .post("/api/v2/write?bucket=b&precision=m", &[], b"m v=1")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(json(&b)["code"], "invalid");
    let (s, _, b) = srv
        .post("/write?db=x", &[("Content-Encoding", "gzip")], b"not gzip")
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(json(&b)["error"].as_str().unwrap().starts_with("gzip: "));
    let (s, _, _) = srv
        .post("/write?db=x", &[("Content-Encoding", "br")], b"m v=1")
        .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Over the limit on the wire, and only after gunzip.
    let big = vec![b'#'; 5000];
    let (s, _, b) = srv.post("/write?db=x", &[], &big).await;
    assert_eq!(
        (s, json(&b)["error"].as_str()),
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            Some("Request Entity Too Large")
        )
    );
    let bomb = gzip(&vec![b'#'; 100_000]);
    assert!(bomb.len() < 4096);
    let (s, _, _) = srv
        .post("/write?db=x", &[("Content-Encoding", "gzip")], &bomb)
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    let (s, _, _) = srv.post("/write?db=x", &[], b"").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, _, m) = srv.send("GET", "/metrics", &[], Vec::new()).await;
    let m = String::from_utf8_lossy(&m);
    for (reason, n) in [
        ("missing_database", 2),
        ("bad_precision", 2),
        ("bad_encoding", 2),
        ("body_too_large", 2),
    ] {
        let line =
            format!("strata_influx_write_requests_rejected_total{{reason=\"{reason}\"}} {n}\n");
        assert!(m.contains(&line), "{line} in {m}");
    }
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_and_query_answer_like_influxdb() {
    let srv = Srv::start(1 << 20).await;
    for method in ["GET", "HEAD"] {
        let (s, h, b) = srv.send(method, "/ping", &[], Vec::new()).await;
        assert_eq!((s, b.len()), (StatusCode::NO_CONTENT, 0));
        assert_eq!(h["x-influxdb-version"], super::INFLUX_VERSION);
    }
    let (s, _, b) = srv.send("GET", "/ping?verbose=true", &[], Vec::new()).await;
    assert_eq!(
        (s, json(&b)["version"].as_str()),
        (StatusCode::OK, Some(super::INFLUX_VERSION))
    );

    let t = base_ms();
    let (s, _, _) = srv
        .post(
            "/write?db=written&precision=ms",
            &[],
            format!("m v=1 {t}").as_bytes(),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, b) = srv
        .send(
            "GET",
            &format!(
                "/query?q={}",
                enc("CREATE DATABASE \"new db\"; SHOW DATABASES")
            ),
            &[],
            Vec::new(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        json(&b),
        serde_json::json!({"results": [
            {"statement_id": 0},
            {"statement_id": 1, "series": [{"name": "databases", "columns": ["name"], "values": [["new db"], ["written"]]}]}
        ]})
    );
    // POSTed as a form, like the CLI's client does.
    let (s, _, b) = srv
        .send(
            "POST",
            "/query",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            format!("q={}", enc("SELECT * FROM m")).into_bytes(),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let r = &json(&b)["results"][0];
    assert_eq!(r["statement_id"], 0);
    assert!(r["error"].as_str().unwrap().contains("/api/v1/query"));
    let (s, _, b) = srv.send("GET", "/query", &[], Vec::new()).await;
    assert_eq!(
        (s, json(&b)["error"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("missing required parameter \"q\"")
        )
    );
    srv.stop().await;
}
