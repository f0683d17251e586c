//! Recording and alerting rules from Prometheus rule files.

pub mod check;
pub mod file;
pub mod template;
