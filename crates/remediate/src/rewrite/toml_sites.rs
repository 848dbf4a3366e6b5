//! TOML documents with positions, for the TOML-based rewriters (`pyproject.toml`,
//! `Pipfile`, `Cargo.toml`).
//!
//! `toml::de::DeTable` keeps the byte span of every value, so a rewrite replaces
//! the bytes inside one string's quotes and nothing else: no re-serialisation,
//! hence no change of formatting anywhere (a format-preserving editor such as
//! `toml_edit` would be a second TOML parser in the workspace for the same job).

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::File;
use crate::Refusal;

/// Parses the file as TOML; the spans of the result are offsets in the file.
pub(crate) fn parse<'a>(file: &File<'a>) -> Result<(DeTable<'a>, usize), Refusal> {
    let (base, body) = file.body();
    match DeTable::parse(body) {
        Ok(root) => Ok((root.into_inner(), base)),
        Err(e) => {
            let line = e.span().map(|s| file.line(base + s.start));
            Err(Refusal::new(format!(
                "{}: not valid TOML: {}",
                line.map_or_else(|| file.kind.name().to_owned(), |l| file.at(l)),
                e.message().trim()
            )))
        }
    }
}

/// A table member by key.
pub(crate) fn table<'a, 'i>(t: &'a DeTable<'i>, key: &str) -> Option<&'a DeTable<'i>> {
    t.get(key).and_then(|v| v.get_ref().as_table())
}

/// The range inside the quotes of a string value, in the file, when its source
/// is exactly its text (no escapes, one line).
pub(crate) fn string_span(
    file: &File<'_>,
    base: usize,
    value: &Spanned<DeValue<'_>>,
) -> Result<Option<Range<usize>>, Refusal> {
    let DeValue::String(text) = value.get_ref() else {
        return Ok(None);
    };
    let span = value.span();
    let raw = &file.text[base + span.start..base + span.end];
    let quote = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
        3
    } else {
        1
    };
    let inner = base + span.start + quote..(base + span.end).saturating_sub(quote);
    if inner.start > inner.end || file.text.get(inner.clone()) != Some(text.as_ref()) {
        return Err(Refusal::new(format!(
            "{}: the string {:?} is written with escapes or over several lines; it is not rewritten",
            file.at(file.line(base + span.start)),
            text.as_ref()
        )));
    }
    Ok(Some(inner))
}

/// The 1-based line of a value.
pub(crate) fn line_of<T>(file: &File<'_>, base: usize, v: &Spanned<T>) -> u32 {
    file.line(base + v.span().start)
}
