//! Function calls: dispatch on the function's kind, and the functions the evaluator itself
//! implements because they work on whole vectors or label sets.

use super::range::window;
use super::types::{Grid, StepSeries, Val, by_step};
use super::{Evaluator, drop_name, name_drop, unique};
use crate::error::QueryError;
use crate::functions::histogram::{Bucket, bucket_fraction, bucket_quantile};
use crate::functions::notes;
use crate::functions::{FunctionDef, Kind};
use crate::plan::Node;
use crate::{Labels, METRIC_NAME};
use std::collections::HashMap;

impl Evaluator<'_> {
    pub(super) fn eval_call(
        &mut self,
        def: &FunctionDef,
        args: &[Node],
        grid: Grid,
    ) -> Result<Val, QueryError> {
        match def.kind {
            Kind::Range { f, range_arg } => Ok(Val::Vector(
                self.eval_range_fn(def, f, args, range_arg, grid)?,
            )),
            Kind::Elementwise(f) => {
                let Some(first) = args.first() else {
                    return Err(arity(def));
                };
                let input = self.eval_vector(first, grid)?;
                let mut scalars = Vec::new();
                for a in &args[1..] {
                    scalars.push(self.eval_scalar(a, grid)?);
                }
                let mut sargs = vec![0.0; scalars.len()];
                let mut out = Vec::with_capacity(input.len());
                for s in input {
                    let mut points = Vec::with_capacity(s.points.len());
                    for &(i, v) in &s.points {
                        for (dst, src) in sargs.iter_mut().zip(&scalars) {
                            *dst = src[i];
                        }
                        // clamp with min > max yields nothing, as in Prometheus.
                        if def.name == "clamp" && sargs.len() == 2 && sargs[0] > sargs[1] {
                            continue;
                        }
                        points.push((i, f(v, &sargs)));
                    }
                    if !points.is_empty() {
                        let (metric, drop) = if def.keeps_name {
                            (s.metric, s.drop_name)
                        } else {
                            name_drop(self.opts.delayed_name_removal, s.metric)
                        };
                        out.push(StepSeries {
                            metric,
                            points,
                            drop_name: drop,
                        });
                    }
                }
                Ok(Val::Vector(unique(out)?))
            }
            Kind::Date(f) => {
                let input = match args.first() {
                    Some(a) => self.eval_vector(a, grid)?,
                    None => vec![StepSeries {
                        metric: Labels::new(),
                        points: (0..grid.n)
                            .map(|i| (i, grid.ts(i) as f64 / 1000.0))
                            .collect(),
                        drop_name: false,
                    }],
                };
                let delayed = self.opts.delayed_name_removal;
                let out = input
                    .into_iter()
                    .map(|s| {
                        let (metric, drop_name) = name_drop(delayed, s.metric);
                        StepSeries {
                            metric,
                            points: s.points.iter().map(|&(i, v)| (i, f(v, &[]))).collect(),
                            drop_name,
                        }
                    })
                    .collect();
                Ok(Val::Vector(unique(out)?))
            }
            Kind::Engine => self.eval_engine_fn(def, args, grid),
        }
    }

    fn eval_engine_fn(
        &mut self,
        def: &FunctionDef,
        args: &[Node],
        grid: Grid,
    ) -> Result<Val, QueryError> {
        match def.name {
            "time" => Ok(Val::Scalar(
                (0..grid.n).map(|i| grid.ts(i) as f64 / 1000.0).collect(),
            )),
            "pi" => Ok(Val::Scalar(vec![std::f64::consts::PI; grid.n])),
            "vector" => {
                let v = self.eval_scalar(first(def, args)?, grid)?;
                Ok(Val::Vector(vec![StepSeries {
                    metric: Labels::new(),
                    points: v.into_iter().enumerate().collect(),
                    drop_name: false,
                }]))
            }
            "scalar" => {
                let input = self.eval_vector(first(def, args)?, grid)?;
                let mut out = vec![f64::NAN; grid.n];
                let mut count = vec![0u32; grid.n];
                for s in &input {
                    for &(i, v) in &s.points {
                        count[i] += 1;
                        out[i] = v;
                    }
                }
                for (o, c) in out.iter_mut().zip(count) {
                    if c != 1 {
                        *o = f64::NAN;
                    }
                }
                Ok(Val::Scalar(out))
            }
            "timestamp" => {
                let arg = first(def, args)?;
                let series = match arg {
                    Node::VectorSelector(sel) => self.eval_vector_selector(sel, grid, true)?,
                    _ => {
                        let input = self.eval_vector(arg, grid)?;
                        input
                            .into_iter()
                            .map(|s| StepSeries {
                                points: s
                                    .points
                                    .iter()
                                    .map(|&(i, _)| (i, grid.ts(i) as f64 / 1000.0))
                                    .collect(),
                                metric: s.metric,
                                drop_name: false,
                            })
                            .collect()
                    }
                };
                let out = series
                    .into_iter()
                    .map(|mut s| {
                        (s.metric, s.drop_name) = name_drop(
                            self.opts.delayed_name_removal,
                            std::mem::take(&mut s.metric),
                        );
                        s
                    })
                    .collect();
                Ok(Val::Vector(unique(out)?))
            }
            "sort" | "sort_desc" => {
                // Order only matters for instant queries: sort the series by their value.
                let mut input = self.eval_vector(first(def, args)?, grid)?;
                let desc = def.name == "sort_desc";
                input.sort_by(|a, b| {
                    let (x, y) = (first_value(a), first_value(b));
                    match (x.is_nan(), y.is_nan()) {
                        (true, true) => std::cmp::Ordering::Equal,
                        (true, false) => std::cmp::Ordering::Greater,
                        (false, true) => std::cmp::Ordering::Less,
                        _ if desc => y.total_cmp(&x),
                        _ => x.total_cmp(&y),
                    }
                });
                Ok(Val::Vector(input))
            }
            "sort_by_label" | "sort_by_label_desc" => {
                let mut input = self.eval_vector(first(def, args)?, grid)?;
                let mut names = Vec::new();
                for a in &args[1..] {
                    names.push(self.eval_string(a, grid)?);
                }
                let desc = def.name == "sort_by_label_desc";
                input.sort_by(|a, b| {
                    let mut ord = std::cmp::Ordering::Equal;
                    for n in &names {
                        ord = natural_cmp(
                            a.metric.get(n).unwrap_or(""),
                            b.metric.get(n).unwrap_or(""),
                        );
                        if ord.is_ne() {
                            break;
                        }
                    }
                    if ord.is_eq() {
                        ord = a.metric.cmp(&b.metric);
                    }
                    if desc { ord.reverse() } else { ord }
                });
                Ok(Val::Vector(input))
            }
            "label_replace" => self.eval_label_replace(args, grid),
            "label_join" => self.eval_label_join(args, grid),
            "absent" => {
                let arg = first(def, args)?;
                let input = self.eval_vector(arg, grid)?;
                let present = by_step(&input, grid.n);
                let points: Vec<(usize, f64)> = present
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.is_empty())
                    .map(|(i, _)| (i, 1.0))
                    .collect();
                Ok(Val::Vector(absent_result(arg, points)))
            }
            "absent_over_time" => {
                let arg = first(def, args)?;
                let r = self.eval_ranged(arg, grid, Some(def.name))?;
                let mut points = Vec::new();
                for i in 0..grid.n {
                    let end = r.end(grid.ts(i));
                    if r.series
                        .iter()
                        .all(|s| window(&s.samples, end - r.range, end).is_empty())
                    {
                        points.push((i, 1.0));
                    }
                }
                Ok(Val::Vector(absent_result(arg, points)))
            }
            "histogram_quantile" => self.eval_histogram_quantile(args, grid),
            "histogram_fraction" => self.eval_histogram_fraction(args, grid),
            "histogram_count" | "histogram_sum" | "histogram_avg" | "histogram_stddev"
            | "histogram_stdvar" => {
                // These read native histograms only; float series give nothing.
                for a in args {
                    self.eval(a, grid)?;
                }
                Ok(Val::Vector(Vec::new()))
            }
            other => Err(QueryError::BadData(format!(
                "function \"{other}\" is not supported"
            ))),
        }
    }

    pub(super) fn eval_string(&mut self, node: &Node, grid: Grid) -> Result<String, QueryError> {
        match self.eval(node, grid)? {
            Val::Str(s) => Ok(s),
            _ => Err(QueryError::BadData(
                "expected type string in parameter".into(),
            )),
        }
    }

    fn eval_histogram_quantile(&mut self, args: &[Node], grid: Grid) -> Result<Val, QueryError> {
        let [qn, vn] = args else {
            return Err(QueryError::BadData(
                "expected 2 arguments in call to histogram_quantile".into(),
            ));
        };
        let q = self.eval_scalar(qn, grid)?;
        if let Some(bad_q) = q.iter().find(|q| !(0.0..=1.0).contains(*q)) {
            self.notes.warn(notes::invalid_quantile_warning(*bad_q));
        }
        let input = self.eval_vector(vn, grid)?;
        self.eval_buckets(input, grid, |i, b, n| {
            let res = bucket_quantile(q[i], b);
            res.annotate("", n);
            res.value
        })
    }

    fn eval_histogram_fraction(&mut self, args: &[Node], grid: Grid) -> Result<Val, QueryError> {
        let [lo, hi, vn] = args else {
            return Err(QueryError::BadData(
                "expected 3 arguments in call to histogram_fraction".into(),
            ));
        };
        let lo = self.eval_scalar(lo, grid)?;
        let hi = self.eval_scalar(hi, grid)?;
        let input = self.eval_vector(vn, grid)?;
        self.eval_buckets(input, grid, |i, b, _| bucket_fraction(lo[i], hi[i], b))
    }

    /// Groups classic-histogram bucket series (same labels but `le` and `__name__`) and calls
    /// `f` with each group's buckets at each step.
    fn eval_buckets(
        &mut self,
        input: Vec<StepSeries>,
        grid: Grid,
        mut f: impl FnMut(usize, &mut [Bucket], &mut crate::Annotations) -> f64,
    ) -> Result<Val, QueryError> {
        let mut groups: HashMap<Labels, usize> = HashMap::new();
        let mut out: Vec<StepSeries> = Vec::new();
        let mut group_of = vec![usize::MAX; input.len()];
        let mut bound_of = vec![0.0; input.len()];
        for (si, s) in input.iter().enumerate() {
            let le = s.metric.get("le").unwrap_or("");
            let Some(bound) = parse_le(le) else {
                self.notes.warn(notes::bad_bucket_label_warning(le, None));
                continue;
            };
            // Histograms are told apart by name too; the name is dropped from the result, so
            // two histograms that differ only by name collide there, as in Prometheus.
            let key = Labels::from_sorted(
                s.metric
                    .iter()
                    .filter(|l| l.name != "le")
                    .cloned()
                    .collect(),
            );
            let gi = *groups.entry(key.clone()).or_insert_with(|| {
                out.push(StepSeries {
                    metric: drop_name(&key),
                    points: Vec::new(),
                    drop_name: false,
                });
                out.len() - 1
            });
            group_of[si] = gi;
            bound_of[si] = bound;
        }
        let per_step = by_step(&input, grid.n);
        let mut buckets: Vec<Vec<Bucket>> = vec![Vec::new(); out.len()];
        for (i, present) in per_step.iter().enumerate() {
            self.check_deadline()?;
            for b in buckets.iter_mut() {
                b.clear();
            }
            for &(si, v) in present {
                let gi = group_of[si];
                if gi != usize::MAX {
                    buckets[gi].push(Bucket {
                        upper_bound: bound_of[si],
                        count: v,
                    });
                }
            }
            for (gi, b) in buckets.iter_mut().enumerate() {
                if !b.is_empty() {
                    let v = f(i, b, &mut self.notes);
                    out[gi].points.push((i, v));
                }
            }
        }
        out.retain(|s| !s.points.is_empty());
        Ok(Val::Vector(unique(out)?))
    }
}

fn parse_le(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        "" => None,
        _ => s.parse::<f64>().ok(),
    }
}

/// Go's `%g` for the numbers that appear in annotations.
pub(crate) fn fmt_g(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        format!("{v}")
    }
}

fn first<'n>(def: &FunctionDef, args: &'n [Node]) -> Result<&'n Node, QueryError> {
    args.first().ok_or_else(|| arity(def))
}

fn arity(def: &FunctionDef) -> QueryError {
    QueryError::BadData(format!(
        "wrong number of arguments for function \"{}\"",
        def.name
    ))
}

fn first_value(s: &StepSeries) -> f64 {
    s.points.first().map(|p| p.1).unwrap_or(f64::NAN)
}

/// `absent()`'s output labels: the equality matchers of a plain selector argument, except
/// names that appear more than once.
fn absent_result(arg: &Node, points: Vec<(usize, f64)>) -> Vec<StepSeries> {
    if points.is_empty() {
        return Vec::new();
    }
    let sel = match arg {
        Node::VectorSelector(sel) => Some(sel),
        Node::MatrixSelector { sel, .. } => Some(sel),
        _ => None,
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    if let Some(sel) = sel
        && sel.matchers.len() == 1
    {
        let ms = &sel.matchers[0];
        for m in ms {
            if m.name == METRIC_NAME || m.op != crate::MatchOp::Equal {
                continue;
            }
            // A name constrained twice (even by a regex) has no single value to report.
            let dup = ms.iter().filter(|o| o.name == m.name).count() > 1;
            if !dup {
                pairs.push((m.name.clone(), m.value.clone()));
            }
        }
    }
    vec![StepSeries {
        metric: Labels::from_pairs(pairs),
        points,
        drop_name: false,
    }]
}

/// Compares strings the way people sort version-like labels: digit runs by numeric value.
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < ab.len() && j < bb.len() {
        if ab[i].is_ascii_digit() && bb[j].is_ascii_digit() {
            let si = i;
            while i < ab.len() && ab[i].is_ascii_digit() {
                i += 1;
            }
            let sj = j;
            while j < bb.len() && bb[j].is_ascii_digit() {
                j += 1;
            }
            let (x, y) = (
                a[si..i].trim_start_matches('0'),
                b[sj..j].trim_start_matches('0'),
            );
            let ord = x.len().cmp(&y.len()).then_with(|| x.cmp(y));
            if ord.is_ne() {
                return ord;
            }
        } else {
            let ord = ab[i].cmp(&bb[j]);
            if ord.is_ne() {
                return ord;
            }
            i += 1;
            j += 1;
        }
    }
    (ab.len() - i).cmp(&(bb.len() - j))
}
