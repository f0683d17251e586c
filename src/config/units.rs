//! Prometheus's duration (`1d12h30m`) and byte size (`512MB`) syntax.

use std::time::Duration;

/// Parses `[0-9]+(y|w|d|h|m|s|ms)` units in descending order, as Prometheus does; `0` alone is
/// zero.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    const UNITS: [(&str, u64); 7] = [
        ("y", 365 * 86_400_000),
        ("w", 7 * 86_400_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
        ("ms", 1),
    ];
    let bad = || format!("not a valid duration string: {s:?}");
    let mut rest = s;
    let mut total: u64 = 0;
    let mut last_unit = None;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        // "ms" must be tried before "m".
        let (idx, unit) = UNITS
            .iter()
            .enumerate()
            .filter(|(_, (u, _))| rest.starts_with(u))
            .max_by_key(|(_, (u, _))| u.len())
            .ok_or_else(bad)?;
        if last_unit.is_some_and(|l| idx <= l) {
            return Err(bad());
        }
        last_unit = Some(idx);
        rest = &rest[unit.0.len()..];
        total = n
            .checked_mul(unit.1)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    if last_unit.is_none() {
        return Err(bad());
    }
    Ok(Duration::from_millis(total))
}

/// Parses a byte size with Prometheus's base-2 units: B, KB, MB, GB, TB, PB, EB (case-sensitive
/// suffix, optional); a bare number is bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    const UNITS: [(&str, u32); 7] = [
        ("EB", 60),
        ("PB", 50),
        ("TB", 40),
        ("GB", 30),
        ("MB", 20),
        ("KB", 10),
        ("B", 0),
    ];
    let bad = || format!("not a valid size: {s:?}");
    let (num, shift) = UNITS
        .iter()
        .find_map(|(u, sh)| s.strip_suffix(u).map(|n| (n, *sh)))
        .unwrap_or((s, 0));
    let n: u64 = num.trim().parse().map_err(|_| bad())?;
    n.checked_mul(1u64 << shift).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let ms = |s| parse_duration(s).map(|d| d.as_millis() as u64);
        assert_eq!(ms("15d"), Ok(15 * 86_400_000));
        assert_eq!(ms("1h30m"), Ok(5_400_000));
        assert_eq!(ms("250ms"), Ok(250));
        assert_eq!(ms("1m500ms"), Ok(60_500));
        assert_eq!(ms("0"), Ok(0));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("1m1h").is_err());
        assert!(parse_duration("1x").is_err());
        assert!(parse_duration("99999999999999999999y").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512MB"), Ok(512 << 20));
        assert_eq!(parse_size("1GB"), Ok(1 << 30));
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("0"), Ok(0));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("99999999999EB").is_err());
    }
}
