//! Function calls: argument evaluation and type checks as Go's reflection-based calls do them,
//! and text/template's builtin functions. Prometheus's own functions live in `prom.rs`.

use super::exec::{Exec, MAX_OUTPUT_BYTES, R, arg_string, cmd_string};
use super::gofmt;
use super::parse::{Arg, Cmd};
use super::prom;
use super::value::Value;

const BUILTINS: &[&str] = &[
    "and", "or", "not", "len", "index", "slice", "eq", "ne", "lt", "le", "gt", "ge", "print",
    "printf", "println", "html", "js", "urlquery",
];

/// Whether a name is a function in alert templates (the parser rejects others).
pub(crate) fn is_defined(name: &str) -> bool {
    BUILTINS.contains(&name) || prom::FUNCS.contains(&name)
}

/// One evaluated argument and, when it was written as a literal, the literal.
pub(crate) struct ArgVal<'a> {
    pub v: Value,
    pub lit: Option<&'a Arg>,
}

/// Parameter types for the typed Prometheus functions.
#[derive(Clone, Copy)]
pub(crate) enum P {
    Str,
    Any,
    Vector,
    Sample,
}

impl P {
    fn go(self) -> &'static str {
        match self {
            P::Str => "string",
            P::Any => "interface {}",
            P::Vector => "template.queryResult",
            P::Sample => "*template.sample",
        }
    }
}

/// Why arguments do not fit a signature: the argument at fault (None: the call as a whole)
/// and Go's message.
pub(crate) struct ArgError {
    pub index: Option<usize>,
    pub msg: String,
}

/// Checks arguments against a Go signature, as text/template does before calling, and
/// converts nil to the parameter's zero value where Go would.
pub(crate) fn check(
    name: &str,
    params: &[P],
    variadic: bool,
    args: &mut [ArgVal<'_>],
) -> Result<(), ArgError> {
    let count = |msg: String| ArgError { index: None, msg };
    if variadic {
        if args.len() < params.len() {
            return Err(count(format!(
                "wrong number of args for {name}: want at least {} got {}",
                params.len(),
                args.len()
            )));
        }
    } else if args.len() != params.len() {
        return Err(count(format!(
            "wrong number of args for {name}: want {} got {}",
            params.len(),
            args.len()
        )));
    }
    for (i, (p, a)) in params.iter().zip(args.iter_mut()).enumerate() {
        let at = |msg: String| ArgError {
            index: Some(i),
            msg,
        };
        if let Some(lit) = a.lit {
            let ok = matches!((p, lit), (P::Any, _) | (P::Str, Arg::Str(_)));
            match (p, lit) {
                _ if ok => continue,
                (_, Arg::Nil) if matches!(p, P::Str) => {
                    return Err(at(format!("cannot assign nil to {}", p.go())));
                }
                (_, Arg::Nil) => {}
                (P::Str, l) => return Err(at(format!("expected string; found {}", arg_string(l)))),
                (_, l) => {
                    return Err(at(format!(
                        "can't handle {} for arg of type {}",
                        arg_string(l),
                        p.go()
                    )));
                }
            }
        }
        match (p, &a.v) {
            (P::Any, _)
            | (P::Str, Value::Str(_))
            | (P::Vector, Value::Vector(_))
            | (P::Sample, Value::Sample(_)) => {}
            (P::Vector, Value::Nil) => a.v = Value::Vector(Vec::new()),
            (P::Sample, Value::Nil) => {
                return Err(ArgError {
                    index: None,
                    msg: format!(
                        "error calling {name}: runtime error: invalid memory address or nil pointer dereference"
                    ),
                });
            }
            (_, Value::Nil) => return Err(at(format!("invalid value; expected {}", p.go()))),
            (_, v) => {
                return Err(at(format!(
                    "wrong type for value; expected {}; got {}",
                    p.go(),
                    v.type_name()
                )));
            }
        }
    }
    Ok(())
}

pub(crate) fn str_arg(a: &ArgVal<'_>) -> String {
    match &a.v {
        Value::Str(s) => s.clone(),
        v => v.go_string(true),
    }
}

/// Calls function `name` for command `c`, with the previous command's result `fin` last.
pub(crate) fn call(
    ex: &mut Exec<'_, '_>,
    name: &str,
    c: &Cmd,
    dot: &Value,
    fin: Option<Value>,
) -> R<Value> {
    let fail =
        |ex: &Exec<'_, '_>, msg: String| ex_fail(ex, c, format!("error calling {name}: {msg}"));
    // and/or stop evaluating at the first operand that decides the result.
    if name == "and" || name == "or" {
        let n = c.args.len() - 1 + usize::from(fin.is_some());
        if n == 0 {
            return Err(ex_fail(
                ex,
                c,
                format!("wrong number of args for {name}: want at least 1 got 0"),
            ));
        }
        let mut last = Value::Nil;
        for (a, &pos) in c.args[1..].iter().zip(&c.arg_pos[1..]) {
            last = ex.arg(a, dot, pos)?;
            if last.truth() != (name == "and") {
                return Ok(last);
            }
        }
        if let Some(f) = fin {
            last = f;
        }
        return Ok(last);
    }
    let mut args = Vec::with_capacity(c.args.len());
    for (a, &pos) in c.args[1..].iter().zip(&c.arg_pos[1..]) {
        let lit = matches!(a, Arg::Str(_) | Arg::Number(..) | Arg::Bool(_) | Arg::Nil).then_some(a);
        args.push(ArgVal {
            v: ex.arg(a, dot, pos)?,
            lit,
        });
    }
    if let Some(f) = fin {
        args.push(ArgVal { v: f, lit: None });
    }
    let v = call_inner(ex, name, c, &mut args)?;
    // Values may grow without output (printf "%s%s" $x $x): bound them like the output.
    if let Value::Str(s) = &v {
        if s.len() > MAX_OUTPUT_BYTES {
            return Err(fail(ex, format!("result exceeds {MAX_OUTPUT_BYTES} bytes")));
        }
    }
    Ok(v)
}

fn call_inner(ex: &mut Exec<'_, '_>, name: &str, c: &Cmd, args: &mut [ArgVal<'_>]) -> R<Value> {
    let fail =
        |ex: &Exec<'_, '_>, msg: String| ex_fail(ex, c, format!("error calling {name}: {msg}"));
    // Misfitting arguments are reported at the argument (or the function), not as a failed call.
    let explicit = c.args.len() - 1;
    let arg_fail = |ex: &Exec<'_, '_>, e: ArgError| match e.index {
        Some(i) if i < explicit => ex.fail(c.arg_pos[i + 1], arg_string(&c.args[i + 1]), e.msg),
        _ => ex.fail(c.pos, name.to_string(), e.msg),
    };
    if BUILTINS.contains(&name) {
        let sig: Option<(&[P], bool)> = match name {
            "not" | "len" => Some((&[P::Any], false)),
            "ne" | "lt" | "le" | "gt" | "ge" => Some((&[P::Any, P::Any], false)),
            "index" | "slice" | "eq" => Some((&[P::Any], true)),
            "printf" => Some((&[P::Str], true)),
            _ => None,
        };
        if let Some((params, variadic)) = sig {
            check(name, params, variadic, args).map_err(|e| arg_fail(ex, e))?;
        }
        return builtin(name, args).map_err(|m| fail(ex, m));
    }
    match prom::call(ex, name, args) {
        Ok(v) => Ok(v),
        Err(prom::CallError::Call(m)) => Err(fail(ex, m)),
        Err(prom::CallError::Args(e)) => Err(arg_fail(ex, e)),
    }
}

fn ex_fail(ex: &Exec<'_, '_>, c: &Cmd, msg: String) -> super::exec::ExecError {
    ex.fail(c.pos, cmd_string(c), msg)
}

fn want(name: &str, n: usize, args: &[ArgVal<'_>]) -> Result<(), String> {
    if args.len() != n {
        return Err(format!(
            "wrong number of args for {name}: want {n} got {}",
            args.len()
        ));
    }
    Ok(())
}

fn builtin(name: &str, args: &[ArgVal<'_>]) -> Result<Value, String> {
    let vals: Vec<Value> = args.iter().map(|a| a.v.clone()).collect();
    match name {
        "not" => {
            want(name, 1, args)?;
            Ok(Value::Bool(!vals[0].truth()))
        }
        "len" => {
            want(name, 1, args)?;
            match &vals[0] {
                Value::Str(s) => Ok(Value::Int(s.len() as i64)),
                Value::StrMap(m) => Ok(Value::Int(m.len() as i64)),
                Value::Map(m) => Ok(Value::Int(m.len() as i64)),
                Value::Vector(v) => Ok(Value::Int(v.len() as i64)),
                Value::Nil => Err("len of nil pointer".into()),
                v => Err(format!("len of type {}", v.type_name())),
            }
        }
        "index" => {
            if args.is_empty() {
                return Err("wrong number of args for index: want at least 1 got 0".into());
            }
            let mut item = vals[0].clone();
            for k in &vals[1..] {
                item = index(&item, k)?;
            }
            Ok(item)
        }
        "slice" => {
            if args.is_empty() {
                return Err("wrong number of args for slice: want at least 1 got 0".into());
            }
            slice(&vals[0], &vals[1..])
        }
        "eq" => {
            if args.len() < 2 {
                return Err(if args.is_empty() {
                    "wrong number of args for eq: want at least 1 got 0".into()
                } else {
                    "missing argument for comparison".into()
                });
            }
            for b in &vals[1..] {
                if equal(&vals[0], b)? {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }
        "ne" => {
            want(name, 2, args)?;
            Ok(Value::Bool(!equal(&vals[0], &vals[1])?))
        }
        "lt" | "le" | "gt" | "ge" => {
            want(name, 2, args)?;
            let (a, b) = (&vals[0], &vals[1]);
            let r = match name {
                "lt" => less(a, b)?,
                "le" => less(a, b)? || equal(a, b)?,
                "gt" => !less(a, b)? && !equal(a, b)?,
                _ => !less(a, b)?,
            };
            Ok(Value::Bool(r))
        }
        "print" => Ok(Value::Str(gofmt::sprint(&vals))),
        "println" => Ok(Value::Str(gofmt::sprintln(&vals))),
        "printf" => {
            if args.is_empty() {
                return Err("wrong number of args for printf: want at least 1 got 0".into());
            }
            let Value::Str(f) = &vals[0] else {
                return Err(format!(
                    "wrong type for value; expected string; got {}",
                    vals[0].type_name()
                ));
            };
            Ok(Value::Str(super::printf::sprintf(f, &vals[1..])))
        }
        "html" => Ok(Value::Str(html_escape(&eval_args(&vals)))),
        "js" => Ok(Value::Str(js_escape(&eval_args(&vals)))),
        "urlquery" => Ok(Value::Str(query_escape(&eval_args(&vals)))),
        _ => Err(format!("function {name:?} not defined")),
    }
}

/// text/template's evalArgs: a lone string as is, otherwise fmt.Sprint of the arguments.
fn eval_args(vals: &[Value]) -> String {
    match vals {
        [Value::Str(s)] => s.clone(),
        v => gofmt::sprint(v),
    }
}

fn index(item: &Value, key: &Value) -> Result<Value, String> {
    match (item, key) {
        (Value::StrMap(m), Value::Str(k)) => Ok(Value::Str(m.get(k).cloned().unwrap_or_default())),
        (Value::Map(m), Value::Str(k)) => Ok(m.get(k).cloned().unwrap_or(Value::Nil)),
        (Value::StrMap(_) | Value::Map(_), Value::Nil) => {
            Err("value is nil; should be of type string".into())
        }
        (Value::StrMap(_) | Value::Map(_), k) => Err(format!(
            "value has type {}; should be string",
            k.type_name()
        )),
        (Value::Vector(v), Value::Int(i)) => {
            if *i < 0 || *i as usize >= v.len() {
                return Err(format!("index out of range: {i}"));
            }
            Ok(Value::Sample(Box::new(v[*i as usize].clone())))
        }
        (Value::Str(s), Value::Int(i)) => {
            if *i < 0 || *i as usize >= s.len() {
                return Err(format!("index out of range: {i}"));
            }
            Ok(Value::Int(i64::from(s.as_bytes()[*i as usize])))
        }
        (Value::Vector(_) | Value::Str(_), k) => Err(format!(
            "cannot index slice/array with type {}",
            k.type_name()
        )),
        (Value::Nil, _) => Err("index of untyped nil".into()),
        (v, _) => Err(format!("can't index item of type {}", v.type_name())),
    }
}

fn slice(item: &Value, idx: &[Value]) -> Result<Value, String> {
    if idx.len() > 3 {
        return Err(format!("too many slice indexes: {}", idx.len()));
    }
    let len = match item {
        Value::Str(s) => {
            if idx.len() == 3 {
                return Err("cannot 3-index slice a string".into());
            }
            s.len()
        }
        Value::Vector(v) => v.len(),
        Value::Nil => return Err("slice of untyped nil".into()),
        v => return Err(format!("can't slice item of type {}", v.type_name())),
    };
    let mut ix = [0usize, len, len];
    for (n, v) in idx.iter().enumerate() {
        let Value::Int(i) = v else {
            return Err(format!(
                "cannot index slice/array with type {}",
                v.type_name()
            ));
        };
        if *i < 0 || *i as usize > len {
            return Err(format!("index out of range: {i}"));
        }
        ix[n] = *i as usize;
    }
    if ix[0] > ix[1] {
        return Err(format!("invalid slice index: {} > {}", ix[0], ix[1]));
    }
    match item {
        Value::Str(s) => s
            .get(ix[0]..ix[1])
            .map(|t| Value::Str(t.to_string()))
            .ok_or_else(|| "slice splits a UTF-8 character".to_string()),
        Value::Vector(v) => Ok(Value::Vector(v[ix[0]..ix[1]].to_vec())),
        _ => Err("can't slice".into()),
    }
}

fn basic(v: &Value) -> Option<u8> {
    match v {
        Value::Bool(_) => Some(0),
        Value::Int(_) => Some(1),
        Value::Float(_) => Some(2),
        Value::Str(_) => Some(3),
        _ => None,
    }
}

fn equal(a: &Value, b: &Value) -> Result<bool, String> {
    let (ka, kb) = (basic(a), basic(b));
    let nil = matches!(a, Value::Nil) || matches!(b, Value::Nil);
    if ka != kb {
        return if nil {
            Ok(false)
        } else {
            Err("incompatible types for comparison".into())
        };
    }
    if ka.is_some() {
        return Ok(match (a, b) {
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::Int(x), Value::Int(y)) => x == y,
            (Value::Float(x), Value::Float(y)) => x == y,
            (Value::Str(x), Value::Str(y)) => x == y,
            _ => false,
        });
    }
    match (a, b) {
        (Value::Nil, Value::Nil) => Ok(true),
        _ if nil => Ok(false),
        (Value::StrMap(_) | Value::Map(_) | Value::Vector(_), _)
        | (_, Value::StrMap(_) | Value::Map(_) | Value::Vector(_)) => Err(format!(
            "non-comparable types {}: {}, {}: {}",
            a.go_string(true),
            a.type_name(),
            b.type_name(),
            b.go_string(true)
        )),
        _ if a.type_name() != b.type_name() => Err("incompatible types for comparison".into()),
        _ => Ok(a == b),
    }
}

fn less(a: &Value, b: &Value) -> Result<bool, String> {
    match (basic(a), basic(b)) {
        (None, _) | (_, None) | (Some(0), _) => Err("invalid type for comparison".into()),
        (Some(x), Some(y)) if x != y => Err("incompatible types for comparison".into()),
        _ => Ok(match (a, b) {
            (Value::Int(x), Value::Int(y)) => x < y,
            (Value::Float(x), Value::Float(y)) => x < y,
            (Value::Str(x), Value::Str(y)) => x < y,
            _ => false,
        }),
    }
}

/// template.HTMLEscapeString.
pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\'' => out.push_str("&#39;"),
            '"' => out.push_str("&#34;"),
            '\0' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// template.JSEscapeString.
fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if !is_print(c) => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// url.QueryEscape.
pub(crate) fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space.
fn is_print(c: char) -> bool {
    c == ' '
        || !(c.is_control()
            || c.is_whitespace()
            || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{206f}' | '\u{feff}'))
}
