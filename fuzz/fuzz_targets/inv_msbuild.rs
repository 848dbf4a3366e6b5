//! Fuzz target: the app.csproj reader (`FileKind::MsBuildProject`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(
        cverun_inventory::FileKind::MsBuildProject,
        "app.csproj",
        data,
    );
});
