//! Byte sizes as Prometheus writes them in configuration (`body_size_limit: 10MB`, Go's
//! `units.Base2Bytes`): a plain number of bytes or a number with a base-2 unit.

use serde::{Deserialize, Deserializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum Raw {
    Int(u64),
    Text(String),
}

/// `512`, `512B`, `10KB`, `10KiB`, `1MB`, `1GiB`: every unit is a power of 1024, as in Go's
/// `units.ParseBase2Bytes`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    // `KiB` and `KB` mean the same in Base2Bytes; drop the `i` so one table serves both.
    let normalized = match t.len().checked_sub(2).and_then(|i| t.get(i..)) {
        Some("iB") => format!("{}B", &t[..t.len() - 2]),
        _ => t.to_string(),
    };
    crate::config::parse_size(&normalized).map_err(|_| format!("invalid size {s:?}"))
}

fn from_raw(raw: Raw) -> Result<u64, String> {
    match raw {
        Raw::Int(n) => Ok(n),
        Raw::Text(s) => parse_size(&s),
    }
}

pub fn de_size<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    from_raw(Raw::deserialize(d)?).map_err(serde::de::Error::custom)
}

pub fn de_opt_size<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(raw) => from_raw(raw).map(Some).map_err(serde::de::Error::custom),
    }
}
