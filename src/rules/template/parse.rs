//! Builds the syntax tree of a template from the lexer's tokens, with the checks Go's parser
//! makes at parse time (defined functions, declared variables, block structure).

use std::collections::BTreeMap;

pub(crate) use super::ast::{Arg, Branch, Cmd, Node, Num, Pipe, Tree};
use super::funcs;
use super::lexer::{self, Tok, Token};

/// A parse error: message and byte offset.
#[derive(Debug)]
pub(crate) struct ParseError {
    pub msg: String,
    pub pos: usize,
}

impl From<lexer::LexError> for ParseError {
    fn from(e: lexer::LexError) -> Self {
        ParseError {
            msg: e.msg,
            pos: e.pos,
        }
    }
}

type Result<T> = std::result::Result<T, ParseError>;

/// Deepest nesting of `if`/`range`/`with`/`block` and parentheses. Go allows 10000; we keep
/// the native stack small, since the parser and executor recurse per level.
pub(crate) const MAX_NESTING: usize = 100;

/// How a list of nodes ended.
enum Ending {
    End,
    Else(usize),
    Eof,
}

struct Parser {
    toks: Vec<Token>,
    i: usize,
    /// Declared variables in scope, innermost last.
    vars: Vec<String>,
    defines: BTreeMap<String, Vec<Node>>,
    range_depth: usize,
    /// Nesting of control structures and parentheses, bounded to keep recursion shallow.
    depth: usize,
}

pub(crate) fn parse(src: &str) -> Result<Tree> {
    let toks = lexer::lex(src)?;
    let mut p = Parser {
        toks,
        i: 0,
        vars: vec!["$".into()],
        defines: BTreeMap::new(),
        range_depth: 0,
        depth: 0,
    };
    let (main, end) = p.list(true)?;
    match end {
        Ending::Eof => Ok(Tree {
            main,
            defines: p.defines,
        }),
        Ending::End => Err(p.err_at(p.prev_pos(), "unexpected {{end}}")),
        Ending::Else(pos) => Err(p.err_at(pos, "unexpected {{else}}")),
    }
}

fn err(msg: impl Into<String>, pos: usize) -> ParseError {
    ParseError {
        msg: msg.into(),
        pos,
    }
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.i.min(self.toks.len() - 1)].kind
    }
    fn pos(&self) -> usize {
        self.toks[self.i.min(self.toks.len() - 1)].pos
    }
    fn prev_pos(&self) -> usize {
        self.toks[self.i.saturating_sub(1).min(self.toks.len() - 1)].pos
    }
    fn next(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.i < self.toks.len() {
            self.i += 1;
        }
        t
    }
    fn skip_space(&mut self) {
        while *self.peek() == Tok::Space {
            self.i += 1;
        }
    }
    fn next_non_space(&mut self) -> Tok {
        self.skip_space();
        self.next()
    }
    fn peek_non_space(&mut self) -> &Tok {
        self.skip_space();
        self.peek()
    }
    fn err_at(&self, pos: usize, msg: &str) -> ParseError {
        err(msg, pos)
    }
    fn expect_right(&mut self, ctx: &str) -> Result<()> {
        let pos = self.pos();
        match self.next_non_space() {
            Tok::RightDelim => Ok(()),
            t => Err(err(format!("unexpected {} in {ctx}", describe(&t)), pos)),
        }
    }

    /// Parses nodes until `{{end}}`, `{{else}}` or the end of input.
    fn list(&mut self, top: bool) -> Result<(Vec<Node>, Ending)> {
        let mut nodes = Vec::new();
        loop {
            let pos = self.pos();
            match self.next() {
                Tok::Eof => return Ok((nodes, Ending::Eof)),
                Tok::Text(t) => nodes.push(Node::Text(t)),
                Tok::LeftDelim => {
                    self.skip_space();
                    let kw = match self.peek() {
                        Tok::Ident(k) => k.clone(),
                        _ => String::new(),
                    };
                    let kpos = self.pos();
                    match kw.as_str() {
                        "end" => {
                            self.i += 1;
                            self.expect_right("end")?;
                            return Ok((nodes, Ending::End));
                        }
                        "else" => {
                            self.i += 1;
                            return Ok((nodes, Ending::Else(kpos)));
                        }
                        "if" | "range" | "with" => {
                            self.i += 1;
                            nodes.push(self.branch(&kw, kpos)?);
                        }
                        "define" if top => {
                            self.i += 1;
                            self.define(kpos, false)?;
                        }
                        "block" => {
                            self.i += 1;
                            nodes.push(self.nested(kpos, |p| p.define(kpos, true))?);
                        }
                        "template" => {
                            self.i += 1;
                            nodes.push(self.template_call(kpos)?);
                        }
                        "break" | "continue" => {
                            self.i += 1;
                            if self.range_depth == 0 {
                                return Err(err(
                                    format!("{{{{{kw}}}}} outside {{{{range}}}}"),
                                    kpos,
                                ));
                            }
                            self.expect_right(&kw)?;
                            nodes.push(if kw == "break" {
                                Node::Break
                            } else {
                                Node::Continue
                            });
                        }
                        _ => {
                            let pipe = self.pipeline("command", true)?;
                            nodes.push(Node::Action(pipe));
                        }
                    }
                }
                t => return Err(err(format!("unexpected {}", describe(&t)), pos)),
            }
        }
    }

    /// Enters one level of nesting, failing past `MAX_NESTING`.
    fn nested<T>(&mut self, pos: usize, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        if self.depth >= MAX_NESTING {
            return Err(err("max expression depth exceeded", pos));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn branch(&mut self, kw: &str, kpos: usize) -> Result<Node> {
        self.nested(kpos, |p| p.branch_inner(kw, kpos))
    }

    fn branch_inner(&mut self, kw: &str, kpos: usize) -> Result<Node> {
        let saved = self.vars.len();
        let pipe = self.pipeline(kw, kw == "range" || kw == "if" || kw == "with")?;
        if kw == "range" {
            self.range_depth += 1;
        }
        let (list, end) = self.list(false)?;
        if kw == "range" {
            self.range_depth -= 1;
        }
        let else_list = match end {
            Ending::Eof => return Err(err("unexpected EOF", self.pos())),
            Ending::End => None,
            Ending::Else(epos) => {
                // `{{else if …}}` / `{{else with …}}` chain: a nested branch ending at our {{end}}.
                let nested = match self.peek_non_space() {
                    Tok::Ident(k) if k == "if" && kw == "if" => {
                        let k = k.clone();
                        Some(k)
                    }
                    _ => None,
                };
                if let Some(k) = nested {
                    self.i += 1;
                    let node = self.branch(&k, epos)?;
                    self.vars.truncate(saved);
                    return Ok(make_branch(kw, pipe, list, Some(vec![node])));
                }
                self.expect_right("else")?;
                let (else_list, end) = self.list(false)?;
                match end {
                    Ending::End => Some(else_list),
                    Ending::Eof => return Err(err("unexpected EOF", self.pos())),
                    Ending::Else(p) => return Err(err("expected end; found {{else}}", p)),
                }
            }
        };
        let _ = kpos;
        self.vars.truncate(saved);
        Ok(make_branch(kw, pipe, list, else_list))
    }

    /// `{{define "name"}}…{{end}}` or `{{block "name" pipeline}}…{{end}}`.
    fn define(&mut self, kpos: usize, block: bool) -> Result<Node> {
        let ctx = if block {
            "block clause"
        } else {
            "define clause"
        };
        let name = match self.next_non_space() {
            Tok::Str(s) => s,
            t => return Err(err(format!("unexpected {} in {ctx}", describe(&t)), kpos)),
        };
        let pipe = if block {
            Some(self.pipeline(ctx, false)?)
        } else {
            self.expect_right(ctx)?;
            None
        };
        let saved = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let saved_range = std::mem::take(&mut self.range_depth);
        let (body, end) = self.list(false)?;
        self.vars = saved;
        self.range_depth = saved_range;
        match end {
            Ending::End => {}
            Ending::Eof => return Err(err("unexpected EOF", self.pos())),
            Ending::Else(p) => return Err(err("unexpected {{else}}", p)),
        }
        self.defines.insert(name.clone(), body);
        Ok(Node::Template {
            pos: kpos,
            name,
            pipe,
        })
    }

    fn template_call(&mut self, kpos: usize) -> Result<Node> {
        self.skip_space();
        let npos = self.pos();
        let name = match self.next() {
            Tok::Str(s) => s,
            t => {
                return Err(err(
                    format!("unexpected {} in template clause", describe(&t)),
                    kpos,
                ));
            }
        };
        let pipe = if *self.peek_non_space() == Tok::RightDelim {
            self.i += 1;
            None
        } else {
            Some(self.pipeline("template clause", false)?)
        };
        Ok(Node::Template {
            pos: npos,
            name,
            pipe,
        })
    }

    /// A pipeline up to and including `}}`, with optional variable declarations.
    fn pipeline(&mut self, ctx: &str, allow_decl: bool) -> Result<Pipe> {
        let pos = {
            self.skip_space();
            self.pos()
        };
        let mut decl = Vec::new();
        let mut is_assign = false;
        // Look ahead for `$x :=`, `$x =` or `$i, $v :=`.
        if let Tok::Var(v) = self.peek().clone() {
            let save = self.i;
            self.i += 1;
            let mut names = vec![v];
            let mut ok = false;
            loop {
                match self.peek_non_space().clone() {
                    Tok::Declare => {
                        self.i += 1;
                        ok = true;
                        break;
                    }
                    Tok::Assign if names.len() == 1 => {
                        self.i += 1;
                        ok = true;
                        is_assign = true;
                        break;
                    }
                    Tok::Comma if ctx == "range" && names.len() == 2 => {
                        return Err(err("too many declarations in range", pos));
                    }
                    Tok::Comma if ctx == "range" && names.len() == 1 => {
                        self.i += 1;
                        match self.next_non_space() {
                            Tok::Var(v2) => names.push(v2),
                            _ => return Err(err("range can only initialize variables", pos)),
                        }
                    }
                    _ => break,
                }
            }
            if ok {
                if !allow_decl && ctx != "command" {
                    return Err(err(
                        format!("unexpected variable declaration in {ctx}"),
                        pos,
                    ));
                }
                if names.len() == 2 && is_assign {
                    return Err(err("too many declarations in command", pos));
                }
                // Assigning to an undeclared variable fails only when executed, as in Go.
                if !is_assign {
                    self.vars.extend(names.iter().cloned());
                }
                decl = names;
            } else {
                self.i = save;
            }
        }
        let mut cmds = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                Tok::RightDelim | Tok::RParen => {
                    let closing = self.next();
                    if (closing == Tok::RParen) != (ctx == "parenthesized pipeline") {
                        return Err(err(
                            format!("unexpected {} in {ctx}", describe(&closing)),
                            self.prev_pos(),
                        ));
                    }
                    if cmds.is_empty() {
                        return Err(err(format!("missing value for {ctx}"), pos));
                    }
                    return Ok(Pipe {
                        pos,
                        decl,
                        is_assign,
                        cmds,
                    });
                }
                _ => {
                    cmds.push(self.command()?);
                }
            }
        }
    }

    fn command(&mut self) -> Result<Cmd> {
        let pos = self.pos();
        let mut args = Vec::new();
        let mut arg_pos = Vec::new();
        loop {
            self.skip_space();
            match self.peek() {
                Tok::RightDelim | Tok::RParen => break,
                Tok::Pipe if args.is_empty() => {
                    return Err(err("unexpected \"|\" in command", self.pos()));
                }
                Tok::Pipe => {
                    self.i += 1;
                    break;
                }
                _ => {
                    let start = self.pos();
                    let a = self.operand()?;
                    // Go reports a field chain where the chain after the first term starts:
                    // `.A.B` at `.B`, `$x.A` and `(p).A` at `.A`.
                    let mut run: Vec<usize> = self.toks[..self.i]
                        .iter()
                        .rev()
                        .take_while(|t| matches!(t.kind, Tok::Field(_)))
                        .map(|t| t.pos)
                        .collect();
                    run.reverse();
                    let at = match &a {
                        Arg::Field(fs) if fs.len() >= 2 => run.get(run.len() + 1 - fs.len()),
                        Arg::Var(_, fs) | Arg::Pipe(_, fs) if !fs.is_empty() => {
                            run.get(run.len() - fs.len())
                        }
                        _ => None,
                    };
                    arg_pos.push(at.copied().unwrap_or(start));
                    args.push(a);
                }
            }
            // Operands must be separated by spaces.
            match self.peek() {
                Tok::Space | Tok::RightDelim | Tok::RParen | Tok::Pipe => {}
                t => {
                    return Err(err(
                        format!("unexpected {} in operand", describe(t)),
                        self.pos(),
                    ));
                }
            }
        }
        if args.is_empty() {
            return Err(err("missing value for command", pos));
        }
        Ok(Cmd { pos, args, arg_pos })
    }

    fn fields(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while let Tok::Field(f) = self.peek() {
            out.push(f.clone());
            self.i += 1;
        }
        out
    }

    fn operand(&mut self) -> Result<Arg> {
        let pos = self.pos();
        let arg = match self.next() {
            Tok::Dot => Arg::Dot,
            Tok::Field(f) => {
                let mut fs = vec![f];
                fs.extend(self.fields());
                return Ok(Arg::Field(fs));
            }
            Tok::Var(v) => {
                if !self.vars.contains(&v) {
                    return Err(err(format!("undefined variable {v:?}"), pos));
                }
                let fs = self.fields();
                return Ok(Arg::Var(v, fs));
            }
            Tok::Str(s) => Arg::Str(s),
            Tok::CharConst(c) => Arg::Number(format!("{c}"), Num::Int(c)),
            Tok::Number(t) => Arg::Number(
                t.clone(),
                parse_number(&t)
                    .ok_or_else(|| err(format!("illegal number syntax: {t:?}"), pos))?,
            ),
            Tok::LParen => {
                let p = self.nested(pos, |p| p.pipeline("parenthesized pipeline", false))?;
                let fs = self.fields();
                return Ok(Arg::Pipe(Box::new(p), fs));
            }
            Tok::Ident(name) => match name.as_str() {
                "true" => Arg::Bool(true),
                "false" => Arg::Bool(false),
                "nil" => Arg::Nil,
                k if KEYWORDS.contains(&k) => {
                    return Err(err(format!("unexpected <{k}> in command"), pos));
                }
                n if funcs::is_defined(n) => Arg::Func(name),
                _ => return Err(err(format!("function {name:?} not defined"), pos)),
            },
            t => return Err(err(format!("unexpected {} in command", describe(&t)), pos)),
        };
        if let Tok::Field(_) = self.peek() {
            if matches!(
                arg,
                Arg::Dot | Arg::Nil | Arg::Bool(_) | Arg::Number(..) | Arg::Str(_)
            ) {
                let term = super::gofmt::quote(&super::exec::arg_string(&arg));
                return Err(err(format!("unexpected . after term {term}"), self.pos()));
            }
        }
        Ok(arg)
    }
}

fn make_branch(kw: &str, pipe: Pipe, list: Vec<Node>, else_list: Option<Vec<Node>>) -> Node {
    let b = Branch {
        pipe,
        list,
        else_list,
    };
    match kw {
        "if" => Node::If(b),
        "range" => Node::Range(b),
        _ => Node::With(b),
    }
}

/// A number literal as Go's untyped constant: floats when written with a point or exponent.
fn parse_number(t: &str) -> Option<Num> {
    let clean = t.replace('_', "");
    let (neg, body) = match clean.strip_prefix('-') {
        Some(b) => (true, b.to_string()),
        None => (false, clean.trim_start_matches('+').to_string()),
    };
    let lower = body.to_ascii_lowercase();
    let int = if let Some(h) = lower.strip_prefix("0x") {
        if h.contains(['.', 'p']) {
            let f = super::gostr::parse_hex_float(h)?;
            return Some(Num::Float(if neg { -f } else { f }));
        }
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = lower.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(b) = lower.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else if lower.contains(['.', 'e']) {
        None
    } else if lower.len() > 1 && lower.starts_with('0') {
        i64::from_str_radix(&lower[1..], 8).ok()
    } else {
        lower.parse::<i64>().ok()
    };
    if let Some(i) = int {
        return Some(Num::Int(if neg { -i } else { i }));
    }
    let f: f64 = lower.parse().ok()?;
    Some(Num::Float(if neg { -f } else { f }))
}

const KEYWORDS: &[&str] = &[
    "block", "break", "continue", "define", "else", "end", "if", "range", "nil", "template", "with",
];

/// Go's item String(): keywords in angle brackets, other tokens quoted.
fn describe(t: &Tok) -> String {
    let q = |s: &str| {
        if s.len() > 10 {
            let mut cut = 10;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            format!("{}...", super::gofmt::quote(&s[..cut]))
        } else {
            super::gofmt::quote(s)
        }
    };
    match t {
        Tok::Text(s) => q(s),
        Tok::LeftDelim => q("{{"),
        Tok::RightDelim => q("}}"),
        Tok::Space => q(" "),
        Tok::Ident(s) if KEYWORDS.contains(&s.as_str()) => format!("<{s}>"),
        Tok::Ident(s) | Tok::Number(s) | Tok::Var(s) => q(s),
        Tok::Field(s) => q(&format!(".{s}")),
        Tok::Dot => "<.>".into(),
        Tok::Str(s) => q(&super::gofmt::quote(s)),
        Tok::CharConst(c) => q(&c.to_string()),
        Tok::Char(c) => q(&c.to_string()),
        Tok::Pipe => q("|"),
        Tok::LParen => q("("),
        Tok::RParen => q(")"),
        Tok::Declare => q(":="),
        Tok::Assign => q("="),
        Tok::Comma => q(","),
        Tok::Eof => "EOF".into(),
    }
}
