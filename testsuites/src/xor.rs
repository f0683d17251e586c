//! An independent decoder (and, for its tests, encoder) of Prometheus XOR chunks, so streamed
//! remote read responses can be checked sample by sample without trusting the server's codec.
//!
//! Layout (as in Prometheus `tsdb/chunkenc/xor.go`): a big-endian `u16` sample count, then a bit
//! stream: first sample as a signed varint timestamp and 64 raw value bits; second sample as an
//! unsigned varint timestamp delta; later timestamps as delta-of-delta in buckets `0`, `10`+14,
//! `110`+17, `1110`+20, `1111`+64 bits; every value after the first XORed with its predecessor
//! (`0` same, `10` reuse the previous leading/trailing zero window, `11`+5+6 bits new window).

use crate::{Result, fail};

struct BitReader<'a> {
    data: &'a [u8],
    pos: usize, // in bits
}

impl<'a> BitReader<'a> {
    fn new(data: &'a [u8]) -> Self {
        BitReader { data, pos: 0 }
    }

    fn bit(&mut self) -> Result<bool> {
        let byte = self
            .data
            .get(self.pos / 8)
            .ok_or_else(|| fail!("XOR chunk truncated at bit {}", self.pos))?;
        let b = byte & (0x80 >> (self.pos % 8)) != 0;
        self.pos += 1;
        Ok(b)
    }

    fn bits(&mut self, n: u32) -> Result<u64> {
        let mut v = 0u64;
        for _ in 0..n {
            v = (v << 1) | u64::from(self.bit()?);
        }
        Ok(v)
    }

    fn byte(&mut self) -> Result<u8> {
        Ok(self.bits(8)? as u8)
    }

    fn uvarint(&mut self) -> Result<u64> {
        let mut x = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            if shift == 63 && b > 1 {
                return Err(fail!("uvarint overflows u64"));
            }
            x |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(x);
            }
        }
        Err(fail!("uvarint too long"))
    }

    fn varint(&mut self) -> Result<i64> {
        let ux = self.uvarint()?;
        let x = (ux >> 1) as i64;
        Ok(if ux & 1 != 0 { !x } else { x })
    }
}

/// Decodes an XOR chunk into `(t, value bits)` pairs.
pub fn decode(chunk: &[u8]) -> Result<Vec<(i64, u64)>> {
    if chunk.len() < 2 {
        return Err(fail!("XOR chunk shorter than its 2-byte header"));
    }
    let n = usize::from(u16::from_be_bytes([chunk[0], chunk[1]]));
    let mut out = Vec::with_capacity(n);
    let mut br = BitReader::new(&chunk[2..]);
    let (mut t, mut t_delta, mut v) = (0i64, 0i64, 0u64);
    let (mut leading, mut trailing) = (0u32, 0u32);
    for i in 0..n {
        match i {
            0 => {
                t = br.varint()?;
                v = br.bits(64)?;
            }
            _ => {
                if i == 1 {
                    t_delta = br.uvarint()? as i64;
                } else {
                    let mut prefix = 0u32;
                    while prefix < 4 && br.bit()? {
                        prefix += 1;
                    }
                    let dod = match prefix {
                        0 => 0,
                        1 => signed(br.bits(14)?, 14),
                        2 => signed(br.bits(17)?, 17),
                        3 => signed(br.bits(20)?, 20),
                        _ => br.bits(64)? as i64,
                    };
                    t_delta = t_delta.wrapping_add(dod);
                }
                t = t.wrapping_add(t_delta);
                if br.bit()? {
                    if br.bit()? {
                        leading = br.bits(5)? as u32;
                        let mut sig = br.bits(6)? as u32;
                        if sig == 0 {
                            sig = 64;
                        }
                        trailing = 64u32
                            .checked_sub(leading + sig)
                            .ok_or_else(|| fail!("bad XOR window"))?;
                    }
                    let sig = 64 - leading - trailing;
                    let bits = br.bits(sig)?;
                    v ^= if trailing >= 64 { 0 } else { bits << trailing };
                }
            }
        }
        out.push((t, v));
    }
    Ok(out)
}

/// Sign-extends an `n`-bit two's complement bucket value the way Prometheus reads it.
fn signed(bits: u64, n: u32) -> i64 {
    if bits > (1 << (n - 1)) {
        bits as i64 - (1i64 << n)
    } else {
        bits as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prng::Rng;

    /// A straightforward port of Prometheus's XOR appender, used only to test the decoder.
    struct Encoder {
        bytes: Vec<u8>,
        bits: usize,
        n: u16,
        t: i64,
        t_delta: i64,
        v: u64,
        leading: u32,
        trailing: u32,
    }

    impl Encoder {
        fn new() -> Self {
            Encoder {
                bytes: vec![0, 0],
                bits: 16,
                n: 0,
                t: 0,
                t_delta: 0,
                v: 0,
                leading: 0xff,
                trailing: 0,
            }
        }
        fn bit(&mut self, b: bool) {
            if self.bits % 8 == 0 {
                self.bytes.push(0);
            }
            if b {
                let last = self.bytes.len() - 1;
                self.bytes[last] |= 0x80 >> (self.bits % 8);
            }
            self.bits += 1;
        }
        fn write(&mut self, v: u64, n: u32) {
            for i in (0..n).rev() {
                self.bit((v >> i) & 1 == 1);
            }
        }
        fn uvarint(&mut self, mut x: u64) {
            while x >= 0x80 {
                self.write((x as u8 | 0x80).into(), 8);
                x >>= 7;
            }
            self.write(x, 8);
        }
        fn append(&mut self, t: i64, v: u64) {
            match self.n {
                0 => {
                    self.uvarint(((t << 1) ^ (t >> 63)) as u64);
                    self.write(v, 64);
                }
                1 => {
                    self.t_delta = t - self.t;
                    self.uvarint(self.t_delta as u64);
                    self.value(v);
                }
                _ => {
                    let d = t - self.t;
                    let dod = d - self.t_delta;
                    let fits = |n: u32| -((1i64 << (n - 1)) - 1) <= dod && dod <= 1 << (n - 1);
                    if dod == 0 {
                        self.bit(false);
                    } else if fits(14) {
                        self.write(0b10, 2);
                        self.write(dod as u64 & ((1 << 14) - 1), 14);
                    } else if fits(17) {
                        self.write(0b110, 3);
                        self.write(dod as u64 & ((1 << 17) - 1), 17);
                    } else if fits(20) {
                        self.write(0b1110, 4);
                        self.write(dod as u64 & ((1 << 20) - 1), 20);
                    } else {
                        self.write(0b1111, 4);
                        self.write(dod as u64, 64);
                    }
                    self.t_delta = d;
                    self.value(v);
                }
            }
            self.t = t;
            self.v = v;
            self.n += 1;
            self.bytes[..2].copy_from_slice(&self.n.to_be_bytes());
        }
        fn value(&mut self, v: u64) {
            let delta = v ^ self.v;
            if delta == 0 {
                self.bit(false);
                return;
            }
            self.bit(true);
            let lead = delta.leading_zeros().min(31);
            let trail = delta.trailing_zeros();
            if self.leading != 0xff && lead >= self.leading && trail >= self.trailing {
                self.bit(false);
                let sig = 64 - self.leading - self.trailing;
                self.write(delta >> self.trailing, sig);
                return;
            }
            self.leading = lead;
            self.trailing = trail;
            self.bit(true);
            self.write(lead.into(), 5);
            let sig = 64 - lead - trail;
            self.write(u64::from(sig) & 63, 6);
            self.write(delta >> trail, sig);
        }
    }

    fn roundtrip(samples: &[(i64, u64)]) {
        let mut e = Encoder::new();
        for &(t, v) in samples {
            e.append(t, v);
        }
        assert_eq!(decode(&e.bytes).unwrap(), samples);
    }

    #[test]
    fn regular_scrapes_roundtrip() {
        let s: Vec<(i64, u64)> = (0..120)
            .map(|i| (1_700_000_000_000 + i * 15_000, (i as f64).to_bits()))
            .collect();
        roundtrip(&s);
    }

    #[test]
    fn jitter_specials_and_all_buckets_roundtrip() {
        let mut rng = Rng::new(99);
        let mut t = -5_000i64; // negative first timestamp exercises the zig-zag varint
        let specials = [
            f64::NAN.to_bits(),
            0x7ff0_0000_0000_0002,
            (-0.0f64).to_bits(),
            f64::INFINITY.to_bits(),
            1,
        ];
        let jumps = [
            1,
            8192,
            -8191,
            65_536,
            -65_535,
            524_288,
            -524_287,
            1 << 40,
            15_000,
        ];
        let mut s = Vec::new();
        for i in 0..400 {
            t += 15_000 + jumps[i % jumps.len()].max(-14_999) + rng.range(0, 7) as i64;
            let v = match i % 7 {
                0 => specials[i % specials.len()],
                1 => rng.next_u64(),
                2 => s.last().map(|&(_, v)| v).unwrap_or(0),
                _ => ((i as f64) * 0.1).to_bits(),
            };
            s.push((t, v));
        }
        roundtrip(&s);
    }

    #[test]
    fn empty_and_truncated_chunks() {
        assert_eq!(decode(&[0, 0]).unwrap(), vec![]);
        assert!(decode(&[0]).is_err());
        let mut e = Encoder::new();
        e.append(1000, 1.5f64.to_bits());
        e.append(2000, 2.5f64.to_bits());
        let cut = &e.bytes[..e.bytes.len() - 1];
        assert!(decode(cut).is_err());
    }
}
