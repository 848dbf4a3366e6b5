//! Fuzz target: the Pipfile.lock reader (`FileKind::PipfileLock`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(
        cverun_inventory::FileKind::PipfileLock,
        "Pipfile.lock",
        data,
    );
});
