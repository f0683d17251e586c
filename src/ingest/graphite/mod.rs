//! Graphite plaintext over TCP and UDP (`--graphite.listen-address`, default `:2003`).
//!
//! [`GraphiteListener::bind`] opens both sockets (so a taken port fails at startup), and
//! [`GraphiteListener::start`] runs the receivers on the runtime and one writer thread that
//! appends and commits (see [`writer`]). Lines are parsed by `compat::graphite`; the naming
//! rules are documented in `docs/graphite.md`.

pub mod metrics;
mod receive;
pub mod writer;

#[cfg(test)]
mod tests;

pub use metrics::GraphiteMetrics;

use compat::graphite::{DEFAULT_MAX_LINE_BYTES, Mapping};
use receive::Shared;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tracing::{info, warn};
use writer::{AppenderFactory, Writer};

/// Settings of the Graphite listeners.
#[derive(Debug, Clone)]
pub struct GraphiteOptions {
    /// Longest line, newline excluded; longer lines are dropped and counted.
    pub max_line_bytes: usize,
    /// A TCP connection that sends nothing for this long is closed.
    pub idle_timeout: Duration,
    /// Most TCP connections open at once; further ones are closed on accept.
    pub max_connections: usize,
    /// Samples staged before a commit even while more keep arriving.
    pub commit_samples: u64,
    /// Path templates; empty means every path is its own metric name.
    pub mapping: Arc<Mapping>,
}

impl Default for GraphiteOptions {
    fn default() -> Self {
        GraphiteOptions {
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            idle_timeout: Duration::from_secs(300),
            max_connections: 4096,
            commit_samples: 10_000,
            mapping: Arc::new(Mapping::default()),
        }
    }
}

/// Batches queued between the receivers and the writer: the back-pressure bound (at most
/// this many reads of 64 KiB are held).
const QUEUE_BATCHES: usize = 256;

/// How long shutdown waits for the writer's last commit.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(30);

/// `--graphite.listen-address`: empty disables; `:PORT` means every IPv4 interface, as in Go.
pub fn parse_listen_address(s: &str) -> Result<Option<SocketAddr>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let full = if s.starts_with(':') {
        format!("0.0.0.0{s}")
    } else {
        s.to_string()
    };
    full.to_socket_addrs()
        .map_err(|e| format!("--graphite.listen-address {s:?}: {e}"))?
        .next()
        .map(Some)
        .ok_or_else(|| format!("--graphite.listen-address {s:?}: no address"))
}

/// Reads a mapping file (`--graphite.mapping-file`).
pub fn load_mapping(path: &Path) -> Result<Mapping, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("--graphite.mapping-file {}: {e}", path.display()))?;
    Mapping::parse(&text).map_err(|e| format!("--graphite.mapping-file {}: {e}", path.display()))
}

/// The bound TCP listener and UDP socket, not yet serving.
#[derive(Debug)]
pub struct GraphiteListener {
    tcp: TcpListener,
    udp: UdpSocket,
    opts: GraphiteOptions,
}

impl GraphiteListener {
    /// Binds TCP and UDP on `addr`. With port 0, UDP takes the port TCP got when it is free.
    pub async fn bind(addr: SocketAddr, opts: GraphiteOptions) -> std::io::Result<Self> {
        let tcp = TcpListener::bind(addr).await?;
        let udp = match UdpSocket::bind(tcp.local_addr()?).await {
            Ok(u) => u,
            Err(_) if addr.port() == 0 => UdpSocket::bind(addr).await?,
            Err(e) => return Err(e),
        };
        Ok(GraphiteListener { tcp, udp, opts })
    }

    pub fn tcp_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }

    pub fn udp_addr(&self) -> std::io::Result<SocketAddr> {
        self.udp.local_addr()
    }

    /// Starts receiving; samples go to appenders from `new_appender`. Must run inside a Tokio
    /// runtime.
    pub fn start(
        self,
        new_appender: AppenderFactory,
        metrics: Arc<GraphiteMetrics>,
    ) -> std::io::Result<GraphiteHandle> {
        let (tx, rx) = mpsc::channel(QUEUE_BATCHES);
        let (stop_tx, stop_rx) = watch::channel(false);
        let shared = Shared {
            tx,
            metrics: metrics.clone(),
            max_line_bytes: self.opts.max_line_bytes,
            idle_timeout: self.opts.idle_timeout,
            max_connections: self.opts.max_connections,
            open: Arc::new(AtomicUsize::new(0)),
        };
        let (mapping, commit_samples) = (self.opts.mapping.clone(), self.opts.commit_samples);
        let writer = std::thread::Builder::new()
            .name("graphite-writer".into())
            .spawn(move || {
                Writer::new(&mapping, &metrics).run(rx, &new_appender, commit_samples.max(1));
            })?;
        info!(tcp = %self.tcp.local_addr()?, udp = %self.udp.local_addr()?,
            templates = self.opts.mapping.len(), "graphite: listening");
        let tasks = vec![
            tokio::spawn(receive::accept_loop(
                self.tcp,
                shared.clone(),
                stop_rx.clone(),
            )),
            tokio::spawn(receive::udp_loop(self.udp, shared, stop_rx)),
        ];
        Ok(GraphiteHandle {
            stop: stop_tx,
            tasks,
            writer,
        })
    }
}

/// Running listeners; [`GraphiteHandle::shutdown`] stops them and waits for the last commit.
#[derive(Debug)]
pub struct GraphiteHandle {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    writer: std::thread::JoinHandle<()>,
}

impl GraphiteHandle {
    /// Stops accepting and reading, then waits until everything already read is committed.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        // Connection tasks end at the stop signal and drop their senders; the writer then
        // commits and returns.
        let writer = self.writer;
        let joined = tokio::time::timeout(
            SHUTDOWN_WAIT,
            tokio::task::spawn_blocking(move || writer.join()),
        )
        .await;
        if joined.is_err() {
            warn!("graphite: writer did not finish within {SHUTDOWN_WAIT:?}");
        }
    }
}

/// The listener the flags ask for, bound; `None` when `--graphite.listen-address` is empty.
pub async fn bind_from_flags(
    flags: &crate::config::Flags,
) -> Result<Option<GraphiteListener>, String> {
    let Some(addr) = parse_listen_address(&flags.graphite_listen_address)? else {
        return Ok(None);
    };
    let mapping = match &flags.graphite_mapping_file {
        Some(p) => load_mapping(p)?,
        None => Mapping::default(),
    };
    let opts = GraphiteOptions {
        max_line_bytes: usize::try_from(flags.graphite_max_line_length.max(1))
            .unwrap_or(usize::MAX),
        idle_timeout: flags.graphite_idle_timeout.max(Duration::from_secs(1)),
        mapping: Arc::new(mapping),
        ..GraphiteOptions::default()
    };
    GraphiteListener::bind(addr, opts)
        .await
        .map(Some)
        .map_err(|e| format!("listening on {addr} for Graphite (--graphite.listen-address): {e}"))
}
