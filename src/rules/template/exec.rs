//! Executes a parsed template against alert data, with Go's semantics for dot, variables,
//! control structures and pipelines, and bounded work (nesting, output size, steps).

use super::Env;
use super::funcs;
use super::parse::{Arg, Branch, Cmd, Node, Num, Pipe, Tree};
use super::value::Value;

/// Most nested `{{template}}` calls (Go allows 100000; we keep the native stack small).
pub const MAX_TEMPLATE_DEPTH: usize = 100;
/// Largest output one execution may produce.
pub const MAX_OUTPUT_BYTES: usize = 1 << 20;
/// Most nodes, range iterations and function calls one execution may run.
pub const MAX_STEPS: usize = 1_000_000;

/// An execution error: the failing node's offset and text, and Go's message.
#[derive(Debug)]
pub(crate) struct ExecError {
    pub pos: usize,
    pub context: String,
    pub msg: String,
    /// The template (main or `define`d) that was executing.
    pub template: String,
}

pub(crate) type R<T> = Result<T, ExecError>;

enum Flow {
    Normal,
    Break,
    Continue,
}

pub(crate) struct Exec<'a, 'e> {
    tree: &'a Tree,
    env: &'a Env<'e>,
    pub out: String,
    vars: Vec<(String, Value)>,
    depth: usize,
    steps: usize,
    current: String,
    /// The name of the main template, which `{{template}}` can call too.
    main_name: String,
    external_url: String,
    regexes: super::goregex::Cache,
}

impl<'a, 'e> Exec<'a, 'e> {
    pub(crate) fn new(tree: &'a Tree, env: &'a Env<'e>, name: &str, external_url: &str) -> Self {
        Exec {
            tree,
            env,
            out: String::new(),
            vars: Vec::new(),
            depth: 0,
            steps: 0,
            current: name.to_string(),
            main_name: name.to_string(),
            external_url: external_url.to_string(),
            regexes: super::goregex::Cache::default(),
        }
    }

    /// A compiled Go regular expression (cached for this execution).
    /// Charges for compiling `pattern` unless it is cached: 1000 steps plus its length, so a
    /// template cannot spend its budget compiling a fresh pattern on every iteration.
    pub(crate) fn charge_regex(&mut self, pattern: &str) -> Result<(), String> {
        if !self.regexes.contains(pattern) {
            self.steps = self.steps.saturating_add(1000 + pattern.len());
            if self.steps > MAX_STEPS {
                return Err(format!("template execution exceeded {MAX_STEPS} steps"));
            }
        }
        Ok(())
    }

    /// A compiled Go regular expression (cached for this execution), or Go's syntax error.
    pub(crate) fn regex(&mut self, pattern: &str) -> Result<regex::Regex, String> {
        self.regexes.get(pattern)
    }

    /// The alert's external URL, for the `externalURL` and `pathPrefix` functions.
    pub(crate) fn external_url(&self) -> &str {
        &self.external_url
    }

    pub(crate) fn env(&self) -> &Env<'e> {
        self.env
    }

    pub(crate) fn run(&mut self, dot: &Value) -> R<()> {
        self.vars.push(("$".into(), dot.clone()));
        self.list(&self.tree.main, dot)?;
        Ok(())
    }

    pub(crate) fn fail(&self, pos: usize, context: String, msg: impl Into<String>) -> ExecError {
        ExecError {
            pos,
            context,
            msg: msg.into(),
            template: self.current.clone(),
        }
    }

    fn step(&mut self, pos: usize) -> R<()> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return Err(self.fail(
                pos,
                String::new(),
                format!("template execution exceeded {MAX_STEPS} steps"),
            ));
        }
        Ok(())
    }

    fn write(&mut self, s: &str, pos: usize) -> R<()> {
        if self.out.len() + s.len() > MAX_OUTPUT_BYTES {
            return Err(self.fail(
                pos,
                String::new(),
                format!("template output exceeds {MAX_OUTPUT_BYTES} bytes"),
            ));
        }
        self.out.push_str(s);
        Ok(())
    }

    fn list(&mut self, nodes: &[Node], dot: &Value) -> R<Flow> {
        for n in nodes {
            match self.node(n, dot)? {
                Flow::Normal => {}
                f => return Ok(f),
            }
        }
        Ok(Flow::Normal)
    }

    fn node(&mut self, n: &Node, dot: &Value) -> R<Flow> {
        match n {
            Node::Text(t) => {
                self.write(t, 0)?;
            }
            Node::Action(p) => {
                self.step(p.pos)?;
                let v = self.pipe(p, dot)?;
                if p.decl.is_empty() {
                    self.write(&v.template_string(), p.pos)?;
                }
            }
            Node::If(b) => return self.branch(b, dot, false),
            Node::With(b) => return self.branch(b, dot, true),
            Node::Range(b) => return self.range(b, dot),
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
            Node::Template { pos, name, pipe } => self.template(*pos, name, pipe.as_ref(), dot)?,
        }
        Ok(Flow::Normal)
    }

    fn branch(&mut self, b: &Branch, dot: &Value, with: bool) -> R<Flow> {
        let mark = self.vars.len();
        self.step(b.pipe.pos)?;
        let v = self.pipe(&b.pipe, dot)?;
        let flow = if v.truth() {
            let d = if with { v } else { dot.clone() };
            self.list(&b.list, &d)?
        } else if let Some(e) = &b.else_list {
            self.list(e, dot)?
        } else {
            Flow::Normal
        };
        self.vars.truncate(mark);
        Ok(flow)
    }

    fn range(&mut self, b: &Branch, dot: &Value) -> R<Flow> {
        let mark = self.vars.len();
        self.step(b.pipe.pos)?;
        // The range variables are set per element, not to the pipeline's value.
        let v = self.pipe_value(&b.pipe, dot)?;
        let items: Vec<(Value, Value)> = match &v {
            Value::Vector(s) => s
                .iter()
                .enumerate()
                .map(|(i, s)| (Value::Int(i as i64), Value::Sample(Box::new(s.clone()))))
                .collect(),
            Value::StrMap(m) => m
                .iter()
                .map(|(k, v)| (Value::Str(k.clone()), Value::Str(v.clone())))
                .collect(),
            Value::Map(m) => m
                .iter()
                .map(|(k, v)| (Value::Str(k.clone()), v.clone()))
                .collect(),
            Value::Nil => Vec::new(),
            other => {
                // Go reports this at the first word of the pipeline's last command.
                let (pos, ctx) = match b.pipe.cmds.last() {
                    Some(c) => (c.arg_pos[0], arg_string(&c.args[0])),
                    None => (b.pipe.pos, pipe_string(&b.pipe)),
                };
                return Err(self.fail(
                    pos,
                    ctx,
                    format!("range can't iterate over {}", other.go_string(true)),
                ));
            }
        };
        if items.is_empty() {
            let flow = match &b.else_list {
                Some(e) => self.list(e, dot)?,
                None => Flow::Normal,
            };
            self.vars.truncate(mark);
            return Ok(flow);
        }
        for (k, elem) in items {
            self.step(b.pipe.pos)?;
            let inner = self.vars.len();
            match b.pipe.decl.as_slice() {
                [] => {}
                [one] => self.set_var(one, elem.clone(), b.pipe.is_assign),
                [i, e, ..] => {
                    self.set_var(i, k, b.pipe.is_assign);
                    self.set_var(e, elem.clone(), b.pipe.is_assign);
                }
            }
            let flow = self.list(&b.list, &elem)?;
            self.vars.truncate(inner.max(mark));
            if let Flow::Break = flow {
                break;
            }
        }
        self.vars.truncate(mark);
        Ok(Flow::Normal)
    }

    fn template(&mut self, pos: usize, name: &str, pipe: Option<&Pipe>, dot: &Value) -> R<()> {
        let tree = self.tree;
        let body = match tree.defines.get(name) {
            Some(b) => Some(b),
            None if name == self.main_name => Some(&tree.main),
            None => None,
        };
        let Some(body) = body else {
            return Err(self.fail(
                pos,
                format!("{{{{template {name:?}}}}}"),
                format!("template {name:?} not defined"),
            ));
        };
        if self.depth >= MAX_TEMPLATE_DEPTH {
            return Err(self.fail(
                pos,
                format!("{{{{template {name:?}}}}}"),
                format!("exceeded maximum template depth ({MAX_TEMPLATE_DEPTH})"),
            ));
        }
        let d = match pipe {
            Some(p) => self.pipe(p, dot)?,
            None => Value::Nil,
        };
        let saved_vars = std::mem::replace(&mut self.vars, vec![("$".into(), d.clone())]);
        let saved_name = std::mem::replace(&mut self.current, name.to_string());
        self.depth += 1;
        let res = self.list(body, &d);
        self.depth -= 1;
        self.vars = saved_vars;
        self.current = saved_name;
        res.map(|_| ())
    }

    fn set_var(&mut self, name: &str, v: Value, assign: bool) {
        if assign {
            if let Some(slot) = self.vars.iter_mut().rev().find(|(n, _)| n == name) {
                slot.1 = v;
            }
        } else {
            self.vars.push((name.to_string(), v));
        }
    }

    fn var(&self, name: &str) -> Value {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or(Value::Nil)
    }

    /// Runs a pipeline and binds its declared variables.
    pub(crate) fn pipe(&mut self, p: &Pipe, dot: &Value) -> R<Value> {
        let v = self.pipe_value(p, dot)?;
        if let Some(first) = p.decl.first() {
            if p.is_assign && !self.vars.iter().any(|(n, _)| n == first) {
                // Go reports this at the last node it evaluated.
                let last = p
                    .cmds
                    .last()
                    .map(|c| (c.arg_pos[0], arg_string(&c.args[0])));
                let (pos, ctx) = last.unwrap_or((p.pos, String::new()));
                return Err(self.fail(pos, ctx, format!("undefined variable: {first}")));
            }
            self.set_var(first, v.clone(), p.is_assign);
        }
        Ok(v)
    }

    fn pipe_value(&mut self, p: &Pipe, dot: &Value) -> R<Value> {
        let mut last: Option<Value> = None;
        for c in &p.cmds {
            last = Some(self.cmd(c, dot, last)?);
        }
        Ok(last.unwrap_or(Value::Nil))
    }

    fn cmd(&mut self, c: &Cmd, dot: &Value, fin: Option<Value>) -> R<Value> {
        self.step(c.pos)?;
        let first = &c.args[0];
        let no_args = c.args.len() == 1 && fin.is_none();
        let not_fn = |s: &Self| {
            s.fail(
                c.pos,
                arg_string(first),
                format!("can't give argument to non-function {}", arg_string(first)),
            )
        };
        match first {
            Arg::Func(name) => funcs::call(self, name, c, dot, fin),
            Arg::Nil => Err(self.fail(c.pos, "nil".into(), "nil is not a command")),
            Arg::Field(fs) | Arg::Var(_, fs) | Arg::Pipe(_, fs) if !no_args && !fs.is_empty() => {
                // Arguments to a field: Go looks the field up as a method and explains why it
                // cannot be called.
                let (last, init) = fs
                    .split_last()
                    .map(|(l, i)| (l.clone(), i.to_vec()))
                    .unwrap_or_default();
                let receiver = match first {
                    Arg::Field(_) => Arg::Field(init),
                    Arg::Var(v, _) => Arg::Var(v.clone(), init),
                    Arg::Pipe(p, _) => Arg::Pipe(p.clone(), init),
                    other => other.clone(),
                };
                let recv = match (&receiver, first) {
                    (Arg::Field(f), _) if f.is_empty() => dot.clone(),
                    _ => self.arg(&receiver, dot, c.arg_pos[0])?,
                };
                if let (Value::Time(ns), "Format") = (&recv, last.as_str()) {
                    // The one time method with an argument: Format(layout string).
                    let mut vals = Vec::new();
                    for (a, &pos) in c.args[1..].iter().zip(&c.arg_pos[1..]) {
                        if matches!(a, Arg::Number(..) | Arg::Bool(_) | Arg::Nil) {
                            let msg = format!("expected string; found {}", arg_string(a));
                            return Err(self.fail(pos, arg_string(a), msg));
                        }
                        vals.push(self.arg(a, dot, pos)?);
                    }
                    vals.extend(fin);
                    return match vals.as_slice() {
                        [Value::Str(layout)] => Ok(Value::Str(super::gotime::format(*ns, layout))),
                        [v] => Err(self.fail(
                            c.arg_pos[0],
                            arg_string(first),
                            format!(
                                "wrong type for value; expected string; got {}",
                                v.type_name()
                            ),
                        )),
                        vs => Err(self.fail(
                            c.arg_pos[0],
                            arg_string(first),
                            format!("wrong number of args for Format: want 1 got {}", vs.len()),
                        )),
                    };
                }
                let msg = match recv {
                    Value::StrMap(_) | Value::Map(_) => {
                        format!("{last} is not a method but has arguments")
                    }
                    Value::Data(_) | Value::Sample(_) => {
                        format!("{last} has arguments but cannot be invoked as function")
                    }
                    other => match self.field(other, &last) {
                        Err(m) => m,
                        Ok(_) => format!("{last} has arguments but cannot be invoked as function"),
                    },
                };
                Err(self.fail(c.arg_pos[0], arg_string(first), msg))
            }
            _ => {
                if !no_args {
                    return Err(not_fn(self));
                }
                self.arg(first, dot, c.arg_pos[0])
            }
        }
    }

    /// Evaluates one operand (a function name alone is called with no arguments).
    pub(crate) fn arg(&mut self, a: &Arg, dot: &Value, pos: usize) -> R<Value> {
        Ok(match a {
            Arg::Dot => dot.clone(),
            Arg::Nil => Value::Nil,
            Arg::Bool(b) => Value::Bool(*b),
            Arg::Number(_, Num::Int(i)) => Value::Int(*i),
            Arg::Number(_, Num::Float(f)) => Value::Float(*f),
            Arg::Str(s) => Value::Str(s.clone()),
            Arg::Field(fs) => self.fields(dot.clone(), fs, pos, a)?,
            Arg::Var(v, fs) => {
                let base = self.var(v);
                self.fields(base, fs, pos, a)?
            }
            Arg::Pipe(p, fs) => {
                let base = self.pipe(p, dot)?;
                self.fields(base, fs, pos, a)?
            }
            Arg::Func(name) => {
                let c = Cmd {
                    pos,
                    args: vec![a.clone()],
                    arg_pos: vec![pos],
                };
                funcs::call(self, name, &c, dot, None)?
            }
        })
    }

    fn fields(&self, mut v: Value, fs: &[String], pos: usize, node: &Arg) -> R<Value> {
        // Fields of no data at all (dot of `{{template "t"}}`) are no value, as in Go; a nil
        // found inside a map is a nil interface, whose fields are an error.
        if v == Value::Nil {
            return Ok(Value::Nil);
        }
        for f in fs {
            v = self
                .field(v, f)
                .map_err(|msg| self.fail(pos, arg_string(node), msg))?;
        }
        Ok(v)
    }

    fn field(&self, v: Value, f: &str) -> Result<Value, String> {
        let no_field = |t: &str| format!("can't evaluate field {f} in type {t}");
        match v {
            Value::Data(d) => match f {
                "Labels" => Ok(Value::StrMap(d.labels)),
                "ExternalLabels" => Ok(Value::StrMap(d.external_labels)),
                "ExternalURL" => Ok(Value::Str(d.external_url)),
                "Value" => Ok(Value::Float(d.value)),
                _ => Err(no_field(Value::Data(d.clone()).type_name())),
            },
            Value::Sample(s) => match f {
                "Labels" => Ok(Value::StrMap(s.labels)),
                "Value" => Ok(Value::Float(s.value)),
                _ => Err(no_field("template.sample")),
            },
            Value::StrMap(m) => Ok(Value::Str(m.get(f).cloned().unwrap_or_default())),
            Value::Map(m) => Ok(m.get(f).cloned().unwrap_or(Value::Nil)),
            Value::Time(ns) => match f {
                "Unix" => Ok(Value::Int(ns.div_euclid(1_000_000_000))),
                "UnixMilli" => Ok(Value::Int(ns.div_euclid(1_000_000))),
                "UnixMicro" => Ok(Value::Int(ns.div_euclid(1_000))),
                "UnixNano" => Ok(Value::Int(ns)),
                "UTC" => Ok(Value::Time(ns)),
                "String" => Ok(Value::Str(super::value::time_string(ns))),
                "Format" => Err("wrong number of args for Format: want 1 got 0".to_string()),
                _ => Err(no_field("*time.Time")),
            },
            Value::Nil => Err(format!("nil pointer evaluating interface {{}}.{f}")),
            other => Err(no_field(other.type_name())),
        }
    }
}

/// Go's String() of an operand, for error context.
pub(crate) fn arg_string(a: &Arg) -> String {
    let fields = |fs: &[String]| fs.iter().map(|f| format!(".{f}")).collect::<String>();
    match a {
        Arg::Dot => ".".into(),
        Arg::Nil => "nil".into(),
        Arg::Bool(b) => b.to_string(),
        Arg::Number(t, _) => t.clone(),
        Arg::Str(s) => super::gofmt::quote(s),
        Arg::Field(fs) => fields(fs),
        Arg::Var(v, fs) => format!("{v}{}", fields(fs)),
        Arg::Func(n) => n.clone(),
        Arg::Pipe(p, fs) => format!("({}){}", pipe_string(p), fields(fs)),
    }
}

pub(crate) fn cmd_string(c: &Cmd) -> String {
    c.args.iter().map(arg_string).collect::<Vec<_>>().join(" ")
}

pub(crate) fn pipe_string(p: &Pipe) -> String {
    let mut s = String::new();
    if !p.decl.is_empty() {
        s = format!(
            "{} {} ",
            p.decl.join(", "),
            if p.is_assign { "=" } else { ":=" }
        );
    }
    s + &p
        .cmds
        .iter()
        .map(cmd_string)
        .collect::<Vec<_>>()
        .join(" | ")
}
