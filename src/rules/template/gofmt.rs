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
pub(crate) fn pad(s: String, fl: &Flags, zero_ok: bool) -> String {
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
