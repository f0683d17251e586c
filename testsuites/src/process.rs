//! Child processes owned by a suite: logs to a file, killed when the handle drops (also on panic).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Error, Result, fail};

/// A running child process. Dropping it sends SIGKILL and reaps it.
#[derive(Debug)]
pub struct Proc {
    name: String,
    program: PathBuf,
    args: Vec<String>,
    log: PathBuf,
    child: Option<Child>,
}

impl Proc {
    /// Starts `program args...` with stdout and stderr appended to `log`.
    pub fn spawn(name: &str, program: &Path, args: &[String], log: &Path) -> Result<Self> {
        let mut p = Proc {
            name: name.to_string(),
            program: program.to_path_buf(),
            args: args.to_vec(),
            log: log.to_path_buf(),
            child: None,
        };
        p.start()?;
        Ok(p)
    }

    fn start(&mut self) -> Result<()> {
        let out = open_log(&self.log)?;
        let err = out
            .try_clone()
            .map_err(|e| Error::io("cloning log handle", e))?;
        let child = Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| {
                Error::io(
                    format!("starting {} ({})", self.name, self.program.display()),
                    e,
                )
            })?;
        self.child = Some(child);
        Ok(())
    }

    /// The name used in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The OS process id, if running.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Where stdout and stderr go.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Whether the process is still alive (reaps it if it exited).
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Fails with the log tail if the process has exited.
    pub fn check_alive(&mut self) -> Result<()> {
        if let Some(c) = self.child.as_mut() {
            if let Ok(Some(status)) = c.try_wait() {
                return Err(fail!(
                    "{} exited unexpectedly ({status}); last log lines:\n{}",
                    self.name,
                    self.log_tail(30)
                ));
            }
        }
        Ok(())
    }

    /// SIGKILL and reap: the crash under test.
    pub fn kill9(&mut self) -> Result<()> {
        if let Some(mut c) = self.child.take() {
            // `Child::kill` sends SIGKILL on Unix. An error means it already exited.
            let _ = c.kill();
            c.wait()
                .map_err(|e| Error::io(format!("reaping {}", self.name), e))?;
        }
        Ok(())
    }

    /// SIGTERM, then waits up to `grace` for a clean exit; SIGKILL after that.
    /// Returns whether the process exited on its own within `grace`.
    pub fn terminate(&mut self, grace: Duration) -> Result<bool> {
        let Some(pid) = self.pid() else {
            return Ok(true);
        };
        signal(pid, "TERM")?;
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if !self.is_running() {
                self.child = None;
                return Ok(true);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!(
            "{} did not exit within {grace:?} of SIGTERM; killing it",
            self.name
        );
        self.kill9()?;
        Ok(false)
    }

    /// Sends SIGHUP (Prometheus reloads its configuration on it).
    pub fn hup(&self) -> Result<()> {
        match self.pid() {
            Some(pid) => signal(pid, "HUP"),
            None => Err(fail!("{} is not running", self.name)),
        }
    }

    /// Starts the same command again (after [`Proc::kill9`] or [`Proc::terminate`]).
    pub fn restart(&mut self) -> Result<()> {
        if self.child.is_some() {
            self.kill9()?;
        }
        self.start()
    }

    /// The last `n` lines of the log, for failure messages.
    pub fn log_tail(&self, n: usize) -> String {
        tail(&self.log, n)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Sends a signal by name through `sh -c kill`, so the harness needs no `unsafe` and no libc.
fn signal(pid: u32, sig: &str) -> Result<()> {
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("kill -{sig} {pid}"))
        .status()
        .map_err(|e| Error::io("running sh -c kill", e))?;
    if status.success() {
        Ok(())
    } else {
        Err(fail!("kill -{sig} {pid} failed: {status}"))
    }
}

fn open_log(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io(format!("opening log {}", path.display()), e))
}

/// The last `n` lines of a file (reads at most the last 64 KiB).
pub fn tail(path: &Path, n: usize) -> String {
    let Ok(mut f) = File::open(path) else {
        return format!("(no log at {})", path.display());
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let start = len.saturating_sub(64 * 1024);
    let mut buf = Vec::new();
    if f.seek(SeekFrom::Start(start)).is_err() || f.read_to_end(&mut buf).is_err() {
        return format!("(unreadable log {})", path.display());
    }
    let text = String::from_utf8_lossy(&buf);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
