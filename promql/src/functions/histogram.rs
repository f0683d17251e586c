//! Classic-histogram math for `histogram_quantile` over `le` buckets.
