//! Writing blocks and reading them back: series, chunks, selection, label queries, metadata,
//! writer preconditions and crash safety.

use super::*;
use promql::{MatchOp, Matcher};
use std::fs;

const H2: i64 = 2 * 3600 * 1000;

fn fixture(n: usize) -> (tempfile::TempDir, Block, Vec<TestSeries>) {
    let dir = tempfile::tempdir().unwrap();
    let mut series = sample_series(&mut Rng::new(7), n, 0, H2);
    let block = write_block(dir.path(), 0, H2, &mut series);
    (dir, block, series)
}

fn dir_size(p: &Path) -> u64 {
    fs::read_dir(p)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let md = e.metadata().unwrap();
            if md.is_dir() {
                dir_size(&e.path())
            } else {
                md.len()
            }
        })
        .sum()
}

#[test]
fn round_trips_series_and_chunks() {
    let (dir, block, series) = fixture(500);
    assert_block_holds(&block, &series);
    let meta = block.meta();
    assert_eq!(meta.stats.num_series, 500);
    let chunks: usize = series.iter().map(|s| s.chunks.len()).sum();
    assert_eq!(meta.stats.num_chunks, chunks as u64);
    assert_eq!(
        (meta.min_time, meta.max_time, meta.version),
        (0, H2, META_VERSION)
    );
    assert_eq!(meta.compaction.level, 1);
    assert_eq!(meta.compaction.sources, vec![meta.id.clone()]);
    assert_eq!(block.size_bytes(), dir_size(block.dir()));
    assert_eq!(
        block_dirs(dir.path()).unwrap(),
        vec![block.dir().to_path_buf()]
    );
    assert_eq!(
        BlockMeta::read(block.dir()).unwrap(),
        *meta,
        "meta.json round trip"
    );
}

#[test]
fn block_is_send_sync_and_debug_is_short() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Block>();
    let (_dir, block, _) = fixture(300);
    let dbg = format!("{block:?}");
    assert!(dbg.len() < 2000, "{dbg}");
}

fn oracle(series: &[TestSeries], ms: &[Matcher]) -> Vec<u32> {
    (0..series.len() as u32)
        .filter(|&i| {
            let l = &series[i as usize].labels;
            ms.iter().all(|m| m.matches(l.get(&m.name).unwrap_or("")))
        })
        .collect()
}

fn matcher_sets() -> Vec<Vec<Matcher>> {
    let m = |op, n: &str, v: &str| Matcher::new(op, n, v).unwrap();
    use MatchOp::*;
    vec![
        vec![],
        vec![m(Equal, "__name__", "up")],
        vec![
            m(Equal, "job", "api server"),
            m(Equal, "__name__", "näme.with.dots"),
        ],
        vec![m(NotEqual, "job", "node")],
        vec![m(Regex, "instance", "host-1.*")],
        vec![m(NotRegex, "__name__", "up|http.*")],
        vec![m(Equal, "env", "")],
        vec![m(NotEqual, "env", "prod")],
        vec![m(Regex, "env", "|dev")],
        vec![m(Regex, "env", ".+")],
        vec![m(NotRegex, "env", "")],
        vec![m(Equal, "ラベル with space", "värde 1 🚀")],
        vec![m(Equal, "nonexistent", "")],
        vec![m(Equal, "nonexistent", "x")],
        vec![
            m(Equal, "__name__", "up"),
            m(Equal, "job", "ジョブ"),
            m(NotEqual, "env", ""),
        ],
    ]
}

#[test]
fn select_matches_every_matcher_kind() {
    let (_dir, block, series) = fixture(300);
    for ms in matcher_sets() {
        let got: Vec<u32> = block.select(&ms).iter().collect();
        assert_eq!(got, oracle(&series, &ms), "{ms:?}");
    }
}

#[test]
fn label_names_and_values_with_and_without_matchers() {
    let (_dir, block, series) = fixture(300);
    for ms in matcher_sets() {
        let ids = oracle(&series, &ms);
        let mut names: Vec<String> = ids
            .iter()
            .flat_map(|&i| series[i as usize].labels.iter().map(|l| l.name.clone()))
            .collect();
        names.sort();
        names.dedup();
        assert_eq!(block.label_names(&ms).unwrap(), names, "{ms:?}");
        // `instance` has more values than most selections (read from series); `job` fewer
        // (postings intersected).
        for name in ["instance", "job", "env", "ラベル with space", "nonexistent"] {
            let mut values: Vec<String> = ids
                .iter()
                .filter_map(|&i| series[i as usize].labels.get(name).map(str::to_string))
                .collect();
            values.sort();
            values.dedup();
            assert_eq!(
                block.label_values(name, &ms).unwrap(),
                values,
                "{name} {ms:?}"
            );
        }
    }
}

#[test]
fn writer_rejects_bad_input_and_stays_usable() {
    let dir = tempfile::tempdir().unwrap();
    let mut w = BlockWriter::create(dir.path(), 0, 1000, 1, vec![]).unwrap();
    let a = Labels::from_pairs([("__name__", "a")]);
    let b = Labels::from_pairs([("__name__", "b")]);
    let c = |mint, maxt| ChunkData {
        mint,
        maxt,
        encoding: 1,
        data: b"x",
    };
    let invalid = |r: Result<()>| matches!(r, Err(Error::InvalidInput(_)));
    assert!(
        invalid(w.add_series(&Labels::new(), &[c(0, 1)])),
        "no labels"
    );
    assert!(invalid(w.add_series(&b, &[c(5, 4)])), "maxt < mint");
    assert!(invalid(w.add_series(&b, &[c(-1, 4)])), "before the block");
    assert!(
        invalid(w.add_series(&b, &[c(10, 1000)])),
        "maxt is exclusive"
    );
    assert!(invalid(w.add_series(&b, &[c(0, 10), c(10, 20)])), "overlap");
    assert!(
        invalid(w.add_series(&b, &[c(20, 30), c(0, 10)])),
        "out of time order"
    );
    w.add_series(&b, &[c(0, 10), c(11, 999)]).unwrap();
    assert!(invalid(w.add_series(&a, &[c(0, 1)])), "out of label order");
    assert!(invalid(w.add_series(&b, &[c(0, 1)])), "duplicate series");
    let d = Labels::from_pairs([("__name__", "d")]);
    w.add_series(&Labels::from_pairs([("__name__", "c")]), &[])
        .unwrap();
    w.add_series(&d, &[c(1, 1)]).unwrap();
    let meta = w.finish().unwrap();
    assert_eq!((meta.stats.num_series, meta.stats.num_chunks), (2, 3));
    let block = Block::open(&dir.path().join(&meta.id)).unwrap();
    assert_eq!(
        block.series(1).unwrap().0,
        d,
        "the empty series was skipped"
    );
    assert!(
        BlockWriter::create(dir.path(), 5, 5, 1, vec![]).is_err(),
        "empty range"
    );
}

#[test]
fn chunks_roll_over_into_new_segments() {
    let dir = tempfile::tempdir().unwrap();
    let mut series = sample_series(&mut Rng::new(3), 200, 0, H2);
    series.sort_by(|a, b| a.labels.cmp(&b.labels));
    let mut w =
        BlockWriter::create_with_segment_size(dir.path(), 0, H2, 1, vec![], 8 << 10).unwrap();
    for s in &series {
        w.add_series(&s.labels, &s.chunk_data()).unwrap();
    }
    let meta = w.finish().unwrap();
    let block = Block::open(&dir.path().join(&meta.id)).unwrap();
    let segments = fs::read_dir(block.dir().join(CHUNKS_DIR)).unwrap().count();
    assert!(segments > 5, "{segments} segments");
    for e in fs::read_dir(block.dir().join(CHUNKS_DIR)).unwrap() {
        assert!(e.unwrap().metadata().unwrap().len() <= 8 << 10);
    }
    assert_block_holds(&block, &series);
}

#[test]
fn empty_and_abandoned_writers_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let w = BlockWriter::create(dir.path(), 0, 10, 1, vec![]).unwrap();
    let meta = w.finish().unwrap();
    assert_eq!(meta.stats.num_series, 0);
    let mut w = BlockWriter::create(dir.path(), 0, 10, 1, vec![]).unwrap();
    let l = Labels::from_pairs([("a", "b")]);
    w.add_series(
        &l,
        &[ChunkData {
            mint: 0,
            maxt: 1,
            encoding: 1,
            data: b"x",
        }],
    )
    .unwrap();
    drop(w);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

#[test]
fn leftover_tmp_dirs_are_never_opened_and_get_removed() {
    let (dir, block, series) = fixture(20);
    // A writer that "crashed" half way: its directory stays behind without meta.json.
    let mut w = BlockWriter::create(dir.path(), 0, H2, 1, vec![]).unwrap();
    w.add_series(&series[0].labels, &series[0].chunk_data())
        .unwrap();
    let half = dir.path().join(format!("{}{TMP_SUFFIX}", w.id()));
    std::mem::forget(w);
    // One that crashed after writing everything but before the rename.
    let full = dir.path().join(format!("{}{TMP_SUFFIX}", new_block_id()));
    copy_dir(block.dir(), &full);
    assert!(half.is_dir() && full.join(META_FILE).is_file());

    assert!(Block::open(&full).is_err(), "a .tmp dir is never a block");
    assert!(Block::open(&half).is_err());
    assert_eq!(
        block_dirs(dir.path()).unwrap(),
        vec![block.dir().to_path_buf()]
    );
    remove_tmp_dirs(dir.path()).unwrap();
    assert!(!half.exists() && !full.exists());
    assert_block_holds(&Block::open(block.dir()).unwrap(), &series);
    remove_tmp_dirs(&dir.path().join("missing")).unwrap();
}

#[test]
fn storage_error_conversion_keeps_the_message() {
    let err = Block::open(Path::new("/nonexistent/block")).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("/nonexistent/block/meta.json"), "{msg}");
    let s: promql::StorageError = err.into();
    assert!(
        s.to_string().contains("/nonexistent/block/meta.json"),
        "{s}"
    );
}
