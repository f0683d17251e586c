//! Recording and alerting rules from Prometheus rule files.

pub mod alerting;
pub mod check;
pub mod file;
pub mod group;
pub mod manager;
pub mod template;

pub use group::{EvalContext, GroupState, Health, NotifyFn, Outgoing, RuleState};
pub use manager::RuleManager;
