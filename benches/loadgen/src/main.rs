//! `strata-loadgen`: replays a node_exporter-like remote write workload against one server and
//! measures what ingesting it cost that server; `compare` puts two such measurements side by side.
//!
//! ```text
//! strata-loadgen run --url http://127.0.0.1:9090/api/v1/write --pid PID --data-dir DIR \
//!     --series 10000 --duration 6h --connections 4 --end-ms MS --label prometheus --out prom.txt
//! strata-loadgen run --url ... --recording node.json --hosts 20 --end-ms MS ...
//! strata-loadgen compare prom.txt strata.txt
//! ```
//!
//! With `--recording` the samples are real ones: a recorded node_exporter (see
//! `benches/record_node.sh` and [`recording`]) replayed as `--hosts` hosts, moved by a multiple of
//! 2 h so it ends before `--end-ms`. A 2h20m recording never spans the 3 h a head must span before
//! a 2 h block is cut, so afterwards one more sample of `loadgen_clock_advance` moves the head's
//! max time past the last full block (`--advance-blocks`, on by default with a recording).
//!
//! `run` pre-encodes every request before touching the target (so sending costs the generator
//! little CPU), reads the target's CPU time and RSS from `/proc/<pid>`, sends, measures again,
//! then waits (bounded) for the target to cut blocks and sums their `chunks/*` and `index` bytes
//! against the samples their `meta.json` counts. Results go to stdout and, as `key=value` lines,
//! to `--out`. Only loopback targets are accepted.
//!
//! `ingest` does the same for text protocols, for `benches/ingest_compare.sh`: one workload as
//! InfluxDB line protocol or Graphite plaintext, against Strata, InfluxDB or carbon-cache, timed
//! until the server reports every sample stored (see [`ingest`]).

mod args;
#[path = "../../common/mod.rs"]
mod common;
mod http;
mod ingest;
mod payload;
mod proc;
mod recording;
mod report;
mod send;
mod textload;
mod textsend;

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{ScrapeClock, node_exporter_series};
use report::Report;

const USAGE: &str = "usage:
  strata-loadgen run --url URL [--pid PID] [--data-dir DIR] [--series N] [--duration 6h]
      [--connections 4] [--batch 2000] [--interval 15s] [--jitter 15ms] [--aligned 0.9] [--seed 1] [--end-ms MS]
      [--max-lag 5m] [--settle 15s] [--block-timeout 240s] [--label NAME] [--out FILE]
      [--recording FILE [--hosts 20]] [--advance-blocks | --no-advance-blocks]
  strata-loadgen compare BASELINE_FILE[,FILE...] CANDIDATE_FILE[,FILE...]   (medians of runs)
  strata-loadgen wait-ready URL TIMEOUT          (until GET URL answers 200)
  strata-loadgen payload-info [--series N] [--duration 6h] ...   (encode only, print sizes)
  strata-loadgen ingest ...   (line protocol or Graphite plaintext against one server; see below)
  strata-loadgen ingest-compare PEER_FILE[,FILE...] STRATA_FILE[,FILE...]   (medians of runs)
";

#[derive(Debug)]
struct Args {
    url: Option<String>,
    pid: Option<u32>,
    data_dir: Option<PathBuf>,
    series: usize,
    duration_ms: i64,
    connections: usize,
    batch: usize,
    interval_ms: i64,
    jitter_ms: i64,
    aligned: f64,
    seed: u64,
    end_ms: Option<i64>,
    max_lag_ms: i64,
    settle: Duration,
    block_timeout: Duration,
    label: String,
    out: Option<PathBuf>,
    /// Replay this recording instead of generating samples.
    recording: Option<PathBuf>,
    hosts: usize,
    /// Send the block-cut advance sample after the data (`None`: only with a recording).
    advance_blocks: Option<bool>,
}

fn parse_duration_ms(s: &str) -> Result<i64, String> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: i64 = num.parse().map_err(|_| format!("bad duration {s:?}"))?;
    let mult = match unit {
        "ms" => 1,
        "s" | "" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("bad duration unit in {s:?}")),
    };
    Ok(n * mult)
}

fn parse_args(argv: &[String]) -> Result<Args, String> {
    let mut a = Args {
        url: None,
        pid: None,
        data_dir: None,
        series: 10_000,
        duration_ms: 6 * 3_600_000,
        connections: 4,
        batch: 2000,
        interval_ms: common::SCRAPE_INTERVAL_MS,
        jitter_ms: common::DEFAULT_JITTER_MS,
        aligned: common::DEFAULT_ALIGNED,
        seed: 1,
        end_ms: None,
        max_lag_ms: 5 * 60_000,
        settle: Duration::from_secs(15),
        block_timeout: Duration::from_secs(240),
        label: "target".into(),
        out: None,
        recording: None,
        hosts: 20,
        advance_blocks: None,
    };
    let mut i = 0;
    while i < argv.len() {
        // The only flags without a value.
        match argv[i].as_str() {
            "--advance-blocks" | "--no-advance-blocks" => {
                a.advance_blocks = Some(argv[i] == "--advance-blocks");
                i += 1;
                continue;
            }
            _ => {}
        }
        let (key, value) = crate::args::take_flag(argv, &mut i)?;
        let num = |v: &str| crate::args::number(&key, v);
        match key.as_str() {
            "--url" => a.url = Some(value),
            "--pid" => a.pid = Some(num(&value)? as u32),
            "--data-dir" => a.data_dir = Some(value.into()),
            "--series" => a.series = num(&value)? as usize,
            "--duration" => a.duration_ms = parse_duration_ms(&value)?,
            "--connections" => a.connections = (num(&value)? as usize).max(1),
            "--batch" => a.batch = (num(&value)? as usize).max(1),
            "--interval" => a.interval_ms = parse_duration_ms(&value)?.max(1),
            "--jitter" => a.jitter_ms = parse_duration_ms(&value)?,
            "--aligned" => {
                a.aligned = value
                    .parse()
                    .map_err(|_| format!("--aligned: bad fraction {value:?}"))?
            }
            "--seed" => a.seed = num(&value)?,
            "--end-ms" => a.end_ms = Some(num(&value)? as i64),
            "--max-lag" => a.max_lag_ms = parse_duration_ms(&value)?,
            "--settle" => a.settle = Duration::from_millis(parse_duration_ms(&value)? as u64),
            "--block-timeout" => {
                a.block_timeout = Duration::from_millis(parse_duration_ms(&value)? as u64)
            }
            "--label" => a.label = value,
            "--out" => a.out = Some(value.into()),
            "--recording" => a.recording = Some(value.into()),
            "--hosts" => a.hosts = (num(&value)? as usize).max(1),
            _ => return Err(format!("unknown flag {key}\n{USAGE}")),
        }
    }
    if a.jitter_ms * 2 >= a.interval_ms {
        return Err("--jitter must be below half the --interval".into());
    }
    Ok(a)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// 2 h, the block range both servers use in `benches/compare.sh`.
const BLOCK_RANGE_MS: i64 = 7_200_000;

/// Both servers cut the head's oldest block once the head spans more than this.
const CUT_SPAN_MS: i64 = BLOCK_RANGE_MS / 2 * 3;

/// Margin of the advance sample past the least it needs (and past hosts' scrape phases).
const ADVANCE_MARGIN_MS: i64 = 60_000;

/// The encoded workload and what the report needs to know about it.
struct Workload {
    payloads: payload::Payloads,
    /// Distinct series sent (without the advance sample's).
    series: usize,
    /// Timestamp of the block-cut advance sample, if one is to be sent.
    advance_t: Option<i64>,
}

fn build_payloads(a: &Args) -> Result<Workload, String> {
    // End a minute before now by default; align so reruns with the same --end-ms are identical.
    let end = a
        .end_ms
        .unwrap_or_else(|| (now_ms() - 60_000) / a.interval_ms * a.interval_ms);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let advance = a.advance_blocks.unwrap_or(a.recording.is_some());
    let t0 = Instant::now();
    let (p, series, what) = match &a.recording {
        None => {
            let steps = (a.duration_ms / a.interval_ms).max(1) as usize;
            let start = end - steps as i64 * a.interval_ms - a.interval_ms;
            let clock = ScrapeClock {
                start,
                interval: a.interval_ms,
                jitter: a.jitter_ms,
                aligned: a.aligned,
                seed: a.seed,
            };
            let plan = payload::Plan {
                series: node_exporter_series(a.series, a.seed),
                clock,
                steps,
                shards: a.connections,
                batch: a.batch,
                seed: a.seed,
            };
            let p = payload::build(&plan, threads);
            let what = format!("{} series x {} scrapes", plan.series.len(), steps);
            (p, plan.series.len(), what)
        }
        Some(path) => {
            let rec = recording::load(path)?;
            let (rec_min, rec_max) = recording::time_range(&rec)
                .ok_or_else(|| format!("{}: no samples", path.display()))?;
            let shift = recording_shift(rec_min, rec_max, end, advance);
            let series = recording::replicate(&rec, a.hosts, shift);
            let p = payload::build_recorded(&series, a.connections, a.batch, a.seed, threads);
            let what = format!(
                "{} recorded series x {} hosts from {}, moved by {:.0} h",
                rec.len(),
                a.hosts,
                path.display(),
                shift as f64 / 3.6e6
            );
            (p, series.len(), what)
        }
    };
    if p.samples == 0 {
        return Err("the workload has no samples".into());
    }
    eprintln!(
        "encoded {} samples ({what}) into {} requests: {:.1} MB snappy ({:.1} MB protobuf, {:.1} B/sample on the wire), hash {:016x}, data time {} .. {} ({:.1} h), {:.1} s",
        p.samples,
        p.requests,
        p.body_bytes as f64 / 1e6,
        p.raw_bytes as f64 / 1e6,
        p.body_bytes as f64 / p.samples.max(1) as f64,
        p.hash,
        p.min_t,
        p.max_t,
        (p.max_t - p.min_t) as f64 / 3.6e6,
        t0.elapsed().as_secs_f64()
    );
    let advance_t = advance.then(|| advance_time(p.min_t, p.max_t));
    Ok(Workload {
        payloads: p,
        series,
        advance_t,
    })
}

/// How far to move a recording spanning `rec_min..=rec_max`: the largest multiple of the block
/// range that keeps every host's data (phases included) and, if sent, the advance sample at or
/// before `end`. A multiple of the block range keeps the block boundaries where they were in the
/// recorded data.
fn recording_shift(rec_min: i64, rec_max: i64, end: i64, advance: bool) -> i64 {
    let last = |shift: i64| {
        let max_t = rec_max + shift + recording::MAX_PHASE_MS;
        if advance {
            // Host 0 has phase 0: its first sample is the data's first.
            advance_time(rec_min + shift, max_t)
        } else {
            max_t
        }
    };
    let mut shift = (end - last(0)).div_euclid(BLOCK_RANGE_MS) * BLOCK_RANGE_MS;
    // The advance sample goes at most 3 h past the data: two steps back at most.
    while last(shift) > end {
        shift -= BLOCK_RANGE_MS;
    }
    shift
}

/// Timestamp of the advance sample for data spanning `min_t..=max_t`: late enough that both
/// servers cut every block ending at or before the last block boundary `b` in the data, and
/// early enough that they cut none after it. A head is cut while `maxt - mint > 1.5` block
/// ranges, and the head of the last block to cut starts at `max(b - 2 h, min_t)`, so that is
/// 3 h (plus a margin) past it, at most `b + 3 h` (at which the head from `b` is not cut). For a
/// recording that holds a full block this is `b + 1 h + 60 s`. Never more than an hour before
/// `max_t`, so the servers accept it. Without a boundary inside the data nothing can be cut:
/// `b + 1 h + 60 s` then just proves the servers take the sample.
fn advance_time(min_t: i64, max_t: i64) -> i64 {
    let b = max_t.div_euclid(BLOCK_RANGE_MS) * BLOCK_RANGE_MS;
    if min_t >= b {
        return b + CUT_SPAN_MS - BLOCK_RANGE_MS + ADVANCE_MARGIN_MS;
    }
    let head_start = (b - BLOCK_RANGE_MS).max(min_t);
    (head_start + CUT_SPAN_MS + ADVANCE_MARGIN_MS).min(b + CUT_SPAN_MS)
}

/// Sends the single advance sample (after all data: it moves the head's max time, and the
/// servers reject samples more than an hour older than that) and says what happened.
fn send_advance(a: &Args, url: &http::Url, t: i64, data: (i64, i64), r: &mut Report) {
    let labels = [
        ("__name__".to_owned(), "loadgen_clock_advance".to_owned()),
        ("job".to_owned(), "loadgen".to_owned()),
    ];
    let p = payload::single_sample(&labels, t, 1.0);
    let sent = send::send_all(url, &p, a.max_lag_ms, Duration::from_secs(60));
    let (min_t, max_t) = data;
    let boundary = max_t.div_euclid(BLOCK_RANGE_MS) * BLOCK_RANGE_MS;
    let effect = if boundary > min_t {
        format!(
            "the blocks up to the last 2 h boundary in the data, {boundary}, should be cut ({:.2} h of data before it, {:.2} h after it stay in the head)",
            (boundary - min_t) as f64 / 3.6e6,
            (max_t - boundary) as f64 / 3.6e6
        )
    } else {
        "no 2 h boundary inside the data, so no block to cut".to_owned()
    };
    eprintln!(
        "[{}] block-cut advance: sent loadgen_clock_advance{{job=\"loadgen\"}} 1 at t={t} ({:.2} h past the data): {}; {effect}",
        a.label,
        (t - max_t) as f64 / 3.6e6,
        match &sent.first_error {
            None if sent.samples_ok == 1 => "accepted".to_owned(),
            Some(e) => format!("REJECTED: {e}"),
            None => "not sent".to_owned(),
        }
    );
    r.set("advance_t", t as f64);
    r.set("advance_samples_ok", sent.samples_ok as f64);
}

fn run(a: &Args) -> Result<Report, String> {
    let url = http::Url::parse(a.url.as_deref().ok_or("--url is required")?)?;
    let workload = build_payloads(a)?;
    let payloads = &workload.payloads;
    let series = workload.series.max(1) as f64;
    let ticks = proc::clock_ticks();
    let cpu = |pid: Option<u32>| pid.and_then(|p| proc::cpu_seconds(p, ticks));
    let rss = |field: &str| a.pid.and_then(|p| proc::status_bytes(p, field));

    let mut r = Report::new(&a.label);
    r.set("series", workload.series as f64);
    if a.recording.is_some() {
        r.set("hosts", a.hosts as f64);
    }
    r.set("samples_total", payloads.samples as f64);
    r.set("requests_total", payloads.requests as f64);
    r.set("payload_bytes", payloads.body_bytes as f64);
    r.set_str("payload_hash", &format!("{:016x}", payloads.hash));
    r.set(
        "data_hours",
        (payloads.max_t - payloads.min_t) as f64 / 3.6e6,
    );
    r.set("connections", a.connections as f64);

    if let Some(load) = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split(' ').next()?.parse::<f64>().ok())
    {
        // Other work on the machine skews throughput (less so CPU-seconds): keep it on record.
        r.set("loadavg_1m_before", load);
    }
    let rss_idle = rss("VmRSS");
    let anon_idle = rss("RssAnon");
    let stat0 = a.pid.and_then(|p| proc::stat(p, ticks));
    let cpu0 = stat0.map(|s| s.cpu_seconds());
    let self0 = cpu(Some(std::process::id()));
    let sent = send::send_all(&url, payloads, a.max_lag_ms, Duration::from_secs(60));
    let stat1 = a.pid.and_then(|p| proc::stat(p, ticks));
    let cpu1 = stat1.map(|s| s.cpu_seconds());
    let self1 = cpu(Some(std::process::id()));
    let wall = sent.wall.as_secs_f64();
    eprintln!(
        "[{}] sent {} samples in {:.2} s ({:.0} samples/s), {} requests rejected ({} samples), {} retries",
        a.label,
        sent.samples_ok,
        wall,
        sent.samples_ok as f64 / wall,
        sent.requests_rejected,
        sent.samples_rejected,
        sent.retries
    );
    if let Some(e) = &sent.first_error {
        eprintln!("[{}] first error: {e}", a.label);
    }
    r.set("wall_seconds", wall);
    r.set("samples_ok", sent.samples_ok as f64);
    r.set("samples_rejected", sent.samples_rejected as f64);
    r.set("retries", sent.retries as f64);
    r.set("samples_per_second", sent.samples_ok as f64 / wall);
    if let (Some(s0), Some(s1)) = (self0, self1) {
        r.set("loadgen_cpu_seconds", s1 - s0);
    }
    if let (Some(s0), Some(s1)) = (stat0, stat1) {
        // Kernel time (socket reads, WAL writes, page faults) is part of the cost too.
        let per_m = sent.samples_ok.max(1) as f64 / 1e6;
        r.set(
            "cpu_user_seconds_per_million_samples",
            (s1.user_seconds - s0.user_seconds) / per_m,
        );
        r.set(
            "cpu_system_seconds_per_million_samples",
            (s1.system_seconds - s0.system_seconds) / per_m,
        );
        r.set(
            "minor_faults_per_million_samples",
            (s1.minor_faults - s0.minor_faults) as f64 / per_m,
        );
    }
    if let (Some(c0), Some(c1)) = (cpu0, cpu1) {
        r.set("cpu_seconds_ingest", c1 - c0);
        r.set(
            "cpu_seconds_per_million_samples",
            (c1 - c0) / (sent.samples_ok.max(1) as f64 / 1e6),
        );
    }

    // Memory with every series active in the head; give a garbage collector a moment.
    std::thread::sleep(Duration::from_secs(2));
    if let (Some(idle), Some(after)) = (rss_idle, rss("VmRSS")) {
        r.set("rss_idle_bytes", idle as f64);
        r.set("rss_loaded_bytes", after as f64);
        r.set(
            "rss_bytes_per_series",
            (after as f64 - idle as f64) / series,
        );
    }
    if let (Some(idle), Some(after)) = (anon_idle, rss("RssAnon")) {
        r.set(
            "rss_anon_bytes_per_series",
            (after as f64 - idle as f64) / series,
        );
    }
    if let Some(peak) = rss("VmHWM") {
        r.set("rss_peak_bytes", peak as f64);
    }
    record_target_metrics(&mut r, &url, "loaded");
    // After every reading of the ingest: the advance sample starts block cutting at once.
    if let Some(t) = workload.advance_t {
        send_advance(a, &url, t, (payloads.min_t, payloads.max_t), &mut r);
    }

    if let Some(dir) = &a.data_dir {
        let blocks = wait_for_blocks(a, dir, cpu);
        let cpu2 = cpu(a.pid);
        if let (Some(c0), Some(c2)) = (cpu0, cpu2) {
            r.set("cpu_seconds_total", c2 - c0);
            r.set(
                "cpu_seconds_total_per_million_samples",
                (c2 - c0) / (sent.samples_ok.max(1) as f64 / 1e6),
            );
        }
        // Memory once the head holds only what is not in blocks yet (the steady state).
        if let (Some(idle), Some(now)) = (rss_idle, rss("VmRSS")) {
            r.set("rss_settled_bytes", now as f64);
            r.set(
                "rss_settled_bytes_per_series",
                (now as f64 - idle as f64) / series,
            );
        }
        if let (Some(idle), Some(now)) = (anon_idle, rss("RssAnon")) {
            r.set(
                "rss_anon_settled_bytes_per_series",
                (now as f64 - idle as f64) / series,
            );
        }
        record_target_metrics(&mut r, &url, "settled");
        r.set("blocks", blocks.blocks as f64);
        r.set("block_samples", blocks.samples as f64);
        r.set("block_series", blocks.series as f64);
        r.set("block_chunk_bytes", blocks.chunk_bytes as f64);
        r.set("block_index_bytes", blocks.index_bytes as f64);
        if blocks.samples > 0 {
            r.set(
                "block_bytes_per_sample",
                blocks.bytes() as f64 / blocks.samples as f64,
            );
            r.set(
                "block_chunk_bytes_per_sample",
                blocks.chunk_bytes as f64 / blocks.samples as f64,
            );
            r.set(
                "block_index_bytes_per_series_per_block",
                blocks.index_bytes as f64 / blocks.series.max(1) as f64,
            );
        }
        r.set("wal_bytes", proc::dir_bytes(&dir.join("wal")) as f64);
        r.set("data_dir_bytes", proc::dir_bytes(dir) as f64);
    }
    Ok(r)
}

/// Unlabelled series of the target's `/metrics` that say where its memory goes.
const TARGET_METRICS: &[&str] = &[
    "strata_tsdb_head_series",
    "strata_tsdb_head_chunk_bytes",
    "strata_tsdb_head_min_time",
    "strata_tsdb_head_max_time",
    "prometheus_tsdb_head_series",
    "prometheus_tsdb_head_chunks",
    "prometheus_tsdb_head_min_time",
    "prometheus_tsdb_head_max_time",
    "go_memstats_heap_inuse_bytes",
    "go_memstats_alloc_bytes",
    "go_memstats_sys_bytes",
];

/// Records [`TARGET_METRICS`] from `GET /metrics` as `metric_<when>_<name>`.
fn record_target_metrics(r: &mut Report, write_url: &http::Url, when: &str) {
    let url = http::Url {
        path: "/metrics".into(),
        ..write_url.clone()
    };
    let Ok(resp) = http::Conn::new(url, Duration::from_secs(10)).get_full() else {
        return;
    };
    let text = String::from_utf8_lossy(&resp.body);
    for line in text.lines() {
        let Some((name, value)) = line.split_once(' ') else {
            continue;
        };
        if let (true, Ok(v)) = (TARGET_METRICS.contains(&name), value.trim().parse::<f64>()) {
            r.set(&format!("metric_{when}_{name}"), v);
        }
    }
}

/// Polls the data directory until blocks exist, their sample count has not changed for
/// `--settle` while the target used under 10 % of a core, or `--block-timeout` passes.
fn wait_for_blocks(
    a: &Args,
    dir: &std::path::Path,
    cpu: impl Fn(Option<u32>) -> Option<f64>,
) -> proc::BlockStats {
    let start = Instant::now();
    let mut last = proc::block_stats(dir);
    let mut since = Instant::now();
    let mut cpu_at_since = cpu(a.pid);
    let mut polls = 0u64;
    while start.elapsed() < a.block_timeout {
        std::thread::sleep(Duration::from_secs(1));
        polls += 1;
        let now = proc::block_stats(dir);
        if now != last {
            last = now;
            since = Instant::now();
            cpu_at_since = cpu(a.pid);
            continue;
        }
        if last.samples > 0 && since.elapsed() >= a.settle {
            let busy = match (cpu_at_since, cpu(a.pid)) {
                (Some(c0), Some(c1)) => (c1 - c0) / since.elapsed().as_secs_f64(),
                _ => 0.0,
            };
            if busy < 0.10 {
                break;
            }
            since = Instant::now();
            cpu_at_since = cpu(a.pid);
        }
        if polls.is_multiple_of(15) {
            eprintln!(
                "[{}] waiting for blocks: {} blocks, {} samples so far",
                a.label, last.blocks, last.samples
            );
        }
    }
    eprintln!(
        "[{}] blocks: {} holding {} samples of {} series, {:.1} MB chunks + {:.1} MB index (waited {:.0} s)",
        a.label,
        last.blocks,
        last.samples,
        last.series,
        last.chunk_bytes as f64 / 1e6,
        last.index_bytes as f64 / 1e6,
        start.elapsed().as_secs_f64()
    );
    last
}

/// Polls `GET url` until it answers 200, at most `timeout`.
fn wait_ready(url: &str, timeout: &str) -> Result<(), String> {
    let url = http::Url::parse(url)?;
    let timeout = Duration::from_millis(parse_duration_ms(timeout)? as u64);
    let start = Instant::now();
    while start.elapsed() < timeout {
        if http::get_status(&url, Duration::from_secs(2)) == Some(200) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!(
        "{}{} not ready after {timeout:?}",
        url.host, url.path
    ))
}

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let result = match argv.first().map(String::as_str) {
        Some("run") => parse_args(&argv[1..]).and_then(|a| {
            let r = run(&a)?;
            print!("{}", r.to_text());
            if let Some(out) = &a.out {
                std::fs::write(out, r.to_text()).map_err(|e| format!("{}: {e}", out.display()))?;
            }
            Ok(())
        }),
        Some("payload-info") => parse_args(&argv[1..]).and_then(|a| {
            let w = build_payloads(&a)?;
            if let Some(t) = w.advance_t {
                eprintln!("block-cut advance sample would go at t={t}");
            }
            Ok(())
        }),
        Some("ingest") => ingest::main(&argv[1..]),
        Some("ingest-compare") if argv.len() == 3 => {
            ingest::compare(&argv[1], &argv[2]).map(|t| print!("{t}"))
        }
        Some("wait-ready") if argv.len() == 3 => wait_ready(&argv[1], &argv[2]),
        Some("compare") if argv.len() == 3 => {
            report::compare(&argv[1], &argv[2]).map(|t| print!("{t}"))
        }
        _ => Err(format!("{USAGE}{}", ingest::USAGE)),
    };
    if let Err(e) = result {
        eprintln!("strata-loadgen: {e}");
        std::process::exit(2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_keeps_block_boundaries_and_room_for_the_advance() {
        let h = 3_600_000;
        let phase = recording::MAX_PHASE_MS;
        // Recorded 09:45..12:05 (of some day), replayed with the end at 12:09 of that day.
        let (rec_min, rec_max) = (9 * h + 45 * 60_000, 12 * h + 5 * 60_000);
        let end = 12 * h + 9 * 60_000;
        let shift = recording_shift(rec_min, rec_max, end, true);
        assert_eq!(shift, -2 * h);
        let t = advance_time(rec_min + shift, rec_max + shift + phase);
        // Both blocks are cut: [06:00, 08:00) from a head starting 07:45, then [08:00, 10:00).
        assert_eq!(t, 11 * h + 60_000);
        assert!(t - (7 * h + 45 * 60_000) > 3 * h && t - 8 * h > 3 * h && t - 10 * h <= 3 * h);
        assert!(t <= end);
        // Without the advance the data (the last host's phase included) end at or before `end`.
        assert_eq!(recording_shift(rec_min, rec_max, end, false), 0);
        assert_eq!(recording_shift(rec_min, rec_max, rec_max + phase, false), 0);
        assert_eq!(
            recording_shift(rec_min, rec_max, rec_max + phase - 1, false),
            -2 * h
        );
    }

    #[test]
    fn advance_cuts_a_partial_block_and_never_the_next() {
        let h = 3_600_000;
        // 09:45..10:10: only [08:00, 10:00) can be cut, from a head starting 09:45.
        let t = advance_time(9 * h + 45 * 60_000, 10 * h + 10 * 60_000);
        assert_eq!(t, 12 * h + 46 * 60_000);
        // 09:59:30..10:10: the head from 10:00 must not reach 3 h.
        let t = advance_time(10 * h - 30_000, 10 * h + 10 * 60_000);
        assert_eq!(t, 13 * h);
        // 10:05..10:10: no boundary inside; the sample is still within an hour of the data.
        let t = advance_time(10 * h + 5 * 60_000, 10 * h + 10 * 60_000);
        assert_eq!(t, 11 * h + 60_000);
        // The shift leaves room for it: 2 h further back than without.
        let end = 10 * h + 14 * 60_000;
        assert_eq!(
            recording_shift(9 * h + 45 * 60_000, 10 * h + 10 * 60_000, end, true),
            -4 * h
        );
    }

    #[test]
    fn advance_flags_parse() {
        let args = |v: &[&str]| parse_args(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let a = args(&["--recording", "r.json", "--hosts", "4"]).unwrap();
        assert_eq!((a.hosts, a.advance_blocks), (4, None));
        let a = args(&["--no-advance-blocks", "--series", "5"]).unwrap();
        assert_eq!((a.series, a.advance_blocks), (5, Some(false)));
        assert_eq!(
            args(&["--advance-blocks"]).unwrap().advance_blocks,
            Some(true)
        );
    }
}
