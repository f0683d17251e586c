//! Behaviour tests of the WAL against real directories.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use promql::Labels;

use super::segment::{FRAME_HEADER, segment_path};
use super::*;

fn opts(fsync: FsyncPolicy) -> WalOptions {
    WalOptions {
        segment_size: DEFAULT_SEGMENT_SIZE,
        fsync,
    }
}

fn series(id: u64) -> SeriesRecord {
    SeriesRecord {
        id,
        labels: Labels::from_pairs([("__name__", "m"), ("id", id.to_string().as_str())]),
    }
}

fn samples(ids: impl IntoIterator<Item = u64>, t: i64) -> Record {
    Record::Samples(
        ids.into_iter()
            .map(|id| SampleRecord {
                id,
                t,
                v: id as f64 + t as f64 / 1000.0,
            })
            .collect(),
    )
}

fn collect(dir: &Path) -> (Vec<Record>, ReplayStats) {
    let mut out = Vec::new();
    let stats = replay(dir, |r| {
        out.push(r);
        Ok(())
    })
    .expect("replay");
    (out, stats)
}

fn all_samples(recs: &[Record]) -> Vec<(u64, i64)> {
    recs.iter()
        .flat_map(|r| match r {
            Record::Samples(s) => s.iter().map(|s| (s.id, s.t)).collect(),
            _ => Vec::new(),
        })
        .collect()
}

fn append_bytes(path: &Path, bytes: &[u8]) {
    let mut f = OpenOptions::new().append(true).open(path).expect("open");
    f.write_all(bytes).expect("append");
}

#[test]
fn wal_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Wal>();
    check::<Arc<Wal>>();
}

#[test]
fn log_then_replay_returns_records_in_order() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("wal");
    let meta = Record::Metadata(vec![MetadataRecord {
        metric_family: "m".into(),
        metric_type: "gauge".into(),
        unit: "seconds".into(),
        help: "A gauge.".into(),
    }]);
    let mut want = Vec::new();
    {
        let wal = Wal::open(&dir, opts(FsyncPolicy::Never)).expect("open");
        let batch = vec![Record::Series(vec![series(1), series(2)]), meta.clone()];
        wal.log_records(&batch).expect("log");
        want.extend(batch);
        for t in 0..10 {
            let r = samples([1, 2], t * 15_000);
            wal.log_records(std::slice::from_ref(&r)).expect("log");
            want.push(r);
        }
        // Pre-encoded payloads go through `log`.
        let r = samples([2], 999_999);
        let mut payload = Vec::new();
        encode(&r, &mut payload);
        wal.log(&[&payload]).expect("log");
        want.push(r);
        wal.log(&[]).expect("empty batch is a no-op");
        let st = wal.stats();
        assert_eq!(st.log_calls, 12);
        assert_eq!(st.records_written, 13);
        assert_eq!(wal.size_bytes(), st.bytes_written);
    }
    let (got, stats) = collect(&dir);
    assert_eq!(got, want);
    assert_eq!(stats.records, 13);
    assert_eq!(stats.samples, 21);
    assert_eq!(stats.series, 2);
    assert_eq!(stats.metadata, 1);
    assert_eq!(stats.segments, Some((1, 1)));
    assert!(stats.repairs.is_empty());
}

#[test]
fn replay_of_missing_dir_is_empty() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (got, stats) = collect(&tmp.path().join("nope"));
    assert!(got.is_empty());
    assert_eq!(stats, ReplayStats::default());
}

/// Writes 5 sample batches into a fresh WAL and returns the segment path and its clean size.
fn five_batches(dir: &Path) -> (std::path::PathBuf, u64) {
    let wal = Wal::open(dir, opts(FsyncPolicy::Never)).expect("open");
    wal.log_records(&[Record::Series(vec![series(7)])])
        .expect("log");
    for t in 0..5 {
        wal.log_records(&[samples([7], t)]).expect("log");
    }
    let (_, last) = wal.segments().expect("segments");
    drop(wal);
    let path = segment_path(dir, last);
    let len = fs::metadata(&path).expect("stat").len();
    (path, len)
}

#[test]
fn torn_tail_is_truncated_and_log_continues_after_reopen() {
    let mut frame = Vec::new();
    segment::append_frame(&mut frame, |b| encode(&samples([7], 100), b)).expect("frame");
    let mut bad_crc = frame.clone();
    let last = bad_crc.len() - 1;
    bad_crc[last] ^= 0xff;
    let tails: Vec<(&str, Vec<u8>)> = vec![
        ("partial header", frame[..5].to_vec()),
        ("partial payload", frame[..frame.len() - 3].to_vec()),
        ("bad checksum in last frame", bad_crc),
        ("zeros", vec![0; 4096]),
        (
            "garbage length",
            vec![0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4, 5, 6],
        ),
    ];
    for (name, tail) in tails {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path();
        let (path, clean_len) = five_batches(dir);
        append_bytes(&path, &tail);

        let (got, stats) = collect(dir);
        assert_eq!(
            all_samples(&got),
            (0..5).map(|t| (7, t)).collect::<Vec<_>>(),
            "{name}"
        );
        assert_eq!(stats.repairs.len(), 1, "{name}");
        assert_eq!(stats.repairs[0].kind, RepairKind::TornTail, "{name}");
        assert_eq!(stats.repairs[0].offset, clean_len, "{name}");
        assert_eq!(
            fs::metadata(&path).expect("stat").len(),
            clean_len,
            "{name}"
        );

        let wal = Wal::open(dir, opts(FsyncPolicy::Never)).expect("reopen");
        wal.log_records(&[samples([7], 5)]).expect("log");
        drop(wal);
        let (got, stats) = collect(dir);
        assert_eq!(
            all_samples(&got),
            (0..6).map(|t| (7, t)).collect::<Vec<_>>(),
            "{name}"
        );
        assert!(stats.repairs.is_empty(), "{name}");
        assert_eq!(stats.segments, Some((1, 2)), "{name}");
    }
}

#[test]
fn corruption_in_an_older_segment_truncates_the_log_there() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let mut offsets = Vec::new();
    {
        let wal = Wal::open(dir, opts(FsyncPolicy::Never)).expect("open");
        for t in 0..10 {
            offsets.push(fs::metadata(segment_path(dir, 1)).expect("stat").len());
            wal.log_records(&[samples([1], t)]).expect("log");
        }
        assert_eq!(wal.cut_segment().expect("cut"), 2);
        wal.log_records(&[samples([1], 10)]).expect("log");
        assert_eq!(wal.cut_segment().expect("cut"), 3);
        wal.log_records(&[samples([1], 11)]).expect("log");
    }
    // Flip a payload byte of the 6th record of segment 1.
    let seg1 = segment_path(dir, 1);
    let mut data = fs::read(&seg1).expect("read");
    let at = offsets[5] as usize + FRAME_HEADER + 2;
    data[at] ^= 0x55;
    fs::write(&seg1, &data).expect("write");

    let (got, stats) = collect(dir);
    assert_eq!(
        all_samples(&got),
        (0..5).map(|t| (1, t)).collect::<Vec<_>>()
    );
    assert_eq!(stats.repairs.len(), 1);
    let r = &stats.repairs[0];
    assert_eq!(r.kind, RepairKind::Corruption);
    assert_eq!((r.segment, r.offset), (1, offsets[5]));
    assert_eq!(r.segments_deleted, vec![2, 3]);
    assert!(!segment_path(dir, 2).exists() && !segment_path(dir, 3).exists());
    assert_eq!(fs::metadata(&seg1).expect("stat").len(), offsets[5]);

    // The repaired log replays cleanly and can be appended to.
    let wal = Wal::open(dir, opts(FsyncPolicy::Never)).expect("reopen");
    assert_eq!(wal.segments().expect("segments"), (1, 2));
    wal.log_records(&[samples([1], 100)]).expect("log");
    drop(wal);
    let (got, stats) = collect(dir);
    assert_eq!(all_samples(&got).len(), 6);
    assert!(stats.repairs.is_empty());
}

#[test]
fn undecodable_record_with_valid_checksum_is_an_error_and_nothing_is_changed() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    {
        let wal = Wal::open(dir, opts(FsyncPolicy::Never)).expect("open");
        wal.log_records(&[samples([1], 1)]).expect("log");
        // A record type this version does not know (as from a newer version).
        wal.log(&[&[9, 0]]).expect("log");
        wal.log_records(&[samples([1], 2)]).expect("log");
    }
    let len = fs::metadata(segment_path(dir, 1)).expect("stat").len();
    let mut n = 0;
    let err = replay(dir, |_| {
        n += 1;
        Ok(())
    })
    .expect_err("must fail");
    assert_eq!(n, 1);
    match err {
        Error::Corrupt {
            segment, offset, ..
        } => {
            assert_eq!(segment, 1);
            assert!(offset > 0);
        }
        e => panic!("unexpected {e}"),
    }
    assert_eq!(fs::metadata(segment_path(dir, 1)).expect("stat").len(), len);
}

#[test]
fn callback_error_stops_replay() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    {
        let wal = Wal::open(dir, opts(FsyncPolicy::Never)).expect("open");
        for t in 0..3 {
            wal.log_records(&[samples([1], t)]).expect("log");
        }
    }
    let mut n = 0;
    let err = replay(dir, |_| {
        n += 1;
        Err(Error::Apply("head full".into()))
    })
    .expect_err("must fail");
    assert!(matches!(err, Error::Apply(_)));
    assert_eq!(n, 1);
}

#[test]
fn segments_are_cut_by_size() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let wal = Wal::open(
        dir,
        WalOptions {
            segment_size: 1000,
            fsync: FsyncPolicy::Never,
        },
    )
    .expect("open");
    let batch = samples(0..20, 0); // about 230 bytes framed
    for _ in 0..20 {
        wal.log_records(std::slice::from_ref(&batch)).expect("log");
    }
    // A batch bigger than a segment goes alone into a fresh segment.
    let big = samples(0..500, 0);
    wal.log_records(std::slice::from_ref(&big)).expect("log");
    wal.log_records(std::slice::from_ref(&batch)).expect("log");
    let (first, last) = wal.segments().expect("segments");
    assert_eq!(first, 1);
    assert!(last >= 6, "last = {last}");
    for n in first..=last {
        let len = fs::metadata(segment_path(dir, n)).expect("stat").len();
        assert!(len > 0);
        if n != last - 1 {
            assert!(len <= 1000, "segment {n} has {len} bytes");
        } else {
            assert!(len > 1000, "the oversized batch is alone in segment {n}");
        }
    }
    assert_eq!(wal.stats().segments_created, u64::from(last));
    assert_eq!(
        wal.stats().fsyncs,
        u64::from(last - 1),
        "each finished segment is fsynced"
    );
    drop(wal);
    let (got, stats) = collect(dir);
    assert_eq!(got.len(), 22);
    assert_eq!(stats.samples, 20 * 21 + 500);
    assert_eq!(stats.segments, Some((1, last)));
}

#[test]
fn open_numbers_after_existing_files_and_reuses_an_empty_segment() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let wal = Wal::open(dir, opts(FsyncPolicy::Never)).expect("open");
    assert_eq!(wal.segments().expect("segments"), (1, 1));
    drop(wal);
    let wal = Wal::open(dir, opts(FsyncPolicy::Never)).expect("open");
    assert_eq!(
        wal.segments().expect("segments"),
        (1, 1),
        "empty segment reused"
    );
    wal.log_records(&[samples([1], 1)]).expect("log");
    drop(wal);
    let wal = Wal::open(dir, opts(FsyncPolicy::Never)).expect("open");
    assert_eq!(wal.segments().expect("segments"), (1, 2));
    assert!(matches!(
        Wal::open(
            dir,
            WalOptions {
                segment_size: 0,
                fsync: FsyncPolicy::Never
            }
        ),
        Err(Error::Invalid(_))
    ));
}

#[test]
fn truncate_before_deletes_older_segments_only() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let wal = Wal::open(dir, opts(FsyncPolicy::Never)).expect("open");
    for t in 0..4 {
        wal.log_records(&[samples([1], t)]).expect("log");
        wal.cut_segment().expect("cut");
    }
    assert_eq!(wal.segments().expect("segments"), (1, 5));
    let before = wal.size_bytes();
    wal.truncate_before(3).expect("truncate");
    assert_eq!(wal.segments().expect("segments"), (3, 5));
    assert!(!segment_path(dir, 1).exists() && !segment_path(dir, 2).exists());
    assert!(segment_path(dir, 3).exists());
    assert!(wal.size_bytes() < before);
    assert!(matches!(wal.truncate_before(6), Err(Error::Invalid(_))));
    drop(wal);
    let (got, _) = collect(dir);
    assert_eq!(all_samples(&got), vec![(1, 2), (1, 3)]);
}

#[test]
fn checkpoint_keeps_live_series_and_recent_samples_and_replays() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let wal = Wal::open(dir, opts(FsyncPolicy::Never)).expect("open");
    let meta = |help: &str| {
        Record::Metadata(vec![MetadataRecord {
            metric_family: "m".into(),
            metric_type: "gauge".into(),
            unit: String::new(),
            help: help.into(),
        }])
    };
    wal.log_records(&[Record::Series((1..=10).map(series).collect()), meta("old")])
        .expect("log");
    for t in 0..100 {
        wal.log_records(&[samples(1..=10, t)]).expect("log");
        if t % 25 == 0 {
            wal.cut_segment().expect("cut");
        }
    }
    wal.log_records(&[meta("new")]).expect("log");
    let through = wal.cut_segment().expect("cut") - 1;
    // Written after the cut: survives the checkpoint untouched.
    wal.log_records(&[Record::Series(vec![series(11)]), samples([11, 3], 5)])
        .expect("log");

    let keep = |id: u64| id & 1 == 0 || id == 11;
    let st = checkpoint(&wal, through, keep, 50).expect("checkpoint");
    assert_eq!(st.checkpoint, Some(through));
    assert_eq!(st.series_kept, 5);
    assert_eq!(st.samples_kept, 5 * 50);
    assert_eq!(st.metadata_kept, 1);
    assert!(dir.join(format!("checkpoint.{through:08}")).exists());
    assert_eq!(
        wal.segments().expect("segments"),
        (through + 1, through + 1)
    );
    for n in 1..=through {
        assert!(!segment_path(dir, n).exists(), "segment {n} deleted");
    }

    let (got, stats) = collect(dir);
    assert_eq!(stats.checkpoint, Some(through));
    let series_ids: Vec<u64> = got
        .iter()
        .flat_map(|r| match r {
            Record::Series(s) => s.iter().map(|s| s.id).collect(),
            _ => Vec::new(),
        })
        .collect();
    assert_eq!(series_ids, vec![2, 4, 6, 8, 10, 11]);
    let mut want: Vec<(u64, i64)> = (50..100)
        .flat_map(|t| [2, 4, 6, 8, 10].map(|id| (id, t)))
        .collect();
    // The post-cut batch is replayed as logged, including the sample of id 3.
    want.extend([(11, 5), (3, 5)]);
    assert_eq!(all_samples(&got), want);
    let helps: Vec<&str> = got
        .iter()
        .flat_map(|r| match r {
            Record::Metadata(m) => m.iter().map(|m| m.help.as_str()).collect(),
            _ => Vec::new(),
        })
        .collect();
    assert_eq!(helps, vec!["new"]);

    // A second checkpoint builds on the first and replaces it.
    wal.log_records(&[samples([2, 11], 200)]).expect("log");
    let through2 = wal.cut_segment().expect("cut") - 1;
    let st = checkpoint(&wal, through2, |id| id == 11, 100).expect("checkpoint");
    assert_eq!((st.series_kept, st.samples_kept), (1, 1));
    assert!(!dir.join(format!("checkpoint.{through:08}")).exists());
    assert!(matches!(
        checkpoint(&wal, through2 + 1, |_| true, 0),
        Err(Error::Invalid(_))
    ));
    let size = wal.size_bytes();
    drop(wal);
    let on_disk: u64 = fs::read_dir(dir)
        .expect("ls")
        .map(|e| e.expect("entry").metadata().expect("stat").len())
        .sum();
    assert_eq!(size, on_disk);
    let (got, stats) = collect(dir);
    assert_eq!(stats.checkpoint, Some(through2));
    assert_eq!(all_samples(&got), vec![(11, 200)]);

    // Reopening after a checkpoint numbers new segments after it.
    let wal = Wal::open(dir, opts(FsyncPolicy::Never)).expect("open");
    let (_, last) = wal.segments().expect("segments");
    assert!(last > through2);
}

#[test]
fn concurrent_log_from_four_threads_replays_every_batch_once() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let wal = Arc::new(
        Wal::open(
            dir,
            WalOptions {
                segment_size: 64 << 10,
                fsync: FsyncPolicy::Interval(Duration::from_millis(5)),
            },
        )
        .expect("open"),
    );
    let per_thread = 2000;
    let handles: Vec<_> = (0..4u64)
        .map(|th| {
            let wal = Arc::clone(&wal);
            std::thread::spawn(move || {
                for i in 0..per_thread {
                    // Two records per batch: both or neither must come back.
                    wal.log_records(&[samples([th], i), samples([th + 100], i)])
                        .expect("log");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread");
    }
    assert!(wal.segments().expect("segments").1 > 2, "segments were cut");
    drop(wal);
    let (got, _) = collect(dir);
    let mut seen = std::collections::HashSet::new();
    let mut last_t = [-1i64; 4];
    let got = all_samples(&got);
    for pair in got.chunks(2) {
        let (id, t) = pair[0];
        assert_eq!(pair[1], (id + 100, t), "batch stayed together");
        assert!(seen.insert((id, t)), "({id}, {t}) twice");
        assert_eq!(t, last_t[id as usize] + 1, "per-thread order kept");
        last_t[id as usize] = t;
    }
    assert_eq!(seen.len(), 4 * per_thread as usize);
}

#[test]
fn always_policy_group_commits_concurrent_callers() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let wal = Arc::new(Wal::open(dir, opts(FsyncPolicy::Always)).expect("open"));
    wal.shared()
        .slow_fsync
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let threads = 8;
    let per_thread = 50;
    let handles: Vec<_> = (0..threads)
        .map(|th| {
            let wal = Arc::clone(&wal);
            std::thread::spawn(move || {
                for i in 0..per_thread {
                    wal.log_records(&[samples([th], i)]).expect("log");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("thread");
    }
    let st = wal.stats();
    assert_eq!(st.log_calls, threads * per_thread as u64);
    assert!(
        st.fsyncs < st.log_calls,
        "group commit: {} fsyncs for {} calls",
        st.fsyncs,
        st.log_calls
    );
    drop(wal);
    let (got, _) = collect(dir);
    assert_eq!(
        all_samples(&got).len(),
        threads as usize * per_thread as usize
    );
}

#[test]
fn always_policy_fsyncs_before_returning_when_alone() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let wal = Wal::open(tmp.path(), opts(FsyncPolicy::Always)).expect("open");
    for t in 0..3 {
        wal.log_records(&[samples([1], t)]).expect("log");
        assert_eq!(wal.stats().fsyncs, t as u64 + 1);
    }
    wal.sync().expect("sync");
    assert_eq!(wal.stats().fsyncs, 3, "nothing new to sync");
}

#[test]
fn interval_policy_fsyncs_in_the_background() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let wal = Wal::open(
        tmp.path(),
        opts(FsyncPolicy::Interval(Duration::from_millis(10))),
    )
    .expect("open");
    assert_eq!(wal.stats().fsyncs, 0);
    wal.log_records(&[samples([1], 1)]).expect("log");
    let deadline = Instant::now() + Duration::from_secs(5);
    while wal.stats().fsyncs == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(wal.stats().fsyncs, 1);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(wal.stats().fsyncs, 1, "no fsync without new writes");
}

/// Throughput, not a correctness test:
/// `cargo test --release --lib tsdb::wal::tests::throughput -- --ignored --nocapture`
#[test]
#[ignore]
fn throughput() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let batch_size = 1000u64;
    let batches = 10_000u64;
    let records: Vec<Record> = (0..batches)
        .map(|b| {
            Record::Samples(
                (0..batch_size)
                    .map(|i| SampleRecord {
                        id: 1000 + i * 3,
                        t: 1_700_000_000_000 + b as i64 * 15_000,
                        v: (b * i) as f64 * 0.25,
                    })
                    .collect(),
            )
        })
        .collect();
    let total = batches * batch_size;
    for (name, policy) in [
        ("never", FsyncPolicy::Never),
        ("interval 1s", FsyncPolicy::Interval(Duration::from_secs(1))),
    ] {
        let d = dir.join(name.replace(' ', "_"));
        let wal = Wal::open(&d, opts(policy)).expect("open");
        let start = Instant::now();
        for r in &records {
            wal.log_records(std::slice::from_ref(r)).expect("log");
        }
        let el = start.elapsed();
        let st = wal.stats();
        println!(
            "append ({name}): {total} samples in {batches} batches, {:.1} MB, {:?}: {:.1} M samples/s, {:.0} MB/s, {} fsyncs",
            st.bytes_written as f64 / 1e6,
            el,
            total as f64 / el.as_secs_f64() / 1e6,
            st.bytes_written as f64 / 1e6 / el.as_secs_f64(),
            st.fsyncs
        );
    }
    {
        let d = dir.join("always");
        let wal = Arc::new(Wal::open(&d, opts(FsyncPolicy::Always)).expect("open"));
        let start = Instant::now();
        let hs: Vec<_> = (0..8)
            .map(|_| {
                let wal = Arc::clone(&wal);
                let r = records[0].clone();
                std::thread::spawn(move || {
                    for _ in 0..100 {
                        wal.log_records(std::slice::from_ref(&r)).expect("log");
                    }
                })
            })
            .collect();
        for h in hs {
            h.join().expect("join");
        }
        let el = start.elapsed();
        let st = wal.stats();
        println!(
            "append (always, 8 threads): {} batches of {batch_size} in {el:?}: {:.0} batches/s, {} fsyncs",
            st.log_calls,
            st.log_calls as f64 / el.as_secs_f64(),
            st.fsyncs
        );
    }
    let d = dir.join("never");
    let mut n = 0u64;
    let start = Instant::now();
    let stats = replay(&d, |r| {
        if let Record::Samples(s) = r {
            n += s.len() as u64;
        }
        Ok(())
    })
    .expect("replay");
    let el = start.elapsed();
    assert_eq!(n, total);
    println!(
        "replay: {total} samples, {:.1} MB in {el:?}: {:.1} M samples/s, {:.0} MB/s",
        stats.bytes as f64 / 1e6,
        total as f64 / el.as_secs_f64() / 1e6,
        stats.bytes as f64 / 1e6 / el.as_secs_f64()
    );
}

#[test]
fn frames_larger_than_and_straddling_the_read_buffer_replay_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let wal_dir = dir.path().join("wal");
    let mut want = Vec::new();
    {
        let wal = Wal::open(&wal_dir, opts(FsyncPolicy::Never)).expect("open");
        // Batches of odd sizes so frames end at every kind of offset, one of ~9 MiB (larger
        // than the 4 MiB scan buffer), then more small ones after it.
        for (t, n) in [(1, 70_001u64), (2, 3), (3, 600_000), (4, 1), (5, 50_000)] {
            let rec = samples(0..n, t);
            want.extend(all_samples(std::slice::from_ref(&rec)));
            wal.log_records(&[rec]).expect("log");
        }
    }
    let (recs, stats) = collect(&wal_dir);
    assert!(stats.repairs.is_empty(), "{:?}", stats.repairs);
    assert_eq!(all_samples(&recs), want);
}

#[test]
fn checkpoint_keeps_tombstones_of_live_series_reaching_mint() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let wal = Wal::open(dir, opts(FsyncPolicy::Never)).expect("open");
    let stone = |id: u64, mint: i64, maxt: i64| TombstoneRecord { id, mint, maxt };
    wal.log_records(&[Record::Series((1..=3).map(series).collect())])
        .expect("log");
    wal.log_records(&[Record::Tombstones(vec![
        stone(1, 0, 40),   // ends before mint: dropped
        stone(1, 60, 70),  // kept
        stone(2, 40, 55),  // reaches mint: kept whole
        stone(3, 90, 100), // series not kept: dropped
    ])])
    .expect("log");
    let through = wal.cut_segment().expect("cut") - 1;
    wal.log_records(&[Record::Tombstones(vec![stone(3, 1, 2)])])
        .expect("log");
    let st = checkpoint(&wal, through, |id| id != 3, 50).expect("checkpoint");
    assert_eq!(st.tombstones_kept, 2);
    drop(wal);
    let (got, stats) = collect(dir);
    let stones: Vec<TombstoneRecord> = got
        .iter()
        .flat_map(|r| match r {
            Record::Tombstones(t) => t.clone(),
            _ => Vec::new(),
        })
        .collect();
    // The record logged after the cut replays as logged.
    assert_eq!(
        stones,
        vec![stone(1, 60, 70), stone(2, 40, 55), stone(3, 1, 2)]
    );
    assert_eq!(stats.tombstones, 3);
}
