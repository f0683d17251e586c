//! Compaction: disjoint blocks are concatenated byte for byte; overlapping ones are merged
//! sample by sample.

use super::*;
use crate::tsdb::chunkenc::{self, Encoding, StrataAppender};
use promql::SampleIterator;
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
    let mut want: BTreeMap<Labels, Vec<OwnedChunk>> = BTreeMap::new();
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

/// Encodes samples as Strata chunks of at most `per_chunk` samples.
fn encode(samples: &[(i64, f64)], per_chunk: usize) -> Vec<OwnedChunk> {
    samples
        .chunks(per_chunk)
        .map(|c| {
            let mut app = StrataAppender::new();
            for &(t, v) in c {
                app.append(t, v).unwrap();
            }
            (
                c[0].0,
                c[c.len() - 1].0,
                Encoding::Strata as u8,
                app.into_bytes(),
            )
        })
        .collect()
}

fn decode(block: &Block) -> BTreeMap<Labels, Vec<(i64, u64)>> {
    (0..block.num_series())
        .map(|id| {
            let (labels, metas) = block.series(id).unwrap();
            let mut out = Vec::new();
            for (i, m) in metas.iter().enumerate() {
                assert!(
                    i == 0 || m.mint > metas[i - 1].maxt,
                    "chunks overlap in {labels}"
                );
                let (enc, data) = block.read_chunk(m).unwrap();
                let mut it = chunkenc::iter_chunk(Encoding::from_u8(enc).unwrap(), data);
                while it.next() {
                    let (t, v) = it.at();
                    assert!(m.mint <= t && t <= m.maxt);
                    out.push((t, v.to_bits()));
                }
                assert!(it.take_err().is_none());
            }
            (labels, out)
        })
        .collect()
}

/// Four blocks with overlapping ranges. `A` and `D` cover the same range, `D` made later;
/// `C` reaches further, `B` furthest: on equal timestamps `B` beats `C` beats `D` beats `A`.
/// Samples land on a shared 15s grid (so timestamps collide) or off it (so they interleave);
/// values encode their block, so the winner is visible.
#[test]
fn overlapping_blocks_merge_every_sample() {
    const H: i64 = 3_600_000;
    let dir = tempfile::tempdir().unwrap();
    let ranges = [(0, 3 * H), (2 * H, 5 * H), (H, 4 * H), (0, 3 * H)];
    let mut rng = Rng::new(21);
    let mut blocks = Vec::new();
    let mut per_block: Vec<Vec<TestSeries>> = Vec::new();
    for (b, &(mint, maxt)) in ranges.iter().enumerate() {
        let mut series = Vec::new();
        for s in 0..40 {
            // Series 0..10 in every block; the rest in some.
            if s >= 10 && (s + b) % 3 == 0 {
                continue;
            }
            let labels =
                Labels::from_pairs([("__name__", "m".to_string()), ("s", format!("{s:02}"))]);
            // Each series covers a random sub-range of the block.
            let from = mint + rng.below(H as u64) as i64;
            let to = maxt - rng.below(H as u64) as i64;
            let off = if s % 2 == 0 { 0 } else { 1 + b as i64 * 100 };
            let mut samples = Vec::new();
            let mut t = from / 15_000 * 15_000 + 15_000 + off;
            while t < to {
                let v = match rng.below(10) {
                    0 => f64::from_bits(0x7ff0_0000_0000_0002), // Prometheus's stale NaN
                    _ => b as f64 * 1000.0 + (t / 15_000) as f64 * 0.5,
                };
                samples.push((t, v));
                t += 15_000;
            }
            series.push(TestSeries {
                labels,
                chunks: encode(&samples, 100),
            });
        }
        blocks.push(write_block(dir.path(), mint, maxt, &mut series));
        per_block.push(series);
    }

    // Expected: samples applied in precedence order, later overwrite earlier.
    let mut want: BTreeMap<Labels, BTreeMap<i64, u64>> = BTreeMap::new();
    let mut want_from: BTreeMap<Labels, BTreeMap<i64, usize>> = BTreeMap::new();
    for b in [0, 3, 2, 1] {
        for (labels, samples) in decode(&blocks[b]) {
            for (t, v) in samples {
                want.entry(labels.clone()).or_default().insert(t, v);
                want_from.entry(labels.clone()).or_default().insert(t, b);
            }
        }
    }
    assert!(
        blocks[3].meta().id > blocks[0].meta().id,
        "D is newer than A"
    );
    let refs: Vec<&Block> = blocks.iter().collect();
    let meta = compact(dir.path(), &refs).unwrap().unwrap();
    let out = Block::open(&dir.path().join(&meta.id)).unwrap();
    let got = decode(&out);
    let want: BTreeMap<Labels, Vec<(i64, u64)>> = want
        .into_iter()
        .map(|(l, s)| (l, s.into_iter().collect()))
        .collect();
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (labels, samples) in &want {
        assert_eq!(&got[labels], samples, "{labels}");
    }
    // Timestamps did collide, and each of B, C and D won some collision.
    let mut seen: BTreeMap<(Labels, i64), usize> = BTreeMap::new();
    for b in &blocks {
        for (labels, samples) in decode(b) {
            for (t, _) in samples {
                *seen.entry((labels.clone(), t)).or_default() += 1;
            }
        }
    }
    let winners: std::collections::BTreeSet<usize> = seen
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|((l, t), _)| want_from[l][t])
        .collect();
    assert_eq!(
        winners,
        [1, 2, 3].into(),
        "winning blocks of colliding timestamps"
    );
    let total: usize = want.values().map(Vec::len).sum();
    assert_eq!(meta.stats.num_samples, total as u64);
    assert_eq!((meta.min_time, meta.max_time), (0, 5 * H));
}
