//! Strata's own metrics, exposed on `/metrics` in the Prometheus text format.
//!
//! A handful of atomics rendered by hand: the set is small and fixed, and this keeps the hot
//! path to one relaxed add.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Reasons a sample is refused, in the order of `samples_rejected`.
pub const REJECT_REASONS: [&str; 5] = [
    "out_of_order",
    "too_old",
    "duplicate_timestamp",
    "invalid_series",
    "too_old_at_commit",
];

#[derive(Debug, Default)]
pub struct Metrics {
    pub samples_appended: AtomicU64,
    pub ooo_samples_appended: AtomicU64,
    pub samples_rejected: [AtomicU64; REJECT_REASONS.len()],
    pub series_created: AtomicU64,
    pub series_removed: AtomicU64,
    pub commits: AtomicU64,
    pub commit_failures: AtomicU64,
    pub head_truncations: AtomicU64,
    pub compactions: AtomicU64,
    pub compaction_failures: AtomicU64,
    pub blocks_deleted_retention: AtomicU64,
    pub remote_write_requests: AtomicU64,
    pub remote_write_rejected_requests: AtomicU64,
    pub remote_read_requests: AtomicU64,
    pub metadata_updates: AtomicU64,
    /// Counters of the Graphite listeners (shared with their writer thread).
    pub graphite: std::sync::Arc<crate::ingest::graphite::GraphiteMetrics>,
    pub influx: crate::ingest::influx::InfluxMetrics,
    /// Scrape and configuration-reload counters.
    pub scrape: std::sync::Arc<crate::scrape::ScrapeMetrics>,
    /// Alert notification counters.
    pub notifier: std::sync::Arc<crate::notifier::NotifierMetrics>,
}

impl Metrics {
    pub fn inc_rejected(&self, reason: &str) {
        if let Some(i) = REJECT_REASONS.iter().position(|r| *r == reason) {
            self.samples_rejected[i].fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Gauges read at scrape time from the live database.
#[derive(Debug, Default, Clone)]
pub struct Gauges {
    pub head_series: u64,
    pub head_chunk_bytes: u64,
    pub head_min_time: i64,
    pub head_max_time: i64,
    pub blocks_loaded: u64,
    pub blocks_bytes: u64,
    pub wal_bytes: u64,
    pub wal_fsyncs: u64,
    pub wal_bytes_written: u64,
    pub ready: bool,
}

fn counter(out: &mut String, name: &str, help: &str, v: u64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
    );
}

fn gauge(out: &mut String, name: &str, help: &str, v: impl std::fmt::Display) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {v}");
}

/// Renders everything in the text exposition format.
pub fn render(m: &Metrics, g: &Gauges) -> String {
    let ld = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let mut out = String::with_capacity(4096);
    counter(
        &mut out,
        "strata_tsdb_samples_appended_total",
        "Samples appended to the head.",
        ld(&m.samples_appended),
    );
    counter(
        &mut out,
        "strata_tsdb_out_of_order_samples_appended_total",
        "Out-of-order samples accepted within the out-of-order window.",
        ld(&m.ooo_samples_appended),
    );
    let name = "strata_tsdb_samples_rejected_total";
    let _ = writeln!(
        out,
        "# HELP {name} Samples refused, by reason.\n# TYPE {name} counter"
    );
    for (i, r) in REJECT_REASONS.iter().enumerate() {
        let _ = writeln!(
            out,
            "{name}{{reason=\"{r}\"}} {}",
            ld(&m.samples_rejected[i])
        );
    }
    counter(
        &mut out,
        "strata_tsdb_head_series_created_total",
        "Series created in the head.",
        ld(&m.series_created),
    );
    counter(
        &mut out,
        "strata_tsdb_head_series_removed_total",
        "Series removed from the head after truncation.",
        ld(&m.series_removed),
    );
    counter(
        &mut out,
        "strata_tsdb_commits_total",
        "Appender commits.",
        ld(&m.commits),
    );
    counter(
        &mut out,
        "strata_tsdb_commit_failures_total",
        "Commits that failed to write the WAL.",
        ld(&m.commit_failures),
    );
    counter(
        &mut out,
        "strata_tsdb_head_truncations_total",
        "Head ranges cut into blocks.",
        ld(&m.head_truncations),
    );
    counter(
        &mut out,
        "strata_tsdb_compactions_total",
        "Block compactions completed.",
        ld(&m.compactions),
    );
    counter(
        &mut out,
        "strata_tsdb_compactions_failed_total",
        "Block compactions that failed.",
        ld(&m.compaction_failures),
    );
    counter(
        &mut out,
        "strata_tsdb_retention_blocks_deleted_total",
        "Blocks deleted by time or size retention.",
        ld(&m.blocks_deleted_retention),
    );
    counter(
        &mut out,
        "strata_tsdb_wal_fsyncs_total",
        "fsync calls on the write-ahead log.",
        g.wal_fsyncs,
    );
    counter(
        &mut out,
        "strata_tsdb_wal_written_bytes_total",
        "Bytes written to the write-ahead log.",
        g.wal_bytes_written,
    );
    counter(
        &mut out,
        "strata_remote_write_requests_total",
        "Remote write requests received.",
        ld(&m.remote_write_requests),
    );
    counter(
        &mut out,
        "strata_remote_write_rejected_requests_total",
        "Remote write requests answered with a 4xx.",
        ld(&m.remote_write_rejected_requests),
    );
    counter(
        &mut out,
        "strata_remote_read_requests_total",
        "Remote read requests received.",
        ld(&m.remote_read_requests),
    );
    gauge(
        &mut out,
        "strata_tsdb_head_series",
        "Series in the head.",
        g.head_series,
    );
    gauge(
        &mut out,
        "strata_tsdb_head_chunk_bytes",
        "Bytes of chunk data held in the head.",
        g.head_chunk_bytes,
    );
    gauge(
        &mut out,
        "strata_tsdb_head_min_time",
        "Oldest timestamp in the head, ms.",
        g.head_min_time,
    );
    gauge(
        &mut out,
        "strata_tsdb_head_max_time",
        "Newest timestamp in the head, ms.",
        g.head_max_time,
    );
    gauge(
        &mut out,
        "strata_tsdb_blocks_loaded",
        "Persisted blocks open for queries.",
        g.blocks_loaded,
    );
    gauge(
        &mut out,
        "strata_tsdb_storage_blocks_bytes",
        "Bytes of persisted blocks.",
        g.blocks_bytes,
    );
    gauge(
        &mut out,
        "strata_tsdb_wal_storage_size_bytes",
        "Bytes of the write-ahead log on disk.",
        g.wal_bytes,
    );
    gauge(
        &mut out,
        "strata_ready",
        "1 once the write-ahead log has been replayed.",
        u8::from(g.ready),
    );
    m.graphite.render(&mut out);
    m.scrape.render(&mut out);
    m.notifier.render(&mut out);
    m.influx.render(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_reasons() {
        let m = Metrics::default();
        m.samples_appended.fetch_add(7, Ordering::Relaxed);
        m.inc_rejected("too_old");
        let text = render(&m, &Gauges::default());
        assert!(text.contains("\nstrata_tsdb_samples_appended_total 7\n"));
        assert!(text.contains("strata_tsdb_samples_rejected_total{reason=\"too_old\"} 1\n"));
        assert!(text.contains("# TYPE strata_tsdb_head_series gauge\n"));
    }
}
