//! Strata's own counters about scraping and configuration reloads, for `/metrics`.

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Why scrapes fail, as `strata_target_scrapes_failed_total{reason=...}` counts them.
pub const FAILURE_REASONS: [&str; 11] = [
    "connection",
    "timeout",
    "http_status",
    "body_size_limit",
    "client_config",
    "content_type",
    "parse",
    "sample_limit",
    "label_limit",
    "invalid_labels",
    "target_limit",
];

#[derive(Debug, Default)]
pub struct ScrapeMetrics {
    pub scrapes: AtomicU64,
    pub failed: [AtomicU64; FAILURE_REASONS.len()],
    pub exceeded_sample_limit: AtomicU64,
    pub exceeded_label_limits: AtomicU64,
    pub out_of_order: AtomicU64,
    pub duplicate_timestamp: AtomicU64,
    pub out_of_bounds: AtomicU64,
    pub commit_failures: AtomicU64,
    pub active_targets: AtomicU64,
    pub dropped_targets: AtomicU64,
    pub reloads_failed: AtomicU64,
    /// 1 when the last reload applied, 0 when it was rejected.
    pub last_reload_successful: AtomicU64,
    pub last_reload_success_seconds: AtomicI64,
}

impl ScrapeMetrics {
    pub fn inc_failed(&self, reason: &str) {
        if let Some(i) = FAILURE_REASONS.iter().position(|r| *r == reason) {
            self.failed[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn render(&self, out: &mut String) {
        let ld = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let name = "strata_target_scrapes_failed_total";
        let _ = writeln!(
            out,
            "# HELP {name} Scrapes that failed (up 0), by reason.\n# TYPE {name} counter"
        );
        for (i, r) in FAILURE_REASONS.iter().enumerate() {
            let _ = writeln!(out, "{name}{{reason=\"{r}\"}} {}", ld(&self.failed[i]));
        }
        let series: [(&str, &str, &str, u64); 11] = [
            (
                "strata_target_scrapes_total",
                "counter",
                "Scrapes performed.",
                ld(&self.scrapes),
            ),
            (
                "strata_target_scrapes_exceeded_sample_limit_total",
                "counter",
                "Scrapes that hit sample_limit and were rejected.",
                ld(&self.exceeded_sample_limit),
            ),
            (
                "strata_target_scrapes_exceeded_label_limits_total",
                "counter",
                "Scrapes that hit a label limit and were rejected.",
                ld(&self.exceeded_label_limits),
            ),
            (
                "strata_target_scrapes_sample_out_of_order_total",
                "counter",
                "Scraped samples rejected as out of order.",
                ld(&self.out_of_order),
            ),
            (
                "strata_target_scrapes_sample_duplicate_timestamp_total",
                "counter",
                "Scraped samples rejected for a repeated timestamp with another value.",
                ld(&self.duplicate_timestamp),
            ),
            (
                "strata_target_scrapes_sample_out_of_bounds_total",
                "counter",
                "Scraped samples rejected as older than the store accepts.",
                ld(&self.out_of_bounds),
            ),
            (
                "strata_target_scrape_commit_failures_total",
                "counter",
                "Scrapes whose samples could not be written to the WAL.",
                ld(&self.commit_failures),
            ),
            (
                "strata_target_active",
                "gauge",
                "Targets being scraped.",
                ld(&self.active_targets),
            ),
            (
                "strata_target_dropped",
                "gauge",
                "Discovered targets dropped by relabeling.",
                ld(&self.dropped_targets),
            ),
            (
                "strata_config_reloads_failed_total",
                "counter",
                "Configuration reloads rejected.",
                ld(&self.reloads_failed),
            ),
            (
                "strata_config_last_reload_successful",
                "gauge",
                "Whether the last configuration reload attempt was successful.",
                ld(&self.last_reload_successful),
            ),
        ];
        for (name, kind, help, v) in series {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}"
            );
        }
        let name = "strata_config_last_reload_success_timestamp_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Timestamp of the last successful configuration reload.\n# TYPE {name} gauge\n{name} {}",
            self.last_reload_success_seconds.load(Ordering::Relaxed)
        );
    }
}
