//! fmt.Sprintf: verbs, flags, widths, precisions and argument indexes over template values,
//! with Go's notations for misuse (`%!d(string=x)`, `%!s(MISSING)`, `%!(EXTRA …)`).

use super::gofmt::{Flags, format_float, format_int, pad, quote, sprint_value};
use super::value::Value;

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
