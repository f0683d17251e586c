//! The writer against a recording appender, and the listeners end to end: a server started
//! in-process on loopback ports, fed over TCP and UDP, read back through `/api/v1/query`.

use super::writer::{AppenderFactory, Batch, Writer};
use super::*;
use crate::appender::{Appender, CommitError, CommitStats, Metadata, SampleError};
use promql::Labels;
use std::io::{Read, Write};
use std::sync::Mutex;
use std::sync::atomic::Ordering;

/// A stored sample: sorted label pairs, timestamp, value.
type Sample = (Vec<(String, String)>, i64, f64);
type Stored = Arc<Mutex<Vec<Sample>>>;

/// Keeps committed samples in `stored`; refuses a sample whose value is 13 as out of order.
struct Recorder {
    staged: Vec<Sample>,
    stored: Stored,
}

impl Appender for Recorder {
    fn append(&mut self, labels: &Labels, t: i64, v: f64) -> Result<(), SampleError> {
        let pairs: Vec<(&str, &str)> = labels
            .iter()
            .map(|l| (l.name.as_str(), l.value.as_str()))
            .collect();
        self.append_pairs(&pairs, t, v)
    }

    fn append_pairs(&mut self, pairs: &[(&str, &str)], t: i64, v: f64) -> Result<(), SampleError> {
        assert!(
            pairs.windows(2).all(|w| w[0].0 < w[1].0),
            "pairs must be sorted and unique: {pairs:?}"
        );
        if v == 13.0 {
            return Err(SampleError::OutOfOrder);
        }
        let owned = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.staged.push((owned, t, v));
        Ok(())
    }

    fn append_metadata(&mut self, _: &str, _: Metadata) {}

    fn commit(self: Box<Self>) -> Result<CommitStats, CommitError> {
        let n = self.staged.len() as u64;
        self.stored.lock().unwrap().extend(self.staged);
        Ok(CommitStats {
            samples: n,
            series_created: 0,
        })
    }

    fn rollback(self: Box<Self>) {}
}

fn factory(stored: &Stored) -> AppenderFactory {
    let stored = stored.clone();
    Box::new(move || {
        Box::new(Recorder {
            staged: Vec::new(),
            stored: stored.clone(),
        })
    })
}

fn batch(text: &str) -> Batch {
    Batch {
        lines: text.as_bytes().to_vec(),
        received_ms: 5_000,
        too_long: 0,
        peer: "127.0.0.1:1".parse().unwrap(),
    }
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn writer_names_tags_templates_and_rejections() {
    let stored: Stored = Arc::default();
    let metrics = GraphiteMetrics::default();
    let mapping = Mapping::parse("servers.*.cpu.* -> cpu_$2 host=$1 Zone=eu").unwrap();
    let (tx, rx) = mpsc::channel(8);
    tx.try_send(batch(
        "a.b.c 1.5 10\n\
         disk;host=h1;Dc=x;host=h2 2 11\n\
         servers.web1.cpu.idle 3 -1\n\
         servers.web1.cpu.idle;Zone=us 4 N\n\
         bad line here please\n\
         a.b nan 12\n\
         a.b 13 12\n\
         \n",
    ))
    .unwrap();
    let mut b = batch("x 1 1\n");
    b.too_long = 2;
    tx.try_send(b).unwrap();
    drop(tx);
    Writer::new(&mapping, &metrics).run(rx, &factory(&stored), 1000);

    let got = stored.lock().unwrap().clone();
    assert_eq!(
        got,
        vec![
            (pairs(&[("__name__", "a.b.c")]), 10_000, 1.5),
            (
                pairs(&[("Dc", "x"), ("__name__", "disk"), ("host", "h2")]),
                11_000,
                2.0
            ),
            (
                pairs(&[("Zone", "eu"), ("__name__", "cpu_idle"), ("host", "web1")]),
                5_000,
                3.0
            ),
            (
                pairs(&[("Zone", "us"), ("__name__", "cpu_idle"), ("host", "web1")]),
                5_000,
                4.0
            ),
            (pairs(&[("__name__", "x")]), 1_000, 1.0),
        ]
    );
    assert_eq!(metrics.samples_received.load(Ordering::Relaxed), 5);
    assert_eq!(metrics.rejected("too_many_fields"), 1);
    assert_eq!(metrics.rejected("nan_value"), 1);
    assert_eq!(metrics.rejected("out_of_order"), 1);
    assert_eq!(metrics.rejected("too_long"), 2);
}

#[test]
fn writer_commits_everything_sent_before_the_senders_close() {
    let stored: Stored = Arc::default();
    let metrics = GraphiteMetrics::default();
    let mapping = Mapping::default();
    let (tx, rx) = mpsc::channel(4);
    let sender = std::thread::spawn(move || {
        for i in 0..500 {
            let text: String = (0..10)
                .map(|j| format!("s.{j} {i}.5 {}\n", i + 1))
                .collect();
            tx.blocking_send(batch(&text)).unwrap();
        }
    });
    // A small commit size forces many commits while batches keep arriving.
    Writer::new(&mapping, &metrics).run(rx, &factory(&stored), 7);
    sender.join().unwrap();
    assert_eq!(stored.lock().unwrap().len(), 5000);
    assert_eq!(metrics.samples_received.load(Ordering::Relaxed), 5000);
}

#[test]
fn listen_address_forms() {
    assert_eq!(parse_listen_address("").unwrap(), None);
    assert_eq!(
        parse_listen_address(":2003").unwrap(),
        Some("0.0.0.0:2003".parse().unwrap())
    );
    assert_eq!(
        parse_listen_address("127.0.0.1:12003").unwrap(),
        Some("127.0.0.1:12003".parse().unwrap())
    );
    assert!(parse_listen_address("nonsense").is_err());
}

/// Blocking HTTP GET with `Connection: close`; returns the body.
fn http_get(addr: SocketAddr, path_and_query: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path_and_query} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let (head, body) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
    assert!(head.starts_with("HTTP/1.1 200"), "{head}\n{body}");
    body.to_string()
}

fn encode(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `(labels, value)` of an instant query's vector result.
fn query(addr: SocketAddr, q: &str) -> Vec<(serde_json::Value, f64)> {
    let body = http_get(addr, &format!("/api/v1/query?query={}", encode(q)));
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    v["data"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let val = r["value"][1].as_str().unwrap().parse::<f64>().unwrap();
            (r["metric"].clone(), val)
        })
        .collect()
}

fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn tcp_and_udp_lines_are_queryable() {
    let dir = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let mapping = Mapping::parse("servers.*.load -> load host=$1").unwrap();
    let opts = GraphiteOptions {
        mapping: Arc::new(mapping),
        max_line_bytes: 200,
        ..GraphiteOptions::default()
    };
    let (http_addr, tcp_addr, udp_addr, server) = rt.block_on(async {
        let http = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let g = GraphiteListener::bind("127.0.0.1:0".parse().unwrap(), opts)
            .await
            .unwrap();
        let addrs = (
            http.local_addr().unwrap(),
            g.tcp_addr().unwrap(),
            g.udp_addr().unwrap(),
        );
        let server = tokio::spawn(crate::server::run_with_graphite(
            http,
            crate::tsdb::DbOptions::new(dir.path()),
            1 << 20,
            crate::http::ApiOptions::default(),
            Some(g),
            async {
                let _ = stop_rx.await;
            },
        ));
        (addrs.0, addrs.1, addrs.2, server)
    });
    wait_for("readiness", || {
        std::net::TcpStream::connect(http_addr)
            .ok()
            .and_then(|mut s| {
                write!(
                    s,
                    "GET /-/ready HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                )
                .ok()?;
                let mut r = String::new();
                s.read_to_string(&mut r).ok()?;
                r.starts_with("HTTP/1.1 200").then_some(())
            })
    });

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // Several connections at once, one line split across writes, one oversized line.
    let mut conns: Vec<std::net::TcpStream> = (0..4)
        .map(|_| std::net::TcpStream::connect(tcp_addr).unwrap())
        .collect();
    for (i, c) in conns.iter_mut().enumerate() {
        writeln!(c, "tcp.conn{i}.value {} {now}", i * 10).unwrap();
    }
    conns[0].write_all(b"servers.web1.lo").unwrap();
    conns[0].flush().unwrap();
    std::thread::sleep(Duration::from_millis(50));
    write!(conns[0], "ad 0.75 {now}\n{} 1 {now}\n", "x".repeat(300)).unwrap();
    write!(conns[1], "tagged.metric;dc=eu;host=a 42 -1\nbroken line\n").unwrap();
    // The last line has no newline: it counts when the connection closes.
    write!(conns[2], "no.newline 7 {now}").unwrap();
    drop(conns);
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.send_to(
        format!("udp.a 1.25 {now}\nudp.b inf {now}").as_bytes(),
        udp_addr,
    )
    .unwrap();

    let got = wait_for("all samples", || {
        let r = query(
            http_addr,
            r#"{__name__=~"tcp.*|udp.*|load|tagged.metric|no.newline"}"#,
        );
        (r.len() == 9).then_some(r)
    });
    let value_of = |name: &str| {
        got.iter()
            .find(|(m, _)| m["__name__"] == name)
            .map(|(_, v)| *v)
    };
    for i in 0..4 {
        assert_eq!(
            value_of(&format!("tcp.conn{i}.value")),
            Some(i as f64 * 10.0)
        );
    }
    assert_eq!(value_of("udp.a"), Some(1.25));
    assert_eq!(value_of("udp.b"), Some(f64::INFINITY));
    assert_eq!(value_of("no.newline"), Some(7.0));
    let load = got.iter().find(|(m, _)| m["__name__"] == "load").unwrap();
    assert_eq!(load.0["host"], "web1");
    assert_eq!(load.1, 0.75);
    let tagged = got
        .iter()
        .find(|(m, _)| m["__name__"] == "tagged.metric")
        .unwrap();
    assert_eq!(tagged.0["dc"], "eu");
    assert_eq!(tagged.0["host"], "a");
    assert_eq!(tagged.1, 42.0);
    // The dotted name selects as PromQL's quoted metric name too.
    assert_eq!(query(http_addr, r#"{"udp.a"}"#).len(), 1);

    let metrics = http_get(http_addr, "/metrics");
    assert!(
        metrics.contains("\nstrata_graphite_samples_received_total 9\n"),
        "{metrics}"
    );
    assert!(metrics.contains("strata_graphite_lines_rejected_total{reason=\"too_long\"} 1\n"));
    assert!(
        metrics.contains("strata_graphite_lines_rejected_total{reason=\"too_many_fields\"} 0\n")
    );
    assert!(metrics.contains("strata_graphite_lines_rejected_total{reason=\"missing_value\"} 0\n"));
    assert!(metrics.contains("strata_graphite_lines_rejected_total{reason=\"invalid_value\"} 1\n"));

    let _ = stop_tx.send(());
    rt.block_on(server).unwrap().unwrap();
}
