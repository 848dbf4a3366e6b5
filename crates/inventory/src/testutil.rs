//! Helpers for parser tests: in-memory files and the shared fixtures.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::{DiskFiles, FileKind, Files, ParseError, Parsed, parse_file, parse_text};

/// Files held in memory, for include tests.
#[derive(Default)]
pub struct MemFiles(pub HashMap<PathBuf, String>);

impl MemFiles {
    pub fn with(files: &[(&str, &str)]) -> MemFiles {
        MemFiles(
            files
                .iter()
                .map(|(p, t)| (PathBuf::from(p), t.to_string()))
                .collect(),
        )
    }
}

impl Files for MemFiles {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
    }
}

/// Parses `text` as `kind` at a made-up path, with no other files.
pub fn parse_str(kind: FileKind, path: &str, text: &str) -> Result<Parsed, ParseError> {
    parse_text(kind, Path::new(path), text, &MemFiles::default())
}

/// The shared lockfile fixtures directory.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/lockfiles")
}

/// Parses a shared fixture (relative to the fixtures directory) from disk.
pub fn parse_fixture(kind: FileKind, rel: &str) -> Result<Parsed, ParseError> {
    parse_file(kind, &fixtures().join(rel), &DiskFiles)
}

/// (name, exact version or specifier) of each package, for compact assertions.
pub fn summary(p: &Parsed) -> Vec<(String, String)> {
    p.packages
        .iter()
        .map(|p| {
            let v = match &p.pin {
                crate::Pin::Exact(v) => v.clone(),
                crate::Pin::Unpinned { specifier } => format!("unpinned:{specifier}"),
            };
            (p.name.clone(), v)
        })
        .collect()
}

/// Every prefix cut and a few byte flips of `text` parse without panicking.
pub fn never_panics(kind: FileKind, text: &str) {
    let bytes = text.as_bytes();
    let steps = 12.min(bytes.len().max(1));
    for k in 0..=steps {
        let cut = bytes.len() * k / steps;
        let s = String::from_utf8_lossy(&bytes[..cut]);
        let _ = parse_str(kind, "cut", &s);
    }
    for k in 0..bytes.len().min(64) {
        let mut b = bytes.to_vec();
        let at = (k * 7919) % b.len();
        const NOISE: &[u8] = b"{}[]\"=:,\n#\\ x";
        b[at] = NOISE[k % NOISE.len()];
        let _ = parse_str(kind, "flip", &String::from_utf8_lossy(&b));
    }
}
