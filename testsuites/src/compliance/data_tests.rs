use std::collections::BTreeMap;

use super::*;

/// Every sample of each series.
type BySeries = BTreeMap<Labels, Vec<(i64, f64)>>;

/// One hour of history (the shortest timeline), gathered per series.
fn history() -> (Timeline, Vec<Batch>, BySeries) {
    let tl = Timeline::ending_at(1_700_000_000_000, 1);
    let mut g = Generator::new(tl, 7);
    let mut batches = Vec::new();
    while let Some(b) = g.next_batch(3000) {
        batches.push(b);
    }
    let mut all = BySeries::new();
    for b in &batches {
        for (l, s) in b {
            all.entry(l.clone()).or_default().extend(s.iter().copied());
        }
    }
    (tl, batches, all)
}

fn get<'a>(
    all: &'a BySeries,
    name: &str,
    instance: usize,
    extra: &[(&str, &str)],
) -> &'a Vec<(i64, f64)> {
    all.iter()
        .find(|(l, _)| {
            l.get("__name__").map(String::as_str) == Some(name)
                && l.get("instance").map(String::as_str) == Some(INSTANCES[instance])
                && extra
                    .iter()
                    .all(|(k, v)| l.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|(_, s)| s)
        .unwrap_or_else(|| panic!("no series {name} {instance} {extra:?}"))
}

#[test]
fn timeline_instants_avoid_the_subquery_grid() {
    let tl = Timeline::ending_at(1_700_000_123_456, 2);
    for t in [
        tl.start,
        tl.end,
        tl.restart,
        tl.stop,
        tl.nan_from,
        tl.nan_to,
    ] {
        assert_eq!(t.rem_euclid(10_000), 3_000, "{t}");
    }
    assert!(tl.end <= 1_700_000_123_456 && tl.end > 1_700_000_113_456);
    assert_eq!(tl.end - tl.start, 2 * 3_600_000);
    assert_eq!(Timeline::next_odd_minute(0), 60_000);
    assert_eq!(Timeline::next_odd_minute(60_000), 180_000);
    assert_eq!(Timeline::next_odd_minute(119_999), 180_000);
}

#[test]
fn batches_are_time_ordered_and_timestamps_jittered() {
    let (tl, batches, all) = history();
    let mut prev_max = i64::MIN;
    for b in &batches {
        let min = b
            .iter()
            .flat_map(|(_, s)| s.iter().map(|p| p.0))
            .min()
            .unwrap();
        let max = b
            .iter()
            .flat_map(|(_, s)| s.iter().map(|p| p.0))
            .max()
            .unwrap();
        assert!(min > prev_max, "batch starts at {min} before {prev_max}");
        prev_max = max;
        let n: usize = b.iter().map(|(_, s)| s.len()).sum();
        assert!(n < 3000 + 3 * 260, "batch of {n} samples");
    }
    let bucket_series = all
        .keys()
        .filter(|l| l["__name__"] == "demo_api_request_duration_seconds_bucket")
        .count();
    assert_eq!(bucket_series, 3 * 8 * 26);
    for (l, s) in &all {
        for w in s.windows(2) {
            assert!(w[0].0 < w[1].0, "{l:?} not increasing");
            let gap = w[1].0 - w[0].0;
            let max = if l["__name__"] == "demo_intermittent_metric" {
                65_100
            } else {
                15_100
            };
            assert!((4_900..=max).contains(&gap), "{l:?} gap {gap}");
        }
        for (t, _) in s {
            assert_ne!(t % 1000, 0, "{l:?} sample on a whole second");
            assert!(*t >= tl.start && *t < tl.end);
        }
    }
}

#[test]
fn intermittent_metric_lives_in_even_minutes_with_markers() {
    let (_, _, all) = history();
    let s = get(&all, "demo_intermittent_metric", 0, &[]);
    let mut markers = 0;
    for w in s.windows(2) {
        let (t, v) = w[1];
        let odd = t.div_euclid(60_000) % 2 != 0;
        if is_stale(v) {
            markers += 1;
            assert!(odd, "marker at {t} in an even minute");
            assert!(!is_stale(w[0].1));
            assert!(t - Timeline::next_odd_minute(w[0].0) < 5_100);
        } else {
            assert!(!odd, "value at {t} in an odd minute");
        }
    }
    assert!(markers >= 25, "{markers} markers in an hour");
}

#[test]
fn stopping_series_end_with_one_marker() {
    let (tl, _, all) = history();
    let s = get(&all, "demo_memory_usage_bytes", 0, &[("type", "cached")]);
    let (t, v) = *s.last().unwrap();
    assert!(is_stale(v));
    assert!(t >= tl.stop && t < tl.stop + 5_100, "marker at {t}");
    assert!(s[..s.len() - 1].iter().all(|(_, v)| !v.is_nan()));
    let d = get(&all, "demo_disk_usage_bytes", 1, &[]);
    assert!(is_stale(d.last().unwrap().1));
    // The same series of another instance goes on.
    let other = get(&all, "demo_memory_usage_bytes", 1, &[("type", "cached")]);
    assert!(other.last().unwrap().0 > tl.end - 10_000);
    // Disk usage changes at every scrape.
    let live = get(&all, "demo_disk_usage_bytes", 0, &[]);
    assert!(live.windows(2).all(|w| w[0].1 != w[1].1));
}

#[test]
fn restart_resets_counters_after_markers() {
    let (tl, _, all) = history();
    let cpu = get(&all, "demo_cpu_usage_seconds_total", 2, &[("mode", "user")]);
    let drops: Vec<_> = cpu
        .windows(2)
        .filter(|w| !is_stale(w[1].1) && !is_stale(w[0].1) && w[1].1 < w[0].1)
        .collect();
    assert!(drops.is_empty(), "counter drops without a gap: {drops:?}");
    let marker = cpu.iter().position(|(_, v)| is_stale(*v)).unwrap();
    assert!(cpu[marker].0 >= tl.restart && cpu[marker].0 < tl.restart + 5_100);
    assert!(cpu[marker - 1].1 > 1000.0);
    assert_eq!(
        cpu[marker + 1].1,
        0.0,
        "a fresh process starts its counters at 0"
    );
    assert!(cpu[marker + 2].1 > 0.0);
    assert!(cpu[marker + 1].0 - cpu[marker].0 >= 9_800);
    // The other instances keep counting.
    let steady = get(&all, "demo_cpu_usage_seconds_total", 0, &[("mode", "user")]);
    assert!(steady.windows(2).all(|w| w[1].1 > w[0].1));
}

#[test]
fn buffers_gauge_has_a_nan_stretch() {
    let (tl, _, all) = history();
    let s = get(&all, "demo_memory_usage_bytes", 1, &[("type", "buffers")]);
    let nans: Vec<i64> = s
        .iter()
        .filter(|(_, v)| v.is_nan())
        .map(|(t, _)| *t)
        .collect();
    assert!(nans.len() >= 20, "{} NaN samples", nans.len());
    assert!(nans.iter().all(|t| (tl.nan_from..tl.nan_to).contains(t)));
    assert!(s.iter().all(|(_, v)| !is_stale(*v)));
}

#[test]
fn histogram_buckets_are_cumulative() {
    let (_, _, all) = history();
    let bounds = bucket_bounds();
    let base = [("method", "GET"), ("path", "/api/foo"), ("status", "200")];
    let last: Vec<f64> = bounds
        .iter()
        .map(|b| {
            let le = le_label(*b);
            let mut l = base.to_vec();
            l.push(("le", &le));
            get(&all, "demo_api_request_duration_seconds_bucket", 0, &l)
                .last()
                .unwrap()
                .1
        })
        .collect();
    assert!(last.windows(2).all(|w| w[0] <= w[1]), "{last:?}");
    let count = get(&all, "demo_api_request_duration_seconds_count", 0, &base);
    assert_eq!(count.last().unwrap().1, *last.last().unwrap());
    assert!(count.last().unwrap().1 > 1000.0);
    assert_eq!(le_label(bounds[0]), "0.0001");
    assert_eq!(le_label(bounds[25]), "+Inf");
}

#[test]
fn same_seed_same_history() {
    let tl = Timeline::ending_at(1_700_000_000_000, 1);
    let a = Generator::new(tl, 3).next_batch(2000);
    let b = Generator::new(tl, 3).next_batch(2000);
    let c = Generator::new(tl, 4).next_batch(2000);
    assert_eq!(
        format!("{a:?}").replace("NaN", "n"),
        format!("{b:?}").replace("NaN", "n")
    );
    assert_ne!(format!("{a:?}"), format!("{c:?}"));
}
