//! Fuzz target: the sbom.spdx.json reader (`FileKind::Spdx`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(cverun_inventory::FileKind::Spdx, "sbom.spdx.json", data);
});
