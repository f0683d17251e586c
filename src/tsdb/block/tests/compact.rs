//! Compaction: disjoint blocks are concatenated byte for byte; overlapping ones are merged
//! sample by sample.

use super::*;
use std::collections::BTreeMap;

const H2: i64 = 2 * 3600 * 1000;

/// Three blocks of consecutive 2h ranges; each holds a different, overlapping subset of 60
/// series.
fn three_disjoint_blocks(dir: &Path) -> (Vec<Block>, Vec<Vec<TestSeries>>) {
    let mut rng = Rng::new(5);
    let mut blocks = Vec::new();
    let mut inputs = Vec::new();
    for b in 0..3i64 {
        let (mint, maxt) = (b * H2, (b + 1) * H2);
        let all = sample_series(&mut rng, 60, mint, maxt);
        let mut subset: Vec<TestSeries> = all
            .into_iter()
            .enumerate()
            .filter(|(i, _)| (*i as i64 + b) % 3 != 0 || *i < 10)
            .map(|(_, s)| s)
            .collect();
        blocks.push(write_block(dir, mint, maxt, &mut subset));
        inputs.push(subset);
    }
    (blocks, inputs)
}

#[test]
fn disjoint_blocks_are_concatenated() {
    let dir = tempfile::tempdir().unwrap();
    let (blocks, inputs) = three_disjoint_blocks(dir.path());
    let mut want: BTreeMap<Labels, Vec<(i64, i64, u8, Vec<u8>)>> = BTreeMap::new();
    for s in inputs.iter().flatten() {
        want.entry(s.labels.clone())
            .or_default()
            .extend(s.chunks.iter().cloned());
    }
    let want: Vec<TestSeries> = want
        .into_iter()
        .map(|(labels, chunks)| TestSeries { labels, chunks })
        .collect();

    // Inputs in any order: the output does not depend on it.
    let refs: Vec<&Block> = vec![&blocks[2], &blocks[0], &blocks[1]];
    let meta = compact(dir.path(), &refs).unwrap().unwrap();
    let out = Block::open(&dir.path().join(&meta.id)).unwrap();
    assert_block_holds(&out, &want);

    assert_eq!((meta.min_time, meta.max_time), (0, 3 * H2));
    assert_eq!(meta.compaction.level, 2);
    let mut ids: Vec<String> = blocks.iter().map(|b| b.meta().id.clone()).collect();
    ids.sort();
    assert_eq!(meta.compaction.sources, ids);
    let parents: Vec<&str> = meta
        .compaction
        .parents
        .iter()
        .map(|p| p.id.as_str())
        .collect();
    assert_eq!(parents, ids.iter().map(String::as_str).collect::<Vec<_>>());
    let sum = |f: fn(&BlockStats) -> u64| blocks.iter().map(|b| f(&b.meta().stats)).sum::<u64>();
    assert_eq!(meta.stats.num_chunks, sum(|s| s.num_chunks));
    assert_eq!(meta.stats.num_samples, sum(|s| s.num_samples));
    assert_eq!(meta.stats.num_series, want.len() as u64);
    assert!(
        blocks.iter().all(|b| b.dir().exists()),
        "inputs are left to the caller"
    );

    // Compacting the output again with nothing else raises the level, keeps the sources.
    let again = compact(dir.path(), &[&out]).unwrap().unwrap();
    assert_eq!(again.compaction.level, 3);
    assert_eq!(again.compaction.sources, ids);
    assert_block_holds(&Block::open(&dir.path().join(&again.id)).unwrap(), &want);
}

#[test]
fn compacting_nothing_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    assert!(compact(dir.path(), &[]).unwrap().is_none());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
