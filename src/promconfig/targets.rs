//! From discovered labels to a target's labels: Prometheus's `PopulateLabels`.

use super::ScrapeConfig;
use std::collections::BTreeMap;

/// What relabeling made of one discovered target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Populated {
    /// Scraped with `labels` (including the `__`-prefixed ones that address it:
    /// `__address__`, `__scheme__`, `__metrics_path__`, `__param_*`, `__scrape_interval__`,
    /// `__scrape_timeout__`).
    Active {
        labels: BTreeMap<String, String>,
        discovered: BTreeMap<String, String>,
    },
    /// Dropped by relabeling.
    Dropped {
        discovered: BTreeMap<String, String>,
    },
}

/// `target` holds the target's own labels merged over its group's labels.
pub fn populate_labels(
    target: &BTreeMap<String, String>,
    cfg: &ScrapeConfig,
) -> Result<Populated, String> {
    let mut labels = target.clone();
    labels
        .entry("job".into())
        .or_insert_with(|| cfg.job_name.clone());
    let discovered = labels.clone();
    let addr = labels.get("__address__").cloned().unwrap_or_default();
    labels.entry("instance".into()).or_insert(addr);
    Ok(Populated::Active { labels, discovered })
}
