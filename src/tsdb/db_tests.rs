//! End-to-end tests of the storage engine through its public surface: append, query, cut,
//! compact, reopen.

use crate::appender::SampleError;
use crate::metrics::Metrics;
use crate::tsdb::{Db, DbOptions};
use promql::{Labels, MatchOp, Matcher};
use std::sync::Arc;

pub(super) const MIN: i64 = 60_000;

pub(super) fn opts(dir: &std::path::Path) -> DbOptions {
    let mut o = DbOptions::new(dir);
    o.min_block_duration = 10 * MIN;
    o.max_block_duration = 90 * MIN;
    o.retention_time = 0;
    o
}

pub(super) fn series(i: usize) -> Labels {
    Labels::from_pairs([
        ("__name__", "node_cpu_seconds_total".to_string()),
        ("cpu", i.to_string()),
        ("mode", "idle".to_string()),
    ])
}

/// Writes `n` series with one sample every 15 s over `[from, to)`.
pub(super) fn write(db: &Db, n: usize, from: i64, to: i64) {
    let mut t = from;
    while t < to {
        let mut app = db.appender();
        for i in 0..n {
            app.append(&series(i), t, (t / 1000) as f64 + i as f64)
                .unwrap();
        }
        app.commit().unwrap();
        t += 15_000;
    }
}

pub(super) fn read_all(db: &Db, mint: i64, maxt: i64) -> Vec<(Labels, Vec<(i64, f64)>)> {
    let m = Matcher::new(MatchOp::Regex, "__name__", ".+").unwrap();
    db.db_querier(mint, maxt)
        .select_series(mint, maxt, &[m])
        .unwrap()
        .into_iter()
        .map(|s| (s.labels, s.samples))
        .collect()
}

pub(super) fn expected(n: usize, from: i64, to: i64) -> Vec<(Labels, Vec<(i64, f64)>)> {
    let mut out: Vec<_> = (0..n)
        .map(|i| {
            let samples = (from..to)
                .step_by(15_000)
                .map(|t| (t, (t / 1000) as f64 + i as f64))
                .collect();
            (series(i), samples)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn cut_compact_reopen_keeps_every_sample() {
    let dir = tempfile::tempdir().unwrap();
    let metrics = Arc::new(Metrics::default());
    let end = 100 * MIN;
    {
        let db = Db::open(opts(dir.path()), metrics.clone()).unwrap();
        write(&db, 20, 0, end);
        db.maintain().unwrap();
        assert!(!db.blocks().is_empty(), "the head should have been cut");
        assert!(
            db.blocks().iter().any(|b| b.meta().compaction.level > 1),
            "blocks should have been compacted: {:?}",
            db.blocks().iter().map(|b| b.meta()).collect::<Vec<_>>()
        );
        assert_eq!(read_all(&db, 0, end), expected(20, 0, end));
        // Samples below the persisted range are refused now.
        let mut app = db.appender();
        assert_eq!(
            app.append(&series(0), 5 * MIN + 1, 1.0),
            Err(SampleError::TooOld)
        );
        app.rollback();
    }
    // Reopen: blocks plus WAL replay give the same data.
    let db = Db::open(opts(dir.path()), metrics).unwrap();
    assert_eq!(read_all(&db, 0, end), expected(20, 0, end));
    // And a sub-range read is exact at its edges.
    let sub = read_all(&db, 30 * MIN, 45 * MIN);
    assert_eq!(sub, expected(20, 30 * MIN, 45 * MIN + 1));
}

#[test]
fn replay_restores_unpersisted_head() {
    let dir = tempfile::tempdir().unwrap();
    let metrics = Arc::new(Metrics::default());
    {
        let db = Db::open(opts(dir.path()), metrics.clone()).unwrap();
        write(&db, 5, 0, 5 * MIN);
        // No close: as after a kill.
    }
    let db = Db::open(opts(dir.path()), metrics).unwrap();
    assert_eq!(read_all(&db, 0, 5 * MIN), expected(5, 0, 5 * MIN));
    assert_eq!(db.head().num_series(), 5);
}

#[test]
fn out_of_order_and_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(opts(dir.path()), Arc::new(Metrics::default())).unwrap();
    let s = series(0);
    let mut app = db.appender();
    app.append(&s, 20 * MIN, 1.0).unwrap();
    app.commit().unwrap();
    let mut app = db.appender();
    assert_eq!(
        app.append(&s, 15 * MIN, 0.5),
        Ok(()),
        "within the 10m window"
    );
    assert_eq!(app.append(&s, 20 * MIN, 1.0), Ok(()), "exact duplicate");
    assert_eq!(
        app.append(&s, 20 * MIN, 2.0),
        Err(SampleError::DuplicateTimestamp)
    );
    assert_eq!(app.append(&s, 5 * MIN, 0.1), Err(SampleError::TooOld));
    app.commit().unwrap();
    assert_eq!(
        read_all(&db, 0, 30 * MIN),
        vec![(s, vec![(15 * MIN, 0.5), (20 * MIN, 1.0)])]
    );
}

#[test]
fn retention_by_time_drops_old_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts(dir.path());
    o.retention_time = 30 * MIN;
    // Retention drops whole blocks, so blocks must be small next to it (Prometheus makes the
    // largest block 10% of the retention for the same reason).
    o.max_block_duration = 30 * MIN;
    let db = Db::open(o, Arc::new(Metrics::default())).unwrap();
    write(&db, 3, 0, 100 * MIN);
    db.maintain().unwrap();
    let oldest = db.blocks().iter().map(|b| b.meta().min_time).min();
    assert!(
        oldest.is_some_and(|t| t >= 100 * MIN - 30 * MIN - 30 * MIN),
        "old blocks remain: {oldest:?}"
    );
    let data = read_all(&db, 0, 100 * MIN);
    assert!(data[0].1[0].0 >= 40 * MIN);
}

#[test]
fn label_names_and_values_span_head_and_blocks() {
    use promql::storage::Querier;
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(opts(dir.path()), Arc::new(Metrics::default())).unwrap();
    write(&db, 3, 0, 40 * MIN);
    db.maintain().unwrap();
    let q = db.db_querier(0, 40 * MIN);
    assert_eq!(q.label_names(&[]).unwrap(), vec!["__name__", "cpu", "mode"]);
    assert_eq!(q.label_values("cpu", &[]).unwrap(), vec!["0", "1", "2"]);
    let m = Matcher::equal("cpu", "1");
    assert_eq!(q.label_values("cpu", &[m]).unwrap(), vec!["1"]);
}

#[test]
fn a_querier_opened_before_a_head_cut_still_sees_the_cut_range() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(opts(dir.path()), Arc::new(Metrics::default())).unwrap();
    write(&db, 4, 0, 40 * MIN);
    let m = Matcher::new(MatchOp::Regex, "__name__", ".+").unwrap();
    // Opened before the cut, read after it: the range moved from the head into a new block
    // in between.
    let q = db.db_querier(0, 40 * MIN);
    db.maintain().unwrap();
    assert!(!db.blocks().is_empty());
    let got: Vec<_> = q
        .select_series(0, 40 * MIN, &[m])
        .unwrap()
        .into_iter()
        .map(|s| (s.labels, s.samples))
        .collect();
    assert_eq!(got, expected(4, 0, 40 * MIN));
}
