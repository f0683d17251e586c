//! From discovered labels to a target's labels: Prometheus 3's `PopulateLabels`, and the
//! scrape URL a target's labels describe.

use super::{PromDuration, ScrapeConfig};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::time::Duration;

const ADDRESS: &str = "__address__";
const SCHEME: &str = "__scheme__";
const METRICS_PATH: &str = "__metrics_path__";
const SCRAPE_INTERVAL: &str = "__scrape_interval__";
const SCRAPE_TIMEOUT: &str = "__scrape_timeout__";
const PARAM_PREFIX: &str = "__param_";
const META_PREFIX: &str = "__meta_";

/// What relabeling made of one discovered target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Populated {
    /// Scraped with `labels` (including the `__`-prefixed ones that address it:
    /// `__address__`, `__scheme__`, `__metrics_path__`, `__param_*`, `__scrape_interval__`,
    /// `__scrape_timeout__`).
    Active {
        labels: BTreeMap<String, String>,
        discovered: BTreeMap<String, String>,
    },
    /// Dropped by relabeling.
    Dropped {
        discovered: BTreeMap<String, String>,
    },
}

/// Prometheus's check on `__address__`: a URL put where a `host:port` belongs.
pub fn check_target_address(addr: &str) -> Result<(), String> {
    if addr.contains('/') {
        return Err(format!("{addr:?} is not a valid hostname"));
    }
    Ok(())
}

fn parse_label_duration(v: &str) -> Result<Duration, String> {
    if v.is_empty() {
        return Err("empty duration string".into());
    }
    crate::config::parse_duration(v)
}

/// `target` holds the target's own labels merged over its group's labels. Returns the
/// labels after the job's defaults and `relabel_configs`, or why the target is unusable
/// (Prometheus's messages: `no address`, `scrape interval cannot be 0`, ...). As in
/// Prometheus 3, no default port is added to `__address__`.
pub fn populate_labels(
    target: &BTreeMap<String, String>,
    cfg: &ScrapeConfig,
) -> Result<Populated, String> {
    let mut labels = target.clone();
    let defaults = [
        ("job", cfg.job_name.clone()),
        (SCRAPE_INTERVAL, PromDuration(cfg.interval()).to_string()),
        (SCRAPE_TIMEOUT, PromDuration(cfg.timeout()).to_string()),
        (METRICS_PATH, cfg.metrics_path.clone()),
        (SCHEME, cfg.scheme.clone()),
    ];
    for (name, value) in defaults {
        if !value.is_empty() && !labels.contains_key(name) {
            labels.insert(name.to_string(), value);
        }
    }
    for (name, values) in &cfg.params {
        let label = format!("{PARAM_PREFIX}{name}");
        if let Some(first) = values.first()
            && !first.is_empty()
            && !labels.contains_key(&label)
        {
            labels.insert(label, first.clone());
        }
    }
    let discovered = labels.clone();
    if !super::relabel::process(&mut labels, &cfg.relabel_configs) {
        return Ok(Populated::Dropped { discovered });
    }
    let addr = labels
        .get(ADDRESS)
        .cloned()
        .ok_or_else(|| "no address".to_string())?;
    check_target_address(&addr)?;

    let interval_s = labels.get(SCRAPE_INTERVAL).map_or("", String::as_str);
    let interval = parse_label_duration(interval_s)
        .map_err(|e| format!("error parsing scrape interval: {e}"))?;
    if interval.is_zero() {
        return Err("scrape interval cannot be 0".into());
    }
    let timeout_s = labels.get(SCRAPE_TIMEOUT).map_or("", String::as_str);
    let timeout = parse_label_duration(timeout_s)
        .map_err(|e| format!("error parsing scrape timeout: {e}"))?;
    if timeout.is_zero() {
        return Err("scrape timeout cannot be 0".into());
    }
    if timeout > interval {
        return Err(format!(
            "scrape timeout cannot be greater than scrape interval ({timeout_s:?} > {interval_s:?})"
        ));
    }

    // Meta labels end here; the other `__` labels stay for the scraper to read.
    labels.retain(|name, _| !name.starts_with(META_PREFIX));
    labels.entry("instance".to_string()).or_insert(addr);
    Ok(Populated::Active { labels, discovered })
}

/// The labels a scraped series carries from its target: those not starting with `__`.
pub fn public_labels(labels: &BTreeMap<String, String>) -> Vec<(String, String)> {
    labels
        .iter()
        .filter(|(name, _)| !name.starts_with("__"))
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect()
}

/// The URL to scrape: `__scheme__://__address____metrics_path__?query`, the query being
/// the job's `params` with each `__param_<name>` label replacing that parameter's first
/// value, encoded as Go's `url.Values.Encode` (keys sorted).
pub fn target_url(labels: &BTreeMap<String, String>, cfg: &ScrapeConfig) -> String {
    let get = |name: &str| labels.get(name).map_or("", String::as_str);
    let mut params: BTreeMap<&str, Vec<&str>> = cfg
        .params
        .iter()
        .map(|(k, vs)| (k.as_str(), vs.iter().map(String::as_str).collect()))
        .collect();
    for (name, value) in labels.range::<str, _>((Bound::Included(PARAM_PREFIX), Bound::Unbounded)) {
        let Some(key) = name.strip_prefix(PARAM_PREFIX) else {
            break;
        };
        let values = params.entry(key).or_default();
        match values.first_mut() {
            Some(first) => *first = value,
            None => values.push(value),
        }
    }
    let mut url = format!("{}://{}", get(SCHEME), get(ADDRESS));
    let path = get(METRICS_PATH);
    if !path.is_empty() && !path.starts_with('/') {
        url.push('/');
    }
    escape_into(&mut url, path, Mode::Path);
    let mut first = true;
    for (key, values) in &params {
        for value in values {
            url.push(if first { '?' } else { '&' });
            first = false;
            escape_into(&mut url, key, Mode::Query);
            url.push('=');
            escape_into(&mut url, value, Mode::Query);
        }
    }
    url
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Path,
    Query,
}

/// Percent-encoding as Go's `url.PathEscape`-like path rendering and `url.QueryEscape`.
fn escape_into(out: &mut String, s: &str, mode: Mode) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in s.as_bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (mode == Mode::Path
                && matches!(
                    b,
                    b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'@'
                ));
        if keep {
            out.push(char::from(b));
        } else if b == b' ' && mode == Mode::Query {
            out.push('+');
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
}
