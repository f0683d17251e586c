//! One target's scrape loop: scrapes on a fixed phase of its interval, stores each result
//! through a fresh appender, keeps the target's health for the API, and writes stale markers
//! when the target goes away.

use super::append::{self, Counts, ExtraReport, Report, SampleSettings};
use super::cache::ScrapeCache;
use super::client::ScrapeClient;
use super::metrics::ScrapeMetrics;
use crate::appender::{Appender, Metadata};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

/// Makes the appender each scrape writes through.
pub type AppenderFactory = Arc<dyn Fn() -> Box<dyn Appender> + Send + Sync>;

/// A scrape whose start is this close to its scheduled time is stored at the scheduled time,
/// so that timestamps stay evenly spaced and compress to almost nothing (Prometheus's
/// `--scrape.timestamp-tolerance`, 2 ms).
const TIMESTAMP_TOLERANCE_MS: i64 = 2;

/// How a loop is asked to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Run,
    /// The target is gone: write stale markers for its series once its next scrapes are due.
    Stale,
    /// A replacement loop takes over (or the server stops): end without markers.
    Quiet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Unknown,
    Up,
    Down,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Up => "up",
            Health::Down => "down",
        }
    }
}

/// What `/api/v1/targets` shows about the last scrape.
#[derive(Debug, Clone)]
pub struct TargetHealth {
    pub health: Health,
    pub last_error: String,
    pub last_scrape: Option<SystemTime>,
    pub last_duration: Duration,
}

impl Default for TargetHealth {
    fn default() -> Self {
        TargetHealth {
            health: Health::Unknown,
            last_error: String::new(),
            last_scrape: None,
            last_duration: Duration::ZERO,
        }
    }
}

/// State shared between a loop and the API.
#[derive(Debug, Default)]
pub struct TargetState {
    pub health: Mutex<TargetHealth>,
    /// Metadata of every family the target exposed, for `/api/v1/targets/metadata`.
    pub metadata: Mutex<HashMap<String, Metadata>>,
}

/// Everything a loop needs; fixed for its life (a changed target gets a new loop).
#[derive(Debug, Clone)]
pub struct LoopSpec {
    pub url: String,
    pub interval: Duration,
    pub timeout: Duration,
    /// Where in each interval this target is scraped, from its identity, so that targets
    /// spread over the interval and each keeps its phase across restarts.
    pub phase: Duration,
    pub samples: SampleSettings,
    pub extra_metrics: bool,
    /// Every scrape fails with this (the pool's `target_limit` is exceeded).
    pub forced_error: Option<String>,
}

/// A running loop.
#[derive(Debug)]
pub struct LoopHandle {
    stop: watch::Sender<Stop>,
    join: JoinHandle<ScrapeCache>,
}

impl LoopHandle {
    pub fn stop(&self, how: Stop) {
        let _ = self.stop.send(how);
    }

    /// Waits for the loop to end and returns its cache, for a replacement loop to continue
    /// from (its staleness tracking and series memory).
    pub async fn finish(self, how: Stop) -> ScrapeCache {
        self.stop(how);
        self.join.await.unwrap_or_default()
    }

    pub fn is_finished(&self) -> bool {
        self.join.is_finished()
    }
}

/// Starts a loop on the current runtime.
pub fn spawn(
    spec: LoopSpec,
    client: ScrapeClient,
    app: AppenderFactory,
    state: Arc<TargetState>,
    metrics: Arc<ScrapeMetrics>,
    cache: ScrapeCache,
) -> LoopHandle {
    let (tx, rx) = watch::channel(Stop::Run);
    let join = tokio::spawn(run(spec, client, app, state, metrics, cache, rx));
    LoopHandle { stop: tx, join }
}

/// Starts a loop that first waits for `previous` to end (without stale markers) and then
/// continues from its cache: a changed target's series carry on without a gap.
pub fn spawn_after(
    previous: LoopHandle,
    spec: LoopSpec,
    client: ScrapeClient,
    app: AppenderFactory,
    state: Arc<TargetState>,
    metrics: Arc<ScrapeMetrics>,
) -> LoopHandle {
    let (tx, rx) = watch::channel(Stop::Run);
    let join = tokio::spawn(async move {
        let cache = previous.finish(Stop::Quiet).await;
        run(spec, client, app, state, metrics, cache, rx).await
    });
    LoopHandle { stop: tx, join }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The first time after `now` (milliseconds) that is `phase` into an interval.
pub fn next_tick(now: i64, interval: i64, phase: i64) -> i64 {
    let interval = interval.max(1);
    let base = now - now.rem_euclid(interval) + phase.rem_euclid(interval);
    if base > now { base } else { base + interval }
}

/// Sleeps until the wall-clock time `at` (milliseconds); false if told to stop first.
async fn sleep_until(at: i64, stop: &mut watch::Receiver<Stop>) -> bool {
    let wait = Duration::from_millis(u64::try_from(at - now_ms()).unwrap_or(0));
    tokio::select! {
        _ = tokio::time::sleep(wait) => true,
        _ = stop.changed() => false,
    }
}

async fn run(
    spec: LoopSpec,
    client: ScrapeClient,
    app: AppenderFactory,
    state: Arc<TargetState>,
    metrics: Arc<ScrapeMetrics>,
    mut cache: ScrapeCache,
    mut stop: watch::Receiver<Stop>,
) -> ScrapeCache {
    let interval = i64::try_from(spec.interval.as_millis())
        .unwrap_or(i64::MAX)
        .max(1);
    let phase = i64::try_from(spec.phase.as_millis()).unwrap_or(0);
    let spec = Arc::new(spec);
    let mut next = next_tick(now_ms(), interval, phase);
    let mut scraped_once = false;
    loop {
        if *stop.borrow() != Stop::Run || !sleep_until(next, &mut stop).await {
            break;
        }
        let actual = now_ms();
        let ts = if (actual - next).abs() <= TIMESTAMP_TOLERANCE_MS {
            next
        } else {
            actual
        };
        let started = Instant::now();
        let fetched = match &spec.forced_error {
            Some(e) => Err((e.clone(), "target_limit")),
            None => tokio::select! {
                r = client.fetch(&spec.url, spec.timeout) => r.map_err(|e| (e.to_string(), e.reason())),
                _ = stop.changed() => break,
            },
        };
        let fetch_time = started.elapsed();
        let job = {
            let (spec, app, metrics) = (spec.clone(), app.clone(), metrics.clone());
            tokio::task::spawn_blocking(move || {
                let out = store(&spec, &app, &metrics, &mut cache, fetched, ts, started);
                (cache, out)
            })
        };
        let (returned, outcome) = match job.await {
            Ok(r) => r,
            Err(e) => {
                warn!(url = %spec.url, error = %e, "scrape storing task failed");
                return ScrapeCache::default();
            }
        };
        cache = returned;
        scraped_once = true;
        metrics.scrapes.fetch_add(1, Ordering::Relaxed);
        {
            let mut h = state.health.lock().unwrap_or_else(|e| e.into_inner());
            h.health = if outcome.is_ok() {
                Health::Up
            } else {
                Health::Down
            };
            h.last_error = outcome.err().unwrap_or_default();
            h.last_scrape = Some(UNIX_EPOCH + Duration::from_millis(ts.max(0) as u64));
            h.last_duration = fetch_time;
        }
        {
            let mut m = state.metadata.lock().unwrap_or_else(|e| e.into_inner());
            if m.len() != cache.metadata().len()
                || m.iter().any(|(k, v)| cache.metadata().get(k) != Some(v))
            {
                *m = cache.metadata().clone();
            }
        }
        // Missed ticks (a scrape longer than the interval) are skipped, not caught up.
        next += interval;
        let now = now_ms();
        if next <= now {
            next = next_tick(now, interval, phase);
        }
    }
    let how = *stop.borrow();
    if how == Stop::Stale && scraped_once {
        end_of_run_staleness(&spec, &app, &mut cache, &mut stop, next, interval).await;
    }
    cache
}

/// Prometheus's end-of-run staleness: the markers carry the time of the scrape that would
/// have come next, and are written a little over one more interval later, so that a target
/// that reappears under a new loop meanwhile is not marked stale.
async fn end_of_run_staleness(
    spec: &LoopSpec,
    app: &AppenderFactory,
    cache: &mut ScrapeCache,
    stop: &mut watch::Receiver<Stop>,
    next: i64,
    interval: i64,
) {
    let stale_ts = next;
    let write_at = next + interval + interval / 10;
    loop {
        let wait = Duration::from_millis(u64::try_from(write_at - now_ms()).unwrap_or(0));
        tokio::select! {
            _ = tokio::time::sleep(wait) => break,
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() == Stop::Quiet {
                    return;
                }
            }
        }
    }
    let series: Vec<_> = cache.last_written().cloned().collect();
    let target = spec.samples.target_labels.clone();
    let extra = spec.extra_metrics;
    let app = app.clone();
    let url = spec.url.clone();
    let res = tokio::task::spawn_blocking(move || {
        let mut a = app();
        let stale = f64::from_bits(promql::STALE_NAN_BITS);
        for labels in &series {
            let pairs: Vec<(&str, &str)> = labels.iter().map(|(n, v)| (&**n, &**v)).collect();
            let _ = a.append_pairs(&pairs, stale_ts, stale);
        }
        append::append_report_stale(&mut *a, &target, stale_ts, extra);
        a.commit()
    })
    .await;
    match res {
        Ok(Ok(_)) => debug!(%url, "stale markers written for a removed target"),
        Ok(Err(e)) => warn!(%url, error = %e, "writing stale markers for a removed target"),
        Err(e) => warn!(%url, error = %e, "writing stale markers for a removed target"),
    }
}

/// Stores one scrape's outcome and its report series in one commit; returns the scrape
/// error, if any, as the API shows it.
fn store(
    spec: &LoopSpec,
    app: &AppenderFactory,
    metrics: &ScrapeMetrics,
    cache: &mut ScrapeCache,
    fetched: Result<super::client::Fetched, (String, &'static str)>,
    ts: i64,
    started: Instant,
) -> Result<(), String> {
    let mut a = app();
    let mut body_len = 0u64;
    let (counts, err) = match fetched {
        Ok(f) => {
            body_len = f.body.len() as u64;
            match append::append_body(&mut *a, cache, &spec.samples, &f.body, &f.content_type, ts) {
                Ok(c) => (c, None),
                Err((e, c)) => {
                    if e == append::AppendError::SampleLimit {
                        metrics
                            .exceeded_sample_limit
                            .fetch_add(1, Ordering::Relaxed);
                    }
                    if matches!(e, append::AppendError::LabelLimit(_)) {
                        metrics
                            .exceeded_label_limits
                            .fetch_add(1, Ordering::Relaxed);
                    }
                    // Nothing of a failed append is kept; the previous series go stale.
                    a.rollback();
                    a = app();
                    append::append_failed(&mut *a, cache, ts);
                    (c, Some((e.to_string(), e.reason())))
                }
            }
        }
        Err(e) => {
            append::append_failed(&mut *a, cache, ts);
            (Counts::default(), Some(e))
        }
    };
    metrics
        .out_of_order
        .fetch_add(counts.rejected_out_of_order, Ordering::Relaxed);
    metrics
        .duplicate_timestamp
        .fetch_add(counts.rejected_duplicate, Ordering::Relaxed);
    metrics
        .out_of_bounds
        .fetch_add(counts.rejected_too_old, Ordering::Relaxed);
    let report = Report {
        up: err.is_none(),
        duration_seconds: started.elapsed().as_secs_f64(),
        counts,
        extra: spec.extra_metrics.then_some(ExtraReport {
            timeout_seconds: spec.timeout.as_secs_f64(),
            sample_limit: spec.samples.sample_limit,
            body_size_bytes: body_len,
        }),
    };
    append::append_report(&mut *a, &spec.samples.target_labels, ts, &report);
    if let Err(e) = a.commit() {
        metrics.commit_failures.fetch_add(1, Ordering::Relaxed);
        warn!(url = %spec.url, error = %e, "storing a scrape failed");
        return Err(format!("storing the scrape: {e}"));
    }
    match err {
        Some((e, reason)) => {
            debug!(url = %spec.url, error = %e, "scrape failed");
            metrics.inc_failed(reason);
            Err(e)
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_keep_their_phase() {
        assert_eq!(next_tick(10_500, 1000, 200), 11_200);
        assert_eq!(next_tick(10_100, 1000, 200), 10_200);
        assert_eq!(next_tick(10_200, 1000, 200), 11_200);
        assert_eq!(next_tick(0, 15_000, 0), 15_000);
        assert_eq!(next_tick(7, 10, 25), 15);
    }
}
