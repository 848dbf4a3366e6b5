//! Fuzz target: the mix.lock reader (`FileKind::MixLock`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(cverun_inventory::FileKind::MixLock, "mix.lock", data);
});
