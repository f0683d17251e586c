//! Invariant checks shared by the fuzz targets. Each one panics (which libFuzzer reports as a
//! crash, with the input saved) when a parser's documented guarantee does not hold.

use compat::exposition::{Limits, Sample, Scrape};

/// Limits small enough that fuzzed inputs hit them often, so the limit paths get exercised.
pub const TIGHT_LIMITS: Limits = Limits {
    max_line_len: 256,
    max_labels: 3,
    max_label_name_len: 12,
    max_label_value_len: 24,
};

/// What `compat::exposition::Sample` promises: labels sorted by name (bytes), unique, no empty
/// name or value, a non-empty `__name__`, every bound of `limits` respected, and a family index
/// that points into `Scrape::families`.
pub fn check_scrape(scrape: &Scrape<'_>, limits: &Limits) {
    for sample in &scrape.samples {
        check_sample(sample, limits, scrape.families.len());
    }
}

fn check_sample(sample: &Sample<'_>, limits: &Limits, families: usize) {
    let labels = &sample.labels;
    for pair in labels.windows(2) {
        assert!(
            pair[0].0.as_bytes() < pair[1].0.as_bytes(),
            "labels not sorted and unique: {labels:?}"
        );
    }
    let mut has_name = false;
    for (name, value) in labels {
        assert!(!name.is_empty(), "empty label name: {labels:?}");
        assert!(!value.is_empty(), "empty label value kept: {labels:?}");
        assert!(
            value.len() <= limits.max_label_value_len,
            "label value over the limit: {labels:?}"
        );
        if name == "__name__" {
            has_name = true;
        } else {
            assert!(
                name.len() <= limits.max_label_name_len,
                "label name over the limit: {labels:?}"
            );
        }
    }
    assert!(has_name, "sample without __name__: {labels:?}");
    assert!(
        labels.len() - 1 <= limits.max_labels,
        "more labels than the limit: {labels:?}"
    );
    if let Some(family) = sample.family {
        assert!(family < families, "family index {family} out of {families}");
    }
}

/// Scrape equality that treats NaN values as equal to themselves (bit for bit), which the
/// derived `PartialEq` does not.
pub fn same_scrape(a: &Scrape<'_>, b: &Scrape<'_>) -> bool {
    a.families == b.families
        && a.samples.len() == b.samples.len()
        && a.samples
            .iter()
            .zip(&b.samples)
            .all(|(x, y)| same_sample(x, y))
}

pub fn same_sample(a: &Sample<'_>, b: &Sample<'_>) -> bool {
    a.labels == b.labels
        && a.value.to_bits() == b.value.to_bits()
        && a.timestamp_ms == b.timestamp_ms
        && a.created_ms == b.created_ms
        && a.family == b.family
}
