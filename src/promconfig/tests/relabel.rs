//! Every relabel action, its edge cases and its validation messages.

use super::*;
use crate::promconfig::*;

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
        let kept = crate::promconfig::relabel::process(&mut labels, &rules);
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
    assert!(!crate::promconfig::relabel::process(
        &mut labels,
        std::slice::from_ref(&rc)
    ));
    let mut labels = ls(&[("a", "y")]);
    assert!(crate::promconfig::relabel::process(&mut labels, &[rc]));
}

#[test]
fn relabel_null_regex_matches_only_empty() {
    let rc = rule("{source_labels: [a], regex: ~, action: keep}");
    assert_eq!(rc.regex, "");
    let mut empty = BTreeMap::new();
    assert!(crate::promconfig::relabel::process(
        &mut empty,
        std::slice::from_ref(&rc)
    ));
    let mut set = ls(&[("a", "x")]);
    assert!(!crate::promconfig::relabel::process(&mut set, &[rc]));
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
