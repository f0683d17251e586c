//! Query answers of the Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`), parsed
//! into what the comparison needs: success or error, the result type, and the series with their
//! timestamps (milliseconds) and values (as numbers, keeping the rendered text for reports).

use serde_json::Value as Json;

use crate::prom::{Labels, labels_of};
use crate::{Result, fail};

/// A sample value: the number and how the server rendered it.
#[derive(Debug, Clone, PartialEq)]
pub struct Val {
    /// The value (`NaN`, `+Inf`, `-Inf` parsed).
    pub f: f64,
    /// The JSON string as sent.
    pub text: String,
}

impl Val {
    fn parse(v: &Json) -> Result<Self> {
        let text = v
            .as_str()
            .ok_or_else(|| fail!("sample value {v} is not a string"))?;
        let f = match text {
            "NaN" => f64::NAN,
            "+Inf" | "Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            t => t
                .parse()
                .map_err(|_| fail!("sample value {t:?} is not a number"))?,
        };
        Ok(Val {
            f,
            text: text.to_string(),
        })
    }
}

/// One series of a matrix: labels and `(t_ms, value)` points.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The label set.
    pub labels: Labels,
    /// Points in the order sent.
    pub points: Vec<(i64, Val)>,
}

/// One sample of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The label set.
    pub labels: Labels,
    /// Timestamp in milliseconds.
    pub t: i64,
    /// The value.
    pub v: Val,
}

/// A successful result, by `resultType`.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    /// `scalar`: `[t, "v"]`.
    Scalar(i64, Val),
    /// `string`: `[t, "s"]`.
    String(i64, String),
    /// `vector`, in the order sent.
    Vector(Vec<Sample>),
    /// `matrix`, in the order sent.
    Matrix(Vec<Series>),
}

impl Data {
    /// The API's `resultType` name.
    pub fn type_name(&self) -> &'static str {
        match self {
            Data::Scalar(..) => "scalar",
            Data::String(..) => "string",
            Data::Vector(_) => "vector",
            Data::Matrix(_) => "matrix",
        }
    }
}

/// What one query returned.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `"status": "success"`.
    Success(Data),
    /// An error answer, a malformed answer or a transport failure (`status` 0).
    Error {
        /// HTTP status (0 when the request did not complete).
        status: u16,
        /// `errorType`, or `transport` / `malformed`.
        error_type: String,
        /// The message.
        error: String,
    },
}

impl Outcome {
    /// A request that failed before an answer arrived.
    pub fn transport(error: String) -> Self {
        Outcome::Error {
            status: 0,
            error_type: "transport".to_string(),
            error,
        }
    }

    /// One line for reports.
    pub fn summary(&self) -> String {
        match self {
            Outcome::Success(d) => format!("success ({})", d.type_name()),
            Outcome::Error {
                status,
                error_type,
                error,
            } => {
                let mut e = error.clone();
                if e.len() > 160 {
                    let cut = (0..=160)
                        .rev()
                        .find(|i| e.is_char_boundary(*i))
                        .unwrap_or(0);
                    e.truncate(cut);
                    e.push('…');
                }
                format!("error {status} {error_type}: {e}")
            }
        }
    }
}

/// Parses an API answer with its HTTP status.
pub fn parse_answer(status: u16, body: &[u8]) -> Outcome {
    let malformed = |error: String| Outcome::Error {
        status,
        error_type: "malformed".to_string(),
        error,
    };
    let v: Json = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            let text = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
            return malformed(format!("not JSON ({e}): {text}"));
        }
    };
    if v.get("status").and_then(Json::as_str) != Some("success") || status != 200 {
        let text = |k: &str| v.get(k).and_then(Json::as_str).unwrap_or("").to_string();
        return Outcome::Error {
            status,
            error_type: text("errorType"),
            error: text("error"),
        };
    }
    match parse_data(v.get("data").unwrap_or(&Json::Null)) {
        Ok(d) => Outcome::Success(d),
        Err(e) => malformed(e.to_string()),
    }
}

fn parse_time(t: &Json) -> Result<i64> {
    let s = t.as_f64().ok_or_else(|| fail!("bad timestamp {t}"))?;
    Ok((s * 1000.0).round() as i64)
}

fn pair(p: &Json) -> Result<(&Json, &Json)> {
    match p.as_array().map(Vec::as_slice) {
        Some([t, v]) => Ok((t, v)),
        _ => Err(fail!("expected [t, v], got {p}")),
    }
}

fn parse_data(d: &Json) -> Result<Data> {
    let ty = d
        .get("resultType")
        .and_then(Json::as_str)
        .ok_or_else(|| fail!("no resultType"))?;
    let result = d.get("result").ok_or_else(|| fail!("no result"))?;
    let items = || {
        result
            .as_array()
            .ok_or_else(|| fail!("{ty} result is not an array"))
    };
    let metric = |s: &Json| labels_of(s.get("metric").unwrap_or(&Json::Null));
    Ok(match ty {
        "scalar" => {
            let (t, v) = pair(result)?;
            Data::Scalar(parse_time(t)?, Val::parse(v)?)
        }
        "string" => {
            let (t, v) = pair(result)?;
            let s = v.as_str().ok_or_else(|| fail!("string result {v}"))?;
            Data::String(parse_time(t)?, s.to_string())
        }
        "vector" => Data::Vector(
            items()?
                .iter()
                .map(|s| {
                    let (t, v) = pair(s.get("value").unwrap_or(&Json::Null))?;
                    Ok(Sample {
                        labels: metric(s)?,
                        t: parse_time(t)?,
                        v: Val::parse(v)?,
                    })
                })
                .collect::<Result<_>>()?,
        ),
        "matrix" => Data::Matrix(
            items()?
                .iter()
                .map(|s| {
                    let values = s
                        .get("values")
                        .and_then(Json::as_array)
                        .map(Vec::as_slice)
                        .unwrap_or_default();
                    if s.get("histograms").is_some() {
                        return Err(fail!("native histogram points are not compared"));
                    }
                    let points = values
                        .iter()
                        .map(|p| {
                            let (t, v) = pair(p)?;
                            Ok((parse_time(t)?, Val::parse(v)?))
                        })
                        .collect::<Result<_>>()?;
                    Ok(Series {
                        labels: metric(s)?,
                        points,
                    })
                })
                .collect::<Result<_>>()?,
        ),
        other => return Err(fail!("unknown resultType {other:?}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_result_type() {
        let m = br#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"a":"1"},"values":[[1700000000.123,"1.5"],[1700000010,"NaN"]]}]}}"#;
        let Outcome::Success(Data::Matrix(s)) = parse_answer(200, m) else {
            panic!("not a matrix")
        };
        assert_eq!(s[0].labels["a"], "1");
        assert_eq!(s[0].points[0].0, 1_700_000_000_123);
        assert_eq!(s[0].points[0].1.f, 1.5);
        assert!(s[0].points[1].1.f.is_nan());
        let v = br#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{},"value":[5,"+Inf"]}]}}"#;
        let Outcome::Success(Data::Vector(v)) = parse_answer(200, v) else {
            panic!("not a vector")
        };
        assert_eq!((v[0].t, v[0].v.f), (5_000, f64::INFINITY));
        let s = br#"{"status":"success","data":{"resultType":"scalar","result":[1.5,"-Inf"]}}"#;
        assert_eq!(
            parse_answer(200, s),
            Outcome::Success(Data::Scalar(
                1_500,
                Val {
                    f: f64::NEG_INFINITY,
                    text: "-Inf".into()
                }
            ))
        );
    }

    #[test]
    fn errors_and_garbage_are_errors() {
        let e = br#"{"status":"error","errorType":"bad_data","error":"parse error"}"#;
        match parse_answer(400, e) {
            Outcome::Error {
                status, error_type, ..
            } => assert_eq!((status, error_type.as_str()), (400, "bad_data")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_answer(404, b"404 page not found"),
            Outcome::Error { error_type, .. } if error_type == "malformed"
        ));
        let bad_value = br#"{"status":"success","data":{"resultType":"scalar","result":[1,"x"]}}"#;
        assert!(matches!(
            parse_answer(200, bad_value),
            Outcome::Error { .. }
        ));
    }
}
