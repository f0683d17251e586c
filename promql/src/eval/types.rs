//! The evaluator's intermediate values: everything is held over all steps at once.

use crate::Labels;

/// The evaluation grid: `n` steps from `start`, `step` ms apart (one step for an instant query).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Grid {
    pub start: i64,
    pub step: i64,
    pub n: usize,
}

impl Grid {
    pub fn new(start: i64, end: i64, step: i64) -> Self {
        let n = if step <= 0 {
            1
        } else {
            usize::try_from((end - start) / step).unwrap_or(0) + 1
        };
        Grid { start, step, n }
    }

    /// The time of step `i` in ms.
    pub fn ts(&self, i: usize) -> i64 {
        self.start + self.step * i as i64
    }

    pub fn end(&self) -> i64 {
        self.ts(self.n.saturating_sub(1))
    }
}

/// One series of an instant vector evaluated at every step: points are `(step index, value)`,
/// increasing, at most one per step.
#[derive(Debug, Clone, Default)]
pub(crate) struct StepSeries {
    pub metric: Labels,
    pub points: Vec<(usize, f64)>,
    /// With delayed name removal: `__name__` is still in `metric` but goes at the end.
    pub drop_name: bool,
}

/// A range vector's series: raw samples, not yet windowed.
#[derive(Debug, Clone, Default)]
pub(crate) struct RawSeries {
    pub metric: Labels,
    pub samples: Vec<(i64, f64)>,
}

/// The value of a plan node over the whole grid.
#[derive(Debug, Clone)]
pub(crate) enum Val {
    /// One value per step.
    Scalar(Vec<f64>),
    Str(String),
    Vector(Vec<StepSeries>),
}

impl Val {
    pub fn points(&self) -> usize {
        match self {
            Val::Scalar(v) => v.len(),
            Val::Str(_) => 0,
            Val::Vector(s) => s.iter().map(|s| s.points.len()).sum(),
        }
    }
}

/// Per-step view of a vector: for each step, the `(series index, value)` pairs present then.
pub(crate) fn by_step(series: &[StepSeries], n: usize) -> Vec<Vec<(usize, f64)>> {
    let mut out: Vec<Vec<(usize, f64)>> = vec![Vec::new(); n];
    for (si, s) in series.iter().enumerate() {
        for &(i, v) in &s.points {
            if let Some(slot) = out.get_mut(i) {
                slot.push((si, v));
            }
        }
    }
    out
}

/// Prometheus's stale marker: a NaN with this exact bit pattern ends a series.
pub const STALE_NAN_BITS: u64 = 0x7ff0_0000_0000_0002;

pub fn is_stale(v: f64) -> bool {
    v.to_bits() == STALE_NAN_BITS
}
