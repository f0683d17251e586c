//! Go text/template as Prometheus uses it in alert labels and annotations.
