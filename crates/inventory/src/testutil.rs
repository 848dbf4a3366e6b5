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

/// The shared lockfile fixtures directory (`../shared/fixtures/lockfiles`) for the
/// test named `test`, or `None` when `../shared` is absent: the test then returns,
/// reported as skipped on stderr (or fails when `CVERUN_REQUIRE_SHARED` is set; see
/// `cverun_testkit::shared_data`).
pub fn fixtures(test: &str) -> Option<PathBuf> {
    cverun_testkit::shared_data(test).map(|s| s.join("fixtures/lockfiles"))
}

/// The snapshots of real repositories (`../shared/corpus`) for the test named
/// `test`, or `None` as for [`fixtures`].
pub fn corpus(test: &str) -> Option<PathBuf> {
    cverun_testkit::shared_data(test).map(|s| s.join("corpus"))
}

/// Parses a shared fixture (relative to the fixtures directory `fixtures`) from disk.
pub fn parse_fixture(fixtures: &Path, kind: FileKind, rel: &str) -> Result<Parsed, ParseError> {
    parse_file(kind, &fixtures.join(rel), &DiskFiles)
}

/// The package named `name` in `p` (the test fails when there is none).
pub fn get<'a>(p: &'a Parsed, name: &str) -> &'a crate::Package {
    p.packages
        .iter()
        .find(|x| x.name == name)
        .unwrap_or_else(|| panic!("{name} not in {:?}", summary(p)))
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

/// The expected outcome of parsing one shared fixture.
pub enum Expect {
    /// Parses, with this many packages, among them these `(name, exact version)`.
    Ok(usize, &'static [(&'static str, &'static str)]),
    /// Fails, with a message containing this text, at this line.
    Err(&'static str, Option<u32>),
}

/// Checks every file of the fixture directory `dir` against `table` (one row per
/// file, in file-name order): the parse result, and that an error names the file.
/// Skipped, visibly, for the test named `test` when `../shared` is absent.
pub fn check_fixtures(test: &str, kind: FileKind, dir: &str, table: &[(&str, Expect)]) {
    let Some(fixtures) = fixtures(test) else {
        return;
    };
    let root = fixtures.join(dir);
    let mut files: Vec<String> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| {
            e.expect("directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    let listed: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
    assert_eq!(files, listed, "one row per fixture, in name order");
    for (file, expect) in table {
        let text = std::fs::read_to_string(root.join(file)).expect("fixture is UTF-8");
        match (expect, parse_str(kind, file, &text)) {
            (Expect::Ok(n, pins), Ok(p)) => {
                assert_eq!(p.packages.len(), *n, "{file}: {:?}", summary(&p));
                for (pkg, v) in *pins {
                    assert!(
                        p.packages
                            .iter()
                            .any(|x| x.name == *pkg && x.exact_version() == Some(v)),
                        "{file}: {pkg} {v} not in {:?}",
                        summary(&p)
                    );
                }
            }
            (Expect::Err(msg, line), Err(e)) => {
                assert!(e.message.contains(msg), "{file}: {e}");
                assert_eq!(e.line, *line, "{file}");
                assert!(e.to_string().contains(file), "{file}: {e}");
            }
            (_, r) => panic!("{file}: unexpected {r:?}"),
        }
    }
}
