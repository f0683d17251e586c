//! The template language: text, actions, control structures, variables, literals, builtins,
//! and the error messages of parsing and execution.

use super::*;

/// promtool: rendered by Prometheus 2.42 (see the parent module).
const RENDERED: &[(&str, &str)] = &[
    ("plain text", "plain text"),
    (
        "{{ $labels.job }} on {{ $labels.instance }}",
        "api on host.example.com:9090",
    ),
    (
        r#"{{ .Labels.job }}/{{ .Labels.missing }}/{{ index .Labels "job" }}/{{ index $labels "nope" }}"#,
        "api//api/",
    ),
    ("{{ $value }}", "1234.5"),
    ("{{ .Value }}", "1234.5"),
    (r#"a  {{- " b " -}}  c"#, "a b c"),
    ("a {{/* comment */}} b {{- /* c2 */ -}} c", "a  bc"),
    (
        r#"{{ if eq $labels.job "api" }}yes{{ else }}no{{ end }}"#,
        "yes",
    ),
    (
        r#"{{ if eq $labels.job "x" }}x{{ else if eq $labels.job "api" }}api{{ else }}other{{ end }}"#,
        "api",
    ),
    (
        "{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}",
        "__name__=m;instance=host.example.com:9090;job=api;",
    ),
    (
        "{{ range $labels }}[{{ . }}]{{ end }}",
        "[m][host.example.com:9090][api]",
    ),
    (
        "{{ range $v := $labels }}<{{ $v }}>{{ end }}",
        "<m><host.example.com:9090><api>",
    ),
    (
        "{{ range $externalLabels }}x{{ else }}empty{{ end }}",
        "empty",
    ),
    (
        "{{ with $labels.job }}job={{ . }}{{ end }}{{ with $labels.nope }}n{{ else }}none{{ end }}",
        "job=apinone",
    ),
    (
        "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}",
        "2",
    ),
    (
        r#"{{ $x := "a" }}{{ range $labels }}{{ $x = . }}{{ end }}{{ $x }}"#,
        "api",
    ),
    (
        r#"{{ define "t" }}T({{ . }}){{ end }}{{ template "t" $labels.job }}{{ template "t" }}"#,
        "T(api)T(<no value>)",
    ),
    (
        r#"{{ block "b" . }}blk {{ .Labels.job }}{{ end }}"#,
        "blk api",
    ),
    (
        "{{ 1 }} {{ 1.5 }} {{ 1e3 }} {{ -2 }} {{ 0x1F }} {{ 'a' }} {{ true }} {{ 1_000 }} {{ 010 }}",
        "1 1.5 1000 -2 31 97 true 1000 8",
    ),
    (
        r#"{{ "esc\t\"q\"\u00e9" }} {{ `raw\n` }}"#,
        "esc\t\"q\"é raw\\n",
    ),
    (
        r#"{{ print 1 2 "a" "b" 3 }}|{{ println 1 "a" }}|{{ print 1.5 true }}"#,
        "1 2ab3|1 a\n|1.5 true",
    ),
    (
        r#"{{ printf "%s|%v|%d|%5.2f|%-5s|%05d|%x|%X|%q|%t|%%|%e|%g|%+d|% d" "s" 1.5 42 3.14159 "ab" 42 255 "hi" "q" true 1234.5678 0.000012345 5 5 }}"#,
        r#"s|1.5|42| 3.14|ab   |00042|ff|6869|"q"|true|%|1.234568e+03|1.2345e-05|+5| 5"#,
    ),
    (
        r#"{{ printf "%v %v %v %v %v %v" 1e6 0.1 1.5e-7 100000.0 1e21 123456789.0 }}"#,
        "1e+06 0.1 1.5e-07 100000 1e+21 1.23456789e+08",
    ),
    (
        r#"{{ printf "%.2f %.0f %.1f %.3e %.3g %g %G %8.3f|%-8.2f|" 1.005 2.5 0.25 123456.0 0.0001234 1e-5 1e-5 3.14159 2.5 }}"#,
        "1.00 2 0.2 1.235e+05 0.000123 1e-05 1E-05    3.142|2.50    |",
    ),
    (
        r#"{{ printf "%d %s" "x" 1 }}|{{ printf "%d" }}|{{ printf "%d" 1 2 }}"#,
        "%!d(string=x) %!s(int=1)|%!d(MISSING)|1%!(EXTRA int=2)",
    ),
    (
        r#"{{ printf "%v|%v|%s" $labels nil $labels }}"#,
        "map[__name__:m instance:host.example.com:9090 job:api]|<nil>|map[__name__:m instance:host.example.com:9090 job:api]",
    ),
    (
        r#"{{ printf "%q %x %c %U" 65 "hi" 65 65 }}"#,
        "'A' 6869 A U+0041",
    ),
    (
        r#"{{ and 1 0 2 }} {{ and 1 2 }} {{ or 0 "" }} {{ or 0 "x" 3 }} {{ not 0 }} {{ not "a" }}"#,
        "0 2  x true false",
    ),
    (r#"{{ len $labels }} {{ len "héllo" }}"#, "3 6"),
    (
        r#"{{ eq 1 1 }} {{ eq "a" "b" "a" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt 1.5 2.5 }} {{ ge "b" "a" }}"#,
        "true true true true true false true",
    ),
    ("{{ gt $value 10.0 }}", "true"),
    (
        "{{ gt $value 10 }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <gt $value 10>: error calling gt: incompatible types for comparison>"#,
    ),
    (
        r#"{{ html "<a href='x'>&\"" }} {{ js "it's <b> & \"q\" =" }} {{ urlquery "a b&c=d/é" }}"#,
        r#"&lt;a href=&#39;x&#39;&gt;&amp;&#34; it\'s \u003Cb\u003E \u0026 \"q\" \u003D a+b%26c%3Dd%2F%C3%A9"#,
    ),
    (
        r#"{{ slice "abcdef" 1 3 }} {{ slice "abcdef" 2 }} {{ index "abc" 1 }}"#,
        "bc cdef 98",
    ),
    (
        r#"{{ (print "a" "b") }} {{ "x" | printf "%s-%s" "y" }}"#,
        "ab y-x",
    ),
    (r#"{{ .Labels.job | toUpper | printf "%q" }}"#, r#""API""#),
    (
        "{{ $ }}",
        "{map[__name__:m instance:host.example.com:9090 job:api] map[]  1234.5}",
    ),
    (
        r#"{{ range $i, $v := $labels }}{{ if eq $i "job" }}{{ break }}{{ end }}{{ $i }},{{ end }}"#,
        "__name__,instance,",
    ),
    (
        r#"{{ range $labels }}{{ if eq . "m" }}{{ continue }}{{ end }}{{ . }},{{ end }}"#,
        "host.example.com:9090,api,",
    ),
    (
        r#"{{ if and (eq $labels.job "api") (gt $value 1.0) }}both{{ end }}"#,
        "both",
    ),
    (
        r#"{{ (args 1 "a" 2.5).arg1 }} {{ (args 1).arg9 }} {{ args 1 "b" }}"#,
        "a <no value> map[arg0:1 arg1:b]",
    ),
    (r#"{{ index (args 1 "a") "arg1" }}"#, "a"),
    (
        "{{ nil }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <nil>: nil is not a command>"#,
    ),
    (
        "{{ .Nope }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <.Nope>: can't evaluate field Nope in type struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value float64 }>"#,
    ),
    (
        "{{ $labels.job.x }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:122: executing "__alert_T" at <$labels.job.x>: can't evaluate field x in type string>"#,
    ),
    (
        "{{ index $labels 1 }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <index $labels 1>: error calling index: value has type int; should be string>"#,
    ),
    (
        "{{ len 3 }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <len 3>: error calling len: len of type int>"#,
    ),
    (
        r#"{{ template "nope" }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:124: executing "__alert_T" at <{{template "nope"}}>: template "nope" not defined>"#,
    ),
    (
        "{{ 1 2 }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <1>: can't give argument to non-function 1>"#,
    ),
    (
        "{{ eq $labels 1 }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <eq $labels 1>: error calling eq: incompatible types for comparison>"#,
    ),
    (
        "{{ range 5 }}x{{ end }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:121: executing "__alert_T" at <5>: range can't iterate over 5>"#,
    ),
    (
        r#"{{ printf "%s" 1.5 }} {{ printf "%d" 1.5 }} {{ printf "%f" 3 }}"#,
        "%!s(float64=1.5) %!d(float64=1.5) %!f(int=3)",
    ),
    (
        "line1\n{{ $labels.job }}\n{{ humanize \"abc\" }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:3:3: executing "__alert_T" at <humanize "abc">: error calling humanize: strconv.ParseFloat: parsing "abc": invalid syntax>"#,
    ),
    (r#"{{ print nil }}{{ printf "%v" (args).x }}"#, "<nil><nil>"),
    (
        "{{ $x := 1 }}{{ $y = 2 }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:133: executing "__alert_T" at <2>: undefined variable: $y>"#,
    ),
    ("{{ 1 | }}", "1"),
    ("{{ .Labels.job|printf }}", "api"),
    (r#"{{ "a" | printf "%s-%s" "b" }}"#, "b-a"),
    (
        "{{ range $i, $e := $labels }}{{ $i }}{{ end }}",
        "__name__instancejob",
    ),
    (
        r#"{{ toUpper "straße" }} {{ toLower "İSTANBUL" }} {{ title "ǆemal ßa" }}"#,
        "STRAßE istanbul ǅemal ßa",
    ),
    ("a\n  {{- if true }}\n  x\n  {{- end }}\nb", "a\n  x\nb"),
    (
        r#"{{ define "rec" }}{{ if gt (len .) 0 }}{{ slice . 1 }},{{ template "rec" (slice . 1) }}{{ end }}{{ end }}{{ template "rec" "abcd" }}"#,
        "bcd,cd,d,,",
    ),
    (
        r#"{{ define "d" }}[{{ $ }}|{{ . }}]{{ end }}{{ template "d" 5 }}{{ range $labels }}{{ template "d" . }}{{ end }}"#,
        "[5|5][m|m][host.example.com:9090|host.example.com:9090][api|api]",
    ),
    (
        r#"{{ range $k, $v := $labels }}{{ $ | printf "%T" }}{{ break }}{{ end }}"#,
        "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value float64 }",
    ),
    (
        "{{ $i := 0 }}{{ range $labels }}{{ $i = 1 }}{{ end }}{{ $i }}",
        "1",
    ),
    (
        "{{ range $labels }}{{ $x := . }}{{ end }}{{ with $y := 3 }}{{ $y }}{{ end }}",
        "3",
    ),
    (
        r#"{{ if not (index $labels "nope") }}missing{{ end }}"#,
        "missing",
    ),
    (
        "{{ if $labels.job }}{{ $labels.job }}{{ end }}{{ if .Labels.nope }}X{{ end }}",
        "api",
    ),
    ("{{ range (args) }}x{{ else }}no args{{ end }}", "no args"),
    (
        r#"{{ range $k, $v := args 1 "two" 3.5 }}{{ $k }}={{ $v }} {{ end }}"#,
        "arg0=1 arg1=two arg2=3.5 ",
    ),
    (
        r#"{{ printf "%s|%v|%d" (toTime 1.5) (toTime 1.5) true }}"#,
        "1970-01-01 00:00:01.5 +0000 UTC|1970-01-01 00:00:01.5 +0000 UTC|%!d(bool=true)",
    ),
    (
        r#"{{ printf "%6.2f%%" 12.3456 }}|{{ printf "%-8s|%8s|%.2s" "ab" "cd" "xyz" }}|{{ printf "%08.3f|%+08d|%x|%#x|%o|%b" -3.14159 42 -255 255 8 5 }}"#,
        " 12.35%|ab      |      cd|xy|-003.142|+0000042|-ff|0xff|10|101",
    ),
    (
        r#"{{ printf "%5t|%-5t|%q|%#q|%q" true false "a\"b" "ab" "\n" }}"#,
        r#" true|false|"a\"b"|`ab`|"\n""#,
    ),
    (
        r#"{{ printf "%v %v %v" 1 "s" true }} {{ printf "%3c|%-4d|%04d" 65 7 -7 }}"#,
        "1 s true   A|7   |-007",
    ),
    (
        r#"{{ print "a" 1 2 "b" }}|{{ print 1.0 2.5 }}|{{ print }}|{{ println }}"#,
        "a1 2b|1 2.5||\n",
    ),
    (
        "{{ 1.0 }} {{ 1e0 }} {{ 0.5e1 }} {{ -0.0 }} {{ 1e100 }} {{ 0x10p2 }} {{ 07 }} {{ 0b101 }} {{ 0o17 }}",
        "1 1 5 -0 1e+100 64 7 5 15",
    ),
    (
        r#"{{ "\x41\101\u0041\U00000041\a" | printf "%q" }}"#,
        r#""AAAA\a""#,
    ),
    (
        r#"{{ len (args 1 2) }} {{ index (args 5) "arg0" }} {{ eq (index (args 5) "arg0") 5 }}"#,
        "2 5 true",
    ),
    (
        r#"{{ eq $value 1234.5 }} {{ ne $labels.job "x" }} {{ eq "a" "a" "b" }} {{ eq 1 2 3 1 }}"#,
        "true true true true",
    ),
    (
        r#"{{ lt "a" "b" }} {{ le 1.5 1.5 }} {{ ge 2 3 }}"#,
        "true true false",
    ),
    (
        "{{ lt true false }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <lt true false>: error calling lt: invalid type for comparison>"#,
    ),
    (
        "{{ and }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <and>: wrong number of args for and: want at least 1 got 0>"#,
    ),
    (
        r#"{{ html 1 "<" }}|{{ urlquery "a" "b" 1 }}|{{ js "\u2028" }}"#,
        r#"1&lt;|ab1|\u2028"#,
    ),
    ("{{ with $labels }}{{ .job }}{{ end }}", "api"),
    (r#"{{- "  x  " -}}"#, "  x  "),
    (r#"{{ "a" }}  {{- "b" }}   {{ "c" -}}   d"#, "ab   cd"),
    (
        "{{ index $labels }}",
        "map[__name__:m instance:host.example.com:9090 job:api]",
    ),
    (
        r#"{{ slice "abc" 2 1 }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <slice "abc" 2 1>: error calling slice: invalid slice index: 2 > 1>"#,
    ),
    (
        r#"{{ slice "abc" 1 5 }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <slice "abc" 1 5>: error calling slice: index out of range: 5>"#,
    ),
    (
        r#"{{ index (query "s") -1 }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <index (query "s") -1>: error calling index: index out of range: -1>"#,
    ),
    (
        "{{ printf }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <printf>: wrong number of args for printf: want at least 1 got 0>"#,
    ),
    (
        "{{ printf 1 }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:122: executing "__alert_T" at <1>: expected string; found 1>"#,
    ),
    (
        "{{ not 1 2 }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <not>: wrong number of args for not: want 1 got 2>"#,
    ),
    (
        r#"{{ (1) }} {{ ("a") }} {{ ($labels).job }} {{ (.Labels).job }}"#,
        "1 a api api",
    ),
    (
        "{{ .Value.x }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:121: executing "__alert_T" at <.Value.x>: can't evaluate field x in type float64>"#,
    ),
    (
        "{{ $labels.job 1 }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:122: executing "__alert_T" at <$labels.job>: job is not a method but has arguments>"#,
    ),
    (
        "{{ . 1 }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <.>: can't give argument to non-function .>"#,
    ),
    (r#"{{ template "t" }}{{ define "t" }}def{{ end }}"#, "def"),
    (
        r#"{{ block "b" 1 }}{{ . }}{{ end }}{{ template "b" 2 }}"#,
        "12",
    ),
    (r#"{{ humanize "1_000" }}"#, "1k"),
    (
        r#"{{ humanize " 1" }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <humanize " 1">: error calling humanize: strconv.ParseFloat: parsing " 1": invalid syntax>"#,
    ),
    (
        r#"{{ humanize "1e400" }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <humanize "1e400">: error calling humanize: strconv.ParseFloat: parsing "1e400": value out of range>"#,
    ),
    (
        "{{ humanizeTimestamp 1e300 }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <humanizeTimestamp 1e300>: error calling humanizeTimestamp: 1e+300 cannot be represented as a nanoseconds timestamp since it overflows int64>"#,
    ),
    (
        "{{ toTime 9.3e9 }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <toTime 9.3e9>: error calling toTime: 9.3e+09 cannot be represented as a nanoseconds timestamp since it overflows int64>"#,
    ),
    (
        r#"{{ humanizeTimestamp "1700000000.5" }} {{ humanizeTimestamp 253402300800 }} {{ humanizeTimestamp -62135596801 }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:154: executing "__alert_T" at <humanizeTimestamp 253402300800>: error calling humanizeTimestamp: 2.534023008e+11 cannot be represented as a nanoseconds timestamp since it overflows int64>"#,
    ),
    (
        r#"{{ title "hello" | printf "%q" }} {{ "x" | printf "%s%s" "y" }}"#,
        r#""Hello" yx"#,
    ),
    ("{{-3}} {{3 -}} x {{- 4}}", "-3 3x4"),
    (
        "{{ range $key, $value := .Labels }}{{ $key }}:{{ $value }} {{ end }}{{ $value }}",
        "__name__:m instance:host.example.com:9090 job:api 1234.5",
    ),
    (
        r#"{{ with printf "%s" "m" | query }}{{ . | first | value | humanize1024 }}B{{ end }}"#,
        "1.206kiB",
    ),
    (
        r#"{{ index $labels "label-with-dash" }}|{{ printf "%.1f%%" (humanizePercentage 0.5) }}"#,
        "|%!f(string=5)%",
    ),
    (
        "{{ (toTime 1.5).Unix }} {{ (toTime 1.5).UnixNano }}",
        "1 1500000000",
    ),
    (
        "Alert {{ $labels.alertname }} on\n{{ range $k, $v := $labels -}}\n  - {{ $k }}: {{ $v }}\n{{ end -}}\ndone",
        "Alert  on\n- __name__: m\n- instance: host.example.com:9090\n- job: api\ndone",
    ),
    (
        r#"{{ printf "%s" }} {{ printf "%!" }} {{ printf "%z" 1 }} {{ printf "%[1]d %[1]d" 5 }} {{ printf "%*d" 5 3 }}"#,
        "%!s(MISSING) %!!(MISSING) %!z(int=1) 5 5     3",
    ),
    (
        r#"{{ printf "%v %d" -0.0 -0 }} {{ printf "%08.3e|%-10.1f|%+v" 12345.678 -2.25 1.5 }}"#,
        "-0 0 1.235e+04|-2.2      |1.5",
    ),
    (
        r#"{{ printf "%g %g %g %g" 100000.0 1000000.0 0.0001 0.00001 }}"#,
        "100000 1e+06 0.0001 1e-05",
    ),
    (
        r#"{{ printf "%.3v|%10v|%-10v|" 3.14159 "s" 7 }}"#,
        "3.14|         s|7         |",
    ),
    (r#"{{ printf "%t %t" 1 "x" }}"#, "%!t(int=1) %!t(string=x)"),
    (
        r#"{{ print 1 nil 2 }}|{{ print "a" nil }}|{{ println nil 1 }}"#,
        "1 <nil> 2|a<nil>|<nil> 1\n",
    ),
    (
        r#"{{ printf "%s %v" (args 1) (args) }}"#,
        "map[arg0:%!s(int=1)] map[]",
    ),
    (
        r#"{{ if 0.0 }}a{{ else if "" }}b{{ else if (args) }}c{{ else }}d{{ end }}"#,
        "d",
    ),
    (
        "{{ $a := 1 }}{{ with $a }}{{ $a := 2 }}{{ $a }}{{ end }}{{ $a }}",
        "21",
    ),
    (
        r#"{{ range $i, $c := "abc" }}{{ $i }}{{ end }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:131: executing "__alert_T" at <"abc">: range can't iterate over abc>"#,
    ),
    (r#"{{ 1 | printf "%d %d" 2 }}"#, "2 1"),
    (r#"{{ "x" | len }} {{ $labels | len }}"#, "1 3"),
    (r#"{{ slice "abc" }} {{ slice "abc" 0 0 }}"#, "abc "),
    (
        r#"{{ index "abc" 5 }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <index "abc" 5>: error calling index: index out of range: 5>"#,
    ),
    (r#"{{ html "a" 1 }} {{ js 1 2 }} {{ urlquery }}"#, "a1 1 2 "),
    (
        r#"{{ title "" }}{{ toUpper "" }}{{ stripPort "" }}|{{ stripPort "a:b:c" }}|{{ stripDomain "a.b:c:d" }}|{{ stripDomain "[::1]" }}|{{ stripDomain "1.2.3.4" }}"#,
        "|a:b:c|a|[::1]|1.2.3.4",
    ),
    (
        r#"{{ parseDuration "1h0m" }} {{ parseDuration "1m1h" }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:142: executing "__alert_T" at <parseDuration "1m1h">: error calling parseDuration: not a valid duration string: "1m1h">"#,
    ),
    (
        r#"{{ parseDuration "-1h" }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <parseDuration "-1h">: error calling parseDuration: not a valid duration string: "-1h">"#,
    ),
    (
        r#"{{ graphLink "" }} {{ tableLink "a b+c" }}"#,
        "/graph?g0.expr=&g0.tab=0 /graph?g0.expr=a+b%2Bc&g0.tab=1",
    ),
    ("{{ args }}|{{ len (args 1 2 3) }}", "map[]|3"),
    (
        "{{ humanizeTimestamp 1e19 }}",
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <humanizeTimestamp 1e19>: error calling humanizeTimestamp: 1e+19 cannot be represented as a nanoseconds timestamp since it overflows int64>"#,
    ),
    (
        r#"{{ toTime "abc" }}"#,
        r#"<error expanding template: error executing template __alert_T: template: __alert_T:1:115: executing "__alert_T" at <toTime "abc">: error calling toTime: strconv.ParseFloat: parsing "abc": invalid syntax>"#,
    ),
];

#[test]
fn renders_as_prometheus() {
    check_table(RENDERED);
}

/// promtool: Prometheus 2.42's rule-file check (ParseTest on the header plus the template).
/// "NO PARSE ERROR" where Go's parser accepts the template.
const PARSE_ERRORS: &[(&str, &str)] = &[
    (
        "{{ foo }}",
        r#"template: __alert_T:1: function "foo" not defined"#,
    ),
    (
        "{{ $x }}",
        r#"template: __alert_T:1: undefined variable "$x""#,
    ),
    ("{{ if true }}x", "template: __alert_T:1: unexpected EOF"),
    ("{{ end }}", "template: __alert_T:1: unexpected {{end}}"),
    ("{{ else }}", "template: __alert_T:1: unexpected {{else}}"),
    ("{{ .Labels.job", "template: __alert_T:1: unclosed action"),
    (
        r#"{{ "abc }}"#,
        "template: __alert_T:1: unterminated quoted string",
    ),
    (
        "{{ `abc }}",
        "template: __alert_T:1: unterminated raw quoted string",
    ),
    (
        "{{ 1a }}",
        r#"template: __alert_T:1: bad number syntax: "1a""#,
    ),
    (
        "{{ @ }}",
        r#"template: __alert_T:1: unexpected "@" in command"#,
    ),
    (
        "{{ ) }}",
        r#"template: __alert_T:1: unexpected ")" in command"#,
    ),
    ("{{ (1 }}", "template: __alert_T:1: unclosed left paren"),
    (
        "{{ range $i, $v, $w := . }}{{ end }}",
        "template: __alert_T:1: too many declarations in range",
    ),
    (
        "{{ break }}",
        "template: __alert_T:1: {{break}} outside {{range}}",
    ),
    (
        "{{ template foo }}",
        r#"template: __alert_T:1: unexpected "foo" in template clause"#,
    ),
    (
        r#"{{ define "x" }}{{ if 1 }}{{ end }}"#,
        "template: __alert_T:1: unexpected EOF",
    ),
    ("{{ }}", "template: __alert_T:1: missing value for command"),
    (
        "{{ | x }}",
        r#"template: __alert_T:1: unexpected "|" in command"#,
    ),
    ("{{ 1 | }}", "NO PARSE ERROR"),
    (
        "{{/* unterminated }}",
        "template: __alert_T:1: unclosed comment",
    ),
    (
        "{{/* a */ x }}",
        "template: __alert_T:1: comment ends before closing delimiter",
    ),
    (
        "{{ 'ab' }}",
        "template: __alert_T:1: malformed character constant: 'ab'",
    ),
    (
        r#"{{ "a".x }}"#,
        r#"template: __alert_T:1: unexpected . after term "\"a\"""#,
    ),
    ("{{ $x := 1 }}{{ $y = 2 }}", "NO PARSE ERROR"),
    (
        "{{ range . }}{{ else }}{{ else }}{{ end }}",
        "template: __alert_T:1: expected end; found {{else}}",
    ),
    (
        "line\n\n{{ nope }}",
        r#"template: __alert_T:3: function "nope" not defined"#,
    ),
    (
        "{{ with $x := 1 }}{{ end }}{{ $x }}",
        r#"template: __alert_T:1: undefined variable "$x""#,
    ),
    (
        "{{ if $x := 1 }}{{ $x }}{{ else }}{{ $x }}{{ end }}",
        "NO PARSE ERROR",
    ),
    (
        "{{ 3.x }}",
        r#"template: __alert_T:1: bad number syntax: "3.x""#,
    ),
    ("{{ .X|printf }}", "NO PARSE ERROR"),
    (
        "{{ nil.x }}",
        r#"template: __alert_T:1: unexpected . after term "nil""#,
    ),
    (
        r#"{{ define "a" }}{{ define "b" }}{{ end }}{{ end }}"#,
        "template: __alert_T:1: unexpected <define> in command",
    ),
];

#[test]
fn parse_errors_as_prometheus() {
    let mut bad = Vec::new();
    for (text, want) in PARSE_ERRORS {
        let got = match parse("__alert_T", &format!("{ALERT_HEADER}{text}")) {
            Ok(_) => "NO PARSE ERROR".to_string(),
            Err(e) => e.to_string(),
        };
        if got != *want {
            bad.push(format!("{text:?}: want {want:?}, got {got:?}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}
