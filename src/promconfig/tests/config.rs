//! Parsing: defaults, inheritance from `global`, error messages, auth, paths.

use super::*;
use crate::promconfig::*;
use std::path::Path;

#[test]
fn empty_and_comment_only_configs_get_defaults() {
    for text in ["", "# nothing here\n"] {
        let cfg = parse_ok(text);
        assert_eq!(cfg.global.scrape_interval, PromDuration::from_secs(60));
        assert_eq!(cfg.global.scrape_timeout, PromDuration::from_secs(10));
        assert_eq!(cfg.global.evaluation_interval, PromDuration::from_secs(60));
        assert!(cfg.scrape_configs.is_empty());
    }
}

#[test]
fn default_config_scrapes_itself() {
    let cfg = parse_ok(DEFAULT_CONFIG);
    let sc = &cfg.scrape_configs[0];
    assert_eq!(sc.job_name, "strata");
    assert_eq!(sc.interval(), std::time::Duration::from_secs(15));
    assert_eq!(sc.timeout(), std::time::Duration::from_secs(10));
}

#[test]
fn jobs_inherit_global_settings() {
    let cfg = parse_ok(
        "global:
  scrape_interval: 5s
  sample_limit: 100
  body_size_limit: 10MB
  scrape_protocols: [PrometheusText0.0.4]
scrape_configs:
  - job_name: a
  - job_name: b
    scrape_interval: 1m
    scrape_timeout: 20s
    sample_limit: 7
    body_size_limit: 1KiB
",
    );
    // The global timeout is 10s at most, but never above the global interval.
    assert_eq!(cfg.global.scrape_timeout, PromDuration::from_secs(5));
    assert_eq!(cfg.global.body_size_limit, 10 << 20);
    let a = &cfg.scrape_configs[0];
    assert_eq!(a.scrape_interval, Some(PromDuration::from_secs(5)));
    assert_eq!(a.scrape_timeout, Some(PromDuration::from_secs(5)));
    assert_eq!(a.sample_limit, Some(100));
    assert_eq!(a.body_size_limit, Some(10 << 20));
    assert_eq!(a.label_limit, Some(0));
    assert_eq!(
        a.scrape_protocols,
        Some(vec![ScrapeProtocol::PrometheusText0_0_4])
    );
    assert_eq!(a.metrics_path, "/metrics");
    assert_eq!(a.scheme, "http");
    assert!(a.honor_timestamps && !a.honor_labels);
    let b = &cfg.scrape_configs[1];
    assert_eq!(b.scrape_timeout, Some(PromDuration::from_secs(20)));
    assert_eq!(b.sample_limit, Some(7));
    assert_eq!(b.body_size_limit, Some(1024));
}

#[test]
fn job_timeout_defaults_to_global_timeout_capped_by_job_interval() {
    let cfg = parse_ok(
        "global: {scrape_interval: 1m, scrape_timeout: 30s}
scrape_configs:
  - {job_name: fast, scrape_interval: 10s}
  - {job_name: slow, scrape_interval: 2m}
",
    );
    assert_eq!(
        cfg.scrape_configs[0].timeout(),
        std::time::Duration::from_secs(10)
    );
    assert_eq!(
        cfg.scrape_configs[1].timeout(),
        std::time::Duration::from_secs(30)
    );
}

#[test]
fn default_scrape_protocols() {
    let cfg = parse_ok(
        "scrape_configs:
  - job_name: a
  - {job_name: b, scrape_native_histograms: true}
",
    );
    assert_eq!(
        cfg.scrape_configs[0].scrape_protocols.as_deref(),
        Some(&ScrapeProtocol::DEFAULT[..])
    );
    let b = cfg.scrape_configs[1]
        .scrape_protocols
        .clone()
        .unwrap_or_default();
    assert_eq!(b[0], ScrapeProtocol::PrometheusProto);
    assert_eq!(b.len(), 5);
}

#[test]
fn config_error_messages() {
    let cases = [
        (
            "scrape_configs:\n  - scrape_interval: 1m\n",
            "job_name is empty",
        ),
        (
            "scrape_configs:\n  - job_name: a\n  - job_name: a\n",
            r#"found multiple scrape configs with job name "a""#,
        ),
        (
            "scrape_configs:\n  - {job_name: a, scrape_interval: 5s, scrape_timeout: 6s}\n",
            r#"scrape timeout greater than scrape interval for scrape config with job name "a""#,
        ),
        (
            "global: {scrape_interval: 5s, scrape_timeout: 6s}\n",
            "global scrape timeout greater than scrape interval",
        ),
        (
            "scrape_configs:\n  - {job_name: a, scheme: ftp}\n",
            r#"invalid scheme "ftp""#,
        ),
        (
            "global:\n  external_labels: {'': x}\n",
            r#""" is not a valid label name"#,
        ),
        (
            "global:\n  metric_name_validation_scheme: legacy\n  external_labels: {'a-b': x}\n",
            r#""a-b" is not a valid label name"#,
        ),
        (
            "scrape_configs:\n  - job_name: a\n    static_configs: [{targets: ['http://host:80/metrics']}]\n",
            r#""http://host:80/metrics" is not a valid hostname"#,
        ),
        (
            "scrape_configs:\n  - job_name: a\n    file_sd_configs: [{files: [targets.txt]}]\n",
            r#"path name "targets.txt" is not valid for file discovery"#,
        ),
        (
            "scrape_configs:\n  - job_name: a\n    file_sd_configs: [{files: ['*/t.json']}]\n",
            r#"path name "*/t.json" is not valid for file discovery"#,
        ),
        (
            "scrape_configs:\n  - job_name: a\n    file_sd_configs: [{files: []}]\n",
            "file service discovery config must contain at least one path name",
        ),
        (
            "scrape_configs:\n  - job_name: a\n    basic_auth: {username: u, password: p, password_file: f}\n",
            "at most one of basic_auth password, password_file & password_ref must be configured",
        ),
        (
            "scrape_configs:\n  - job_name: a\n    authorization: {type: Basic, credentials: x}\n",
            r#"authorization type cannot be set to "basic", use "basic_auth" instead"#,
        ),
        (
            "scrape_configs:\n  - job_name: a\n    bearer_token: t\n    authorization: {credentials: x}\n",
            "authorization is not compatible with bearer_token & bearer_token_file",
        ),
        (
            "scrape_configs:\n  - job_name: a\n    bearer_token: t\n    bearer_token_file: f\n",
            "at most one of bearer_token & bearer_token_file must be configured",
        ),
        (
            "scrape_configs:\n  - job_name: a\n    bearer_token: t\n    basic_auth: {username: u}\n",
            "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured",
        ),
        (
            "scrape_configs:\n  - job_name: a\n    basic_auth: {username: u}\n    authorization: {credentials: x}\n",
            "at most one of basic_auth, oauth2 & authorization must be configured",
        ),
        (
            "scrape_configs:\n  - job_name: a\n    authorization: {credentials: x, credentials_file: f}\n",
            "at most one of authorization credentials & credentials_file must be configured",
        ),
        (
            "scrape_configs:\n  - job_name: a\n    tls_config: {cert_file: c}\n",
            "exactly one of key or key_file must be configured when a client certificate is configured",
        ),
        (
            "scrape_configs:\n  - job_name: a\n    tls_config: {min_version: TLS14}\n",
            "unknown TLS version: TLS14",
        ),
        (
            "scrape_configs:\n  - job_name: a\n    kubernetes_sd_configs: [{role: pod}]\n",
            r#"Strata does not support kubernetes_sd_configs yet (scrape config with job name "a")"#,
        ),
        (
            "scrape_configs:\n  - job_name: a\n    consul_sd_configs: [{server: x}]\n",
            "Strata does not support consul_sd_configs yet",
        ),
        (
            "scrape_configs:\n  - job_name: a\n    oauth2: {client_id: x}\n",
            "Strata does not support oauth2 yet",
        ),
        (
            "scrape_configs:\n  - job_name: a\n    relabel_configs: [{action: hashmod, target_label: x}]\n",
            "relabel configuration for hashmod requires non-zero modulus",
        ),
        (
            "scrape_configs:\n  - job_name: a\n    metric_relabel_configs: [{action: Bogus}]\n",
            r#"unknown relabel action "Bogus""#,
        ),
        (
            "scrape_configs:\n  - job_name: a\n    scrape_protocols: []\n",
            r#"scrape_protocols cannot be empty for scrape config with job name "a""#,
        ),
        (
            "scrape_configs:\n  - job_name: a\n    scrape_protocols: [PrometheusProto, PrometheusProto]\n",
            "duplicated protocol in scrape_protocols, got [PrometheusProto PrometheusProto]",
        ),
        (
            "scrape_configs:\n  - job_name: a\n    scrape_protocols: [Text]\n",
            "unknown scrape protocol Text, supported: [OpenMetricsText0.0.1 OpenMetricsText1.0.0 PrometheusProto PrometheusText0.0.4 PrometheusText1.0.0]",
        ),
        (
            "scrape_configs:\n  - job_name: a\n    body_size_limit: lots\n",
            r#"invalid size "lots""#,
        ),
        (
            "rule_files: ['a/*/b.yml']\n",
            r#"invalid rule file path "a/*/b.yml""#,
        ),
        ("unknown_section: 1\n", "unknown field `unknown_section`"),
        (
            "scrape_configs:\n  - job_name: a\n    no_such_key: 1\n",
            "no_such_key",
        ),
    ];
    for (yaml, want) in cases {
        let e = parse_err(yaml);
        assert!(e.contains(want), "for\n{yaml}got:  {e}\nwant: {want}");
    }
}

#[test]
fn static_urls_are_fine_when_relabeling_rewrites_them() {
    parse_ok(
        "scrape_configs:
  - job_name: blackbox
    static_configs: [{targets: ['http://example.com/']}]
    relabel_configs:
      - {source_labels: [__address__], target_label: __param_target}
      - {target_label: __address__, replacement: 'localhost:9115'}
",
    );
}

#[test]
fn bearer_token_becomes_authorization_and_paths_become_absolute() {
    let cfg = parse_ok(
        "rule_files: [rules/*.yml]
scrape_configs:
  - job_name: a
    bearer_token_file: token
    tls_config: {ca_file: /abs/ca.pem}
    file_sd_configs: [{files: ['sd/*.json']}]
",
    );
    assert_eq!(cfg.rule_files, vec!["/etc/prom/rules/*.yml".to_string()]);
    let sc = &cfg.scrape_configs[0];
    assert!(sc.http.bearer_token_file.is_none());
    let auth = sc.http.authorization.as_ref().expect("authorization");
    assert_eq!(auth.kind.as_deref(), Some("Bearer"));
    assert_eq!(auth.credentials_file.as_deref(), Some("/etc/prom/token"));
    assert_eq!(sc.http.tls_config.ca_file.as_deref(), Some("/abs/ca.pem"));
    assert_eq!(
        sc.file_sd_configs[0].files,
        vec!["/etc/prom/sd/*.json".to_string()]
    );
}

#[test]
fn auth_header_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("pw"), "s3cret\n").expect("write");
    std::fs::write(dir.path().join("tok"), " abc \n").expect("write");
    let header = |yaml: &str| {
        let cfg = parse(yaml, dir.path()).unwrap_or_else(|e| panic!("{e}"));
        cfg.scrape_configs[0].http.auth_header(dir.path())
    };
    let job = |extra: &str| format!("scrape_configs:\n  - job_name: a\n{extra}");
    assert_eq!(header(&job("")), Ok(None));
    assert_eq!(
        header(&job("    bearer_token: xyz\n")),
        Ok(Some("Bearer xyz".into()))
    );
    assert_eq!(
        header(&job("    bearer_token_file: tok\n")),
        Ok(Some("Bearer abc".into()))
    );
    assert_eq!(
        header(&job("    authorization: {type: Token, credentials: q}\n")),
        Ok(Some("Token q".into()))
    );
    // base64("user:s3cret") = dXNlcjpzM2NyZXQ=
    assert_eq!(
        header(&job(
            "    basic_auth: {username: user, password_file: pw}\n"
        )),
        Ok(Some("Basic dXNlcjpzM2NyZXQ=".into()))
    );
    // base64("user:") = dXNlcjo=
    assert_eq!(
        header(&job("    basic_auth: {username: user}\n")),
        Ok(Some("Basic dXNlcjo=".into()))
    );
    let missing = header(&job("    authorization: {credentials_file: nope}\n"));
    assert!(missing.is_err_and(|e| e.contains("unable to read authorization credentials")));
}

#[test]
fn to_yaml_hides_secrets_shows_defaults_and_reparses() {
    let cfg = parse_ok(
        "scrape_configs:
  - job_name: a
    basic_auth: {username: u, password: hunter2}
    relabel_configs: [{source_labels: [a], regex: 'x.*', action: drop}]
",
    );
    let yaml = cfg.to_yaml();
    assert!(!yaml.contains("hunter2"), "{yaml}");
    assert!(yaml.contains("<secret>"), "{yaml}");
    assert!(yaml.contains("scrape_timeout: 10s"), "{yaml}");
    assert!(yaml.contains("OpenMetricsText1.0.0"), "{yaml}");
    assert!(yaml.contains("regex: x.*"), "{yaml}");
    let again = parse_ok(&yaml);
    assert_eq!(again.scrape_configs[0].job_name, "a");
    assert_eq!(
        again.scrape_configs[0].relabel_configs[0].action,
        Action::Drop
    );
}

#[test]
fn external_labels_expand_environment_variables() {
    // A variable every test process has, so the test needs no environment changes.
    let path = std::env::var("PATH").unwrap_or_default();
    let cfg = parse_ok(
        "global:\n  external_labels:\n    p: 'x-${PATH}'\n    d: 'cost$$'\n    gone: '$STRATA_SURELY_UNSET_VAR'\n",
    );
    let want = ls(&[("p", &format!("x-{path}")), ("d", "cost$")]);
    assert_eq!(cfg.global.external_labels, want);
}

#[test]
fn scrape_config_files_are_appended() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("jobs")).expect("mkdir");
    std::fs::write(
        dir.path().join("jobs/b.yml"),
        "scrape_configs:\n  - job_name: b\n    file_sd_configs: [{files: [t.json]}]\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("jobs/c.yml"),
        "scrape_configs:\n  - job_name: c\n",
    )
    .expect("write");
    let main = "global: {scrape_interval: 7s}\nscrape_config_files: ['jobs/*.yml']\nscrape_configs:\n  - job_name: a\n";
    let cfg = parse(main, dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = cfg
        .scrape_configs
        .iter()
        .map(|s| s.job_name.as_str())
        .collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(
        cfg.scrape_configs[1].interval(),
        std::time::Duration::from_secs(7)
    );
    let sd = &cfg.scrape_configs[1].file_sd_configs[0].files[0];
    assert_eq!(Path::new(sd), dir.path().join("jobs/t.json"));
    assert_eq!(cfg.scrape_configs[0].from_file, None);
    assert_eq!(
        cfg.scrape_configs[2].from_file.as_deref(),
        Some(dir.path().join("jobs/c.yml").as_path())
    );
    // The shown configuration loads again to the same jobs.
    let again = parse(&cfg.to_yaml(), dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again.scrape_configs.len(), 3);

    std::fs::write(
        dir.path().join("jobs/d.yml"),
        "scrape_configs:\n  - job_name: a\n",
    )
    .expect("write");
    let e = parse(main, dir.path()).expect_err("duplicate job").0;
    assert!(
        e.contains(
            r#"found multiple scrape configs with job name "a", first found in main config file"#
        ),
        "{e}"
    );
}

#[test]
fn yaml_numbers_and_bools_read_as_strings() {
    let cfg = parse_ok(
        "global:\n  external_labels: {replica: 1}\nscrape_configs:\n  - job_name: 0123\n    static_configs: [{targets: [localhost:9090], labels: {port: 9100, on: true, empty: ''}}]\n    relabel_configs:\n      - {source_labels: [__tmp_hash], regex: 1, action: keep}\n",
    );
    assert_eq!(cfg.global.external_labels, ls(&[("replica", "1")]));
    let sc = &cfg.scrape_configs[0];
    assert_eq!(sc.job_name, "0123");
    assert_eq!(sc.relabel_configs[0].regex, "1");
    let groups = sc.static_groups();
    assert_eq!(groups[0].source, "0");
    // Empty label values are dropped: an empty label is an absent one.
    assert_eq!(groups[0].labels, ls(&[("on", "true"), ("port", "9100")]));
    let merged: Vec<_> = groups[0].merged_targets().collect();
    assert_eq!(
        merged,
        vec![ls(&[
            ("__address__", "localhost:9090"),
            ("on", "true"),
            ("port", "9100")
        ])]
    );
}

#[test]
fn keys_left_empty_by_commented_out_entries_mean_defaults() {
    // The shape of the example file Prometheus ships: sections whose entries are all
    // commented out decode as null.
    let cfg = parse_ok(
        "global:
  # scrape_interval: 15s
alerting:
  alertmanagers:
    - static_configs:
        - targets:
          # - alertmanager:9093
rule_files:
  # - first_rules.yml
scrape_configs:
  - job_name: prometheus
    tls_config:
    relabel_configs:
    static_configs:
      - targets: ['localhost:9090']
        labels:
",
    );
    assert_eq!(cfg.global.scrape_interval, PromDuration::from_secs(60));
    assert_eq!(cfg.global.scrape_timeout, PromDuration::from_secs(10));
    assert!(cfg.rule_files.is_empty());
    let sc = &cfg.scrape_configs[0];
    assert!(sc.relabel_configs.is_empty());
    assert_eq!(
        sc.static_configs[0].targets,
        vec!["localhost:9090".to_string()]
    );
}

#[test]
fn yaml_merge_keys_apply_as_in_go() {
    let cfg = parse_ok(
        "scrape_configs:
  - &base
    job_name: a
    scrape_interval: 30s
    metrics_path: /m
  - <<: *base
    job_name: b
",
    );
    let b = &cfg.scrape_configs[1];
    assert_eq!(b.job_name, "b");
    assert_eq!(b.metrics_path, "/m");
    assert_eq!(b.interval(), std::time::Duration::from_secs(30));
    let e = parse_err(
        "scrape_configs:\n  - &k {job_name: a, kubernetes_sd_configs: []}\n  - {<<: *k, job_name: b}\n",
    );
    assert!(
        e.contains("Strata does not support kubernetes_sd_configs"),
        "{e}"
    );
}
