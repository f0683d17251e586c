//! The scrape manager: turns `scrape_configs` into targets and scrapes each on its interval,
//! as Prometheus does — same target labels, same `up`/`scrape_*` series, same staleness.
//!
//! - [`manager`]: one pool per job; keeps one loop per target in step with the configuration
//!   and discovery.
//! - [`discovery`]: `file_sd_configs` watching.
//! - [`scrape_loop`]: the per-target schedule, health and end-of-run staleness.
//! - [`client`]: HTTP(S) fetching with negotiation, gzip, auth, TLS and limits.
//! - [`append`] and [`cache`]: one body into the store, with relabeling, limits and stale
//!   markers.

pub mod append;
pub mod cache;
pub mod client;
pub mod discovery;
pub mod manager;
pub mod metrics;
pub mod scrape_loop;

pub use manager::{DroppedView, ScrapeManager, ScrapeOptions, TargetView};
pub use metrics::ScrapeMetrics;
pub use scrape_loop::{AppenderFactory, Health};
