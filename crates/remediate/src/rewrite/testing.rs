//! Helpers for the rewrite tests: bumps, byte-level checks of an edit, and a
//! re-parse of the result with the inventory parser of the format.

use std::path::{Path, PathBuf};

use cverun_inventory::{FileKind, Files, Package, Parsed, Relation, parse_text};
use cverun_versions::Ecosystem;

use super::{Edit, rewrite};
use crate::{Bump, Refusal};

/// A direct bump.
pub(crate) fn bump(ecosystem: Ecosystem, name: &str, from: &str, to: &str) -> Bump {
    Bump::new(ecosystem, name, from, to, Relation::Direct)
}

/// No other files (the rewritten texts are parsed alone).
pub(crate) struct NoFiles;

impl Files for NoFiles {
    fn read(&self, _: &Path) -> std::io::Result<String> {
        Err(std::io::ErrorKind::NotFound.into())
    }
}

/// A file of `../shared`, or `None` (the test reported as skipped) without it.
pub(crate) fn shared(test: &str, relative: &str) -> Option<(PathBuf, String)> {
    let root = cverun_testkit::shared_data(test)?;
    let path = root.join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Some((path, text))
}

/// Asserts that `edit` changed exactly `lines` (1-based) of `old`, and that
/// every other line, terminator included, is byte for byte the same.
pub(crate) fn assert_only_lines(old: &str, edit: &Edit, lines: &[u32]) {
    assert_eq!(edit.lines, lines, "reported lines");
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = edit.text.split_inclusive('\n').collect();
    assert_eq!(a.len(), b.len(), "line count changed");
    let differing: Vec<u32> = a
        .iter()
        .zip(&b)
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .map(|(i, _)| u32::try_from(i + 1).unwrap())
        .collect();
    assert_eq!(differing, lines, "lines that differ");
    for &l in lines {
        let (x, y) = (a[l as usize - 1], b[l as usize - 1]);
        // Line terminators are kept.
        assert_eq!(x.ends_with("\r\n"), y.ends_with("\r\n"), "CRLF of line {l}");
        assert_eq!(x.ends_with('\n'), y.ends_with('\n'), "LF of line {l}");
    }
}

/// Rewrites `text` (named `path`) and checks the edit changed exactly `lines`;
/// returns the edit and the inventory parse of the new text.
pub(crate) fn rewrite_checked(
    kind: FileKind,
    path: &str,
    text: &str,
    bump: &Bump,
    lines: &[u32],
) -> (Edit, Parsed) {
    let edit = rewrite(kind, text, bump)
        .unwrap_or_else(|r| panic!("refused: {r:?}"))
        .expect("an edit");
    assert_only_lines(text, &edit, lines);
    let parsed = parse_text(kind, Path::new(path), &edit.text, &NoFiles)
        .unwrap_or_else(|e| panic!("the rewritten file does not parse: {e}"));
    (edit, parsed)
}

/// The packages of a parse named `name`.
pub(crate) fn named<'a>(parsed: &'a Parsed, name: &str) -> Vec<&'a Package> {
    parsed.packages.iter().filter(|p| p.name == name).collect()
}

/// The pins of the packages named `name`, as `Exact(v)` or the specifier.
pub(crate) fn pins(parsed: &Parsed, name: &str) -> Vec<String> {
    named(parsed, name)
        .iter()
        .map(|p| match &p.pin {
            cverun_inventory::Pin::Exact(v) => v.clone(),
            cverun_inventory::Pin::Unpinned { specifier } => specifier.clone(),
        })
        .collect()
}

/// The refusal of a rewrite.
pub(crate) fn refused(kind: FileKind, text: &str, bump: &Bump) -> Refusal {
    match rewrite(kind, text, bump) {
        Err(r) => r,
        Ok(e) => panic!("expected a refusal, got {e:?}"),
    }
}
