//! Table tests for the configuration checks, the relabel engine, file discovery and target
//! labels. Expected values were worked out by hand from Prometheus's documented behaviour
//! (hashmod results from MD5 digests computed separately).

mod config;
mod relabel;
mod targets;

use super::*;
use std::collections::BTreeMap;

pub(super) fn ls(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// One relabel rule from YAML, validated as parsing would.
pub(super) fn rule(yaml: &str) -> RelabelConfig {
    let rc: RelabelConfig = serde_yaml_ng::from_str(yaml).expect("rule decodes");
    rc.validate(false).expect("rule is valid");
    rc
}

pub(super) fn parse_err(yaml: &str) -> String {
    match parse(yaml, Path::new("/etc/prom")) {
        Ok(_) => panic!("expected an error for:\n{yaml}"),
        Err(e) => e.0,
    }
}

pub(super) fn parse_ok(yaml: &str) -> Config {
    parse(yaml, Path::new("/etc/prom")).unwrap_or_else(|e| panic!("{e}"))
}
