//! TOML documents with positions, shared by the TOML-based parsers.
//!
//! Documents are read with `toml::de::DeTable`, which keeps the byte span of every
//! key and value, so a parser can walk the document leniently (one bad package
//! entry becomes a warning, not a failed file) and still name lines. Spans become
//! 1-based lines through [`LineIndex`].

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeArray, DeTable, DeValue};

use crate::text::LineIndex;
use crate::{Input, ParseError};

/// A parsed TOML document and the line index of its text.
pub(crate) struct Doc<'i> {
    /// The root table.
    pub root: DeTable<'i>,
    lines: LineIndex,
}

impl<'i> Doc<'i> {
    /// Parses `input` as TOML (after a UTF-8 byte order mark, if any). A syntax
    /// error is a [`ParseError`] at the line the TOML parser points to.
    pub fn parse(input: &Input<'i>) -> Result<Doc<'i>, ParseError> {
        let text = input.text.strip_prefix('\u{feff}').unwrap_or(input.text);
        let lines = LineIndex::new(text);
        match DeTable::parse(text) {
            Ok(root) => Ok(Doc {
                root: root.into_inner(),
                lines,
            }),
            Err(e) => {
                let line = e.span().map(|s| lines.line(s.start));
                Err(input.error(line, format!("not valid TOML: {}", e.message().trim())))
            }
        }
    }

    /// The 1-based line of a span's start.
    pub fn line(&self, span: Range<usize>) -> u32 {
        self.lines.line(span.start)
    }

    /// The line of a value.
    pub fn line_of<T>(&self, v: &Spanned<T>) -> u32 {
        self.line(v.span())
    }
}

/// A member of a table.
pub(crate) fn get<'a, 'i>(t: &'a DeTable<'i>, key: &str) -> Option<&'a Spanned<DeValue<'i>>> {
    t.get(key)
}

/// A string member of a table (`None` when missing or not a string).
pub(crate) fn get_str<'a>(t: &'a DeTable<'_>, key: &str) -> Option<&'a str> {
    t.get(key).and_then(|v| v.get_ref().as_str())
}

/// A boolean member of a table (`None` when missing or not a boolean).
pub(crate) fn get_bool(t: &DeTable<'_>, key: &str) -> Option<bool> {
    t.get(key).and_then(|v| v.get_ref().as_bool())
}

/// A table member of a table.
pub(crate) fn get_table<'a, 'i>(t: &'a DeTable<'i>, key: &str) -> Option<&'a DeTable<'i>> {
    t.get(key).and_then(|v| v.get_ref().as_table())
}

/// An array member of a table.
pub(crate) fn get_array<'a, 'i>(t: &'a DeTable<'i>, key: &str) -> Option<&'a DeArray<'i>> {
    t.get(key).and_then(|v| v.get_ref().as_array())
}

/// The strings of an array member (other elements are skipped).
pub(crate) fn get_strings<'a>(t: &'a DeTable<'_>, key: &str) -> Vec<&'a str> {
    get_array(t, key)
        .map(|a| a.iter().filter_map(|v| v.get_ref().as_str()).collect())
        .unwrap_or_default()
}

/// The TOML type of a value, for messages.
pub(crate) fn type_name(v: &DeValue<'_>) -> &'static str {
    v.type_str()
}

/// True when the text holds nothing but white space.
pub(crate) fn is_blank(text: &str) -> bool {
    text.trim().is_empty()
}

/// Helpers for the tests of the parsers that use this module.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::Path;

    use crate::testutil::fixtures;
    use crate::{FileKind, Files, ParseError, Parsed, parse_text};

    /// Parses `text` as `kind` at `path`, with `files` around it.
    pub(crate) fn run(
        kind: FileKind,
        path: &str,
        text: &str,
        files: &dyn Files,
    ) -> Result<Parsed, ParseError> {
        parse_text(kind, Path::new(path), text, files)
    }

    /// Every file of a fixture directory (relative to the shared lockfile
    /// fixtures), sorted by name, with its text; `None` (the test named `test`
    /// reported as skipped) when `../shared` is absent.
    pub(crate) fn fixture_files(test: &str, sub: &str) -> Option<Vec<(String, String)>> {
        let dir = fixtures(test)?.join(sub);
        let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| {
                let e = e.expect("directory entry");
                let name = e.file_name().to_string_lossy().into_owned();
                (
                    name,
                    std::fs::read_to_string(e.path()).expect("fixture is UTF-8"),
                )
            })
            .collect();
        out.sort();
        Some(out)
    }

    /// `text` with some bytes replaced (positions modulo its length), as lossy UTF-8.
    pub(crate) fn flipped(text: &str, flips: &[(usize, u8)]) -> String {
        let mut bytes = text.as_bytes().to_vec();
        let n = bytes.len();
        if n > 0 {
            for &(pos, b) in flips {
                bytes[pos % n] = b;
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }
}
