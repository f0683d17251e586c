//! The evaluator.
use crate::annotations::Annotations;
use crate::engine::EngineOptions;
use crate::error::QueryError;
use crate::plan::Node;
use crate::storage::Queryable;
use crate::value::Value;
use std::time::Instant;

pub struct Evaluator<'a> {
    storage: &'a dyn Queryable,
    opts: &'a EngineOptions,
    start: i64,
    end: i64,
    step: i64,
    deadline: Instant,
    notes: Annotations,
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
            start,
            end,
            step,
            deadline,
            notes: Annotations::default(),
        }
    }

    pub fn run(&mut self, _node: &Node) -> Result<Value, QueryError> {
        let _ = (
            self.storage,
            self.opts,
            self.start,
            self.end,
            self.step,
            self.deadline,
        );
        Err(QueryError::Execution("evaluator not built yet".into()))
    }

    pub fn into_annotations(self) -> Annotations {
        self.notes
    }
}
