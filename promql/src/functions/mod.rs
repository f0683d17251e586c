//! PromQL's function library: what each function computes on plain floats.
//!
//! The evaluator (`crate::eval`) walks steps and series and hands each function exactly what it
//! needs: a window of samples for range-vector functions, one value for element-wise functions.
//! Functions whose work is mostly about label sets or whole vectors (`label_replace`, `sort`,
//! `absent`, `histogram_quantile`'s grouping, ...) are [`Kind::Engine`]: the evaluator implements
//! them, using the numeric helpers here (e.g. [`histogram::bucket_quantile`]).

use crate::annotations::Annotations;

pub mod histogram;

/// The samples of one series that fall in a range selector's window at one evaluation step.
#[derive(Debug, Clone, Copy)]
pub struct Window<'a> {
    /// Samples with `start < t <= end`, increasing in time, stale markers already removed.
    pub samples: &'a [(i64, f64)],
    /// The window's exclusive lower bound (eval time - offset - range), milliseconds.
    pub start: i64,
    /// The window's inclusive upper bound (eval time - offset, or the `@` time), milliseconds.
    pub end: i64,
}

/// What a function may need besides its arguments.
pub struct FnCtx<'a> {
    /// The input series' metric name, for annotations such as "might not be a counter".
    pub metric_name: Option<&'a str>,
    pub notes: &'a mut Annotations,
}

/// A range-vector function: the window of one series at one step, plus the function's scalar
/// arguments in call order (the range argument left out). `None` means no output sample.
pub type RangeFn = fn(&Window<'_>, &[f64], &mut FnCtx<'_>) -> Option<f64>;

/// An element-wise function: one input value plus the scalar arguments after the vector.
pub type ElemFn = fn(f64, &[f64]) -> f64;

#[derive(Clone, Copy)]
pub enum Kind {
    /// Takes one range vector at argument index `range_arg`; every other argument is a scalar.
    Range { f: RangeFn, range_arg: usize },
    /// Applies to each sample of the instant vector in argument 0; the rest are scalars.
    Elementwise(ElemFn),
    /// Applies to each sample of an optional instant vector (default `vector(time())`), whose
    /// values are Unix times in seconds (`hour`, `month`, ...).
    Date(ElemFn),
    /// Implemented by the evaluator itself.
    Engine,
}

impl std::fmt::Debug for FunctionDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}()", self.name)
    }
}

pub struct FunctionDef {
    pub name: &'static str,
    pub kind: Kind,
    /// Whether the output keeps the input's `__name__` (`last_over_time`, `sort`, ...).
    pub keeps_name: bool,
    /// Only available with `--enable-feature=promql-experimental-functions`.
    pub experimental: bool,
}

const fn engine(name: &'static str, keeps_name: bool, experimental: bool) -> FunctionDef {
    FunctionDef {
        name,
        kind: Kind::Engine,
        keeps_name,
        experimental,
    }
}

static FUNCTIONS: &[FunctionDef] = &[
    engine("absent", false, false),
    engine("absent_over_time", false, false),
    engine("histogram_quantile", false, false),
    engine("label_join", true, false),
    engine("label_replace", true, false),
    engine("pi", false, false),
    engine("scalar", false, false),
    engine("sort", true, false),
    engine("sort_desc", true, false),
    engine("sort_by_label", true, true),
    engine("sort_by_label_desc", true, true),
    engine("time", false, false),
    engine("timestamp", false, false),
    engine("vector", false, false),
];

/// The definition of function `name`, if PromQL has one.
pub fn lookup(name: &str) -> Option<&'static FunctionDef> {
    FUNCTIONS.iter().find(|f| f.name == name)
}
