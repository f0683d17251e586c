//! The rule manager: one task per rule group, each evaluating on a fixed phase of its
//! interval. A reload keeps the state of groups that stay (same file and name: pending and
//! firing alerts, the series they last wrote) and writes stale markers for the series of
//! groups that go, as Prometheus does.

use super::file::{RuleFile, RuleKind};
use super::group::{EvalContext, GroupState, RuleState};
use crate::promconfig::Config;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{info, warn};

/// How a group task ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Run,
    /// Removed by a reload: its series get stale markers.
    Removed,
    /// Replaced by a group with the same name and file, or the server stops.
    Quiet,
}

#[derive(Debug)]
struct Running {
    state: Arc<GroupState>,
    stop: watch::Sender<Stop>,
    task: JoinHandle<()>,
}

#[derive(Debug)]
pub struct RuleManager {
    ctx: Mutex<Arc<EvalContext>>,
    groups: Mutex<BTreeMap<(String, String), Running>>,
    /// The first load restores `for` state from storage; later reloads start new rules as
    /// restored, as Prometheus does.
    loaded_once: Mutex<bool>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl RuleManager {
    pub fn new(ctx: EvalContext) -> Arc<RuleManager> {
        Arc::new(RuleManager {
            ctx: Mutex::new(Arc::new(ctx)),
            groups: Mutex::new(BTreeMap::new()),
            loaded_once: Mutex::new(false),
        })
    }

    /// Runs the groups of `files` (already parsed and checked) with `cfg`'s global settings.
    /// Must run inside the Tokio runtime.
    pub fn apply(&self, cfg: &Config, files: Vec<RuleFile>) {
        let ctx = {
            let mut c = self.ctx.lock().unwrap_or_else(|e| e.into_inner());
            let mut next = (**c).clone();
            next.external_labels = cfg.global.external_labels.clone();
            *c = Arc::new(next);
            c.clone()
        };
        let restore = {
            let mut l = self.loaded_once.lock().unwrap_or_else(|e| e.into_inner());
            let first = !*l;
            *l = true;
            first
        };
        let mut groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
        let mut old = std::mem::take(&mut *groups);
        for file in files {
            let path = file.path.display().to_string();
            for g in file.groups {
                let interval = g.interval.unwrap_or(cfg.global.evaluation_interval.0);
                let query_offset = g.query_offset.unwrap_or(cfg.global.rule_query_offset.0);
                let mut rules: Vec<RuleState> =
                    g.rules.iter().cloned().map(RuleState::new).collect();
                let key = (path.clone(), g.name.clone());
                if let Some(prev) = old.remove(&key) {
                    copy_state(&prev.state, &mut rules);
                    let _ = prev.stop.send(Stop::Quiet);
                } else if !restore {
                    for r in &mut rules {
                        r.restored = true;
                    }
                }
                let state = Arc::new(GroupState {
                    file: path.clone(),
                    group: g,
                    interval: interval.max(Duration::from_millis(1)),
                    query_offset,
                    rules: Mutex::new(rules),
                    last_evaluation: Mutex::new(None),
                    evaluation_time: Mutex::new(Duration::ZERO),
                });
                let (tx, rx) = watch::channel(Stop::Run);
                let task = tokio::spawn(run_group(state.clone(), ctx.clone(), rx, restore));
                groups.insert(
                    key,
                    Running {
                        state,
                        stop: tx,
                        task,
                    },
                );
            }
        }
        for ((file, name), gone) in old {
            info!(%file, group = %name, "rule group removed");
            let _ = gone.stop.send(Stop::Removed);
        }
        info!(groups = groups.len(), "rule groups loaded");
    }

    /// Every group, in file then name order.
    pub fn groups(&self) -> Vec<Arc<GroupState>> {
        let groups = self.groups.lock().unwrap_or_else(|e| e.into_inner());
        groups.values().map(|r| r.state.clone()).collect()
    }

    /// Stops every group without stale markers and waits for them.
    pub async fn shutdown(&self) {
        let running: Vec<Running> = {
            let mut g = self.groups.lock().unwrap_or_else(|e| e.into_inner());
            std::mem::take(&mut *g).into_values().collect()
        };
        for r in running {
            let _ = r.stop.send(Stop::Quiet);
            let _ = r.task.await;
        }
    }
}

/// Carries alert state and last-written series from a reloaded group's rules to the new
/// rules with the same name and labels (in order, as Prometheus matches them).
fn copy_state(prev: &GroupState, rules: &mut [RuleState]) {
    let mut old: HashMap<String, Vec<RuleState>> = HashMap::new();
    {
        let prev_rules = prev.rules.lock().unwrap_or_else(|e| e.into_inner());
        for r in prev_rules.iter() {
            old.entry(identity(r)).or_default().push(r.clone());
        }
    }
    for r in rules.iter_mut() {
        let Some(candidates) = old.get_mut(&identity(r)) else {
            r.restored = true;
            continue;
        };
        if candidates.is_empty() {
            r.restored = true;
            continue;
        }
        let o = candidates.remove(0);
        r.carry_from(o);
    }
}

fn identity(r: &RuleState) -> String {
    let kind = match &r.rule.kind {
        RuleKind::Recording { .. } => "record",
        RuleKind::Alerting { .. } => "alert",
    };
    format!("{kind}\u{0}{}\u{0}{:?}", r.name(), r.rule.labels)
}

async fn run_group(
    state: Arc<GroupState>,
    ctx: Arc<EvalContext>,
    mut stop: watch::Receiver<Stop>,
    restore: bool,
) {
    let interval = i64::try_from(state.interval.as_millis())
        .unwrap_or(i64::MAX)
        .max(1);
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (&state.file, &state.group.name).hash(&mut h);
    let phase = (h.finish() % interval as u64) as i64;
    let mut ts = crate::scrape::scrape_loop::next_tick(now_ms(), interval, phase);
    let mut evaluations = 0u32;
    let mut needs_restore = restore;
    loop {
        let wait = Duration::from_millis(u64::try_from(ts - now_ms()).unwrap_or(0));
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => break,
        }
        let (s, c) = (state.clone(), ctx.clone());
        if tokio::task::spawn_blocking(move || s.eval(&c, ts))
            .await
            .is_err()
        {
            warn!(group = %state.group.name, "rule group evaluation panicked");
        }
        evaluations += 1;
        // Prometheus restores after the second evaluation, so that recording rules the
        // alerts depend on have written fresh values.
        if needs_restore && evaluations >= 2 {
            let (s, c) = (state.clone(), ctx.clone());
            let _ = tokio::task::spawn_blocking(move || s.restore_for_state(&c, now_ms())).await;
            needs_restore = false;
        }
        ts += interval;
        let now = now_ms();
        if ts <= now {
            ts = crate::scrape::scrape_loop::next_tick(now, interval, phase);
        }
    }
    if *stop.borrow() == Stop::Removed {
        let (s, c) = (state.clone(), ctx.clone());
        let _ = tokio::task::spawn_blocking(move || s.mark_all_stale(&c, now_ms())).await;
    }
}
