//! The notifier's counters for `/metrics`: Prometheus's `prometheus_notifications_*` under
//! the `strata_` prefix, with the `alertmanager` label (the URL) where Prometheus has it.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Debug, Default, Clone, Copy)]
struct PerAlertmanager {
    sent: u64,
    errors: u64,
    latency_sum: f64,
    latency_count: u64,
}

#[derive(Debug, Default)]
pub struct NotifierMetrics {
    /// Alerts dropped: by a queue overflow, by a failed POST (that Alertmanager's copy), or
    /// left in a queue at shutdown.
    pub dropped: AtomicU64,
    pub queue_length: AtomicU64,
    pub queue_capacity: AtomicU64,
    pub alertmanagers_discovered: AtomicU64,
    per_am: Mutex<BTreeMap<String, PerAlertmanager>>,
}

impl NotifierMetrics {
    /// One POST of `count` alerts to the Alertmanager at `url`, as Prometheus counts it:
    /// `sent` whatever the outcome, `errors` when it failed.
    pub fn record_send(&self, url: &str, count: usize, failed: bool, took: Duration) {
        let Ok(mut m) = self.per_am.lock() else {
            return;
        };
        let e = m.entry(url.to_string()).or_default();
        e.sent += count as u64;
        if failed {
            e.errors += count as u64;
        }
        e.latency_sum += took.as_secs_f64();
        e.latency_count += 1;
    }

    pub fn add_dropped(&self, n: usize) {
        self.dropped.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Sent alerts to `url` so far (for tests and status pages).
    pub fn sent(&self, url: &str) -> u64 {
        self.per_am
            .lock()
            .ok()
            .and_then(|m| m.get(url).map(|p| p.sent))
            .unwrap_or(0)
    }

    /// Alerts whose POST to `url` failed so far.
    pub fn errors(&self, url: &str) -> u64 {
        self.per_am
            .lock()
            .ok()
            .and_then(|m| m.get(url).map(|p| p.errors))
            .unwrap_or(0)
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Appends the exposition text for every notifier series.
    pub fn render(&self, out: &mut String) {
        let per_am: Vec<(String, PerAlertmanager)> = self
            .per_am
            .lock()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), *v)).collect())
            .unwrap_or_default();
        let head = |out: &mut String, name: &str, kind: &str, help: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        let name = "strata_notifications_latency_seconds";
        head(
            out,
            name,
            "summary",
            "Latency of sending alert notifications.",
        );
        for (url, p) in &per_am {
            let l = escape(url);
            let _ = writeln!(out, "{name}_sum{{alertmanager=\"{l}\"}} {}", p.latency_sum);
            let _ = writeln!(
                out,
                "{name}_count{{alertmanager=\"{l}\"}} {}",
                p.latency_count
            );
        }
        for (name, help, get) in [
            (
                "strata_notifications_errors_total",
                "Total number of sent alerts affected by errors.",
                (|p: &PerAlertmanager| p.errors) as fn(&PerAlertmanager) -> u64,
            ),
            (
                "strata_notifications_sent_total",
                "Total number of alerts sent.",
                |p: &PerAlertmanager| p.sent,
            ),
        ] {
            head(out, name, "counter", help);
            for (url, p) in &per_am {
                let _ = writeln!(out, "{name}{{alertmanager=\"{}\"}} {}", escape(url), get(p));
            }
        }
        let ld = |a: &AtomicU64| a.load(Ordering::Relaxed);
        for (name, kind, help, v) in [
            (
                "strata_notifications_dropped_total",
                "counter",
                "Total number of alerts dropped due to errors when sending to Alertmanager.",
                ld(&self.dropped),
            ),
            (
                "strata_notifications_queue_length",
                "gauge",
                "The number of alert notifications in the queue.",
                ld(&self.queue_length),
            ),
            (
                "strata_notifications_queue_capacity",
                "gauge",
                "The capacity of the alert notifications queue.",
                ld(&self.queue_capacity),
            ),
            (
                "strata_notifications_alertmanagers_discovered",
                "gauge",
                "The number of alertmanagers discovered and active.",
                ld(&self.alertmanagers_discovered),
            ),
        ] {
            head(out, name, kind, help);
            let _ = writeln!(out, "{name} {v}");
        }
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
