//! Temporary bridge to the classic-bucket quantile while the function library lands.
use crate::annotations::Annotations;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Bucket {
    pub upper_bound: f64,
    pub count: f64,
}

pub(crate) struct Quantile {
    pub value: f64,
}

impl Quantile {
    pub fn annotate(&self, _name: &str, _notes: &mut Annotations) {}
}

pub(crate) fn bucket_quantile(_q: f64, _b: &mut [Bucket]) -> Quantile {
    Quantile { value: f64::NAN }
}
