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
        let r = match expand("__alert_T", &t, &data, &Env::default()) {
            Ok(s) => s,
            Err(e) => format!("<error expanding template: {e}>"),
        };
        out.push_str(&serde_json::to_string(&r).unwrap());
        out.push('\n');
    }
    std::fs::write(std::env::var("TPL_OUT").unwrap(), out).unwrap();
}
