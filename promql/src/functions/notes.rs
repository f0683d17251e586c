//! The texts of the annotations the function library (and the evaluator, for
//! `histogram_quantile`) emits, worded and formatted exactly as Prometheus 3.5 words them
//! (`util/annotations/annotations.go`), without the `PromQL warning: ` / `PromQL info: `
//! prefix that [`crate::Annotations::warn`] / [`crate::Annotations::info`] add.
//!
//! Prometheus formats numbers in these texts with Go's `%g` and names with Go's `%q`;
//! [`format_go_g`] and [`quote_go`] reproduce both so the texts compare equal byte for byte.

/// `quantile value should be between 0 and 1, got <q>`: a warning, for `quantile_over_time`,
/// `quantile` and `histogram_quantile` when `q` is NaN or outside [0, 1].
pub fn invalid_quantile_warning(q: f64) -> String {
    format!(
        "quantile value should be between 0 and 1, got {}",
        format_go_g(q)
    )
}

/// The info `rate` and `increase` emit for a float series whose name does not end in
/// `_total`, `_sum`, `_count` or `_bucket`.
pub fn possible_non_counter_info(metric_name: &str) -> String {
    format!(
        "metric might not be a counter, name does not end in _total/_sum/_count/_bucket: {}",
        quote_go(metric_name)
    )
}

/// Whether `rate`/`increase` over a float series called `metric_name` deserve
/// [`possible_non_counter_info`]. Unnamed series never do.
pub fn is_possible_non_counter(metric_name: &str) -> bool {
    !metric_name.is_empty()
        && !["_total", "_sum", "_count", "_bucket"]
            .iter()
            .any(|suffix| metric_name.ends_with(suffix))
}

/// The info `histogram_quantile` emits when classic buckets had to be made monotonic.
/// Prometheus 3.5 names the metric only with delayed name removal enabled; pass `None`
/// otherwise.
pub fn forced_monotonicity_info(metric_name: Option<&str>) -> String {
    with_metric_name(
        "input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)",
        metric_name,
    )
}

/// The warning for a classic-histogram bucket series whose `le` label is missing or does
/// not parse as a float (`label` is the offending value, possibly empty).
pub fn bad_bucket_label_warning(label: &str, metric_name: Option<&str>) -> String {
    with_metric_name(
        &format!(
            "bucket label \"le\" is missing or has a malformed value of {}",
            quote_go(label)
        ),
        metric_name,
    )
}

/// `input to histogram_quantile has NaN observations, result is NaN` (native histograms
/// whose NaN observations decide the quantile).
pub fn quantile_nan_result_info(metric_name: Option<&str>) -> String {
    with_metric_name(
        "input to histogram_quantile has NaN observations, result is NaN",
        metric_name,
    )
}

/// `input to histogram_quantile has NaN observations, result is skewed higher`.
pub fn quantile_nan_skew_info(metric_name: Option<&str>) -> String {
    with_metric_name(
        "input to histogram_quantile has NaN observations, result is skewed higher",
        metric_name,
    )
}

/// The execution error `double_exponential_smoothing` raises for a smoothing or trend factor
/// outside (0, 1): `None` when both are valid. Prometheus checks this before looking at the
/// samples, whenever the function is called for a series.
pub fn smoothing_factor_error(sf: f64, tf: f64) -> Option<String> {
    // NaN passes Prometheus's `sf <= 0 || sf >= 1` test, so NaN factors are accepted.
    let rejected = |v: f64| v <= 0.0 || v >= 1.0;
    if rejected(sf) {
        return Some(format!(
            "invalid smoothing factor. Expected: 0 < sf < 1, got: {}",
            format_go_f6(sf)
        ));
    }
    if rejected(tf) {
        return Some(format!(
            "invalid trend factor. Expected: 0 < tf < 1, got: {}",
            format_go_f6(tf)
        ));
    }
    None
}

/// Go's `maybeAddMetricName`: appends ` for metric name "<name>"` for a non-empty name.
fn with_metric_name(msg: &str, metric_name: Option<&str>) -> String {
    match metric_name {
        Some(name) if !name.is_empty() => format!("{msg} for metric name {}", quote_go(name)),
        _ => msg.to_string(),
    }
}

/// Go's `%g` for a float64: the shortest digits that round-trip, in exponent form
/// (`1.5e+06`, `1e-05`) when the decimal exponent is below -4 or at least 6.
pub fn format_go_g(v: f64) -> String {
    if let Some(s) = go_special(v) {
        return s.to_string();
    }
    // Rust's `{:e}` yields the same shortest digits Go picks, as `d.ddde<exp>`.
    let sci = format!("{v:e}");
    let Some((mantissa, exp)) = sci.split_once('e') else {
        return sci;
    };
    let Ok(exp) = exp.parse::<i32>() else {
        return sci;
    };
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
    } else {
        // In this exponent range Rust's shortest fixed notation has the same digits.
        format!("{v}")
    }
}

/// Go's `%f` (six decimals) for a float64.
fn format_go_f6(v: f64) -> String {
    match go_special(v) {
        Some(s) => s.to_string(),
        None => format!("{v:.6}"),
    }
}

fn go_special(v: f64) -> Option<&'static str> {
    if v.is_nan() {
        Some("NaN")
    } else if v == f64::INFINITY {
        Some("+Inf")
    } else if v == f64::NEG_INFINITY {
        Some("-Inf")
    } else {
        None
    }
}

/// Go's `%q` for a string: double-quoted, with Go's escapes for quotes, backslashes and
/// non-printable characters.
pub fn quote_go(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => {
                let n = c as u32;
                if n <= 0xffff {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_g_formatting_matches_go() {
        assert_eq!(format_go_g(f64::NAN), "NaN");
        assert_eq!(format_go_g(f64::INFINITY), "+Inf");
        assert_eq!(format_go_g(f64::NEG_INFINITY), "-Inf");
        assert_eq!(format_go_g(-0.5), "-0.5");
        assert_eq!(format_go_g(1.01), "1.01");
        assert_eq!(format_go_g(2.0), "2");
        assert_eq!(format_go_g(123456.0), "123456");
        assert_eq!(format_go_g(1234567.0), "1.234567e+06");
        assert_eq!(format_go_g(1e21), "1e+21");
        assert_eq!(format_go_g(0.0001), "0.0001");
        assert_eq!(format_go_g(0.00001), "1e-05");
        assert_eq!(format_go_g(-1.5e-300), "-1.5e-300");
        assert_eq!(format_go_g(0.0), "0");
    }

    #[test]
    fn quantile_warning_text() {
        assert_eq!(
            invalid_quantile_warning(f64::NAN),
            "quantile value should be between 0 and 1, got NaN"
        );
        assert_eq!(
            invalid_quantile_warning(-0.1),
            "quantile value should be between 0 and 1, got -0.1"
        );
    }

    #[test]
    fn non_counter_info() {
        assert_eq!(
            possible_non_counter_info("foo"),
            "metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"foo\""
        );
        assert!(is_possible_non_counter("foo"));
        assert!(is_possible_non_counter("foo_totals"));
        assert!(!is_possible_non_counter("foo_total"));
        assert!(!is_possible_non_counter("x_sum"));
        assert!(!is_possible_non_counter("x_count"));
        assert!(!is_possible_non_counter("x_bucket"));
        assert!(!is_possible_non_counter(""));
    }

    #[test]
    fn metric_name_suffix_and_quoting() {
        assert_eq!(
            quantile_nan_result_info(Some("histogram_nan")),
            "input to histogram_quantile has NaN observations, result is NaN for metric name \"histogram_nan\""
        );
        assert_eq!(
            quantile_nan_skew_info(None),
            "input to histogram_quantile has NaN observations, result is skewed higher"
        );
        assert_eq!(quote_go("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\x01é\"");
        assert_eq!(
            bad_bucket_label_warning("abc", Some("x_bucket")),
            "bucket label \"le\" is missing or has a malformed value of \"abc\" for metric name \"x_bucket\""
        );
    }

    #[test]
    fn smoothing_factor_validation() {
        assert_eq!(smoothing_factor_error(0.5, 0.5), None);
        assert_eq!(
            smoothing_factor_error(1.0, 0.5).as_deref(),
            Some("invalid smoothing factor. Expected: 0 < sf < 1, got: 1.000000")
        );
        assert_eq!(
            smoothing_factor_error(0.5, -0.25).as_deref(),
            Some("invalid trend factor. Expected: 0 < tf < 1, got: -0.250000")
        );
        assert_eq!(smoothing_factor_error(f64::NAN, 0.5), None);
    }
}
