//! The `strata` server binary: flags, allocator, runtime.

use strata::config::Flags;
use tracing::{error, info};

// jemalloc with its background threads on (the `background_threads` feature): without them it
// returns freed pages to the OS only while allocating, so memory freed after a burst (decoded
// requests, a block cut) would stay resident once the load stops.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    // `strata check rules FILE...` validates rule files as `promtool check rules` does.
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.get(1).is_some_and(|a| a == "check") {
        return check_command(&args[2..]);
    }
    let (flags, flag_values) = Flags::parse_with_values();
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
    let api = flags.api_options(flag_values);
    // A configuration that does not load stops startup, as in Prometheus.
    let config = flags.config_source();
    if let Err(e) = config.load() {
        error!(file = %config.describe(), "Error loading config: {e}");
        return std::process::ExitCode::FAILURE;
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            error!(error = %e, "starting the runtime");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(flags.listen_address)
            .await
            .map_err(|e| format!("listening on {}: {e}", flags.listen_address))?;
        info!(address = %flags.listen_address, data = %opts.dir.display(), "Strata starting");
        let max_body = usize::try_from(flags.max_request_bytes).unwrap_or(usize::MAX);
        let graphite = strata::ingest::graphite::bind_from_flags(&flags).await?;
        let services = strata::server::Services {
            graphite,
            config: Some(config),
            reload_on_sighup: true,
            scrape: flags.scrape_options(),
            rules: flags.rule_options(),
        };
        strata::server::run_services(listener, opts, max_body, api, services, shutdown_signal())
            .await
    });
    match result {
        Ok(()) => {
            info!("Strata stopped");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            error!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
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
    info!("received shutdown signal");
}

fn check_command(args: &[std::ffi::OsString]) -> std::process::ExitCode {
    match args.first().and_then(|a| a.to_str()) {
        Some("rules") => {
            let files: Vec<std::path::PathBuf> = args[1..].iter().map(Into::into).collect();
            let code = strata::rules::check::run(
                &files,
                &strata::rules::check::CheckOptions::default(),
                &mut std::io::stdout(),
                &mut std::io::stderr(),
            );
            std::process::ExitCode::from(u8::try_from(code).unwrap_or(1))
        }
        _ => {
            eprintln!("usage: strata check rules FILE...");
            std::process::ExitCode::from(2)
        }
    }
}
