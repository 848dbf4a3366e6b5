//! Fuzz target: the cverun.toml reader.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::scan_config(data);
});
