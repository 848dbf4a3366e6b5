//! Fuzz target: the package.json reader (`FileKind::PackageJson`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(
        cverun_inventory::FileKind::PackageJson,
        "package.json",
        data,
    );
});
