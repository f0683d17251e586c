//! Aggregation operators, step by step, with Prometheus's numerics (Kahan-compensated sums,
//! overflow-safe means, NaN ordering in min/max/topk).

use super::Evaluator;
use super::call::fmt_g;
use super::types::{Grid, StepSeries, Val, by_step};
use crate::error::QueryError;
use crate::functions::{kahan_inc, quantile};
use crate::plan::{AggOp, Grouping, Node};
use crate::{Label, Labels, METRIC_NAME};
use std::collections::HashMap;

#[derive(Debug, Clone, Default)]
struct Acc {
    seen: bool,
    count: f64,
    value: f64,
    comp: f64,
    mean: f64,
    incremental: bool,
    values: Vec<f64>,
    // (series index, value) kept by topk/bottomk/limitk.
    kept: Vec<(usize, f64)>,
}

/// Go's `strconv.FormatFloat(v, 'f', -1, 64)`.
pub(crate) fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}

fn group_labels(l: &Labels, g: &Grouping) -> Labels {
    let v: Vec<Label> = if g.by {
        l.iter()
            .filter(|x| g.labels.contains(&x.name))
            .cloned()
            .collect()
    } else {
        l.iter()
            .filter(|x| x.name != METRIC_NAME && !g.labels.contains(&x.name))
            .cloned()
            .collect()
    };
    Labels::from_sorted(v)
}

/// topk's order: is `a` a worse candidate than `b`? NaN is worst for both topk and bottomk.
fn worse(top: bool, a: f64, b: f64) -> bool {
    if a.is_nan() {
        return !b.is_nan();
    }
    if b.is_nan() {
        return false;
    }
    if top { a < b } else { a > b }
}

fn k_param(p: f64) -> Result<i64, QueryError> {
    if p.is_nan() || !(-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&p) {
        return Err(QueryError::Execution(format!(
            "Scalar value {} overflows int64",
            fmt_g(p)
        )));
    }
    Ok(p as i64)
}

impl Evaluator<'_> {
    pub(super) fn eval_aggregate(
        &mut self,
        op: AggOp,
        expr: &Node,
        param: Option<&Node>,
        grouping: &Grouping,
        grid: Grid,
    ) -> Result<Val, QueryError> {
        let mut scalar_param: Option<Vec<f64>> = None;
        let mut label_param: Option<String> = None;
        match op {
            AggOp::TopK | AggOp::BottomK | AggOp::LimitK | AggOp::LimitRatio | AggOp::Quantile => {
                let Some(p) = param else {
                    return Err(QueryError::BadData(
                        "aggregation requires a parameter".into(),
                    ));
                };
                scalar_param = Some(self.eval_scalar(p, grid)?);
            }
            AggOp::CountValues => {
                let Some(p) = param else {
                    return Err(QueryError::BadData(
                        "count_values requires a label name".into(),
                    ));
                };
                let name = self.eval_string(p, grid)?;
                if name.is_empty() {
                    return Err(QueryError::Execution(format!(
                        "invalid label name {name:?}"
                    )));
                }
                label_param = Some(name);
            }
            _ => {}
        }
        let input = self.eval_vector(expr, grid)?;

        // Groups in order of first appearance, keyed once per series.
        let mut index: HashMap<Labels, usize> = HashMap::new();
        let mut groups: Vec<Labels> = Vec::new();
        let mut group_of: Vec<usize> = Vec::with_capacity(input.len());
        // With delayed name removal a group keyed by `__name__` inherits the pending removal.
        let mut group_drop: Vec<bool> = Vec::new();
        for s in &input {
            let key = group_labels(&s.metric, grouping);
            let drop = s.drop_name && key.get(METRIC_NAME).is_some();
            let gi = *index.entry(key.clone()).or_insert_with(|| {
                groups.push(key);
                group_drop.push(drop);
                groups.len() - 1
            });
            group_of.push(gi);
        }

        if let (AggOp::Quantile, Some(qs)) = (op, &scalar_param)
            && let Some(bad) = qs.iter().find(|q| !(0.0..=1.0).contains(*q))
        {
            self.notes.warn(format!(
                "quantile value should be between 0 and 1, got {}",
                fmt_g(*bad)
            ));
        }
        if let (AggOp::LimitRatio, Some(rs)) = (op, &scalar_param)
            && let Some(bad) = rs.iter().find(|r| !(-1.0..=1.0).contains(*r))
        {
            let capped = if *bad < -1.0 { -1.0 } else { 1.0 };
            self.notes.warn(format!(
                "ratio value should be between -1 and 1, got {}, capping to {}",
                fmt_g(*bad),
                fmt_g(capped)
            ));
        }

        let per_step = by_step(&input, grid.n);
        let keeps_series = matches!(
            op,
            AggOp::TopK | AggOp::BottomK | AggOp::LimitK | AggOp::LimitRatio
        );
        // Output: one series per group, or per input series for the selecting operators, or
        // per (group, value) for count_values.
        let mut out: Vec<StepSeries> = if op == AggOp::CountValues {
            // One series per (group, value), made as values appear.
            Vec::new()
        } else if keeps_series {
            input
                .iter()
                .map(|s| StepSeries {
                    metric: s.metric.clone(),
                    points: Vec::new(),
                    drop_name: s.drop_name,
                })
                .collect()
        } else {
            groups
                .iter()
                .zip(&group_drop)
                .map(|(g, &drop)| StepSeries {
                    metric: g.clone(),
                    points: Vec::new(),
                    drop_name: drop,
                })
                .collect()
        };
        let mut cv_index: HashMap<Labels, usize> = HashMap::new();
        let mut order_out: Vec<usize> = Vec::new();
        let mut accs: Vec<Acc> = vec![Acc::default(); groups.len()];

        for (i, present) in per_step.iter().enumerate() {
            self.check_deadline()?;
            if present.is_empty() {
                continue;
            }
            for a in accs.iter_mut() {
                a.seen = false;
                a.values.clear();
                a.kept.clear();
            }
            let p = scalar_param.as_ref().map(|v| v[i]).unwrap_or(0.0);
            let k = match op {
                AggOp::TopK | AggOp::BottomK | AggOp::LimitK => {
                    let k = k_param(p)?;
                    if k < 1 {
                        continue;
                    }
                    usize::try_from(k).unwrap_or(usize::MAX).min(input.len())
                }
                _ => 0,
            };
            if op == AggOp::CountValues {
                let label = label_param.as_deref().unwrap_or_default();
                let mut counts: Vec<(Labels, f64)> = Vec::new();
                let mut pos: HashMap<Labels, usize> = HashMap::new();
                for &(si, v) in present {
                    let g = &groups[group_of[si]];
                    let mut l: Vec<Label> = g.iter().filter(|x| x.name != label).cloned().collect();
                    l.push(Label::new(label, format_value(v)));
                    l.sort_by(|a, b| a.name.cmp(&b.name));
                    let key = Labels::from_sorted(l);
                    match pos.get(&key) {
                        Some(&j) => counts[j].1 += 1.0,
                        None => {
                            pos.insert(key.clone(), counts.len());
                            counts.push((key, 1.0));
                        }
                    }
                }
                for (key, c) in counts {
                    let oi = match cv_index.get(&key) {
                        Some(&oi) => oi,
                        None => {
                            cv_index.insert(key.clone(), out.len());
                            out.push(StepSeries {
                                metric: key,
                                points: Vec::new(),
                                drop_name: false,
                            });
                            out.len() - 1
                        }
                    };
                    out[oi].points.push((i, c));
                }
                continue;
            }
            for &(si, v) in present {
                let a = &mut accs[group_of[si]];
                if !a.seen {
                    a.seen = true;
                    a.count = 1.0;
                    a.value = v;
                    a.comp = 0.0;
                    a.mean = v;
                    a.incremental = false;
                    match op {
                        AggOp::Stddev | AggOp::Stdvar => {
                            // The first sample goes through Welford's update too, so a NaN or
                            // infinite input makes the result NaN as in Prometheus.
                            a.count = 1.0;
                            a.mean = v;
                            a.value = if v.is_finite() { 0.0 } else { f64::NAN };
                        }
                        AggOp::Group => a.value = 1.0,
                        AggOp::Quantile => a.values.push(v),
                        AggOp::TopK | AggOp::BottomK | AggOp::LimitK => a.kept.push((si, v)),
                        AggOp::LimitRatio if ratio_keeps(&input[si].metric, p) => {
                            a.kept.push((si, v));
                        }
                        _ => {}
                    }
                    continue;
                }
                match op {
                    AggOp::Sum => {
                        (a.value, a.comp) = kahan_inc(v, a.value, a.comp);
                    }
                    AggOp::Avg => {
                        a.count += 1.0;
                        if !a.incremental {
                            let (nv, nc) = kahan_inc(v, a.value, a.comp);
                            if !nv.is_infinite() {
                                a.value = nv;
                                a.comp = nc;
                                continue;
                            }
                            a.incremental = true;
                            a.mean = a.value / (a.count - 1.0);
                            a.comp /= a.count - 1.0;
                        }
                        if a.mean.is_infinite() {
                            if v.is_infinite() && (a.mean > 0.0) == (v > 0.0) {
                                continue;
                            }
                            if !v.is_infinite() && !v.is_nan() {
                                continue;
                            }
                        }
                        let current = a.mean + a.comp;
                        (a.mean, a.comp) =
                            kahan_inc(v / a.count - current / a.count, a.mean, a.comp);
                    }
                    AggOp::Count => a.count += 1.0,
                    AggOp::Group => {}
                    AggOp::Min => {
                        if a.value > v || a.value.is_nan() {
                            a.value = v;
                        }
                    }
                    AggOp::Max => {
                        if a.value < v || a.value.is_nan() {
                            a.value = v;
                        }
                    }
                    AggOp::Stddev | AggOp::Stdvar => {
                        a.count += 1.0;
                        let delta = v - a.mean;
                        a.mean += delta / a.count;
                        a.value += delta * (v - a.mean);
                    }
                    AggOp::Quantile => a.values.push(v),
                    AggOp::TopK | AggOp::BottomK => {
                        let top = op == AggOp::TopK;
                        if a.kept.len() < k {
                            a.kept.push((si, v));
                        } else {
                            // Replace the worst kept sample if this one beats it.
                            let (wi, wv) =
                                a.kept
                                    .iter()
                                    .enumerate()
                                    .fold((0, a.kept[0].1), |acc, (j, x)| {
                                        if worse(top, x.1, acc.1) {
                                            (j, x.1)
                                        } else {
                                            acc
                                        }
                                    });
                            if worse(top, wv, v) {
                                a.kept[wi] = (si, v);
                            }
                        }
                    }
                    AggOp::LimitK => {
                        if a.kept.len() < k {
                            a.kept.push((si, v));
                        }
                    }
                    AggOp::LimitRatio => {
                        if ratio_keeps(&input[si].metric, p) {
                            a.kept.push((si, v));
                        }
                    }
                    AggOp::CountValues => {}
                }
            }
            for (gi, a) in accs.iter_mut().enumerate() {
                if !a.seen {
                    continue;
                }
                let v = match op {
                    AggOp::Sum => a.value + a.comp,
                    AggOp::Avg => {
                        if a.incremental {
                            a.mean + a.comp
                        } else {
                            (a.value + a.comp) / a.count
                        }
                    }
                    AggOp::Count => a.count,
                    AggOp::Group => 1.0,
                    AggOp::Min | AggOp::Max => a.value,
                    AggOp::Stdvar => a.value / a.count,
                    AggOp::Stddev => (a.value / a.count).sqrt(),
                    AggOp::Quantile => quantile(p, &mut a.values),
                    AggOp::TopK | AggOp::BottomK | AggOp::LimitK | AggOp::LimitRatio => {
                        if matches!(op, AggOp::TopK | AggOp::BottomK) {
                            let top = op == AggOp::TopK;
                            // Best first, as Prometheus returns them.
                            a.kept.sort_by(|x, y| {
                                if worse(top, y.1, x.1) {
                                    std::cmp::Ordering::Less
                                } else if worse(top, x.1, y.1) {
                                    std::cmp::Ordering::Greater
                                } else {
                                    std::cmp::Ordering::Equal
                                }
                            });
                        }
                        for &(si, v) in &a.kept {
                            out[si].points.push((i, v));
                            if grid.n == 1 {
                                order_out.push(si);
                            }
                        }
                        continue;
                    }
                    AggOp::CountValues => continue,
                };
                out[gi].points.push((i, v));
            }
        }
        if keeps_series && grid.n == 1 {
            // An instant query shows the selected samples in rank order, group by group.
            let mut ordered = Vec::with_capacity(order_out.len());
            for si in order_out {
                ordered.push(std::mem::take(&mut out[si]));
            }
            return Ok(Val::Vector(ordered));
        }
        out.retain(|s| !s.points.is_empty());
        Ok(Val::Vector(out))
    }
}

/// `limit_ratio`'s deterministic per-series choice: a series is kept when its label hash,
/// scaled to [0, 1), falls under the ratio (or, for a negative ratio, in the top part).
fn ratio_keeps(l: &Labels, r: f64) -> bool {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for x in l.iter() {
        for b in x
            .name
            .bytes()
            .chain([0xff])
            .chain(x.value.bytes())
            .chain([0xff])
        {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    let offset = (h % (1 << 52)) as f64 / (1u64 << 52) as f64;
    let r = r.clamp(-1.0, 1.0);
    if r >= 0.0 {
        offset < r
    } else {
        offset >= 1.0 + r
    }
}
