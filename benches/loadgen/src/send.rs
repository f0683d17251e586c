//! Sending the pre-encoded requests: one thread and one keep-alive connection per shard, each
//! shard's requests in order, shards kept within `max_lag` of data time of each other (as
//! Prometheus's shards stay close), 5xx and 429 retried as Prometheus does, 4xx counted as rejected.

use crate::http::{Conn, Url};
use crate::payload::{Payloads, Request};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

/// Attempts per request for retryable failures (I/O errors, 5xx, 429).
const ATTEMPTS: u32 = 5;
/// Longest a shard waits for slower shards before sending anyway.
const MAX_LAG_WAIT: Duration = Duration::from_secs(60);

/// Outcome of sending all shards.
#[derive(Debug, Default, Clone)]
pub struct SendStats {
    pub requests_ok: u64,
    pub samples_ok: u64,
    pub requests_rejected: u64,
    pub samples_rejected: u64,
    pub retries: u64,
    pub first_error: Option<String>,
    pub wall: Duration,
}

/// Sends everything in `payloads` to `url`; returns when every request got a final answer.
pub fn send_all(url: &Url, payloads: &Payloads, max_lag_ms: i64, timeout: Duration) -> SendStats {
    let progress: Vec<AtomicI64> = payloads
        .shards
        .iter()
        .map(|reqs| AtomicI64::new(reqs.first().map_or(i64::MAX, |r| r.min_t)))
        .collect();
    let start = Instant::now();
    let results: Vec<SendStats> = std::thread::scope(|scope| {
        let handles: Vec<_> = payloads
            .shards
            .iter()
            .enumerate()
            .map(|(i, reqs)| {
                let progress = &progress;
                scope.spawn(move || send_shard(url, reqs, i, progress, max_lag_ms, timeout))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("sender thread panicked"))
            .collect()
    });
    let mut total = SendStats {
        wall: start.elapsed(),
        ..Default::default()
    };
    for r in results {
        total.requests_ok += r.requests_ok;
        total.samples_ok += r.samples_ok;
        total.requests_rejected += r.requests_rejected;
        total.samples_rejected += r.samples_rejected;
        total.retries += r.retries;
        total.first_error = total.first_error.or(r.first_error);
    }
    total
}

fn send_shard(
    url: &Url,
    reqs: &[Request],
    me: usize,
    progress: &[AtomicI64],
    max_lag_ms: i64,
    timeout: Duration,
) -> SendStats {
    let mut conn = Conn::new(url.clone(), timeout);
    let mut st = SendStats::default();
    for (n, req) in reqs.iter().enumerate() {
        wait_for_slower_shards(req, progress, max_lag_ms);
        let mut outcome = Err(String::new());
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                st.retries += 1;
                std::thread::sleep(Duration::from_millis(50 << attempt));
            }
            match conn.post_remote_write(&req.body) {
                Ok(r) if (200..300).contains(&r.status) => {
                    outcome = Ok(());
                    break;
                }
                Ok(r) => {
                    let msg = format!(
                        "HTTP {}: {}",
                        r.status,
                        String::from_utf8_lossy(&r.body).trim()
                    );
                    outcome = Err(msg);
                    if r.status != 429 && r.status < 500 {
                        break;
                    }
                }
                Err(e) => outcome = Err(format!("I/O: {e}")),
            }
        }
        match outcome {
            Ok(()) => {
                st.requests_ok += 1;
                st.samples_ok += u64::from(req.samples);
            }
            Err(msg) => {
                st.requests_rejected += 1;
                st.samples_rejected += u64::from(req.samples);
                st.first_error.get_or_insert(msg);
            }
        }
        let next = reqs.get(n + 1).map_or(i64::MAX, |r| r.min_t);
        progress[me].store(next, Ordering::Release);
    }
    st
}

/// Blocks (bounded) while `req` is more than `max_lag_ms` of data time ahead of the slowest shard.
fn wait_for_slower_shards(req: &Request, progress: &[AtomicI64], max_lag_ms: i64) {
    let deadline = Instant::now() + MAX_LAG_WAIT;
    loop {
        let slowest = progress
            .iter()
            .map(|p| p.load(Ordering::Acquire))
            .min()
            .unwrap_or(i64::MAX);
        if req.max_t <= slowest.saturating_add(max_lag_ms) || Instant::now() >= deadline {
            return;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}
