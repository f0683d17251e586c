//! Bytes per sample of both encodings on the synthetic node_exporter-like data set.

use super::data::{Clock, KINDS, Kind, node_exporter};
use crate::tsdb::chunkenc::{Encoding, StrataAppender, XorAppender, iter_chunk};
use promql::SampleIterator;

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    samples: usize,
    xor: usize,
    strata: usize,
}

impl Tally {
    fn add(&mut self, o: Tally) {
        self.samples += o.samples;
        self.xor += o.xor;
        self.strata += o.strata;
    }
    fn line(&self, name: &str) -> String {
        let n = self.samples as f64;
        format!(
            "{name:<14} {:>8} samples   xor {:>6.3} B/sample   strata {:>6.3} B/sample   ratio {:>5.2}",
            self.samples,
            self.xor as f64 / n,
            self.strata as f64 / n,
            self.xor as f64 / self.strata as f64
        )
    }
}

fn encode(samples: &[(i64, f64)]) -> (Vec<u8>, Vec<u8>) {
    let mut x = XorAppender::new();
    let mut s = StrataAppender::new();
    for &(t, v) in samples {
        x.append(t, v).expect("xor append");
        s.append(t, v).expect("strata append");
    }
    (x.into_bytes(), s.into_bytes())
}

fn check_decodes(enc: Encoding, data: &[u8], samples: &[(i64, f64)]) {
    let mut it = iter_chunk(enc, data);
    for &(t, v) in samples {
        assert!(it.next(), "{enc:?}: {:?}", it.err());
        assert_eq!(it.at().0, t);
        assert_eq!(it.at().1.to_bits(), v.to_bits());
    }
    assert!(!it.next());
    assert!(it.err().is_none());
}

#[test]
fn node_exporter_bytes_per_sample() {
    let series = node_exporter(2000, 42);
    let mut by_kind = [Tally::default(); 4];
    let mut by_clock = [Tally::default(); 2];
    let mut total = Tally::default();
    for s in &series {
        let (x, st) = encode(&s.samples);
        check_decodes(Encoding::Xor, &x, &s.samples);
        check_decodes(Encoding::Strata, &st, &s.samples);
        let t = Tally {
            samples: s.samples.len(),
            xor: x.len(),
            strata: st.len(),
        };
        by_kind[KINDS.iter().position(|k| *k == s.kind).unwrap_or(0)].add(t);
        by_clock[usize::from(s.clock == Clock::Exact)].add(t);
        total.add(t);
    }
    for (k, t) in KINDS.iter().zip(&by_kind) {
        let name = match k {
            Kind::ConstGauge => "const gauge",
            Kind::CpuCounter => "cpu counter",
            Kind::ByteCounter => "byte counter",
            Kind::MemGauge => "memory gauge",
        };
        println!("{}", t.line(name));
    }
    println!("{}", by_clock[0].line("jitter ±5 ms"));
    println!("{}", by_clock[1].line("exact"));
    println!("{}", total.line("all"));
    let per_sample = total.strata as f64 / total.samples as f64;
    assert!(
        per_sample < 1.0,
        "strata {per_sample:.3} B/sample, want < 1.0"
    );
    assert!(
        total.strata * 2 < total.xor,
        "strata {} bytes is not under half of xor {} bytes",
        total.strata,
        total.xor
    );
}
