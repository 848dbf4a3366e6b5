//! Fuzz target: the pnpm-lock.yaml reader (`FileKind::PnpmLock`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(cverun_inventory::FileKind::PnpmLock, "pnpm-lock.yaml", data);
});
