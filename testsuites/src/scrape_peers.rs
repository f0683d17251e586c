//! What the scrape suite (`e2e_scrape`) needs beyond [`crate::peers`]: two scrapers started on
//! ONE prometheus.yml (Prometheus and Strata, or a second Prometheus as a harness self-test), the
//! Pushgateway and pushes to it, a scrape target served by the harness itself that can be
//! stopped, instant queries, and Prometheus's `hashmod` relabel action computed independently
//! (through coreutils' `md5sum`) so the suite knows which targets a `keep` must leave.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::http::Http;
use crate::net::{free_port, wait_for};
use crate::peers::{self, ReceiverKind};
use crate::process::Proc;
use crate::prom::{self, Labels};
use crate::{Error, Result, env, fail};

/// Path of the Pushgateway: `PUSHGATEWAY_BIN`, else the Debian or upstream install path.
pub fn pushgateway_bin() -> Result<PathBuf> {
    env::binary(
        "PUSHGATEWAY_BIN",
        &[
            "/usr/bin/prometheus-pushgateway",
            "/usr/local/bin/pushgateway",
            "/usr/bin/pushgateway",
        ],
    )
}

/// A started HTTP server process (scraper, exporter, rule evaluator, Alertmanager) and its
/// base URL.
#[derive(Debug)]
pub struct Peer {
    /// The process (killed on drop).
    pub proc: Proc,
    /// Listening port on 127.0.0.1.
    pub port: u16,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    ready_path: &'static str,
}

impl Peer {
    pub(crate) fn spawn(
        name: &str,
        bin: &Path,
        args: Vec<String>,
        port: u16,
        dir: &Path,
        ready_path: &'static str,
    ) -> Result<Self> {
        let log = dir.join(format!("{name}.log"));
        println!(
            "starting {name} on 127.0.0.1:{port} (log {})",
            log.display()
        );
        Ok(Peer {
            proc: Proc::spawn(name, bin, &args, &log)?,
            port,
            base: format!("http://127.0.0.1:{port}"),
            ready_path,
        })
    }

    /// Polls the readiness endpoint until it answers 200; fails early if the process exits.
    pub fn wait_ready(&mut self, http: &Http, timeout: Duration) -> Result<()> {
        let url = format!("{}{}", self.base, self.ready_path);
        let proc = &mut self.proc;
        let name = proc.name().to_string();
        wait_for(
            &format!("{name} to be ready at {url}"),
            timeout,
            Duration::from_millis(100),
            || {
                proc.check_alive()?;
                Ok(matches!(http.get(&url, &[]), Ok(r) if r.status == 200).then_some(()))
            },
        )
        .map_err(|e| fail!("{e}; last log lines of {name}:\n{}", self.proc.log_tail(20)))
    }

    /// `POST /-/reload` (both servers run with `--web.enable-lifecycle`); returns the status.
    pub fn reload(&self, http: &Http) -> Result<u16> {
        Ok(http
            .post(&format!("{}/-/reload", self.base), &[], b"")?
            .status)
    }
}

/// Starts the Pushgateway on a free port.
pub fn start_pushgateway(dir: &Path) -> Result<Peer> {
    let port = free_port()?;
    let args = vec![
        format!("--web.listen-address=127.0.0.1:{port}"),
        "--log.level=info".to_string(),
    ];
    Peer::spawn(
        "pushgateway",
        &pushgateway_bin()?,
        args,
        port,
        dir,
        "/-/ready",
    )
}

/// Starts a scraper on `config` with its TSDB in `DIR/NAME-data`: the real Prometheus, or the
/// server under test (`kind`: Strata, or a second Prometheus for the harness self-test).
/// Both get `--web.enable-lifecycle` so `POST /-/reload` works.
pub fn start_scraper(
    name: &str,
    kind: Option<ReceiverKind>,
    dir: &Path,
    config: &Path,
) -> Result<Peer> {
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
        Some(ReceiverKind::Prometheus) | None => peers::prometheus_bin()?,
    };
    Peer::spawn(name, &bin, args, port, dir, "/-/ready")
}

/// Sends one exposition body to the Pushgateway: `PUT` replaces the whole group, `POST` only
/// the metric families in the body. `group` is the path after `/metrics/`, e.g.
/// `job/cron/instance/host-1`.
pub fn push(base: &str, method: &str, group: &str, body: &str) -> Result<()> {
    let url = format!("{base}/metrics/{group}");
    let agent = ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(10)))
            .build(),
    );
    let ct = "text/plain; version=0.0.4";
    let res = match method {
        "PUT" => agent.put(&url).header("Content-Type", ct).send(body),
        "POST" => agent.post(&url).header("Content-Type", ct).send(body),
        other => return Err(fail!("push: unsupported method {other}")),
    };
    let mut resp = res.map_err(|e| fail!("{method} {url}: {e}"))?;
    let status = resp.status().as_u16();
    if !(200..300).contains(&status) {
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        return Err(fail!("{method} {url}: status {status}: {text}"));
    }
    Ok(())
}

/// The group-key path element for a label value that may contain `/`: the Pushgateway's
/// `name@base64/VALUE` form with the URL-safe alphabet.
pub fn base64_key(name: &str, value: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = value.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
        for _ in chunk.len()..3 {
            out.push('=');
        }
    }
    format!("{name}@base64/{out}")
}

/// What the harness's own target saw of one scrape request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SeenRequest {
    /// The request line, e.g. `GET /metrics HTTP/1.1`.
    pub request_line: String,
    /// `User-Agent`.
    pub user_agent: String,
    /// `Accept`.
    pub accept: String,
    /// `X-Prometheus-Scrape-Timeout-Seconds`.
    pub timeout_header: String,
}

/// How the harness's target misbehaves, if at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Serves the body.
    None,
    /// Answers `500 Internal Server Error`.
    Status500,
    /// Serves the body with an unparsable line after its first two samples.
    Malformed,
    /// Waits this long before answering (longer than the scrape timeout).
    Slow(Duration),
}

/// A scrape target served by the harness: one exposition body on every path (replaceable with
/// [`StaticTarget::set_body`]), until [`StaticTarget::stop`] closes the listening socket (later
/// scrapes are refused).
#[derive(Debug)]
pub struct StaticTarget {
    /// Listening port on 127.0.0.1.
    pub port: u16,
    body: Arc<Mutex<String>>,
    fault: Arc<Mutex<Fault>>,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<SeenRequest>>>,
    thread: Option<JoinHandle<()>>,
}

impl StaticTarget {
    /// Binds a free port and serves `body` as `text/plain; version=0.0.4`.
    pub fn start(body: String) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .map_err(|e| Error::io("binding the static target", e))?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::io("static target address", e))?
            .port();
        // Non-blocking accept so the thread notices `stop` without a wake-up connection.
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::io("static target set_nonblocking", e))?;
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let body = Arc::new(Mutex::new(body));
        let fault = Arc::new(Mutex::new(Fault::None));
        let (stop2, seen2, body2) = (Arc::clone(&stop), Arc::clone(&seen), Arc::clone(&body));
        let fault2 = Arc::clone(&fault);
        let thread = std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let text = body2.lock().map(|b| b.clone()).unwrap_or_default();
                        let f = fault2.lock().map(|f| *f).unwrap_or(Fault::None);
                        let seen3 = Arc::clone(&seen2);
                        // One thread per request, so a slow answer delays no other scrape.
                        std::thread::spawn(move || {
                            if let Some(r) = serve(conn, &text, f) {
                                if let Ok(mut v) = seen3.lock() {
                                    v.push(r);
                                }
                            }
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
            // The listener drops here: connections to the port are refused from now on.
        });
        Ok(StaticTarget {
            port,
            body,
            fault,
            stop,
            seen,
            thread: Some(thread),
        })
    }

    /// Serves `body` from the next request on.
    pub fn set_body(&self, body: String) {
        if let Ok(mut b) = self.body.lock() {
            *b = body;
        }
    }

    /// Misbehaves as `fault` from the next request on.
    pub fn set_fault(&self, fault: Fault) {
        if let Ok(mut f) = self.fault.lock() {
            *f = fault;
        }
    }

    /// Closes the socket and waits for the serving thread.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// The requests served so far.
    pub fn seen(&self) -> Vec<SeenRequest> {
        self.seen.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

impl Drop for StaticTarget {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Reads one request's head and answers it with `body` as `fault` says; `None` if the client
/// misbehaved.
fn serve(conn: TcpStream, body: &str, fault: Fault) -> Option<SeenRequest> {
    conn.set_nonblocking(false).ok()?;
    conn.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(conn.try_clone().ok()?);
    let mut req = SeenRequest {
        request_line: String::new(),
        user_agent: String::new(),
        accept: String::new(),
        timeout_header: String::new(),
    };
    reader.read_line(&mut req.request_line).ok()?;
    req.request_line = req.request_line.trim_end().to_string();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            break;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            let v = v.trim().to_string();
            match k.trim().to_ascii_lowercase().as_str() {
                "user-agent" => req.user_agent = v,
                "accept" => req.accept = v,
                "x-prometheus-scrape-timeout-seconds" => req.timeout_header = v,
                _ => {}
            }
        }
    }
    let mut conn = conn;
    let mut status = "200 OK";
    let mut body = body.to_string();
    match fault {
        Fault::None => {}
        Fault::Status500 => {
            status = "500 Internal Server Error";
            body = "boom\n".to_string();
        }
        Fault::Malformed => {
            let mut lines: Vec<&str> = body.lines().collect();
            let at = lines
                .iter()
                .enumerate()
                .filter(|(_, l)| !l.starts_with('#'))
                .nth(2)
                .map_or(lines.len(), |(k, _)| k);
            lines.insert(at, "this_is_not { valid");
            body = lines.join("\n") + "\n";
        }
        Fault::Slow(d) => std::thread::sleep(d),
    }
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).ok()?;
    conn.write_all(body.as_bytes()).ok()?;
    let _ = conn.flush();
    Some(req)
}

/// Prometheus's `hashmod` of one source value: the low 64 bits (big-endian, the last 8 bytes)
/// of its MD5 modulo `modulus`. Computed with `md5sum` so the harness shares no code with
/// either server.
pub fn hashmod(value: &str, modulus: u64) -> Result<u64> {
    let mut child = Command::new("md5sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| Error::io("running md5sum", e))?;
    child
        .stdin
        .take()
        .ok_or_else(|| fail!("md5sum: no stdin"))?
        .write_all(value.as_bytes())
        .map_err(|e| Error::io("writing to md5sum", e))?;
    let out = child
        .wait_with_output()
        .map_err(|e| Error::io("reading md5sum", e))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let hex = text
        .split_whitespace()
        .next()
        .filter(|h| h.len() == 32)
        .ok_or_else(|| fail!("md5sum printed {text:?}"))?;
    let low = u64::from_str_radix(&hex[16..], 16).map_err(|_| fail!("md5sum printed {hex:?}"))?;
    Ok(low % modulus)
}

/// A sample value as the API renders it, parsed (`+Inf`, `-Inf`, `NaN` included).
pub fn parse_value(v: &str) -> Result<f64> {
    match v {
        "+Inf" | "Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        other => other
            .parse()
            .map_err(|_| fail!("value {other:?} is not a number")),
    }
}

/// `POST /api/v1/query` at `t_ms` expecting a vector: `(labels with __name__, value)` pairs.
pub fn query_vector(http: &Http, base: &str, q: &str, t_ms: i64) -> Result<Vec<(Labels, f64)>> {
    let url = format!("{base}/api/v1/query");
    let t = prom::api_time(t_ms);
    let r = http.post_form(&url, &[("query", q), ("time", &t)])?;
    if r.status != 200 {
        return Err(fail!(
            "POST {url} query={q} time={t}: status {} body {}",
            r.status,
            r.text(500)
        ));
    }
    let data = prom::envelope_data(&r.body, &format!("{url} query={q}"))?;
    if data.get("resultType").and_then(Value::as_str) != Some("vector") {
        return Err(fail!("{url} query={q}: result is not a vector: {data}"));
    }
    data.get("result")
        .and_then(Value::as_array)
        .ok_or_else(|| fail!("{url} query={q}: no result array"))?
        .iter()
        .map(|s| {
            let labels = prom::labels_of(s.get("metric").unwrap_or(&Value::Null))?;
            let (_, v) = prom::parse_point(s.get("value").unwrap_or(&Value::Null))?;
            Ok((labels, parse_value(&v)?))
        })
        .collect()
}

/// `GET /api/v1/targets`: the `data` object (`activeTargets`, `droppedTargets`).
pub fn targets(http: &Http, base: &str) -> Result<Value> {
    let url = format!("{base}/api/v1/targets");
    let r = http.get(&url, &[])?;
    if r.status != 200 {
        return Err(fail!("GET {url}: status {} body {}", r.status, r.text(300)));
    }
    prom::envelope_data(&r.body, &url)
}

/// Sleeps until the wall clock reaches `t_ms` (returns at once if it has).
pub fn sleep_until_ms(t_ms: i64) {
    let now = crate::net::now_ms();
    if t_ms > now {
        std::thread::sleep(Duration::from_millis((t_ms - now) as u64));
    }
}

/// A total time limit for a suite: every phase asks it before starting.
#[derive(Debug, Clone, Copy)]
pub struct Deadline(Instant);

impl Deadline {
    /// `limit` from now.
    pub fn after(limit: Duration) -> Self {
        Deadline(Instant::now() + limit)
    }

    /// Fails if less than `need` is left.
    pub fn check(&self, phase: &str, need: Duration) -> Result<()> {
        if Instant::now() + need > self.0 {
            return Err(fail!(
                "time limit: not enough time left for {phase} (needs {need:?})"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_group_keys_match_the_pushgateway_examples() {
        // The Pushgateway README's example: `/` becomes `L3Zhci90bXA=`.
        assert_eq!(base64_key("path", "/var/tmp"), "path@base64/L3Zhci90bXA=");
        assert_eq!(base64_key("x", "ab"), "x@base64/YWI=");
        assert_eq!(base64_key("x", "abc"), "x@base64/YWJj");
        assert_eq!(base64_key("x", ""), "x@base64/");
    }

    #[test]
    fn values_parse_like_the_api_renders_them() {
        assert_eq!(parse_value("+Inf").unwrap(), f64::INFINITY);
        assert!(parse_value("NaN").unwrap().is_nan());
        assert_eq!(parse_value("-0").unwrap().to_bits(), (-0.0f64).to_bits());
        assert!(parse_value("x").is_err());
    }
}
