//! Runners for compatibility suites and end-to-end tests against real peers.
//!
//! The suites are binaries in `src/bin/` (`e2e_remote_write`, `crash`); this library holds what
//! they share: child processes that die with the harness ([`process`]), ports, polling and temp
//! dirs ([`net`], [`env`]), a small HTTP client ([`http`]), the Prometheus HTTP API and
//! exposition-text helpers ([`prom`]), a remote read client ([`wire`]), an independent XOR chunk
//! decoder to check streamed remote read ([`xor`]), a seeded PRNG ([`prng`]) and the comparison
//! of series sets and samples between two servers ([`compare`]).
//!
//! Every wait in here is bounded in time; every child process is killed when its handle drops,
//! including during a panic; every address is on 127.0.0.1.

pub mod alert_peers;
pub mod compare;
pub mod compliance;
pub mod env;
pub mod http;
pub mod net;
pub mod openmetrics;
pub mod peers;
pub mod prng;
pub mod process;
pub mod prom;
pub mod promqltest;
pub mod scrape_peers;
pub mod wire;
pub mod xor;

/// What went wrong in a suite step, with enough context to act on it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A free-form failure: a peer did not come up, a response was malformed, ...
    #[error("{0}")]
    Msg(String),
    /// A server answered with an unexpected HTTP status.
    #[error("{context}: status {status}: {body}")]
    Status {
        /// The request, e.g. `remote read http://127.0.0.1:9090/api/v1/read`.
        context: String,
        /// HTTP status code.
        status: u16,
        /// The start of the response body.
        body: String,
    },
    /// An I/O error with what we were doing when it happened.
    #[error("{context}: {source}")]
    Io {
        /// What the suite was doing.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Result type of the suites' helpers.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with what we were doing.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// Builds an [`Error::Msg`] from format arguments.
#[macro_export]
macro_rules! fail {
    ($($arg:tt)*) => { $crate::Error::Msg(format!($($arg)*)) };
}

/// A suite binary's `main`: runs `run`, prints `<name>: PASS|FAIL in <time>`, and exits 0 when
/// every check passed, 1 when one failed or the suite could not run.
pub fn run_suite(name: &str, run: impl FnOnce() -> Result<bool>) -> ! {
    let started = std::time::Instant::now();
    let code = match run() {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            eprintln!("{name}: ERROR: {e}");
            1
        }
    };
    println!(
        "{name}: {} in {:.0?}",
        if code == 0 { "PASS" } else { "FAIL" },
        started.elapsed()
    );
    std::process::exit(code);
}
