//! Prometheus's template functions.

use super::*;

/// promtool: rendered by Prometheus 2.42 (see the parent module).
const RENDERED: &[(&str, &str)] = &[
    (
        "{{ humanize 0 }} {{ humanize 1 }} {{ humanize 999.9 }} {{ humanize 1000 }} {{ humanize 1234567 }} {{ humanize 1e30 }} {{ humanize -2500 }}",
        "0 1 999.9 1k 1.235M 1e+06Y -2.5k",
    ),
    (
        r#"{{ humanize 0.5 }} {{ humanize 0.001 }} {{ humanize 0.0012345 }} {{ humanize 1e-30 }} {{ humanize -0.25 }} {{ humanize "12345" }} {{ humanize 99999 }}"#,
        "500m 1m 1.234m 1e-06y -250m 12.35k 100k",
    ),
    (
        "{{ humanize 999999 }} {{ humanize 1e27 }} {{ humanize 123.456 }} {{ humanize 1.0e-3 }}",
        "1000k 1000Y 123.5 1m",
    ),
    (
        "{{ humanize1024 0 }} {{ humanize1024 1 }} {{ humanize1024 1023 }} {{ humanize1024 1024 }} {{ humanize1024 1536 }} {{ humanize1024 1073741824 }} {{ humanize1024 0.5 }} {{ humanize1024 -2048 }} {{ humanize1024 1e30 }}",
        "0 1 1023 1ki 1.5ki 1Gi 0.5 -2ki 8.272e+05Yi",
    ),
    (
        "{{ humanizeDuration 0 }} {{ humanizeDuration 1 }} {{ humanizeDuration 1.5 }} {{ humanizeDuration 59.999 }} {{ humanizeDuration 60 }} {{ humanizeDuration 3601 }} {{ humanizeDuration 90061 }} {{ humanizeDuration -3601 }}",
        "0s 1s 1.5s 60s 1m 0s 1h 0m 1s 1d 1h 1m 1s -1h 0m 1s",
    ),
    (
        r#"{{ humanizeDuration 0.5 }} {{ humanizeDuration 0.0012 }} {{ humanizeDuration 0.000001 }} {{ humanizeDuration -0.25 }} {{ humanizeDuration "3600" }} {{ humanizeDuration 1e10 }}"#,
        "500ms 1.2ms 1us -250ms 1h 0m 0s 115740d 17h 46m 40s",
    ),
    (
        "{{ humanizePercentage 0.1234 }} {{ humanizePercentage 1 }} {{ humanizePercentage 0 }} {{ humanizePercentage 0.000012 }} {{ humanizePercentage 12.5 }}",
        "12.34% 100% 0% 0.0012% 1250%",
    ),
    (
        "{{ humanizeTimestamp 0 }} {{ humanizeTimestamp 1435065584.128 }} {{ humanizeTimestamp 1.5 }} {{ humanizeTimestamp -1 }} {{ humanizeTimestamp 1700000000 }}",
        "1970-01-01 00:00:00 +0000 UTC 2015-06-23 13:19:44.128 +0000 UTC 1970-01-01 00:00:01.5 +0000 UTC 1969-12-31 23:59:59 +0000 UTC 2023-11-14 22:13:20 +0000 UTC",
    ),
    (
        "{{ toTime 1435065584.128 }} {{ (toTime 100).Unix }}",
        "2015-06-23 13:19:44.128 +0000 UTC 100",
    ),
    (
        r#"{{ title "hello world foo-bar foo.bar x_y o'neil 1st" }} {{ toUpper "abcé" }} {{ toLower "ABCÉ" }}"#,
        "Hello World Foo-Bar Foo.Bar X_y O'Neil 1st ABCÉ abcé",
    ),
    (
        r#"{{ match "^a.c$" "abc" }} {{ match "b" "abc" }} {{ match "^x" "abc" }}"#,
        "true true false",
    ),
    (
        r#"{{ reReplaceAll "(.*):(.*)" "$2-$1" "host:9090" }} {{ reReplaceAll "o" "0" "foo boo" }} {{ reReplaceAll "(a)(b)?" "[$1x${1}y$2]" "ab a" }}"#,
        "9090-host f00 b00 [ayb] [ay]",
    ),
    (
        r#"{{ stripPort "host:9090" }} {{ stripPort "host" }} {{ stripPort "[::1]:80" }} {{ stripPort "::1" }} {{ stripPort "a.b.c:1" }}"#,
        "host host ::1 ::1 a.b.c",
    ),
    (
        r#"{{ stripDomain "host.example.com:9090" }} {{ stripDomain "host.example.com" }} {{ stripDomain "10.0.0.1:80" }} {{ stripDomain "[::1]:80" }} {{ stripDomain "host" }}"#,
        "host:9090 host 10.0.0.1:80 [::1]:80 host",
    ),
    (
        r#"{{ graphLink "rate(x[5m]) > 1" }} {{ tableLink "up{job=\"a\"}" }}"#,
        "/graph?g0.expr=rate%28x%5B5m%5D%29+%3E+1&g0.tab=0 /graph?g0.expr=up%7Bjob%3D%22a%22%7D&g0.tab=1",
    ),
    (
        r#"{{ parseDuration "1h30m" }} {{ parseDuration "5m" }} {{ parseDuration "1d" }} {{ parseDuration "0" }} {{ parseDuration "100ms" }} {{ parseDuration "1y" }}"#,
        "5400 300 86400 0 0.1 3.1536e+07",
    ),
    (
        r#"{{ parseDuration "abc" }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <parseDuration "abc">: error calling parseDuration: not a valid duration string: "abc">"#,
    ),
    (r#"{{ safeHtml "<b>" }}"#, "<b>"),
    (
        "{{ $labels.instance | stripPort | toUpper }}",
        "HOST.EXAMPLE.COM",
    ),
    (
        r#"{{ humanize $value }} {{ $value | humanize1024 }} {{ printf "%.2f" $value }} {{ humanizePercentage $value }}"#,
        "1.234k 1.206ki 1234.50 1.234e+05%",
    ),
    (
        "{{ humanize true }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <humanize true>: error calling humanize: can't convert bool to float>"#,
    ),
    (
        r#"{{ toTime "NaN" }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <toTime "NaN">: error calling toTime: value is NaN or Inf>"#,
    ),
    (
        r#"{{ reReplaceAll "(" "x" "y" }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <reReplaceAll "(" "x" "y">: error calling reReplaceAll: regexp: Compile(`(`): error parsing regexp: missing closing ): `(`>"#,
    ),
    (
        r#"{{ match "(" "x" }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <match "(" "x">: error calling match: error parsing regexp: missing closing ): `(`>"#,
    ),
    (
        r#"{{ label "a" 1 }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:125: executing "__alert_T" at <1>: can't handle 1 for arg of type *template.sample>"#,
    ),
    (
        "{{ toUpper 1 }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:123: executing "__alert_T" at <1>: expected string; found 1>"#,
    ),
    (
        "{{ toUpper $value }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:123: executing "__alert_T" at <$value>: wrong type for value; expected string; got float64>"#,
    ),
    (
        "{{ humanize 1 2 }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <humanize>: wrong number of args for humanize: want 1 got 2>"#,
    ),
    (
        r#"{{ humanize "inf" }} {{ humanize "-Inf" }} {{ humanize "NaN" }} {{ humanize "1e3" }} {{ humanize "0x10" }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:200: executing "__alert_T" at <humanize "0x10">: error calling humanize: strconv.ParseFloat: parsing "0x10": invalid syntax>"#,
    ),
    (
        "{{ humanize 1e300 }} {{ humanize1024 1e300 }} {{ humanize 5e-300 }}",
        "1e+276Y 8.272e+275Yi 5e-276y",
    ),
    (
        "{{ humanizeDuration 86400 }} {{ humanizeDuration 59.5 }} {{ humanizeDuration 1.23456 }}",
        "1d 0h 0m 0s 59.5s 1.235s",
    ),
    (
        r#"{{ humanize "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <humanize "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">: error calling humanize: strconv.ParseFloat: parsing "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": invalid syntax>"#,
    ),
    (
        r#"{{ "x" | humanize }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:121: executing "__alert_T" at <humanize>: error calling humanize: strconv.ParseFloat: parsing "x": invalid syntax>"#,
    ),
    (
        "{{ $value | toUpper }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:124: executing "__alert_T" at <toUpper>: wrong type for value; expected string; got float64>"#,
    ),
    (
        r#"{{ label "a" "b" }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:125: executing "__alert_T" at <"b">: can't handle "b" for arg of type *template.sample>"#,
    ),
    (
        "{{ toUpper nil }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:123: executing "__alert_T" at <nil>: cannot assign nil to string>"#,
    ),
    (
        "{{ humanize nil }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <humanize nil>: error calling humanize: can't convert <nil> to float>"#,
    ),
    (
        "{{ first nil }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <first nil>: error calling first: first() called on vector with no elements>"#,
    ),
    (
        r#"{{ reReplaceAll ")" "x" "y" }}{{ reReplaceAll "[a" "x" "y" }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <reReplaceAll ")" "x" "y">: error calling reReplaceAll: regexp: Compile(`)`): error parsing regexp: unexpected ): `)`>"#,
    ),
    (
        r#"{{ reReplaceAll "\\" "x" "y" }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <reReplaceAll "\\" "x" "y">: error calling reReplaceAll: regexp: Compile(`\`): error parsing regexp: trailing backslash at end of expression: ``>"#,
    ),
    (
        r#"{{ reReplaceAll "\\d+" "N" "a12b٣4" }}|{{ match "^\\w+$" "héllo" }}|{{ match "^\\w+$" "hello_1" }}|{{ reReplaceAll "\\s" "_" "a b\u00a0c" }}|{{ reReplaceAll "\\bx" "Y" "x éx ax" }}"#,
        "aNb٣N|false|true|a_b c|Y éY ax",
    ),
    (
        "{{ reReplaceAll \"[\\\\d]\" \"#\" \"a1٣\" }}|{{ reReplaceAll \"[^\\\\s]\" \"#\" \"a b\" }}|{{ reReplaceAll \"(?i)ABC\" \"x\" \"abcABC\" }}|{{ reReplaceAll \"(?P<h>[a-z]+):(?P<p>\\\\d+)\" \"${p}@${h}\" \"host:80\" }}",
        "a#٣|# #|xx|80@host",
    ),
    (
        r#"{{ reReplaceAll "^(.*?)\\..*$" "$1" "host.example.com" }}|{{ reReplaceAll "a" "$$" "banana" }}|{{ reReplaceAll "(a)" "$1x" "banana" }}|{{ reReplaceAll "" "-" "abc" }}"#,
        "host|b$n$n$|bnn|-a-b-c-",
    ),
    (
        r#"{{ (toTime 1435065584.128).Format "2006-01-02T15:04:05.000Z07:00" }}|{{ (toTime 0).Format "Mon Jan _2 15:04:05 MST 2006" }}|{{ (toTime 1700000000.5).Format "Monday, January 2, 2006 3:04:05.999 PM -0700 002 06 _2006 Janet .9 ,000" }}"#,
        "2015-06-23T13:19:44.128Z|Thu Jan  1 00:00:00 UTC 1970|Tuesday, November 14, 2023 10:13:20.5 PM +0000 318 23 _2023 Janet .5 ,500",
    ),
    (
        r#"{{ (toTime 1e9).Format "20060102 150405 pm __2 -07:00 Z0700" }}|{{ "2006" | (toTime 1).Format }}"#,
        "20010909 014640 am 252 +00:00 Z|1970",
    ),
    (
        "{{ (toTime 1).Format 1 }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:133: executing "__alert_T" at <1>: expected string; found 1>"#,
    ),
    (
        "{{ toTime 1.123456789 }} {{ toTime -1.5 }} {{ toTime 951782400 }}",
        "1970-01-01 00:00:01.123 +0000 UTC 1969-12-31 23:59:58.5 +0000 UTC 2000-02-29 00:00:00 +0000 UTC",
    ),
    // Templates as alerting rules commonly write them.
    (
        "VALUE = {{ $value }}\n  LABELS = {{ $labels }}",
        "VALUE = 1234.5\n  LABELS = map[__name__:m instance:host.example.com:9090 job:api]",
    ),
    (
        r#"{{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) is restarting {{ printf "%.2f" $value }} times / 10 minutes."#,
        "/ () is restarting 1234.50 times / 10 minutes.",
    ),
    (
        r#"{{ printf "%0.0f" $value }} {{ printf "%.4g" $value }} {{ $value | printf "%.2f" }} {{ printf "%0.2f%%" $value }}"#,
        "1234 1234 1234.50 1234.50%",
    ),
    (
        "Disk is almost full (< 10% left)\n  VALUE = {{ $value | humanize }}%",
        "Disk is almost full (< 10% left)\n  VALUE = 1.234k%",
    ),
    (
        "{{ $labels.job }}/{{ $labels.instance }} has {{ $value | humanizePercentage }} errors",
        "api/host.example.com:9090 has 1.234e+05% errors",
    ),
    (
        "{{ if gt $value 1000.0 }}critical{{ else }}warning{{ end }}: {{ humanize $value }}",
        "critical: 1.234k",
    ),
    (
        r#"Instance {{ $labels.instance }} down since {{ with query "m" }}{{ . | first | value | humanizeTimestamp }}{{ end }}"#,
        "Instance host.example.com:9090 down since 1970-01-01 00:20:34.5 +0000 UTC",
    ),
    (
        r#"{{ range query "s" | sortByLabel "k" }}{{ .Labels.k }}={{ .Value | printf "%.1f" }} {{ end }}"#,
        "a=2.0 b=1.0 c=3.0 ",
    ),
    ("{{- /* trim both */ -}}\n  {{ $labels.job -}}\n  !", "api!"),
    (
        r#"{{ $labels.instance | reReplaceAll ":[0-9]+$" "" }} {{ reReplaceAll "(.+)\\.example\\.com.*" "$1" $labels.instance }}"#,
        "host.example.com host",
    ),
    (
        "{{ with $labels.severity }}{{ . }}{{ else }}none{{ end }}",
        "none",
    ),
    (
        r#"{{ define "t" }}[{{ .Labels.job }}]{{ end }}{{ template "t" }}"#,
        "[<no value>]",
    ),
    (
        r#"{{ define "t" }}[{{ . }}|{{ $ }}]{{ end }}{{ template "t" }}"#,
        "[<no value>|<no value>]",
    ),
];

#[test]
fn renders_as_prometheus() {
    check_table(RENDERED);
}

#[test]
fn external_url_and_path_prefix() {
    // promtool runs templates without an external URL, so these are checked against
    // Prometheus's code (url.URL's String and Path) rather than its output.
    let mut d = alert_data();
    d.external_url = "https://prom.example.com:9090/sub%20dir/prom".into();
    assert_eq!(
        render_with(
            "{{ externalURL }}|{{ pathPrefix }}|{{ $externalURL }}|{{ .ExternalURL }}",
            &d
        ),
        "https://prom.example.com:9090/sub%20dir/prom|/sub dir/prom|https://prom.example.com:9090/sub%20dir/prom|https://prom.example.com:9090/sub%20dir/prom"
    );
    d.external_url = "http://localhost:9090".into();
    assert_eq!(render_with("[{{ pathPrefix }}]", &d), "[]");
}

#[test]
fn external_labels() {
    let mut d = alert_data();
    d.external_labels = labels(&[("cluster", "eu1"), ("replica", "a")]);
    assert_eq!(
        render_with(
            "{{ $externalLabels.cluster }} {{ .ExternalLabels.replica }} {{ len $externalLabels }}",
            &d
        ),
        "eu1 a 2"
    );
}

#[test]
fn strvalue_reads_the_value_label() {
    struct Strings;
    impl Querier for Strings {
        fn query(&self, _q: &str, _ts_ms: i64) -> Result<Vec<QuerySample>, String> {
            Ok(vec![QuerySample {
                labels: labels(&[("__value__", "hello")]),
                value: 0.0,
            }])
        }
    }
    let env = Env {
        querier: Some(&Strings),
        ts_ms: 0,
    };
    let out = expand(
        "t",
        r#"{{ query "x" | first | strvalue }}"#,
        &alert_data(),
        &env,
    );
    assert_eq!(out.expect("runs"), "hello");
}
