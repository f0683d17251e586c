//! End-to-end tests of series deletion (tombstones in the head, the WAL and blocks; cleaning
//! and compaction) and of the head's cardinality statistics.

use super::db_tests::{MIN, opts, read_all, series, write};
use crate::metrics::Metrics;
use crate::tsdb::block::{self, Block, TOMBSTONES_FILE};
use crate::tsdb::chunkenc::{self, Encoding};
use crate::tsdb::{Db, TsdbStatus};
use promql::storage::Querier;
use promql::{Labels, MatchOp, Matcher, SampleIterator};
use std::path::Path;
use std::sync::Arc;

type Data = Vec<(Labels, Vec<(i64, f64)>)>;

fn open(dir: &Path) -> Arc<Db> {
    Db::open(opts(dir), Arc::new(Metrics::default())).unwrap()
}

fn cpu(i: usize) -> Vec<Matcher> {
    vec![Matcher::equal("cpu", i.to_string())]
}

/// What `write(db, n, from, to)` stored, without the samples of series `i` in `[a, b]` for
/// each `(i, a, b)` of `deleted`; series left empty are absent.
fn expected_without(n: usize, from: i64, to: i64, deleted: &[(usize, i64, i64)]) -> Data {
    let mut out: Data = (0..n)
        .map(|i| {
            let samples = (from..to)
                .step_by(15_000)
                .filter(|t| {
                    !deleted
                        .iter()
                        .any(|&(j, a, b)| j == i && a <= *t && *t <= b)
                })
                .map(|t| (t, (t / 1000) as f64 + i as f64))
                .collect();
            (series(i), samples)
        })
        .filter(|(_, s): &(Labels, Vec<(i64, f64)>)| !s.is_empty())
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Timestamps stored in a block's chunks for `labels`, read past any tombstone.
fn raw_timestamps(b: &Block, labels: &Labels) -> Vec<i64> {
    let mut out = Vec::new();
    for id in b.select(&[]).iter() {
        let (l, chunks) = b.series(id).unwrap();
        if &l != labels {
            continue;
        }
        for c in &chunks {
            let (enc, data) = b.read_chunk(c).unwrap();
            let mut it = chunkenc::iter_chunk(Encoding::from_u8(enc).unwrap(), &data);
            while it.next() {
                out.push(it.at().0);
            }
        }
    }
    out
}

fn any_name() -> Matcher {
    Matcher::new(MatchOp::Regex, "__name__", ".+").unwrap()
}

#[test]
fn delete_in_head_hides_samples_and_emptied_series() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    write(&db, 3, 0, 10 * MIN);
    db.delete_series(&[cpu(1)], 2 * MIN, 4 * MIN).unwrap();
    db.delete_series(&[cpu(2)], i64::MIN, i64::MAX).unwrap();
    let dels = [(1, 2 * MIN, 4 * MIN), (2, i64::MIN, i64::MAX)];
    assert_eq!(
        read_all(&db, 0, 10 * MIN),
        expected_without(3, 0, 10 * MIN, &dels)
    );

    let q = db.db_querier(0, 10 * MIN);
    let labels = q.series_labels(0, 10 * MIN, &[any_name()]).unwrap();
    assert_eq!(labels, vec![series(0), series(1)]);
    assert_eq!(q.label_values("cpu", &[]).unwrap(), vec!["0", "1"]);

    // Within the deleted range of cpu 1, only cpu 0 is left.
    let (a, b) = (2 * MIN, 4 * MIN);
    let q = db.db_querier(a, b);
    assert_eq!(
        q.series_labels(a, b, &[any_name()]).unwrap(),
        vec![series(0)]
    );
    assert_eq!(q.label_values("cpu", &[]).unwrap(), vec!["0"]);
    assert!(q.label_names(&cpu(1)).unwrap().is_empty());
    assert_eq!(
        q.label_names(&cpu(0)).unwrap(),
        vec!["__name__", "cpu", "mode"]
    );
    let mut set = q
        .select(&promql::storage::SelectHints::default(), &[any_name()])
        .unwrap();
    assert!(set.next());
    assert_eq!(set.labels(), &series(0));
    assert!(!set.next());

    // The interval was clamped to the data cpu 2 held: a later sample is visible.
    let mut app = db.appender();
    app.append(&series(2), 11 * MIN, 7.0).unwrap();
    app.commit().unwrap();
    let got = read_all(&db, 0, 20 * MIN);
    assert_eq!(got.last(), Some(&(series(2), vec![(11 * MIN, 7.0)])));
}

#[test]
fn delete_spanning_blocks_and_head_persists_across_restart() {
    let dir = tempfile::tempdir().unwrap();
    let end = 40 * MIN;
    let dels = [(0, 5 * MIN, 35 * MIN), (2, 29 * MIN, 31 * MIN)];
    {
        let db = open(dir.path());
        write(&db, 3, 0, end);
        db.maintain().unwrap();
        assert!(!db.blocks().is_empty());
        // Two selectors: a series matching either is deleted.
        let sel = [cpu(0), vec![Matcher::equal("cpu", "9")]];
        db.delete_series(&sel, 5 * MIN, 35 * MIN).unwrap();
        db.delete_series(&[cpu(2)], 29 * MIN, 31 * MIN).unwrap();
        assert_eq!(read_all(&db, 0, end), expected_without(3, 0, end, &dels));
        let b = &db.blocks()[0];
        assert!(b.dir().join(TOMBSTONES_FILE).is_file());
        assert_eq!(b.tombstones().num_series(), 2);
        // The data itself is still in the block.
        assert!(raw_timestamps(b, &series(0)).contains(&(6 * MIN)));
    }
    let db = open(dir.path());
    assert_eq!(read_all(&db, 0, end), expected_without(3, 0, end, &dels));
}

#[test]
fn head_tombstones_survive_cut_checkpoint_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let end = 25 * MIN;
    // cpu 1's interval straddles the boundary of the block the head is cut into.
    let dels = [(0, 12 * MIN, 22 * MIN), (1, 5 * MIN, 12 * MIN)];
    {
        let db = open(dir.path());
        write(&db, 2, 0, end);
        db.delete_series(&[cpu(0)], 12 * MIN, 22 * MIN).unwrap();
        db.delete_series(&[cpu(1)], 5 * MIN, 12 * MIN).unwrap();
        db.maintain().unwrap();
        let blocks = db.blocks();
        assert_eq!(blocks.len(), 1);
        // The cut applied the head's tombstones: the block holds no deleted sample and
        // needs no tombstones of its own.
        let b = &blocks[0];
        assert_eq!(b.meta().max_time, 10 * MIN);
        assert!(b.tombstones().is_empty());
        let ts = raw_timestamps(b, &series(1));
        assert_eq!(ts.len(), 20, "0..5m of cpu 1: {ts:?}");
        assert!(ts.iter().all(|&t| t < 5 * MIN));
        assert_eq!(read_all(&db, 0, end), expected_without(2, 0, end, &dels));
    }
    let wal = dir.path().join("wal");
    let has_checkpoint = std::fs::read_dir(&wal).unwrap().any(|e| {
        e.unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with("checkpoint.")
    });
    assert!(has_checkpoint, "the cut should have checkpointed the WAL");
    let db = open(dir.path());
    assert_eq!(read_all(&db, 0, end), expected_without(2, 0, end, &dels));
    assert!(!db.head().tombstones().is_empty());
}

#[test]
fn clean_tombstones_rewrites_blocks_without_deleted_data() {
    let dir = tempfile::tempdir().unwrap();
    let end = 40 * MIN;
    // cpu 1 loses everything it has in the block, cpu 0 a 10-minute slice.
    let dels = [(1, 0, 30 * MIN - 1), (0, 10 * MIN, 20 * MIN)];
    let (old_id, old_dir, old_size, old_samples) = {
        let db = open(dir.path());
        write(&db, 3, 0, end);
        db.maintain().unwrap();
        let blocks = db.blocks();
        assert_eq!(blocks.len(), 1);
        let b = &blocks[0];
        assert_eq!((b.meta().min_time, b.meta().max_time), (0, 30 * MIN));
        (
            b.meta().id.clone(),
            b.dir().to_path_buf(),
            b.size_bytes(),
            b.meta().stats.num_samples,
        )
    };
    let db = open(dir.path());
    db.delete_series(&[cpu(1)], 0, 30 * MIN - 1).unwrap();
    db.delete_series(&[cpu(0)], 10 * MIN, 20 * MIN).unwrap();
    db.clean_tombstones().unwrap();

    let blocks = db.blocks();
    assert_eq!(blocks.len(), 1);
    let b = &blocks[0];
    assert_ne!(b.meta().id, old_id);
    assert!(!old_dir.exists(), "the replaced block is deleted");
    assert!(b.tombstones().is_empty());
    assert!(!b.dir().join(TOMBSTONES_FILE).exists());
    assert_eq!(b.meta().compaction.parents[0].id, old_id);
    assert!(
        b.size_bytes() < old_size,
        "{} >= {old_size}",
        b.size_bytes()
    );
    // 30 minutes of cpu 1 at 15 s, and 10:00..=20:00 of cpu 0.
    assert_eq!(b.meta().stats.num_samples, old_samples - 120 - 41);
    assert!(raw_timestamps(b, &series(1)).is_empty());
    assert!(b.select(&cpu(1)).is_empty(), "cpu 1 is gone from the index");
    let ts0 = raw_timestamps(b, &series(0));
    assert!(ts0.iter().all(|&t| !(10 * MIN..=20 * MIN).contains(&t)));
    assert_eq!(ts0.len(), 120 - 41);

    let want = expected_without(3, 0, end, &dels);
    assert_eq!(read_all(&db, 0, end), want);
    drop(db);
    let db = open(dir.path());
    assert_eq!(read_all(&db, 0, end), want);

    // A block whose every sample is deleted is dropped.
    db.delete_series(&[vec![any_name()]], 0, 30 * MIN - 1)
        .unwrap();
    db.clean_tombstones().unwrap();
    assert!(db.blocks().is_empty());
}

#[test]
fn a_crash_between_rewrite_and_swap_keeps_only_the_rewritten_block() {
    let dir = tempfile::tempdir().unwrap();
    let end = 40 * MIN;
    let dels = [(2, 0, 15 * MIN)];
    let new_id = {
        let db = open(dir.path());
        write(&db, 3, 0, end);
        db.maintain().unwrap();
        db.delete_series(&[cpu(2)], 0, 15 * MIN).unwrap();
        let b = db.blocks()[0].clone();
        // As if clean_tombstones died after writing the new block.
        block::rewrite(dir.path(), &b).unwrap().unwrap().id
    };
    let db = open(dir.path());
    let ids: Vec<String> = db.blocks().iter().map(|b| b.meta().id.clone()).collect();
    assert_eq!(ids, vec![new_id]);
    assert_eq!(read_all(&db, 0, end), expected_without(3, 0, end, &dels));
}

#[test]
fn compaction_drops_deleted_data() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    write(&db, 2, 0, 25 * MIN);
    db.maintain().unwrap();
    assert_eq!(db.blocks().len(), 1, "one level-1 block [0, 10m)");
    db.delete_series(&[cpu(0)], 2 * MIN, 4 * MIN).unwrap();
    db.delete_series(&[cpu(1)], 0, 10 * MIN).unwrap();
    write(&db, 2, 25 * MIN, 50 * MIN);
    db.maintain().unwrap();
    let blocks = db.blocks();
    let merged = blocks
        .iter()
        .find(|b| b.meta().compaction.level > 1)
        .expect("the first blocks were compacted");
    assert_eq!(merged.meta().min_time, 0);
    assert!(merged.tombstones().is_empty());
    let ts0 = raw_timestamps(merged, &series(0));
    assert!(!ts0.is_empty());
    assert!(ts0.iter().all(|&t| !(2 * MIN..=4 * MIN).contains(&t)));
    // 10:00 itself was in the head then, and deleted there (the interval is inclusive).
    let ts1 = raw_timestamps(merged, &series(1));
    assert_eq!(ts1.first(), Some(&(10 * MIN + 15_000)));
    let dels = [(0, 2 * MIN, 4 * MIN), (1, 0, 10 * MIN)];
    assert_eq!(
        read_all(&db, 0, 50 * MIN),
        expected_without(2, 0, 50 * MIN, &dels)
    );
}

#[test]
fn tsdb_status_on_a_small_head() {
    let dir = tempfile::tempdir().unwrap();
    let db = open(dir.path());
    let empty: TsdbStatus = db.tsdb_status(10);
    assert_eq!(empty.head_stats.num_series, 0);
    assert_eq!(empty.head_stats.min_time, i64::MAX);
    assert!(empty.series_count_by_label_value_pair.is_empty());

    let mut app = db.appender();
    let l = |pairs: &[(&str, &str)]| Labels::from_pairs(pairs.iter().copied());
    for inst in ["a", "b"] {
        let s = l(&[("__name__", "up"), ("instance", inst), ("job", "node")]);
        app.append(&s, 1000, 1.0).unwrap();
        app.append(&s, 2000, 1.0).unwrap();
    }
    let s = l(&[("__name__", "up"), ("instance", "c"), ("job", "prom")]);
    app.append(&s, 1000, 1.0).unwrap();
    let s = l(&[
        ("__name__", "http_requests_total"),
        ("code", "200"),
        ("job", "prom"),
    ]);
    app.append(&s, 500, 1.0).unwrap();
    app.append(&s, 3000, 2.0).unwrap();
    app.commit().unwrap();

    let st = db.tsdb_status(4);
    let h = st.head_stats;
    assert_eq!(h.num_series, 4);
    // __name__ ×2, instance ×3, job ×2, code ×1.
    assert_eq!(h.num_label_pairs, 8);
    assert_eq!(h.chunk_count, 4);
    assert_eq!((h.min_time, h.max_time), (500, 3000));
    let v = |x: &[(&str, u64)]| -> Vec<(String, u64)> {
        x.iter().map(|(n, c)| (n.to_string(), *c)).collect()
    };
    assert_eq!(
        st.series_count_by_metric_name,
        v(&[("up", 3), ("http_requests_total", 1)])
    );
    assert_eq!(
        st.label_value_count_by_label_name,
        v(&[("instance", 3), ("__name__", 2), ("job", 2), ("code", 1)])
    );
    // "up" 2 B × 3 + "http_requests_total" 19 B × 1; "node"/"prom" 4 B × 2 each; ...
    assert_eq!(
        st.memory_in_bytes_by_label_name,
        v(&[("__name__", 25), ("job", 16), ("code", 3), ("instance", 3)])
    );
    assert_eq!(
        st.series_count_by_label_value_pair,
        v(&[
            ("__name__=up", 3),
            ("job=node", 2),
            ("job=prom", 2),
            ("__name__=http_requests_total", 1),
        ])
    );
}
