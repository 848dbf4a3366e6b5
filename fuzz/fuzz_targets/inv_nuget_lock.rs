//! Fuzz target: the packages.lock.json reader (`FileKind::NuGetLock`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(
        cverun_inventory::FileKind::NuGetLock,
        "packages.lock.json",
        data,
    );
});
