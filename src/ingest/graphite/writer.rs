//! The one thread that turns received lines into appends and commits them.
//!
//! Receivers hand over whole lines in [`Batch`]es through a bounded channel (so a fast sender
//! is slowed down instead of buffered without limit). The writer appends batch after batch and
//! commits when the channel is momentarily empty or `commit_samples` are staged: a trickle is
//! visible at once, a flood is committed in large groups. It exits, after a last commit, when
//! every receiver has dropped its sender, so a clean shutdown loses nothing that was read.

use super::metrics::GraphiteMetrics;
use crate::appender::{Appender, SampleError};
use compat::graphite::{Line, LineError, Mapping, Timestamp, parse_line};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tracing::{error, warn};

/// Complete lines from one read or datagram, each ending in `\n`.
#[derive(Debug)]
pub struct Batch {
    pub lines: Vec<u8>,
    /// When the bytes arrived, ms: the timestamp of lines that say "now".
    pub received_ms: i64,
    /// Lines the framer dropped as too long before this batch.
    pub too_long: usize,
    pub peer: SocketAddr,
}

/// Creates the appender for the next group of batches.
pub type AppenderFactory = Box<dyn Fn() -> Box<dyn Appender> + Send>;

/// At most one warning per `every`, with how many were held back since the last one.
#[derive(Debug)]
struct LogLimit {
    every: Duration,
    next: Option<Instant>,
    suppressed: u64,
}

impl LogLimit {
    fn new(every: Duration) -> Self {
        LogLimit {
            every,
            next: None,
            suppressed: 0,
        }
    }

    /// Whether to log now; if so, returns how many messages were suppressed before.
    fn allow(&mut self) -> Option<u64> {
        let now = Instant::now();
        if self.next.is_some_and(|n| now < n) {
            self.suppressed += 1;
            return None;
        }
        self.next = Some(now + self.every);
        Some(std::mem::take(&mut self.suppressed))
    }
}

const LOG_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub struct Writer<'m> {
    mapping: &'m Mapping,
    metrics: &'m GraphiteMetrics,
    bad_line_log: LogLimit,
    refused_log: LogLimit,
    /// Samples appended since the last commit.
    staged: u64,
}

impl<'m> Writer<'m> {
    pub fn new(mapping: &'m Mapping, metrics: &'m GraphiteMetrics) -> Self {
        Writer {
            mapping,
            metrics,
            bad_line_log: LogLimit::new(LOG_EVERY),
            refused_log: LogLimit::new(LOG_EVERY),
            staged: 0,
        }
    }

    /// Receives until every sender is gone.
    pub fn run(
        mut self,
        mut rx: mpsc::Receiver<Batch>,
        new_appender: &AppenderFactory,
        commit_samples: u64,
    ) {
        while let Some(first) = rx.blocking_recv() {
            let mut app = new_appender();
            self.append_batch(app.as_mut(), &first);
            while self.staged < commit_samples {
                match rx.try_recv() {
                    Ok(b) => self.append_batch(app.as_mut(), &b),
                    Err(_) => break,
                }
            }
            self.commit(app);
        }
    }

    /// Appends every line of `batch`, counting and logging those that cannot be stored.
    pub fn append_batch(&mut self, app: &mut dyn Appender, batch: &Batch) {
        if batch.too_long > 0 {
            self.metrics.reject("too_long", batch.too_long as u64);
            if let Some(n) = self.bad_line_log.allow() {
                warn!(peer = %batch.peer, lines = batch.too_long, suppressed = n,
                    "graphite: dropped lines longer than --graphite.max-line-length");
            }
        }
        for raw in batch.lines.split(|&b| b == b'\n') {
            match parse_line(raw) {
                Ok(Some(line)) => self.append_line(app, &line, batch),
                Ok(None) => {}
                Err(e) => self.bad_line(&e, raw, batch.peer),
            }
        }
    }

    fn append_line(&mut self, app: &mut dyn Appender, line: &Line<'_>, batch: &Batch) {
        let t = match line.timestamp {
            Timestamp::Now => batch.received_ms,
            Timestamp::Millis(t) => t,
        };
        let mapped = self.mapping.apply(line.path);
        let result = if mapped.is_none() && !line.is_tagged() {
            app.append_pairs(&[("__name__", line.path)], t, line.value)
        } else {
            let name = mapped.as_ref().map_or(line.path, |m| m.name.as_str());
            let mut pairs: Vec<(&str, &str)> = Vec::new();
            let mapped_labels = mapped.iter().flat_map(|m| &m.labels);
            for (k, v) in mapped_labels
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .chain(line.tags())
            {
                // Later wins: a sender's tag over a template's label, the last of repeated tags.
                match pairs.iter_mut().find(|p| p.0 == k) {
                    Some(p) => p.1 = v,
                    None => pairs.push((k, v)),
                }
            }
            pairs.push(("__name__", name));
            pairs.sort_unstable_by(|a, b| a.0.cmp(b.0));
            app.append_pairs(&pairs, t, line.value)
        };
        match result {
            Ok(()) => self.staged += 1,
            Err(e) => self.refused(&e, line.path, t, batch.peer),
        }
    }

    fn bad_line(&mut self, e: &LineError, raw: &[u8], peer: SocketAddr) {
        self.metrics.reject(e.kind.reason(), 1);
        if let Some(n) = self.bad_line_log.allow() {
            let shown = String::from_utf8_lossy(&raw[..raw.len().min(200)]);
            warn!(%peer, error = %e, line = %shown, suppressed = n, "graphite: invalid line");
        }
    }

    fn refused(&mut self, e: &SampleError, path: &str, t: i64, peer: SocketAddr) {
        self.metrics.reject(e.reason(), 1);
        if let Some(n) = self.refused_log.allow() {
            warn!(%peer, error = %e, path, t, suppressed = n, "graphite: sample not stored");
        }
    }

    /// Commits what is staged; the count goes to `samples_received` or, when the commit
    /// fails, to the `commit_failed` rejections.
    pub fn commit(&mut self, app: Box<dyn Appender>) {
        let n = std::mem::take(&mut self.staged);
        match app.commit() {
            Ok(_) => {
                self.metrics
                    .samples_received
                    .fetch_add(n, std::sync::atomic::Ordering::Relaxed);
            }
            Err(e) => {
                self.metrics.reject("commit_failed", n);
                error!(error = %e, samples = n, "graphite: commit failed, samples lost");
            }
        }
    }
}
