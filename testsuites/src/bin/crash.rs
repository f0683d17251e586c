//! Crash safety: every remote write that got a 2xx must survive `kill -9`.
//!
//! A writer thread sends remote write 1.0 requests, one sample for each of `CRASH_SERIES` series
//! per request, timestamps advancing `CRASH_STEP` per request from `now - CRASH_SPAN`, paced over
//! `CRASH_WRITE_DURATION`. The receiver runs with small blocks (`CRASH_MIN_BLOCK`, default 10m;
//! `CRASH_MAX_BLOCK`, 40m) so head cutting and compaction happen during the run. Meanwhile the
//! main thread `kill -9`s the receiver `CRASH_KILLS` times at seeded-random moments and restarts
//! it on the same data dir; the writer retries a request on connection errors and 5xx until it
//! gets an answer, and records which samples were acknowledged. After a final `kill -9` and
//! restart, a remote read (`SAMPLES`) must return every acknowledged sample with its exact value
//! and nothing the writer never sent (while writing, a reader thread checks the same of the
//! acknowledged prefix, so reads racing head cuts, compactions and restarts are covered too);
//! `/metrics` or the blocks' `meta.json` must show cut blocks and at least one compaction.
//!
//! Environment: the variables above, `CRASH_PROTOCOL` (v1, the default, or v2), `CRASH_SEED` (printed; set it to replay a run),
//! `CRASH_READY_TIMEOUT` (2m per restart), `CRASH_SETTLE_TIMEOUT` (2m for blocks/compaction after
//! writing), `RECEIVER` (strata|prometheus), `RECEIVER_ARGS`, `STRATA_BIN`, `PROMETHEUS_BIN`,
//! `KEEP_TMP=1`. Exit status 0 only if all checks pass.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use strata_testsuites::compare::{Bits, SeriesData, check_acked};
use strata_testsuites::http::Http;
use strata_testsuites::net::{now_ms, utc_time_of_day, wait_for};
use strata_testsuites::peers::{self, ReceiverKind, ReceiverOpts, Server};
use strata_testsuites::prng::{Rng, mix};
use strata_testsuites::prom::{self, Labels, fmt_labels};
use strata_testsuites::wire::{self, Op, ReadQuery};
use strata_testsuites::{Error, Result, env, fail};

const METRIC: &str = "strata_crash_test";
/// Series are spread over this many `shard` label values; verification reads one shard at a time.
const SHARDS: usize = 16;

#[derive(Debug, Clone)]
struct Config {
    kills: usize,
    seed: u64,
    series: usize,
    span: Duration,
    step: Duration,
    write_duration: Duration,
    min_block: Duration,
    max_block: Duration,
    ready_timeout: Duration,
    settle_timeout: Duration,
    receiver: ReceiverKind,
    version: wire::WriteVersion,
}

impl Config {
    fn from_env() -> Result<Self> {
        let seed = match std::env::var("CRASH_SEED") {
            Ok(s) if !s.is_empty() => s
                .parse()
                .map_err(|_| fail!("CRASH_SEED={s} is not a u64"))?,
            _ => Rng::seed_from_time(),
        };
        let cfg = Config {
            kills: env::u64("CRASH_KILLS", 6)? as usize,
            seed,
            series: env::u64("CRASH_SERIES", 500)? as usize,
            span: env::duration("CRASH_SPAN", "6h")?,
            step: env::duration("CRASH_STEP", "15s")?,
            write_duration: env::duration("CRASH_WRITE_DURATION", "150s")?,
            min_block: env::duration("CRASH_MIN_BLOCK", "10m")?,
            max_block: env::duration("CRASH_MAX_BLOCK", "40m")?,
            ready_timeout: env::duration("CRASH_READY_TIMEOUT", "2m")?,
            settle_timeout: env::duration("CRASH_SETTLE_TIMEOUT", "2m")?,
            receiver: ReceiverKind::from_env()?,
            version: match env::string("CRASH_PROTOCOL", "v1").as_str() {
                "v1" => wire::WriteVersion::V1,
                "v2" => wire::WriteVersion::V2,
                other => return Err(fail!("CRASH_PROTOCOL={other}: expected v1 or v2")),
            },
        };
        if cfg.step.is_zero() || cfg.span < cfg.step * 4 || cfg.series == 0 {
            return Err(fail!(
                "CRASH_SPAN must hold at least 4 CRASH_STEPs and CRASH_SERIES must be > 0"
            ));
        }
        Ok(cfg)
    }

    fn requests(&self) -> usize {
        (self.span.as_millis() / self.step.as_millis()) as usize
    }
}

/// What is written: request `k` carries one sample per series at `t0 + k * step`.
#[derive(Debug, Clone)]
struct Plan {
    seed: u64,
    t0: i64,
    step_ms: i64,
    requests: usize,
    series: Vec<Labels>,
    index: HashMap<String, usize>,
}

impl Plan {
    fn new(cfg: &Config) -> Self {
        let step_ms = cfg.step.as_millis() as i64;
        let t0 = (now_ms() - cfg.span.as_millis() as i64) / step_ms * step_ms;
        let series: Vec<Labels> = (0..cfg.series)
            .map(|s| {
                let mut l = Labels::new();
                l.insert("__name__".into(), METRIC.into());
                l.insert("series".into(), format!("{s:04}"));
                l.insert("shard".into(), (s % SHARDS).to_string());
                l
            })
            .collect();
        let index = series
            .iter()
            .enumerate()
            .map(|(i, l)| (fmt_labels(l), i))
            .collect();
        Plan {
            seed: cfg.seed,
            t0,
            step_ms,
            requests: cfg.requests(),
            series,
            index,
        }
    }

    fn t(&self, k: usize) -> i64 {
        self.t0 + k as i64 * self.step_ms
    }

    /// The value of series `s` in request `k`: a mix of counters, gauges, constants and arbitrary
    /// finite bit patterns, so the XOR encoding of every chunk shape is exercised.
    fn value(&self, s: usize, k: usize) -> f64 {
        let h = mix(self.seed ^ mix((s as u64) << 32 | k as u64));
        match s % 4 {
            0 => (k as f64) * 10.0 + s as f64,
            1 => {
                let v = f64::from_bits(h);
                if v.is_finite() { v } else { (h >> 12) as f64 }
            }
            2 => ((k * (s + 1)) % 1000) as f64 / 7.0,
            _ => (s as f64) * 0.5 + if h % 17 == 0 { 1.0 } else { 0.0 },
        }
    }

    fn request_body(&self, version: wire::WriteVersion, k: usize) -> Result<Vec<u8>> {
        let t = self.t(k);
        let series: Vec<(Labels, Vec<(i64, f64)>)> = self
            .series
            .iter()
            .enumerate()
            .map(|(s, l)| (l.clone(), vec![(t, self.value(s, k))]))
            .collect();
        wire::encode_write(version, &series)
    }

    /// The value written at `t` for the series rendered as `key`, acknowledged or not.
    fn sent(&self, key: &str, t: i64) -> Option<Bits> {
        let &s = self.index.get(key)?;
        let off = t - self.t0;
        if off < 0 || off % self.step_ms != 0 {
            return None;
        }
        let k = (off / self.step_ms) as usize;
        (k < self.requests).then(|| Bits::of(self.value(s, k)))
    }
}

/// What the writer saw.
#[derive(Debug, Default)]
struct WriterLog {
    acked: Vec<usize>,
    rejected: Vec<(usize, u16, String)>,
    transport_errors: usize,
    server_errors: usize,
    /// The first few retryable answers: `(request, status, body)`.
    server_error_examples: Vec<(usize, u16, String)>,
    /// 2.0 answers whose written-samples header is missing or wrong.
    header_problems: Vec<String>,
    gave_up: Option<String>,
}

fn writer(
    plan: Arc<Plan>,
    url: String,
    cfg: Config,
    progress: Arc<AtomicUsize>,
    acked_prefix: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
) -> WriterLog {
    let http = Http::new(Duration::from_secs(30));
    let mut log = WriterLog::default();
    let start = Instant::now();
    let per_request = cfg.write_duration.div_f64(plan.requests as f64);
    // A request may wait for a restart and a WAL replay; after that much, give up.
    let patience = cfg.ready_timeout + Duration::from_secs(60);
    for k in 0..plan.requests {
        let body = match plan.request_body(cfg.version, k) {
            Ok(b) => b,
            Err(e) => {
                log.gave_up = Some(format!("encoding request {k}: {e}"));
                break;
            }
        };
        let deadline = Instant::now() + patience;
        loop {
            if stop.load(Ordering::Relaxed) {
                log.gave_up
                    .get_or_insert_with(|| "stopped by the main thread".into());
                return log;
            }
            match wire::post_write(&http, &url, cfg.version, &body) {
                Ok(r) if r.is_success() => {
                    log.acked.push(k);
                    let want = plan.series.len().to_string();
                    if cfg.version == wire::WriteVersion::V2
                        && r.samples_written.as_deref() != Some(want.as_str())
                    {
                        log.header_problems.push(format!(
                            "request {k}: {} with X-Prometheus-Remote-Write-Samples-Written {:?}, want {want}",
                            r.status, r.samples_written
                        ));
                    }
                    break;
                }
                Ok(r) if r.status >= 500 || r.status == 429 => {
                    log.server_errors += 1;
                    if log.server_error_examples.len() < 5 {
                        log.server_error_examples.push((k, r.status, r.text(200)));
                    }
                }
                Ok(r) => {
                    log.rejected.push((k, r.status, r.text(300)));
                    break;
                }
                Err(_) => log.transport_errors += 1,
            }
            if Instant::now() >= deadline {
                log.gave_up = Some(format!("request {k} got no 2xx/4xx within {patience:?}"));
                return log;
            }
            thread::sleep(Duration::from_millis(100));
        }
        progress.store(k + 1, Ordering::Release);
        if log.rejected.is_empty() {
            acked_prefix.store(k + 1, Ordering::Release);
        }
        let due = start + per_request.mul_f64((k + 1) as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            thread::sleep(wait);
        }
    }
    log
}

/// What the concurrent reader saw.
#[derive(Debug, Default)]
struct ReaderLog {
    reads: usize,
    unanswered: usize,
    error_answers: usize,
    incomplete: usize,
    examples: Vec<String>,
}

/// While the writer runs, reads a random shard's acknowledged prefix (alternating `SAMPLES` and
/// streamed chunks) and checks it is complete: reads racing head cuts, compactions and restarts
/// must still see every acknowledged sample. Requests the server does not answer (it is down)
/// are only counted.
fn reader(
    plan: Arc<Plan>,
    url: String,
    seed: u64,
    acked_prefix: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    limit: Duration,
) -> ReaderLog {
    let http = Http::new(Duration::from_secs(30));
    let mut rng = Rng::new(seed ^ 0x5EED);
    let mut log = ReaderLog::default();
    let start = Instant::now();
    while !stop.load(Ordering::Relaxed) && start.elapsed() < limit {
        thread::sleep(Duration::from_millis(rng.range(50, 250)));
        let prefix = acked_prefix.load(Ordering::Acquire);
        if prefix == 0 {
            continue;
        }
        let shard = rng.range(0, SHARDS as u64) as usize;
        let q = ReadQuery {
            start_ms: plan.t0 - 1,
            end_ms: plan.t(prefix - 1),
            matchers: vec![
                wire::matcher(Op::Eq, "__name__", METRIC),
                wire::matcher(Op::Eq, "shard", &shard.to_string()),
            ],
        };
        let streamed = log.reads % 2 == 1;
        let at = utc_time_of_day(now_ms());
        let got = if streamed {
            wire::read_streamed(&http, &url, &q).map(|s| s.series)
        } else {
            wire::read_samples(&http, &url, &q)
        };
        let got = match got {
            Ok(g) => g,
            // Not ready yet (WAL replay after a restart).
            Err(Error::Status { status: 503, .. }) => {
                log.unanswered += 1;
                continue;
            }
            Err(e @ Error::Status { .. }) => {
                log.reads += 1;
                log.error_answers += 1;
                if log.examples.len() < 5 {
                    log.examples
                        .push(format!("read sent at {at} UTC (shard {shard}): {e}"));
                }
                continue;
            }
            // Connection refused or reset: the server is down.
            Err(_) => {
                log.unanswered += 1;
                continue;
            }
        };
        log.reads += 1;
        let mut want: SeriesData<Bits> = SeriesData::new();
        for (s, l) in plan
            .series
            .iter()
            .enumerate()
            .filter(|(s, _)| s % SHARDS == shard)
        {
            want.insert(
                fmt_labels(l),
                (0..prefix)
                    .map(|k| (plan.t(k), Bits::of(plan.value(s, k))))
                    .collect(),
            );
        }
        let r = check_acked(&want, &got, |key, t| plan.sent(key, t));
        if !r.ok() {
            log.incomplete += 1;
            if log.examples.len() < 5 {
                log.examples.push(format!(
                    "read sent at {at} UTC ({}, shard {shard}, requests 0..{prefix}): {} missing, {} wrong, {} never written, {} unsorted; e.g. {}",
                    if streamed { "STREAMED_XOR_CHUNKS" } else { "SAMPLES" },
                    r.missing,
                    r.wrong_value,
                    r.unexpected,
                    r.unsorted_series,
                    r.examples.first().cloned().unwrap_or_default()
                ));
            }
        }
    }
    log
}

/// Block and compaction counters of one server lifetime.
#[derive(Debug, Default, Clone, Copy)]
struct TsdbCounters {
    blocks_loaded: f64,
    compactions: f64,
    head_series: f64,
}

fn tsdb_counters(http: &Http, server: &Server, prefix: &str) -> Option<TsdbCounters> {
    let m = prom::scrape(http, &server.base).ok()?;
    let get = |n: &str| prom::metric_sum(&m, &format!("{prefix}{n}"), &[]).unwrap_or(0.0);
    Some(TsdbCounters {
        blocks_loaded: get("blocks_loaded"),
        compactions: get("compactions_total"),
        head_series: get("head_series"),
    })
}

/// Blocks on disk: `(count, highest compaction level, samples)` from `DIR/*/meta.json`.
fn blocks_on_disk(data: &Path) -> (usize, u64, u64) {
    let (mut count, mut level, mut samples) = (0, 0, 0);
    let Ok(entries) = std::fs::read_dir(data) else {
        return (0, 0, 0);
    };
    for e in entries.flatten() {
        let Ok(text) = std::fs::read_to_string(e.path().join("meta.json")) else {
            continue;
        };
        let Ok(meta) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        count += 1;
        level = level.max(
            meta.pointer("/compaction/level")
                .and_then(serde_json::Value::as_u64)
                .unwrap_or(0),
        );
        // Prometheus writes `numSamples`, Strata `num_samples` (docs/format/block.md).
        samples += ["/stats/numSamples", "/stats/num_samples"]
            .iter()
            .find_map(|p| meta.pointer(p).and_then(serde_json::Value::as_u64))
            .unwrap_or(0);
    }
    (count, level, samples)
}

fn main() {
    strata_testsuites::run_suite("crash", run)
}

fn run() -> Result<bool> {
    let cfg = Config::from_env()?;
    println!(
        "crash: seed {} (replay with CRASH_SEED={})",
        cfg.seed, cfg.seed
    );
    println!(
        "crash: {cfg:?}; {} requests of {} samples",
        cfg.requests(),
        cfg.series
    );
    let mut work = env::WorkDir::new("crash")?;
    let dir = work.path().to_path_buf();
    let data = dir.join("receiver-data");
    let http = Http::new(Duration::from_secs(60));
    let prefix = cfg.receiver.tsdb_metric_prefix();
    let opts = ReceiverOpts {
        min_block: Some(cfg.min_block),
        max_block: Some(cfg.max_block),
        extra: vec![],
    };
    let mut server = peers::start_receiver(cfg.receiver, &dir, &data, &opts)?;
    server.wait_ready(&http, cfg.ready_timeout)?;

    let plan = Arc::new(Plan::new(&cfg));
    let progress = Arc::new(AtomicUsize::new(0));
    let acked_prefix = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let stop_reader = Arc::new(AtomicBool::new(false));
    let write_url = format!("{}/api/v1/write", server.base);
    let handle = {
        let (plan, progress, acked_prefix, stop, cfg) = (
            plan.clone(),
            progress.clone(),
            acked_prefix.clone(),
            stop.clone(),
            cfg.clone(),
        );
        thread::spawn(move || writer(plan, write_url, cfg, progress, acked_prefix, stop))
    };
    let reader_handle = {
        let (plan, acked_prefix, stop) = (plan.clone(), acked_prefix.clone(), stop_reader.clone());
        let url = format!("{}/api/v1/read", server.base);
        let limit = cfg.write_duration * 3 + cfg.ready_timeout * (cfg.kills as u32 + 1);
        let seed = cfg.seed;
        thread::spawn(move || reader(plan, url, seed, acked_prefix, stop, limit))
    };

    // Kill points: distinct request indices, spread over the run after a short warm-up.
    let mut rng = Rng::new(cfg.seed);
    let n = plan.requests;
    let mut points: Vec<usize> = Vec::new();
    for _ in 0..cfg.kills.saturating_mul(100) {
        if points.len() >= cfg.kills.min(n / 2) {
            break;
        }
        let p = rng.range((n / 10) as u64, (n - n / 20) as u64) as usize;
        if !points.contains(&p) {
            points.push(p);
        }
    }
    points.sort_unstable();
    let per_request_ms = (cfg.write_duration.as_millis() as u64 / n as u64).max(1);

    let mut lifetimes: Vec<TsdbCounters> = Vec::new();
    let mut ready_times = Vec::new();
    let kill_result = (|| -> Result<()> {
        for (i, &p) in points.iter().enumerate() {
            wait_for(
                &format!("the writer to reach request {p}"),
                cfg.write_duration * 2 + cfg.ready_timeout * (cfg.kills as u32 + 1),
                Duration::from_millis(5),
                || {
                    Ok(
                        (progress.load(Ordering::Acquire) >= p || handle.is_finished())
                            .then_some(()),
                    )
                },
            )?;
            // Land anywhere inside the next request or the pause after it.
            thread::sleep(Duration::from_millis(rng.range(0, per_request_ms + 1)));
            if let Some(c) = tsdb_counters(&http, &server, prefix) {
                lifetimes.push(c);
            }
            let at = progress.load(Ordering::Acquire);
            server.proc.kill9()?;
            println!(
                "kill {}/{}: kill -9 at {} UTC, request {at} (t={})",
                i + 1,
                points.len(),
                utc_time_of_day(now_ms()),
                plan.t(at.min(n - 1))
            );
            thread::sleep(Duration::from_millis(rng.range(0, 300)));
            server.proc.restart()?;
            let took = server.wait_ready(&http, cfg.ready_timeout)?;
            println!("  restarted, ready after {took:.2?}");
            ready_times.push(took);
        }
        Ok(())
    })();
    if kill_result.is_err() {
        stop.store(true, Ordering::Relaxed);
    }
    let log = handle.join().map_err(|_| fail!("writer thread panicked"))?;
    stop_reader.store(true, Ordering::Relaxed);
    let reads = reader_handle
        .join()
        .map_err(|_| fail!("reader thread panicked"))?;
    kill_result?;
    println!(
        "concurrent reader: {} reads answered ({} incomplete, {} error statuses), {} unanswered (server down or not ready)",
        reads.reads, reads.incomplete, reads.error_answers, reads.unanswered
    );
    println!(
        "writer: {} of {} requests acknowledged, {} rejected, {} transport errors, {} 5xx/429 answers",
        log.acked.len(),
        n,
        log.rejected.len(),
        log.transport_errors,
        log.server_errors
    );
    for (k, status, body) in &log.server_error_examples {
        println!("  retryable answer to request {k}: {status} {body}");
    }

    // Let the receiver cut and compact what is left, then crash it one last time.
    let settle = wait_for(
        "blocks to be cut and compacted",
        cfg.settle_timeout,
        Duration::from_secs(1),
        || {
            let c = tsdb_counters(&http, &server, prefix).unwrap_or_default();
            let (blocks, level, _) = blocks_on_disk(&data);
            let compacted =
                c.compactions > 0.0 || lifetimes.iter().any(|l| l.compactions > 0.0) || level > 1;
            Ok(((c.blocks_loaded > 0.0 || blocks > 0) && compacted).then_some(c))
        },
    );
    match &settle {
        Ok(c) => lifetimes.push(*c),
        Err(e) => println!("{e}"),
    }
    server.proc.kill9()?;
    println!("final kill -9");
    server.proc.restart()?;
    let took = server.wait_ready(&http, cfg.ready_timeout)?;
    println!("restarted, ready after {took:.2?}");
    ready_times.push(took);
    let after = tsdb_counters(&http, &server, prefix).unwrap_or_default();
    let (disk_blocks, disk_level, disk_samples) = blocks_on_disk(&data);

    // Read everything back, one shard at a time, as SAMPLES and as streamed XOR chunks (whole
    // series across blocks and head: many chunks per series).
    let read_url = format!("{}/api/v1/read", server.base);
    let mut got: SeriesData<Bits> = SeriesData::new();
    let mut streamed = wire::Streamed::default();
    let mut read_errors = Vec::new();
    for shard in 0..SHARDS {
        let q = ReadQuery {
            start_ms: plan.t0 - 1,
            end_ms: plan.t(n - 1) + 1,
            matchers: vec![
                wire::matcher(Op::Eq, "__name__", METRIC),
                wire::matcher(Op::Eq, "shard", &shard.to_string()),
            ],
        };
        match wire::read_samples(&http, &read_url, &q) {
            Ok(g) => got.extend(g),
            Err(e) => read_errors.push(format!("SAMPLES, shard {shard}: {e}")),
        }
        match wire::read_streamed(&http, &read_url, &q) {
            Ok(s) => {
                streamed.series.extend(s.series);
                streamed.frames += s.frames;
                streamed.chunks += s.chunks;
                streamed.problems.extend(s.problems);
            }
            Err(e) => read_errors.push(format!("STREAMED_XOR_CHUNKS, shard {shard}: {e}")),
        }
    }
    let mut acked: SeriesData<Bits> = SeriesData::new();
    for &k in &log.acked {
        for (s, l) in plan.series.iter().enumerate() {
            acked
                .entry(fmt_labels(l))
                .or_default()
                .push((plan.t(k), Bits::of(plan.value(s, k))));
        }
    }
    let report = check_acked(&acked, &got, |key, t| plan.sent(key, t));
    let report_streamed = check_acked(&acked, &streamed.series, |key, t| plan.sent(key, t));

    for (how, r) in [
        ("SAMPLES", &report),
        ("STREAMED_XOR_CHUNKS", &report_streamed),
    ] {
        println!(
            "verification via {how}: {} acknowledged samples, {} found exact, {} missing, {} wrong value, \
             {} never written, {} series unsorted; {} samples returned",
            r.acked, r.found, r.missing, r.wrong_value, r.unexpected, r.unsorted_series, r.returned,
        );
    }
    println!(
        "  SAMPLES: {} series; STREAMED_XOR_CHUNKS: {} series in {} frames, {} chunks",
        got.len(),
        streamed.series.len(),
        streamed.frames,
        streamed.chunks
    );

    let compactions: f64 = lifetimes.iter().map(|l| l.compactions).sum::<f64>() + after.compactions;
    println!(
        "tsdb: {}blocks_loaded {} after the last restart, {}compactions_total summed over {} lifetimes: {}; \
         on disk {} blocks (max compaction level {}, {} samples); head series {}",
        prefix,
        after.blocks_loaded,
        prefix,
        lifetimes.len() + 1,
        compactions,
        disk_blocks,
        disk_level,
        disk_samples,
        after.head_series
    );
    let slowest = ready_times.iter().max().copied().unwrap_or_default();
    println!(
        "restarts: {} (slowest ready after {slowest:.2?})",
        ready_times.len()
    );

    let mut failures = Vec::new();
    for (how, r) in [
        ("SAMPLES", &report),
        ("STREAMED_XOR_CHUNKS", &report_streamed),
    ] {
        if !r.ok() {
            failures.push(format!(
                "remote read {how}: acknowledged data lost or corrupted; first problems:\n    {}",
                r.examples.join("\n    ")
            ));
        }
    }
    if !streamed.problems.is_empty() {
        failures.push(format!(
            "remote read STREAMED_XOR_CHUNKS: {} stream problems; first:\n    {}",
            streamed.problems.len(),
            streamed
                .problems
                .iter()
                .take(10)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n    ")
        ));
    }
    if report.acked == 0 {
        failures.push("no request was acknowledged".into());
    }
    if !read_errors.is_empty() {
        failures.push(format!(
            "{} of {} final remote reads failed (their shards count as missing above):\n    {}",
            read_errors.len(),
            SHARDS * 2,
            read_errors
                .iter()
                .take(8)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n    ")
        ));
    }
    if reads.incomplete + reads.error_answers > 0 {
        failures.push(format!(
            "{} of {} reads during the run missed acknowledged samples and {} failed with an error \
             status; first:\n    {}",
            reads.incomplete,
            reads.reads,
            reads.error_answers,
            reads.examples.join("\n    ")
        ));
    }
    if !log.header_problems.is_empty() {
        failures.push(format!(
            "{} remote write 2.0 answers with a wrong written-samples header; first:\n    {}",
            log.header_problems.len(),
            log.header_problems
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n    ")
        ));
    }
    if let Some(why) = &log.gave_up {
        failures.push(format!("writer gave up: {why}"));
    }
    if !log.rejected.is_empty() {
        let first: Vec<String> = log
            .rejected
            .iter()
            .take(5)
            .map(|(k, s, b)| format!("request {k}: {s} {b}"))
            .collect();
        failures.push(format!(
            "{} requests rejected with 4xx:\n    {}",
            log.rejected.len(),
            first.join("\n    ")
        ));
    }
    if after.blocks_loaded <= 0.0 && disk_blocks == 0 {
        failures.push("no blocks were cut (blocks_loaded 0 and no meta.json on disk)".into());
    }
    if compactions <= 0.0 && disk_level <= 1 {
        failures
            .push("no compaction happened (compactions_total 0 and no block above level 1)".into());
    }
    for f in &failures {
        println!("[FAIL] {f}");
    }
    if failures.is_empty() {
        println!(
            "[PASS] all {} acknowledged samples survived {} kill -9s",
            report.acked,
            points.len() + 1
        );
        work.succeeded();
    } else {
        println!("receiver log tail:\n{}", server.proc.log_tail(20));
    }
    Ok(failures.is_empty())
}
