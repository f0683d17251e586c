//! Warnings and infos a query returns beside its result (`warnings` / `infos` in the API).

/// Collected annotations, deduplicated, in the order first seen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Annotations {
    pub warnings: Vec<String>,
    pub infos: Vec<String>,
}

impl Annotations {
    /// Adds a warning; `msg` is the text after Prometheus's `PromQL warning: ` prefix.
    pub fn warn(&mut self, msg: impl Into<String>) {
        let m = format!("PromQL warning: {}", msg.into());
        if !self.warnings.contains(&m) {
            self.warnings.push(m);
        }
    }

    /// Adds an info; `msg` is the text after Prometheus's `PromQL info: ` prefix.
    pub fn info(&mut self, msg: impl Into<String>) {
        let m = format!("PromQL info: {}", msg.into());
        if !self.infos.contains(&m) {
            self.infos.push(m);
        }
    }

    /// Adds a warning that comes from storage as is (no PromQL prefix).
    pub fn storage_warning(&mut self, msg: String) {
        if !self.warnings.contains(&msg) {
            self.warnings.push(msg);
        }
    }

    pub fn merge(&mut self, other: Annotations) {
        for w in other.warnings {
            if !self.warnings.contains(&w) {
                self.warnings.push(w);
            }
        }
        for i in other.infos {
            if !self.infos.contains(&i) {
                self.infos.push(i);
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.warnings.is_empty() && self.infos.is_empty()
    }
}
