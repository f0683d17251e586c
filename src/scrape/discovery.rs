//! `file_sd_configs`: watches the matched files and hands their target groups to the
//! manager whenever they change, and at least every `refresh_interval`.
//!
//! Files are polled for a change of size or modification time every few seconds rather than
//! through inotify: it works the same on every filesystem (network mounts, ConfigMaps swapped
//! by symlink) and a few seconds matches how quickly Prometheus applies discovery updates.

use super::manager::ScrapeManager;
use crate::promconfig::file_sd::{self, FileSdConfig, TargetGroup};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Weak;
use std::time::{Duration, Instant, SystemTime};
use tokio::task::JoinHandle;
use tracing::warn;

/// How often the files are checked for changes.
const POLL: Duration = Duration::from_secs(3);

type Stamp = Option<(SystemTime, u64)>;

pub fn spawn_file_sd(
    manager: Weak<ScrapeManager>,
    job: String,
    index: usize,
    cfg: FileSdConfig,
    base_dir: PathBuf,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let prefix = format!("file:{index}:");
        let mut stamps: BTreeMap<PathBuf, Stamp> = BTreeMap::new();
        // The last good groups of each file: a file that fails to parse keeps its targets.
        let mut last: BTreeMap<PathBuf, Vec<TargetGroup>> = BTreeMap::new();
        let mut refreshed = Instant::now();
        let mut first = true;
        loop {
            let files = file_sd::expand_patterns(&cfg.files, &base_dir);
            let now: BTreeMap<PathBuf, Stamp> = files
                .iter()
                .map(|f| {
                    let stamp = std::fs::metadata(f)
                        .ok()
                        .and_then(|m| m.modified().ok().map(|t| (t, m.len())));
                    (f.clone(), stamp)
                })
                .collect();
            let due = refreshed.elapsed() >= cfg.refresh_interval.0;
            if first || due || now != stamps {
                let mut next = BTreeMap::new();
                for f in &files {
                    match file_sd::read_file(f) {
                        Ok(groups) => {
                            next.insert(f.clone(), groups);
                        }
                        Err(e) => {
                            warn!(job = %job, error = %e, "file_sd: reading target file");
                            if let Some(old) = last.remove(f) {
                                next.insert(f.clone(), old);
                            }
                        }
                    }
                }
                last = next;
                stamps = now;
                refreshed = Instant::now();
                first = false;
                let groups: Vec<TargetGroup> = last
                    .values()
                    .flatten()
                    .map(|g| TargetGroup {
                        source: format!("{prefix}{}", g.source),
                        ..g.clone()
                    })
                    .collect();
                match manager.upgrade() {
                    Some(m) => m.set_groups(&job, &prefix, groups),
                    None => return,
                }
            }
            tokio::time::sleep(POLL.min(cfg.refresh_interval.0.max(Duration::from_millis(100))))
                .await;
        }
    })
}
