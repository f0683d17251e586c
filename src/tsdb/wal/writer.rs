//! The appending side: [`Wal`] owns the active segment, cuts new ones, and makes writes
//! durable according to the [`FsyncPolicy`] with group commit.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use super::record::Record;
use super::segment::{self, FRAME_HEADER};
use super::{DEFAULT_SEGMENT_SIZE, Error, Result};

/// When the WAL calls fsync on the active segment. Every policy writes each batch with a
/// completed write(2) before `log*` returns, so a process kill never loses an acknowledged
/// batch; the policies differ only in what survives a power loss or kernel crash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// Never fsync the active segment (finished segments are still fsynced when cut). The OS
    /// writes dirty pages back on its own schedule (about 30 s on Linux by default).
    Never,
    /// A background thread fsyncs at most once per interval, and only if something was
    /// written since the last fsync: a power loss loses at most about one interval of writes.
    Interval(Duration),
    /// `log*` returns only after an fsync covering its batch. Concurrent callers share fsyncs
    /// (group commit): whoever arrives while an fsync is in flight waits for the next one,
    /// which covers every batch written before it started.
    Always,
}

/// Tuning of a [`Wal`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalOptions {
    /// A new segment is cut before a batch that would take the active segment past this size.
    /// A batch larger than this goes alone into a fresh segment, which then exceeds it.
    pub segment_size: u64,
    pub fsync: FsyncPolicy,
}

impl Default for WalOptions {
    /// 128 MiB segments, fsync every second.
    fn default() -> Self {
        WalOptions {
            segment_size: DEFAULT_SEGMENT_SIZE,
            fsync: FsyncPolicy::Interval(Duration::from_secs(1)),
        }
    }
}

/// Counters since [`Wal::open`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalStats {
    /// fsync calls on segment files (group commits, interval syncs, segment cuts).
    pub fsyncs: u64,
    /// Frame bytes (headers and payloads) written to segments.
    pub bytes_written: u64,
    /// Records (frames) written.
    pub records_written: u64,
    /// Successful `log`/`log_records` calls that wrote something.
    pub log_calls: u64,
    /// Segment files created, including the one created by `open`.
    pub segments_created: u64,
}

#[derive(Debug, Default)]
struct Counters {
    fsyncs: AtomicU64,
    bytes_written: AtomicU64,
    records_written: AtomicU64,
    log_calls: AtomicU64,
    segments_created: AtomicU64,
}

/// The write-ahead log of one head. `Send + Sync`: share it through an `Arc` and call `log*`
/// from any number of threads; batches are serialized by an internal mutex around the active
/// segment, and fsyncs happen outside that mutex so writers keep writing while one is in
/// flight.
#[derive(Debug)]
pub struct Wal {
    shared: Arc<Shared>,
    syncer: Option<JoinHandle<()>>,
}

#[derive(Debug)]
pub(crate) struct Shared {
    dir: PathBuf,
    opts: WalOptions,
    inner: Mutex<Inner>,
    sync: Mutex<SyncState>,
    synced_cv: Condvar,
    stop: Mutex<bool>,
    stop_cv: Condvar,
    counters: Counters,
    /// Bytes of segment and checkpoint files in the directory.
    disk_bytes: AtomicU64,
    /// Serializes checkpoints and truncations.
    maintenance: Mutex<()>,
    /// Tests set this to stretch each group-commit fsync, as a slow disk would, so that
    /// concurrency is observable even where fsync is nearly free (tmpfs).
    #[cfg(test)]
    pub(crate) slow_fsync: std::sync::atomic::AtomicBool,
}

#[derive(Debug)]
struct Inner {
    file: Arc<File>,
    segment: u32,
    size: u64,
    first: u32,
    /// Number of batches written so far; batch `n` is durable once `SyncState::synced >= n`.
    written: u64,
    poisoned: Option<String>,
}

#[derive(Debug, Default)]
struct SyncState {
    synced: u64,
    in_flight: bool,
    failed: Option<String>,
}

/// Locks a mutex, ignoring poisoning: every critical section here leaves its state
/// consistent before anything that could panic.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn create_segment(dir: &Path, n: u32) -> Result<File> {
    let path = segment::segment_path(dir, n);
    let f = OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    segment::sync_dir(dir)?;
    Ok(f)
}

impl Wal {
    /// Opens (creating if needed) the WAL in `dir` and starts a new segment numbered after
    /// every existing segment and checkpoint (an empty last segment is reused instead).
    /// Leftover `checkpoint.*.tmp` files are removed. Run [`super::replay`] before this: the
    /// new segment follows the old ones, so an unrepaired torn tail would end up in the
    /// middle of the log.
    pub fn open(dir: &Path, opts: WalOptions) -> Result<Wal> {
        if opts.segment_size == 0 {
            return Err(Error::Invalid("segment_size must be > 0".into()));
        }
        if opts.fsync == FsyncPolicy::Interval(Duration::ZERO) {
            return Err(Error::Invalid("fsync interval must be > 0".into()));
        }
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            segment::sync_dir(parent)?;
        }
        let listing = segment::list_dir(dir)?;
        for tmp in &listing.tmp {
            segment::remove_file(tmp)?;
        }
        let mut disk_bytes: u64 = 0;
        for &n in &listing.segments {
            disk_bytes += segment::file_len(&segment::segment_path(dir, n));
        }
        for &n in &listing.checkpoints {
            disk_bytes += segment::file_len(&segment::checkpoint_path(dir, n));
        }
        let counters = Counters::default();
        let last_seg = listing.segments.last().copied();
        let last = last_seg.max(listing.last_checkpoint());
        let (file, segment) = match last_seg {
            Some(n)
                if Some(n) == last && segment::file_len(&segment::segment_path(dir, n)) == 0 =>
            {
                let path = segment::segment_path(dir, n);
                let f = OpenOptions::new()
                    .append(true)
                    .open(&path)
                    .map_err(|e| Error::io(&path, e))?;
                (f, n)
            }
            _ => {
                let n = match last {
                    Some(l) => l
                        .checked_add(1)
                        .ok_or_else(|| Error::Invalid("segment numbers exhausted".into()))?,
                    None => 1,
                };
                counters.segments_created.fetch_add(1, Ordering::Relaxed);
                (create_segment(dir, n)?, n)
            }
        };
        let first = listing.segments.first().copied().unwrap_or(segment);
        tracing::debug!(dir = %dir.display(), first, segment, "wal opened");
        let shared = Arc::new(Shared {
            dir: dir.to_path_buf(),
            opts,
            inner: Mutex::new(Inner {
                file: Arc::new(file),
                segment,
                size: 0,
                first,
                written: 0,
                poisoned: None,
            }),
            sync: Mutex::new(SyncState::default()),
            synced_cv: Condvar::new(),
            stop: Mutex::new(false),
            stop_cv: Condvar::new(),
            counters,
            disk_bytes: AtomicU64::new(disk_bytes),
            maintenance: Mutex::new(()),
            #[cfg(test)]
            slow_fsync: std::sync::atomic::AtomicBool::new(false),
        });
        let syncer = match opts.fsync {
            FsyncPolicy::Interval(every) => {
                let s = Arc::clone(&shared);
                let handle = std::thread::Builder::new()
                    .name("wal-fsync".into())
                    .spawn(move || s.run_syncer(every))
                    .map_err(|e| Error::io(dir, e))?;
                Some(handle)
            }
            _ => None,
        };
        Ok(Wal { shared, syncer })
    }

    /// Appends record payloads as one batch. Each payload must come from [`super::encode`]
    /// (or the `encode_*` functions): replay refuses a checksummed frame it cannot decode.
    /// All frames are built into one buffer and written with one write(2) into one segment.
    /// Returns once the write completed (and, with [`FsyncPolicy::Always`], an fsync covering it did).
    pub fn log(&self, payloads: &[&[u8]]) -> Result<()> {
        let total: usize = payloads.iter().map(|p| p.len() + FRAME_HEADER).sum();
        let mut buf = Vec::with_capacity(total);
        for p in payloads {
            segment::append_frame(&mut buf, |b| b.extend_from_slice(p))?;
        }
        self.write_batch(&buf, payloads.len())
    }

    /// Encodes `records` and appends them as one batch, like [`Wal::log`].
    pub fn log_records(&self, records: &[Record]) -> Result<()> {
        let mut buf = Vec::new();
        for r in records {
            segment::append_frame(&mut buf, |b| r.encode(b))?;
        }
        self.write_batch(&buf, records.len())
    }

    /// Fsyncs everything written so far (sharing an fsync already in flight when it covers
    /// our writes). Useful at shutdown with [`FsyncPolicy::Never`] or `Interval`.
    pub fn sync(&self) -> Result<()> {
        self.shared.sync_written()
    }

    /// Finishes the active segment (fsyncing it) and starts a new one, even if the active one
    /// is empty. Returns the new segment's number.
    pub fn cut_segment(&self) -> Result<u32> {
        let mut inner = lock(&self.shared.inner);
        if let Some(why) = &inner.poisoned {
            return Err(Error::Poisoned(why.clone()));
        }
        self.shared.cut_locked(&mut inner)
    }

    /// The oldest and the newest (active) segment numbers. Segments in between all exist.
    pub fn segments(&self) -> Result<(u32, u32)> {
        let inner = lock(&self.shared.inner);
        Ok((inner.first, inner.segment))
    }

    /// Bytes of segment and checkpoint files in the WAL directory.
    pub fn size_bytes(&self) -> u64 {
        self.shared.disk_bytes.load(Ordering::Relaxed)
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> WalStats {
        let c = &self.shared.counters;
        WalStats {
            fsyncs: c.fsyncs.load(Ordering::Relaxed),
            bytes_written: c.bytes_written.load(Ordering::Relaxed),
            records_written: c.records_written.load(Ordering::Relaxed),
            log_calls: c.log_calls.load(Ordering::Relaxed),
            segments_created: c.segments_created.load(Ordering::Relaxed),
        }
    }

    /// The WAL directory.
    pub fn dir(&self) -> &Path {
        &self.shared.dir
    }

    /// Deletes every segment numbered below `segment`, oldest first (so a crash leaves a
    /// contiguous log). The caller must have made their data durable elsewhere (a block, or
    /// a checkpoint). `segment` may be at most the active segment.
    pub fn truncate_before(&self, segment: u32) -> Result<()> {
        let _m = lock(&self.shared.maintenance);
        self.shared.truncate_before_locked(segment)
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    fn write_batch(&self, buf: &[u8], records: usize) -> Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        let sh = &self.shared;
        let seq = {
            let mut inner = lock(&sh.inner);
            if let Some(why) = &inner.poisoned {
                return Err(Error::Poisoned(why.clone()));
            }
            let len = buf.len() as u64;
            if inner.size > 0 && inner.size.saturating_add(len) > sh.opts.segment_size {
                sh.cut_locked(&mut inner)?;
            }
            // One write(2) for the whole batch; `write_all` only loops if the kernel writes
            // less than asked (disk full, signal), which the error path below undoes.
            if let Err(e) = (&*inner.file).write_all(buf) {
                let path = segment::segment_path(&sh.dir, inner.segment);
                // Cut off whatever part of the batch made it, so the next batch does not
                // land behind a partial frame (which replay would treat as corruption).
                if let Err(e2) = inner.file.set_len(inner.size) {
                    let why = format!(
                        "could not undo partial write to {}: {e2} (after: {e})",
                        path.display()
                    );
                    tracing::error!("{why}");
                    inner.poisoned = Some(why);
                }
                return Err(Error::io(&path, e));
            }
            inner.size += len;
            inner.written += 1;
            sh.disk_bytes.fetch_add(len, Ordering::Relaxed);
            let c = &sh.counters;
            c.bytes_written.fetch_add(len, Ordering::Relaxed);
            c.records_written
                .fetch_add(records as u64, Ordering::Relaxed);
            c.log_calls.fetch_add(1, Ordering::Relaxed);
            inner.written
        };
        if sh.opts.fsync == FsyncPolicy::Always {
            sh.sync_through(seq)?;
        }
        Ok(())
    }
}

impl Drop for Wal {
    fn drop(&mut self) {
        *lock(&self.shared.stop) = true;
        self.shared.stop_cv.notify_all();
        if let Some(h) = self.syncer.take() {
            let _ = h.join();
        }
        let res = match self.shared.opts.fsync {
            FsyncPolicy::Never => Ok(()),
            _ => self.shared.sync_written(),
        };
        if let Err(e) = res {
            tracing::warn!(error = %e, "wal: final fsync on close failed");
        }
    }
}

impl Shared {
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn active_segment(&self) -> u32 {
        lock(&self.inner).segment
    }

    pub(crate) fn maintenance(&self) -> MutexGuard<'_, ()> {
        lock(&self.maintenance)
    }

    pub(crate) fn add_disk_bytes(&self, n: u64) {
        self.disk_bytes.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn sub_disk_bytes(&self, n: u64) {
        // Saturating: the counter is only an estimate if files changed behind our back.
        let _ = self
            .disk_bytes
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                Some(v.saturating_sub(n))
            });
    }

    /// Fsyncs the finished active segment and creates the next one. Called with `inner`
    /// locked, so no batch can land in the old segment after its fsync.
    fn cut_locked(&self, inner: &mut Inner) -> Result<u32> {
        let old = inner.segment;
        let next = old
            .checked_add(1)
            .ok_or_else(|| Error::Invalid("segment numbers exhausted".into()))?;
        if let Err(e) = inner.file.sync_data() {
            let path = segment::segment_path(&self.dir, old);
            let why = format!("fsync of finished segment {} failed: {e}", path.display());
            tracing::error!("{why}");
            inner.poisoned = Some(why);
            return Err(Error::io(&path, e));
        }
        self.counters.fsyncs.fetch_add(1, Ordering::Relaxed);
        let file = create_segment(&self.dir, next)?;
        self.counters
            .segments_created
            .fetch_add(1, Ordering::Relaxed);
        inner.file = Arc::new(file);
        inner.segment = next;
        inner.size = 0;
        tracing::debug!(segment = next, "wal: cut new segment");
        Ok(next)
    }

    fn sync_written(&self) -> Result<()> {
        let seq = lock(&self.inner).written;
        self.sync_through(seq)
    }

    /// Returns once batch `seq` is covered by a completed fsync. One caller at a time runs
    /// the fsync; the others wait and re-check, so an fsync started after their write covers
    /// them all (group commit).
    fn sync_through(&self, seq: u64) -> Result<()> {
        let mut st = lock(&self.sync);
        loop {
            if let Some(why) = &st.failed {
                return Err(Error::Poisoned(why.clone()));
            }
            if st.synced >= seq {
                return Ok(());
            }
            if st.in_flight {
                st = self.synced_cv.wait(st).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            st.in_flight = true;
            drop(st);
            // Every batch numbered <= target is in this file or in an earlier segment, which
            // was fsynced when it was cut.
            let (file, target, segment) = {
                let inner = lock(&self.inner);
                (Arc::clone(&inner.file), inner.written, inner.segment)
            };
            let res = file.sync_data();
            #[cfg(test)]
            if self.slow_fsync.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(2));
            }
            self.counters.fsyncs.fetch_add(1, Ordering::Relaxed);
            st = lock(&self.sync);
            st.in_flight = false;
            match res {
                Ok(()) => st.synced = st.synced.max(target),
                Err(e) => {
                    // After a failed fsync the page cache state is unknown (dirty pages may
                    // have been dropped); refuse further writes rather than acknowledge data
                    // that might never reach the disk.
                    let path = segment::segment_path(&self.dir, segment);
                    let why = format!("fsync of {} failed: {e}", path.display());
                    tracing::error!("{why}");
                    st.failed = Some(why.clone());
                    drop(st);
                    lock(&self.inner).poisoned = Some(why);
                    self.synced_cv.notify_all();
                    return Err(Error::io(&path, e));
                }
            }
            self.synced_cv.notify_all();
        }
    }

    fn run_syncer(&self, every: Duration) {
        let mut stop = lock(&self.stop);
        loop {
            stop = self
                .stop_cv
                .wait_timeout(stop, every)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            if *stop {
                return;
            }
            drop(stop);
            let pending = {
                let written = lock(&self.inner).written;
                lock(&self.sync).synced < written
            };
            let res = if pending { self.sync_written() } else { Ok(()) };
            if let Err(e) = res {
                tracing::warn!(error = %e, "wal: interval fsync failed");
            }
            stop = lock(&self.stop);
        }
    }

    pub(crate) fn truncate_before_locked(&self, segment: u32) -> Result<()> {
        let (first, active) = {
            let inner = lock(&self.inner);
            (inner.first, inner.segment)
        };
        if segment > active {
            return Err(Error::Invalid(format!(
                "cannot truncate before segment {segment}: active segment is {active}"
            )));
        }
        if segment <= first {
            return Ok(());
        }
        let listing = segment::list_dir(&self.dir)?;
        for &n in listing.segments.iter().filter(|&&n| n < segment) {
            let path = segment::segment_path(&self.dir, n);
            let len = segment::file_len(&path);
            segment::remove_file(&path)?;
            self.sub_disk_bytes(len);
            let mut inner = lock(&self.inner);
            inner.first = inner.first.max(n + 1);
        }
        lock(&self.inner).first = segment;
        segment::sync_dir(&self.dir)?;
        tracing::debug!(before = segment, "wal: truncated old segments");
        Ok(())
    }
}
