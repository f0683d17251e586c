//! The notifier: takes alerts from the rules engine, queues them, and POSTs them in batches
//! to every configured Alertmanager, as Prometheus 3's notifier does.
//!
//! Alerts get the external labels they lack and the global `alert_relabel_configs` when they
//! are queued ([`Notifier::send`]); a background loop takes up to 256 at a time (Prometheus's
//! `maxBatchSize`), applies each set's own `alert_relabel_configs`, and hands the batch to the
//! bounded queue of every Alertmanager of every set. Each Alertmanager's task POSTs from its own
//! queue as JSON to `/api/v2/alerts`, so a slow or unreachable one delays and loses only its own
//! copy (a failed POST is counted as errors and dropped). Nothing is retried: the rules engine
//! resends firing alerts on its own schedule. Every queue is bounded; when full, the oldest
//! alerts go first.

mod alert;
mod am_queue;
mod client;
pub mod config;
mod metrics;
#[cfg(test)]
mod tests;

pub use alert::Alert;
pub use config::{Alertmanager, AlertmanagerSet, parse_alertmanagers};
pub use metrics::NotifierMetrics;

use crate::promconfig::{Config, RelabelConfig};
use am_queue::AmQueue;
use client::AmClient;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Prometheus's `DefaultMaxBatchSize`.
pub const MAX_BATCH_SIZE: usize = 256;

/// Errors are logged at most this often (the count of the ones in between is logged with the
/// next), so an unreachable Alertmanager does not flood the log.
const ERROR_LOG_INTERVAL: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct NotifierOptions {
    /// `--alertmanager.notification-queue-capacity` (10000).
    pub queue_capacity: usize,
    /// `--web.external-url`, for status pages; alerts carry their own `generatorURL`.
    pub external_url: String,
    /// How long [`Notifier::stop`] keeps sending what is queued.
    pub drain_timeout: Duration,
    /// Alerts per POST; [`MAX_BATCH_SIZE`] unless a test wants fewer.
    pub max_batch_size: usize,
}

impl Default for NotifierOptions {
    fn default() -> Self {
        NotifierOptions {
            queue_capacity: 10_000,
            external_url: String::new(),
            drain_timeout: Duration::from_secs(10),
            max_batch_size: MAX_BATCH_SIZE,
        }
    }
}

/// A configured set with its client and the Alertmanagers discovery found for it.
#[derive(Debug)]
struct SetRuntime {
    cfg: AlertmanagerSet,
    client: AmClient,
    /// Active (deduplicated) and dropped Alertmanagers.
    found: RwLock<(Vec<Alertmanager>, Vec<Alertmanager>)>,
}

impl SetRuntime {
    fn refresh(&self) {
        let found = self.cfg.resolve(&self.cfg.target_groups());
        if let Ok(mut f) = self.found.write() {
            *f = found;
        }
    }
    fn active_urls(&self) -> Vec<String> {
        self.found
            .read()
            .map(|f| f.0.iter().map(|a| a.url.clone()).collect())
            .unwrap_or_default()
    }
}

#[derive(Debug, Default)]
struct State {
    queue: VecDeque<Alert>,
    external_labels: BTreeMap<String, String>,
    relabel: Vec<RelabelConfig>,
    sets: Vec<Arc<SetRuntime>>,
    /// One queue and sending task per Alertmanager, keyed by its set (identity) and URL.
    queues: BTreeMap<(usize, String), (Arc<AmQueue>, JoinHandle<()>)>,
}

#[derive(Debug, Default)]
struct ErrorLog {
    last: Option<Instant>,
    suppressed: u64,
}

/// The alert queue and its sender. Shared as `Arc<Notifier>`; every method takes `&self`.
#[derive(Debug)]
pub struct Notifier {
    opts: NotifierOptions,
    metrics: Arc<NotifierMetrics>,
    state: Mutex<State>,
    more: Notify,
    stopping: AtomicBool,
    me: Weak<Notifier>,
    send_loop: Mutex<Option<JoinHandle<()>>>,
    discovery: Mutex<Option<JoinHandle<()>>>,
    error_log: Mutex<ErrorLog>,
}

impl Notifier {
    /// A notifier with no Alertmanagers: alerts sent before [`Notifier::apply_config`] wait
    /// in the queue.
    pub fn new(opts: NotifierOptions, metrics: Arc<NotifierMetrics>) -> Arc<Notifier> {
        metrics
            .queue_capacity
            .store(opts.queue_capacity as u64, Ordering::Relaxed);
        Arc::new_cyclic(|me| Notifier {
            opts,
            metrics,
            state: Mutex::new(State::default()),
            more: Notify::new(),
            stopping: AtomicBool::new(false),
            me: me.clone(),
            send_loop: Mutex::new(None),
            discovery: Mutex::new(None),
            error_log: Mutex::new(ErrorLog::default()),
        })
    }

    pub fn options(&self) -> &NotifierOptions {
        &self.opts
    }

    pub fn metrics(&self) -> &Arc<NotifierMetrics> {
        &self.metrics
    }

    /// Takes the external labels, `alert_relabel_configs` and Alertmanager sets of `cfg`, and
    /// starts sending. On error nothing changes. Must run inside a tokio runtime.
    pub fn apply_config(&self, cfg: &Config) -> Result<(), String> {
        let sets = parse_alertmanagers(cfg)?;
        let mut runtimes = Vec::with_capacity(sets.len());
        for set in sets {
            let client = AmClient::new(&set.http, set.base_dir.clone(), set.timeout)
                .map_err(|e| format!("{}: {e}", set.name))?;
            let rt = SetRuntime {
                cfg: set,
                client,
                found: RwLock::new((Vec::new(), Vec::new())),
            };
            rt.refresh();
            runtimes.push(Arc::new(rt));
        }
        let refresh = runtimes
            .iter()
            .flat_map(|s| &s.cfg.file_sd_configs)
            .map(|sd| sd.refresh_interval.0)
            .min();
        if let Ok(mut st) = self.state.lock() {
            st.external_labels = cfg.global.external_labels.clone();
            st.relabel = cfg.alerting.alert_relabel_configs.clone();
            st.sets = runtimes;
        }
        self.update_discovered();
        self.start_discovery(refresh);
        self.ensure_running();
        Ok(())
    }

    /// Queues `alerts` after external labels and the global `alert_relabel_configs`; never
    /// waits. When the queue would overflow, the oldest alerts are dropped and counted.
    pub fn send(&self, alerts: Vec<Alert>) {
        if self.stopping.load(Ordering::Relaxed) {
            self.metrics.add_dropped(alerts.len());
            return;
        }
        let cap = self.opts.queue_capacity;
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        let mut alerts: Vec<Alert> = alerts
            .iter()
            .filter_map(|a| alert::relabel(a, &st.external_labels, &st.relabel))
            .collect();
        if alerts.is_empty() {
            return;
        }
        if alerts.len() > cap {
            let d = alerts.len() - cap;
            alerts.drain(..d);
            tracing::warn!(
                num_dropped = d,
                "Alert batch larger than queue capacity, dropping alerts"
            );
            self.metrics.add_dropped(d);
        }
        let over = (st.queue.len() + alerts.len()).saturating_sub(cap);
        if over > 0 {
            st.queue.drain(..over);
            tracing::warn!(
                num_dropped = over,
                "Alert notification queue full, dropping alerts"
            );
            self.metrics.add_dropped(over);
        }
        st.queue.extend(alerts);
        self.metrics
            .queue_length
            .store(st.queue.len() as u64, Ordering::Relaxed);
        drop(st);
        self.more.notify_one();
        self.ensure_running();
    }

    /// URLs of the active and of the dropped Alertmanagers, set by set.
    pub fn alertmanagers(&self) -> (Vec<String>, Vec<String>) {
        let sets = self.sets();
        let mut active = Vec::new();
        let mut dropped = Vec::new();
        for s in &sets {
            if let Ok(f) = s.found.read() {
                active.extend(f.0.iter().map(|a| a.url.clone()));
                dropped.extend(f.1.iter().map(|a| a.url.clone()));
            }
        }
        (active, dropped)
    }

    /// Stops sending: what is queued is still sent for up to `drain_timeout`, then the rest
    /// is counted as dropped. Later [`Notifier::send`] calls only count drops.
    pub async fn stop(&self) {
        self.stopping.store(true, Ordering::Relaxed);
        self.more.notify_one();
        if let Some(h) = self.discovery.lock().ok().and_then(|mut d| d.take()) {
            h.abort();
        }
        let handle = self.send_loop.lock().ok().and_then(|mut l| l.take());
        if let Some(h) = handle {
            let _ = h.await;
        }
        // What is still in the intake goes to the Alertmanagers' queues (no network here).
        loop {
            let batch = self.next_batch();
            if batch.is_empty() {
                break;
            }
            self.dispatch(batch);
        }
        let queues: Vec<(Arc<AmQueue>, JoinHandle<()>)> = self
            .state
            .lock()
            .map(|mut st| std::mem::take(&mut st.queues).into_values().collect())
            .unwrap_or_default();
        for (q, _) in &queues {
            q.close();
        }
        // One deadline for everything: queues draining, then the last POSTs ending.
        let deadline = tokio::time::Instant::now() + self.opts.drain_timeout;
        let drained = tokio::time::timeout_at(deadline, async {
            for (q, _) in &queues {
                while q.len() > 0 {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        })
        .await;
        if drained.is_err() {
            let left: usize = queues.iter().map(|(q, _)| q.clear()).sum();
            if left > 0 {
                tracing::warn!(
                    count = left,
                    "Notification queue not drained before shutdown, dropping alerts"
                );
                self.metrics.add_dropped(left);
            }
        }
        for (_, mut h) in queues {
            if tokio::time::timeout_at(deadline, &mut h).await.is_err() {
                h.abort();
            }
        }
        self.metrics.queue_length.store(0, Ordering::Relaxed);
    }

    fn sets(&self) -> Vec<Arc<SetRuntime>> {
        self.state
            .lock()
            .map(|s| s.sets.clone())
            .unwrap_or_default()
    }

    fn update_discovered(&self) {
        let n: usize = self.sets().iter().map(|s| s.active_urls().len()).sum();
        self.metrics
            .alertmanagers_discovered
            .store(n as u64, Ordering::Relaxed);
    }

    /// Starts the send loop once, when a runtime is at hand.
    fn ensure_running(&self) {
        if self.stopping.load(Ordering::Relaxed) {
            return;
        }
        let Ok(mut slot) = self.send_loop.lock() else {
            return;
        };
        if slot.is_some() || tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let Some(me) = self.me.upgrade() else {
            return;
        };
        *slot = Some(tokio::spawn(async move { me.run().await }));
    }

    /// Re-reads `file_sd` files every `every` (the smallest `refresh_interval` of the sets
    /// that have any), replacing the previous refresher.
    fn start_discovery(&self, every: Option<Duration>) {
        let Ok(mut slot) = self.discovery.lock() else {
            return;
        };
        if let Some(h) = slot.take() {
            h.abort();
        }
        let (Some(every), Ok(_)) = (every, tokio::runtime::Handle::try_current()) else {
            return;
        };
        let me = self.me.clone();
        *slot = Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(every.max(Duration::from_secs(1)));
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(n) = me.upgrade() else {
                    return;
                };
                for s in n.sets() {
                    if !s.cfg.file_sd_configs.is_empty() {
                        s.refresh();
                    }
                }
                n.update_discovered();
            }
        }));
    }

    async fn run(self: Arc<Self>) {
        loop {
            if self.stopping.load(Ordering::Relaxed) {
                return;
            }
            let batch = self.next_batch();
            if batch.is_empty() {
                self.more.notified().await;
                continue;
            }
            self.dispatch(batch);
        }
    }

    fn next_batch(&self) -> Vec<Alert> {
        let Ok(mut st) = self.state.lock() else {
            return Vec::new();
        };
        let n = st.queue.len().min(self.opts.max_batch_size.max(1));
        let batch: Vec<Alert> = st.queue.drain(..n).collect();
        self.metrics
            .queue_length
            .store(st.queue.len() as u64, Ordering::Relaxed);
        batch
    }

    /// Hands a batch to the queue of every Alertmanager of every set (with the set's own
    /// `alert_relabel_configs`), starting queues for newly discovered Alertmanagers and closing
    /// those no longer discovered (they send what they hold, then end).
    fn dispatch(&self, batch: Vec<Alert>) {
        let sets = self.sets();
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        let mut live = BTreeSet::new();
        for set in &sets {
            let own: Vec<Alert> = if set.cfg.alert_relabel_configs.is_empty() {
                batch.clone()
            } else {
                batch
                    .iter()
                    .filter_map(|a| {
                        alert::relabel(a, &BTreeMap::new(), &set.cfg.alert_relabel_configs)
                    })
                    .collect()
            };
            for url in set.active_urls() {
                let key = (Arc::as_ptr(set) as usize, url.clone());
                live.insert(key.clone());
                let q = match st.queues.get(&key) {
                    Some((q, _)) => q.clone(),
                    None => {
                        let q = Arc::new(AmQueue::new(
                            url,
                            set.client.clone(),
                            self.opts.queue_capacity,
                            self.opts.max_batch_size,
                        ));
                        let me = self.me.clone();
                        let task = tokio::spawn(q.clone().run(
                            self.metrics.clone(),
                            move |url: &str, n: usize, e: &str| {
                                if let Some(m) = me.upgrade() {
                                    m.log_error(url, n, e);
                                }
                            },
                        ));
                        st.queues.insert(key, (q.clone(), task));
                        q
                    }
                };
                if !own.is_empty() {
                    q.push(&own, &self.metrics);
                }
            }
        }
        st.queues.retain(|k, (q, _)| {
            let keep = live.contains(k);
            if !keep {
                q.close();
            }
            keep
        });
        let queued = st.queue.len() + st.queues.values().map(|(q, _)| q.len()).sum::<usize>();
        self.metrics
            .queue_length
            .store(queued as u64, Ordering::Relaxed);
    }

    fn log_error(&self, url: &str, count: usize, err: &str) {
        let Ok(mut log) = self.error_log.lock() else {
            return;
        };
        let now = Instant::now();
        if log
            .last
            .is_some_and(|t| now.duration_since(t) < ERROR_LOG_INTERVAL)
        {
            log.suppressed += 1;
            return;
        }
        let suppressed = std::mem::take(&mut log.suppressed);
        log.last = Some(now);
        tracing::error!(
            alertmanager = url,
            count,
            suppressed,
            "Error sending alerts: {err}"
        );
    }
}
