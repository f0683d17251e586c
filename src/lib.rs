//! Strata: a time-series server that stands in for Prometheus and Graphite.
//!
//! The server glues the leaf crates together: wire formats are decoded by `remote-write` and
//! `compat`, samples go through one [`appender::Appender`] into the [`tsdb`], and queries are
//! answered through the `promql` crate's storage contract.

pub mod appender;
pub mod config;
pub mod http;
pub mod ingest;
pub mod metrics;
pub mod notifier;
pub mod promconfig;
pub mod reload;
pub mod rules;
pub mod scrape;
pub mod server;
pub mod tls;
pub mod tsdb;
