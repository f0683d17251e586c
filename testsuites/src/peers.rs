//! Starting the processes the suites drive: Strata (or a reference Prometheus in its place),
//! Prometheus servers, and node_exporter. All listen on 127.0.0.1 ports picked at start.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::http::Http;
use crate::net::{free_port, wait_for};
use crate::process::Proc;
use crate::{Error, Result, env, fail};

/// Which server receives remote write and serves remote read in a suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiverKind {
    /// The server under test.
    Strata,
    /// Prometheus with `--web.enable-remote-write-receiver`: proves the harness itself.
    Prometheus,
}

impl ReceiverKind {
    /// From `RECEIVER` (`strata`, the default, or `prometheus`).
    pub fn from_env() -> Result<Self> {
        match env::string("RECEIVER", "strata").as_str() {
            "strata" => Ok(ReceiverKind::Strata),
            "prometheus" => Ok(ReceiverKind::Prometheus),
            other => Err(fail!("RECEIVER={other}: expected strata or prometheus")),
        }
    }

    /// Name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            ReceiverKind::Strata => "strata",
            ReceiverKind::Prometheus => "prometheus-receiver",
        }
    }

    /// Prefix of the receiver's own TSDB metrics (`strata_tsdb_` or `prometheus_tsdb_`).
    pub fn tsdb_metric_prefix(self) -> &'static str {
        match self {
            ReceiverKind::Strata => "strata_tsdb_",
            ReceiverKind::Prometheus => "prometheus_tsdb_",
        }
    }
}

/// Path of the Strata binary: `STRATA_BIN`, else `target/release/strata` in the workspace.
pub fn strata_bin() -> Result<PathBuf> {
    let default = env::workspace_root().join("target/release/strata");
    env::binary("STRATA_BIN", &[default.to_string_lossy().as_ref()])
}

/// Path of Prometheus: `PROMETHEUS_BIN`, else `/usr/bin/prometheus`.
pub fn prometheus_bin() -> Result<PathBuf> {
    env::binary(
        "PROMETHEUS_BIN",
        &["/usr/bin/prometheus", "/usr/local/bin/prometheus"],
    )
}

/// Path of node_exporter: `NODE_EXPORTER_BIN`, else the Debian or upstream install path.
pub fn node_exporter_bin() -> Result<PathBuf> {
    env::binary(
        "NODE_EXPORTER_BIN",
        &[
            "/usr/bin/prometheus-node-exporter",
            "/usr/local/bin/node_exporter",
            "/usr/bin/node_exporter",
        ],
    )
}

/// A started server: its process and base URL.
#[derive(Debug)]
pub struct Server {
    /// The process (killed on drop).
    pub proc: Proc,
    /// Listening port on 127.0.0.1.
    pub port: u16,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    ready_path: &'static str,
}

impl Server {
    fn spawn(
        name: &str,
        bin: &Path,
        args: Vec<String>,
        port: u16,
        dir: &Path,
        ready_path: &'static str,
    ) -> Result<Self> {
        let log = dir.join(format!("{name}.log"));
        println!(
            "starting {name} on 127.0.0.1:{port} (log {})",
            log.display()
        );
        let proc = Proc::spawn(name, bin, &args, &log)?;
        Ok(Server {
            proc,
            port,
            base: format!("http://127.0.0.1:{port}"),
            ready_path,
        })
    }

    /// Polls the readiness endpoint until it answers 200; fails early if the process exits.
    /// Returns how long it took.
    pub fn wait_ready(&mut self, http: &Http, timeout: Duration) -> Result<Duration> {
        let start = Instant::now();
        let url = format!("{}{}", self.base, self.ready_path);
        let name = self.proc.name().to_string();
        let proc = &mut self.proc;
        wait_for(
            &format!("{name} to be ready at {url}"),
            timeout,
            Duration::from_millis(100),
            || {
                proc.check_alive()?;
                Ok(match http.get(&url, &[]) {
                    Ok(r) if r.status == 200 => Some(()),
                    _ => None,
                })
            },
        )
        .map_err(|e| fail!("{e}; last log lines of {name}:\n{}", self.proc.log_tail(20)))?;
        Ok(start.elapsed())
    }
}

/// Collectors of the main node_exporter: quick ones only (no filesystem stat calls that can hang,
/// no hardware sensors), so the series set is stable from scrape to scrape.
pub const NODE_COLLECTORS: &[&str] = &[
    "cpu",
    "meminfo",
    "loadavg",
    "diskstats",
    "netdev",
    "netstat",
    "stat",
    "vmstat",
    "time",
    "uname",
    "filefd",
    "sockstat",
    "entropy",
    "os",
    "pressure",
    "schedstat",
    "softnet",
];

/// node_exporter named `name` with only `collectors` enabled.
pub fn start_node_exporter(name: &str, dir: &Path, collectors: &[&str]) -> Result<Server> {
    let bin = node_exporter_bin()?;
    let port = free_port()?;
    let mut args = vec![
        format!("--web.listen-address=127.0.0.1:{port}"),
        "--collector.disable-defaults".to_string(),
    ];
    for c in collectors {
        args.push(format!("--collector.{c}"));
    }
    Server::spawn(name, &bin, args, port, dir, "/metrics")
}

/// Prometheus on `port` (pick it with [`free_port`] first when the config must name it) with
/// `config` written to `DIR/NAME.yml` and its TSDB in `DIR/NAME-data`.
pub fn start_prometheus(
    name: &str,
    dir: &Path,
    port: u16,
    config: &str,
    extra: &[String],
) -> Result<Server> {
    let bin = prometheus_bin()?;
    let config_path = dir.join(format!("{name}.yml"));
    std::fs::write(&config_path, config)
        .map_err(|e| Error::io(format!("writing {}", config_path.display()), e))?;
    let mut args = vec![
        format!("--config.file={}", config_path.display()),
        format!(
            "--storage.tsdb.path={}",
            dir.join(format!("{name}-data")).display()
        ),
        format!("--web.listen-address=127.0.0.1:{port}"),
        "--log.level=info".to_string(),
    ];
    args.extend(extra.iter().cloned());
    Server::spawn(name, &bin, args, port, dir, "/-/ready")
}

/// Options for the receiver under test (flags shared by Strata and Prometheus).
#[derive(Debug, Clone, Default)]
pub struct ReceiverOpts {
    /// `--storage.tsdb.min-block-duration`, if set.
    pub min_block: Option<Duration>,
    /// `--storage.tsdb.max-block-duration`, if set.
    pub max_block: Option<Duration>,
    /// Extra flags (from `RECEIVER_ARGS`, space separated, plus the suite's own).
    pub extra: Vec<String>,
}

/// Starts the receiver under test on `data` (Strata, or Prometheus as a reference receiver).
pub fn start_receiver(
    kind: ReceiverKind,
    dir: &Path,
    data: &Path,
    opts: &ReceiverOpts,
) -> Result<Server> {
    let port = free_port()?;
    let mut args = vec![
        format!("--storage.tsdb.path={}", data.display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
        "--log.level=info".to_string(),
    ];
    if let Some(d) = opts.min_block {
        args.push(format!(
            "--storage.tsdb.min-block-duration={}",
            env::format_duration(d)
        ));
    }
    if let Some(d) = opts.max_block {
        args.push(format!(
            "--storage.tsdb.max-block-duration={}",
            env::format_duration(d)
        ));
    }
    args.extend(opts.extra.iter().cloned());
    args.extend(
        env::string("RECEIVER_ARGS", "")
            .split_whitespace()
            .map(String::from),
    );
    match kind {
        ReceiverKind::Strata => {
            // Strata listens for Graphite on :2003 by default; suites run several servers at
            // once, so the listener is off unless a suite asks for it.
            if !args
                .iter()
                .any(|a| a.starts_with("--graphite.listen-address"))
            {
                args.push("--graphite.listen-address=".to_string());
            }
            // Without a configuration Strata scrapes itself; a receiver under test must hold
            // only what the suite sends it, as the Prometheus receiver below does.
            if !args.iter().any(|a| a.starts_with("--config.file")) {
                let config = dir.join("receiver.yml");
                std::fs::write(&config, "global:\n  scrape_interval: 1m\n")
                    .map_err(|e| Error::io("writing receiver.yml", e))?;
                args.push(format!("--config.file={}", config.display()));
            }
            Server::spawn("strata", &strata_bin()?, args, port, dir, "/-/ready")
        }
        ReceiverKind::Prometheus => {
            let config = dir.join("receiver.yml");
            std::fs::write(&config, "global:\n  scrape_interval: 1m\n")
                .map_err(|e| Error::io("writing receiver.yml", e))?;
            args.push(format!("--config.file={}", config.display()));
            args.push("--web.enable-remote-write-receiver".to_string());
            Server::spawn(
                "prometheus-receiver",
                &prometheus_bin()?,
                args,
                port,
                dir,
                "/-/ready",
            )
        }
    }
}
