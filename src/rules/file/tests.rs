//! Rule file parsing and validation: good files give the model, bad files give Prometheus's
//! messages with file and position. Expected texts were checked against `promtool check rules`
//! where its version (2.42) and Prometheus 3 agree; see the notes where they differ.

use super::*;
use std::path::Path;

fn parse(text: &str) -> Result<RuleFile, Vec<String>> {
    parse_rule_file(Path::new("rules.yml"), text)
        .map_err(|es| es.iter().map(ToString::to_string).collect())
}

fn errors(text: &str) -> Vec<String> {
    match parse(text) {
        Ok(f) => panic!("expected errors, parsed {} rules", f.rule_count()),
        Err(es) => es,
    }
}

const GOOD: &str = "\
# Comment before the document.
groups:
  - name: node
    interval: 30s
    limit: 10
    query_offset: 1m
    labels:
      team: infra
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
        labels:
          level: \"1\"
      - alert: HighLatency
        expr: |
          histogram_quantile(0.9, rate(http_request_duration_seconds_bucket[5m])) > 0.5
        for: 5m
        keep_firing_for: 1m
        labels:
          severity: page
        annotations:
          summary: \"{{ $labels.job }} is slow\"
  - name: empty
    rules: []
  - name: second
    rules:
    - {record: 'a:b', expr: up}
    - alert: Flow
      expr: up == 0
";

#[test]
fn good_file_gives_the_model() {
    let f = parse(GOOD).expect("parses");
    assert_eq!(f.rule_count(), 4);
    assert_eq!(f.groups.len(), 3);
    let g = &f.groups[0];
    assert_eq!(g.name, "node");
    assert_eq!(g.interval, Some(Duration::from_secs(30)));
    assert_eq!(g.limit, 10);
    assert_eq!(g.query_offset, Some(Duration::from_secs(60)));
    assert_eq!(g.labels.get("team").map(String::as_str), Some("infra"));
    assert_eq!(
        g.rules[0].kind,
        RuleKind::Recording {
            record: "job:up:sum".into()
        }
    );
    assert_eq!(g.rules[0].expr, "sum by (job) (up)");
    assert_eq!(
        g.rules[0].labels.get("level").map(String::as_str),
        Some("1")
    );
    assert_eq!(g.rules[0].line, 10);
    let RuleKind::Alerting {
        alert,
        for_,
        keep_firing_for,
        annotations,
    } = &g.rules[1].kind
    else {
        panic!("alerting rule expected: {:?}", g.rules[1].kind);
    };
    assert_eq!(alert, "HighLatency");
    assert_eq!(*for_, Duration::from_secs(300));
    assert_eq!(*keep_firing_for, Duration::from_secs(60));
    assert_eq!(annotations["summary"], "{{ $labels.job }} is slow");
    assert!(
        g.rules[1].expr.ends_with("> 0.5\n"),
        "{:?}",
        g.rules[1].expr
    );
    assert_eq!(g.rules[1].line, 14);
    assert!(f.groups[1].rules.is_empty());
    assert_eq!(f.groups[1].interval, None);
    assert_eq!(f.groups[1].query_offset, None);
    assert_eq!(f.groups[2].rules[0].name(), "a:b");
    // A flow mapping is located at its brace.
    assert_eq!(f.groups[2].rules[0].line, 27);
    assert_eq!(f.groups[2].rules[1].line, 28);
}

#[test]
fn anchors_aliases_and_merge_keys() {
    let text = "\
groups:
  - name: g
    rules:
      - record: a
        expr: up
        labels: &common
          team: infra
      - alert: B
        expr: up == 0
        labels:
          <<: *common
          severity: page
";
    let f = parse(text).expect("parses");
    let rules = &f.groups[0].rules;
    assert_eq!(
        rules[0].labels.get("team").map(String::as_str),
        Some("infra")
    );
    assert_eq!(
        rules[1].labels.get("team").map(String::as_str),
        Some("infra")
    );
    assert_eq!(
        rules[1].labels.get("severity").map(String::as_str),
        Some("page")
    );
    assert_eq!((rules[0].line, rules[1].line), (4, 8));
}

/// Positions of the nodes at fault in block, flow, quoted, folded and multi-line syntax, as
/// promtool 2.42 (yaml.v3) printed them for this file.
#[test]
fn positions_match_yaml_v3() {
    let text = r#"---
# comment
groups:
- name: "quoted"   # trailing comment
  rules:

  # comment between items
  - record: a
    expr: >-
      sum(
  -   alert:   Spaced
      expr:    'foo('
  - "alert": QuotedKey
    "expr": bar(
  -
    record: b
    expr: baz(
  - labels:
      x: "multi
        line"
    record: c
    expr:
      qux(
  - record: d
    expr: plain
      continued(
  - {record: e, expr: "f("}
- name: second
  rules: [{record: g, expr: "h("}]
- name: third
  rules:
    - record: i
      expr: |2
          j(
      labels: {a: b}
    - record: ünï
      expr: "k("
"#;
    let got: Vec<String> = errors(text)
        .iter()
        .map(|e| e.split(": could not parse").next().unwrap_or(e).to_string())
        .collect();
    assert_eq!(
        got,
        [
            "rules.yml: 9:11: group \"quoted\", rule 1, \"a\"",
            "rules.yml: 12:16: group \"quoted\", rule 2, \"Spaced\"",
            "rules.yml: 14:13: group \"quoted\", rule 3, \"QuotedKey\"",
            "rules.yml: 17:11: group \"quoted\", rule 4, \"b\"",
            "rules.yml: 23:7: group \"quoted\", rule 5, \"c\"",
            "rules.yml: 25:11: group \"quoted\", rule 6, \"d\"",
            "rules.yml: 27:23: group \"quoted\", rule 7, \"e\"",
            "rules.yml: 29:29: group \"second\", rule 1, \"g\"",
            "rules.yml: 33:13: group \"third\", rule 1, \"i\"",
            "rules.yml: 37:13: group \"third\", rule 2, \"ünï\"",
        ]
    );
    let mut valid = text.replace("plain", "1 +");
    for bad in [
        "sum(",
        "foo(",
        "bar(",
        "baz(",
        "qux(",
        "continued(",
        "f(",
        "h(",
        "j(",
        "k(",
    ] {
        valid = valid.replace(bad, "up");
    }
    let f = parse(&valid).expect("valid with the expressions fixed");
    let lines: Vec<usize> = f
        .groups
        .iter()
        .flat_map(|g| &g.rules)
        .map(|r| r.line)
        .collect();
    assert_eq!(lines, [8, 11, 13, 16, 18, 24, 27, 29, 32, 36]);
}

#[test]
fn empty_and_comment_only_files_have_no_groups() {
    for text in ["", "# nothing\n", "---\n", "groups:\n", "groups: []\n"] {
        let f = parse(text).unwrap_or_else(|e| panic!("{text:?}: {e:?}"));
        assert_eq!(f.rule_count(), 0, "{text:?}");
    }
}

/// (case, file text, expected messages in order).
const BAD: &[(&str, &str, &[&str])] = &[
    (
        "bad promql",
        "groups:\n  - name: g\n    rules:\n      - record: job:up:sum\n        expr: sum(up)\n      - alert: HighLatency\n        expr: rate(up[5m]\n        for: 5m\n",
        &[
            "rules.yml: 7:15: group \"g\", rule 2, \"HighLatency\": could not parse expression: 1:1: parse error: ",
        ],
    ),
    (
        "bad promql in block and quoted scalars",
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: |\n      sum(\n    labels:\n      severity: page\n  - record: 'r:x'\n    expr: \"foo(\"\n",
        &[
            "rules.yml: 5:11: group \"g\", rule 1, \"A\": could not parse expression: ",
            "rules.yml: 10:11: group \"g\", rule 2, \"r:x\": could not parse expression: ",
        ],
    ),
    (
        "type error in promql",
        "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: rate(up)\n",
        &["rules.yml: 5:15: group \"g\", rule 1, \"r\": could not parse expression: "],
    ),
    (
        "experimental function refused",
        "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: sort_by_label(up, \"job\")\n",
        &["rules.yml: 5:15: group \"g\", rule 1, \"r\": could not parse expression: "],
    ),
    (
        "repeated group and record with alert",
        "groups:\n  - name: g\n    rules:\n      - record: a\n        expr: up\n  - name: g\n    rules:\n      - record: \"x\"\n        alert: x\n        expr: up\n",
        &[
            "rules.yml: 6:5: groupname: \"g\" is repeated in the same file",
            "rules.yml: 8:17: 9:16: group \"g\", rule 1, \"x\": only one of 'record' and 'alert' must be set",
        ],
    ),
    (
        // Prometheus 3 prints both (zero) positions; promtool 2.42 printed one.
        "empty group name, neither record nor alert, empty expr, bad labels",
        "groups:\n  - name: \"\"\n    rules:\n      - expr: \"\"\n        labels:\n          __name__: x\n          \"\": c\n",
        &[
            "rules.yml: 2:5: Groupname must not be empty",
            "rules.yml: 0:0: 0:0: group \"\", rule 1, \"\": one of 'record' or 'alert' must be set",
            "rules.yml: 4:15: group \"\", rule 1, \"\": field 'expr' must be set in rule",
            "rules.yml: group \"\", rule 1, \"\": invalid label name: ",
            "rules.yml: group \"\", rule 1, \"\": invalid label name: __name__",
        ],
    ),
    (
        "missing expr",
        "groups:\n  - name: g\n    rules:\n      - alert: A\n",
        &["rules.yml: 0:0: group \"g\", rule 1, \"A\": field 'expr' must be set in rule"],
    ),
    (
        "fields of alerting rules on a recording rule",
        "groups:\n  - name: g\n    rules:\n      - record: r\n        expr: up\n        for: 1m\n        keep_firing_for: 2m\n        annotations:\n          a: b\n",
        &[
            "rules.yml: 4:17: group \"g\", rule 1, \"r\": invalid field 'annotations' in recording rule",
            "rules.yml: 4:17: group \"g\", rule 1, \"r\": invalid field 'for' in recording rule",
            "rules.yml: 4:17: group \"g\", rule 1, \"r\": invalid field 'keep_firing_for' in recording rule",
        ],
    ),
    (
        "braces in a recording rule name",
        "groups:\n  - name: g\n    rules:\n      - record: up{job=\"a\"}\n        expr: up\n",
        &[
            "rules.yml: 4:17: group \"g\", rule 1, \"up{job=\\\"a\\\"}\": braces present in the recording rule name; should it be in expr?: up{job=\"a\"}",
        ],
    ),
    (
        "group label named __name__",
        "groups:\n  - name: g\n    labels:\n      __name__: x\n    rules: []\n",
        &["rules.yml: invalid label name: __name__"],
    ),
    (
        "unknown fields at every level",
        "groupz: 1\ngroups:\n  - name: a\n    rules:\n      - record: x\n        expr: up\n        foo: bar\n    bar: 1\n",
        &[
            "rules.yml: yaml: unmarshal errors:\n  line 1: field groupz not found in type rulefmt.RuleGroups\n  line 7: field foo not found in type rulefmt.Rule\n  line 8: field bar not found in type rulefmt.RuleGroup",
        ],
    ),
    (
        "wrong types",
        "groups:\n  - name: g\n    limit: abc\n    rules:\n      - record: [a]\n        expr: up\n        labels: x\n",
        &[
            "rules.yml: yaml: unmarshal errors:\n  line 3: cannot unmarshal !!str `abc` into int\n  line 5: cannot unmarshal !!seq into string\n  line 7: cannot unmarshal !!str `x` into map[string]string",
        ],
    ),
    (
        "not a mapping",
        "foo\n",
        &[
            "rules.yml: yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `foo` into rulefmt.RuleGroups",
            "rules.yml: yaml: unmarshal errors:\n  line 1: cannot unmarshal !!str `foo` into rulefmt.ruleGroups",
        ],
    ),
    (
        "bad duration stops decoding",
        "groups:\n  - name: a\n    interval: 5x\n    rules:\n      - alert: x\n        expr: up\n        for: 1y1\n",
        &["rules.yml: not a valid duration string: \"5x\""],
    ),
    (
        "key given twice",
        "groups:\n  - name: g\n    rules:\n      - record: a\n        expr: up\n        expr: down\n",
        &[
            "rules.yml: yaml: unmarshal errors:\n  line 6: mapping key \"expr\" already defined at line 5",
        ],
    ),
    (
        "yaml syntax: bad indentation",
        "groups:\n  - name: a\n    rules:\n      - record: x\n       expr: up\n",
        &[
            "rules.yml: yaml: line 3: did not find expected '-' indicator",
            "rules.yml: yaml: line 3: did not find expected '-' indicator",
        ],
    ),
    (
        "yaml syntax: mapping value in a plain scalar",
        "groups:\n  - name: g\n    rules:\n      - record: a\n        expr: up: x\n",
        &[
            "rules.yml: yaml: line 5: mapping values are not allowed in this context",
            "rules.yml: yaml: line 5: mapping values are not allowed in this context",
        ],
    ),
    (
        "yaml syntax: tab",
        "groups:\n  - name: g\n    rules:\n\t- record: a\n",
        &[
            "rules.yml: yaml: line 4: found character that cannot start any token",
            "rules.yml: yaml: line 4: found character that cannot start any token",
        ],
    ),
    (
        "yaml syntax: unclosed quote",
        "groups:\n  - name: \"g\n",
        &[
            "rules.yml: yaml: line 2: found unexpected end of stream",
            "rules.yml: yaml: line 2: found unexpected end of stream",
        ],
    ),
    (
        "templates that do not parse",
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        labels:\n          severity: \"{{ nosuchfunction $labels.job }}\"\n        annotations:\n          summary: \"{{ $labels.job \"\n          ok: \"{{ $value | humanize }} {{ $externalURL }}\"\n      - record: r\n        expr: up\n        labels:\n          not_a_template_here: \"{{\"\n",
        &[
            "rules.yml: group \"g\", rule 1, \"A\": label \"severity\": template: __alert_A:1: function \"nosuchfunction\" not defined",
            "rules.yml: group \"g\", rule 1, \"A\": annotation \"summary\": template: __alert_A:1: unclosed action",
        ],
    ),
];

#[test]
fn bad_files_give_prometheus_messages() {
    for (case, text, want) in BAD {
        let got = errors(text);
        assert_eq!(got.len(), want.len(), "{case}: {got:#?}");
        for (g, w) in got.iter().zip(want.iter()) {
            // PromQL messages come from our parser; only their start is Prometheus's.
            let ok = if w.ends_with(": ") {
                g.starts_with(w)
            } else {
                g == w
            };
            assert!(ok, "{case}:\n got {g:?}\nwant {w:?}");
        }
    }
}

#[test]
fn errors_carry_file_and_line() {
    let es = parse_rule_file(
        Path::new("dir/r.yml"),
        "groups:\n  - name: g\n    rules:\n      - record: a\n        expr: sum(\n",
    )
    .expect_err("bad expr");
    assert_eq!(es[0].path, Path::new("dir/r.yml"));
    assert_eq!(es[0].line, Some(5));
    assert!(
        es[0].to_string().starts_with("dir/r.yml: 5:15: "),
        "{}",
        es[0]
    );

    let es = parse_rule_file(
        Path::new("r.yml"),
        "groups:\n  - name: g\n    rules:\n      - recrd: a\n",
    )
    .expect_err("unknown field");
    assert_eq!(es[0].line, Some(4));
    let es = parse_rule_file(Path::new("r.yml"), "groups:\n  - name: g\n  - name: g\n")
        .expect_err("repeated group");
    assert_eq!(es[0].line, Some(3));
    let es = parse_rule_file(
        Path::new("r.yml"),
        "groups:\n  - name: g\n    labels: {__name__: x}\n",
    )
    .expect_err("bad group label");
    assert_eq!(es[0].line, None);
}

#[test]
fn name_validation_schemes() {
    let text = "groups:\n  - name: g\n    rules:\n      - record: bad name\n        expr: up\n        labels:\n          a-b: c\n";
    // Prometheus 3 (UTF-8 names) accepts both names.
    parse(text).expect("utf-8 names");
    let es = parse_rule_file_with(Path::new("rules.yml"), text, NameValidation::Legacy)
        .expect_err("legacy names");
    let got: Vec<String> = es.iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        [
            "rules.yml: 4:17: group \"g\", rule 1, \"bad name\": invalid recording rule name: bad name",
            "rules.yml: group \"g\", rule 1, \"bad name\": invalid label name: a-b",
        ]
    );
    assert!(NameValidation::Legacy.metric_name_ok("job:up:sum"));
    assert!(!NameValidation::Legacy.label_name_ok("job:up"));
    assert!(!NameValidation::Legacy.metric_name_ok("1up"));
    assert!(!NameValidation::Utf8.metric_name_ok(""));
}

#[test]
fn load_rule_files_expands_patterns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = "groups:\n  - name: g\n    rules:\n      - record: a\n        expr: up\n";
    std::fs::create_dir(dir.path().join("rules")).expect("mkdir");
    std::fs::write(dir.path().join("rules/b.yml"), good).expect("write");
    std::fs::write(dir.path().join("rules/a.yml"), good).expect("write");
    std::fs::write(dir.path().join("other.yml"), good).expect("write");
    let files = load_rule_files(&["rules/*.yml".into(), "nothing/*.yml".into()], dir.path())
        .expect("loads");
    let names: Vec<_> = files
        .iter()
        .map(|f| f.path.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    assert_eq!(names, [Some("a.yml".into()), Some("b.yml".into())]);

    std::fs::write(dir.path().join("rules/c.yml"), "groups:\n  - name: \"\"\n").expect("write");
    let es = load_rule_files(&["rules/*.yml".into()], dir.path()).expect_err("bad file");
    assert_eq!(es.len(), 1);
    assert!(es[0].path.ends_with("rules/c.yml"), "{:?}", es[0].path);
    assert_eq!(es[0].message, "2:5: Groupname must not be empty");
}

#[test]
fn unreadable_file_is_worded_like_go() {
    let es = read_rule_file(Path::new("/nonexistent/r.yml")).expect_err("missing");
    assert_eq!(
        es[0].to_string(),
        "/nonexistent/r.yml: open /nonexistent/r.yml: no such file or directory"
    );
}
