//! `strata-loadgen ingest`: one server, one protocol, one pre-encoded text workload; measures
//! wall time and the server's CPU seconds from before the first byte until the server says every
//! sample is stored, then until it is idle again.
//!
//! When is a sample stored? Over HTTP (Influx line protocol, Strata and InfluxDB alike) when the
//! `/write` answered 2xx: both have the batch in their write-ahead log and in memory then. Over
//! Graphite plaintext nothing is acknowledged, so after sending the run waits (bounded) for the
//! server's own signal: Strata's `strata_graphite_samples_received_total` plus its rejected lines
//! reaching the number sent (counted after each commit), carbon-cache's log (`LOG_UPDATES =
//! True`, in the foreground on stdout) adding up to that many datapoints written to whisper files. Afterwards, untimed,
//! the stored samples are counted independently where that is cheap: whisper files read back,
//! InfluxDB's `/debug/vars` point counters, Strata's counters.

use crate::http::{self, Url};
use crate::proc;
use crate::report::Report;
use crate::textload::{self, Proto};
use crate::textsend;
use crate::{now_ms, parse_duration_ms};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const USAGE: &str = "  strata-loadgen ingest --proto influx|graphite --server strata|influxdb|carbon --target URL|HOST:PORT
      --pid PID [--metrics-url URL] [--carbon-log FILE] [--whisper-dir DIR] [--series 10000]
      [--duration 1h] [--connections 4] [--batch 5000] [--seed 1] [--end-ms MS]
      [--complete-timeout 600s] [--settle-timeout 60s] [--label NAME] [--out FILE]";

/// Which server is measured: decides how completion and stored samples are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    Strata,
    InfluxDb,
    Carbon,
}

#[derive(Debug)]
struct Args {
    proto: Proto,
    server: Server,
    target: String,
    pid: u32,
    metrics_url: Option<String>,
    carbon_log: Option<PathBuf>,
    whisper_dir: Option<PathBuf>,
    series: usize,
    duration_ms: i64,
    connections: usize,
    batch: usize,
    seed: u64,
    end_ms: Option<i64>,
    complete_timeout: Duration,
    settle_timeout: Duration,
    label: String,
    out: Option<PathBuf>,
}

fn parse_args(argv: &[String]) -> Result<Args, String> {
    let mut a = Args {
        proto: Proto::Influx,
        server: Server::Strata,
        target: String::new(),
        pid: 0,
        metrics_url: None,
        carbon_log: None,
        whisper_dir: None,
        series: 10_000,
        duration_ms: 3_600_000,
        connections: 4,
        batch: 5000,
        seed: 1,
        end_ms: None,
        complete_timeout: Duration::from_secs(600),
        settle_timeout: Duration::from_secs(60),
        label: String::new(),
        out: None,
    };
    let mut i = 0;
    while i < argv.len() {
        let (key, value) = crate::args::take_flag(argv, &mut i)?;
        let num = |v: &str| crate::args::number(&key, v);
        let dur = |v: &str| parse_duration_ms(v).map(|ms| Duration::from_millis(ms.max(0) as u64));
        match key.as_str() {
            "--proto" => a.proto = Proto::parse(&value)?,
            "--server" => {
                a.server = match value.as_str() {
                    "strata" => Server::Strata,
                    "influxdb" => Server::InfluxDb,
                    "carbon" => Server::Carbon,
                    _ => return Err(format!("--server: unknown server {value:?}")),
                }
            }
            "--target" => a.target = value,
            "--pid" => a.pid = num(&value)? as u32,
            "--metrics-url" => a.metrics_url = Some(value),
            "--carbon-log" => a.carbon_log = Some(value.into()),
            "--whisper-dir" => a.whisper_dir = Some(value.into()),
            "--series" => a.series = num(&value)? as usize,
            "--duration" => a.duration_ms = parse_duration_ms(&value)?,
            "--connections" => a.connections = (num(&value)? as usize).max(1),
            "--batch" => a.batch = (num(&value)? as usize).max(1),
            "--seed" => a.seed = num(&value)?,
            "--end-ms" => a.end_ms = Some(num(&value)? as i64),
            "--complete-timeout" => a.complete_timeout = dur(&value)?,
            "--settle-timeout" => a.settle_timeout = dur(&value)?,
            "--label" => a.label = value,
            "--out" => a.out = Some(value.into()),
            _ => return Err(format!("unknown flag {key}\n{USAGE}")),
        }
    }
    if a.target.is_empty() || a.pid == 0 {
        return Err(format!("--target and --pid are required\n{USAGE}"));
    }
    let ok = matches!(
        (a.proto, a.server),
        (Proto::Influx, Server::Strata | Server::InfluxDb)
            | (Proto::Graphite, Server::Strata | Server::Carbon)
    );
    if !ok {
        return Err(format!(
            "--proto {} does not go with that --server",
            a.proto.name()
        ));
    }
    if a.label.is_empty() {
        a.label = format!("{:?}-{}", a.server, a.proto.name()).to_lowercase();
    }
    Ok(a)
}

/// Runs `ingest` with `argv` (after the subcommand), printing and saving the report.
pub fn main(argv: &[String]) -> Result<(), String> {
    let a = parse_args(argv)?;
    let r = run(&a)?;
    print!("{}", r.to_text());
    if let Some(out) = &a.out {
        std::fs::write(out, r.to_text()).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    Ok(())
}

fn build(a: &Args) -> Result<textload::Payloads, String> {
    let interval = crate::common::SCRAPE_INTERVAL_MS;
    let steps = (a.duration_ms / interval).max(1) as usize;
    let end = a
        .end_ms
        .unwrap_or_else(|| (now_ms() - 60_000) / interval * interval);
    let clock = crate::common::ScrapeClock {
        start: end - steps as i64 * interval - interval,
        interval,
        jitter: 0,
        aligned: 1.0,
        seed: a.seed,
    };
    let plan = textload::Plan {
        series: crate::common::node_exporter_series(a.series, a.seed),
        clock,
        steps,
        shards: a.connections,
        batch: a.batch,
        seed: a.seed,
    };
    let t0 = Instant::now();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let p = textload::build(&plan, a.proto, threads)?;
    eprintln!(
        "[{}] encoded {} samples ({} series x {} scrapes) as {}: {:.1} MB, {:.1} B/sample, sample hash {:016x}, {:.1} s",
        a.label,
        p.samples,
        plan.series.len(),
        steps,
        a.proto.name(),
        p.bytes as f64 / 1e6,
        p.bytes as f64 / p.samples.max(1) as f64,
        p.sample_hash,
        t0.elapsed().as_secs_f64()
    );
    Ok(p)
}

/// Strata counters that say how many Graphite lines were dealt with (stored or refused).
const STRATA_GRAPHITE_DONE: [&str; 2] = [
    "strata_graphite_samples_received_total",
    "strata_graphite_lines_rejected_total",
];

fn run(a: &Args) -> Result<Report, String> {
    let payloads = build(a)?;
    let ticks = proc::clock_ticks();
    let stat = || proc::stat(a.pid, ticks);
    let metrics_url = a.metrics_url.as_deref().map(Url::parse).transpose()?;
    let scrape = |names: &[&str]| metrics_url.as_ref().and_then(|u| metric_sum(u, names));
    let mut carbon_log = a.carbon_log.as_deref().map(CarbonLog::new);

    let mut r = Report::new(&a.label);
    r.set_str("proto", a.proto.name());
    r.set("series", a.series as f64);
    r.set("samples_total", payloads.samples as f64);
    r.set("payload_bytes", payloads.bytes as f64);
    r.set_str("sample_hash", &format!("{:016x}", payloads.sample_hash));
    r.set("data_min_s", payloads.min_s as f64);
    r.set("data_max_s", payloads.max_s as f64);
    r.set("connections", a.connections as f64);
    r.set("batch", a.batch as f64);
    if let Some(load) = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split(' ').next()?.parse::<f64>().ok())
    {
        r.set("loadavg_1m_before", load);
    }

    // Baselines of the completion counters (a server may have stored its own samples).
    let strata_done0 = match (a.server, a.proto) {
        (Server::Strata, Proto::Graphite) => scrape(&STRATA_GRAPHITE_DONE).unwrap_or(0.0),
        (Server::Strata, Proto::Influx) => {
            scrape(&["strata_influx_samples_written_total"]).unwrap_or(0.0)
        }
        _ => 0.0,
    };
    let carbon0 = carbon_log.as_mut().map_or(0, CarbonLog::poll);
    let influx_vars_url = match a.server {
        Server::InfluxDb => Some(Url::parse(&format!(
            "http://{}/debug/vars",
            Url::parse(&a.target)?.host
        ))?),
        _ => None,
    };
    let influx0 = influx_vars_url.as_ref().and_then(influx_points_written);

    let s0 = stat().ok_or("the server process is gone")?;
    let self0 = proc::cpu_seconds(std::process::id(), ticks);
    let start = Instant::now();
    let timeout = Duration::from_secs(60);
    let sent = match a.proto {
        Proto::Influx => textsend::send_influx(&Url::parse(&a.target)?, &payloads.shards, timeout),
        Proto::Graphite => textsend::send_graphite(resolve(&a.target)?, &payloads.shards, timeout),
    };
    let s_sent = stat().ok_or("the server process is gone")?;
    let self1 = proc::cpu_seconds(std::process::id(), ticks);
    eprintln!(
        "[{}] sent {} samples in {:.2} s, {} rejected, {} retries{}",
        a.label,
        sent.samples_ok,
        sent.wall.as_secs_f64(),
        sent.samples_rejected,
        sent.retries,
        sent.first_error
            .as_deref()
            .map_or(String::new(), |e| format!(", first error: {e}"))
    );

    // Completion: HTTP writes are stored when answered; plaintext needs the server's word.
    let want = sent.samples_ok;
    let done = match (a.server, a.proto) {
        (Server::Strata, Proto::Graphite) => wait_until(a, start, |_| {
            let n = scrape(&STRATA_GRAPHITE_DONE)? - strata_done0;
            Some((n as u64, n as u64 >= want))
        }),
        (Server::Carbon, _) => wait_until(a, start, |_| {
            let n = carbon_log.as_mut()?.poll().saturating_sub(carbon0);
            Some((n, n >= want))
        }),
        _ => Some(want),
    };
    let wall = start.elapsed().as_secs_f64();
    let s_done = stat().ok_or("the server process is gone")?;
    let complete = done.is_some_and(|n| n >= want);
    if !complete {
        eprintln!(
            "[{}] NOT COMPLETE after {:?}: {} of {want} samples confirmed",
            a.label,
            a.complete_timeout,
            done.unwrap_or(0)
        );
    }
    let m = want.max(1) as f64 / 1e6;
    let cpu = s_done.cpu_seconds() - s0.cpu_seconds();
    r.set("complete", if complete { 1.0 } else { 0.0 });
    r.set("samples_ok", sent.samples_ok as f64);
    r.set("samples_rejected", sent.samples_rejected as f64);
    r.set("retries", sent.retries as f64);
    r.set("send_wall_seconds", sent.wall.as_secs_f64());
    r.set("wall_seconds", wall);
    r.set("samples_per_second", want as f64 / wall);
    r.set(
        "cpu_seconds_sending",
        s_sent.cpu_seconds() - s0.cpu_seconds(),
    );
    r.set("cpu_seconds", cpu);
    r.set("cpu_seconds_per_million_samples", cpu / m);
    r.set(
        "cpu_user_seconds_per_million_samples",
        (s_done.user_seconds - s0.user_seconds) / m,
    );
    r.set(
        "cpu_system_seconds_per_million_samples",
        (s_done.system_seconds - s0.system_seconds) / m,
    );
    r.set("samples_per_cpu_second", want as f64 / cpu.max(1e-9));
    if let (Some(c0), Some(c1)) = (self0, self1) {
        r.set("loadgen_cpu_seconds", c1 - c0);
    }
    eprintln!(
        "[{}] stored after {wall:.2} s: {:.0} samples/s, {cpu:.2} CPU s ({:.3} per 1M, {:.0} samples per CPU second)",
        a.label,
        want as f64 / wall,
        cpu / m,
        want as f64 / cpu.max(1e-9)
    );

    // Deferred work (InfluxDB's cache snapshots, Strata's WAL fsyncs): until idle, bounded.
    let s_idle = wait_idle(a, &stat);
    let cpu_settled = s_idle.cpu_seconds() - s0.cpu_seconds();
    r.set("cpu_seconds_settled", cpu_settled);
    r.set("cpu_seconds_settled_per_million_samples", cpu_settled / m);
    if let Some(rss) = proc::status_bytes(a.pid, "VmHWM") {
        r.set("rss_peak_bytes", rss as f64);
    }

    // Independent counts of what was stored (untimed).
    match a.server {
        Server::Strata => {
            let names: &[&str] = match a.proto {
                Proto::Graphite => &STRATA_GRAPHITE_DONE[..1],
                Proto::Influx => &["strata_influx_samples_written_total"],
            };
            let base = if a.proto == Proto::Influx {
                strata_done0
            } else {
                0.0
            };
            if let Some(n) = scrape(names) {
                r.set("stored_samples_counted", n - base);
            }
            if a.proto == Proto::Graphite
                && let Some(n) = scrape(&STRATA_GRAPHITE_DONE[1..])
            {
                r.set("server_rejected_lines", n);
            }
        }
        Server::InfluxDb => {
            if let (Some(n0), Some(n1)) = (
                influx0,
                influx_vars_url.as_ref().and_then(influx_points_written),
            ) {
                r.set("stored_samples_counted", (n1 - n0) as f64);
            }
        }
        Server::Carbon => {
            if let Some(n) = carbon_log.as_mut().map(CarbonLog::poll) {
                r.set("stored_samples_counted", n.saturating_sub(carbon0) as f64);
            }
            if let Some(dir) = &a.whisper_dir {
                let (files, points) = whisper_points(dir, payloads.min_s, payloads.max_s);
                r.set("whisper_files", files as f64);
                r.set("stored_samples_read_back", points as f64);
            }
        }
    }
    Ok(r)
}

fn resolve(target: &str) -> Result<SocketAddr, String> {
    let addr = target
        .to_socket_addrs()
        .map_err(|e| format!("{target}: {e}"))?
        .next()
        .ok_or_else(|| format!("{target}: no address"))?;
    if !addr.ip().is_loopback() {
        return Err(format!("{target}: only loopback targets are allowed"));
    }
    Ok(addr)
}

/// Polls `progress` every 50 ms until it reports done or `--complete-timeout` passes since
/// `start`; returns the last count seen.
fn wait_until(
    a: &Args,
    start: Instant,
    mut progress: impl FnMut(()) -> Option<(u64, bool)>,
) -> Option<u64> {
    let mut last = None;
    let mut next_log = Instant::now() + Duration::from_secs(10);
    while start.elapsed() < a.complete_timeout {
        if let Some((n, done)) = progress(()) {
            last = Some(n);
            if done {
                break;
            }
        }
        if Instant::now() >= next_log {
            eprintln!(
                "[{}] waiting for storage: {} samples confirmed",
                a.label,
                last.unwrap_or(0)
            );
            next_log += Duration::from_secs(10);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    last
}

/// Waits until the server used under 5 % of a core over 2 s (or `--settle-timeout` passes).
fn wait_idle(a: &Args, stat: &impl Fn() -> Option<proc::Stat>) -> proc::Stat {
    let start = Instant::now();
    let mut last = stat().unwrap_or_default();
    while start.elapsed() < a.settle_timeout {
        std::thread::sleep(Duration::from_secs(2));
        let Some(now) = stat() else { break };
        let busy = (now.cpu_seconds() - last.cpu_seconds()) / 2.0;
        if busy < 0.05 {
            // The idle window's own CPU (timers, GC) is not deferred work.
            return last;
        }
        last = now;
    }
    last
}

/// Sum of every series of the named families on a `/metrics` page.
fn metric_sum(url: &Url, names: &[&str]) -> Option<f64> {
    let resp = http::Conn::new(url.clone(), Duration::from_secs(5))
        .get_full()
        .ok()?;
    if resp.status != 200 {
        return None;
    }
    let text = String::from_utf8_lossy(&resp.body);
    let mut sum = None;
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let name_end = line.find(['{', ' ']).unwrap_or(line.len());
        if !names.contains(&&line[..name_end]) {
            continue;
        }
        if let Some(v) = line.rsplit(' ').next().and_then(|v| v.parse::<f64>().ok()) {
            *sum.get_or_insert(0.0) += v;
        }
    }
    sum
}

/// Reads carbon-cache's log as it grows, adding up the datapoints it reports written to
/// whisper files (`[updates] wrote N datapoints for METRIC in ...`, one line per write), its own
/// `carbon.*` metrics left out.
#[derive(Debug)]
struct CarbonLog {
    path: PathBuf,
    offset: u64,
    /// An unfinished last line, kept for the next read.
    partial: Vec<u8>,
    written: u64,
}

impl CarbonLog {
    fn new(path: &Path) -> Self {
        CarbonLog {
            path: path.to_path_buf(),
            offset: 0,
            partial: Vec::new(),
            written: 0,
        }
    }

    /// Datapoints written so far.
    fn poll(&mut self) -> u64 {
        use std::io::{Read, Seek, SeekFrom};
        let Ok(mut f) = std::fs::File::open(&self.path) else {
            return self.written;
        };
        let mut new = Vec::new();
        if f.seek(SeekFrom::Start(self.offset)).is_err() || f.read_to_end(&mut new).is_err() {
            return self.written;
        }
        self.offset += new.len() as u64;
        self.partial.extend_from_slice(&new);
        let complete = self
            .partial
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        self.written += points_in_updates(&String::from_utf8_lossy(&self.partial[..complete]));
        self.partial.drain(..complete);
        self.written
    }
}

fn points_in_updates(text: &str) -> u64 {
    text.lines()
        .filter_map(|l| {
            let rest = &l[l.find(" wrote ")? + 7..];
            let (n, rest) = rest.split_once(" datapoints for ")?;
            if rest.starts_with("carbon.") {
                return None;
            }
            n.parse::<u64>().ok()
        })
        .sum()
}

/// InfluxDB's `/debug/vars` `write.pointReq`: points accepted by its write path.
fn influx_points_written(url: &Url) -> Option<u64> {
    let resp = http::Conn::new(url.clone(), Duration::from_secs(10))
        .get_full()
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&resp.body).ok()?;
    v.get("write")?.get("values")?.get("pointReq")?.as_u64()
}

/// Whisper files under `dir` (carbon's own `carbon/` tree left out) and the points in their
/// first archive with timestamps in `[min_s - 60, max_s + 60]`.
fn whisper_points(dir: &Path, min_s: i64, max_s: i64) -> (u64, u64) {
    let (mut files, mut points) = (0u64, 0u64);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                if p != dir.join("carbon") {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "wsp")
                && let Ok(bytes) = std::fs::read(&p)
            {
                files += 1;
                points += whisper_count(&bytes, min_s - 60, max_s + 60);
            }
        }
    }
    (files, points)
}

/// Points of archive 0 of a whisper file with a timestamp in `[lo, hi]` (big-endian: a 16-byte
/// header, 12 bytes per archive, then 12-byte points of u32 seconds and f64 value).
fn whisper_count(b: &[u8], lo: i64, hi: i64) -> u64 {
    let be32 = |at: usize| {
        b.get(at..at + 4)
            .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]) as usize)
    };
    let (Some(archives), Some(offset), Some(n)) = (be32(12), be32(16), be32(24)) else {
        return 0;
    };
    if archives == 0 {
        return 0;
    }
    (0..n)
        .filter_map(|i| be32(offset + 12 * i))
        .filter(|&t| t != 0 && (lo..=hi).contains(&(t as i64)))
        .count() as u64
}

/// A comparison row: key, title, and whether higher is better.
const ROWS: &[(&str, &str, bool)] = &[
    ("samples_per_cpu_second", "samples per CPU second", true),
    (
        "cpu_seconds_per_million_samples",
        "CPU s / 1M samples",
        false,
    ),
    (
        "cpu_user_seconds_per_million_samples",
        "  of which user",
        false,
    ),
    (
        "cpu_system_seconds_per_million_samples",
        "  of which kernel",
        false,
    ),
    (
        "cpu_seconds_settled_per_million_samples",
        "CPU s / 1M incl. deferred",
        false,
    ),
    ("samples_per_second", "samples/s (until stored)", true),
    ("wall_seconds", "wall s until stored", false),
    ("send_wall_seconds", "  wall s sending", false),
    ("rss_peak_bytes", "peak RSS bytes", false),
];

/// Medians of the peer's and Strata's runs side by side, with Strata / peer ratios.
pub fn compare(peer_files: &str, strata_files: &str) -> Result<String, String> {
    use std::fmt::Write as _;
    let load = |files: &str| -> Result<Vec<Report>, String> {
        files
            .split(',')
            .map(|f| {
                std::fs::read_to_string(f)
                    .map(|t| Report::parse(&t))
                    .map_err(|e| format!("{f}: {e}"))
            })
            .collect()
    };
    let (p, s) = (load(peer_files)?, load(strata_files)?);
    let median = |runs: &[Report], key: &str| {
        let mut v: Vec<f64> = runs.iter().filter_map(|r| r.get(key)).collect();
        v.sort_by(f64::total_cmp);
        match v.len() {
            0 => None,
            n if n % 2 == 1 => Some(v[n / 2]),
            n => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
        }
    };
    let name = |runs: &[Report]| {
        runs.first()
            .and_then(|r| r.get_str("label"))
            .unwrap_or("?")
            .to_owned()
    };
    let (pn, sn) = (name(&p), name(&s));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<28} {:>14} {:>14} {:>8}  strata better?",
        "", pn, sn, "ratio"
    );
    for &(key, title, higher_better) in ROWS {
        let (pv, sv) = (median(&p, key), median(&s, key));
        let ratio = match (pv, sv) {
            (Some(x), Some(y)) if x != 0.0 => Some(y / x),
            _ => None,
        };
        let better = ratio.map_or("", |r| {
            if (r > 1.0) == higher_better && r != 1.0 {
                "yes"
            } else {
                "no"
            }
        });
        let f = |v: Option<f64>| v.map_or("n/a".to_owned(), |v| format!("{v:.4}"));
        let _ = writeln!(
            out,
            "{title:<28} {:>14} {:>14} {:>8}  {better}",
            f(pv),
            f(sv),
            ratio.map_or("n/a".to_owned(), |r| format!("{r:.3}"))
        );
    }
    for (n, runs) in [(&pn, &p), (&sn, &s)] {
        for (i, r) in runs.iter().enumerate() {
            let _ = writeln!(
                out,
                "  {n} run {}: {} samples ({} stored by its own count{}), {:.2} s, {:.0} samples per CPU s, complete={}, load {} before, hash {}",
                i + 1,
                r.get_str("samples_ok").unwrap_or("?"),
                r.get_str("stored_samples_counted").unwrap_or("?"),
                r.get_str("stored_samples_read_back")
                    .map_or(String::new(), |v| format!(", {v} read back from whisper")),
                r.get("wall_seconds").unwrap_or(f64::NAN),
                r.get("samples_per_cpu_second").unwrap_or(f64::NAN),
                r.get_str("complete").unwrap_or("?"),
                r.get_str("loadavg_1m_before").unwrap_or("?"),
                r.get_str("sample_hash").unwrap_or("?"),
            );
        }
    }
    let hashes: std::collections::HashSet<&str> = p
        .iter()
        .chain(&s)
        .filter_map(|r| r.get_str("sample_hash"))
        .collect();
    if hashes.len() > 1 {
        let _ = writeln!(out, "WARNING: the runs carried different samples");
    }
    if p.iter()
        .chain(&s)
        .any(|r| r.get("complete") != Some(1.0) || r.get("samples_rejected").unwrap_or(0.0) > 0.0)
    {
        let _ = writeln!(
            out,
            "WARNING: some run was incomplete or had rejections; see its log"
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_carbon_update_lines_as_the_log_grows() {
        use std::io::Write as _;
        let path = std::env::temp_dir().join(format!("lg-carbon-{}.log", std::process::id()));
        std::fs::write(
            &path,
            "22/11/2026 07:00:00 :: [updates] wrote 240 datapoints for a.b.c in 0.00100 seconds\n\
             22/11/2026 07:00:00 :: [updates] wrote 3 datapoints for carbon.agents.x.committedPoints in 0.00010 seconds\n\
             22/11/2026 07:00:01 :: [updates] wrote 12 datapoints for a.b.d in 0.0",
        )
        .unwrap();
        let mut log = CarbonLog::new(&path);
        assert_eq!(log.poll(), 240);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(
            b"0100 seconds after waiting 0.50000 seconds\n22/11/2026 07:00:01 :: [listener] x\n",
        )
        .unwrap();
        assert_eq!(log.poll(), 252);
        assert_eq!(log.poll(), 252);
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn reads_whisper_points_in_range() {
        // One archive of 4 points at offset 28: three written, one slot empty.
        let mut b = Vec::new();
        for v in [1u32, 3600, 0, 1] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        for v in [28u32, 15, 4] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        for t in [1000u32, 1015, 0, 5000] {
            b.extend_from_slice(&t.to_be_bytes());
            b.extend_from_slice(&1.5f64.to_be_bytes());
        }
        assert_eq!(whisper_count(&b, 900, 1100), 2);
        assert_eq!(whisper_count(&b, 0, 10_000), 3);
        assert_eq!(whisper_count(&b[..30], 0, 10_000), 0);
    }
}
