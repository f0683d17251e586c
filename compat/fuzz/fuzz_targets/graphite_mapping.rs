//! Graphite path templates: the input is a rule file, a NUL byte, then paths one per line.
//! Checks: no panic and no blow-up while loading rules or matching (libFuzzer's timeout catches
//! backtracking gone exponential); a mapping result has a non-empty name and no empty label.
#![no_main]

use compat::graphite::Mapping;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (rules, paths) = text.split_once('\0').unwrap_or((text, ""));
    let Ok(mapping) = Mapping::parse(rules) else {
        return;
    };
    for path in paths.lines() {
        if let Some(mapped) = mapping.apply(path) {
            assert!(!mapped.name.is_empty(), "empty metric name from {path:?}");
            for (name, value) in &mapped.labels {
                assert!(!name.is_empty(), "empty label name from {path:?}");
                assert!(!value.is_empty(), "empty label value from {path:?}");
            }
        }
    }
});
