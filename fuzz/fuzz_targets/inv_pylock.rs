//! Fuzz target: the pylock.toml reader (`FileKind::PyLock`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(cverun_inventory::FileKind::PyLock, "pylock.toml", data);
});
