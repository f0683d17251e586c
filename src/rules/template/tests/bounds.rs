//! Templates are user input: work, depth and output are bounded, and nothing panics.

use super::*;

fn exec_error(text: &str) -> String {
    match expand("t", text, &alert_data(), &Env::default()) {
        Ok(out) => panic!("expected an error, got {} bytes of output", out.len()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn template_recursion_is_bounded() {
    let err = exec_error(r#"{{ define "r" }}x{{ template "r" . }}{{ end }}{{ template "r" . }}"#);
    assert!(
        err.ends_with(&format!(
            "exceeded maximum template depth ({MAX_TEMPLATE_DEPTH})"
        )),
        "{err}"
    );
    // Recursion that ends within the limit runs.
    let ok = r#"{{ define "r" }}{{ if gt (len .) 0 }}{{ template "r" (slice . 1) }}{{ end }}x{{ end }}{{ template "r" "abcd" }}"#;
    assert_eq!(render(ok), "xxxxx");
}

#[test]
fn output_is_bounded() {
    // 16 nested ranges over 3 labels would print 3^16 strings.
    let mut t = String::new();
    for _ in 0..12 {
        t.push_str("{{ range $labels }}");
    }
    t.push_str("{{ printf \"%1000s\" \"\" }}");
    for _ in 0..12 {
        t.push_str("{{ end }}");
    }
    let err = exec_error(&t);
    assert!(
        err.ends_with(&format!("template output exceeds {MAX_OUTPUT_BYTES} bytes")),
        "{err}"
    );
}

#[test]
fn values_are_bounded() {
    // Doubling a string in a loop would outgrow memory long before the output is written.
    let mut t = String::from(r#"{{ $x := printf "%60000s" "" }}"#);
    for _ in 0..10 {
        t.push_str(r#"{{ $x = printf "%s%s" $x $x }}"#);
    }
    let err = exec_error(&t);
    assert!(
        err.ends_with(&format!("result exceeds {MAX_OUTPUT_BYTES} bytes")),
        "{err}"
    );
}

#[test]
fn steps_are_bounded() {
    // 3^13 ≈ 1.6M iterations that print nothing.
    let mut t = String::new();
    for _ in 0..13 {
        t.push_str("{{ range $labels }}");
    }
    for _ in 0..13 {
        t.push_str("{{ end }}");
    }
    let err = exec_error(&t);
    assert!(
        err.ends_with(&format!("template execution exceeded {MAX_STEPS} steps")),
        "{err}"
    );
}

#[test]
fn nesting_is_bounded() {
    let deep_parens = format!("{{{{ {}1{} }}}}", "(".repeat(5000), ")".repeat(5000));
    let err = parse("t", &deep_parens).expect_err("too deep");
    assert_eq!(
        err.to_string(),
        "template: t:1: max expression depth exceeded"
    );
    let deep_ifs = "{{ if 1 }}".repeat(5000) + &"{{ end }}".repeat(5000);
    let err = parse("t", &deep_ifs).expect_err("too deep");
    assert_eq!(
        err.to_string(),
        "template: t:1: max expression depth exceeded"
    );
    let fine = "{{ if 1 }}".repeat(50) + "x" + &"{{ end }}".repeat(50);
    assert_eq!(render(&fine), "x");
}

/// Every prefix and suffix of a set of templates (most of them broken) parses or fails
/// cleanly, and whatever parses executes or fails cleanly: no panics, no hangs.
#[test]
fn broken_templates_fail_cleanly() {
    let seeds = [
        r#"{{ range $i, $v := query "s" }}{{ $i }}:{{ label "k" $v | printf "%-5q" }}{{ else }}none{{ end }}"#,
        r#"{{- define "t" -}}{{ if and .A (eq .B "x") }}{{ template "t" . }}{{ else if 1 }}{{ block "b" $ }}{{ . }}{{ end }}{{ end }}{{ end }}"#,
        r#"{{ (index $labels "job" | toUpper).X }}{{ $x := 'a' }}{{ $x = 0x1p-2 }}{{/* c */}}{{ `raw` }}{{ "\u00e9\x41" }}"#,
        r#"{{ printf "%[1]d %*d %.*f %!" 1 2 3 }}{{ slice "héllo" 1 2 }}{{ index (args 1) "arg0" }}{{ humanize "x" }}"#,
    ];
    let q = FakeQuerier;
    let env = Env {
        querier: Some(&q),
        ts_ms: 0,
    };
    let mut parsed = 0;
    for seed in seeds {
        let cuts: Vec<usize> = (0..=seed.len())
            .filter(|&i| seed.is_char_boundary(i))
            .collect();
        for &i in &cuts {
            for text in [&seed[..i], &seed[i..]] {
                if let Ok(t) = parse("t", text) {
                    parsed += 1;
                    let _ = t.execute(&alert_data(), &env);
                }
            }
        }
    }
    assert!(
        parsed > 50,
        "only {parsed} fragments parsed; the seeds no longer exercise execution"
    );
}

#[test]
fn regex_compiles_are_bounded() {
    // 3^7 = 2187 iterations; each compiles a new pattern ("a", "aa", …) unless it is fixed.
    let looped = |body: &str| {
        let mut t = String::from(r#"{{ $p := "" }}"#);
        t.push_str(&"{{ range $labels }}".repeat(7));
        t.push_str(body);
        t.push_str(&"{{ end }}".repeat(7));
        t
    };
    let fixed = looped(r#"{{ $p = printf "%sa" $p }}{{ reReplaceAll "a" "" $p }}"#);
    assert_eq!(render(&fixed), "");
    let fresh = looped(r#"{{ $p = printf "%sa" $p }}{{ reReplaceAll $p "" "" }}"#);
    let err = exec_error(&fresh);
    assert!(
        err.ends_with(&format!("template execution exceeded {MAX_STEPS} steps")),
        "{err}"
    );
}
