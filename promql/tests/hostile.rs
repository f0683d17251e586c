//! Hostile and random queries: every one must come back with a result or a clean error, never a
//! panic, an unbounded allocation or a hang past the query timeout.

use promql::{Engine, EngineOptions, Labels, MemStorage, QueryError};
use std::time::Duration;

fn storage() -> MemStorage {
    let mut s = MemStorage::new();
    for i in 0..200 {
        let l = Labels::from_pairs([
            ("__name__", "m".to_string()),
            ("i", i.to_string()),
            ("mod", (i % 7).to_string()),
        ]);
        for k in 0..120 {
            s.add(&l, k * 15_000, (i * k) as f64 * 0.37);
        }
    }
    s
}

fn engine(timeout_ms: u64, max_samples: usize) -> Engine {
    Engine::new(EngineOptions {
        timeout: Duration::from_millis(timeout_ms),
        max_samples,
        ..Default::default()
    })
}

/// Runs the query as an instant and as a range query; panics only if the engine did.
fn run(e: &Engine, s: &MemStorage, q: &str) -> Vec<Result<(), QueryError>> {
    vec![
        e.instant_query(s, q, 1_000_000).map(|_| ()),
        e.range_query(s, q, 0, 1_800_000, 15_000).map(|_| ()),
    ]
}

#[test]
fn hostile_queries_end_in_results_or_errors() {
    let s = storage();
    let e = engine(2_000, 1_000_000);
    let deep = format!("{}m{}", "(".repeat(100_000), ")".repeat(100_000));
    let deep_sum = format!("{}m{}", "sum(".repeat(5_000), ")".repeat(5_000));
    let cases: Vec<(&str, String, &[&str])> = vec![
        ("deep parens", deep, &["bad_data"]),
        ("deep aggregations", deep_sum, &["bad_data"]),
        ("huge range", "sum_over_time(m[1000y])".into(), &[]),
        (
            "huge subquery",
            "max_over_time(m[100y:1ms])".into(),
            &["execution"],
        ),
        (
            "nested subqueries",
            "count_over_time(count_over_time(vector(1)[1h:1s])[1d:1s])".into(),
            &["timeout", "execution"],
        ),
        ("regex bomb", r#"m{i=~"(a*)*(b*)*(c*)*$"}"#.into(), &[]),
        (
            "huge regex",
            r#"m{i=~"(a{1000}){1000}"}"#.into(),
            &["bad_data"],
        ),
        (
            "count_values everything",
            r#"count_values("v", m * 1.0001)"#.into(),
            &[],
        ),
        ("topk huge k", "topk(1e300, m)".into(), &["execution"]),
        ("topk NaN k", "topk(NaN, m)".into(), &["execution"]),
        ("quantile NaN", "quantile(NaN, m)".into(), &[]),
        (
            "label_replace bad regex",
            r#"label_replace(m, "a", "b", "i", "(")"#.into(),
            &["bad_data"],
        ),
        ("self join", "m * on() group_left m".into(), &["execution"]),
        ("many to many", "m + m{i=~\"1.*\"} * 0".into(), &[]),
    ];
    for (name, q, allowed) in cases {
        for r in run(&e, &s, &q) {
            if let Err(err) = r {
                assert!(
                    allowed.contains(&err.error_type()),
                    "{name}: unexpected {} error: {err}",
                    err.error_type()
                );
            }
        }
    }
}

#[test]
fn max_samples_bounds_memory() {
    let s = storage();
    let e = engine(10_000, 5_000);
    let err = e
        .range_query(&s, "m", 0, 1_800_000, 15_000)
        .expect_err("200 series x 121 steps exceed 5000 samples");
    assert_eq!(err.error_type(), "execution");
    assert_eq!(err.status_code(), 422);
}

/// A seeded generator of random expressions over the grammar.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }

    fn vector(&mut self, depth: u32) -> String {
        if depth == 0 {
            return self
                .pick(&[
                    "m",
                    r#"m{mod="3"}"#,
                    r#"m{i=~"1.*"}"#,
                    "m offset 1m",
                    "m @ 600",
                    "vector(1)",
                ])
                .to_string();
        }
        let d = depth - 1;
        match self.next() % 9 {
            0 => format!(
                "{}({}[{}])",
                self.pick(&[
                    "rate",
                    "increase",
                    "delta",
                    "irate",
                    "deriv",
                    "changes",
                    "resets",
                    "avg_over_time",
                    "max_over_time",
                    "stddev_over_time",
                    "last_over_time",
                    "absent_over_time"
                ]),
                self.pick(&["m", r#"m{mod="1"}"#]),
                self.pick(&["1m", "5m", "30s", "1h"])
            ),
            1 => format!(
                "{} {}({})",
                self.pick(&["sum", "avg", "min", "max", "count", "stddev", "group"]),
                self.pick(&["", "by (mod)", "without (i)", "by (i)"]),
                self.vector(d)
            ),
            2 => format!(
                "{} {} {}",
                self.vector(d),
                self.pick(&[
                    "+",
                    "-",
                    "*",
                    "/",
                    "%",
                    "^",
                    ">",
                    "<=",
                    "== bool",
                    "and",
                    "or",
                    "unless",
                    "+ on(mod) group_left",
                    "/ ignoring(i)"
                ]),
                self.vector(d)
            ),
            3 => format!(
                "{}({}, {})",
                self.pick(&["topk", "bottomk", "quantile", "limitk"]),
                self.pick(&["1", "3", "0.5", "-1", "NaN"]),
                self.vector(d)
            ),
            4 => format!(
                "{}({})",
                self.pick(&[
                    "abs",
                    "ceil",
                    "sqrt",
                    "ln",
                    "exp",
                    "sort",
                    "sort_desc",
                    "timestamp",
                    "absent",
                    "hour",
                    "scalar_vector"
                ]),
                self.vector(d)
            )
            .replace("scalar_vector(", "vector(scalar("),
            5 => format!(
                "max_over_time(({})[{}:{}])",
                self.vector(d),
                self.pick(&["5m", "10m"]),
                self.pick(&["", "1m", "15s"])
            ),
            6 => format!(
                r#"label_replace({}, "x", "$1", "i", "(.)")"#,
                self.vector(d)
            ),
            7 => format!(
                "{} {} {}",
                self.vector(d),
                self.pick(&["*", "-", ">"]),
                self.pick(&["2", "time()", "pi()"])
            ),
            _ => format!("-({})", self.vector(d)),
        }
    }
}

#[test]
fn random_queries_never_panic() {
    let s = storage();
    let e = Engine::new(EngineOptions {
        timeout: Duration::from_secs(5),
        max_samples: 2_000_000,
        experimental_functions: true,
        ..Default::default()
    });
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    let mut ok = 0;
    for _ in 0..400 {
        let q = g.vector(3);
        for r in run(&e, &s, &q) {
            match r {
                Ok(()) => ok += 1,
                // Collisions and cardinality errors are legitimate answers to random queries.
                Err(err) => assert!(
                    matches!(err.error_type(), "execution" | "bad_data"),
                    "{q}: {err}"
                ),
            }
        }
    }
    assert!(
        ok > 400,
        "most random queries should evaluate, only {ok} did"
    );
}
