//! Hashing for the head's series maps.
//!
//! Label sets are hashed once per append on the ingest hot path, so the hasher reads eight bytes
//! at a time instead of SipHash's byte rounds; it is seeded per process so that colliding label
//! sets cannot be prepared in advance. The maps keyed by that hash (or by series id) then use
//! the key as it is rather than hashing it a second time.

use std::hash::{BuildHasher, Hasher};

const K: u64 = 0x9e37_79b9_7f4a_7c15;

/// A fast seeded hasher for label bytes.
#[derive(Debug, Clone)]
pub struct LabelHasher {
    h: u64,
}

impl LabelHasher {
    #[inline]
    fn mix(&mut self, word: u64) {
        self.h = (self.h ^ word).wrapping_mul(K).rotate_left(29);
    }
}

impl Hasher for LabelHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.mix(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        // The length keeps "ab" + "" apart from "a" + "b".
        self.mix(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 56));
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.mix(u64::from(i) | 0x100);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // murmur3's finalizer: every input bit reaches the high bits the map's control bytes use.
        let mut x = self.h;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^ (x >> 33)
    }
}

/// Builds [`LabelHasher`]s from a random per-process seed.
#[derive(Debug, Clone)]
pub struct LabelHashBuilder {
    seed: u64,
}

impl Default for LabelHashBuilder {
    fn default() -> Self {
        // RandomState is the standard library's source of per-process randomness.
        let seed = std::hash::RandomState::new().build_hasher().finish();
        LabelHashBuilder { seed }
    }
}

impl BuildHasher for LabelHashBuilder {
    type Hasher = LabelHasher;
    fn build_hasher(&self) -> LabelHasher {
        LabelHasher { h: self.seed }
    }
}

/// For maps whose keys are already well-mixed hashes or dense ids: uses the key itself,
/// spread by a multiplication so that sequential ids fill buckets evenly.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(K);
        }
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.0 = u64::from(i).wrapping_mul(K);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 = i.wrapping_mul(K) ^ (i >> 32);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub type KeyHashBuilder = std::hash::BuildHasherDefault<KeyHasher>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn hash(parts: &[&[u8]]) -> u64 {
        let b = LabelHashBuilder { seed: 1 };
        let mut h = b.build_hasher();
        for p in parts {
            h.write(p);
            h.write_u8(0xff);
        }
        h.finish()
    }

    #[test]
    fn boundaries_matter() {
        assert_ne!(hash(&[b"ab", b""]), hash(&[b"a", b"b"]));
        assert_ne!(hash(&[b"abcdefgh", b"i"]), hash(&[b"abcdefghi", b""]));
        assert_ne!(hash(&[b"x\0"]), hash(&[b"x"]));
    }

    #[test]
    fn no_collisions_on_similar_label_sets() {
        let mut seen = HashSet::new();
        for i in 0..100_000u32 {
            let v = i.to_string();
            assert!(seen.insert(hash(&[
                b"__name__",
                b"node_cpu_seconds_total",
                b"cpu",
                v.as_bytes()
            ])));
        }
    }
}
