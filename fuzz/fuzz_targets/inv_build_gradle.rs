//! Fuzz target: the build.gradle reader (`FileKind::BuildGradle`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(
        cverun_inventory::FileKind::BuildGradle,
        "build.gradle",
        data,
    );
});
