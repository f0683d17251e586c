//! The evaluator: runs a plan over the whole step grid at once.
//!
//! Every node yields its value at every step ([`types::Val`]): a scalar per step, or series
//! whose points are tagged with step indexes. Selectors read storage once per query and walk
//! their samples step by step; functions, operators and aggregations then work step by step on
//! those values, as Prometheus's evaluator does, so instant and range queries share one path.

mod aggregate;
mod binary;
mod call;
mod labels_fn;
mod range;
mod selector;
mod types;

pub use types::{STALE_NAN_BITS, is_stale};

#[cfg(test)]
mod tests;

use crate::annotations::Annotations;
use crate::engine::EngineOptions;
use crate::error::QueryError;
use crate::plan::Node;
use crate::storage::Queryable;
use crate::value::{Sample, Series, Value};
use crate::{Labels, METRIC_NAME};
use std::collections::HashMap;
use std::time::Instant;
use types::{Grid, StepSeries, Val};

pub struct Evaluator<'a> {
    storage: &'a dyn Queryable,
    opts: &'a EngineOptions,
    grid: Grid,
    deadline: Instant,
    notes: Annotations,
    /// Samples currently held, for `--query.max-samples`.
    held: usize,
    /// Deadline checks are cheap but not free: only look at the clock every so often.
    ticks: u32,
}

impl std::fmt::Debug for Evaluator<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evaluator")
            .field("grid", &self.grid)
            .field("held", &self.held)
            .finish()
    }
}

impl<'a> Evaluator<'a> {
    pub fn new(
        storage: &'a dyn Queryable,
        opts: &'a EngineOptions,
        start: i64,
        end: i64,
        step: i64,
        deadline: Instant,
    ) -> Self {
        Evaluator {
            storage,
            opts,
            grid: Grid::new(start, end, step),
            deadline,
            notes: Annotations::default(),
            held: 0,
            ticks: 0,
        }
    }

    /// Evaluates the plan and shapes the result as Prometheus returns it: a range query
    /// (step > 0) always yields a matrix sorted by labels.
    pub fn run(&mut self, node: &Node) -> Result<Value, QueryError> {
        let grid = self.grid;
        let instant = grid.step <= 0;
        if instant && matches!(node, Node::MatrixSelector { .. } | Node::Subquery { .. }) {
            let series = self.eval_range_windows_at(node, grid.start)?;
            return Ok(Value::Matrix(series));
        }
        let mut val = self.eval(node, grid)?;
        if let Val::Vector(series) = &mut val
            && series.iter().any(|s| s.drop_name)
        {
            // Delayed name removal: the names go now, and only now can they collide.
            let cleaned = std::mem::take(series)
                .into_iter()
                .map(|mut s| {
                    if s.drop_name {
                        s.metric = drop_name(&s.metric);
                        s.drop_name = false;
                    }
                    s
                })
                .collect();
            *series = unique(cleaned)?;
        }
        Ok(match val {
            Val::Str(s) => Value::String {
                t: grid.start,
                v: s,
            },
            Val::Scalar(v) if instant => Value::Scalar {
                t: grid.start,
                v: v.first().copied().unwrap_or(f64::NAN),
            },
            Val::Scalar(v) => Value::Matrix(vec![Series {
                metric: Labels::new(),
                floats: v
                    .iter()
                    .enumerate()
                    .map(|(i, &f)| (grid.ts(i), f))
                    .collect(),
            }]),
            Val::Vector(series) if instant => Value::Vector(
                series
                    .into_iter()
                    .filter_map(|s| {
                        let f = s.points.first()?.1;
                        Some(Sample {
                            metric: s.metric,
                            t: grid.start,
                            f,
                        })
                    })
                    .collect(),
            ),
            Val::Vector(series) => {
                let mut m: Vec<Series> = series
                    .into_iter()
                    .filter(|s| !s.points.is_empty())
                    .map(|s| Series {
                        floats: s.points.iter().map(|&(i, f)| (grid.ts(i), f)).collect(),
                        metric: s.metric,
                    })
                    .collect();
                m.sort_by(|a, b| a.metric.cmp(&b.metric));
                Value::Matrix(m)
            }
        })
    }

    pub fn into_annotations(self) -> Annotations {
        self.notes
    }

    fn eval(&mut self, node: &Node, grid: Grid) -> Result<Val, QueryError> {
        self.check_deadline()?;
        if grid.n > 1 && !matches!(node, Node::Number(_) | Node::Str(_)) && step_invariant(node) {
            // Pinned by `@` everywhere inside: the same answer at every step, so compute it once.
            let once = self.eval(node, Grid { n: 1, ..grid })?;
            let val = broadcast(once, grid.n);
            self.account(val.points())?;
            return Ok(val);
        }
        let val = match node {
            Node::Number(v) => Val::Scalar(vec![*v; grid.n]),
            Node::Str(s) => Val::Str(s.clone()),
            Node::VectorSelector(sel) => Val::Vector(self.eval_vector_selector(sel, grid, false)?),
            Node::MatrixSelector { .. } | Node::Subquery { .. } => {
                // The planner only lets range vectors reach function arguments and the top of an
                // instant query; anything else is a type error Prometheus's parser reports.
                return Err(QueryError::BadData(
                    "range vector cannot be used here: expected instant vector or scalar".into(),
                ));
            }
            Node::Call { def, args } => self.eval_call(def, args, grid)?,
            Node::Aggregate {
                op,
                expr,
                param,
                grouping,
            } => self.eval_aggregate(*op, expr, param.as_deref(), grouping, grid)?,
            Node::Binary {
                op,
                lhs,
                rhs,
                matching,
                return_bool,
            } => self.eval_binary(*op, lhs, rhs, matching.as_ref(), *return_bool, grid)?,
            Node::Neg(e) => match self.eval(e, grid)? {
                Val::Scalar(v) => Val::Scalar(v.into_iter().map(|x| -x).collect()),
                Val::Vector(series) => Val::Vector(unique(
                    series
                        .into_iter()
                        .map(|mut s| {
                            (s.metric, s.drop_name) = name_drop(
                                self.opts.delayed_name_removal,
                                std::mem::take(&mut s.metric),
                            );
                            for p in &mut s.points {
                                p.1 = -p.1;
                            }
                            s
                        })
                        .collect(),
                )?),
                Val::Str(_) => return Err(QueryError::BadData("cannot negate a string".into())),
            },
        };
        self.account(val.points())?;
        Ok(val)
    }

    /// Evaluates a node that must be a scalar (function and aggregation parameters).
    fn eval_scalar(&mut self, node: &Node, grid: Grid) -> Result<Vec<f64>, QueryError> {
        match self.eval(node, grid)? {
            Val::Scalar(v) => Ok(v),
            _ => Err(QueryError::BadData(
                "expected type scalar in parameter".into(),
            )),
        }
    }

    fn eval_vector(&mut self, node: &Node, grid: Grid) -> Result<Vec<StepSeries>, QueryError> {
        match self.eval(node, grid)? {
            Val::Vector(v) => Ok(v),
            _ => Err(QueryError::BadData(
                "expected type instant vector in parameter".into(),
            )),
        }
    }

    fn check_deadline(&mut self) -> Result<(), QueryError> {
        self.ticks = self.ticks.wrapping_add(1);
        if self.ticks.is_multiple_of(64) && Instant::now() > self.deadline {
            return Err(QueryError::Timeout("expression evaluation"));
        }
        Ok(())
    }

    /// Counts `n` more samples held by the query against `--query.max-samples`.
    fn account(&mut self, n: usize) -> Result<(), QueryError> {
        self.held = self.held.saturating_add(n);
        if self.held > self.opts.max_samples {
            return Err(QueryError::TooManySamples("query execution"));
        }
        Ok(())
    }

    fn release(&mut self, n: usize) {
        self.held = self.held.saturating_sub(n);
    }
}

/// The labels of a result whose `__name__` goes: now, or with delayed name removal only at the
/// end of the query (so `label_replace` and friends can still read it), with the flag that says so.
pub(crate) fn name_drop(delayed: bool, metric: Labels) -> (Labels, bool) {
    if delayed {
        (metric, true)
    } else {
        (drop_name(&metric), false)
    }
}

/// The labels without `__name__`.
pub(crate) fn drop_name(l: &Labels) -> Labels {
    if l.get(METRIC_NAME).is_none() {
        return l.clone();
    }
    Labels::from_sorted(
        l.iter()
            .filter(|x| x.name != METRIC_NAME)
            .cloned()
            .collect(),
    )
}

/// Merges series that ended up with the same labels, failing as Prometheus does when two of
/// them have a value at the same step.
pub(crate) fn unique(series: Vec<StepSeries>) -> Result<Vec<StepSeries>, QueryError> {
    let mut index: HashMap<Labels, usize> = HashMap::with_capacity(series.len());
    let mut out: Vec<StepSeries> = Vec::with_capacity(series.len());
    for s in series {
        match index.get(&s.metric) {
            None => {
                index.insert(s.metric.clone(), out.len());
                out.push(s);
            }
            Some(&i) => {
                let dst = &mut out[i];
                let mut merged = Vec::with_capacity(dst.points.len() + s.points.len());
                let (mut a, mut b) = (
                    dst.points.iter().copied().peekable(),
                    s.points.iter().copied().peekable(),
                );
                loop {
                    match (a.peek().copied(), b.peek().copied()) {
                        (Some(x), Some(y)) if x.0 == y.0 => {
                            return Err(QueryError::Execution(
                                "vector cannot contain metrics with the same labelset".into(),
                            ));
                        }
                        (Some(x), Some(y)) => {
                            if x.0 < y.0 {
                                merged.push(x);
                                a.next();
                            } else {
                                merged.push(y);
                                b.next();
                            }
                        }
                        (Some(x), None) => {
                            merged.push(x);
                            a.next();
                        }
                        (None, Some(y)) => {
                            merged.push(y);
                            b.next();
                        }
                        (None, None) => break,
                    }
                }
                dst.points = merged;
            }
        }
    }
    Ok(out)
}

/// Whether `node` has the same value at every step: every selector and subquery in it carries
/// an `@` and no function in it reads the evaluation time.
fn step_invariant(node: &Node) -> bool {
    match node {
        Node::Number(_) | Node::Str(_) => true,
        Node::VectorSelector(sel) | Node::MatrixSelector { sel, .. } => sel.at.is_some(),
        Node::Subquery { at, .. } => at.is_some(),
        Node::Call { def, args } => {
            !crate::functions::TIME_DEPENDENT.contains(&def.name) && args.iter().all(step_invariant)
        }
        Node::Aggregate { expr, param, .. } => {
            step_invariant(expr) && param.as_deref().is_none_or(step_invariant)
        }
        Node::Binary { lhs, rhs, .. } => step_invariant(lhs) && step_invariant(rhs),
        Node::Neg(e) => step_invariant(e),
    }
}

/// Repeats a one-step value at each of `n` steps.
fn broadcast(v: Val, n: usize) -> Val {
    match v {
        Val::Scalar(x) => Val::Scalar(vec![x.first().copied().unwrap_or(f64::NAN); n]),
        Val::Str(s) => Val::Str(s),
        Val::Vector(series) => Val::Vector(
            series
                .into_iter()
                .filter_map(|s| {
                    let v = s.points.first()?.1;
                    Some(StepSeries {
                        metric: s.metric,
                        points: (0..n).map(|i| (i, v)).collect(),
                        drop_name: s.drop_name,
                    })
                })
                .collect(),
        ),
    }
}
