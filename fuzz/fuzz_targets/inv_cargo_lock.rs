//! Fuzz target: the Cargo.lock reader (`FileKind::CargoLock`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(cverun_inventory::FileKind::CargoLock, "Cargo.lock", data);
});
