//! Target labels, scrape URLs and file discovery.

use super::*;
use crate::promconfig::*;

fn job(yaml: &str) -> ScrapeConfig {
    let text = format!("scrape_configs:\n  - {yaml}\n");
    parse_ok(&text).scrape_configs.remove(0)
}

#[test]
fn populate_labels_defaults() {
    let sc = job("{job_name: node, scrape_interval: 30s, params: {module: [a, b]}}");
    let target = ls(&[
        ("__address__", "host:9100"),
        ("__meta_x", "m"),
        ("env", "prod"),
    ]);
    let Ok(Populated::Active { labels, discovered }) = populate_labels(&target, &sc) else {
        panic!("expected an active target");
    };
    assert_eq!(
        labels,
        ls(&[
            ("__address__", "host:9100"),
            ("__metrics_path__", "/metrics"),
            ("__param_module", "a"),
            ("__scheme__", "http"),
            ("__scrape_interval__", "30s"),
            ("__scrape_timeout__", "10s"),
            ("env", "prod"),
            ("instance", "host:9100"),
            ("job", "node"),
        ])
    );
    assert_eq!(discovered.get("__meta_x").map(String::as_str), Some("m"));
    assert!(!discovered.contains_key("instance"));
    assert_eq!(
        public_labels(&labels),
        vec![
            ("env".to_string(), "prod".to_string()),
            ("instance".to_string(), "host:9100".to_string()),
            ("job".to_string(), "node".to_string()),
        ]
    );
}

#[test]
fn populate_labels_keeps_target_values_and_adds_no_port() {
    let sc = job("{job_name: node}");
    let target = ls(&[
        ("__address__", "host"),
        ("instance", "mine"),
        ("job", "other"),
    ]);
    let Ok(Populated::Active { labels, .. }) = populate_labels(&target, &sc) else {
        panic!("expected an active target");
    };
    assert_eq!(labels["__address__"], "host");
    assert_eq!(labels["instance"], "mine");
    assert_eq!(labels["job"], "other");
}

#[test]
fn populate_labels_relabel_drop_and_errors() {
    let sc = job(
        "{job_name: j, relabel_configs: [{source_labels: [drop], regex: 'yes', action: drop}]}",
    );
    let target = ls(&[("__address__", "h:1"), ("drop", "yes")]);
    match populate_labels(&target, &sc) {
        Ok(Populated::Dropped { discovered }) => {
            assert_eq!(discovered["job"], "j");
            assert_eq!(discovered["drop"], "yes");
        }
        other => panic!("expected a drop, got {other:?}"),
    }

    let cases = [
        ("{job_name: j}", &[("a", "b")][..], "no address"),
        (
            "{job_name: j}",
            &[("__address__", "http://h:1/x")][..],
            r#""http://h:1/x" is not a valid hostname"#,
        ),
        (
            "{job_name: j, relabel_configs: [{target_label: __scrape_interval__, replacement: 0s}]}",
            &[("__address__", "h:1")][..],
            "scrape interval cannot be 0",
        ),
        (
            "{job_name: j, relabel_configs: [{target_label: __scrape_timeout__, replacement: 0s}]}",
            &[("__address__", "h:1")][..],
            "scrape timeout cannot be 0",
        ),
        (
            "{job_name: j, relabel_configs: [{target_label: __scrape_interval__, replacement: soon}]}",
            &[("__address__", "h:1")][..],
            r#"error parsing scrape interval: not a valid duration string: "soon""#,
        ),
        (
            "{job_name: j, relabel_configs: [{target_label: __scrape_timeout__, replacement: 2m}]}",
            &[("__address__", "h:1")][..],
            r#"scrape timeout cannot be greater than scrape interval ("2m" > "1m")"#,
        ),
    ];
    for (yaml, target, want) in cases {
        let sc = job(yaml);
        let got = populate_labels(&ls(target), &sc).expect_err(yaml);
        assert_eq!(got, want, "{yaml}");
    }
}

#[test]
fn target_url_merges_params_and_encodes_like_go() {
    let sc = job(
        "{job_name: j, metrics_path: /probe, scheme: https, params: {module: [http_2xx, x], b: ['a b&c']}}",
    );
    let target = ls(&[
        ("__address__", "10.0.0.1:9115"),
        ("__param_target", "http://ex.com/?q=1"),
    ]);
    let Ok(Populated::Active { labels, .. }) = populate_labels(&target, &sc) else {
        panic!("expected an active target");
    };
    assert_eq!(
        target_url(&labels, &sc),
        "https://10.0.0.1:9115/probe?b=a+b%26c&module=http_2xx&module=x&target=http%3A%2F%2Fex.com%2F%3Fq%3D1"
    );
    let plain = job("{job_name: j}");
    let labels = ls(&[
        ("__address__", "h:1"),
        ("__scheme__", "http"),
        ("__metrics_path__", "/metrics"),
    ]);
    assert_eq!(target_url(&labels, &plain), "http://h:1/metrics");
}

// ---------------------------------------------------------------- file discovery

#[test]
fn file_sd_reads_json_and_yaml() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("a.json");
    std::fs::write(
        &json,
        r#"[{"targets": ["h1:1", "h2:2"], "labels": {"env": "prod", "empty": ""}, "extra": 1}, {"targets": ["h3:3"]}]"#,
    )
    .expect("write");
    let groups = crate::promconfig::file_sd::read_file(&json).expect("reads");
    assert_eq!(groups.len(), 2);
    let shown = json.display().to_string();
    assert_eq!(groups[0].source, format!("{shown}:0"));
    assert_eq!(groups[1].source, format!("{shown}:1"));
    assert_eq!(
        groups[0].labels,
        ls(&[("__meta_filepath", &shown), ("env", "prod")])
    );
    assert_eq!(groups[0].targets[1], ls(&[("__address__", "h2:2")]));
    assert_eq!(groups[1].labels, ls(&[("__meta_filepath", &shown)]));

    let yaml = dir.path().join("b.yml");
    std::fs::write(&yaml, "- targets: ['h:1']\n  labels:\n    team: x\n").expect("write");
    let groups = crate::promconfig::file_sd::read_file(&yaml).expect("reads");
    assert_eq!(groups[0].labels["team"], "x");
    assert_eq!(groups[0].targets, vec![ls(&[("__address__", "h:1")])]);

    let found = crate::promconfig::file_sd::expand_patterns(
        &["*.json".into(), "b.yml".into(), "none/*.yml".into()],
        dir.path(),
    );
    assert_eq!(found, vec![json.clone(), yaml.clone()]);
}

#[test]
fn file_sd_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        p
    };
    let cases = [
        (write("bad.json", "{not json"), "bad.json"),
        (write("obj.json", r#"{"targets": []}"#), "obj.json"),
        (write("null.json", "[null]"), "nil target group item found"),
        (
            write("extra.yml", "- targets: []\n  label: {}\n"),
            "unknown field `label`",
        ),
        (write("t.txt", "[]"), "unknown file extension"),
        (dir.path().join("missing.json"), "missing.json"),
    ];
    for (path, want) in cases {
        let e = crate::promconfig::file_sd::read_file(&path).expect_err(want);
        assert!(e.contains(want), "{}: {e}", path.display());
    }
}
