//! PromQL's function library: what each function computes on plain floats.
//!
//! The evaluator (`crate::eval`) walks steps and series and hands each function exactly what it
//! needs: a window of samples for range-vector functions, one value for element-wise functions.
//! Functions whose work is mostly about label sets or whole vectors (`label_replace`, `sort`,
//! `absent`, `histogram_quantile`'s grouping, ...) are [`Kind::Engine`]: the evaluator implements
//! them, using the numeric helpers here (e.g. [`histogram::bucket_quantile`]).
//!
//! Semantics follow Prometheus 3.5 (`promql/functions.go`). What the evaluator must do around
//! these functions, because Prometheus does it outside the function body:
//!
//! - `clamp(v, min, max)` with `max < min` returns an empty vector (checked once per step on the
//!   scalar arguments); [`clamp_is_empty`] tells. `clamp_min`/`clamp_max` have no such case.
//! - `predict_linear(v, t)` extrapolates from the step's evaluation time, which is not the
//!   window's end when `offset` or `@` is used. Pass it as a second scalar argument in
//!   milliseconds (`args = [t, eval_time_ms as f64]`); without it the window's end is used.
//! - `double_exponential_smoothing(v, sf, tf)` fails the query when a factor is outside (0, 1):
//!   call [`notes::smoothing_factor_error`] when the function is evaluated for a series and
//!   turn `Some(msg)` into an execution error. The range function itself then yields `None`.
//! - `rate` and `increase` add the "might not be a counter" info themselves (through
//!   [`FnCtx::notes`], using [`FnCtx::metric_name`]) whenever they produce a value; Prometheus
//!   adds it once per series that produced at least one float, which is the same after
//!   deduplication.
//! - [`FunctionDef::keeps_name`]: among range functions only `last_over_time` keeps
//!   `__name__`; every element-wise and date function drops it.
//! - Date functions without an argument apply to `vector(time())`.
//! - `histogram_fraction(lower, upper, v)` is [`Kind::Engine`]: group the `le` buckets as for
//!   `histogram_quantile` and call [`histogram::bucket_fraction`] per group (output drops
//!   `__name__`, no annotations).

use crate::annotations::Annotations;

mod dates;
pub mod histogram;
mod kahan;
pub(crate) use kahan::kahan_inc;
mod math;
pub mod notes;
mod over_time;
mod rate;
mod regression;

/// Prometheus's `quantile` over plain values (used by `quantile_over_time`; the same numbers
/// as the `quantile` aggregation).
pub use over_time::quantile;

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
#[derive(Debug)]
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

#[derive(Debug, Clone, Copy)]
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

/// Functions whose value depends on the evaluation time itself, not only on their arguments
/// (Prometheus's `AtModifierUnsafeFunctions`): an expression calling one is not step-invariant
/// even when every selector in it has an `@`.
pub const TIME_DEPENDENT: &[&str] = &[
    "days_in_month",
    "day_of_month",
    "day_of_week",
    "day_of_year",
    "hour",
    "minute",
    "month",
    "year",
    "predict_linear",
    "time",
    "timestamp",
];

/// Whether `clamp(v, min, max)` returns an empty vector for these scalar arguments
/// (Prometheus: `max < min`; a NaN bound does not empty it but makes every value NaN).
pub fn clamp_is_empty(min: f64, max: f64) -> bool {
    max < min
}

const fn engine(name: &'static str, keeps_name: bool, experimental: bool) -> FunctionDef {
    FunctionDef {
        name,
        kind: Kind::Engine,
        keeps_name,
        experimental,
    }
}

const fn range(name: &'static str, f: RangeFn, keeps_name: bool) -> FunctionDef {
    FunctionDef {
        name,
        kind: Kind::Range { f, range_arg: 0 },
        keeps_name,
        experimental: false,
    }
}

const fn experimental_range(name: &'static str, f: RangeFn) -> FunctionDef {
    FunctionDef {
        experimental: true,
        ..range(name, f, false)
    }
}

const fn elementwise(name: &'static str, f: ElemFn) -> FunctionDef {
    FunctionDef {
        name,
        kind: Kind::Elementwise(f),
        keeps_name: false,
        experimental: false,
    }
}

const fn date(name: &'static str, f: ElemFn) -> FunctionDef {
    FunctionDef {
        name,
        kind: Kind::Date(f),
        keeps_name: false,
        experimental: false,
    }
}

static FUNCTIONS: &[FunctionDef] = &[
    engine("absent", false, false),
    engine("absent_over_time", false, false),
    engine("histogram_quantile", false, false),
    // Classic buckets through `histogram::bucket_fraction`, grouped like histogram_quantile.
    engine("histogram_fraction", false, false),
    // Native-histogram functions: on float series Prometheus returns nothing.
    engine("histogram_avg", false, false),
    engine("histogram_count", false, false),
    engine("histogram_stddev", false, false),
    engine("histogram_stdvar", false, false),
    engine("histogram_sum", false, false),
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
    // Range vectors.
    range("rate", rate::rate, false),
    range("increase", rate::increase, false),
    range("delta", rate::delta, false),
    range("irate", rate::irate, false),
    range("idelta", rate::idelta, false),
    range("changes", rate::changes, false),
    range("resets", rate::resets, false),
    range("deriv", regression::deriv, false),
    range("predict_linear", regression::predict_linear, false),
    experimental_range(
        "double_exponential_smoothing",
        regression::double_exponential_smoothing,
    ),
    range("avg_over_time", over_time::avg_over_time, false),
    range("sum_over_time", over_time::sum_over_time, false),
    range("count_over_time", over_time::count_over_time, false),
    range("min_over_time", over_time::min_over_time, false),
    range("max_over_time", over_time::max_over_time, false),
    range("stddev_over_time", over_time::stddev_over_time, false),
    range("stdvar_over_time", over_time::stdvar_over_time, false),
    range("last_over_time", over_time::last_over_time, true),
    range("present_over_time", over_time::present_over_time, false),
    FunctionDef {
        name: "quantile_over_time",
        kind: Kind::Range {
            f: over_time::quantile_over_time,
            range_arg: 1,
        },
        keeps_name: false,
        experimental: false,
    },
    experimental_range("mad_over_time", over_time::mad_over_time),
    experimental_range("ts_of_min_over_time", over_time::ts_of_min_over_time),
    experimental_range("ts_of_max_over_time", over_time::ts_of_max_over_time),
    experimental_range("ts_of_last_over_time", over_time::ts_of_last_over_time),
    // Element-wise.
    elementwise("abs", math::abs),
    elementwise("ceil", math::ceil),
    elementwise("floor", math::floor),
    elementwise("exp", math::exp),
    elementwise("sqrt", math::sqrt),
    elementwise("ln", math::ln),
    elementwise("log2", math::log2),
    elementwise("log10", math::log10),
    elementwise("sgn", math::sgn),
    elementwise("deg", math::deg),
    elementwise("rad", math::rad),
    elementwise("sin", math::sin),
    elementwise("cos", math::cos),
    elementwise("tan", math::tan),
    elementwise("asin", math::asin),
    elementwise("acos", math::acos),
    elementwise("atan", math::atan),
    elementwise("sinh", math::sinh),
    elementwise("cosh", math::cosh),
    elementwise("tanh", math::tanh),
    elementwise("asinh", math::asinh),
    elementwise("acosh", math::acosh),
    elementwise("atanh", math::atanh),
    elementwise("round", math::round),
    elementwise("clamp", math::clamp),
    elementwise("clamp_min", math::clamp_min),
    elementwise("clamp_max", math::clamp_max),
    // Dates.
    date("day_of_month", dates::day_of_month),
    date("day_of_week", dates::day_of_week),
    date("day_of_year", dates::day_of_year),
    date("days_in_month", dates::days_in_month),
    date("hour", dates::hour),
    date("minute", dates::minute),
    date("month", dates::month),
    date("year", dates::year),
];

/// The definition of function `name`, if PromQL has one.
pub fn lookup(name: &str) -> Option<&'static FunctionDef> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique() {
        for (i, f) in FUNCTIONS.iter().enumerate() {
            assert!(
                FUNCTIONS[i + 1..].iter().all(|g| g.name != f.name),
                "{} registered twice",
                f.name
            );
        }
    }

    #[test]
    fn lookup_finds_elementwise_and_dates() {
        let Some(Kind::Elementwise(f)) = lookup("clamp_max").map(|d| d.kind) else {
            panic!("clamp_max is not element-wise");
        };
        assert_eq!(f(100.0, &[75.0]), 75.0);
        let Some(Kind::Date(f)) = lookup("year").map(|d| d.kind) else {
            panic!("year is not a date function");
        };
        assert_eq!(f(1136239445.0, &[]), 2006.0);
        assert!(lookup("holt_winters").is_none());
        assert!(lookup("first_over_time").is_none());
    }

    #[test]
    fn clamp_empties_only_for_max_below_min() {
        assert!(clamp_is_empty(5.0, -5.0));
        assert!(!clamp_is_empty(-5.0, 5.0));
        assert!(!clamp_is_empty(f64::NAN, 0.0));
        assert!(!clamp_is_empty(0.0, f64::NAN));
    }
}
