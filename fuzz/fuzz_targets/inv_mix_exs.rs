//! Fuzz target: the mix.exs reader (`FileKind::MixExs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(cverun_inventory::FileKind::MixExs, "mix.exs", data);
});
