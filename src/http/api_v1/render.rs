//! Prometheus's JSON for query results, written by hand so that the bytes match what Prometheus
//! sends: keys in its order, sample values as strings in Go's shortest `'f'` format, timestamps
//! as Unix seconds with at most three decimals, and strings escaped as Go's JSON encoder does.

use promql::{Labels, Value};
use std::fmt::Write;

/// Appends `f` as Go's `strconv.FormatFloat(f, 'f', -1, 64)` with Prometheus's spellings of
/// the special values.
pub fn push_float(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("NaN");
    } else if f == f64::INFINITY {
        out.push_str("+Inf");
    } else if f == f64::NEG_INFINITY {
        out.push_str("-Inf");
    } else {
        // Rust's `Display` for f64 is the shortest round-trip digits without an exponent,
        // which is exactly Go's 'f' format with precision -1.
        let _ = write!(out, "{f}");
    }
}

/// Appends a millisecond timestamp as seconds: `1435781451.781`, `10`, `1.5`, `-1.05`.
pub fn push_timestamp(out: &mut String, t: i64) {
    if t < 0 {
        out.push('-');
    }
    let abs = t.unsigned_abs();
    let _ = write!(out, "{}", abs / 1000);
    let frac = abs % 1000;
    if frac != 0 {
        let digits = format!("{frac:03}");
        out.push('.');
        out.push_str(digits.trim_end_matches('0'));
    }
}

/// Appends `s` as a JSON string, escaped like Go's encoder with HTML escaping on (the
/// encoder Prometheus uses): `<`, `>`, `&`, U+2028 and U+2029 become `\uXXXX`.
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn push_labels(out: &mut String, labels: &Labels) {
    out.push('{');
    for (i, l) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_str(out, &l.name);
        out.push(':');
        push_str(out, &l.value);
    }
    out.push('}');
}

fn push_point(out: &mut String, t: i64, f: f64) {
    out.push('[');
    push_timestamp(out, t);
    out.push_str(",\"");
    push_float(out, f);
    out.push_str("\"]");
}

/// Appends `{"resultType":...,"result":...}` for a query's value.
pub fn push_query_data(out: &mut String, value: &Value) {
    out.push_str("{\"resultType\":\"");
    out.push_str(value.type_name());
    out.push_str("\",\"result\":");
    match value {
        Value::Scalar { t, v } => push_point(out, *t, *v),
        Value::String { t, v } => {
            out.push('[');
            push_timestamp(out, *t);
            out.push(',');
            push_str(out, v);
            out.push(']');
        }
        Value::Vector(samples) => {
            out.push('[');
            for (i, s) in samples.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str("{\"metric\":");
                push_labels(out, &s.metric);
                out.push_str(",\"value\":");
                push_point(out, s.t, s.f);
                out.push('}');
            }
            out.push(']');
        }
        Value::Matrix(series) => {
            out.push('[');
            for (i, s) in series.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str("{\"metric\":");
                push_labels(out, &s.metric);
                out.push_str(",\"values\":[");
                for (j, (t, f)) in s.floats.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    push_point(out, *t, *f);
                }
                out.push_str("]}");
            }
            out.push(']');
        }
    }
    out.push('}');
}

/// The success envelope around already rendered `data`; `warnings` and `infos` are left out
/// when empty, as Prometheus's `omitempty` does.
pub fn success_envelope(data: &str, warnings: &[String], infos: &[String]) -> String {
    let mut out = String::with_capacity(data.len() + 64);
    out.push_str("{\"status\":\"success\",\"data\":");
    out.push_str(data);
    for (key, list) in [("warnings", warnings), ("infos", infos)] {
        if list.is_empty() {
            continue;
        }
        out.push_str(",\"");
        out.push_str(key);
        out.push_str("\":[");
        for (i, w) in list.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_str(&mut out, w);
        }
        out.push(']');
    }
    out.push('}');
    out
}

/// At most `max` annotations, then one line counting the rest, as Prometheus's
/// `Annotations.AsStrings` does.
pub fn capped(list: &[String], max: usize, kind: &str) -> Vec<String> {
    let mut out: Vec<String> = list.iter().take(max).cloned().collect();
    if list.len() > max {
        out.push(format!(
            "{} more {kind} annotations omitted",
            list.len() - max
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use promql::{Sample, Series};

    fn format_float(f: f64) -> String {
        let mut s = String::new();
        push_float(&mut s, f);
        s
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        Labels::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn floats_as_go_formats_them() {
        let cases = [
            (1.0, "1"),
            (0.1, "0.1"),
            (-2.5, "-2.5"),
            (1e21, "1000000000000000000000"),
            (1e-7, "0.0000001"),
            (123456789.123, "123456789.123"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (-0.0, "-0"),
            (1.0 / 3.0, "0.3333333333333333"),
        ];
        for (f, want) in cases {
            assert_eq!(format_float(f), want, "{f:?}");
        }
    }

    #[test]
    fn timestamps_as_seconds() {
        let ts = |t| {
            let mut s = String::new();
            push_timestamp(&mut s, t);
            s
        };
        assert_eq!(ts(1_435_781_451_781), "1435781451.781");
        assert_eq!(ts(10_000), "10");
        assert_eq!(ts(1_500), "1.5");
        assert_eq!(ts(1_050), "1.05");
        assert_eq!(ts(1_001), "1.001");
        assert_eq!(ts(-1_500), "-1.5");
        assert_eq!(ts(-5), "-0.005");
        assert_eq!(ts(0), "0");
        assert_eq!(ts(i64::MIN), "-9223372036854775.808");
    }

    #[test]
    fn strings_escaped_like_go() {
        let mut s = String::new();
        push_str(&mut s, "a\"b\\c\nd<e>&\u{1}\u{2028}é");
        assert_eq!(s, r#""a\"b\\c\nd\u003ce\u003e\u0026\u0001\u2028é""#);
        // The output is valid JSON that decodes back to the input.
        let back: String = serde_json::from_str(&s).unwrap();
        assert_eq!(back, "a\"b\\c\nd<e>&\u{1}\u{2028}é");
    }

    fn data(v: &Value) -> String {
        let mut s = String::new();
        push_query_data(&mut s, v);
        s
    }

    #[test]
    fn scalar_and_string() {
        assert_eq!(
            data(&Value::Scalar { t: 1_500, v: 2.0 }),
            r#"{"resultType":"scalar","result":[1.5,"2"]}"#
        );
        assert_eq!(
            data(&Value::String {
                t: 10_000,
                v: "abc".into()
            }),
            r#"{"resultType":"string","result":[10,"abc"]}"#
        );
    }

    #[test]
    fn vector_and_matrix() {
        let v = Value::Vector(vec![
            Sample {
                metric: labels(&[("job", "a"), ("__name__", "up")]),
                t: 1_000,
                f: 1.0,
            },
            Sample {
                metric: Labels::new(),
                t: 1_000,
                f: f64::NAN,
            },
        ]);
        assert_eq!(
            data(&v),
            r#"{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"a"},"value":[1,"1"]},{"metric":{},"value":[1,"NaN"]}]}"#
        );
        let m = Value::Matrix(vec![Series {
            metric: labels(&[("a", "b")]),
            floats: vec![(0, 1.0), (5_000, 0.25)],
        }]);
        assert_eq!(
            data(&m),
            r#"{"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[0,"1"],[5,"0.25"]]}]}"#
        );
        assert_eq!(
            data(&Value::Vector(vec![])),
            r#"{"resultType":"vector","result":[]}"#
        );
        assert_eq!(
            data(&Value::Matrix(vec![])),
            r#"{"resultType":"matrix","result":[]}"#
        );
    }

    #[test]
    fn envelope_omits_empty_annotations() {
        assert_eq!(
            success_envelope("[]", &[], &[]),
            r#"{"status":"success","data":[]}"#
        );
        assert_eq!(
            success_envelope("1", &["w".into()], &["i".into(), "j".into()]),
            r#"{"status":"success","data":1,"warnings":["w"],"infos":["i","j"]}"#
        );
    }

    #[test]
    fn annotations_capped() {
        let list: Vec<String> = (0..12).map(|i| format!("w{i}")).collect();
        let c = capped(&list, 10, "warning");
        assert_eq!(c.len(), 11);
        assert_eq!(c[9], "w9");
        assert_eq!(c[10], "2 more warning annotations omitted");
        assert_eq!(capped(&list[..3], 10, "info").len(), 3);
    }
}
