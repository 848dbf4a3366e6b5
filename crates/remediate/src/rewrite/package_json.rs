//! `package.json` and `composer.json`: the range string of a dependency, edited
//! inside its quotes; and npm `overrides` for transitive packages.
//!
//! `package.json`: `dependencies`, `devDependencies`, `optionalDependencies`,
//! `peerDependencies`; npm aliases (`"x": "npm:name@^1.2"`) are matched by the
//! real name and keep their prefix. `composer.json`: `require`, `require-dev`
//! (names compare case-insensitively, as Packagist does). Only the value string
//! changes: key order, spacing and line endings stay.
//!
//! Ranges that are not versions (`git+https://...`, `file:...`, `github:u/r`,
//! dist-tags other than `latest`, `workspace:`) are refused: they are changed by
//! hand. A string written with escapes is refused rather than re-encoded.
//!
//! [`npm_override`] pins a transitive package through `"overrides"`: the member is
//! added to an existing `overrides` object (or an existing string member
//! replaced), or an `overrides` object is added as the last member of the
//! document, indented and separated as the document's own members are.

use super::json::{self, Member, Node};
use super::spec::Syntax;
use super::{Edit, File, Site, raise_and_finish};
use crate::{Bump, Refusal};

/// npm's dependency objects.
const NPM_SECTIONS: [&str; 4] = [
    "dependencies",
    "devDependencies",
    "optionalDependencies",
    "peerDependencies",
];

/// Reads the document, refusing text that is not JSON.
fn document(file: &File<'_>) -> Result<Node, Refusal> {
    let (base, body) = file.body();
    json::parse(body, base)
        .map_err(|e| Refusal::new(format!("{} is not valid JSON: {e}", file.kind.name())))
}

/// Rewrites a `package.json`.
pub(crate) fn rewrite(file: &File<'_>, bump: &Bump) -> Result<Option<Edit>, Refusal> {
    let root = document(file)?;
    let mut sites = Vec::new();
    for section in NPM_SECTIONS {
        let Some(deps) = root.get(section).and_then(|m| m.node.members()) else {
            continue;
        };
        for member in deps {
            if let Some(site) = npm_site(file, member, bump)? {
                sites.push(site);
            }
        }
    }
    raise_and_finish(file, bump, &sites)
}

/// The site of a dependency member naming the package (directly or by alias).
fn npm_site(file: &File<'_>, member: &Member, bump: &Bump) -> Result<Option<Site>, Refusal> {
    let Some(text) = string_value(file, member)? else {
        return Ok(None);
    };
    let (value, span) = text;
    if let Some(alias) = value.strip_prefix("npm:") {
        // `npm:name@range`; a scoped name starts with `@`.
        let at = alias
            .char_indices()
            .skip(1)
            .find(|(_, c)| *c == '@')
            .map(|(i, _)| i);
        let (real, range_start) = match at {
            Some(i) => (&alias[..i], 4 + i + 1),
            None => (alias, value.len()),
        };
        if real != bump.name {
            return Ok(None);
        }
        return Ok(Some(Site {
            span: span.start + range_start..span.end,
            syntax: Syntax::Npm,
            label: format!("{} (npm:{real})", member.key),
        }));
    }
    if member.key != bump.name {
        return Ok(None);
    }
    Ok(Some(Site {
        span,
        syntax: Syntax::Npm,
        label: member.key.clone(),
    }))
}

/// A member's string value and the range inside its quotes; refuses escapes.
fn string_value(
    file: &File<'_>,
    member: &Member,
) -> Result<Option<(String, std::ops::Range<usize>)>, Refusal> {
    match &member.node.value {
        json::Value::String { text, escaped } => {
            if *escaped {
                return Err(Refusal::new(format!(
                    "{}: the value of {:?} is written with escapes; it is not rewritten",
                    file.at(file.line(member.node.span.start)),
                    member.key
                )));
            }
            Ok(Some((
                text.clone(),
                member.node.span.start + 1..member.node.span.end - 1,
            )))
        }
        _ => Ok(None),
    }
}

/// Rewrites a `composer.json`.
pub(crate) fn rewrite_composer(file: &File<'_>, bump: &Bump) -> Result<Option<Edit>, Refusal> {
    let root = document(file)?;
    let mut sites = Vec::new();
    for section in ["require", "require-dev"] {
        let Some(deps) = root.get(section).and_then(|m| m.node.members()) else {
            continue;
        };
        for member in deps {
            if !member.key.eq_ignore_ascii_case(&bump.name) {
                continue;
            }
            if let Some((_, span)) = string_value(file, member)? {
                sites.push(Site {
                    span,
                    syntax: Syntax::Composer,
                    label: member.key.clone(),
                });
            }
        }
    }
    raise_and_finish(file, bump, &sites)
}

/// Pins the transitive npm package `name` to `version` through the `overrides`
/// of a `package.json` (npm 8.3+), keeping the file's order, indentation and
/// line endings.
///
/// The override is added to an existing `overrides` object, or replaces the
/// string an existing member gives (`lines` is then that line; an override
/// already at `version` gives the text unchanged and no lines); without
/// `overrides`, one is added as the document's last member. Refused: a package
/// that is also a direct dependency (npm requires the override to equal the
/// direct range: raise the direct dependency instead), a nested override
/// object without a `"."` entry, text that is not a JSON object.
pub fn npm_override(text: &str, name: &str, version: &str) -> Result<Edit, Refusal> {
    let file = File::new(cverun_inventory::FileKind::PackageJson, text);
    let root = document(&file)?;
    let Some(members) = root.members() else {
        return Err(Refusal::new("package.json is not a JSON object"));
    };
    for section in NPM_SECTIONS {
        if let Some(m) = root.get(section).and_then(|s| s.node.get(name)) {
            let line = file.line(m.key_span.start);
            return Err(Refusal::with_manual(
                format!(
                    "{}: {name} is a direct dependency ({section}); npm refuses an override that differs from it",
                    file.at(line)
                ),
                format!(
                    "raise {name} to {version} in {section} at {}",
                    file.at(line)
                ),
            ));
        }
    }
    let style = Style::of(&file, &root, members);
    let value = format!("\"{}\"", json_escape(version));
    match root.get("overrides") {
        Some(overrides) => match &overrides.node.value {
            json::Value::Object(entries) => {
                let existing = entries.iter().rev().find(|m| m.key == name);
                match existing {
                    Some(member) => replace_override(&file, member, name, version),
                    None => {
                        let line = format!("\"{}\"{}{value}", json_escape(name), style.colon);
                        Ok(insert_member(
                            &file,
                            &overrides.node,
                            &style,
                            &line,
                            name,
                            version,
                        ))
                    }
                }
            }
            _ => Err(Refusal::new(format!(
                "{}: \"overrides\" is not an object",
                file.at(file.line(overrides.key_span.start))
            ))),
        },
        None => {
            let inner_indent = format!("{}{}", style.member_indent, style.unit);
            let nl = style.newline;
            let body = if style.multiline {
                format!(
                    "\"overrides\"{colon}{{{nl}{inner_indent}\"{n}\"{colon}{value}{nl}{ind}}}",
                    colon = style.colon,
                    n = json_escape(name),
                    ind = style.member_indent
                )
            } else {
                format!(
                    "\"overrides\"{colon}{{\"{n}\"{colon}{value}}}",
                    colon = style.colon,
                    n = json_escape(name)
                )
            };
            Ok(insert_member(&file, &root, &style, &body, name, version))
        }
    }
}

/// An existing override member: its string (or its `"."` entry) replaced.
fn replace_override(
    file: &File<'_>,
    member: &Member,
    name: &str,
    version: &str,
) -> Result<Edit, Refusal> {
    let target = match &member.node.value {
        json::Value::String { .. } => member,
        json::Value::Object(_) => member.node.get(".").ok_or_else(|| {
            Refusal::with_manual(
                format!(
                    "{}: the override of {name} is an object without a \".\" entry",
                    file.at(file.line(member.key_span.start))
                ),
                format!("add \".\": \"{version}\" to the override of {name}"),
            )
        })?,
        _ => {
            return Err(Refusal::new(format!(
                "{}: the override of {name} is not a string",
                file.at(file.line(member.key_span.start))
            )));
        }
    };
    let Some((old, span)) = string_value(file, target)? else {
        return Err(Refusal::new(format!(
            "{}: the override of {name} is not a string",
            file.at(file.line(target.key_span.start))
        )));
    };
    let line = file.line(span.start);
    if old == version {
        return Ok(Edit {
            text: file.text.to_owned(),
            lines: Vec::new(),
            summary: format!("{name} already overridden to {version} (line {line})"),
        });
    }
    let mut text = String::with_capacity(file.text.len() + version.len());
    text.push_str(&file.text[..span.start]);
    text.push_str(&json_escape(version));
    text.push_str(&file.text[span.end..]);
    Ok(Edit {
        text,
        lines: vec![line],
        summary: format!("overrides {name} {old} -> {version} (line {line})"),
    })
}

/// How the document writes its members.
struct Style {
    newline: &'static str,
    /// Indentation of one level.
    unit: String,
    /// Indentation of the root's members.
    member_indent: String,
    /// Between a key and its value (`": "` gives `: `).
    colon: String,
    /// Members on their own lines.
    multiline: bool,
}

impl Style {
    fn of(file: &File<'_>, root: &Node, members: &[Member]) -> Style {
        let text = file.text;
        let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
        let mut style = Style {
            newline,
            unit: "  ".to_owned(),
            member_indent: "  ".to_owned(),
            colon: ": ".to_owned(),
            multiline: true,
        };
        if let Some(first) = members.first() {
            let before = &text[root.span.start + 1..first.key_span.start];
            style.multiline = before.contains('\n');
            let indent = &text[line_start(text, first.key_span.start)..first.key_span.start];
            if style.multiline && indent.chars().all(|c| c == ' ' || c == '\t') {
                style.member_indent = indent.to_owned();
                let root_indent = indent_of(text, root.span.start);
                style.unit = indent
                    .strip_prefix(root_indent.as_str())
                    .filter(|u| !u.is_empty())
                    .unwrap_or(indent)
                    .to_owned();
            }
            style.colon = text[first.key_span.end..first.node.span.start].to_owned();
            if style.colon.contains('\n') {
                style.colon = ": ".to_owned();
            }
        }
        style
    }
}

fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// The white space that starts the line holding `at`.
fn indent_of(text: &str, at: usize) -> String {
    let start = line_start(text, at);
    text[start..]
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect()
}

/// Adds `member` (a `"key": value` text) as the last member of `object`.
fn insert_member(
    file: &File<'_>,
    object: &Node,
    style: &Style,
    member: &str,
    name: &str,
    version: &str,
) -> Edit {
    let text = file.text;
    let members = object.members().unwrap_or(&[]);
    let nl = style.newline;
    let (at, insert, changed_line) = match members.last() {
        Some(last) => {
            let indent = indent_of(text, members[0].key_span.start);
            let multiline = text[object.span.start + 1..members[0].key_span.start].contains('\n');
            let insert = if multiline {
                format!(",{nl}{indent}{member}")
            } else {
                format!(", {member}")
            };
            (
                last.node.span.end,
                insert,
                file.line(last.node.span.end - 1),
            )
        }
        None => {
            // `{}` (or `{ }`): the member goes inside, on its own line.
            let key_indent = indent_of(text, object.span.start);
            let inner = format!("{key_indent}{}", style.unit);
            let insert = format!("{nl}{inner}{member}{nl}{key_indent}");
            (object.span.start + 1, insert, file.line(object.span.start))
        }
    };
    let mut out = String::with_capacity(text.len() + insert.len());
    let end = if members.is_empty() {
        // Drop white space between the braces of an empty object.
        object.span.end - 1
    } else {
        at
    };
    out.push_str(&text[..at]);
    out.push_str(&insert);
    out.push_str(&text[end..]);
    Edit {
        text: out,
        lines: vec![changed_line],
        summary: format!("overrides {name} -> {version} (added after line {changed_line})"),
    }
}

/// A string escaped for a JSON string literal.
fn json_escape(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    quoted[1..quoted.len().saturating_sub(1).max(1)].to_owned()
}

#[cfg(test)]
mod tests;
