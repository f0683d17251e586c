//! End-to-end InfluxDB line protocol ingestion with the real `influx` CLI (Debian's
//! `influxdb-client`, 1.6) against Strata, everything read back through the PromQL API.
//!
//! 1. `influx -database e2e -execute 'INSERT ...'` with every field type and escape (the CLI
//!    pings, then POSTs `/write?db=e2e&precision=ns`); `INSERT INTO db.rp`; an INSERT without a
//!    timestamp; a bad INSERT, which the CLI must report with InfluxDB's message.
//! 2. `SHOW DATABASES` and `CREATE DATABASE` through the CLI (`/query`).
//! 3. `influx -import` of a file with a DDL and a DML section (batches to `/write`,
//!    precision `s`).
//! 4. A v2 batch (`/api/v2/write?bucket=...&precision=ms`, `Authorization: Token`) with every
//!    field type and escape, sent over plain HTTP.
//!
//! Each write is read back with a range selector and compared exactly (labels, millisecond
//! timestamps, values as Prometheus renders them); Strata's own counters must agree.
//!
//! Environment: `INFLUX_BIN` (default /usr/bin/influx), `STRATA_BIN`, `KEEP_TMP=1`.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use strata_testsuites::http::Http;
use strata_testsuites::net::now_ms;
use strata_testsuites::peers::{self, ReceiverKind, ReceiverOpts};
use strata_testsuites::prom::{self, Labels, fmt_labels};
use strata_testsuites::{Error, Result, env, fail};

/// Expected or stored samples per series.
type Data = BTreeMap<Labels, Vec<(i64, String)>>;

fn main() {
    strata_testsuites::run_suite("e2e_influx", run)
}

/// A named check and whether it passed.
struct Checks(Vec<(String, bool, String)>);

impl Checks {
    fn add(&mut self, name: &str, passed: bool, detail: String) {
        println!(
            "  {} {name}{}",
            if passed { "ok  " } else { "FAIL" },
            if detail.is_empty() || passed {
                String::new()
            } else {
                format!("\n{detail}")
            }
        );
        self.0.push((name.to_string(), passed, detail));
    }

    fn all_passed(&self) -> bool {
        self.0.iter().all(|c| c.1)
    }
}

/// Runs the CLI with `args`; returns (exit success, stdout + stderr).
fn influx(bin: &Path, port: u16, args: &[&str]) -> Result<(bool, String)> {
    let out = Command::new(bin)
        .args(["-host", "127.0.0.1", "-port", &port.to_string()])
        .args(args)
        .output()
        .map_err(|e| Error::io(format!("running {}", bin.display()), e))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok((out.status.success(), text))
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Everything stored under `db="<db>"` in the 10 minutes before `at_ms`.
fn read_db(http: &Http, base: &str, db: &str, at_ms: i64) -> Result<Data> {
    let q = format!("{{db=\"{db}\"}}[10m]");
    Ok(prom::query_matrix(http, base, &q, at_ms)?
        .into_iter()
        .collect())
}

/// At most `n` characters of `s`.
fn cut(s: String, n: usize) -> String {
    if s.chars().count() <= n {
        s
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}

/// An empty string when equal, else the differing series (each cut short).
fn diff(want: &Data, got: &Data) -> String {
    let mut out = Vec::new();
    for (l, w) in want {
        match got.get(l) {
            None => out.push(cut(format!("    missing {} {w:?}", fmt_labels(l)), 400)),
            Some(g) if g != w => {
                let first = w
                    .iter()
                    .zip(g)
                    .position(|(a, b)| a != b)
                    .unwrap_or(w.len().min(g.len()));
                out.push(format!(
                    "    {}: {} points wanted, {} stored; first difference at #{first}: want {:?} got {:?}",
                    fmt_labels(l),
                    w.len(),
                    g.len(),
                    w.get(first),
                    g.get(first)
                ));
            }
            _ => {}
        }
    }
    for (l, g) in got {
        if !want.contains_key(l) {
            out.push(cut(format!("    unexpected {} {g:?}", fmt_labels(l)), 400));
        }
    }
    out.join("\n")
}

fn run() -> Result<bool> {
    let bin = env::binary("INFLUX_BIN", &["/usr/bin/influx", "/usr/local/bin/influx"])?;
    let mut work = env::WorkDir::new("e2e-influx")?;
    let dir = work.path().to_path_buf();
    let http = Http::new(Duration::from_secs(60));
    let (_, version) = influx(&bin, 1, &["-version"])?;
    println!("e2e_influx: {}", version.trim());
    let mut strata = peers::start_receiver(
        ReceiverKind::Strata,
        &dir,
        &dir.join("data"),
        &ReceiverOpts::default(),
    )?;
    strata.wait_ready(&http, Duration::from_secs(60))?;
    let (port, base) = (strata.port, strata.base.clone());
    let mut checks = Checks(Vec::new());

    // A recent whole second, so every sample is inside the head's window.
    let t0 = now_ms() / 1000 * 1000 - 120_000;
    let ns = |ms: i64| (ms * 1_000_000).to_string();

    // 1. INSERT through the CLI.
    let inserts = [
        format!("INSERT cpu,host=a usage=0.5 {}", ns(t0)),
        format!(
            "INSERT weather,location=us\\ west,kind=a\\,b\\=c temp=82.5,hum=43i,count=7u,ok=true,\
             off=F,desc=\"clear \\\"sky\\\" \\\\o/\" {}",
            ns(t0 + 1000)
        ),
        format!(
            "INSERT my\\ meas,t=1 field\\ key=-1.5e3,f\\,g=T {}",
            ns(t0 + 2000)
        ),
        format!("INSERT cpu,host=a usage=0.75 {}", ns(t0 + 2500)),
    ];
    let mut cli_ok = true;
    let mut cli_log = String::new();
    for stmt in &inserts {
        let (ok, out) = influx(&bin, port, &["-database", "e2e", "-execute", stmt])?;
        if !ok || out.contains("ERR") {
            cli_ok = false;
            cli_log.push_str(&format!("    {stmt}: {out}\n"));
        }
    }
    checks.add("influx CLI INSERTs succeed", cli_ok, cli_log);
    let e2e = |pairs: &[(&str, &str)]| {
        let mut p = vec![("db", "e2e")];
        p.extend_from_slice(pairs);
        labels(&p)
    };
    let s = |t: i64, v: &str| vec![(t, v.to_string())];
    let weather = |name: &'static str| {
        e2e(&[
            ("__name__", name),
            ("kind", "a,b=c"),
            ("location", "us west"),
        ])
    };
    let want: Data = [
        (
            e2e(&[("__name__", "cpu_usage"), ("host", "a")]),
            vec![(t0, "0.5".to_string()), (t0 + 2500, "0.75".to_string())],
        ),
        (weather("weather_temp"), s(t0 + 1000, "82.5")),
        (weather("weather_hum"), s(t0 + 1000, "43")),
        (weather("weather_count"), s(t0 + 1000, "7")),
        (weather("weather_ok"), s(t0 + 1000, "1")),
        (weather("weather_off"), s(t0 + 1000, "0")),
        (
            e2e(&[("__name__", "my meas_field key"), ("t", "1")]),
            s(t0 + 2000, "-1500"),
        ),
        (
            e2e(&[("__name__", "my meas_f,g"), ("t", "1")]),
            s(t0 + 2000, "1"),
        ),
    ]
    .into_iter()
    .collect();
    let got = read_db(&http, &base, "e2e", t0 + 10_000)?;
    checks.add(
        "CLI INSERTs read back exactly",
        got == want,
        diff(&want, &got),
    );

    let (ok, out) = influx(
        &bin,
        port,
        &[
            "-execute",
            &format!("INSERT INTO other.autogen cpu v=3 {}", ns(t0)),
        ],
    )?;
    let got = read_db(&http, &base, "other", t0 + 10_000)?;
    let want: Data = [(
        labels(&[("__name__", "cpu_v"), ("db", "other")]),
        s(t0, "3"),
    )]
    .into_iter()
    .collect();
    checks.add(
        "INSERT INTO db.rp writes to that database",
        ok && !out.contains("ERR") && got == want,
        format!("{out}{}", diff(&want, &got)),
    );

    let before = now_ms();
    let (ok, out) = influx(
        &bin,
        port,
        &["-database", "nots", "-execute", "INSERT m v=9"],
    )?;
    let after = now_ms();
    let got = read_db(&http, &base, "nots", after + 1000)?;
    let stamped = got
        .values()
        .flatten()
        .all(|(t, v)| (before..=after).contains(t) && v == "9");
    checks.add(
        "INSERT without a timestamp is stored at the server's now",
        ok && got.len() == 1 && got.values().map(Vec::len).sum::<usize>() == 1 && stamped,
        format!("{out} window [{before}, {after}] got {got:?}"),
    );

    let (_, out) = influx(
        &bin,
        port,
        &["-database", "e2e", "-execute", "INSERT cpu bad"],
    )?;
    checks.add(
        "a bad INSERT is reported with InfluxDB's message",
        out.contains("ERR:") && out.contains("unable to parse 'cpu bad': invalid field format"),
        out,
    );

    // 2. Databases through /query.
    let (_, out) = influx(&bin, port, &["-execute", "CREATE DATABASE fresh"])?;
    let (ok, shown) = influx(&bin, port, &["-execute", "SHOW DATABASES"])?;
    let names: Vec<&str> = shown.lines().map(str::trim).collect();
    checks.add(
        "SHOW DATABASES lists written and created databases",
        ok && ["e2e", "other", "nots", "fresh"]
            .iter()
            .all(|d| names.contains(d)),
        format!("{out}{shown}"),
    );
    let (ok, out) = influx(
        &bin,
        port,
        &["-database", "fresh", "-execute", "SHOW DATABASES"],
    )?;
    checks.add(
        "the CLI connects with -database",
        ok && !out.contains("ERR"),
        out,
    );

    // 3. influx -import.
    let ts = t0 / 1000 - 60;
    let mut file =
        String::from("# DDL\nCREATE DATABASE imported\n\n# DML\n# CONTEXT-DATABASE: imported\n");
    let mut want = Data::new();
    for i in 0..300i64 {
        let host = format!("h{}", i % 3);
        let t = ts + i / 3;
        file.push_str(&format!("load,host={host} v={i}i,r={i}.5 {t}\n"));
        for (f, v) in [("v", format!("{i}")), ("r", format!("{i}.5"))] {
            want.entry(labels(&[
                ("__name__", &format!("load_{f}")),
                ("db", "imported"),
                ("host", &host),
            ]))
            .or_default()
            .push((t * 1000, v));
        }
    }
    let path = dir.join("import.txt");
    std::fs::write(&path, &file).map_err(|e| Error::io("writing import.txt", e))?;
    let (ok, out) = influx(
        &bin,
        port,
        &[
            "-import",
            &format!("-path={}", path.display()),
            "-precision=s",
        ],
    )?;
    let got = read_db(&http, &base, "imported", now_ms())?;
    checks.add(
        "influx -import (300 points, precision s) reads back exactly",
        ok && out.contains("Processed 300 inserts") && got == want,
        format!("{out}{}", diff(&want, &got)),
    );

    // 4. A v2 batch over HTTP.
    let body = format!(
        "net,if=eth\\ 0,dir=in\\=rx bytes=1024u,errs=-3i,rate=1.25e2,up=TRUE,down=false,\
         msg=\"line1\\nline2 \\\"q\\\"\",pct=99.5 {t1}\n\
         net,if=eth\\ 0,dir=in\\=rx bytes=2048u {t2}\n\
         \n# comment\n\
         net\\,x,a=b f\\ 1=0 {t1}\n",
        t1 = t0 + 3000,
        t2 = t0 + 4000
    );
    let url = format!("{base}/api/v2/write?org=o&bucket=v2db&precision=ms");
    let r = http.post(
        &url,
        &[
            ("Authorization", "Token t0k3n"),
            ("Content-Type", "text/plain"),
        ],
        body.as_bytes(),
    )?;
    let nets = |name: &str| {
        labels(&[
            ("__name__", name),
            ("db", "v2db"),
            ("dir", "in=rx"),
            ("if", "eth 0"),
        ])
    };
    let want: Data = [
        (
            nets("net_bytes"),
            vec![
                (t0 + 3000, "1024".to_string()),
                (t0 + 4000, "2048".to_string()),
            ],
        ),
        (nets("net_errs"), s(t0 + 3000, "-3")),
        (nets("net_rate"), s(t0 + 3000, "125")),
        (nets("net_up"), s(t0 + 3000, "1")),
        (nets("net_down"), s(t0 + 3000, "0")),
        (nets("net_pct"), s(t0 + 3000, "99.5")),
        (
            labels(&[("__name__", "net,x_f 1"), ("a", "b"), ("db", "v2db")]),
            s(t0 + 3000, "0"),
        ),
    ]
    .into_iter()
    .collect();
    let got = read_db(&http, &base, "v2db", t0 + 10_000)?;
    checks.add(
        "v2 batch with every field type and escape reads back exactly",
        r.status == 204 && got == want,
        format!("status {} {}\n{}", r.status, r.text(300), diff(&want, &got)),
    );

    // Strata's own accounting of all of the above.
    let m = prom::scrape(&http, &base)?;
    let get = |name: &str, f: &[(&str, &str)]| prom::metric_sum(&m, name, f).unwrap_or(-1.0);
    let counters = [
        (
            "string fields skipped",
            get("strata_influx_string_fields_skipped_total", &[]),
            2.0,
        ),
        (
            "lines rejected (invalid_field_format)",
            get(
                "strata_influx_lines_rejected_total",
                &[("reason", "invalid_field_format")],
            ),
            1.0,
        ),
        (
            "samples written",
            get("strata_influx_samples_written_total", &[]),
            // CLI: 9 + other 1 + nots 1; import 600; v2 8.
            (9 + 1 + 1 + 600 + 8) as f64,
        ),
        (
            "v2 requests",
            get("strata_influx_write_requests_total", &[("api", "v2")]),
            1.0,
        ),
    ];
    let bad: Vec<String> = counters
        .iter()
        .filter(|c| c.1 != c.2)
        .map(|c| format!("    {}: got {} want {}", c.0, c.1, c.2))
        .collect();
    checks.add("/metrics counters agree", bad.is_empty(), bad.join("\n"));

    strata.proc.check_alive()?;
    let passed = checks.all_passed();
    let n = checks.0.iter().filter(|c| c.1).count();
    println!("e2e_influx: {n}/{} checks passed", checks.0.len());
    if passed {
        work.succeeded();
    } else if let Some(c) = checks.0.iter().find(|c| !c.1) {
        return Err(fail!("first failed check: {}", c.0));
    }
    Ok(passed)
}
