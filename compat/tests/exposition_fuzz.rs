//! In-process fuzzing of both exposition parsers: random bytes and mutations of valid bodies
//! must end in a result or an error, never a panic, and an accepted body's samples must be
//! well-formed (sorted unique label names, `__name__` present, no empty values).

use compat::exposition::{Format, ParseOptions, Scrape, Validation, parse};

/// xorshift64*: deterministic, so a failure reproduces from its iteration number.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SEEDS: &[&str] = &[
    "# HELP a_total Help \\\\ \\n text.\n# TYPE a_total counter\na_total{b=\"c\",d=\"e\\\"f\"} 1 1700000000000\n",
    "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n",
    "{\"x.y\",\"ü\"=\"v\"} NaN\nz -Inf\n# comment\n\n",
    "# TYPE a_seconds counter\n# UNIT a_seconds seconds\na_seconds_total{x=\"1\"} 1 1.5 # {t=\"q\"} 2 3\na_seconds_created{x=\"1\"} 1\n# EOF\n",
    "# TYPE s summary\ns{quantile=\"0.5\"} 1\ns_sum 1\ns_count 1\n# TYPE i info\ni_info{v=\"1\"} 1\n# EOF\n",
    "# TYPE g gaugehistogram\ng_bucket{le=\"-1\"} 1\ng_bucket{le=\"+Inf\"} 2\ng_gcount 2\ng_gsum -3\n# EOF\n",
];

const ALPHABET: &[u8] = b" \t\n\r\0#{}=,\"\\_.:aZ09+-eE# EOFHELPTYPEUNIT\xff\xc3\xbc";

fn mutate(rng: &mut Rng, body: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(body.len() + 1);
        match rng.below(4) {
            0 if at < body.len() => {
                body.remove(at);
            }
            1 if at < body.len() => body[at] = ALPHABET[rng.below(ALPHABET.len())],
            2 => body.insert(at, ALPHABET[rng.below(ALPHABET.len())]),
            _ => {
                let end = (at + rng.below(16)).min(body.len());
                let chunk = body[at..end].to_vec();
                let to = rng.below(body.len() + 1);
                body.splice(to..to, chunk);
            }
        }
    }
}

fn check(scrape: &Scrape<'_>) {
    for s in &scrape.samples {
        assert!(s.labels.iter().any(|(n, _)| n == "__name__"));
        assert!(
            s.labels
                .windows(2)
                .all(|w| w[0].0.as_bytes() < w[1].0.as_bytes())
        );
        assert!(s.labels.iter().all(|(n, v)| !n.is_empty() && !v.is_empty()));
        assert!(s.family.is_none_or(|f| f < scrape.families.len()));
    }
}

#[test]
fn no_input_panics() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let spec = ParseOptions {
        validation: Validation::OpenMetricsSpec,
        ..ParseOptions::default()
    };
    let mut accepted = 0;
    for i in 0..6000 {
        let body: Vec<u8> = if i % 5 == 0 {
            (0..rng.below(64))
                .map(|_| ALPHABET[rng.below(ALPHABET.len())])
                .collect()
        } else {
            let mut b = SEEDS[rng.below(SEEDS.len())].as_bytes().to_vec();
            mutate(&mut rng, &mut b);
            b
        };
        for (format, options) in [
            (Format::Text, ParseOptions::default()),
            (Format::OpenMetrics, ParseOptions::default()),
            (Format::OpenMetrics, spec),
        ] {
            if let Ok(s) = parse(&body, format, &options) {
                check(&s);
                accepted += 1;
            }
        }
    }
    // The mutations must not be so wild that nothing parses: the accept paths get exercised.
    assert!(accepted > 600, "only {accepted} bodies parsed");
}

#[test]
fn seeds_parse() {
    for (k, seed) in SEEDS.iter().enumerate() {
        let format = if seed.ends_with("# EOF\n") {
            Format::OpenMetrics
        } else {
            Format::Text
        };
        let parsed = parse(seed.as_bytes(), format, &ParseOptions::default());
        assert!(parsed.is_ok(), "seed {k}: {parsed:?}");
    }
}
