//! In-process fuzzing of the Graphite framer, line parser and path templates: seeded random
//! bytes and mutations of valid lines must never panic, and whatever is accepted must be
//! consistent with the input.

use compat::graphite::{LineFramer, Mapping, Timestamp, parse_line};

/// xorshift64*: a fixed, dependency-free sequence so a failure reproduces from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const SEEDS: &[&[u8]] = &[
    b"servers.web1.cpu 12.5 1700000000",
    b"a.b -1e3 -1",
    b"disk.used;dc=eu;host=a 5 N",
    b"x;k=v=w inf 1.5",
    b"~x;name=y 1",
    b"a.b nan 10",
    "größe.µs;ü=é 3 4".as_bytes(),
];

/// Bytes that matter to the grammar, so mutations hit the interesting branches often.
const ALPHABET: &[u8] = b" \t\r\n;=~!^.*$-+eE0123456789abcNnIiFf_\xff\xc3\x00";

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let pick = ALPHABET[rng.below(ALPHABET.len())];
        match rng.below(4) {
            0 if !v.is_empty() => {
                let i = rng.below(v.len());
                v[i] = pick;
            }
            1 => {
                let i = rng.below(v.len() + 1);
                v.insert(i, pick);
            }
            2 if !v.is_empty() => {
                let i = rng.below(v.len());
                v.remove(i);
            }
            _ => {
                let i = rng.below(v.len() + 1);
                let j = rng.below(v.len() + 1);
                let (a, b) = (i.min(j), i.max(j));
                let dup = v[a..b].to_vec();
                v.splice(a..a, dup);
            }
        }
    }
    v
}

fn check_line(line: &[u8]) {
    match parse_line(line) {
        Ok(Some(l)) => {
            let text = std::str::from_utf8(line).expect("accepted lines are UTF-8");
            assert!(!l.path.is_empty());
            assert!(text.contains(l.path));
            assert!(!l.value.is_nan());
            for (k, v) in l.tags() {
                assert!(!k.is_empty() && !v.is_empty() && !k.starts_with("__"));
                assert!(!k.contains([';', '=', '!', '^']) && !v.contains(';'));
                assert!(!v.starts_with('~'));
                assert_ne!(k, "name");
            }
            if let Timestamp::Millis(ms) = l.timestamp {
                assert!(ms.unsigned_abs() < 9_200_000_000_000_000_000);
            }
        }
        Ok(None) => assert!(line.iter().all(|b| b.is_ascii_whitespace() || *b == 0x0b)),
        Err(e) => {
            assert!(e.offset <= line.len(), "{e} in {line:?}");
            assert!(e.detail.len() <= 64);
        }
    }
}

#[test]
fn mutated_lines_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for i in 0..200_000 {
        let seed = SEEDS[i % SEEDS.len()];
        let line = mutate(&mut rng, seed);
        check_line(&line);
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(42);
    for _ in 0..50_000 {
        let len = rng.below(64);
        let line: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        check_line(&line);
    }
}

#[test]
fn framer_never_exceeds_its_limit_and_loses_no_short_line() {
    let mut rng = Rng(7);
    for _ in 0..2_000 {
        let max = 1 + rng.below(40);
        let mut stream = Vec::new();
        let mut short_lines = 0;
        for _ in 0..rng.below(30) {
            let len = rng.below(60);
            stream.extend((0..len).map(|_| b'a' + (rng.below(26) as u8)));
            stream.push(b'\n');
            if len <= max {
                short_lines += 1;
            }
        }
        let mut f = LineFramer::new(max);
        let mut out = Vec::new();
        let mut dropped = 0;
        let mut rest = &stream[..];
        while !rest.is_empty() {
            let n = 1 + rng.below(rest.len().min(50));
            dropped += f.push(&rest[..n], &mut out);
            assert!(f.buffered() <= max);
            rest = &rest[n..];
        }
        f.finish(&mut out);
        let lines: Vec<&[u8]> = out
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        let empty_in = stream
            .split(|&b| b == b'\n')
            .filter(|l| l.is_empty())
            .count()
            - 1;
        assert_eq!(lines.len() + empty_in, short_lines);
        assert_eq!(
            short_lines + dropped,
            stream.iter().filter(|&&b| b == b'\n').count()
        );
        assert!(lines.iter().all(|l| l.len() <= max));
    }
}

#[test]
fn mutated_rule_files_and_paths_never_panic() {
    let base = "servers.*.cpu.* -> cpu_$2 host=$1\na.*x*.b -> ab first=$1 second=${2}";
    let mut rng = Rng(99);
    let mut loaded = 0;
    for _ in 0..20_000 {
        let text = mutate(&mut rng, base.as_bytes());
        let Ok(text) = String::from_utf8(text) else {
            continue;
        };
        if let Ok(m) = Mapping::parse(&text) {
            loaded += 1;
            for seed in [
                "servers.web1.cpu.idle",
                "a.1x2x3.b",
                "a.x.b",
                "servers..cpu.",
            ] {
                let path = mutate(&mut rng, seed.as_bytes());
                if let Ok(p) = std::str::from_utf8(&path)
                    && let Some(mapped) = m.apply(p)
                {
                    assert!(!mapped.name.is_empty());
                    assert!(mapped.labels.iter().all(|(_, v)| !v.is_empty()));
                }
            }
        }
    }
    assert!(
        loaded > 100,
        "mutations should leave many rule files loadable, got {loaded}"
    );
}
