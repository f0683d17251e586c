//! Wire formats other than Prometheus remote write: the text exposition format and OpenMetrics,
//! Graphite plaintext with its path ↔ labels mapping, and the InfluxDB line protocol.
//!
//! The parsers land with the ingest work (issue 4); this crate exists now so that the workspace
//! keeps the shape described in `docs/architecture.md`.
