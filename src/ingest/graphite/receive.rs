//! The TCP and UDP receivers: bytes off the sockets, cut into lines, handed to the writer.

use super::metrics::GraphiteMetrics;
use super::writer::Batch;
use compat::graphite::LineFramer;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, watch};
use tracing::{debug, warn};

/// Read size per `read` call and the largest datagram (UDP payloads stop at 65,507 bytes).
const READ_BYTES: usize = 64 * 1024;

/// What every receiver needs.
#[derive(Debug, Clone)]
pub struct Shared {
    pub tx: mpsc::Sender<Batch>,
    pub metrics: Arc<GraphiteMetrics>,
    pub max_line_bytes: usize,
    pub idle_timeout: Duration,
    pub max_connections: usize,
    pub open: Arc<AtomicUsize>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Accepts connections until shutdown; each is served on its own task.
pub async fn accept_loop(listener: TcpListener, shared: Shared, mut stop: watch::Receiver<bool>) {
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = stop.changed() => return,
        };
        let (stream, peer) = match accepted {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                warn!(error = %e, "graphite: accepting a TCP connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        if shared.open.load(Ordering::Relaxed) >= shared.max_connections {
            shared
                .metrics
                .tcp_connections_refused
                .fetch_add(1, Ordering::Relaxed);
            debug!(%peer, "graphite: too many open connections, closing");
            continue;
        }
        shared.open.fetch_add(1, Ordering::Relaxed);
        shared
            .metrics
            .tcp_connections
            .fetch_add(1, Ordering::Relaxed);
        let (shared, stop) = (shared.clone(), stop.clone());
        tokio::spawn(async move {
            serve_connection(stream, peer, &shared, stop).await;
            shared.open.fetch_sub(1, Ordering::Relaxed);
        });
    }
}

/// Reads lines until the peer closes, goes idle for `idle_timeout`, or the server stops. At
/// the peer's close an unterminated last line still counts; at shutdown it does not (the
/// sender had not finished it).
async fn serve_connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    shared: &Shared,
    mut stop: watch::Receiver<bool>,
) {
    let mut buf = vec![0u8; READ_BYTES];
    let mut framer = LineFramer::new(shared.max_line_bytes);
    loop {
        let read = tokio::select! {
            r = tokio::time::timeout(shared.idle_timeout, stream.read(&mut buf)) => r,
            _ = stop.changed() => return,
        };
        let mut lines = Vec::new();
        let mut too_long = 0;
        let done = match read {
            Ok(Ok(0)) => {
                framer.finish(&mut lines);
                true
            }
            Ok(Ok(n)) => {
                too_long = framer.push(&buf[..n], &mut lines);
                false
            }
            Ok(Err(e)) => {
                debug!(%peer, error = %e, "graphite: connection failed");
                return;
            }
            Err(_) => {
                debug!(%peer, "graphite: closing idle connection");
                return;
            }
        };
        if !lines.is_empty() || too_long > 0 {
            let batch = Batch {
                lines,
                received_ms: now_ms(),
                too_long,
                peer,
            };
            if shared.tx.send(batch).await.is_err() {
                return;
            }
        }
        if done {
            return;
        }
    }
}

/// Receives datagrams until shutdown; each datagram is a whole number of lines.
pub async fn udp_loop(socket: UdpSocket, shared: Shared, mut stop: watch::Receiver<bool>) {
    let mut buf = vec![0u8; READ_BYTES];
    let mut framer = LineFramer::new(shared.max_line_bytes);
    loop {
        let received = tokio::select! {
            r = socket.recv_from(&mut buf) => r,
            _ = stop.changed() => return,
        };
        let (n, peer) = match received {
            Ok(r) => r,
            Err(e) => {
                // ICMP errors from earlier sends and the like; the socket stays usable.
                debug!(error = %e, "graphite: UDP receive");
                continue;
            }
        };
        shared.metrics.udp_datagrams.fetch_add(1, Ordering::Relaxed);
        let mut lines = Vec::new();
        let too_long = framer.push(&buf[..n], &mut lines);
        framer.finish(&mut lines);
        if lines.is_empty() && too_long == 0 {
            continue;
        }
        let batch = Batch {
            lines,
            received_ms: now_ms(),
            too_long,
            peer,
        };
        if shared.tx.send(batch).await.is_err() {
            return;
        }
    }
}
