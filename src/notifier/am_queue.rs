//! One Alertmanager's bounded queue and the task that sends from it, so that a slow or
//! unreachable Alertmanager delays and loses only its own copy of the alerts.

use super::alert::{self, Alert};
use super::client::AmClient;
use super::metrics::NotifierMetrics;
use bytes::Bytes;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::Notify;

#[derive(Debug)]
pub(super) struct AmQueue {
    pub url: String,
    client: AmClient,
    alerts: Mutex<VecDeque<Alert>>,
    more: Notify,
    capacity: usize,
    max_batch: usize,
    /// Send what is queued, then end.
    closing: AtomicBool,
}

impl AmQueue {
    pub fn new(url: String, client: AmClient, capacity: usize, max_batch: usize) -> Self {
        AmQueue {
            url,
            client,
            alerts: Mutex::new(VecDeque::new()),
            more: Notify::new(),
            capacity: capacity.max(1),
            max_batch: max_batch.max(1),
            closing: AtomicBool::new(false),
        }
    }

    /// Queues `alerts`; when the queue would overflow, its oldest alerts are dropped and
    /// counted.
    pub fn push(&self, alerts: &[Alert], metrics: &NotifierMetrics) {
        let Ok(mut q) = self.alerts.lock() else {
            return;
        };
        let skip = alerts.len().saturating_sub(self.capacity);
        let incoming = &alerts[skip..];
        let over = (q.len() + incoming.len()).saturating_sub(self.capacity);
        let over = over.min(q.len());
        q.drain(..over);
        q.extend(incoming.iter().cloned());
        drop(q);
        if skip + over > 0 {
            tracing::warn!(
                alertmanager = %self.url,
                num_dropped = skip + over,
                "Alert notification queue full, dropping alerts"
            );
            metrics.add_dropped(skip + over);
        }
        self.more.notify_one();
    }

    pub fn len(&self) -> usize {
        self.alerts.lock().map(|q| q.len()).unwrap_or(0)
    }

    /// Empties the queue; returns how many alerts it held.
    pub fn clear(&self) -> usize {
        self.alerts
            .lock()
            .map(|mut q| std::mem::take(&mut *q).len())
            .unwrap_or(0)
    }

    /// Lets the task end once the queue is empty.
    pub fn close(&self) {
        self.closing.store(true, Ordering::Relaxed);
        self.more.notify_one();
    }

    fn next_batch(&self) -> Vec<Alert> {
        let Ok(mut q) = self.alerts.lock() else {
            return Vec::new();
        };
        let n = q.len().min(self.max_batch);
        q.drain(..n).collect()
    }

    /// Sends batches until closed and empty. A failed POST loses this Alertmanager's copy of
    /// the batch (counted as dropped and as errors); nothing is retried, since the rules engine
    /// resends firing alerts on its own schedule.
    pub async fn run(
        self: Arc<Self>,
        metrics: Arc<NotifierMetrics>,
        on_error: impl Fn(&str, usize, &str) + Send,
    ) {
        loop {
            let batch = self.next_batch();
            if batch.is_empty() {
                if self.closing.load(Ordering::Relaxed) {
                    return;
                }
                self.more.notified().await;
                continue;
            }
            let count = batch.len();
            let begin = Instant::now();
            let res = self
                .client
                .post(&self.url, Bytes::from(alert::encode(&batch)))
                .await;
            metrics.record_send(&self.url, count, res.is_err(), begin.elapsed());
            if let Err(e) = res {
                metrics.add_dropped(count);
                on_error(&self.url, count, &e);
            }
        }
    }
}
