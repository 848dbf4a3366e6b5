//! Fuzz target: the OSV record reader and the range matcher.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::osv_record(data);
});
