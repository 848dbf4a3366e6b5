//! Fuzz target: the composer.json reader (`FileKind::ComposerJson`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(
        cverun_inventory::FileKind::ComposerJson,
        "composer.json",
        data,
    );
});
