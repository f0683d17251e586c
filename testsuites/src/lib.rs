//! Runners for compatibility suites and end-to-end tests against real peers.
