//! Go's `fmt` and `strconv` number and string formatting, as far as templates use them.
//!
//! Floats get their decimal digits from Rust's formatter (shortest round-trip digits, or exactly
//! rounded with ties to even, which is what Go's strconv produces too) and are then laid out with
//! Go's rules for `%e`, `%f` and `%g` (`%v` is `%g` with the shortest digits).

use super::value::Value;

/// The decimal digits of a finite, non-negative float: `0.d1d2d3… × 10^dp`. Trailing zeros are
/// trimmed, as strconv's decimal type keeps them; zero has no digits and `dp == 0`.
struct Digits {
    d: Vec<u8>,
    dp: i32,
}

fn digits_from_sci(s: &str) -> Digits {
    // `s` is Rust's `{:e}` form: "1.2345e3", "5e-7", "0e0".
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut d: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    while d.last() == Some(&b'0') {
        d.pop();
    }
    if d.is_empty() {
        return Digits { d, dp: 0 };
    }
    Digits { d, dp: exp + 1 }
}

fn shortest(f: f64) -> Digits {
    digits_from_sci(&format!("{:e}", f.abs()))
}

/// Rounded to `n` significant digits (n >= 1).
fn significant(f: f64, n: usize) -> Digits {
    digits_from_sci(&format!("{:.*e}", n.saturating_sub(1), f.abs()))
}

fn digit(ds: &Digits, i: i32) -> u8 {
    if i >= 0 && (i as usize) < ds.d.len() {
        ds.d[i as usize]
    } else {
        b'0'
    }
}

fn fmt_e(ds: &Digits, prec: usize, upper: bool) -> String {
    let mut out = String::new();
    out.push(digit(ds, 0) as char);
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            out.push(digit(ds, i as i32) as char);
        }
    }
    out.push(if upper { 'E' } else { 'e' });
    let exp = if ds.d.is_empty() { 0 } else { ds.dp - 1 };
    out.push(if exp < 0 { '-' } else { '+' });
    let a = exp.unsigned_abs();
    if a < 10 {
        out.push('0');
    }
    out.push_str(&a.to_string());
    out
}

fn fmt_f(ds: &Digits, prec: usize) -> String {
    let mut out = String::new();
    if ds.dp > 0 {
        for i in 0..ds.dp {
            out.push(digit(ds, i) as char);
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 0..prec as i32 {
            out.push(digit(ds, ds.dp + i) as char);
        }
    }
    out
}

/// strconv.FormatFloat(f, verb, prec, 64) for finite `f`, without the sign.
fn format_abs(f: f64, verb: char, prec: Option<usize>) -> String {
    let upper = verb.is_ascii_uppercase();
    match verb.to_ascii_lowercase() {
        'e' => {
            let p = prec.unwrap_or(6);
            let ds = if f == 0.0 {
                Digits { d: vec![], dp: 0 }
            } else {
                significant(f, p + 1)
            };
            fmt_e(&ds, p, upper)
        }
        'f' => fmt_f(&exact_fixed(f, prec.unwrap_or(6)), prec.unwrap_or(6)),
        _ => {
            let (ds, mut p, short) = match prec {
                None => {
                    let ds = shortest(f);
                    let n = ds.d.len();
                    (ds, n, true)
                }
                Some(p) => {
                    let p = p.max(1);
                    (significant(f, p), p, false)
                }
            };
            let nd = ds.d.len() as i32;
            let mut eprec = p as i32;
            if eprec > nd && nd >= ds.dp {
                eprec = nd;
            }
            if short {
                eprec = 6;
            }
            let exp = ds.dp - 1;
            if exp < -4 || exp >= eprec {
                if p > ds.d.len() {
                    p = ds.d.len();
                }
                return fmt_e(&ds, p.saturating_sub(1), upper);
            }
            if p as i32 > ds.dp {
                p = ds.d.len();
            }
            fmt_f(&ds, (p as i32 - ds.dp).max(0) as usize)
        }
    }
}

/// Digits of `f` rounded to `prec` places after the point.
fn exact_fixed(f: f64, prec: usize) -> Digits {
    let s = format!("{:.*}", prec, f.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let int = int.trim_start_matches('0');
    let mut d: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
    let mut dp = int.len() as i32;
    if int.is_empty() {
        // Leading zeros of the fraction move the decimal point.
        let lead = frac.bytes().take_while(|&b| b == b'0').count();
        d.drain(..lead);
        dp = -(lead as i32);
    }
    while d.last() == Some(&b'0') {
        d.pop();
    }
    if d.is_empty() {
        dp = 0;
    }
    Digits { d, dp }
}

/// `fmt.Sprint(f)` / `%v`: the shortest representation, `%g` style.
pub(crate) fn float_v(f: f64) -> String {
    format_float(f, 'g', None, &Flags::default())
}

/// `fmt.Sprintf("%.4g", f)`, the workhorse of Prometheus's humanize functions.
pub(crate) fn float_4g(f: f64) -> String {
    format_float(f, 'g', Some(4), &Flags::default())
}

#[derive(Default, Clone, Debug)]
pub(crate) struct Flags {
    pub minus: bool,
    pub plus: bool,
    pub space: bool,
    pub zero: bool,
    pub sharp: bool,
    pub width: Option<usize>,
}

/// Pads `s` to the width, with zeros after any sign when asked to.
fn pad(s: String, fl: &Flags, zero_ok: bool) -> String {
    let n = s.chars().count();
    let Some(w) = fl.width else { return s };
    if n >= w {
        return s;
    }
    let fill = w - n;
    if fl.minus {
        return s + &" ".repeat(fill);
    }
    if fl.zero && zero_ok {
        let (sign, rest) = match s.chars().next() {
            Some(c @ ('+' | '-' | ' ')) => (c.to_string(), &s[1..]),
            _ => (String::new(), &s[..]),
        };
        return sign + &"0".repeat(fill) + rest;
    }
    " ".repeat(fill) + &s
}

pub(crate) fn format_float(f: f64, verb: char, prec: Option<usize>, fl: &Flags) -> String {
    if f.is_nan() {
        let s = if fl.plus {
            "+NaN"
        } else if fl.space {
            " NaN"
        } else {
            "NaN"
        };
        return pad(s.to_string(), fl, false);
    }
    let body = if f.is_infinite() {
        "Inf".to_string()
    } else {
        format_abs(f, verb, prec)
    };
    let sign = if f.is_sign_negative() {
        "-"
    } else if fl.plus || f.is_infinite() {
        "+"
    } else if fl.space {
        " "
    } else {
        ""
    };
    let sign = if f.is_infinite() && !f.is_sign_negative() && !fl.plus && fl.space {
        " "
    } else {
        sign
    };
    pad(format!("{sign}{body}"), fl, !f.is_infinite())
}

pub(crate) fn format_int(i: i64, verb: char, prec: Option<usize>, fl: &Flags) -> String {
    let a = i.unsigned_abs();
    let mut digits = match verb {
        'x' => format!("{a:x}"),
        'X' => format!("{a:X}"),
        'o' | 'O' => format!("{a:o}"),
        'b' => format!("{a:b}"),
        _ => a.to_string(),
    };
    if let Some(p) = prec {
        if p == 0 && i == 0 {
            digits.clear();
        }
        while digits.len() < p {
            digits.insert(0, '0');
        }
    }
    let prefix = match verb {
        'x' if fl.sharp => "0x",
        'X' if fl.sharp => "0X",
        'o' if fl.sharp && !digits.starts_with('0') => "0",
        'O' => "0o",
        'b' if fl.sharp => "0b",
        _ => "",
    };
    let sign = if i < 0 {
        "-"
    } else if fl.plus {
        "+"
    } else if fl.space {
        " "
    } else {
        ""
    };
    pad(format!("{sign}{prefix}{digits}"), fl, prec.is_none())
}

/// strconv.Quote: Go-escaped and double-quoted.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `%s`-style text of a value, as `fmt.Sprint` prints one operand.
pub(crate) fn sprint_value(v: &Value) -> String {
    v.go_string(true)
}

/// fmt.Sprint: operands separated by a space when neither side is a string.
pub(crate) fn sprint(args: &[Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 && !a.is_string() && !args[i - 1].is_string() {
            out.push(' ');
        }
        out.push_str(&sprint_value(a));
    }
    out
}

/// fmt.Sprintln: operands always separated by spaces, newline at the end.
pub(crate) fn sprintln(args: &[Value]) -> String {
    let parts: Vec<String> = args.iter().map(sprint_value).collect();
    parts.join(" ") + "\n"
}

/// `%!verb(type=value)`: Go prints the value with `%v` and the same flags.
fn bad_verb(verb: char, prec: Option<usize>, fl: &Flags, v: &Value) -> String {
    match v {
        Value::Nil => format!("%!{verb}(<nil>)"),
        _ => format!(
            "%!{verb}({}={})",
            v.type_name(),
            format_one('v', prec, fl, v)
        ),
    }
}

/// Maps, slices and structs: fmt applies the verb to each element.
fn format_composite(verb: char, prec: Option<usize>, fl: &Flags, v: &Value) -> Option<String> {
    let f = |x: &Value| format_one(verb, prec, fl, x);
    let s = |x: &str| f(&Value::Str(x.to_string()));
    let labels = |m: &std::collections::BTreeMap<String, String>| {
        let parts: Vec<String> = m
            .iter()
            .map(|(k, v)| format!("{}:{}", s(k), s(v)))
            .collect();
        format!("map[{}]", parts.join(" "))
    };
    let sample = |x: &super::value::Sample| {
        format!("&{{{} {}}}", labels(&x.labels), f(&Value::Float(x.value)))
    };
    Some(match v {
        Value::StrMap(m) => labels(m),
        Value::Map(m) => {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}:{}", s(k), f(v)))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
        // Go prints the elements' addresses here; the samples are more useful.
        Value::Vector(v) => format!("[{}]", v.iter().map(sample).collect::<Vec<_>>().join(" ")),
        Value::Sample(x) => sample(x),
        Value::Data(d) => format!(
            "{{{} {} {} {}}}",
            labels(&d.labels),
            labels(&d.external_labels),
            s(&d.external_url),
            f(&Value::Float(d.value))
        ),
        _ => return None,
    })
}

fn hex_bytes(b: &[u8], upper: bool, fl: &Flags) -> String {
    let mut out = String::new();
    for (i, byte) in b.iter().enumerate() {
        if fl.space && i > 0 {
            out.push(' ');
        }
        if fl.sharp && (fl.space || i == 0) {
            out.push_str(if upper { "0X" } else { "0x" });
        }
        if upper {
            out.push_str(&format!("{byte:02X}"));
        } else {
            out.push_str(&format!("{byte:02x}"));
        }
    }
    out
}

fn format_one(verb: char, prec: Option<usize>, fl: &Flags, v: &Value) -> String {
    let truncated = |s: &str| match prec {
        Some(p) => s.chars().take(p).collect::<String>(),
        None => s.to_string(),
    };
    match (verb, v) {
        ('T', v) => pad(v.type_name().to_string(), fl, false),
        ('v', Value::Float(f)) => format_float(*f, 'g', prec, fl),
        ('e' | 'E' | 'f' | 'F' | 'g' | 'G', Value::Float(f)) => {
            let verb = if verb == 'F' { 'f' } else { verb };
            format_float(*f, verb, prec, fl)
        }
        ('v' | 'd' | 'x' | 'X' | 'o' | 'O' | 'b', Value::Int(i)) => format_int(*i, verb, prec, fl),
        ('U', Value::Int(i)) => pad(format!("U+{i:04X}"), fl, false),
        ('c', Value::Int(i)) => pad(
            char::from_u32(*i as u32).unwrap_or('\u{fffd}').to_string(),
            fl,
            false,
        ),
        ('q', Value::Int(i)) => {
            let c = char::from_u32(*i as u32).unwrap_or('\u{fffd}');
            let q = quote(&c.to_string());
            pad(
                format!("'{}'", &q[1..q.len() - 1].replace("\\\"", "\"")),
                fl,
                false,
            )
        }
        ('v' | 't', Value::Bool(b)) => pad(b.to_string(), fl, false),
        ('s' | 'v', Value::Str(s)) => pad(truncated(s), fl, false),
        ('q', Value::Str(s)) => {
            let s = truncated(s);
            if fl.sharp && !s.contains('`') && !s.chars().any(|c| c.is_control() && c != '\t') {
                pad(format!("`{s}`"), fl, false)
            } else {
                pad(quote(&s), fl, false)
            }
        }
        ('x' | 'X', Value::Str(s)) => {
            let b = s.as_bytes();
            let b = &b[..prec.unwrap_or(b.len()).min(b.len())];
            pad(hex_bytes(b, verb == 'X', fl), fl, false)
        }
        ('v' | 's', Value::Time(ns)) => pad(super::value::time_string(*ns), fl, false),
        ('q', Value::Time(ns)) => pad(quote(&super::value::time_string(*ns)), fl, false),
        ('v', Value::Nil) => pad("<nil>".to_string(), fl, false),
        (verb, v) => match format_composite(verb, prec, fl, v) {
            Some(s) => s,
            None => bad_verb(verb, prec, fl, v),
        },
    }
}

/// fmt.Sprintf: verbs, flags, widths and precisions (also `*` and `[n]` argument indexes).
pub(crate) fn sprintf(format: &str, args: &[Value]) -> String {
    let f: Vec<char> = format.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let mut arg = 0usize;
    let mut reordered = false;
    // `[n]`: selects argument n (1-based); Some(false) when n is out of range.
    let index = |i: &mut usize, arg: &mut usize, reordered: &mut bool| -> Option<bool> {
        if f.get(*i) != Some(&'[') {
            return None;
        }
        *reordered = true;
        let close = f[*i..].iter().position(|&c| c == ']').map(|p| *i + p)?;
        let digits: String = f[*i + 1..close].iter().collect();
        *i = close + 1;
        match digits.parse::<usize>() {
            Ok(n) if n >= 1 && n <= args.len() => {
                *arg = n - 1;
                Some(true)
            }
            _ => Some(false),
        }
    };
    let number = |i: &mut usize| -> Option<usize> {
        let mut n: Option<usize> = None;
        while let Some(d) = f.get(*i).and_then(|c| c.to_digit(10)) {
            n = Some(
                n.unwrap_or(0)
                    .saturating_mul(10)
                    .saturating_add(d as usize)
                    .min(1 << 16),
            );
            *i += 1;
        }
        n
    };
    // `*`: the argument as an int, if it is one and not absurd.
    let star = |arg: &mut usize| -> Option<i64> {
        let v = match args.get(*arg) {
            Some(Value::Int(n)) if n.abs() <= 1_000_000 => Some(*n),
            _ => None,
        };
        *arg += 1;
        v
    };
    while i < f.len() {
        if f[i] != '%' {
            out.push(f[i]);
            i += 1;
            continue;
        }
        i += 1;
        let mut fl = Flags::default();
        while let Some(&c) = f.get(i) {
            match c {
                '-' => fl.minus = true,
                '+' => fl.plus = true,
                ' ' => fl.space = true,
                '0' => fl.zero = true,
                '#' => fl.sharp = true,
                _ => break,
            }
            i += 1;
        }
        let mut good = true;
        let mut after_index = match index(&mut i, &mut arg, &mut reordered) {
            Some(ok) => {
                good &= ok;
                true
            }
            None => false,
        };
        if f.get(i) == Some(&'*') {
            i += 1;
            match star(&mut arg) {
                Some(w) => {
                    fl.width = Some(w.unsigned_abs() as usize);
                    if w < 0 {
                        fl.minus = true;
                    }
                }
                None => out.push_str("%!(BADWIDTH)"),
            }
            after_index = false;
        } else {
            fl.width = number(&mut i);
            if after_index && fl.width.is_some() {
                good = false;
            }
        }
        let mut prec = None;
        if f.get(i) == Some(&'.') && i + 1 < f.len() {
            i += 1;
            if after_index {
                good = false;
            }
            after_index = match index(&mut i, &mut arg, &mut reordered) {
                Some(ok) => {
                    good &= ok;
                    true
                }
                None => false,
            };
            if f.get(i) == Some(&'*') {
                i += 1;
                match star(&mut arg) {
                    Some(p) if p >= 0 => prec = Some(p as usize),
                    Some(_) => {}
                    None => out.push_str("%!(BADPREC)"),
                }
                after_index = false;
            } else {
                prec = Some(number(&mut i).unwrap_or(0));
            }
        }
        if !after_index {
            if let Some(ok) = index(&mut i, &mut arg, &mut reordered) {
                good &= ok;
            }
        }
        if fl.minus {
            fl.zero = false;
        }
        let Some(&verb) = f.get(i) else {
            out.push_str("%!(NOVERB)");
            break;
        };
        i += 1;
        if verb == '%' {
            out.push('%');
            continue;
        }
        if !good {
            out.push_str(&format!("%!{verb}(BADINDEX)"));
            continue;
        }
        if verb == 'v' {
            // `%+v` and `%#v` choose struct and Go syntax; plain values print as with `%v`.
            fl.plus = false;
            fl.sharp = false;
        }
        match args.get(arg) {
            None => out.push_str(&format!("%!{verb}(MISSING)")),
            Some(v) => out.push_str(&format_one(verb, prec, &fl, v)),
        }
        arg += 1;
    }
    if !reordered && arg < args.len() {
        let extra: Vec<String> = args[arg..]
            .iter()
            .map(|v| match v {
                Value::Nil => "<nil>".to_string(),
                v => format!("{}={}", v.type_name(), sprint_value(v)),
            })
            .collect();
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    out
}
