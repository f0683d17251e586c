//! Starts everything a server runs: storage, the HTTP listener and the maintenance loop.
//! `main` calls it with the flags; tests call it with a port of their own.

use crate::http::{self, ApiOptions, AppState};
use crate::ingest::graphite::GraphiteListener;
use crate::metrics::Metrics;
use crate::notifier::{Notifier, NotifierOptions};
use crate::reload::{ConfigSource, Reloader};
use crate::rules::{EvalContext, Outgoing, RuleManager};
use crate::scrape::{AppenderFactory, ScrapeManager, ScrapeOptions};
use crate::tsdb::{Db, DbOptions};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::net::TcpListener;
use tracing::{info, warn};

/// How often the database checks whether to cut, compact or expire blocks.
const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(5);

/// Serves on `listener` until `shutdown` completes, then flushes storage.
///
/// The listener answers `/-/healthy` at once; the WAL replay happens meanwhile, and `/-/ready`
/// turns 200 when it is done.
pub async fn run(
    listener: TcpListener,
    opts: DbOptions,
    max_request_bytes: usize,
    shutdown: impl Future<Output = ()>,
) -> Result<(), String> {
    run_with(
        listener,
        opts,
        max_request_bytes,
        ApiOptions::default(),
        shutdown,
    )
    .await
}

/// `run` with the query API's settings (engine limits, concurrency, admin API, flags).
pub async fn run_with(
    listener: TcpListener,
    opts: DbOptions,
    max_request_bytes: usize,
    api: ApiOptions,
    shutdown: impl Future<Output = ()>,
) -> Result<(), String> {
    run_with_graphite(listener, opts, max_request_bytes, api, None, shutdown).await
}

/// `run_with` plus the Graphite listeners, bound beforehand so that a taken port fails
/// startup; they stop, and what they read is committed, before storage closes.
pub async fn run_with_graphite(
    listener: TcpListener,
    opts: DbOptions,
    max_request_bytes: usize,
    api: ApiOptions,
    graphite: Option<GraphiteListener>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), String> {
    let services = Services {
        graphite,
        ..Services::default()
    };
    run_services(listener, opts, max_request_bytes, api, services, shutdown).await
}

/// The optional parts of a server beyond storage and the HTTP API.
#[derive(Debug, Default)]
pub struct Services {
    /// Graphite listeners, bound beforehand so that a taken port fails startup.
    pub graphite: Option<GraphiteListener>,
    /// The configuration to scrape by (and reload); `None` scrapes nothing.
    pub config: Option<ConfigSource>,
    /// Reload the configuration on SIGHUP (the binary does; tests sharing a process do not).
    pub reload_on_sighup: bool,
    pub scrape: ScrapeOptions,
    pub rules: RuleOptions,
}

/// Rule evaluation and notification settings from the command line.
#[derive(Debug, Clone)]
pub struct RuleOptions {
    pub external_url: String,
    pub resend_delay: Duration,
    pub outage_tolerance: Duration,
    pub grace_period: Duration,
    pub queue_capacity: usize,
}

impl Default for RuleOptions {
    fn default() -> Self {
        RuleOptions {
            external_url: "http://localhost:9090/".into(),
            resend_delay: Duration::from_secs(60),
            outage_tolerance: Duration::from_secs(3600),
            grace_period: Duration::from_secs(600),
            queue_capacity: 10_000,
        }
    }
}

/// Serves on `listener` with `services` until `shutdown` completes. Scrape loops and the
/// Graphite listeners stop, and what they read is committed, before storage closes.
pub async fn run_services(
    listener: TcpListener,
    opts: DbOptions,
    max_request_bytes: usize,
    api: ApiOptions,
    services: Services,
    shutdown: impl Future<Output = ()>,
) -> Result<(), String> {
    let Services {
        graphite,
        config,
        reload_on_sighup,
        scrape: scrape_opts,
        rules: rule_opts,
    } = services;
    let engine_opts = api.engine.clone();
    let metrics = Arc::new(Metrics::default());
    let state = Arc::new(AppState::with_api(metrics.clone(), max_request_bytes, api));
    let server = tokio::spawn(http::serve(listener, state.clone()));

    let db = tokio::task::spawn_blocking(move || Db::open(opts, metrics))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("opening storage: {e}"))?;
    let _ = state.db.set(db.clone());
    info!("Strata is ready to receive requests");
    let graphite = match graphite {
        Some(g) => {
            let db = db.clone();
            let app = Box::new(move || db.appender());
            Some(
                g.start(app, state.metrics.graphite.clone())
                    .map_err(|e| e.to_string())?,
            )
        }
        None => None,
    };

    let scrape = {
        let db = db.clone();
        let app: AppenderFactory = Arc::new(move || db.appender());
        ScrapeManager::new(app, state.metrics.scrape.clone(), scrape_opts)
    };
    let _ = state.scrape.set(scrape.clone());
    let notifier = Notifier::new(
        NotifierOptions {
            queue_capacity: rule_opts.queue_capacity,
            external_url: rule_opts.external_url.clone(),
            ..NotifierOptions::default()
        },
        state.metrics.notifier.clone(),
    );
    let _ = state.notifier.set(notifier.clone());
    let rules = RuleManager::new(EvalContext {
        storage: db.clone(),
        app: {
            let db = db.clone();
            Arc::new(move || db.appender())
        },
        notify: {
            let notifier = notifier.clone();
            Arc::new(move |alerts: Vec<Outgoing>| {
                notifier.send(alerts.into_iter().map(to_notifier_alert).collect());
            })
        },
        engine: promql::Engine::new(engine_opts),
        external_labels: Default::default(),
        external_url: rule_opts.external_url.clone(),
        resend_delay: rule_opts.resend_delay,
        outage_tolerance: rule_opts.outage_tolerance,
        grace_period: rule_opts.grace_period,
    });
    let _ = state.rules.set(rules.clone());
    let sighup = match config {
        Some(source) => {
            let reloader = Arc::new(Reloader::new(
                source,
                scrape.clone(),
                rules.clone(),
                notifier.clone(),
                state.clone(),
            ));
            // The first load was checked before startup; a failure now (a file changed in
            // between) leaves scraping off until a reload succeeds.
            let _ = reloader.reload().await;
            let _ = state.reloader.set(reloader.clone());
            reload_on_sighup.then(|| tokio::spawn(reload_on_hangup(reloader)))
        }
        None => None,
    };

    let stop = Arc::new(AtomicBool::new(false));
    let maint = {
        let (db, stop) = (db.clone(), stop.clone());
        std::thread::Builder::new()
            .name("tsdb-maintenance".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Err(e) = db.maintain() {
                        warn!(error = %e, "storage maintenance");
                    }
                    // Sleep in small steps so that shutdown is prompt.
                    let mut slept = Duration::ZERO;
                    while slept < MAINTENANCE_INTERVAL && !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(100));
                        slept += Duration::from_millis(100);
                    }
                }
            })
            .map_err(|e| e.to_string())?
    };

    let result = tokio::select! {
        r = server => match r {
            Ok(Err(e)) => Err(format!("HTTP server: {e}")),
            Err(e) => Err(format!("HTTP server: {e}")),
            Ok(Ok(())) => Ok(()),
        },
        _ = shutdown => Ok(()),
    };
    if let Some(h) = sighup {
        h.abort();
    }
    scrape.shutdown().await;
    rules.shutdown().await;
    // After the rules, so that the last resolved alerts still go out.
    notifier.stop().await;
    if let Some(g) = graphite {
        g.shutdown().await;
    }
    stop.store(true, Ordering::Relaxed);
    let _ = maint.join();
    db.close().map_err(|e| e.to_string())?;
    result
}

/// Reloads the configuration whenever the process gets SIGHUP, as Prometheus does.
async fn reload_on_hangup(reloader: Arc<Reloader>) {
    let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
        warn!("cannot listen for SIGHUP; reload with POST /-/reload");
        return;
    };
    while hup.recv().await.is_some() {
        let _ = reloader.reload().await;
    }
}

fn to_notifier_alert(a: Outgoing) -> crate::notifier::Alert {
    let at = |ms: i64| std::time::UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
    crate::notifier::Alert {
        labels: a.labels,
        annotations: a.annotations,
        starts_at: at(a.starts_at),
        ends_at: (a.ends_at != 0).then(|| at(a.ends_at)),
        generator_url: a.generator_url,
    }
}
