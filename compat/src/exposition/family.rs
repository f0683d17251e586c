//! Metric families: which metadata applies to a sample (by name and type-specific suffix), and
//! the OpenMetrics `_created` samples turned into creation times of their siblings.

use std::collections::HashMap;

use super::{Family, MetricType, Sample, Str};

/// The sample-name suffixes a family of each type may use; `""` is the bare family name.
/// These are the permissive (Prometheus) sets: the text format names counters without
/// `_total` and summaries' quantiles by the bare name.
pub(crate) fn suffixes(t: MetricType) -> &'static [&'static str] {
    match t {
        MetricType::Counter => &["", "_total", "_created"],
        MetricType::Gauge | MetricType::Unknown | MetricType::StateSet => &[""],
        MetricType::Histogram => &["_bucket", "_count", "_sum", "_created"],
        MetricType::GaugeHistogram => &["_bucket", "_gcount", "_gsum"],
        MetricType::Summary => &["", "_count", "_sum", "_created"],
        MetricType::Info => &["", "_info"],
    }
}

/// Families of one scrape, found by name.
#[derive(Debug, Default)]
pub(crate) struct Families {
    pub list: Vec<Family>,
    by_name: HashMap<String, usize>,
}

impl Families {
    /// The family called `name`, created (untyped, no metadata) if new.
    pub fn get_or_insert(&mut self, name: &str) -> usize {
        if let Some(&i) = self.by_name.get(name) {
            return i;
        }
        let i = self.list.len();
        self.list.push(Family {
            name: name.to_string(),
            metric_type: MetricType::Unknown,
            help: None,
            unit: None,
        });
        self.by_name.insert(name.to_string(), i);
        i
    }

    /// The family whose metadata applies to a sample called `sample_name`: the family of that
    /// exact name, else the one it names with a suffix its type allows.
    pub fn lookup(&self, sample_name: &str) -> Option<usize> {
        if self.list.is_empty() {
            return None;
        }
        if let Some(&i) = self.by_name.get(sample_name) {
            return Some(i);
        }
        // Every type-specific suffix is one `_word`, so only the last one needs trying.
        let cut = sample_name.rfind('_')?;
        let (base, suffix) = sample_name.split_at(cut);
        let &i = self.by_name.get(base)?;
        if suffixes(self.list[i].metric_type).contains(&suffix) {
            return Some(i);
        }
        None
    }
}

/// Types whose `_created` sample is a creation time rather than a series of its own.
fn has_created(t: MetricType) -> bool {
    matches!(
        t,
        MetricType::Counter | MetricType::Histogram | MetricType::Summary
    )
}

type PointKey<'s> = Vec<(&'s str, &'s str)>;

/// The labels identifying a metric point of a family: all but `__name__`, and but `le` or
/// `quantile`, which tell apart the samples of one histogram or summary.
fn point_key<'s>(sample: &'s Sample<'_>, t: MetricType) -> PointKey<'s> {
    let skip = match t {
        MetricType::Histogram => "le",
        MetricType::Summary => "quantile",
        _ => "__name__",
    };
    sample
        .labels
        .iter()
        .filter(|(n, _)| n != "__name__" && n != skip)
        .map(|(n, v)| (&**n, &**v))
        .collect()
}

/// Sets [`Sample::created_ms`] from the `_created` samples of counters, histograms and
/// summaries, and drops those samples when `skip` is set.
pub(crate) fn attach_created(samples: &mut Vec<Sample<'_>>, families: &[Family], skip: bool) {
    let is_created = |s: &Sample<'_>| {
        s.family.is_some_and(|f| {
            has_created(families[f].metric_type)
                && s.name().strip_suffix("_created") == Some(families[f].name.as_str())
        })
    };
    if !samples.iter().any(is_created) {
        return;
    }
    let mut created: HashMap<(usize, PointKey<'_>), i64> = HashMap::new();
    for s in samples.iter().filter(|s| is_created(s)) {
        if let Some(f) = s.family {
            let ms = super::lex::seconds_to_ms(s.value);
            created.insert((f, point_key(s, families[f].metric_type)), ms);
        }
    }
    let found: Vec<Option<i64>> = samples
        .iter()
        .map(|s| {
            let f = s.family?;
            if !has_created(families[f].metric_type) {
                return None;
            }
            created
                .get(&(f, point_key(s, families[f].metric_type)))
                .copied()
        })
        .collect();
    drop(created);
    for (s, ms) in samples.iter_mut().zip(found) {
        s.created_ms = ms;
    }
    if skip {
        samples.retain(|s| !is_created(s));
    }
}

/// Builds a sample's label vector with `__name__` first (sorting happens later).
pub(crate) fn with_name<'a>(name: Str<'a>, capacity: usize) -> Vec<(Str<'a>, Str<'a>)> {
    let mut labels = Vec::with_capacity(capacity + 1);
    labels.push((Str::Borrowed("__name__"), name));
    labels
}
