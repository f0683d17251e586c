//! Sending pre-encoded text chunks: line protocol as HTTP `POST`s on keep-alive connections,
//! Graphite plaintext as writes on plain TCP connections; one thread and connection per shard.

use crate::http::{Conn, Url};
use crate::send::SendStats;
use crate::textload::Chunk;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Attempts per request for retryable failures (I/O errors, 5xx, 429), as in [`crate::send`].
const ATTEMPTS: u32 = 5;

/// Runs `one(shard)` for every shard on its own thread and adds up the results.
fn per_shard(shards: &[Vec<Chunk>], one: impl Fn(&[Chunk]) -> SendStats + Sync) -> SendStats {
    let start = Instant::now();
    let results: Vec<SendStats> = std::thread::scope(|scope| {
        let handles: Vec<_> = shards
            .iter()
            .map(|chunks| {
                let one = &one;
                scope.spawn(move || one(chunks))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("sender thread panicked"))
            .collect()
    });
    let mut total = SendStats {
        wall: start.elapsed(),
        ..Default::default()
    };
    for r in results {
        total.requests_ok += r.requests_ok;
        total.samples_ok += r.samples_ok;
        total.requests_rejected += r.requests_rejected;
        total.samples_rejected += r.samples_rejected;
        total.retries += r.retries;
        total.first_error = total.first_error.or(r.first_error);
    }
    total
}

/// POSTs every chunk to `url` (a `/write?db=...&precision=s` URL); a 2xx answer means the
/// server took the whole batch.
pub fn send_influx(url: &Url, shards: &[Vec<Chunk>], timeout: Duration) -> SendStats {
    per_shard(shards, |chunks| {
        let mut conn = Conn::new(url.clone(), timeout);
        let mut st = SendStats::default();
        for chunk in chunks {
            let mut outcome = Err(String::new());
            for attempt in 0..ATTEMPTS {
                if attempt > 0 {
                    st.retries += 1;
                    std::thread::sleep(Duration::from_millis(50 << attempt));
                }
                match conn.post_text(&chunk.bytes) {
                    Ok(r) if (200..300).contains(&r.status) => {
                        outcome = Ok(());
                        break;
                    }
                    Ok(r) => {
                        outcome = Err(format!(
                            "HTTP {}: {}",
                            r.status,
                            String::from_utf8_lossy(&r.body).trim()
                        ));
                        if r.status != 429 && r.status < 500 {
                            break;
                        }
                    }
                    Err(e) => outcome = Err(format!("I/O: {e}")),
                }
            }
            match outcome {
                Ok(()) => {
                    st.requests_ok += 1;
                    st.samples_ok += u64::from(chunk.samples);
                }
                Err(msg) => {
                    st.requests_rejected += 1;
                    st.samples_rejected += u64::from(chunk.samples);
                    st.first_error.get_or_insert(msg);
                }
            }
        }
        st
    })
}

/// Writes every chunk to `addr`, then half-closes and waits (up to `timeout`) for the server to
/// close too: a server closes only after reading to the end, so every byte has then been read.
/// Plaintext has no acknowledgement: whether the samples were stored is checked separately.
pub fn send_graphite(addr: SocketAddr, shards: &[Vec<Chunk>], timeout: Duration) -> SendStats {
    per_shard(shards, |chunks| {
        let mut st = SendStats::default();
        let total: u64 = chunks.iter().map(|c| u64::from(c.samples)).sum();
        match write_stream(addr, chunks, timeout) {
            Ok(()) => {
                st.requests_ok = chunks.len() as u64;
                st.samples_ok = total;
            }
            Err(e) => {
                st.requests_rejected = chunks.len() as u64;
                st.samples_rejected = total;
                st.first_error = Some(format!("TCP: {e}"));
            }
        }
        st
    })
}

fn write_stream(addr: SocketAddr, chunks: &[Chunk], timeout: Duration) -> std::io::Result<()> {
    let mut s = TcpStream::connect_timeout(&addr, timeout)?;
    s.set_write_timeout(Some(timeout))?;
    s.set_read_timeout(Some(timeout))?;
    for c in chunks {
        s.write_all(&c.bytes)?;
    }
    s.shutdown(Shutdown::Write)?;
    // Anything the server says (nothing, normally) is drained until its close.
    let mut sink = [0u8; 4096];
    while s.read(&mut sink)? > 0 {}
    Ok(())
}
