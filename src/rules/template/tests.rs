use std::collections::BTreeMap;

use super::*;

#[test]
#[ignore]
fn oracle_dump() {
    let path = std::env::var("TPL_CASES").unwrap();
    let value: f64 = std::env::var("TPL_VALUE")
        .unwrap_or("1234.5".into())
        .parse()
        .unwrap();
    let labels: BTreeMap<String, String> = [
        ("__name__", "m"),
        ("instance", "host.example.com:9090"),
        ("job", "api"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let data = Data {
        labels,
        value,
        ..Default::default()
    };
    let mut out = String::new();
    for line in std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let t: String = serde_json::from_str(line).unwrap();
        if std::env::var("TPL_MODE").is_ok() {
            let r = match parse("__alert_T", &format!("{ALERT_HEADER}{t}")) {
                Ok(_) => "NO PARSE ERROR".to_string(),
                Err(e) => e.to_string(),
            };
            out.push_str(&serde_json::to_string(&r).unwrap());
            out.push('\n');
            continue;
        }
        let q = FakeQuerier;
        let env = Env {
            querier: Some(&q),
            ts_ms: 0,
        };
        let r = match expand("__alert_T", &t, &data, &env) {
            Ok(s) => s,
            Err(e) => format!("<error expanding template: {e}>"),
        };
        out.push_str(&serde_json::to_string(&r).unwrap());
        out.push('\n');
    }
    std::fs::write(std::env::var("TPL_OUT").unwrap(), out).unwrap();
}

struct FakeQuerier;

impl Querier for FakeQuerier {
    fn query(&self, q: &str, _ts_ms: i64) -> Result<Vec<QuerySample>, String> {
        let row = |l: &[(&str, &str)], value: f64| QuerySample {
            labels: l
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            value,
        };
        match q {
            "m" => Ok(vec![row(
                &[
                    ("__name__", "m"),
                    ("instance", "host.example.com:9090"),
                    ("job", "api"),
                ],
                1234.5,
            )]),
            "s" => Ok(vec![
                row(&[("__name__", "s"), ("k", "b"), ("v", "2")], 1.0),
                row(&[("__name__", "s"), ("k", "a"), ("v", "3")], 2.0),
                row(&[("__name__", "s"), ("k", "c"), ("v", "1")], 3.0),
            ]),
            "bad(" => Err("1:5: parse error: unclosed left parenthesis".to_string()),
            _ => Ok(vec![]),
        }
    }
}
