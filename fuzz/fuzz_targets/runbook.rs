//! Fuzz target: the incident runbook reader.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::runbook(data);
});
