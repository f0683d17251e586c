//! Suite configuration from environment variables, and Prometheus-style durations.

use std::path::PathBuf;
use std::time::Duration;

use crate::{Result, fail};

/// Parses a Prometheus duration such as `30s`, `5m`, `1h30m`, `250ms`, `2d`.
pub fn parse_duration(s: &str) -> Result<Duration> {
    let s = s.trim();
    if s.is_empty() {
        return Err(fail!("empty duration"));
    }
    let mut total_ms: u64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(fail!("bad duration {s:?}: expected a number at {rest:?}"));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| fail!("bad duration {s:?}"))?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
        let unit_ms: u64 = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 7 * 86_400_000,
            "y" => 365 * 86_400_000,
            other => return Err(fail!("bad duration {s:?}: unknown unit {other:?}")),
        };
        rest = &rest[unit_len..];
        total_ms = n
            .checked_mul(unit_ms)
            .and_then(|v| total_ms.checked_add(v))
            .ok_or_else(|| fail!("duration {s:?} overflows"))?;
    }
    Ok(Duration::from_millis(total_ms))
}

/// Renders a duration the way Prometheus flags accept it, in whole seconds or milliseconds.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

/// A string from the environment, or `default`.
pub fn string(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

/// A duration from the environment (Prometheus syntax), or `default`.
pub fn duration(name: &str, default: &str) -> Result<Duration> {
    let v = string(name, default);
    parse_duration(&v).map_err(|e| fail!("{name}: {e}"))
}

/// An unsigned integer from the environment, or `default`.
pub fn u64(name: &str, default: u64) -> Result<u64> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => v
            .trim()
            .parse()
            .map_err(|_| fail!("{name}: {v:?} is not an unsigned integer")),
        _ => Ok(default),
    }
}

/// A boolean flag from the environment (`1`, `true`, `yes` are true), or `false`.
pub fn flag(name: &str) -> bool {
    matches!(std::env::var(name).as_deref(), Ok("1" | "true" | "yes"))
}

/// Path of a peer binary: the environment variable if set, else the first existing default.
pub fn binary(var: &str, defaults: &[&str]) -> Result<PathBuf> {
    if let Ok(v) = std::env::var(var) {
        if !v.is_empty() {
            let p = PathBuf::from(&v);
            return if p.is_file() {
                Ok(p)
            } else {
                Err(fail!("{var}={v} does not exist"))
            };
        }
    }
    defaults
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or_else(|| fail!("no binary found for {var}: tried {defaults:?}; set {var}"))
}

/// The workspace root (the parent of this crate's manifest dir at build time, or `STRATA_ROOT`).
pub fn workspace_root() -> PathBuf {
    if let Ok(v) = std::env::var("STRATA_ROOT") {
        return PathBuf::from(v);
    }
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// A temporary directory for one suite run. It is deleted on drop only if the run called
/// [`WorkDir::succeeded`] and `KEEP_TMP` is not set; otherwise it stays for the post-mortem
/// (logs, data dirs) and its path is printed.
#[derive(Debug)]
pub struct WorkDir {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
    succeeded: bool,
}

impl WorkDir {
    /// Creates `$TMPDIR/strata-<suite>-XXXX`.
    pub fn new(suite: &str) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix(&format!("strata-{suite}-"))
            .tempdir()
            .map_err(|e| crate::Error::io("creating temp dir", e))?;
        let path = dir.path().to_path_buf();
        Ok(WorkDir {
            dir: Some(dir),
            path,
            succeeded: false,
        })
    }

    /// The directory.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Marks the run as passed: the directory is removed on drop (unless `KEEP_TMP=1`).
    pub fn succeeded(&mut self) {
        self.succeeded = true;
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if !self.succeeded || flag("KEEP_TMP") {
            if let Some(d) = self.dir.take() {
                let p = d.keep();
                eprintln!("kept work dir {} (logs and data)", p.display());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_like_prometheus() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("2d").unwrap(), Duration::from_secs(172_800));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("m5").is_err());
        assert!(parse_duration("5x").is_err());
    }

    #[test]
    fn durations_format_for_flags() {
        assert_eq!(format_duration(Duration::from_secs(600)), "600s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1500ms");
    }
}
