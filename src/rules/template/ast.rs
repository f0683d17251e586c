//! The syntax tree of a parsed template.

use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub(crate) enum Node {
    Text(String),
    /// `{{ pipeline }}`: prints the result unless the pipeline declares variables.
    Action(Pipe),
    If(Branch),
    Range(Branch),
    With(Branch),
    Template {
        pos: usize,
        name: String,
        pipe: Option<Pipe>,
    },
    Break,
    Continue,
}

#[derive(Debug, Clone)]
pub(crate) struct Branch {
    pub pipe: Pipe,
    pub list: Vec<Node>,
    pub else_list: Option<Vec<Node>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Pipe {
    pub pos: usize,
    /// Variables declared (`:=`) or assigned (`=`) by the pipeline.
    pub decl: Vec<String>,
    pub is_assign: bool,
    pub cmds: Vec<Cmd>,
}

#[derive(Debug, Clone)]
pub(crate) struct Cmd {
    pub pos: usize,
    pub args: Vec<Arg>,
    /// Where each argument starts (for a field chain, where its fields start), for errors.
    pub arg_pos: Vec<usize>,
}

#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Dot,
    Nil,
    Bool(bool),
    /// A number literal: its text, and its value as Go's untyped constant would be.
    Number(String, Num),
    Str(String),
    /// `.A.B`
    Field(Vec<String>),
    /// `$x.A.B`
    Var(String, Vec<String>),
    /// A function name.
    Func(String),
    /// `(pipeline).A.B`
    Pipe(Box<Pipe>, Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Num {
    Int(i64),
    Float(f64),
}

/// A parsed template set: the main tree and the `define`d ones.
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    pub main: Vec<Node>,
    pub defines: BTreeMap<String, Vec<Node>>,
}
