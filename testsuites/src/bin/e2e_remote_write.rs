//! End-to-end remote write → remote read against real Prometheus servers.
//!
//! node_exporter is scraped (with itself) every 5 s by Prometheus A, which remote-writes (1.0) to
//! the receiver under test. A second, small node_exporter ("flap") is killed at 40 % of the run
//! and restarted at 70 %, so A also sends `up == 0`, staleness markers and series that come back (Strata; `RECEIVER=prometheus` puts a reference Prometheus there to prove
//! the harness). After `E2E_DURATION` the scrape jobs are removed by a config reload and the
//! remote write queue is drained, so A's data is final and entirely delivered. Then:
//!
//! 1. Prometheus B (empty TSDB, `remote_read` from the receiver with `read_recent`, which 2.42
//!    sends as `SAMPLES`) must answer `/api/v1/series` and a `{__name__=~".+"}[window]` query
//!    exactly as A does;
//! 2. our own remote read client must get the same raw samples (bit-exact, staleness markers
//!    included) from the receiver as from A, once as `SAMPLES` and once as `STREAMED_XOR_CHUNKS`
//!    (chunks decoded by this crate's XOR decoder, itself checked against A's chunks).
//!
//! Environment: `E2E_DURATION` (default 4m), `E2E_SCRAPE_INTERVAL` (5s), `E2E_DRAIN_TIMEOUT` (3m),
//! `RECEIVER` (strata|prometheus), `RECEIVER_ARGS`, `STRATA_BIN`, `PROMETHEUS_BIN`,
//! `NODE_EXPORTER_BIN`, `KEEP_TMP=1` (keep logs and data dirs). Exit status 0 only if all checks pass.

use std::time::{Duration, Instant};

use strata_testsuites::compare::{Bits, Report, SeriesData, compare};
use strata_testsuites::http::Http;
use strata_testsuites::net::{free_port, now_ms, wait_for};
use strata_testsuites::peers::{self, ReceiverKind, ReceiverOpts, Server};
use strata_testsuites::prom::{self, fmt_labels};
use strata_testsuites::wire::{self, Op, ReadQuery};
use strata_testsuites::{Result, env};

/// Name of A's remote_write queue (the `remote_name` label of its metrics).
const REMOTE_NAME: &str = "receiver";

#[derive(Debug)]
struct Config {
    duration: Duration,
    scrape_interval: Duration,
    drain_timeout: Duration,
    receiver: ReceiverKind,
}

impl Config {
    fn from_env() -> Result<Self> {
        Ok(Config {
            duration: env::duration("E2E_DURATION", "4m")?,
            scrape_interval: env::duration("E2E_SCRAPE_INTERVAL", "5s")?,
            drain_timeout: env::duration("E2E_DRAIN_TIMEOUT", "3m")?,
            receiver: ReceiverKind::from_env()?,
        })
    }
}

fn main() {
    strata_testsuites::run_suite("e2e_remote_write", run)
}

/// A's configuration: scrape node_exporter and itself, remote write to the receiver.
fn config_a(
    cfg: &Config,
    ne_port: u16,
    flap_port: u16,
    a_port: u16,
    receiver: &str,
    scrape: bool,
) -> String {
    let interval = env::format_duration(cfg.scrape_interval);
    // The scrape timeout must not exceed the interval; leave a margin.
    let timeout = env::format_duration(cfg.scrape_interval.mul_f64(0.8));
    let mut y = format!(
        "global:\n  scrape_interval: {interval}\n  scrape_timeout: {timeout}\n  evaluation_interval: {interval}\n"
    );
    if scrape {
        y.push_str(&format!(
            "scrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: ['127.0.0.1:{ne_port}']\n  \
             - job_name: flap\n    static_configs:\n      - targets: ['127.0.0.1:{flap_port}']\n  \
             - job_name: prometheus\n    static_configs:\n      - targets: ['127.0.0.1:{a_port}']\n"
        ));
    }
    y.push_str(&format!(
        "remote_write:\n  - url: {receiver}/api/v1/write\n    name: {REMOTE_NAME}\n    remote_timeout: 30s\n    \
         queue_config:\n      batch_send_deadline: 1s\n      min_backoff: 100ms\n      max_backoff: 5s\n"
    ));
    y
}

fn config_b(receiver: &str) -> String {
    format!(
        "global:\n  scrape_interval: 1m\nremote_read:\n  - url: {receiver}/api/v1/read\n    read_recent: true\n    remote_timeout: 1m\n"
    )
}

/// A's remote write queue state, from its own metrics.
#[derive(Debug, Default, Clone, Copy)]
struct QueueStats {
    sent: f64,
    failed: f64,
    retried: f64,
    dropped: f64,
    pending: f64,
    metadata_failed: f64,
    highest_ts: f64,
    highest_sent_ts: f64,
}

impl QueueStats {
    fn fetch(http: &Http, a: &str) -> Result<Self> {
        let m = prom::scrape(http, a)?;
        let q = [("remote_name", REMOTE_NAME)];
        let get = |name: &str, f: &[(&str, &str)]| prom::metric_sum(&m, name, f).unwrap_or(0.0);
        Ok(QueueStats {
            sent: get("prometheus_remote_storage_samples_total", &q),
            failed: get("prometheus_remote_storage_samples_failed_total", &q),
            retried: get("prometheus_remote_storage_samples_retried_total", &q),
            dropped: get("prometheus_remote_storage_samples_dropped_total", &q),
            pending: get("prometheus_remote_storage_samples_pending", &q),
            metadata_failed: get("prometheus_remote_storage_metadata_failed_total", &q),
            highest_ts: get(
                "prometheus_remote_storage_highest_timestamp_in_seconds",
                &[],
            ),
            highest_sent_ts: get(
                "prometheus_remote_storage_queue_highest_sent_timestamp_seconds",
                &q,
            ),
        })
    }

    fn line(&self) -> String {
        format!(
            "samples sent {} failed {} retried {} dropped {} pending {}; metadata failed {}; highest ts {} sent {}",
            self.sent,
            self.failed,
            self.retried,
            self.dropped,
            self.pending,
            self.metadata_failed,
            self.highest_ts,
            self.highest_sent_ts
        )
    }
}

/// One named check and its outcome.
struct Check {
    name: String,
    passed: bool,
    detail: String,
}

impl Check {
    fn from_report(name: &str, r: &Report) -> Self {
        Check {
            name: name.to_string(),
            passed: r.is_identical(),
            detail: r.render(10),
        }
    }
}

fn run() -> Result<bool> {
    let cfg = Config::from_env()?;
    println!("e2e_remote_write: {cfg:?}");
    let mut work = env::WorkDir::new("e2e")?;
    let dir = work.path().to_path_buf();
    let http = Http::new(Duration::from_secs(120));

    let mut ne = peers::start_node_exporter("node_exporter", &dir, peers::NODE_COLLECTORS)?;
    ne.wait_ready(&http, Duration::from_secs(30))?;
    let mut flap = peers::start_node_exporter(
        "node_exporter-flap",
        &dir,
        &["loadavg", "time", "uname", "entropy"],
    )?;
    flap.wait_ready(&http, Duration::from_secs(30))?;
    let mut receiver = peers::start_receiver(
        cfg.receiver,
        &dir,
        &dir.join("receiver-data"),
        &ReceiverOpts::default(),
    )?;
    let took = receiver.wait_ready(&http, Duration::from_secs(60))?;
    println!("{} ready in {took:.1?}", cfg.receiver.name());

    let a_port = free_port()?;
    let t_start = now_ms() - 60_000;
    let mut a = peers::start_prometheus(
        "prometheus-A",
        &dir,
        a_port,
        &config_a(&cfg, ne.port, flap.port, a_port, &receiver.base, true),
        &[],
    )?;
    a.wait_ready(&http, Duration::from_secs(60))?;

    // Scrape and remote-write for the configured duration, watching that everyone stays up.
    let run_start = Instant::now();
    let run_until = run_start + cfg.duration;
    let (flap_down_at, flap_up_at) = (
        run_start + cfg.duration.mul_f64(0.4),
        run_start + cfg.duration.mul_f64(0.7),
    );
    let mut flap_state = 0; // 0 up, 1 killed, 2 restarted
    let mut next_report = Instant::now();
    while Instant::now() < run_until {
        for s in [&mut ne, &mut receiver, &mut a] {
            s.proc.check_alive()?;
        }
        if flap_state == 0 && Instant::now() >= flap_down_at {
            println!("killing node_exporter-flap (its series go stale)");
            flap.proc.kill9()?;
            flap_state = 1;
        } else if flap_state == 1 && Instant::now() >= flap_up_at {
            println!("restarting node_exporter-flap");
            flap.proc.restart()?;
            flap.wait_ready(&http, Duration::from_secs(30))?;
            flap_state = 2;
        }
        if Instant::now() >= next_report {
            let left = run_until.saturating_duration_since(Instant::now());
            match QueueStats::fetch(&http, &a.base) {
                Ok(q) => println!(
                    "[{left:.0?} left] A → {}: {}",
                    cfg.receiver.name(),
                    q.line()
                ),
                Err(e) => println!("[{left:.0?} left] A metrics unavailable: {e}"),
            }
            next_report = Instant::now() + Duration::from_secs(30);
        }
        std::thread::sleep(
            Duration::from_millis(500).min(run_until.saturating_duration_since(Instant::now())),
        );
    }

    // Freeze A: drop the scrape jobs by reload (remote write stays), then drain the queue.
    let before_reload = now_ms() as f64 / 1000.0;
    std::fs::write(
        dir.join("prometheus-A.yml"),
        config_a(&cfg, ne.port, flap.port, a_port, &receiver.base, false),
    )
    .map_err(|e| strata_testsuites::Error::io("rewriting A's config", e))?;
    a.proc.hup()?;
    wait_for(
        "A to reload without scrape jobs",
        Duration::from_secs(30),
        Duration::from_millis(200),
        || {
            let m = prom::scrape(&http, &a.base)?;
            let ok =
                prom::metric_sum(&m, "prometheus_config_last_reload_successful", &[]) == Some(1.0);
            let at = prom::metric_sum(
                &m,
                "prometheus_config_last_reload_success_timestamp_seconds",
                &[],
            )
            .unwrap_or(0.0);
            Ok((ok && at >= before_reload.floor()).then_some(()))
        },
    )?;
    println!("A reloaded without scrape jobs; draining its remote write queue");
    let stats = drain(&http, &a, &cfg)?;
    println!("A drained: {}", stats.line());
    let t_end = now_ms();

    let mut checks = Vec::new();
    if stats.failed > 0.0 || stats.dropped > 0.0 || stats.metadata_failed > 0.0 {
        checks.push(Check {
            name: "remote write accepted everything".into(),
            passed: false,
            detail: format!(
                "A's queue reports rejected data: {}\nreceiver log tail:\n{}",
                stats.line(),
                receiver.proc.log_tail(20)
            ),
        });
    }

    // Prometheus B reads everything back from the receiver through remote read.
    let b_port = free_port()?;
    let mut b =
        peers::start_prometheus("prometheus-B", &dir, b_port, &config_b(&receiver.base), &[])?;
    b.wait_ready(&http, Duration::from_secs(60))?;

    checks.extend(compare_through_promql(&http, &a, &b, t_start, t_end)?);
    checks.extend(compare_raw(
        &http,
        &a,
        &receiver,
        cfg.receiver,
        t_start,
        t_end,
    )?);

    for s in [&mut ne, &mut flap, &mut receiver, &mut a, &mut b] {
        if let Err(e) = s.proc.check_alive() {
            checks.push(Check {
                name: format!("{} stayed up", s.proc.name()),
                passed: false,
                detail: e.to_string(),
            });
        }
    }

    let failed = checks.iter().filter(|c| !c.passed).count();
    println!();
    for c in &checks {
        println!(
            "[{}] {}\n    {}",
            if c.passed { "PASS" } else { "FAIL" },
            c.name,
            c.detail.replace('\n', "\n    ")
        );
    }
    println!(
        "e2e_remote_write: {} checks, {} failed",
        checks.len(),
        failed
    );
    if failed == 0 {
        work.succeeded();
    }
    Ok(failed == 0)
}

/// Waits until A has nothing pending and has sent its newest sample, and no new sample has been
/// appended for three scrape intervals (end-of-run staleness markers included).
fn drain(http: &Http, a: &Server, cfg: &Config) -> Result<QueueStats> {
    let quiet_for = cfg.scrape_interval * 3;
    let mut last_highest = -1.0;
    let mut last_change = Instant::now();
    wait_for(
        "A's remote write queue to drain",
        cfg.drain_timeout,
        Duration::from_millis(500),
        || {
            let q = QueueStats::fetch(http, &a.base)?;
            if q.highest_ts != last_highest {
                last_highest = q.highest_ts;
                last_change = Instant::now();
            }
            // Rejected batches are dropped, so the sent timestamp may never catch up; the
            // failure itself is reported as a check.
            let caught_up =
                q.pending == 0.0 && (q.highest_sent_ts >= q.highest_ts || q.failed > 0.0);
            Ok((caught_up && last_change.elapsed() >= quiet_for).then_some(q))
        },
    )
}

/// Series list and raw range query, A against B (B reading the receiver with SAMPLES).
fn compare_through_promql(
    http: &Http,
    a: &Server,
    b: &Server,
    t_start: i64,
    t_end: i64,
) -> Result<Vec<Check>> {
    let mut checks = Vec::new();
    let all = "{__name__=~\".+\"}";
    let as_set = |v: Vec<prom::Labels>| -> SeriesData<String> {
        v.iter().map(|l| (fmt_labels(l), Vec::new())).collect()
    };
    let sa = as_set(prom::series(http, &a.base, all, t_start, t_end)?);
    let sb = as_set(prom::series(http, &b.base, all, t_start, t_end)?);
    let r = compare("A", &sa, "B", &sb);
    println!("series: {}", r.summary());
    checks.push(non_trivial(
        Check::from_report("/api/v1/series A vs B (B via remote read SAMPLES)", &r),
        sa.len(),
        50,
    ));

    let window_s = (t_end - t_start) / 1000 + 1;
    let q = format!("{all}[{window_s}s]");
    let to_data = |m: Vec<prom::MatrixSeries>| -> SeriesData<String> {
        m.into_iter().map(|(l, p)| (fmt_labels(&l), p)).collect()
    };
    let ma = to_data(prom::query_matrix(http, &a.base, &q, t_end)?);
    let mb = to_data(prom::query_matrix(http, &b.base, &q, t_end)?);
    let r = compare("A", &ma, "B", &mb);
    println!("query {q}: {}", r.summary());
    let samples = r.samples_left;
    checks.push(non_trivial(
        Check::from_report(&format!("/api/v1/query {q} A vs B"), &r),
        samples,
        1000,
    ));
    Ok(checks)
}

/// Raw remote read from A and from the receiver with our own client, SAMPLES and streamed.
fn compare_raw(
    http: &Http,
    a: &Server,
    recv: &Server,
    kind: ReceiverKind,
    t_start: i64,
    t_end: i64,
) -> Result<Vec<Check>> {
    let mut checks = Vec::new();
    let q = ReadQuery {
        start_ms: t_start,
        end_ms: t_end,
        matchers: vec![wire::matcher(Op::Re, "__name__", ".+")],
    };
    let a_url = format!("{}/api/v1/read", a.base);
    let r_url = format!("{}/api/v1/read", recv.base);
    let name = kind.name();

    let a_samples: SeriesData<Bits> = wire::read_samples(http, &a_url, &q)?;
    let stale = a_samples
        .values()
        .flatten()
        .filter(|(_, v)| v.0 == strata_testsuites::compare::STALE_NAN)
        .count();
    println!(
        "A raw: {} series, {} samples ({stale} staleness markers)",
        a_samples.len(),
        a_samples.values().map(Vec::len).sum::<usize>()
    );

    // Harness self-check: our XOR decoder must reproduce A's own samples from A's chunks.
    let a_streamed = wire::read_streamed(http, &a_url, &q)?;
    let r = compare("A-samples", &a_samples, "A-streamed", &a_streamed.series);
    let mut c = Check::from_report(
        "harness self-check: A STREAMED_XOR_CHUNKS (our decoder) vs A SAMPLES",
        &r,
    );
    if !a_streamed.problems.is_empty() {
        c.passed = false;
        c.detail.push_str(&format!(
            "\n  stream problems: {:?}",
            &a_streamed.problems[..a_streamed.problems.len().min(10)]
        ));
    }
    checks.push(c);

    let r_samples = wire::read_samples(http, &r_url, &q)?;
    let r = compare("A", &a_samples, name, &r_samples);
    println!("remote read SAMPLES: {}", r.summary());
    checks.push(non_trivial(
        Check::from_report(&format!("remote read SAMPLES: A vs {name} (bit-exact)"), &r),
        r.samples_left,
        1000,
    ));

    let r_streamed = wire::read_streamed(http, &r_url, &q)?;
    let r = compare("A", &a_samples, name, &r_streamed.series);
    println!(
        "remote read STREAMED_XOR_CHUNKS: {} ({} frames, {} chunks)",
        r.summary(),
        r_streamed.frames,
        r_streamed.chunks
    );
    let mut c = Check::from_report(
        &format!("remote read STREAMED_XOR_CHUNKS: A vs {name} (bit-exact)"),
        &r,
    );
    if !r_streamed.problems.is_empty() {
        c.passed = false;
        c.detail.push_str(&format!(
            "\n  stream problems ({}): {:?}",
            r_streamed.problems.len(),
            &r_streamed.problems[..r_streamed.problems.len().min(10)]
        ));
    }
    checks.push(c);
    Ok(checks)
}

/// Fails a passing check whose data set is too small to mean anything (empty == empty).
fn non_trivial(mut c: Check, count: usize, min: usize) -> Check {
    if count < min {
        c.passed = false;
        c.detail.push_str(&format!(
            "\n  only {count} items compared (< {min}): the run collected too little data"
        ));
    }
    c
}
