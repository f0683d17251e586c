//! What the target costs: its CPU time and memory from `/proc/<pid>`, and its blocks on disk.

use std::fs;
use std::path::Path;

/// Clock ticks per second for `/proc/<pid>/stat` (`getconf CLK_TCK`; 100 on every Linux we run).
pub fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|&t| t > 0.0)
        .unwrap_or(100.0)
}

/// CPU time and page faults of a process (all threads), from `/proc/<pid>/stat`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stat {
    pub user_seconds: f64,
    pub system_seconds: f64,
    /// Minor page faults: first touches of memory, e.g. after an allocator returned pages.
    pub minor_faults: u64,
}

impl Stat {
    pub fn cpu_seconds(&self) -> f64 {
        self.user_seconds + self.system_seconds
    }
}

/// The process's [`Stat`], or `None` if it is gone.
pub fn stat(pid: u32, ticks: f64) -> Option<Stat> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may contain spaces: skip past the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): minflt is field 10, utime and stime are 14 and 15.
    let minflt: u64 = fields.get(7)?.parse().ok()?;
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some(Stat {
        user_seconds: utime / ticks,
        system_seconds: stime / ticks,
        minor_faults: minflt,
    })
}

/// User plus system CPU seconds the process has used (all threads), or `None` if it is gone.
pub fn cpu_seconds(pid: u32, ticks: f64) -> Option<f64> {
    stat(pid, ticks).map(|s| s.cpu_seconds())
}

/// A `kB` field of `/proc/<pid>/status` (`VmRSS`, `VmHWM`), in bytes.
pub fn status_bytes(pid: u32, field: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status
        .lines()
        .find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))?;
    let kb: u64 = line[field.len() + 1..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// Totals over the finished blocks of a data directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockStats {
    pub blocks: u64,
    /// Sum of `stats.numSamples` (Prometheus) or `stats.num_samples` (Strata) over `meta.json`s.
    pub samples: u64,
    pub series: u64,
    /// Bytes of `chunks/*` files.
    pub chunk_bytes: u64,
    /// Bytes of `index` files.
    pub index_bytes: u64,
    pub min_time: i64,
    pub max_time: i64,
}

impl BlockStats {
    pub fn bytes(&self) -> u64 {
        self.chunk_bytes + self.index_bytes
    }
}

/// Sums every block directory of `dir`: a subdirectory with a `meta.json`, skipping temporary
/// ones (Prometheus's `*.tmp-for-creation` / `*.tmp-for-deletion`, Strata's `*.tmp`).
pub fn block_stats(dir: &Path) -> BlockStats {
    let mut s = BlockStats {
        min_time: i64::MAX,
        max_time: i64::MIN,
        ..Default::default()
    };
    let Ok(entries) = fs::read_dir(dir) else {
        return s;
    };
    for e in entries.flatten() {
        let path = e.path();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.contains("tmp") || !path.is_dir() {
            continue;
        }
        let Ok(meta) = fs::read(path.join("meta.json")) else {
            continue;
        };
        let Ok(meta) = serde_json::from_slice::<serde_json::Value>(&meta) else {
            continue;
        };
        let stat = |camel: &str, snake: &str| {
            let st = &meta["stats"];
            st[camel]
                .as_u64()
                .or_else(|| st[snake].as_u64())
                .unwrap_or(0)
        };
        let time = |camel: &str, snake: &str| meta[camel].as_i64().or_else(|| meta[snake].as_i64());
        s.blocks += 1;
        s.samples += stat("numSamples", "num_samples");
        s.series += stat("numSeries", "num_series");
        if let Some(t) = time("minTime", "min_time") {
            s.min_time = s.min_time.min(t);
        }
        if let Some(t) = time("maxTime", "max_time") {
            s.max_time = s.max_time.max(t);
        }
        s.index_bytes += fs::metadata(path.join("index"))
            .map(|m| m.len())
            .unwrap_or(0);
        if let Ok(chunks) = fs::read_dir(path.join("chunks")) {
            s.chunk_bytes += chunks
                .flatten()
                .filter_map(|c| c.metadata().ok())
                .map(|m| m.len())
                .sum::<u64>();
        }
    }
    s
}

/// Total size of the regular files under `dir` (recursively, bounded depth), e.g. the WAL.
pub fn dir_bytes(dir: &Path) -> u64 {
    fn walk(dir: &Path, depth: u32) -> u64 {
        if depth > 8 {
            return 0;
        }
        let Ok(entries) = fs::read_dir(dir) else {
            return 0;
        };
        entries
            .flatten()
            .map(|e| match e.metadata() {
                Ok(m) if m.is_dir() => walk(&e.path(), depth + 1),
                Ok(m) => m.len(),
                Err(_) => 0,
            })
            .sum()
    }
    walk(dir, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_process() {
        let pid = std::process::id();
        assert!(cpu_seconds(pid, clock_ticks()).is_some());
        assert!(status_bytes(pid, "VmRSS").unwrap() > 0);
    }

    #[test]
    fn sums_prometheus_and_strata_blocks() {
        let dir = std::env::temp_dir().join(format!("loadgen-blocks-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        for (name, meta) in [
            (
                "01PROM",
                r#"{"ulid":"01PROM","minTime":0,"maxTime":10,"stats":{"numSamples":100,"numSeries":2}}"#,
            ),
            (
                "STRATA1",
                r#"{"id":"STRATA1","min_time":10,"max_time":20,"stats":{"num_samples":50,"num_series":1}}"#,
            ),
            ("01X.tmp-for-creation", r#"{"stats":{"numSamples":1000}}"#),
        ] {
            fs::create_dir_all(dir.join(name).join("chunks")).unwrap();
            fs::write(dir.join(name).join("meta.json"), meta).unwrap();
            fs::write(dir.join(name).join("index"), [0u8; 10]).unwrap();
            fs::write(dir.join(name).join("chunks/000001"), [0u8; 90]).unwrap();
        }
        let s = block_stats(&dir);
        assert_eq!(
            (
                s.blocks,
                s.samples,
                s.series,
                s.bytes(),
                s.min_time,
                s.max_time
            ),
            (2, 150, 3, 200, 0, 20)
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
