//! Comparing what two servers hold: series sets and samples, with a readable diff.
//!
//! Series are keyed by their rendered label set (`{__name__="up", job="node"}`), samples are
//! `(t, value)` pairs sorted by `t`. Values are compared exactly: as Prometheus renders them in
//! JSON (`String`), or as raw float bits ([`Bits`]) so NaN payloads such as staleness markers and
//! `-0` count as different from other NaNs and `+0`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Samples per series, keyed by rendered label set.
pub type SeriesData<V> = BTreeMap<String, Vec<(i64, V)>>;

/// A sample value that can be compared exactly and shown in a diff.
pub trait SampleValue: PartialEq + Clone {
    /// How the value appears in a diff line.
    fn render(&self) -> String;
}

impl SampleValue for String {
    fn render(&self) -> String {
        format!("{self:?}")
    }
}

/// A float compared by its bit pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Bits(pub u64);

/// The bit pattern Prometheus uses for staleness markers.
pub const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

impl Bits {
    /// The bits of `v`.
    pub fn of(v: f64) -> Self {
        Bits(v.to_bits())
    }

    /// The float.
    pub fn value(self) -> f64 {
        f64::from_bits(self.0)
    }
}

impl SampleValue for Bits {
    fn render(&self) -> String {
        let v = self.value();
        if self.0 == STALE_NAN {
            "StaleNaN".to_string()
        } else if v.is_nan() {
            format!("NaN[0x{:016x}]", self.0)
        } else {
            format!("{v:?}[0x{:016x}]", self.0)
        }
    }
}

/// Outcome of comparing two servers' data.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Name of the left side (e.g. `prometheus-A`).
    pub left: String,
    /// Name of the right side (e.g. `strata`).
    pub right: String,
    /// Series on each side and on both.
    pub series_left: usize,
    /// Series on the right.
    pub series_right: usize,
    /// Series present on both sides.
    pub series_common: usize,
    /// Samples on the left.
    pub samples_left: usize,
    /// Samples on the right.
    pub samples_right: usize,
    /// Samples equal on both sides (same series, timestamp and value).
    pub samples_equal: usize,
    /// Series only on the left.
    pub only_left: Vec<String>,
    /// Series only on the right.
    pub only_right: Vec<String>,
    /// Series present on both sides whose samples differ.
    pub series_differing: usize,
    /// Sample-level differences (missing, extra, different value) in common series.
    pub sample_diffs: usize,
    /// The first differences, rendered.
    pub examples: Vec<String>,
}

/// How many sample differences are rendered in [`Report::examples`].
const MAX_EXAMPLES: usize = 20;

impl Report {
    /// Whether both sides hold exactly the same series and samples.
    pub fn is_identical(&self) -> bool {
        self.only_left.is_empty() && self.only_right.is_empty() && self.sample_diffs == 0
    }

    /// One line with the counts.
    pub fn summary(&self) -> String {
        format!(
            "{} vs {}: series {}/{} ({} common, {} only {}, {} only {}, {} differing); samples {}/{} ({} equal, {} differences)",
            self.left,
            self.right,
            self.series_left,
            self.series_right,
            self.series_common,
            self.only_left.len(),
            self.left,
            self.only_right.len(),
            self.right,
            self.series_differing,
            self.samples_left,
            self.samples_right,
            self.samples_equal,
            self.sample_diffs
        )
    }

    /// The summary plus the first `max` missing series on each side and the first sample diffs.
    pub fn render(&self, max: usize) -> String {
        let mut out = self.summary();
        for (side, list) in [
            (&self.left, &self.only_left),
            (&self.right, &self.only_right),
        ] {
            if !list.is_empty() {
                let _ = write!(out, "\n  series only in {side} ({}):", list.len());
                for s in list.iter().take(max) {
                    let _ = write!(out, "\n    {s}");
                }
                if list.len() > max {
                    let _ = write!(out, "\n    … {} more", list.len() - max);
                }
            }
        }
        if !self.examples.is_empty() {
            let _ = write!(out, "\n  first sample differences:");
            for e in self.examples.iter().take(max) {
                let _ = write!(out, "\n    {e}");
            }
        }
        out
    }
}

/// Compares two servers' series and samples exactly.
pub fn compare<V: SampleValue>(
    left_name: &str,
    left: &SeriesData<V>,
    right_name: &str,
    right: &SeriesData<V>,
) -> Report {
    let mut r = Report {
        left: left_name.to_string(),
        right: right_name.to_string(),
        series_left: left.len(),
        series_right: right.len(),
        samples_left: left.values().map(Vec::len).sum(),
        samples_right: right.values().map(Vec::len).sum(),
        ..Report::default()
    };
    r.only_left = left
        .keys()
        .filter(|k| !right.contains_key(*k))
        .cloned()
        .collect();
    r.only_right = right
        .keys()
        .filter(|k| !left.contains_key(*k))
        .cloned()
        .collect();
    for (key, l) in left {
        let Some(rt) = right.get(key) else { continue };
        r.series_common += 1;
        let before = r.sample_diffs;
        diff_samples(key, l, rt, &mut r);
        if r.sample_diffs > before {
            r.series_differing += 1;
        }
    }
    r
}

/// Walks two time-sorted sample lists in step and records where they disagree.
fn diff_samples<V: SampleValue>(key: &str, l: &[(i64, V)], rt: &[(i64, V)], r: &mut Report) {
    let (mut i, mut j) = (0, 0);
    let note = |r: &mut Report, line: String| {
        r.sample_diffs += 1;
        if r.examples.len() < MAX_EXAMPLES {
            r.examples.push(line);
        }
    };
    while i < l.len() || j < rt.len() {
        match (l.get(i), rt.get(j)) {
            (Some((tl, vl)), Some((tr, vr))) if tl == tr => {
                if vl == vr {
                    r.samples_equal += 1;
                } else {
                    let line = format!(
                        "{key} t={tl}: {}={} {}={}",
                        r.left,
                        vl.render(),
                        r.right,
                        vr.render()
                    );
                    note(r, line);
                }
                i += 1;
                j += 1;
            }
            (Some((tl, vl)), Some((tr, _))) if tl < tr => {
                let line = format!(
                    "{key} t={tl}: {}={} {}=(missing)",
                    r.left,
                    vl.render(),
                    r.right
                );
                note(r, line);
                i += 1;
            }
            (Some((tl, vl)), None) => {
                let line = format!(
                    "{key} t={tl}: {}={} {}=(missing)",
                    r.left,
                    vl.render(),
                    r.right
                );
                note(r, line);
                i += 1;
            }
            (_, Some((tr, vr))) => {
                let line = format!(
                    "{key} t={tr}: {}=(missing) {}={}",
                    r.left,
                    r.right,
                    vr.render()
                );
                note(r, line);
                j += 1;
            }
            (None, None) => break,
        }
    }
}

/// The outcome of checking acknowledged writes against what a server returns.
#[derive(Debug, Clone, Default)]
pub struct AckReport {
    /// Samples acknowledged with a 2xx.
    pub acked: usize,
    /// Acknowledged samples found with the exact value.
    pub found: usize,
    /// Acknowledged samples absent from the server.
    pub missing: usize,
    /// Samples whose value differs from what was written at that timestamp.
    pub wrong_value: usize,
    /// Returned samples the writer never produced (unknown series or timestamp).
    pub unexpected: usize,
    /// Returned series whose timestamps are not strictly increasing.
    pub unsorted_series: usize,
    /// Samples returned in total.
    pub returned: usize,
    /// First problems, rendered.
    pub examples: Vec<String>,
}

impl AckReport {
    /// Whether every acknowledged sample is present, and nothing returned is corrupt.
    pub fn ok(&self) -> bool {
        self.missing == 0
            && self.wrong_value == 0
            && self.unexpected == 0
            && self.unsorted_series == 0
    }

    fn note(&mut self, line: String) {
        if self.examples.len() < MAX_EXAMPLES {
            self.examples.push(line);
        }
    }
}

/// Checks that every acknowledged sample is in `got` with its exact bits, and that every sample in
/// `got` is one the writer sent (`sent(series, t)` gives the value written at `t`, acknowledged or
/// not; writes that were never acknowledged may or may not be present).
pub fn check_acked(
    acked: &SeriesData<Bits>,
    got: &SeriesData<Bits>,
    sent: impl Fn(&str, i64) -> Option<Bits>,
) -> AckReport {
    let mut r = AckReport::default();
    for (key, samples) in got {
        r.returned += samples.len();
        if samples.windows(2).any(|w| w[0].0 >= w[1].0) {
            r.unsorted_series += 1;
            r.note(format!("{key}: timestamps not strictly increasing"));
        }
        for &(t, v) in samples {
            match sent(key, t) {
                None => {
                    r.unexpected += 1;
                    r.note(format!(
                        "{key} t={t}: returned {} but never written",
                        v.render()
                    ));
                }
                Some(want) if want != v => {
                    r.wrong_value += 1;
                    r.note(format!(
                        "{key} t={t}: returned {} but {} was written",
                        v.render(),
                        want.render()
                    ));
                }
                Some(_) => {}
            }
        }
    }
    for (key, samples) in acked {
        r.acked += samples.len();
        let have: BTreeMap<i64, Bits> = got
            .get(key)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default();
        for &(t, v) in samples {
            match have.get(&t) {
                Some(g) if *g == v => r.found += 1,
                Some(_) => {} // counted as wrong_value above
                None => {
                    r.missing += 1;
                    r.note(format!(
                        "{key} t={t}: acknowledged {} but missing",
                        v.render()
                    ));
                }
            }
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data<V: Clone>(rows: &[(&str, &[(i64, V)])]) -> SeriesData<V> {
        rows.iter()
            .map(|(k, s)| (k.to_string(), s.to_vec()))
            .collect()
    }

    #[test]
    fn identical_data_compares_equal() {
        let a = data(&[(
            "{a=\"1\"}",
            &[(1, "1".to_string()), (2, "NaN".to_string())][..],
        )]);
        let r = compare("A", &a, "B", &a.clone());
        assert!(r.is_identical(), "{}", r.render(5));
        assert_eq!(r.samples_equal, 2);
        assert_eq!(r.series_common, 1);
    }

    #[test]
    fn differences_are_counted_and_rendered() {
        let s = |v: &str| v.to_string();
        let a = data(&[
            ("{x=\"only-a\"}", &[(1, s("1"))][..]),
            ("{x=\"both\"}", &[(1, s("1")), (2, s("2")), (4, s("4"))][..]),
        ]);
        let b = data(&[
            ("{x=\"only-b\"}", &[(1, s("1"))][..]),
            (
                "{x=\"both\"}",
                &[(1, s("1")), (2, s("2.5")), (3, s("3"))][..],
            ),
        ]);
        let r = compare("A", &a, "B", &b);
        assert!(!r.is_identical());
        assert_eq!(r.only_left, vec!["{x=\"only-a\"}".to_string()]);
        assert_eq!(r.only_right, vec!["{x=\"only-b\"}".to_string()]);
        assert_eq!(r.samples_equal, 1);
        // t=2 differs, t=3 extra in B, t=4 missing in B.
        assert_eq!(r.sample_diffs, 3);
        assert_eq!(r.series_differing, 1);
        let text = r.render(10);
        assert!(text.contains("t=2: A=\"2\" B=\"2.5\""), "{text}");
        assert!(text.contains("t=3: A=(missing) B=\"3\""), "{text}");
        assert!(text.contains("t=4: A=\"4\" B=(missing)"), "{text}");
        assert!(text.contains("series only in A (1)"), "{text}");
    }

    #[test]
    fn bits_distinguish_nan_payloads_and_signed_zero() {
        let stale = Bits(STALE_NAN);
        let nan = Bits::of(f64::NAN);
        assert_ne!(stale, nan);
        assert_ne!(Bits::of(0.0), Bits::of(-0.0));
        assert_eq!(stale.render(), "StaleNaN");
        let a = data(&[("{}", &[(1, stale)][..])]);
        let b = data(&[("{}", &[(1, nan)][..])]);
        assert_eq!(compare("A", &a, "B", &b).sample_diffs, 1);
    }

    #[test]
    fn acked_check_finds_missing_wrong_and_unexpected() {
        let v = |t: i64| Bits::of(t as f64 * 1.5);
        let sent = |key: &str, t: i64| (key == "{s=\"1\"}" && (1..=5).contains(&t)).then(|| v(t));
        let acked = data(&[("{s=\"1\"}", &[(1, v(1)), (2, v(2)), (3, v(3))][..])]);
        // t=2 missing, t=3 wrong, t=4 unacked but present (fine), t=9 never written.
        let got = data(&[(
            "{s=\"1\"}",
            &[(1, v(1)), (3, Bits::of(0.0)), (4, v(4)), (9, v(9))][..],
        )]);
        let r = check_acked(&acked, &got, sent);
        assert_eq!(r.acked, 3);
        assert_eq!(r.found, 1);
        assert_eq!(r.missing, 1);
        assert_eq!(r.wrong_value, 1);
        assert_eq!(r.unexpected, 1);
        assert_eq!(r.returned, 4);
        assert!(!r.ok());
        let clean = check_acked(&acked, &acked, sent);
        assert!(clean.ok(), "{clean:?}");
        assert_eq!(clean.found, 3);
    }

    #[test]
    fn unsorted_series_are_flagged() {
        let v = Bits::of(1.0);
        let got = data(&[("{}", &[(2, v), (1, v)][..])]);
        let r = check_acked(&SeriesData::new(), &got, |_, _| Some(v));
        assert_eq!(r.unsorted_series, 1);
    }
}
