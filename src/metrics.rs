//! Strata's own metrics, exposed on `/metrics`.
