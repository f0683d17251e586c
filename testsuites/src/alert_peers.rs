//! What the alerting suite (`e2e_alerting`) needs beyond [`crate::peers`] and
//! [`crate::scrape_peers`]: the real Alertmanager, rule evaluators (Prometheus, or Strata in its
//! place) started with extra flags, a webhook receiver served by the harness that records every
//! notification, the Prometheus rules/alerts API, and RFC 3339 timestamps.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;

use crate::http::Http;
use crate::net::{free_port, now_ms};
use crate::peers::{self, ReceiverKind};
use crate::{Error, Result, env, fail, prom};

/// Largest webhook body the receiver accepts (a notification of a few alerts is a few KiB).
const MAX_WEBHOOK_BODY: usize = 4 << 20;

/// Path of Alertmanager: `ALERTMANAGER_BIN`, else the Debian or upstream install path.
pub fn alertmanager_bin() -> Result<PathBuf> {
    env::binary(
        "ALERTMANAGER_BIN",
        &[
            "/usr/bin/prometheus-alertmanager",
            "/usr/local/bin/alertmanager",
            "/usr/bin/alertmanager",
        ],
    )
}

/// A started evaluator or Alertmanager: the scrape suite's peer process, ready at `/-/ready`.
pub use crate::scrape_peers::Peer as Service;

/// Alertmanager named `name` (clustering off, data in `DIR/NAME-data`) routing every alert, one
/// notification group per label set, to the webhook at `webhook_url` with resolved notices.
pub fn start_alertmanager(name: &str, dir: &Path, webhook_url: &str) -> Result<Service> {
    let port = free_port()?;
    let config = dir.join(format!("{name}.yml"));
    let text = format!(
        "route:\n  receiver: hook\n  group_by: ['...']\n  group_wait: 1s\n  group_interval: 1s\n  \
         repeat_interval: 1h\nreceivers:\n  - name: hook\n    webhook_configs:\n      \
         - url: '{webhook_url}'\n        send_resolved: true\n"
    );
    std::fs::write(&config, text).map_err(|e| Error::io(format!("writing {name}.yml"), e))?;
    let args = vec![
        format!("--config.file={}", config.display()),
        format!(
            "--storage.path={}",
            dir.join(format!("{name}-data")).display()
        ),
        format!("--web.listen-address=127.0.0.1:{port}"),
        "--cluster.listen-address=".to_string(),
        "--log.level=info".to_string(),
    ];
    Service::spawn(name, &alertmanager_bin()?, args, port, dir, "/-/ready")
}

/// A rule evaluator on `config` with its TSDB in `DIR/NAME-data` and `extra` flags: the real
/// Prometheus (`kind` `None`), or the server under test (Strata, or a second Prometheus for the
/// harness self-test). Strata also gets `RECEIVER_ARGS` and no Graphite listener.
pub fn start_evaluator(
    name: &str,
    kind: Option<ReceiverKind>,
    dir: &Path,
    config: &Path,
    extra: &[String],
) -> Result<Service> {
    let port = free_port()?;
    let mut args = vec![
        format!("--config.file={}", config.display()),
        format!(
            "--storage.tsdb.path={}",
            dir.join(format!("{name}-data")).display()
        ),
        format!("--web.listen-address=127.0.0.1:{port}"),
        "--web.enable-lifecycle".to_string(),
        "--log.level=info".to_string(),
    ];
    args.extend(extra.iter().cloned());
    let bin = match kind {
        Some(ReceiverKind::Strata) => {
            args.push("--graphite.listen-address=".to_string());
            args.extend(
                env::string("RECEIVER_ARGS", "")
                    .split_whitespace()
                    .map(String::from),
            );
            peers::strata_bin()?
        }
        Some(ReceiverKind::Prometheus) | None => {
            // The suite feeds both evaluators by remote write (Strata's receiver is always on).
            args.push("--web.enable-remote-write-receiver".to_string());
            peers::prometheus_bin()?
        }
    };
    Service::spawn(name, &bin, args, port, dir, "/-/ready")
}

/// One webhook notification as received: when, and the JSON body.
#[derive(Debug, Clone)]
pub struct Notification {
    /// Arrival time, ms since the epoch.
    pub received_ms: i64,
    /// The Alertmanager webhook payload (`status`, `alerts`, `groupLabels`, ...).
    pub body: Value,
}

/// An HTTP server that answers every `POST` with 200 and records its JSON body: the
/// Alertmanager webhook receiver.
#[derive(Debug)]
pub struct Webhook {
    /// Listening port on 127.0.0.1.
    pub port: u16,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<Notification>>>,
    errors: Arc<Mutex<Vec<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl Webhook {
    /// Binds a free port and starts serving.
    pub fn start() -> Result<Self> {
        let listener =
            TcpListener::bind("127.0.0.1:0").map_err(|e| Error::io("binding the webhook", e))?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::io("webhook address", e))?
            .port();
        // Non-blocking accept so the thread notices `stop` without a wake-up connection.
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::io("webhook set_nonblocking", e))?;
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let errors = Arc::new(Mutex::new(Vec::new()));
        let (stop2, seen2, errors2) = (Arc::clone(&stop), Arc::clone(&seen), Arc::clone(&errors));
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let (seen3, errors3) = (Arc::clone(&seen2), Arc::clone(&errors2));
                        std::thread::spawn(move || match receive(conn) {
                            Ok(Some(n)) => {
                                if let Ok(mut v) = seen3.lock() {
                                    v.push(n);
                                }
                            }
                            Ok(None) => {}
                            Err(e) => {
                                if let Ok(mut v) = errors3.lock() {
                                    v.push(e.to_string());
                                }
                            }
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Ok(Webhook {
            port,
            stop,
            seen,
            errors,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT/hook`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    /// Every notification received so far, in arrival order.
    pub fn notifications(&self) -> Vec<Notification> {
        self.seen.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// Requests that could not be read or were not JSON.
    pub fn errors(&self) -> Vec<String> {
        self.errors.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

impl Drop for Webhook {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads one request (head, then `Content-Length` bytes), answers 200, and parses the body.
/// `None` for a request without a body (a probe).
fn receive(conn: TcpStream) -> Result<Option<Notification>> {
    conn.set_nonblocking(false)
        .map_err(|e| Error::io("webhook conn", e))?;
    conn.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| Error::io("webhook conn", e))?;
    let mut reader = BufReader::new(conn.try_clone().map_err(|e| Error::io("webhook conn", e))?);
    let mut request_line = String::new();
    reader
        .read_line(&mut request_line)
        .map_err(|e| Error::io("webhook request line", e))?;
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader
            .read_line(&mut line)
            .map_err(|e| Error::io("webhook header", e))?
            == 0
        {
            break;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.trim().eq_ignore_ascii_case("content-length") {
                length = v
                    .trim()
                    .parse()
                    .map_err(|_| fail!("webhook: bad Content-Length {v:?}"))?;
            }
        }
    }
    if length > MAX_WEBHOOK_BODY {
        return Err(fail!("webhook: body of {length} bytes is too large"));
    }
    let mut body = vec![0u8; length];
    reader
        .read_exact(&mut body)
        .map_err(|e| Error::io("webhook body", e))?;
    let received_ms = now_ms();
    let mut conn = conn;
    conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        .map_err(|e| Error::io("webhook answer", e))?;
    let _ = conn.flush();
    if length == 0 {
        return Ok(None);
    }
    let body: Value = serde_json::from_slice(&body).map_err(|e| {
        fail!(
            "webhook ({}): body is not JSON: {e}",
            request_line.trim_end()
        )
    })?;
    Ok(Some(Notification { received_ms, body }))
}

/// `GET base + path` expecting a success envelope; returns `data`.
pub fn api_data(http: &Http, base: &str, path: &str) -> Result<Value> {
    let url = format!("{base}{path}");
    let r = http.get(&url, &[])?;
    if r.status != 200 {
        return Err(fail!("GET {url}: status {} body {}", r.status, r.text(300)));
    }
    prom::envelope_data(&r.body, &url)
}

/// Milliseconds since the epoch of an RFC 3339 time as Prometheus and Alertmanager render them
/// (`2026-11-22T08:01:02.123456789Z`, or with a `+hh:mm` offset). Sub-millisecond digits are
/// truncated.
pub fn rfc3339_ms(s: &str) -> Result<i64> {
    let bad = || fail!("bad RFC 3339 time {s:?}");
    let (date, rest) = s.split_once(['T', 't']).ok_or_else(bad)?;
    let mut d = date.splitn(3, '-');
    let year: i64 = d.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
    let month: i64 = d.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
    let day: i64 = d.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
    // Split the clock from the zone: `Z`, or the last `+`/`-`.
    let (clock, offset_min) = if let Some(c) = rest.strip_suffix(['Z', 'z']) {
        (c, 0)
    } else {
        let at = rest.rfind(['+', '-']).ok_or_else(bad)?;
        let (c, z) = rest.split_at(at);
        let sign = if z.starts_with('-') { -1 } else { 1 };
        let (h, m) = z[1..].split_once(':').ok_or_else(bad)?;
        let h: i64 = h.parse().map_err(|_| bad())?;
        let m: i64 = m.parse().map_err(|_| bad())?;
        (c, sign * (h * 60 + m))
    };
    let (hms, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let mut t = hms.splitn(3, ':');
    let hh: i64 = t.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
    let mm: i64 = t.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
    let ss: i64 = t.next().and_then(|x| x.parse().ok()).ok_or_else(bad)?;
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let ms: i64 = format!("{frac:0<3}")[..3].parse().map_err(|_| bad())?;
    let days = days_from_civil(year, month, day);
    Ok(((days * 86_400 + hh * 3600 + mm * 60 + ss - offset_min * 60) * 1000) + ms)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times_parse_to_milliseconds() {
        assert_eq!(rfc3339_ms("1970-01-01T00:00:00Z").unwrap(), 0);
        assert_eq!(
            rfc3339_ms("2023-11-14T22:13:20.123456789Z").unwrap(),
            1_700_000_000_123
        );
        assert_eq!(
            rfc3339_ms("2023-11-14T23:13:20.1+01:00").unwrap(),
            1_700_000_000_100
        );
        assert_eq!(
            rfc3339_ms("0001-01-01T00:00:00Z").unwrap(),
            -62_135_596_800_000
        );
        assert!(rfc3339_ms("2023-11-14 22:13:20Z").is_err());
        assert!(rfc3339_ms("2023-11-14T22:13:20.x1Z").is_err());
    }
}
