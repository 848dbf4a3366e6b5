//! Checks shared by the parsers that a file has the structure of its format.
//!
//! Formats allow keys cverun does not read, so an unknown key is not a problem in
//! itself; a key one or two edits away from a key the format defines
//! (`pakages` for `packages`) most likely is that key misspelled, and whatever it
//! holds is not read. Such a key gets a "did you mean" warning. The distance is
//! `cverun_versions::similar::distance` (edits, transpositions counted as one,
//! case-insensitive): at most 1 for keys of up to 4 characters, 2 beyond.

use cverun_versions::similar::distance;

use crate::{Input, Warning};

/// The known key `key` is most likely a misspelling of, if any (`None` for a known
/// key itself).
pub(crate) fn misspelling_of<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    if known.contains(&key) {
        return None;
    }
    let max = if key.chars().count() <= 4 { 1 } else { 2 };
    known
        .iter()
        .filter_map(|k| distance(key, k, max).map(|d| (d, *k)))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// The "did you mean" message for `key`, if it is a misspelling of a known key.
pub(crate) fn did_you_mean(key: &str, known: &[&str]) -> Option<String> {
    misspelling_of(key, known).map(|k| format!("unknown key {key:?} (did you mean {k:?}?)"))
}

/// Warns about each of `keys` (with its line) that misspells a known key.
pub(crate) fn warn_misspelled<'a>(
    input: &Input<'_>,
    keys: impl IntoIterator<Item = (&'a str, Option<u32>)>,
    known: &[&str],
    warnings: &mut Vec<Warning>,
) {
    for (key, line) in keys {
        if let Some(message) = did_you_mean(key, known) {
            warnings.push(input.warning(line, message));
        }
    }
}

/// For an error about a missing `wanted` key: "; found \"pakages\" (did you mean
/// \"packages\"?)" when one of `keys` misspells it, else nothing.
pub(crate) fn hint_for<'a>(wanted: &str, keys: impl IntoIterator<Item = &'a str>) -> String {
    keys.into_iter()
        .find(|k| misspelling_of(k, &[wanted]).is_some())
        .map(|k| format!("; found {k:?} (did you mean {wanted:?}?)"))
        .unwrap_or_default()
}

/// The JSON type of a value, for messages.
pub(crate) fn json_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["lockfileVersion", "packages", "dependencies", "name"];

    #[test]
    fn misspellings() {
        assert_eq!(misspelling_of("pakages", KNOWN), Some("packages"));
        assert_eq!(misspelling_of("Packages", KNOWN), Some("packages"));
        assert_eq!(
            misspelling_of("lockfileVerison", KNOWN),
            Some("lockfileVersion")
        );
        assert_eq!(misspelling_of("depndencies", KNOWN), Some("dependencies"));
        assert_eq!(misspelling_of("nmae", KNOWN), Some("name"));
        assert_eq!(misspelling_of("packages", KNOWN), None);
        assert_eq!(misspelling_of("requires", KNOWN), None);
        assert_eq!(misspelling_of("nam", &["name", "nom"]), Some("name"));
        assert_eq!(misspelling_of("x", &["name"]), None);
    }

    #[test]
    fn messages() {
        assert_eq!(
            did_you_mean("pakages", KNOWN).as_deref(),
            Some("unknown key \"pakages\" (did you mean \"packages\"?)")
        );
        assert_eq!(
            hint_for("packages", ["name", "pakages"]),
            "; found \"pakages\" (did you mean \"packages\"?)"
        );
        assert_eq!(hint_for("packages", ["name"]), "");
    }
}

/// The JSON type a top-level member must have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    /// An array.
    Array,
    /// An object.
    Object,
}

impl Shape {
    fn fits(self, v: &serde_json::Value) -> bool {
        match self {
            Shape::Array => v.is_array(),
            Shape::Object => v.is_object(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Shape::Array => "an array",
            Shape::Object => "an object",
        }
    }
}

/// Checks a JSON document's top level: keys that misspell one of `known` are
/// warnings; `required`, when present with another type, is an error (what the
/// packages are read from cannot be read); each of `optional` with another type is
/// a warning (it is not read).
pub(crate) fn check_json_root(
    input: &Input<'_>,
    root: &serde_json::Map<String, serde_json::Value>,
    lines: &crate::text::JsonLines,
    known: &[&str],
    required: (&str, Shape),
    optional: &[(&str, Shape)],
    warnings: &mut Vec<Warning>,
) -> Result<(), crate::ParseError> {
    let line = |key: &str| lines.line(&format!("/{}", crate::text::escape(key)));
    warn_misspelled(
        input,
        root.keys().map(|k| (k.as_str(), line(k))),
        known,
        warnings,
    );
    let (key, shape) = required;
    if let Some(v) = root.get(key).filter(|v| !shape.fits(v)) {
        return Err(input.error(
            line(key),
            format!("`{key}` is a JSON {}, not {}", json_type(v), shape.name()),
        ));
    }
    for &(key, shape) in optional {
        if let Some(v) = root.get(key).filter(|v| !shape.fits(v)) {
            warnings.push(input.warning(
                line(key),
                format!(
                    "`{key}` is a JSON {}, not {}; not read",
                    json_type(v),
                    shape.name()
                ),
            ));
        }
    }
    Ok(())
}
