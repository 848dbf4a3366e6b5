//! Fuzz target: the pom.xml reader (`FileKind::PomXml`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    cverun_fuzz::inventory(cverun_inventory::FileKind::PomXml, "pom.xml", data);
});
