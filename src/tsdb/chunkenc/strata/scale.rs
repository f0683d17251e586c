//! How a decimal-mode chunk turns its integer mantissas into the stored floats.
//!
//! Exporters make "decimal" floats in more than one way, and only the exact computation gives
//! back the exact bits: Go's `Duration.Seconds()` divides nanoseconds by `1e9`, node_exporter's
//! diskstats multiplies milliseconds by `0.001`, its pressure collector divides microseconds by
//! 1000 twice. A value like `424.42400000000004` is not `424424 / 1000` but is
//! `424424 * 0.001`; coded as a float it costs five bytes, as a decimal under the right scale
//! one or two. The decoder must compute exactly what the encoder checked, so both call this.

/// Values are `m as f64 / 10^e`.
pub(crate) const MODE_DECIMAL: u8 = 1;
/// Values are `m as f64 * 10^-e` (the `f64` nearest `10^-e`).
pub(crate) const MODE_DECIMAL_MUL: u8 = 2;
/// Values are `m as f64` divided by 1000, `e / 3` times (`e` a positive multiple of 3).
pub(crate) const MODE_DECIMAL_THOUSANDS: u8 = 3;

/// Largest decimal exponent `e`; `10^e` must be exact in an `f64` (true up to 22).
pub(crate) const MAX_EXP: u8 = 15;
/// Decimal mantissas stay below this in magnitude, so every one is exact in an `f64`.
pub(crate) const DECIMAL_LIMIT: i64 = 1 << 53;

const POW10: [f64; MAX_EXP as usize + 1] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];
const NEG_POW10: [f64; MAX_EXP as usize + 1] = [
    1e0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10, 1e-11, 1e-12, 1e-13, 1e-14,
    1e-15,
];

/// A decimal mode and its exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Scale {
    pub(crate) mode: u8,
    pub(crate) e: u8,
}

/// The decimal modes an encoder tries, in order of preference.
pub(crate) const DECIMAL_MODES: [u8; 3] = [MODE_DECIMAL, MODE_DECIMAL_MUL, MODE_DECIMAL_THOUSANDS];

impl Scale {
    /// A decimal mode with an exponent it allows, else `None`.
    pub(crate) fn new(mode: u8, e: u8) -> Option<Scale> {
        let ok = match mode {
            MODE_DECIMAL | MODE_DECIMAL_MUL => e <= MAX_EXP,
            MODE_DECIMAL_THOUSANDS => e <= MAX_EXP && e > 0 && e % 3 == 0,
            _ => false,
        };
        ok.then_some(Scale { mode, e })
    }

    /// The value of mantissa `m` (`abs(m) < 2^53`).
    #[inline]
    pub(crate) fn value(self, m: i64) -> f64 {
        let x = m as f64;
        let e = usize::from(self.e);
        match self.mode {
            MODE_DECIMAL_MUL => x * NEG_POW10[e],
            MODE_DECIMAL_THOUSANDS => (0..self.e / 3).fold(x, |y, _| y / 1000.0),
            _ => x / POW10[e],
        }
    }

    /// `m` whose value has exactly the bits of `v`, if there is one below 2^53.
    #[inline]
    pub(crate) fn mantissa(self, v: f64) -> Option<i64> {
        let x = (v * POW10[usize::from(self.e)]).round();
        // Also rejects NaN and infinities, for which the comparison is false.
        if x.abs() < DECIMAL_LIMIT as f64 {
            let m = x as i64;
            return (self.value(m).to_bits() == v.to_bits()).then_some(m);
        }
        None
    }

    /// The scale with the smallest exponent at which `v` is a decimal (the first of
    /// [`DECIMAL_MODES`] on a tie).
    pub(crate) fn smallest(v: f64) -> Option<Scale> {
        DECIMAL_MODES
            .iter()
            .filter_map(|&mode| Scale::min_exp(mode, v))
            .min_by_key(|s| s.e)
    }

    /// The smallest exponent at which `v` is a decimal of `mode`.
    pub(crate) fn min_exp(mode: u8, v: f64) -> Option<Scale> {
        (0..=MAX_EXP)
            .filter_map(|e| Scale::new(mode, e))
            .find(|s| s.mantissa(v).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_mode_recovers_what_its_computation_made() {
        // node_exporter's diskstats: milliseconds * 0.001.
        let ms = 424_424i64;
        let v = ms as f64 * 0.001;
        assert_eq!(v, 424.42400000000004);
        assert_eq!(Scale::min_exp(MODE_DECIMAL, v), None);
        let mul = Scale::min_exp(MODE_DECIMAL_MUL, v).unwrap();
        assert_eq!((mul.e, mul.mantissa(v)), (3, Some(ms)));
        assert_eq!(Scale::smallest(v), Some(mul));
        // The pressure collector: microseconds / 1000 / 1000.
        let us = 222_283_687i64;
        let v = us as f64 / 1000.0 / 1000.0;
        assert_eq!(v, 222.28368700000001);
        assert_eq!(Scale::min_exp(MODE_DECIMAL, v), None);
        let th = Scale::min_exp(MODE_DECIMAL_THOUSANDS, v).unwrap();
        assert_eq!((th.e, th.mantissa(v)), (6, Some(us)));
        // Go's Duration.Seconds() below a second: nanoseconds / 1e9.
        let v = 53_069f64 / 1e9;
        let div = Scale::min_exp(MODE_DECIMAL, v).unwrap();
        assert_eq!((div.e, div.mantissa(v)), (9, Some(53_069)));
    }

    #[test]
    fn exponents_and_modes_outside_the_format_are_refused() {
        assert!(Scale::new(MODE_DECIMAL, 16).is_none());
        assert!(Scale::new(MODE_DECIMAL_THOUSANDS, 0).is_none());
        assert!(Scale::new(MODE_DECIMAL_THOUSANDS, 4).is_none());
        assert!(Scale::new(0, 0).is_none());
        assert!(Scale::new(4, 0).is_none());
        for mode in DECIMAL_MODES {
            let s = Scale::min_exp(mode, 1.5).unwrap();
            assert_eq!(s.value(s.mantissa(1.5).unwrap()), 1.5);
            assert_eq!(s.mantissa(f64::NAN), None);
            assert_eq!(s.mantissa(f64::INFINITY), None);
        }
    }
}
