//! Adapters from decoded wire formats to appends. Decoding lives in the leaf crates; these
//! modules only turn decoded series into [`crate::appender::Appender`] calls.

pub mod graphite;
pub mod influx;
pub mod remote_write;
