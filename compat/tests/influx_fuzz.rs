//! In-process fuzzing of the line protocol parser with a seeded generator:
//! 1. random points, written with the protocol's escaping, parse back to the same point;
//! 2. random mutations of valid bodies never panic, and the batch counts stay consistent.
//!
//! `INFLUX_FUZZ_ITERS` raises the number of cases (default 20,000 each).

use compat::influx::{FieldValue, Lines, ParseOptions, Point, Precision, parse_batch, parse_line};

/// xorshift64*: deterministic, good enough to spread cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

fn iters() -> usize {
    std::env::var("INFLUX_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000)
}

const NAME_CHARS: &[char] = &[
    'a', 'b', 'Z', '0', '_', ' ', ',', '=', '"', 'é', '.', '-', '#',
];
const STRING_CHARS: &[char] = &['x', ' ', ',', '=', '"', '\\', '\n', 'ü', 'n'];

fn name(rng: &mut Rng) -> String {
    let len = 1 + rng.below(6);
    (0..len).map(|_| *rng.pick(NAME_CHARS)).collect()
}

fn escape(s: &str, specials: &[char]) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if specials.contains(&c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn value(rng: &mut Rng) -> (FieldValue<'static>, String) {
    match rng.below(5) {
        0 => {
            let v = (rng.next() as i64 as f64) / 1e6;
            (FieldValue::Float(v), format!("{v:e}"))
        }
        1 => {
            let v = rng.next() as i64;
            (FieldValue::Integer(v), format!("{v}i"))
        }
        2 => {
            let v = rng.next();
            (FieldValue::Unsigned(v), format!("{v}u"))
        }
        3 => {
            let b = rng.below(2) == 0;
            let text = rng.pick(if b {
                &["t", "T", "true", "True", "TRUE"]
            } else {
                &["f", "F", "false", "False", "FALSE"]
            });
            (FieldValue::Boolean(b), text.to_string())
        }
        _ => {
            let len = rng.below(8);
            let s: String = (0..len).map(|_| *rng.pick(STRING_CHARS)).collect();
            let text = format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
            (FieldValue::String(s.into()), text)
        }
    }
}

#[test]
fn generated_points_round_trip() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let opts = ParseOptions::default();
    for case in 0..iters() {
        let mut m = name(&mut rng);
        // A leading `#` makes a comment line in a batch; parse_line sees it as a name.
        if m.starts_with(' ') {
            m.insert(0, 'x');
        }
        let mut line = escape(&m, &[',', ' ']);
        let mut tags: Vec<(String, String)> = Vec::new();
        for _ in 0..rng.below(4) {
            let k = name(&mut rng);
            if tags.iter().all(|t| t.0 != k) {
                tags.push((k, name(&mut rng)));
            }
        }
        for (k, v) in &tags {
            line.push(',');
            line.push_str(&escape(k, &[',', ' ', '=']));
            line.push('=');
            line.push_str(&escape(v, &[',', ' ', '=']));
        }
        line.push(' ');
        let mut fields: Vec<(String, FieldValue<'static>)> = Vec::new();
        for i in 0..1 + rng.below(4) {
            let k = format!("{}{i}", name(&mut rng));
            let (v, text) = value(&mut rng);
            if i > 0 {
                line.push(',');
            }
            line.push_str(&escape(&k, &[',', ' ', '=']));
            line.push('=');
            line.push_str(&text);
            fields.push((k, v));
        }
        let t = rng.next() as i64 / 4;
        line.push_str(&format!(" {t}"));

        let mut point = Point::default();
        let r = parse_line(line.as_bytes(), &opts, &mut point);
        assert_eq!(r, Ok(()), "case {case}: {line:?}");
        assert_eq!(point.measurement, m, "case {case}: {line:?}");
        tags.sort();
        let got: Vec<(String, String)> = point
            .tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(got, tags, "case {case}: {line:?}");
        assert_eq!(point.fields.len(), fields.len(), "case {case}: {line:?}");
        for ((gk, gv), (wk, wv)) in point.fields.iter().zip(&fields) {
            assert_eq!(gk, wk, "case {case}: {line:?}");
            assert_eq!(gv, wv, "case {case}: {line:?}");
        }
        assert_eq!(point.time_ns, t, "case {case}: {line:?}");
    }
}

const SEEDS: &[&str] = &[
    "cpu,host=a,region=eu usage=0.5,idle=1i,ok=t,name=\"x y\" 1700000000000000000",
    r#"m\ x,k\,1=v\=2 f\ 1=1u,s="q\"\\" -5"#,
    "weather,loc=us temp=82.5,hum=1e3 1465839830100400200\nweather temp=1",
    "# comment\n\nm v=1\r\n",
];

const NOISE: &[u8] = b" ,=\"\\\n\r\t#-.0123456789eiuTtFfNa\xc3\xa9\xff";

#[test]
fn mutated_bodies_never_panic() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let opts = ParseOptions {
        precision: Precision::Second,
        now_ns: 1_700_000_000_000_000_000,
        max_line_bytes: 200,
        max_errors_kept: 3,
    };
    for _ in 0..iters() {
        let mut body = rng.pick(SEEDS).as_bytes().to_vec();
        for _ in 0..1 + rng.below(6) {
            let at = rng.below(body.len() + 1);
            match rng.below(4) {
                0 => body.insert(at, *rng.pick(NOISE)),
                1 if at < body.len() => {
                    body.remove(at);
                }
                2 if at < body.len() => body[at] = *rng.pick(NOISE),
                _ => {
                    let other = rng.pick(SEEDS).as_bytes();
                    let cut = rng.below(other.len());
                    body.splice(at..at, other[cut..].iter().copied());
                }
            }
        }
        let mut points = 0;
        let summary = parse_batch(&body, &opts, |_, p| {
            points += 1;
            assert!(!p.fields.is_empty());
            assert!(p.tags.windows(2).all(|w| w[0].0 < w[1].0));
            assert!(p.tags.iter().all(|t| !t.0.is_empty() && !t.1.is_empty()));
        });
        let candidate_lines = Lines::new(&body)
            .filter(|(_, l)| {
                let t: Vec<u8> = l
                    .iter()
                    .copied()
                    .skip_while(|b| matches!(b, b' ' | b'\t' | 0))
                    .collect();
                !(t.is_empty() || t == b"\r" || t[0] == b'#')
            })
            .count();
        assert_eq!(points, summary.points);
        assert_eq!(summary.points + summary.rejected, candidate_lines);
        assert!(summary.errors.len() <= summary.rejected.min(3));
        assert!(summary.errors.windows(2).all(|w| w[0].line < w[1].line));
    }
}
