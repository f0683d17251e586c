//! The Prometheus HTTP API as the suites use it (series, instant queries, own metrics), and a
//! minimal reader of the text exposition format for `/metrics`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::http::Http;
use crate::{Result, fail};

/// A label set, sorted by name.
pub type Labels = BTreeMap<String, String>;

/// Renders a label set as `{a="1", b="2"}` with Prometheus string escaping.
pub fn fmt_labels(labels: &Labels) -> String {
    let inner: Vec<String> = labels
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}=\"{}\"",
                v.replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n")
            )
        })
        .collect();
    format!("{{{}}}", inner.join(", "))
}

/// Unwraps the `{"status":"success","data":...}` envelope, failing with the error otherwise.
pub fn envelope_data(body: &[u8], what: &str) -> Result<Value> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| fail!("{what}: response is not JSON: {e}"))?;
    if v.get("status").and_then(Value::as_str) != Some("success") {
        let err = v.get("error").and_then(Value::as_str).unwrap_or("");
        let ty = v.get("errorType").and_then(Value::as_str).unwrap_or("");
        return Err(fail!("{what}: status is not success: {ty}: {err}"));
    }
    if let Some(w) = v.get("warnings") {
        eprintln!("{what}: warnings: {w}");
    }
    v.get("data")
        .cloned()
        .ok_or_else(|| fail!("{what}: no data in response"))
}

/// Converts a JSON object of label pairs into [`Labels`].
pub fn labels_of(v: &Value) -> Result<Labels> {
    let obj = v
        .as_object()
        .ok_or_else(|| fail!("label set is not an object: {v}"))?;
    obj.iter()
        .map(|(k, v)| {
            Ok((
                k.clone(),
                v.as_str()
                    .ok_or_else(|| fail!("label {k} is not a string"))?
                    .to_string(),
            ))
        })
        .collect()
}

/// Seconds (as Prometheus API parameters) from milliseconds.
pub fn api_time(t_ms: i64) -> String {
    format!("{}.{:03}", t_ms.div_euclid(1000), t_ms.rem_euclid(1000))
}

/// `GET /api/v1/series?match[]=...&start&end`: every series matching over the window.
pub fn series(
    http: &Http,
    base: &str,
    matcher: &str,
    start_ms: i64,
    end_ms: i64,
) -> Result<Vec<Labels>> {
    let url = format!("{base}/api/v1/series");
    let (s, e) = (api_time(start_ms), api_time(end_ms));
    let r = http.post_form(&url, &[("match[]", matcher), ("start", &s), ("end", &e)])?;
    if r.status != 200 {
        return Err(fail!(
            "POST {url} match[]={matcher}: status {} body {}",
            r.status,
            r.text(500)
        ));
    }
    let data = envelope_data(&r.body, &url)?;
    let arr = data
        .as_array()
        .ok_or_else(|| fail!("{url}: data is not an array"))?;
    arr.iter().map(labels_of).collect()
}

/// One series of a matrix result: labels and `(t_ms, value as rendered)` pairs.
pub type MatrixSeries = (Labels, Vec<(i64, String)>);

/// `POST /api/v1/query` of a range-vector selector at `time_ms`; returns the matrix.
pub fn query_matrix(
    http: &Http,
    base: &str,
    query: &str,
    time_ms: i64,
) -> Result<Vec<MatrixSeries>> {
    let url = format!("{base}/api/v1/query");
    let t = api_time(time_ms);
    let r = http.post_form(&url, &[("query", query), ("time", &t)])?;
    if r.status != 200 {
        return Err(fail!(
            "POST {url} query={query} time={t}: status {} body {}",
            r.status,
            r.text(500)
        ));
    }
    let data = envelope_data(&r.body, &url)?;
    if data.get("resultType").and_then(Value::as_str) != Some("matrix") {
        return Err(fail!(
            "{url} query={query}: result is not a matrix: {}",
            data.get("resultType").unwrap_or(&Value::Null)
        ));
    }
    let result = data
        .get("result")
        .and_then(Value::as_array)
        .ok_or_else(|| fail!("{url}: no result array"))?;
    result
        .iter()
        .map(|s| {
            let labels = labels_of(s.get("metric").unwrap_or(&Value::Null))?;
            let values = s
                .get("values")
                .and_then(Value::as_array)
                .ok_or_else(|| fail!("series without values"))?;
            let points = values.iter().map(parse_point).collect::<Result<Vec<_>>>()?;
            Ok((labels, points))
        })
        .collect()
}

/// Parses `[1700000000.123, "1.5"]` into `(1700000000123, "1.5")`.
pub fn parse_point(p: &Value) -> Result<(i64, String)> {
    let pair = p
        .as_array()
        .filter(|a| a.len() == 2)
        .ok_or_else(|| fail!("bad point {p}"))?;
    let t = pair[0]
        .as_f64()
        .ok_or_else(|| fail!("bad timestamp in {p}"))?;
    let v = pair[1].as_str().ok_or_else(|| fail!("bad value in {p}"))?;
    Ok(((t * 1000.0).round() as i64, v.to_string()))
}

/// One sample line of the text exposition format.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpositionSample {
    /// Metric name.
    pub name: String,
    /// Labels (without `__name__`).
    pub labels: Labels,
    /// Value.
    pub value: f64,
}

/// Parses the sample lines of a text exposition (comments and timestamps ignored).
pub fn parse_exposition(text: &str) -> Vec<ExpositionSample> {
    text.lines().filter_map(parse_exposition_line).collect()
}

fn parse_exposition_line(line: &str) -> Option<ExpositionSample> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let name_end = line.find(|c: char| c == '{' || c.is_whitespace())?;
    let name = line[..name_end].to_string();
    let mut rest = &line[name_end..];
    let mut labels = Labels::new();
    if let Some(r) = rest.strip_prefix('{') {
        let mut chars = r.char_indices().peekable();
        let end;
        loop {
            // Skip separators.
            while let Some((_, c)) = chars.peek() {
                if *c == ',' || c.is_whitespace() {
                    chars.next();
                } else {
                    break;
                }
            }
            let (i, c) = chars.next()?;
            if c == '}' {
                end = Some(i + 1);
                break;
            }
            let key_start = i;
            let mut key_end = i + c.len_utf8();
            while let Some((j, c)) = chars.peek() {
                if *c == '=' {
                    break;
                }
                key_end = j + c.len_utf8();
                chars.next();
            }
            let key = r[key_start..key_end].trim().to_string();
            chars.next()?; // '='
            let (_, q) = chars.next()?;
            if q != '"' {
                return None;
            }
            let mut val = String::new();
            loop {
                let (_, c) = chars.next()?;
                match c {
                    '"' => break,
                    '\\' => match chars.next()?.1 {
                        'n' => val.push('\n'),
                        other => val.push(other),
                    },
                    c => val.push(c),
                }
            }
            labels.insert(key, val);
        }
        rest = &r[end?..];
    }
    let value_str = rest.split_whitespace().next()?;
    let value = match value_str {
        "+Inf" | "Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        v => v.parse().ok()?,
    };
    Some(ExpositionSample {
        name,
        labels,
        value,
    })
}

/// Sum of the values of `name` whose labels include all of `filter`; `None` if no sample matches.
pub fn metric_sum(
    samples: &[ExpositionSample],
    name: &str,
    filter: &[(&str, &str)],
) -> Option<f64> {
    let mut found = None;
    for s in samples.iter().filter(|s| s.name == name) {
        if filter
            .iter()
            .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        {
            *found.get_or_insert(0.0) += s.value;
        }
    }
    found
}

/// Fetches and parses `base/metrics`.
pub fn scrape(http: &Http, base: &str) -> Result<Vec<ExpositionSample>> {
    Ok(parse_exposition(
        &http.get_text(&format!("{base}/metrics"))?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_lines_parse() {
        let text = "# HELP x y\n# TYPE a counter\na_total 3\nb{x=\"1\",y=\"q\\\"uote\"} 2.5 1700000000000\n\
                    c{} NaN\nd{le=\"+Inf\"} +Inf\ne{reason=\"out_of_order\"} 4\ne{reason=\"too_old\"} 6\n";
        let s = parse_exposition(text);
        assert_eq!(s.len(), 6);
        assert_eq!(s[0].name, "a_total");
        assert_eq!(s[0].value, 3.0);
        assert_eq!(s[1].labels.get("y").map(String::as_str), Some("q\"uote"));
        assert_eq!(s[1].value, 2.5);
        assert!(s[2].value.is_nan());
        assert_eq!(s[3].value, f64::INFINITY);
        assert_eq!(metric_sum(&s, "e", &[]), Some(10.0));
        assert_eq!(metric_sum(&s, "e", &[("reason", "too_old")]), Some(6.0));
        assert_eq!(metric_sum(&s, "nope", &[]), None);
    }

    #[test]
    fn points_and_times_convert_exactly() {
        let p: Value = serde_json::from_str("[1700000000.123, \"NaN\"]").unwrap();
        assert_eq!(
            parse_point(&p).unwrap(),
            (1_700_000_000_123, "NaN".to_string())
        );
        assert_eq!(api_time(1_700_000_000_123), "1700000000.123");
        assert_eq!(api_time(5), "0.005");
    }

    #[test]
    fn labels_render_escaped() {
        let mut l = Labels::new();
        l.insert("__name__".into(), "up".into());
        l.insert("job".into(), "a\"b".into());
        assert_eq!(fmt_labels(&l), "{__name__=\"up\", job=\"a\\\"b\"}");
    }
}
