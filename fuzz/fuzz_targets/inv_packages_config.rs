//! Fuzz target: the packages.config reader (`FileKind::PackagesConfig`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(
        cverun_inventory::FileKind::PackagesConfig,
        "packages.config",
        data,
    );
});
