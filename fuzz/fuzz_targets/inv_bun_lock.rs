//! Fuzz target: the bun.lock reader (`FileKind::BunLock`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(cverun_inventory::FileKind::BunLock, "bun.lock", data);
});
