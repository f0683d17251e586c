//! HTTP endpoints.
