//! Fuzz target: the requirements.txt reader (`FileKind::Requirements`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(
        cverun_inventory::FileKind::Requirements,
        "requirements.txt",
        data,
    );
});
