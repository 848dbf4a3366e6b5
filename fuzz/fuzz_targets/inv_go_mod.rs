//! Fuzz target: the go.mod reader (`FileKind::GoMod`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(cverun_inventory::FileKind::GoMod, "go.mod", data);
});
