//! Fuzz target: the Gemfile reader (`FileKind::Gemfile`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(cverun_inventory::FileKind::Gemfile, "Gemfile", data);
});
