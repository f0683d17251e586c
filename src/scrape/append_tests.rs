use super::*;
use crate::appender::{CommitError, CommitStats};
use promql::Labels;

/// Records what a scrape appends, in order.
#[derive(Default)]
struct Recorder {
    samples: Vec<(String, i64, f64)>,
    metadata: Vec<(String, Metadata)>,
}

impl Recorder {
    fn render(pairs: &[(&str, &str)]) -> String {
        let inner: Vec<String> = pairs.iter().map(|(n, v)| format!("{n}={v}")).collect();
        inner.join(",")
    }

    fn values_of(&self, series: &str) -> Vec<(i64, f64)> {
        self.samples
            .iter()
            .filter(|(s, _, _)| s == series)
            .map(|(_, t, v)| (*t, *v))
            .collect()
    }

    fn stale(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .samples
            .iter()
            .filter(|(_, _, v)| v.to_bits() == STALE_NAN_BITS)
            .map(|(s, _, _)| s.as_str())
            .collect();
        v.sort_unstable();
        v
    }
}

impl Appender for Recorder {
    fn append(&mut self, labels: &Labels, t: i64, v: f64) -> Result<(), SampleError> {
        let pairs: Vec<(String, String)> = labels
            .iter()
            .map(|l| (l.name.to_string(), l.value.to_string()))
            .collect();
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (&**n, &**v)).collect();
        self.append_pairs(&refs, t, v)
    }

    fn append_pairs(&mut self, pairs: &[(&str, &str)], t: i64, v: f64) -> Result<(), SampleError> {
        assert!(
            pairs.windows(2).all(|w| w[0].0 < w[1].0),
            "unsorted {pairs:?}"
        );
        self.samples.push((Self::render(pairs), t, v));
        Ok(())
    }

    fn append_metadata(&mut self, metric: &str, meta: Metadata) {
        self.metadata.push((metric.to_string(), meta));
    }

    fn commit(self: Box<Self>) -> Result<CommitStats, CommitError> {
        Ok(CommitStats::default())
    }

    fn rollback(self: Box<Self>) {}
}

fn settings() -> SampleSettings {
    SampleSettings {
        target_labels: vec![
            ("instance".to_string(), "h:9100".to_string()),
            ("job".to_string(), "node".to_string()),
        ]
        .into(),
        honor_labels: false,
        honor_timestamps: true,
        track_timestamps_staleness: false,
        metric_relabel: Vec::new().into(),
        sample_limit: 0,
        label_limit: 0,
        label_name_length_limit: 0,
        label_value_length_limit: 0,
        fallback: None,
    }
}

const TEXT: &str = "text/plain; version=0.0.4";

fn scrape(
    rec: &mut Recorder,
    cache: &mut ScrapeCache,
    s: &SampleSettings,
    body: &str,
    ts: i64,
) -> Result<Counts, (AppendError, Counts)> {
    append_body(rec, cache, s, body.as_bytes(), TEXT, ts)
}

#[test]
fn target_labels_are_attached_and_counts_reported() {
    let (mut rec, mut cache, s) = (Recorder::default(), ScrapeCache::default(), settings());
    let body = "# TYPE a counter\n# HELP a Help.\na_total 1\nb{x=\"1\"} 2\nb{x=\"2\"} 3\n";
    let c = scrape(&mut rec, &mut cache, &s, body, 1000).unwrap();
    assert_eq!((c.scraped, c.post_relabel, c.series_added), (3, 3, 3));
    assert_eq!(
        rec.values_of("__name__=a_total,instance=h:9100,job=node"),
        [(1000, 1.0)]
    );
    assert_eq!(
        rec.values_of("__name__=b,instance=h:9100,job=node,x=2"),
        [(1000, 3.0)]
    );
    assert_eq!(rec.metadata.len(), 1);
    assert_eq!(rec.metadata[0].0, "a");
    assert_eq!(rec.metadata[0].1.metric_type, "counter");
    assert_eq!(rec.metadata[0].1.help, "Help.");

    // The same body again: nothing new, and metadata is not stored twice.
    let c = scrape(&mut rec, &mut cache, &s, body, 2000).unwrap();
    assert_eq!((c.scraped, c.series_added), (3, 0));
    assert_eq!(rec.metadata.len(), 1);
}

#[test]
fn conflicting_labels_become_exported_unless_honored() {
    let mut s = settings();
    let body = "m{job=\"pushed\",exported_job=\"x\",instance=\"\"} 1\n";
    let mut rec = Recorder::default();
    scrape(&mut rec, &mut ScrapeCache::default(), &s, body, 1).unwrap();
    assert_eq!(
        rec.samples[0].0,
        "__name__=m,exported_exported_job=pushed,exported_job=x,instance=h:9100,job=node"
    );

    s.honor_labels = true;
    let mut rec = Recorder::default();
    scrape(&mut rec, &mut ScrapeCache::default(), &s, body, 1).unwrap();
    // An exposed empty label counts as set: the target's instance stays off (Pushgateway
    // groups pushed without an instance rely on this).
    assert_eq!(rec.samples[0].0, "__name__=m,exported_job=x,job=pushed");
}

#[test]
fn vanished_series_and_failed_scrapes_get_stale_markers() {
    let (mut rec, mut cache, s) = (Recorder::default(), ScrapeCache::default(), settings());
    scrape(&mut rec, &mut cache, &s, "a 1\nb 2\n", 1000).unwrap();
    rec.samples.clear();
    scrape(&mut rec, &mut cache, &s, "a 1\nc 3\n", 2000).unwrap();
    assert_eq!(rec.stale(), ["__name__=b,instance=h:9100,job=node"]);
    let (_, t, _) = rec
        .samples
        .iter()
        .find(|(_, _, v)| v.to_bits() == STALE_NAN_BITS)
        .unwrap();
    assert_eq!(*t, 2000);

    rec.samples.clear();
    append_failed(&mut rec, &mut cache, 3000);
    assert_eq!(
        rec.stale(),
        [
            "__name__=a,instance=h:9100,job=node",
            "__name__=c,instance=h:9100,job=node"
        ]
    );
    // Once marked, a second failure marks nothing more, and the comeback counts as added.
    rec.samples.clear();
    append_failed(&mut rec, &mut cache, 4000);
    assert!(rec.samples.is_empty());
    let c = scrape(&mut rec, &mut cache, &s, "a 1\nc 3\n", 5000).unwrap();
    assert_eq!(c.series_added, 0, "cache entries survive failed scrapes");
    assert!(rec.stale().is_empty());
}

#[test]
fn explicit_timestamps_are_honored_and_not_marked_stale() {
    let (mut rec, mut cache, mut s) = (Recorder::default(), ScrapeCache::default(), settings());
    scrape(&mut rec, &mut cache, &s, "a 1 500\nb 2\n", 1000).unwrap();
    assert_eq!(rec.samples[0].1, 500);
    rec.samples.clear();
    scrape(&mut rec, &mut cache, &s, "", 2000).unwrap();
    assert_eq!(rec.stale(), ["__name__=b,instance=h:9100,job=node"]);

    s.honor_timestamps = false;
    let mut rec = Recorder::default();
    scrape(&mut rec, &mut ScrapeCache::default(), &s, "a 1 500\n", 1000).unwrap();
    assert_eq!(rec.samples[0].1, 1000);
}

#[test]
fn sample_limit_fails_the_scrape_but_counts_everything() {
    let mut s = settings();
    s.sample_limit = 2;
    let mut rec = Recorder::default();
    let err = scrape(
        &mut rec,
        &mut ScrapeCache::default(),
        &s,
        "a 1\nb 1\nc 1\n",
        1,
    )
    .unwrap_err();
    assert_eq!(err.0, AppendError::SampleLimit);
    assert_eq!(err.0.to_string(), "sample limit exceeded");
    assert_eq!((err.1.scraped, err.1.post_relabel), (3, 3));
    s.sample_limit = 3;
    assert!(
        scrape(
            &mut rec,
            &mut ScrapeCache::default(),
            &s,
            "a 1\nb 1\nc 1\n",
            1
        )
        .is_ok()
    );
}

#[test]
fn label_limits_name_the_offender() {
    let mut s = settings();
    s.label_limit = 3;
    let body = "metric{a=\"1\",b=\"2\"} 1\n";
    let err = scrape(
        &mut Recorder::default(),
        &mut ScrapeCache::default(),
        &s,
        body,
        1,
    )
    .unwrap_err()
    .0;
    assert_eq!(
        err.to_string(),
        "label_limit exceeded (metric: metric, number of labels: 5, limit: 3)"
    );
    s.label_limit = 0;
    s.label_value_length_limit = 6;
    assert!(
        scrape(
            &mut Recorder::default(),
            &mut ScrapeCache::default(),
            &s,
            body,
            1
        )
        .is_ok()
    );
    let long = "metric{a=\"1234567\"} 1\n";
    let err = scrape(
        &mut Recorder::default(),
        &mut ScrapeCache::default(),
        &s,
        long,
        1,
    )
    .unwrap_err()
    .0;
    assert_eq!(
        err.to_string(),
        "label_value_length_limit exceeded (metric: metric, label name: a, value: \"1234567\", length: 7, limit: 6)"
    );
}

#[test]
fn content_type_decides_the_format() {
    assert_eq!(
        format_for("text/plain; version=0.0.4", None),
        Ok(Format::Text)
    );
    assert_eq!(
        format_for(
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            None
        ),
        Ok(Format::OpenMetrics)
    );
    assert!(matches!(
        format_for("", None),
        Err(AppendError::ContentType(m)) if m.contains("blank Content-Type")
    ));
    assert!(matches!(
        format_for("application/json", None),
        Err(AppendError::ContentType(m)) if m.contains("\"application/json\"")
    ));
    assert_eq!(format_for("", Some(Format::Text)), Ok(Format::Text));

    // An OpenMetrics body is parsed as such: `# EOF` is required, `_created` is a series.
    let (mut rec, s) = (Recorder::default(), settings());
    let om = "# TYPE c counter\nc_total 1\nc_created 10\n# EOF\n";
    let ct = "application/openmetrics-text; version=1.0.0";
    let c = append_body(
        &mut rec,
        &mut ScrapeCache::default(),
        &s,
        om.as_bytes(),
        ct,
        5,
    )
    .unwrap();
    assert_eq!(c.scraped, 2);
    let no_eof = append_body(&mut rec, &mut ScrapeCache::default(), &s, b"a 1\n", ct, 5);
    assert!(matches!(no_eof, Err((AppendError::Parse(_), _))));
}

#[test]
fn report_series_carry_target_labels() {
    let mut rec = Recorder::default();
    let s = settings();
    let r = Report {
        up: false,
        duration_seconds: 0.25,
        counts: Counts {
            scraped: 7,
            post_relabel: 5,
            series_added: 2,
            ..Counts::default()
        },
        extra: None,
    };
    append_report(&mut rec, &s.target_labels, 42, &r);
    let got: Vec<(String, f64)> = rec
        .samples
        .iter()
        .map(|(s, _, v)| (s.clone(), *v))
        .collect();
    assert_eq!(
        got,
        [
            ("__name__=up,instance=h:9100,job=node".to_string(), 0.0),
            (
                "__name__=scrape_duration_seconds,instance=h:9100,job=node".to_string(),
                0.25
            ),
            (
                "__name__=scrape_samples_scraped,instance=h:9100,job=node".to_string(),
                7.0
            ),
            (
                "__name__=scrape_samples_post_metric_relabeling,instance=h:9100,job=node"
                    .to_string(),
                5.0
            ),
            (
                "__name__=scrape_series_added,instance=h:9100,job=node".to_string(),
                2.0
            ),
        ]
    );
    rec.samples.clear();
    append_report_stale(&mut rec, &s.target_labels, 43, false);
    assert_eq!(rec.stale().len(), 5);
}

#[test]
fn bucket_and_quantile_labels_are_normalised_as_prometheus_3_does() {
    let cases = [
        (1.0, "1.0"),
        (0.0, "0.0"),
        (0.25, "0.25"),
        (2.5, "2.5"),
        (10.0, "10.0"),
        (100000.0, "100000.0"),
        (1e6, "1e+06"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (123456.5, "123456.5"),
        (1234567.0, "1.234567e+06"),
        (-1.0, "-1.0"),
        (f64::INFINITY, "+Inf"),
    ];
    for (f, want) in cases {
        assert_eq!(openmetrics_float(f), want, "{f}");
    }
    let body = "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n\
                # TYPE s summary\ns{quantile=\"0\"} 1\ns_sum 1\ns_count 1\n\
                # TYPE g gauge\ng{le=\"1\"} 1\n";
    let mut rec = Recorder::default();
    scrape(&mut rec, &mut ScrapeCache::default(), &settings(), body, 1).unwrap();
    let names: Vec<&str> = rec.samples.iter().map(|(s, _, _)| s.as_str()).collect();
    assert!(names.contains(&"__name__=h_bucket,instance=h:9100,job=node,le=1.0"));
    assert!(names.contains(&"__name__=h_bucket,instance=h:9100,job=node,le=+Inf"));
    assert!(names.contains(&"__name__=s,instance=h:9100,job=node,quantile=0.0"));
    // Only a histogram's `le` and a summary's `quantile` are touched.
    assert!(names.contains(&"__name__=g,instance=h:9100,job=node,le=1"));
}

#[test]
fn metric_relabeling_drops_and_rewrites() {
    let cfg = crate::promconfig::parse(
        "scrape_configs:\n  - job_name: j\n    metric_relabel_configs:\n\
         \x20     - source_labels: [__name__]\n        regex: 'go_.*'\n        action: drop\n\
         \x20     - regex: 'tmp'\n        action: labeldrop\n",
        std::path::Path::new("."),
    )
    .unwrap();
    let mut s = settings();
    s.metric_relabel = cfg.scrape_configs[0].metric_relabel_configs.clone().into();
    let mut rec = Recorder::default();
    let c = scrape(
        &mut rec,
        &mut ScrapeCache::default(),
        &s,
        "go_goroutines 5\nkept{tmp=\"x\"} 1\n",
        1,
    )
    .unwrap();
    assert_eq!((c.scraped, c.post_relabel), (2, 1));
    assert_eq!(rec.samples.len(), 1);
    assert_eq!(rec.samples[0].0, "__name__=kept,instance=h:9100,job=node");
}

#[test]
fn a_body_that_fails_to_parse_reports_the_samples_before_the_error() {
    let mut s = settings();
    s.metric_relabel = crate::promconfig::parse(
        "scrape_configs:\n  - job_name: j\n    metric_relabel_configs:\n\
         \x20     - source_labels: [__name__]\n        regex: b\n        action: drop\n",
        std::path::Path::new("."),
    )
    .unwrap()
    .scrape_configs[0]
        .metric_relabel_configs
        .clone()
        .into();
    let mut rec = Recorder::default();
    let (err, c) = scrape(
        &mut rec,
        &mut ScrapeCache::default(),
        &s,
        "a 1\nb 2\nc{ 3\nd 4\n",
        1,
    )
    .unwrap_err();
    assert!(matches!(err, AppendError::Parse(_)));
    assert_eq!((c.scraped, c.post_relabel, c.series_added), (2, 1, 0));
}
