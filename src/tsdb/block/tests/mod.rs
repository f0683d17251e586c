//! Block tests, run against real files in temporary directories. Shared fixtures live here;
//! each sibling file covers one concern.

mod compact;
mod corrupt;
mod read_write;
mod size;

use super::*;
use promql::Labels;
use std::path::Path;

/// A small deterministic xorshift generator, so failures reproduce.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub(super) fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

/// An owned chunk: `(mint, maxt, encoding, data)`.
pub(super) type OwnedChunk = (i64, i64, u8, Vec<u8>);

/// A series as handed to the writer, with owned chunk data.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct TestSeries {
    pub(super) labels: Labels,
    pub(super) chunks: Vec<OwnedChunk>,
}

impl TestSeries {
    pub(super) fn chunk_data(&self) -> Vec<ChunkData<'_>> {
        self.chunks
            .iter()
            .map(|(mint, maxt, encoding, data)| ChunkData {
                mint: *mint,
                maxt: *maxt,
                encoding: *encoding,
                data,
            })
            .collect()
    }
}

/// Writes `series` (sorted here) as a block of `[mint, maxt)` in `dir` and opens it.
pub(super) fn write_block(dir: &Path, mint: i64, maxt: i64, series: &mut [TestSeries]) -> Block {
    series.sort_by(|a, b| a.labels.cmp(&b.labels));
    let mut w = BlockWriter::create(dir, mint, maxt, 1, vec![]).unwrap();
    for s in series.iter() {
        w.add_series(&s.labels, &s.chunk_data()).unwrap();
    }
    let meta = w.finish().unwrap();
    Block::open(&dir.join(&meta.id)).unwrap()
}

/// Random opaque chunks in time order within `[mint, maxt)`.
pub(super) fn random_chunks(rng: &mut Rng, mint: i64, maxt: i64) -> Vec<OwnedChunk> {
    let n = 1 + rng.below(5) as usize;
    let step = (maxt - mint) / n as i64;
    (0..n)
        .map(|i| {
            let start = mint + i as i64 * step + rng.below(step as u64 / 4) as i64;
            let end = start + rng.below(step as u64 / 2) as i64;
            // Mostly small, sometimes empty, sometimes larger than one read-ahead.
            let len = match rng.below(20) {
                0 => 0,
                1 => 600 + rng.below(3000) as usize,
                _ => 20 + rng.below(200) as usize,
            };
            let enc = if rng.below(2) == 0 { 0x81 } else { 1 };
            (start, end, enc, rng.bytes(len))
        })
        .collect()
}

/// Series with awkward labels: UTF-8 names and values, dots, spaces, an optional `env`.
pub(super) fn sample_series(rng: &mut Rng, n: usize, mint: i64, maxt: i64) -> Vec<TestSeries> {
    let names = [
        "up",
        "http_requests_total",
        "näme.with.dots",
        "process_cpu_seconds_total",
    ];
    let jobs = ["node", "api server", "ジョブ"];
    (0..n)
        .map(|i| {
            let mut pairs = vec![
                ("__name__".to_string(), names[i % names.len()].to_string()),
                ("job".to_string(), jobs[i % jobs.len()].to_string()),
                ("instance".to_string(), format!("host-{i}.example.com:9100")),
            ];
            if i % 3 == 0 {
                pairs.push(("env".into(), if i % 2 == 0 { "prod" } else { "dev" }.into()));
            }
            if i % 7 == 0 {
                pairs.push(("ラベル with space".into(), format!("värde {} 🚀", i % 4)));
            }
            TestSeries {
                labels: Labels::from_pairs(pairs),
                chunks: random_chunks(rng, mint, maxt),
            }
        })
        .collect()
}

/// Checks that `block` holds exactly `series` (sorted), in id order, chunk bytes included.
pub(super) fn assert_block_holds(block: &Block, series: &[TestSeries]) {
    assert_eq!(block.num_series() as usize, series.len());
    for (id, want) in series.iter().enumerate() {
        let (labels, metas) = block.series(id as u32).unwrap();
        assert_eq!(labels, want.labels, "series {id}");
        assert_eq!(metas.len(), want.chunks.len(), "{labels}");
        for (m, (mint, maxt, enc, data)) in metas.iter().zip(&want.chunks) {
            assert_eq!((m.mint, m.maxt), (*mint, *maxt), "{labels}");
            assert_eq!(
                block.read_chunk(m).unwrap(),
                (*enc, data.clone()),
                "{labels}"
            );
        }
    }
    assert!(block.series(series.len() as u32).is_err());
}
