//! Fuzz target: the uv.lock reader (`FileKind::UvLock`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(cverun_inventory::FileKind::UvLock, "uv.lock", data);
});
