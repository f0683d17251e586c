//! Kahan–Neumaier compensated summation, the way Prometheus applies it: the running sum and
//! its compensation are kept apart and only added at the end, and an infinite running sum
//! resets the compensation (otherwise `Inf - Inf` would turn the result into NaN).

/// Adds `inc` to `sum`, returning the new sum and the new compensation term.
pub(crate) fn kahan_inc(inc: f64, sum: f64, c: f64) -> (f64, f64) {
    let t = sum + inc;
    let c = if t.is_infinite() {
        0.0
    } else if sum.abs() >= inc.abs() {
        // Neumaier's variant: compensate with whichever operand lost low-order bits.
        c + ((sum - t) + inc)
    } else {
        c + ((inc - t) + sum)
    };
    (t, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_small_terms_lost_to_a_large_one() {
        let mut acc = (0.0, 0.0);
        for v in [1.0, 1e100, 1.0, -1e100] {
            acc = kahan_inc(v, acc.0, acc.1);
        }
        assert_eq!(acc.0 + acc.1, 2.0);
    }

    #[test]
    fn infinite_sum_clears_compensation() {
        let (s, c) = kahan_inc(f64::INFINITY, 1.0, 0.5);
        assert_eq!(s, f64::INFINITY);
        assert_eq!(c, 0.0);
    }
}
