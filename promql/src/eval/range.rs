//! Range vectors: matrix selectors and subqueries, cut into one window per step.

use super::types::{Grid, RawSeries, StepSeries, is_stale};
use super::{Evaluator, name_drop, unique};
use crate::METRIC_NAME;
use crate::error::QueryError;
use crate::functions::{FnCtx, FunctionDef, RangeFn, Window, notes};
use crate::plan::Node;
use crate::value::Series;

/// A range vector ready to be windowed: the series, the window length and how each step's
/// window end is found.
pub(super) struct Ranged {
    pub series: Vec<RawSeries>,
    pub range: i64,
    pub offset: i64,
    pub at: Option<i64>,
}

impl Ranged {
    /// The inclusive end of the window for evaluation time `t`.
    pub fn end(&self, t: i64) -> i64 {
        self.at.unwrap_or(t) - self.offset
    }
}

/// The samples with `start < t <= end` in a time-sorted slice.
pub(super) fn window(samples: &[(i64, f64)], start: i64, end: i64) -> &[(i64, f64)] {
    let lo = samples.partition_point(|p| p.0 <= start);
    let hi = samples.partition_point(|p| p.0 <= end);
    &samples[lo..hi.max(lo)]
}

impl Evaluator<'_> {
    /// Loads the data a range-vector node needs for every step of `grid`.
    pub(super) fn eval_ranged(
        &mut self,
        node: &Node,
        grid: Grid,
        func: Option<&str>,
    ) -> Result<Ranged, QueryError> {
        match node {
            Node::MatrixSelector { sel, range } => {
                let r = Ranged {
                    series: Vec::new(),
                    range: *range,
                    offset: sel.offset,
                    at: sel.at,
                };
                let (lo, hi) = (r.end(grid.start), r.end(grid.end()));
                let mut series = self.load(sel, lo - range + 1, hi, *range, func)?;
                for s in &mut series {
                    // Stale markers only end a series for instant selectors; a range
                    // vector simply leaves them out.
                    s.samples.retain(|p| !is_stale(p.1));
                }
                series.retain(|s| !s.samples.is_empty());
                Ok(Ranged { series, ..r })
            }
            Node::Subquery {
                expr,
                range,
                step,
                offset,
                at,
            } => {
                let step = if *step > 0 {
                    *step
                } else {
                    self.opts.default_subquery_step_ms
                };
                let r = Ranged {
                    series: Vec::new(),
                    range: *range,
                    offset: *offset,
                    at: *at,
                };
                let (lo, hi) = (r.end(grid.start) - range, r.end(grid.end()));
                // The inner steps sit on multiples of the subquery step, as in Prometheus.
                let mut first = lo.div_euclid(step) * step;
                if first < lo {
                    first += step;
                }
                if first > hi {
                    return Ok(r);
                }
                // Refuse before allocating: every inner step may hold a sample.
                if (hi - first) / step >= self.opts.max_samples as i64 {
                    return Err(QueryError::TooManySamples("query execution"));
                }
                let inner = Grid::new(first, hi, step);
                let vals = self.eval_vector(expr, inner)?;
                let series = vals
                    .into_iter()
                    .map(|s| RawSeries {
                        samples: s.points.iter().map(|&(i, v)| (inner.ts(i), v)).collect(),
                        metric: s.metric,
                    })
                    .filter(|s| !s.samples.is_empty())
                    .collect();
                Ok(Ranged { series, ..r })
            }
            _ => Err(QueryError::BadData(
                "expected type range vector in call to function".into(),
            )),
        }
    }

    /// A range vector at the top of an instant query: the raw samples of each window.
    pub(super) fn eval_range_windows_at(
        &mut self,
        node: &Node,
        t: i64,
    ) -> Result<Vec<Series>, QueryError> {
        let grid = Grid::new(t, t, 0);
        let r = self.eval_ranged(node, grid, None)?;
        let end = r.end(t);
        Ok(r.series
            .into_iter()
            .filter_map(|s| {
                let w = window(&s.samples, end - r.range, end);
                (!w.is_empty()).then(|| Series {
                    metric: s.metric.clone(),
                    floats: w.to_vec(),
                })
            })
            .collect())
    }

    /// A range-vector function: one call per series and step with that step's window.
    pub(super) fn eval_range_fn(
        &mut self,
        def: &FunctionDef,
        f: RangeFn,
        args: &[Node],
        range_arg: usize,
        grid: Grid,
    ) -> Result<Vec<StepSeries>, QueryError> {
        let mut scalars: Vec<Vec<f64>> = Vec::new();
        for (i, a) in args.iter().enumerate() {
            if i != range_arg {
                scalars.push(self.eval_scalar(a, grid)?);
            }
        }
        let Some(node) = args.get(range_arg) else {
            return Err(QueryError::BadData(format!(
                "expected a range vector argument in call to function \"{}\"",
                def.name
            )));
        };
        let r = self.eval_ranged(node, grid, Some(def.name))?;
        let mut out = Vec::with_capacity(r.series.len());
        // predict_linear extrapolates from the evaluation time, which `@` and `offset` move
        // away from the window's end: it gets that time as an extra argument.
        let pass_eval_time = def.name == "predict_linear";
        let mut sargs = vec![0.0; scalars.len() + usize::from(pass_eval_time)];
        for s in &r.series {
            self.check_deadline()?;
            let name = s.metric.get(METRIC_NAME);
            let mut points = Vec::new();
            for i in 0..grid.n {
                self.check_deadline()?;
                let end = r.end(grid.ts(i));
                let w = window(&s.samples, end - r.range, end);
                if w.is_empty() {
                    continue;
                }
                for (dst, src) in sargs.iter_mut().zip(&scalars) {
                    *dst = src[i];
                }
                if pass_eval_time {
                    sargs[scalars.len()] = grid.ts(i) as f64;
                }
                if def.name == "double_exponential_smoothing"
                    && let [sf, tf] = sargs[..]
                    && let Some(msg) = notes::smoothing_factor_error(sf, tf)
                {
                    return Err(QueryError::Execution(msg));
                }
                let mut ctx = FnCtx {
                    metric_name: name,
                    notes: &mut self.notes,
                };
                let win = Window {
                    samples: w,
                    start: end - r.range,
                    end,
                };
                if let Some(v) = f(&win, &sargs, &mut ctx) {
                    points.push((i, v));
                }
            }
            if !points.is_empty() {
                let (metric, drop) = if def.keeps_name {
                    (s.metric.clone(), false)
                } else {
                    name_drop(self.opts.delayed_name_removal, s.metric.clone())
                };
                out.push(StepSeries {
                    metric,
                    points,
                    drop_name: drop,
                });
            }
        }
        unique(out)
    }
}
