//! Fuzz target: the pyproject.toml reader (`FileKind::PyProject`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(
        cverun_inventory::FileKind::PyProject,
        "pyproject.toml",
        data,
    );
});
