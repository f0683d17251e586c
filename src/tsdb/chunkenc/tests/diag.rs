//! Temporary diagnostics.
use super::data::{Clock, KINDS, node_exporter};
use crate::tsdb::chunkenc::{StrataAppender, XorAppender};

#[test]
fn diag() {
    let series = node_exporter(2000, 42);
    // timestamps only: constant value 0
    for clock in [Clock::Jitter, Clock::Exact] {
        let (mut n, mut b, mut bx) = (0usize, 0usize, 0usize);
        for s in series.iter().filter(|s| s.clock == clock) {
            let mut a = StrataAppender::new();
            let mut x = XorAppender::new();
            for &(t, _) in &s.samples { a.append(t, 0.0).unwrap(); x.append(t, 0.0).unwrap(); }
            n += s.samples.len(); b += a.bytes().len(); bx += x.bytes().len();
        }
        println!("{clock:?}: ts+const0 strata {:.3} bits/sample xor {:.3}", b as f64 * 8.0 / n as f64, bx as f64 * 8.0 / n as f64);
    }
    // values only: exact timestamps
    for kind in KINDS {
        let (mut n, mut b, mut bx) = (0usize, 0usize, 0usize);
        for s in series.iter().filter(|s| s.kind == kind) {
            let mut a = StrataAppender::new();
            let mut x = XorAppender::new();
            for (i, &(_, v)) in s.samples.iter().enumerate() { a.append(i as i64 * 15000, v).unwrap(); x.append(i as i64 * 15000, v).unwrap(); }
            n += s.samples.len(); b += a.bytes().len(); bx += x.bytes().len();
        }
        println!("{kind:?}: values+exact ts strata {:.3} bits/sample xor {:.3}", b as f64 * 8.0 / n as f64, bx as f64 * 8.0 / n as f64);
    }
}
