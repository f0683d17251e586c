//! Reading series from storage and the instant-vector selector with its lookback window.

use super::Evaluator;
use super::types::{Grid, RawSeries, StepSeries, is_stale};
use crate::Labels;
use crate::error::QueryError;
use crate::plan::Selector;
use crate::storage::SelectHints;
use std::collections::BTreeMap;

impl Evaluator<'_> {
    /// The samples of every series the selector matches with `mint <= t <= maxt`, sorted by
    /// labels. Series matched by several `or` alternatives appear once.
    pub(super) fn load(
        &mut self,
        sel: &Selector,
        mint: i64,
        maxt: i64,
        range: i64,
        func: Option<&str>,
    ) -> Result<Vec<RawSeries>, QueryError> {
        let querier = self.storage.querier(mint, maxt)?;
        let hints = SelectHints {
            mint,
            maxt,
            step: self.grid.step.max(0),
            range,
            func: func.map(str::to_string),
        };
        let mut found: BTreeMap<Labels, Vec<(i64, f64)>> = BTreeMap::new();
        for matchers in &sel.matchers {
            let mut set = querier.select(&hints, matchers)?;
            while set.next() {
                self.check_deadline()?;
                if found.contains_key(set.labels()) {
                    continue;
                }
                let mut it = set.iterator();
                let mut samples = Vec::new();
                if it.seek(mint) {
                    loop {
                        let (t, v) = it.at();
                        if t > maxt {
                            break;
                        }
                        samples.push((t, v));
                        if !it.next() {
                            break;
                        }
                    }
                }
                if let Some(e) = it.err() {
                    return Err(QueryError::Storage(crate::StorageError::Other(
                        e.to_string(),
                    )));
                }
                self.account(samples.len())?;
                found.insert(set.labels().clone(), samples);
            }
            if let Some(e) = set.err() {
                return Err(QueryError::Storage(crate::StorageError::Other(
                    e.to_string(),
                )));
            }
            for w in set.warnings() {
                self.notes.storage_warning(w);
            }
        }
        Ok(found
            .into_iter()
            .map(|(metric, samples)| RawSeries { metric, samples })
            .collect())
    }

    /// An instant-vector selector at every step: the latest sample in the lookback window
    /// `(t - lookback, t]` (left-open, as in Prometheus 3), unless it is a stale marker. With
    /// `want_time` the point's value is the sample's timestamp in seconds (`timestamp()`).
    pub(super) fn eval_vector_selector(
        &mut self,
        sel: &Selector,
        grid: Grid,
        want_time: bool,
    ) -> Result<Vec<StepSeries>, QueryError> {
        let lookback = self.opts.lookback_delta_ms;
        let eff = |i: usize| sel.at.unwrap_or_else(|| grid.ts(i)) - sel.offset;
        let (lo, hi) = match sel.at {
            Some(_) => (eff(0), eff(0)),
            None => (eff(0), eff(grid.n - 1)),
        };
        let raw = self.load(sel, lo - lookback + 1, hi, 0, None)?;
        let mut out = Vec::with_capacity(raw.len());
        for s in raw {
            self.check_deadline()?;
            let loaded = s.samples.len();
            let mut points = Vec::new();
            for i in 0..grid.n {
                self.check_deadline()?;
                let t = eff(i);
                let idx = s.samples.partition_point(|p| p.0 <= t);
                if idx == 0 {
                    continue;
                }
                let (st, sv) = s.samples[idx - 1];
                if st <= t - lookback || is_stale(sv) {
                    continue;
                }
                points.push((i, if want_time { st as f64 / 1000.0 } else { sv }));
            }
            self.release(loaded);
            if !points.is_empty() {
                out.push(StepSeries {
                    metric: s.metric,
                    points,
                    drop_name: false,
                });
            }
        }
        Ok(out)
    }
}
