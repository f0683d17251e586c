//! Prometheus's template functions (prometheus/template/template.go), in alert-template mode.

use super::exec::Exec;
use super::funcs::{ArgError, ArgVal, P, check, query_escape, str_arg};
use super::gofmt::float_4g;
use super::gostr;
use super::value::{Sample, Value, time_string};

pub(crate) const FUNCS: &[&str] = &[
    "query",
    "first",
    "label",
    "value",
    "strvalue",
    "args",
    "reReplaceAll",
    "safeHtml",
    "match",
    "title",
    "toUpper",
    "toLower",
    "graphLink",
    "tableLink",
    "sortByLabel",
    "stripPort",
    "stripDomain",
    "humanize",
    "humanize1024",
    "humanizeDuration",
    "humanizePercentage",
    "humanizeTimestamp",
    "toTime",
    "pathPrefix",
    "externalURL",
    "parseDuration",
];

/// The sample argument `check` has let through.
fn sample<'v>(a: &'v ArgVal<'_>) -> Result<&'v Sample, String> {
    match &a.v {
        Value::Sample(s) => Ok(s),
        v => Err(wrong_type("*template.sample", v)),
    }
}

fn wrong_type(want: &str, got: &Value) -> String {
    format!(
        "wrong type for value; expected {want}; got {}",
        got.type_name()
    )
}

/// Why a call failed: its arguments do not fit, or the function returned an error.
pub(crate) enum CallError {
    Args(ArgError),
    Call(String),
}

pub(crate) fn call(
    ex: &mut Exec<'_, '_>,
    name: &str,
    args: &mut [ArgVal<'_>],
) -> Result<Value, CallError> {
    check_sig(name, args).map_err(CallError::Args)?;
    run(ex, name, args).map_err(CallError::Call)
}

fn check_sig(name: &str, args: &mut [ArgVal<'_>]) -> Result<(), ArgError> {
    let sig: (&[P], bool) = match name {
        "query" | "title" | "toUpper" | "toLower" | "graphLink" | "tableLink" | "stripPort"
        | "stripDomain" | "parseDuration" | "safeHtml" => (&[P::Str], false),
        "first" => (&[P::Vector], false),
        "label" => (&[P::Str, P::Sample], false),
        "value" | "strvalue" => (&[P::Sample], false),
        "args" => (&[], true),
        "reReplaceAll" => (&[P::Str, P::Str, P::Str], false),
        "match" => (&[P::Str, P::Str], false),
        "sortByLabel" => (&[P::Str, P::Vector], false),
        "pathPrefix" | "externalURL" => (&[], false),
        _ => (&[P::Any], false),
    };
    check(name, sig.0, sig.1, args)
}

fn run(ex: &mut Exec<'_, '_>, name: &str, args: &[ArgVal<'_>]) -> Result<Value, String> {
    let s = |i: usize| str_arg(&args[i]);
    Ok(match name {
        "query" => {
            let Some(q) = ex.env().querier else {
                return Err("no querier available for templates".into());
            };
            let rows = q.query(&s(0), ex.env().ts_ms)?;
            Value::Vector(
                rows.into_iter()
                    .map(|r| Sample {
                        labels: r.labels,
                        value: r.value,
                    })
                    .collect(),
            )
        }
        "first" => match &args[0].v {
            Value::Vector(v) if !v.is_empty() => Value::Sample(Box::new(v[0].clone())),
            _ => return Err("first() called on vector with no elements".into()),
        },
        "label" => Value::Str(
            sample(&args[1])?
                .labels
                .get(&s(0))
                .cloned()
                .unwrap_or_default(),
        ),
        "value" => Value::Float(sample(&args[0])?.value),
        "strvalue" => Value::Str(
            sample(&args[0])?
                .labels
                .get("__value__")
                .cloned()
                .unwrap_or_default(),
        ),
        "args" => Value::Map(
            args.iter()
                .enumerate()
                .map(|(i, a)| (format!("arg{i}"), a.v.clone()))
                .collect(),
        ),
        "reReplaceAll" => {
            // regexp.MustCompile panics; text/template reports the panic as the call's error.
            let p = s(0);
            ex.charge_regex(&p)?;
            let re = ex.regex(&p).map_err(|m| {
                format!(
                    "regexp: Compile({}): error parsing regexp: {m}",
                    go_quote(&p)
                )
            })?;
            Value::Str(re.replace_all(&s(2), s(1).as_str()).into_owned())
        }
        "match" => {
            ex.charge_regex(&s(0))?;
            let re = ex
                .regex(&s(0))
                .map_err(|m| format!("error parsing regexp: {m}"))?;
            Value::Bool(re.is_match(&s(1)))
        }
        "safeHtml" => Value::Str(s(0)),
        "title" => Value::Str(gostr::title(&s(0))),
        "toUpper" => Value::Str(gostr::to_upper(&s(0))),
        "toLower" => Value::Str(gostr::to_lower(&s(0))),
        "graphLink" => Value::Str(format!("/graph?g0.expr={}&g0.tab=0", query_escape(&s(0)))),
        "tableLink" => Value::Str(format!("/graph?g0.expr={}&g0.tab=1", query_escape(&s(0)))),
        "sortByLabel" => {
            let mut v = match &args[1].v {
                Value::Vector(v) => v.clone(),
                other => return Err(wrong_type("template.queryResult", other)),
            };
            let l = s(0);
            // Stable, by the label's value (missing sorts as "").
            v.sort_by(|a, b| {
                let x = a.labels.get(&l).map(String::as_str).unwrap_or("");
                let y = b.labels.get(&l).map(String::as_str).unwrap_or("");
                x.cmp(y)
            });
            Value::Vector(v)
        }
        "stripPort" => Value::Str(match split_host_port(&s(0)) {
            Some((h, _)) => h,
            None => s(0),
        }),
        "stripDomain" => Value::Str(strip_domain(&s(0))),
        "humanize" => Value::Str(humanize(to_float(&args[0].v)?)),
        "humanize1024" => Value::Str(humanize1024(to_float(&args[0].v)?)),
        "humanizeDuration" => Value::Str(humanize_duration(to_float(&args[0].v)?)),
        "humanizePercentage" => Value::Str(format!("{}%", float_4g(to_float(&args[0].v)? * 100.0))),
        "humanizeTimestamp" => {
            let v = to_float(&args[0].v)?;
            if v.is_nan() || v.is_infinite() {
                Value::Str(float_4g(v))
            } else {
                Value::Str(time_string(to_time(v)?))
            }
        }
        "toTime" => Value::Time(to_time(to_float(&args[0].v)?)?),
        "pathPrefix" => Value::Str(url_path(ex.external_url())),
        "externalURL" => Value::Str(ex.external_url().to_string()),
        "parseDuration" => Value::Float(parse_duration(&s(0))?),
        _ => return Err(format!("function {name:?} not defined")),
    })
}

fn go_quote(p: &str) -> String {
    if p.contains('`') {
        super::gofmt::quote(p)
    } else {
        format!("`{p}`")
    }
}

/// Prometheus's convertToFloat: floats, ints and numeric strings.
fn to_float(v: &Value) -> Result<f64, String> {
    match v {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        Value::Str(s) => gostr::parse_float(s).map_err(|e| {
            format!(
                "strconv.ParseFloat: parsing {}: {e}",
                super::gofmt::quote(s)
            )
        }),
        Value::Nil => Err("can't convert <nil> to float".into()),
        v => Err(format!("can't convert {} to float", v.type_name())),
    }
}

fn to_time(v: f64) -> Result<i64, String> {
    if v.is_nan() || v.is_infinite() {
        return Err("value is NaN or Inf".into());
    }
    let ns = v * 1e9;
    if ns > i64::MAX as f64 || ns < i64::MIN as f64 {
        return Err(format!(
            "{} cannot be represented as a nanoseconds timestamp since it overflows int64",
            super::gofmt::float_v(v)
        ));
    }
    // model.TimeFromUnixNano keeps milliseconds (truncating toward zero).
    Ok((ns as i64) / 1_000_000 * 1_000_000)
}

fn humanize(mut v: f64) -> String {
    if v == 0.0 || v.is_nan() || v.is_infinite() {
        return float_4g(v);
    }
    let mut prefix = "";
    if v.abs() >= 1.0 {
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if v.abs() < 1000.0 {
                break;
            }
            prefix = p;
            v /= 1000.0;
        }
    } else {
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if v.abs() >= 1.0 {
                break;
            }
            prefix = p;
            v *= 1000.0;
        }
    }
    format!("{}{prefix}", float_4g(v))
}

fn humanize1024(mut v: f64) -> String {
    if v.abs() <= 1.0 || v.is_nan() || v.is_infinite() {
        return float_4g(v);
    }
    let mut prefix = "";
    for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] {
        if v.abs() < 1024.0 {
            break;
        }
        prefix = p;
        v /= 1024.0;
    }
    format!("{}{prefix}", float_4g(v))
}

fn humanize_duration(mut v: f64) -> String {
    if v.is_nan() || v.is_infinite() {
        return float_4g(v);
    }
    if v == 0.0 {
        return format!("{}s", float_4g(v));
    }
    if v.abs() >= 1.0 {
        let sign = if v < 0.0 { "-" } else { "" };
        v = v.abs();
        // Go's int64(v) yields MinInt64 for values beyond its range (amd64), and Prometheus
        // prints what follows from that.
        let t = if v >= i64::MAX as f64 {
            i64::MIN
        } else {
            v as i64
        };
        let (secs, mins, hours, days) = (t % 60, (t / 60) % 60, (t / 3600) % 24, t / 86_400);
        if days != 0 {
            return format!("{sign}{days}d {hours}h {mins}m {secs}s");
        }
        if hours != 0 {
            return format!("{sign}{hours}h {mins}m {secs}s");
        }
        if mins != 0 {
            return format!("{sign}{mins}m {secs}s");
        }
        return format!("{sign}{}s", float_4g(v));
    }
    let mut prefix = "";
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
        if v.abs() >= 1.0 {
            break;
        }
        prefix = p;
        v *= 1000.0;
    }
    format!("{}{prefix}s", float_4g(v))
}

/// net.SplitHostPort: `host:port` or `[v6]:port`.
fn split_host_port(s: &str) -> Option<(String, String)> {
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':')?;
        if port.contains([':', '[', ']']) || host.contains('[') {
            return None;
        }
        return Some((host.to_string(), port.to_string()));
    }
    let i = s.rfind(':')?;
    let (host, port) = (&s[..i], &s[i + 1..]);
    if host.contains([':', '[', ']']) || port.contains(['[', ']']) {
        return None;
    }
    Some((host.to_string(), port.to_string()))
}

fn strip_domain(s: &str) -> String {
    let (host, port) = split_host_port(s).unwrap_or_else(|| (s.to_string(), String::new()));
    if host.parse::<std::net::IpAddr>().is_ok() {
        return s.to_string();
    }
    let short = host.split('.').next().unwrap_or("").to_string();
    if port.is_empty() {
        return short;
    }
    if short.contains(':') {
        format!("[{short}]:{port}")
    } else {
        format!("{short}:{port}")
    }
}

/// The path of a URL (`url.URL.Path`), with percent-escapes decoded.
fn url_path(u: &str) -> String {
    let rest = match u.split_once("://") {
        Some((_, r)) => r.find('/').map(|i| &r[i..]).unwrap_or(""),
        None => u,
    };
    let path = rest.split(['?', '#']).next().unwrap_or("");
    percent_decode(path)
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Prometheus's model.ParseDuration, in seconds.
fn parse_duration(s: &str) -> Result<f64, String> {
    let bad = || format!("not a valid duration string: {}", super::gofmt::quote(s));
    if s.is_empty() {
        return Err(bad());
    }
    if s == "0" {
        return Ok(0.0);
    }
    const UNITS: [(&str, u64); 8] = [
        ("y", 365 * 86_400_000),
        ("w", 7 * 86_400_000),
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1000),
        ("ms", 1),
        ("", 0),
    ];
    let mut rest = s;
    let mut next_unit = 0usize;
    let mut total_ms: u64 = 0;
    while !rest.is_empty() {
        let n = rest.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err(bad());
        }
        let num: u64 = rest[..n].parse().map_err(|_| bad())?;
        rest = &rest[n..];
        let unit_len = rest.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let Some(idx) = UNITS[..7].iter().position(|(u, _)| *u == unit) else {
            return Err(bad());
        };
        // Units must appear in decreasing order, each at most once.
        if idx < next_unit {
            return Err(bad());
        }
        next_unit = idx + 1;
        total_ms = num
            .checked_mul(UNITS[idx].1)
            .and_then(|v| total_ms.checked_add(v))
            .filter(|v| *v <= i64::MAX as u64 / 1_000_000)
            .ok_or_else(|| "duration out of range".to_string())?;
    }
    Ok(total_ms as f64 / 1000.0)
}
