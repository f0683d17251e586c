use super::*;

fn evals(f: &TestFile) -> Vec<&Eval> {
    f.commands
        .iter()
        .filter_map(|c| match c {
            Command::Eval(e) => Some(&**e),
            _ => None,
        })
        .collect()
}

#[test]
fn load_clear_and_instant_eval() {
    let f = parse(
        "# comment\nload 5m\n  a{x=\"1\"} 0+1x2\n  b 1\n\neval instant at 10m a\n  a{x=\"1\"} 2\n\nclear\n",
    )
    .unwrap();
    assert_eq!(f.commands.len(), 3);
    let Command::Load(l) = &f.commands[0] else {
        panic!("not a load: {:?}", f.commands[0]);
    };
    assert_eq!((l.line, l.interval_ms, l.with_nhcb), (2, 300_000, false));
    assert_eq!(l.series.len(), 2);
    assert_eq!(l.series[0].values.len(), 3);
    let e = evals(&f)[0];
    assert_eq!(e.line, 6);
    assert_eq!(e.query, "a");
    assert_eq!(e.kind, EvalKind::Instant { t: 600_000 });
    let Expected::Series(s) = &e.expected else {
        panic!("expected series")
    };
    assert_eq!(s[0].labels.get("x"), Some("1"));
    assert_eq!(s[0].values, vec![SeqValue::Float(2.0)]);
    assert!(matches!(f.commands[2], Command::Clear { line: 9 }));
}

#[test]
fn range_eval_keeps_query_spacing() {
    let f =
        parse("eval range from 0 to 2m step 1m sum by (a) (x)  +  1\n  {a=\"b\"} 1 _ 3\n").unwrap();
    let e = evals(&f)[0];
    assert_eq!(
        e.kind,
        EvalKind::Range {
            start: 0,
            end: 120_000,
            step: 60_000
        }
    );
    assert_eq!(e.query, "sum by (a) (x)  +  1");
    let Expected::Series(s) = &e.expected else {
        panic!()
    };
    assert_eq!(s[0].values[1], SeqValue::Omitted);
}

#[test]
fn expect_lines() {
    let f = parse(concat!(
        "eval instant at 1m foo\n",
        "  expect warn msg: PromQL warning: something\n",
        "  expect info regex: went (wrong|boom)\n",
        "  expect no_warn\n",
    ));
    // warn together with no_warn is refused, as upstream does.
    assert!(f.is_err());

    let f = parse(concat!(
        "eval instant at 1m foo\n",
        "  expect warn msg: PromQL warning: something\n",
        "  expect info regex: went (wrong|boom)\n",
        "  expect ordered\n",
        "  {a=\"1\"} 1\n",
        "  {a=\"2\"} 2\n",
    ))
    .unwrap();
    let e = evals(&f)[0];
    assert!(e.ordered);
    assert!(e.warn[0].matches("PromQL warning: something"));
    assert!(!e.warn[0].matches("PromQL warning: something else"));
    assert!(e.info[0].matches("xx it went boom!"));
    assert!(!e.info[0].matches("went bang"));
    let Expected::Series(s) = &e.expected else {
        panic!()
    };
    assert_eq!((s[0].pos, s[1].pos), (1, 2));
}

#[test]
fn fail_forms() {
    let f = parse(concat!(
        "eval instant at 1m ceil(x)\n",
        "expect fail msg: \"vector cannot contain\"\n",
        "\n",
        "eval_fail instant at 0 count_values(\"a\", v)\n",
        "  expected_fail_message invalid label name \"a\"\n",
        "\n",
        "eval_fail instant at 0 foo\n",
        "  expected_fail_regexp some.*thing\n",
        "\n",
        "eval_fail range from 0 to 1m step 1m foo\n",
    ))
    .unwrap();
    let e = evals(&f);
    assert!(matches!(&e[0].fail, Some(MsgMatch::Exact(m)) if m == "\"vector cannot contain\""));
    assert!(matches!(&e[1].fail, Some(MsgMatch::Exact(m)) if m == "invalid label name \"a\""));
    assert!(e[2].fail.as_ref().unwrap().matches("xx some other thing"));
    assert!(matches!(e[3].fail, Some(MsgMatch::Any)));
}

#[test]
fn legacy_modifiers_and_scalar() {
    let f = parse(concat!(
        "eval_warn instant at 0 a\n\n",
        "eval_info instant at 0 a\n\n",
        "eval_ordered instant at 0 a\n\n",
        "eval instant at 1m 12.5e2\n  1250\n",
    ))
    .unwrap();
    let e = evals(&f);
    assert!(e[0].legacy_warn && !e[0].legacy_info);
    assert!(e[1].legacy_info);
    assert!(e[2].ordered);
    assert_eq!(e[3].expected, Expected::Scalar(1250.0));
}

#[test]
fn range_vector_and_string() {
    let f = parse(concat!(
        "eval instant at 1m foo[1m]\n",
        "  expect range vector from 10s to 1m step 10s\n",
        "  foo 1 2 3 4 5 6\n\n",
        "eval instant at 1m \"hi\"\n",
        "  expect string \"h\\\"i\"\n",
    ))
    .unwrap();
    let e = evals(&f);
    assert_eq!(e[0].range_vector, Some((10_000, 60_000, 10_000)));
    assert!(e[0].exclude_from_range);
    assert_eq!(e[0].kind, EvalKind::Instant { t: 60_000 });
    assert_eq!(e[1].expected, Expected::String("h\"i".into()));
}

#[test]
fn errors_carry_line_numbers() {
    let err = parse("load 5m\n  a 1\n\neval instant at 1m a\n  a 1 2\n").unwrap_err();
    assert_eq!(err.line, 5);
    let err = parse("\nfrobnicate\n").unwrap_err();
    assert_eq!(err.line, 2);
    assert!(parse("eval range from 2m to 1m step 1m a\n").is_err());
    assert!(parse("load 5x\n a 1\n").is_err());
    assert!(parse("eval instant at 1m a\n expect sometimes\n").is_err());
}

#[test]
fn nhcb_load_and_histogram_lines() {
    let f = parse("load_with_nhcb 1m\n  h_bucket{le=\"1\"} 1\n  n {{count:1}}\n").unwrap();
    let Command::Load(l) = &f.commands[0] else {
        panic!()
    };
    assert!(l.with_nhcb);
    assert!(l.series[1].has_histogram());
    assert!(!l.series[0].has_histogram());
}
