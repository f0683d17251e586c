//! Binary operators: scalar/scalar, vector/scalar and vector/vector with label matching.

use super::types::{Grid, StepSeries, Val, by_step};
use super::{Evaluator, name_drop, unique};
use crate::error::QueryError;
use crate::plan::{BinOp, Card, Node, VectorMatching};
use crate::{Label, Labels, METRIC_NAME};
use std::collections::HashMap;

/// Applies an arithmetic or comparison operator. For comparisons the result is
/// `(lhs, keep)` so a filter keeps the left value, as Prometheus does.
fn apply(op: BinOp, l: f64, r: f64) -> (f64, bool) {
    match op {
        BinOp::Add => (l + r, true),
        BinOp::Sub => (l - r, true),
        BinOp::Mul => (l * r, true),
        BinOp::Div => (l / r, true),
        BinOp::Mod => (l % r, true),
        BinOp::Pow => (l.powf(r), true),
        BinOp::Atan2 => (l.atan2(r), true),
        BinOp::Eql => (l, l == r),
        BinOp::Neq => (l, l != r),
        BinOp::Gtr => (l, l > r),
        BinOp::Lss => (l, l < r),
        BinOp::Gte => (l, l >= r),
        BinOp::Lte => (l, l <= r),
        BinOp::And | BinOp::Or | BinOp::Unless => (f64::NAN, false),
    }
}

fn drops_name(op: BinOp, return_bool: bool) -> bool {
    !op.is_comparison() || return_bool
}

/// The label set two series are matched on.
fn signature(l: &Labels, m: &VectorMatching) -> Labels {
    let v: Vec<Label> = if m.on {
        l.iter()
            .filter(|x| m.labels.contains(&x.name))
            .cloned()
            .collect()
    } else {
        l.iter()
            .filter(|x| x.name != METRIC_NAME && !m.labels.contains(&x.name))
            .cloned()
            .collect()
    };
    Labels::from_sorted(v)
}

/// The labels of a vector/vector result: Prometheus's `resultMetric`.
fn result_metric(
    lhs: &Labels,
    rhs: &Labels,
    op: BinOp,
    m: &VectorMatching,
    return_bool: bool,
    delayed: bool,
) -> Labels {
    let mut v: Vec<Label> = lhs.iter().cloned().collect();
    if drops_name(op, return_bool) && !delayed {
        v.retain(|x| x.name != METRIC_NAME);
    }
    if m.card == Card::OneToOne {
        if m.on {
            v.retain(|x| m.labels.contains(&x.name));
        } else {
            v.retain(|x| !m.labels.contains(&x.name));
        }
    }
    for name in &m.include {
        v.retain(|x| x.name != *name);
        if let Some(val) = rhs.get(name) {
            v.push(Label::new(name.clone(), val));
        }
    }
    v.sort_by(|a, b| a.name.cmp(&b.name));
    Labels::from_sorted(v)
}

impl Evaluator<'_> {
    pub(super) fn eval_binary(
        &mut self,
        op: BinOp,
        lhs: &Node,
        rhs: &Node,
        matching: Option<&VectorMatching>,
        return_bool: bool,
        grid: Grid,
    ) -> Result<Val, QueryError> {
        let l = self.eval(lhs, grid)?;
        let r = self.eval(rhs, grid)?;
        match (l, r) {
            (Val::Scalar(a), Val::Scalar(b)) => Ok(Val::Scalar(
                a.iter()
                    .zip(&b)
                    .map(|(&x, &y)| {
                        let (v, keep) = apply(op, x, y);
                        if op.is_comparison() {
                            if keep { 1.0 } else { 0.0 }
                        } else {
                            v
                        }
                    })
                    .collect(),
            )),
            (Val::Vector(v), Val::Scalar(s)) => Ok(Val::Vector(vector_scalar(
                op,
                v,
                &s,
                false,
                return_bool,
                self.opts.delayed_name_removal,
            )?)),
            (Val::Scalar(s), Val::Vector(v)) => Ok(Val::Vector(vector_scalar(
                op,
                v,
                &s,
                true,
                return_bool,
                self.opts.delayed_name_removal,
            )?)),
            (Val::Vector(a), Val::Vector(b)) => {
                let Some(m) = matching else {
                    return Err(QueryError::BadData("vector matching missing".into()));
                };
                let out = match op {
                    BinOp::And | BinOp::Or | BinOp::Unless => set_op(op, a, b, m, grid),
                    _ => self.vector_vector(op, a, b, m, return_bool, grid)?,
                };
                Ok(Val::Vector(out))
            }
            _ => Err(QueryError::BadData(
                "binary expression must contain only scalar and instant vector types".into(),
            )),
        }
    }

    fn vector_vector(
        &mut self,
        op: BinOp,
        lhs: Vec<StepSeries>,
        rhs: Vec<StepSeries>,
        m: &VectorMatching,
        return_bool: bool,
        grid: Grid,
    ) -> Result<Vec<StepSeries>, QueryError> {
        // For group_right the right side is the "many" side: swap and remember to swap back.
        let swapped = m.card == Card::OneToMany;
        let (many, one) = if swapped { (rhs, lhs) } else { (lhs, rhs) };
        // Match groups are interned once: per step, the work is then array lookups.
        let mut sig_ids: HashMap<Labels, usize> = HashMap::new();
        let mut sig_names: Vec<Labels> = Vec::new();
        let mut intern = |l: Labels| {
            let n = sig_ids.len();
            *sig_ids.entry(l.clone()).or_insert_with(|| {
                sig_names.push(l);
                n
            })
        };
        let many_sig: Vec<usize> = many
            .iter()
            .map(|s| intern(signature(&s.metric, m)))
            .collect();
        let one_sig: Vec<usize> = one
            .iter()
            .map(|s| intern(signature(&s.metric, m)))
            .collect();
        let many_steps = by_step(&many, grid.n);
        let one_steps = by_step(&one, grid.n);

        let mut out: Vec<StepSeries> = Vec::new();
        let mut out_index: HashMap<Labels, usize> = HashMap::new();
        // The output series of a (many, one) pair, computed the first time they match.
        let mut pair_out: HashMap<(usize, usize), usize> = HashMap::new();
        let mut one_at: Vec<Option<(usize, f64)>> = vec![None; sig_names.len()];
        // The outputs each match group produced at this step.
        let mut matched: Vec<Vec<usize>> = vec![Vec::new(); sig_names.len()];
        let mut touched: Vec<usize> = Vec::new();
        for i in 0..grid.n {
            self.check_deadline()?;
            for g in touched.drain(..) {
                one_at[g] = None;
                matched[g].clear();
            }
            for &(si, v) in &one_steps[i] {
                let g = one_sig[si];
                if let Some((prev, _)) = one_at[g] {
                    let side = if swapped { "left" } else { "right" };
                    return Err(QueryError::Execution(format!(
                        "found duplicate series for the match group {} on the {side} hand-side of the operation: [{}, {}];many-to-many matching not allowed: matching labels must be unique on one side",
                        sig_names[g], one[prev].metric, one[si].metric
                    )));
                }
                one_at[g] = Some((si, v));
                touched.push(g);
            }
            for &(si, mv) in &many_steps[i] {
                let g = many_sig[si];
                let Some((oi, ov)) = one_at[g] else {
                    continue;
                };
                let (lv, rv) = if swapped { (ov, mv) } else { (mv, ov) };
                let (mut value, keep) = apply(op, lv, rv);
                if op.is_comparison() {
                    if return_bool {
                        value = if keep { 1.0 } else { 0.0 };
                    } else if !keep {
                        continue;
                    }
                }
                let oi_out = match pair_out.get(&(si, oi)) {
                    Some(&x) => x,
                    None => {
                        let metric = result_metric(
                            &many[si].metric,
                            &one[oi].metric,
                            op,
                            m,
                            return_bool,
                            self.opts.delayed_name_removal,
                        );
                        let drop = if drops_name(op, return_bool) {
                            self.opts.delayed_name_removal
                        } else {
                            many[si].drop_name
                        };
                        let x = match out_index.get(&metric) {
                            Some(&x) => x,
                            None => {
                                out_index.insert(metric.clone(), out.len());
                                out.push(StepSeries {
                                    metric,
                                    points: Vec::new(),
                                    drop_name: drop,
                                });
                                out.len() - 1
                            }
                        };
                        pair_out.insert((si, oi), x);
                        x
                    }
                };
                let seen = &mut matched[g];
                if m.card == Card::OneToOne {
                    if !seen.is_empty() {
                        return Err(QueryError::Execution(
                            "multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)".into(),
                        ));
                    }
                } else if seen.contains(&oi_out) {
                    return Err(QueryError::Execution(
                        "multiple matches for labels: grouping labels must ensure unique matches"
                            .into(),
                    ));
                }
                seen.push(oi_out);
                let pts = &mut out[oi_out].points;
                if pts.last().is_some_and(|p| p.0 == i) {
                    return Err(QueryError::Execution(
                        "vector cannot contain metrics with the same labelset".into(),
                    ));
                }
                pts.push((i, value));
            }
        }
        Ok(out)
    }
}

fn vector_scalar(
    op: BinOp,
    v: Vec<StepSeries>,
    s: &[f64],
    scalar_left: bool,
    return_bool: bool,
    delayed: bool,
) -> Result<Vec<StepSeries>, QueryError> {
    let mut out = Vec::with_capacity(v.len());
    for series in v {
        let mut points = Vec::with_capacity(series.points.len());
        for &(i, x) in &series.points {
            let (l, r) = if scalar_left { (s[i], x) } else { (x, s[i]) };
            let (mut value, keep) = apply(op, l, r);
            if op.is_comparison() {
                if return_bool {
                    value = if keep { 1.0 } else { 0.0 };
                } else if !keep {
                    continue;
                } else {
                    // The vector's sample value survives a filter even when it is on the right.
                    value = x;
                }
            }
            points.push((i, value));
        }
        if points.is_empty() {
            continue;
        }
        let (metric, drop) = if drops_name(op, return_bool) {
            name_drop(delayed, series.metric)
        } else {
            (series.metric, series.drop_name)
        };
        out.push(StepSeries {
            metric,
            points,
            drop_name: drop,
        });
    }
    unique(out)
}

fn set_op(
    op: BinOp,
    lhs: Vec<StepSeries>,
    rhs: Vec<StepSeries>,
    m: &VectorMatching,
    grid: Grid,
) -> Vec<StepSeries> {
    let lsig: Vec<Labels> = lhs.iter().map(|s| signature(&s.metric, m)).collect();
    let rsig: Vec<Labels> = rhs.iter().map(|s| signature(&s.metric, m)).collect();
    let lsteps = by_step(&lhs, grid.n);
    let rsteps = by_step(&rhs, grid.n);
    let mut lout: Vec<Vec<(usize, f64)>> = vec![Vec::new(); lhs.len()];
    let mut rout: Vec<Vec<(usize, f64)>> = vec![Vec::new(); rhs.len()];
    for i in 0..grid.n {
        match op {
            BinOp::And | BinOp::Unless => {
                let present: std::collections::HashSet<&Labels> =
                    rsteps[i].iter().map(|&(si, _)| &rsig[si]).collect();
                for &(si, v) in &lsteps[i] {
                    if present.contains(&lsig[si]) == (op == BinOp::And) {
                        lout[si].push((i, v));
                    }
                }
            }
            _ => {
                let present: std::collections::HashSet<&Labels> =
                    lsteps[i].iter().map(|&(si, _)| &lsig[si]).collect();
                for &(si, v) in &lsteps[i] {
                    lout[si].push((i, v));
                }
                for &(si, v) in &rsteps[i] {
                    if !present.contains(&rsig[si]) {
                        rout[si].push((i, v));
                    }
                }
            }
        }
    }
    let mut out: Vec<StepSeries> = Vec::new();
    for (s, pts) in lhs.into_iter().zip(lout) {
        if !pts.is_empty() {
            out.push(StepSeries {
                metric: s.metric,
                points: pts,
                drop_name: s.drop_name,
            });
        }
    }
    for (s, pts) in rhs.into_iter().zip(rout) {
        if !pts.is_empty() {
            out.push(StepSeries {
                metric: s.metric,
                points: pts,
                drop_name: s.drop_name,
            });
        }
    }
    out
}
