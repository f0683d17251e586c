//! Tests of both encodings: round trips, iterator semantics, corrupt input, Prometheus's exact
//! XOR bytes, and compression on a synthetic node_exporter-like data set.

mod data;
mod size;
