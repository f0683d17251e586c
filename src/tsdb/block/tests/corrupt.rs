//! Corrupt files give errors, never panics: the index decoder is fuzzed with truncations, bit
//! flips and checksum-fixed mutations; chunk segments and metadata with targeted damage.

use super::super::index_reader::IndexReader;
use super::*;
use crate::tsdb::postings::{self, PostingsSource};
use promql::{MatchOp, Matcher};
use std::fs;
use std::path::PathBuf;

fn small_block() -> (tempfile::TempDir, Block, Vec<TestSeries>) {
    let dir = tempfile::tempdir().unwrap();
    let mut series = sample_series(&mut Rng::new(11), 12, 1000, 50_000);
    let block = write_block(dir.path(), 1000, 50_000, &mut series);
    (dir, block, series)
}

fn index_bytes(block: &Block) -> Vec<u8> {
    fs::read(block.dir().join(INDEX_FILE)).unwrap()
}

/// Uses every accessor of a decoded index; the point is that none of them panics.
fn exercise(ix: &IndexReader) {
    for id in 0..ix.num_series() + 1 {
        let _ = ix.series(id);
    }
    let names: Vec<String> = ix.names().map(str::to_string).collect();
    for n in &names {
        for v in ix.label_values(n) {
            let _ = ix.postings(n, &v);
        }
    }
    let m = Matcher::new(MatchOp::Regex, "job", "n.*|").unwrap();
    let _ = postings::select(ix, &[m, Matcher::equal("__name__", "up")]);
}

#[test]
fn every_truncation_and_bit_flip_of_the_index_is_an_error() {
    let (_dir, block, _) = small_block();
    let bytes = index_bytes(&block);
    let path = PathBuf::from("index");
    exercise(&IndexReader::decode(&bytes, &path).unwrap());
    for len in 0..bytes.len() {
        assert!(
            IndexReader::decode(&bytes[..len], &path).is_err(),
            "truncated to {len}"
        );
    }
    let mut extended = bytes.clone();
    extended.push(0);
    assert!(IndexReader::decode(&extended, &path).is_err());
    for i in 0..bytes.len() {
        for bit in 0..8 {
            let mut b = bytes.clone();
            b[i] ^= 1 << bit;
            assert!(
                IndexReader::decode(&b, &path).is_err(),
                "flip byte {i} bit {bit}"
            );
        }
    }
}

/// Mutates section payloads and fixes their checksums, so the decoders themselves see the
/// damage rather than stopping at the crc.
#[test]
fn decoders_survive_checksum_fixed_mutations() {
    let (_dir, block, _) = small_block();
    let bytes = index_bytes(&block);
    let toc = bytes.len() - 36;
    let mut sections: Vec<(usize, usize)> = (0..4)
        .map(|i| {
            let mut o = [0u8; 8];
            o.copy_from_slice(&bytes[toc + i * 8..toc + i * 8 + 8]);
            let off = u64::from_be_bytes(o) as usize;
            let mut l = [0u8; 4];
            l.copy_from_slice(&bytes[off..off + 4]);
            (off + 4, u32::from_be_bytes(l) as usize)
        })
        .collect();
    sections.retain(|&(_, len)| len > 0);
    let mut rng = Rng::new(99);
    let (mut ok, mut failed) = (0, 0);
    for _ in 0..20_000 {
        let mut b = bytes.clone();
        let (start, len) = sections[rng.below(sections.len() as u64) as usize];
        for _ in 0..1 + rng.below(3) {
            let i = start + rng.below(len as u64) as usize;
            b[i] = match rng.below(4) {
                0 => 0xff,
                1 => 0,
                2 => b[i].wrapping_add(1),
                _ => rng.next_u64() as u8,
            };
        }
        let crc = crc32c::crc32c(&b[start..start + len]);
        b[start + len..start + len + 4].copy_from_slice(&crc.to_be_bytes());
        match IndexReader::decode(&b, Path::new("index")) {
            Ok(ix) => {
                exercise(&ix);
                ok += 1;
            }
            Err(_) => failed += 1,
        }
    }
    println!("checksum-fixed mutations: {ok} decoded, {failed} rejected");
    assert!(failed > 0);
}

#[test]
fn corrupt_index_file_fails_open_with_its_path() {
    let (_dir, block, _) = small_block();
    let path = block.dir().join(INDEX_FILE);
    let mut bytes = index_bytes(&block);
    bytes[20] ^= 0x10;
    fs::write(&path, &bytes).unwrap();
    match Block::open(block.dir()) {
        Err(e @ Error::Corrupt { .. }) => assert!(e.to_string().contains("index"), "{e}"),
        other => panic!("expected a corrupt-index error, got {other:?}"),
    }
    fs::remove_file(&path).unwrap();
    assert!(matches!(Block::open(block.dir()), Err(Error::Io { .. })));
}

#[test]
fn corrupt_chunks_are_errors() {
    let (_dir, block, series) = small_block();
    let seg = block.dir().join(CHUNKS_DIR).join("000001");
    let good = fs::read(&seg).unwrap();
    // Find a chunk with data and flip a bit of its data (after the varint and encoding).
    let (id, m) = (0..series.len() as u32)
        .flat_map(|id| {
            block
                .series(id)
                .unwrap()
                .1
                .into_iter()
                .map(move |m| (id, m))
        })
        .find(|(_, m)| block.read_chunk(m).unwrap().1.len() > 4)
        .unwrap();
    let mut bad = good.clone();
    bad[(m.r#ref & 0xffff_ffff) as usize + 3] ^= 0x04;
    fs::write(&seg, &bad).unwrap();
    let b = Block::open(block.dir()).unwrap();
    let err = b.read_chunk(&m).unwrap_err();
    assert!(err.to_string().contains("checksum"), "series {id}: {err}");

    // References past the end or into missing segments.
    for r in [
        u64::MAX,
        1 << 32,
        (1 << 32) | 3,
        (1 << 32) | good.len() as u64,
        2 << 32,
        0,
    ] {
        let m = ChunkMeta {
            mint: 0,
            maxt: 0,
            r#ref: r,
        };
        assert!(b.read_chunk(&m).is_err(), "ref {r:#x}");
    }

    // A truncated segment: the last chunk runs past the end.
    fs::write(&seg, &good[..good.len() - 2]).unwrap();
    let b = Block::open(block.dir()).unwrap();
    let last = (0..series.len() as u32)
        .filter_map(|id| b.series(id).unwrap().1.last().copied())
        .max_by_key(|m| m.r#ref)
        .unwrap();
    assert!(b.read_chunk(&last).is_err());

    // A bad header, a stray file, a gap in the numbering.
    let mut hdr = good.clone();
    hdr[0] ^= 1;
    fs::write(&seg, &hdr).unwrap();
    assert!(Block::open(block.dir()).is_err());
    fs::write(&seg, &good).unwrap();
    let stray = block.dir().join(CHUNKS_DIR).join("junk");
    fs::write(&stray, b"").unwrap();
    assert!(Block::open(block.dir()).is_err());
    fs::rename(&stray, block.dir().join(CHUNKS_DIR).join("000003")).unwrap();
    assert!(Block::open(block.dir()).is_err());
}

#[test]
fn meta_that_disagrees_with_the_index_is_an_error() {
    let (_dir, block, _) = small_block();
    let mut meta = block.meta().clone();
    meta.stats.num_series += 1;
    meta.write(block.dir()).unwrap();
    assert!(matches!(
        Block::open(block.dir()),
        Err(Error::Corrupt { .. })
    ));
    fs::write(block.dir().join(META_FILE), b"{not json").unwrap();
    assert!(matches!(Block::open(block.dir()), Err(Error::Meta { .. })));
}
