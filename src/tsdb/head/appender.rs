//! Staging samples for the head and committing them through the write-ahead log.

use super::{Head, MemSeries, Placement};
use crate::appender::{Appender, CommitError, CommitStats, Metadata, SampleError};
use crate::metrics::Metrics;
use crate::tsdb::wal::{MetadataRecord, Record, SampleRecord, SeriesRecord, Wal};
use promql::Labels;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Stages samples; `commit` logs them to the WAL and only then makes them visible.
#[derive(Debug)]
pub struct HeadAppender {
    head: Arc<Head>,
    wal: Arc<Wal>,
    metrics: Arc<Metrics>,
    staged: Vec<(Arc<MemSeries>, i64, f64)>,
    new_series: Vec<Arc<MemSeries>>,
    metadata: Vec<(String, Metadata)>,
}

impl HeadAppender {
    pub fn new(head: Arc<Head>, wal: Arc<Wal>, metrics: Arc<Metrics>) -> Self {
        HeadAppender {
            head,
            wal,
            metrics,
            staged: Vec::new(),
            new_series: Vec::new(),
            metadata: Vec::new(),
        }
    }

    fn stage(
        &mut self,
        s: Arc<MemSeries>,
        created: bool,
        t: i64,
        v: f64,
    ) -> Result<(), SampleError> {
        if created {
            self.new_series.push(s.clone());
        }
        let lim = self.head.limits();
        match s.lock().check(t, v, &lim) {
            Ok(Placement::Duplicate) => return Ok(()),
            Ok(_) => {}
            Err(e) => return Err(self.reject(e)),
        }
        self.staged.push((s, t, v));
        Ok(())
    }

    fn reject(&self, e: SampleError) -> SampleError {
        self.metrics.inc_rejected(e.reason());
        e
    }
}

impl Appender for HeadAppender {
    fn append(&mut self, labels: &Labels, t: i64, v: f64) -> Result<(), SampleError> {
        if labels.is_empty() {
            return Err(self.reject(SampleError::InvalidSeries("empty label set".into())));
        }
        let (s, created) = self.head.get_or_create(labels);
        self.stage(s, created, t, v)
    }

    fn append_pairs(&mut self, pairs: &[(&str, &str)], t: i64, v: f64) -> Result<(), SampleError> {
        if pairs.is_empty() {
            return Err(self.reject(SampleError::InvalidSeries("empty label set".into())));
        }
        // Requests usually carry several samples of one series in a row.
        let (s, created) = match self.staged.last() {
            Some((s, _, _)) if super::labels_eq(&s.labels, pairs) => (s.clone(), false),
            _ => self.head.get_or_create_pairs(pairs),
        };
        self.stage(s, created, t, v)
    }

    fn append_metadata(&mut self, metric: &str, meta: Metadata) {
        self.metadata.push((metric.to_string(), meta));
    }

    fn commit(mut self: Box<Self>) -> Result<CommitStats, CommitError> {
        let head = self.head.clone();
        let _gate = head.commit_gate.read().unwrap_or_else(|e| e.into_inner());
        // A block cut may have raised the floor since `append` checked: such samples belong
        // to a persisted range now and are dropped before they reach the log.
        let floor = head.min_valid_time();
        let before = self.staged.len();
        self.staged.retain(|(_, t, _)| *t >= floor);
        for _ in self.staged.len()..before {
            self.metrics.inc_rejected("too_old_at_commit");
        }

        let mut records = Vec::with_capacity(3);
        if !self.new_series.is_empty() {
            records.push(Record::Series(
                self.new_series
                    .iter()
                    .map(|s| SeriesRecord {
                        id: u64::from(s.id),
                        labels: s.labels.clone(),
                    })
                    .collect(),
            ));
        }
        if !self.staged.is_empty() {
            records.push(Record::Samples(
                self.staged
                    .iter()
                    .map(|(s, t, v)| SampleRecord {
                        id: u64::from(s.id),
                        t: *t,
                        v: *v,
                    })
                    .collect(),
            ));
        }
        if !self.metadata.is_empty() {
            records.push(Record::Metadata(
                self.metadata
                    .iter()
                    .map(|(name, m)| MetadataRecord {
                        metric_family: name.clone(),
                        metric_type: m.metric_type.clone(),
                        unit: m.unit.clone(),
                        help: m.help.clone(),
                    })
                    .collect(),
            ));
        }
        if !records.is_empty() {
            if let Err(e) = self.wal.log_records(&records) {
                self.metrics.commit_failures.fetch_add(1, Ordering::Relaxed);
                return Err(CommitError::Wal(std::io::Error::other(e.to_string())));
            }
        }

        let lim = head.limits();
        let mut stats = CommitStats {
            series_created: self.new_series.len() as u64,
            ..CommitStats::default()
        };
        let mut maxt = i64::MIN;
        for (s, t, v) in &self.staged {
            match s.lock().append(*t, *v, &lim) {
                Ok(Placement::OutOfOrder) => {
                    stats.samples += 1;
                    self.metrics
                        .ooo_samples_appended
                        .fetch_add(1, Ordering::Relaxed);
                }
                Ok(_) => stats.samples += 1,
                // Another appender committed a conflicting sample in between.
                Err(e) => self.metrics.inc_rejected(e.reason()),
            }
            maxt = maxt.max(*t);
        }
        head.observe_time(maxt);
        for (name, m) in self.metadata.drain(..) {
            head.set_metadata(&name, m);
        }
        let m = &self.metrics;
        m.samples_appended
            .fetch_add(stats.samples, Ordering::Relaxed);
        m.series_created
            .fetch_add(stats.series_created, Ordering::Relaxed);
        m.commits.fetch_add(1, Ordering::Relaxed);
        Ok(stats)
    }

    fn rollback(self: Box<Self>) {}
}
