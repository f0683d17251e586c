//! Query results in Prometheus's four value types.

use crate::Labels;

/// One sample of an instant vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub metric: Labels,
    pub t: i64,
    pub f: f64,
}

/// An instant vector: at most one sample per label set, all at the same time.
pub type Vector = Vec<Sample>;

/// One series of a range vector, points in increasing time.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    pub metric: Labels,
    pub floats: Vec<(i64, f64)>,
}

/// A range vector (or the result of a range query), series sorted by labels.
pub type Matrix = Vec<Series>;

/// What a query returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar { t: i64, v: f64 },
    String { t: i64, v: String },
    Vector(Vector),
    Matrix(Matrix),
}

impl Value {
    /// The `resultType` Prometheus's API uses for this value.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Scalar { .. } => "scalar",
            Value::String { .. } => "string",
            Value::Vector(_) => "vector",
            Value::Matrix(_) => "matrix",
        }
    }
}
