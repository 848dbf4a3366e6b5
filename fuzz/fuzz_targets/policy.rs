//! Fuzz target: the triage policy reader.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::policy(data);
});
