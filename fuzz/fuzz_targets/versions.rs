//! Fuzz target: version parsing and comparison in every scheme.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::versions(data);
});
