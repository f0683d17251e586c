//! Recording and alerting rules from Prometheus rule files.

pub mod file;
pub mod template;
