//! Ports on 127.0.0.1 and bounded polling.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use crate::{Error, Result, fail};

/// A port that was free on 127.0.0.1 a moment ago (bound to port 0, then released).
pub fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| Error::io("binding 127.0.0.1:0", e))?;
    let port = l
        .local_addr()
        .map_err(|e| Error::io("local_addr", e))?
        .port();
    Ok(port)
}

/// Calls `probe` every `every` until it returns `Ok(Some(v))`, an error, or `timeout` passes.
/// `Ok(None)` means "not yet". On timeout the error names `what` and the last state seen.
pub fn wait_for<T>(
    what: &str,
    timeout: Duration,
    every: Duration,
    mut probe: impl FnMut() -> Result<Option<T>>,
) -> Result<T> {
    let start = Instant::now();
    let deadline = start + timeout;
    loop {
        if let Some(v) = probe()? {
            return Ok(v);
        }
        if Instant::now() >= deadline {
            return Err(fail!("timed out after {timeout:?} waiting for {what}"));
        }
        std::thread::sleep(every);
    }
}

/// Milliseconds since the Unix epoch, the timestamp unit used everywhere.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `HH:MM:SS.mmm` (UTC) of a millisecond timestamp, to match suite output with server logs.
pub fn utc_time_of_day(t_ms: i64) -> String {
    let ms = t_ms.rem_euclid(86_400_000);
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_of_day_is_utc() {
        // 2023-11-14T22:13:20.123Z
        assert_eq!(utc_time_of_day(1_700_000_000_123), "22:13:20.123");
        assert_eq!(utc_time_of_day(0), "00:00:00.000");
    }

    #[test]
    fn wait_for_returns_value_and_times_out() {
        let mut n = 0;
        let v = wait_for(
            "n to reach 3",
            Duration::from_secs(5),
            Duration::from_millis(1),
            || {
                n += 1;
                Ok((n >= 3).then_some(n))
            },
        )
        .unwrap();
        assert_eq!(v, 3);
        let err = wait_for::<()>(
            "never",
            Duration::from_millis(20),
            Duration::from_millis(5),
            || Ok(None),
        )
        .unwrap_err();
        assert!(err.to_string().contains("never"), "{err}");
    }

    #[test]
    fn free_port_is_bindable() {
        let p = free_port().unwrap();
        assert!(p > 0);
        TcpListener::bind(("127.0.0.1", p)).unwrap();
    }
}
