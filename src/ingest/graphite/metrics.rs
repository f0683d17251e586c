//! Counters of the Graphite listeners, rendered into `/metrics`.

use compat::graphite::REASONS as LINE_REASONS;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a line was not stored: the parser's reasons, then the store's refusals and a failed
/// commit (whose samples are lost to the sender, who cannot be told over plaintext).
pub const REJECT_REASONS: [&str; LINE_REASONS.len() + 5] = {
    let mut all = [""; LINE_REASONS.len() + 5];
    let mut i = 0;
    while i < LINE_REASONS.len() {
        all[i] = LINE_REASONS[i];
        i += 1;
    }
    all[i] = "out_of_order";
    all[i + 1] = "too_old";
    all[i + 2] = "duplicate_timestamp";
    all[i + 3] = "invalid_series";
    all[i + 4] = "commit_failed";
    all
};

#[derive(Debug, Default)]
pub struct GraphiteMetrics {
    /// Samples appended and committed.
    pub samples_received: AtomicU64,
    pub lines_rejected: [AtomicU64; REJECT_REASONS.len()],
    pub tcp_connections: AtomicU64,
    pub tcp_connections_refused: AtomicU64,
    pub udp_datagrams: AtomicU64,
}

impl GraphiteMetrics {
    /// Adds `n` rejected lines under `reason` (one of [`REJECT_REASONS`]; others are ignored).
    pub fn reject(&self, reason: &str, n: u64) {
        if let Some(i) = REJECT_REASONS.iter().position(|r| *r == reason) {
            self.lines_rejected[i].fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Rejected lines so far under `reason`.
    pub fn rejected(&self, reason: &str) -> u64 {
        REJECT_REASONS
            .iter()
            .position(|r| *r == reason)
            .map_or(0, |i| self.lines_rejected[i].load(Ordering::Relaxed))
    }

    /// Appends the Graphite families in the text exposition format.
    pub fn render(&self, out: &mut String) {
        let ld = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let counter = |out: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
            );
        };
        counter(
            out,
            "strata_graphite_samples_received_total",
            "Graphite plaintext samples stored.",
            ld(&self.samples_received),
        );
        let name = "strata_graphite_lines_rejected_total";
        let _ = writeln!(
            out,
            "# HELP {name} Graphite plaintext lines not stored, by reason.\n# TYPE {name} counter"
        );
        for (i, r) in REJECT_REASONS.iter().enumerate() {
            let _ = writeln!(
                out,
                "{name}{{reason=\"{r}\"}} {}",
                ld(&self.lines_rejected[i])
            );
        }
        counter(
            out,
            "strata_graphite_tcp_connections_total",
            "Graphite TCP connections accepted.",
            ld(&self.tcp_connections),
        );
        counter(
            out,
            "strata_graphite_tcp_connections_refused_total",
            "Graphite TCP connections closed at once because too many were open.",
            ld(&self.tcp_connections_refused),
        );
        counter(
            out,
            "strata_graphite_udp_datagrams_total",
            "Graphite UDP datagrams received.",
            ld(&self.udp_datagrams),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_reason_once() {
        let m = GraphiteMetrics::default();
        m.reject("invalid_value", 3);
        m.reject("out_of_order", 1);
        m.reject("not_a_reason", 9);
        m.samples_received.fetch_add(5, Ordering::Relaxed);
        let mut text = String::new();
        m.render(&mut text);
        assert!(text.contains("\nstrata_graphite_samples_received_total 5\n"));
        assert!(
            text.contains("strata_graphite_lines_rejected_total{reason=\"invalid_value\"} 3\n")
        );
        assert!(text.contains("strata_graphite_lines_rejected_total{reason=\"out_of_order\"} 1\n"));
        assert!(text.contains("strata_graphite_lines_rejected_total{reason=\"too_long\"} 0\n"));
        let reasons = text
            .matches("strata_graphite_lines_rejected_total{")
            .count();
        assert_eq!(reasons, REJECT_REASONS.len());
        assert_eq!(m.rejected("invalid_value"), 3);
    }
}
