//! Fuzz target: the Cargo.toml reader (`FileKind::CargoToml`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(cverun_inventory::FileKind::CargoToml, "Cargo.toml", data);
});
