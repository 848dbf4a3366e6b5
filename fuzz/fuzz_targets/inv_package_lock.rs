//! Fuzz target: the package-lock.json reader (`FileKind::PackageLockJson`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(
        cverun_inventory::FileKind::PackageLockJson,
        "package-lock.json",
        data,
    );
});
