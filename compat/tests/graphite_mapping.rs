//! Path templates: matching, captures, label rendering and rule-file errors.

use compat::graphite::{Mapped, Mapping};

fn mapped(name: &str, labels: &[(&str, &str)]) -> Option<Mapped> {
    Some(Mapped {
        name: name.to_string(),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    })
}

const RULES: &str = "
# comment, then a blank line

servers.*.cpu.*      -> cpu_$2 host=$1
servers.*.disk-*.*   -> disk_$3 host=$1 device=$2
collectd.*.load.load.* -> load_${1}_x  host=$1 kind=$2 job=collectd
a.*x*.b -> ab first=$1 second=$2
";

#[test]
fn first_matching_rule_wins_and_captures_fill_templates() {
    let m = Mapping::parse(RULES).unwrap();
    assert_eq!(m.len(), 4);
    assert_eq!(
        m.apply("servers.web1.cpu.idle"),
        mapped("cpu_idle", &[("host", "web1")])
    );
    assert_eq!(
        m.apply("servers.db_2.disk-sda.used"),
        mapped("disk_used", &[("host", "db_2"), ("device", "sda")])
    );
    assert_eq!(
        m.apply("collectd.h1.load.load.shortterm"),
        mapped(
            "load_h1_x",
            &[("host", "h1"), ("kind", "shortterm"), ("job", "collectd")]
        )
    );
    // Greedy, leftmost `*` first.
    assert_eq!(
        m.apply("a.1x2x3.b"),
        mapped("ab", &[("first", "1x2"), ("second", "3")])
    );
}

#[test]
fn no_match_when_component_count_or_literals_differ() {
    let m = Mapping::parse(RULES).unwrap();
    for path in [
        "servers.web1.cpu",
        "servers.web1.cpu.idle.extra",
        "servers.web1.mem.free",
        "servers.web1.disk.used",
        "a.nox.c",
        "",
    ] {
        assert_eq!(m.apply(path), None, "{path}");
    }
}

#[test]
fn empty_captures_drop_labels_and_empty_names_do_not_match() {
    let m = Mapping::parse("x.*.y -> m host=$1\nz.* -> $1\nz.* -> fallback").unwrap();
    assert_eq!(m.apply("x..y"), mapped("m", &[]));
    // `z.` renders an empty name with the first rule, so the second applies.
    assert_eq!(m.apply("z."), mapped("fallback", &[]));
    assert_eq!(m.apply("z.q"), mapped("q", &[]));
}

#[test]
fn dollar_escapes() {
    let m = Mapping::parse("p.* -> cost_$$ unit=$$$1").unwrap();
    assert_eq!(m.apply("p.usd"), mapped("cost_$", &[("unit", "$usd")]));
}

#[test]
fn bad_rule_files_name_the_line() {
    let cases = [
        ("a.b", "expected"),
        ("a b -> c", "one word"),
        ("a..b -> c", "empty component"),
        ("a.* ->", "missing the metric name"),
        ("a.* -> m $1", "NAME=VALUE"),
        ("a.* -> m 1x=$1", "label name"),
        ("a.* -> m __x=$1", "label name"),
        ("a.* -> m k=$1 k=$1", "twice"),
        ("a.* -> m_$2", "captures are $1..$1"),
        ("a.* -> m_$0", "captures"),
        ("a.* -> m_$x", "capture number"),
        ("a.* -> m_${1", "unclosed"),
        ("a.*a*a*a*a* -> m", "more than 4"),
    ];
    for (text, want) in cases {
        let e = Mapping::parse(&format!("# first\n{text}\n")).unwrap_err();
        assert_eq!(e.line, 2, "{text}");
        assert!(e.to_string().contains(want), "{text}: {e}");
    }
    assert!(Mapping::parse("").unwrap().is_empty());
}
