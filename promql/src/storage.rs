//! The storage contract queries are evaluated against. The server's TSDB implements it.
//!
//! A [`Querier`] is opened for a time range and answers selections with a [`SeriesSet`]; each
//! series yields its samples through a [`SampleIterator`]. Timestamps are `i64` milliseconds.

use crate::{Labels, Matcher};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StorageError {
    #[error("storage: {0}")]
    Io(#[from] std::io::Error),
    #[error("storage: corrupt data: {0}")]
    Corrupt(String),
    #[error("storage: {0}")]
    Other(String),
}

/// What the caller will do with a selection, so storage may skip work. `mint`/`maxt` are
/// inclusive bounds in milliseconds.
#[derive(Debug, Clone, Default)]
pub struct SelectHints {
    pub mint: i64,
    pub maxt: i64,
    /// Query step in milliseconds, 0 for an instant query.
    pub step: i64,
    /// Range of a range-vector selector in milliseconds, 0 if none.
    pub range: i64,
    /// The function the selection feeds, when known (`rate`, `series`, ...).
    pub func: Option<String>,
}

/// Iterates the samples of one series in increasing timestamp order.
///
/// Before the first call to `next` or `seek` the iterator is positioned before the first
/// sample and `at` must not be called. After either returns `false` the iterator is exhausted
/// (or failed: see `err`) and stays so.
pub trait SampleIterator: Send {
    /// Moves to the next sample. Returns `false` at the end or on an error.
    fn next(&mut self) -> bool;

    /// Moves to the first sample with timestamp `>= t`. If the current sample already
    /// satisfies that, stays where it is. Returns `false` if there is no such sample.
    fn seek(&mut self, t: i64) -> bool {
        // A default that any iterator supports; encodings override it where they can skip.
        if self.started() {
            let (ct, _) = self.at();
            if ct >= t {
                return true;
            }
        }
        while self.next() {
            if self.at().0 >= t {
                return true;
            }
        }
        false
    }

    /// The current sample. Only valid after `next` or `seek` returned `true`.
    fn at(&self) -> (i64, f64);

    /// Whether `next` or `seek` has been called and the last call returned `true`.
    fn started(&self) -> bool;

    /// The error that stopped iteration, if any.
    fn err(&self) -> Option<&StorageError> {
        None
    }
}

/// A set of series returned by a selection, sorted by labels.
pub trait SeriesSet: Send {
    /// Moves to the next series; `false` at the end or on an error.
    fn next(&mut self) -> bool;
    /// The current series' labels.
    fn labels(&self) -> &Labels;
    /// A fresh iterator over the current series' samples within the querier's range.
    fn iterator(&self) -> Box<dyn SampleIterator>;
    fn err(&self) -> Option<&StorageError> {
        None
    }
    /// Warnings to pass on to the user (for example a partial answer).
    fn warnings(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Reads a fixed time range of storage.
pub trait Querier: Send + Sync {
    /// The series matching every matcher, sorted by labels.
    fn select(
        &self,
        hints: &SelectHints,
        matchers: &[Matcher],
    ) -> Result<Box<dyn SeriesSet>, StorageError>;

    /// All label names of series matching `matchers` (all series when empty), sorted.
    fn label_names(&self, matchers: &[Matcher]) -> Result<Vec<String>, StorageError>;

    /// All values of label `name` on series matching `matchers`, sorted.
    fn label_values(&self, name: &str, matchers: &[Matcher]) -> Result<Vec<String>, StorageError>;
}

/// Opens queriers. Implemented by the TSDB (and, later, by the cluster).
pub trait Queryable: Send + Sync {
    /// A querier over `[mint, maxt]`, inclusive, in milliseconds.
    fn querier(&self, mint: i64, maxt: i64) -> Result<Box<dyn Querier>, StorageError>;
}

/// A series held in memory: handy for tests and for merging results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemSeries {
    pub labels: Labels,
    pub samples: Vec<(i64, f64)>,
}

/// Iterates a vector of samples.
#[derive(Debug, Clone)]
pub struct VecSampleIterator {
    samples: std::sync::Arc<[(i64, f64)]>,
    // Index of the current sample plus one; 0 before the first `next`.
    pos: usize,
}

impl VecSampleIterator {
    pub fn new(samples: impl Into<std::sync::Arc<[(i64, f64)]>>) -> Self {
        VecSampleIterator {
            samples: samples.into(),
            pos: 0,
        }
    }
}

impl SampleIterator for VecSampleIterator {
    fn next(&mut self) -> bool {
        if self.pos <= self.samples.len() {
            self.pos += 1;
        }
        self.pos <= self.samples.len()
    }

    fn seek(&mut self, t: i64) -> bool {
        let start = self.pos.saturating_sub(1);
        if self.pos > 0 && self.pos <= self.samples.len() && self.samples[start].0 >= t {
            return true;
        }
        let off = self.samples[start..].partition_point(|s| s.0 < t);
        self.pos = start + off + 1;
        self.pos <= self.samples.len()
    }

    fn at(&self) -> (i64, f64) {
        self.samples[self.pos - 1]
    }

    fn started(&self) -> bool {
        self.pos > 0 && self.pos <= self.samples.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vec_iterator_next_and_seek() {
        let mut it = VecSampleIterator::new(vec![(1, 1.0), (5, 5.0), (9, 9.0)]);
        assert!(!it.started());
        assert!(it.seek(4));
        assert_eq!(it.at(), (5, 5.0));
        assert!(it.seek(2), "seek backwards stays put");
        assert_eq!(it.at(), (5, 5.0));
        assert!(it.next());
        assert_eq!(it.at(), (9, 9.0));
        assert!(!it.next());
        assert!(!it.next());
        assert!(!it.seek(0));
    }
}
