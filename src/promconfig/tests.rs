//! Table tests for the configuration checks, the relabel engine, file discovery and target
//! labels. Expected values were worked out by hand from Prometheus's documented behaviour
//! (hashmod results from MD5 digests computed separately).

use super::*;
use std::collections::BTreeMap;

fn ls(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// One relabel rule from YAML, validated as parsing would.
fn rule(yaml: &str) -> RelabelConfig {
    let rc: RelabelConfig = serde_yaml_ng::from_str(yaml).expect("rule decodes");
    rc.validate(false).expect("rule is valid");
    rc
}

fn parse_err(yaml: &str) -> String {
    match parse(yaml, Path::new("/etc/prom")) {
        Ok(_) => panic!("expected an error for:\n{yaml}"),
        Err(e) => e.0,
    }
}

fn parse_ok(yaml: &str) -> Config {
    parse(yaml, Path::new("/etc/prom")).unwrap_or_else(|e| panic!("{e}"))
}

// ---------------------------------------------------------------- relabeling

#[test]
fn relabel_actions_table() {
    struct Case {
        name: &'static str,
        input: &'static [(&'static str, &'static str)],
        rules: &'static str,
        want: Option<&'static [(&'static str, &'static str)]>,
    }
    let cases = [
        Case {
            name: "replace with capture group",
            input: &[("a", "foo-bar")],
            rules: "- {source_labels: [a], regex: '(.*)-(.*)', target_label: b, replacement: '${2}x$1'}",
            want: Some(&[("a", "foo-bar"), ("b", "barxfoo")]),
        },
        Case {
            name: "replace regex not matching leaves labels alone",
            input: &[("a", "foo")],
            rules: "- {source_labels: [a], regex: 'bar', target_label: b, replacement: x}",
            want: Some(&[("a", "foo")]),
        },
        Case {
            name: "regex is anchored at both ends",
            input: &[("a", "xfoox")],
            rules: "- {source_labels: [a], regex: 'foo', target_label: b, replacement: x}",
            want: Some(&[("a", "xfoox")]),
        },
        Case {
            name: "dot matches newline",
            input: &[("a", "line1\nline2")],
            rules: "- {source_labels: [a], regex: 'line1.line2', target_label: b, replacement: ok}",
            want: Some(&[("a", "line1\nline2"), ("b", "ok")]),
        },
        Case {
            name: "missing source labels read as empty, joined by separator",
            input: &[("a", "1")],
            rules: "- {source_labels: [a, missing, a], separator: '|', target_label: b}",
            want: Some(&[("a", "1"), ("b", "1||1")]),
        },
        Case {
            name: "default separator is ;",
            input: &[("a", "x"), ("c", "y")],
            rules: "- {source_labels: [a, c], target_label: b}",
            want: Some(&[("a", "x"), ("b", "x;y"), ("c", "y")]),
        },
        Case {
            name: "replace with an empty result deletes the target",
            input: &[("a", "x"), ("b", "old")],
            rules: "- {source_labels: [missing], target_label: b}",
            want: Some(&[("a", "x")]),
        },
        Case {
            name: "constant replacement without source labels",
            input: &[("a", "x")],
            rules: "- {target_label: env, replacement: prod}",
            want: Some(&[("a", "x"), ("env", "prod")]),
        },
        Case {
            name: "named group and templated target label",
            input: &[("a", "k=v")],
            rules: "- {source_labels: [a], regex: '(?P<key>[^=]+)=(?P<val>.*)', target_label: 'tag_${key}', replacement: '${val}'}",
            want: Some(&[("a", "k=v"), ("tag_k", "v")]),
        },
        Case {
            name: "$1x names group 1x, which does not exist, as in Go",
            input: &[("a", "foo")],
            rules: "- {source_labels: [a], regex: '(.*)', target_label: b, replacement: '$1x-${1}x'}",
            want: Some(&[("a", "foo"), ("b", "-foox")]),
        },
        Case {
            name: "$$ is a literal dollar",
            input: &[("a", "5")],
            rules: "- {source_labels: [a], target_label: b, replacement: '$$$1'}",
            want: Some(&[("a", "5"), ("b", "$5")]),
        },
        Case {
            name: "templated target expanding to empty is skipped",
            input: &[],
            rules: "- {source_labels: [a], regex: '(.*)', target_label: '$1', replacement: v}",
            want: Some(&[]),
        },
        Case {
            name: "keep matching",
            input: &[("a", "foo")],
            rules: "- {source_labels: [a], regex: 'f.*', action: keep}",
            want: Some(&[("a", "foo")]),
        },
        Case {
            name: "keep not matching drops",
            input: &[("a", "foo")],
            rules: "- {source_labels: [a], regex: 'b.*', action: keep}",
            want: None,
        },
        Case {
            name: "keep on a missing label matches against empty",
            input: &[("a", "foo")],
            rules: "- {source_labels: [missing], regex: '', action: keep}",
            want: Some(&[("a", "foo")]),
        },
        Case {
            name: "drop matching",
            input: &[("a", "foo")],
            rules: "- {source_labels: [a], regex: 'foo|bar', action: drop}",
            want: None,
        },
        Case {
            name: "drop not matching keeps",
            input: &[("a", "foobar")],
            rules: "- {source_labels: [a], regex: 'foo|bar', action: drop}",
            want: Some(&[("a", "foobar")]),
        },
        Case {
            name: "keepequal equal",
            input: &[("a", "1"), ("b", "1")],
            rules: "- {source_labels: [a], target_label: b, action: keepequal}",
            want: Some(&[("a", "1"), ("b", "1")]),
        },
        Case {
            name: "keepequal different drops",
            input: &[("a", "1"), ("b", "2")],
            rules: "- {source_labels: [a], target_label: b, action: keepequal}",
            want: None,
        },
        Case {
            name: "dropequal equal drops, both missing count as equal",
            input: &[("a", "1")],
            rules: "- {source_labels: [x], target_label: y, action: dropequal}",
            want: None,
        },
        Case {
            name: "dropequal different keeps",
            input: &[("a", "1"), ("b", "2")],
            rules: "- {source_labels: [a], target_label: b, action: DropEqual}",
            want: Some(&[("a", "1"), ("b", "2")]),
        },
        Case {
            name: "hashmod: md5('baz') low 8 bytes % 1000 = 976",
            input: &[("c", "baz")],
            rules: "- {source_labels: [c], modulus: 1000, target_label: d, action: hashmod}",
            want: Some(&[("c", "baz"), ("d", "976")]),
        },
        Case {
            name: "hashmod of a joined value: md5('a;b') % 1000 = 74",
            input: &[("x", "a"), ("y", "b")],
            rules: "- {source_labels: [x, y], modulus: 1000, target_label: s, action: HashMod}",
            want: Some(&[("s", "74"), ("x", "a"), ("y", "b")]),
        },
        Case {
            name: "hashmod of empty: md5('') % 7 = 1",
            input: &[],
            rules: "- {source_labels: [none], modulus: 7, target_label: s, action: hashmod}",
            want: Some(&[("s", "1")]),
        },
        Case {
            name: "labelmap copies matching names",
            input: &[("__meta_x", "1"), ("__meta_y_z", "2"), ("other", "3")],
            rules: "- {regex: '__meta_(.+)', action: labelmap}",
            want: Some(&[
                ("__meta_x", "1"),
                ("__meta_y_z", "2"),
                ("other", "3"),
                ("x", "1"),
                ("y_z", "2"),
            ]),
        },
        Case {
            name: "labelmap with a replacement template",
            input: &[("foo", "1")],
            rules: "- {regex: '(f)(o+)', replacement: '${2}_$1', action: labelmap}",
            want: Some(&[("foo", "1"), ("oo_f", "1")]),
        },
        Case {
            name: "labeldrop",
            input: &[("a", "1"), ("ab", "2"), ("b", "3")],
            rules: "- {regex: 'a.*', action: labeldrop}",
            want: Some(&[("b", "3")]),
        },
        Case {
            name: "labelkeep",
            input: &[("a", "1"), ("ab", "2"), ("b", "3")],
            rules: "- {regex: 'a.*', action: labelkeep}",
            want: Some(&[("a", "1"), ("ab", "2")]),
        },
        Case {
            name: "lowercase",
            input: &[("a", "FoO"), ("b", "ÄB")],
            rules: "- {source_labels: [a, b], target_label: l, action: lowercase}",
            want: Some(&[("a", "FoO"), ("b", "ÄB"), ("l", "foo;äb")]),
        },
        Case {
            name: "uppercase",
            input: &[("a", "foo")],
            rules: "- {source_labels: [a], target_label: a, action: uppercase}",
            want: Some(&[("a", "FOO")]),
        },
        Case {
            name: "uppercase of an empty value deletes the target",
            input: &[("t", "x")],
            rules: "- {source_labels: [missing], separator: '', target_label: t, action: uppercase}",
            want: Some(&[]),
        },
        Case {
            name: "rules apply in order and see earlier results",
            input: &[("a", "1")],
            rules: "- {source_labels: [a], target_label: b, replacement: 'x$1'}\n- {source_labels: [b], regex: 'x1', action: drop}",
            want: None,
        },
    ];
    for case in cases {
        let rules: Vec<RelabelConfig> =
            serde_yaml_ng::from_str(case.rules).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        for r in &rules {
            r.validate(false)
                .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        }
        let mut labels = ls(case.input);
        let kept = relabel::process(&mut labels, &rules);
        match case.want {
            None => assert!(!kept, "{}: expected drop, got {labels:?}", case.name),
            Some(want) => {
                assert!(kept, "{}: dropped", case.name);
                assert_eq!(labels, ls(want), "{}", case.name);
            }
        }
    }
}

#[test]
fn relabel_rule_built_by_hand_compiles_on_first_use() {
    let rc = RelabelConfig {
        source_labels: vec!["a".into()],
        regex: "x+".into(),
        action: Action::Drop,
        ..RelabelConfig::default()
    };
    let mut labels = ls(&[("a", "xxx")]);
    assert!(!relabel::process(&mut labels, std::slice::from_ref(&rc)));
    let mut labels = ls(&[("a", "y")]);
    assert!(relabel::process(&mut labels, &[rc]));
}

#[test]
fn relabel_regex_serializes_as_written() {
    let rc = rule("{source_labels: [a], regex: 'foo.*', target_label: b}");
    let yaml = serde_yaml_ng::to_string(&rc).expect("serializes");
    assert!(yaml.contains("regex: foo.*"), "{yaml}");
    assert!(!yaml.contains("(?s"), "{yaml}");
}

#[test]
fn relabel_validation_messages() {
    let cases = [
        ("{action: foo}", r#"unknown relabel action "foo""#),
        (
            "{action: hashmod, target_label: a}",
            "relabel configuration for hashmod requires non-zero modulus",
        ),
        (
            "{action: replace}",
            "relabel configuration for replace action requires 'target_label' value",
        ),
        (
            "{action: lowercase, source_labels: [a]}",
            "relabel configuration for lowercase action requires 'target_label' value",
        ),
        (
            "{action: uppercase, target_label: a, replacement: x}",
            "'replacement' can not be set for uppercase action",
        ),
        (
            "{action: keepequal, source_labels: [a], target_label: b, regex: x}",
            "keepequal action requires only 'source_labels' and `target_label`, and no other fields",
        ),
        (
            "{action: labeldrop, regex: a, source_labels: [a]}",
            "labeldrop action requires only 'regex', and no other fields",
        ),
        (
            "{action: labelkeep, regex: a, replacement: b}",
            "labelkeep action requires only 'regex', and no other fields",
        ),
        (
            "{action: labelmap, regex: a, replacement: ''}",
            r#""" is invalid 'replacement' for labelmap action"#,
        ),
        ("{regex: '(', target_label: a}", "error parsing regexp"),
        (
            "{source_labels: [''], target_label: a}",
            r#""" is not a valid label name"#,
        ),
    ];
    for (yaml, want) in cases {
        let got = serde_yaml_ng::from_str::<RelabelConfig>(yaml)
            .map_err(|e| e.to_string())
            .and_then(|rc| rc.validate(false));
        let e = got.expect_err(yaml);
        assert!(e.contains(want), "{yaml}: got {e:?}, want {want:?}");
    }
}

#[test]
fn relabel_legacy_names_reject_what_utf8_allows() {
    let rc: RelabelConfig =
        serde_yaml_ng::from_str("{target_label: 'a-b', replacement: x}").expect("decodes");
    assert!(rc.validate(false).is_ok());
    let e = rc.validate(true).expect_err("legacy rejects a-b");
    assert_eq!(e, r#""a-b" is invalid 'target_label' for replace action"#);
    let templated: RelabelConfig =
        serde_yaml_ng::from_str("{target_label: '${1}_x', replacement: x}").expect("decodes");
    assert!(templated.validate(true).is_ok());
}

// ---------------------------------------------------------------- configuration

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

// ---------------------------------------------------------------- target labels

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
        r#"[{"targets": ["h1:1", "h2:2"], "labels": {"env": "prod", "empty": ""}}, {"targets": ["h3:3"]}]"#,
    )
    .expect("write");
    let groups = file_sd::read_file(&json).expect("reads");
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
    let groups = file_sd::read_file(&yaml).expect("reads");
    assert_eq!(groups[0].labels["team"], "x");
    assert_eq!(groups[0].targets, vec![ls(&[("__address__", "h:1")])]);

    let found = file_sd::expand_patterns(
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
        let e = file_sd::read_file(&path).expect_err(want);
        assert!(e.contains(want), "{}: {e}", path.display());
    }
}
