//! The syntax tree of a query as JSON, in the shape Prometheus's `translateAST` gives its web
//! UI's tree view (`/api/v1/parse_query`).

use super::render::push_float;
use promql_parser::label::Matchers;
use promql_parser::parser::token::TokenType;
use promql_parser::parser::value::ValueType;
use promql_parser::parser::{
    AtModifier, BinModifier, Expr, LabelModifier, Offset, VectorMatchCardinality, VectorSelector,
};
use serde_json::{Value, json};
use std::time::{Duration, UNIX_EPOCH};

/// The tree view's JSON for one node.
pub(super) fn translate(e: &Expr) -> Value {
    match e {
        Expr::Aggregate(a) => {
            let (grouping, without) = match &a.modifier {
                Some(LabelModifier::Include(l)) => (l.labels.clone(), false),
                Some(LabelModifier::Exclude(l)) => (l.labels.clone(), true),
                None => (Vec::new(), false),
            };
            json!({
                "type": "aggregation",
                "op": a.op.to_string(),
                "expr": translate(&a.expr),
                "param": a.param.as_deref().map_or(Value::Null, translate),
                "grouping": grouping,
                "without": without,
            })
        }
        Expr::Binary(b) => {
            let vectors =
                b.lhs.value_type() == ValueType::Vector && b.rhs.value_type() == ValueType::Vector;
            json!({
                "type": "binaryExpr",
                "op": b.op.to_string(),
                "lhs": translate(&b.lhs),
                "rhs": translate(&b.rhs),
                "matching": if vectors { matching(&b.op, b.modifier.as_ref()) } else { Value::Null },
                "bool": b.modifier.as_ref().is_some_and(|m| m.return_bool),
            })
        }
        Expr::Call(c) => json!({
            "type": "call",
            "func": {
                "name": c.func.name,
                "argTypes": c.func.arg_types.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "variadic": c.func.variadic,
                "returnType": c.func.return_type.to_string(),
            },
            "args": c.args.args.iter().map(|a| translate(a)).collect::<Vec<_>>(),
        }),
        Expr::MatrixSelector(m) => {
            let mut v = selector(&m.vs, "matrixSelector");
            v["range"] = json!(millis(m.range));
            v
        }
        Expr::Subquery(s) => {
            let (timestamp, start_or_end) = at(s.at.as_ref());
            json!({
                "type": "subquery",
                "expr": translate(&s.expr),
                "range": millis(s.range),
                "offset": offset(s.offset.as_ref()),
                "step": s.step.map_or(0, millis),
                "timestamp": timestamp,
                "startOrEnd": start_or_end,
            })
        }
        Expr::NumberLiteral(n) => {
            let mut val = String::new();
            push_float(&mut val, n.val);
            json!({"type": "numberLiteral", "val": val})
        }
        Expr::StringLiteral(s) => json!({"type": "stringLiteral", "val": s.val}),
        Expr::Paren(p) => json!({"type": "parenExpr", "expr": translate(&p.expr)}),
        Expr::Unary(u) => json!({"type": "unaryExpr", "op": "-", "expr": translate(&u.expr)}),
        Expr::VectorSelector(vs) => selector(vs, "vectorSelector"),
        Expr::Extension(_) => Value::Null,
    }
}

/// Vector matching of a binary operation between two vectors.
fn matching(op: &TokenType, m: Option<&BinModifier>) -> Value {
    let card = m.map(|m| &m.card);
    let (card_name, include) = match card {
        Some(VectorMatchCardinality::ManyToOne(l)) => ("many-to-one", l.labels.clone()),
        Some(VectorMatchCardinality::OneToMany(l)) => ("one-to-many", l.labels.clone()),
        Some(VectorMatchCardinality::ManyToMany) => ("many-to-many", Vec::new()),
        _ if op.is_set_operator() => ("many-to-many", Vec::new()),
        _ => ("one-to-one", Vec::new()),
    };
    let (labels, on) = match m.and_then(|m| m.matching.as_ref()) {
        Some(LabelModifier::Include(l)) => (l.labels.clone(), true),
        Some(LabelModifier::Exclude(l)) => (l.labels.clone(), false),
        None => (Vec::new(), false),
    };
    json!({"card": card_name, "labels": labels, "on": on, "include": include})
}

fn selector(vs: &VectorSelector, kind: &str) -> Value {
    let (timestamp, start_or_end) = at(vs.at.as_ref());
    json!({
        "type": kind,
        "name": vs.name.clone().unwrap_or_default(),
        "offset": offset(vs.offset.as_ref()),
        "matchers": matchers(&vs.matchers, vs.name.as_deref()),
        "timestamp": timestamp,
        "startOrEnd": start_or_end,
    })
}

/// The selector's matchers; Prometheus's parser appends the metric name written before the
/// braces as a `__name__` equality matcher, so the tree shows it too.
fn matchers(m: &Matchers, name: Option<&str>) -> Vec<Value> {
    let mut out: Vec<Value> = m
        .matchers
        .iter()
        .chain(m.or_matchers.iter().flatten())
        .map(|m| json!({"name": m.name, "value": m.value, "type": m.op.to_string()}))
        .collect();
    if let Some(n) = name {
        out.push(json!({"name": promql::METRIC_NAME, "value": n, "type": "="}));
    }
    out
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn offset(o: Option<&Offset>) -> i64 {
    match o {
        Some(Offset::Pos(d)) => millis(*d),
        Some(Offset::Neg(d)) => -millis(*d),
        None => 0,
    }
}

/// `(timestamp, startOrEnd)` of an `@` modifier.
fn at(a: Option<&AtModifier>) -> (Value, Value) {
    match a {
        Some(AtModifier::Start) => (Value::Null, json!("start")),
        Some(AtModifier::End) => (Value::Null, json!("end")),
        Some(AtModifier::At(t)) => {
            let ms = match t.duration_since(UNIX_EPOCH) {
                Ok(d) => millis(d),
                Err(e) => -millis(e.duration()),
            };
            (json!(ms), Value::Null)
        }
        None => (Value::Null, Value::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(q: &str) -> Value {
        translate(&promql::engine::parse(q).unwrap())
    }

    #[test]
    fn selectors() {
        let v = tree(r#"foo{a="b",c=~"d.*"}[5m] offset 1m @ 100"#);
        assert_eq!(v["type"], "matrixSelector");
        assert_eq!(v["name"], "foo");
        assert_eq!(v["range"], 300_000);
        assert_eq!(v["offset"], 60_000);
        assert_eq!(v["timestamp"], 100_000);
        assert_eq!(v["startOrEnd"], Value::Null);
        assert_eq!(
            v["matchers"],
            json!([
                {"name": "a", "value": "b", "type": "="},
                {"name": "c", "value": "d.*", "type": "=~"},
                {"name": "__name__", "value": "foo", "type": "="},
            ])
        );
        let v = tree("bar @ end() offset -5s");
        assert_eq!(v["type"], "vectorSelector");
        assert_eq!(v["offset"], -5_000);
        assert_eq!(v["timestamp"], Value::Null);
        assert_eq!(v["startOrEnd"], "end");
    }

    #[test]
    fn aggregation_call_and_binary() {
        let v = tree("topk without (x) (3, rate(foo[1m]))");
        assert_eq!(v["type"], "aggregation");
        assert_eq!(v["op"], "topk");
        assert_eq!(v["without"], true);
        assert_eq!(v["grouping"], json!(["x"]));
        assert_eq!(v["param"], json!({"type": "numberLiteral", "val": "3"}));
        assert_eq!(v["expr"]["type"], "call");
        assert_eq!(v["expr"]["func"]["name"], "rate");
        assert_eq!(v["expr"]["func"]["argTypes"], json!(["matrix"]));
        assert_eq!(v["expr"]["func"]["returnType"], "vector");
        assert_eq!(v["expr"]["args"][0]["type"], "matrixSelector");

        let v = tree("a / on (job) group_left (x) b");
        assert_eq!(v["type"], "binaryExpr");
        assert_eq!(v["op"], "/");
        assert_eq!(
            v["matching"],
            json!({"card": "many-to-one", "labels": ["job"], "on": true, "include": ["x"]})
        );
        assert_eq!(v["bool"], false);
        assert_eq!(tree("a and b")["matching"]["card"], "many-to-many");
        assert_eq!(tree("a + b")["matching"]["card"], "one-to-one");
        let v = tree("a > bool 1");
        assert_eq!(v["matching"], Value::Null);
        assert_eq!(v["bool"], true);
        assert_eq!(v["rhs"]["val"], "1");
    }

    #[test]
    fn subquery_and_literals() {
        let v = tree(r#"(max_over_time(x[5m:30s]))"#);
        assert_eq!(v["type"], "parenExpr");
        let sq = &v["expr"]["args"][0];
        assert_eq!(sq["type"], "subquery");
        assert_eq!(sq["range"], 300_000);
        assert_eq!(sq["step"], 30_000);
        assert_eq!(sq["expr"]["type"], "vectorSelector");
        assert_eq!(
            tree(r#""hi""#),
            json!({"type": "stringLiteral", "val": "hi"})
        );
        assert_eq!(tree("-x")["type"], "unaryExpr");
    }
}
