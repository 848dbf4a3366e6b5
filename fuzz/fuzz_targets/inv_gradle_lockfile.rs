//! Fuzz target: the gradle.lockfile reader (`FileKind::GradleLockfile`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(
        cverun_inventory::FileKind::GradleLockfile,
        "gradle.lockfile",
        data,
    );
});
