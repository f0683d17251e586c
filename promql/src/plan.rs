//! The plan: promql-parser's AST resolved into what the evaluator runs.
//!
//! Offsets and `@` become milliseconds (`@ start()` / `@ end()` resolved against the query's
//! range), parentheses disappear, matchers are compiled, functions are looked up in our library
//! and experimental ones refused unless enabled, and types are checked the way Prometheus's
//! parser checks them, so a bad query fails with `bad_data` before any data is read.

use crate::error::QueryError;
use crate::functions::{self, FunctionDef};
use crate::matcher::Matcher;
use promql_parser::parser::{
    AtModifier, Expr, LabelModifier, Offset, VectorMatchCardinality, VectorSelector,
};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What planning needs to know about the query.
#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// Query start and end in ms (equal for an instant query), for `@ start()` / `@ end()`.
    pub start: i64,
    pub end: i64,
    pub experimental_functions: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    Scalar,
    String,
    Vector,
    Matrix,
}

impl ValueType {
    /// The name Prometheus uses in type errors.
    pub fn prometheus_name(self) -> &'static str {
        match self {
            ValueType::Scalar => "scalar",
            ValueType::String => "string",
            ValueType::Vector => "vector",
            ValueType::Matrix => "range vector",
        }
    }
}

/// A series selector with its time modifiers resolved.
#[derive(Debug, Clone)]
pub struct Selector {
    /// Alternatives (`{a="1" or b="2"}`); a series is selected if it matches any one of them.
    pub matchers: Vec<Vec<Matcher>>,
    /// Offset in ms; negative offsets look forward.
    pub offset: i64,
    /// The `@` time in ms, if any.
    pub at: Option<i64>,
    /// The selector as written, for messages.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggOp {
    Sum,
    Avg,
    Count,
    Min,
    Max,
    Group,
    Stddev,
    Stdvar,
    TopK,
    BottomK,
    CountValues,
    Quantile,
    LimitK,
    LimitRatio,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Atan2,
    Eql,
    Neq,
    Gtr,
    Lss,
    Gte,
    Lte,
    And,
    Or,
    Unless,
}

impl BinOp {
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eql | BinOp::Neq | BinOp::Gtr | BinOp::Lss | BinOp::Gte | BinOp::Lte
        )
    }

    pub fn is_set(self) -> bool {
        matches!(self, BinOp::And | BinOp::Or | BinOp::Unless)
    }
}

/// `by (...)` or `without (...)`; no clause is `without ()`... except that Prometheus treats a
/// missing clause as `by ()`, which is what `by: true, labels: []` means here.
#[derive(Debug, Clone, Default)]
pub struct Grouping {
    pub by: bool,
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Card {
    OneToOne,
    ManyToOne,
    OneToMany,
    ManyToMany,
}

/// How the two sides of a vector/vector operation are matched.
#[derive(Debug, Clone)]
pub struct VectorMatching {
    pub card: Card,
    /// `on(...)` when true, `ignoring(...)` when false.
    pub on: bool,
    pub labels: Vec<String>,
    /// `group_left(...)` / `group_right(...)` extra labels copied from the "one" side.
    pub include: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum Node {
    Number(f64),
    Str(String),
    VectorSelector(Selector),
    MatrixSelector {
        sel: Selector,
        range: i64,
    },
    Subquery {
        expr: Box<Node>,
        range: i64,
        /// 0 when the query gave none: the engine's default applies.
        step: i64,
        offset: i64,
        at: Option<i64>,
    },
    Call {
        def: &'static FunctionDef,
        args: Vec<Node>,
    },
    Aggregate {
        op: AggOp,
        expr: Box<Node>,
        param: Option<Box<Node>>,
        grouping: Grouping,
    },
    Binary {
        op: BinOp,
        lhs: Box<Node>,
        rhs: Box<Node>,
        /// None unless both sides are vectors.
        matching: Option<VectorMatching>,
        return_bool: bool,
    },
    Neg(Box<Node>),
}

impl Node {
    pub fn value_type(&self) -> ValueType {
        match self {
            Node::Number(_) => ValueType::Scalar,
            Node::Str(_) => ValueType::String,
            Node::VectorSelector(_) | Node::Aggregate { .. } => ValueType::Vector,
            Node::MatrixSelector { .. } | Node::Subquery { .. } => ValueType::Matrix,
            Node::Call { def, .. } => match def.name {
                "scalar" | "time" | "pi" => ValueType::Scalar,
                _ => ValueType::Vector,
            },
            Node::Binary { lhs, rhs, .. } => {
                if lhs.value_type() == ValueType::Scalar && rhs.value_type() == ValueType::Scalar {
                    ValueType::Scalar
                } else {
                    ValueType::Vector
                }
            }
            Node::Neg(e) => e.value_type(),
        }
    }
}

fn bad(msg: impl Into<String>) -> QueryError {
    QueryError::BadData(msg.into())
}

fn millis(d: &Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn offset_ms(o: &Option<Offset>) -> i64 {
    match o {
        None => 0,
        Some(Offset::Pos(d)) => millis(d),
        Some(Offset::Neg(d)) => -millis(d),
    }
}

fn at_ms(a: &Option<AtModifier>, opts: &PlanOptions) -> Option<i64> {
    a.as_ref().map(|a| match a {
        AtModifier::Start => opts.start,
        AtModifier::End => opts.end,
        AtModifier::At(t) => system_time_ms(*t),
    })
}

fn system_time_ms(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => millis(&d),
        Err(e) => -millis(&e.duration()),
    }
}

fn selector(vs: &VectorSelector, opts: &PlanOptions) -> Result<Selector, QueryError> {
    let alternatives = crate::selector::alternatives(vs).map_err(|e| match e {
        crate::SelectorError::OnlyEmptyMatchers => {
            bad("vector selector must contain at least one non-empty matcher")
        }
        e => bad(e.to_string()),
    })?;
    let mut plain = vs.clone();
    plain.offset = None;
    plain.at = None;
    Ok(Selector {
        matchers: alternatives,
        offset: offset_ms(&vs.offset),
        at: at_ms(&vs.at, opts),
        text: plain.to_string(),
    })
}

fn agg_op(name: &str) -> Option<AggOp> {
    Some(match name {
        "sum" => AggOp::Sum,
        "avg" => AggOp::Avg,
        "count" => AggOp::Count,
        "min" => AggOp::Min,
        "max" => AggOp::Max,
        "group" => AggOp::Group,
        "stddev" => AggOp::Stddev,
        "stdvar" => AggOp::Stdvar,
        "topk" => AggOp::TopK,
        "bottomk" => AggOp::BottomK,
        "count_values" => AggOp::CountValues,
        "quantile" => AggOp::Quantile,
        "limitk" => AggOp::LimitK,
        "limit_ratio" => AggOp::LimitRatio,
        _ => return None,
    })
}

fn bin_op(name: &str) -> Option<BinOp> {
    Some(match name {
        "+" => BinOp::Add,
        "-" => BinOp::Sub,
        "*" => BinOp::Mul,
        "/" => BinOp::Div,
        "%" => BinOp::Mod,
        "^" => BinOp::Pow,
        "atan2" => BinOp::Atan2,
        "==" => BinOp::Eql,
        "!=" => BinOp::Neq,
        ">" => BinOp::Gtr,
        "<" => BinOp::Lss,
        ">=" => BinOp::Gte,
        "<=" => BinOp::Lte,
        "and" => BinOp::And,
        "or" => BinOp::Or,
        "unless" => BinOp::Unless,
        _ => return None,
    })
}

fn label_list(l: &promql_parser::label::Labels) -> Vec<String> {
    l.labels.iter().map(|s| s.to_string()).collect()
}

/// Resolves `expr` into a plan, checking what Prometheus's parser and engine check up front.
pub fn build(expr: &Expr, opts: &PlanOptions) -> Result<Node, QueryError> {
    let node = build_node(expr, opts)?;
    Ok(node)
}

fn build_node(expr: &Expr, opts: &PlanOptions) -> Result<Node, QueryError> {
    Ok(match expr {
        Expr::NumberLiteral(n) => Node::Number(n.val),
        Expr::StringLiteral(s) => Node::Str(s.val.clone()),
        Expr::Paren(p) => build_node(&p.expr, opts)?,
        Expr::Unary(u) => {
            let inner = build_node(&u.expr, opts)?;
            match inner.value_type() {
                ValueType::Scalar | ValueType::Vector => Node::Neg(Box::new(inner)),
                t => {
                    return Err(bad(format!(
                        "unary expression only allowed on expressions of type scalar or instant vector, got \"{}\"",
                        t.prometheus_name()
                    )));
                }
            }
        }
        Expr::VectorSelector(vs) => Node::VectorSelector(selector(vs, opts)?),
        Expr::MatrixSelector(ms) => {
            let range = millis(&ms.range);
            if range <= 0 {
                return Err(bad("range selector must have a positive duration"));
            }
            Node::MatrixSelector {
                sel: selector(&ms.vs, opts)?,
                range,
            }
        }
        Expr::Subquery(sq) => {
            let inner = build_node(&sq.expr, opts)?;
            if inner.value_type() != ValueType::Vector {
                return Err(bad(format!(
                    "subquery is only allowed on instant vector, got {} instead",
                    inner.value_type().prometheus_name()
                )));
            }
            let range = millis(&sq.range);
            let step = sq.step.as_ref().map(millis).unwrap_or(0);
            if range <= 0 {
                return Err(bad("subquery range must be positive"));
            }
            Node::Subquery {
                expr: Box::new(inner),
                range,
                step,
                offset: offset_ms(&sq.offset),
                at: at_ms(&sq.at, opts),
            }
        }
        Expr::Call(c) => {
            let def = functions::lookup(c.func.name)
                .ok_or_else(|| bad(format!("unknown function with name \"{}\"", c.func.name)))?;
            if def.experimental && !opts.experimental_functions {
                return Err(bad(format!("function \"{}\" is not enabled", c.func.name)));
            }
            let args = c
                .args
                .args
                .iter()
                .map(|a| build_node(a, opts))
                .collect::<Result<Vec<_>, _>>()?;
            Node::Call { def, args }
        }
        Expr::Aggregate(a) => {
            let name = a.op.to_string();
            let op = agg_op(&name)
                .ok_or_else(|| bad(format!("unknown aggregation operator \"{name}\"")))?;
            if matches!(op, AggOp::LimitK | AggOp::LimitRatio) && !opts.experimental_functions {
                return Err(bad(format!(
                    "limitk() and limit_ratio() are experimental and must be enabled with --enable-feature=promql-experimental-functions (got {name})"
                )));
            }
            let inner = build_node(&a.expr, opts)?;
            if inner.value_type() != ValueType::Vector {
                return Err(bad(format!(
                    "expected type instant vector in aggregation expression, got {}",
                    inner.value_type().prometheus_name()
                )));
            }
            let param = match &a.param {
                Some(p) => Some(Box::new(build_node(p, opts)?)),
                None => None,
            };
            let grouping = match &a.modifier {
                None => Grouping {
                    by: true,
                    labels: Vec::new(),
                },
                Some(LabelModifier::Include(l)) => Grouping {
                    by: true,
                    labels: label_list(l),
                },
                Some(LabelModifier::Exclude(l)) => Grouping {
                    by: false,
                    labels: label_list(l),
                },
            };
            Node::Aggregate {
                op,
                expr: Box::new(inner),
                param,
                grouping,
            }
        }
        Expr::Binary(b) => {
            let name = b.op.to_string();
            let op =
                bin_op(&name).ok_or_else(|| bad(format!("unknown binary operator \"{name}\"")))?;
            let lhs = build_node(&b.lhs, opts)?;
            let rhs = build_node(&b.rhs, opts)?;
            let (lt, rt) = (lhs.value_type(), rhs.value_type());
            for t in [lt, rt] {
                if !matches!(t, ValueType::Scalar | ValueType::Vector) {
                    return Err(bad(
                        "binary expression must contain only scalar and instant vector types"
                            .to_string(),
                    ));
                }
            }
            let return_bool = b.return_bool();
            if return_bool && !op.is_comparison() {
                return Err(bad(
                    "bool modifier can only be used on comparison operators",
                ));
            }
            if op.is_comparison()
                && lt == ValueType::Scalar
                && rt == ValueType::Scalar
                && !return_bool
            {
                return Err(bad("comparisons between scalars must use BOOL modifier"));
            }
            if op.is_set() && (lt == ValueType::Scalar || rt == ValueType::Scalar) {
                return Err(bad(format!(
                    "set operator \"{name}\" not allowed in binary scalar expression"
                )));
            }
            let matching = if lt == ValueType::Vector && rt == ValueType::Vector {
                let m = b.modifier.as_ref();
                if let Some(m) = m
                    && (m.fill_values.lhs.is_some() || m.fill_values.rhs.is_some())
                {
                    return Err(bad(
                        "fill modifiers are not supported (Prometheus 3.5 has none)",
                    ));
                }
                let (on, labels) = match m.and_then(|m| m.matching.as_ref()) {
                    Some(LabelModifier::Include(l)) => (true, label_list(l)),
                    Some(LabelModifier::Exclude(l)) => (false, label_list(l)),
                    None => (false, Vec::new()),
                };
                let (card, include) = match m.map(|m| &m.card) {
                    Some(VectorMatchCardinality::ManyToOne(l)) => (Card::ManyToOne, label_list(l)),
                    Some(VectorMatchCardinality::OneToMany(l)) => (Card::OneToMany, label_list(l)),
                    Some(VectorMatchCardinality::ManyToMany) => (Card::ManyToMany, Vec::new()),
                    Some(VectorMatchCardinality::OneToOne) | None => {
                        if op.is_set() {
                            (Card::ManyToMany, Vec::new())
                        } else {
                            (Card::OneToOne, Vec::new())
                        }
                    }
                };
                if op.is_set() && matches!(card, Card::ManyToOne | Card::OneToMany) {
                    return Err(bad(format!("no grouping allowed for \"{name}\" operation")));
                }
                Some(VectorMatching {
                    card,
                    on,
                    labels,
                    include,
                })
            } else {
                None
            };
            Node::Binary {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
                matching,
                return_bool,
            }
        }
        Expr::Extension(_) => return Err(bad("unsupported expression")),
    })
}
