//! Fuzz target: the poetry.lock reader (`FileKind::PoetryLock`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(cverun_inventory::FileKind::PoetryLock, "poetry.lock", data);
});
