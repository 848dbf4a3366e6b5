//! Fuzz target: the Pipfile reader (`FileKind::Pipfile`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(cverun_inventory::FileKind::Pipfile, "Pipfile", data);
});
