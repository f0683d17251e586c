//! Go's `time.Time` printing for the UTC times `toTime` returns: `String()` and `Format` with
//! Go's reference-time layouts (`2006-01-02 15:04:05`).

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// The calendar fields of a Unix time in nanoseconds, UTC.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    yday: u32,
    weekday: usize,
    hour: i64,
    min: i64,
    sec: i64,
    nanos: i64,
}

fn civil(ns: i64) -> Civil {
    let secs = ns.div_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let jan1 = days_from_civil(year, 1, 1);
    Civil {
        year,
        month,
        day,
        yday: (days - jan1 + 1) as u32,
        // 1970-01-01 was a Thursday.
        weekday: (days + 4).rem_euclid(7) as usize,
        hour: sod / 3600,
        min: (sod / 60) % 60,
        sec: sod % 60,
        nanos: ns.rem_euclid(1_000_000_000),
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `time.Time.String()` for a UTC time: `2006-01-02 15:04:05.999999999 +0000 UTC`.
pub(crate) fn time_string(ns: i64) -> String {
    format(ns, "2006-01-02 15:04:05.999999999 -0700 MST")
}

/// `time.Time.Format(layout)` for a UTC time.
pub(crate) fn format(ns: i64, layout: &str) -> String {
    let t = civil(ns);
    let hour12 = if t.hour % 12 == 0 { 12 } else { t.hour % 12 };
    let month = MONTHS[t.month as usize - 1];
    let weekday = DAYS[t.weekday];
    let pm = t.hour >= 12;
    // Longest tokens first, as Go's nextStdChunk tries them.
    let tokens: Vec<(&str, String)> = vec![
        ("January", month.to_string()),
        ("Jan", month[..3].to_string()),
        ("Monday", weekday.to_string()),
        ("Mon", weekday[..3].to_string()),
        ("MST", "UTC".to_string()),
        ("2006", format!("{:04}", t.year)),
        ("002", format!("{:03}", t.yday)),
        ("__2", format!("{:>3}", t.yday)),
        ("_2006", format!("_{:04}", t.year)),
        ("_2", format!("{:>2}", t.day)),
        ("01", format!("{:02}", t.month)),
        ("02", format!("{:02}", t.day)),
        ("03", format!("{hour12:02}")),
        ("04", format!("{:02}", t.min)),
        ("05", format!("{:02}", t.sec)),
        ("06", format!("{:02}", t.year.rem_euclid(100))),
        ("15", format!("{:02}", t.hour)),
        ("1", t.month.to_string()),
        ("2", t.day.to_string()),
        ("3", hour12.to_string()),
        ("4", t.min.to_string()),
        ("5", t.sec.to_string()),
        ("PM", if pm { "PM" } else { "AM" }.to_string()),
        ("pm", if pm { "pm" } else { "am" }.to_string()),
        ("-07:00:00", "+00:00:00".to_string()),
        ("-070000", "+000000".to_string()),
        ("-07:00", "+00:00".to_string()),
        ("-0700", "+0000".to_string()),
        ("-07", "+00".to_string()),
        ("Z07:00:00", "Z".to_string()),
        ("Z070000", "Z".to_string()),
        ("Z07:00", "Z".to_string()),
        ("Z0700", "Z".to_string()),
        ("Z07", "Z".to_string()),
    ];
    let mut out = String::new();
    let mut rest = layout;
    while !rest.is_empty() {
        if let Some(n) = fraction_len(rest) {
            out.push_str(&fraction(t.nanos, &rest[..n]));
            rest = &rest[n..];
            continue;
        }
        let hit = tokens.iter().find(|(tok, _)| {
            // "Jan" and "Mon" do not count before a lower-case letter ("Janet", "Month").
            rest.starts_with(tok)
                && !(matches!(*tok, "Jan" | "Mon")
                    && rest[tok.len()..].starts_with(|c: char| c.is_ascii_lowercase()))
        });
        if let Some((tok, val)) = hit {
            out.push_str(val);
            rest = &rest[tok.len()..];
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// `.000`/`,000` (fixed digits) or `.999`/`,999` (trailing zeros dropped) not followed by a
/// digit: the length of the token.
fn fraction_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.len() < 2 || !(b[0] == b'.' || b[0] == b',') || !(b[1] == b'0' || b[1] == b'9') {
        return None;
    }
    let n = 1 + b[1..].iter().take_while(|&&c| c == b[1]).count();
    if b.get(n).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    Some(n)
}

fn fraction(nanos: i64, tok: &str) -> String {
    let digits = (tok.len() - 1).min(9);
    let all = format!("{nanos:09}");
    let mut frac = all[..digits].to_string();
    if tok.as_bytes()[1] == b'9' {
        frac = frac.trim_end_matches('0').to_string();
        if frac.is_empty() {
            return String::new();
        }
    }
    format!("{}{frac}", &tok[..1])
}
