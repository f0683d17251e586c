//! Durations as the test language writes them (`5m`, `1h30m`, `0`), Prometheus's
//! `model.ParseDuration`: units y, w, d, h, m, s, ms, each at most once, largest first.

const UNITS: [(&str, i64); 7] = [
    ("y", 365 * 24 * 3600 * 1000),
    ("w", 7 * 24 * 3600 * 1000),
    ("d", 24 * 3600 * 1000),
    ("h", 3600 * 1000),
    ("m", 60 * 1000),
    ("s", 1000),
    ("ms", 1),
];

/// Parses a duration into milliseconds.
pub fn parse_ms(s: &str) -> Result<i64, String> {
    if s == "0" {
        return Ok(0);
    }
    let bad = || format!("invalid duration {s:?}");
    let mut rest = s;
    let mut total: i64 = 0;
    // Index of the next unit allowed: units must come in decreasing size, each once.
    let mut next_unit = 0;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad());
        }
        let n: i64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        // "ms" must be tried before "m".
        let unit = UNITS
            .iter()
            .enumerate()
            .skip(next_unit)
            .filter(|(_, (u, _))| rest.starts_with(u))
            .max_by_key(|(_, (u, _))| u.len())
            .ok_or_else(bad)?;
        let (idx, (u, mult)) = unit;
        total = n
            .checked_mul(*mult)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        rest = &rest[u.len()..];
        next_unit = idx + 1;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::parse_ms;

    #[test]
    fn units_and_combinations() {
        assert_eq!(parse_ms("0"), Ok(0));
        assert_eq!(parse_ms("0m"), Ok(0));
        assert_eq!(parse_ms("5m"), Ok(300_000));
        assert_eq!(parse_ms("1m30s"), Ok(90_000));
        assert_eq!(parse_ms("5m59s"), Ok(359_000));
        assert_eq!(parse_ms("1ms"), Ok(1));
        assert_eq!(parse_ms("2h1ms"), Ok(7_200_001));
        assert_eq!(parse_ms("1d"), Ok(86_400_000));
        assert_eq!(parse_ms("1w"), Ok(604_800_000));
        assert_eq!(parse_ms("1y"), Ok(31_536_000_000));
    }

    #[test]
    fn rejects_bad_forms() {
        for s in ["", "5", "m", "1.5m", "30s1m", "1m1m", "-1m", "5x"] {
            assert!(parse_ms(s).is_err(), "{s} should not parse");
        }
    }
}
