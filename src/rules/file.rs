//! Prometheus rule files: the model, parsing and the checks `promtool check rules` makes.
