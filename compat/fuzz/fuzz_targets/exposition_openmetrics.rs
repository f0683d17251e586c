//! OpenMetrics 1.0: no panic; accepted scrapes keep `Sample`'s promises; the stricter modes
//! (spec validation, tight limits) only refuse more, never parse differently; skipping
//! `_created` series only removes samples.
#![no_main]

use compat::exposition::{Format, ParseOptions, Validation, parse};
use compat_fuzz::{TIGHT_LIMITS, check_scrape, same_sample, same_scrape};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let default = ParseOptions::default();
    let prom = parse(data, Format::OpenMetrics, &default);
    if let Ok(scrape) = &prom {
        check_scrape(scrape, &default.limits);
    }

    let spec = ParseOptions {
        validation: Validation::OpenMetricsSpec,
        ..ParseOptions::default()
    };
    if let Ok(scrape) = parse(data, Format::OpenMetrics, &spec) {
        check_scrape(&scrape, &spec.limits);
        let prom = prom
            .as_ref()
            .expect("spec validation accepted what Prometheus mode refused");
        assert!(
            same_scrape(&scrape, prom),
            "spec validation changed the parse"
        );
    }

    let skip = ParseOptions {
        skip_created_series: true,
        ..ParseOptions::default()
    };
    let skipped = parse(data, Format::OpenMetrics, &skip);
    assert_eq!(
        skipped.is_ok(),
        prom.is_ok(),
        "skip_created_series changed acceptance"
    );
    if let (Ok(skipped), Ok(all)) = (&skipped, &prom) {
        check_scrape(skipped, &skip.limits);
        // `skipped.samples` is a subsequence of `all.samples`.
        let mut rest = all.samples.iter();
        for s in &skipped.samples {
            assert!(
                rest.any(|a| same_sample(a, s)),
                "skip_created_series produced a sample the full parse does not have: {s:?}"
            );
        }
    }

    let tight = ParseOptions {
        limits: TIGHT_LIMITS,
        ..ParseOptions::default()
    };
    if let Ok(scrape) = parse(data, Format::OpenMetrics, &tight) {
        check_scrape(&scrape, &tight.limits);
        let prom = prom
            .as_ref()
            .expect("accepted under tight limits, refused under default");
        assert!(same_scrape(&scrape, prom), "limits changed the parse");
    }
});
