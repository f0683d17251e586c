//! Scrape-body parsing: a node_exporter-sized exposition (~1,030 lines, 723 samples: HELP/TYPE,
//! counters per CPU and mode, filesystem and network gauges and counters with several labels,
//! a summary and a histogram) in the text format 0.0.4 and in OpenMetrics 1.0.
//!
//! Groups, all with throughput in samples:
//! - `exposition_parse/text`, `/openmetrics`: `compat::exposition::parse` with the default
//!   (Prometheus) rules, as the scrape loop calls it;
//! - `exposition_parse/openmetrics_spec`: with the OpenMetrics specification's rules on top.
//!
//! `cargo bench --bench exposition_parse -- --quick`

use std::fmt::Write;
use std::hint::black_box;

use compat::exposition::{Format, ParseOptions, Validation, parse};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Writes one family. `om` switches counter naming (`_total` on samples only) and the
/// timestamp-free OpenMetrics layout.
fn family(
    out: &mut String,
    om: bool,
    name: &str,
    kind: &str,
    help: &str,
    series: &[(String, f64)],
) {
    let family = if om && kind == "counter" {
        name.trim_end_matches("_total")
    } else {
        name
    };
    let _ = writeln!(out, "# HELP {family} {help}");
    let _ = writeln!(out, "# TYPE {family} {kind}");
    for (labels, v) in series {
        let _ = writeln!(out, "{name}{labels} {v}");
    }
}

fn body(om: bool) -> (String, usize) {
    let mut out = String::new();
    let mut samples = 0;
    let mut add =
        |out: &mut String, name: &str, kind: &str, help: &str, series: Vec<(String, f64)>| {
            samples += series.len();
            family(out, om, name, kind, help, &series);
        };
    let modes = [
        "idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user",
    ];
    let cpu: Vec<(String, f64)> = (0..48)
        .flat_map(|c| {
            modes
                .iter()
                .map(move |m| (format!("{{cpu=\"{c}\",mode=\"{m}\"}}"), 12345.67 + c as f64))
        })
        .collect();
    add(
        &mut out,
        "node_cpu_seconds_total",
        "counter",
        "Seconds the CPUs spent in each mode.",
        cpu,
    );
    let mounts = [
        "/",
        "/boot",
        "/home",
        "/var",
        "/run",
        "/run/lock",
        "/run/user/1000",
        "/srv",
        "/tmp",
        "/data",
    ];
    for metric in [
        "avail_bytes",
        "files",
        "files_free",
        "free_bytes",
        "readonly",
        "size_bytes",
        "device_error",
    ] {
        let series = mounts
            .iter()
            .enumerate()
            .map(|(i, m)| {
                (
                    format!("{{device=\"/dev/sda{i}\",fstype=\"ext4\",mountpoint=\"{m}\"}}"),
                    1.0e9 * i as f64 + 4096.0,
                )
            })
            .collect();
        add(
            &mut out,
            &format!("node_filesystem_{metric}"),
            "gauge",
            "Filesystem information.",
            series,
        );
    }
    let devices = ["eth0", "eth1", "lo", "docker0", "veth1a2b3c", "wlan0"];
    for metric in [
        "receive_bytes",
        "receive_packets",
        "receive_errs",
        "receive_drop",
        "receive_fifo",
        "receive_frame",
        "receive_compressed",
        "receive_multicast",
        "transmit_bytes",
        "transmit_packets",
        "transmit_errs",
        "transmit_drop",
        "transmit_fifo",
        "transmit_colls",
        "transmit_carrier",
        "transmit_compressed",
    ] {
        let series = devices
            .iter()
            .map(|d| (format!("{{device=\"{d}\"}}"), 98_765_432.0))
            .collect();
        add(
            &mut out,
            &format!("node_network_{metric}_total"),
            "counter",
            "Network device statistic.",
            series,
        );
    }
    for disk in 0..4 {
        for metric in [
            "reads_completed",
            "writes_completed",
            "read_bytes",
            "written_bytes",
            "io_time_seconds",
            "discards_completed",
        ] {
            let series = vec![(format!("{{device=\"nvme{disk}n1\"}}"), 5555.5)];
            add(
                &mut out,
                &format!("node_disk_{metric}_{disk}_total"),
                "counter",
                "Disk statistic.",
                series,
            );
        }
    }
    for i in 0..100 {
        add(
            &mut out,
            &format!("node_vmstat_stat_{i}"),
            "untyped",
            "/proc/vmstat information.",
            vec![(String::new(), i as f64)],
        );
    }
    let quantiles = ["0", "0.25", "0.5", "0.75", "1"];
    let mut gc: Vec<(String, f64)> = quantiles
        .iter()
        .map(|q| (format!("{{quantile=\"{q}\"}}"), 2.5e-5))
        .collect();
    let summary = "go_gc_duration_seconds";
    let _ = writeln!(
        out,
        "# HELP {summary} A summary of the pause duration of garbage collection cycles."
    );
    let _ = writeln!(out, "# TYPE {summary} summary");
    for (l, v) in gc.drain(..) {
        let _ = writeln!(out, "{summary}{l} {v}");
    }
    let _ = writeln!(out, "{summary}_sum 0.0123\n{summary}_count 421");
    samples += 7;
    let _ = writeln!(
        out,
        "# HELP http_request_duration_seconds Request latency.\n# TYPE http_request_duration_seconds histogram"
    );
    for handler in ["/metrics", "/api", "/health"] {
        for le in [
            "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf",
        ] {
            let _ = writeln!(
                out,
                "http_request_duration_seconds_bucket{{handler=\"{handler}\",le=\"{le}\"}} 100"
            );
        }
        let _ = writeln!(
            out,
            "http_request_duration_seconds_sum{{handler=\"{handler}\"}} 3.5"
        );
        let _ = writeln!(
            out,
            "http_request_duration_seconds_count{{handler=\"{handler}\"}} 100"
        );
        samples += 14;
    }
    if om {
        out = out.replace(" untyped\n", " unknown\n");
        out.push_str("# EOF\n");
    }
    (out, samples)
}

fn bench(c: &mut Criterion) {
    let (text, text_samples) = body(false);
    let (om, om_samples) = body(true);
    assert_eq!(text_samples, om_samples);
    let check = |b: &str, f, o: &ParseOptions| match parse(b.as_bytes(), f, o) {
        Ok(s) => assert_eq!(s.samples.len(), text_samples),
        Err(e) => panic!("bench body does not parse: {e}"),
    };
    let spec = ParseOptions {
        validation: Validation::OpenMetricsSpec,
        ..ParseOptions::default()
    };
    check(&text, Format::Text, &ParseOptions::default());
    check(&om, Format::OpenMetrics, &ParseOptions::default());
    check(&om, Format::OpenMetrics, &spec);
    eprintln!(
        "exposition_parse: {} lines, {text_samples} samples, {} bytes (text)",
        text.lines().count(),
        text.len()
    );

    let mut g = c.benchmark_group("exposition_parse");
    g.throughput(Throughput::Elements(text_samples as u64));
    let default = ParseOptions::default();
    g.bench_function("text", |b| {
        b.iter(|| {
            parse(black_box(text.as_bytes()), Format::Text, &default).map(|s| s.samples.len())
        })
    });
    g.bench_function("openmetrics", |b| {
        b.iter(|| {
            parse(black_box(om.as_bytes()), Format::OpenMetrics, &default).map(|s| s.samples.len())
        })
    });
    g.bench_function("openmetrics_spec", |b| {
        b.iter(|| {
            parse(black_box(om.as_bytes()), Format::OpenMetrics, &spec).map(|s| s.samples.len())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
