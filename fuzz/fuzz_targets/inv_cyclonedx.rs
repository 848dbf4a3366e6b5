//! Fuzz target: the bom.cdx.json reader (`FileKind::CycloneDx`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(cverun_inventory::FileKind::CycloneDx, "bom.cdx.json", data);
});
