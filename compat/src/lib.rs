//! Wire formats other than Prometheus remote write: the text exposition format and OpenMetrics,
//! Graphite plaintext with its path ↔ labels mapping, and the InfluxDB line protocol.
//!
//! Each parser is pure (bytes in, samples or a positioned error out), bounded in what it
//! accepts, and knows nothing about storage or the network.

pub mod exposition;
pub mod graphite;
pub mod influx;
