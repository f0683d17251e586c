//! Element-wise float functions (`abs`, `round`, `clamp`, trigonometry, ...), with Go's
//! `math` semantics where they differ from Rust's (NaN in `min`/`max`, `log2`/`log10`).

use std::f64::consts::{LOG2_E, LOG10_2, PI};

/// The scalar argument at `i`, or `default` when the call left it out.
fn arg(args: &[f64], i: usize, default: f64) -> f64 {
    args.get(i).copied().unwrap_or(default)
}

pub(crate) fn abs(v: f64, _: &[f64]) -> f64 {
    v.abs()
}
pub(crate) fn ceil(v: f64, _: &[f64]) -> f64 {
    v.ceil()
}
pub(crate) fn floor(v: f64, _: &[f64]) -> f64 {
    v.floor()
}
pub(crate) fn exp(v: f64, _: &[f64]) -> f64 {
    v.exp()
}
pub(crate) fn sqrt(v: f64, _: &[f64]) -> f64 {
    v.sqrt()
}
pub(crate) fn ln(v: f64, _: &[f64]) -> f64 {
    v.ln()
}

/// Go's `math.Log2`: exact for powers of two, `ln(frac)/ln2 + exp` otherwise.
pub(crate) fn log2(v: f64, _: &[f64]) -> f64 {
    go_log2(v)
}

/// Go's `math.Log10`, computed as `log2(x) * (ln2 / ln10)`; this is why Prometheus's
/// results can differ from a correctly rounded log10 in the last bit.
pub(crate) fn log10(v: f64, _: &[f64]) -> f64 {
    // Go folds `Ln2 / Ln10` exactly at compile time: that is LOG10_2, not LN_2 / LN_10.
    go_log2(v) * LOG10_2
}

fn go_log2(x: f64) -> f64 {
    let (frac, exp) = frexp(x);
    if frac == 0.5 {
        return f64::from(exp - 1);
    }
    frac.ln() * LOG2_E + f64::from(exp)
}

/// Go's `math.Frexp`: `x = frac * 2^exp` with `0.5 <= |frac| < 1`; zero, infinities and NaN
/// come back unchanged with exponent 0.
fn frexp(x: f64) -> (f64, i32) {
    if x == 0.0 || x.is_infinite() || x.is_nan() {
        return (x, 0);
    }
    let (mut x, mut exp) = (x, 0);
    if x.abs() < f64::MIN_POSITIVE {
        // Subnormal: scale into the normal range first.
        x *= (1u64 << 52) as f64;
        exp = -52;
    }
    let bits = x.to_bits();
    exp += ((bits >> 52) & 0x7ff) as i32 - 1022;
    let frac = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (frac, exp)
}

pub(crate) fn sgn(v: f64, _: &[f64]) -> f64 {
    // Zero (of either sign) and NaN come back as they are.
    if v < 0.0 {
        -1.0
    } else if v > 0.0 {
        1.0
    } else {
        v
    }
}

pub(crate) fn deg(v: f64, _: &[f64]) -> f64 {
    v * 180.0 / PI
}
pub(crate) fn rad(v: f64, _: &[f64]) -> f64 {
    v * PI / 180.0
}

pub(crate) fn sin(v: f64, _: &[f64]) -> f64 {
    v.sin()
}
pub(crate) fn cos(v: f64, _: &[f64]) -> f64 {
    v.cos()
}
pub(crate) fn tan(v: f64, _: &[f64]) -> f64 {
    v.tan()
}
pub(crate) fn asin(v: f64, _: &[f64]) -> f64 {
    v.asin()
}
pub(crate) fn acos(v: f64, _: &[f64]) -> f64 {
    v.acos()
}
pub(crate) fn atan(v: f64, _: &[f64]) -> f64 {
    v.atan()
}
pub(crate) fn sinh(v: f64, _: &[f64]) -> f64 {
    v.sinh()
}
pub(crate) fn cosh(v: f64, _: &[f64]) -> f64 {
    v.cosh()
}
pub(crate) fn tanh(v: f64, _: &[f64]) -> f64 {
    v.tanh()
}
pub(crate) fn asinh(v: f64, _: &[f64]) -> f64 {
    v.asinh()
}
pub(crate) fn acosh(v: f64, _: &[f64]) -> f64 {
    v.acosh()
}
pub(crate) fn atanh(v: f64, _: &[f64]) -> f64 {
    v.atanh()
}

/// `round(v, to_nearest=1)`: ties round up, and the inverse of `to_nearest` is used because
/// it causes fewer floating point surprises (`round(2.345, 0.01)` is 2.35). A `to_nearest`
/// of 0 yields NaN, as in Prometheus.
pub(crate) fn round(v: f64, args: &[f64]) -> f64 {
    let inverse = 1.0 / arg(args, 0, 1.0);
    (v * inverse + 0.5).floor() / inverse
}

/// `clamp(v, min, max)`. When `max < min` Prometheus returns an empty vector: the evaluator
/// must check that before calling this (see the module docs of `functions`).
pub(crate) fn clamp(v: f64, args: &[f64]) -> f64 {
    let (min, max) = (arg(args, 0, f64::NAN), arg(args, 1, f64::NAN));
    go_max(min, go_min(max, v))
}

pub(crate) fn clamp_min(v: f64, args: &[f64]) -> f64 {
    go_max(arg(args, 0, f64::NAN), go_min(f64::INFINITY, v))
}

pub(crate) fn clamp_max(v: f64, args: &[f64]) -> f64 {
    go_max(f64::NEG_INFINITY, go_min(arg(args, 0, f64::NAN), v))
}

/// Go's `math.Min`: -Inf wins over everything (even NaN), then NaN wins, and -0 < +0.
fn go_min(x: f64, y: f64) -> f64 {
    if x == f64::NEG_INFINITY || y == f64::NEG_INFINITY {
        f64::NEG_INFINITY
    } else if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if x == 0.0 && x == y {
        if x.is_sign_negative() { x } else { y }
    } else if x < y {
        x
    } else {
        y
    }
}

/// Go's `math.Max`: +Inf wins over everything (even NaN), then NaN wins, and +0 > -0.
fn go_max(x: f64, y: f64) -> f64 {
    if x == f64::INFINITY || y == f64::INFINITY {
        f64::INFINITY
    } else if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if x == 0.0 && x == y {
        if x.is_sign_negative() { y } else { x }
    } else if x > y {
        x
    } else {
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_ties_up_and_uses_the_inverse() {
        assert_eq!(round(-2.5, &[]), -2.0);
        assert_eq!(round(2.5, &[]), 3.0);
        assert_eq!(round(2.345, &[0.01]), 2.35);
        assert_eq!(round(17.0, &[5.0]), 15.0);
        assert_eq!(round(18.0, &[5.0]), 20.0);
        assert!(round(1.5, &[0.0]).is_nan());
    }

    #[test]
    fn clamp_follows_go_min_max() {
        assert_eq!(clamp(-50.0, &[-25.0, 75.0]), -25.0);
        assert_eq!(clamp(100.0, &[-25.0, 75.0]), 75.0);
        assert_eq!(clamp(0.0, &[-25.0, 75.0]), 0.0);
        assert!(clamp(-50.0, &[0.0, f64::NAN]).is_nan());
        assert!(clamp(100.0, &[f64::NAN, 0.0]).is_nan());
        assert!(clamp(f64::NAN, &[0.0, 1.0]).is_nan());
        // Go's Min lets -Inf beat NaN, and Max lets +Inf beat NaN.
        assert_eq!(clamp_max(f64::NAN, &[f64::NEG_INFINITY]), f64::NEG_INFINITY);
        assert_eq!(clamp_min(f64::NAN, &[f64::INFINITY]), f64::INFINITY);
        assert_eq!(clamp_min(-50.0, &[-25.0]), -25.0);
        assert_eq!(clamp_max(100.0, &[75.0]), 75.0);
        assert!(clamp_max(-0.0, &[0.0]).is_sign_negative());
    }

    #[test]
    fn sgn_keeps_zero_and_nan() {
        assert_eq!(sgn(-3.0, &[]), -1.0);
        assert_eq!(sgn(f64::INFINITY, &[]), 1.0);
        assert!(sgn(-0.0, &[]).is_sign_negative());
        assert!(sgn(f64::NAN, &[]).is_nan());
    }

    #[test]
    fn logs_match_go() {
        assert_eq!(log2(8.0, &[]), 3.0);
        assert_eq!(log2(0.25, &[]), -2.0);
        assert_eq!(log10(1e-5, &[]), -5.0);
        assert_eq!(log10(1000.0, &[]), 3.0);
        // Values printed by Prometheus for log2(3), log2(1e-300), log10(123.456), log10(7).
        assert_eq!(log2(3.0, &[]), 1.5849625007211563);
        assert_eq!(log2(1e-300, &[]), -996.5784284662087);
        assert_eq!(log10(123.456, &[]), 2.0915122016277716);
        assert_eq!(log10(7.0, &[]), 0.8450980400142568);
        assert_eq!(log2(0.0, &[]), f64::NEG_INFINITY);
        assert!(log10(-1.0, &[]).is_nan());
        assert_eq!(log2(f64::INFINITY, &[]), f64::INFINITY);
        assert_eq!(log2(f64::from_bits(1), &[]), -1074.0);
    }

    #[test]
    fn angle_conversion() {
        assert_eq!(deg(1.0, &[]), 57.29577951308232);
        assert_eq!(rad(180.0, &[]), PI);
        assert_eq!(deg(PI, &[]), 180.0);
    }
}
