//! Date functions (`year`, `month`, `hour`, ...): a Unix time in seconds to a UTC calendar
//! field.
//!
//! Prometheus converts the float with Go's `int64(v)` (truncation toward zero, so -0.5 s is
//! 1970-01-01 00:00:00) and reads the field with Go's `time` package. The calendar math below
//! is Go's: days counted from an "absolute" epoch far in the past in unsigned 64-bit
//! arithmetic, split into 400/100/4/1-year cycles. Following it exactly makes every
//! representable time agree with Prometheus, including the wrapped-around values Go produces
//! for NaN and out-of-range inputs (`year(vector(NaN))` is 292277026596 in Prometheus).

const SECONDS_PER_MINUTE: u64 = 60;
const SECONDS_PER_HOUR: u64 = 60 * SECONDS_PER_MINUTE;
const SECONDS_PER_DAY: u64 = 24 * SECONDS_PER_HOUR;
const SECONDS_PER_WEEK: u64 = 7 * SECONDS_PER_DAY;
const DAYS_PER_400_YEARS: u64 = 365 * 400 + 97;
const DAYS_PER_100_YEARS: u64 = 365 * 100 + 24;
const DAYS_PER_4_YEARS: u64 = 365 * 4 + 1;

/// The year Go's absolute time count starts in.
const ABSOLUTE_ZERO_YEAR: i64 = -292_277_022_399;
/// Seconds from Go's absolute zero to the Unix epoch.
const UNIX_TO_ABSOLUTE: u64 = 9_223_372_028_715_321_600;

/// Days before the start of each month in a non-leap year; index 12 is the year's length.
const DAYS_BEFORE: [i64; 13] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

/// Go's `int64(f)` on amd64: truncation toward zero, and the "integer indefinite" value
/// (i64::MIN) for NaN and anything out of range.
fn go_int64(v: f64) -> i64 {
    // 2^63 is exactly representable; every float in (-2^63, 2^63) truncates into range.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if v.is_nan() || !(-LIMIT..LIMIT).contains(&v) {
        i64::MIN
    } else {
        v.trunc() as i64
    }
}

/// Seconds since Go's absolute zero, wrapping like Go's `uint64` conversion.
fn absolute(unix_seconds: f64) -> u64 {
    (go_int64(unix_seconds) as u64).wrapping_add(UNIX_TO_ABSOLUTE)
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// The calendar date of an absolute time: (year, month 1-12, day 1-31, day of year 0-365).
fn civil(abs: u64) -> (i64, i64, i64, i64) {
    let mut d = abs / SECONDS_PER_DAY;

    let n = d / DAYS_PER_400_YEARS;
    let mut y = 400 * n;
    d -= DAYS_PER_400_YEARS * n;

    // The last day of a 400-year cycle makes n = 4 here; `n >> 2` folds it back to 3.
    let mut n = d / DAYS_PER_100_YEARS;
    n -= n >> 2;
    y += 100 * n;
    d -= DAYS_PER_100_YEARS * n;

    let n = d / DAYS_PER_4_YEARS;
    y += 4 * n;
    d -= DAYS_PER_4_YEARS * n;

    let mut n = d / 365;
    n -= n >> 2;
    y += n;
    d -= 365 * n;

    let year = (y as i64).wrapping_add(ABSOLUTE_ZERO_YEAR);
    let yday = d as i64;

    let mut day = yday;
    if is_leap(year) {
        if day == 31 + 29 - 1 {
            return (year, 2, 29, yday);
        }
        if day > 31 + 29 - 1 {
            // After the leap day: pretend it was not there.
            day -= 1;
        }
    }
    // Guess the month as if every month had 31 days, then correct by at most one.
    let mut month = day / 31;
    let end = DAYS_BEFORE[(month + 1) as usize];
    let begin = if day >= end {
        month += 1;
        end
    } else {
        DAYS_BEFORE[month as usize]
    };
    (year, month + 1, day - begin + 1, yday)
}

pub(crate) fn year(v: f64, _: &[f64]) -> f64 {
    civil(absolute(v)).0 as f64
}

pub(crate) fn month(v: f64, _: &[f64]) -> f64 {
    civil(absolute(v)).1 as f64
}

pub(crate) fn day_of_month(v: f64, _: &[f64]) -> f64 {
    civil(absolute(v)).2 as f64
}

pub(crate) fn day_of_year(v: f64, _: &[f64]) -> f64 {
    (civil(absolute(v)).3 + 1) as f64
}

/// Sunday is 0.
pub(crate) fn day_of_week(v: f64, _: &[f64]) -> f64 {
    // Go's absolute zero is a Monday.
    let sec = absolute(v).wrapping_add(SECONDS_PER_DAY) % SECONDS_PER_WEEK;
    (sec / SECONDS_PER_DAY) as f64
}

pub(crate) fn hour(v: f64, _: &[f64]) -> f64 {
    ((absolute(v) % SECONDS_PER_DAY) / SECONDS_PER_HOUR) as f64
}

pub(crate) fn minute(v: f64, _: &[f64]) -> f64 {
    ((absolute(v) % SECONDS_PER_HOUR) / SECONDS_PER_MINUTE) as f64
}

pub(crate) fn days_in_month(v: f64, _: &[f64]) -> f64 {
    let (year, month, _, _) = civil(absolute(v));
    let days = match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    f64::from(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (year, month, day, hour, minute) of a Unix time.
    fn ymdhm(t: f64) -> (f64, f64, f64, f64, f64) {
        (
            year(t, &[]),
            month(t, &[]),
            day_of_month(t, &[]),
            hour(t, &[]),
            minute(t, &[]),
        )
    }

    #[test]
    fn epoch() {
        assert_eq!(ymdhm(0.0), (1970.0, 1.0, 1.0, 0.0, 0.0));
        assert_eq!(day_of_week(0.0, &[]), 4.0); // Thursday
        assert_eq!(day_of_year(0.0, &[]), 1.0);
        assert_eq!(days_in_month(0.0, &[]), 31.0);
    }

    #[test]
    fn known_dates() {
        // 2006-01-02 22:04:05 UTC, a Monday.
        assert_eq!(ymdhm(1136239445.0), (2006.0, 1.0, 2.0, 22.0, 4.0));
        assert_eq!(day_of_week(1136239445.0, &[]), 1.0);
        assert_eq!(day_of_year(1136239445.0, &[]), 2.0);
        // 2008-12-31 23:59:59 and 2009-01-01 00:00:00.
        assert_eq!(year(1230767999.0, &[]), 2008.0);
        assert_eq!(year(1230768000.0, &[]), 2009.0);
    }

    #[test]
    fn leap_years() {
        // 2016-02-29 23:59:59, then 2016-03-01 00:00:00.
        assert_eq!(
            (month(1456790399.0, &[]), day_of_month(1456790399.0, &[])),
            (2.0, 29.0)
        );
        assert_eq!(
            (month(1456790400.0, &[]), day_of_month(1456790400.0, &[])),
            (3.0, 1.0)
        );
        assert_eq!(day_of_year(1483191420.0, &[]), 366.0); // 2016-12-31
        assert_eq!(day_of_year(1672493820.0, &[]), 365.0); // 2022-12-31
        assert_eq!(days_in_month(1454284800.0, &[]), 29.0); // February 2016
        assert_eq!(days_in_month(1485907200.0, &[]), 28.0); // February 2017
        // 2000 is a leap year, 1900 is not: 2000-02-01 and 1900-02-01.
        assert_eq!(days_in_month(949363200.0, &[]), 29.0);
        assert_eq!(days_in_month(-2206310400.0, &[]), 28.0);
    }

    #[test]
    fn negative_times_truncate_toward_zero() {
        assert_eq!(year(-0.5, &[]), 1970.0);
        assert_eq!(ymdhm(-1.0), (1969.0, 12.0, 31.0, 23.0, 59.0));
        assert_eq!(day_of_week(-86400.0, &[]), 3.0); // Wednesday 1969-12-31
        // 0000-12-31 23:59:59: year 0 is a leap year in the proleptic Gregorian calendar.
        assert_eq!(year(-62135596801.0, &[]), 0.0);
        assert_eq!(day_of_year(-62135596801.0, &[]), 366.0);
    }

    #[test]
    fn nan_and_huge_values_wrap_like_go() {
        // What Prometheus answers for year(vector(NaN)) and month(vector(NaN)).
        assert_eq!(year(f64::NAN, &[]), 292277026596.0);
        assert_eq!(month(f64::NAN, &[]), 12.0);
        assert_eq!(year(1e300, &[]), 292277026596.0);
    }
}
