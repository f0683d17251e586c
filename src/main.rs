//! The `strata` server binary: flags, allocator, runtime, and the wiring of the database to
//! the HTTP server and the background maintenance loop.

use clap::Parser;
use std::sync::Arc;
use std::time::Duration;
use strata::config::Flags;
use strata::http::{self, AppState};
use strata::metrics::Metrics;
use strata::tsdb::Db;
use tracing::{error, info, warn};

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// How often the database checks whether to cut, compact or expire blocks.
const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(5);

fn main() -> std::process::ExitCode {
    let flags = Flags::parse();
    let filter = tracing_subscriber::EnvFilter::try_new(&flags.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();

    let opts = match flags.db_options() {
        Ok(o) => o,
        Err(e) => {
            error!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            error!(error = %e, "starting the runtime");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(flags, opts)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            error!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(flags: Flags, opts: strata::tsdb::DbOptions) -> Result<(), String> {
    let metrics = Arc::new(Metrics::default());
    let state = Arc::new(AppState::new(
        metrics.clone(),
        usize::try_from(flags.max_request_bytes).unwrap_or(usize::MAX),
    ));
    let listener = tokio::net::TcpListener::bind(flags.listen_address)
        .await
        .map_err(|e| format!("listening on {}: {e}", flags.listen_address))?;
    info!(address = %flags.listen_address, data = %opts.dir.display(), "Strata starting");
    let server = tokio::spawn(http::serve(listener, state.clone()));

    // The WAL replay can take a while: the server already answers /-/healthy meanwhile.
    let db = tokio::task::spawn_blocking(move || Db::open(opts, metrics))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("opening storage: {e}"))?;
    let _ = state.db.set(db.clone());
    info!("Strata is ready to receive requests");

    let maint_db = db.clone();
    std::thread::Builder::new()
        .name("tsdb-maintenance".into())
        .spawn(move || {
            loop {
                if let Err(e) = maint_db.maintain() {
                    warn!(error = %e, "storage maintenance");
                }
                std::thread::sleep(MAINTENANCE_INTERVAL);
            }
        })
        .map_err(|e| e.to_string())?;

    tokio::select! {
        r = server => match r {
            Ok(Err(e)) => return Err(format!("HTTP server: {e}")),
            Err(e) => return Err(format!("HTTP server: {e}")),
            Ok(Ok(())) => {}
        },
        _ = shutdown_signal() => info!("received shutdown signal"),
    }
    db.close().map_err(|e| e.to_string())?;
    info!("Strata stopped");
    Ok(())
}

async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}
