//! Fuzz target: the composer.lock reader (`FileKind::ComposerLock`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(
        cverun_inventory::FileKind::ComposerLock,
        "composer.lock",
        data,
    );
});
