//! The XOR encoding matches Prometheus's bytes: hand-computed chunks, and an independent
//! bit-by-bit encoder written from the format description in `docs/format/chunks.md`.

use super::data::Rng;
use super::{Encoding, encode};

#[test]
fn hand_computed_chunks() {
    // (1000, 1.0) alone: count 1, varint(1000) = zigzag 2000 = d0 0f, then the 8 value bytes.
    // The value is a whole-byte write ending on a byte boundary, after which Prometheus's bit
    // stream holds one more, empty, byte.
    assert_eq!(
        encode(Encoding::Xor, &[(1000, 1.0)]),
        [0x00, 0x01, 0xd0, 0x0f, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x00]
    );
    // Then (2000, 1.0): uvarint(1000) = e8 07, value unchanged '0'. Then (3000, 2.0):
    // dod 0 '0'; 1.0 ^ 2.0 = 0x7ff0_0000_0000_0000: leading 1, trailing 52, so '11',
    // leading 00001, significant bits 11 = 001011, then 11111111111.
    // Bits: 0 0 11 00001 001011 11111111111 → 0011_0000 1001_0111 1111_1111 11(00_0000).
    assert_eq!(
        encode(Encoding::Xor, &[(1000, 1.0), (2000, 1.0), (3000, 2.0)]),
        [
            0x00, 0x03, 0xd0, 0x0f, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0xe8, 0x07, 0x30, 0x97, 0xff,
            0xc0
        ]
    );
    // Then (4001, 3.0): delta 1001, dod 1: '10' + 14-bit 1. 2.0 ^ 3.0 = 0x0008_0000_0000_0000
    // has leading 12 >= 1 and trailing 51 < 52: a new window, '11' 01100 000001 1.
    // Bits after the 26 above: 10 00000000000001 11 01100 000001 1 (30 bits, no pad byte).
    let mut expect_bits = String::from("00110000100101111111111111");
    expect_bits.push_str("1000000000000001");
    expect_bits.push_str("1101100000001");
    expect_bits.push('1');
    let tail = pack(&expect_bits);
    let got = encode(
        Encoding::Xor,
        &[(1000, 1.0), (2000, 1.0), (3000, 2.0), (4001, 3.0)],
    );
    assert_eq!(&got[..2], &[0x00, 0x04]);
    assert_eq!(&got[14..], &tail[..]);
}

fn pack(bits: &str) -> Vec<u8> {
    let mut out = vec![0u8; bits.len().div_ceil(8)];
    for (i, c) in bits.chars().enumerate() {
        if c == '1' {
            out[i / 8] |= 0x80 >> (i % 8);
        }
    }
    out
}

/// Prometheus's XOR chunk, one bit at a time, from the format description.
fn reference(samples: &[(i64, f64)]) -> Vec<u8> {
    let mut bits: Vec<bool> = Vec::new();
    let push = |bits: &mut Vec<bool>, v: u64, n: u32| {
        for i in (0..n).rev() {
            bits.push((v >> i) & 1 == 1);
        }
    };
    let uvarint = |bits: &mut Vec<bool>, mut x: u64| {
        loop {
            let b = x & 0x7f;
            x >>= 7;
            if x == 0 {
                push(bits, b, 8);
                break;
            }
            push(bits, b | 0x80, 8);
        }
    };
    push(&mut bits, samples.len() as u64, 16);
    let (mut t_prev, mut delta_prev, mut v_prev) = (0i64, 0u64, 0u64);
    let (mut lead, mut trail) = (u32::MAX, 0u32);
    let mut last_width = 0;
    for (i, &(t, v)) in samples.iter().enumerate() {
        let v = v.to_bits();
        let delta = t.wrapping_sub(t_prev) as u64;
        if i == 0 {
            let zz = ((t << 1) ^ (t >> 63)) as u64;
            uvarint(&mut bits, zz);
            push(&mut bits, v, 64);
            last_width = 64;
        } else {
            if i == 1 {
                uvarint(&mut bits, delta);
            } else {
                let dod = delta.wrapping_sub(delta_prev) as i64;
                let fits = |n: u32| -(1i64 << (n - 1)) < dod && dod <= 1i64 << (n - 1);
                if dod == 0 {
                    push(&mut bits, 0, 1);
                } else if fits(14) {
                    push(&mut bits, 0b10, 2);
                    push(&mut bits, dod as u64 & 0x3fff, 14);
                } else if fits(17) {
                    push(&mut bits, 0b110, 3);
                    push(&mut bits, dod as u64 & 0x1ffff, 17);
                } else if fits(20) {
                    push(&mut bits, 0b1110, 4);
                    push(&mut bits, dod as u64 & 0xfffff, 20);
                } else {
                    push(&mut bits, 0b1111, 4);
                    push(&mut bits, dod as u64, 64);
                }
            }
            let x = v ^ v_prev;
            if x == 0 {
                push(&mut bits, 0, 1);
                last_width = 1;
            } else {
                let l = x.leading_zeros().min(31);
                let tr = x.trailing_zeros();
                push(&mut bits, 1, 1);
                if lead != u32::MAX && l >= lead && tr >= trail {
                    push(&mut bits, 0, 1);
                    last_width = 64 - lead - trail;
                    push(&mut bits, x >> trail, last_width);
                } else {
                    (lead, trail) = (l, tr);
                    push(&mut bits, 1, 1);
                    push(&mut bits, u64::from(l), 5);
                    last_width = 64 - l - tr;
                    push(&mut bits, u64::from(last_width % 64), 6);
                    push(&mut bits, x >> tr, last_width);
                }
            }
        }
        t_prev = t;
        delta_prev = delta;
        v_prev = v;
    }
    let mut out = vec![0u8; bits.len().div_ceil(8)];
    for (i, b) in bits.iter().enumerate() {
        if *b {
            out[i / 8] |= 0x80 >> (i % 8);
        }
    }
    if bits.len() % 8 == 0 && last_width % 8 == 0 && !samples.is_empty() {
        out.push(0);
    }
    out
}

#[test]
fn matches_independent_bitwise_encoder() {
    let mut rng = Rng::new(7);
    for case in 0..400 {
        let len = 1 + rng.below(150) as usize;
        let mut t = rng.next_u64() as i64 / 4;
        let mut v = 100.0;
        let mut samples = Vec::with_capacity(len);
        for _ in 0..len {
            samples.push((t, v));
            // Every dod bucket, both signs, and the 64-bit escape.
            let step = match rng.below(6) {
                0 => 15_000,
                1 => 15_000 + rng.range(-8200, 8200),
                2 => 15_000 + rng.range(-70_000, 70_000).max(-14_999),
                3 => rng.range(1, 1_000_000),
                4 => rng.range(1, 1 << 40),
                _ => 1,
            };
            t = t.saturating_add(step);
            v = match rng.below(5) {
                0 => v,
                1 => v + 1.0,
                2 => f64::from_bits(rng.next_u64()),
                3 => v * 1.000_001,
                _ => (rng.below(1000) as f64) / 8.0,
            };
            if t == i64::MAX {
                break;
            }
        }
        assert_eq!(
            encode(Encoding::Xor, &samples),
            reference(&samples),
            "case {case}: {samples:?}"
        );
    }
}
