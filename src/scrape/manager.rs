//! The scrape manager: one pool per `scrape_configs` job, each turning its discovered target
//! groups into targets (relabeling, target labels) and keeping exactly one scrape loop per
//! target. A reload or a discovery change only starts, replaces or stops the loops whose
//! targets changed, so unchanged targets keep their rhythm and their staleness tracking.

use super::append::SampleSettings;
use super::cache::ScrapeCache;
use super::client::ScrapeClient;
use super::discovery;
use super::metrics::ScrapeMetrics;
use super::scrape_loop::{self, AppenderFactory, LoopHandle, LoopSpec, Stop, TargetState};
use crate::promconfig::{
    Config, Populated, ScrapeConfig, ScrapeProtocol, TargetGroup, populate_labels, public_labels,
    target_url,
};
use compat::exposition::Format;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::task::JoinHandle;
use tracing::{info, warn};

/// A target as `/api/v1/targets` shows it.
#[derive(Debug, Clone)]
pub struct TargetView {
    pub scrape_pool: String,
    pub scrape_url: String,
    pub discovered: BTreeMap<String, String>,
    /// Public labels (no `__` prefix).
    pub labels: BTreeMap<String, String>,
    pub interval: Duration,
    pub timeout: Duration,
    pub state: Arc<TargetState>,
}

/// A discovered target that relabeling dropped.
#[derive(Debug, Clone)]
pub struct DroppedView {
    pub scrape_pool: String,
    pub discovered: BTreeMap<String, String>,
}

/// Scraping features from `--enable-feature`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScrapeOptions {
    /// `extra-scrape-metrics`: also `scrape_timeout_seconds`, `scrape_sample_limit`,
    /// `scrape_body_size_bytes`.
    pub extra_metrics: bool,
}

#[derive(Debug)]
pub struct ScrapeManager {
    inner: Mutex<Inner>,
    app: AppenderFactoryDebug,
    metrics: Arc<ScrapeMetrics>,
    opts: ScrapeOptions,
    me: Weak<ScrapeManager>,
}

struct AppenderFactoryDebug(AppenderFactory);

impl std::fmt::Debug for AppenderFactoryDebug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppenderFactory")
    }
}

#[derive(Debug, Default)]
struct Inner {
    pools: BTreeMap<String, Pool>,
    /// Loops told to stop that may still be writing stale markers; awaited on shutdown.
    stopping: Vec<LoopHandle>,
    shut_down: bool,
}

#[derive(Debug)]
struct Pool {
    cfg: Arc<ScrapeConfig>,
    /// What decides whether a reload restarts this pool's loops: the job's settings as
    /// written, plus the credentials as they read now.
    fingerprint: String,
    client: ScrapeClient,
    /// Target groups by source (`static:0`, `file:/etc/targets.json:2`).
    groups: BTreeMap<String, TargetGroup>,
    targets: HashMap<u64, Running>,
    dropped: Vec<BTreeMap<String, String>>,
    discovery: Vec<JoinHandle<()>>,
}

#[derive(Debug)]
struct Running {
    view: TargetView,
    spec_key: String,
    handle: LoopHandle,
}

impl ScrapeManager {
    pub fn new(
        app: AppenderFactory,
        metrics: Arc<ScrapeMetrics>,
        opts: ScrapeOptions,
    ) -> Arc<ScrapeManager> {
        Arc::new_cyclic(|me| ScrapeManager {
            inner: Mutex::new(Inner::default()),
            app: AppenderFactoryDebug(app),
            metrics,
            opts,
            me: me.clone(),
        })
    }

    pub fn metrics(&self) -> &Arc<ScrapeMetrics> {
        &self.metrics
    }

    /// Makes the running pools match `cfg`. Must run inside the Tokio runtime. Fails, leaving
    /// everything as it was, if a job's HTTP client cannot be built (unreadable CA file).
    pub fn apply(&self, cfg: &Config) -> Result<(), String> {
        let mut new_pools: BTreeMap<String, (Arc<ScrapeConfig>, String, ScrapeClient)> =
            BTreeMap::new();
        for sc in &cfg.scrape_configs {
            let client = ScrapeClient::new(sc, &cfg.base_dir)
                .map_err(|e| format!("scrape job {:?}: {e}", sc.job_name))?;
            let auth = sc.http.auth_header(&cfg.base_dir).unwrap_or_default();
            let fingerprint = format!(
                "{}\n{auth:?}",
                serde_yaml_ng::to_string(sc).unwrap_or_default()
            );
            new_pools.insert(
                sc.job_name.clone(),
                (Arc::new(sc.clone()), fingerprint, client),
            );
        }
        let mut inner = self.lock();
        if inner.shut_down {
            return Ok(());
        }
        let old_jobs: Vec<String> = inner.pools.keys().cloned().collect();
        for job in old_jobs {
            if !new_pools.contains_key(&job) {
                if let Some(pool) = inner.pools.remove(&job) {
                    info!(job = %job, "scrape pool removed");
                    for d in &pool.discovery {
                        d.abort();
                    }
                    // Prometheus cancels a removed job's whole pool, and its loops write no
                    // end-of-run stale markers; removed targets of a kept job do get them.
                    for (_, t) in pool.targets {
                        t.handle.stop(Stop::Quiet);
                        inner.stopping.push(t.handle);
                    }
                }
            }
        }
        for (job, (sc, fingerprint, client)) in new_pools {
            let unchanged = inner
                .pools
                .get(&job)
                .is_some_and(|p| p.fingerprint == fingerprint);
            if unchanged {
                continue;
            }
            let mut groups = BTreeMap::new();
            for g in sc.static_groups() {
                let source = format!("static:{}", g.source);
                groups.insert(source.clone(), TargetGroup { source, ..g });
            }
            let discovery = sc
                .file_sd_configs
                .iter()
                .enumerate()
                .map(|(i, fsd)| {
                    discovery::spawn_file_sd(
                        self.me.clone(),
                        job.clone(),
                        i,
                        fsd.clone(),
                        cfg.base_dir.clone(),
                    )
                })
                .collect();
            let (targets, dropped) = match inner.pools.remove(&job) {
                Some(old) => {
                    for d in &old.discovery {
                        d.abort();
                    }
                    // File-discovered groups stay until the new watchers reread the files,
                    // so that their targets are not stopped and restarted in between.
                    for (src, g) in old.groups {
                        if src.starts_with("file:") {
                            groups.insert(src, g);
                        }
                    }
                    (old.targets, old.dropped)
                }
                None => (HashMap::new(), Vec::new()),
            };
            info!(job = %job, "scrape pool configured");
            inner.pools.insert(
                job.clone(),
                Pool {
                    cfg: sc,
                    fingerprint,
                    client,
                    groups,
                    targets,
                    dropped,
                    discovery,
                },
            );
            self.sync_pool(&mut inner, &job);
        }
        self.update_gauges(&inner);
        inner.stopping.retain(|h| !h.is_finished());
        Ok(())
    }

    /// Replaces the groups a discovery source found (all sources starting with `prefix`).
    pub fn set_groups(&self, job: &str, prefix: &str, groups: Vec<TargetGroup>) {
        let mut inner = self.lock();
        if inner.shut_down {
            return;
        }
        let Some(pool) = inner.pools.get_mut(job) else {
            return;
        };
        pool.groups.retain(|src, _| !src.starts_with(prefix));
        for g in groups {
            pool.groups.insert(g.source.clone(), g);
        }
        self.sync_pool(&mut inner, job);
        self.update_gauges(&inner);
    }

    /// Stops every loop without stale markers (the server is stopping; Prometheus writes
    /// none either, so a restart continues the series) and waits for them.
    pub async fn shutdown(&self) {
        let handles: Vec<LoopHandle> = {
            let mut inner = self.lock();
            inner.shut_down = true;
            let mut hs: Vec<LoopHandle> = std::mem::take(&mut inner.stopping);
            for (_, pool) in std::mem::take(&mut inner.pools) {
                for d in &pool.discovery {
                    d.abort();
                }
                hs.extend(pool.targets.into_values().map(|t| t.handle));
            }
            hs
        };
        for h in handles {
            let _ = h.finish(Stop::Quiet).await;
        }
    }

    /// Active targets, by pool then URL.
    pub fn active_targets(&self) -> Vec<TargetView> {
        let inner = self.lock();
        let mut out: Vec<TargetView> = inner
            .pools
            .values()
            .flat_map(|p| p.targets.values().map(|t| t.view.clone()))
            .collect();
        out.sort_by(|a, b| {
            (&a.scrape_pool, &a.scrape_url, &a.labels).cmp(&(
                &b.scrape_pool,
                &b.scrape_url,
                &b.labels,
            ))
        });
        out
    }

    pub fn dropped_targets(&self) -> Vec<DroppedView> {
        let inner = self.lock();
        inner
            .pools
            .iter()
            .flat_map(|(job, p)| {
                p.dropped.iter().map(|d| DroppedView {
                    scrape_pool: job.clone(),
                    discovered: d.clone(),
                })
            })
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn update_gauges(&self, inner: &Inner) {
        let active: usize = inner.pools.values().map(|p| p.targets.len()).sum();
        let dropped: usize = inner.pools.values().map(|p| p.dropped.len()).sum();
        self.metrics
            .active_targets
            .store(active as u64, Ordering::Relaxed);
        self.metrics
            .dropped_targets
            .store(dropped as u64, Ordering::Relaxed);
    }

    /// Recomputes a pool's targets from its groups and starts, replaces or stops loops.
    fn sync_pool(&self, inner: &mut Inner, job: &str) {
        let Some(pool) = inner.pools.get_mut(job) else {
            return;
        };
        let cfg = pool.cfg.clone();
        let mut wanted: Vec<(u64, TargetView, LoopSpec)> = Vec::new();
        let mut dropped = Vec::new();
        for group in pool.groups.values() {
            for t in &group.targets {
                let mut merged = group.labels.clone();
                for (k, v) in t {
                    merged.insert(k.clone(), v.clone());
                }
                match populate_labels(&merged, &cfg) {
                    Ok(Populated::Active { labels, discovered }) => {
                        let (key, view, spec) = self.target(job, &cfg, labels, discovered);
                        if !wanted.iter().any(|(k, _, _)| *k == key) {
                            wanted.push((key, view, spec));
                        }
                    }
                    Ok(Populated::Dropped { discovered }) => dropped.push(discovered),
                    Err(e) => {
                        warn!(job = %job, source = %group.source, error = %e, "creating target failed")
                    }
                }
            }
        }
        let keep = cfg.keep_dropped_targets.unwrap_or(0);
        if keep > 0 {
            dropped.truncate(usize::try_from(keep).unwrap_or(usize::MAX));
        }
        pool.dropped = dropped;
        let limit = cfg.target_limit.unwrap_or(0);
        if limit > 0 && wanted.len() as u64 > limit {
            let msg = format!(
                "target_limit exceeded (number of targets: {}, limit: {limit})",
                wanted.len()
            );
            for (_, _, spec) in &mut wanted {
                spec.forced_error = Some(msg.clone());
            }
        }
        let mut old = std::mem::take(&mut pool.targets);
        let mut stopping = Vec::new();
        for (key, view, spec) in wanted {
            let spec_key = format!("{spec:?}");
            match old.remove(&key) {
                Some(running) if running.spec_key == spec_key => {
                    pool.targets.insert(key, running);
                }
                Some(running) => {
                    // Same series, new settings: the new loop continues the old one's cache,
                    // so nothing goes stale in between.
                    let state = running.view.state.clone();
                    let view = TargetView { state, ..view };
                    let handle = self.spawn_after(running.handle, spec, &pool.client, &view);
                    pool.targets.insert(
                        key,
                        Running {
                            view,
                            spec_key,
                            handle,
                        },
                    );
                }
                None => {
                    let handle = scrape_loop::spawn(
                        spec,
                        pool.client.clone(),
                        self.app.0.clone(),
                        view.state.clone(),
                        self.metrics.clone(),
                        ScrapeCache::default(),
                    );
                    pool.targets.insert(
                        key,
                        Running {
                            view,
                            spec_key,
                            handle,
                        },
                    );
                }
            }
        }
        for (_, gone) in old {
            gone.handle.stop(Stop::Stale);
            stopping.push(gone.handle);
        }
        inner.stopping.extend(stopping);
    }

    /// Starts a loop for `spec` once `previous` has ended, with its cache.
    fn spawn_after(
        &self,
        previous: LoopHandle,
        spec: LoopSpec,
        client: &ScrapeClient,
        view: &TargetView,
    ) -> LoopHandle {
        scrape_loop::spawn_after(
            previous,
            spec,
            client.clone(),
            self.app.0.clone(),
            view.state.clone(),
            self.metrics.clone(),
        )
    }

    fn target(
        &self,
        job: &str,
        cfg: &ScrapeConfig,
        labels: BTreeMap<String, String>,
        discovered: BTreeMap<String, String>,
    ) -> (u64, TargetView, LoopSpec) {
        let url = target_url(&labels, cfg);
        let public: Vec<(String, String)> = public_labels(&labels);
        let mut h = std::collections::hash_map::DefaultHasher::new();
        public.hash(&mut h);
        url.hash(&mut h);
        let key = h.finish();
        // Per-target settings may come from relabeled `__scrape_interval__`/`__scrape_timeout__`.
        let interval = labels
            .get("__scrape_interval__")
            .and_then(|v| crate::config::parse_duration(v).ok())
            .unwrap_or_else(|| cfg.interval());
        let timeout = labels
            .get("__scrape_timeout__")
            .and_then(|v| crate::config::parse_duration(v).ok())
            .unwrap_or_else(|| cfg.timeout());
        let interval_ms = u64::try_from(interval.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let phase = Duration::from_millis(key % interval_ms);
        let fallback = cfg.fallback_scrape_protocol.map(|p| match p {
            ScrapeProtocol::OpenMetricsText1_0_0 | ScrapeProtocol::OpenMetricsText0_0_1 => {
                Format::OpenMetrics
            }
            _ => Format::Text,
        });
        let spec = LoopSpec {
            url: url.clone(),
            interval,
            timeout,
            phase,
            samples: SampleSettings {
                target_labels: public.clone().into(),
                honor_labels: cfg.honor_labels,
                honor_timestamps: cfg.honor_timestamps,
                track_timestamps_staleness: cfg.track_timestamps_staleness,
                metric_relabel: cfg.metric_relabel_configs.clone().into(),
                sample_limit: cfg.sample_limit.unwrap_or(0),
                label_limit: cfg.label_limit.unwrap_or(0),
                label_name_length_limit: cfg.label_name_length_limit.unwrap_or(0),
                label_value_length_limit: cfg.label_value_length_limit.unwrap_or(0),
                fallback,
            },
            extra_metrics: self.opts.extra_metrics,
            forced_error: None,
        };
        let view = TargetView {
            scrape_pool: job.to_string(),
            scrape_url: url,
            discovered,
            labels: public.into_iter().collect(),
            interval,
            timeout,
            state: Arc::new(TargetState::default()),
        };
        (key, view, spec)
    }
}
