//! `label_replace` and `label_join`: functions that rewrite label sets.

use super::types::{Grid, StepSeries, Val};
use super::{Evaluator, unique};
use crate::error::QueryError;
use crate::plan::Node;
use crate::{Label, Labels, METRIC_NAME};
use regex::Regex;

/// Prometheus accepts UTF-8 label names in 3.x; only the empty name is invalid.
fn valid_label_name(n: &str) -> bool {
    !n.is_empty()
}

fn set_label(l: &Labels, name: &str, value: &str) -> Labels {
    let mut v: Vec<Label> = l.iter().filter(|x| x.name != name).cloned().collect();
    if !value.is_empty() {
        v.push(Label::new(name, value));
        v.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Labels::from_sorted(v)
}

impl Evaluator<'_> {
    pub(super) fn eval_label_replace(
        &mut self,
        args: &[Node],
        grid: Grid,
    ) -> Result<Val, QueryError> {
        let [vn, dn, rn, sn, ren] = args else {
            return Err(QueryError::BadData(
                "expected 5 arguments in call to label_replace".into(),
            ));
        };
        let input = self.eval_vector(vn, grid)?;
        let dst = self.eval_string(dn, grid)?;
        let repl = self.eval_string(rn, grid)?;
        let src = self.eval_string(sn, grid)?;
        let re_text = self.eval_string(ren, grid)?;
        let re = Regex::new(&format!("^(?s:{re_text})$")).map_err(|e| {
            QueryError::BadData(format!(
                "invalid regular expression in label_replace(): {re_text}: {e}"
            ))
        })?;
        if !valid_label_name(&dst) {
            return Err(QueryError::BadData(format!(
                "invalid destination label name in label_replace(): {dst}"
            )));
        }
        let mut out = Vec::with_capacity(input.len());
        for s in input {
            let value = s.metric.get(&src).unwrap_or("");
            let metric = match re.captures(value) {
                Some(caps) => {
                    let mut res = String::new();
                    caps.expand(&repl, &mut res);
                    set_label(&s.metric, &dst, &res)
                }
                None => s.metric,
            };
            out.push(StepSeries {
                metric,
                points: s.points,
                // Setting `__name__` explicitly keeps it.
                drop_name: s.drop_name && dst != METRIC_NAME,
            });
        }
        Ok(Val::Vector(unique(out)?))
    }

    pub(super) fn eval_label_join(&mut self, args: &[Node], grid: Grid) -> Result<Val, QueryError> {
        if args.len() < 3 {
            return Err(QueryError::BadData(
                "expected at least 3 arguments in call to label_join".into(),
            ));
        }
        let input = self.eval_vector(&args[0], grid)?;
        let dst = self.eval_string(&args[1], grid)?;
        let sep = self.eval_string(&args[2], grid)?;
        let mut srcs = Vec::new();
        for a in &args[3..] {
            let s = self.eval_string(a, grid)?;
            if !valid_label_name(&s) {
                return Err(QueryError::BadData(format!(
                    "invalid source label name in label_join(): {s}"
                )));
            }
            srcs.push(s);
        }
        if !valid_label_name(&dst) {
            return Err(QueryError::BadData(format!(
                "invalid destination label name in label_join(): {dst}"
            )));
        }
        let mut out = Vec::with_capacity(input.len());
        for s in input {
            let joined = srcs
                .iter()
                .map(|n| s.metric.get(n).unwrap_or(""))
                .collect::<Vec<_>>()
                .join(&sep);
            out.push(StepSeries {
                metric: set_label(&s.metric, &dst, &joined),
                points: s.points,
                drop_name: s.drop_name && dst != METRIC_NAME,
            });
        }
        Ok(Val::Vector(unique(out)?))
    }
}
