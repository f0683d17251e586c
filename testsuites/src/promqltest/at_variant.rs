//! The `@`-modifier variants upstream's runner adds to every instant eval.
//!
//! Every selector without `@` gets `@ <eval time>`; the outermost subquery without `@` gets it
//! instead of the selectors inside it (a subquery that has `@` keeps its insides untouched). The
//! rewritten query must give the same result when evaluated at several other times. Queries that
//! call a function whose result depends on the evaluation time itself (`time()`, `timestamp()`,
//! the calendar functions, `predict_linear`) outside such a subquery get no variants.

use promql_parser::parser::{AtModifier, Expr, LabelModifier, VectorMatchCardinality, parse};
use std::time::{Duration, SystemTime};

/// Upstream's `AtModifierUnsafeFunctions`, as the engine knows them.
use promql::functions::TIME_DEPENDENT as AT_UNSAFE_FUNCTIONS;

/// What to run besides the eval as written.
#[derive(Debug, Clone, PartialEq)]
pub enum AtVariants {
    /// The rewritten query and the times to evaluate it at.
    Run { query: String, times: Vec<i64> },
    /// The query depends on the evaluation time: upstream runs no variants.
    NotApplicable,
    /// The query could not be rewritten (it does not parse, or the printed rewrite does not parse
    /// back to the same tree); only the eval as written runs.
    Unavailable(String),
}

/// The variants of `query` evaluated at `t` (ms).
pub fn at_variants(query: &str, t: i64) -> AtVariants {
    let mut expr = match parse(query) {
        Ok(e) => e,
        Err(e) => return AtVariants::Unavailable(format!("query does not parse: {e}")),
    };
    let at = match at_modifier(t) {
        Some(a) => a,
        None => return AtVariants::Unavailable(format!("negative eval time {t}")),
    };
    if !rewrite(&mut expr, &at) {
        return AtVariants::NotApplicable;
    }
    let printed = expr.to_string();
    match parse(&printed) {
        Ok(back) if same_meaning(back.clone(), expr.clone()) => {}
        Ok(_) => {
            return AtVariants::Unavailable(format!(
                "printed rewrite {printed:?} parses differently"
            ));
        }
        Err(e) => return AtVariants::Unavailable(format!("printed rewrite {printed:?}: {e}")),
    }
    let times = if t == 0 {
        vec![-1000, 0, 1000]
    } else {
        vec![-10 * t, 0, t / 5, t, 10 * t]
    };
    AtVariants::Run {
        query: printed,
        times,
    }
}

/// Tree equality up to what the printer legitimately changes: matcher order (printed sorted)
/// and an empty `ignoring()` (printed as nothing).
fn same_meaning(mut a: Expr, mut b: Expr) -> bool {
    normalize(&mut a);
    normalize(&mut b);
    a == b
}

fn normalize(e: &mut Expr) {
    match e {
        Expr::VectorSelector(vs) => sort_matchers(&mut vs.matchers),
        Expr::MatrixSelector(ms) => sort_matchers(&mut ms.vs.matchers),
        Expr::Subquery(sq) => normalize(&mut sq.expr),
        Expr::Call(c) => c.args.args.iter_mut().for_each(|a| normalize(a)),
        Expr::Aggregate(a) => {
            // `sum by () (x)` prints as `sum(x)`; both aggregate everything.
            if matches!(&a.modifier, Some(LabelModifier::Include(l)) if l.is_empty()) {
                a.modifier = None;
            }
            normalize(&mut a.expr);
            if let Some(p) = &mut a.param {
                normalize(p);
            }
        }
        Expr::Binary(b) => {
            normalize(&mut b.lhs);
            normalize(&mut b.rhs);
            if let Some(m) = &mut b.modifier {
                if matches!(&m.matching, Some(LabelModifier::Exclude(l)) if l.is_empty()) {
                    m.matching = None;
                }
            }
            let plain = b.modifier.as_ref().is_some_and(|m| {
                m.matching.is_none()
                    && !m.return_bool
                    && m.card == VectorMatchCardinality::OneToOne
                    && m.fill_values == Default::default()
            });
            if plain {
                b.modifier = None;
            }
        }
        Expr::Unary(u) => normalize(&mut u.expr),
        Expr::Paren(p) => normalize(&mut p.expr),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => {}
    }
}

fn sort_matchers(m: &mut promql_parser::label::Matchers) {
    let key =
        |x: &promql_parser::label::Matcher| (x.name.clone(), x.op.to_string(), x.value.clone());
    m.matchers.sort_by_key(key);
    for alt in &mut m.or_matchers {
        alt.sort_by_key(key);
    }
}

fn at_modifier(t: i64) -> Option<AtModifier> {
    let ms = u64::try_from(t).ok()?;
    Some(AtModifier::At(
        SystemTime::UNIX_EPOCH + Duration::from_millis(ms),
    ))
}

/// Adds `@` where upstream does; returns false when an @-unsafe function is seen (outside a
/// subquery that carries `@`).
fn rewrite(e: &mut Expr, at: &AtModifier) -> bool {
    match e {
        Expr::VectorSelector(vs) => {
            vs.at.get_or_insert_with(|| at.clone());
            true
        }
        Expr::MatrixSelector(ms) => {
            ms.vs.at.get_or_insert_with(|| at.clone());
            true
        }
        Expr::Subquery(sq) => {
            // Whether set now or already there, the subquery has @ and its insides stay as
            // they are, unchecked.
            sq.at.get_or_insert_with(|| at.clone());
            true
        }
        Expr::Call(c) => {
            let safe = !AT_UNSAFE_FUNCTIONS.contains(&c.func.name);
            let mut ok = true;
            for a in &mut c.args.args {
                ok &= rewrite(a, at);
            }
            safe && ok
        }
        Expr::Aggregate(a) => {
            let mut ok = rewrite(&mut a.expr, at);
            if let Some(p) = &mut a.param {
                ok &= rewrite(p, at);
            }
            ok
        }
        Expr::Binary(b) => {
            let l = rewrite(&mut b.lhs, at);
            let r = rewrite(&mut b.rhs, at);
            l && r
        }
        Expr::Unary(u) => rewrite(&mut u.expr, at),
        Expr::Paren(p) => rewrite(&mut p.expr, at),
        Expr::NumberLiteral(_) | Expr::StringLiteral(_) | Expr::Extension(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(q: &str, t: i64) -> (String, Vec<i64>) {
        match at_variants(q, t) {
            AtVariants::Run { query, times } => (query, times),
            other => panic!("{q}: {other:?}"),
        }
    }

    #[test]
    fn selectors_get_at_and_times_follow_upstream() {
        let (q, times) = run("sum(rate(foo[5m])) + bar", 600_000);
        assert_eq!(q, "sum(rate(foo[5m] @ 600.000)) + bar @ 600.000");
        assert_eq!(times, vec![-6_000_000, 0, 120_000, 600_000, 6_000_000]);
        let (_, times) = run("foo", 0);
        assert_eq!(times, vec![-1000, 0, 1000]);
    }

    #[test]
    fn existing_at_and_subqueries_are_kept() {
        let (q, _) = run("foo @ 100 + max_over_time(rate(bar[1m])[5m:1m])", 60_000);
        assert!(q.contains("foo @ 100.000"), "{q}");
        assert!(q.contains("rate(bar[1m])[5m:1m] @ 60.000"), "{q}");
        assert!(!q.contains("bar[1m] @"), "{q}");
        let (q, _) = run("max_over_time(bar[5m:1m] @ 10)", 60_000);
        assert!(q.contains("@ 10.000") && !q.contains("60.000"), "{q}");
    }

    #[test]
    fn unsafe_functions_disable_variants() {
        assert_eq!(
            at_variants("time() - foo", 60_000),
            AtVariants::NotApplicable
        );
        assert_eq!(
            at_variants("timestamp(foo)", 60_000),
            AtVariants::NotApplicable
        );
        // Inside a subquery that gets @, upstream does not look.
        assert!(matches!(
            at_variants("max_over_time(timestamp(foo)[5m:1m])", 60_000),
            AtVariants::Run { .. }
        ));
    }

    #[test]
    fn printer_differences_that_keep_the_meaning_are_accepted() {
        for q in [
            "sum by () (x)",
            "a + ignoring() b",
            "x{b=\"2\", a=\"1\"}",
            "a and on (x) b",
            "a > bool b",
        ] {
            assert!(
                matches!(at_variants(q, 60_000), AtVariants::Run { .. }),
                "{q}"
            );
        }
    }

    #[test]
    fn unparsable_queries_have_no_variants() {
        assert!(matches!(at_variants("sum(", 0), AtVariants::Unavailable(_)));
    }
}
