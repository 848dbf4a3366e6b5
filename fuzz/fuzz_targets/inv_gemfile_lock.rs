//! Fuzz target: the Gemfile.lock reader (`FileKind::GemfileLock`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(
        cverun_inventory::FileKind::GemfileLock,
        "Gemfile.lock",
        data,
    );
});
