//! Go's `strings` case mapping and `strconv.ParseFloat`, where Rust's standard library differs.

/// unicode.ToUpper per rune: Go uses the simple one-to-one mapping, so `ß` stays `ß`.
pub(crate) fn to_upper(s: &str) -> String {
    s.chars().map(upper).collect()
}

/// unicode.ToLower per rune (simple mapping: `İ` becomes `i`).
pub(crate) fn to_lower(s: &str) -> String {
    s.chars().map(lower).collect()
}

fn upper(c: char) -> char {
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

fn lower(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// The title case of a rune: the four Latin digraphs have their own, others use upper case.
fn title_char(c: char) -> char {
    match c {
        'Ǆ' | 'ǅ' | 'ǆ' => 'ǅ',
        'Ǉ' | 'ǈ' | 'ǉ' => 'ǈ',
        'Ǌ' | 'ǋ' | 'ǌ' => 'ǋ',
        'Ǳ' | 'ǲ' | 'ǳ' => 'ǲ',
        c => upper(c),
    }
}

/// Prometheus's `title` (x/text/cases.Title, no lowering): the first letter of each word in
/// title case, the rest unchanged. Words are runs of letters, digits and `_`.
pub(crate) fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_word = false;
    for c in s.chars() {
        if !in_word && c.is_alphabetic() {
            out.push(title_char(c));
        } else {
            out.push(c);
        }
        in_word = c.is_alphanumeric() || c == '_';
    }
    out
}

/// strconv.ParseFloat(s, 64): decimal and hexadecimal floats, `_` between digits, Go's
/// spellings of infinities and NaN. The error is strconv's ("invalid syntax", "value out of
/// range").
pub(crate) fn parse_float(s: &str) -> Result<f64, &'static str> {
    const SYNTAX: &str = "invalid syntax";
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let special = match body.to_ascii_lowercase().as_str() {
        "inf" | "infinity" => Some(f64::INFINITY),
        "nan" if body.len() == s.len() => Some(f64::NAN),
        _ => None,
    };
    if let Some(f) = special {
        return Ok(if neg { -f } else { f });
    }
    if !underscores_ok(body) {
        return Err(SYNTAX);
    }
    let clean: String = body.chars().filter(|&c| c != '_').collect();
    let lower = clean.to_ascii_lowercase();
    let v = if let Some(hex) = lower.strip_prefix("0x") {
        // ParseFloat wants the binary exponent on hexadecimal input.
        if !hex.contains('p') {
            return Err(SYNTAX);
        }
        parse_hex_float(hex).ok_or(SYNTAX)?
    } else {
        if clean.is_empty() || !clean.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
            return Err(SYNTAX);
        }
        if !clean
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        {
            return Err(SYNTAX);
        }
        clean.parse::<f64>().map_err(|_| SYNTAX)?
    };
    if v.is_infinite() {
        return Err("value out of range");
    }
    Ok(if neg { -v } else { v })
}

/// Go's underscoreOK: `_` only between digits (or after a base prefix).
fn underscores_ok(s: &str) -> bool {
    if !s.contains('_') {
        return true;
    }
    let b = s.as_bytes();
    let start = if s.len() > 2 && b[0] == b'0' && b[1].is_ascii_alphabetic() {
        2
    } else {
        0
    };
    for i in start..b.len() {
        if b[i] == b'_' {
            let prev_ok = i == start && start == 2 || i > 0 && b[i - 1].is_ascii_hexdigit();
            let next_ok = i + 1 < b.len() && b[i + 1].is_ascii_hexdigit();
            if !prev_ok || !next_ok {
                return false;
            }
        }
    }
    true
}

/// The part after `0x` of a hexadecimal float: `1.8p3`, `ff`, `.8p-1`.
pub(crate) fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = match s.split_once('p') {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (s, 0),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    Some(v * 2f64.powi(exp))
}
