//! Fuzz target: the yarn.lock reader (`FileKind::YarnLock`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(cverun_inventory::FileKind::YarnLock, "yarn.lock", data);
});
