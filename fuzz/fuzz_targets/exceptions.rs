//! Fuzz target: the exceptions reader.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::exceptions(data);
});
