//! The Prometheus text format 0.0.4: no panic; accepted scrapes keep `Sample`'s promises; tight
//! limits only ever turn an accepted body into a rejected one, never change what it parses to.
#![no_main]

use compat::exposition::{Format, ParseOptions, parse};
use compat_fuzz::{TIGHT_LIMITS, check_scrape, same_scrape};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let default = ParseOptions::default();
    let loose = parse(data, Format::Text, &default);
    if let Ok(scrape) = &loose {
        check_scrape(scrape, &default.limits);
    }

    let tight = ParseOptions {
        limits: TIGHT_LIMITS,
        ..ParseOptions::default()
    };
    if let Ok(scrape) = parse(data, Format::Text, &tight) {
        check_scrape(&scrape, &tight.limits);
        let loose = loose
            .as_ref()
            .expect("accepted under tight limits, refused under default");
        assert!(same_scrape(&scrape, loose), "limits changed the parse");
    }
});
