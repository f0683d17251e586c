//! Loading `prometheus.yml` and applying it, at startup and on every reload (SIGHUP or
//! `POST /-/reload`). A configuration that fails to parse, or that a component refuses, is
//! rejected as a whole and the running one stays, as in Prometheus.

use crate::http::AppState;
use crate::notifier::{Notifier, parse_alertmanagers};
use crate::promconfig::{self, Config};
use crate::rules::RuleManager;
use crate::rules::file::load_rule_files;
use crate::scrape::ScrapeManager;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};
use tracing::{error, info, warn};

/// Where the configuration comes from.
#[derive(Debug, Clone)]
pub struct ConfigSource {
    /// `--config.file`; `None` uses `default_text`.
    pub path: Option<PathBuf>,
    /// The embedded configuration used without `--config.file`.
    pub default_text: String,
}

impl ConfigSource {
    /// The embedded default, scraping this server itself at `self_address`.
    pub fn embedded(self_address: &str) -> ConfigSource {
        ConfigSource {
            path: None,
            default_text: promconfig::DEFAULT_CONFIG.replace("localhost:9090", self_address),
        }
    }

    pub fn load(&self) -> Result<Config, String> {
        match &self.path {
            Some(p) => Config::load(p).map_err(|e| e.to_string()),
            None => promconfig::parse(&self.default_text, std::path::Path::new("."))
                .map_err(|e| format!("the embedded default configuration: {e}")),
        }
    }

    pub fn describe(&self) -> String {
        match &self.path {
            Some(p) => p.display().to_string(),
            None => "(embedded default)".into(),
        }
    }
}

/// Applies configurations to the running components.
#[derive(Debug)]
pub struct Reloader {
    source: ConfigSource,
    scrape: Arc<ScrapeManager>,
    rules: Arc<RuleManager>,
    notifier: Arc<Notifier>,
    state: Arc<AppState>,
    lock: tokio::sync::Mutex<()>,
}

impl Reloader {
    pub fn new(
        source: ConfigSource,
        scrape: Arc<ScrapeManager>,
        rules: Arc<RuleManager>,
        notifier: Arc<Notifier>,
        state: Arc<AppState>,
    ) -> Self {
        Reloader {
            source,
            scrape,
            rules,
            notifier,
            state,
            lock: tokio::sync::Mutex::new(()),
        }
    }

    /// Loads the configuration again and applies it; on error the old one stays in force.
    pub async fn reload(&self) -> Result<(), String> {
        let _one_at_a_time = self.lock.lock().await;
        let file = self.source.describe();
        info!(filename = %file, "Loading configuration file");
        let metrics = self.state.metrics.scrape.clone();
        // Everything is parsed and checked before anything is applied, so that a refused
        // configuration changes nothing.
        let result = self.source.load().and_then(|cfg| {
            let files = load_rule_files(&cfg.rule_files, &cfg.base_dir).map_err(|errs| {
                let msgs: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
                format!("loading rule files: {}", msgs.join("; "))
            })?;
            parse_alertmanagers(&cfg)?;
            self.scrape.apply(&cfg)?;
            self.notifier.apply_config(&cfg)?;
            self.rules.apply(&cfg, files);
            Ok(cfg)
        });
        match result {
            Ok(cfg) => {
                warn_ignored(&cfg);
                if let Ok(mut text) = self.state.config_text.write() {
                    *text = cfg.to_yaml();
                }
                metrics.last_reload_successful.store(1, Ordering::Relaxed);
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64);
                metrics
                    .last_reload_success_seconds
                    .store(now, Ordering::Relaxed);
                info!(filename = %file, "Completed loading of configuration file");
                Ok(())
            }
            Err(e) => {
                metrics.last_reload_successful.store(0, Ordering::Relaxed);
                metrics.reloads_failed.fetch_add(1, Ordering::Relaxed);
                error!(filename = %file, error = %e, "Error loading config");
                Err(format!(
                    "couldn't load configuration (--config.file={file:?}): {e}"
                ))
            }
        }
    }
}

/// Sections Prometheus acts on that this version of Strata reads but does not act on.
fn warn_ignored(cfg: &Config) {
    let ignored = [
        ("remote_write", cfg.remote_write.is_some()),
        ("remote_read", cfg.remote_read.is_some()),
        ("storage", cfg.storage.is_some()),
        ("tracing", cfg.tracing.is_some()),
        ("otlp", cfg.otlp.is_some()),
        ("runtime", cfg.runtime.is_some()),
    ];
    for (section, present) in ignored {
        if present {
            warn!(
                section,
                "configuration section is read but not acted on by this version"
            );
        }
    }
}
