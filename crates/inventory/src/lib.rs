//! Inventory: what each service ships, read from its lockfiles, manifests and SBOMs.
//!
//! This crate owns the question *which packages, at which versions, does this file
//! declare?* One module per file format under [`formats`], each a pure function from
//! the file's text to [`Parsed`] (packages with ecosystem, normalised name, exact
//! version or unpinned specifier, direct or transitive, scope, dependency paths,
//! source and line), with its tests beside it. Files are read through the [`Files`]
//! trait, so parsers that follow includes (`-r other.txt`) stay testable without a
//! disk.
//!
//! Parsers are strict about structure and lenient about content they can skip
//! safely: a file that is not of its format is a [`ParseError`] naming the file and
//! line; a package entry that cannot be read is a [`Warning`], never a silent drop;
//! an unpinned requirement is kept as [`Pin::Unpinned`].

use std::path::{Path, PathBuf};

pub mod formats;
pub mod graph;
mod kind;
mod package;
pub mod read;
pub mod text;

#[cfg(test)]
pub(crate) mod testutil;

pub use kind::{FileKind, is_constraints_file, not_read_reason};
pub use package::{Package, Pin, Relation, Scope, Source, StdlibSource};
pub use read::{ConfinedFiles, Confinement};

/// What a parser produced for one file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Parsed {
    /// Packages, in file order.
    pub packages: Vec<Package>,
    /// Problems that did not stop the parse (each with its line when known).
    pub warnings: Vec<Warning>,
    /// Other files this one pulled in (requirements `-r`/`-c` includes), in order.
    pub includes: Vec<PathBuf>,
}

impl Parsed {
    /// The result for a file with nothing in it: no packages, an "empty file"
    /// warning.
    pub fn empty_file(input: &Input<'_>) -> Parsed {
        Parsed {
            warnings: vec![input.warning(None, "empty file")],
            ..Parsed::default()
        }
    }

    /// The result for a file of its format that declares no dependency (a
    /// `pyproject.toml` with only `[build-system]`, say): no packages, a warning
    /// saying so at `line`, so that the file is never taken as checked and clean
    /// without a word.
    pub fn no_dependencies(input: &Input<'_>, line: Option<u32>) -> Parsed {
        Parsed {
            warnings: vec![input.warning(line, "empty: no dependencies declared")],
            ..Parsed::default()
        }
    }
}

/// A problem in part of a file that did not stop the parse.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Warning {
    /// The file (an included file when the problem is there).
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// What is wrong and what was done about it.
    pub message: String,
}

/// A file that cannot be read as its format.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ParseError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// What is wrong.
    pub message: String,
}

impl ParseError {
    /// An error at `line` (1-based) of `path`.
    pub fn at(path: &Path, line: Option<u32>, message: impl Into<String>) -> ParseError {
        ParseError {
            path: path.to_owned(),
            line,
            message: message.into(),
        }
    }
}

/// Read access to files, so that parsers can follow includes.
pub trait Files {
    /// Reads `path` as UTF-8 text.
    fn read(&self, path: &Path) -> std::io::Result<String>;
}

/// [`Files`] on the real file system, unconfined: regular files only, bounded
/// ([`read::read_text`]). Scans use [`ConfinedFiles`].
#[derive(Clone, Copy, Debug, Default)]
pub struct DiskFiles;

impl Files for DiskFiles {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        read::read_text(path, read::Class::Data)
    }
}

/// One file to parse: where it is, its text, and access to other files.
pub struct Input<'a> {
    /// The file's path (used in messages and to resolve includes).
    pub path: &'a Path,
    /// The file's text.
    pub text: &'a str,
    /// Access to other files.
    pub files: &'a dyn Files,
}

impl Input<'_> {
    /// An error at `line` of this file.
    pub fn error(&self, line: Option<u32>, message: impl Into<String>) -> ParseError {
        ParseError::at(self.path, line, message)
    }

    /// Reads `file_name` beside this file (a manifest beside its lockfile), without
    /// a UTF-8 byte order mark. A missing
    /// file is `None`; an unreadable one is `None` and a warning saying what is then
    /// unknown (`consequence`, e.g. "direct dependencies unknown").
    pub fn sibling(
        &self,
        file_name: &str,
        consequence: &str,
        warnings: &mut Vec<Warning>,
    ) -> Option<(PathBuf, String)> {
        let path = self.path.with_file_name(file_name);
        match self.files.read(&path) {
            Ok(text) => Some((path, text::strip_bom(&text).to_owned())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                warnings.push(self.warning(
                    None,
                    format!(
                        "cannot read {}: {}; {consequence}",
                        path.display(),
                        io_message(&e)
                    ),
                ));
                None
            }
        }
    }

    /// A warning at `line` of this file.
    pub fn warning(&self, line: Option<u32>, message: impl Into<String>) -> Warning {
        Warning {
            path: self.path.to_owned(),
            line,
            message: message.into(),
        }
    }
}

/// Reads and parses `path` as `kind`.
pub fn parse_file(kind: FileKind, path: &Path, files: &dyn Files) -> Result<Parsed, ParseError> {
    let text = files
        .read(path)
        .map_err(|e| ParseError::at(path, None, format!("cannot read: {}", io_message(&e))))?;
    parse_text(kind, path, &text, files)
}

/// Parses `text` (the content of `path`) as `kind`.
pub fn parse_text(
    kind: FileKind,
    path: &Path,
    text: &str,
    files: &dyn Files,
) -> Result<Parsed, ParseError> {
    let input = Input { path, text, files };
    formats::parse(kind, &input)
}

/// A short, stable description of an I/O error.
pub fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}
