//! The OpenMetrics 1.0 rules that Prometheus' parser leaves out: metric families are
//! contiguous and never clash, metadata comes once and before the samples, each type uses only
//! its own sample names and value ranges, histogram buckets are ordered and consistent with
//! their count and sum, metric points are contiguous, a series' timestamps never go back, and
//! exemplars sit only on counter totals and buckets with at most 128 code points of labels.
//!
//! Each method returns the reason a rule is broken; the parser adds the line.

use std::collections::{HashMap, HashSet};

use super::{MetricType, Str};

/// A metadata line kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Meta {
    Help,
    Type,
    Unit,
}

impl Meta {
    pub fn as_str(self) -> &'static str {
        match self {
            Meta::Help => "HELP",
            Meta::Type => "TYPE",
            Meta::Unit => "UNIT",
        }
    }
}

/// What the validator needs of a parsed sample.
#[derive(Debug)]
pub(crate) struct SpecSample<'s, 'a> {
    /// Sorted, `__name__` included.
    pub labels: &'s [(Str<'a>, Str<'a>)],
    pub value: f64,
    pub ts_seconds: Option<f64>,
    /// Code points in the exemplar's label names and values, when there is an exemplar.
    pub exemplar_runes: Option<usize>,
}

type Owned = Vec<(String, String)>;
type Check = Result<(), String>;

const MAX_EXEMPLAR_RUNES: usize = 128;

/// The sample names of a family of each type, as suffixes of the family name.
fn strict_suffixes(t: MetricType) -> &'static [&'static str] {
    match t {
        MetricType::Counter => &["_total", "_created"],
        MetricType::Gauge | MetricType::Unknown | MetricType::StateSet => &[""],
        MetricType::Histogram => &["_bucket", "_count", "_sum", "_created"],
        MetricType::GaugeHistogram => &["_bucket", "_gcount", "_gsum"],
        MetricType::Summary => &["", "_count", "_sum", "_created"],
        MetricType::Info => &["_info"],
    }
}

/// A number as the specification writes `le` and `quantile` values: decimal, or `+Inf`.
fn strict_number(s: &str) -> Option<f64> {
    if s == "+Inf" {
        return Some(f64::INFINITY);
    }
    if s.bytes()
        .any(|c| c.is_ascii_alphabetic() && c != b'e' && c != b'E')
    {
        return None;
    }
    super::lex::parse_float(s.as_bytes())
}

#[derive(Debug, Default)]
struct Point {
    key: Owned,
    /// `(le, value, le written exactly "+Inf")`.
    buckets: Vec<(f64, f64, bool)>,
    count: Option<f64>,
    sum: Option<f64>,
}

#[derive(Debug)]
struct FamilyState {
    name: String,
    mtype: MetricType,
    typed: bool,
    help: bool,
    unit: Option<String>,
    has_samples: bool,
    point: Option<Point>,
    closed_points: HashSet<Owned>,
    last_ts: HashMap<Owned, Option<f64>>,
}

impl FamilyState {
    fn new(name: &str) -> Self {
        FamilyState {
            name: name.to_string(),
            mtype: MetricType::Unknown,
            typed: false,
            help: false,
            unit: None,
            has_samples: false,
            point: None,
            closed_points: HashSet::new(),
            last_ts: HashMap::new(),
        }
    }

    fn is_histogram(&self) -> bool {
        matches!(
            self.mtype,
            MetricType::Histogram | MetricType::GaugeHistogram
        )
    }

    fn close_point(&mut self) -> Check {
        let Some(point) = self.point.take() else {
            return Ok(());
        };
        if self.is_histogram() {
            check_histogram(&self.name, self.mtype, &point)?;
        }
        self.closed_points.insert(point.key);
        Ok(())
    }
}

fn check_histogram(name: &str, t: MetricType, p: &Point) -> Check {
    let Some(&(_, inf_value, exact_inf)) = p.buckets.last() else {
        return Err(format!(
            "histogram {name} has a metric point without buckets"
        ));
    };
    if !exact_inf {
        return Err(format!("histogram {name} lacks its le=\"+Inf\" bucket"));
    }
    for w in p.buckets.windows(2) {
        if w[1].0 <= w[0].0 {
            return Err(format!(
                "buckets of histogram {name} are not in increasing le order"
            ));
        }
        if w[1].1 < w[0].1 {
            return Err(format!("bucket values of histogram {name} decrease"));
        }
    }
    let (count, sum) = if t == MetricType::Histogram {
        ("_count", "_sum")
    } else {
        ("_gcount", "_gsum")
    };
    match (p.count, p.sum) {
        (Some(c), Some(_)) if c != inf_value => {
            return Err(format!(
                "{name}{count} is {c} but the +Inf bucket is {inf_value}"
            ));
        }
        (Some(_), None) | (None, Some(_)) => {
            return Err(format!("{name}{count} and {name}{sum} must come together"));
        }
        _ => {}
    }
    let negative = p.buckets.iter().any(|b| b.0 < 0.0);
    match (t, p.sum) {
        (MetricType::Histogram, Some(_)) if negative => Err(format!(
            "histogram {name} has negative buckets and so must not have {name}_sum"
        )),
        (MetricType::GaugeHistogram, Some(s)) if s < 0.0 && !negative => {
            Err(format!("{name}_gsum is negative without negative buckets"))
        }
        _ => Ok(()),
    }
}

/// Carries the state of the specification's rules across one exposition.
#[derive(Debug, Default)]
pub(crate) struct SpecValidator {
    current: Option<FamilyState>,
    /// Names of the families already closed and of every sample name they could use.
    taken: HashSet<String>,
}

impl SpecValidator {
    fn end_family(&mut self) -> Check {
        if let Some(mut f) = self.current.take() {
            f.close_point()?;
            for suffix in strict_suffixes(f.mtype) {
                self.taken.insert(format!("{}{suffix}", f.name));
            }
            self.taken.insert(f.name);
        }
        Ok(())
    }

    fn start_family(&mut self, name: &str) -> Check {
        self.end_family()?;
        if self.taken.contains(name) {
            return Err(format!(
                "metric family {name} is not contiguous or clashes with an earlier family"
            ));
        }
        self.current = Some(FamilyState::new(name));
        Ok(())
    }

    /// A `# HELP`, `# TYPE` (with `t`) or `# UNIT` (with `unit`) line for `name`.
    pub fn metadata(&mut self, kind: Meta, name: &str, t: MetricType, unit: &str) -> Check {
        if self.current.as_ref().is_none_or(|f| f.name != name) {
            self.start_family(name)?;
        }
        let Some(f) = self.current.as_mut() else {
            return Ok(());
        };
        if f.has_samples {
            return Err(format!("{} for {name} after its samples", kind.as_str()));
        }
        let repeated = match kind {
            Meta::Help => std::mem::replace(&mut f.help, true),
            Meta::Type => {
                f.mtype = t;
                std::mem::replace(&mut f.typed, true)
            }
            Meta::Unit => f.unit.replace(unit.to_string()).is_some(),
        };
        if repeated {
            return Err(format!("second {} line for {name}", kind.as_str()));
        }
        if matches!(f.mtype, MetricType::Info | MetricType::StateSet)
            && f.unit.as_ref().is_some_and(|u| !u.is_empty())
        {
            return Err(format!("{} {name} cannot have a unit", f.mtype.as_str()));
        }
        if let Some(clash) = strict_suffixes(f.mtype)
            .iter()
            .map(|s| format!("{name}{s}"))
            .find(|n| self.taken.contains(n))
        {
            return Err(format!("samples of {name} would clash with family {clash}"));
        }
        Ok(())
    }

    pub fn sample(&mut self, s: &SpecSample<'_, '_>) -> Check {
        let name = s
            .labels
            .iter()
            .find(|(n, _)| n == "__name__")
            .map_or("", |(_, v)| &**v);
        let fits = self.current.as_ref().is_some_and(|f| {
            name.strip_prefix(f.name.as_str())
                .is_some_and(|suffix| strict_suffixes(f.mtype).contains(&suffix))
        });
        if !fits {
            if let Some(f) = &self.current
                && name.starts_with(f.name.as_str())
                && f.typed
            {
                return Err(format!(
                    "sample {name} is not a valid sample of {} {}",
                    f.mtype.as_str(),
                    f.name
                ));
            }
            self.start_family(name)?;
        }
        let Some(f) = self.current.as_mut() else {
            return Ok(());
        };
        f.has_samples = true;
        let suffix = &name[f.name.len()..];
        check_exemplar(f, suffix, s.exemplar_runes)?;
        check_value(f, suffix, s)?;

        let skip = match f.mtype {
            MetricType::Histogram | MetricType::GaugeHistogram => "le",
            MetricType::Summary => "quantile",
            _ => "__name__",
        };
        let key: Owned = s
            .labels
            .iter()
            .filter(|(n, _)| n != "__name__" && n != skip)
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        if f.point.as_ref().is_none_or(|p| p.key != key) {
            f.close_point()?;
            if f.closed_points.contains(&key) {
                return Err(format!(
                    "samples of one metric point of {} are not contiguous",
                    f.name
                ));
            }
            f.point = Some(Point {
                key,
                ..Point::default()
            });
        }
        if let Some(p) = f.point.as_mut() {
            match suffix {
                "_bucket" => {
                    let le = label(s, "le").unwrap_or_default();
                    let bound = strict_number(le).unwrap_or(f64::NAN);
                    p.buckets.push((bound, s.value, le == "+Inf"));
                }
                "_count" | "_gcount" => p.count = Some(s.value),
                "_sum" | "_gsum" => p.sum = Some(s.value),
                _ => {}
            }
        }

        let series: Owned = s
            .labels
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        if let Some(prev) = f.last_ts.insert(series, s.ts_seconds) {
            match (prev, s.ts_seconds) {
                (Some(a), Some(b)) if b < a => {
                    return Err(format!("timestamps of a series of {name} go backwards"));
                }
                (Some(_), None) | (None, Some(_)) => {
                    return Err(format!(
                        "a series of {name} has samples with and without timestamps"
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// At `# EOF`.
    pub fn finish(&mut self) -> Check {
        self.end_family()
    }
}

fn label<'s>(s: &'s SpecSample<'_, '_>, name: &str) -> Option<&'s str> {
    s.labels.iter().find(|(n, _)| n == name).map(|(_, v)| &**v)
}

fn check_exemplar(f: &FamilyState, suffix: &str, runes: Option<usize>) -> Check {
    let Some(runes) = runes else {
        return Ok(());
    };
    let allowed = match f.mtype {
        MetricType::Counter => suffix == "_total",
        MetricType::Histogram | MetricType::GaugeHistogram => suffix == "_bucket",
        _ => false,
    };
    if !allowed {
        return Err(format!(
            "exemplar on {}{suffix}: only counter totals and histogram buckets take exemplars",
            f.name
        ));
    }
    if runes > MAX_EXEMPLAR_RUNES {
        return Err(format!(
            "exemplar labels have {runes} code points, more than {MAX_EXEMPLAR_RUNES}"
        ));
    }
    Ok(())
}

fn check_value(f: &FamilyState, suffix: &str, s: &SpecSample<'_, '_>) -> Check {
    let v = s.value;
    let name = &f.name;
    let non_negative = |what: &str| {
        if v.is_nan() || v < 0.0 {
            Err(format!(
                "{what} {name}{suffix} must be a non-negative number, got {v}"
            ))
        } else {
            Ok(())
        }
    };
    match (f.mtype, suffix) {
        (MetricType::Counter, "_total") => non_negative("counter"),
        (MetricType::Info, _) if v != 1.0 => Err(format!("info {name} must have value 1, got {v}")),
        (MetricType::StateSet, _) => {
            if v != 0.0 && v != 1.0 {
                return Err(format!("stateset {name} must have value 0 or 1, got {v}"));
            }
            if label(s, name).is_none() {
                return Err(format!("stateset {name} needs a label named {name}"));
            }
            Ok(())
        }
        (MetricType::Summary, "") => {
            let q = label(s, "quantile").and_then(strict_number);
            if !q.is_some_and(|q| (0.0..=1.0).contains(&q)) {
                return Err(format!(
                    "summary {name} needs a quantile label between 0 and 1"
                ));
            }
            if v < 0.0 {
                return Err(format!("quantile of summary {name} is negative"));
            }
            Ok(())
        }
        (MetricType::Summary | MetricType::Histogram, "_sum" | "_count") => {
            non_negative(f.mtype.as_str())
        }
        (MetricType::Histogram | MetricType::GaugeHistogram, "_bucket") => {
            let le = label(s, "le").and_then(strict_number);
            if le.is_none_or(f64::is_nan) {
                return Err(format!("bucket of {name} needs a numeric le label"));
            }
            non_negative("bucket")
        }
        (MetricType::GaugeHistogram, "_gcount") => non_negative("gauge histogram"),
        (MetricType::GaugeHistogram, "_gsum") if v.is_nan() => {
            Err(format!("{name}_gsum must not be NaN"))
        }
        _ => Ok(()),
    }
}
