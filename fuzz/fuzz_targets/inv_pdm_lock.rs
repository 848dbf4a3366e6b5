//! Fuzz target: the pdm.lock reader (`FileKind::PdmLock`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(cverun_inventory::FileKind::PdmLock, "pdm.lock", data);
});
