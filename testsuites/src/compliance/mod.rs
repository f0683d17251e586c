//! PromQL compliance: the official compliance query list run against a reference Prometheus
//! and the server under test, both fed the same demo-like history by remote write.
//!
//! [`data`] generates the history, [`queries`] reads and expands the query list, [`plan`] picks
//! the evaluation windows and instants and the queries excluded by design, [`result`] parses
//! API answers, [`diff`] compares two answers as the official tester does, [`servers`] starts
//! and loads both servers, [`runner`] runs every case on both, and [`report`] summarises.
//! [`promtool`] runs promtool's query commands against both and compares what it prints.

pub mod data;
pub mod diff;
pub mod plan;
pub mod promtool;
pub mod queries;
pub mod report;
pub mod result;
pub mod runner;
pub mod servers;
